//! The whole command-line surface, in one place: what the user typed, as clap parses it. `settings` lowers it to
//! what it means on this host; commands read only that.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::sys::service::InitChoice;

/// The command line as text, before clap sees it: an argument that is not UTF-8 (a byte like `\xff` from a script
/// or a file name) is a usage error naming it, escaped, and where it is — never a panic. The program's own name
/// may be anything: it is only shown.
pub fn utf8_args(raw: Vec<std::ffi::OsString>) -> Result<Vec<String>, crate::ui::errors::Usage> {
    let mut args = Vec::with_capacity(raw.len());
    for (i, a) in raw.into_iter().enumerate() {
        match a.into_string() {
            Ok(s) => args.push(s),
            Err(a) if i == 0 => args.push(a.to_string_lossy().into_owned()),
            Err(a) => {
                let value = format!("{a:?}");
                let lossy = a.to_string_lossy();
                let message = match (lossy.split_once('='), args.last()) {
                    (Some((flag, _)), _)
                        if flag.starts_with("--") && !flag.contains('\u{fffd}') =>
                    {
                        rust_i18n::t!(
                            "args.not_utf8_flag",
                            flag = crate::ui::output::outside(flag),
                            position = i,
                            value = value
                        )
                    }
                    (_, Some(previous)) if i > 1 => rust_i18n::t!(
                        "args.not_utf8_after",
                        position = i,
                        previous = crate::ui::output::outside(previous),
                        value = value
                    ),
                    _ => rust_i18n::t!("args.not_utf8", position = i, value = value),
                };
                return Err(crate::ui::errors::Usage {
                    message: message.into_owned(),
                    hint: Some(rust_i18n::t!("args.not_utf8_hint").into_owned()),
                });
            }
        }
    }
    Ok(args)
}

#[derive(Parser, Debug)]
#[command(
    name = "mirrorctl",
    version,
    about = "Measure Docker Hub mirrors with real pulls and apply the best ones to dockerd safely"
)]
#[command(
    after_help = "Exit codes: 0 success, 1 error, 2 usage error, 3 no mirror passed the probe, 4 apply failed and rolled back."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Only results and errors: no progress, notes or summaries on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Details on stderr: phase timings, addresses and every HTTP request with its status, per mirror.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Language of messages (default: from LC_ALL, LC_MESSAGES or LANG).
    #[arg(long, global = true, value_parser = ["en", "zh"])]
    pub lang: Option<String>,
    /// Where the history, the lock and the updated catalogue live (default: /var/lib/mirrorctl for root, else
    /// $XDG_STATE_HOME/mirrorctl).
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        env = "MIRRORCTL_STATE_DIR",
        hide_env_values = true
    )]
    pub state_dir: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// List the catalogue: provider, status, notes, where each entry comes from, and the last probe result.
    #[command(after_help = "Examples:\n  mirrorctl list\n  mirrorctl list --all --json")]
    List(ListArgs),
    /// Pull-test every mirror of the catalogue with the registry v2 protocol and rank them.
    #[command(
        after_help = "Examples:\n  mirrorctl probe\n  mirrorctl probe --all --json\n  mirrorctl probe --mirror https://abc123.mirror.aliyuncs.com --image library/busybox"
    )]
    Probe(ProbeArgs),
    /// Write the best mirrors into daemon.json, restart dockerd, verify, and roll back by itself on failure.
    #[command(
        after_help = "Examples:\n  mirrorctl apply --dry-run\n  sudo mirrorctl apply --top 3 --yes\n  sudo mirrorctl apply --mirror https://abc123.mirror.aliyuncs.com --reload"
    )]
    Apply(ApplyArgs),
    /// Show the mirrors the live daemon uses (as `docker info` prints them), the file's, and where they differ.
    #[command(
        after_help = "Examples:\n  mirrorctl show\n  mirrorctl show --config ~/.config/docker/daemon.json --json"
    )]
    Show(ShowArgs),
    /// Check daemon.json, dockerd's flags and the live daemon for what breaks mirrors or stops dockerd starting.
    #[command(
        after_help = "Examples:\n  mirrorctl doctor\n  mirrorctl doctor --json | jq '.checks[] | select(.severity != \"ok\")'\n\nExit code 1 when any check is an error."
    )]
    Doctor(DoctorArgs),
    /// Set, show or unset the HTTP proxy dockerd (or containerd) pulls through.
    #[command(
        subcommand,
        after_help = "Examples:\n  mirrorctl proxy show\n  sudo mirrorctl proxy set http://proxy.corp:3128 --yes\n  sudo mirrorctl proxy unset --yes"
    )]
    Proxy(ProxyCommand),
    /// Refresh the catalogue without a new release: a signed file, verified before it is used.
    #[command(
        subcommand,
        after_help = "Examples:\n  mirrorctl catalogue update\n  mirrorctl catalogue update --from ./mirrors.toml --trust-key RWS…"
    )]
    Catalogue(CatalogueCommand),
    /// Print a shell completion script, e.g. `mirrorctl completions bash > /etc/bash_completion.d/mirrorctl`.
    #[command(
        after_help = "Examples:\n  mirrorctl completions bash | sudo tee /usr/share/bash-completion/completions/mirrorctl\n  mirrorctl completions zsh > ~/.zfunc/_mirrorctl"
    )]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a man page (roff), e.g. `mirrorctl man probe | man -l -`, or write every page into a directory.
    #[command(
        after_help = "Examples:\n  mirrorctl man | man -l -\n  mirrorctl man proxy set | man -l -\n  mirrorctl man --dir /usr/local/share/man/man1"
    )]
    Man(ManArgs),
    /// Each mirror's record from the probe history: success rate, median latency and speed, last failure.
    #[command(
        after_help = "Examples:\n  mirrorctl history\n  mirrorctl history --mirror docker.m.daocloud.io --since 24h\n  mirrorctl history --json | jq '.mirrors[] | {name, success_rate}'"
    )]
    History(HistoryArgs),
    /// One page a person can open and share: ranking with reasons, what Docker uses, each mirror's latency and
    /// success rate over time, watch's decisions (self-contained HTML, charts as inline SVG); or one chart as SVG.
    #[command(
        after_help = "Examples:\n  mirrorctl report --html mirrors.html\n  mirrorctl report --html - --days 30 --lang zh > 镜像报告.html\n  mirrorctl report --svg latency.svg\n  mirrorctl report --svg - --mirror docker.m.daocloud.io --since 24h"
    )]
    Report(ReportArgs),
    /// Keep the configured mirrors alive: probe, replace a mirror that keeps failing, with a reload (no container
    /// stops); or install a timer that does it every few hours.
    #[command(
        after_help = "Examples:\n  sudo mirrorctl watch --once --yes\n  sudo mirrorctl watch --install --every 6h\n  sudo mirrorctl watch --uninstall"
    )]
    Watch(WatchArgs),
    /// A team's pull-through cache: set up docker-registry in front of the best mirror, check it, fill it.
    #[command(
        subcommand,
        after_help = "Examples:\n  sudo mirrorctl cache setup --listen :5000 --yes\n  mirrorctl cache status\n  mirrorctl cache warm alpine:latest nginx:stable --platform all"
    )]
    Cache(CacheCommand),
    /// Prometheus metrics from the probe history, watch and the cache: printed, written for node_exporter's
    /// textfile collector, or served on /metrics.
    #[command(
        after_help = "Examples:\n  mirrorctl metrics\n  sudo mirrorctl metrics --textfile /var/lib/prometheus/node-exporter\n  mirrorctl metrics --listen 127.0.0.1:9817\n\nAlert rules to start from: docs/mirrorctl-alerts.yml."
    )]
    Metrics(MetricsArgs),
    /// Put the newest backup of daemon.json back, with the same restart, verification and rollback as apply.
    #[command(
        after_help = "Examples:\n  sudo mirrorctl restore --dry-run\n  sudo mirrorctl restore --yes"
    )]
    Restore(RestoreArgs),
}

