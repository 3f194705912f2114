//! `watch --install` / `--uninstall`: a systemd service and timer (the system's, or the user's when not root) that
//! run `watch --once`, or a cron entry where there is no systemd — through the same change engine as every other
//! file mirrorctl writes, so a unit systemd refuses is rolled back.

use rust_i18n::t;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::catalogue::Catalogue;
use crate::change::{Activation, FileChange, Outcome, Plan, Verify};
use crate::daemon_config::files;
use crate::output::Printer;
use crate::service::{Init, InitChoice, Service};
use crate::settings::{Watch, WatchMode};
use crate::targets::systemd::exec_word;

pub const SERVICE: &str = "mirrorctl-watch.service";
pub const TIMER: &str = "mirrorctl-watch.timer";
pub const CRON: &str = "mirrorctl-watch";

/// The service: one `watch --once`, low priority, after the network and dockerd are up.
pub fn service_unit(command: &[String], user: bool) -> Result<String> {
    let words: Vec<String> = command
        .iter()
        .map(|w| exec_word(w))
        .collect::<Result<_>>()?;
    let after = if user { "" } else { " docker.service" };
    Ok(format!(
        "# Written by `mirrorctl watch --install`; remove with `mirrorctl watch --uninstall`.\n\
         [Unit]\n\
         Description=Keep Docker registry mirrors alive (mirrorctl watch)\n\
         Documentation=man:mirrorctl(1)\n\
         Wants=network-online.target\n\
         After=network-online.target{after}\n\
         \n\
         [Service]\n\
         Type=oneshot\n\
         ExecStart={}\n\
         Nice=10\n\
         IOSchedulingClass=idle\n",
        words.join(" ")
    ))
}

/// The timer: every `every`, first a few minutes after boot, spread by up to a tenth of the period so a fleet does
/// not probe the same rate-limited mirrors in the same second.
pub fn timer_unit(every: Duration) -> String {
    let spread = (every / 10)
        .min(Duration::from_secs(3600))
        .max(Duration::from_secs(1));
    format!(
        "# Written by `mirrorctl watch --install`; remove with `mirrorctl watch --uninstall`.\n\
         [Unit]\n\
         Description=Run mirrorctl watch every {every}\n\
         Documentation=man:mirrorctl(1)\n\
         \n\
         [Timer]\n\
         OnBootSec=5min\n\
         OnUnitActiveSec={every}\n\
         RandomizedDelaySec={spread}\n\
         \n\
         [Install]\n\
         WantedBy=timers.target\n",
        every = humantime::format_duration(every),
        spread = spread.as_secs(),
    )
}

/// A cron.d entry: minute-granular, so the period is rounded to whole minutes, hours or days.
pub fn cron_entry(command: &[String], every: Duration) -> Result<String> {
    if command
        .iter()
        .any(|w| w.chars().any(char::is_control) || w.contains('%'))
    {
        // cron turns `%` into a newline: no word of ours may hold one.
        bail!("{}", t!("watch.cron_bad_word"));
    }
    let quoted: Vec<String> = command
        .iter()
        .map(|w| format!("'{}'", w.replace('\'', "'\\''")))
        .collect();
    let mins = (every.as_secs() / 60).max(1);
    let schedule = if mins < 60 {
        format!("*/{mins} * * * *")
    } else if mins < 24 * 60 {
        format!("0 */{} * * *", mins / 60)
    } else {
        format!("0 0 */{} * *", (mins / (24 * 60)).min(31))
    };
    Ok(format!(
        "# Written by `mirrorctl watch --install`; remove with `mirrorctl watch --uninstall`.\n\
         SHELL=/bin/sh\n\
         PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n\
         {schedule} root {} >/dev/null 2>&1\n",
        quoted.join(" ")
    ))
}

/// systemd, or cron where there is none.
enum Place {
    Systemd { dir: PathBuf, service: Service },
    Cron { dir: PathBuf },
}

fn place(args: &Watch) -> Result<Place> {
    let uid = crate::host::Host::get().uid;
    let user = uid != 0;
    match Service::detect(args.change.init, user) {
        Ok(s) if matches!(s.init, Init::Systemd { .. }) => {
            let dir = match &args.systemd_dir {
                Some(d) => d.clone(),
                None if user => dirs::config_dir()
                    .context(t!("io.no_config_dir"))?
                    .join("systemd/user"),
                None => PathBuf::from("/etc/systemd/system"),
            };
            Ok(Place::Systemd {
                dir,
                service: s.unit(TIMER),
            })
        }
        _ if args.change.init == InitChoice::Systemd => {
            unreachable!("detect honours --init systemd")
        }
        _ => {
            if user && args.cron_dir.is_none() {
                bail!("{}", t!("watch.cron_needs_root"));
            }
            Ok(Place::Cron {
                dir: args
                    .cron_dir
                    .clone()
                    .unwrap_or_else(|| PathBuf::from("/etc/cron.d")),
            })
        }
    }
}

