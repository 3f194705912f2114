//! Putting a file back from its backups, for every restore (`restore`, `cache restore`): `--list` shows them, and
//! the chosen one becomes a `FileChange` that runs through the engine like any other, keeping the current file
//! as a `pre-restore` copy.

use std::path::Path;

use anyhow::{bail, Result};
use rust_i18n::t;

use super::FileChange;
use crate::sys::files;
use crate::ui::errors::Hinted;
use crate::ui::output::{self, Printer};

/// What every restore shares: `--list` prints the backups of `path` (and returns `None`); otherwise the chosen
/// backup becomes a change that puts it back, keeping the current file as a `pre-restore` copy.
pub fn restore_change(
    path: &Path,
    list: bool,
    backup: Option<&str>,
    valid: &dyn Fn(&[u8]) -> bool,
    json: bool,
    p: Printer,
) -> Result<Option<FileChange>> {
    if list {
        let list = restore_list(path, valid);
        if json {
            p.stdout(&(serde_json::to_string_pretty(&list)? + "\n"));
        } else {
            p.stdout(&render_restore_list(path, &list));
        }
        return Ok(None);
    }
    let current = files::read(path)?;
    let (chosen, after) = choose_backup(path, backup, valid, p)?;
    if chosen.kind == files::Kind::Absent {
        honour_absent(path, &chosen, current.as_deref())?;
    }
    p.info_line(t!(
        "restore.restoring",
        path = path.display(),
        when = chosen.when(),
        backup = chosen.name()
    ));
    let mut change = match after {
        Some(bytes) => FileChange::new(path.to_owned(), current, bytes),
        None => FileChange::remove(path.to_owned(), current), // the change being undone created the file
    };
    change.keep = files::Kind::PreRestore;
    Ok(Some(change))
}

/// The backup to restore and its bytes (`None`: there was no file). By default the newest record of a change
/// that reads back as valid (a corrupt one is skipped with a warning); a `pre-restore` copy only when named. A
/// change that was rolled back left no backup (the journal removes it), so this is the last change that took
/// effect, or one cut off half-way (which may still be in the file).
fn choose_backup(
    path: &Path,
    wanted: Option<&str>,
    valid: &dyn Fn(&[u8]) -> bool,
    p: Printer,
) -> Result<(files::Backup, Option<Vec<u8>>)> {
    let all = files::backups(path, super::journal::elsewhere(path).as_deref());
    if let Some(name) = wanted {
        let Some(b) = all.iter().find(|b| b.name() == name) else {
            return Err(Hinted {
                message: t!("restore.no_such_backup", name = name, path = path.display()).into(),
                // The names are long timestamps: point at the command that shows them, not at --backup again.
                hint: t!("restore.no_such_backup_hint", count = all.len()).into(),
            }
            .into());
        };
        let bytes = read_backup(b)?;
        if bytes.as_deref().is_some_and(|b| !valid(b)) {
            bail!("{}", t!("restore.corrupt_chosen", name = name));
        }
        return Ok((b.clone(), bytes));
    }
    for b in all.iter().filter(|b| b.kind != files::Kind::PreRestore) {
        let bytes = read_backup(b)?;
        if bytes.as_deref().is_some_and(|b| !valid(b)) {
            p.info_line(t!("restore.skipping_corrupt", name = b.name()));
            continue;
        }
        return Ok((b.clone(), bytes));
    }
    Err(Hinted {
        message: t!("restore.no_backup", path = path.display()).into(),
        hint: t!("restore.no_backup_hint").into(),
    }
    .into())
}

/// An `.absent` record says the change it belongs to created the file: removing it undoes that change only while
/// the file is still absent or still exactly what that change wrote (the record keeps those bytes). A file written
/// since — by hand after a failed change, or by another tool — is someone's work, and stays.
fn honour_absent(path: &Path, record: &files::Backup, current: Option<&[u8]>) -> Result<()> {
    let Some(current) = current else {
        return Ok(());
    };
    let wrote = files::read(&record.path)?.unwrap_or_default();
    if wrote == current {
        return Ok(());
    }
    Err(Hinted {
        message: t!(
            "restore.absent_stale",
            path = path.display(),
            backup = record.name(),
            when = record.when()
        )
        .into(),
        hint: t!("restore.absent_stale_hint", path = path.display()).into(),
    }
    .into())
}

fn read_backup(b: &files::Backup) -> Result<Option<Vec<u8>>> {
    if b.kind == files::Kind::Absent {
        return Ok(None);
    }
    files::read(&b.path)?
        .map(Some)
        .ok_or_else(|| anyhow::anyhow!("{}", t!("apply.cannot_read", path = b.path.display())))
}

