//! The Prometheus text exposition format (version 0.0.4), written by us: a family is its `# HELP` and `# TYPE`
//! lines and its samples, names are checked against the format's grammar, and every label value — a mirror's
//! name, a URL, a failure class, all from a catalogue, a server or the history file — goes through `label_value`,
//! so a hostile one stays one value and can neither end the line nor forge a sample. A crate (prometheus-client)
//! would bring a registry and atomics for numbers we read once from the history; the format is twenty lines.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Gauge,
    Counter,
}

#[derive(Debug, Clone, Serialize)]
pub struct Family {
    pub name: &'static str,
    #[serde(rename = "type")]
    pub kind: Kind,
    pub help: &'static str,
    pub samples: Vec<Sample>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    /// In the order they are written; names are ours (checked), values from anywhere (escaped). In JSON an object.
    #[serde(serialize_with = "as_object")]
    pub labels: Vec<(&'static str, String)>,
    pub value: f64,
}

fn as_object<S: serde::Serializer>(
    labels: &[(&'static str, String)],
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(labels.len()))?;
    for (k, v) in labels {
        m.serialize_entry(k, &crate::ui::redact::text(v))?;
    }
    m.end()
}

impl Family {
    pub fn new(name: &'static str, kind: Kind, help: &'static str) -> Self {
        Self {
            name,
            kind,
            help,
            samples: Vec::new(),
        }
    }

    pub fn push(&mut self, labels: Vec<(&'static str, String)>, value: f64) {
        self.samples.push(Sample { labels, value });
    }
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*` for a metric, without `:` for a label (and no `__` prefix, which is Prometheus's).
fn valid_name(s: &str, colon: bool) -> bool {
    let ok = |c: char, first: bool| {
        c.is_ascii_alphabetic() || c == '_' || (colon && c == ':') || (!first && c.is_ascii_digit())
    };
    let mut chars = s.chars();
    chars.next().is_some_and(|c| ok(c, true))
        && chars.all(|c| ok(c, false))
        && (colon || !s.starts_with("__"))
}

/// A label value as the format reads it back: `\`, `"` and newline escaped (the only three it knows). Before
/// that, what could mislead a person reading the file — control characters, a secret in a URL — is shown as
/// mirrorctl shows it everywhere (`output::outside`, `redact`): a `\r` becomes the two characters `\r`.
pub fn label_value(s: &str) -> String {
    let shown = crate::ui::output::outside(&crate::ui::redact::text(s));
    let mut out = String::with_capacity(shown.len());
    for c in shown.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A value as Go's strconv.ParseFloat reads it (Rust never writes an exponent, and spells infinity its own way).
fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{v}")
    }
}

/// The families as one exposition. A family without samples is left out (promtool calls an empty one an error
/// in some versions, and it says nothing); a name that is not one is a bug of ours, caught by the tests.
pub fn encode(families: &[Family]) -> String {
    let mut out = String::new();
    for f in families.iter().filter(|f| !f.samples.is_empty()) {
        debug_assert!(valid_name(f.name, true), "{}", f.name);
        let help = f.help.replace('\\', "\\\\").replace('\n', "\\n");
        let kind = match f.kind {
            Kind::Gauge => "gauge",
            Kind::Counter => "counter",
        };
        out.push_str(&format!(
            "# HELP {} {help}\n# TYPE {} {kind}\n",
            f.name, f.name
        ));
        for s in &f.samples {
            out.push_str(f.name);
            if !s.labels.is_empty() {
                let labels: Vec<String> = s
                    .labels
                    .iter()
                    .map(|(k, v)| {
                        debug_assert!(valid_name(k, false), "{k}");
                        format!("{k}=\"{}\"", label_value(v))
                    })
                    .collect();
                out.push_str(&format!("{{{}}}", labels.join(",")));
            }
            out.push(' ');
            out.push_str(&number(s.value));
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_grammar() {
        assert!(valid_name("mirrorctl_mirror_up", true));
        assert!(valid_name("a:b", true));
        assert!(!valid_name("a:b", false));
        assert!(!valid_name("1a", true));
        assert!(!valid_name("", true));
        assert!(!valid_name("__name__", false));
        assert!(!valid_name("a-b", true));
    }

    #[test]
    fn a_hostile_label_value_stays_one_value_on_one_line() {
        let mut f = Family::new(
            "mirrorctl_mirror_up",
            Kind::Gauge,
            "Help with a \\ and\na newline.",
        );
        f.push(
            vec![(
                "mirror",
                "evil\"} 1\nmirrorctl_mirror_up{mirror=\"forged\"} 1\r\\".into(),
            )],
            0.0,
        );
        f.push(vec![("url", "https://user:secret@m.example/".into())], 1.0);
        let text = encode(&[f]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert_eq!(
            lines[0],
            "# HELP mirrorctl_mirror_up Help with a \\\\ and\\na newline."
        );
        assert_eq!(lines[1], "# TYPE mirrorctl_mirror_up gauge");
        // The quote escaped, the newline and carriage return shown as text, the backslash doubled.
        assert_eq!(
            lines[2],
            r#"mirrorctl_mirror_up{mirror="evil\"} 1\\nmirrorctl_mirror_up{mirror=\"forged\"} 1\\r\\"} 0"#
        );
        assert!(!text.contains("secret"), "{text}");
        assert!(lines[3].ends_with("} 1"), "{text}");
    }

    #[test]
    fn numbers_as_prometheus_reads_them_and_empty_families_left_out() {
        assert_eq!(number(0.25), "0.25");
        assert_eq!(number(1e-7), "0.0000001");
        assert_eq!(number(f64::INFINITY), "+Inf");
        assert_eq!(number(f64::NEG_INFINITY), "-Inf");
        assert_eq!(number(f64::NAN), "NaN");
        assert_eq!(number(3.0), "3");
        let empty = Family::new("mirrorctl_x", Kind::Gauge, "x");
        assert_eq!(encode(&[empty]), "");
    }
}
