//! Where the page goes: written atomically (a browser or a web server reading it sees the old page or the new one,
//! never half of one), over a page of ours from an earlier run — a report is regenerated, so overwriting is what a
//! user expects — but never through a symbolic link, and never into a place another user could have prepared for
//! root (the trust rule, `state.rs`).

use std::path::Path;

use anyhow::Result;
use rust_i18n::t;

/// Writes `bytes` at `path`: a new file gets 0644 (a page is for sharing), an existing one keeps its mode.
pub fn to_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Ok(m) = std::fs::symlink_metadata(path) {
        // The rename would replace the link itself; either way not what the link's maker meant, so say it.
        if m.file_type().is_symlink() {
            return Err(crate::ui::errors::Hinted {
                message: t!("report.symlink", path = path.display()).into(),
                hint: t!("report.symlink_hint", path = path.display()).into(),
            }
            .into());
        }
        if !m.is_file() {
            anyhow::bail!("{}", t!("io.not_regular", path = path.display()));
        }
    }
    // As root: no directory above (and not the file) that another user owns or can write.
    crate::sys::state::check(path)?;
    crate::sys::files::write_atomic(path, bytes, |_| Ok(()))
}

// Unix modes and symlinks.
#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn overwrites_a_file_keeping_its_mode_and_refuses_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let page = dir.path().join("report.html");
        to_file(&page, b"one").unwrap();
        assert_eq!(
            std::fs::metadata(&page).unwrap().permissions().mode() & 0o777,
            0o644
        );
        std::fs::set_permissions(&page, std::fs::Permissions::from_mode(0o600)).unwrap();
        to_file(&page, b"two").unwrap();
        assert_eq!(std::fs::read(&page).unwrap(), b"two");
        assert_eq!(
            std::fs::metadata(&page).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let target = dir.path().join("elsewhere");
        std::fs::write(&target, b"keep").unwrap();
        let link = dir.path().join("link.html");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let e = to_file(&link, b"three").unwrap_err();
        assert!(format!("{e:#}").contains("symbolic link"), "{e:#}");
        assert_eq!(std::fs::read(&target).unwrap(), b"keep");
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        // A directory is not a page.
        assert!(to_file(dir.path(), b"x").is_err());
    }
}
