//! The trust rule for the paths root uses. Root acts on what it finds in the state directory (the lock and its
//! owner record, the history, the stored catalogue), so as root a directory that another user owns or can write —
//! or that sits under one, or is reached through such a symlink — is never used: that user could plant a symlink
//! that makes root truncate a file of its choice, or a catalogue of its own. Directories mirrorctl creates are
//! 0700, its files in them 0600, opened without following a symlink at the last component.

use std::fs::{self, File, OpenOptions};
#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result};
use rust_i18n::t;

static STATE_DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// `--state-dir`, set once at start.
pub fn set_state_dir(dir: PathBuf) {
    let _ = STATE_DIR.set(dir);
}

/// `--state-dir` or `MIRRORCTL_STATE_DIR`; else `/var/lib/mirrorctl` for root, `$XDG_STATE_HOME/mirrorctl` for
/// others.
pub fn state_dir() -> PathBuf {
    if let Some(d) = STATE_DIR.get() {
        return d.clone();
    }
    if let Some(d) = std::env::var_os("MIRRORCTL_STATE_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    if crate::sys::host::Host::get().uid == 0 {
        return PathBuf::from("/var/lib/mirrorctl");
    }
    dirs::state_dir()
        .or_else(dirs::cache_dir)
        .unwrap_or_else(std::env::temp_dir)
        .join("mirrorctl")
}

/// Why a path is not to be trusted by root.
#[derive(Debug, PartialEq, Eq)]
pub enum Untrusted {
    /// Owned by another user (uid).
    Owner(u32),
    /// Writable by group or others (the mode), and not a sticky directory that root owns the child of.
    Writable(u32),
}

/// One path component's facts, as `lstat` gives them.
#[derive(Debug, Clone, Copy)]
pub struct Facts {
    pub uid: u32,
    pub mode: u32,
    pub is_dir: bool,
    pub is_symlink: bool,
}

impl Facts {
    #[cfg(unix)]
    fn of(m: &fs::Metadata) -> Self {
        Facts {
            uid: m.uid(),
            mode: m.mode(),
            is_dir: m.is_dir(),
            is_symlink: m.file_type().is_symlink(),
        }
    }

    /// Windows has no uid or mode bits, so no uid trust rule: there is no root acting on a user's files (an
    /// administrator's state directory is under its own %LOCALAPPDATA%, which NTFS's inherited ACL gives to that
    /// user, SYSTEM and Administrators only). Every path is treated as the current user's, writable by no one else.
    #[cfg(windows)]
    fn of(m: &fs::Metadata) -> Self {
        Facts {
            uid: crate::sys::host::Host::get().uid,
            mode: if m.is_dir() { 0o700 } else { 0o600 },
            is_dir: m.is_dir(),
            is_symlink: m.file_type().is_symlink(),
        }
    }
}

/// The rule for one component (pure): owned by root or by `me`, and writable by no one else — except a sticky
/// directory (/tmp), where others may write but cannot remove or replace what root put there.
pub fn judge(f: Facts, me: u32, last: bool) -> Result<(), Untrusted> {
    if f.uid != 0 && f.uid != me {
        return Err(Untrusted::Owner(f.uid));
    }
    // A symlink's own mode means nothing (always 0777): who made it, and where it points, do.
    let others_write = !f.is_symlink && f.mode & 0o022 != 0;
    let sticky = f.is_dir && f.mode & 0o1000 != 0;
    if others_write && (last || !sticky) {
        return Err(Untrusted::Writable(f.mode & 0o7777));
    }
    Ok(())
}

/// Checks `path` and every directory above it, as written and after symlinks are resolved. Only for root: other
/// users act only on what they own anyway.
pub fn check(path: &Path) -> Result<()> {
    let me = crate::sys::host::Host::get().uid;
    if me != 0 {
        return Ok(());
    }
    let lexical = absolute(path);
    let resolved = fs::canonicalize(&lexical).unwrap_or_else(|_| lexical.clone());
    for p in [&lexical, &resolved] {
        let mut at = PathBuf::new();
        let parts: Vec<Component> = p.components().collect();
        for (i, c) in parts.iter().enumerate() {
            at.push(c);
            let Ok(m) = fs::symlink_metadata(&at) else {
                break; // not there yet: mirrorctl creates it, 0700
            };
            if let Err(why) = judge(Facts::of(&m), me, i + 1 == parts.len()) {
                return Err(refusal(path, &at, why));
            }
        }
    }
    Ok(())
}

