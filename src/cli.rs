//! The whole command-line surface, in one place.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "mirrorctl", version, about = "Measure Docker Hub mirrors with real pulls and apply the best ones to dockerd safely")]
#[command(after_help = "Exit codes: 0 success, 1 error, 2 usage error, 3 no mirror passed the probe, 4 apply rolled back.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Pull-test every mirror of the catalogue with the registry v2 protocol and rank them.
    #[command(after_help = "Examples:\n  mirrorctl probe\n  mirrorctl probe --all --json\n  mirrorctl probe --mirror https://abc123.mirror.aliyuncs.com --image library/busybox")]
    Probe(ProbeArgs),
}

#[derive(Args, Debug, Clone)]
pub struct Source {
    /// Use this catalogue file (same TOML format as the built-in one) instead of the built-in catalogue.
    #[arg(long, value_name = "FILE")]
    pub catalogue: Option<PathBuf>,
    /// Add a mirror by URL, e.g. your personal Aliyun address; repeatable.
    #[arg(long = "mirror", value_name = "URL")]
    pub mirrors: Vec<String>,
    /// Include mirrors the catalogue lists as closed.
    #[arg(long)]
    pub all: bool,
}

#[derive(Args, Debug, Clone)]
pub struct ProbeArgs {
    #[command(flatten)]
    pub source: Source,
    /// The Docker Hub image each mirror must serve.
    #[arg(long, default_value = "library/alpine:latest")]
    pub image: String,
    /// The platform to pull for (default: this machine's), e.g. linux/arm64.
    #[arg(long, value_name = "OS/ARCH")]
    pub platform: Option<String>,
    /// One deadline per mirror, in seconds, for the whole pull.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub timeout: f64,
    /// How many mirrors to probe at once.
    #[arg(long, default_value_t = 32)]
    pub jobs: usize,
    /// Refuse to download a layer larger than this many MiB (the probe picks the image's smallest layer).
    #[arg(long, value_name = "MIB", default_value_t = 64)]
    pub max_blob_mib: u64,
    /// dockerd's per-registry CA directory; its certificates are trusted as dockerd trusts them.
    #[arg(long, value_name = "DIR", default_value = "/etc/docker/certs.d")]
    pub certs_dir: PathBuf,
    /// Print one JSON document instead of the table.
    #[arg(long)]
    pub json: bool,
}
