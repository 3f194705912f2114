//! The team cache: Debian's docker-registry (the CNCF distribution registry, 2.8) set up as a pull-through cache
//! in front of the best mirror (`setup`), watched (`status`, and `watch --cache` re-points it when its upstream
//! dies), and filled ahead of need (`warm`). The nodes then use it as their one mirror.

pub mod restore;
pub mod setup;
pub mod status;
pub mod warm;

use rust_i18n::t;

/// How a cache change is proven: `/v2/` answers, then a whole pull through it works (a probe of the cache alone,
/// reached directly, as the nodes reach it).
pub fn pull_through(url: String, probe: &crate::settings::Probe) -> crate::change::Verify {
    let certs_dir = probe.certs_dir.clone();
    let (probe, at) = (probe.clone(), url.clone());
    crate::change::Verify::Cache(
        url,
        certs_dir,
        Box::new(move |p| {
            let (probe, url) = (probe.clone(), at.clone());
            Box::pin(async move {
                let mut only = crate::catalogue::Catalogue {
                    updated: "cache".into(),
                    mirrors: vec![],
                };
                only.add_url(&url, &probe.registry)?;
                let report =
                    crate::commands::probe::probe(&probe.direct(), &only, "cache", p).await?;
                match report.results.first() {
                    Some(r) if r.ok => {
                        p.say_line(t!("tx.verified_cache", url = url, image = report.image));
                        Ok(())
                    }
                    r => anyhow::bail!(
                        "{}",
                        t!(
                            "tx.cache_cannot_pull",
                            url = url,
                            image = report.image,
                            reason = r.and_then(|r| r.error.clone()).unwrap_or_default()
                        )
                    ),
                }
            })
        }),
    )
}
