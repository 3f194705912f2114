//! A change's settings, lowered from the flags every changing command shares: which daemon.json (located for this
//! host), how the change is made live, whether to ask, and where the report goes.

use crate::change::{Change, MakeLive};
use crate::cli::Target;
use crate::sys::service::InitChoice;

impl Change {
    pub fn lower(t: &Target) -> Self {
        // On macOS and Windows, the engine file of the product the docker CLI uses (OrbStack's docker.json,
        // Windows containers' machine-wide file, colima.yaml…); None on Linux, so nothing changes there. Rancher
        // Desktop's provisioning is no settings file: it keeps the default path (and its instruction).
        use crate::sys::desktop::Format;
        let product = t
            .config
            .is_none()
            .then(crate::sys::desktop::detect)
            .flatten()
            .filter(|d| matches!(d.format, Format::Json | Format::ColimaYaml));
        let colima = product
            .as_ref()
            .is_some_and(|d| d.format == Format::ColimaYaml);
        let daemon_json = product.as_ref().map_or_else(
            || crate::sys::host::locate(t.config.as_deref()),
            |d| d.config.clone(),
        );
        Self {
            desktop: product.is_some()
                || (t.config.is_none() && daemon_json.ends_with(".docker/daemon.json")),
            colima,
            daemon_json,
            dry_run: t.dry_run,
            yes: t.yes,
            live: match (t.reload, t.no_restart) {
                (true, _) => MakeLive::Reload,
                (_, true) => MakeLive::Manual,
                _ => MakeLive::Restart,
            },
            init: t.init,
            json: t.json,
        }
    }

    /// A change of files mirrorctl owns (a timer, the cache's config.yml): the user's answers, and a restart.
    pub fn owned(dry_run: bool, yes: bool, init: InitChoice, json: bool) -> Self {
        Self {
            daemon_json: crate::sys::host::locate(None),
            desktop: false,
            colima: false,
            dry_run,
            yes,
            live: MakeLive::Restart,
            init,
            json,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::change::Activation;
    use std::path::Path;

    fn lower(config: &str, reload: bool, no_restart: bool) -> Change {
        Change::lower(&Target {
            config: Some(config.into()),
            reload,
            no_restart,
            ..Target::change(false, true, InitChoice::Systemd, false)
        })
    }

    #[test]
    fn the_flags_say_how_a_change_goes_live() {
        let live = |reload, no_restart| lower("/x/daemon.json", reload, no_restart).live;
        assert_eq!(live(false, false), MakeLive::Restart);
        assert_eq!(live(true, false), MakeLive::Reload);
        assert_eq!(live(false, true), MakeLive::Manual);
        let c = lower("/x/daemon.json", true, false);
        assert!(
            matches!(c.activation(&c.daemon_json, "docker"), Ok(Activation::Reload(s)) if s.unit == "docker")
        );
    }

    #[test]
    fn only_desktops_own_file_is_left_for_desktop_to_make_live() {
        // Named with --config, a file called so is an ordinary daemon.json.
        let given = lower("/home/u/.docker/daemon.json", false, false);
        assert!(!given.desktop);
        assert!(matches!(
            given.activation(&given.daemon_json, "docker"),
            Ok(Activation::Restart(_))
        ));
        let desktop = Change {
            desktop: true,
            ..given
        };
        assert!(matches!(
            desktop.activation(&desktop.daemon_json, "docker"),
            Ok(Activation::Manual(_))
        ));
        // Another file of the same change (a drop-in) still restarts.
        assert!(matches!(
            desktop.activation(
                Path::new("/etc/systemd/system/docker.service.d/x.conf"),
                "docker"
            ),
            Ok(Activation::Restart(_))
        ));
    }
}
