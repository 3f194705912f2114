//! `apply` and `restore`: choose the mirrors, turn them into one `Plan` per runtime, show the plans, confirm, and
//! run each through the change engine (see `change/`).

use rust_i18n::t;
use std::time::{Duration, SystemTime};

use anyhow::Result;

use crate::catalogue::Catalogue;
use crate::change::{run, Outcome, Subject, Verify};
use crate::cli::TargetKind;
use crate::probe::Report;
use crate::settings::{Apply, Mirrors, Probe, Restore};
use crate::targets::target::{self as targets, Target};
use crate::ui::errors::{Hinted, NoMirrorPassed};
use crate::ui::output::Printer;

/// How long a cached probe stays good enough to apply from.
const FRESH: Duration = Duration::from_secs(10 * 60);

pub async fn apply(s: &Apply, p: Printer) -> Result<Outcome> {
    let mut targets = Vec::new();
    for kind in &s.targets {
        if *kind == TargetKind::Docker && s.registry != "docker.io" {
            match docker_other_registry(s).await? {
                Some(t) => targets.push(t),
                None => p.info_line(t!("apply.skip_docker")),
            }
            continue;
        }
        if *kind == TargetKind::Docker && docker_hub_overridden(&s.certs_dir, s.auto).await? {
            p.info_line(t!("apply.skip_docker_hosts_toml"));
            continue;
        }
        match target(*kind, s, true)? {
            Some(t) => targets.push(t),
            None => p.info_line(t!("apply.skip_docker")),
        }
    }
    // Read and check every file before probing: a broken file is the user's to fix first.
    let mut read = Vec::new();
    for t in &targets {
        read.push(t.read()?);
    }
    let (mirrors, report) = choose_mirrors(s, p).await?;
    let mut plans = Vec::new();
    for (t, now) in targets.iter().zip(read) {
        let mut plan = t.plan(now, &mirrors, &s.change)?;
        if let Some(r) = &report {
            plan.label_mirrors(|url| r.label(url));
        }
        plans.push(plan);
    }
    let Some(image) = &s.pull else {
        return run(plans, &s.change, p).await;
    };
    // The pull of a Docker Hub image proves dockerd's Docker Hub mirrors, nothing else.
    if s.registry != "docker.io" || !plans.iter().any(|p| p.target == Subject::Docker) {
        return Err(crate::ui::errors::Usage {
            message: t!("proof.needs_docker").into(),
            hint: None,
        }
        .into());
    }
    let (engine, slot) = pull_engine()?;
    let mut verified = false;
    for plan in plans.iter_mut().filter(|p| !p.is_noop()) {
        if let Verify::DockerMirrors(e, want) = &plan.verify {
            let (e, want) = (e.clone(), want.clone());
            let check = crate::commands::pull_proof::check(
                e.clone(),
                image.clone(),
                s.certs_dir.clone(),
                slot.clone(),
            );
            plan.verify = Verify::DockerMirrorsAndPull(e, want, check);
            verified = true;
        }
    }
    let mut outcome = run(plans, &s.change, p).await?;
    // Nothing changed for dockerd (its mirrors already said this): the pull proves the mirrors in place, and
    // there is nothing to roll back when it fails.
    if !verified && !s.change.dry_run {
        let proof =
            crate::commands::pull_proof::prove(&engine, image, &s.certs_dir, p.json(s.change.json))
                .await?;
        p.json(s.change.json)
            .say(&crate::dockerd::proof::render(&proof));
        if proof.failed_verification() {
            return Err(Hinted {
                message: t!("proof.in_place_failed", reason = proof.reason).into(),
                hint: t!("proof.in_place_hint").into(),
            }
            .into());
        }
        *slot.borrow_mut() = Some(proof);
    }
    outcome.pull = slot.take();
    Ok(outcome)
}

/// `--pull` is proven over the daemon's unix socket only: refused before anything is probed or written otherwise.
fn pull_engine() -> Result<(
    crate::sys::engine::Engine,
    std::rc::Rc<std::cell::RefCell<Option<crate::dockerd::proof::Proof>>>,
)> {
    let engine = crate::sys::engine::Engine::from_env()?;
    if engine.unix_socket().is_none() {
        return Err(crate::ui::errors::Usage {
            message: t!(
                "proof.not_unix",
                host = crate::ui::output::outside(&engine.host)
            )
            .into(),
            hint: None,
        }
        .into());
    }
    Ok((engine, Default::default()))
}

/// The runtime a `--target` names, with its files where this host keeps them; `None` for dockerd when the
/// registry is not Docker Hub (dockerd's mirrors serve docker.io only).
fn target(
    kind: TargetKind,
    s: &impl Places,
    may_add_config_path: bool,
) -> Result<Option<Box<dyn Target>>> {
    let (places, registry) = (s.places(), s.registry());
    Ok(Some(match kind {
        TargetKind::Docker if registry != "docker.io" => return Ok(None),
        TargetKind::Docker if s.change().colima => Box::new(crate::targets::colima::Colima {
            path: s.change().daemon_json.clone(),
        }),
        TargetKind::Docker => Box::new(targets::Docker {
            path: s.change().daemon_json.clone(),
        }),
        TargetKind::Containerd => Box::new(targets::Containerd {
            places: places.containerd.clone(),
            registry: registry.to_owned(),
            may_add_config_path,
        }),
        TargetKind::Containers => Box::new(targets::Containers {
            dir: places.containers_dir(),
            registry: registry.to_owned(),
        }),
        TargetKind::K3s => Box::new(targets::K3s {
            path: places.k3s_config.clone(),
            unit: places.k3s_unit(),
            registry: registry.to_owned(),
        }),
        TargetKind::Auto => unreachable!("expanded when the flags were lowered"),
    }))
}

