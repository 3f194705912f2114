//! One probe of a catalogue as every command runs it: the progress display, the proxy note, ranking with the
//! history, and the report recorded and kept for `apply`.

use rust_i18n::t;
use std::time::SystemTime;

use anyhow::{bail, Result};

use crate::catalogue::{self, Catalogue};
use crate::probe::{rank, Report, Unfinished};
use crate::registry::http::Clients;
use crate::settings::probe::{Probe, ProxyFrom};
use crate::ui::errors::Interrupted;
use crate::ui::output::Printer;

/// A probe as far as it got: the report of the mirrors that finished, and those Ctrl-C stopped.
#[derive(serde::Serialize)]
pub struct Probed {
    #[serde(flatten)]
    pub report: Report,
    /// Mirrors still being probed when Ctrl-C came (`--json`: `"interrupted"`, only when there are some).
    #[serde(rename = "interrupted", skip_serializing_if = "Vec::is_empty")]
    pub unfinished: Vec<Unfinished>,
}

/// Probes the selection of `catalogue`, ranks (with the history's record), records it in the history as run by
/// `origin` (`probe`, `apply`, `watch`), caches; returns the report for the caller to print. Ctrl-C during it is an
/// `Interrupted` error (exit 130), after the finished results are recorded.
pub async fn probe(
    args: &Probe,
    catalogue: &Catalogue,
    origin: &str,
    p: Printer,
) -> Result<Report> {
    let probed = probe_until_interrupted(args, catalogue, origin, p).await?;
    if !probed.unfinished.is_empty() {
        return Err(Interrupted.into());
    }
    Ok(probed.report)
}

/// `probe`, keeping what finished when Ctrl-C comes: the finished results are ranked and recorded in the history
/// (the unfinished ones say nothing about their mirrors and are left out), and the report is not cached for
/// `apply`, which must not take a partial probe for a whole one.
pub async fn probe_until_interrupted(
    args: &Probe,
    catalogue: &Catalogue,
    origin: &str,
    p: Printer,
) -> Result<Probed> {
    let settings = &args.run;
    let selection = catalogue.selection(args.all, &args.registry);
    if let Some(cloud) = crate::sys::cloud::detect() {
        let own: Vec<&str> = catalogue
            .mirrors
            .iter()
            .filter(|m| m.region.as_deref() == Some(cloud) && m.registry == args.registry)
            .map(|m| m.url.as_str())
            .collect();
        p.info_line(t!("probe.cloud", cloud = cloud, mirrors = own.join(", ")));
    }
    if selection.is_empty() {
        bail!("{}", t!("probe.nothing", registry = args.registry));
    }
    let route = match &args.proxy {
        ProxyFrom::Environment => crate::registry::route::Route::from_env(),
        ProxyFrom::Daemon(daemon_json) => match daemon_route(daemon_json).await {
            Some(r) => Some(r),
            None => crate::registry::route::Route::from_env(),
        },
    };
    if let Some(r) = &route {
        let shown = |u: &Option<reqwest::Url>| {
            u.as_ref()
                .map_or("-".to_owned(), |u| crate::targets::proxy::mask(u.as_str()))
        };
        p.info_line(t!(
            "probe.via_proxy",
            http = shown(&r.http),
            https = shown(&r.https),
            source = r.source
        ));
    }
    let clients = Clients::new(&args.certs_dir, route.clone())?;

    let bar = p.progress(selection.len() as u64, &t!("probe.progress"));
    // Ctrl-C (once the handler is in, the process no longer dies of it): the probe stops and keeps what finished.
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let (mut results, unfinished) = crate::probe::run(
        &selection,
        settings,
        &clients,
        |r| {
            bar.set_message(crate::ui::output::clean(&format!(
                "{} {}",
                r.name, r.status
            )));
            bar.inc(1);
        },
        ctrl_c,
    )
    .await;
    bar.finish_and_clear();

    explain_with_catalogue(&mut results, &selection);
    crate::probe::consensus::mark_stale(&mut results, args.expect_digest.as_deref());
    if unfinished.is_empty() {
        crate::probe::age::date_stale(&mut results, &clients, settings.timeout).await;
    }
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
        timeout_s: settings.timeout.as_secs_f64(),
        expect_digest: args.expect_digest.clone(),
        proxy: route,
        results,
    };
    if let Some(h) = history.as_mut() {
        crate::history::record(h, &report, origin, p);
    }
    if !unfinished.is_empty() {
        return Ok(Probed { report, unfinished });
    }
    if let Err(e) = crate::history::last_probe::save(&report) {
        // The measurement is still good; only its reuse by `apply` is lost.
        p.info_line(t!("probe.cache_failed", detail = format!("{e:#}")));
    }
    Ok(Probed { report, unfinished })
}

