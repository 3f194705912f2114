//! clap's own words in the current language. clap writes its help labels (`[default: …]`, `[possible values: …]`)
//! and every usage error (`error:`, `tip:`, `For more information, try '--help'`) in English only; under Chinese
//! main hands us what clap refused, and we print the help or the error ourselves from its kind and context, through
//! the printer, with the exit codes clap would use (0 for help and version, 2 for a usage error). English keeps
//! clap's own rendering.

use clap::error::{ContextKind, ContextValue, ErrorKind};
use rust_i18n::t;
use std::process::ExitCode;

use super::wrap;
use crate::ui::errors::exit;
use crate::ui::output;

/// clap's labels in rendered help, and what they read in the current language.
fn labels() -> [(&'static str, String); 8] {
    [
        ("[default: ", format!("[{}: ", t!("clap.default"))),
        ("[possible values: ", format!("[{}: ", t!("clap.possible"))),
        ("[env: ", format!("[{}: ", t!("clap.env"))),
        ("[aliases: ", format!("[{}: ", t!("clap.alias"))),
        ("[alias: ", format!("[{}: ", t!("clap.alias"))),
        ("Possible values:", format!("{}:", t!("clap.possible"))),
        (
            "Print this message or the help of the given subcommand(s)",
            t!("clap.help_about").into_owned(),
        ),
        (
            "Print help for the subcommand(s)",
            t!("clap.help_about").into_owned(),
        ),
    ]
}

/// Rendered help in the current language, wrapped to `width` columns by display width.
pub fn help_text(rendered: &str, width: usize) -> String {
    let mut s = rendered.to_owned();
    for (from, to) in labels() {
        s = s.replace(from, &to);
    }
    let usage = t!("help.heading.usage");
    // clap's own headings, where our template is not used (the `help` subcommand's help, a usage error's usage).
    let headings = [
        ("Usage", usage.clone()),
        ("Commands", t!("help.heading.commands")),
        ("Options", t!("help.heading.options")),
        ("Arguments", t!("help.heading.arguments")),
    ];
    let s: Vec<String> = s
        .split('\n')
        .map(|line| {
            for (en, ours) in &headings {
                if let Some(rest) = line.strip_prefix(en).and_then(|r| r.strip_prefix(':')) {
                    return format!("{ours}:{rest}");
                }
            }
            line.to_owned()
        })
        .collect();
    let s = s.join("\n");
    wrap::text(&s, width, &usage)
}

/// The width help is wrapped to, as clap chooses it: the terminal's, else `$COLUMNS`, else 100.
#[cfg(unix)]
fn width_of(stream: &impl std::os::fd::AsFd) -> usize {
    width(terminal_size::terminal_size_of(stream))
}

#[cfg(windows)]
fn width_of(stream: &impl std::os::windows::io::AsHandle) -> usize {
    width(terminal_size::terminal_size_of(stream))
}

fn width(size: Option<(terminal_size::Width, terminal_size::Height)>) -> usize {
    size.map(|(w, _)| usize::from(w.0))
        .or_else(|| std::env::var("COLUMNS").ok()?.parse().ok())
        .filter(|w| *w > 0)
        .unwrap_or(100)
}

/// What main does with what clap refused (or with `--help` and `--version`, which clap reports as errors too).
pub fn exit_with(e: clap::Error) -> ExitCode {
    if &*rust_i18n::locale() == "en" {
        e.exit()
    }
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let text = help_text(&e.render().to_string(), width_of(&std::io::stdout()));
            output::Printer::default().stdout(&text);
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            output::stderr(&help_text(
                &e.render().to_string(),
                width_of(&std::io::stderr()),
            ));
            ExitCode::from(exit::USAGE)
        }
        _ => {
            output::stderr(&help_text(&message(&e), width_of(&std::io::stderr())));
            ExitCode::from(exit::USAGE)
        }
    }
}

/// Text from the command line, as a code span.
fn code(s: &str) -> String {
    format!("`{}`", output::outside(s))
}

