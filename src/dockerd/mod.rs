//! What dockerd itself will do: its options by engine version, a prediction of whether it starts with a given
//! daemon.json, its `--validate`, where its command-line flags come from, and a change of its mirrors as a plan.

pub mod flags;
pub mod generations;
pub mod options;
pub mod plan;
pub mod predict;
pub mod startup;
pub mod unit_file;

use std::path::Path;

pub use options::Version;
pub use predict::{predict, replace_lone_surrogates, Prediction, Stage};

/// `dockerd --version` of the dockerd on PATH (or /usr/sbin), the one that systemd or an init script would start:
/// `26.1.5+dfsg1`.
pub fn installed_version() -> Option<String> {
    let out = std::process::Command::new(binary()?)
        .arg("--version")
        .output()
        .ok()?;
    version_text(&String::from_utf8_lossy(&out.stdout))
}

/// `26.1.5+dfsg1` from `Docker version 26.1.5+dfsg1, build 411e817`.
fn version_text(output: &str) -> Option<String> {
    let v = output.split("version").nth(1)?.trim_start();
    let v = v.split([',', ' ']).next()?.to_owned();
    Version::parse(&v).map(|_| v)
}

fn binary() -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/usr/bin".into()])
        .map(|d| d.join("dockerd"))
        .find(|p| p.is_file())
}

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
    let bin = binary()?;
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
            super::version_text("Docker version 26.1.5+dfsg1, build 411e817\n").as_deref(),
            Some("26.1.5+dfsg1")
        );
        assert_eq!(super::version_text("command not found"), None);
    }
}
