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
    let dir = path.parent().expect("the path has a parent");
    std::fs::create_dir_all(dir).with_context(|| t!("io.cannot_create", path = dir.display()))?;
    let json = serde_json::to_vec_pretty(report)?;
    // A temp file and a rename, so a reader never sees half a report.
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| t!("io.cannot_write_in", path = dir.display()))?;
    std::io::Write::write_all(&mut tmp, &json)?;
    tmp.persist(&path)
        .with_context(|| t!("io.cannot_write", path = path.display()))?;
    Ok(path)
}

#[allow(dead_code)] // read by `apply` and `show`
pub fn load() -> Option<Report> {
    let text = std::fs::read(path()?).ok()?;
    serde_json::from_slice(&text).ok()
}
