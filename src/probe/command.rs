//! `mirrorctl probe`: settings from flags, the progress display, the report and where it goes.

use rust_i18n::t;
use std::time::{Duration, SystemTime};

use anyhow::{bail, Context, Result};

use super::{rank, Report, Settings};
use crate::catalogue::{self, Catalogue};
use crate::cli::{ProbeOptions, Source};
use crate::http::Clients;
use crate::output::Printer;
use crate::registry::manifest::Platform;
use crate::registry::ImageRef;

/// The catalogue the user asked for: a `--catalogue` file alone, or the built-in one with the user's own file
/// merged over it; then `--mirror` entries.
pub fn load_catalogue(source: &Source, registry: &str, p: Printer) -> Result<Catalogue> {
    let mut c = match &source.catalogue {
        Some(path) => Catalogue::load(path)?,
        None => {
            let c = Catalogue::in_use()?;
            if let Some(days) = c.stale_days(SystemTime::now()) {
                p.info(&format!(
                    "{}\n",
                    t!(
                        "catalogue.stale",
                        updated = c.updated,
                        days = days,
                        path = catalogue::user_path()
                            .map_or("~/.config/mirrorctl/mirrors.toml".into(), |p| p
                                .display()
                                .to_string())
                    )
                ));
            }
            c
        }
    };
    for url in &source.mirrors {
        c.add_url(url, registry)?;
    }
    Ok(c)
}

/// The image to pull: `--image` in `--registry`, or alpine for Docker Hub. Other registries have no image every
/// mirror is sure to carry, so the user names one.
pub fn image(args: &ProbeOptions) -> Result<ImageRef> {
    match (&args.image, args.registry.as_str()) {
        (Some(i), r) => ImageRef::parse_in(r, i).context("--image"),
        (None, "docker.io") => ImageRef::parse("library/alpine:latest"),
        (None, r) => bail!("{}", t!("probe.need_image", registry = r)),
    }
}

pub fn settings(args: &ProbeOptions) -> Result<Settings> {
    if !(args.timeout > 0.0 && args.timeout.is_finite()) {
        bail!("{}", t!("probe.bad_timeout", value = args.timeout));
    }
    Ok(Settings {
        image: image(args)?,
        platform: match &args.platform {
            Some(p) => Platform::parse(p).context("--platform")?,
            None => Platform::host(),
        },
        timeout: Duration::from_secs_f64(args.timeout),
        jobs: args.jobs.unwrap_or_else(default_jobs),
        blob_jobs: args.blob_jobs,
        max_blob: args.max_blob_mib.saturating_mul(1024 * 1024),
    })
}

/// Probes the selection of `catalogue`, ranks (with the history's record), records it in the history as run by
/// `origin` (`probe`, `apply`, `watch`), caches; returns the report for the caller to print.
pub async fn probe(
    args: &ProbeOptions,
    catalogue: &Catalogue,
    origin: &str,
    p: Printer,
) -> Result<Report> {
    let settings = settings(args)?;
    let selection = catalogue.selection(args.source.all, &args.registry);
    if let Some(cloud) = crate::cloud::detect() {
        let own: Vec<&str> = catalogue
            .mirrors
            .iter()
            .filter(|m| m.region.as_deref() == Some(cloud) && m.registry == args.registry)
            .map(|m| m.url.as_str())
            .collect();
        p.info(&format!(
            "{}\n",
            t!("probe.cloud", cloud = cloud, mirrors = own.join(", "))
        ));
    }
    if selection.is_empty() {
        bail!("{}", t!("probe.nothing", registry = args.registry));
    }
    let route = if args.no_daemon_proxy {
        crate::registry::route::Route::from_env()
    } else {
        match crate::registry::route::daemon(args.daemon_config.as_deref()).await {
            Some(r) => Some(r),
            None => crate::registry::route::Route::from_env(),
        }
    };
    if let Some(r) = &route {
        let shown = |u: &Option<reqwest::Url>| {
            u.as_ref()
                .map_or("-".to_owned(), |u| crate::proxy::mask(u.as_str()))
        };
        p.info(&format!(
            "{}\n",
            t!(
                "probe.via_proxy",
                http = shown(&r.http),
                https = shown(&r.https),
                source = r.source
            )
        ));
    }
    let clients = Clients::new(&args.certs_dir, route.clone())?;

    let bar = p.progress(selection.len() as u64, &t!("probe.progress"));
    let mut results = super::run(&selection, &settings, &clients, |r| {
        bar.set_message(crate::output::clean(&format!("{} {}", r.name, r.status)));
        bar.inc(1);
    })
    .await;
    bar.finish_and_clear();

    explain_with_catalogue(&mut results, &selection);
    super::consensus::mark_stale(&mut results, args.expect_digest.as_deref());
    super::age::date_stale(&mut results, &clients, settings.timeout).await;
    let mut history = crate::history::open(p);
    let urls: Vec<&str> = results.iter().map(|r| r.url.as_str()).collect();
    let previous = history
        .as_ref()
        .map(|h| crate::history::previous(h, &args.registry, &urls))
        .unwrap_or_default();
    rank::rank(&mut results, &previous);
    let report = Report {
        registry: args.registry.clone(),
        image: settings.image.to_string(),
        platform: settings.platform.to_string(),
        probed_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        catalogue_updated: catalogue.updated.clone(),
        fingerprint: catalogue::fingerprint(selection.iter().copied()),
        timeout_s: args.timeout,
        expect_digest: args.expect_digest.clone(),
        proxy: route,
        results,
    };
    if let Some(h) = history.as_mut() {
        crate::history::record(h, &report, origin, p);
    }
    if let Err(e) = crate::last_probe::save(&report) {
        // The measurement is still good; only its reuse by `apply` is lost.
        p.info(&format!(
            "{}\n",
            t!("probe.cache_failed", detail = format!("{e:#}"))
        ));
    }
    Ok(report)
}

/// A 403 or a 429 reads differently when the catalogue knows why: an allowlist, a stated quota.
fn explain_with_catalogue(results: &mut [super::MirrorResult], selection: &[&catalogue::Mirror]) {
    for r in results.iter_mut() {
        let Some(m) = selection.iter().find(|m| m.name == r.name) else {
            continue;
        };
        let known = match r.status {
            super::Status::Denied if m.allowlist => {
                Some(t!("fail.known_allowlist", provider = m.provider).into_owned())
            }
            super::Status::RateLimited => m.rate_limit.as_ref().map(|limit| {
                t!("fail.known_quota", provider = m.provider, limit = limit).into_owned()
            }),
            _ => None,
        };
        if let (Some(known), Some(error)) = (known, r.error.as_mut()) {
            *error = format!("{known} ({error})");
        }
    }
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