/// A timer faster than a mirror's stated quota would get this machine rate-limited by the very probes meant to
/// keep it fast (Xuanyuan's 429 lasts hours): refused, naming the mirror.
fn check_quota(catalogue: &Catalogue, registry: &str, all: bool, every: Duration) -> Result<()> {
    let strictest = catalogue
        .selection(all, registry)
        .into_iter()
        .filter_map(|m| Some((m, m.min_probe_period()?)))
        .max_by_key(|(_, p)| *p);
    match strictest {
        Some((m, period)) if every < period => Err(crate::errors::Hinted {
            message: t!(
                "watch.too_often",
                every = humantime::format_duration(every),
                mirror = m.name,
                limit = m.rate_limit.as_deref().unwrap_or("-"),
                n = crate::catalogue::REQUESTS_PER_PROBE
            )
            .into(),
            hint: t!(
                "watch.too_often_hint",
                min = humantime::format_duration(Duration::from_secs(
                    period.as_secs().div_ceil(60) * 60
                ))
            )
            .into(),
        }
        .into()),
        _ => Ok(()),
    }
}

/// `--install` (a period) or `--uninstall`.
pub async fn install(args: &Watch, p: Printer) -> Result<Outcome> {
    let every = match &args.mode {
        WatchMode::Install {
            every,
            probe,
            catalogue,
        } => {
            check_quota(catalogue, &probe.registry, probe.all, *every)?;
            Some(*every)
        }
        _ => None,
    };
    let on = every.is_some();
    // What a timer runs owns its settings: a restart, not watch's reload.
    let target = crate::settings::Change::owned(
        args.change.dry_run,
        args.change.yes,
        args.change.init,
        args.change.json,
    );
    let exe = std::env::current_exe().context(t!("watch.no_exe"))?;
    let command: Vec<String> = std::iter::once(exe.display().to_string())
        .chain(args.replay.iter().cloned())
        .collect();
    let change = |path: PathBuf, text: Option<String>| -> Result<FileChange> {
        let before = files::read(&path)?;
        Ok(match text {
            Some(t) => FileChange::new(path, before, t),
            None => FileChange::remove(path, before),
        })
    };
    let (mut changes, activation, verify) = match place(args)? {
        Place::Systemd { dir, service } => {
            let user = matches!(service.init, Init::Systemd { user: true });
            let (svc, timer) = if on {
                (
                    Some(service_unit(&command, user)?),
                    Some(timer_unit(every.unwrap_or_default())),
                )
            } else {
                (None, None)
            };
            let (activation, verify) = if on {
                (Activation::Enable(service), Verify::Active)
            } else {
                (Activation::Disable(service), Verify::Nothing)
            };
            (
                vec![
                    change(dir.join(SERVICE), svc)?,
                    change(dir.join(TIMER), timer)?,
                ],
                activation,
                verify,
            )
        }
        Place::Cron { dir } => {
            let text = every.map(|e| cron_entry(&command, e)).transpose()?;
            (
                vec![change(dir.join(CRON), text)?],
                Activation::Automatic(t!("watch.cron_reads").into()),
                Verify::Nothing,
            )
        }
    };
    // Uninstalling what is not there is nothing to do.
    changes.retain(|c| on || c.before.is_some());
    let plan = Plan {
        target: "watch",
        mirrors: vec![],
        notes: vec![format!("  {}", command.join(" "))],
        changes,
        activation,
        verify,
        daemon_json: false,
    };
    if plan.changes.is_empty() {
        p.json(args.change.json)
            .say(&format!("{}\n", t!("watch.nothing_installed")));
        return Ok(Outcome::default());
    }
    crate::change::run(vec![plan], &target, p).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_cannot_grow_a_directive() {
        let cmd = vec![
            "/usr/bin/mirrorctl".to_string(),
            "--config".into(),
            "/etc/docker/my daemon.json\nExecStartPre=/bin/sh".into(),
        ];
        assert!(service_unit(&cmd, false).is_err());
        let cmd = vec![
            "/opt/mirror ctl/bin/mirrorctl".to_string(),
            "100%$HOME\"".into(),
        ];
        let unit = service_unit(&cmd, false).unwrap();
        assert!(
            unit.contains(r#"ExecStart="/opt/mirror ctl/bin/mirrorctl" "100%%$$HOME\"""#),
            "{unit}"
        );
        assert!(cron_entry(&["a%b".to_string()], Duration::from_secs(3600)).is_err());
    }

    #[test]
    fn cron_schedules_round_to_what_cron_can_say() {
        let e = |s| cron_entry(&["/usr/bin/mirrorctl".into()], Duration::from_secs(s)).unwrap();
        assert!(e(30 * 60).contains("*/30 * * * * root '/usr/bin/mirrorctl'"));
        assert!(e(6 * 3600).contains("0 */6 * * * root"));
        assert!(e(2 * 86400).contains("0 0 */2 * * root"));
    }

    #[test]
    fn the_timer_spreads_a_fleet_over_a_tenth_of_the_period() {
        let t = timer_unit(Duration::from_secs(6 * 3600));
        assert!(t.contains("OnUnitActiveSec=6h\n"), "{t}");
        assert!(t.contains("RandomizedDelaySec=2160\n"), "{t}");
        assert!(t.contains("WantedBy=timers.target"), "{t}");
    }
}
