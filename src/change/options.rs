//! What every changing command was asked (lowered by `settings`): which daemon.json, how the change is made
//! live, whether to ask, and where the report goes. Values only; `settings/change.rs` builds them.

use std::path::PathBuf;

use crate::sys::service::InitChoice;

/// How a written change reaches the running service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MakeLive {
    Restart,
    /// SIGHUP: dockerd re-reads its mirrors without stopping containers.
    Reload,
    /// `--no-restart`: the user does it.
    Manual,
}

#[derive(Debug, Clone)]
pub struct Change {
    /// daemon.json, located once: `--config`, else where this host's dockerd reads it (rootless, Desktop, Linux).
    pub daemon_json: PathBuf,
    /// Docker Desktop's own file, which only Desktop can make live.
    pub desktop: bool,
    pub dry_run: bool,
    pub yes: bool,
    pub live: MakeLive,
    pub init: InitChoice,
    pub json: bool,
}
