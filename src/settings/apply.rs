//! `apply` and `restore`: where the mirrors come from, which runtimes, and the change.

use std::path::PathBuf;

use anyhow::Result;

use super::{probe, usage, Change, Probe};
use crate::catalogue::Catalogue;
use crate::cli::{self, TargetKind};
use crate::targets::runtimes::Places;
use crate::ui::output::Printer;

/// Where apply's mirrors come from. `--mirror` ones are in dockerd's form and in the user's order.
pub enum Mirrors {
    /// `--mirror` with `--no-probe`: written as given (no image is needed to probe them).
    Unprobed(Vec<String>),
    /// `--mirror`: each must pass a probe first.
    Given(Vec<String>, Probe),
    /// The best of the catalogue.
    Best(Catalogue, Probe),
}

pub struct Apply {
    /// The registry the mirrors stand in for.
    pub registry: String,
    pub mirrors: Mirrors,
    pub top: usize,
    /// The runtimes to configure (`--target auto`: those installed).
    pub targets: Vec<TargetKind>,
    pub places: Places,
    pub change: Change,
    /// dockerd's certs.d: its hosts.toml files are dockerd's mirrors for other registries on the containerd store.
    pub certs_dir: PathBuf,
    /// `--target auto`: a runtime that cannot take this registry is skipped, not refused.
    pub auto: bool,
    /// `--pull`: the image the verification pulls through the daemon.
    pub pull: Option<crate::dockerd::proof::Reference>,
}

pub struct Restore {
    pub kind: TargetKind,
    pub registry: String,
    pub list: bool,
    pub backup: Option<String>,
    pub places: Places,
    pub change: Change,
    /// dockerd's certs.d (`--target docker` for a registry other than docker.io).
    pub certs_dir: PathBuf,
}

pub(super) fn apply(a: cli::ApplyArgs, p: Printer) -> Result<Apply> {
    let change = Change::lower(&a.target);
    let targets = installed(a.kind);
    // `--target docker` for another registry: the daemon's image store decides (apply asks it).
    // The probe follows the proxy of the daemon.json being edited, as dockerd will.
    let probe = || usage(Probe::lower(&a.opts, &change.daemon_json));
    let given = || crate::targets::docker::normalize_mirrors(&a.opts.source.mirrors);
    let mirrors = if a.opts.source.mirrors.is_empty() {
        let probe = probe()?;
        Mirrors::Best(
            probe::catalogue(&a.opts.source, &a.opts.registry, p)?,
            probe,
        )
    } else if a.no_probe {
        Mirrors::Unprobed(given()?)
    } else {
        Mirrors::Given(given()?, probe()?)
    };
    Ok(Apply {
        registry: a.opts.registry,
        mirrors,
        top: a.top.into(),
        targets,
        places: a.places,
        change,
        certs_dir: a.opts.certs_dir,
        auto: a.kind == TargetKind::Auto,
        pull: usage(
            a.pull
                .as_deref()
                .map(crate::dockerd::proof::Reference::parse)
                .transpose(),
        )?,
    })
}

/// `--target auto`: every runtime whose binary is installed (dockerd: or a desktop product).
fn installed(kind: TargetKind) -> Vec<TargetKind> {
    if kind != TargetKind::Auto {
        return vec![kind];
    }
    let has = |b: &str| {
        std::env::var_os("PATH").is_some_and(|p| {
            std::env::split_paths(&p)
                .chain([PathBuf::from("/usr/sbin")])
                .any(|d| d.join(b).is_file())
        })
    };
    let mut v = Vec::new();
    // On macOS and Windows dockerd runs inside the product's VM, never on the host's PATH: the product is its sign.
    if has("dockerd") || crate::sys::desktop::detect().is_some() {
        v.push(TargetKind::Docker);
    }
    if has("containerd") {
        v.push(TargetKind::Containerd);
    }
    if ["podman", "crio", "skopeo", "buildah"]
        .iter()
        .any(|b| has(b))
    {
        v.push(TargetKind::Containers);
    }
    if has("k3s") {
        v.push(TargetKind::K3s);
    }
    v
}
