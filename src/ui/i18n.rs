//! Which language people get: `--lang`, else LC_ALL / LC_MESSAGES / LANG (zh_* → Chinese), else (on Windows and
//! macOS) the display language, else English.
//! Messages live in `locales/app.toml`, one entry per message with every language side by side; `--json` keys and
//! status codes stay English.

mod clap_words;
mod wrap;

pub use clap_words::exit_with;

/// The locale for these settings, as rust-i18n names it.
pub fn choose(flag: Option<&str>, env: impl Fn(&str) -> Option<String>) -> &'static str {
    let pick = |s: &str| {
        if s.to_ascii_lowercase().starts_with("zh") {
            "zh-CN"
        } else {
            "en"
        }
    };
    if let Some(f) = flag {
        return pick(f);
    }
    for var in ["LC_ALL", "LC_MESSAGES", "LANG"] {
        if let Some(v) = env(var).filter(|v| !v.is_empty()) {
            return pick(&v);
        }
    }
    // Windows and macOS have no LANG unless a Unix-like shell (Git Bash, MSYS2, Terminal) sets one: there, the
    // user's preferred display language.
    #[cfg(any(windows, target_os = "macos"))]
    if let Some(l) = sys_locale::get_locale() {
        return pick(&l);
    }
    "en"
}

/// A message of the current language, or `None` when the catalogue has no entry for `key`.
fn lookup(key: &str) -> Option<String> {
    let s = rust_i18n::t!(key).to_string();
    (!s.is_empty() && s != key && !s.ends_with(key)).then_some(s)
}

/// The clap definition with every help text, heading and about in the current language. English comes from the
/// definition itself (doc comments), so for English this changes nothing.
pub fn localize(cmd: clap::Command) -> clap::Command {
    if &*rust_i18n::locale() == "en" {
        return cmd;
    }
    localize_at(cmd, "root", true)
}

fn localize_at(mut cmd: clap::Command, path: &str, root: bool) -> clap::Command {
    use clap::{Arg, ArgAction};
    let heading = |k: &str| lookup(&format!("help.heading.{k}")).unwrap_or_else(|| k.to_owned());
    if let Some(about) = lookup(&format!("help.{path}.about")) {
        cmd = cmd.about(about);
    }
    if let Some(after) = lookup(&format!("help.{path}.after")) {
        cmd = cmd.after_help(after);
    }
    cmd = cmd
        .help_template(format!(
            "{{about-with-newline}}\n{}: {{usage}}\n\n{{all-args}}{{after-help}}",
            heading("usage")
        ))
        .subcommand_help_heading(heading("commands"))
        // We wrap the help ourselves, by display width (`wrap`): clap would count a Chinese character as one
        // column and break only at spaces.
        .term_width(0)
        .disable_help_flag(true)
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help(lookup("help.arg.help").unwrap_or_else(|| "Print help".into()))
                .global(false),
        );
    if root {
        cmd = cmd.disable_version_flag(true).arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help(lookup("help.arg.version").unwrap_or_else(|| "Print version".into())),
        );
    }
    let ids: Vec<(String, bool)> = cmd
        .get_arguments()
        .map(|a| (a.get_id().to_string(), a.is_positional()))
        .collect();
    for (id, positional) in ids {
        let text =
            lookup(&format!("help.{path}.{id}")).or_else(|| lookup(&format!("help.arg.{id}")));
        let head = heading(if positional { "arguments" } else { "options" });
        let values = value_help(&cmd, path, &id);
        cmd = cmd.mut_arg(id.as_str(), |a| {
            let a = a.help_heading(head);
            let text = text.or_else(|| a.get_help().map(ToString::to_string));
            match (text, values) {
                // clap would list these values with their English help: ours instead, in the arg's own help,
                // after its default (which clap would put after the last value).
                (Some(t), Some(values)) => {
                    let default: Vec<String> = a
                        .get_default_values()
                        .iter()
                        .map(|v| v.to_string_lossy().into_owned())
                        .collect();
                    let t = if default.is_empty() {
                        t
                    } else {
                        let label = lookup("clap.default").unwrap_or_default();
                        format!("{t} [{label}: {}]", default.join(" "))
                    };
                    a.help(format!("{t}\n{values}"))
                        .hide_possible_values(true)
                        .hide_default_value(true)
                }
                (Some(t), None) => a.help(t),
                (None, _) => a,
            }
        });
    }
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for name in subs {
        let sub_path = if root {
            name.clone()
        } else {
            format!("{path}.{name}")
        };
        cmd = cmd.mut_subcommand(name.as_str(), |s| localize_at(s, &sub_path, false));
    }
    cmd
}

/// The key of a value's help: the command's own (`help.watch.value.target.containerd`), else the argument's
/// (`help.value.target.containerd`).
fn value_keys(path: &str, id: &str, value: &str) -> [String; 2] {
    [
        format!("help.{path}.value.{id}.{value}"),
        format!("help.value.{id}.{value}"),
    ]
}

