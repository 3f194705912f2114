//! The file side of a change: each write backed up first, and undone in reverse order on the way out.

use rust_i18n::t;
use std::path::Path;

use anyhow::{Context, Result};

use super::plan::FileChange;
use crate::daemon_config::files;
use crate::output::Printer;

/// The files written so far, in order: what a rollback puts back.
pub struct Journal<'a> {
    written: Vec<&'a FileChange>,
    /// Directories the change made (an undo removes them again while they are empty).
    made: Vec<std::path::PathBuf>,
    p: Printer,
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
                self.p
                    .info(&format!("{}\n", t!("tx.made_dir", path = d.path.display())));
            }
        }
        write_one(c, self.p)?;
        self.written.push(c);
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.written.is_empty() && self.made.is_empty()
    }

    /// Puts the old bytes back (or removes files the change created), newest first.
    pub fn undo(&self) -> Result<()> {
        for c in self.written.iter().rev() {
            match &c.before {
                Some(old) => files::write_atomic(&c.path, old, |_| Ok(()))?,
                None => remove(&c.path)?,
            }
            self.p
                .info(&format!("{}\n", t!("tx.restored", path = c.path.display())));
        }
        for d in self.made.iter().rev() {
            super::dirs::unmake(d)?;
        }
        Ok(())
    }
}

fn write_one(c: &FileChange, p: Printer) -> Result<()> {
    let b = match &c.before {
        Some(old) => files::backup(&c.path, Some(old), c.keep)?,
        // No file before: the `.absent` record keeps what this change wrote, so that `restore` removes the file
        // only while it is still exactly that — never a file someone wrote after a failed change.
        None => files::backup(
            &c.path,
            Some(c.after.as_deref().unwrap_or_default()),
            files::Kind::Absent,
        )?,
    };
    if c.before.is_some() {
        p.info(&format!("{}\n", t!("tx.backed_up", path = b.display())));
    }
    match &c.after {
        Some(bytes) => {
            files::write_atomic(&c.path, bytes, c.check)?;
            p.info(&format!("{}\n", t!("tx.wrote", path = c.path.display())));
        }
        None => {
            remove(&c.path)?;
            p.info(&format!("{}\n", t!("tx.removed", path = c.path.display())));
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
