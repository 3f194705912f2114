//! The file side of a config change: read through symlinks, back up, write atomically with the old mode and owner.

use rust_i18n::t;
use std::fs;
use std::io::Write;
#[cfg(unix)]
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{Context, Result};

/// How many of our backups to keep beside the file, besides the first one (the file as it was before mirrorctl
/// ever touched it, kept for good).
pub const KEEP_BACKUPS: usize = 5;
const BACKUP_TAG: &str = ".mirrorctl-";

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
    let like = fs::metadata(path).ok();
    let tmp = staged(path, bytes, like.as_ref())?;
    check(tmp.path())?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .map_err(|e| busy_hint(e, path))?;
    sync_dir(path)
}

/// The bytes in a synced temp file beside `path`, with `like`'s mode and owner (0644 for a new file).
fn staged(
    path: &Path,
    bytes: &[u8],
    like: Option<&fs::Metadata>,
) -> Result<tempfile::NamedTempFile> {
    let dir = parent(path);
    fs::create_dir_all(dir).with_context(|| t!("io.cannot_create", path = dir.display()))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".daemon.json.mirrorctl-")
        .tempfile_in(dir)
        .with_context(|| t!("io.cannot_write_in", path = dir.display()))?;
    tmp.write_all(bytes)?;
    #[cfg(unix)]
    let mode = like.map_or(0o644, |m| m.permissions().mode() & 0o7777);
    #[cfg(unix)]
    tmp.as_file()
        .set_permissions(fs::Permissions::from_mode(mode))?;
    // Windows: the old file's permissions (its read-only bit; the ACL is the directory's, inherited).
    #[cfg(windows)]
    if let Some(m) = like {
        tmp.as_file().set_permissions(m.permissions())?;
    }
    #[cfg(unix)]
    if let Some(m) = like {
        // Only root can give a file away; as another user the owner is already ours.
        let _ = std::os::unix::fs::fchown(tmp.as_file(), Some(m.uid()), Some(m.gid()));
    }
    tmp.as_file().sync_all()?;
    Ok(tmp)
}

fn parent(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

#[cfg(unix)]
fn sync_dir(path: &Path) -> Result<()> {
    let dir = parent(path);
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| t!("io.cannot_sync", path = dir.display()))
}

/// Windows has no fsync of a directory: one cannot be opened as a file (std's open of one is refused, so every
/// write failed here with "cannot sync"), and NTFS journals the rename itself.
#[cfg(windows)]
fn sync_dir(_: &Path) -> Result<()> {
    Ok(())
}

/// A rename onto a bind-mounted file fails with EBUSY: say what that means.
fn busy_hint(e: std::io::Error, path: &Path) -> anyhow::Error {
    let busy = e.raw_os_error() == Some(16);
    let e =
        anyhow::Error::new(e).context(t!("io.cannot_write", path = path.display()).into_owned());
    if busy {
        e.context(t!("io.bind_mounted", path = path.display()).into_owned())
    } else {
        e
    }
}

/// What a backup holds: the bytes before a change, the fact that there was no file, or the bytes before a
/// `restore` (kept so a restore can be undone, never chosen by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Backup,
    Absent,
    PreRestore,
}

impl Kind {
    fn suffix(self) -> &'static str {
        match self {
            Kind::Backup => ".bak",
            Kind::Absent => ".absent",
            Kind::PreRestore => ".pre-restore",
        }
    }
}

/// One backup of a file: `<name>.mirrorctl-<UTC time to the nanosecond>.<kind>` beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct Backup {
    pub path: PathBuf,
    pub kind: Kind,
    /// `20261125T141003123456789Z`: sorts as time does.
    pub stamp: String,
    /// What made it, from its `<backup>.json` record (`None`: made by a version that kept no record).
    pub record: Option<Record>,
}

/// Whether the change a backup was made for took effect. A change that was rolled back keeps no backup at all
/// (the rollback put those very bytes back), so what is left is either a change that took effect or one that was
/// cut off (the process died, or its undo failed) and so may still be in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    TookEffect,
    Unfinished,
}

/// What made a backup, kept beside it as `<backup>.json` with the backup's mode: the command, whether it took
/// effect, and the mirrors and proxy (masked) the file held before and after. `None`: not known for this file.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Record {
    pub command: String,
    pub outcome: Outcome,
    pub mirrors_before: Option<Vec<String>>,
    pub mirrors_after: Option<Vec<String>>,
    pub proxy_before: Option<serde_json::Value>,
    pub proxy_after: Option<serde_json::Value>,
}

/// The records of the backups in one directory of one file: `.<name>.mirrorctl.json` beside them, a JSON object
/// from backup name to record (a dot-name no daemon reads, and no backup's name: it holds no `.mirrorctl-` tag).
fn index_path(backup: &Path) -> Option<PathBuf> {
    let file = backup.file_name()?.to_string_lossy().into_owned();
    let name = &file[..file.rfind(BACKUP_TAG)?];
    Some(parent(backup).join(format!(".{name}.mirrorctl.json")))
}

