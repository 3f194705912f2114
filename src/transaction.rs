//! A configuration change as a transaction, for any runtime: a `Plan` is a value (files before and after, how the
//! service picks them up, how to tell it worked); `execute` backs up, writes atomically, activates, verifies, and on
//! any failure — Ctrl-C and SIGTERM included — puts every written file back in reverse order and re-activates.

use rust_i18n::t;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use tokio::signal::unix::{signal, SignalKind};

use crate::daemon_config::files;
use crate::engine::{Engine, Info};
use crate::output;
use crate::service::Service;

/// How long a service gets to answer after a restart.
const READY: Duration = Duration::from_secs(60);
/// How long a reloaded daemon may take to show its new configuration in `/info`.
const SETTLE: Duration = Duration::from_secs(10);

/// The change failed after a write and the old files are back (exit code 4).
#[derive(Debug, thiserror::Error)]
#[error("{}", if *.restored { t!("tx.rolled_back", what = .what, service = .service) } else { t!("tx.rolled_back_down", what = .what, service = .service) })]
pub struct RolledBack {
    pub what: String,
    pub service: String,
    pub restored: bool,
}

/// One file: its bytes now and after (`None`: it does not exist, or is to be removed).
pub struct FileChange {
    pub path: PathBuf,
    pub before: Option<Vec<u8>>,
    pub after: Option<Vec<u8>>,
    /// Run on the complete candidate before it replaces anything (`dockerd --validate`).
    pub check: fn(&Path) -> Result<()>,
    /// What the backup of `before` is kept as (a restore keeps a `pre-restore` copy, never chosen by default).
    pub keep: files::Kind,
    /// For a daemon.json edit: the one key it sets (and to what), so the edit can be made again on bytes that
    /// changed since the plan was shown. `None`: the file is ours and replaced whole.
    pub merge: Option<(String, Option<serde_json::Value>)>,
}

impl FileChange {
    pub fn new(path: PathBuf, before: Option<Vec<u8>>, after: impl Into<Vec<u8>>) -> Self {
        Self {
            path,
            before,
            after: Some(after.into()),
            check: |_| Ok(()),
            keep: files::Kind::Backup,
            merge: None,
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
            merge: None,
        }
    }

    pub fn changes(&self) -> bool {
        self.before != self.after
    }

    /// A daemon.json edit that sets `key` to `value` (`None`: removes it) and nothing else.
    pub fn merged(self, key: &str, value: Option<serde_json::Value>) -> Self {
        Self {
            merge: Some((key.to_owned(), value)),
            ..self
        }
    }

    /// Re-reads the file under the lock, just before the write. An edit made since the plan was shown (during the
    /// probe, or while the prompt waited) is never lost: the merge is made again on the new bytes — unless the
    /// other edit touched the very key we set, which is refused. Returns whether anything moved.
    pub fn refresh(&mut self) -> Result<bool> {
        let now = files::read(&self.path)?;
        if now == self.before {
            return Ok(false);
        }
        match &self.merge {
            Some((key, value)) => {
                let of = |b: &Option<Vec<u8>>| {
                    b.as_deref()
                        .and_then(|b| crate::daemon_config::parse(b).ok())
                        .and_then(|m| m.get(key).cloned())
                };
                // Another edit of our key is a conflict, unless it already says what we were going to write.
                if of(&self.before) != of(&now) && of(&now) != *value {
                    bail!(
                        "{}",
                        t!("tx.changed_key", path = self.path.display(), key = key)
                    );
                }
                let text = match &now {
                    Some(b) => Some(
                        std::str::from_utf8(b)
                            .with_context(|| t!("apply.not_utf8", path = self.path.display()))?
                            .to_owned(),
                    ),
                    None => None,
                };
                if let Some(b) = &now {
                    crate::daemon_config::parse(b).map_err(|e| {
                        anyhow::anyhow!(
                            "{}",
                            t!("apply.invalid_file", path = self.path.display(), detail = e)
                        )
                    })?;
                }
                self.after = Some(
                    crate::daemon_config::set_key(text.as_deref(), key, value.as_ref())?
                        .into_bytes(),
                );
                output::info(&format!(
                    "{}\n",
                    t!("tx.changed_meanwhile", path = self.path.display())
                ));
            }
            None => output::info(&format!(
                "{}\n",
                t!("tx.replaced_meanwhile", path = self.path.display())
            )),
        }
        self.before = now;
        Ok(true)
    }
}

/// How the service picks the files up.
pub enum Activation {
    Restart(Service),
    Reload(Service),
    /// The user does it (Docker Desktop, --no-restart); the text says how.
    Manual(String),
    /// The runtime reads the files by itself (hosts.toml, registries.conf); the text says when.
    Automatic(String),
}

/// How to tell the change is live.
pub enum Verify {
    /// `GET /info` lists exactly these mirrors.
    DockerMirrors(Engine, Vec<String>),
    /// The unit is active after its restart.
    Active,
    /// `GET /info` shows these proxies (as dockerd masks them: `http://xxxxx:xxxxx@host`).
    DockerProxy(Engine, String, String),
    /// `GET /info` no longer shows this proxy (another source, such as the environment, may still set one).
    DockerProxyGone(Engine, String),
    Nothing,
}

