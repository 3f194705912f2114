//! `watch`: what it keeps, how often, and the command line its timer runs.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;

use super::{absolute, probe, usage, Change, Probe};
use crate::catalogue::Catalogue;
use crate::cli;
use crate::sys::service::InitChoice;
use crate::ui::output::Printer;
use clap::ValueEnum;

/// What watch keeps alive.
pub enum Keep {
    /// dockerd's registry-mirrors in the change's daemon.json.
    Docker,
    /// containerd's hosts.toml for the probed registry.
    Containerd(crate::targets::runtimes::ContainerdPlaces),
    /// The pull-through cache's one upstream.
    Cache { config: PathBuf, unit: String },
}

pub enum WatchMode {
    /// One cycle.
    Once { probe: Probe, catalogue: Catalogue },
    /// A timer every `every`. Its runs' settings are lowered now: a timer that would fail each time is refused.
    Install {
        every: Duration,
        probe: Probe,
        catalogue: Catalogue,
    },
    /// Reads neither: a broken catalogue must not keep a timer in place.
    Uninstall,
}

pub struct Watch {
    pub mode: WatchMode,
    pub keep: Keep,
    pub top: usize,
    pub fail_after: u16,
    /// As a fraction (30 % → 0.3).
    pub margin: f64,
    pub allow_restart: bool,
    /// A reload by default; `init` also says where a timer goes.
    pub change: Change,
    pub systemd_dir: Option<PathBuf>,
    pub cron_dir: Option<PathBuf>,
    /// The arguments after `mirrorctl` that the timer runs: `watch --once` with every setting given here.
    pub replay: Vec<String>,
    /// `--metrics-textfile`: refreshed after each cycle.
    pub metrics_textfile: Option<PathBuf>,
}

pub(super) fn watch(mut a: cli::WatchArgs, p: Printer) -> Result<Watch> {
    a.init = timer_init(&a)?;
    if a.opts.registry != "docker.io" && !a.cache && a.kind == cli::WatchTarget::Docker {
        return Err(super::docker_only_hub(&a.opts.registry));
    }
    // A reload applies registry-mirrors without stopping a container.
    let change = Change::lower(&cli::Target {
        config: a.config.clone(),
        reload: true,
        ..cli::Target::change(a.dry_run, a.yes, a.init, a.json)
    });
    let probe = || usage(Probe::lower(&a.opts, &change.daemon_json));
    let catalogue = || probe::catalogue(&a.opts.source, &a.opts.registry, p);
    let mode = if a.uninstall {
        WatchMode::Uninstall
    } else if a.install {
        WatchMode::Install {
            every: a.every,
            probe: probe()?,
            catalogue: catalogue()?,
        }
    } else {
        WatchMode::Once {
            probe: probe()?,
            catalogue: catalogue()?,
        }
    };
    Ok(Watch {
        mode,
        keep: match (a.cache, a.kind) {
            (true, _) => Keep::Cache {
                config: crate::sys::files::resolve(&a.registry_config),
                unit: a.registry_unit.clone(),
            },
            (_, cli::WatchTarget::Containerd) => Keep::Containerd(a.containerd.clone()),
            (_, cli::WatchTarget::Docker) => Keep::Docker,
        },
        top: if a.cache { 1 } else { a.top.into() }, // distribution has one upstream
        fail_after: a.fail_after,
        margin: a.margin / 100.0,
        allow_restart: a.allow_restart,
        replay: replay(&a)?,
        systemd_dir: a.systemd_dir,
        cron_dir: a.cron_dir,
        metrics_textfile: a.metrics_textfile,
        change,
    })
}