#[derive(Args, Debug, Clone)]
pub struct Source {
    /// Use this catalogue file (same TOML format as the built-in one) instead of the built-in catalogue.
    #[arg(long, value_name = "FILE")]
    pub catalogue: Option<PathBuf>,
    /// A mirror by URL, e.g. your personal Aliyun address; repeatable. probe: added to the catalogue.
    /// apply: use exactly these, in this order.
    #[arg(long = "mirror", value_name = "URL")]
    pub mirrors: Vec<String>,
    /// Include mirrors the catalogue lists as closed.
    #[arg(long)]
    pub all: bool,
}

#[derive(Args, Debug, Clone)]
pub struct ProbeOptions {
    #[command(flatten)]
    pub source: Source,
    /// The registry the mirrors stand in for: docker.io, or ghcr.io, quay.io, registry.k8s.io, … (those need
    /// --image naming one of their images; dockerd's registry-mirrors serve only docker.io).
    #[arg(long, default_value = "docker.io", value_name = "HOST", value_parser = crate::catalogue::validate_registry)]
    pub registry: String,
    /// The image each mirror must serve (default for docker.io: library/alpine:latest).
    #[arg(long)]
    pub image: Option<String>,
    /// The platform to pull for (default: this machine's), e.g. linux/arm64.
    #[arg(long, value_name = "OS/ARCH")]
    pub platform: Option<String>,
    /// One deadline per mirror, in seconds, for the whole pull.
    #[arg(long, value_name = "SECS", default_value_t = 10.0, value_parser = parse_timeout)]
    pub timeout: f64,
    /// How many mirrors to probe at once (default: as many as this process's open-file limit allows, up to 1024).
    #[arg(long, value_parser = parse_count)]
    pub jobs: Option<usize>,
    /// How many blob downloads at once: they share your link, so fewer means each mirror's speed is measured on
    /// the whole link (the wait for a slot is not counted against the mirror).
    #[arg(long, default_value_t = 4, value_parser = parse_count)]
    pub blob_jobs: usize,
    /// Refuse to download a layer larger than this many MiB (the probe picks the image's smallest layer).
    #[arg(long, value_name = "MIB", default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=65536))]
    pub max_blob_mib: u64,
    /// dockerd's per-registry CA directory; its certificates are trusted as dockerd trusts them.
    #[arg(long, value_name = "DIR", default_value = "/etc/docker/certs.d")]
    pub certs_dir: PathBuf,
    /// Probe directly (or through this shell's HTTP(S)_PROXY) instead of through dockerd's own proxy.
    #[arg(long)]
    pub no_daemon_proxy: bool,
    /// The digest the tag must resolve to (sha256:…): a mirror serving another one is stale.
    #[arg(long, value_name = "DIGEST", value_parser = parse_digest)]
    pub expect_digest: Option<String>,
}

