//! Tables for the screen they are on. On a terminal: the columns that fit its width, taken in order of priority
//! (the others stay in a pipe, `-v` and `--json`); every column but one as wide as its widest cell, so that
//! nothing in it — a URL above all — is ever split; the one free-text column gets the rest, cut to the lines a
//! row may take. In a pipe: every column in its widest form, one line per row, no box drawing. This file only
//! chooses the columns and their widths, measured as comfy-table measures (unicode-width); comfy-table draws,
//! wraps within those widths, cuts rows to their lines and colours the status words.

use comfy_table::{
    presets, Cell, CellAlignment, ColumnConstraint, ContentArrangement, Row, Table, Width,
};
use unicode_width::UnicodeWidthStr;

use crate::ui::output::{outside, Painted, Screen};
use crate::ui::style::Tone;

/// Half the spaces between two columns, in a pipe as on a terminal.
const PAD: usize = 1;
/// The frame's left and right edges.
const FRAME: usize = 2;

/// One column: its header, and its cells in one or more forms, narrowest first (a URL's host, then the whole URL).
pub struct Column {
    header: String,
    /// `(priority, cells)`: the first form is shown from its priority on, a wider one replaces it at its own.
    forms: Vec<(u8, Vec<String>)>,
    tones: Vec<Tone>,
    right: bool,
    /// The free-text column: the narrowest it is worth showing at, and the priority at which it may take the
    /// room it needs.
    free: Option<(usize, u8)>,
}

/// Shown whatever the width (the priority of a required column).
pub const ALWAYS: u8 = 0;

impl Column {
    /// A column shown at every width; cells are text from anywhere (each is cleaned here).
    pub fn new(header: impl Into<String>, cells: impl IntoIterator<Item = String>) -> Self {
        Column {
            header: header.into(),
            forms: vec![(ALWAYS, cells.into_iter().map(|c| clean_cell(&c)).collect())],
            tones: Vec::new(),
            right: false,
            free: None,
        }
    }

    /// Shown only when the columns of a higher priority (a lower number) leave room for it.
    pub fn priority(mut self, p: u8) -> Self {
        self.forms[0].0 = p;
        self
    }

    /// A wider form of the same cells, shown instead when there is room for it at priority `p`.
    pub fn or_wider(mut self, p: u8, cells: impl IntoIterator<Item = String>) -> Self {
        self.forms
            .push((p, cells.into_iter().map(|c| clean_cell(&c)).collect()));
        self
    }

    /// The colour of each cell's status word.
    pub fn tones(mut self, tones: impl IntoIterator<Item = Tone>) -> Self {
        self.tones = tones.into_iter().collect();
        self
    }

    pub fn right(mut self) -> Self {
        self.right = true;
        self
    }

    /// The free-text column: at least `min` wide, as wide as its text at priority `grow` (before the columns
    /// of lower priority), and in the end whatever the others leave; wrapped and cut to the table's lines per
    /// row. At most one per table.
    pub fn free(mut self, min: usize, grow: u8) -> Self {
        self.free = Some((min, grow));
        self
    }

    /// The width a form needs without being split: its widest cell, and the header's widest word (a header may
    /// wrap at its spaces).
    fn width(&self, form: usize) -> usize {
        let cells = self.forms[form]
            .1
            .iter()
            .map(|c| c.width())
            .max()
            .unwrap_or(0);
        let header = self.header.split(' ').map(|w| w.width()).max().unwrap_or(0);
        cells.max(header).max(1)
    }

    /// The least width it is shown at: its natural width, or the free column's least.
    fn least(&self, form: usize) -> usize {
        let natural = self.width(form);
        match self.free {
            Some((min, _)) => natural.min(min),
            None => natural,
        }
    }

    /// Nothing to say in any row: every cell empty or a dash.
    fn is_blank(&self) -> bool {
        self.forms[0].1.iter().all(|c| c.is_empty() || c == "-")
    }
}

/// Secrets masked and every control character escaped: a cell is one line of text from outside.
fn clean_cell(s: &str) -> String {
    outside(&crate::ui::redact::text(s))
}

