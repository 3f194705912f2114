//! `mirrorctl watch`: keep a machine's mirrors alive. One cycle probes afresh (never the cached report), records
//! it, decides from the history (see `decide`) and, when the list should change, writes it through the change
//! engine with a reload, so no container stops.

pub mod decide;
pub mod install;

use rust_i18n::t;
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::Result;
use serde::Serialize;

use crate::catalogue::Catalogue;
use crate::change::{Activation, Outcome};
use crate::settings::{Keep, MakeLive, Probe, Watch, WatchMode};
use crate::targets::target::{self, Target};
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
    let report = once(args, probe, catalogue, p.json(json)).await;
    if let Some(dir) = &args.metrics_textfile {
        crate::commands::metrics::refresh(dir, &args.change.daemon_json, metrics_cache(args), p)
            .await;
    }
    let report = report?;
    if json {
        p.stdout(&(serde_json::to_string_pretty(&report)? + "\n"));
    }
    Ok(if report.passing == 0 {
        ExitCode::from(crate::ui::errors::exit::NO_MIRROR_PASSED)
    } else {
        ExitCode::SUCCESS
    })
}

/// The cache the metrics report: the one watch keeps, else docker-registry's usual place.
fn metrics_cache(args: &Watch) -> crate::cli::CacheService {
    let (config, unit) = match &args.keep {
        Keep::Cache { config, unit } => (config.clone(), unit.clone()),
        _ => (
            crate::targets::distribution::DEFAULT_CONFIG.into(),
            "docker-registry".into(),
        ),
    };
    crate::cli::CacheService {
        config,
        unit,
        init: args.change.init,
    }
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

/// What the cycle keeps — dockerd's mirrors, containerd's for a registry, or the cache's one upstream — as the
/// target that owns its file.
fn kept(args: &Watch, probe: &Probe) -> Box<dyn Target> {
    match &args.keep {
        Keep::Docker if args.change.colima => Box::new(crate::targets::colima::Colima {
            path: args.change.daemon_json.clone(),
        }),
        Keep::Docker => Box::new(target::Docker {
            path: args.change.daemon_json.clone(),
        }),
        // containerd reads hosts.toml at each pull, so keeping it needs no restart — but only once `config_path`
        // is set, which takes one: that is apply's job.
        Keep::Containerd(places) => Box::new(target::Containerd {
            places: places.clone(),
            registry: probe.registry.clone(),
            may_add_config_path: false,
        }),
        Keep::Cache { config, unit } => {
            let probe = probe.clone();
            Box::new(target::Cache {
                path: config.clone(),
                unit: unit.clone(),
                certs_dir: probe.certs_dir.clone(),
                pull: Box::new(move |url| crate::commands::cache::pull_through(url, &probe)),
            })
        }
    }
}

async fn once(
    args: &Watch,
    probe: &Probe,
    catalogue: &Catalogue,
    p: Printer,
) -> Result<WatchReport> {
    // On the containerd store a docker.io hosts.toml makes dockerd ignore registry-mirrors: keeping them is no use.
    if matches!(args.keep, Keep::Docker) {
        crate::commands::apply::docker_hub_overridden(&probe.certs_dir, false).await?;
    }
    let kept = kept(args, probe);
    let now = kept.read()?;
    let configured = now.mirrors.clone();
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
        // A reload applies registry-mirrors to a running dockerd; a stopped one needs a start, which is a restart.
        if matches!(args.keep, Keep::Docker) {
            if let Ok(Activation::Reload(svc)) = target.activation(&now.path, "docker") {
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
        }
        let mut doc = kept.plan(now, &plan.mirrors, &target)?;
        if let Some(r) = &report {
            doc.label_mirrors(|url| r.label(url));
        }
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