#[derive(Args, Debug, Clone)]
pub struct ProbeArgs {
    #[command(flatten)]
    pub opts: ProbeOptions,
    /// The daemon.json whose `proxies` the probe goes through (default: /etc/docker/daemon.json).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Print one JSON document instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// Where the config lives and how dockerd picks it up; shared by apply and restore.
#[derive(Args, Debug, Clone)]
pub struct Target {
    /// daemon.json to edit (default: /etc/docker/daemon.json; rootless: ~/.config/docker/daemon.json).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Print the plan and the diff; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation (required when not on a terminal).
    #[arg(short, long)]
    pub yes: bool,
    /// Apply with `systemctl reload docker` (SIGHUP): mirrors change without stopping containers.
    #[arg(long, conflicts_with = "no_restart")]
    pub reload: bool,
    /// Only write the file; restart dockerd yourself.
    #[arg(long)]
    pub no_restart: bool,
    /// How to restart dockerd.
    #[arg(long, value_enum, default_value_t = InitChoice::Auto)]
    pub init: InitChoice,
    /// Print one JSON document: whether anything changed (`changed`), and per target the files and how they
    /// were made live. The plan and the diff go to stderr.
    #[arg(long)]
    pub json: bool,
}

impl Target {
    /// For a change of files mirrorctl owns (a timer, the cache's config): the user's answers, and a restart.
    pub fn change(dry_run: bool, yes: bool, init: InitChoice, json: bool) -> Self {
        Self {
            config: None,
            dry_run,
            yes,
            reload: false,
            no_restart: false,
            init,
            json,
        }
    }
}

/// Which runtime's configuration `apply` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TargetKind {
    /// dockerd's daemon.json (`registry-mirrors`; Docker Hub only).
    Docker,
    /// containerd's certs.d/<registry>/hosts.toml (and `config_path` in config.toml when missing).
    Containerd,
    /// podman, cri-o, skopeo, buildah: a registries.conf.d drop-in.
    Containers,
    /// k3s's registries.yaml (`mirrors.<registry>.endpoint`), then a restart of k3s or k3s-agent.
    K3s,
    /// Every one of the above that is installed.
    Auto,
}

#[derive(Args, Debug, Clone)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub opts: ProbeOptions,
    #[command(flatten)]
    pub target: Target,
    /// Which runtime to configure.
    #[arg(long = "target", value_enum, default_value_t = TargetKind::Docker)]
    pub kind: TargetKind,
    #[command(flatten)]
    pub places: crate::targets::runtimes::Places,
    /// How many of the best passing mirrors to write.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..))]
    pub top: u16,
    /// With --mirror: write them without probing first.
    #[arg(long, requires = "mirrors")]
    pub no_probe: bool,
    /// After the change is live, pull this Docker Hub image through the daemon and watch its connections: a pull
    /// that Docker Hub served, not a mirror, fails the verification and rolls the change back.
    #[arg(long, value_name = "IMAGE")]
    pub pull: Option<String>,
}

/// Which runtime's mirrors `watch` keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WatchTarget {
    /// dockerd's daemon.json (`registry-mirrors`; Docker Hub only).
    Docker,
    /// containerd's certs.d/<registry>/hosts.toml.
    Containerd,
}

#[derive(Args, Debug, Clone)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub target: Target,
    /// Which runtime's file to restore: docker (daemon.json), containerd (hosts.toml), containers (the drop-in) or
    /// k3s (registries.yaml).
    #[arg(long = "target", value_enum, default_value_t = TargetKind::Docker)]
    pub kind: TargetKind,
    /// For containerd: the registry whose hosts.toml to restore.
    #[arg(long, default_value = "docker.io", value_name = "HOST", value_parser = crate::catalogue::validate_registry)]
    pub registry: String,
    /// List the backups of the file, newest first, and change nothing.
    #[arg(long)]
    pub list: bool,
    /// Restore this backup (a name from --list) instead of the newest.
    #[arg(long, value_name = "NAME", conflicts_with = "list")]
    pub backup: Option<String>,
    /// dockerd's certs.d: `--target docker` with another registry restores its hosts.toml there.
    #[arg(long, value_name = "DIR", default_value = crate::targets::certs_d::DEFAULT_ROOT)]
    pub certs_dir: PathBuf,
    #[command(flatten)]
    pub places: crate::targets::runtimes::Places,
}