type Index = std::collections::BTreeMap<String, Record>;

fn read_index(at: &Path) -> Index {
    read(at)
        .ok()
        .flatten()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Changes the index of `backup`'s directory: `edit` gets it, entries whose backup is gone are dropped, and it is
/// written atomically with `backup`'s mode and owner (a record is never readable by more people than the file).
fn edit_index(backup: &Path, edit: impl FnOnce(&mut Index)) -> Result<()> {
    let Some(at) = index_path(backup) else {
        return Ok(());
    };
    let mut index = read_index(&at);
    edit(&mut index);
    index.retain(|name, _| parent(backup).join(name).exists());
    if index.is_empty() {
        let _ = fs::remove_file(&at);
        return Ok(());
    }
    let like = fs::metadata(backup).ok().or_else(|| fs::metadata(&at).ok());
    let tmp = staged(&at, &serde_json::to_vec_pretty(&index)?, like.as_ref())?;
    tmp.persist(&at)
        .map_err(|e| e.error)
        .with_context(|| t!("io.cannot_backup", path = at.display()))?;
    sync_dir(&at)
}

/// Writes (or rewrites) the record of `backup`.
pub fn write_record(backup: &Path, record: &Record) -> Result<()> {
    let name = backup
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    edit_index(backup, |i| {
        i.insert(name, record.clone());
    })
}

/// Removes a backup and its record (a change rolled back: the file holds those bytes again).
pub fn discard(backup: &Path) {
    let _ = fs::remove_file(backup);
    let _ = edit_index(backup, |_| {});
}

/// Drops the oldest backups of `path` beyond `KEEP_BACKUPS`, never the first one made (the oldest change record,
/// or `.absent`): the file as it was before mirrorctl, which no number of later changes should push out.
pub fn prune(path: &Path, dir: &Path) {
    let all = backups(path, Some(dir));
    let original = original(&all);
    for old in all
        .iter()
        .filter(|b| Some(*b) != original)
        .skip(KEEP_BACKUPS)
    {
        discard(&old.path);
    }
}

/// The first backup of a file among `all` (newest first): the oldest that is not a `pre-restore` copy.
pub fn original(all: &[Backup]) -> Option<&Backup> {
    all.iter().rev().find(|b| b.kind != Kind::PreRestore)
}

impl Backup {
    pub fn name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// `2026-11-25 14:10:03 UTC`, for people.
    pub fn when(&self) -> String {
        let s = &self.stamp;
        format!(
            "{}-{}-{} {}:{}:{} UTC",
            &s[0..4],
            &s[4..6],
            &s[6..8],
            &s[9..11],
            &s[11..13],
            &s[13..15]
        )
    }
}

/// Keeps `bytes` (or, with `None`, the fact that `path` did not exist) in `dir` (beside `path`, or where the caller
/// keeps the backups of a live config directory), with the file's own mode and
/// owner — a backup is never readable by more people than the file. Names are unique to the nanosecond and never
/// overwrite one another. Pruning is the caller's (`prune`), once the change took effect: a change that is rolled
/// back must not have pushed out an older backup.
pub fn backup(path: &Path, bytes: Option<&[u8]>, kind: Kind, dir: &Path) -> Result<PathBuf> {
    let like = fs::metadata(path).ok();
    let kind = if bytes.is_none() { Kind::Absent } else { kind };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "daemon.json".into());
    let tmp = staged(
        &dir.join(&name),
        bytes.unwrap_or_default(),
        like.as_ref().or(None),
    )?;
    let mut tmp = Some(tmp);
    for _ in 0..100 {
        let stamp = humantime::format_rfc3339_nanos(SystemTime::now())
            .to_string()
            .replace([':', '-', '.'], "");
        let dest = dir.join(format!("{name}{BACKUP_TAG}{stamp}{}", kind.suffix()));
        match tmp
            .take()
            .expect("kept until persisted")
            .persist_noclobber(&dest)
        {
            Ok(_) => {
                sync_dir(&dest)?;
                return Ok(dest);
            }
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => tmp = Some(e.file),
            Err(e) => {
                return Err(e.error).with_context(|| t!("io.cannot_backup", path = dest.display()))
            }
        }
    }
    anyhow::bail!("{}", t!("io.cannot_backup", path = path.display()))
}

/// Our backups of `path`, newest first. Only names mirrorctl writes count: a hand-made
/// `daemon.json.mirrorctl-mycopy.bak` is not one of ours.
/// A directory whose every file a daemon reads as live config: cron.d (cronie runs every file there but
/// dot-names, `~` and `.rpm*` ones — a backup of a cron entry is a cron entry), systemd's unit and drop-in
/// directories, and any other `*.d`.
pub fn is_live_dir(dir: &Path) -> bool {
    dir.file_name()
        .is_some_and(|n| n.to_string_lossy().ends_with(".d"))
        || dir.components().any(|c| c.as_os_str() == "systemd")
}

