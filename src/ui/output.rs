//! Every byte for people goes through here, through one filter (`clean`): the `Printer` a command is handed, and
//! `fail` for the error that ends it. A closed pipe (`mirrorctl probe | head`) ends quietly; errors have one shape
//! (`error:` / `caused by:` / `hint:`).

use rust_i18n::t;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

fn stdout(s: &str) {
    let s = clean(s);
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(s.as_bytes()).and_then(|()| out.flush()) {
        // `| head` closed the pipe: done, quietly — but never in the middle of a change (a `| tee log` killed
        // by a dropped SSH session must not stop a rollback).
        if e.kind() == std::io::ErrorKind::BrokenPipe && !IN_TRANSACTION.load(Ordering::SeqCst) {
            std::process::exit(0);
        }
    }
}

static IN_TRANSACTION: AtomicBool = AtomicBool::new(false);

/// While alive, a closed stdout does not end the process.
pub struct Transaction;

impl Transaction {
    pub fn begin() -> Self {
        IN_TRANSACTION.store(true, Ordering::SeqCst);
        Transaction
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        IN_TRANSACTION.store(false, Ordering::SeqCst);
    }
}

/// The printer: the one value through which a command speaks. Built once from `-q`/`-v` and handed down; a
/// change's `--json` gets a copy whose result lines go to stderr, so stdout holds the one document.
#[derive(Debug, Clone, Copy, Default)]
pub struct Printer {
    quiet: bool,
    verbose: bool,
    json: bool,
}

impl Printer {
    pub fn new(quiet: bool, verbose: bool) -> Self {
        Self {
            quiet,
            verbose,
            json: false,
        }
    }

    /// The same printer for a command whose stdout is one JSON document (when `json`).
    pub fn json(self, json: bool) -> Self {
        Self { json, ..self }
    }

    /// Results: the table, the report, the JSON document.
    pub fn stdout(&self, s: &str) {
        stdout(s)
    }

    /// A result line of a change (what was written, what was verified): stdout, or stderr under `--json`.
    pub fn say(&self, s: &str) {
        if self.json {
            self.info(s)
        } else {
            stdout(s)
        }
    }

    /// Progress and explanations on stderr (what is being done, summaries, notes); `-q` silences them.
    pub fn info(&self, s: &str) {
        if !self.quiet {
            stderr(s);
        }
    }

    /// `info` of one line: `p.info_line(t!("…"))` rather than `p.info(&format!("{}\n", t!("…")))`.
    pub fn info_line(&self, s: impl std::fmt::Display) {
        self.info(&format!("{s}\n"))
    }

    /// `say` of one line.
    pub fn say_line(&self, s: impl std::fmt::Display) {
        self.say(&format!("{s}\n"))
    }

    /// Per-mirror details (phase timings, HTTP statuses) on stderr, with `-v` only.
    pub fn detail(&self, s: &str) {
        if self.verbose {
            stderr(s);
        }
    }

    /// The progress line, drawn on stderr only when it is a terminal and `-q` was not given; its messages go
    /// through `clean` like every other byte.
    pub fn progress(&self, len: u64, template: &str) -> indicatif::ProgressBar {
        use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
        let target = if std::io::stderr().is_terminal() && !self.quiet {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(len), target);
        bar.set_style(ProgressStyle::with_template(template).expect("a valid template"));
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    }

    /// The width of the terminal stdout is, asked of the terminal itself (shells do not export `$COLUMNS`);
    /// `None` when stdout is a pipe or a file, which get one line per row. Asked each time: a window can be
    /// resized during a long probe.
    pub fn width(&self) -> Option<u16> {
        let out = std::io::stdout();
        if !out.is_terminal() {
            return None;
        }
        terminal_size::terminal_size_of(&out)
            .map(|(w, _)| w.0)
            .or_else(|| std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()))
            .or(Some(80))
    }

    /// The width of the terminal stderr is, for messages; `None` when it is not a terminal.
    pub fn stderr_width(&self) -> Option<u16> {
        let err = std::io::stderr();
        if !err.is_terminal() {
            return None;
        }
        terminal_size::terminal_size_of(&err)
            .map(|(w, _)| w.0)
            .or(Some(80))
    }
}

/// Always shown: prompts and errors.
pub fn stderr(s: &str) {
    let _ = std::io::stderr().write_all(clean(s).as_bytes());
}

/// What every printed byte goes through: secrets masked (`redact`), and control characters that a server, a
/// catalogue or a file could send shown escaped (`\u{1b}`), never interpreted by the terminal. mirrorctl itself
/// prints no colour or cursor codes, so nothing of ours is lost.
pub fn clean(s: &str) -> String {
    sanitize(&crate::ui::redact::text(s))
}

/// Control characters (but newline and tab), and the invisible characters that can make a line read differently
/// from what it says (bidirectional overrides, Unicode line separators), escaped. Our own lines keep their
/// newlines here; text from outside has lost its own before (`outside`).
pub fn sanitize(s: &str) -> String {
    escape(s, |c| c == '\n' || c == '\t')
}

/// Text from outside — a server's answer, a catalogue's entry, an argument — as one piece of one of our lines:
/// every control character escaped, newline, carriage return and tab included (`\n`, `\r`, `\t`), so a mirror
/// cannot start a line of its own (a forged `verified: …`). Called where such text enters a message, before it is
/// formatted in; the printer's `sanitize` then cannot tell it from ours.
pub fn outside(s: &str) -> String {
    escape(s, |_| false)
}

fn escape(s: &str, keep: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let invisible = matches!(
            c,
            '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}'
        );
        if (c.is_control() && !keep(c)) || invisible {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Prints an error chain (`error:` / `caused by:` / `hint:`) and returns the exit code its kind calls for.
pub fn fail(e: &anyhow::Error) -> ExitCode {
    let mut msg = format!("{}: {e}\n", t!("label.error"));
    for cause in e.chain().skip(1) {
        msg.push_str(&format!("  {}: {cause}\n", t!("label.caused_by")));
    }
    if let Some(hint) = crate::ui::errors::hint_of(e) {
        msg.push_str(&format!("{}: {hint}\n", t!("label.hint")));
    }
    stderr(&msg);
    ExitCode::from(crate::ui::errors::exit_code(e))
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_cannot_reach_the_terminal() {
        assert_eq!(
            super::sanitize("a\u{1b}]0;pwned\u{7}b\n\tc\r"),
            "a\\u{1b}]0;pwned\\u{7}b\n\tc\\r"
        );
        assert_eq!(
            super::sanitize("x\u{202e}y\u{9b}2J"),
            "x\\u{202e}y\\u{9b}2J"
        );
        assert_eq!(super::sanitize("镜像 ok"), "镜像 ok");
    }

    #[test]
    fn outside_text_cannot_start_a_line() {
        let forged = "application/x\nverified: sha256:abc\r\u{85}\u{2028}done\t";
        let shown = super::outside(forged);
        assert_eq!(
            shown,
            "application/x\\nverified: sha256:abc\\r\\u{85}\\u{2028}done\\t"
        );
        assert_eq!(shown.lines().count(), 1);
        // The printer's own filter leaves it as it is: escaping twice changes nothing.
        assert_eq!(super::sanitize(&shown), shown);
        assert_eq!(super::outside(&shown), shown);
        assert_eq!(super::outside("镜像 ok"), "镜像 ok");
    }
}
