//! The errors a person acts on, what to do next about each (`Hint`), and the exit codes they map to: commands only
//! return errors, `output::fail` prints them and main exits with `exit_code`.

use rust_i18n::t;

/// Exit codes, in one place (the README's table).
pub mod exit {
    pub const ERROR: u8 = 1;
    /// As clap's own: a flag's value, or flags together, that cannot work here.
    pub const USAGE: u8 = 2;
    pub const NO_MIRROR_PASSED: u8 = 3;
    pub const ROLLED_BACK: u8 = 4;
    /// Ctrl-C, as a shell reports a process that SIGINT ended (128 + 2).
    pub const INTERRUPTED: u8 = 130;
}

/// An error that knows the next step.
pub trait Hint {
    fn hint(&self) -> String;
}

impl Hint for Hinted {
    fn hint(&self) -> String {
        self.hint.clone()
    }
}

impl Hint for Usage {
    fn hint(&self) -> String {
        self.hint
            .clone()
            .unwrap_or_else(|| t!("hint.usage").into_owned())
    }
}

impl Hint for ConfigError {
    fn hint(&self) -> String {
        ConfigError::hint(self)
    }
}

/// Every error type that carries a next step, named once: `hint_of` asks each cause of an error through `Hint`.
/// A new hinted type is one more entry here, not another hand-written downcast.
const HINTED: &[fn(&(dyn std::error::Error + 'static)) -> Option<String>] =
    &[hint::<Hinted>, hint::<Usage>, hint::<ConfigError>];

fn hint<T: Hint + std::error::Error + 'static>(
    e: &(dyn std::error::Error + 'static),
) -> Option<String> {
    e.downcast_ref::<T>().map(Hint::hint)
}

/// The first hint anywhere in the chain; else, for any permission error, the same advice (sudo).
pub fn hint_of(e: &anyhow::Error) -> Option<String> {
    if let Some(h) = e
        .chain()
        .find_map(|cause| HINTED.iter().find_map(|f| f(cause)))
    {
        return Some(h);
    }
    let denied = e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::PermissionDenied)
    });
    denied.then(|| t!("hint.permission").into_owned())
}

/// What the process exits with for this error.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    if e.chain().any(|c| c.is::<RolledBack>()) {
        exit::ROLLED_BACK
    } else if e.chain().any(|c| c.is::<Usage>()) {
        exit::USAGE
    } else if e.chain().any(|c| c.is::<Interrupted>()) {
        exit::INTERRUPTED
    } else if e.chain().any(|c| c.is::<NoMirrorPassed>()) {
        exit::NO_MIRROR_PASSED
    } else {
        exit::ERROR
    }
}

/// A user-facing error with the next step to take.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Hinted {
    pub message: String,
    pub hint: String,
}

/// `apply` found no mirror that passed its probe (exit code 3).
#[derive(Debug, thiserror::Error)]
#[error("{}", t!("apply.no_mirror_passed"))]
pub struct NoMirrorPassed;

/// Ctrl-C stopped a probe before every mirror answered: nothing was changed (exit code 130).
#[derive(Debug, thiserror::Error)]
#[error("{}", t!("probe.interrupted_error"))]
pub struct Interrupted;

/// A command line that cannot work on this host, found before anything ran (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Usage {
    pub message: String,
    pub hint: Option<String>,
}

impl Usage {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: None,
        }
    }
}

/// The change failed after a write and the old files are back (exit code 4).
#[derive(Debug, thiserror::Error)]
#[error("{}", if *.restored { t!("tx.rolled_back", what = .what, service = .service) } else { t!("tx.rolled_back_down", what = .what, service = .service) })]
pub struct RolledBack {
    pub what: String,
    pub service: String,
    pub restored: bool,
}

/// daemon.json that dockerd would not read, located (line and column) with what to do.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{}", t!("config.empty"))]
    Empty,
    #[error("{}", t!("config.bom"))]
    Bom,
    #[error("{}", t!("config.not_utf8"))]
    NotUtf8,
    #[error("{}", t!("config.syntax", line = line, column = column, detail = json_words(message)))]
    Syntax {
        line: usize,
        column: usize,
        message: String,
        comment: bool,
    },
    #[error("{}", t!("config.not_object", kind = .0))]
    NotAnObject(&'static str),
}

impl ConfigError {
    /// What the user should do about it.
    pub fn hint(&self) -> String {
        match self {
            ConfigError::Empty => t!("config.hint.empty"),
            ConfigError::Bom => t!("config.hint.bom"),
            ConfigError::NotUtf8 => t!("config.hint.not_utf8"),
            ConfigError::Syntax { message, .. } if message.contains("trailing comma") => {
                t!("config.hint.trailing_comma")
            }
            ConfigError::Syntax { comment: true, .. } => t!("config.hint.comment"),
            ConfigError::Syntax { .. } => t!("config.hint.syntax"),
            ConfigError::NotAnObject(_) => t!("config.hint.not_object"),
        }
        .into_owned()
    }
}

/// serde_json's message for a syntax error (always English) in the current language: its fixed set of messages,
/// each said again from the catalogue; one we do not know stays as it is.
pub fn json_words(message: &str) -> String {
    const KNOWN: &[(&str, &str)] = &[
        ("trailing comma", "json.trailing_comma"),
        ("trailing characters", "json.trailing_characters"),
        ("key must be a string", "json.key_not_string"),
        ("expected value", "json.expected_value"),
        ("expected ident", "json.expected_value"),
        ("expected `:`", "json.expected_colon"),
        ("expected `,` or `]`", "json.expected_list_end"),
        ("expected `,` or `}`", "json.expected_object_end"),
        ("expected `\"`", "json.expected_quote"),
        ("EOF while parsing a list", "json.eof"),
        ("EOF while parsing an object", "json.eof"),
        ("EOF while parsing a string", "json.eof"),
        ("EOF while parsing a value", "json.eof"),
        ("invalid escape", "json.invalid_escape"),
        ("invalid number", "json.invalid_number"),
        ("number out of range", "json.number_out_of_range"),
        ("invalid unicode code point", "json.invalid_unicode"),
        (
            "lone leading surrogate in hex escape",
            "json.invalid_unicode",
        ),
        ("unexpected end of hex escape", "json.invalid_escape"),
        (
            "control character (\\u0000-\\u001F) found while parsing a string",
            "json.control_character",
        ),
        ("recursion limit exceeded", "json.too_deep"),
    ];
    match KNOWN.iter().find(|(en, _)| *en == message) {
        Some((_, key)) => t!(*key).into_owned(),
        None => message.to_owned(),
    }
}
