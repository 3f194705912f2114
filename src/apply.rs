//! `apply` and `restore`: a change to daemon.json as a transaction.
//! plan (a value: what would change and how) → diff → confirm → back up → write → restart → verify → done,
//! or, on any failure after the write (Ctrl-C included), put the old bytes back, restart, and say so.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{bail, Context, Result};
use tokio::signal::unix::{signal, SignalKind};

use crate::catalogue::Catalogue;
use crate::cli::{ApplyArgs, ProbeOptions, RestoreArgs, Target};
use crate::daemon_config::{self, files, Conflict};
use crate::engine::Engine;
use crate::output;
use crate::probe::{self, Report};
use crate::service::Service;

/// How long a cached probe stays good enough to apply from.
const FRESH: Duration = Duration::from_secs(10 * 60);
/// How long dockerd gets to answer after a restart.
const READY: Duration = Duration::from_secs(60);

/// `apply` found no mirror that passed its probe (exit code 3).
#[derive(Debug, thiserror::Error)]
#[error("no mirror passed the probe, so there is nothing to apply; daemon.json was not touched")]
pub struct NoMirrorPassed;

/// The change failed after the write and the old file is back (exit code 4).
#[derive(Debug, thiserror::Error)]
#[error("{what}; rolled back: {}", if *.restored { "the previous daemon.json is back and docker is running with it" } else { "the previous daemon.json is back, but docker did not come up again — see `journalctl -u docker -n 50`" })]
pub struct RolledBack {
    pub what: String,
    pub restored: bool,
}

/// A user-facing error with the next step to take.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Hinted {
    pub message: String,
    pub hint: String,
}

/// What will happen to dockerd once the file is written.
enum Activation {
    Restart(Service),
    Reload(Service),
    /// Only the file: the user restarts (or Docker Desktop does).
    Manual(String),
}

/// Everything the transaction will do, decided before anything is touched.
struct Plan {
    path: PathBuf,
    before: Option<Vec<u8>>,
    after: Vec<u8>,
    /// What `docker info` must list once the change is live.
    mirrors: Vec<String>,
    activation: Activation,
    engine: Engine,
}

pub async fn apply(args: &ApplyArgs) -> Result<()> {
    let (path, rootless) = files::locate(args.target.config.as_deref());
    let before = files::read(&path)?;
    // Parse first: a broken file is the user's to fix, and nothing else should run against it.
    let before_text = before
        .as_deref()
        .map(|b| parse_or_explain(&path, b))
        .transpose()?;
    let mirrors = choose_mirrors(&args.opts, args.top.into(), args.no_probe).await?;
    let after = daemon_config::set_mirrors(before_text, &mirrors)?;
    let plan = Plan {
        activation: activation(&args.target, &path, rootless)?,
        engine: Engine::from_env()?,
        path,
        before,
        after: after.into_bytes(),
        mirrors,
    };
    run(plan, &args.target).await
}

pub async fn restore(args: &RestoreArgs) -> Result<()> {
    let (path, rootless) = files::locate(args.target.config.as_deref());
    let Some(newest) = files::backups(&path).into_iter().next() else {
        return Err(Hinted {
            message: format!("no mirrorctl backup of {} was found", path.display()),
            hint: "backups are written beside the file as daemon.json.mirrorctl-<time>.bak by `mirrorctl apply`".into(),
        }
        .into());
    };
    let after =
        std::fs::read(&newest).with_context(|| format!("cannot read {}", newest.display()))?;
    let map = parse_or_explain(&newest, &after).map(|t| daemon_config::parse(t.as_bytes()))?;
    let mirrors = match map
        .ok()
        .and_then(|m| m.get(daemon_config::MIRRORS_KEY).cloned())
    {
        Some(serde_json::Value::Array(a)) => daemon_config::normalize_mirrors(
            &a.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>(),
        )?,
        _ => vec![],
    };
    output::stderr(&format!("restoring {}\n", newest.display()));
    let plan = Plan {
        activation: activation(&args.target, &path, rootless)?,
        engine: Engine::from_env()?,
        before: files::read(&path)?,
        path,
        after,
        mirrors,
    };
    run(plan, &args.target).await
}

