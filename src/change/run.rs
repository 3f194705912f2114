//! Running plans: show them, check dockerd's flags, confirm, take the lock, re-read, then for each plan write
//! through the journal and activate — and on any failure or signal, undo in reverse and recover.

use rust_i18n::t;
use std::future::Future;
use std::io::IsTerminal;
use std::time::Duration;

use anyhow::{bail, Result};
#[cfg(unix)]
use tokio::signal::unix::{signal, SignalKind};

use super::journal::Journal;
use super::live::Live;
use super::outcome::Outcome;
use super::plan::Plan;
use super::Activator;
use super::Change;
use crate::ui::errors::{Hinted, RolledBack};
use crate::ui::output::{self, Printer};

/// How long a restart under way may take to finish after a signal before the rollback starts anyway.
const GRACE: Duration = Duration::from_secs(5);

/// The signals that end a transaction early.
#[cfg(unix)]
struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn new() -> Result<Self> {
        Ok(Self {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
        })
    }
}

/// On Windows the only signal a console program gets is Ctrl-C (and Ctrl-Break), which tokio reports as one.
#[cfg(windows)]
struct Signals {
    int: tokio::signal::windows::CtrlC,
}

#[cfg(windows)]
impl Signals {
    fn new() -> Result<Self> {
        Ok(Self {
            int: tokio::signal::windows::ctrl_c()?,
        })
    }
}

/// What ends a transaction early. The real one is the process's signals; tests send their own.
pub trait Interrupts {
    /// Resolves, with why in words, when the change should stop.
    fn next(&mut self) -> impl Future<Output = String>;
}

#[cfg(unix)]
impl Interrupts for Signals {
    async fn next(&mut self) -> String {
        tokio::select! {
            _ = self.int.recv() => t!("tx.interrupted"),
            _ = self.term.recv() => t!("tx.terminated"),
            _ = self.hup.recv() => t!("tx.hung_up"),
        }
        .into_owned()
    }
}

#[cfg(windows)]
impl Interrupts for Signals {
    async fn next(&mut self) -> String {
        self.int.recv().await;
        t!("tx.interrupted").into_owned()
    }
}

/// Asks the person before a change is made.
pub trait Prompt {
    /// `Ok` to go ahead; `yes` is `--yes`.
    fn confirm(&self, yes: bool) -> Result<()>;
}

/// The terminal: a question on stderr, an answer on stdin, refused when stdin is no terminal.
pub struct Terminal;

impl Prompt for Terminal {
    fn confirm(&self, yes: bool) -> Result<()> {
        confirm(yes)
    }
}

/// Everything a run does to the world besides writing files, so that `run_with` can be tested end to end.
pub struct Shell<A, P, I> {
    pub activator: A,
    pub prompt: P,
    pub interrupts: I,
    /// Takes the one-writer lock for the whole change (named by `what`); the guard holds it until dropped.
    pub lock: fn(&str, Printer) -> Result<Box<dyn std::any::Any>>,
}

/// Shows the plans, checks, confirms, locks, re-reads, and executes each in turn with the real activator. With
/// `--json` the plans go to stderr and the caller prints the returned outcome.
pub async fn run(plans: Vec<Plan>, target: &Change, p: Printer) -> Result<Outcome> {
    let p = p.json(target.json);
    // Listen for Ctrl-C, SIGTERM and SIGHUP (an SSH session that drops) before touching anything, so no signal
    // leaves a half-applied change: from here on they end in a completed change or a completed rollback.
    let shell = Shell {
        activator: Live { p },
        prompt: Terminal,
        interrupts: Signals::new()?,
        lock: |what, p| {
            let lock = crate::sys::lock::Lock::acquire(what, crate::sys::lock::wait(), p)?;
            Ok(Box::new(lock))
        },
    };
    run_with(plans, target, shell, p).await
}

