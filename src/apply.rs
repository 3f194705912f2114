//! `apply` and `restore`: choose the mirrors, turn them into one `Plan` per runtime, show the plans, confirm, and
//! run each through the change engine (see `change/`).

use rust_i18n::t;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{bail, Context, Result};

use crate::catalogue::Catalogue;
use crate::change::{run, Activation, FileChange, Outcome, Plan, Verify};
use crate::cli::{ApplyArgs, ProbeOptions, RestoreArgs, Target, TargetKind};
use crate::daemon_config::parse_or_explain;
use crate::daemon_config::{self, files};
use crate::engine::Engine;
use crate::errors::{Hinted, NoMirrorPassed};
use crate::output::Printer;
use crate::probe::{self, Report};
use crate::service::Service;
use crate::targets::{containerd, containers};

/// How long a cached probe stays good enough to apply from.
const FRESH: Duration = Duration::from_secs(10 * 60);

pub async fn apply(args: &ApplyArgs, p: Printer) -> Result<Outcome> {
    let kinds = targets(args.kind);
    if args.opts.registry != "docker.io"
        && kinds.contains(&TargetKind::Docker)
        && args.kind == TargetKind::Docker
    {
        return Err(Hinted {
            message: t!("apply.docker_only_hub", registry = args.opts.registry).into(),
            hint: t!("apply.docker_only_hub_hint").into(),
        }
        .into());
    }
    // Read and check every file before probing: a broken file is the user's to fix first.
    let docker_before = if kinds.contains(&TargetKind::Docker) && args.opts.registry == "docker.io"
    {
        let path = files::locate(args.target.config.as_deref());
        let bytes = files::read(&path)?;
        if let Some(b) = bytes.as_ref().filter(|b| !b.trim_ascii().is_empty()) {
            parse_or_explain(&path, b)?;
        }
        Some((path, bytes))
    } else {
        None
    };
    // The probe follows the proxy of the daemon.json being edited, as dockerd will.
    let opts = ProbeOptions {
        daemon_config: args.target.config.clone(),
        ..args.opts.clone()
    };
    let mirrors = choose_mirrors(&opts, args.top.into(), args.no_probe, p).await?;
    let mut plans = Vec::new();
    for kind in kinds {
        match kind {
            TargetKind::Docker => {
                if let Some((path, before)) = &docker_before {
                    plans.push(docker_plan(
                        &args.target,
                        path.clone(),
                        before.clone(),
                        &mirrors,
                    )?);
                } else {
                    p.info(&format!("{}\n", t!("apply.skip_docker")));
                }
            }
            TargetKind::Containerd => plans.push(containerd_plan(args, &mirrors).await?),
            TargetKind::Containers => plans.push(containers_plan(args, &mirrors)?),
            TargetKind::K3s => plans.push(k3s_plan(args, &mirrors)?),
            TargetKind::Auto => unreachable!("expanded by targets()"),
        }
    }
    run(plans, &args.target, p).await
}

/// `--target auto`: every runtime whose binary is installed.
fn targets(kind: TargetKind) -> Vec<TargetKind> {
    if kind != TargetKind::Auto {
        return vec![kind];
    }
    let has = |b: &str| {
        std::env::var_os("PATH").is_some_and(|p| {
            std::env::split_paths(&p)
                .chain([PathBuf::from("/usr/sbin")])
                .any(|d| d.join(b).is_file())
        })
    };
    let mut v = Vec::new();
    if has("dockerd") {
        v.push(TargetKind::Docker);
    }
    if has("containerd") {
        v.push(TargetKind::Containerd);
    }
    if ["podman", "crio", "skopeo", "buildah"]
        .iter()
        .any(|b| has(b))
    {
        v.push(TargetKind::Containers);
    }
    if has("k3s") {
        v.push(TargetKind::K3s);
    }
    v
}

/// k3s reads registries.yaml only when it starts: the file edited in place (every other line kept), then a
/// restart of k3s (server) or k3s-agent, which must come back active.
fn k3s_plan(args: &ApplyArgs, mirrors: &[String]) -> Result<Plan> {
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
    let after = crate::targets::yaml::set(
        text,
        &["mirrors", &args.opts.registry, "endpoint"],
        &serde_json::Value::Array(endpoints),
    )
    .with_context(|| t!("apply.cannot_use", path = path.display()))?;
    let svc = Service::detect(args.target.init, false)?.unit(&args.places.k3s_unit());
    let (activation, verify) = if args.target.no_restart {
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
        daemon_json: false,
        mirrors: mirrors.to_vec(),
        changes: vec![FileChange::new(path, before, after)],
        activation,
        verify,
    })
}

