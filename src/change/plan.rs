//! A change as a value: the files before and after, how the service picks them up, and how to tell it worked.
//! `--dry-run` prints exactly this; nothing here writes or restarts anything (`refresh` only reads).

use rust_i18n::t;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;

use anyhow::{bail, Context, Result};

use crate::sys::engine::Engine;
use crate::sys::files;
use crate::sys::service::Service;
use crate::ui::output;

/// One file: its bytes now and after (`None`: it does not exist, or is to be removed).
pub struct FileChange {
    pub path: PathBuf,
    pub before: Option<Vec<u8>>,
    pub after: Option<Vec<u8>>,
    /// Run on the complete candidate before it replaces anything (`dockerd --validate`).
    pub check: fn(&Path) -> Result<()>,
    /// What the backup of `before` is kept as (a restore keeps a `pre-restore` copy, never chosen by default).
    pub keep: files::Kind,
    /// For an edit of one value in a file that is also someone else's (daemon.json, registries.yaml, config.yml):
    /// how its target makes the edit again on bytes that changed since the plan was shown. `None`: the file is
    /// mirrorctl's own and replaced whole, so a change made meanwhile is refused, never overwritten.
    pub rebase: Option<Rebase>,
    /// Directories this file needs first (a cache's storage), made when the change runs, not when it is planned.
    pub dirs: Vec<super::dirs::NewDir>,
    /// The whole file as its reader sees it (`None`: it does not parse), from the target that owns the format. With
    /// it, bytes that say the same thing in other spacing, order or quoting are no change: nothing is written,
    /// backed up or restarted. Without it, bytes are compared.
    pub meaning: Option<Meaning>,
}

/// A file's bytes as the value its reader (dockerd, containerd, k3s…) takes from them.
pub type Meaning = fn(&[u8]) -> Option<serde_json::Value>;

/// One value of a file, as its target (the format's owner) reads and sets it: what lets the engine re-read a file
/// under the lock and merge or refuse without knowing the format.
pub struct Rebase {
    /// The value's name in the file, for people: `registry-mirrors`, `mirrors.docker.io.endpoint`.
    pub what: String,
    /// The value this edit writes (`None`: it removes it).
    pub ours: Option<serde_json::Value>,
    /// The value in these bytes (`None`: absent, or the bytes do not parse).
    pub read: ReadValue,
    /// These bytes with the value set; an error when they cannot be edited (invalid, unsupported layout).
    pub set: SetValue,
}

/// A format's reader of the one value a `Rebase` edits.
pub type ReadValue = Box<dyn Fn(Option<&[u8]>) -> Option<serde_json::Value> + Send + Sync>;
/// A format's edit of that value on given bytes.
pub type SetValue = Box<dyn Fn(Option<&[u8]>) -> Result<Vec<u8>> + Send + Sync>;

impl FileChange {
    pub fn new(path: PathBuf, before: Option<Vec<u8>>, after: impl Into<Vec<u8>>) -> Self {
        Self {
            path,
            before,
            after: Some(after.into()),
            check: |_| Ok(()),
            keep: files::Kind::Backup,
            rebase: None,
            dirs: vec![],
            meaning: None,
        }
    }

    /// Removes the file (a backup of it is kept, as for any change).
    pub fn remove(path: PathBuf, before: Option<Vec<u8>>) -> Self {
        Self {
            path,
            before,
            after: None,
            check: |_| Ok(()),
            keep: files::Kind::Backup,
            rebase: None,
            dirs: vec![],
            meaning: None,
        }
    }

    /// Whether the file's meaning moves: bytes that differ only in what the reader ignores (whitespace, order of
    /// a table, quoting, comments of a file wholly ours) are no change.
    pub fn changes(&self) -> bool {
        if self.before == self.after {
            return false;
        }
        let (Some(read), Some(before), Some(after)) = (self.meaning, &self.before, &self.after)
        else {
            return true;
        };
        match (read(before), read(after)) {
            (Some(was), Some(is)) => was != is,
            _ => true,
        }
    }

    /// Compared by value, as `read` takes the file (see `meaning`).
    pub fn by_value(self, read: Meaning) -> Self {
        Self {
            meaning: Some(read),
            ..self
        }
    }

    /// A directory to make (and give to its owner) before this file is written.
    pub fn needs_dir(mut self, dir: super::dirs::NewDir) -> Self {
        self.dirs.push(dir);
        self
    }

    /// An edit of one value that its target can make again on newer bytes (see `Rebase`).
    pub fn rebased(self, rebase: Rebase) -> Self {
        Self {
            rebase: Some(rebase),
            ..self
        }
    }

