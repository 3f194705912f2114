//! One writer at a time: every command that changes files holds an exclusive lock (std's `File::lock`) on a file in
//! the state directory for the whole change — re-read, write, restart, verify, roll back. A second one waits a
//! bounded time, then fails naming the holder.

use std::fs::File;
use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use rust_i18n::t;

use super::state::state_dir;

/// Held until dropped; the operating system releases it if the process dies.
pub struct Lock {
    _file: File,
}

/// What `MIRRORCTL_LOCK_WAIT_SECS` may say: whole seconds up to a day (a longer wait is a mistake, and a deadline
/// that far away would overflow the clock).
pub const MAX_WAIT_SECS: u64 = 86_400;
const DEFAULT_WAIT: Duration = Duration::from_secs(60);

/// How long a second writer waits for the first: `MIRRORCTL_LOCK_WAIT_SECS`, else a minute (a restart that
/// rolls back can take that long). Checked when the command line is lowered (`check_wait`); here a value out of
/// range is bounded, never a panic.
pub fn wait() -> Duration {
    let raw = std::env::var_os("MIRRORCTL_LOCK_WAIT_SECS");
    wait_from(raw.as_deref()).unwrap_or(DEFAULT_WAIT)
}

/// `MIRRORCTL_LOCK_WAIT_SECS` before anything runs: a value that is not a number of seconds from 0 to a day is a
/// usage error saying so, instead of a silent minute (or, for 18446744073709551615, an abort).
pub fn check_wait() -> Result<()> {
    let raw = std::env::var_os("MIRRORCTL_LOCK_WAIT_SECS");
    wait_from(raw.as_deref()).map(|_| ())
}

fn wait_from(raw: Option<&std::ffi::OsStr>) -> Result<Duration> {
    let Some(raw) = raw.filter(|r| !r.is_empty()) else {
        return Ok(DEFAULT_WAIT);
    };
    match raw.to_str().and_then(|s| s.trim().parse::<u64>().ok()) {
        Some(secs) if secs <= MAX_WAIT_SECS => Ok(Duration::from_secs(secs)),
        _ => Err(crate::ui::errors::Usage {
            message: t!(
                "lock.bad_wait",
                value = crate::ui::output::outside(&raw.to_string_lossy()),
                max = MAX_WAIT_SECS
            )
            .into(),
            hint: Some(t!("lock.bad_wait_hint", max = MAX_WAIT_SECS).into()),
        }
        .into()),
    }
}

impl Lock {
    /// Takes the lock for `what` (the command line, for whoever waits on us).
    pub fn acquire(what: &str, wait: Duration, p: crate::ui::output::Printer) -> Result<Self> {
        // 0700 and trusted (crate::sys::state): a lock file others can open is one they can hold with `flock --shared`
        // to block every change, and a lock.owner symlink would make root rewrite the file it points at.
        let dir = state_dir();
        crate::sys::state::ensure(&dir)?;
        let path = dir.join("lock");
        let file = crate::sys::state::open_private(&path, false)?;
        // Bounded, so the deadline is always a time the clock can hold.
        let wait = wait.min(Duration::from_secs(MAX_WAIT_SECS));
        let deadline = Instant::now() + wait;
        let mut told = false;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) => {
                    let holder =
                        std::fs::read_to_string(dir.join("lock.owner")).unwrap_or_default();
                    let holder = holder.trim();
                    if Instant::now() >= deadline {
                        anyhow::bail!(
                            "{}",
                            t!(
                                "lock.busy",
                                holder = holder,
                                secs = wait.as_secs(),
                                path = path.display()
                            )
                        );
                    }
                    if !told {
                        p.info_line(t!("lock.waiting", holder = holder));
                        told = true;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(e).with_context(|| t!("apply.cannot_read", path = path.display()));
                }
            }
        }
        // Who holds it, for the next one in line (best effort: the lock itself is what counts).
        // The command line may hold a proxy URL with its password: masked like everything else we write.
        let what = crate::ui::redact::text(what);
        let owner = format!(
            "pid {} — `{what}` — since {}",
            std::process::id(),
            humantime::format_rfc3339_seconds(std::time::SystemTime::now())
        );
        if let Ok(mut f) = crate::sys::state::open_private(&dir.join("lock.owner"), true) {
            let _ = f.write_all(owner.as_bytes());
        }
        Ok(Self { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;
    use std::time::Duration;

    #[test]
    fn the_lock_wait_is_range_checked_not_overflowed() {
        let w = |s: &str| super::wait_from(Some(OsStr::new(s)));
        assert_eq!(super::wait_from(None).unwrap(), Duration::from_secs(60));
        assert_eq!(w("").unwrap(), Duration::from_secs(60));
        assert_eq!(w("0").unwrap(), Duration::ZERO);
        assert_eq!(w("86400").unwrap(), Duration::from_secs(86_400));
        for bad in ["18446744073709551615", "86401", "-1", "1.5", "soon", "1e3"] {
            let e = w(bad).unwrap_err();
            assert!(
                e.is::<crate::ui::errors::Usage>(),
                "{bad}: a usage error, exit 2"
            );
            let said = e.to_string();
            assert!(
                said.contains("MIRRORCTL_LOCK_WAIT_SECS") && said.contains("86400"),
                "{bad}: {said}"
            );
        }
    }
}
