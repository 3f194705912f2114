//! The probe history on disk: one SQLite file (rusqlite with the bundled SQLite, so every machine gets the same
//! engine), a versioned schema, WAL with a busy timeout so two probes at once both land, rows older than
//! `KEEP` pruned. A file that is not a database, or is corrupt, is moved aside and recreated: history is a help,
//! never a reason for a probe to fail.

use rust_i18n::t;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use rusqlite::{params, Connection, ErrorCode, TransactionBehavior};

use super::rows::{Decision, Outcome, Probe, Row};

/// How long rows are kept.
pub const KEEP: Duration = Duration::from_secs(90 * 24 * 3600);
/// How long a second writer waits for the first (a probe records in one short transaction).
const BUSY: Duration = Duration::from_secs(10);

/// Each step takes the schema from version `i` to `i + 1`; never edit one that has shipped, add another.
const MIGRATIONS: &[&str] = &[
    // 1: probes and their results, and watch's decisions.
    "CREATE TABLE probes (
        id INTEGER PRIMARY KEY,
        at_ms INTEGER NOT NULL,
        origin TEXT NOT NULL,
        registry TEXT NOT NULL,
        image TEXT NOT NULL
     );
     CREATE INDEX probes_at ON probes(at_ms);
     CREATE TABLE results (
        probe INTEGER NOT NULL REFERENCES probes(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        url TEXT NOT NULL,
        ok INTEGER NOT NULL,
        status TEXT NOT NULL,
        error TEXT,
        latency_ms REAL,
        throughput_bps REAL,
        score_s REAL
     );
     CREATE INDEX results_url ON results(url, probe);
     CREATE TABLE decisions (
        id INTEGER PRIMARY KEY,
        at_ms INTEGER NOT NULL,
        action TEXT NOT NULL,
        mirror TEXT,
        replacement TEXT,
        reason TEXT NOT NULL,
        changed INTEGER NOT NULL
     );",
    // 2: the prune deletes old probes, and ON DELETE CASCADE then looks for each one's results by `probe`:
    // `results_url` is (url, probe), no use for that, so without this index every deleted probe cost a scan of the
    // whole table (204 s for the first probe after an 11-day pause with 20 mirrors), under the write lock.
    "CREATE INDEX results_probe ON results(probe);",
];

/// The prune, run in the transaction that records a probe (`?1` is the cutoff): old probes, with their results by
/// ON DELETE CASCADE through `results_probe`, and watch's decisions as old. Named so the tests check this very
/// statement's plan.
const PRUNE_PROBES: &str = "DELETE FROM probes WHERE at_ms < ?1";
const PRUNE_DECISIONS: &str = "DELETE FROM decisions WHERE at_ms < ?1";

pub struct Store {
    conn: Connection,
    pub path: PathBuf,
    /// Where an unreadable file found at `path` was moved, for the caller to tell the user.
    pub moved_aside: Option<PathBuf>,
}

pub fn path_in(state_dir: &Path) -> PathBuf {
    state_dir.join("history.db")
}

fn ms(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).unwrap_or_default().as_millis() as i64
}

fn from_ms(v: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(v.max(0) as u64)
}

/// A database we cannot read as one: not SQLite at all, or damaged.
fn is_corrupt(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<rusqlite::Error>().is_some_and(|e| {
            matches!(
                e.sqlite_error_code(),
                Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt)
            )
        })
    })
}