#[derive(Args, Debug, Clone)]
pub struct ShowArgs {
    /// daemon.json to read (default: the platform's, as for apply).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// dockerd's certs.d: on the containerd image store its hosts.toml files decide which hosts pulls use.
    #[arg(long, value_name = "DIR", default_value = crate::targets::certs_d::DEFAULT_ROOT)]
    pub certs_dir: PathBuf,
    #[command(flatten)]
    pub runtimes: crate::targets::runtimes::Places,
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug, Clone)]
pub struct DoctorArgs {
    /// daemon.json to check (default: the platform's, as for apply).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// dockerd's certs.d: on the containerd image store its hosts.toml files decide which hosts pulls use.
    #[arg(long, value_name = "DIR", default_value = crate::targets::certs_d::DEFAULT_ROOT)]
    pub certs_dir: PathBuf,
    #[command(flatten)]
    pub runtimes: crate::targets::runtimes::Places,
    /// How dockerd is managed (for the unit's flags and state).
    #[arg(long, value_enum, default_value_t = InitChoice::Auto)]
    pub init: InitChoice,
    /// Also judge the file under every engine generation (20.10 to 28.5) and say when the verdict depends on it.
    #[arg(long)]
    pub all_engines: bool,
    /// Pull this Docker Hub image through the daemon and say which host served it (from the daemon's own
    /// connections, not `docker info`).
    #[arg(long, value_name = "IMAGE")]
    pub pull: Option<String>,
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum CatalogueCommand {
    /// Fetch a catalogue and its minisign signature (FILE.minisig), verify both, and use it from now on.
    #[command(
        after_help = "Examples:\n  mirrorctl catalogue update\n  mirrorctl catalogue update --from https://mirrors.example.com/mirrors.toml --trust-key RWS…\n  mirrorctl catalogue update --from ./mirrors.toml --json"
    )]
    Update(CatalogueUpdateArgs),
}

#[derive(Args, Debug, Clone)]
pub struct CatalogueUpdateArgs {
    /// Where to fetch it: an https:// URL or a file (default: the project's, or `catalogue.url` in the user config).
    #[arg(long, value_name = "URL|FILE")]
    pub from: Option<String>,
    /// The minisign public key to verify with (default: the project's, pinned in the binary, or
    /// `catalogue.trust_key` in the user config): a team's own catalogue.
    #[arg(long, value_name = "KEY")]
    pub trust_key: Option<String>,
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum ProxyCommand {
    /// Pull through this proxy (HTTP and HTTPS), with the same backup, restart, verification and rollback as apply.
    #[command(
        after_help = "Examples:\n  sudo mirrorctl proxy set http://proxy.corp:3128 --no-proxy localhost,127.0.0.1,.corp\n  sudo mirrorctl proxy set socks5://127.0.0.1:1080 --unit containerd"
    )]
    Set(ProxySetArgs),
    /// Show the proxy in daemon.json, in the systemd drop-in, and in the live daemon (passwords masked).
    #[command(
        after_help = "Examples:\n  mirrorctl proxy show\n  mirrorctl proxy show --unit containerd --json"
    )]
    Show(ProxyShowArgs),
    /// Remove the proxy from daemon.json and the drop-in.
    #[command(
        after_help = "Examples:\n  sudo mirrorctl proxy unset --dry-run\n  sudo mirrorctl proxy unset --yes"
    )]
    Unset(ProxyUnsetArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProxyMethod {
    /// daemon.json `proxies` when dockerd is 23 or newer, else a systemd drop-in.
    Auto,
    DaemonJson,
    Systemd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProxyUnit {
    Docker,
    Containerd,
}

/// Where a proxy setting lives.
#[derive(Args, Debug, Clone)]
pub struct ProxyPlace {
    /// The service that pulls through the proxy.
    #[arg(long, value_enum, default_value_t = ProxyUnit::Docker)]
    pub unit: ProxyUnit,
    /// Where to write the proxy: auto, daemon-json (Engine 23+) or a systemd drop-in.
    #[arg(long, value_enum, default_value_t = ProxyMethod::Auto)]
    pub method: ProxyMethod,
    /// systemd's unit directory for the drop-in (default /etc/systemd/system; rootless ~/.config/systemd/user).
    #[arg(long, value_name = "DIR")]
    pub systemd_dir: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct ProxySetArgs {
    /// The proxy, e.g. http://proxy.corp:3128 (credentials inside are never printed).
    pub url: String,
    /// Hosts that bypass the proxy, comma-separated (put your mirrors here if the proxy cannot reach them).
    #[arg(long, value_name = "LIST")]
    pub no_proxy: Option<String>,
    #[command(flatten)]
    pub place: ProxyPlace,
    #[command(flatten)]
    pub target: Target,
}

#[derive(Args, Debug, Clone)]
pub struct ProxyUnsetArgs {
    #[command(flatten)]
    pub place: ProxyPlace,
    #[command(flatten)]
    pub target: Target,
}

#[derive(Args, Debug, Clone)]
pub struct ProxyShowArgs {
    /// daemon.json to read.
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub place: ProxyPlace,
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug, Clone)]
pub struct ListArgs {
    #[command(flatten)]
    pub source: Source,
    /// Only mirrors of this registry (default: all registries).
    #[arg(long, value_name = "HOST", value_parser = crate::catalogue::validate_registry)]
    pub registry: Option<String>,
    /// Print one JSON document instead of the table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum CacheCommand {
    /// Configure docker-registry as a pull-through cache of the best mirror (or --upstream), restart it, prove a
    /// pull through it works, and roll back when it does not.
    #[command(
        after_help = "Examples:\n  sudo mirrorctl cache setup --yes\n  sudo mirrorctl cache setup --listen 10.0.0.5:5000 --storage /srv/registry --upstream https://docker.m.daocloud.io --yes\n\nThen, on each node: mirrorctl apply --mirror http://HOST:5000 --yes"
    )]
    Setup(Box<CacheSetupArgs>),
    /// The cache's upstream and its last probe, whether /v2/ answers, storage used, and what it served.
    #[command(after_help = "Examples:\n  mirrorctl cache status\n  mirrorctl cache status --json")]
    Status(CacheStatusArgs),
    /// Pull images through the cache (every manifest and blob for the platforms, digests verified).
    #[command(
        after_help = "Examples:\n  mirrorctl cache warm alpine:latest nginx:stable\n  mirrorctl cache warm python:3.12-slim --platform linux/amd64 --platform linux/arm64"
    )]
    Warm(CacheWarmArgs),
    /// Put the registry's previous config.yml back, restart it and verify a pull through it (as setup does).
    #[command(
        after_help = "Examples:\n  sudo mirrorctl cache restore --list\n  sudo mirrorctl cache restore --yes"
    )]
    Restore(Box<CacheRestoreArgs>),
}

