//! Every byte for people goes through here, through one filter (`clean`): the `Printer` a command is handed, and
//! `fail` for the error that ends it. A closed pipe (`mirrorctl probe | head`) ends quietly; errors have one shape
//! (`error:` / `caused by:` / `hint:`).

use rust_i18n::t;
use std::io::{IsTerminal, Write};

pub use crate::ui::style::{Painted, Screen};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

fn stdout(s: &str) {
    // Passed through as it is: `clean` left no escape sequence in it.
    write_stdout(&clean(s), anstream::ColorChoice::AlwaysAnsi)
}

/// `s`, already through the filter, to stdout; colour stripped unless `colour` says the stream takes it.
fn write_stdout(s: &str, colour: anstream::ColorChoice) {
    let mut out = anstream::AutoStream::new(std::io::stdout().lock(), colour);
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

    /// A table (`ui::table`) on stdout, in colour where stdout takes it.
    pub fn table(&self, t: &Painted) {
        write_stdout(&clean_painted(t), colour_of(&std::io::stdout()))
    }

    /// A table on stderr among the progress and explanations (`apply`'s probe); `-q` silences it.
    pub fn info_table(&self, t: &Painted) {
        if !self.quiet {
            let mut err =
                anstream::AutoStream::new(std::io::stderr(), colour_of(&std::io::stderr()));
            let _ = err.write_all(clean_painted(t).as_bytes());
        }
    }

    /// What a table on stdout has room for: its width, and whether it may be in colour.
    pub fn screen(&self) -> Screen {
        Screen {
            width: self.width(),
            colour: colour_of(&std::io::stdout()) != anstream::ColorChoice::Never,
        }
    }

    /// The same for a table on stderr.
    pub fn stderr_screen(&self) -> Screen {
        Screen {
            width: self.stderr_width(),
            colour: colour_of(&std::io::stderr()) != anstream::ColorChoice::Never,
        }
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

/// anstream's rule, the one clap follows: a terminal whose `TERM` takes colour, unless `NO_COLOR` is set or
/// `CLICOLOR=0`; `CLICOLOR_FORCE` forces it.
fn colour_of(stream: &impl anstream::stream::RawStream) -> anstream::ColorChoice {
    anstream::AutoStream::choice(stream)
}

/// The printer's filter for a table: `clean`, except that a colour sequence (SGR, nothing that moves the
/// cursor, sets a title or clears the screen) stays. A `Painted` has no other escape of any kind, since its
/// cells were cleaned one by one; this is the second lock.
fn clean_painted(t: &Painted) -> String {
    use crate::ui::style::sgr_len;
    let s = crate::ui::redact::text(t.text());
    let mut out = String::with_capacity(s.len());
    let mut rest = s.as_str();
    while let Some(i) = rest.find('\u{1b}') {
        out.push_str(&sanitize(&rest[..i]));
        let n = sgr_len(&rest[i..]);
        if n == 0 {
            out.push_str("\\u{1b}");
            rest = &rest[i + 1..];
        } else {
            out.push_str(&rest[i..i + n]);
            rest = &rest[i + n..];
        }
    }
    out.push_str(&sanitize(rest));
    out
}

/// Always shown: prompts and errors.
pub fn stderr(s: &str) {
    let _ = std::io::stderr().write_all(clean(s).as_bytes());
}

/// What every printed byte goes through: secrets masked (`redact`), and control characters that a server, a
/// catalogue or a file could send shown escaped (`\u{1b}`), never interpreted by the terminal. Our own colour
/// (a table's status words, `Painted`) comes through `clean_painted`: this filter, letting SGR through.
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

    #[test]
    fn a_tables_filter_keeps_colour_and_nothing_else() {
        use super::Painted;
        // Green, reset, then what could only have come from a bug upstream: a title, a screen clear, a bare ESC.
        let s = "\u{1b}[38;5;10mok\u{1b}[39m \u{1b}]0;t\u{7} \u{1b}[2J \u{1b}";
        assert_eq!(
            super::clean_painted(&Painted::new(s.into())),
            "\u{1b}[38;5;10mok\u{1b}[39m \\u{1b}]0;t\\u{7} \\u{1b}[2J \\u{1b}"
        );
        // Secrets are masked there too.
        assert!(
            !super::clean_painted(&Painted::new("https://u:hunter2@m.example/".into()))
                .contains("hunter2")
        );
    }
}
