//! `mirrorctl report`: the probe history as something a person can look at and share — one self-contained HTML
//! page (ranking with reasons, what daemon.json and the live daemon use, each mirror's latency and success rate
//! over time, watch's decisions), or one chart as SVG. It reads what `history --json` reads, through the same
//! types and queries (`history::store`, `history::stats`), and what `show` gathers (`show::build`).

pub mod escape;
mod html;
mod reasons;
pub mod svg;
mod write;

use std::time::SystemTime;

use anyhow::Result;
use rust_i18n::t;
use serde::Serialize;

use crate::commands::show::ShowReport;
use crate::history::stats::{self, MirrorStats};
use crate::history::{Decision, Outcome};
use crate::settings::{Output, Report};
use crate::ui::output::Printer;

/// How many of watch's newest decisions the page lists.
const DECISIONS: usize = 50;

/// Everything the page shows, gathered before anything is drawn.
pub struct Data {
    pub registry: String,
    /// The window asked for (`--since`).
    pub since: SystemTime,
    /// What the charts span: the window, from its oldest probe on.
    pub frame: svg::Frame,
    pub database: String,
    /// Best first, as `history` ranks them.
    pub mirrors: Vec<MirrorStats>,
    /// Oldest first.
    pub outcomes: Vec<Outcome>,
    pub decisions: Vec<Decision>,
    pub show: ShowReport,
}

impl Data {
    fn outcomes_of(&self, url: &str) -> Vec<&Outcome> {
        self.outcomes.iter().filter(|o| o.row.url == url).collect()
    }
}

/// What `--json` says was written.
#[derive(Debug, Serialize)]
pub struct Written {
    pub registry: String,
    pub since: String,
    pub until: String,
    pub mirrors: usize,
    pub decisions: usize,
    pub files: Vec<WrittenFile>,
    /// Whether a file was written (stdout is not a change).
    pub changed: bool,
}

#[derive(Debug, Serialize)]
pub struct WrittenFile {
    /// `html` or `svg`.
    pub kind: &'static str,
    /// Where it went; `-` is stdout.
    pub path: String,
    pub bytes: usize,
}

/// The history and the daemon's state. A daemon that is down (or no docker at all) is said on the page, never an
/// error: a report is most wanted when something is wrong.
async fn gather(r: &Report, p: Printer) -> Result<Data> {
    let now = SystemTime::now();
    let from = now
        .checked_sub(r.since)
        .unwrap_or(std::time::UNIX_EPOCH)
        .max(std::time::UNIX_EPOCH);
    let store = crate::history::open_or_fail(p)?;
    let outcomes = store.since(&r.registry, from)?;
    let mirrors = stats::summarize(&outcomes, now);
    let decisions = store.decisions(DECISIONS)?;
    let (host, info) = match crate::sys::engine::Engine::from_env() {
        Ok(engine) => {
            let info = engine.info().await;
            (engine.host.clone(), info)
        }
        Err(e) => (String::new(), Err(e)),
    };
    let show = crate::commands::show::build(
        &host,
        info,
        crate::commands::show::read_file(&r.daemon_json),
        &r.catalogue,
        None,
        now,
    );
    // The charts start a little before the oldest probe in the window: a history begun yesterday, shown on a 7-day
    // axis, would be a smudge at the right edge.
    let shown = outcomes.first().map_or(from, |o| {
        let age = now.duration_since(o.at).unwrap_or_default();
        let pad = (age / 20).max(std::time::Duration::from_secs(1));
        o.at.checked_sub(pad).unwrap_or(from).max(from)
    });
    Ok(Data {
        registry: r.registry.clone(),
        since: from,
        frame: svg::Frame {
            from: shown,
            to: now,
        },
        database: store.path.display().to_string(),
        mirrors,
        outcomes,
        decisions,
        show,
    })
}

/// Every mirror's latency on one chart, best first.
fn overview(d: &Data) -> String {
    let series: Vec<(&str, Vec<&Outcome>)> = d
        .mirrors
        .iter()
        .map(|m| (m.name.as_str(), d.outcomes_of(&m.url)))
        .collect();
    svg::latency_chart(&series, d.frame, &t!("report.chart.all_latency"))
}