    /// Re-reads the file under the lock, just before the write. An edit made since the plan was shown (during the
    /// probe, or while the prompt waited) is never lost: the target's edit is made again on the new bytes —
    /// unless the other edit touched the very value we set, or the file is wholly ours, which is refused.
    /// Returns whether anything moved.
    pub fn refresh(&mut self, p: output::Printer) -> Result<bool> {
        let now = files::read(&self.path)?;
        if now == self.before {
            return Ok(false);
        }
        let Some(r) = &self.rebase else {
            bail!("{}", t!("tx.ours_changed", path = self.path.display()));
        };
        let (was, is) = ((r.read)(self.before.as_deref()), (r.read)(now.as_deref()));
        // Another edit of our value is a conflict, unless it already says what we were going to write.
        if was != is && is != r.ours {
            bail!(
                "{}",
                t!("tx.changed_key", path = self.path.display(), key = r.what)
            );
        }
        self.after = Some(
            (r.set)(now.as_deref())
                .with_context(|| t!("apply.cannot_use", path = self.path.display()))?,
        );
        p.info_line(t!("tx.changed_meanwhile", path = self.path.display()));
        self.before = now;
        Ok(true)
    }
}

/// How the service picks the files up.
pub enum Activation {
    Restart(Service),
    Reload(Service),
    /// A unit mirrorctl owns (the watch timer): `daemon-reload`, then `enable --now`.
    Enable(Service),
    /// `disable --now`, then `daemon-reload`.
    Disable(Service),
    /// A desktop product's own restart of its engine (`orb restart docker`, `colima restart`, `docker desktop
    /// restart`): run, then checked as a restart is; after a rollback, run again on the old files. Never systemctl.
    Command(Vec<String>),
    /// The user does it (an older Docker Desktop, --no-restart); the text says how.
    Manual(String),
    /// The runtime reads the files by itself (hosts.toml, registries.conf); the text says when.
    Automatic(String),
}

/// How to tell the change is live.
pub enum Verify {
    /// `GET /info` lists exactly these mirrors.
    DockerMirrors(Engine, Vec<String>),
    /// `DockerMirrors`, then the check: a pull through the daemon (`--pull`) that a mirror, not Docker Hub, served.
    DockerMirrorsAndPull(Engine, Vec<String>, Check),
    /// The unit is active after its restart.
    Active,
    /// `GET /info` shows these proxies (as dockerd masks them: `http://xxxxx:xxxxx@host`).
    DockerProxy(Engine, String, String),
    /// `GET /info` no longer shows this proxy (another source, such as the environment, may still set one).
    DockerProxyGone(Engine, String),
    /// A pull-through cache: `/v2/` answers at this URL while its unit stays up (CAs from this certs.d), then the
    /// check passes — a whole pull through it, digests verified, which only the layers above can make.
    Cache(String, PathBuf, Check),
    /// A registry (not a cache): `/v2/` answers at this URL while its unit stays up; CAs from this certs.d.
    Registry(String, std::path::PathBuf),
    Nothing,
}

/// What a plan changes: the runtime (or mirrorctl's own unit) whose files it writes. Named in headings, messages
/// and `--json` (`"target": "docker"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Subject {
    Docker,
    Containerd,
    Containers,
    K3s,
    Cache,
    /// The watch timer's units.
    Watch,
}

impl Subject {
    pub fn name(self) -> &'static str {
        match self {
            Self::Docker => "docker",
            Self::Containerd => "containerd",
            Self::Containers => "containers",
            Self::K3s => "k3s",
            Self::Cache => "cache",
            Self::Watch => "watch",
        }
    }
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

pub struct Plan {
    pub target: Subject,
    pub mirrors: Vec<String>,
    /// What the plan says of each mirror beside its URL (its name in the catalogue, its measured speed), in the
    /// order of `mirrors`; set by the command that chose them (`label_mirrors`), empty when nothing is known.
    pub labels: Vec<Option<String>>,
    /// Other lines for the plan's heading (what a proxy change sets).
    pub notes: Vec<String>,
    pub changes: Vec<FileChange>,
    pub activation: Activation,
    pub verify: Verify,
    /// What the target checks before anything is shown as settled (dockerd's flags against daemon.json's keys).
    pub preflight: Option<Preflight>,
}

/// A check the engine runs without knowing what it checks (boxed by the layer that does).
pub type Check = Box<dyn Fn(output::Printer) -> Pin<Box<dyn Future<Output = Result<()>>>>>;

/// A target's own check of a plan, before the prompt and the lock.
pub type Preflight = for<'a> fn(&'a Plan) -> Pin<Box<dyn Future<Output = Result<()>> + 'a>>;

impl Plan {
    /// Labels each mirror by its URL (see `labels`).
    pub fn label_mirrors(&mut self, label: impl Fn(&str) -> Option<String>) {
        self.labels = self.mirrors.iter().map(|m| label(m)).collect();
    }

    pub fn is_noop(&self) -> bool {
        self.changes.iter().all(|c| !c.changes())
    }