fn one(e: &clap::Error, k: ContextKind) -> Option<String> {
    match e.get(k) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        Some(ContextValue::StyledStr(s)) => Some(s.to_string()),
        Some(ContextValue::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

fn many(e: &clap::Error, k: ContextKind) -> Vec<String> {
    match e.get(k) {
        Some(ContextValue::String(s)) => vec![s.clone()],
        Some(ContextValue::Strings(v)) => v.clone(),
        Some(ContextValue::StyledStrs(v)) => v.iter().map(ToString::to_string).collect(),
        _ => Vec::new(),
    }
}

fn codes(v: &[String]) -> String {
    v.iter().map(|s| code(s)).collect::<Vec<_>>().join(", ")
}

/// A usage error in the current language: what is wrong, the tips clap found, the usage line, and where to read
/// more — clap's layout, clap's facts, our words.
pub fn message(e: &clap::Error) -> String {
    let arg = || code(&one(e, ContextKind::InvalidArg).unwrap_or_default());
    let value = one(e, ContextKind::InvalidValue).unwrap_or_default();
    let mut what = match e.kind() {
        ErrorKind::UnknownArgument => t!("clap.unknown_arg", arg = arg()).into_owned(),
        ErrorKind::InvalidSubcommand => t!(
            "clap.unknown_sub",
            sub = code(&one(e, ContextKind::InvalidSubcommand).unwrap_or_default())
        )
        .into_owned(),
        ErrorKind::InvalidValue if value.is_empty() => {
            t!("clap.missing_value", arg = arg()).into_owned()
        }
        ErrorKind::InvalidValue => {
            t!("clap.invalid_value", arg = arg(), value = code(&value)).into_owned()
        }
        ErrorKind::ValueValidation => {
            let why = std::error::Error::source(e).map(|s| reason(&s.to_string()));
            let head = t!("clap.invalid_value", arg = arg(), value = code(&value));
            match why {
                Some(why) => format!("{head}{}{why}", t!("clap.colon")),
                None => head.into_owned(),
            }
        }
        ErrorKind::MissingRequiredArgument => t!(
            "clap.missing_required",
            args = codes(&many(e, ContextKind::InvalidArg))
        )
        .into_owned(),
        ErrorKind::MissingSubcommand => t!(
            "clap.missing_sub",
            sub = code(&one(e, ContextKind::InvalidSubcommand).unwrap_or_default())
        )
        .into_owned(),
        ErrorKind::ArgumentConflict => {
            let prior = many(e, ContextKind::PriorArg);
            let this = one(e, ContextKind::InvalidArg)
                .or_else(|| one(e, ContextKind::InvalidSubcommand))
                .unwrap_or_default();
            if prior.is_empty() || prior == [this.clone()] {
                t!("clap.repeated", arg = code(&this)).into_owned()
            } else {
                t!("clap.conflict", arg = code(&this), others = codes(&prior)).into_owned()
            }
        }
        ErrorKind::NoEquals => t!("clap.no_equals", arg = arg()).into_owned(),
        ErrorKind::TooManyValues => {
            t!("clap.too_many", arg = arg(), value = code(&value)).into_owned()
        }
        ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => t!(
            "clap.count",
            arg = arg(),
            expected = one(e, ContextKind::MinValues)
                .or_else(|| one(e, ContextKind::ExpectedNumValues))
                .unwrap_or_default(),
            actual = one(e, ContextKind::ActualNumValues).unwrap_or_default()
        )
        .into_owned(),
        ErrorKind::InvalidUtf8 => t!("clap.not_utf8").into_owned(),
        _ => t!("clap.other").into_owned(),
    };
    let valid = many(e, ContextKind::ValidValue);
    if !valid.is_empty() {
        what.push_str(&format!(
            "\n  [{}: {}]",
            t!("clap.possible"),
            valid.join(", ")
        ));
    }
    let subs = many(e, ContextKind::ValidSubcommand);
    if !subs.is_empty() {
        what.push_str(&format!(
            "\n  [{}: {}]",
            t!("clap.subcommands"),
            subs.join(", ")
        ));
    }

    let mut tips = Vec::new();
    let similar = |key: &str, names: Vec<String>| {
        (!names.is_empty()).then(|| t!(key, names = codes(&names)).into_owned())
    };
    tips.extend(similar(
        "clap.similar_sub",
        many(e, ContextKind::SuggestedSubcommand),
    ));
    tips.extend(similar(
        "clap.similar_arg",
        many(e, ContextKind::SuggestedArg),
    ));
    tips.extend(similar(
        "clap.similar_value",
        many(e, ContextKind::SuggestedValue),
    ));
    tips.extend(
        many(e, ContextKind::Suggested)
            .iter()
            .filter_map(|s| suggestion(s)),
    );

    let mut out = format!("{}: {what}\n", t!("label.error"));
    if !tips.is_empty() {
        out.push('\n');
        for tip in &tips {
            out.push_str(&format!("  {}: {tip}\n", t!("label.hint")));
        }
    }
    let usage = one(e, ContextKind::Usage).map(|u| {
        let u = u.trim().to_owned();
        match u.strip_prefix("Usage:") {
            Some(rest) => format!("{}:{rest}", t!("help.heading.usage")),
            None => u,
        }
    });
    if let Some(u) = &usage {
        out.push_str(&format!("\n{u}\n"));
    }
    out.push_str(&format!(
        "\n{}\n",
        t!("clap.more", help = code(&help_command(usage.as_deref())))
    ));
    out
}

/// `mirrorctl probe --help`: the command the usage line names, with `--help`.
fn help_command(usage: Option<&str>) -> String {
    let words: Vec<&str> = usage
        .and_then(|u| u.split_once(": "))
        .map(|(_, rest)| {
            rest.split_whitespace()
                .take_while(|w| !w.starts_with(['[', '<', '-']))
                .collect()
        })
        .unwrap_or_default();
    if words.is_empty() {
        "mirrorctl --help".into()
    } else {
        format!("{} --help", words.join(" "))
    }
}

/// The pieces clap quotes in a suggestion (`to pass 'x' as a value, use '-- x'`).
fn quoted(s: &str) -> Vec<&str> {
    s.split('\'').skip(1).step_by(2).collect()
}

/// One of clap's suggestions in our words; `None` for one we do not know (better no tip than an English one).
fn suggestion(s: &str) -> Option<String> {
    let q = quoted(s);
    if s.starts_with("to pass") && q.len() == 2 {
        Some(t!("clap.tip_as_value", value = code(q[0]), fix = code(q[1])).into_owned())
    } else if s.starts_with("subcommand") && !q.is_empty() {
        Some(t!("clap.tip_no_dashes", sub = code(q[0])).into_owned())
    } else if s.ends_with("exists") && q.len() == 1 {
        Some(t!("clap.tip_exists", fix = code(q[0])).into_owned())
    } else {
        None
    }
}

/// Why a value was refused: our own parsers' words as they are (they come from the catalogue of messages); clap's
/// and the standard library's English ones said again in ours.
fn reason(s: &str) -> String {
    if s.chars()
        .any(|c| unicode_width::UnicodeWidthChar::width(c) == Some(2))
    {
        return s.to_owned();
    }
    if let Some((_, range)) = s.split_once(" is not in ") {
        return t!("clap.out_of_range", range = code(range)).into_owned();
    }
    let number = [
        "invalid digit",
        "invalid float literal",
        "cannot parse integer",
        "number too large",
        "number too small",
    ];
    if number.iter().any(|n| s.contains(n)) {
        return t!("clap.not_a_number").into_owned();
    }
    if &*rust_i18n::locale() == "en" {
        s.to_owned()
    } else {
        t!("clap.bad_value").into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_suggestions_are_read_by_their_quotes() {
        assert_eq!(
            quoted("to pass '--x' as a value, use '-- --x'"),
            ["--x", "-- --x"]
        );
        assert_eq!(
            help_command(Some("用法: mirrorctl proxy set [OPTIONS] <URL>")),
            "mirrorctl proxy set --help"
        );
        assert_eq!(help_command(None), "mirrorctl --help");
    }
}