impl Store {
    /// Opens (creating) the history in `dir`; a corrupt file is moved aside (see `moved_aside`) and recreated.
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| t!("io.cannot_create", path = dir.display()))?;
        let path = path_in(dir);
        match Self::open_at(&path) {
            Err(e) if is_corrupt(&e) => {
                let aside = aside_name(&path);
                for suffix in ["", "-wal", "-shm"] {
                    let from = PathBuf::from(format!("{}{suffix}", path.display()));
                    let to = PathBuf::from(format!("{}{suffix}", aside.display()));
                    if from.exists() {
                        std::fs::rename(&from, &to)
                            .with_context(|| t!("io.cannot_write", path = to.display()))?;
                    }
                }
                let mut store = Self::open_at(&path)?;
                store.moved_aside = Some(aside);
                Ok(store)
            }
            other => other,
        }
    }

    fn open_at(path: &Path) -> Result<Self> {
        let mut conn = Connection::open(path)
            .with_context(|| t!("history.cannot_open", path = path.display()))?;
        conn.busy_timeout(BUSY)?;
        // Before anything writes: a newer mirrorctl's database is left byte for byte as it is.
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version as usize > MIGRATIONS.len() {
            return Err(crate::ui::errors::Hinted {
                message: t!("history.newer", version = version, known = MIGRATIONS.len()).into(),
                hint: t!("history.newer_hint", path = path.display()).into(),
            }
            .into());
        }
        // WAL: a reader never blocks the writer, and two writers queue on the busy timeout.
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
        conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")?;
        migrate(&mut conn, version as usize)?;
        Ok(Self {
            conn,
            path: path.to_owned(),
            moved_aside: None,
        })
    }

    /// Records one probe with every result; prunes what is older than `KEEP`. Returns the probe's id.
    pub fn record(&mut self, probe: &Probe) -> Result<i64> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO probes (at_ms, origin, registry, image) VALUES (?1, ?2, ?3, ?4)",
            params![ms(probe.at), probe.origin, probe.registry, probe.image],
        )?;
        let id = tx.last_insert_rowid();
        {
            let mut insert = tx.prepare(
                "INSERT INTO results (probe, name, url, ok, status, error, latency_ms, throughput_bps, score_s)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            for r in &probe.results {
                insert.execute(params![
                    id,
                    r.name,
                    r.url,
                    r.ok,
                    r.status,
                    r.error,
                    r.latency_ms,
                    r.throughput_bps,
                    r.score_s
                ])?;
            }
        }
        let cutoff = ms(probe.at) - KEEP.as_millis() as i64;
        tx.execute(PRUNE_PROBES, params![cutoff])?;
        tx.execute(PRUNE_DECISIONS, params![cutoff])?;
        tx.commit()?;
        Ok(id)
    }

    /// The outcomes of `url` in the newest `limit` probes of `registry` that included it, newest first — newest
    /// as recorded: probe ids grow with each record, so the `results_url (url, probe)` index is walked backwards
    /// and the scan stops after `limit` rows, whatever the history's size (ordering by `at_ms` sorted every
    /// result the mirror ever had: 9 ms a mirror on 90 days of a 5-minute timer, now 0.1 ms). A wall clock set
    /// back between two probes does not reorder them.
    pub fn recent(&self, registry: &str, url: &str, limit: usize) -> Result<Vec<Outcome>> {
        let mut q = self.conn.prepare_cached(
            "SELECT p.id, p.at_ms, r.name, r.url, r.ok, r.status, r.error, r.latency_ms, r.throughput_bps, r.score_s
             FROM results r JOIN probes p ON p.id = r.probe
             WHERE r.url = ?1 AND p.registry = ?2
             ORDER BY r.probe DESC LIMIT ?3",
        )?;
        let rows = q.query_map(params![url, registry, limit as i64], outcome)?;
        rows.collect::<Result<_, _>>().map_err(Into::into)
    }

    /// Every outcome of `registry` since `since`, oldest first.
    pub fn since(&self, registry: &str, since: SystemTime) -> Result<Vec<Outcome>> {
        let mut q = self.conn.prepare(
            "SELECT p.id, p.at_ms, r.name, r.url, r.ok, r.status, r.error, r.latency_ms, r.throughput_bps, r.score_s
             FROM results r JOIN probes p ON p.id = r.probe
             WHERE p.at_ms >= ?1 AND p.registry = ?2
             ORDER BY p.at_ms, p.id",
        )?;
        let rows = q.query_map(params![ms(since), registry], outcome)?;
        rows.collect::<Result<_, _>>().map_err(Into::into)
    }

    pub fn decide(&mut self, d: &Decision) -> Result<()> {
        self.conn.execute(
            "INSERT INTO decisions (at_ms, action, mirror, replacement, reason, changed) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![ms(d.at), d.action, d.mirror, d.replacement, d.reason, d.changed],
        )?;
        Ok(())
    }

    /// The newest `limit` decisions, newest first.
    pub fn decisions(&self, limit: usize) -> Result<Vec<Decision>> {
        let mut q = self.conn.prepare(
            "SELECT at_ms, action, mirror, replacement, reason, changed FROM decisions ORDER BY at_ms DESC, id DESC LIMIT ?1",
        )?;
        let rows = q.query_map(params![limit as i64], |r| {
            Ok(Decision {
                at: from_ms(r.get(0)?),
                action: r.get(1)?,
                mirror: r.get(2)?,
                replacement: r.get(3)?,
                reason: r.get(4)?,
                changed: r.get(5)?,
            })
        })?;
        rows.collect::<Result<_, _>>().map_err(Into::into)
    }
}