/// `run` with the world it acts on given.
pub async fn run_with<A: Activator, P: Prompt, I: Interrupts>(
    plans: Vec<Plan>,
    target: &Change,
    mut shell: Shell<A, P, I>,
    p: Printer,
) -> Result<Outcome> {
    if plans.is_empty() {
        bail!("{}", t!("apply.no_runtime"));
    }
    let p = p.json(target.json);
    let show = |s: &str| p.say(s);
    for p in &plans {
        show(&p.describe());
        if p.is_noop() {
            show(&format!("{}\n", t!("apply.up_to_date")));
        }
    }
    for plan in plans.iter().filter(|p| !p.is_noop()) {
        if let Some(check) = plan.preflight {
            check(plan).await?;
        }
    }
    let mut outcome = Outcome::planned(&plans, target.dry_run);
    if plans.iter().all(Plan::is_noop) {
        return Ok(outcome);
    }
    if target.dry_run {
        show(&format!("{}\n", t!("apply.dry_run")));
        return Ok(outcome);
    }
    shell.prompt.confirm(target.yes)?;
    let what = std::env::args().collect::<Vec<_>>().join(" ");
    let _lock = (shell.lock)(&what, p)?;
    let mut plans = plans;
    for plan in &mut plans {
        let mut moved = false;
        for c in &mut plan.changes {
            moved |= c.refresh(p)?;
        }
        if moved {
            show(&plan.describe());
            if !target.yes {
                shell.prompt.confirm(false)?;
            }
        }
    }
    let mut done: Vec<&str> = Vec::new();
    for plan in plans.iter().filter(|p| !p.is_noop()) {
        let interrupt = shell.interrupts.next();
        if let Err(e) = execute(plan, &shell.activator, interrupt, GRACE, p).await {
            if !done.is_empty() {
                p.info_line(t!("apply.stay_applied", targets = done.join(", ")));
            }
            return Err(e);
        }
        done.push(plan.target.name());
        outcome.mark_done(plan.target);
    }
    Ok(outcome)
}

/// Runs one plan. Before the first write nothing needs undoing; after it, every failure path — an error, or
/// `interrupt` resolving (a signal) — rolls back. A signal lets the activation under way finish (for `grace` at
/// most), so the rollback never starts on a half-restarted unit.
pub async fn execute<A: Activator>(
    plan: &Plan,
    activator: &A,
    interrupt: impl Future<Output = String>,
    grace: Duration,
    p: Printer,
) -> Result<()> {
    let _printing = output::Transaction::begin();
    activator.before(plan).await;
    let mut journal = Journal::new(p).mirrors(&plan.mirrors);
    let mut outcome = Ok(());
    for c in plan.changes.iter().filter(|c| c.changes()) {
        if let Err(e) = journal.write(c) {
            outcome = Err(e);
            break;
        }
    }
    if outcome.is_ok() {
        let activation = activator.activate(plan);
        tokio::pin!(activation);
        tokio::pin!(interrupt);
        outcome = tokio::select! {
            // A signal that came is honoured even when the activation is done at the same moment.
            biased;
            why = &mut interrupt => {
                p.info_line(t!("tx.signal_wait", why = why, secs = grace.as_secs()));
                let _ = tokio::time::timeout(grace, &mut activation).await;
                Err(anyhow::anyhow!("{why}"))
            }
            r = &mut activation => r,
        };
    }
    let Err(why) = outcome else {
        journal.commit();
        return Ok(());
    };
    if journal.is_empty() {
        return Err(why); // nothing was touched
    }
    p.info(&format!("{why:#}\n{}\n", t!("tx.rolling_back")));
    let restored = match journal.undo() {
        Ok(()) => activator.recover(plan).await,
        Err(e) => Err(e),
    };
    if let Err(e) = &restored {
        p.info_line(t!("tx.rollback_trouble", detail = format!("{e:#}")));
    }
    Err(RolledBack {
        what: format!("{why:#}"),
        service: plan.service_name(),
        restored: restored.is_ok(),
    }
    .into())
}

fn confirm(yes: bool) -> Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Hinted {
            message: t!("apply.no_terminal").into(),
            hint: t!("apply.no_terminal_hint").into(),
        }
        .into());
    }
    output::stderr(&format!("{} ", t!("apply.confirm")));
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    if matches!(answer.trim(), "y" | "Y" | "yes" | "是") {
        Ok(())
    } else {
        bail!("{}", t!("apply.cancelled"))
    }
}

