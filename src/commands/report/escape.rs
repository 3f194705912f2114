//! Text from outside (a mirror's name, a server's failure text, a URL, a path) as it may stand in the page or in
//! an SVG: one escaping that holds in HTML text, in a quoted attribute and in SVG text, whether the SVG is inline
//! in the page (parsed as HTML) or a file of its own (parsed as XML). So callers never choose an escaping, and
//! never get one wrong.

/// Control characters first as `output::outside` shows them (`\u{1b}`, `\n`: XML 1.0 cannot hold most of them,
/// and a newline is not the mirror's to add), then the five characters that can end text or an attribute.
pub fn text(s: &str) -> String {
    let shown = crate::ui::output::outside(s);
    let mut out = String::with_capacity(shown.len());
    for c in shown.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::text;

    #[test]
    fn markup_from_outside_stays_text() {
        assert_eq!(
            text("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        // An attribute cannot be closed from inside, with either quote.
        assert_eq!(
            text("\"><img src=x onerror=alert(1)>"),
            "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"
        );
        assert_eq!(text("' onmouseover='x"), "&#39; onmouseover=&#39;x");
        // Inline SVG cannot be ended by a name.
        assert_eq!(text("</svg><b>"), "&lt;/svg&gt;&lt;b&gt;");
        // An entity is shown as typed, not decoded.
        assert_eq!(text("&lt;b&gt; &amp;"), "&amp;lt;b&amp;gt; &amp;amp;");
    }

    #[test]
    fn control_characters_become_visible_text() {
        // XML 1.0 refuses U+0001 to U+001F (but tab and newlines), so a standalone SVG would not load.
        assert_eq!(text("a\u{1}b\nc\u{1b}[2J"), "a\\u{1}b\\nc\\u{1b}[2J");
        assert_eq!(text("镜像加速器 ok"), "镜像加速器 ok");
        assert!(!text("x\u{202e}y").contains('\u{202e}'));
    }
}
