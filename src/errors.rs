//! The errors a person acts on, and the exit codes they map to: main maps, commands only return.

/// A user-facing error with the next step to take.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Hinted {
    pub message: String,
    pub hint: String,
}

/// `apply` found no mirror that passed its probe (exit code 3).
#[derive(Debug, thiserror::Error)]
#[error("no mirror passed the probe, so there is nothing to apply; no file was touched")]
pub struct NoMirrorPassed;
