//! `mirrorctl catalogue update`: a fresher catalogue without a new release. The file and its detached minisign
//! signature are fetched (or read) — at most `LIMIT` bytes, within one deadline — the signature verified against a
//! pinned key (or the team's own) and the catalogue validated. Then, under the lock, the stored catalogue is read
//! again and the offer refused unless it is newer (`decide`: its date, its serial), or stored atomically in the
//! state directory, where every command finds it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use rust_i18n::t;
use serde::{Deserialize, Serialize};

use crate::catalogue::{Catalogue, Version};
use crate::registry::http::{BodyError, Deadline};
use crate::sys::files;
use crate::ui::errors::Hinted;

/// The project's release key (its secret half is kept by the maintainers, never in this repository).
pub const PINNED_KEY: &str = "RWSjEvTiAV6fzN2eh/Fk9ZnRBgR3zdHjny3Yt2Xxdr9XFEAMNPZ8vdeo";
/// Where the project publishes the catalogue; a team points `catalogue.url` in the user config at its own.
pub const DEFAULT_URL: &str = "https://example.invalid/mirrorctl/mirrors.toml";
/// A catalogue is a few kilobytes; anything near this is not one.
const LIMIT: usize = 4 * 1024 * 1024;
/// A minisign signature is a few hundred bytes.
const SIGNATURE_LIMIT: usize = 16 * 1024;
/// The whole fetch, the catalogue and its signature: `MIRRORCTL_CATALOGUE_TIMEOUT_SECS`, else a minute.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

fn timeout() -> Duration {
    std::env::var("MIRRORCTL_CATALOGUE_TIMEOUT_SECS")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .filter(|&s| s > 0)
        .map_or(DEFAULT_TIMEOUT, |s| Duration::from_secs(s.min(86_400)))
}

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

/// As root the file (and every directory above it) must be one no other user can change — under `sudo -E` the
/// config dir is the invoking user's, and its `trust_key` would decide what root installs: such a file is ignored,
/// with a warning.
fn user_config(p: crate::ui::output::Printer) -> Result<UserConfig> {
    let Some(path) = dirs::config_dir().map(|d| d.join("mirrorctl/config.toml")) else {
        return Ok(UserConfig::default());
    };
    if path.exists() {
        if let Err(e) = crate::sys::state::check(&path) {
            p.info_line(t!("update.config_ignored", detail = format!("{e:#}")));
            return Ok(UserConfig::default());
        }
    }
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
    /// The `serial` of the catalogue in use before, and now (0 for a file without one).
    pub previous_serial: u64,
    pub serial: u64,
    pub entries: usize,
    pub path: String,
}

/// `from` and `trust_key` as the user gave them (`--from`, `--trust-key`), else the user config's, else ours.
pub async fn update(
    from: Option<String>,
    trust_key: Option<String>,
    p: crate::ui::output::Printer,
) -> Result<UpdateReport> {
    let config = user_config(p)?;
    let from = from
        .or(config.catalogue.url)
        .unwrap_or_else(|| DEFAULT_URL.to_owned());
    let key_text = trust_key
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
    key.verify(&bytes, &signature, false).map_err(|e| Hinted {
        message: t!("update.not_signed", from = from, detail = e).into(),
        hint: t!("update.not_signed_hint").into(),
    })?;
    let text = std::str::from_utf8(&bytes).context(t!("update.not_utf8"))?;
    let incoming = Catalogue::parse_updated(text, Path::new(&from))
        .with_context(|| t!("update.invalid", from = from))?;
    if incoming.version.date.is_none() {
        bail!("{}", t!("update.no_date", from = from));
    }

    // Check and store under one lock: another update may have stored a newer catalogue since this one started,
    // and comparing against what was there before the wait would store the older one over it.
    let _lock =
        crate::sys::lock::Lock::acquire("mirrorctl catalogue update", crate::sys::lock::wait(), p)?;
    let stored_bytes = crate::catalogue::read_stored()?;
    let stored = stored_bytes
        .as_deref()
        .and_then(crate::catalogue::parse_stored);
    let stored_version = stored.as_ref().map(|s| s.version);
    let (in_use, stored_in_use) =
        crate::catalogue::in_use_of(Catalogue::builtin_versioned(), stored);
    let path = crate::catalogue::stored_path();
    let changed = decide(
        incoming.version,
        in_use.version,
        stored_version,
        stored_in_use && stored_bytes.as_deref() == Some(&bytes[..]),
    )?;
    if changed {
        files::write_atomic(&path, &bytes, |_| Ok(()))?;
    }
    Ok(UpdateReport {
        changed,
        from,
        previous: in_use.catalogue.updated,
        updated: incoming.catalogue.updated,
        previous_serial: in_use.version.serial,
        serial: incoming.version.serial,
        entries: incoming.catalogue.mirrors.len(),
        path: path.display().to_string(),
    })
}

