//! The tones status words are shown in. A tone, not a colour code: only `ui::table` turns it into one, inside a
//! table whose every cell has been cleaned, so a colour can only ever be ours.

/// How a status word reads: good, bad, worth a look, or a fact without a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tone {
    #[default]
    Plain,
    Good,
    Bad,
    Warn,
    Note,
}

impl Tone {
    /// The terminal colour of the tone (none for plain text).
    pub(crate) fn color(self) -> Option<comfy_table::Color> {
        use comfy_table::Color;
        match self {
            Tone::Plain => None,
            Tone::Good => Some(Color::Green),
            Tone::Bad => Some(Color::Red),
            Tone::Warn => Some(Color::Yellow),
            Tone::Note => Some(Color::Cyan),
        }
    }
}