/// What a terminal of `width` shows of each column: which form, how wide (`None`: left out). Required columns
/// first, then by priority (ties left to right) each other column, wider form or the free column's growth, until
/// one does not fit; a column with nothing but dashes is passed over. The free column then takes what is left.
fn choose(columns: &[Column], width: usize) -> Vec<Option<(usize, usize)>> {
    const GROW: usize = usize::MAX;
    let mut chosen: Vec<Option<(usize, usize)>> = columns
        .iter()
        .map(|c| (c.forms[0].0 == ALWAYS).then(|| (0, c.least(0))))
        .collect();
    let total = |chosen: &[Option<(usize, usize)>]| {
        FRAME
            + chosen
                .iter()
                .flatten()
                .map(|(_, w)| w + 2 * PAD)
                .sum::<usize>()
    };
    let mut steps: Vec<(u8, usize, usize)> = columns
        .iter()
        .enumerate()
        .flat_map(|(i, c)| {
            let forms = c
                .forms
                .iter()
                .enumerate()
                .map(move |(f, (p, _))| (*p, i, f));
            forms.chain(c.free.map(|(_, grow)| (grow, i, GROW)))
        })
        .filter(|&(p, _, _)| p != ALWAYS)
        .collect();
    steps.sort();
    for (_, i, f) in steps {
        let c = &columns[i];
        if f == GROW {
            let room = width.saturating_sub(total(&chosen));
            if let Some((form, w)) = &mut chosen[i] {
                *w = (*w + room).min(c.width(*form));
            }
            continue;
        }
        // A wider form only replaces the one before it; a column left out stays out.
        let can = match chosen[i] {
            None => f == 0,
            Some((shown, _)) => f == shown + 1,
        };
        if !can || (f == 0 && c.is_blank()) {
            continue;
        }
        let mut tried = chosen.clone();
        tried[i] = Some((f, c.least(f)));
        if total(&tried) > width {
            // Nothing of a lower priority either: a wider screen shows all that a narrower one does, and more.
            break;
        }
        chosen = tried;
    }
    let room = width.saturating_sub(total(&chosen));
    for (c, shown) in columns.iter().zip(&mut chosen) {
        if let (Some(_), Some((form, w))) = (c.free, shown) {
            *w = (*w + room).min(c.width(*form));
        }
    }
    chosen
}

/// A table of `columns` for `screen`; on a terminal each row takes at most `lines` lines.
pub fn render(columns: &[Column], lines: usize, screen: Screen) -> Painted {
    let mut t = Table::new();
    let chosen: Vec<Option<(usize, usize)>> = match screen.width {
        Some(w) => choose(columns, usize::from(w)),
        None => columns
            .iter()
            .map(|c| Some((c.forms.len() - 1, 0)))
            .collect(),
    };
    let mut shown: Vec<(&Column, usize, usize)> = columns
        .iter()
        .zip(&chosen)
        .filter_map(|(c, f)| f.map(|(f, w)| (c, f, w)))
        .collect();
    if screen.width.is_none() {
        // In a pipe the free text goes last: no other column is padded out to its length.
        shown.sort_by_key(|(c, _, _)| c.free.is_some());
    }
    t.set_header(shown.iter().map(|(c, _, _)| Cell::new(&c.header)));
    let rows = shown.first().map_or(0, |(c, f, _)| c.forms[*f].1.len());
    for r in 0..rows {
        let mut row = Row::from(shown.iter().map(|(c, f, w)| {
            let text = c.forms[*f].1.get(r).map_or("", String::as_str);
            let mut cell = match screen.width {
                // One line of free text: cut at the width, not at the last word that fits (comfy-table's way,
                // which can leave half the line empty).
                Some(_) if c.free.is_some() && lines <= 1 => Cell::new(cut(text, *w)),
                _ => Cell::new(text),
            };
            if c.right {
                cell = cell.set_alignment(CellAlignment::Right);
            }
            match c.tones.get(r).and_then(|t| t.color()) {
                Some(colour) if screen.colour => cell.fg(colour),
                _ => cell,
            }
        }));
        if screen.width.is_some() {
            row.max_height(lines.max(1));
        }
        t.add_row(row);
    }
    if screen.colour {
        // Only the words: padding and the frame stay plain.
        t.enforce_styling().style_text_only();
    } else {
        t.force_no_tty();
    }
    let Some(width) = screen.width else {
        // A pipe: columns apart by two spaces, nothing drawn, no trailing blanks (`| less` shows no empty lines).
        t.load_preset(presets::NOTHING)
            .set_content_arrangement(ContentArrangement::Disabled);
        for col in t.column_iter_mut() {
            col.set_padding((0, 2 * PAD as u16));
        }
        let mut s: String = t.lines().map(|l| l.trim_end().to_owned() + "\n").collect();
        if s.is_empty() {
            s.push('\n');
        }
        return Painted::new(s);
    };
    // The preset's line between columns is a blank: with a space before each cell (and after the last) two
    // columns are two spaces apart, as in a pipe.
    t.load_preset(presets::UTF8_BORDERS_ONLY)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width)
        .set_truncation_indicator("…");
    let last = shown.len().saturating_sub(1);
    for (i, col) in t.column_iter_mut().enumerate() {
        col.set_padding((PAD as u16, if i == last { PAD as u16 } else { 0 }));
    }
    // comfy-table counts a column's padding in its width.
    t.set_constraints(shown.iter().enumerate().map(|(i, (_, _, w))| {
        let pad = if i == last { 2 * PAD } else { PAD };
        ColumnConstraint::Absolute(Width::Fixed((w + pad) as u16))
    }));
    Painted::new(t.to_string() + "\n")
}

/// `s` in at most `cols` display columns, its end replaced by `…` when it is longer.
fn cut(s: &str, cols: usize) -> String {
    if s.width() <= cols {
        return s.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > cols {
            break;
        }
        out.push(c);
        used += w;
    }
    out.trim_end().to_owned() + "…"
}