#[derive(Args, Debug, Clone)]
pub struct CacheRestoreArgs {
    #[command(flatten)]
    pub opts: ProbeOptions,
    #[command(flatten)]
    pub service: CacheService,
    /// List the backups of config.yml, newest first, and change nothing.
    #[arg(long)]
    pub list: bool,
    /// Restore this backup (a name from --list) instead of the newest.
    #[arg(long, value_name = "NAME", conflicts_with = "list")]
    pub backup: Option<String>,
    /// Print the plan and the diff; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation.
    #[arg(short, long)]
    pub yes: bool,
    /// Print one JSON document (`changed`; with --list, the backups).
    #[arg(long)]
    pub json: bool,
}

/// Which docker-registry: its configuration file, its unit, and what manages the unit.
#[derive(Args, Debug, Clone)]
pub struct CacheService {
    /// docker-registry's configuration file.
    #[arg(long = "registry-config", visible_alias = "config", value_name = "FILE", default_value = crate::targets::distribution::DEFAULT_CONFIG)]
    pub config: PathBuf,
    /// docker-registry's unit.
    #[arg(long, value_name = "NAME", default_value = "docker-registry", value_parser = parse_unit)]
    pub unit: String,
    /// How docker-registry is managed.
    #[arg(long, value_enum, default_value_t = InitChoice::Auto)]
    pub init: InitChoice,
}

#[derive(Args, Debug, Clone)]
pub struct CacheSetupArgs {
    #[command(flatten)]
    pub opts: ProbeOptions,
    /// The address the cache listens on (distribution's http.addr).
    #[arg(long, value_name = "ADDR", default_value = ":5000", value_parser = parse_listen)]
    pub listen: String,
    /// Where the cache keeps what it pulled (created, and given to the unit's user).
    #[arg(long, value_name = "DIR", default_value = "/var/lib/docker-registry")]
    pub storage: PathBuf,
    /// The mirror to pull through (default: the best one a probe finds now).
    #[arg(long, value_name = "URL", conflicts_with = "probe")]
    pub upstream: Option<String>,
    /// Choose the upstream by probing the catalogue (the default).
    #[arg(long)]
    pub probe: bool,
    #[command(flatten)]
    pub service: CacheService,
    /// Serve HTTPS with this certificate (PEM); needs --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Where distribution serves its metrics (/debug/vars, /metrics) for `cache status`; keep it local.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:5001", value_parser = parse_listen)]
    pub metrics: String,
    /// Print the plan and the diff; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation.
    #[arg(short, long)]
    pub yes: bool,
    /// Print one JSON document (`changed`) instead of the plan; the plan goes to stderr.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug, Clone)]
pub struct CacheStatusArgs {
    #[command(flatten)]
    pub service: CacheService,
    /// CA directory for an HTTPS cache (as dockerd's certs.d).
    #[arg(long, value_name = "DIR", default_value = "/etc/docker/certs.d")]
    pub certs_dir: PathBuf,
    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug, Clone)]
pub struct CacheWarmArgs {
    /// Images to pull through the cache, e.g. alpine:latest, library/nginx:stable, grafana/grafana:11.3.0.
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<String>,
    /// Platforms to pull (repeatable; `all` for every one; default: this machine's).
    #[arg(long = "platform", value_name = "OS/ARCH|all")]
    pub platforms: Vec<String>,
    /// The cache's URL (default: from its configuration file).
    #[arg(long, value_name = "URL")]
    pub cache: Option<String>,
    /// docker-registry's configuration file.
    #[arg(long = "registry-config", visible_alias = "config", value_name = "FILE", default_value = crate::targets::distribution::DEFAULT_CONFIG)]
    pub config: PathBuf,
    /// CA directory for an HTTPS cache (as dockerd's certs.d).
    #[arg(long, value_name = "DIR", default_value = "/etc/docker/certs.d")]
    pub certs_dir: PathBuf,
    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug, Clone)]
