//! The man pages: the top page and one for every subcommand (`mirrorctl-probe(1)`, `mirrorctl-proxy-set(1)`, …),
//! rendered by clap_mangen from the one clap definition. Pure: names and bytes; `main` prints or writes them.
//! The top page's COMMANDS section names exactly the pages made here, so it never points at a page that is missing.

use anyhow::{Context, Result};
use rust_i18n::t;
use std::process::ExitCode;

use crate::cli::{Cli, ManArgs};
use crate::sys::files;
use crate::ui::errors::Usage;
use crate::ui::output::Printer;

/// `mirrorctl man [COMMAND…] [--dir DIR]`: one page on stdout, or every page written atomically into DIR.
pub fn run(a: ManArgs, p: Printer) -> Result<ExitCode> {
    let pages = pages(<Cli as clap::CommandFactory>::command())?;
    if let Some(dir) = a.dir {
        std::fs::create_dir_all(&dir)
            .with_context(|| t!("io.cannot_create", path = dir.display()))?;
        for page in &pages {
            files::write_atomic(&dir.join(&page.file), &page.roff, |_| Ok(()))?;
        }
        p.info_line(t!("man.written", count = pages.len(), path = dir.display()));
        return Ok(ExitCode::SUCCESS);
    }
    let file = file_for(&a.command);
    let Some(page) = pages.iter().find(|pg| pg.file == file) else {
        let names: Vec<&str> = pages
            .iter()
            .map(|pg| pg.file.trim_end_matches(".1"))
            .collect();
        return Err(Usage {
            message: t!("man.no_page", command = a.command.join(" ")).into(),
            hint: Some(t!("man.no_page_hint", pages = names.join(", ")).into()),
        }
        .into());
    };
    p.stdout(&String::from_utf8_lossy(&page.roff));
    Ok(ExitCode::SUCCESS)
}

/// One page: its file name (`mirrorctl-probe.1`) and its roff.
pub struct Page {
    pub file: String,
    pub roff: Vec<u8>,
}

/// Every page, the top one first, each subcommand's before its own subcommands'.
pub fn pages(cmd: clap::Command) -> std::io::Result<Vec<Page>> {
    // As clap_mangen::generate_to builds it: display names `mirrorctl-proxy-set`, no `help` subcommand.
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    let mut out = Vec::new();
    collect(&cmd, &mut out)?;
    Ok(out)
}

fn collect(cmd: &clap::Command, out: &mut Vec<Page>) -> std::io::Result<()> {
    // A subcommand has no version of its own: every page's footer names the release it documents.
    let man = clap_mangen::Man::new(cmd.clone())
        .source(format!("mirrorctl {}", env!("CARGO_PKG_VERSION")));
    let mut roff = Vec::new();
    man.render(&mut roff)?;
    out.push(Page {
        file: man.get_filename(),
        roff,
    });
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect(sub, out)?;
    }
    Ok(())
}

/// The file name of the page for `mirrorctl <words…>`: `[]` → `mirrorctl.1`, `["proxy", "set"]` →
/// `mirrorctl-proxy-set.1`.
pub fn file_for(words: &[String]) -> String {
    let mut name = String::from("mirrorctl");
    for w in words {
        name.push('-');
        name.push_str(w);
    }
    name + ".1"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<Page> {
        pages(<crate::cli::Cli as clap::CommandFactory>::command()).unwrap()
    }

    #[test]
    fn a_page_for_every_subcommand_and_nested_one() {
        let files: Vec<String> = all().into_iter().map(|p| p.file).collect();
        assert_eq!(files[0], "mirrorctl.1");
        for f in [
            "mirrorctl-probe.1",
            "mirrorctl-apply.1",
            "mirrorctl-proxy-set.1",
            "mirrorctl-cache-warm.1",
        ] {
            assert!(files.contains(&f.to_string()), "{f} missing from {files:?}");
        }
        assert!(!files.iter().any(|f| f.contains("help")), "{files:?}");
    }

    #[test]
    fn every_page_a_page_names_exists() {
        let pages = all();
        let files: Vec<&str> = pages.iter().map(|p| p.file.as_str()).collect();
        for p in &pages {
            let text = String::from_utf8_lossy(&p.roff);
            // clap_mangen names a subcommand's page as `mirrorctl\-probe(1)` in the COMMANDS section.
            for (i, _) in text.match_indices("(1)") {
                let start = text[..i]
                    .rfind(|c: char| c.is_whitespace())
                    .map_or(0, |s| s + 1);
                let name = text[start..i].replace("\\-", "-");
                if name.starts_with("mirrorctl") {
                    assert!(
                        files.contains(&format!("{name}.1").as_str()),
                        "{} names {name}(1)",
                        p.file
                    );
                }
            }
        }
    }

    #[test]
    fn file_names_from_words() {
        assert_eq!(file_for(&[]), "mirrorctl.1");
        assert_eq!(
            file_for(&["proxy".into(), "set".into()]),
            "mirrorctl-proxy-set.1"
        );
    }
}