/// Where the backups of a file in a live config directory `dir` go, below the state directory: a directory named
/// after `dir`, percent-encoded — the record of where they belong.
pub fn outside_name(dir: &Path) -> PathBuf {
    let abs = if dir.is_absolute() {
        dir.to_owned()
    } else {
        std::env::current_dir().unwrap_or_default().join(dir)
    };
    let name = percent_encoding::utf8_percent_encode(
        &abs.to_string_lossy(),
        percent_encoding::NON_ALPHANUMERIC,
    )
    .to_string();
    Path::new("backups").join(name)
}

/// The directory `path` is in (`.` for a bare name).
pub fn dir_of(path: &Path) -> &Path {
    parent(path)
}

/// `path`'s backups, newest first: beside it and in `also` (the state directory's copy for live config).
pub fn backups(path: &Path, also: Option<&Path>) -> Vec<Backup> {
    let Some(name) = path.file_name() else {
        return vec![];
    };
    let prefix = format!("{}{BACKUP_TAG}", name.to_string_lossy());
    // Beside the file, and (for live config directories) in the state directory; older versions kept them beside.
    let mut places = vec![parent(path).to_owned()];
    places.extend(also.filter(|d| *d != parent(path)).map(Path::to_owned));
    let index = format!(".{}.mirrorctl.json", name.to_string_lossy());
    let mut found: Vec<Backup> = places
        .iter()
        .filter_map(|d| Some((read_index(&d.join(&index)), fs::read_dir(d).ok()?)))
        .flat_map(|(index, entries)| {
            entries.flatten().map(move |e| {
                (
                    index
                        .get(&e.file_name().to_string_lossy().into_owned())
                        .cloned(),
                    e,
                )
            })
        })
        .filter_map(|(record, e)| {
            let file = e.file_name().to_string_lossy().into_owned();
            let rest = file.strip_prefix(&prefix)?;
            let (kind, stamp) = [Kind::Backup, Kind::Absent, Kind::PreRestore]
                .into_iter()
                .find_map(|k| rest.strip_suffix(k.suffix()).map(|s| (k, s)))?;
            is_stamp(stamp).then(|| Backup {
                record,
                path: e.path(),
                kind,
                stamp: stamp.to_owned(),
            })
        })
        .collect();
    found.sort_by(|a, b| b.stamp.cmp(&a.stamp));
    found
}

/// `YYYYMMDDTHHMMSS` then 0–9 fraction digits then `Z`, as `backup` writes it.
fn is_stamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 16
        && b[..8].iter().all(u8::is_ascii_digit)
        && b[8] == b'T'
        && b[9..b.len() - 1].iter().all(u8::is_ascii_digit)
        && b[b.len() - 1] == b'Z'
}

#[cfg(test)]
mod read_tests {
    use super::*;

    #[test]
    fn live_config_directories_are_told_apart() {
        for live in [
            "/etc/cron.d",
            "/etc/containers/registries.conf.d",
            "/etc/systemd/system",
            "/etc/systemd/system/docker.service.d",
            "/home/u/.config/systemd/user",
        ] {
            assert!(is_live_dir(Path::new(live)), "{live}");
        }
        for not in [
            "/etc/docker",
            "/etc/rancher/k3s",
            "/etc/containerd/certs.d/docker.io",
            "/etc/docker/registry",
        ] {
            assert!(!is_live_dir(Path::new(not)), "{not}");
        }
    }

    #[test]
    #[cfg(unix)] // unix permissions and symlinks
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
    #[cfg(unix)] // unix permissions and symlinks
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

        // Many within the same millisecond: every one kept under its own name, none overwritten.
        for i in 0..KEEP_BACKUPS + 2 {
            backup(
                &f,
                Some(format!("{i}").as_bytes()),
                Kind::Backup,
                dir.path(),
            )
            .unwrap();
        }
        prune(&f, dir.path());
        let kept = backups(&f, None);
        assert_eq!(kept.len(), KEEP_BACKUPS + 1, "five and the first");
        assert_eq!(
            fs::read(&kept[KEEP_BACKUPS].path).unwrap(),
            b"0",
            "the first is kept for good"
        );
        assert_eq!(
            fs::read(&kept[0].path).unwrap(),
            format!("{}", KEEP_BACKUPS + 1).as_bytes(),
            "newest first"
        );
        assert_eq!(
            fs::metadata(&kept[0].path).unwrap().permissions().mode() & 0o777,
            0o600,
            "a backup is as private as its file"
        );
        // A hand-made copy with a look-alike name is not ours.
        fs::write(dir.path().join("daemon.json.mirrorctl-mycopy.bak"), b"{}").unwrap();
        assert!(backups(&f, None)
            .iter()
            .all(|b| !b.name().contains("mycopy")));
        assert!(kept[0].when().ends_with(" UTC"));
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
    #[cfg(unix)] // unix permissions and symlinks
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
