//! Directories a file change needs first (a cache's storage), made during the change — after the confirmation,
//! under the lock — never through a symlink: the directory is created (or found) and opened with `O_NOFOLLOW`,
//! given to its owner by descriptor, and proven writable as that owner, not as root.

use std::fs;
#[cfg(unix)]
use std::fs::{File, OpenOptions};
#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rust_i18n::t;

use crate::ui::errors::Hinted;

/// A directory to exist, owned by `owner` (uid, gid) when given, before a file is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDir {
    pub path: PathBuf,
    pub owner: Option<(u32, u32)>,
}

fn refuse(d: &NewDir, detail: impl std::fmt::Display) -> anyhow::Error {
    Hinted {
        message: t!("cache.storage", path = d.path.display(), detail = detail).into(),
        hint: t!("cache.storage_hint").into(),
    }
    .into()
}

/// What can be known before anything is made: the directories above it are ones root may trust, an existing
/// directory is a real one (not a symlink) that root or the owner has, and the owner can reach it.
#[cfg(unix)]
pub fn check(d: &NewDir) -> Result<()> {
    let exists = match fs::symlink_metadata(&d.path) {
        Ok(m) => {
            // Never followed: a symlink here (planted in a shared directory) would hand its target over.
            if !m.file_type().is_dir() {
                return Err(refuse(d, t!("cache.storage_not_dir")));
            }
            let owner_ok = m.uid() == 0 || d.owner.is_some_and(|(u, _)| u == m.uid());
            if !owner_ok {
                return Err(refuse(d, t!("state.owned_by", uid = m.uid())));
            }
            true
        }
        Err(_) => false,
    };
    if let Some(parent) = d.path.parent().filter(|p| !p.as_os_str().is_empty()) {
        crate::sys::state::check_parents_of(&d.path)?;
        if fs::metadata(parent).is_ok_and(|m| !m.is_dir()) {
            return Err(refuse(d, t!("cache.storage_not_dir")));
        }
        let reach = if exists { &d.path } else { parent };
        if let Some((uid, gid)) = d.owner {
            if reach.exists() && !usable_as(reach, uid, gid, exists) {
                return Err(refuse(d, t!("cache.storage_not_for", uid = uid)));
            }
        }
    }
    Ok(())
}

/// Makes the directory (its missing parents 0755, itself 0750), gives it to its owner by descriptor, and proves
/// the owner can write in it. Returns whether it was created (so an undo removes it again).
#[cfg(unix)]
pub fn make(d: &NewDir) -> Result<bool> {
    check(d)?;
    let created = match fs::DirBuilder::new().mode(0o750).create(&d.path) {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => false,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = d.path.parent() {
                fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o755)
                    .create(parent)
                    .map_err(|e| refuse(d, e))?;
            }
            fs::DirBuilder::new()
                .mode(0o750)
                .create(&d.path)
                .map_err(|e| refuse(d, e))?;
            true
        }
        Err(e) => return Err(refuse(d, e)),
    };
    let dir: File = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(&d.path)
        .map_err(|e| refuse(d, e))?;
    if let Some((uid, gid)) = d.owner {
        std::os::unix::fs::fchown(&dir, Some(uid), Some(gid)).map_err(|e| refuse(d, e))?;
        if created {
            dir.set_permissions(fs::Permissions::from_mode(0o750))
                .map_err(|e| refuse(d, e))?;
        }
        if !usable_as(&d.path, uid, gid, true) {
            if created {
                let _ = fs::remove_dir(&d.path);
            }
            return Err(refuse(d, t!("cache.storage_not_for", uid = uid)));
        }
    }
    Ok(created)
}

/// Removes a directory `make` created, when it is still empty (an undo).
pub fn unmake(path: &Path) -> Result<()> {
    match fs::remove_dir(path) {
        Err(e)
            if e.kind() != std::io::ErrorKind::NotFound
                && e.raw_os_error() != Some(libc::ENOTEMPTY) =>
        {
            Err(e).with_context(|| t!("tx.cannot_remove", path = path.display()))
        }
        _ => Ok(()),
    }
}

/// Whether `uid:gid` (with no supplementary groups, as a unit's `User=` without `SupplementaryGroups=`) can
/// enter `dir` — and write in it when `write` — asked of the kernel by a child running as that user.
#[cfg(unix)]
fn usable_as(dir: &Path, uid: u32, gid: u32, write: bool) -> bool {
    if uid == crate::sys::host::Host::get().uid {
        return true;
    }
    let test = if write {
        "test -d \"$0\" && test -x \"$0\" && test -w \"$0\""
    } else {
        "test -x \"$0\""
    };
    let mut c = std::process::Command::new("/bin/sh");
    c.arg("-c").arg(test).arg(dir);
    std::os::unix::process::CommandExt::uid(&mut c, uid);
    std::os::unix::process::CommandExt::gid(&mut c, gid);
    c.status().is_ok_and(|s| s.success())
}

/// Windows has no owner uid:gid or mode bits to check: the directory takes its parent's ACL.
#[cfg(windows)]
pub fn check(_d: &NewDir) -> Result<()> {
    Ok(())
}

/// Windows: the directory and its parents, made where missing. Returns whether it was created.
#[cfg(windows)]
pub fn make(d: &NewDir) -> Result<bool> {
    if d.path.is_dir() {
        return Ok(false);
    }
    fs::create_dir_all(&d.path).map_err(|e| refuse(d, e))?;
    Ok(true)
}
