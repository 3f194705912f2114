//! The file side of a config change: read through symlinks, back up, write atomically with the old mode and owner.

use rust_i18n::t;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{Context, Result};

/// How many of our backups to keep beside the file.
pub const KEEP_BACKUPS: usize = 5;
const BACKUP_TAG: &str = ".mirrorctl-";

/// `--config`, else where this platform's dockerd reads it. Returns whether it is a rootless daemon's.
pub fn locate(config: Option<&Path>) -> (PathBuf, bool) {
    let rootless = is_rootless();
    let path = match config {
        Some(p) => p.to_owned(),
        None if cfg!(target_os = "macos") => dirs::home_dir()
            .unwrap_or_default()
            .join(".docker/daemon.json"),
        None if rootless => dirs::config_dir()
            .unwrap_or_default()
            .join("docker/daemon.json"),
        None => crate::dockerd_flags::sysconfdir().join("docker/daemon.json"),
    };
    (resolve(&path), rootless)
}

/// A non-root user whose own dockerd socket exists runs rootless Docker.
fn is_rootless() -> bool {
    // SAFETY-free way to ask for the uid: the owner of /proc/self.
    let uid = std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m))
        .unwrap_or(0);
    uid != 0 && dirs::runtime_dir().is_some_and(|d| d.join("docker.sock").exists())
}

/// The file to edit: a symlinked daemon.json is edited at its target, so the link survives — also when the target
/// does not exist yet (a dangling link is followed, not replaced by a file).
pub fn resolve(path: &Path) -> PathBuf {
    if let Ok(p) = fs::canonicalize(path) {
        return p;
    }
    let mut p = path.to_owned();
    for _ in 0..40 {
        match fs::read_link(&p) {
            Ok(target) if target.is_absolute() => p = target,
            Ok(target) => p = p.parent().unwrap_or(Path::new("/")).join(target),
            Err(_) => break,
        }
    }
    p
}

/// The most mirrorctl reads of any config file: far above any real one, far below what would hurt.
pub const MAX_CONFIG_BYTES: u64 = 16 * 1024 * 1024;

/// The current bytes, or `None` when the file does not exist. Only a regular file is read (a FIFO would block and
/// a device never end), and only up to `MAX_CONFIG_BYTES`.
pub fn read(path: &Path) -> Result<Option<Vec<u8>>> {
    use std::io::Read;
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| t!("apply.cannot_read", path = path.display())),
    };
    if !meta.is_file() {
        anyhow::bail!("{}", t!("io.not_regular", path = path.display()));
    }
    let file =
        fs::File::open(path).with_context(|| t!("apply.cannot_read", path = path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| t!("apply.cannot_read", path = path.display()))?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        anyhow::bail!(
            "{}",
            t!(
                "io.too_big",
                path = path.display(),
                mib = MAX_CONFIG_BYTES / 1024 / 1024
            )
        );
    }
    Ok(Some(bytes))
}

/// `read` for text files that must exist, as UTF-8 (lossless or an error naming the file).
pub fn read_text(path: &Path) -> Result<String> {
    let bytes = read(path)?.ok_or_else(|| {
        anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::NotFound))
            .context(t!("apply.cannot_read", path = path.display()).into_owned())
    })?;
    String::from_utf8(bytes).with_context(|| t!("apply.not_utf8", path = path.display()))
}

/// Writes `bytes` to `path` so that a reader (or a crash) sees either the old file or the new one, never a mix:
/// temp file in the same directory, fsync, the old mode and owner, rename, fsync the directory.
/// `check` runs on the complete temp file before it replaces anything (`dockerd --validate`).
pub fn write_atomic(
    path: &Path,
    bytes: &[u8],
    check: impl FnOnce(&Path) -> Result<()>,
) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir).with_context(|| t!("io.cannot_create", path = dir.display()))?;
    let old = fs::metadata(path).ok();
    let mut tmp = tempfile::Builder::new()
        .prefix(".daemon.json.mirrorctl-")
        .tempfile_in(dir)
        .with_context(|| t!("io.cannot_write_in", path = dir.display()))?;
    tmp.write_all(bytes)?;
    let mode = old
        .as_ref()
        .map_or(0o644, |m| m.permissions().mode() & 0o7777);
    tmp.as_file()
        .set_permissions(fs::Permissions::from_mode(mode))?;
    if let Some(m) = &old {
        // Only root can give a file away; as another user the owner is already ours.
        let _ = std::os::unix::fs::fchown(tmp.as_file(), Some(m.uid()), Some(m.gid()));
    }
    tmp.as_file().sync_all()?;
    check(tmp.path())?;
    tmp.persist(path)
        .with_context(|| t!("io.cannot_write", path = path.display()))?;
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| t!("io.cannot_sync", path = dir.display()))?;
    Ok(())
}

