//! Colour, and where it may go: the tones status words are shown in, the screen a table is for, and the one
//! kind of text that may carry colour to the terminal (`Painted`), with its filter. A tone is not a colour code:
//! only `ui::table` turns it into one, inside a table whose every cell has been cleaned, so a colour can only
//! ever be ours.

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

/// Where a table goes: the terminal's width (`None` for a pipe or a file: one line per row) and whether colour is
/// wanted there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Screen {
    pub width: Option<u16>,
    pub colour: bool,
}

#[cfg(test)]
impl Screen {
    pub const PIPE: Screen = Screen {
        width: None,
        colour: false,
    };

    pub fn terminal(width: u16, colour: bool) -> Screen {
        Screen {
            width: Some(width),
            colour,
        }
    }
}

/// A table ready to print: every cell went through `clean` (secrets masked, control characters escaped) before
/// `ui::table` laid it out and coloured its status words, so the only escape sequences in it are colours of
/// ours. Only `ui` can make one; commands print it with `Printer::table`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Painted(String);

impl Painted {
    pub(in crate::ui) fn new(s: String) -> Self {
        Painted(s)
    }

    /// The text as laid out, for the printer's filter (`output::clean_painted`).
    pub(in crate::ui) fn text(&self) -> &str {
        &self.0
    }

    /// The text without its colour, for tests.
    #[cfg(test)]
    pub fn plain(&self) -> String {
        strip_colour(&self.0)
    }
}

/// The colour sequences (`ESC [ … m`, SGR) of `s` removed.
#[cfg(test)]
fn strip_colour(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('\u{1b}') {
        out.push_str(&rest[..i]);
        match sgr_len(&rest[i..]) {
            0 => {
                out.push('\u{1b}');
                rest = &rest[i + 1..];
            }
            n => rest = &rest[i + n..],
        }
    }
    out.push_str(rest);
    out
}

/// The length of the SGR sequence `s` starts with (`ESC [` digits and `;` `m`), or 0.
pub(in crate::ui) fn sgr_len(s: &str) -> usize {
    let Some(body) = s.strip_prefix("\u{1b}[") else {
        return 0;
    };
    let params = body
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b';')
        .count();
    if body.as_bytes().get(params) == Some(&b'm') {
        2 + params + 1
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn colour_is_stripped_and_nothing_else() {
        let s = "\u{1b}[38;5;10mok\u{1b}[39m \u{1b}[2J \u{1b}";
        assert_eq!(super::strip_colour(s), "ok \u{1b}[2J \u{1b}");
    }
}