/// A URL as its host (and port): what tells two mirrors apart when the whole URL has no room.
pub fn host(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns() -> Vec<Column> {
        let urls = [
            "https://docker.m.daocloud.io/",
            "https://mirror.ccs.tencentyun.com",
        ];
        vec![
            Column::new("name", ["daocloud".into(), "tencent".into()]),
            Column::new("url", urls.map(host))
                .priority(2)
                .or_wider(5, urls.map(String::from)),
            Column::new("status", ["ok".into(), "denied".into()])
                .tones([Tone::Good, Tone::Bad]),
            Column::new(
                "why",
                [
                    String::new(),
                    "403 Forbidden at the blob: the image is probably not on this mirror's allowlist".into(),
                ],
            )
            .free(20, 9),
        ]
    }

    #[test]
    fn a_narrow_screen_drops_by_priority_and_never_splits_a_url() {
        // Name 8, status 6, why at least 20, two spaces between columns and a frame: 42; the host needs 27 more,
        // the whole URL 35.
        let wide = render(&columns(), 1, Screen::terminal(77, false)).plain();
        assert!(wide.contains("https://mirror.ccs.tencentyun.com"), "{wide}");
        let mid = render(&columns(), 1, Screen::terminal(76, false)).plain();
        assert!(
            mid.contains("mirror.ccs.tencentyun.com") && !mid.contains("https://"),
            "{mid}"
        );
        let narrow = render(&columns(), 1, Screen::terminal(68, false)).plain();
        assert!(!narrow.contains("tencentyun"), "{narrow}");
        for (w, s) in [(77, &wide), (76, &mid), (68, &narrow)] {
            assert!(s.lines().all(|l| l.width() <= w), "{s}");
            // Frame, header, rule, two rows, frame: the reason is cut to one line.
            assert_eq!(s.lines().count(), 6, "{s}");
            assert!(s.contains('…'), "{s}");
        }
    }

    #[test]
    fn a_reason_is_cut_at_the_width() {
        assert_eq!(
            cut("invalid peer certificate: the certificate", 20),
            "invalid peer certif…"
        );
        assert_eq!(cut("镜像地址无效，请检查", 9), "镜像地址…");
        assert_eq!(cut("short", 20), "short");
    }

    #[test]
    fn a_pipe_gets_every_column_on_one_line_without_a_frame() {
        let s = render(&columns(), 1, Screen::PIPE).plain();
        assert_eq!(s.lines().count(), 3, "{s}");
        assert!(s.contains("https://mirror.ccs.tencentyun.com"), "{s}");
        assert!(s.contains("not on this mirror's allowlist"), "{s}");
        assert!(!s.contains(['│', '─', '┌', '═']), "{s}");
        assert!(s.lines().all(|l| l == l.trim_end()), "{s}");
        // The free text last, whatever its place on a terminal.
        let mut cols = columns();
        cols.rotate_right(1);
        let s = render(&cols, 1, Screen::PIPE).plain();
        assert!(s.lines().nth(2).unwrap().ends_with("allowlist"), "{s}");
    }

    #[test]
    fn colour_only_for_status_words_and_only_when_asked() {
        let plain = render(&columns(), 1, Screen::terminal(80, false));
        assert!(!format!("{plain:?}").contains("\\u{1b}"));
        let coloured = render(&columns(), 1, Screen::terminal(80, true));
        assert_eq!(coloured.plain(), plain.plain());
        assert_ne!(coloured, plain);
    }

    #[test]
    fn text_from_outside_cannot_carry_an_escape_into_a_coloured_table() {
        let cols = vec![
            Column::new("name", ["evil\u{1b}]0;pwned\u{7}\u{1b}[2J".to_owned()]),
            Column::new("status", ["ok".to_owned()]).tones([Tone::Good]),
        ];
        let t = render(&cols, 1, Screen::terminal(80, true));
        let debug = format!("{t:?}");
        // The server's escapes are shown as text; the only real ESC left are our colour's.
        assert!(debug.contains("evil\\\\u{1b}]0;pwned"), "{debug}");
        let real = t.plain();
        assert!(!real.contains('\u{1b}'), "{real:?}");
    }

    #[test]
    fn a_column_of_dashes_gives_way_and_the_reason_grows_before_a_lower_priority() {
        let cols = vec![
            Column::new("name", ["a".to_owned(), "b".to_owned()]),
            Column::new("speed", ["-".to_owned(), "-".to_owned()]).priority(1),
            Column::new(
                "why",
                ["host name does not resolve".to_owned(), String::new()],
            )
            .free(10, 2),
            Column::new(
                "whole url",
                [
                    "https://a.example".to_owned(),
                    "https://b.example".to_owned(),
                ],
            )
            .priority(3),
        ];
        // name 4 (its header), why 26, two spaces each and the frame: 36; the URL would need 19 more.
        let s = render(&cols, 1, Screen::terminal(50, false)).plain();
        assert!(!s.contains("speed") && !s.contains("https"), "{s}");
        assert!(s.contains("host name does not resolve"), "{s}");
        let wide = render(&cols, 1, Screen::terminal(60, false)).plain();
        assert!(wide.contains(" https://a.example "), "{wide}");
        // In a pipe nothing is left out.
        assert!(render(&cols, 1, Screen::PIPE).plain().contains("speed"));
    }
}