/// Copies the current bytes to `daemon.json.mirrorctl-<UTC time>.bak` beside the file; drops the oldest beyond
/// `KEEP_BACKUPS`. Returns the backup's path.
pub fn backup(path: &Path, bytes: &[u8]) -> Result<PathBuf> {
    let stamp = humantime::format_rfc3339_millis(SystemTime::now())
        .to_string()
        .replace([':', '-', '.'], "");
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "daemon.json".into());
    let dest = path.with_file_name(format!("{name}{BACKUP_TAG}{stamp}.bak"));
    write_atomic(&dest, bytes, |_| Ok(()))
        .with_context(|| t!("io.cannot_backup", path = dest.display()))?;
    let all = backups(path);
    for old in all.iter().skip(KEEP_BACKUPS) {
        let _ = fs::remove_file(old);
    }
    Ok(dest)
}

/// Our backups of `path`, newest first.
pub fn backups(path: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return vec![];
    };
    let prefix = format!("{}{BACKUP_TAG}", name.to_string_lossy());
    let mut found: Vec<PathBuf> = fs::read_dir(if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    })
    .into_iter()
    .flatten()
    .flatten()
    .map(|e| e.path())
    .filter(|p| {
        p.file_name()
            .map(|n| n.to_string_lossy())
            .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".bak"))
    })
    .collect();
    // The timestamp sorts lexically.
    found.sort();
    found.reverse();
    found
}

#[cfg(test)]
mod read_tests {
    use super::*;

    #[test]
    fn a_dangling_link_is_followed_to_where_it_points() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("daemon.json");
        std::os::unix::fs::symlink("real/daemon.json", &link).unwrap();
        assert_eq!(resolve(&link), dir.path().join("real/daemon.json"));
    }

    #[test]
    fn a_fifo_a_device_and_a_huge_file_are_refused_without_reading() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        let e = read(&fifo).unwrap_err();
        assert!(format!("{e:#}").contains("not a regular file"), "{e:#}");
        assert!(read(Path::new("/dev/zero")).is_err());
        let big = dir.path().join("big.json");
        let f = fs::File::create(&big).unwrap();
        f.set_len(MAX_CONFIG_BYTES + 1).unwrap();
        assert!(format!("{:#}", read(&big).unwrap_err()).contains("16 MiB"));
        assert_eq!(read(&dir.path().join("none")).unwrap(), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_keeps_mode_and_backups_rotate() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("daemon.json");
        fs::write(&f, b"{}").unwrap();
        fs::set_permissions(&f, fs::Permissions::from_mode(0o600)).unwrap();
        write_atomic(&f, b"{\"debug\": true}", |_| Ok(())).unwrap();
        assert_eq!(fs::read(&f).unwrap(), b"{\"debug\": true}");
        assert_eq!(
            fs::metadata(&f).unwrap().permissions().mode() & 0o777,
            0o600
        );

        let mut made = vec![];
        for i in 0..KEEP_BACKUPS + 2 {
            made.push(backup(&f, format!("{i}").as_bytes()).unwrap());
            std::thread::sleep(std::time::Duration::from_millis(2)); // distinct millisecond stamps
        }
        let kept = backups(&f);
        assert_eq!(kept.len(), KEEP_BACKUPS);
        assert_eq!(
            fs::read(&kept[0]).unwrap(),
            format!("{}", KEEP_BACKUPS + 1).as_bytes(),
            "newest first"
        );
    }

    #[test]
    fn a_failed_check_leaves_the_file_alone() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("daemon.json");
        fs::write(&f, b"{\"old\": 1}").unwrap();
        let r = write_atomic(&f, b"{\"new\": 1}", |p| {
            assert_eq!(
                fs::read(p).unwrap(),
                b"{\"new\": 1}",
                "the check sees the complete candidate"
            );
            anyhow::bail!("dockerd --validate said no")
        });
        assert!(r.is_err());
        assert_eq!(fs::read(&f).unwrap(), b"{\"old\": 1}");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left behind"
        );
    }

    #[test]
    fn symlinks_are_edited_at_their_target() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real.json");
        fs::write(&target, b"{}").unwrap();
        let link = dir.path().join("daemon.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let resolved = resolve(&link);
        write_atomic(&resolved, b"{\"a\": 1}", |_| Ok(())).unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read(&link).unwrap(), b"{\"a\": 1}");
    }
}
