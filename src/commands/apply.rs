//! `apply` and `restore`: choose the mirrors, turn them into one `Plan` per runtime, show the plans, confirm, and
//! run each through the change engine (see `change/`).

use rust_i18n::t;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};

use crate::catalogue::Catalogue;
use crate::change::{run, Activation, FileChange, Outcome, Plan, Verify};
use crate::cli::TargetKind;
use crate::probe::Report;
use crate::settings::{Apply, MakeLive, Mirrors, Probe, Restore};
use crate::sys::engine::Engine;
use crate::sys::files;
use crate::sys::service::Service;
use crate::targets::docker;
use crate::targets::docker::parse_or_explain;
use crate::targets::{containerd, containers};
use crate::ui::errors::{Hinted, NoMirrorPassed};
use crate::ui::output::Printer;

/// How long a cached probe stays good enough to apply from.
const FRESH: Duration = Duration::from_secs(10 * 60);

pub async fn apply(s: &Apply, p: Printer) -> Result<Outcome> {
    let registry = &s.registry;
    // Read and check every file before probing: a broken file is the user's to fix first.
    let docker_before = if s.targets.contains(&TargetKind::Docker) && registry == "docker.io" {
        let path = &s.change.daemon_json;
        let bytes = files::read(path)?;
        if let Some(b) = bytes.as_ref().filter(|b| !b.trim_ascii().is_empty()) {
            parse_or_explain(path, b)?;
        }
        Some(bytes)
    } else {
        None
    };
    let mirrors = choose_mirrors(s, p).await?;
    let mut plans = Vec::new();
    for kind in &s.targets {
        match kind {
            TargetKind::Docker => {
                if let Some(before) = &docker_before {
                    plans.push(crate::targets::docker::plan::mirrors_plan(
                        &s.change,
                        s.change.daemon_json.clone(),
                        before.clone(),
                        &mirrors,
                    )?);
                } else {
                    p.info_line(t!("apply.skip_docker"));
                }
            }
            TargetKind::Containerd => plans.push(containerd_plan(s, &mirrors).await?),
            TargetKind::Containers => plans.push(containers_plan(s, &mirrors)?),
            TargetKind::K3s => plans.push(k3s_plan(s, &mirrors)?),
            TargetKind::Auto => unreachable!("expanded when the flags were lowered"),
        }
    }
    run(plans, &s.change, p).await
}

/// k3s reads registries.yaml only when it starts: the file edited in place (every other line kept), then a
/// restart of k3s (server) or k3s-agent, which must come back active.
fn k3s_plan(args: &Apply, mirrors: &[String]) -> Result<Plan> {
    let path = files::resolve(&args.places.k3s_config);
    let before = files::read(&path)?;
    let text = match &before {
        Some(b) => {
            std::str::from_utf8(b).with_context(|| t!("apply.not_utf8", path = path.display()))?
        }
        None => "",
    };
    let endpoints: Vec<serde_json::Value> = mirrors
        .iter()
        .map(|m| serde_json::Value::String(m.trim_end_matches('/').to_owned()))
        .collect();
    let key = ["mirrors", args.registry.as_str(), "endpoint"];
    let value = serde_json::Value::Array(endpoints);
    let after = crate::targets::yaml::set(text, &key, &value)
        .with_context(|| t!("apply.cannot_use", path = path.display()))?;
    // registries.yaml is also the admin's (credentials, other registries): an edit made meanwhile is merged.
    let change =
        FileChange::new(path, before, after).rebased(crate::targets::yaml::rebase(&key, value));
    let svc = Service::detect(args.change.init, false)?.unit(&args.places.k3s_unit());
    let (activation, verify) = if args.change.live == MakeLive::Manual {
        (
            Activation::Manual(t!("apply.manual", how = svc.describe_restart(false)).into()),
            Verify::Nothing,
        )
    } else {
        (Activation::Restart(svc), Verify::Active)
    };
    Ok(Plan {
        target: "k3s",
        notes: vec![],
        preflight: None,
        mirrors: mirrors.to_vec(),
        changes: vec![change],
        activation,
        verify,
    })
}