#[cfg(test)]
mod tests {
    //! Every rollback path, without root or a daemon: temp files and a fake activator that fails on request.

    use std::cell::RefCell;
    use std::path::Path;

    use super::*;
    use crate::change::{Activation, FileChange, Verify};

    #[derive(Default)]
    struct Fake {
        /// What `activate` does: fail with this message, or never finish.
        fail: Option<&'static str>,
        hang: bool,
        /// Run inside `activate`, before it answers (to break a file's way back).
        during: Option<Box<dyn Fn()>>,
        calls: RefCell<Vec<&'static str>>,
    }

    impl Activator for Fake {
        async fn before(&self, _: &Plan) {}
        async fn activate(&self, _: &Plan) -> Result<()> {
            self.calls.borrow_mut().push("activate");
            if let Some(f) = &self.during {
                f();
            }
            if self.hang {
                std::future::pending::<()>().await;
            }
            match self.fail {
                Some(why) => bail!("{why}"),
                None => Ok(()),
            }
        }
        async fn recover(&self, _: &Plan) -> Result<()> {
            self.calls.borrow_mut().push("recover");
            Ok(())
        }
    }

    fn plan(changes: Vec<FileChange>) -> Plan {
        Plan {
            target: crate::change::Subject::Docker,
            mirrors: vec![],
            labels: vec![],
            notes: vec![],
            changes,
            activation: Activation::Manual("test".into()),
            verify: Verify::Nothing,
            preflight: None,
        }
    }

    fn file(dir: &Path, name: &str, bytes: Option<&str>) -> std::path::PathBuf {
        let p = dir.join(name);
        if let Some(b) = bytes {
            std::fs::write(&p, b).unwrap();
        }
        p
    }

    /// One existing file `daemon.json` holding `before`, and the plan that writes `after` over it.
    fn one_file(dir: &Path, before: &str, after: &str) -> (std::path::PathBuf, Plan) {
        let a = file(dir, "daemon.json", Some(before));
        let p = plan(vec![FileChange::new(
            a.clone(),
            Some(before.as_bytes().to_vec()),
            after,
        )]);
        (a, p)
    }

    fn never() -> impl Future<Output = String> {
        std::future::pending()
    }

    fn run_plan(p: &Plan, a: &Fake, interrupt: impl Future<Output = String>) -> Result<()> {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(execute(
                p,
                a,
                interrupt,
                Duration::from_millis(50),
                Printer::new(true, false),
            ))
    }

    fn rolled_back(r: &Result<()>) -> bool {
        r.as_ref().err().is_some_and(|e| e.is::<RolledBack>())
    }