/// `--systemd-dir` says the timer is systemd's: with no `--init` it means `--init systemd` (detection would
/// otherwise plan a cron entry where systemd is not running, and the directory given would be ignored silently);
/// with another `--init` it contradicts it, and so does `--cron-dir` beside it.
fn timer_init(a: &cli::WatchArgs) -> Result<InitChoice> {
    let Some(dir) = &a.systemd_dir else {
        return Ok(a.init);
    };
    let clash = match (a.init, &a.cron_dir) {
        (_, Some(_)) => Some("--cron-dir".to_owned()),
        (InitChoice::Auto | InitChoice::Systemd, None) => None,
        (other, None) => other
            .to_possible_value()
            .map(|v| format!("--init {}", v.get_name())),
    };
    match clash {
        None => Ok(InitChoice::Systemd),
        Some(other) => Err(crate::ui::errors::Usage::new(rust_i18n::t!(
            "watch.systemd_dir_clash",
            dir = dir.display(),
            other = other
        ))
        .into()),
    }
}

/// The `watch --once` arguments the timer runs: every setting given here, paths made absolute (a timer runs from
/// `/`), and the state directory this run uses (the history the timer's runs must share). Each value is joined to
/// its flag (`--margin=0`, `--registry-unit=…`): on its own a value that starts with `-` would be read back as a
/// flag, and the timer would fail at every run.
fn replay(a: &cli::WatchArgs) -> Result<Vec<String>> {
    let o = &a.opts;
    let mut v: Vec<String> = ["watch", "--once", "--yes"].map(String::from).to_vec();
    let mut flag = |name: &str, value: String| v.push(format!("--{name}={value}"));
    flag("top", a.top.to_string());
    flag("fail-after", a.fail_after.to_string());
    flag("margin", a.margin.to_string());
    if let Some(init) = a
        .init
        .to_possible_value()
        .filter(|_| a.init != InitChoice::Auto)
    {
        flag("init", init.get_name().to_owned());
    }
    if let Some(c) = &a.config {
        flag("config", absolute(c)?);
    }
    if a.cache {
        flag("registry-config", absolute(&a.registry_config)?);
        flag("registry-unit", a.registry_unit.clone());
    } else if a.kind == cli::WatchTarget::Containerd {
        flag("target", "containerd".into());
        flag(
            "containerd-config",
            absolute(&a.containerd.containerd_config)?,
        );
        flag(
            "containerd-hosts-dir",
            absolute(&a.containerd.containerd_hosts_dir)?,
        );
    }
    if let Some(d) = &a.metrics_textfile {
        // As for the state directory: a directory root's timer must not write into is refused now.
        crate::sys::textfile::check(d)?;
        flag("metrics-textfile", absolute(d)?);
    }
    if let Some(c) = &o.source.catalogue {
        flag("catalogue", absolute(c)?);
    }
    for m in &o.source.mirrors {
        flag("mirror", m.clone());
    }
    if o.registry != "docker.io" {
        flag("registry", o.registry.clone());
    }
    if let Some(i) = &o.image {
        flag("image", i.clone());
    }
    if let Some(pl) = &o.platform {
        flag("platform", pl.clone());
    }
    flag("timeout", o.timeout.to_string());
    if let Some(j) = o.jobs {
        flag("jobs", j.to_string());
    }
    flag("blob-jobs", o.blob_jobs.to_string());
    flag("max-blob-mib", o.max_blob_mib.to_string());
    flag("certs-dir", absolute(&o.certs_dir)?);
    if let Some(d) = &o.expect_digest {
        flag("expect-digest", d.clone());
    }
    // Root's timer would act on this directory every run: one another user can change is refused now, at install.
    let state = crate::sys::state::state_dir();
    crate::sys::state::check(&state)?;
    flag("state-dir", absolute(&state)?);
    for (on, name) in [
        (a.allow_restart, "--allow-restart"),
        (a.cache, "--cache"),
        (o.source.all, "--all"),
        (o.no_daemon_proxy, "--no-daemon-proxy"),
    ] {
        if on {
            v.push(name.into());
        }
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use crate::cli::Command;
    use crate::sys::service::InitChoice;

    fn watch_args(args: &[&str]) -> crate::cli::WatchArgs {
        match super::super::parsed(args) {
            Command::Watch(a) => a,
            _ => unreachable!(),
        }
    }

    #[test]
    fn a_systemd_dir_means_a_systemd_timer() {
        let lower = |args: &[&str]| super::timer_init(&watch_args(args));
        let dir = ["watch", "--install", "--systemd-dir", "/tmp/u"];
        assert_eq!(lower(&dir).unwrap(), InitChoice::Systemd);
        assert_eq!(
            lower(&[&dir[..], &["--init", "systemd"]].concat()).unwrap(),
            InitChoice::Systemd
        );
        assert_eq!(lower(&["watch", "--install"]).unwrap(), InitChoice::Auto);
        for clash in [&["--init", "openrc"][..], &["--cron-dir", "/tmp/c"]] {
            let e = lower(&[&dir[..], clash].concat()).unwrap_err().to_string();
            assert!(e.contains("--systemd-dir") && e.contains(clash[0]), "{e}");
        }
    }

    /// The timer's `watch --once` is the watch the user set up: parsed back, every setting is the same, and its
    /// paths do not depend on the directory the timer runs from.
    #[test]
    fn the_timer_runs_the_watch_the_user_asked_for() {
        let prom = tempfile::tempdir().unwrap();
        let given = watch_args(&[
            "watch",
            "--install",
            "--every",
            "2h",
            "--config",
            "rel/daemon.json",
            "--registry",
            "ghcr.io",
            "--image",
            "a/b:1",
            "--timeout",
            "30",
            "--top",
            "2",
            "--fail-after",
            "4",
            "--margin",
            "50",
            "--cache",
            "--registry-config",
            "reg.yml",
            "--init",
            "systemd",
            "--all",
            "--no-daemon-proxy",
            "--catalogue",
            "m.toml",
            "--mirror",
            "https://m.example",
            "--platform",
            "linux/arm64",
            "--allow-restart",
            "--metrics-textfile",
            prom.path().to_str().unwrap(),
        ]);
        let replay = super::replay(&given).unwrap();
        let again = watch_args(&replay.iter().map(String::as_str).collect::<Vec<_>>());
        let cwd = std::env::current_dir().unwrap();
        assert!(again.once && again.yes && !again.install);
        assert_eq!(again.config, Some(cwd.join("rel/daemon.json")));
        assert_eq!(again.registry_config, cwd.join("reg.yml"));
        assert_eq!(again.metrics_textfile.as_deref(), Some(prom.path()));
        assert_eq!(again.opts.source.catalogue, Some(cwd.join("m.toml")));
        assert_eq!(again.opts.source.mirrors, ["https://m.example"]);
        assert_eq!(again.opts.registry, "ghcr.io");
        assert_eq!(again.opts.image.as_deref(), Some("a/b:1"));
        assert_eq!(again.opts.platform.as_deref(), Some("linux/arm64"));
        assert_eq!(again.opts.timeout, 30.0);
        assert_eq!((again.top, again.fail_after, again.margin), (2, 4, 50.0));
        assert_eq!(again.init, crate::sys::service::InitChoice::Systemd);
        assert!(
            again.cache
                && again.allow_restart
                && again.opts.source.all
                && again.opts.no_daemon_proxy
        );
        assert_eq!(replay[0], "watch");
        assert!(
            replay.iter().any(|w| w.starts_with("--state-dir=/")),
            "{replay:?}"
        );
        let given = watch_args(&[
            "watch",
            "--install",
            "--target",
            "containerd",
            "--containerd-config",
            "c.toml",
        ]);
        let replay = super::replay(&given).unwrap();
        let again = watch_args(&replay.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(again.kind, crate::cli::WatchTarget::Containerd);
        assert_eq!(again.containerd.containerd_config, cwd.join("c.toml"));
    }

    /// Every command line a timer could be installed with, hostile values included, goes through what the timer
    /// goes through: clap's parser and the lowering (the same validators). What either refuses is refused before
    /// anything is installed; what both accept is replayed as words that parse back, lower again, and replay the
    /// same — so no timer is installed whose every run fails.
    #[test]
    fn a_timer_replays_only_what_parses_back_and_lowers_the_same() {
        use clap::Parser as _;
        let parse = |args: &[String]| {
            crate::cli::Cli::try_parse_from(
                std::iter::once("mirrorctl".to_string()).chain(args.iter().cloned()),
            )
            .map(|c| c.command)
        };
        let lower = |c: Command| match c {
            Command::Watch(a) => super::watch(a, crate::ui::output::Printer::new(true, false)),
            _ => unreachable!("a watch command line"),
        };
        let digest = format!("--expect-digest=sha256:{}", "a".repeat(64));
        let accepted: Vec<Vec<&str>> = vec![
            vec!["--margin=-0"],
            vec!["--margin", "0.1"],
            vec!["--margin=1e3"],
            vec!["--margin=50%"],
            vec!["--every=1h 30min"],
            vec!["--timeout=1e-9"],
            vec!["--timeout=86400"],
            vec![
                "--top=65535",
                "--fail-after=100",
                "--jobs=10000",
                "--blob-jobs=1",
            ],
            vec!["--max-blob-mib=65536"],
            vec![&digest],
            vec!["--config=--yes"],
            vec!["--platform=-linux/amd64"],
            vec!["--platform=linux/arm64/v8"],
            vec![
                "--init=systemd",
                "--allow-restart",
                "--no-daemon-proxy",
                "--all",
            ],
            vec![
                "--cache",
                "--registry-unit=registry@main",
                "--registry-config=-x.yml",
            ],
            vec!["--cache", "--registry-unit=docker-registry.service"],
            vec![
                "--target=containerd",
                "--containerd-config=-c.toml",
                "--containerd-hosts-dir=--d",
            ],
            vec![
                "--target=containerd",
                "--registry=ghcr.io",
                "--image=ghcr.io/a/b:1",
            ],
            vec![
                "--mirror=https://a.example",
                "--mirror=https://b.example:5000/",
            ],
        ];
        for extra in &accepted {
            let given: Vec<String> = ["watch", "--install"]
                .iter()
                .chain(extra)
                .map(|s| s.to_string())
                .collect();
            let first = parse(&given).unwrap_or_else(|e| panic!("{extra:?}: {e}"));
            let w = lower(first).unwrap_or_else(|e| panic!("{extra:?}: {e:#}"));
            assert!(
                matches!(w.mode, super::WatchMode::Install { .. }),
                "{extra:?}"
            );
            // Every word is a flag, its value joined to it: none can be read as another flag.
            assert!(
                w.replay[1..].iter().all(|word| word.starts_with("--")),
                "{extra:?}: {:?}",
                w.replay
            );
            let again =
                parse(&w.replay).unwrap_or_else(|e| panic!("{extra:?}: {:?}: {e}", w.replay));
            let Command::Watch(ref a) = again else {
                unreachable!()
            };
            assert!(a.once && a.yes && !a.install, "{extra:?}");
            let lowered =
                lower(again).unwrap_or_else(|e| panic!("{extra:?}: {:?}: {e:#}", w.replay));
            assert!(
                matches!(lowered.mode, super::WatchMode::Once { .. }),
                "{extra:?}"
            );
            assert_eq!(lowered.replay, w.replay, "{extra:?}: the same settings");
            assert_eq!(
                (lowered.top, lowered.fail_after, lowered.margin.to_bits()),
                (w.top, w.fail_after, w.margin.to_bits()),
                "{extra:?}"
            );
            assert!(
                crate::commands::watch::install::service_unit(&w.replay, false).is_ok(),
                "{extra:?}"
            );
        }
        let w = lower(parse(&["watch".into(), "--install".into(), "--margin=-0".into()]).unwrap())
            .unwrap();
        assert!(
            w.replay.contains(&"--margin=0".to_string()),
            "{:?}",
            w.replay
        );
        assert!(w.margin.is_sign_positive());

        // Refused where the user typed them, with what was wrong.
        let refused: [(&[&str], &str); 11] = [
            (&["--config", "-rf"], "unexpected argument"),
            (
                &["--cache", "--registry-unit=--allow-restart"],
                "not a service name",
            ),
            (&["--cache", "--registry-unit=-x"], "not a service name"),
            (
                &["--cache", "--registry-unit=docker-registry.socket"],
                "not a service name",
            ),
            (&["--cache", "--registry-unit=a b"], "not a service name"),
            (&["--cache", "--registry-unit=@x"], "not a service name"),
            (&["--every=1min 1ns"], "below a whole minute"),
            (&["--every=90s"], "below a whole minute"),
            (&["--every=31d"], "from 1min to 30d"),
            (&["--margin=-1"], "percentage"),
            (&["--image=-x"], "--image"),
        ];
        for (extra, why) in refused {
            let given: Vec<String> = ["watch", "--install"]
                .iter()
                .chain(extra)
                .map(|s| s.to_string())
                .collect();
            let said = match parse(&given) {
                Err(e) => e.to_string(),
                Ok(c) => match lower(c) {
                    Err(e) => format!("{e:#}"),
                    Ok(w) => panic!("{extra:?} was accepted: {:?}", w.replay),
                },
            };
            assert!(said.contains(why), "{extra:?}: {said}");
        }
        let long = format!("--registry-unit={}", "a".repeat(248));
        assert!(parse(&["watch".into(), "--install".into(), "--cache".into(), long]).is_err());
        let longest = format!("--registry-unit={}", "a".repeat(247));
        assert!(parse(&[
            "watch".into(),
            "--install".into(),
            "--cache".into(),
            longest
        ])
        .is_ok());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

        /// The timer's command line, fuzzed: whatever values `watch --install` accepts, the line it replays parses
        /// back with the same parser, lowers with the same validators, and replays itself word for word.
        #[test]
        fn any_accepted_install_replays_a_line_that_parses_back_the_same(
            // Mostly values a user would type, with the hostile corners: `-0`, exponents, a leading `-` or an `=`
            // inside a path, `@instance` units, ports at the edge.
            margin in "-0|[0-9]{1,2}(\\.[0-9])?|1e[0-2]",
            top in "[1-9]|[1-9][0-9]",
            every in "[1-9][0-9]?(min|h)|[1-9]h [1-5][0-9]min|1d|7d",
            unit in "[a-z][a-z0-9._-]{0,8}(@[a-z0-9]{1,4})?",
            path in "[-/][a-z./=-]{0,10}",
            mirror in "https?://[a-z]{1,8}(\\.example)?(:[1-9][0-9]{0,4})?/?",
        ) {
            use clap::Parser as _;
            let given: Vec<String> = vec![
                "mirrorctl".into(), "watch".into(), "--install".into(),
                format!("--margin={margin}"), format!("--top={top}"), format!("--every={every}"),
                "--cache".into(), format!("--registry-unit={unit}"), format!("--registry-config={path}"),
                format!("--mirror={mirror}"),
            ];
            let Ok(cli) = crate::cli::Cli::try_parse_from(&given) else { return Ok(()) };
            let Command::Watch(a) = cli.command else { unreachable!() };
            let Ok(w) = super::watch(a, crate::ui::output::Printer::new(true, false)) else { return Ok(()) };
            let again = crate::cli::Cli::try_parse_from(
                std::iter::once("mirrorctl".to_string()).chain(w.replay.iter().cloned()),
            );
            proptest::prop_assert!(again.is_ok(), "{:?} replays {:?}: {:?}", given, w.replay, again.err());
            let Command::Watch(b) = again.unwrap().command else { unreachable!() };
            let lowered = super::watch(b, crate::ui::output::Printer::new(true, false));
            proptest::prop_assert!(lowered.is_ok(), "{:?}: {:?}", w.replay, lowered.err());
            proptest::prop_assert_eq!(&lowered.unwrap().replay, &w.replay);
        }
    }
}
