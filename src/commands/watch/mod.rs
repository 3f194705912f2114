//! `mirrorctl watch`: keep a machine's mirrors alive. One cycle probes afresh (never the cached report), records
//! it, decides from the history (see `decide`) and, when the list should change, writes it through the change
//! engine with a reload, so no container stops.

pub mod decide;
pub mod install;

use rust_i18n::t;
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::catalogue::Catalogue;
use crate::change::{Activation, Outcome};
use crate::settings::{Keep, MakeLive, Probe, Watch, WatchMode};
use crate::sys::files;
use crate::targets::docker::{self, parse_or_explain};
use crate::ui::output::Printer;
use decide::{Action, Reason, Seen, Step};

#[derive(Debug, Serialize)]
struct WatchReport {
    changed: bool,
    before: Vec<String>,
    after: Vec<String>,
    decisions: Vec<Line>,
    /// A reload could not apply the change and `--allow-restart` was not given: nothing was written.
    restart_needed: bool,
    /// How many mirrors passed this cycle's probe (none: exit code 3, so a timer's unit shows as failed).
    passing: usize,
    /// Mirrors not asked this cycle: they answered 429 within the last hour.
    resting: Vec<Resting>,
    outcome: Option<Outcome>,
}

#[derive(Debug, Serialize)]
struct Line {
    #[serde(flatten)]
    step: Step,
    /// The line as printed (and as the journal keeps it).
    line: String,
}

pub async fn watch(args: &Watch, p: Printer) -> Result<ExitCode> {
    let json = args.change.json;
    let WatchMode::Once { probe, catalogue } = &args.mode else {
        let outcome = install::install(args, p).await?;
        if json {
            p.stdout(&(serde_json::to_string_pretty(&outcome)? + "\n"));
        }
        return Ok(ExitCode::SUCCESS);
    };
    let report = once(args, probe, catalogue, p.json(json)).await?;
    if json {
        p.stdout(&(serde_json::to_string_pretty(&report)? + "\n"));
    }
    Ok(if report.passing == 0 {
        ExitCode::from(crate::ui::errors::exit::NO_MIRROR_PASSED)
    } else {
        ExitCode::SUCCESS
    })
}

#[derive(Debug, Serialize)]
struct Resting {
    mirror: String,
    /// When it was rate-limited, and when it is asked again (RFC 3339).
    limited_at: String,
    until: String,
}

/// Takes out of `catalogue` the mirrors whose newest outcome is a 429 within `decide::REST`, saying so.
fn rest(
    store: Option<&crate::history::Store>,
    registry: &str,
    catalogue: &mut Catalogue,
    p: Printer,
) -> Vec<Resting> {
    let Some(store) = store else {
        return vec![];
    };
    let now = SystemTime::now();
    let time = crate::history::timestamp;
    let mut resting = Vec::new();
    catalogue.mirrors.retain(|m| {
        // Recorded in dockerd's form, as the probe reports it.
        let url = m.normalized().unwrap_or_else(|| m.url.clone());
        let newest = store
            .recent(registry, &url, 1)
            .ok()
            .and_then(|v| v.into_iter().next());
        let Some((at, until)) =
            newest.and_then(|o| Some((o.at, decide::rests_until(&o.row.status, o.at, now)?)))
        else {
            return true;
        };
        let r = Resting {
            mirror: url,
            limited_at: time(at),
            until: time(until),
        };
        p.say(&format!(
            "watch: {}\n",
            t!(
                "watch.resting",
                mirror = r.mirror,
                at = r.limited_at,
                until = r.until
            )
        ));
        resting.push(r);
        false
    });
    resting
}

/// One journal line for a step.
fn line(s: &Step, k: u16) -> String {
    match (&s.action, &s.reason) {
        (Action::Replace, Reason::Dead { failures_in_a_row }) => t!(
            "watch.replace_dead",
            mirror = s.mirror,
            by = s.replacement.as_deref().unwrap_or("-"),
            n = failures_in_a_row
        ),
        (Action::Replace, Reason::Beaten { by, times }) => t!(
            "watch.replace_beaten",
            mirror = s.mirror,
            by = by,
            n = times
        ),
        (Action::Hold, Reason::Dead { failures_in_a_row }) => {
            t!("watch.hold", mirror = s.mirror, n = failures_in_a_row)
        }
        (Action::Add, _) => t!("watch.add", mirror = s.mirror),
        (_, Reason::Healthy { failures_in_a_row }) if *failures_in_a_row > 0 => t!(
            "watch.keep_failing",
            mirror = s.mirror,
            n = failures_in_a_row,
            k = k
        ),
        _ => t!("watch.keep", mirror = s.mirror),
    }
    .into_owned()
}

