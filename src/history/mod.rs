//! Probe history: every probe's results kept on disk, so that a mirror is judged by its record (how often it
//! worked over the last probes), not by one lucky answer — and so that `watch` can tell a dying mirror from a
//! blip.

pub mod last_probe;
mod rows;
pub mod stats;
pub mod store;

use rust_i18n::t;
use std::collections::HashMap;
use std::time::SystemTime;

use crate::probe::{MirrorResult, Report};
use crate::ui::output::Printer;
pub use rows::{timestamp, Decision, Outcome, Probe, Row};
pub use store::Store;

use crate::probe::rank::WINDOW;

impl From<MirrorResult> for Row {
    fn from(r: MirrorResult) -> Self {
        Self {
            name: r.name,
            url: r.url,
            ok: r.ok,
            status: r.status.as_str().into(),
            error: r.error,
            latency_ms: r.latency_ms,
            throughput_bps: r.throughput_bps,
            score_s: r.score_s,
        }
    }
}

/// The history in the state directory; a corrupt file moved aside is said.
pub fn open_or_fail(p: Printer) -> anyhow::Result<Store> {
    let store = open_trusted()?;
    if let Some(aside) = &store.moved_aside {
        p.info_line(t!(
            "history.corrupt",
            path = store.path.display(),
            aside = aside.display()
        ));
    }
    Ok(store)
}

/// The history in the state directory, under the trust rule (`state`): the directory is one root may use, and
/// history.db is a file of ours, not a symlink to another program's database.
pub fn open_trusted() -> anyhow::Result<Store> {
    let dir = crate::sys::state::state_dir();
    crate::sys::state::ensure(&dir)?;
    let db = store::path_in(&dir);
    if std::fs::symlink_metadata(&db).is_ok_and(|m| !m.file_type().is_file()) {
        return Err(crate::ui::errors::Hinted {
            message: t!("state.not_a_file", path = db.display()).into(),
            hint: t!("state.not_a_file_hint", path = db.display()).into(),
        }
        .into());
    }
    Store::open(&dir)
}

/// The history in the state directory, or `None` with a warning: history never stops a probe.
pub fn open(p: Printer) -> Option<Store> {
    match open_or_fail(p) {
        Ok(s) => Some(s),
        Err(e) => {
            p.info_line(t!("history.unavailable", detail = format!("{e:#}")));
            None
        }
    }
}

/// Each mirror's previous outcomes (newest first, at most `WINDOW - 1`), for ranking a probe under way.
pub fn previous(store: &Store, registry: &str, urls: &[&str]) -> HashMap<String, Vec<bool>> {
    urls.iter()
        .filter_map(|u| {
            let v = store.recent(registry, u, WINDOW - 1).ok()?;
            Some((u.to_string(), v.iter().map(|o| o.row.ok).collect()))
        })
        .collect()
}

/// Stores a finished report; a failure is a warning.
pub fn record(store: &mut Store, report: &Report, origin: &str, p: Printer) -> Option<i64> {
    let probe = Probe {
        at: humantime::parse_rfc3339(&report.probed_at).unwrap_or_else(|_| SystemTime::now()),
        origin: origin.into(),
        registry: report.registry.clone(),
        image: report.image.clone(),
        results: report.results.iter().cloned().map(Row::from).collect(),
    };
    match store.record(&probe) {
        Ok(id) => Some(id),
        Err(e) => {
            p.info_line(t!("history.unavailable", detail = format!("{e:#}")));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn any_time_a_record_can_hold_is_shown_without_a_panic() {
        assert_eq!(
            super::timestamp(UNIX_EPOCH + Duration::from_secs(86_400)),
            "1970-01-02T00:00:00Z"
        );
        // What store.rs can read back from an edited database: up to i64::MAX milliseconds.
        let far = UNIX_EPOCH + Duration::from_millis(i64::MAX as u64);
        assert_eq!(super::timestamp(far), "9999-12-31T23:59:59Z");
        let before = UNIX_EPOCH - Duration::from_secs(57 * 365 * 86_400);
        assert_eq!(super::timestamp(before), "1970-01-01T00:00:00Z");
    }
}