pub struct HistoryArgs {
    /// Only this mirror (its name or URL).
    #[arg(long, value_name = "NAME")]
    pub mirror: Option<String>,
    /// How far back, e.g. 24h, 7d, 90d (history keeps 90 days).
    #[arg(long, default_value = "7d", value_parser = parse_since)]
    pub since: std::time::Duration,
    /// Which registry's mirrors.
    #[arg(long, default_value = "docker.io", value_name = "HOST", value_parser = crate::catalogue::validate_registry)]
    pub registry: String,
    /// Print one JSON document instead of the table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug, Clone)]
pub struct MetricsArgs {
    /// Write DIR/mirrorctl.prom (atomically) for node_exporter's textfile collector instead of printing.
    #[arg(long, value_name = "DIR", conflicts_with = "listen")]
    pub textfile: Option<PathBuf>,
    /// Serve GET /metrics on this address (IP:PORT, loopback unless --allow-remote; port 0 picks one) until
    /// stopped.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// With --listen: also accept a non-loopback address. The page has no TLS or login and names every mirror and
    /// the cache: firewall it, or put a TLS proxy in front.
    #[arg(long, requires = "listen")]
    pub allow_remote: bool,
    /// Only these registries' mirrors (repeatable; default: every registry of the catalogue).
    #[arg(long = "registry", value_name = "HOST", value_parser = crate::catalogue::validate_registry)]
    pub registries: Vec<String>,
    /// daemon.json whose registry-mirrors count as configured (default: the platform's, as for apply).
    #[arg(long = "config", value_name = "PATH")]
    pub daemon_json: Option<PathBuf>,
    /// docker-registry's configuration file: the cache's metrics come from it when it is a pull-through cache on
    /// this machine.
    #[arg(long, value_name = "FILE", default_value = crate::targets::distribution::DEFAULT_CONFIG)]
    pub registry_config: PathBuf,
    /// docker-registry's unit.
    #[arg(long, value_name = "NAME", default_value = "docker-registry", value_parser = parse_unit)]
    pub registry_unit: String,
    /// How docker-registry is managed.
    #[arg(long, value_enum, default_value_t = InitChoice::Auto)]
    pub init: InitChoice,
    /// CA directory for an HTTPS cache (as dockerd's certs.d).
    #[arg(long, value_name = "DIR", default_value = "/etc/docker/certs.d")]
    pub certs_dir: PathBuf,
    /// Print one JSON document (every family with its samples) instead of the text format.
    #[arg(long, conflicts_with = "listen")]
    pub json: bool,
}

#[derive(Args, Debug, Clone)]
#[command(group(clap::ArgGroup::new("output").required(true).multiple(true).args(["html", "svg"])))]
pub struct ReportArgs {
    /// Write the page to this file (`-`: stdout). An existing file is replaced whole; a symbolic link is refused.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Write one chart as SVG to this file (`-`: stdout): every mirror's latency, or the record of --mirror.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// With --svg: this mirror's latency and success rate (its name or URL).
    #[arg(long, value_name = "NAME", requires = "svg")]
    pub mirror: Option<String>,
    /// How far back, e.g. 24h, 7d, 90d (history keeps 90 days).
    #[arg(long, default_value = "7d", value_parser = parse_since)]
    pub since: std::time::Duration,
    /// The same window in whole days, 1 to 90.
    #[arg(long, value_name = "N", conflicts_with = "since", value_parser = clap::value_parser!(u16).range(1..=90))]
    pub days: Option<u16>,
    /// Which registry's mirrors.
    #[arg(long, default_value = "docker.io", value_name = "HOST", value_parser = crate::catalogue::validate_registry)]
    pub registry: String,
    /// daemon.json to read (default: the platform's, as for apply).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Print one JSON document: what was written, where, how many bytes.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug, Clone)]
#[command(group(clap::ArgGroup::new("mode").required(true).args(["once", "install", "uninstall"])))]
pub struct WatchArgs {
    #[command(flatten)]
    pub opts: ProbeOptions,
    /// One cycle: a fresh probe, then replace what the history says is dying.
    #[arg(long)]
    pub once: bool,
    /// Install a systemd timer (or a cron entry where there is no systemd) that runs `watch --once`.
    #[arg(long)]
    pub install: bool,
    /// Remove what --install wrote.
    #[arg(long)]
    pub uninstall: bool,
    /// With --install: how often, e.g. 30min, 6h, 1d.
    #[arg(long, default_value = "6h", value_parser = parse_every)]
    pub every: std::time::Duration,
    /// How many mirrors to keep configured.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..))]
    pub top: u16,
    /// Replace a configured mirror only after it failed this many probes in a row; a better one must win this
    /// many in a row.
    #[arg(long, value_name = "K", default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=100))]
    pub fail_after: u16,
    /// A candidate replaces the worst configured mirror only when its estimated pull is this much faster.
    #[arg(long, value_name = "PCT", default_value_t = 30.0, value_parser = parse_margin)]
    pub margin: f64,
    /// Restart dockerd when a reload cannot apply the change (a restart stops the containers).
    #[arg(long)]
    pub allow_restart: bool,
    /// daemon.json to keep (default: /etc/docker/daemon.json; rootless: ~/.config/docker/daemon.json).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Print the decisions and the plan; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation (required when not on a terminal, as under a timer).
    #[arg(short, long)]
    pub yes: bool,
    /// How dockerd is managed, and with --install where the timer goes.
    #[arg(long, value_enum, default_value_t = InitChoice::Auto)]
    pub init: InitChoice,
    /// With --install: systemd's unit directory (default /etc/systemd/system; as a user ~/.config/systemd/user).
    #[arg(long, value_name = "DIR")]
    pub systemd_dir: Option<PathBuf>,
    /// With --install where there is no systemd: the cron directory (default /etc/cron.d).
    #[arg(long, value_name = "DIR")]
    pub cron_dir: Option<PathBuf>,
    /// What to keep: dockerd's daemon.json (a reload), or containerd's hosts.toml for --registry (read at each
    /// pull: nothing restarts).
    #[arg(long = "target", value_enum, default_value_t = WatchTarget::Docker, conflicts_with = "cache")]
    pub kind: WatchTarget,
    #[command(flatten)]
    pub containerd: crate::targets::runtimes::ContainerdPlaces,
    /// Keep the pull-through cache's upstream alive instead of daemon.json: re-point `proxy.remoteurl` and restart
    /// the registry (the nodes keep their config).
    #[arg(long)]
    pub cache: bool,
    /// With --cache: docker-registry's configuration file.
    #[arg(long = "registry-config", value_name = "FILE", default_value = crate::targets::distribution::DEFAULT_CONFIG)]
    pub registry_config: PathBuf,
    /// With --cache: docker-registry's unit.
    #[arg(long, value_name = "NAME", default_value = "docker-registry", value_parser = parse_unit)]
    pub registry_unit: String,
    /// After each cycle, write DIR/mirrorctl.prom as `metrics --textfile DIR` does (for node_exporter).
    #[arg(long, value_name = "DIR")]
    pub metrics_textfile: Option<PathBuf>,
    /// Print one JSON document: the decisions and whether anything changed (`changed`).
    #[arg(long)]
    pub json: bool,
}

/// A timer period: whole minutes, from a minute to 30 days. systemd's timer and cron both get it exactly only in
/// whole minutes: a part below one (`1min 1ns`, `90s`) would be rounded by cron and is not what systemd reads, so
/// it is refused, not rounded.
pub fn parse_every(s: &str) -> Result<std::time::Duration, String> {
    let bad = |key: &str| rust_i18n::t!(key, value = crate::ui::output::outside(s)).into_owned();
    match humantime::parse_duration(s) {
        Ok(d) if !(60..=30 * 86_400).contains(&d.as_secs()) => Err(bad("watch.bad_every")),
        Ok(d) if d.subsec_nanos() != 0 || !d.as_secs().is_multiple_of(60) => {
            Err(bad("watch.every_not_minutes"))
        }
        Ok(d) => Ok(d),
        Err(_) => Err(bad("watch.bad_every")),
    }
}

/// A window of the history: from a second to what it keeps (90 days). `57y` before now is a time the clock
/// cannot always hold, and older records are gone anyway.
fn parse_since(s: &str) -> Result<std::time::Duration, String> {
    let keep = crate::history::store::KEEP;
    match humantime::parse_duration(s) {
        Ok(d) if d >= std::time::Duration::from_secs(1) && d <= keep => Ok(d),
        _ => Err(rust_i18n::t!(
            "history.bad_since",
            value = crate::ui::output::outside(s),
            keep = format!("{}d", keep.as_secs() / 86_400)
        )
        .into_owned()),
    }
}

/// A percentage from 0 to 1000; `-0` is 0 (a timer replays the value, and `-0` alone reads as a flag).
pub fn parse_margin(s: &str) -> Result<f64, String> {
    match s.trim_end_matches('%').parse::<f64>() {
        // + 0.0 turns -0.0 into 0.0.
        Ok(p) if (0.0..=1000.0).contains(&p) => Ok(p + 0.0),
        _ => Err(
            rust_i18n::t!("watch.bad_margin", value = crate::ui::output::outside(s)).into_owned(),
        ),
    }
}

/// A service's name as systemd (and `service`, `rc-service`) take it: `docker-registry`, `registry.service`,
/// `registry@main`. Never a leading `-` (which each of them would read as an option), only systemd's characters,
/// at most 255 of them with the `.service` systemctl adds, and a service, not a socket or a timer.
pub fn parse_unit(s: &str) -> Result<String, String> {
    const TYPES: [&str; 10] = [
        "socket",
        "target",
        "timer",
        "mount",
        "automount",
        "swap",
        "path",
        "slice",
        "scope",
        "device",
    ];
    let stem = s.strip_suffix(".service").unwrap_or(s);
    let chars_ok = !stem.is_empty()
        && stem
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b":-_.\\@".contains(&b));
    let instance_ok = match stem.split_once('@') {
        Some((prefix, instance)) => {
            !prefix.is_empty() && !instance.is_empty() && !instance.contains('@')
        }
        None => true,
    };
    let other_type = stem
        .rsplit_once('.')
        .is_some_and(|(_, suffix)| TYPES.contains(&suffix));
    let short = stem.len() + ".service".len() <= 255;
    if chars_ok && instance_ok && !other_type && short && !stem.starts_with(['-', '.']) {
        Ok(s.to_owned())
    } else {
        Err(rust_i18n::t!("unit.bad_name", value = crate::ui::output::outside(s)).into_owned())
    }
}

/// An address distribution can listen on: `:PORT`, `HOST:PORT` or `[IPv6]:PORT`, the port from 1 to 65535. A port
/// past 65535 (or a host with a space) was written to config.yml, and the registry it restarted could not start.
pub fn parse_listen(s: &str) -> Result<String, String> {
    let host_ok = |h: &str| match h.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => v6.parse::<std::net::Ipv6Addr>().is_ok(),
        None => h
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'),
    };
    match s.rsplit_once(':') {
        Some((host, port))
            if host_ok(host)
                && port.parse::<u16>().is_ok_and(|p| p > 0)
                && !port.starts_with('+') =>
        {
            Ok(s.to_owned())
        }
        _ => Err(
            rust_i18n::t!("cache.bad_listen", value = crate::ui::output::outside(s)).into_owned(),
        ),
    }
}