/// `check` for every directory above `path` (not `path` itself, which may belong to another user — a cache's
/// storage is its unit's): none may be one that another user can change.
#[cfg(unix)]
pub fn check_parents_of(path: &Path) -> Result<()> {
    match absolute(path).parent() {
        Some(parent) => {
            let me = crate::sys::host::Host::get().uid;
            if me != 0 {
                return Ok(());
            }
            let mut at = PathBuf::new();
            for c in parent.components() {
                at.push(c);
                let Ok(m) = fs::symlink_metadata(&at) else {
                    break;
                };
                // A sticky directory (/tmp) above is fine: what root makes there, only root can replace.
                if let Err(why) = judge(Facts::of(&m), me, false) {
                    return Err(refusal(path, &at, why));
                }
            }
            Ok(())
        }
        None => Ok(()),
    }
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_owned()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    }
}

fn refusal(path: &Path, at: &Path, why: Untrusted) -> anyhow::Error {
    let reason = match why {
        Untrusted::Owner(uid) => t!("state.owned_by", uid = uid),
        Untrusted::Writable(mode) => t!("state.writable", mode = format!("{mode:04o}")),
    };
    crate::ui::errors::Hinted {
        message: t!(
            "state.untrusted",
            path = path.display(),
            at = at.display(),
            reason = reason
        )
        .into(),
        hint: t!("state.untrusted_hint", at = at.display()).into(),
    }
    .into()
}

/// The directory, trusted and present: created 0700 (with its parents) when missing.
pub fn ensure(dir: &Path) -> Result<()> {
    check(dir)?;
    if !dir.is_dir() {
        let mut b = fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        b.mode(0o700);
        b.create(dir)
            .with_context(|| t!("io.cannot_create", path = dir.display()))?;
    }
    // A state directory from before this rule may be 0755: only its owner needs to look inside.
    #[cfg(unix)]
    let m =
        fs::symlink_metadata(dir).with_context(|| t!("io.cannot_create", path = dir.display()))?;
    #[cfg(unix)]
    if m.mode() & 0o077 != 0 && m.uid() == crate::sys::host::Host::get().uid {
        let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o700));
    }
    check(dir)
}

/// A file of ours in a trusted directory, opened for reading and writing (created 0600 when missing), never
/// through a symlink.
pub fn open_private(path: &Path, truncate: bool) -> Result<File> {
    let mut o = OpenOptions::new();
    o.read(true).write(true).create(true).truncate(truncate);
    #[cfg(unix)]
    o.mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC);
    o.open(path)
        .with_context(|| t!("state.cannot_open", path = path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(uid: u32, mode: u32, is_dir: bool) -> Facts {
        Facts {
            uid,
            mode,
            is_dir,
            is_symlink: false,
        }
    }

    #[test]
    fn root_trusts_only_what_no_one_else_can_change() {
        assert_eq!(judge(f(0, 0o40700, true), 0, true), Ok(()));
        assert_eq!(judge(f(0, 0o40755, true), 0, true), Ok(()));
        assert_eq!(
            judge(f(65534, 0o40700, true), 0, true),
            Err(Untrusted::Owner(65534))
        );
        assert_eq!(
            judge(f(0, 0o40777, true), 0, true),
            Err(Untrusted::Writable(0o777))
        );
        assert_eq!(
            judge(f(0, 0o40775, true), 0, false),
            Err(Untrusted::Writable(0o775))
        );
        // /tmp above a root-owned directory is fine; /tmp itself as the state directory is not.
        assert_eq!(judge(f(0, 0o41777, true), 0, false), Ok(()));
        assert_eq!(
            judge(f(0, 0o41777, true), 0, true),
            Err(Untrusted::Writable(0o1777))
        );
        // A symlink root made is judged by its owner; one another user made is not followed.
        let link = |uid| Facts {
            uid,
            mode: 0o120777,
            is_dir: false,
            is_symlink: true,
        };
        assert_eq!(judge(link(0), 0, true), Ok(()));
        assert_eq!(judge(link(65534), 0, true), Err(Untrusted::Owner(65534)));
        // A user's own directories are theirs.
        assert_eq!(judge(f(1000, 0o40700, true), 1000, true), Ok(()));
    }
}
