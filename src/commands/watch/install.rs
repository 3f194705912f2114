//! `watch --install` / `--uninstall`: a systemd service and timer (the system's, or the user's when not root) that
//! run `watch --once`, or a cron entry where there is no systemd — through the same change engine as every other
//! file mirrorctl writes, so a unit systemd refuses is rolled back.

use rust_i18n::t;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::catalogue::Catalogue;
use crate::change::{Activation, FileChange, Outcome, Plan, Verify};
use crate::settings::{Watch, WatchMode};
use crate::sys::files;
use crate::sys::service::{Init, InitChoice, Service};
use crate::targets::systemd::exec_word;
use crate::ui::output::Printer;

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

/// A period of whole minutes as systemd writes a time span (`6h`, `1h 30min`, `2d`); `None` for one with a part
/// below a minute, which `--every`'s parser refuses.
pub fn timespan(every: Duration) -> Option<String> {
    let secs = every.as_secs();
    if every.subsec_nanos() != 0 || !secs.is_multiple_of(60) || secs == 0 {
        return None;
    }
    let mins = secs / 60;
    let parts: Vec<String> = [
        (mins / 1440, "d"),
        (mins / 60 % 24, "h"),
        (mins % 60, "min"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, unit)| format!("{n}{unit}"))
    .collect();
    Some(parts.join(" "))
}

fn not_minutes(every: Duration) -> anyhow::Error {
    crate::ui::errors::Usage::new(t!(
        "watch.every_not_minutes",
        value = humantime::format_duration(every)
    ))
    .into()
}

/// The timer: every `every`, first a few minutes after boot, spread by up to a tenth of the period so a fleet does
/// not probe the same rate-limited mirrors in the same second. The period is written in whole minutes, exactly as
/// given: never rounded.
pub fn timer_unit(every: Duration) -> Result<String> {
    let span = timespan(every).ok_or_else(|| not_minutes(every))?;
    let spread = (every / 10)
        .min(Duration::from_secs(3600))
        .max(Duration::from_secs(1));
    Ok(format!(
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
        every = span,
        spread = spread.as_secs(),
    ))
}

/// cron's schedule for exactly this period, when cron has one: a period that divides an hour or a day, a day, or
/// a week. Any other (`7min`, `90min`, `2d`) cron would run at uneven gaps (`*/7` runs at :56 and again at :00).
fn cron_schedule(every: Duration) -> Option<String> {
    timespan(every)?;
    let mins = every.as_secs() / 60;
    match mins {
        1 => Some("* * * * *".into()),
        m if m < 60 && 60 % m == 0 => Some(format!("*/{m} * * * *")),
        60 => Some("0 * * * *".into()),
        m if m < 1440 && m % 60 == 0 && 24 % (m / 60) == 0 => Some(format!("0 */{} * * *", m / 60)),
        1440 => Some("0 0 * * *".into()),
        10_080 => Some("0 0 * * 0".into()),
        _ => None,
    }
}

