//! The two READMEs stay in step with the CLI and with each other: every subcommand and every long flag that
//! `mirrorctl help <command>` lists appears in README.md and in README.zh-CN.md.

use std::collections::BTreeSet;
use std::path::Path;

use crate::support::Sandbox;

/// The subcommands under `words` (from the "Commands:" section of its help) and its long flags.
fn help(sb: &Sandbox, words: &[String]) -> (Vec<String>, BTreeSet<String>) {
    let out = sb
        .mirrorctl()
        .arg("help")
        .args(words)
        .env("COLUMNS", "200")
        .output()
        .unwrap();
    assert!(out.status.success(), "help {words:?}");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut subs = Vec::new();
    let mut in_commands = false;
    for line in text.lines() {
        if line.ends_with(':') && !line.starts_with(' ') {
            in_commands = line == "Commands:";
            continue;
        }
        if in_commands && line.starts_with("  ") && !line.starts_with("   ") {
            let name = line.split_whitespace().next().unwrap();
            if name != "help" {
                subs.push(name.to_owned());
            }
        }
    }
    let flags = text
        .split(|c: char| c.is_whitespace() || c == ',' || c == '[' || c == ']' || c == '=')
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(|w| {
            w.trim_end_matches(|c: char| !c.is_ascii_alphanumeric())
                .to_owned()
        })
        .filter(|w| w.len() > 2)
        .collect();
    (subs, flags)
}

#[test]
fn every_subcommand_and_long_flag_is_in_both_readmes() {
    let sb = Sandbox::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readmes: Vec<(&str, String)> = ["README.md", "README.zh-CN.md"]
        .into_iter()
        .map(|f| (f, std::fs::read_to_string(root.join(f)).unwrap()))
        .collect();
    let mut missing = Vec::new();
    let mut queue: Vec<Vec<String>> = vec![vec![]];
    let mut seen = 0;
    while let Some(words) = queue.pop() {
        seen += 1;
        let (subs, flags) = help(&sb, &words);
        for s in subs {
            let mut w = words.clone();
            w.push(s);
            queue.push(w);
        }
        let command = format!("mirrorctl {}", words.join(" "));
        for (file, text) in &readmes {
            // A subcommand is named as its words in order: `mirrorctl cache warm`, or `cache setup|status|warm`.
            if let Some(last) = words.last() {
                if !text.contains(&format!("`mirrorctl {}", words.join(" ")))
                    && !text.contains(last.as_str())
                {
                    missing.push(format!("{file}: the subcommand `{}`", command.trim()));
                }
            }
            for f in &flags {
                let bounded = text.match_indices(f.as_str()).any(|(i, _)| {
                    !text[i + f.len()..]
                        .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-')
                });
                if !bounded {
                    missing.push(format!("{file}: `{f}` of `{}`", command.trim()));
                }
            }
        }
    }
    assert!(seen > 20, "walked only {seen} commands");
    assert!(
        missing.is_empty(),
        "missing from the READMEs:\n{}",
        missing.join("\n")
    );
}