/// A deadline in seconds: positive and at most a day (a larger one is a typo, and would overflow a timer).
fn parse_timeout(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(t) if t > 0.0 && t <= 86_400.0 => Ok(t),
        // 0 is refused, so the message must not say "between 0 and …" (which reads as 0 being allowed).
        _ => Err(
            rust_i18n::t!("args.bad_timeout", value = crate::ui::output::outside(s)).into_owned(),
        ),
    }
}

/// How many at once: from 1 to 10000 (more would only run out of file descriptors).
fn parse_count(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=10_000).contains(&n) => Ok(n),
        _ => {
            Err(rust_i18n::t!("args.bad_count", value = crate::ui::output::outside(s)).into_owned())
        }
    }
}

/// `sha256:` and 64 lower-case hex digits.
fn parse_digest(s: &str) -> Result<String, String> {
    crate::registry::Digest::parse(s)
        .map(|d| d.to_string())
        .map_err(|_| {
            rust_i18n::t!("args.bad_digest", value = crate::ui::output::outside(s)).into_owned()
        })
}

#[derive(Args, Debug)]
pub struct ManArgs {
    /// The subcommand whose page to print (`probe`, `proxy set`, …); none for the top page, mirrorctl(1).
    #[arg(value_name = "COMMAND", conflicts_with = "dir")]
    pub command: Vec<String>,
    /// Write every page (mirrorctl.1, mirrorctl-probe.1, …) into this directory instead of printing one.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

// Non-UTF-8 arguments, unix modes and symlinks: unix only.
#[cfg(all(test, unix))]
mod tests {
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;