    /// The plan and a unified diff per file, as `--dry-run` prints it.
    pub fn describe(&self) -> String {
        let mut s = format!("[{}]\n", self.target);
        for c in &self.changes {
            let state = match (&c.before, &c.after, c.changes()) {
                (_, _, false) => t!("plan.unchanged"),
                (None, _, true) => t!("plan.created"),
                (Some(_), None, true) => t!("plan.removed"),
                (Some(_), Some(_), true) => t!("plan.changed"),
            };
            s.push_str(&format!(
                "{}\n",
                t!("plan.file", path = c.path.display(), state = state)
            ));
            for d in c.dirs.iter().filter(|d| !d.path.is_dir()) {
                let owner = d
                    .owner
                    .map_or_else(|| "root".to_owned(), |(u, g)| format!("{u}:{g}"));
                s.push_str(&format!(
                    "{}\n",
                    t!("plan.dir", path = d.path.display(), owner = owner)
                ));
            }
        }
        if !self.mirrors.is_empty() {
            s.push_str(&format!("{}\n", t!("plan.mirrors")));
        }
        for (i, m) in self.mirrors.iter().enumerate() {
            match self.labels.get(i).and_then(Option::as_deref) {
                Some(l) => s.push_str(&format!("  {}. {m}  ({l})\n", i + 1)),
                None => s.push_str(&format!("  {}. {m}\n", i + 1)),
            }
        }
        for n in &self.notes {
            s.push_str(&format!("{n}\n"));
        }
        s.push_str(&match &self.activation {
            Activation::Restart(svc) => t!("plan.then_restart", how = svc.describe_restart(false)),
            Activation::Reload(svc) => t!("plan.then_reload", how = svc.describe_restart(true)),
            Activation::Enable(svc) => t!("plan.then_enable", unit = svc.unit),
            Activation::Disable(svc) => t!("plan.then_disable", unit = svc.unit),
            Activation::Command(argv) => t!("plan.then_run", command = argv.join(" ")),
            Activation::Manual(how) | Activation::Automatic(how) => {
                t!("plan.then_manual", how = how)
            }
        });
        s.push('\n');
        for c in self.changes.iter().filter(|c| c.changes()) {
            let before = c
                .before
                .as_deref()
                .map(String::from_utf8_lossy)
                .unwrap_or_default();
            let after = c
                .after
                .as_deref()
                .map(String::from_utf8_lossy)
                .unwrap_or_default();
            let name = c.path.display().to_string();
            let diff = similar::TextDiff::from_lines(before.as_ref(), after.as_ref());
            s.push_str(
                &diff
                    .unified_diff()
                    .context_radius(2)
                    .header(&name, &name)
                    .to_string(),
            );
        }
        // Every format's secret values (config.yml's proxy password, registries.yaml's auth) never reach a
        // terminal or a timer's journal.
        crate::ui::redact::config(&s)
    }

    pub(crate) fn service_name(&self) -> String {
        match &self.activation {
            Activation::Restart(s)
            | Activation::Reload(s)
            | Activation::Enable(s)
            | Activation::Disable(s) => s.unit.clone(),
            _ => self.target.name().to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_length(b: &[u8]) -> Option<serde_json::Value> {
        std::str::from_utf8(b)
            .ok()
            .filter(|t| !t.contains('!'))
            .map(|t| serde_json::json!(t.trim().len()))
    }

    fn change(before: &str, after: &str) -> FileChange {
        FileChange::new("f".into(), Some(before.into()), after)
    }

    #[test]
    fn bytes_that_mean_the_same_are_no_change_when_compared_by_value() {
        // By bytes (a file with no reader of its own): any byte is a change.
        assert!(change("ab ", "ab").changes());
        assert!(!change("ab", "ab").changes());
        // By value: the reader's meaning decides, and a file it cannot read is always a change.
        assert!(!change("ab ", "ab").by_value(by_length).changes());
        assert!(change("ab", "abc").by_value(by_length).changes());
        assert!(change("ab!", "ab").by_value(by_length).changes());
        assert!(change("ab", "ab!").by_value(by_length).changes());
        // A new or a removed file is a change whatever the reader says.
        let new = FileChange::new("f".into(), None, "x").by_value(by_length);
        assert!(new.changes());
        let gone = FileChange::remove("f".into(), Some(b"x".to_vec())).by_value(by_length);
        assert!(gone.changes());
    }

    #[test]
    fn a_plan_of_changes_that_mean_nothing_is_a_noop_and_shows_no_diff() {
        let plan = Plan {
            target: super::Subject::Docker,
            mirrors: vec![],
            labels: vec![],
            notes: vec![],
            changes: vec![change("ab ", "ab").by_value(by_length)],
            activation: Activation::Manual("by hand".into()),
            verify: Verify::Nothing,
            preflight: None,
        };
        assert!(plan.is_noop());
        assert!(!plan.describe().contains("+++"), "{}", plan.describe());
    }

    #[test]
    fn the_plan_lists_each_mirror_with_its_label_when_it_has_one() {
        let mut plan = Plan {
            target: super::Subject::Docker,
            mirrors: vec!["https://a.example/".into(), "https://b.example/".into()],
            labels: vec![],
            notes: vec![],
            changes: vec![],
            activation: Activation::Manual("by hand".into()),
            verify: Verify::Nothing,
            preflight: None,
        };
        assert!(plan.describe().contains("  1. https://a.example/\n"));
        plan.label_mirrors(|u| u.contains("a.").then(|| "a: 5.0 MiB/s, 40 ms".to_owned()));
        let text = plan.describe();
        assert!(
            text.contains("  1. https://a.example/  (a: 5.0 MiB/s, 40 ms)\n")
                && text.contains("  2. https://b.example/\n"),
            "{text}"
        );
    }
}