pub(crate) fn docker_plan(
    target: &Target,
    path: PathBuf,
    before: Option<Vec<u8>>,
    mirrors: &[String],
) -> Result<Plan> {
    let before_text = before
        .as_deref()
        .map(|b| std::str::from_utf8(b).expect("parsed as UTF-8 above"));
    let after = daemon_config::set_mirrors(before_text, mirrors)?;
    refuse_what_dockerd_would(&path, before.as_deref(), after.as_bytes())?;
    let mut change = FileChange::new(path.clone(), before, after)
        .merged(daemon_config::MIRRORS_KEY, Some(serde_json::json!(mirrors)));
    change.check = crate::dockerd::refuse_invalid;
    Ok(Plan {
        target: "docker",
        mirrors: mirrors.to_vec(),
        notes: vec![],
        daemon_json: true,
        changes: vec![change],
        activation: crate::change::activation(target, &path, "docker")?,
        verify: Verify::DockerMirrors(Engine::from_env()?, mirrors.to_vec()),
    })
}

/// The installed dockerd would still refuse the file for a reason apply does not fix (it fixes only the mirrors):
/// stop before writing and say where, in the user's own file.
fn refuse_what_dockerd_would(path: &Path, before: Option<&[u8]>, after: &[u8]) -> Result<()> {
    let host = crate::host::Host::get();
    let (Some(text), Some(engine)) = (&host.dockerd, host.dockerd_version()) else {
        return Ok(()); // no dockerd here: nothing to predict for
    };
    let predicted = crate::dockerd::predict(after, engine);
    let Some(first) = predicted.refusals.first() else {
        return Ok(());
    };
    // Located in the file as the user wrote it: every line but the mirrors is theirs, byte for byte.
    let located = before
        .map(|b| crate::dockerd::predict(b, engine).refusals)
        .and_then(|r| {
            r.into_iter()
                .find(|r| r.key == first.key && r.key.is_some())
        })
        .unwrap_or_else(|| first.clone());
    Err(Hinted {
        message: t!(
            "apply.dockerd_would_refuse",
            engine = text,
            path = path.display(),
            reason = located
        )
        .into(),
        hint: t!("apply.dockerd_would_refuse_hint", path = path.display()).into(),
    }
    .into())
}

