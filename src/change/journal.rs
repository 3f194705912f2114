//! The file side of a change: each write backed up first, and undone in reverse order on the way out.

use rust_i18n::t;
use std::path::Path;

use anyhow::{Context, Result};

use super::plan::FileChange;
use crate::sys::files;
use crate::ui::output::Printer;

/// The files written so far, in order: what a rollback puts back. A transaction: `commit` keeps the writes; a
/// journal dropped without it (an early return, a panic that unwinds) undoes them, so no path out of a change
/// leaves it half made.
pub struct Journal<'a> {
    /// Each file written, with the backup made of it.
    written: Vec<(&'a FileChange, std::path::PathBuf)>,
    /// The mirrors the plan writes: the record's "after" for a file whose own mirrors cannot be read here.
    mirrors: Vec<String>,
    /// Directories the change made (an undo removes them again while they are empty).
    made: Vec<std::path::PathBuf>,
    p: Printer,
}

impl Drop for Journal<'_> {
    fn drop(&mut self) {
        if !self.is_empty() {
            if let Err(e) = self.undo() {
                self.p.info(&format!("{e:#}\n"));
            }
        }
    }
}

impl<'a> Journal<'a> {
    pub fn new(p: Printer) -> Self {
        Self {
            written: vec![],
            mirrors: vec![],
            made: vec![],
            p,
        }
    }

    /// The mirrors the plan writes, for the records of its backups.
    pub fn mirrors(mut self, mirrors: &[String]) -> Self {
        self.mirrors = mirrors.to_vec();
        self
    }

    /// Backs up (or records that there was no file), then writes atomically.
    pub fn write(&mut self, c: &'a FileChange) -> Result<()> {
        for d in &c.dirs {
            if super::dirs::make(d)? {
                self.made.push(d.path.clone());
                self.p.info_line(t!("tx.made_dir", path = d.path.display()));
            }
        }
        let backup = write_one(c, &self.mirrors, self.p)?;
        self.written.push((c, backup));
        Ok(())
    }

    /// The change took effect: keep every write; its backups stay for `restore`, their records say so, and only
    /// now do older backups make way for them.
    pub fn commit(mut self) {
        for (c, backup) in std::mem::take(&mut self.written) {
            if let Some(mut r) = files::backups(&c.path, elsewhere(&c.path).as_deref())
                .into_iter()
                .find(|b| b.path == backup)
                .and_then(|b| b.record)
            {
                r.outcome = files::Outcome::TookEffect;
                if let Err(e) = files::write_record(&backup, &r) {
                    self.p.info(&format!("{e:#}\n"));
                }
            }
            files::prune(&c.path, files::dir_of(&backup));
        }
        self.made.clear();
    }

    pub fn is_empty(&self) -> bool {
        self.written.is_empty() && self.made.is_empty()
    }

    /// Puts the old bytes back (or removes files the change created), newest first. A file that cannot be put back
    /// does not stop the others: every one is tried, and each that failed is named in the error.
    pub fn undo(&mut self) -> Result<()> {
        let mut failed: Vec<String> = Vec::new();
        for (c, backup) in std::mem::take(&mut self.written).iter().rev() {
            let back = match &c.before {
                Some(old) => files::write_atomic(&c.path, old, |_| Ok(())),
                None => remove(&c.path),
            };
            match back {
                Ok(()) => {
                    // The file holds the backup's bytes again: a change that never took effect keeps no backup,
                    // so `restore` undoes the last change that did, and five failed tries push out nothing.
                    files::discard(backup);
                    self.p.info_line(t!("tx.restored", path = c.path.display()))
                }
                Err(e) => failed.push(format!("{}: {e:#}", c.path.display())),
            }
        }
        for d in std::mem::take(&mut self.made).iter().rev() {
            if let Err(e) = super::dirs::unmake(d) {
                failed.push(format!("{}: {e:#}", d.display()));
            }
        }
        if failed.is_empty() {
            return Ok(());
        }
        anyhow::bail!("{}", t!("tx.undo_failed", files = failed.join("; ")))
    }
}

