//! How to probe, lowered from the flags probe, apply, watch and cache share: the image in its registry, the
//! platform, the deadlines, whose proxy to follow — and the catalogue, loaded once.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{bail, Context, Result};
use rust_i18n::t;

use crate::catalogue::{self, Catalogue};
use crate::cli::{ProbeOptions, Source};
use crate::registry::manifest::Platform;
use crate::registry::ImageRef;
use crate::ui::output::Printer;

/// Whose proxy the probe goes through.
#[derive(Debug, Clone)]
pub enum ProxyFrom {
    /// dockerd's, as this daemon.json (and its unit) set it: the mirrors are measured on the route dockerd takes.
    Daemon(PathBuf),
    /// This shell's HTTP(S)_PROXY, or none (`--no-daemon-proxy`; a cache reached as its nodes reach it).
    Environment,
}

#[derive(Debug, Clone)]
pub struct Probe {
    pub registry: String,
    /// Closed mirrors too.
    pub all: bool,
    pub run: crate::probe::Settings,
    pub certs_dir: PathBuf,
    pub proxy: ProxyFrom,
    pub expect_digest: Option<String>,
}

impl Probe {
    /// `daemon_json`: the file whose proxy a probe follows (the one a change edits).
    pub fn lower(o: &ProbeOptions, daemon_json: &Path) -> Result<Self> {
        Ok(Self {
            registry: o.registry.clone(),
            all: o.source.all,
            run: crate::probe::Settings {
                image: image(o)?,
                platform: match &o.platform {
                    Some(p) => Platform::parse(p).context("--platform")?,
                    None => Platform::host(),
                },
                // Bounded by clap's parser (0 < t ≤ 86400); and never a panic, whatever built the options.
                timeout: Duration::try_from_secs_f64(o.timeout)
                    .unwrap_or(Duration::from_secs(86_400))
                    .min(Duration::from_secs(86_400)),
                jobs: o.jobs.unwrap_or_else(default_jobs),
                blob_jobs: o.blob_jobs,
                max_blob: o.max_blob_mib.saturating_mul(1024 * 1024),
            },
            certs_dir: o.certs_dir.clone(),
            proxy: if o.no_daemon_proxy {
                ProxyFrom::Environment
            } else {
                ProxyFrom::Daemon(daemon_json.to_owned())
            },
            expect_digest: o.expect_digest.clone(),
        })
    }

    /// The same probe, straight to the mirror: a team cache is reached as its nodes reach it.
    pub fn direct(&self) -> Self {
        Self {
            proxy: ProxyFrom::Environment,
            ..self.clone()
        }
    }
}

/// The image to pull: `--image` in `--registry`, or alpine for Docker Hub. Other registries have no image every
/// mirror is sure to carry, so the user names one.
fn image(o: &ProbeOptions) -> Result<ImageRef> {
    match (&o.image, o.registry.as_str()) {
        (Some(i), r) => ImageRef::parse_in(r, i).context("--image"),
        (None, "docker.io") => ImageRef::parse("library/alpine:latest"),
        (None, r) => bail!("{}", t!("probe.need_image", registry = r)),
    }
}

/// The catalogue the user asked for: a `--catalogue` file alone, or the built-in one with the user's own file
/// (and a `catalogue update`) merged over it; then `--mirror` entries.
pub fn catalogue(source: &Source, registry: &str, p: Printer) -> Result<Catalogue> {
    let mut c = match &source.catalogue {
        Some(path) => Catalogue::load(path)?,
        None => in_use(p)?,
    };
    for url in &source.mirrors {
        c.add_url(url, registry)?;
    }
    Ok(c)
}

/// The catalogue in use, with a note when it is months old.
pub fn in_use(p: Printer) -> Result<Catalogue> {
    let c = Catalogue::in_use()?;
    if let Some(days) = c.stale_days(SystemTime::now()) {
        p.info_line(t!(
            "catalogue.stale",
            updated = c.updated,
            days = days,
            path = catalogue::user_path().map_or("~/.config/mirrorctl/mirrors.toml".into(), |p| p
                .display()
                .to_string())
        ));
    }
    Ok(c)
}

/// Mirrors at once by default: bounded by what the machine allows (each probe holds a few connections, so a
/// quarter of the open-file limit, less a reserve), not by a small constant — a probe of 400 mirrors then costs
/// about what its slowest mirror does.
fn default_jobs() -> usize {
    let soft = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|l| {
            l.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| {
                    l.split_whitespace()
                        .nth(3)
                        .and_then(|n| n.parse::<usize>().ok())
                })
        })
        .unwrap_or(1024);
    (soft.saturating_sub(256) / 4).clamp(16, 1024)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Command;

    fn lower(args: &[&str]) -> Result<Probe> {
        match super::super::parsed(args) {
            Command::Probe(a) => Probe::lower(&a.opts, Path::new("/x/daemon.json")),
            _ => unreachable!(),
        }
    }

    #[test]
    fn the_image_is_one_of_the_registry_probed() {
        assert!(
            lower(&["probe", "--registry", "ghcr.io"]).is_err(),
            "no image every ghcr.io mirror has"
        );
        assert!(
            lower(&["probe", "--image", "ghcr.io/a/b:1"]).is_err(),
            "not a Docker Hub image"
        );
        let p = lower(&["probe", "--registry", "ghcr.io", "--image", "ghcr.io/a/b:1"]).unwrap();
        assert_eq!(p.run.image.to_string(), "a/b:1");
        let p = lower(&["probe"]).unwrap();
        assert_eq!(p.run.image.to_string(), "library/alpine:latest");
        assert!(lower(&["probe", "--platform", "linux"]).is_err());
    }

    #[test]
    fn the_probe_goes_the_way_dockerd_would_unless_told_not_to() {
        let p = lower(&["probe", "--timeout", "2.5", "--max-blob-mib", "2"]).unwrap();
        assert!(matches!(&p.proxy, ProxyFrom::Daemon(f) if f == Path::new("/x/daemon.json")));
        assert_eq!(p.run.timeout, Duration::from_millis(2500));
        assert_eq!(p.run.max_blob, 2 * 1024 * 1024);
        let p = lower(&["probe", "--no-daemon-proxy"]).unwrap();
        assert!(matches!(p.proxy, ProxyFrom::Environment));
        assert!(matches!(
            lower(&["probe"]).unwrap().direct().proxy,
            ProxyFrom::Environment
        ));
    }
}
