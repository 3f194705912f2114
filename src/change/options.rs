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
            // The product's own way (`orb restart docker`, `colima restart`, `docker desktop restart`…).
            let how =
                crate::sys::desktop::detect().map(|d| crate::sys::desktop::how_to_restart(&d));
            return Ok(Activation::Manual(
                how.unwrap_or_else(|| t!("apply.desktop").into()),
            ));
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
