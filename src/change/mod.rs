//! Every change mirrorctl makes to a file goes through here, whatever the target: a `Plan` (a value, what
//! `--dry-run` prints), run under one lock, written through a journal that backs up and undoes in reverse, made live
//! by an `Activator` (the service manager and the Engine API, or a fake one in tests), and rolled back on any
//! failure or signal.

pub mod dirs;
mod journal;
pub mod live;
mod options;
mod outcome;
mod plan;
mod restore;
mod run;

use std::future::Future;

use anyhow::Result;

pub use options::{Change, MakeLive};
pub use outcome::Outcome;
pub use plan::{Activation, Check, FileChange, Plan, Rebase, Subject, Verify};
pub use restore::restore_change;
pub use run::run;

/// Makes a written change live, and brings the service back on the old files after a rollback.
pub trait Activator {
    /// Before any write: what the user should know (containers that a restart will stop).
    fn before(&self, plan: &Plan) -> impl Future<Output = ()>;
    /// Restarts or reloads as the plan says, then checks the change is live.
    fn activate(&self, plan: &Plan) -> impl Future<Output = Result<()>>;
    /// After the files are back: the service runs on them again.
    fn recover(&self, plan: &Plan) -> impl Future<Output = Result<()>>;
}