/// What the cycle keeps: dockerd's mirrors, containerd's for a registry, or the cache's one upstream.
enum Kept {
    Docker {
        path: std::path::PathBuf,
        before: Option<Vec<u8>>,
    },
    Containerd {
        path: std::path::PathBuf,
        before: Option<Vec<u8>>,
    },
    Cache {
        path: std::path::PathBuf,
        text: String,
        url: String,
    },
}

fn kept(args: &Watch, registry: &str) -> Result<(Kept, Vec<String>)> {
    if let Keep::Containerd(places) = &args.keep {
        return containerd_hosts(places, registry);
    }
    if let Keep::Cache { config, .. } = &args.keep {
        let path = config.clone();
        let bytes =
            files::read(&path)?.with_context(|| t!("apply.cannot_read", path = path.display()))?;
        let text = String::from_utf8(bytes)
            .with_context(|| t!("apply.not_utf8", path = path.display()))?;
        let c = crate::targets::distribution::read(&text)?;
        let upstream = c
            .upstream
            .with_context(|| t!("cache.no_upstream", path = path.display()))?;
        let listen = c
            .listen
            .with_context(|| t!("cache.no_listen", path = path.display()))?;
        let url = crate::targets::distribution::local_url(&listen, c.tls);
        let configured = docker::normalize_mirrors(&[upstream])?;
        return Ok((Kept::Cache { path, text, url }, configured));
    }
    let path = args.change.daemon_json.clone();
    let before = files::read(&path)?;
    let configured = match before.as_ref().filter(|b| !b.trim_ascii().is_empty()) {
        Some(b) => {
            parse_or_explain(&path, b)?;
            docker::normalize_mirrors(&docker::mirrors_of(&docker::parse(b)?))?
        }
        None => vec![],
    };
    Ok((Kept::Docker { path, before }, configured))
}

/// containerd's hosts.toml for `registry`, where its config.toml says. containerd reads it at each pull, so
/// keeping it needs no restart — but only once `config_path` is set, which takes one: that is apply's job.
fn containerd_hosts(
    places: &crate::targets::runtimes::ContainerdPlaces,
    registry: &str,
) -> Result<(Kept, Vec<String>)> {
    let found = places.files(registry)?;
    if found.check.after.is_some() {
        return Err(crate::ui::errors::Hinted {
            message: t!(
                "watch.containerd_no_config_path",
                path = found.config.display()
            )
            .into(),
            hint: t!("watch.containerd_no_config_path_hint", registry = registry).into(),
        }
        .into());
    }
    let path = found.hosts;
    let before = files::read(&path)?;
    let configured = match &before {
        Some(b) => docker::normalize_mirrors(&crate::targets::runtimes::hosts_toml_mirrors(
            &String::from_utf8_lossy(b),
        ))?,
        None => vec![],
    };
    Ok((Kept::Containerd { path, before }, configured))
}