async fn containerd_plan(args: &Apply, mirrors: &[String]) -> Result<Plan> {
    let found = args.places.containerd.files(&args.registry)?;
    let hosts = found.hosts;
    let hosts_before = files::read(&hosts)?;
    let mut changes = vec![FileChange::new(
        hosts,
        hosts_before,
        containerd::hosts_toml(&args.registry, mirrors),
    )];
    let (activation, verify) = match found.check.after {
        Some(after) => {
            changes.push(FileChange::new(found.config, found.config_before, after));
            let svc = Service::detect(args.change.init, false)?.unit("containerd");
            if args.change.live == MakeLive::Manual {
                (
                    Activation::Manual(
                        t!("apply.config_path_added", how = svc.describe_restart(false)).into(),
                    ),
                    Verify::Nothing,
                )
            } else {
                (Activation::Restart(svc), Verify::Active)
            }
        }
        None => (
            Activation::Automatic(t!("apply.containerd_no_restart").into()),
            Verify::Nothing,
        ),
    };
    Ok(Plan {
        target: "containerd",
        notes: vec![],
        preflight: None,
        mirrors: mirrors.to_vec(),
        changes,
        activation,
        verify,
    })
}

fn containers_plan(args: &Apply, mirrors: &[String]) -> Result<Plan> {
    let dir = args.places.containers_dir();
    let path = dir.join(containers::DROPIN);
    let before = files::read(&path)?;
    Ok(Plan {
        target: "containers",
        notes: vec![],
        preflight: None,
        mirrors: mirrors.to_vec(),
        changes: vec![FileChange::new(
            path,
            before,
            containers::dropin(&args.registry, mirrors),
        )],
        activation: Activation::Automatic(t!("apply.containers_next_run").into()),
        verify: Verify::Nothing,
    })
}

/// `None`: `--list` printed the backups.
pub async fn restore(args: &Restore, p: Printer) -> Result<Option<Outcome>> {
    let (path, valid): (PathBuf, fn(&[u8]) -> bool) = match args.kind {
        TargetKind::Docker => (args.change.daemon_json.clone(), |b| {
            docker::parse(b).is_ok()
        }),
        TargetKind::Containerd => (args.places.containerd.files(&args.registry)?.hosts, |b| {
            std::str::from_utf8(b).is_ok_and(|t| t.parse::<toml_edit::DocumentMut>().is_ok())
        }),
        TargetKind::Containers => (args.places.containers_dir().join(containers::DROPIN), |b| {
            std::str::from_utf8(b).is_ok_and(|t| t.parse::<toml_edit::DocumentMut>().is_ok())
        }),
        TargetKind::K3s => (files::resolve(&args.places.k3s_config), |b| {
            std::str::from_utf8(b).is_ok_and(|t| crate::targets::yaml::parse(t).is_ok())
        }),
        TargetKind::Auto => unreachable!("refused when the flags were lowered"),
    };
    let Some(change) = crate::change::restore_change(
        &path,
        args.list,
        args.backup.as_deref(),
        valid,
        args.change.json,
        p,
    )?
    else {
        return Ok(None);
    };
    let plan = match args.kind {
        TargetKind::Docker => {
            let mirrors = match &change.after {
                Some(b) => docker::normalize_mirrors(&docker::mirrors_of(&docker::parse(b)?))?,
                None => vec![],
            };
            Plan {
                target: "docker",
                notes: vec![],
                preflight: Some(crate::targets::docker::plan::check_flags),
                activation: args.change.activation(&path, "docker")?,
                verify: Verify::DockerMirrors(Engine::from_env()?, mirrors.clone()),
                changes: vec![change],
                mirrors,
            }
        }
        TargetKind::K3s => {
            let manual = args.change.live == MakeLive::Manual;
            let svc = Service::detect(args.change.init, false)?.unit(&args.places.k3s_unit());
            Plan {
                target: "k3s",
                notes: vec![],
                preflight: None,
                activation: if manual {
                    Activation::Manual(t!("apply.manual", how = svc.describe_restart(false)).into())
                } else {
                    Activation::Restart(svc)
                },
                verify: if manual {
                    Verify::Nothing
                } else {
                    Verify::Active
                },
                changes: vec![change],
                mirrors: vec![],
            }
        }
        _ => Plan {
            target: if args.kind == TargetKind::Containerd {
                "containerd"
            } else {
                "containers"
            },
            notes: vec![],
            preflight: None,
            activation: Activation::Automatic(
                if args.kind == TargetKind::Containerd {
                    t!("apply.containerd_no_restart")
                } else {
                    t!("apply.containers_next_run")
                }
                .into(),
            ),
            verify: Verify::Nothing,
            changes: vec![change],
            mirrors: vec![],
        },
    };
    run(vec![plan], &args.change, p).await.map(Some)
}