fn activation(target: &Target, path: &Path, rootless: bool) -> Result<Activation> {
    if path.ends_with(".docker/daemon.json") && target.config.is_none() {
        return Ok(Activation::Manual(
            "restart Docker Desktop from its menu (Restart) to apply the change".into(),
        ));
    }
    if target.no_restart {
        let service = Service::detect(target.init, rootless).ok();
        let how = service.map_or("restart dockerd".into(), |s| s.describe_restart(false));
        return Ok(Activation::Manual(format!("apply it with: sudo {how}")));
    }
    let service = Service::detect(target.init, rootless)?;
    Ok(if target.reload {
        Activation::Reload(service)
    } else {
        Activation::Restart(service)
    })
}

fn parse_or_explain<'a>(path: &Path, bytes: &'a [u8]) -> Result<&'a str> {
    match daemon_config::parse(bytes) {
        Ok(_) => Ok(std::str::from_utf8(bytes).expect("parse checked UTF-8")),
        Err(e) => Err(Hinted {
            message: format!("{}: {e}; nothing was changed", path.display()),
            hint: e.hint().replace("FILE", &path.display().to_string()),
        }
        .into()),
    }
}

/// The mirrors to write, in dockerd's form: `--mirror` ones as given, else the best of a recent or fresh probe.
async fn choose_mirrors(opts: &ProbeOptions, top: usize, no_probe: bool) -> Result<Vec<String>> {
    if !opts.source.mirrors.is_empty() {
        let given = daemon_config::normalize_mirrors(&opts.source.mirrors)?;
        if no_probe {
            output::stderr("using the --mirror list as given (not probed)\n");
            return Ok(given);
        }
        let mut only = Catalogue {
            updated: "command line".into(),
            mirrors: vec![],
        };
        for url in &given {
            only.add_url(url)?;
        }
        let report = probe::command::probe(opts, &only).await?;
        let failed: Vec<String> = report
            .results
            .iter()
            .filter(|r| !r.ok)
            .map(|r| format!("{}: {}", r.url, r.error.as_deref().unwrap_or("")))
            .collect();
        if !failed.is_empty() {
            return Err(Hinted {
                message: format!(
                    "these mirrors failed a probe just now:\n  {}",
                    failed.join("\n  ")
                ),
                hint: "drop them, or pass --no-probe to write them anyway".into(),
            }
            .into());
        }
        output::stderr(&format!(
            "all {} --mirror addresses passed a probe just now\n",
            given.len()
        ));
        return Ok(given);
    }
    let catalogue = probe::command::load_catalogue(&opts.source)?;
    let fingerprint = crate::catalogue::fingerprint(catalogue.selection(opts.source.all));
    let image = crate::registry::ImageRef::parse(&opts.image)?.to_string();
    let report =
        match crate::cache::load().filter(|r| r.fingerprint == fingerprint && r.image == image) {
            Some(r) if age(&r).is_some_and(|a| a < FRESH) => {
                output::stderr(&format!(
                    "using the probe from {} ago ({} mirrors, same catalogue)\n",
                    humantime::format_duration(Duration::from_secs(
                        age(&r).unwrap_or_default().as_secs()
                    )),
                    r.results.len()
                ));
                r
            }
            _ => {
                output::stderr("no probe of this catalogue in the last 10 minutes; probing now\n");
                let r = probe::command::probe(opts, &catalogue).await?;
                output::stderr(&(crate::render::probe_table(&r, None) + "\n"));
                r
            }
        };
    let best: Vec<String> = report.passed().take(top).map(|r| r.url.clone()).collect();
    if best.is_empty() {
        return Err(NoMirrorPassed.into());
    }
    Ok(best)
}

