//! Help text wrapped by display width, for Chinese: clap breaks lines only at spaces and counts every character as
//! one column, so a Chinese help line (no spaces, two columns a character) runs past the edge and the terminal
//! folds it back to column 0. Here a line may also break between two CJK characters (never before a closing mark
//! such as `，` or `）`, never after an opening one, never next to a code span's backtick), and a continued line
//! starts under the first character of the text it continues.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Marks a line must not start with.
const NO_START: &str = "，。、；：！？）】》」』”’…—,.;:!?)]}%";
/// Marks a line must not end with.
const NO_END: &str = "（【《「『“‘([{";

fn wide(c: char) -> bool {
    c.width().unwrap_or(0) >= 2
}

/// Whether a line may break between `a` and `b` (neither a space: spaces are breaks of their own).
fn breaks_between(a: char, b: char) -> bool {
    (wide(a) || wide(b)) && !NO_START.contains(b) && !NO_END.contains(a) && a != '`' && b != '`'
}

/// Every line of `text` at most `width` columns wide where it can be broken (a word or a code span wider than a
/// whole line is cut); `usage` is the usage line's heading (`用法`), whose text continued lines line up under.
pub fn text(text: &str, width: usize, usage: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&line_at(line, width, usage));
    }
    out
}

/// Where the text of a help line starts, the part continued lines line up under: after the gap that follows an
/// option or a command (`  -q, --quiet    只输出…`), after `用法: `, else after the line's own indentation.
fn text_start(line: &str, usage: &str) -> usize {
    if let Some(rest) = line.strip_prefix(usage).and_then(|r| r.strip_prefix(": ")) {
        return line.len() - rest.len();
    }
    let lead = line.len() - line.trim_start_matches(' ').len();
    // A value in a list, `- docker:     dockerd 的 daemon.json`: under its text.
    if let Some(item) = line[lead..].strip_prefix("- ") {
        if let Some(colon) = item.find(':') {
            let after = &item[colon + 1..];
            let text = after.trim_start_matches(' ');
            if !text.is_empty() {
                return line.len() - text.len();
            }
        }
    }
    if (1..=6).contains(&lead) {
        if let Some(gap) = line[lead..].find("  ") {
            let after = lead + gap;
            let start = line.len() - line[after..].trim_start_matches(' ').len();
            if start < line.len() {
                return start;
            }
        }
    }
    lead
}

fn line_at(line: &str, width: usize, usage: &str) -> String {
    // A line with no Chinese in it is clap's or an example command: as clap left it, so that it can be copied.
    if line.width() <= width || !line.chars().any(wide) {
        return line.to_owned();
    }
    let mut start = text_start(line, usage);
    if line[..start].width() > width / 2 {
        // No help column that far right: the line's own indentation.
        start = line.len() - line.trim_start_matches(' ').len();
    }
    let (head, body) = line.split_at(start);
    let mut indent = head.width();
    // A value's text that far right would leave a ribbon: continue it just under its `- ` instead.
    let lead = line.len() - line.trim_start_matches(' ').len();
    if line[lead..].starts_with("- ") && width.saturating_sub(indent) < 40 {
        indent = lead + 2;
    }
    let first = width.saturating_sub(head.width()).max(16);
    let room = width.saturating_sub(indent).max(16);
    let pieces = fill(&atoms(body), first, room);
    let pad = " ".repeat(indent);
    let mut out = String::from(head);
    for (i, p) in pieces.iter().enumerate() {
        if i > 0 {
            out.push('\n');
            out.push_str(&pad);
        }
        out.push_str(p);
    }
    out
}

/// The pieces a line cannot be broken inside, each with the spaces after it.
fn atoms(s: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut prev: Option<char> = None;
    let mut word_end: Option<usize> = None;
    // Inside a label such as `[默认值: 10]` up to its colon, and on to its first value: kept whole.
    let mut label = false;
    let mut glue = false;
    for (i, c) in s.char_indices() {
        if c == ' ' {
            word_end.get_or_insert(i);
        } else {
            let cut = match (prev, word_end) {
                (_, Some(_)) => !glue,
                (Some(p), None) => !label && !glue && breaks_between(p, c),
                (None, None) => false,
            };
            glue = false;
            match c {
                '[' => label = true,
                ':' if label => (label, glue) = (false, true),
                ']' => label = false,
                _ => {}
            }
            if cut && i > start {
                let end = word_end.unwrap_or(i);
                out.push((&s[start..end], &s[end..i]));
                start = i;
            }
            word_end = None;
        }
        prev = Some(c);
    }
    if start < s.len() {
        let end = word_end.unwrap_or(s.len());
        out.push((&s[start..end], &s[end..]));
    }
    out
}