/// Where a file's backups go: beside it, unless its directory is one whose every file a daemon reads as live
/// config (`files::is_live_dir`: cron.d, systemd's, `*.d`) — there a backup would act, so it goes to the
/// state directory (trusted, 0700) instead.
pub fn backups_dir(path: &Path) -> Result<std::path::PathBuf> {
    match elsewhere(path) {
        Some(at) => {
            crate::sys::state::ensure(&crate::sys::state::state_dir())?;
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(
                std::fs::DirBuilder::new().recursive(true),
                0o700,
            )
            .create(&at)
            .with_context(|| t!("io.cannot_create", path = at.display()))?;
            #[cfg(windows)]
            std::fs::create_dir_all(&at)
                .with_context(|| t!("io.cannot_create", path = at.display()))?;
            Ok(at)
        }
        None => Ok(files::dir_of(path).to_owned()),
    }
}

/// The state directory's place for the backups of a file in a live config directory.
pub fn elsewhere(path: &Path) -> Option<std::path::PathBuf> {
    let dir = files::dir_of(path);
    files::is_live_dir(dir).then(|| crate::sys::state::state_dir().join(files::outside_name(dir)))
}

/// Backs `c` up with a record of what makes the change (outcome `unfinished` until `commit`), then writes it.
fn write_one(c: &FileChange, mirrors: &[String], p: Printer) -> Result<std::path::PathBuf> {
    let b = match &c.before {
        Some(old) => files::backup(&c.path, Some(old), c.keep, &backups_dir(&c.path)?)?,
        // No file before: the `.absent` record keeps what this change wrote, so that `restore` removes the file
        // only while it is still exactly that — never a file someone wrote after a failed change.
        None => files::backup(
            &c.path,
            Some(c.after.as_deref().unwrap_or_default()),
            files::Kind::Absent,
            &backups_dir(&c.path)?,
        )?,
    };
    files::write_record(&b, &record(c, mirrors))?;
    if c.before.is_some() {
        p.info_line(t!("tx.backed_up", path = b.display()));
    }
    match &c.after {
        Some(bytes) => {
            files::write_atomic(&c.path, bytes, c.check)?;
            p.info_line(t!("tx.wrote", path = c.path.display()));
        }
        None => {
            remove(&c.path)?;
            p.info_line(t!("tx.removed", path = c.path.display()));
        }
    }
    Ok(b)
}

/// What a backup's record says of the change `c`: the command (its subcommand words only, so no secret given
/// as an argument is kept), and the mirrors and proxy before and after where the file is daemon.json's JSON.
fn record(c: &FileChange, mirrors: &[String]) -> files::Record {
    let before = c.before.as_deref().map(json_object);
    let after = c.after.as_deref().map(json_object);
    let mirrors_of = |o: &Option<Option<serde_json::Map<String, serde_json::Value>>>| match o {
        Some(Some(m)) => Some(strings(m.get("registry-mirrors"))),
        Some(None) => None,
        None => Some(vec![]), // no file: no mirror
    };
    let proxy_of = |o: &Option<Option<serde_json::Map<String, serde_json::Value>>>| {
        o.as_ref()
            .and_then(|m| m.as_ref())
            .and_then(|m| m.get("proxies"))
            .map(masked)
    };
    files::Record {
        command: command(std::env::args_os()),
        outcome: files::Outcome::Unfinished,
        mirrors_before: mirrors_of(&before),
        mirrors_after: mirrors_of(&after)
            .or_else(|| (!mirrors.is_empty()).then(|| mirrors.to_vec())),
        proxy_before: proxy_of(&before),
        proxy_after: proxy_of(&after),
    }
}

/// `mirrorctl` and the subcommand words of `args` (`mirrorctl proxy set`, `mirrorctl watch`): no flag, no value.
fn command(args: impl Iterator<Item = std::ffi::OsString>) -> String {
    let mut args = args.skip(1).map(|a| a.to_string_lossy().into_owned());
    let mut words = vec!["mirrorctl".to_owned()];
    while let Some(a) = args.next() {
        if a.starts_with('-') && words.len() == 1 {
            // The global options before the subcommand; two of them take a value.
            if a == "--lang" || a == "--state-dir" {
                args.next();
            }
            continue;
        }
        if !a.starts_with(|c: char| c.is_ascii_lowercase())
            || !a.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
        {
            break;
        }
        words.push(a);
    }
    words.join(" ")
}

