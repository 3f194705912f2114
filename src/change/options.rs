//! What every changing command was asked (lowered by `settings`): which daemon.json, how the change is made
//! live, whether to ask, and where the report goes. Values only; `settings/change.rs` builds them.

use std::path::{Path, PathBuf};

use anyhow::Result;
use rust_i18n::t;

use super::Activation;
use crate::sys::service::{InitChoice, Service};

/// How a written change reaches the running service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MakeLive {
    Restart,
    /// SIGHUP: dockerd re-reads its mirrors without stopping containers.
    Reload,
    /// `--no-restart`: the user does it.
    Manual,
}

#[derive(Debug, Clone)]
pub struct Change {
    /// daemon.json, located once: `--config`, else where this host's dockerd reads it (rootless, Desktop, Linux).
    pub daemon_json: PathBuf,
    /// Docker Desktop's own file, which only Desktop can make live.
    pub desktop: bool,
    /// `daemon_json` is colima's colima.yaml, whose `docker:` map holds dockerd's settings.
    pub colima: bool,
    pub dry_run: bool,
    pub yes: bool,
    pub live: MakeLive,
    pub init: InitChoice,
    pub json: bool,
}

impl Change {
    /// How a change of `path` is made live through `unit`, as these settings ask.
    pub fn activation(&self, path: &Path, unit: &str) -> Result<Activation> {
        let rootless = crate::sys::host::Host::get().rootless;
        if self.desktop && path == self.daemon_json {
            return Ok(desktop(crate::sys::desktop::detect(), self.live));
        }
        if self.live == MakeLive::Manual {
            let service = Service::detect(self.init, rootless)
                .ok()
                .map(|s| s.unit(unit));
            let how = service.map_or(format!("restart {unit}"), |s| s.describe_restart(false));
            return Ok(Activation::Manual(t!("apply.manual", how = how).into()));
        }
        let service = Service::detect(self.init, rootless)?.unit(unit);
        Ok(match self.live {
            MakeLive::Reload => Activation::Reload(service),
            _ => Activation::Restart(service),
        })
    }
}

/// A desktop product's change goes live its own way: its command when it has one (`orb restart docker`, `colima
/// restart`, `docker desktop restart`) and a restart is asked for; else — an older Desktop, Rancher Desktop,
/// `--no-restart`, or `--reload`, which no product has and which must not stop containers — the precise words.
pub(crate) fn desktop(product: Option<crate::sys::desktop::Desktop>, live: MakeLive) -> Activation {
    use crate::sys::desktop::Restart;
    match product {
        Some(d) => match (&d.restart, live) {
            (Restart::Command(argv), MakeLive::Restart) => Activation::Command(argv.clone()),
            _ => Activation::Manual(crate::sys::desktop::how_to_restart(&d)),
        },
        None => Activation::Manual(t!("apply.desktop").into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::desktop::{Desktop, Format, Product, Restart};

    fn product(restart: Restart) -> Option<Desktop> {
        Some(Desktop {
            product: Product::OrbStack,
            config: PathBuf::from("docker.json"),
            format: Format::Json,
            restart,
        })
    }

    #[test]
    fn a_products_command_runs_only_for_a_restart() {
        let orb = || {
            product(Restart::Command(vec![
                "orb".into(),
                "restart".into(),
                "docker".into(),
            ]))
        };
        assert!(
            matches!(desktop(orb(), MakeLive::Restart), Activation::Command(a) if a == ["orb", "restart", "docker"])
        );
        // --no-restart and --reload (no product reloads, and a restart would stop containers): the words only.
        for live in [MakeLive::Manual, MakeLive::Reload] {
            assert!(
                matches!(desktop(orb(), live), Activation::Manual(how) if how.contains("`orb restart docker`"))
            );
        }
        // A product with no command (Rancher Desktop, an older Docker Desktop): its instruction.
        assert!(matches!(
            desktop(product(Restart::Instruction("desktop.rancher")), MakeLive::Restart),
            Activation::Manual(how) if how.contains("Rancher")
        ));
        assert!(matches!(
            desktop(None, MakeLive::Restart),
            Activation::Manual(_)
        ));
    }
}
