//! `mirrorctl catalogue update`: a fresher catalogue without a new release. The file and its detached minisign
//! signature are fetched (or read), the signature verified against a pinned key (or the team's own), the catalogue
//! validated and refused if older than the one in use (a rollback), then stored atomically in the state directory,
//! where every command finds it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use rust_i18n::t;
use serde::{Deserialize, Serialize};

use crate::catalogue::Catalogue;
use crate::cli::CatalogueUpdateArgs;
use crate::daemon_config::files;

/// The project's release key (its secret half is kept by the maintainers, never in this repository).
pub const PINNED_KEY: &str = "RWSjEvTiAV6fzN2eh/Fk9ZnRBgR3zdHjny3Yt2Xxdr9XFEAMNPZ8vdeo";
/// Where the project publishes the catalogue; a team points `catalogue.url` in the user config at its own.
pub const DEFAULT_URL: &str = "https://example.invalid/mirrorctl/mirrors.toml";
/// A catalogue is a few kilobytes; anything near this is not one.
const LIMIT: usize = 4 * 1024 * 1024;

/// `$XDG_CONFIG_HOME/mirrorctl/config.toml`, `[catalogue] url = …, trust_key = …`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserConfig {
    #[serde(default)]
    catalogue: CatalogueSettings,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueSettings {
    url: Option<String>,
    trust_key: Option<String>,
}

fn user_config() -> Result<UserConfig> {
    let Some(path) = dirs::config_dir().map(|d| d.join("mirrorctl/config.toml")) else {
        return Ok(UserConfig::default());
    };
    match files::read(&path)? {
        None => Ok(UserConfig::default()),
        Some(b) => toml::from_str(&String::from_utf8_lossy(&b))
            .with_context(|| t!("update.bad_config", path = path.display())),
    }
}

#[derive(Debug, Serialize)]
pub struct UpdateReport {
    pub changed: bool,
    pub from: String,
    /// The `updated` date of the catalogue in use before, and now.
    pub previous: String,
    pub updated: String,
    pub entries: usize,
    pub path: String,
}

pub async fn update(args: &CatalogueUpdateArgs, p: crate::output::Printer) -> Result<UpdateReport> {
    let config = user_config()?;
    let from = args
        .from
        .clone()
        .or(config.catalogue.url)
        .unwrap_or_else(|| DEFAULT_URL.to_owned());
    let key_text = args
        .trust_key
        .clone()
        .or(config.catalogue.trust_key)
        .unwrap_or_else(|| PINNED_KEY.to_owned());
    let key = minisign_verify::PublicKey::from_base64(key_text.trim())
        .or_else(|_| minisign_verify::PublicKey::decode(&key_text))
        .map_err(|e| anyhow::anyhow!("{}", t!("update.bad_key", detail = e)))?;

    let (bytes, signature) = fetch(&from).await?;
    let signature = minisign_verify::Signature::decode(&String::from_utf8_lossy(&signature))
        .map_err(|e| {
            anyhow::anyhow!(
                "{}",
                t!("update.bad_signature_file", from = from, detail = e)
            )
        })?;
    key.verify(&bytes, &signature, false)
        .map_err(|e| crate::errors::Hinted {
            message: t!("update.not_signed", from = from, detail = e).into(),
            hint: t!("update.not_signed_hint").into(),
        })?;
    let text = String::from_utf8(bytes.clone()).context(t!("update.not_utf8"))?;
    let incoming = Catalogue::parse_updated(&text, Path::new(&from))
        .with_context(|| t!("update.invalid", from = from))?;
    if incoming.updated.is_empty() {
        bail!("{}", t!("update.no_date", from = from));
    }
    // Check and store under one lock: another update may have stored a newer catalogue since this one started,
    // and comparing against what was there before the wait would store the older one over it.
    let _lock = crate::lock::Lock::acquire("mirrorctl catalogue update", crate::lock::wait(), p)?;
    let current = Catalogue::base();
    let path = crate::catalogue::stored_path();
    let report = |changed: bool| UpdateReport {
        changed,
        from: from.clone(),
        previous: current.updated.clone(),
        updated: incoming.updated.clone(),
        entries: incoming.mirrors.len(),
        path: path.display().to_string(),
    };
    if incoming.updated < current.updated {
        return Err(crate::errors::Hinted {
            message: t!(
                "update.older",
                updated = incoming.updated,
                current = current.updated
            )
            .into(),
            hint: t!("update.older_hint").into(),
        }
        .into());
    }
    if incoming.updated == current.updated && files::read(&path)?.as_deref() == Some(&bytes[..]) {
        return Ok(report(false));
    }
    files::write_atomic(&path, &bytes, |_| Ok(()))?;
    Ok(report(true))
}

/// The catalogue and its signature: over HTTP(S) (`URL` and `URL.minisig`), or from files.
async fn fetch(from: &str) -> Result<(Vec<u8>, Vec<u8>)> {
    if from.starts_with("https://") || from.starts_with("http://") {
        crate::http::install_crypto();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .user_agent(crate::registry::USER_AGENT)
            .build()?;
        let get = |url: String| {
            let client = client.clone();
            async move {
                let r = client
                    .get(&url)
                    .send()
                    .await
                    .with_context(|| t!("update.cannot_fetch", url = url))?;
                if !r.status().is_success() {
                    bail!(
                        "{}",
                        t!("update.http_status", url = url, status = r.status())
                    );
                }
                let body = r
                    .bytes()
                    .await
                    .with_context(|| t!("update.cannot_fetch", url = url))?;
                if body.len() > LIMIT {
                    bail!("{}", t!("update.too_big", url = url));
                }
                Ok(body.to_vec())
            }
        };
        let bytes = get(from.to_owned()).await?;
        let sig = get(format!("{from}.minisig"))
            .await
            .map_err(|e| e.context(t!("update.no_signature", from = from).into_owned()))?;
        Ok((bytes, sig))
    } else {
        let path = Path::new(from);
        let bytes = files::read(path)?
            .ok_or_else(|| anyhow::anyhow!("{}", t!("update.no_file", path = from)))?;
        let sig_path = PathBuf::from(format!("{from}.minisig"));
        let sig = files::read(&sig_path)?
            .ok_or_else(|| anyhow::anyhow!("{}", t!("update.no_signature", from = from)))?;
        Ok((bytes, sig))
    }
}

pub fn render(r: &UpdateReport) -> String {
    if r.changed {
        format!(
            "{}\n",
            t!(
                "update.done",
                updated = r.updated,
                previous = r.previous,
                entries = r.entries,
                path = r.path
            )
        )
    } else {
        format!("{}\n", t!("update.same", updated = r.updated))
    }
}
