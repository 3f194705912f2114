//! The probe history on disk: one SQLite file (rusqlite with the bundled SQLite, so every machine gets the same
//! engine), a versioned schema, WAL with a busy timeout so two probes at once both land, rows older than
//! `KEEP` pruned. A file that is not a database, or is corrupt, is moved aside and recreated: history is a help,
//! never a reason for a probe to fail.

use rust_i18n::t;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use rusqlite::{params, Connection, ErrorCode};

use super::{Decision, Outcome, Probe};

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
];

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
            return Err(crate::errors::Hinted {
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
        tx.execute("DELETE FROM probes WHERE at_ms < ?1", params![cutoff])?;
        tx.execute("DELETE FROM decisions WHERE at_ms < ?1", params![cutoff])?;
        tx.commit()?;
        Ok(id)
    }

    /// The outcomes of `url` in the newest `limit` probes of `registry` that included it, newest first.
    pub fn recent(&self, registry: &str, url: &str, limit: usize) -> Result<Vec<Outcome>> {
        let mut q = self.conn.prepare_cached(
            "SELECT p.id, p.at_ms, r.name, r.url, r.ok, r.status, r.error, r.latency_ms, r.throughput_bps, r.score_s
             FROM results r JOIN probes p ON p.id = r.probe
             WHERE r.url = ?1 AND p.registry = ?2
             ORDER BY p.at_ms DESC, p.id DESC LIMIT ?3",
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
        row: super::Row {
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
        let tx = conn.transaction()?;
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
    use crate::history::Probe;
    use crate::probe::MirrorResult;

    fn probe(at: SystemTime, results: Vec<MirrorResult>) -> Probe {
        Probe {
            at,
            origin: "probe".into(),
            registry: "docker.io".into(),
            image: "library/alpine:latest".into(),
            results: results.into_iter().map(Into::into).collect(),
        }
    }

    #[test]
    fn records_reads_back_newest_first_and_prunes_old_rows() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(dir.path()).unwrap();
        let now = SystemTime::now();
        let old = now - KEEP - Duration::from_secs(60);
        s.record(&probe(
            old,
            vec![MirrorResult::sample("a", true, 10.0, 1e6)],
        ))
        .unwrap();
        s.record(&probe(
            now - Duration::from_secs(10),
            vec![MirrorResult::sample("a", false, 10.0, 1e6)],
        ))
        .unwrap();
        s.record(&probe(
            now,
            vec![MirrorResult::sample("a", true, 10.0, 1e6)],
        ))
        .unwrap();
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
        s.record(&probe(
            SystemTime::now(),
            vec![MirrorResult::sample("a", true, 1.0, 1.0)],
        ))
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
                            vec![MirrorResult::sample(&format!("m{i}"), true, 1.0, 1.0)],
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
}
