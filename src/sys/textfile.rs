//! `--textfile DIR`: DIR/mirrorctl.prom for node_exporter's textfile collector, replaced atomically (a temp file
//! beside it, synced, renamed over it, the directory synced), so a scrape never reads half a file. The temp file's
//! name (`.mirrorctl.prom.XXXXXX`) does not end in `.prom`: the collector never reads it.
//!
//! The trust rule (state.rs) for root: the directory is opened once, without following a symlink, and must be
//! root's and writable by no one else; everything after goes through that open directory (`/proc/self/fd/N`), so
//! a user who can rename things above it (Debian's /var/lib/prometheus is the prometheus user's) cannot swap in
//! another directory between the check and the write.

#[cfg(unix)]
use std::fs::File;
#[cfg(unix)]
use std::io::Write;
#[cfg(unix)]
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
#[cfg(unix)]
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

#[cfg(unix)]
use anyhow::Context;
use anyhow::Result;
use rust_i18n::t;

pub const NAME: &str = "mirrorctl.prom";

/// Whether `dir` is one `write` would write into (`watch --install` asks before a timer writes there each run).
#[cfg(unix)]
pub fn check(dir: &Path) -> Result<()> {
    open(dir).map(drop)
}

/// The directory, opened without following a symlink, and as root trusted.
#[cfg(unix)]
fn open(dir: &Path) -> Result<File> {
    let d = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(dir)
        .map_err(|e| crate::ui::errors::Hinted {
            message: format!("{}: {e}", t!("metrics.textfile_dir", path = dir.display())),
            hint: t!("metrics.textfile_dir_hint", path = dir.display()).into(),
        })?;
    let me = crate::sys::host::Host::get().uid;
    if me == 0 {
        let m = d.metadata()?;
        let facts = crate::sys::state::Facts {
            uid: m.uid(),
            mode: m.mode(),
            is_dir: true,
            is_symlink: false,
        };
        if crate::sys::state::judge(facts, me, true).is_err() {
            return Err(crate::ui::errors::Hinted {
                message: t!(
                    "metrics.textfile_untrusted",
                    path = dir.display(),
                    uid = m.uid(),
                    mode = format!("{:04o}", m.mode() & 0o7777)
                )
                .into(),
                hint: t!("metrics.textfile_untrusted_hint", path = dir.display()).into(),
            }
            .into());
        }
    }
    Ok(d)
}

/// Writes `text` to `dir/mirrorctl.prom`; returns that path.
#[cfg(unix)]
pub fn write(dir: &Path, text: &str) -> Result<PathBuf> {
    let target = dir.join(NAME);
    let d = open(dir)?;
    let held = PathBuf::from(format!("/proc/self/fd/{}", d.as_raw_fd()));
    let cannot = || t!("io.cannot_write", path = target.display()).into_owned();
    let mut tmp = tempfile::Builder::new()
        .prefix(".mirrorctl.prom.")
        .tempfile_in(&held)
        .with_context(cannot)?;
    tmp.write_all(text.as_bytes()).with_context(cannot)?;
    // node_exporter runs as its own user: the file is for everyone to read, as the metrics page is.
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))
        .with_context(cannot)?;
    tmp.as_file().sync_all().with_context(cannot)?;
    tmp.persist(held.join(NAME))
        .map_err(|e| anyhow::Error::new(e.error).context(cannot()))?;
    File::open(&held)
        .and_then(|f| f.sync_all())
        .with_context(|| t!("io.cannot_sync", path = dir.display()))?;
    Ok(target)
}

/// node_exporter's textfile collector is a Linux (unix) tool; Windows has no such directory to write into.
#[cfg(windows)]
pub fn check(_dir: &Path) -> Result<()> {
    anyhow::bail!(t!("platform.unix_only", what = "--textfile"))
}

#[cfg(windows)]
pub fn write(dir: &Path, _text: &str) -> Result<PathBuf> {
    check(dir).map(|()| dir.join(NAME))
}

// Unix modes and symlinks.
#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_whole_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(NAME), "old\n").unwrap();
        let path = write(dir.path(), "# HELP a b\n# TYPE a gauge\na 1\n").unwrap();
        assert_eq!(path, dir.path().join(NAME));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "# HELP a b\n# TYPE a gauge\na 1\n"
        );
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [NAME]);
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o644
        );
    }

    #[test]
    fn a_symlink_is_not_followed_to_its_directory() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::create_dir(&real).unwrap();
        std::os::unix::fs::symlink(&real, dir.path().join("link")).unwrap();
        assert!(write(&dir.path().join("link"), "a 1\n").is_err());
        assert!(!real.join(NAME).exists());
        assert!(write(&dir.path().join("missing"), "a 1\n").is_err());
    }
}