async fn once(
    args: &Watch,
    probe: &Probe,
    catalogue: &Catalogue,
    p: Printer,
) -> Result<WatchReport> {
    let (kept, configured) = kept(args, &probe.registry)?;
    // Probe the catalogue and the configured mirrors (a personal one may not be in it), afresh.
    let mut catalogue = catalogue.clone();
    for m in &configured {
        if !catalogue.mirrors.iter().any(|c| &c.url == m) {
            catalogue.add_url(m, &probe.registry)?;
        }
    }
    let mut store = crate::history::open(p);
    let resting = rest(store.as_ref(), &probe.registry, &mut catalogue, p);
    // Every mirror resting: nothing is asked this cycle, and none passed.
    let report = if catalogue.selection(probe.all, &probe.registry).is_empty() {
        None
    } else {
        Some(crate::commands::probe::probe(probe, &catalogue, "watch", p).await?)
    };
    let results = report.as_ref().map_or(&[][..], |r| &r.results);
    let ranked: Vec<String> = results
        .iter()
        .filter(|r| r.ok)
        .map(|r| r.url.clone())
        .collect();
    let k = usize::from(args.fail_after);
    let recent = |url: &str| -> Vec<Seen> {
        match &store {
            Some(s) => s
                .recent(&probe.registry, url, k)
                .unwrap_or_default()
                .into_iter()
                .map(|o| Seen {
                    probe: o.probe,
                    ok: o.row.ok,
                    score_s: o.row.score_s,
                })
                .collect(),
            // Without a history only this probe counts, so only `--fail-after 1` can replace anything.
            None => results
                .iter()
                .filter(|r| r.url == url)
                .map(|r| Seen {
                    probe: 0,
                    ok: r.ok,
                    score_s: r.score_s,
                })
                .collect(),
        }
    };
    let plan = decide::decide(&decide::Input {
        configured: &configured,
        ranked_passing: &ranked,
        recent: &recent,
        top: args.top,
        k,
        margin: args.margin,
    });
    let changes = plan.mirrors != configured;
    let mut decisions = Vec::new();
    for s in &plan.steps {
        let text = line(s, args.fail_after);
        p.say(&format!("watch: {text}\n"));
        decisions.push(Line {
            step: s.clone(),
            line: text,
        });
    }
    if plan.steps.is_empty() {
        p.say(&format!("watch: {}\n", t!("watch.nothing")));
    }
    let mut result = WatchReport {
        changed: false,
        before: configured.clone(),
        after: configured.clone(),
        decisions,
        restart_needed: false,
        passing: ranked.len(),
        resting,
        outcome: None,
    };
    if changes {
        let mut target = args.change.clone();
        let doc = match kept {
            Kept::Docker { path, before } => {
                // A reload applies registry-mirrors to a running dockerd; a stopped one needs a start, which is a
                // restart.
                if let Ok(Activation::Reload(svc)) = target.activation(&path, "docker") {
                    if !svc.is_active().await {
                        if !args.allow_restart {
                            p.say(&format!(
                                "watch: {}\n",
                                t!("watch.restart_needed", unit = svc.unit)
                            ));
                            result.restart_needed = true;
                            record(&mut store, &result, false, p);
                            return Ok(result);
                        }
                        target.live = MakeLive::Restart;
                    }
                }
                crate::targets::docker::plan::mirrors_plan(&target, path, before, &plan.mirrors)?
            }
            // containerd reads hosts.toml at each pull: the file is the whole change.
            Kept::Containerd { path, before } => crate::change::Plan {
                target: "containerd",
                mirrors: plan.mirrors.clone(),
                notes: vec![],
                changes: vec![crate::change::FileChange::new(
                    path,
                    before,
                    crate::targets::containerd::hosts_toml(&probe.registry, &plan.mirrors),
                )
                .by_value(crate::targets::toml_meaning)],
                activation: Activation::Automatic(t!("apply.containerd_no_restart").into()),
                verify: crate::change::Verify::Nothing,
                preflight: None,
            },
            // The registry reads its upstream only at start: a restart, which stops no container anywhere.
            Kept::Cache { path, text, url } => {
                let upstream = plan.mirrors[0].trim_end_matches('/').to_owned();
                let current = crate::targets::distribution::read(&text)?;
                if let Some((old, new)) =
                    crate::targets::distribution::credentials_move_host(&current, &upstream)
                {
                    return Err(crate::ui::errors::Hinted {
                        message: t!(
                            "watch.cache_credentials",
                            path = path.display(),
                            old = old,
                            new = new
                        )
                        .into(),
                        hint: t!("watch.cache_credentials_hint", path = path.display()).into(),
                    }
                    .into());
                }
                let value = serde_json::Value::String(upstream.clone());
                let after = crate::targets::yaml::set(&text, &["proxy", "remoteurl"], &value)?;
                let Keep::Cache { unit, .. } = &args.keep else {
                    unreachable!("a cache's upstream is kept only with --cache")
                };
                let svc = crate::sys::service::Service::detect(target.init, false)?.unit(unit);
                crate::change::Plan {
                    target: "cache",
                    mirrors: vec![upstream],
                    notes: vec![],
                    changes: vec![crate::change::FileChange::new(
                        path,
                        Some(text.into_bytes()),
                        after,
                    )
                    .rebased(crate::targets::yaml::rebase(&["proxy", "remoteurl"], value))
                    .by_value(crate::targets::yaml::meaning)],
                    activation: Activation::Restart(svc),
                    verify: crate::commands::cache::pull_through(url, probe),
                    preflight: None,
                }
            }
        };
        let outcome = crate::change::run(vec![doc], &target, p).await;
        let outcome = match outcome {
            Ok(o) => o,
            Err(e) => {
                record(&mut store, &result, false, p);
                return Err(e);
            }
        };
        result.changed = outcome.changed;
        if outcome.changed || args.change.dry_run {
            result.after = plan.mirrors.clone();
        }
        result.outcome = Some(outcome);
    }
    let changed = result.changed;
    record(&mut store, &result, changed, p);
    Ok(result)
}

/// Every decision goes into the history next to the probe it was made from.
fn record(
    store: &mut Option<crate::history::Store>,
    report: &WatchReport,
    changed: bool,
    p: Printer,
) {
    let Some(store) = store.as_mut() else { return };
    let now = SystemTime::now();
    for d in &report.decisions {
        let action = match d.step.action {
            Action::Keep => "keep",
            Action::Replace => "replace",
            Action::Add => "add",
            Action::Hold => "hold",
        };
        let decision = crate::history::Decision {
            at: now,
            action: action.into(),
            mirror: Some(d.step.mirror.clone()),
            replacement: d.step.replacement.clone(),
            reason: d.line.clone(),
            changed: changed && d.step.action != Action::Keep && d.step.action != Action::Hold,
        };
        if let Err(e) = store.decide(&decision) {
            p.info_line(t!("history.unavailable", detail = format!("{e:#}")));
            return;
        }
    }
}