/// A cron.d entry, for a period cron can keep exactly (`cron_schedule`); any other is a usage error saying which
/// it can, before anything is written.
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
    let Some(schedule) = cron_schedule(every) else {
        if timespan(every).is_none() {
            return Err(not_minutes(every));
        }
        return Err(crate::ui::errors::Usage {
            message: t!(
                "watch.cron_inexact",
                every = timespan(every).unwrap_or_default()
            )
            .into(),
            hint: Some(t!("watch.cron_inexact_hint").into()),
        }
        .into());
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
    let uid = crate::sys::host::Host::get().uid;
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

/// The shortest period inside a mirror's stated quota (`1e-20/s` gives the longest period there is).
fn min_probe_period(m: &crate::catalogue::Mirror) -> Option<Duration> {
    m.min_probe_period()
}

/// A timer faster than a mirror's stated quota would get this machine rate-limited by the very probes meant to
/// keep it fast (Xuanyuan's 429 lasts hours): refused, naming the mirror.
fn check_quota(catalogue: &Catalogue, registry: &str, all: bool, every: Duration) -> Result<()> {
    let strictest = catalogue
        .selection(all, registry)
        .into_iter()
        .filter_map(|m| Some((m, min_probe_period(m)?)))
        .max_by_key(|(_, p)| *p);
    match strictest {
        Some((m, period)) if every < period => Err(crate::ui::errors::Hinted {
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
                    period.as_secs().div_ceil(60).saturating_mul(60)
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
                    Some(timer_unit(every.unwrap_or_default())?),
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
        target: crate::change::Subject::Watch,
        mirrors: vec![],
        labels: vec![],
        notes: vec![format!("  {}", command.join(" "))],
        changes,
        activation,
        verify,
        preflight: None,
    };
    if plan.changes.is_empty() {
        p.json(args.change.json)
            .say_line(t!("watch.nothing_installed"));
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
    fn cron_runs_exactly_the_period_or_the_period_is_refused() {
        let e = |s| cron_entry(&["/usr/bin/mirrorctl".into()], Duration::from_secs(s));
        let ok = |s| e(s).unwrap();
        assert!(ok(30 * 60).contains("\n*/30 * * * * root '/usr/bin/mirrorctl'"));
        assert!(ok(60).contains("\n* * * * * root"));
        assert!(ok(3600).contains("\n0 * * * * root"));
        assert!(ok(6 * 3600).contains("\n0 */6 * * * root"));
        assert!(ok(86400).contains("\n0 0 * * * root"));
        assert!(ok(7 * 86400).contains("\n0 0 * * 0 root"));
        // `*/7` runs at :49, :56 and again at :00; `*/2` days at the 31st and the 1st; 90min as hourly.
        for uneven in [7 * 60, 45 * 60, 90 * 60, 5 * 3600, 2 * 86400, 30 * 86400] {
            let err = e(uneven).unwrap_err();
            assert!(err.is::<crate::ui::errors::Usage>(), "{uneven}: {err}");
            assert!(err.to_string().contains("exactly"), "{uneven}: {err}");
        }
        let below = cron_entry(&[], Duration::from_secs(61)).unwrap_err();
        assert!(below.to_string().contains("whole minute"), "{below}");
    }

    #[test]
    fn the_timer_spreads_a_fleet_over_a_tenth_of_the_period() {
        let t = timer_unit(Duration::from_secs(6 * 3600)).unwrap();
        assert!(t.contains("OnUnitActiveSec=6h\n"), "{t}");
        assert!(t.contains("RandomizedDelaySec=2160\n"), "{t}");
        assert!(t.contains("WantedBy=timers.target"), "{t}");
    }

    /// humantime writes `1m 1ns` and `2days`; systemd reads minutes as `min`, and never nanoseconds.
    #[test]
    fn the_timer_period_is_written_in_whole_minutes_as_systemd_reads_them() {
        let span = |s| timespan(Duration::from_secs(s));
        assert_eq!(span(60).as_deref(), Some("1min"));
        assert_eq!(span(90 * 60).as_deref(), Some("1h 30min"));
        assert_eq!(span(2 * 86400 + 60).as_deref(), Some("2d 1min"));
        assert_eq!(span(30 * 86400).as_deref(), Some("30d"));
        assert_eq!(span(61), None);
        assert_eq!(timespan(Duration::new(60, 1)), None);
        let err = timer_unit(Duration::new(60, 1)).unwrap_err();
        assert!(err.is::<crate::ui::errors::Usage>(), "{err}");
        let t = timer_unit(Duration::from_secs(90 * 60)).unwrap();
        assert!(t.contains("OnUnitActiveSec=1h 30min\n"), "{t}");
    }

    #[test]
    fn a_quota_too_small_for_a_duration_refuses_the_timer_without_a_panic() {
        let mut c = crate::catalogue::Catalogue::builtin();
        c.mirrors.truncate(1);
        let m = &mut c.mirrors[0];
        m.name = "tiny".into();
        m.rate_limit = Some("36/h".into());
        let per_probe = u64::from(crate::catalogue::REQUESTS_PER_PROBE);
        assert_eq!(
            min_probe_period(m),
            Some(Duration::from_secs(per_probe * 100))
        );
        // 6 requests at 1e-20 a second: 6e20 s, more than a Duration holds.
        m.rate_limit = Some("1e-20/s".into());
        assert_eq!(min_probe_period(m), Some(Duration::MAX));
        let registry = m.registry.clone();
        let err = check_quota(&c, &registry, true, Duration::from_secs(86400)).unwrap_err();
        assert!(err.to_string().contains("tiny"), "{err}");
    }
}