fn age(r: &Report) -> Option<Duration> {
    let t = humantime::parse_rfc3339(&r.probed_at).ok()?;
    SystemTime::now().duration_since(t).ok()
}

async fn run(plan: Plan, target: &Target) -> Result<()> {
    output::stdout(&describe(&plan));
    if plan.before.as_deref() == Some(plan.after.as_slice()) {
        output::stdout(&format!(
            "{} already has these mirrors; nothing to write.\n",
            plan.path.display()
        ));
        return Ok(());
    }
    check_conflicts(&plan).await?;
    if target.dry_run {
        output::stdout("dry run: nothing was changed.\n");
        return Ok(());
    }
    confirm(target.yes)?;
    execute(&plan).await
}

fn describe(plan: &Plan) -> String {
    let mut s = format!(
        "config: {} ({})\nmirrors:\n",
        plan.path.display(),
        if plan.before.is_some() {
            "exists"
        } else {
            "will be created"
        }
    );
    for (i, m) in plan.mirrors.iter().enumerate() {
        s.push_str(&format!("  {}. {m}\n", i + 1));
    }
    s.push_str(&match &plan.activation {
        Activation::Restart(svc) => format!("then: back up, write atomically, {}, verify with docker info\n", svc.describe_restart(false)),
        Activation::Reload(svc) => format!("then: back up, write atomically, {} (containers keep running), verify with docker info\n", svc.describe_restart(true)),
        Activation::Manual(how) => format!("then: back up, write atomically; {how}\n"),
    });
    let before = plan
        .before
        .as_deref()
        .map(String::from_utf8_lossy)
        .unwrap_or_default();
    let after = String::from_utf8_lossy(&plan.after);
    let name = plan.path.display().to_string();
    let diff = similar::TextDiff::from_lines(before.as_ref(), after.as_ref());
    s.push_str(
        &diff
            .unified_diff()
            .context_radius(2)
            .header(&name, &name)
            .to_string(),
    );
    s
}

/// Refuses when a key of the new file is also a dockerd flag: dockerd would not start.
async fn check_conflicts(plan: &Plan) -> Result<()> {
    let service = match &plan.activation {
        Activation::Restart(s) | Activation::Reload(s) => Some(s),
        Activation::Manual(_) => None,
    };
    let sources = crate::dockerd_flags::sources(service).await;
    let map = daemon_config::parse(&plan.after)
        .context("the new file does not parse (a bug: nothing was written)")?;
    let conflicts: Vec<Conflict> =
        daemon_config::find_conflicts(map.keys().map(String::as_str), &sources);
    if conflicts.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = conflicts.iter().map(|c| c.to_string()).collect();
    Err(Hinted {
        message: format!(
            "dockerd would refuse to start (\"specified both as a flag and in the configuration file\"):\n  {}\nnothing was changed",
            list.join("\n  ")
        ),
        hint: "remove the flag (systemctl edit docker, or the options file named above) and run apply again".into(),
    }
    .into())
}

fn confirm(yes: bool) -> Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Hinted {
            message: "refusing to change daemon.json without confirmation: not on a terminal"
                .into(),
            hint: "pass --yes to apply, or --dry-run to only see the plan".into(),
        }
        .into());
    }
    output::stderr("Apply this change? [y/N] ");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        bail!("cancelled; nothing was changed")
    }
}

/// `dockerd --validate --config-file F` (Engine 23+) on the complete candidate, before it replaces anything.
fn validate_with_dockerd(candidate: &Path) -> Result<()> {
    match dockerd_validate(candidate) {
        Some(Err(e)) => bail!("dockerd --validate rejected the new file: {e}"),
        _ => Ok(()), // valid, or an older engine that cannot validate: our own checks stand alone
    }
}