/// Whether the offered catalogue replaces the one in use (`Ok(true)`), is that very file already (`Ok(false)`),
/// or is refused, with why:
/// - its `updated` date is before the one in use: a rollback;
/// - it is not newer than the one in use (the same day, a serial not higher): a replay, or a file re-published
///   the same day without a higher serial;
/// - the stored catalogue has a serial and the offer's is not higher (a file without `serial` counts as 0, so it
///   can never replace a stored one that has a serial): a rollback.
///
/// A stored catalogue without a serial (0) asks nothing of the offer's serial: between two catalogues without one,
/// a later date is newer.
pub fn decide(
    incoming: Version,
    in_use: Version,
    stored: Option<Version>,
    same_file_in_use: bool,
) -> Result<bool, Hinted> {
    let day = |v: Version| v.date.map(|d| d.to_string()).unwrap_or_default();
    if same_file_in_use {
        return Ok(false);
    }
    if incoming.date < in_use.date {
        return Err(Hinted {
            message: t!(
                "update.older",
                updated = day(incoming),
                current = day(in_use)
            )
            .into(),
            hint: t!("update.older_hint").into(),
        });
    }
    if incoming <= in_use {
        return Err(Hinted {
            message: t!(
                "update.same_day",
                updated = day(incoming),
                serial = incoming.serial,
                current = in_use.serial
            )
            .into(),
            hint: t!("update.serial_hint").into(),
        });
    }
    if let Some(stored) = stored.filter(|s| s.serial > 0 && incoming.serial <= s.serial) {
        return Err(Hinted {
            message: t!(
                "update.serial_not_higher",
                serial = incoming.serial,
                current = stored.serial
            )
            .into(),
            hint: t!("update.serial_hint").into(),
        });
    }
    Ok(true)
}

/// The catalogue and its signature: over HTTP(S) (`URL` and `URL.minisig`, both within one deadline), or from
/// files (at most the files module's limit each).
async fn fetch(from: &str) -> Result<(Vec<u8>, Vec<u8>)> {
    if from.starts_with("https://") || from.starts_with("http://") {
        crate::registry::http::install_crypto();
        let client = reqwest::Client::builder()
            .user_agent(crate::registry::USER_AGENT)
            .build()?;
        let budget = timeout();
        let deadline = Deadline::after(budget);
        let get = |url: String, limit: usize| {
            let client = client.clone();
            async move {
                let r = match deadline.run(client.get(&url).send()).await {
                    Ok(Ok(r)) => r,
                    Ok(Err(e)) => return Err(body_error(e.into(), &url, budget)),
                    Err(e) => return Err(body_error(e, &url, budget)),
                };
                if !r.status().is_success() {
                    bail!(
                        "{}",
                        t!("update.http_status", url = url, status = r.status())
                    );
                }
                crate::registry::http::read_bounded(r, limit, deadline)
                    .await
                    .map_err(|e| body_error(e, &url, budget))
            }
        };
        let bytes = get(from.to_owned(), LIMIT).await?;
        let sig = get(format!("{from}.minisig"), SIGNATURE_LIMIT)
            .await
            .map_err(|e| e.context(t!("update.no_signature", from = from).into_owned()))?;
        Ok((bytes, sig))
    } else {
        let path = Path::new(from);
        let bytes = read_file(path, LIMIT)?
            .ok_or_else(|| anyhow::anyhow!("{}", t!("update.no_file", path = from)))?;
        let sig_path = PathBuf::from(format!("{from}.minisig"));
        let sig = read_file(&sig_path, SIGNATURE_LIMIT)?
            .ok_or_else(|| anyhow::anyhow!("{}", t!("update.no_signature", from = from)))?;
        Ok((bytes, sig))
    }
}