/// The `--svg` chart: every mirror's latency, or `--mirror`'s record (found as `history --mirror` finds it).
fn chart(d: &Data, mirror: Option<&str>) -> Result<String> {
    let svg = match mirror {
        None => overview(d),
        Some(want) => {
            let m = d
                .mirrors
                .iter()
                .find(|m| m.name == want || m.url == want || m.url.trim_end_matches('/') == want)
                .ok_or_else(|| crate::ui::errors::Hinted {
                    message: t!(
                        "report.no_such_mirror",
                        mirror = crate::ui::output::outside(want),
                        registry = d.registry,
                        since = crate::history::timestamp(d.since)
                    )
                    .into(),
                    hint: t!("report.no_such_mirror_hint").into(),
                })?;
            svg::mirror_chart(&m.name, &m.url, &d.outcomes_of(&m.url), d.frame)
        }
    };
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{svg}\n"
    ))
}

pub async fn report(r: &Report, p: Printer) -> Result<Written> {
    let d = gather(r, p).await?;
    let mut files = Vec::new();
    let mut changed = false;
    let mut outputs = Vec::new();
    if let Some(out) = &r.html {
        outputs.push(("html", out, html::page(&d)));
    }
    if let Some(out) = &r.svg {
        outputs.push(("svg", out, chart(&d, r.mirror.as_deref())?));
    }
    for (kind, out, text) in outputs {
        // Secrets masked and control characters shown, as in everything mirrorctl prints.
        let text = crate::ui::output::clean(&text);
        let path = match out {
            Output::Stdout => {
                p.stdout(&text);
                "-".to_string()
            }
            Output::File(path) => {
                write::to_file(path, text.as_bytes())?;
                changed = true;
                p.info(&format!(
                    "{}\n",
                    t!("report.wrote", path = path.display(), bytes = text.len())
                ));
                path.display().to_string()
            }
        };
        files.push(WrittenFile {
            kind,
            path,
            bytes: text.len(),
        });
    }
    Ok(Written {
        registry: d.registry.clone(),
        since: crate::history::timestamp(d.since),
        until: crate::history::timestamp(d.frame.to),
        mirrors: d.mirrors.len(),
        decisions: d.decisions.len(),
        files,
        changed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// `mirrors` mirrors probed every `every` for `days` days, one in ten probes failing.
    fn data(mirrors: usize, days: u64, every: Duration) -> Data {
        let now = SystemTime::now();
        let from = now - Duration::from_secs(days * 86_400);
        let n = (days * 86_400 / every.as_secs()) as u32;
        let mut outcomes = Vec::new();
        for i in 0..n {
            for m in 0..mirrors {
                let ok = !(i as usize + m).is_multiple_of(10);
                let latency = 20.0 + (m * 15) as f64 + f64::from(i % 13);
                outcomes.push(Outcome::sample(
                    &format!("https://m{m}.example/"),
                    from + every * i,
                    ok,
                    latency,
                ));
            }
        }
        let show = crate::commands::show::build(
            "unix:///nowhere.sock",
            Err(anyhow::anyhow!("no daemon here")),
            crate::commands::show::FileState::default(),
            &crate::catalogue::Catalogue::builtin(),
            None,
            now,
        );
        Data {
            registry: "docker.io".into(),
            since: from,
            frame: svg::Frame { from, to: now },
            database: "/x/history.db".into(),
            mirrors: stats::summarize(&outcomes, now),
            outcomes,
            decisions: vec![],
            show,
        }
    }

    #[test]
    fn a_full_history_makes_a_page_a_browser_opens_at_once() {
        // 20 mirrors, 90 days of a 30-minute timer: 86,400 outcomes.
        let d = data(20, 90, Duration::from_secs(1800));
        let start = Instant::now();
        let page = html::page(&d);
        let took = start.elapsed();
        assert_eq!(page.matches("class=\"chart mirror-chart\"").count(), 20);
        assert!(page.len() < 6_000_000, "{} bytes", page.len());
        eprintln!(
            "{} outcomes: {} bytes in {took:?}",
            d.outcomes.len(),
            page.len()
        );
    }

    #[test]
    fn an_empty_history_is_a_page_that_says_what_to_do() {
        let d = data(0, 7, Duration::from_secs(3600));
        let page = html::page(&d);
        assert!(
            page.contains("No probe of docker.io in this window"),
            "{page}"
        );
        assert!(page.contains("not reachable when this report was made: no daemon here"));
        assert_eq!(page.matches("<svg").count(), 0);
        assert!(chart(&d, Some("nowhere")).is_err());
        assert!(chart(&d, None)
            .unwrap()
            .contains("no probes in this window"));
    }
}