/// `None` when the installed dockerd has no `--validate` (Engine < 23) or is not installed.
pub fn dockerd_validate(file: &Path) -> Option<Result<(), String>> {
    let help = std::process::Command::new("dockerd")
        .arg("--help")
        .output()
        .ok()?;
    if !String::from_utf8_lossy(&help.stdout).contains("--validate") {
        return None;
    }
    let out = std::process::Command::new("dockerd")
        .arg("--validate")
        .arg("--config-file")
        .arg(file)
        .output()
        .ok()?;
    Some(if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    })
}

/// The transaction. Before the write nothing needs undoing; after it, every failure path rolls back.
async fn execute(plan: &Plan) -> Result<()> {
    // Listen for Ctrl-C and SIGTERM before touching anything, so an interrupt can never leave a half-applied change.
    let mut int = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    if let (Activation::Restart(_), Ok(info)) = (&plan.activation, plan.engine.info().await) {
        if info.containers_running > 0 && !info.live_restore_enabled {
            output::stderr(&format!(
                "note: restarting docker stops {} running container(s); `--reload` applies mirrors without stopping them\n",
                info.containers_running
            ));
        }
    }
    if let Some(old) = &plan.before {
        let b = files::backup(&plan.path, old)?;
        output::stderr(&format!("backed up to {}\n", b.display()));
    }
    files::write_atomic(&plan.path, &plan.after, validate_with_dockerd)?;
    output::stderr(&format!("wrote {}\n", plan.path.display()));

    let outcome = tokio::select! {
        r = activate(plan) => r,
        _ = int.recv() => Err(anyhow::anyhow!("interrupted")),
        _ = term.recv() => Err(anyhow::anyhow!("terminated")),
    };
    let Err(why) = outcome else { return Ok(()) };
    output::stderr(&format!("{why:#}\nrolling back…\n"));
    let restored = roll_back(plan).await;
    if let Err(e) = &restored {
        output::stderr(&format!("rollback trouble: {e:#}\n"));
    }
    Err(RolledBack {
        what: format!("{why:#}"),
        restored: restored.is_ok(),
    }
    .into())
}

async fn activate(plan: &Plan) -> Result<()> {
    match &plan.activation {
        Activation::Manual(how) => {
            output::stdout(&format!("written; {how}\n"));
            return Ok(());
        }
        Activation::Restart(svc) => {
            output::stderr(&format!("restarting: {}\n", svc.describe_restart(false)));
            svc.restart()
                .await
                .context("docker did not restart with the new file")?;
        }
        Activation::Reload(svc) => {
            output::stderr(&format!("reloading: {}\n", svc.describe_restart(true)));
            svc.reload()
                .await
                .context("docker did not reload the new file")?;
        }
    }
    plan.engine.wait_ready(READY).await?;
    let live = plan.engine.info().await?.registry_config.mirrors;
    if live != plan.mirrors {
        bail!(
            "docker is running but `docker info` lists {:?} instead of {:?} (a failed reload keeps the old mirrors)",
            live,
            plan.mirrors
        );
    }
    output::stdout(&format!(
        "verified: docker info lists {} mirror(s):\n",
        live.len()
    ));
    for m in &live {
        output::stdout(&format!("  {m}\n"));
    }
    Ok(())
}

/// Puts the old bytes back (or removes a file we created), then brings docker back on them.
async fn roll_back(plan: &Plan) -> Result<()> {
    match &plan.before {
        Some(old) => files::write_atomic(&plan.path, old, |_| Ok(()))?,
        None => std::fs::remove_file(&plan.path).or_else(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Ok(())
            } else {
                Err(e)
            }
        })?,
    }
    output::stderr(&format!("restored {}\n", plan.path.display()));
    match &plan.activation {
        Activation::Restart(svc) => svc.recover().await?,
        Activation::Reload(svc) => svc.reload().await?,
        Activation::Manual(_) => return Ok(()),
    }
    plan.engine.wait_ready(READY).await
}