pub struct Plan {
    /// `docker`, `containerd`, `containers`: for headings and messages.
    pub target: &'static str,
    pub mirrors: Vec<String>,
    /// Other lines for the plan's heading (what a proxy change sets).
    pub notes: Vec<String>,
    pub changes: Vec<FileChange>,
    pub activation: Activation,
    pub verify: Verify,
    /// The change writes daemon.json (its first file): check its keys against dockerd's flags first.
    pub daemon_json: bool,
}

impl Plan {
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
        }
        if !self.mirrors.is_empty() {
            s.push_str(&format!("{}\n", t!("plan.mirrors")));
        }
        for (i, m) in self.mirrors.iter().enumerate() {
            s.push_str(&format!("  {}. {m}\n", i + 1));
        }
        for n in &self.notes {
            s.push_str(&format!("{n}\n"));
        }
        s.push_str(&match &self.activation {
            Activation::Restart(svc) => t!("plan.then_restart", how = svc.describe_restart(false)),
            Activation::Reload(svc) => t!("plan.then_reload", how = svc.describe_restart(true)),
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
        crate::redact::text(&s)
    }

    fn service_name(&self) -> String {
        match &self.activation {
            Activation::Restart(s) | Activation::Reload(s) => s.unit.clone(),
            _ => self.target.to_owned(),
        }
    }
}

/// How long a restart under way may take to finish after a signal before the rollback starts anyway.
const GRACE: Duration = Duration::from_secs(5);

