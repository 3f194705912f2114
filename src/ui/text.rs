//! Text for people, shared by every command: units, tables, wrapping, `docker info` blocks. Pure.

use comfy_table::{
    presets::{NOTHING, UTF8_BORDERS_ONLY},
    ContentArrangement, Table,
};

/// `1.5 MiB` style sizes; rates append `/s` at the call site.
pub fn bytes(n: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n;
    let mut i = 0;
    while v >= 1024.0 && i < UNITS.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{v:.0} {}", UNITS[0])
    } else {
        format!("{v:.1} {}", UNITS[i])
    }
}

pub fn millis(ms: f64) -> String {
    if ms >= 10_000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        format!("{ms:.0} ms")
    }
}

/// A length of time for people, in whole seconds: humantime's `1h 2m 3s` in English, `1 小时 2 分 3 秒` in Chinese
/// (whose "ago" then reads `45 秒前`, not `45s 前`).
pub fn duration(d: std::time::Duration) -> String {
    let en = humantime::format_duration(std::time::Duration::from_secs(d.as_secs())).to_string();
    if &*rust_i18n::locale() == "en" {
        return en;
    }
    en.split(' ')
        .map(|part| {
            let n: String = part.chars().take_while(char::is_ascii_digit).collect();
            let key = match &part[n.len()..] {
                "year" | "years" => "duration.years",
                "month" | "months" => "duration.months",
                "day" | "days" => "duration.days",
                "h" => "duration.hours",
                "m" => "duration.minutes",
                "s" => "duration.seconds",
                _ => return part.to_owned(),
            };
            rust_i18n::t!(key, n = n).into_owned()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `text` wrapped to `width` display columns (CJK counts two): the first line starts at column `first`, the
/// others are indented by `indent` spaces. Unwrapped when `width` is `None` (a pipe). A word longer than a line
/// is cut.
pub fn wrap(text: &str, first: usize, indent: usize, width: Option<u16>) -> String {
    use unicode_width::UnicodeWidthStr;
    let Some(width) = width.map(usize::from) else {
        return text.to_owned();
    };
    let room = |start: usize| width.saturating_sub(start).max(20);
    let mut lines: Vec<String> = Vec::new();
    let (mut line, mut line_w, mut avail) = (String::new(), 0, room(first));
    for word in text.split(' ') {
        let mut word = word;
        loop {
            let w = word.width();
            let need = if line.is_empty() { w } else { line_w + 1 + w };
            if need <= avail {
                if !line.is_empty() {
                    line.push(' ');
                    line_w += 1;
                }
                line.push_str(word);
                line_w += w;
                break;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                (line_w, avail) = (0, room(indent));
                continue;
            }
            let (head, tail) = split_at_width(word, avail);
            lines.push(head.to_owned());
            avail = room(indent);
            word = tail;
            if word.is_empty() {
                break;
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines.join(&format!("\n{}", " ".repeat(indent)))
}

/// The longest head of `s` at most `cols` wide (at least one character).
fn split_at_width(s: &str, cols: usize) -> (&str, &str) {
    let mut used = 0;
    for (i, c) in s.char_indices() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > cols && i > 0 {
            return s.split_at(i);
        }
        used += w;
    }
    (s, "")
}

/// An empty table in our style (history's; list and probe use `ui::table`): wrapped to `width` on a terminal,
/// one line per row and no frame in a pipe.
pub fn table(width: Option<u16>) -> Table {
    let mut t = Table::new();
    match width {
        Some(w) => t
            .load_preset(UTF8_BORDERS_ONLY)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(w),
        None => t
            .load_preset(NOTHING)
            .set_content_arrangement(ContentArrangement::Disabled),
    };
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_every_line_within_the_width() {
        use unicode_width::UnicodeWidthStr;
        let text = "dockerd 26.1.5+dfsg1 will refuse this file: `registry-mirrors`: invalid mirror \"https://a-very-long-host-name-that-goes-on-and-on.example.com/with/a/path\" 镜像地址无效，请检查 (line 2, column 3)";
        let out = wrap(text, 30, 30, Some(80));
        for (i, l) in out.lines().enumerate() {
            let start = if i == 0 { 30 } else { 0 };
            assert!(start + l.width() <= 80, "{i}: {l:?}");
        }
        assert_eq!(
            out.split_whitespace().collect::<String>(),
            text.split_whitespace().collect::<String>()
        );
        assert_eq!(wrap(text, 30, 30, None), text);
    }

    #[test]
    fn units() {
        assert_eq!(bytes(512.0), "512 B");
        assert_eq!(bytes(1536.0), "1.5 KiB");
        assert_eq!(bytes(3.0 * 1024.0 * 1024.0), "3.0 MiB");
        assert_eq!(millis(12.4), "12 ms");
        assert_eq!(millis(12_400.0), "12.4 s");
    }
}
