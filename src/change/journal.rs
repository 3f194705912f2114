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
    written: Vec<&'a FileChange>,
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
            made: vec![],
            p,
        }
    }

    /// Backs up (or records that there was no file), then writes atomically.
    pub fn write(&mut self, c: &'a FileChange) -> Result<()> {
        for d in &c.dirs {
            if super::dirs::make(d)? {
                self.made.push(d.path.clone());
                self.p.info_line(t!("tx.made_dir", path = d.path.display()));
            }
        }
        write_one(c, self.p)?;
        self.written.push(c);
        Ok(())
    }

    /// The change took effect: keep every write (the backups stay for `restore`).
    pub fn commit(mut self) {
        self.written.clear();
        self.made.clear();
    }

    pub fn is_empty(&self) -> bool {
        self.written.is_empty() && self.made.is_empty()
    }

    /// Puts the old bytes back (or removes files the change created), newest first. A file that cannot be put back
    /// does not stop the others: every one is tried, and each that failed is named in the error.
    pub fn undo(&mut self) -> Result<()> {
        let mut failed: Vec<String> = Vec::new();
        for c in std::mem::take(&mut self.written).iter().rev() {
            let back = match &c.before {
                Some(old) => files::write_atomic(&c.path, old, |_| Ok(())),
                None => remove(&c.path),
            };
            match back {
                Ok(()) => self.p.info_line(t!("tx.restored", path = c.path.display())),
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

fn write_one(c: &FileChange, p: Printer) -> Result<()> {
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
    Ok(())
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
}