/// A file of at most `limit` bytes (`files::read` stops at its own, larger, limit and refuses what is not a
/// regular file, such as /dev/zero).
fn read_file(path: &Path, limit: usize) -> Result<Option<Vec<u8>>> {
    let bytes = files::read(path)?;
    if bytes.as_ref().is_some_and(|b| b.len() > limit) {
        return Err(Hinted {
            message: t!("update.too_big", url = path.display()).into(),
            hint: t!("update.too_big_hint", limit = limit_text(limit)).into(),
        }
        .into());
    }
    Ok(bytes)
}

fn limit_text(limit: usize) -> String {
    crate::ui::text::bytes(limit as f64)
}

/// What a failed fetch says: too large or too slow with what to do, else the transport's own error.
fn body_error(e: BodyError, url: &str, budget: Duration) -> anyhow::Error {
    match e {
        BodyError::TooLarge { limit } => anyhow::Error::new(Hinted {
            message: t!("update.too_big", url = url).into(),
            hint: t!("update.too_big_hint", limit = limit_text(limit)).into(),
        }),
        BodyError::Deadline { .. } => anyhow::Error::new(Hinted {
            message: t!("update.too_slow", url = url, secs = budget.as_secs()).into(),
            hint: t!("update.too_slow_hint").into(),
        }),
        BodyError::Read(e) => {
            anyhow::Error::new(e).context(t!("update.cannot_fetch", url = url).into_owned())
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Date;

    fn v(day: &str, serial: u64) -> Version {
        Version {
            date: Date::parse(day),
            serial,
        }
    }

    fn refused(r: Result<bool, Hinted>) -> String {
        r.expect_err("refused").message
    }

    #[test]
    fn an_offer_is_taken_only_when_newer_by_date_then_serial() {
        let in_use = v("2027-09-30", 0);
        assert_eq!(
            decide(v("2027-10-01", 0), in_use, Some(in_use), false).ok(),
            Some(true)
        );
        assert!(refused(decide(v("2027-09-29", 9), in_use, Some(in_use), false)).contains("older"));
        assert_eq!(
            decide(v("2027-09-30", 1), in_use, Some(in_use), false).ok(),
            Some(true)
        );
        // The very file in use: nothing to do, whatever its version.
        assert_eq!(decide(in_use, in_use, Some(in_use), true).ok(), Some(false));
    }

    #[test]
    fn a_same_day_replay_is_refused() {
        let in_use = v("2027-10-01", 4);
        for serial in [0, 3, 4] {
            let e = refused(decide(v("2027-10-01", serial), in_use, Some(in_use), false));
            assert!(
                e.contains("replay") && e.contains("(2027-10-01)"),
                "{serial}: {e}"
            );
        }
        assert_eq!(
            decide(v("2027-10-01", 5), in_use, Some(in_use), false).ok(),
            Some(true)
        );
    }

    #[test]
    fn a_catalogue_without_serial_never_replaces_a_stored_one_with_a_serial() {
        let stored = v("2027-10-01", 4);
        for serial in [0, 4] {
            let e = refused(decide(v("2099-01-01", serial), stored, Some(stored), false));
            assert!(e.contains("rollback") && e.contains("(4)"), "{serial}: {e}");
        }
        assert_eq!(
            decide(v("2099-01-01", 5), stored, Some(stored), false).ok(),
            Some(true)
        );
        // With no stored update, the built-in catalogue's serial orders only the same day.
        let builtin = v("2026-11-25", 1);
        assert_eq!(
            decide(v("2099-01-01", 0), builtin, None, false).ok(),
            Some(true)
        );
        assert!(refused(decide(v("2026-11-25", 0), builtin, None, false)).contains("replay"));
        // A stored update the built-in one has overtaken still holds its serial against the next one.
        let old = v("2026-01-01", 7);
        assert!(
            refused(decide(v("2099-01-01", 0), builtin, Some(old), false)).contains("rollback")
        );
    }
}