fn json_object(bytes: &[u8]) -> Option<serde_json::Map<String, serde_json::Value>> {
    match serde_json::from_slice(bytes).ok()? {
        serde_json::Value::Object(m) => Some(m),
        _ => None,
    }
}

fn strings(v: Option<&serde_json::Value>) -> Vec<String> {
    v.and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|m| m.as_str().map(crate::ui::redact::url))
                .collect()
        })
        .unwrap_or_default()
}

/// A proxy setting with every URL's credentials masked, as dockerd shows it.
fn masked(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::String(s) => serde_json::Value::String(crate::ui::redact::url(s)),
        serde_json::Value::Object(m) => m.iter().map(|(k, v)| (k.clone(), masked(v))).collect(),
        other => other.clone(),
    }
}

fn remove(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| t!("tx.cannot_remove", path = path.display()))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The second of three files cannot be put back (its path became a directory): the other two still are, and
    /// the error names the one that failed.
    #[test]
    fn an_undo_that_fails_in_the_middle_restores_the_rest_and_names_the_failure() {
        let dir = tempfile::tempdir().unwrap();
        let paths: Vec<_> = ["a.json", "b.json", "c.json"]
            .iter()
            .map(|n| dir.path().join(n))
            .collect();
        for p in &paths {
            std::fs::write(p, b"old").unwrap();
        }
        let changes: Vec<FileChange> = paths
            .iter()
            .map(|p| FileChange::new(p.clone(), Some(b"old".to_vec()), b"new".to_vec()))
            .collect();
        let p = Printer::new(true, false);
        let mut j = Journal::new(p);
        for c in &changes {
            j.write(c).unwrap();
        }
        std::fs::remove_file(&paths[1]).unwrap();
        std::fs::create_dir(&paths[1]).unwrap();
        std::fs::write(paths[1].join("inside"), b"x").unwrap();
        let err = format!("{:#}", j.undo().unwrap_err());
        assert!(err.contains("b.json"), "{err}");
        assert!(!err.contains("a.json") && !err.contains("c.json"), "{err}");
        assert_eq!(std::fs::read(&paths[0]).unwrap(), b"old");
        assert_eq!(std::fs::read(&paths[2]).unwrap(), b"old");
    }

    /// The record keeps the subcommand words only, and the proxy masked as dockerd shows it.
    #[test]
    fn a_record_names_the_command_and_masks_the_proxy() {
        let words = |a: &[&str]| command(a.iter().map(std::ffi::OsString::from));
        assert_eq!(
            words(&[
                "/usr/bin/mirrorctl",
                "proxy",
                "set",
                "http://u:pw@p:3128",
                "--yes"
            ]),
            "mirrorctl proxy set"
        );
        assert_eq!(
            words(&["mirrorctl", "apply", "--mirror", "https://a.example"]),
            "mirrorctl apply"
        );
        assert_eq!(words(&["mirrorctl", "--quiet", "watch"]), "mirrorctl watch");
        assert_eq!(
            words(&[
                "mirrorctl",
                "--lang",
                "zh",
                "--state-dir",
                "/s",
                "cache",
                "restore"
            ]),
            "mirrorctl cache restore"
        );
        let c = FileChange::new(
            "daemon.json".into(),
            Some(b"{\"registry-mirrors\": [\"https://a.example/\"]}".to_vec()),
            "{\"registry-mirrors\": [], \"proxies\": {\"http-proxy\": \"http://ops:s3cret@p:3128\"}}",
        );
        let r = record(&c, &[]);
        assert_eq!(
            r.mirrors_before,
            Some(vec!["https://a.example/".to_owned()])
        );
        assert_eq!(r.mirrors_after, Some(vec![]));
        assert_eq!(r.proxy_before, None);
        assert_eq!(
            r.proxy_after,
            Some(serde_json::json!({"http-proxy": "http://xxxxx:xxxxx@p:3128"}))
        );
        assert_eq!(r.outcome, files::Outcome::Unfinished);
        // A file that is not JSON: the plan's mirrors are the record's "after".
        let toml = FileChange::new("hosts.toml".into(), None, "[host]");
        let r = record(&toml, &["https://m.example".to_owned()]);
        assert_eq!(r.mirrors_before, Some(vec![]));
        assert_eq!(r.mirrors_after, Some(vec!["https://m.example".to_owned()]));
    }
}
