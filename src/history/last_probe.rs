//! The last probe report, kept in the user's cache dir so `apply` and `show` can reuse it.

use rust_i18n::t;
use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::probe::Report;

/// `$XDG_CACHE_HOME/mirrorctl/last-probe.json` (or the platform's cache dir).
pub fn path() -> Option<PathBuf> {
    dirs::cache_dir().map(|d| d.join("mirrorctl").join("last-probe.json"))
}

pub fn save(report: &Report) -> Result<PathBuf> {
    let path = path().context(t!("io.no_cache_dir"))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| t!("io.cannot_create", path = dir.display()))?;
    }
    let json = serde_json::to_vec_pretty(report)?;
    // The one atomic write (temp file, fsync, rename, fsync the directory): a reader, or a crash, never sees half
    // a report.
    crate::sys::files::write_atomic(&path, &json, |_| Ok(()))?;
    Ok(path)
}

#[allow(dead_code)] // read by `apply` and `show`
pub fn load() -> Option<Report> {
    let text = std::fs::read(path()?).ok()?;
    serde_json::from_slice(&text).ok()
}