/// The signals that end a transaction early.
struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> Result<Self> {
        Ok(Self {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    /// Which one came, in words.
    async fn recv(&mut self) -> String {
        tokio::select! {
            _ = self.int.recv() => t!("tx.interrupted"),
            _ = self.term.recv() => t!("tx.terminated"),
            _ = self.hup.recv() => t!("tx.hung_up"),
        }
        .into_owned()
    }
}

/// Runs the plan. Before the first write nothing needs undoing; after it, every failure path rolls back.
pub async fn execute(plan: &Plan) -> Result<()> {
    // Listen for Ctrl-C, SIGTERM and SIGHUP (an SSH session that drops) before touching anything, so no signal
    // leaves a half-applied change: from here on they end in a completed change or a completed rollback.
    let mut signals = Signals::new()?;
    let _printing = output::Transaction::begin();
    if let (Activation::Restart(_), Verify::DockerMirrors(engine, _)) =
        (&plan.activation, &plan.verify)
    {
        if let Ok(info) = engine.info().await {
            if info.containers_running > 0 && !info.live_restore_enabled {
                output::info(&format!(
                    "{}\n",
                    t!("tx.containers_running", count = info.containers_running)
                ));
            }
        }
    }
    let mut written = Vec::new();
    let mut outcome = Ok(());
    for c in plan.changes.iter().filter(|c| c.changes()) {
        if let Err(e) = write_one(c) {
            outcome = Err(e);
            break;
        }
        written.push(c);
    }
    if outcome.is_ok() {
        let activation = activate(plan);
        tokio::pin!(activation);
        outcome = tokio::select! {
            r = &mut activation => r,
            why = signals.recv() => {
                // A restart cut off half-way leaves the unit in whatever state systemd reached: let it end (within
                // reason), then undo the change on a daemon that is up or down, not in between.
                output::info(&format!("{}\n", t!("tx.signal_wait", why = why, secs = GRACE.as_secs())));
                let _ = tokio::time::timeout(GRACE, &mut activation).await;
                Err(anyhow::anyhow!("{why}"))
            }
        };
    }
    let Err(why) = outcome else { return Ok(()) };
    if written.is_empty() {
        return Err(why); // nothing was touched
    }
    output::info(&format!("{why:#}\n{}\n", t!("tx.rolling_back")));
    let restored = roll_back(plan, &written).await;
    if let Err(e) = &restored {
        output::info(&format!(
            "{}\n",
            t!("tx.rollback_trouble", detail = format!("{e:#}"))
        ));
    }
    Err(RolledBack {
        what: format!("{why:#}"),
        service: plan.service_name(),
        restored: restored.is_ok(),
    }
    .into())
}

fn write_one(c: &FileChange) -> Result<()> {
    // Also when there was no file: the `.absent` record lets `restore` remove what this change created.
    let b = files::backup(&c.path, c.before.as_deref(), c.keep)?;
    if c.before.is_some() {
        output::info(&format!("{}\n", t!("tx.backed_up", path = b.display())));
    }
    match &c.after {
        Some(bytes) => {
            files::write_atomic(&c.path, bytes, c.check)?;
            output::info(&format!("{}\n", t!("tx.wrote", path = c.path.display())));
        }
        None => {
            remove(&c.path)?;
            output::info(&format!("{}\n", t!("tx.removed", path = c.path.display())));
        }
    }
    Ok(())
}

async fn activate(plan: &Plan) -> Result<()> {
    let svc = match &plan.activation {
        Activation::Manual(how) => {
            output::stdout(&format!("{}\n", t!("tx.written", how = how)));
            return Ok(());
        }
        Activation::Automatic(when) => {
            output::stdout(&format!("{}\n", t!("tx.written", how = when)));
            return Ok(());
        }
        Activation::Restart(svc) => {
            output::info(&format!(
                "{}\n",
                t!("tx.restarting", how = svc.describe_restart(false))
            ));
            svc.restart()
                .await
                .with_context(|| t!("tx.restart_failed", service = svc.unit))?;
            svc
        }
        Activation::Reload(svc) => {
            output::info(&format!(
                "{}\n",
                t!("tx.reloading", how = svc.describe_restart(true))
            ));
            svc.reload()
                .await
                .with_context(|| t!("tx.reload_failed", service = svc.unit))?;
            svc
        }
    };
    verify(plan, svc).await
}

/// Whether the daemon runs with exactly these mirrors (dockerd's normalised form, in order).
pub fn mirrors_live(info: &Info, want: &[String]) -> bool {
    info.registry_config.mirrors == want
}

/// `/info` once it shows what we expect, or as it is after `SETTLE`. A reload is a SIGHUP that `systemctl reload`
/// does not wait for (the unit's ExecReload is `kill -s HUP`): Engine 26 answers `/info` with the old config for
/// a few milliseconds after it, so one look right away reports a failed reload that is only late.
async fn settled(engine: &Engine, done: impl Fn(&Info) -> bool) -> Result<Info> {
    let deadline = std::time::Instant::now() + SETTLE;
    loop {
        let info = engine.info().await?;
        if done(&info) || std::time::Instant::now() >= deadline {
            return Ok(info);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn verify(plan: &Plan, svc: &Service) -> Result<()> {
    match &plan.verify {
        Verify::DockerMirrors(engine, want) => {
            engine.wait_ready(READY).await?;
            let live = settled(engine, |i| mirrors_live(i, want))
                .await?
                .registry_config
                .mirrors;
            if &live != want {
                bail!(
                    "{}",
                    t!(
                        "tx.mirrors_not_live",
                        live = format!("{live:?}"),
                        want = format!("{want:?}")
                    )
                );
            }
            output::stdout(&format!(
                "{}\n",
                t!("tx.verified_mirrors", count = live.len())
            ));
            for m in &live {
                output::stdout(&format!("  {m}\n"));
            }
        }
        Verify::DockerProxy(engine, http, https) => {
            engine.wait_ready(READY).await?;
            let info =
                settled(engine, |i| (&i.http_proxy, &i.https_proxy) == (http, https)).await?;
            if (&info.http_proxy, &info.https_proxy) != (http, https) {
                bail!(
                    "{}",
                    t!(
                        "tx.proxy_not_live",
                        live_http = info.http_proxy,
                        live_https = info.https_proxy,
                        http = http,
                        https = https
                    )
                );
            }
            output::stdout(&format!(
                "{}\n",
                t!("tx.verified_proxy", http = http, https = https)
            ));
        }
        Verify::DockerProxyGone(engine, old) => {
            engine.wait_ready(READY).await?;
            let info = settled(engine, |i| ![&i.http_proxy, &i.https_proxy].contains(&old)).await?;
            if [&info.http_proxy, &info.https_proxy].contains(&old) {
                bail!("{}", t!("tx.proxy_still_used", proxy = old));
            }
            output::stdout(&format!("{}\n", t!("tx.verified_proxy_gone")));
        }
        Verify::Active => {
            if !svc.is_active().await {
                bail!("{}", t!("tx.not_active", service = svc.unit));
            }
            output::stdout(&format!(
                "{}\n",
                t!("tx.verified_active", service = svc.unit)
            ));
        }
        Verify::Nothing => {}
    }
    Ok(())
}

/// Puts the old bytes back (or removes files we created), newest first, then re-activates on them.
async fn roll_back(plan: &Plan, written: &[&FileChange]) -> Result<()> {
    for c in written.iter().rev() {
        match &c.before {
            Some(old) => files::write_atomic(&c.path, old, |_| Ok(()))?,
            None => remove(&c.path)?,
        }
        output::info(&format!("{}\n", t!("tx.restored", path = c.path.display())));
    }
    match (&plan.activation, &plan.verify) {
        (Activation::Restart(svc), verify) => {
            svc.recover().await?;
            if let Verify::DockerMirrors(engine, _)
            | Verify::DockerProxy(engine, ..)
            | Verify::DockerProxyGone(engine, _) = verify
            {
                engine.wait_ready(READY).await?;
            }
        }
        (Activation::Reload(svc), verify) => {
            svc.reload().await?;
            if let Verify::DockerMirrors(engine, _) = verify {
                engine.wait_ready(READY).await?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn remove(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| t!("tx.cannot_remove", path = path.display()))
        }
        _ => Ok(()),
    }
}