/// dockerd for a registry other than Docker Hub: `certs.d/<registry>/hosts.toml` on the containerd image store
/// (read at each pull); the classic store has no per-registry mirrors — refused, or skipped under `--target auto`.
async fn docker_other_registry(s: &Apply) -> Result<Option<Box<dyn Target>>> {
    let engine = crate::sys::engine::Engine::from_env()?;
    // The flags hold only for a daemon on the containerd store: like any flag that does not hold here, a usage
    // error, before anything is probed or written.
    let refuse = |message: String, hint: String| -> Result<Option<Box<dyn Target>>> {
        if s.auto {
            return Ok(None);
        }
        Err(crate::ui::errors::Usage {
            message,
            hint: Some(hint),
        }
        .into())
    };
    let store = match engine.info().await {
        Ok(info) => info.image_store(),
        Err(e) => {
            return refuse(
                format!(
                    "{}: {e:#}",
                    t!("apply.store_unknown", registry = s.registry)
                ),
                t!("apply.store_unknown_hint", registry = s.registry).into(),
            )
        }
    };
    match store {
        crate::sys::engine::ImageStore::Containerd => Ok(Some(Box::new(targets::DockerCertsD {
            root: s.certs_dir.clone(),
            registry: s.registry.clone(),
        }))),
        crate::sys::engine::ImageStore::Classic => refuse(
            t!("apply.classic_store", registry = s.registry).into(),
            t!("apply.classic_store_hint", registry = s.registry).into(),
        ),
    }
}

/// dockerd on the containerd image store ignores registry-mirrors when `certs.d/docker.io/hosts.toml` lists a host
/// (moby daemon/hosts.go): writing them would change what `docker info` lists and not one pull, and a restart
/// would stop the containers for nothing. Refused before anything is probed or written (`true`: skipped, under
/// `--target auto`; watch refuses too). Without a daemon to ask, the store cannot be told and the file is written as
/// before.
pub async fn docker_hub_overridden(certs_dir: &std::path::Path, auto: bool) -> Result<bool> {
    let Ok(engine) = crate::sys::engine::Engine::from_env() else {
        return Ok(false);
    };
    let Ok(info) = engine.info().await else {
        return Ok(false);
    };
    if info.image_store() != crate::sys::engine::ImageStore::Containerd {
        return Ok(false);
    }
    let used = crate::targets::certs_d::read_docker_hub(certs_dir, &[]);
    let Some(file) = used.file else {
        return Ok(false);
    };
    if auto {
        return Ok(true);
    }
    Err(crate::ui::errors::Usage {
        message: t!(
            "apply.hosts_toml_overrides",
            file = file,
            hosts = used.hosts.join(", ")
        )
        .into(),
        hint: Some(t!("apply.hosts_toml_overrides_hint", file = file).into()),
    }
    .into())
}

/// What `target` needs of apply's and restore's settings.
trait Places {
    fn places(&self) -> &crate::targets::runtimes::Places;
    fn registry(&self) -> &str;
    fn change(&self) -> &crate::change::Change;
}

impl Places for Apply {
    fn places(&self) -> &crate::targets::runtimes::Places {
        &self.places
    }
    fn registry(&self) -> &str {
        &self.registry
    }
    fn change(&self) -> &crate::change::Change {
        &self.change
    }
}

impl Places for Restore {
    fn places(&self) -> &crate::targets::runtimes::Places {
        &self.places
    }
    fn registry(&self) -> &str {
        &self.registry
    }
    fn change(&self) -> &crate::change::Change {
        &self.change
    }
}

/// `None`: `--list` printed the backups.
pub async fn restore(args: &Restore, p: Printer) -> Result<Option<Outcome>> {
    // A broken daemon.json is what a restore is for: its target is named, not read.
    // dockerd for another registry: the certs.d hosts.toml apply wrote on the containerd store.
    let t = target(args.kind, args, true)?.unwrap_or_else(|| {
        Box::new(targets::DockerCertsD {
            root: args.certs_dir.clone(),
            registry: args.registry.clone(),
        })
    });
    let path = t.path()?;
    let Some(change) = crate::change::restore_change(
        &path,
        args.list,
        args.backup.as_deref(),
        &|b| t.parses(b),
        args.change.json,
        p,
    )?
    else {
        return Ok(None);
    };
    let plan = t.restore(change, &args.change)?;
    run(vec![plan], &args.change, p).await.map(Some)
}

/// The mirrors to write, in dockerd's form: `--mirror` ones as given, else the best of a recent or fresh probe;
/// with the probe that measured them (for the plan to name each and say how fast it was), when one did.
async fn choose_mirrors(s: &Apply, p: Printer) -> Result<(Vec<String>, Option<Report>)> {
    let (catalogue, probe) = match &s.mirrors {
        Mirrors::Unprobed(urls) => {
            p.info_line(t!("apply.given_unprobed"));
            return Ok((urls.clone(), None));
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
            let ago = crate::ui::text::duration(age(&r).unwrap_or_default());
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
    Ok((best, Some(report)))
}

/// `--mirror` without `--no-probe`: every one must pass, or nothing is written.
async fn probe_given(
    probe: &Probe,
    given: &[String],
    p: Printer,
) -> Result<(Vec<String>, Option<Report>)> {
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
    Ok((given.to_vec(), Some(report)))
}

fn age(r: &Report) -> Option<Duration> {
    let t = humantime::parse_rfc3339(&r.probed_at).ok()?;
    SystemTime::now().duration_since(t).ok()
}