/// The mirrors to write, in dockerd's form: `--mirror` ones as given, else the best of a recent or fresh probe.
async fn choose_mirrors(s: &Apply, p: Printer) -> Result<Vec<String>> {
    let (catalogue, probe) = match &s.mirrors {
        Mirrors::Unprobed(urls) => {
            p.info_line(t!("apply.given_unprobed"));
            return Ok(urls.clone());
        }
        Mirrors::Given(urls, probe) => return probe_given(probe, urls, p).await,
        Mirrors::Best(catalogue, probe) => (catalogue, probe),
    };
    let fingerprint =
        crate::catalogue::fingerprint(catalogue.selection(probe.all, &probe.registry));
    let image = probe.run.image.to_string();
    let report = match crate::history::last_probe::load().filter(|r| {
        r.fingerprint == fingerprint
            && r.image == image
            && r.registry == probe.registry
            && r.expect_digest == probe.expect_digest
    }) {
        Some(r) if age(&r).is_some_and(|a| a < FRESH) => {
            let ago = humantime::format_duration(Duration::from_secs(
                age(&r).unwrap_or_default().as_secs(),
            ));
            p.info_line(t!("apply.cached_probe", age = ago, count = r.results.len()));
            r
        }
        _ => {
            p.info_line(t!("apply.probing_now"));
            let r = crate::commands::probe::probe(probe, catalogue, "apply", p).await?;
            p.info_table(&crate::probe::render::probe_table(&r, p.stderr_screen()));
            r
        }
    };
    let best: Vec<String> = report.passed().take(s.top).map(|r| r.url.clone()).collect();
    if best.is_empty() {
        return Err(NoMirrorPassed.into());
    }
    Ok(best)
}

/// `--mirror` without `--no-probe`: every one must pass, or nothing is written.
async fn probe_given(probe: &Probe, given: &[String], p: Printer) -> Result<Vec<String>> {
    let mut only = Catalogue {
        updated: "command line".into(),
        mirrors: vec![],
    };
    for url in given {
        only.add_url(url, &probe.registry)?;
    }
    let report = crate::commands::probe::probe(probe, &only, "apply", p).await?;
    let failed: Vec<String> = report
        .results
        .iter()
        .filter(|r| !r.ok)
        // The reason may hold the mirror's text: one line each, whatever it sent.
        .map(|r| {
            format!(
                "{}: {}",
                crate::ui::output::outside(&r.url),
                crate::ui::output::outside(r.error.as_deref().unwrap_or(""))
            )
        })
        .collect();
    if !failed.is_empty() {
        return Err(Hinted {
            message: t!("apply.given_failed", list = failed.join("\n  ")).into(),
            hint: t!("apply.given_failed_hint").into(),
        }
        .into());
    }
    p.info_line(t!("apply.given_passed", count = given.len()));
    Ok(given.to_vec())
}

fn age(r: &Report) -> Option<Duration> {
    let t = humantime::parse_rfc3339(&r.probed_at).ok()?;
    SystemTime::now().duration_since(t).ok()
}