    #[test]
    fn the_second_write_fails_then_the_first_is_put_back() {
        let dir = tempfile::tempdir().unwrap();
        let a = file(dir.path(), "a.json", Some("old a"));
        // The second file's directory is a regular file: its write fails after the first one succeeded.
        let blocker = file(dir.path(), "not-a-dir", Some("x"));
        let p = plan(vec![
            FileChange::new(a.clone(), Some(b"old a".to_vec()), "new a"),
            FileChange::new(blocker.join("b.json"), None, "new b"),
        ]);
        let fake = Fake::default();
        let r = run_plan(&p, &fake, never());
        assert!(rolled_back(&r), "{r:?}");
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "old a");
        assert_eq!(
            *fake.calls.borrow(),
            ["recover"],
            "never activated, recovered"
        );
    }

    #[test]
    fn a_failed_restart_puts_every_file_back_and_removes_created_ones() {
        let dir = tempfile::tempdir().unwrap();
        let a = file(dir.path(), "a.json", Some("old a"));
        let created = dir.path().join("new.json");
        let p = plan(vec![
            FileChange::new(a.clone(), Some(b"old a".to_vec()), "new a"),
            FileChange::new(created.clone(), None, "created"),
        ]);
        let fake = Fake {
            fail: Some("Job for docker.service failed"),
            ..Default::default()
        };
        let r = run_plan(&p, &fake, never());
        assert!(rolled_back(&r), "{r:?}");
        assert!(format!("{:#}", r.unwrap_err()).contains("docker.service failed"));
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "old a");
        assert!(!created.exists());
        assert_eq!(*fake.calls.borrow(), ["activate", "recover"]);
    }

    #[test]
    fn the_daemon_reporting_other_mirrors_rolls_back() {
        let dir = tempfile::tempdir().unwrap();
        let (a, p) = one_file(dir.path(), "{}", "{\"registry-mirrors\": []}");
        let fake = Fake {
            fail: Some("docker is running but `docker info` lists [\"https://other/\"]"),
            ..Default::default()
        };
        assert!(rolled_back(&run_plan(&p, &fake, never())));
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "{}");
    }

    #[test]
    fn a_hanging_restart_and_a_signal_end_in_a_complete_rollback() {
        let dir = tempfile::tempdir().unwrap();
        let (a, p) = one_file(dir.path(), "old", "new");
        let fake = Fake {
            hang: true,
            ..Default::default()
        };
        let r = run_plan(&p, &fake, async { "terminated".to_owned() });
        assert!(rolled_back(&r), "{r:?}");
        assert!(format!("{:#}", r.unwrap_err()).contains("terminated"));
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "old");
        assert_eq!(*fake.calls.borrow(), ["activate", "recover"]);
    }

    #[test]
    fn a_signal_during_a_restart_that_then_succeeds_still_rolls_back_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let (a, p) = one_file(dir.path(), "old", "new");
        let fake = Fake::default();
        let r = run_plan(&p, &fake, async { "hung up".to_owned() });
        // The activation was let finish (it does at once here), and the change undone as the signal asked.
        assert!(rolled_back(&r), "{r:?}");
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "old");
    }

    #[test]
    fn nothing_written_means_nothing_to_undo() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = file(dir.path(), "not-a-dir", Some("x"));
        let p = plan(vec![FileChange::new(blocker.join("a.json"), None, "new")]);
        let fake = Fake::default();
        let r = run_plan(&p, &fake, never());
        assert!(r.is_err() && !rolled_back(&r), "{r:?}");
        assert!(fake.calls.borrow().is_empty());
    }

    #[test]
    fn an_undo_that_fails_in_the_middle_still_restores_the_others_and_names_the_one_it_could_not() {
        let dir = tempfile::tempdir().unwrap();
        let a = file(dir.path(), "a.json", Some("old a"));
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        let b = file(&sub, "b.json", Some("old b"));
        let c = file(dir.path(), "c.json", Some("old c"));
        let p = plan(vec![
            FileChange::new(a.clone(), Some(b"old a".to_vec()), "new a"),
            FileChange::new(b.clone(), Some(b"old b".to_vec()), "new b"),
            FileChange::new(c.clone(), Some(b"old c".to_vec()), "new c"),
        ]);
        // While the service restarts, b's directory becomes a file: b cannot be put back (not even as root).
        let gone = sub.clone();
        let fake = Fake {
            fail: Some("Job for docker.service failed"),
            during: Some(Box::new(move || {
                std::fs::remove_dir_all(&gone).unwrap();
                std::fs::write(&gone, "not a directory").unwrap();
            })),
            ..Default::default()
        };
        let r = run_plan(&p, &fake, never());
        let e = r
            .as_ref()
            .unwrap_err()
            .downcast_ref::<RolledBack>()
            .unwrap();
        assert!(!e.restored, "a failed undo is reported as such");
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "old a");
        assert_eq!(std::fs::read_to_string(&c).unwrap(), "old c");
        // The service is not started on a half-restored set of files.
        assert_eq!(*fake.calls.borrow(), ["activate"]);
    }

    #[test]
    fn a_panic_after_the_first_write_is_undone_when_the_journal_drops() {
        let dir = tempfile::tempdir().unwrap();
        let a = file(dir.path(), "a.json", Some("old a"));
        let created = dir.path().join("new.json");
        let changes = [
            FileChange::new(a.clone(), Some(b"old a".to_vec()), "new a"),
            FileChange::new(created.clone(), None, "created"),
        ];
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut j = Journal::new(Printer::new(true, false));
            j.write(&changes[0]).unwrap();
            j.write(&changes[1]).unwrap();
            assert_eq!(std::fs::read_to_string(&a).unwrap(), "new a");
            panic!("a bug after the writes");
        }));
        assert!(r.is_err());
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "old a");
        assert!(!created.exists());
        // And a committed journal keeps its writes.
        let mut j = Journal::new(Printer::new(true, false));
        j.write(&changes[0]).unwrap();
        j.commit();
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "new a");
    }

    struct Answer(bool, RefCell<u32>);

    impl Prompt for Answer {
        fn confirm(&self, yes: bool) -> Result<()> {
            *self.1.borrow_mut() += 1;
            if yes || self.0 {
                Ok(())
            } else {
                bail!("cancelled")
            }
        }
    }

    struct Quiet;

    impl Interrupts for Quiet {
        fn next(&mut self) -> impl Future<Output = String> {
            never()
        }
    }

    fn change(yes: bool) -> Change {
        Change {
            daemon_json: "/nonexistent/daemon.json".into(),
            desktop: false,
            colima: false,
            dry_run: false,
            yes,
            live: super::super::MakeLive::Restart,
            init: crate::sys::service::InitChoice::Auto,
            json: false,
        }
    }

    fn run_all(plans: Vec<Plan>, target: &Change, a: &Fake, prompt: &Answer) -> Result<Outcome> {
        let shell = Shell {
            activator: a,
            prompt,
            interrupts: Quiet,
            lock: |_, _| Ok(Box::new(())),
        };
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(run_with(plans, target, shell, Printer::new(true, false)))
    }

    impl Activator for &Fake {
        async fn before(&self, p: &Plan) {
            (*self).before(p).await
        }
        async fn activate(&self, p: &Plan) -> Result<()> {
            (*self).activate(p).await
        }
        async fn recover(&self, p: &Plan) -> Result<()> {
            (*self).recover(p).await
        }
    }

    impl Prompt for &Answer {
        fn confirm(&self, yes: bool) -> Result<()> {
            (*self).confirm(yes)
        }
    }

    #[test]
    fn a_declined_prompt_writes_and_activates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (a, p) = one_file(dir.path(), "old", "new");
        let (fake, no) = (Fake::default(), Answer(false, RefCell::new(0)));
        let r = run_all(vec![p], &change(false), &fake, &no);
        assert!(
            r.as_ref().is_err_and(|e| !e.is::<RolledBack>()),
            "{:?}",
            r.err()
        );
        assert_eq!(*no.1.borrow(), 1, "asked once");
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "old");
        assert!(fake.calls.borrow().is_empty());
    }

    #[test]
    fn run_end_to_end_writes_activates_and_reports_what_changed() {
        let dir = tempfile::tempdir().unwrap();
        let (a, p) = one_file(dir.path(), "old", "new");
        let (fake, yes) = (Fake::default(), Answer(true, RefCell::new(0)));
        let outcome = run_all(vec![p], &change(false), &fake, &yes).unwrap();
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "new");
        assert_eq!(*fake.calls.borrow(), ["activate"]);
        let json = serde_json::to_value(&outcome).unwrap();
        assert_eq!(json["changed"], true, "{json}");
        // The same plan again is a no-op: not asked, nothing activated, and `changed` says so.
        let (_, again) = one_file(dir.path(), "new", "new");
        let (fake, yes) = (Fake::default(), Answer(true, RefCell::new(0)));
        let outcome = run_all(vec![again], &change(false), &fake, &yes).unwrap();
        assert_eq!(serde_json::to_value(&outcome).unwrap()["changed"], false);
        assert_eq!(*yes.1.borrow(), 0);
        assert!(fake.calls.borrow().is_empty());
    }
}