    fn os(args: &[&[u8]]) -> Vec<OsString> {
        args.iter()
            .map(|a| OsString::from_vec(a.to_vec()))
            .collect()
    }

    #[test]
    fn an_argument_that_is_not_utf8_is_a_usage_error_naming_it() {
        let e = super::utf8_args(os(&[b"mirrorctl", b"probe", b"--mirror", b"\xff"])).unwrap_err();
        assert_eq!(
            e.message,
            "argument 3, after --mirror, is not UTF-8 text: \"\\xFF\""
        );
        assert!(e.hint.is_some());
        let e = super::utf8_args(os(&[b"mirrorctl", b"probe", b"--mirror=\xffx\n"])).unwrap_err();
        assert_eq!(
            e.message,
            "the value of --mirror (argument 2) is not UTF-8 text: \"--mirror=\\xFFx\\n\""
        );
        let e = super::utf8_args(os(&[b"mirrorctl", b"\xfe"])).unwrap_err();
        assert_eq!(e.message, "argument 1 is not UTF-8 text: \"\\xFE\"");
        // The program's own name is only shown: any bytes will do.
        assert_eq!(
            super::utf8_args(os(&[b"/opt/\xff/mirrorctl", b"list"])).unwrap(),
            ["/opt/\u{fffd}/mirrorctl", "list"]
        );
    }

    #[test]
    fn a_history_window_is_within_what_the_history_keeps() {
        use std::time::Duration;
        assert_eq!(super::parse_since("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(
            super::parse_since("90d"),
            Ok(Duration::from_secs(90 * 86_400))
        );
        for bad in [
            "57y",
            "91d",
            "0s",
            "500ms",
            "5000000000000y",
            "a while",
            "-1d",
        ] {
            let e = super::parse_since(bad).unwrap_err();
            assert!(e.contains("from 1s to 90d"), "{bad}: {e}");
        }
    }

    #[test]
    fn a_listen_address_has_a_port_distribution_can_bind() {
        for ok in [
            ":5000",
            "0.0.0.0:5000",
            "10.0.0.5:5000",
            "[::1]:5000",
            "[::]:1",
            "reg.lan:65535",
        ] {
            assert_eq!(super::parse_listen(ok).as_deref(), Ok(ok));
        }
        for bad in [
            ":99999",
            ":0",
            "5000",
            ":",
            "[::1:5000",
            "a b:5000",
            ":+80",
            "host:-1",
            "[zz]:80",
        ] {
            let e = super::parse_listen(bad).unwrap_err();
            assert!(e.contains("from 1 to 65535"), "{bad}: {e}");
        }
    }
}
