//! Every byte for people goes through here: a closed pipe (`mirrorctl probe | head`) ends quietly, errors have one
//! shape (`error:` / `caused by:` / `hint:`).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

pub fn stdout(s: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(s.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
    }
}

pub fn stderr(s: &str) {
    let _ = std::io::stderr().write_all(s.as_bytes());
}

pub fn terminal_width() -> Option<u16> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .or(Some(120))
}

/// Prints an error chain (`error:` / `caused by:` / `hint:`) and returns the exit code its kind calls for.
pub fn fail(e: &anyhow::Error) -> ExitCode {
    let mut msg = format!("error: {e}\n");
    for cause in e.chain().skip(1) {
        msg.push_str(&format!("  caused by: {cause}\n"));
    }
    if let Some(h) = e
        .chain()
        .find_map(|c| c.downcast_ref::<crate::apply::Hinted>())
    {
        msg.push_str(&format!("hint: {}\n", h.hint));
    }
    stderr(&msg);
    let code = if e.chain().any(|c| c.is::<crate::transaction::RolledBack>()) {
        crate::exit::ROLLED_BACK
    } else if e.chain().any(|c| c.is::<crate::apply::NoMirrorPassed>()) {
        crate::exit::NO_MIRROR_PASSED
    } else {
        crate::exit::ERROR
    };
    ExitCode::from(code)
}