/// Greedy lines: the first at most `first` columns, the others `room`.
fn fill(atoms: &[(&str, &str)], first: usize, room: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut spaces = ""; // after the line's last atom, written only if another atom follows on this line
    for &(word, after) in atoms {
        let w = word.width();
        let room_now = |lines: &Vec<String>| if lines.is_empty() { first } else { room };
        if !line.is_empty() && line.width() + spaces.len() + w > room_now(&lines) {
            lines.push(std::mem::take(&mut line));
            spaces = "";
        }
        line.push_str(spaces);
        let mut word = word;
        while line.is_empty() && word.width() > room_now(&lines) {
            let (a, b) = cut(word, room_now(&lines));
            lines.push(a.to_owned());
            word = b;
        }
        line.push_str(word);
        spaces = after;
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// The longest head of `s` at most `cols` wide (at least one character), and the rest: cut before an opening
/// mark or at a code span's edge where there is one, so that `（`mirrors.<registry>.endpoint`）` keeps its code
/// whole.
fn cut(s: &str, cols: usize) -> (&str, &str) {
    let mut used = 0;
    let mut ticks = 0;
    let mut soft = None;
    for (i, c) in s.char_indices() {
        let w = c.width().unwrap_or(0);
        if used + w > cols && i > 0 {
            return s.split_at(soft.unwrap_or(i));
        }
        let before_tick = s[..i].ends_with('`') && ticks % 2 == 0;
        if i > 0 && ((NO_END.contains(c) || (c == '`' && ticks % 2 == 0)) || before_tick) {
            soft = Some(i);
        }
        if c == '`' {
            ticks += 1;
        }
        used += w;
    }
    (s, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn widest(s: &str) -> usize {
        s.lines().map(UnicodeWidthStr::width).max().unwrap_or(0)
    }

    #[test]
    fn chinese_help_wraps_under_its_own_text() {
        let line = format!(
            "  -q, --quiet            {}",
            "只输出结果和错误：stderr 上不显示进度、说明或汇总，".repeat(3)
        );
        let out = text(&line, 80, "用法");
        assert!(widest(&out) <= 80, "{out}");
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines.len() >= 2, "{out}");
        for l in &lines[1..] {
            assert!(
                l.starts_with(&" ".repeat(25)),
                "continued under the text: {l:?}"
            );
            assert!(
                !l.trim_start().starts_with('，'),
                "a line never starts with a comma: {l:?}"
            );
        }
        let joined: String = lines.iter().map(|l| l.trim()).collect();
        assert!(joined.contains("只输出结果和错误"));
    }

    #[test]
    fn english_and_code_spans_stay_whole() {
        let line = format!(
            "  --x <V>  {} `mirrorctl completions bash` 然后",
            "说明".repeat(30)
        );
        let out = text(&line, 60, "用法");
        assert!(widest(&out) <= 60, "{out}");
        assert!(out.contains("`mirrorctl"), "{out}");
        assert!(out.contains("bash`"), "{out}");
        assert!(!out.contains("mirror\n"), "{out}");
        // A value in a list continues under its own text.
        let item = format!("{}- docker:     {}", " ".repeat(8), "守护进程".repeat(20));
        let out = text(&item, 70, "用法");
        assert!(widest(&out) <= 70, "{out}");
        assert!(
            out.lines().skip(1).all(|l| l.starts_with(&" ".repeat(22))),
            "{out}"
        );
        // …or just under its `- ` when that would leave too narrow a column.
        let out = text(&item, 50, "用法");
        assert!(widest(&out) <= 50, "{out}");
        assert!(
            out.lines()
                .skip(1)
                .all(|l| l.starts_with(&" ".repeat(10)) && !l.starts_with(&" ".repeat(11))),
            "{out}"
        );
        // A line that fits is left alone.
        assert_eq!(
            text("  -h, --help  显示帮助", 80, "用法"),
            "  -h, --help  显示帮助"
        );
    }

    proptest::proptest! {
        /// Whatever the text and the width: no panic, nothing lost or reordered but spaces, and every line within
        /// the width unless a single character is wider.
        #[test]
        fn wrapping_keeps_the_text_and_the_width(
            line in "[ a-z`\\[\\]:（）。，镜像源-]{0,120}",
            lead in 0usize..12,
            width in 1usize..100,
        ) {
            let line = format!("{}{line}", " ".repeat(lead));
            let out = text(&line, width, "用法");
            let kept = |s: &str| s.chars().filter(|c| *c != ' ' && *c != '\n').collect::<String>();
            proptest::prop_assert_eq!(kept(&out), kept(&line));
            if line.width() > width && width >= 40 {
                proptest::prop_assert!(widest(&out) <= width, "{}", out);
            }
        }
    }
}