#[derive(Debug, serde::Serialize)]
struct ListedBackup {
    name: String,
    kind: files::Kind,
    time: String,
    bytes: Option<u64>,
    valid: bool,
    /// The first backup of the file: what it was before mirrorctl, never pruned.
    original: bool,
    /// What made it (`null`: a backup from a version that kept no record).
    command: Option<String>,
    outcome: Option<files::Outcome>,
    mirrors_before: Option<Vec<String>>,
    mirrors_after: Option<Vec<String>>,
    proxy_before: Option<serde_json::Value>,
    proxy_after: Option<serde_json::Value>,
}

fn restore_list(path: &Path, valid: &dyn Fn(&[u8]) -> bool) -> Vec<ListedBackup> {
    let all = files::backups(path, super::journal::elsewhere(path).as_deref());
    let original = files::original(&all).map(|b| b.path.clone());
    all.into_iter()
        .map(|b| {
            let bytes = read_backup(&b).ok().flatten();
            let r = b.record.clone();
            ListedBackup {
                name: b.name(),
                kind: b.kind,
                time: b.when(),
                bytes: bytes.as_ref().map(|v| v.len() as u64),
                valid: b.kind == files::Kind::Absent || bytes.as_deref().is_some_and(valid),
                original: original.as_ref() == Some(&b.path),
                command: r.as_ref().map(|r| r.command.clone()),
                outcome: r.as_ref().map(|r| r.outcome),
                mirrors_before: r.as_ref().and_then(|r| r.mirrors_before.clone()),
                mirrors_after: r.as_ref().and_then(|r| r.mirrors_after.clone()),
                proxy_before: r.as_ref().and_then(|r| r.proxy_before.clone()),
                proxy_after: r.and_then(|r| r.proxy_after),
            }
        })
        .collect()
}

fn render_restore_list(path: &Path, list: &[ListedBackup]) -> String {
    if list.is_empty() {
        return format!("{}\n", t!("restore.no_backup", path = path.display()));
    }
    let mut s = format!("{}\n", t!("restore.list_head", path = path.display()));
    for b in list {
        let what = match (b.kind, b.valid) {
            (files::Kind::Absent, _) => t!("restore.kind_absent"),
            (files::Kind::PreRestore, _) => t!("restore.kind_pre_restore"),
            (files::Kind::Backup, true) => t!("restore.kind_backup"),
            (files::Kind::Backup, false) => t!("restore.kind_corrupt"),
        };
        let first = if b.original {
            format!("  {}", t!("restore.original"))
        } else {
            String::new()
        };
        s.push_str(&format!("  {}  {}  {what}{first}\n", b.time, b.name));
        if let Some(line) = made_by(b) {
            s.push_str(&format!("      {}\n", output::outside(&line)));
        }
    }
    s.push_str(&format!("{}\n", t!("restore.list_hint")));
    s
}

/// The second line of a listed backup: what made it, whether it took effect, and what the change did to the
/// mirrors and the proxy (masked). `None` for a backup that has no record.
fn made_by(b: &ListedBackup) -> Option<String> {
    let command = b.command.as_deref()?;
    let outcome = match b.outcome? {
        files::Outcome::TookEffect => t!("restore.took_effect"),
        files::Outcome::Unfinished => t!("restore.unfinished"),
    };
    let mut parts = vec![format!("`{command}`"), outcome.into_owned()];
    let list = |m: &Option<Vec<String>>| match m {
        Some(m) if m.is_empty() => t!("restore.none").into_owned(),
        Some(m) => m.join(", "),
        None => "?".to_owned(),
    };
    if b.mirrors_before.is_some() && b.mirrors_before == b.mirrors_after {
        parts.push(t!("restore.mirrors_same", mirrors = list(&b.mirrors_after)).into_owned());
    } else if b.mirrors_before.is_some() || b.mirrors_after.is_some() {
        parts.push(
            t!(
                "restore.mirrors_change",
                before = list(&b.mirrors_before),
                after = list(&b.mirrors_after)
            )
            .into_owned(),
        );
    }
    if b.proxy_before.is_some() || b.proxy_after.is_some() {
        let proxy = |v: &Option<serde_json::Value>| match v {
            Some(serde_json::Value::Object(m)) => m
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().map_or(v.to_string(), str::to_owned)))
                .collect::<Vec<_>>()
                .join(" "),
            Some(v) => v.to_string(),
            None => t!("restore.none").into_owned(),
        };
        parts.push(
            t!(
                "restore.proxy_change",
                before = proxy(&b.proxy_before),
                after = proxy(&b.proxy_after)
            )
            .into_owned(),
        );
    }
    Some(parts.join(" · "))
}