async fn containerd_plan(args: &ApplyArgs, mirrors: &[String]) -> Result<Plan> {
    let config_path = files::resolve(&args.places.containerd_config);
    let config_before = files::read(&config_path)?;
    let text = match &config_before {
        Some(b) => Some(
            std::str::from_utf8(b)
                .with_context(|| t!("apply.not_utf8", path = config_path.display()))?,
        ),
        None => None,
    };
    let major = crate::host::Host::get().containerd_major(text);
    let ours = args.places.containerd_hosts_dir.display().to_string();
    let check = containerd::ensure_config_path(text, major, &ours)
        .with_context(|| t!("apply.cannot_use", path = config_path.display()))?;
    let hosts = containerd::hosts_file(&check.hosts_dir, &args.opts.registry)?;
    let hosts_before = files::read(&hosts)?;
    let mut changes = vec![FileChange::new(
        hosts,
        hosts_before,
        containerd::hosts_toml(&args.opts.registry, mirrors),
    )];
    let (activation, verify) = match check.after {
        Some(after) => {
            changes.push(FileChange::new(config_path, config_before, after));
            let svc = Service::detect(args.target.init, false)?.unit("containerd");
            if args.target.no_restart {
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
        daemon_json: false,
        mirrors: mirrors.to_vec(),
        changes,
        activation,
        verify,
    })
}

fn containers_plan(args: &ApplyArgs, mirrors: &[String]) -> Result<Plan> {
    let dir = args.places.containers_dir();
    let path = dir.join(containers::DROPIN);
    let before = files::read(&path)?;
    Ok(Plan {
        target: "containers",
        notes: vec![],
        daemon_json: false,
        mirrors: mirrors.to_vec(),
        changes: vec![FileChange::new(
            path,
            before,
            containers::dropin(&args.opts.registry, mirrors),
        )],
        activation: Activation::Automatic(t!("apply.containers_next_run").into()),
        verify: Verify::Nothing,
    })
}

/// `None`: `--list` printed the backups.
pub async fn restore(args: &RestoreArgs, p: Printer) -> Result<Option<Outcome>> {
    let (path, valid): (PathBuf, fn(&[u8]) -> bool) = match args.kind {
        TargetKind::Docker => (files::locate(args.target.config.as_deref()), |b| {
            daemon_config::parse(b).is_ok()
        }),
        TargetKind::Containerd => {
            let config = files::read(&args.places.containerd_config)?;
            let text = config.as_deref().map(String::from_utf8_lossy);
            let major = crate::host::Host::get().containerd_major(text.as_deref());
            let ours = args.places.containerd_hosts_dir.display().to_string();
            let check = containerd::ensure_config_path(text.as_deref(), major, &ours)?;
            (
                containerd::hosts_file(&check.hosts_dir, &args.registry)?,
                |b| {
                    std::str::from_utf8(b)
                        .is_ok_and(|t| t.parse::<toml_edit::DocumentMut>().is_ok())
                },
            )
        }
        TargetKind::Containers => (args.places.containers_dir().join(containers::DROPIN), |b| {
            std::str::from_utf8(b).is_ok_and(|t| t.parse::<toml_edit::DocumentMut>().is_ok())
        }),
        TargetKind::K3s => (files::resolve(&args.places.k3s_config), |b| {
            std::str::from_utf8(b).is_ok_and(|t| crate::targets::yaml::parse(t).is_ok())
        }),
        TargetKind::Auto => bail!("{}", t!("restore.one_target")),
    };
    let Some(change) = restore_change(
        &path,
        args.list,
        args.backup.as_deref(),
        valid,
        args.target.json,
        p,
    )?
    else {
        return Ok(None);
    };
    let plan = match args.kind {
        TargetKind::Docker => {
            let mirrors = match &change.after {
                Some(b) => daemon_config::normalize_mirrors(&daemon_config::mirrors_of(
                    &daemon_config::parse(b)?,
                ))?,
                None => vec![],
            };
            Plan {
                target: "docker",
                notes: vec![],
                daemon_json: true,
                activation: crate::change::activation(&args.target, &path, "docker")?,
                verify: Verify::DockerMirrors(Engine::from_env()?, mirrors.clone()),
                changes: vec![change],
                mirrors,
            }
        }
        TargetKind::K3s => {
            let svc = Service::detect(args.target.init, false)?.unit(&args.places.k3s_unit());
            Plan {
                target: "k3s",
                notes: vec![],
                daemon_json: false,
                activation: if args.target.no_restart {
                    Activation::Manual(t!("apply.manual", how = svc.describe_restart(false)).into())
                } else {
                    Activation::Restart(svc)
                },
                verify: if args.target.no_restart {
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
            daemon_json: false,
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
    run(vec![plan], &args.target, p).await.map(Some)
}

/// What every restore shares: `--list` prints the backups of `path` (and returns `None`); otherwise the chosen
/// backup becomes a change that puts it back, keeping the current file as a `pre-restore` copy.
pub(crate) fn restore_change(
    path: &Path,
    list: bool,
    backup: Option<&str>,
    valid: fn(&[u8]) -> bool,
    json: bool,
    p: Printer,
) -> Result<Option<FileChange>> {
    if list {
        let list = restore_list(path, valid);
        if json {
            p.stdout(&(serde_json::to_string_pretty(&list)? + "\n"));
        } else {
            p.stdout(&render_restore_list(path, &list));
        }
        return Ok(None);
    }
    let (chosen, after) = choose_backup(path, backup, valid, p)?;
    p.info(&format!(
        "{}\n",
        t!(
            "restore.restoring",
            path = path.display(),
            when = chosen.when(),
            backup = chosen.name()
        )
    ));
    let current = files::read(path)?;
    let mut change = match after {
        Some(bytes) => FileChange::new(path.to_owned(), current, bytes),
        None => FileChange::remove(path.to_owned(), current), // the change being undone created the file
    };
    change.keep = files::Kind::PreRestore;
    Ok(Some(change))
}

/// The backup to restore and its bytes (`None`: there was no file). By default the newest record of a change
/// that reads back as valid (a corrupt one is skipped with a warning); a `pre-restore` copy only when named.
fn choose_backup(
    path: &Path,
    wanted: Option<&str>,
    valid: fn(&[u8]) -> bool,
    p: Printer,
) -> Result<(files::Backup, Option<Vec<u8>>)> {
    let all = files::backups(path);
    if let Some(name) = wanted {
        let Some(b) = all.iter().find(|b| b.name() == name) else {
            return Err(Hinted {
                message: t!("restore.no_such_backup", name = name, path = path.display()).into(),
                hint: t!("restore.list_hint").into(),
            }
            .into());
        };
        let bytes = read_backup(b)?;
        if bytes.as_deref().is_some_and(|b| !valid(b)) {
            bail!("{}", t!("restore.corrupt_chosen", name = name));
        }
        return Ok((b.clone(), bytes));
    }
    for b in all.iter().filter(|b| b.kind != files::Kind::PreRestore) {
        let bytes = read_backup(b)?;
        if bytes.as_deref().is_some_and(|b| !valid(b)) {
            p.info(&format!(
                "{}\n",
                t!("restore.skipping_corrupt", name = b.name())
            ));
            continue;
        }
        return Ok((b.clone(), bytes));
    }
    Err(Hinted {
        message: t!("restore.no_backup", path = path.display()).into(),
        hint: t!("restore.no_backup_hint").into(),
    }
    .into())
}

fn read_backup(b: &files::Backup) -> Result<Option<Vec<u8>>> {
    if b.kind == files::Kind::Absent {
        return Ok(None);
    }
    files::read(&b.path)?
        .map(Some)
        .ok_or_else(|| anyhow::anyhow!("{}", t!("apply.cannot_read", path = b.path.display())))
}

#[derive(Debug, serde::Serialize)]
struct ListedBackup {
    name: String,
    kind: files::Kind,
    time: String,
    bytes: Option<u64>,
    valid: bool,
}

fn restore_list(path: &Path, valid: fn(&[u8]) -> bool) -> Vec<ListedBackup> {
    files::backups(path)
        .into_iter()
        .map(|b| {
            let bytes = read_backup(&b).ok().flatten();
            ListedBackup {
                name: b.name(),
                kind: b.kind,
                time: b.when(),
                bytes: bytes.as_ref().map(|v| v.len() as u64),
                valid: b.kind == files::Kind::Absent || bytes.as_deref().is_some_and(valid),
            }
        })
        .collect()
}

fn render_restore_list(path: &Path, list: &[ListedBackup]) -> String {
    if list.is_empty() {
        return format!("{}\n", t!("restore.no_backup", path = path.display()));
    }
    let mut s = format!("{}\n", t!("restore.list_head", path = path.display()));
    for b in list {
        let what = match (b.kind, b.valid) {
            (files::Kind::Absent, _) => t!("restore.kind_absent"),
            (files::Kind::PreRestore, _) => t!("restore.kind_pre_restore"),
            (files::Kind::Backup, true) => t!("restore.kind_backup"),
            (files::Kind::Backup, false) => t!("restore.kind_corrupt"),
        };
        s.push_str(&format!("  {}  {}  {what}\n", b.time, b.name));
    }
    s.push_str(&format!("{}\n", t!("restore.list_hint")));
    s
}

/// The mirrors to write, in dockerd's form: `--mirror` ones as given, else the best of a recent or fresh probe.
async fn choose_mirrors(
    opts: &ProbeOptions,
    top: usize,
    no_probe: bool,
    p: Printer,
) -> Result<Vec<String>> {
    if !opts.source.mirrors.is_empty() {
        let given = daemon_config::normalize_mirrors(&opts.source.mirrors)?;
        if no_probe {
            p.info(&format!("{}\n", t!("apply.given_unprobed")));
            return Ok(given);
        }
        let mut only = Catalogue {
            updated: "command line".into(),
            mirrors: vec![],
        };
        for url in &given {
            only.add_url(url, &opts.registry)?;
        }
        let report = probe::command::probe(opts, &only, "apply", p).await?;
        let failed: Vec<String> = report
            .results
            .iter()
            .filter(|r| !r.ok)
            .map(|r| format!("{}: {}", r.url, r.error.as_deref().unwrap_or("")))
            .collect();
        if !failed.is_empty() {
            return Err(Hinted {
                message: t!("apply.given_failed", list = failed.join("\n  ")).into(),
                hint: t!("apply.given_failed_hint").into(),
            }
            .into());
        }
        p.info(&format!(
            "{}\n",
            t!("apply.given_passed", count = given.len())
        ));
        return Ok(given);
    }
    let catalogue = probe::command::load_catalogue(&opts.source, &opts.registry, p)?;
    let fingerprint =
        crate::catalogue::fingerprint(catalogue.selection(opts.source.all, &opts.registry));
    let image = probe::command::image(opts)?.to_string();
    let report = match crate::last_probe::load().filter(|r| {
        r.fingerprint == fingerprint
            && r.image == image
            && r.registry == opts.registry
            && r.expect_digest == opts.expect_digest
    }) {
        Some(r) if age(&r).is_some_and(|a| a < FRESH) => {
            let ago = humantime::format_duration(Duration::from_secs(
                age(&r).unwrap_or_default().as_secs(),
            ));
            p.info(&format!(
                "{}\n",
                t!("apply.cached_probe", age = ago, count = r.results.len())
            ));
            r
        }
        _ => {
            p.info(&format!("{}\n", t!("apply.probing_now")));
            let r = probe::command::probe(opts, &catalogue, "apply", p).await?;
            p.info(&(crate::probe::render::probe_table(&r, None) + "\n"));
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
