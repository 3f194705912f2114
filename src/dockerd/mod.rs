//! What dockerd itself will do: its options by engine version, a prediction of whether it starts with a given
//! daemon.json, its `--validate`, where its command-line flags come from, and a change of its mirrors as a plan.

pub mod conflicts;
pub mod flags;
pub mod generations;
pub mod mirror_url;
pub mod options;
pub mod parse;
pub mod predict;
pub mod proof;
pub mod startup;
pub mod unit_file;

use std::path::Path;

pub use options::Version;
pub use predict::{predict, replace_lone_surrogates, Prediction, Stage};

/// A `FileChange` check: `dockerd --validate` refuses the complete candidate before it replaces anything (an older
/// engine that cannot validate leaves our own checks to stand alone).
pub fn refuse_invalid(candidate: &Path) -> anyhow::Result<()> {
    match validate(candidate) {
        Some(Err(e)) => anyhow::bail!("{}", rust_i18n::t!("apply.validate_rejected", detail = e)),
        _ => Ok(()),
    }
}

/// `dockerd --validate --config-file F` (Engine 23+): checks JSON, unknown keys and flag conflicts, but not mirror
/// URLs, so it is one input to a verdict, never the verdict. `None` when the installed dockerd lacks it.
pub fn validate(file: &Path) -> Option<Result<(), String>> {
    let bin = crate::sys::host::dockerd_binary()?;
    let help = std::process::Command::new(&bin)
        .arg("--help")
        .output()
        .ok()?;
    if !String::from_utf8_lossy(&help.stdout).contains("--validate") {
        return None;
    }
    let out = std::process::Command::new(&bin)
        .arg("--validate")
        .arg("--config-file")
        .arg(file)
        .output()
        .ok()?;
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    Some(if out.status.success() {
        Ok(())
    } else {
        Err(stderr)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_version_dockerd_prints() {
        assert_eq!(
            crate::sys::host::version_text("Docker version 26.1.5+dfsg1, build 411e817\n")
                .as_deref(),
            Some("26.1.5+dfsg1")
        );
        assert_eq!(crate::sys::host::version_text("command not found"), None);
    }
}