/// An argument's values with their help (`--target`: docker, containerd, …), as lines to end its help with;
/// `None` when its values have no help of their own (clap then lists their names, `[可选值: …]`).
fn value_help(cmd: &clap::Command, path: &str, id: &str) -> Option<String> {
    let arg = cmd.get_arguments().find(|a| a.get_id() == id)?;
    let values: Vec<(String, String)> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set() && v.get_help().is_some())
        .map(|v| {
            let name = v.get_name().to_owned();
            let [own, shared] = value_keys(path, id, &name);
            let help = lookup(&own)
                .or_else(|| lookup(&shared))
                .unwrap_or_else(|| v.get_help().map(ToString::to_string).unwrap_or_default());
            (name, help)
        })
        .collect();
    if values.is_empty() {
        return None;
    }
    let wide = values.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    let mut out = format!("{}:", lookup("clap.possible").unwrap_or_default());
    for (name, help) in values {
        out.push_str(&format!(
            "\n- {name}:{:pad$} {help}",
            "",
            pad = wide - name.len()
        ));
    }
    Some(out)
}

/// `--lang` as given on the command line, read before clap so that `--help` itself is translated.
pub fn flag_from_args(args: &[String]) -> Option<&str> {
    args.iter()
        .enumerate()
        .find_map(|(i, a)| match a.strip_prefix("--lang") {
            Some("") => args.get(i + 1).map(String::as_str),
            Some(rest) => rest.strip_prefix('='),
            None => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_choice() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(choose(None, env(&[("LANG", "zh_CN.UTF-8")])), "zh-CN");
        assert_eq!(
            choose(None, env(&[("LC_ALL", "C"), ("LANG", "zh_CN.UTF-8")])),
            "en",
            "LC_ALL wins"
        );
        assert_eq!(choose(Some("zh"), env(&[("LANG", "en_US.UTF-8")])), "zh-CN");
        assert_eq!(choose(None, env(&[])), "en");
        let args: Vec<String> = ["mirrorctl", "probe", "--lang=zh"]
            .map(String::from)
            .to_vec();
        assert_eq!(flag_from_args(&args), Some("zh"));
        let args: Vec<String> = ["mirrorctl", "--lang", "en", "list"]
            .map(String::from)
            .to_vec();
        assert_eq!(flag_from_args(&args), Some("en"));
    }

    /// Every argument and command has its Chinese help.
    #[test]
    fn every_help_text_is_translated() {
        use clap::CommandFactory;
        fn walk(path: &str, c: &clap::Command, missing: &mut Vec<String>) {
            let has = |k: &str| {
                let s = rust_i18n::t!(k, locale = "zh-CN").to_string();
                s != k && !s.ends_with(k)
            };
            if !has(&format!("help.{path}.about")) {
                missing.push(format!("help.{path}.about"));
            }
            if c.get_after_help().is_some() && !has(&format!("help.{path}.after")) {
                missing.push(format!("help.{path}.after"));
            }
            for a in c.get_arguments() {
                let id = a.get_id().as_str();
                if !has(&format!("help.{path}.{id}")) && !has(&format!("help.arg.{id}")) {
                    missing.push(format!("help.arg.{id}"));
                }
                for v in a.get_possible_values() {
                    let [own, shared] = value_keys(path, id, v.get_name());
                    if v.get_help().is_some() && !has(&own) && !has(&shared) {
                        missing.push(shared);
                    }
                }
            }
            for s in c.get_subcommands() {
                let p = if path == "root" {
                    s.get_name().to_owned()
                } else {
                    format!("{path}.{}", s.get_name())
                };
                walk(&p, s, missing);
            }
        }
        let mut missing = Vec::new();
        walk("root", &crate::cli::Cli::command(), &mut missing);
        missing.dedup();
        assert!(missing.is_empty(), "{missing:#?}");
    }

    /// Every message exists in every language, with the same placeholders: a message in one language only fails here.
    #[test]
    fn every_message_has_every_language() {
        fn walk(prefix: &str, t: &toml::Table, out: &mut Vec<String>) {
            let langs: Vec<&String> = t.keys().filter(|k| *k == "en" || *k == "zh-CN").collect();
            if !langs.is_empty() {
                let en = t.get("en").and_then(|v| v.as_str());
                let zh = t.get("zh-CN").and_then(|v| v.as_str());
                match (en, zh) {
                    (Some(en), Some(zh)) => {
                        let holes = |s: &str| {
                            let mut v: Vec<String> = s
                                .split("%{")
                                .skip(1)
                                .filter_map(|p| p.split('}').next())
                                .map(String::from)
                                .collect();
                            v.sort();
                            v
                        };
                        if holes(en) != holes(zh) {
                            out.push(format!(
                                "{prefix}: placeholders differ: {:?} vs {:?}",
                                holes(en),
                                holes(zh)
                            ));
                        }
                        if zh.trim().is_empty() || en.trim().is_empty() {
                            out.push(format!("{prefix}: empty"));
                        }
                    }
                    _ => out.push(format!("{prefix}: exists in one language only")),
                }
                return;
            }
            for (k, v) in t {
                if let Some(sub) = v.as_table() {
                    walk(&format!("{prefix}{k}."), sub, out);
                }
            }
        }
        let file: toml::Table = toml::from_str(include_str!("../../locales/app.toml")).unwrap();
        let mut problems = Vec::new();
        walk("", &file, &mut problems);
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