fn outcome(r: &rusqlite::Row<'_>) -> rusqlite::Result<Outcome> {
    Ok(Outcome {
        probe: r.get(0)?,
        at: from_ms(r.get(1)?),
        row: Row {
            name: r.get(2)?,
            url: r.get(3)?,
            ok: r.get(4)?,
            status: r.get(5)?,
            error: r.get(6)?,
            latency_ms: r.get(7)?,
            throughput_bps: r.get(8)?,
            score_s: r.get(9)?,
        },
    })
}

/// Brings the schema from `version` to the newest, one step per transaction.
fn migrate(conn: &mut Connection, version: usize) -> Result<()> {
    for (i, step) in MIGRATIONS.iter().enumerate().skip(version) {
        // The write lock first (waiting out the busy timeout), then the version again: of two mirrorctl opening an
        // old history at once, the one that waited finds the step done instead of failing on it.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if now as usize > i {
            continue;
        }
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

/// `history.db.corrupt-<seconds>.<nanos>`: never the name of an earlier one.
fn aside_name(path: &Path) -> PathBuf {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    PathBuf::from(format!(
        "{}.corrupt-{}.{:09}",
        path.display(),
        now.as_secs(),
        now.subsec_nanos()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Rows made here rather than from `probe::MirrorResult`: these tests need nothing of mirrorctl but the store and
    // its rows, as benches/history_prune.rs compiles this file (tests included) with nothing else.
    fn probe(at: SystemTime, results: Vec<Row>) -> Probe {
        Probe {
            at,
            origin: "probe".into(),
            registry: "docker.io".into(),
            image: "library/alpine:latest".into(),
            results,
        }
    }

    /// Mirror `name`'s result (`https://{name}/`), passed at 1 MB/s or timed out.
    fn sample(name: &str, ok: bool) -> Row {
        Row {
            name: name.into(),
            url: format!("https://{name}/"),
            ok,
            status: if ok { "ok" } else { "timeout" }.into(),
            error: None,
            latency_ms: Some(10.0),
            throughput_bps: ok.then_some(1e6),
            score_s: None,
        }
    }

    #[test]
    fn records_reads_back_newest_first_and_prunes_old_rows() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(dir.path()).unwrap();
        let now = SystemTime::now();
        let old = now - KEEP - Duration::from_secs(60);
        s.record(&probe(old, vec![sample("a", true)])).unwrap();
        s.record(&probe(
            now - Duration::from_secs(10),
            vec![sample("a", false)],
        ))
        .unwrap();
        s.record(&probe(now, vec![sample("a", true)])).unwrap();
        let r = s.recent("docker.io", "https://a/", 10).unwrap();
        // The oldest was pruned when a newer one was recorded.
        assert_eq!(
            r.iter().map(|o| o.row.ok).collect::<Vec<_>>(),
            [true, false]
        );
        assert!(s.recent("ghcr.io", "https://a/", 10).unwrap().is_empty());
    }

    #[test]
    fn a_file_that_is_not_a_database_is_moved_aside_and_recreated() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_in(dir.path());
        std::fs::write(
            &path,
            b"this is not SQLite, it is a text file a user saved here\n".repeat(100),
        )
        .unwrap();
        let mut s = Store::open(dir.path()).unwrap();
        assert!(s.moved_aside.is_some());
        s.record(&probe(SystemTime::now(), vec![sample("a", true)]))
            .unwrap();
        let aside: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("history.db.corrupt-"))
            .collect();
        assert_eq!(aside.len(), 1, "{aside:?}");
        assert!(std::fs::read(dir.path().join(&aside[0]))
            .unwrap()
            .starts_with(b"this is not SQLite"));
    }

    #[test]
    fn a_database_from_a_newer_version_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_in(dir.path());
        let c = Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
        drop(c);
        let before = std::fs::read(&path).unwrap();
        let e = Store::open(dir.path()).err().unwrap();
        assert!(format!("{e:#}").contains("99"), "{e:#}");
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn two_writers_at_once_both_land() {
        let dir = tempfile::tempdir().unwrap();
        Store::open(dir.path()).unwrap();
        let threads: Vec<_> = (0..2)
            .map(|i| {
                let d = dir.path().to_owned();
                std::thread::spawn(move || {
                    let mut s = Store::open(&d).unwrap();
                    for _ in 0..50 {
                        s.record(&probe(
                            SystemTime::now(),
                            vec![sample(&format!("m{i}"), true)],
                        ))
                        .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let s = Store::open(dir.path()).unwrap();
        for i in 0..2 {
            assert_eq!(
                s.recent("docker.io", &format!("https://m{i}/"), 100)
                    .unwrap()
                    .len(),
                50
            );
        }
    }

    /// A history as mirrorctl left it before migration 2: schema version 1, WAL, with probes, results and a
    /// decision in it.
    fn v1_history(dir: &Path, probes: usize) {
        let c = Connection::open(path_in(dir)).unwrap();
        c.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .unwrap();
        c.execute_batch(MIGRATIONS[0]).unwrap();
        c.pragma_update(None, "user_version", 1).unwrap();
        let now = ms(SystemTime::now());
        let tx = c.unchecked_transaction().unwrap();
        for i in 0..probes as i64 {
            tx.execute(
                "INSERT INTO probes (at_ms, origin, registry, image) VALUES (?1, 'probe', 'docker.io', 'library/alpine:latest')",
                params![now - 1000 * i],
            )
            .unwrap();
            let id = tx.last_insert_rowid();
            for m in ["a", "b"] {
                tx.execute(
                    "INSERT INTO results (probe, name, url, ok, status, latency_ms) VALUES (?1, ?2, ?3, 1, 'ok', ?4)",
                    params![id, m, format!("https://{m}/"), i as f64],
                )
                .unwrap();
            }
        }
        tx.execute(
            "INSERT INTO decisions (at_ms, action, mirror, reason, changed) VALUES (?1, 'keep', 'a', 'fine', 0)",
            params![now],
        )
        .unwrap();
        tx.commit().unwrap();
    }

    #[test]
    fn mirrorctls_opening_a_v1_history_at_once_all_migrate_it() {
        // The first open after an upgrade is often two at once (the timer's probe and the user's): one builds the
        // index, the others must find it built rather than fail with "index results_probe already exists".
        let dir = tempfile::tempdir().unwrap();
        v1_history(dir.path(), 2000);
        for _ in 0..5 {
            let fresh = tempfile::tempdir().unwrap();
            for f in ["history.db", "history.db-wal", "history.db-shm"] {
                if dir.path().join(f).exists() {
                    std::fs::copy(dir.path().join(f), fresh.path().join(f)).unwrap();
                }
            }
            let start = std::sync::Arc::new(std::sync::Barrier::new(4));
            let threads: Vec<_> = (0..4)
                .map(|_| {
                    let d = fresh.path().to_owned();
                    let start = start.clone();
                    std::thread::spawn(move || {
                        start.wait();
                        Store::open(&d).map(|_| ()).map_err(|e| format!("{e:#}"))
                    })
                })
                .collect();
            for t in threads {
                t.join().unwrap().unwrap();
            }
            let s = Store::open(fresh.path()).unwrap();
            assert_eq!(count(&s.conn, "SELECT count(*) FROM results"), 4000);
        }
    }

    /// Every row of every table, as text, in rowid order.
    fn dump(c: &Connection) -> Vec<String> {
        let mut out = Vec::new();
        for table in ["probes", "results", "decisions"] {
            let mut q = c
                .prepare(&format!("SELECT * FROM {table} ORDER BY rowid"))
                .unwrap();
            let n = q.column_count();
            let rows = q
                .query_map([], |r| {
                    let cells: Vec<String> = (0..n)
                        .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                        .collect();
                    Ok(format!("{table}: {}", cells.join(", ")))
                })
                .unwrap();
            out.extend(rows.map(Result::unwrap));
        }
        out
    }

    fn count(c: &Connection, sql: &str) -> i64 {
        c.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn migration_2_indexes_a_v1_history_and_keeps_every_row() {
        let dir = tempfile::tempdir().unwrap();
        v1_history(dir.path(), 5);
        let before = dump(&Connection::open(path_in(dir.path())).unwrap());
        assert_eq!(before.len(), 5 + 10 + 1);
        let s = Store::open(dir.path()).unwrap();
        assert!(s.moved_aside.is_none());
        let version: i64 = s
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
        assert_eq!(
            count(
                &s.conn,
                "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'results_probe' AND tbl_name = 'results'"
            ),
            1
        );
        assert_eq!(dump(&s.conn), before);
        assert_eq!(s.recent("docker.io", "https://a/", 10).unwrap().len(), 5);
        assert_eq!(s.decisions(10).unwrap().len(), 1);
    }

    /// `EXPLAIN QUERY PLAN` of the prune, one line per step: the cascade into `results` is one of them.
    fn plan(c: &Connection) -> Vec<String> {
        let mut q = c
            .prepare(&format!("EXPLAIN QUERY PLAN {PRUNE_PROBES}"))
            .unwrap();
        let rows = q.query_map(params![0], |r| r.get::<_, String>(3)).unwrap();
        rows.map(Result::unwrap).collect()
    }

    #[test]
    fn the_prune_finds_each_old_probes_results_through_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let p = plan(&s.conn);
        assert!(
            p.iter().any(|l| l.starts_with("SEARCH results USING")
                && l.contains("INDEX results_probe (probe=?)")),
            "{p:?}"
        );
        assert!(!p.iter().any(|l| l.starts_with("SCAN results")), "{p:?}");
        // The same check without the index sees the scan per deleted probe, so it is the index that it checks.
        s.conn.execute_batch("DROP INDEX results_probe").unwrap();
        let p = plan(&s.conn);
        assert!(p.iter().any(|l| l.starts_with("SCAN results")), "{p:?}");
    }

    #[test]
    fn pruning_deletes_exactly_the_rows_older_than_keep() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(dir.path()).unwrap();
        // Whole milliseconds, as stored, so that the cutoff falls exactly on a row.
        let now = from_ms(1_800_000_000_000);
        let cutoff = now - KEEP;
        let ms1 = Duration::from_millis(1);
        let three = || ["a", "b", "c"].map(|m| sample(m, true)).to_vec();
        // Oldest first: none of these is old enough to prune another.
        let mut kept = Vec::new();
        let old = s.record(&probe(cutoff - ms1, three())).unwrap();
        for at in [cutoff, cutoff + ms1, now - Duration::from_secs(3600)] {
            kept.push(s.record(&probe(at, three())).unwrap());
        }
        for at in [cutoff - ms1, cutoff] {
            s.decide(&Decision {
                at,
                action: "keep".into(),
                mirror: Some("https://a/".into()),
                replacement: None,
                reason: "fine".into(),
                changed: false,
            })
            .unwrap();
        }
        assert_eq!(count(&s.conn, "SELECT count(*) FROM results"), 12);
        assert_eq!(count(&s.conn, "SELECT count(*) FROM decisions"), 2);

        kept.push(s.record(&probe(now, three())).unwrap());
        let ids: Vec<i64> = s
            .conn
            .prepare("SELECT id FROM probes ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(ids, kept);
        assert!(!ids.contains(&old));
        assert_eq!(count(&s.conn, "SELECT count(*) FROM results"), 12);
        assert_eq!(
            count(
                &s.conn,
                "SELECT count(*) FROM results WHERE probe NOT IN (SELECT id FROM probes)"
            ),
            0
        );
        let d = s.decisions(10).unwrap();
        assert_eq!(d.iter().map(|d| d.at).collect::<Vec<_>>(), [cutoff]);
    }

    #[test]
    fn recent_walks_the_url_index_and_sorts_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let plan: Vec<String> = store
            .conn
            .prepare(
                "EXPLAIN QUERY PLAN SELECT p.id FROM results r JOIN probes p ON p.id = r.probe
                 WHERE r.url = 'u' AND p.registry = 'docker.io' ORDER BY r.probe DESC LIMIT 9",
            )
            .unwrap()
            .query_map([], |r| r.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(plan.iter().any(|l| l.contains("results_url")), "{plan:?}");
        assert!(
            !plan.iter().any(|l| l.contains("TEMP B-TREE")),
            "a sort: {plan:?}"
        );
    }
}