/// What an interrupted probe says after its table: which mirrors had not finished.
pub fn interrupted_line(unfinished: &[Unfinished]) -> String {
    let names: Vec<String> = unfinished
        .iter()
        .map(|u| crate::ui::output::outside(&u.name))
        .collect();
    t!(
        "probe.interrupted",
        count = unfinished.len(),
        names = names.join(", ")
    )
    .into_owned()
}

/// A 403 or a 429 reads differently when the catalogue knows why: an allowlist, a stated quota.
fn explain_with_catalogue(
    results: &mut [crate::probe::MirrorResult],
    selection: &[&catalogue::Mirror],
) {
    for r in results.iter_mut() {
        let Some(m) = selection.iter().find(|m| m.name == r.name) else {
            continue;
        };
        let known = match r.status {
            crate::probe::Status::Denied if m.allowlist => {
                Some(t!("fail.known_allowlist", provider = m.provider).into_owned())
            }
            crate::probe::Status::RateLimited => m.rate_limit.as_ref().map(|limit| {
                t!("fail.known_quota", provider = m.provider, limit = limit).into_owned()
            }),
            _ => None,
        };
        if let (Some(known), Some(error)) = (known, r.error.as_mut()) {
            *error = format!("{known} ({error})");
        }
    }
}
/// dockerd's own proxy, in the order dockerd applies them: daemon.json `proxies` over the unit's environment; the
/// live daemon's report when neither file says (it masks passwords, so it is the last resort).
async fn daemon_route(path: &std::path::Path) -> Option<crate::registry::route::Route> {
    let rootless = crate::sys::host::Host::get().rootless;
    let file = crate::sys::files::read(path)
        .ok()
        .flatten()
        .and_then(|b| crate::dockerd::parse::parse(&b).ok())
        .map(|m| crate::targets::proxy::from_json(&m));
    if let Some(p) = file {
        if let Some(r) = crate::registry::route::Route::new(
            p.http.as_deref(),
            p.https.as_deref(),
            p.no_proxy.as_deref(),
            "daemon.json proxies",
        ) {
            return Some(r);
        }
    }
    if let Ok(svc) =
        crate::sys::service::Service::detect(crate::sys::service::InitChoice::Auto, rootless)
    {
        if let Some(env) = svc.property("Environment").await {
            let p = crate::targets::proxy::parse_dropin(&format!("Environment={env}"));
            let source = format!("the {} unit's environment", svc.unit);
            if let Some(r) = crate::registry::route::Route::new(
                p.http.as_deref(),
                p.https.as_deref(),
                p.no_proxy.as_deref(),
                &source,
            ) {
                return Some(r);
            }
        }
    }
    let info = crate::sys::engine::Engine::from_env()
        .ok()?
        .info()
        .await
        .ok()?;
    if [&info.http_proxy, &info.https_proxy]
        .iter()
        .any(|p| p.contains("xxxxx"))
    {
        return None; // credentials masked by the daemon: we cannot use it as it is
    }
    crate::registry::route::Route::new(
        Some(&info.http_proxy),
        Some(&info.https_proxy),
        Some(&info.no_proxy),
        "the running dockerd",
    )
}
