//! The mirror catalogue: the built-in, dated list plus whatever the user adds, and dockerd's URL rules.

pub mod update;

use rust_i18n::t;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// Mirrors open and close monthly; past this age the built-in list deserves a warning.
pub const STALE_DAYS: u64 = 180;

/// The user's own catalogue, merged over the built-in one: `$XDG_CONFIG_HOME/mirrorctl/mirrors.toml`.
pub fn user_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("mirrorctl").join("mirrors.toml"))
}

/// The catalogue shipped inside the binary, so that `probe` works on a fresh machine with no files.
pub const BUILTIN: &str = include_str!("../../catalogue/mirrors.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Active,
    Restricted,
    Closed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "path")]
pub enum Origin {
    BuiltIn,
    File(PathBuf),
    CommandLine,
}

#[derive(Debug, Clone, Serialize)]
pub struct Mirror {
    pub name: String,
    /// As written in the catalogue; `normalized` is what dockerd would store and `docker info` would print.
    pub url: String,
    pub provider: String,
    pub status: Status,
    pub notes: String,
    /// The notes in Chinese, when the catalogue has them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes_zh: Option<String>,
    pub sources: Vec<String>,
    pub checked: Option<String>,
    pub template: bool,
    pub origin: Origin,
    /// The registry this mirror stands in for: docker.io, ghcr.io, registry.k8s.io, …
    pub registry: String,
    /// The quota its operator states (`20/min`, `100/h`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<String>,
    /// Whether pulling needs an account: none, optional (more quota), required.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login: Option<Login>,
    /// Who can reach it: any, mainland (China), aliyun / tencent / huawei (that cloud's machines), or a campus.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// It serves only the images on its allowlist (403 for others, often at the blob step).
    pub allowlist: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Login {
    None,
    Optional,
    Required,
}

/// Requests one probe spends on a mirror at most: ping, token, index, manifest, blob, and one retry.
pub const REQUESTS_PER_PROBE: u32 = 6;

/// A stated quota (`20/min`, `100/h`, `1000/day`) as requests per second; `None` when it does not read as one.
pub fn quota_per_sec(limit: &str) -> Option<f64> {
    let (n, per) = limit.split_once('/')?;
    let n: f64 = n.trim().parse().ok()?;
    let secs = match per.trim() {
        "s" | "sec" | "second" => 1.0,
        "min" | "minute" | "m" => 60.0,
        "h" | "hour" => 3600.0,
        "d" | "day" => 86_400.0,
        _ => return None,
    };
    (n > 0.0).then_some(n / secs)
}

impl Mirror {
    /// The shortest period between probes that stays inside this mirror's stated quota, for one machine.
    /// A quota so small (`1e-20/s`) that the period is past what a `Duration` holds: never, the longest there is.
    pub fn min_probe_period(&self) -> Option<std::time::Duration> {
        let rate = quota_per_sec(self.rate_limit.as_deref()?)?;
        Some(
            std::time::Duration::try_from_secs_f64(f64::from(REQUESTS_PER_PROBE) / rate)
                .unwrap_or(std::time::Duration::MAX),
        )
    }

    /// Access facts for people, in one short line: `20/min · allowlist · login optional · mainland`.
    pub fn access(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(r) = &self.rate_limit {
            parts.push(r.clone());
        }
        if self.allowlist {
            parts.push(t!("access.allowlist").into_owned());
        }
        match self.login {
            Some(Login::Optional) => parts.push(t!("access.login_optional").into_owned()),
            Some(Login::Required) => parts.push(t!("access.login_required").into_owned()),
            _ => {}
        }
        if let Some(r) = self.region.as_deref().filter(|r| *r != "any") {
            parts.push(match r {
                "mainland" => t!("access.mainland").into_owned(),
                "aliyun" => t!("access.cloud", cloud = "Aliyun").into_owned(),
                "tencent" => t!("access.cloud", cloud = "Tencent Cloud").into_owned(),
                "huawei" => t!("access.cloud", cloud = "Huawei Cloud").into_owned(),
                campus => t!("access.campus", campus = campus).into_owned(),
            });
        }
        parts.join(" · ")
    }

    /// The notes in the user's language (Chinese when the catalogue has them and the locale is zh).
    pub fn notes_local(&self) -> &str {
        match &self.notes_zh {
            Some(zh) if &*rust_i18n::locale() == "zh-CN" => zh,
            _ => &self.notes,
        }
    }

    /// dockerd's form of the URL (`https://host/`); templates have none until the user fills them in.
    pub fn normalized(&self) -> Option<String> {
        (!self.template)
            .then(|| validate_mirror(&self.url).ok())
            .flatten()
    }
}

#[derive(Debug, Clone)]
pub struct Catalogue {
    /// `[catalogue] updated` of a file, as `YYYY-MM-DD` (checked when read; empty when the file has none); a label
    /// such as "command line" for a catalogue made in memory.
    pub updated: String,
    pub mirrors: Vec<Mirror>,
}

/// A catalogue's `updated` day: `YYYY-MM-DD`, a day that exists (2027-02-29 does not), ordered as days are
/// (2027-10-01 comes after 2027-09-30, which a comparison of the strings "2027-6-1" and "2027-10-01" gets wrong).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// Exactly `YYYY-MM-DD` with zero-padded digits, year 0001 to 9999; `None` for anything else.
    pub fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let number = |digits: &[u8]| {
            digits.iter().try_fold(0u16, |n, &c| {
                c.is_ascii_digit().then(|| n * 10 + u16::from(c - b'0'))
            })
        };
        let (year, month, day) = (number(&b[0..4])?, number(&b[5..7])?, number(&b[8..10])?);
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        if year == 0 || day == 0 || day > days {
            return None;
        }
        Some(Date {
            year,
            month: u8::try_from(month).ok()?,
            day: u8::try_from(day).ok()?,
        })
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Checked while the file is read, so toml locates a bad date (line and column, the line quoted) as it does any
/// other bad value. A string, or TOML's own unquoted date (`updated = 2026-11-25`), which toml hands over as a
/// datetime; a datetime with a time of day is not a date.
impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Written;
        impl<'de> serde::de::Visitor<'de> for Written {
            type Value = String;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a date, \"YYYY-MM-DD\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<String, E> {
                Ok(v.to_owned())
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<String, A::Error> {
                let written = toml::value::Datetime::deserialize(
                    serde::de::value::MapAccessDeserializer::new(map),
                )?;
                Ok(written.to_string())
            }
        }
        let text = d.deserialize_any(Written)?;
        Date::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(t!(
                "catalogue.bad_date",
                value = text.escape_debug().to_string()
            ))
        })
    }
}

/// Which of two catalogues is newer: the later `updated` day, and on the same day the higher `serial`. A file
/// without `serial` counts as serial 0. (`catalogue update` asks more: see `catalogue_update::decide`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Version {
    pub date: Option<Date>,
    pub serial: u64,
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.date {
            Some(d) => write!(f, "{d}")?,
            None => write!(f, "-")?,
        }
        write!(f, ", serial {}", self.serial)
    }
}

/// A catalogue read from a file, with its version.
#[derive(Debug, Clone)]
pub struct Versioned {
    pub catalogue: Catalogue,
    pub version: Version,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileFormat {
    /// Optional in a user's own file; the built-in one has it (a unit test checks).
    #[serde(default)]
    catalogue: Header,
    #[serde(default, rename = "mirror")]
    mirrors: Vec<Entry>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Header {
    #[serde(default)]
    updated: Option<Date>,
    /// Grows with every catalogue published; see the header comment of catalogue/mirrors.toml.
    #[serde(default)]
    serial: Option<u64>,
    /// The registry entries stand in for unless they say otherwise (default docker.io).
    #[serde(default)]
    registry: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    url: String,
    #[serde(default)]
    provider: String,
    status: Status,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    notes_zh: Option<String>,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    checked: Option<String>,
    #[serde(default)]
    template: bool,
    #[serde(default)]
    registry: Option<String>,
    #[serde(default)]
    rate_limit: Option<String>,
    #[serde(default)]
    login: Option<Login>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    allowlist: bool,
}

impl Catalogue {
    /// The built-in catalogue alone: for tests. Commands judge by the one in use (`in_use`: updated or user's).
    #[cfg(test)]
    pub fn builtin() -> Self {
        Self::builtin_versioned().catalogue
    }

    /// The built-in catalogue with its version.
    pub fn builtin_versioned() -> Versioned {
        Self::parse_versioned(BUILTIN, Origin::BuiltIn)
            .expect("the built-in catalogue is checked by a unit test")
    }

    pub fn load(path: &Path) -> Result<Self> {
        let text = crate::sys::files::read_text(path)
            .with_context(|| t!("catalogue.unreadable", path = path.display()))?;
        Self::parse(&text, Origin::File(path.to_owned()))
            .with_context(|| t!("catalogue.invalid", path = path.display()))
    }

    /// The newer of the built-in catalogue and the one `catalogue update` accepted (a verified, signed file).
    pub fn base() -> Self {
        in_use_of(Self::builtin_versioned(), stored()).0.catalogue
    }

    /// Where `base` comes from, for `list`.
    pub fn base_origin() -> String {
        match in_use_of(Self::builtin_versioned(), stored()) {
            (_, true) => stored_path().display().to_string(),
            (_, false) => "built-in".to_owned(),
        }
    }

    /// An updated catalogue, as `catalogue update` validates it: entries as strict as the built-in one's.
    pub fn parse_updated(text: &str, from: &Path) -> Result<Versioned> {
        let _ = from;
        Self::parse_versioned(text, Origin::BuiltIn)
    }

    /// The built-in (or updated) catalogue with the user's own file merged over it: what every command — `show`
    /// and `doctor` too — knows of mirrors (a campus mirror the user marked active is not "closed" anywhere).
    pub fn in_use() -> Result<Self> {
        let mut c = Self::base();
        if let Some(path) = user_path().filter(|p| p.exists()) {
            c.merge(Self::load(&path)?);
        }
        Ok(c)
    }

    fn parse(text: &str, origin: Origin) -> Result<Self> {
        Ok(Self::parse_versioned(text, origin)?.catalogue)
    }

    fn parse_versioned(text: &str, origin: Origin) -> Result<Versioned> {
        // toml's error already says line and column and quotes the offending line (a bad `updated` date too).
        let file: FileFormat = toml::from_str(text)?;
        let default_registry = file
            .catalogue
            .registry
            .clone()
            .unwrap_or_else(|| "docker.io".into());
        // One pass over the names, whatever the size of the file (a linear search per entry took 28 s for 69,121).
        if let Some(e) = first_duplicate(&file.mirrors, |e| e.name.as_str()) {
            bail!("{}", t!("catalogue.duplicate", name = e.name));
        }
        let mut mirrors: Vec<Mirror> = Vec::with_capacity(file.mirrors.len());
        for e in file.mirrors {
            if !e.template {
                validate_mirror(&e.url).map_err(|err| {
                    anyhow::anyhow!("{}", t!("catalogue.bad_entry", name = e.name, detail = err))
                })?;
            }
            // A catalogue names registries that become directory names (certs.d/<registry>/hosts.toml).
            let registry = e.registry.unwrap_or_else(|| default_registry.clone());
            validate_registry(&registry).map_err(|err| {
                anyhow::anyhow!("{}", t!("catalogue.bad_entry", name = e.name, detail = err))
            })?;
            mirrors.push(Mirror {
                name: e.name,
                url: e.url,
                provider: e.provider,
                status: e.status,
                notes: e.notes,
                notes_zh: e.notes_zh,
                sources: e.sources,
                checked: e.checked,
                template: e.template,
                origin: origin.clone(),
                registry,
                rate_limit: e.rate_limit,
                login: e.login,
                region: e.region,
                allowlist: e.allowlist,
            });
        }
        let version = Version {
            date: file.catalogue.updated,
            serial: file.catalogue.serial.unwrap_or(0),
        };
        Ok(Versioned {
            catalogue: Self {
                updated: version.date.map(|d| d.to_string()).unwrap_or_default(),
                mirrors,
            },
            version,
        })
    }

    /// Entries of `other` replace the same-named ones (to override a status or notes) or are added after them.
    pub fn merge(&mut self, other: Catalogue) {
        merge_by(&mut self.mirrors, other.mirrors, |m| m.name.as_str());
    }

    /// How old the catalogue is, in days, when that is more than `STALE_DAYS`.
    pub fn stale_days(&self, now: std::time::SystemTime) -> Option<u64> {
        let updated = humantime::parse_rfc3339_weak(&format!("{} 00:00:00", self.updated)).ok()?;
        let days = now.duration_since(updated).ok()?.as_secs() / 86_400;
        (days > STALE_DAYS).then_some(days)
    }

    /// Adds a mirror the user named on the command line, unless the catalogue already has the same address.
    pub fn add_url(&mut self, url: &str, registry: &str) -> Result<()> {
        // The error itself shows the URL with any password masked; never echo the raw argument.
        let normalized = validate_mirror(url).context(t!("catalogue.bad_mirror_flag"))?;
        if self
            .mirrors
            .iter()
            .any(|m| m.normalized().as_deref() == Some(normalized.as_str()))
        {
            // Still probe it even when the catalogue calls it closed: the user asked for it by name.
            for m in self
                .mirrors
                .iter_mut()
                .filter(|m| m.normalized().as_deref() == Some(&normalized))
            {
                m.origin = Origin::CommandLine;
            }
            return Ok(());
        }
        let host = reqwest::Url::parse(&normalized)
            .ok()
            .and_then(|u| {
                u.host_str().map(|h| match u.port() {
                    Some(p) => format!("{h}:{p}"),
                    None => h.to_owned(),
                })
            })
            .unwrap_or_else(|| normalized.clone());
        self.mirrors.push(Mirror {
            name: host,
            url: url.to_owned(),
            provider: String::new(),
            status: Status::Active,
            notes: "given with --mirror".into(),
            notes_zh: Some("由 --mirror 指定".into()),
            sources: vec![],
            checked: None,
            template: false,
            origin: Origin::CommandLine,
            registry: registry.to_owned(),
            rate_limit: None,
            login: None,
            region: None,
            allowlist: false,
        });
        Ok(())
    }

    /// What `probe` tests for a registry: usable entries, closed ones only with `--all`, and every mirror the user
    /// named.
    pub fn selection(&self, include_closed: bool, registry: &str) -> Vec<&Mirror> {
        self.selection_on(include_closed, registry, crate::sys::cloud::detect())
    }

    /// `selection` on a machine of `cloud`: a cloud's own mirror (region aliyun, tencent, huawei) answers only
    /// that cloud's machines, so it is probed there (or with `--all`) and not elsewhere.
    pub fn selection_on(
        &self,
        include_closed: bool,
        registry: &str,
        cloud: Option<&str>,
    ) -> Vec<&Mirror> {
        self.mirrors
            .iter()
            .filter(|m| !m.template && m.registry == registry)
            .filter(|m| {
                include_closed || m.status != Status::Closed || m.origin == Origin::CommandLine
            })
            .filter(|m| match m.region.as_deref() {
                Some(r @ ("aliyun" | "tencent" | "huawei")) => {
                    include_closed || cloud == Some(r) || m.origin == Origin::CommandLine
                }
                _ => true,
            })
            .collect()
    }

    /// Finds the entry for an address as dockerd stores it, to annotate configs and old reports.
    pub fn find_by_url(&self, url: &str) -> Option<&Mirror> {
        let wanted = validate_mirror(url).ok()?;
        self.mirrors
            .iter()
            .find(|m| m.normalized().as_deref() == Some(wanted.as_str()))
    }
}

/// The first item whose key an earlier item has. Each key is read once and hashed: linear in the number of items.
fn first_duplicate<'a, T>(items: &'a [T], mut key: impl FnMut(&'a T) -> &'a str) -> Option<&'a T> {
    let mut seen: HashSet<&str> = HashSet::with_capacity(items.len());
    items.iter().find(|item| !seen.insert(key(item)))
}

/// `other`'s items replace `base`'s items of the same key, in place, or are added at the end, in their order (a
/// later one of the same key replacing an earlier). Each key is read once: linear in both lengths.
fn merge_by<T>(base: &mut Vec<T>, other: Vec<T>, mut key: impl FnMut(&T) -> &str) {
    let mut at: HashMap<String, usize> = HashMap::with_capacity(base.len() + other.len());
    for (i, item) in base.iter().enumerate() {
        // The first of equal keys, as a search from the start would find it.
        at.entry(key(item).to_owned()).or_insert(i);
    }
    for item in other {
        let k = key(&item).to_owned();
        match at.get(&k) {
            Some(&i) => base[i] = item,
            None => {
                at.insert(k, base.len());
                base.push(item);
            }
        }
    }
}

/// Identifies a set of probed mirrors, so `apply` can tell whether a cached report measured the same list.
pub fn fingerprint<'a>(mirrors: impl IntoIterator<Item = &'a Mirror>) -> String {
    let mut urls: Vec<String> = mirrors.into_iter().filter_map(Mirror::normalized).collect();
    urls.sort();
    let digest = Sha256::digest(urls.join("\n").as_bytes());
    hex::encode(&digest[..8])
}

/// dockerd's URL rule lives with dockerd (`dockerd::mirror_url`); the catalogue checks its entries by it.
pub use crate::dockerd::mirror_url::validate_mirror;
#[cfg(test)]
use crate::dockerd::mirror_url::MirrorUrlError;

/// A registry name as runtimes key their files by it: `host[:port]`, lower-case DNS labels or an IP, nothing that
/// could become a path (`/`, `..`), a TOML or systemd directive, or a terminal escape.
pub fn validate_registry(raw: &str) -> Result<String, String> {
    let bad = || {
        Err(t!(
            "url.bad_registry",
            registry = raw.escape_debug().to_string()
        )
        .into_owned())
    };
    let (host, port) = match raw.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h, Some(p)),
        _ => (raw, None),
    };
    if port.is_some_and(|p| p.parse::<u16>().map_or(true, |n| n == 0)) {
        return bad();
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    if host.is_empty() || host.len() > 253 || !host.split('.').all(label_ok) {
        return bad();
    }
    Ok(raw.to_owned())
}

/// A catalogue's `updated` for a sentence ("catalogue of …"): a file that states no date says so, rather than
/// leaving "catalogue of ." (the JSON keeps the empty string: no date is no date).
pub fn shown_updated(updated: &str) -> String {
    if updated.trim().is_empty() {
        t!("catalogue.undated").into_owned()
    } else {
        updated.to_owned()
    }
}

/// Where an accepted update is kept.
pub fn stored_path() -> PathBuf {
    crate::sys::state::state_dir().join("catalogue.toml")
}

/// The updated catalogue, when one was accepted and still reads back as valid.
pub fn stored() -> Option<Versioned> {
    // As root, a catalogue in a state directory another user can change is not one to use (the trust rule).
    crate::sys::state::check(&stored_path()).ok()?;
    let bytes = crate::sys::files::read(&stored_path()).ok()??;
    parse_stored(&bytes)
}

/// The stored catalogue's bytes as read (`None` when there is none), for `catalogue update` to compare under the
/// lock. A read error is an error here: the update would not be able to replace the file either.
pub fn read_stored() -> Result<Option<Vec<u8>>> {
    crate::sys::files::read(&stored_path())
}

/// A stored catalogue that no longer reads as valid (written by another mirrorctl) is not used, as if absent.
/// The last one parsed is kept with its bytes: `list` needs it twice (its entries, and which catalogue is in use),
/// and for a big one the parse is most of the time; other bytes are parsed afresh.
pub fn parse_stored(bytes: &[u8]) -> Option<Versioned> {
    static LAST: std::sync::Mutex<Option<(Vec<u8>, Option<Versioned>)>> =
        std::sync::Mutex::new(None);
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, parsed)) = last.as_ref().filter(|(seen, _)| seen.as_slice() == bytes) {
        return parsed.clone();
    }
    let parsed = std::str::from_utf8(bytes)
        .ok()
        .and_then(|text| Catalogue::parse_updated(text, &stored_path()).ok());
    *last = Some((bytes.to_vec(), parsed.clone()));
    parsed
}

/// The catalogue in use of the built-in one and the stored one: the newer by `Version` (the built-in one when
/// they are equal), and whether that is the stored one.
pub fn in_use_of(builtin: Versioned, stored: Option<Versioned>) -> (Versioned, bool) {
    match stored {
        Some(s) if s.version > builtin.version => (s, true),
        _ => (builtin, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_2026_catalogue_is_sourced_dated_and_covers_every_registry() {
        let c = Catalogue::builtin();
        assert!(c.mirrors.len() >= 40, "{} entries", c.mirrors.len());
        for m in &c.mirrors {
            assert!(
                !m.sources.is_empty() && m.checked.is_some(),
                "{} lacks sources or a date",
                m.name
            );
            assert!(m.notes_zh.is_some(), "{} lacks Chinese notes", m.name);
        }
        for reg in [
            "ghcr.io",
            "quay.io",
            "registry.k8s.io",
            "gcr.io",
            "mcr.microsoft.com",
            "nvcr.io",
            "docker.elastic.co",
        ] {
            assert!(
                c.mirrors.iter().any(|m| m.registry == reg),
                "no mirror of {reg}"
            );
        }
        let status = |host: &str| {
            c.mirrors
                .iter()
                .find(|m| m.url.contains(host))
                .map(|m| m.status)
        };
        for closed in [
            "docker.rainbond.cc",
            "docker-0.unsee.tech",
            "docker.kejilion.pro",
            "docker.1panelproxy.com",
            "docker.aityp.com",
            "hub.rat.dev",
        ] {
            assert_eq!(status(closed), Some(Status::Closed), "{closed}");
        }
        let dao = c.mirrors.iter().find(|m| m.name == "daocloud").unwrap();
        assert!(dao.allowlist && dao.rate_limit.as_deref() == Some("20/min"));
        assert_eq!(
            dao.min_probe_period(),
            Some(std::time::Duration::from_secs(18))
        );
        // Every stated quota in the catalogue reads as one.
        for m in c.mirrors.iter().filter(|m| m.rate_limit.is_some()) {
            assert!(
                m.min_probe_period().is_some(),
                "{}: {:?}",
                m.name,
                m.rate_limit
            );
        }
        assert_eq!(quota_per_sec("100/h"), Some(100.0 / 3600.0));
        assert_eq!(quota_per_sec("1000/day"), Some(1000.0 / 86_400.0));
        assert_eq!(quota_per_sec("lots"), None);
        assert_eq!(
            c.mirrors
                .iter()
                .find(|m| m.name == "xuanyuan")
                .unwrap()
                .rate_limit
                .as_deref(),
            Some("100/h")
        );
    }

    #[test]
    fn a_clouds_own_mirror_is_probed_on_that_cloud_only() {
        let c = Catalogue::builtin();
        let has = |cloud, name: &str| {
            c.selection_on(false, "docker.io", cloud)
                .iter()
                .any(|m| m.name == name)
        };
        assert!(!has(None, "tencent") && !has(None, "huawei-swr"));
        assert!(has(Some("tencent"), "tencent") && !has(Some("tencent"), "huawei-swr"));
        assert!(has(Some("huawei"), "huawei-swr"));
        assert!(
            c.selection_on(true, "docker.io", None)
                .iter()
                .any(|m| m.name == "tencent"),
            "--all"
        );
    }

    #[test]
    fn registry_names_that_cannot_become_paths_or_directives() {
        for ok in [
            "docker.io",
            "ghcr.io",
            "registry.k8s.io",
            "127.0.0.1:5000",
            "reg-1.lan:443",
        ] {
            assert_eq!(validate_registry(ok).as_deref(), Ok(ok));
        }
        for bad in [
            "../../escape",
            "/etc",
            "a/b",
            "..",
            ".",
            "",
            "Docker.io",
            "a\"b",
            "a\nb",
            "a..b",
            "-a.io",
            "a.io:0",
            "a.io:x",
            "a.io:99999",
            "a b",
            "\u{1b}[2J",
        ] {
            assert!(validate_registry(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn builtin_catalogue_parses_and_names_the_common_guides_mirrors() {
        let c = Catalogue::builtin();
        for host in [
            "docker.1ms.run",
            "docker.m.daocloud.io",
            "dockerproxy.net",
            "docker.1panel.live",
            "docker.xuanyuan.me",
            "docker.rainbond.cc",
            "docker.imgdb.de",
            "docker-0.unsee.tech",
            "mirror.ccs.tencentyun.com",
            "mirror.aliyuncs.com",
            "swr.cn-north-4.myhuaweicloud.com",
            "docker.mirrors.ustc.edu.cn",
            "docker.mirrors.sjtug.sjtu.edu.cn",
            "docker.nju.edu.cn",
            "hub-mirror.c.163.com",
            "mirror.baidubce.com",
            "reg-mirror.qiniu.com",
            "registry.docker-cn.com",
            "dockerhub.azk8s.cn",
            "mirror.iscas.ac.cn",
            "mirrors.tuna.tsinghua.edu.cn",
            "dockerproxy.com",
            "dockerpull.org",
            "atomhub.openatom.cn",
        ] {
            assert!(
                c.mirrors.iter().any(|m| m.url.contains(host)),
                "{host} missing from the catalogue"
            );
        }
        assert!(c
            .mirrors
            .iter()
            .all(|m| m.checked.is_some() && !m.sources.is_empty()));
        let closed = c.mirrors.iter().find(|m| m.url.contains("ustc")).unwrap();
        assert_eq!(closed.status, Status::Closed);
        assert!(c
            .selection(false, "docker.io")
            .iter()
            .all(|m| m.status != Status::Closed && !m.template));
        assert!(c.selection(true, "docker.io").len() > c.selection(false, "docker.io").len());
        let ghcr = c.selection(false, "ghcr.io");
        assert!(!ghcr.is_empty() && ghcr.iter().all(|m| m.registry == "ghcr.io"));
        assert!(c
            .selection(true, "docker.io")
            .iter()
            .all(|m| m.registry == "docker.io"));
    }

    #[test]
    fn user_entries_override_and_add() {
        let mut c = Catalogue::builtin();
        let n = c.mirrors.len();
        let user = Catalogue::parse(
            "[[mirror]]\nname = \"ustc\"\nurl = \"https://docker.mirrors.ustc.edu.cn\"\nstatus = \"active\"\nnotes = \"campus\"\n\n[[mirror]]\nname = \"mine\"\nurl = \"https://hub.example.lan\"\nstatus = \"active\"\n",
            Origin::File("/u/mirrors.toml".into()),
        )
        .unwrap();
        c.merge(user);
        assert_eq!(c.mirrors.len(), n + 1);
        let ustc = c.mirrors.iter().find(|m| m.name == "ustc").unwrap();
        assert_eq!(
            (ustc.status, ustc.origin.clone()),
            (Status::Active, Origin::File("/u/mirrors.toml".into()))
        );
        assert_eq!(c.mirrors.last().unwrap().name, "mine");
    }

    #[test]
    fn staleness() {
        let c = Catalogue {
            updated: "2026-01-01".into(),
            mirrors: vec![],
        };
        let day = std::time::Duration::from_secs(86_400);
        let t0 = humantime::parse_rfc3339("2026-01-01T00:00:00Z").unwrap();
        assert_eq!(c.stale_days(t0 + day * 100), None);
        assert_eq!(c.stale_days(t0 + day * 200), Some(200));
    }

    #[test]
    fn dockerd_url_rules() {
        assert_eq!(
            validate_mirror("https://m.example.com").unwrap(),
            "https://m.example.com/"
        );
        assert_eq!(
            validate_mirror("https://m.example.com/").unwrap(),
            "https://m.example.com/"
        );
        assert_eq!(
            validate_mirror("http://127.0.0.1:5000").unwrap(),
            "http://127.0.0.1:5000/"
        );
        assert_eq!(
            validate_mirror("https://m.example.com/prefix").unwrap(),
            "https://m.example.com/prefix/"
        );
        assert!(matches!(
            validate_mirror("m.example.com"),
            Err(MirrorUrlError::NotAUrl(_))
        ));
        assert!(matches!(
            validate_mirror("ftp://m.example.com"),
            Err(MirrorUrlError::Scheme { .. })
        ));
        let e = validate_mirror("https://u:secret@m.example.com").unwrap_err();
        assert!(matches!(e, MirrorUrlError::Credentials(_)));
        assert!(
            !e.to_string().contains("secret"),
            "the password must never be printed: {e}"
        );
        assert!(matches!(
            validate_mirror("https://m.example.com/?a=b"),
            Err(MirrorUrlError::QueryOrFragment(_))
        ));
        assert!(matches!(
            validate_mirror("https://m.example.com/#x"),
            Err(MirrorUrlError::QueryOrFragment(_))
        ));
    }

    #[test]
    fn a_bad_entry_is_named_and_located() {
        let text = "[catalogue]\nupdated = \"2026-01-01\"\n[[mirror]]\nname = \"bad\"\nurl = \"docker.example.com\"\nstatus = \"active\"\n";
        let e = Catalogue::parse(text, Origin::BuiltIn)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("\"bad\"") && e.contains("docker.example.com"),
            "{e}"
        );
        let e = Catalogue::parse("[catalogue]\nupdated = 1\n", Origin::BuiltIn)
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2"), "{e}");
    }

    #[test]
    fn command_line_mirrors_join_without_duplicates() {
        let mut c = Catalogue::builtin();
        let before = c.mirrors.len();
        c.add_url("https://docker.mirrors.ustc.edu.cn/", "docker.io")
            .unwrap();
        assert_eq!(c.mirrors.len(), before, "same address as a catalogue entry");
        assert!(
            c.selection(false, "docker.io")
                .iter()
                .any(|m| m.url.contains("ustc")),
            "named by the user, so probed"
        );
        c.add_url("https://abc.mirror.aliyuncs.com", "docker.io")
            .unwrap();
        assert_eq!(c.mirrors.last().unwrap().name, "abc.mirror.aliyuncs.com");
        assert!(c.add_url("abc.mirror.aliyuncs.com", "docker.io").is_err());
    }

    fn day(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn dates_are_validated_and_compared_as_dates() {
        for bad in [
            "2027-6-1",
            "2027-06-1",
            "27-06-01",
            "2027-13-01",
            "2027-00-10",
            "2027-04-31",
            "2027-02-29",
            "1900-02-29",
            "0000-01-01",
            "2027/06/01",
            "2027-06-01 ",
            " 2027-06-01",
            "+027-06-01",
            "２０２７-06-01",
            "",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad:?}");
        }
        for good in [
            "2028-02-29",
            "2000-02-29",
            "2027-12-31",
            "0001-01-01",
            "9999-12-31",
        ] {
            assert_eq!(day(good).to_string(), good);
        }
        // As strings "2027-6-1" > "2027-10-01"; as days, October comes after June and September.
        assert!(day("2027-10-01") > day("2027-09-30"));
        assert!(day("2027-10-01") > day("2027-06-01"));
        assert!(day("2028-01-01") > day("2027-12-31"));
    }

    #[test]
    fn a_bad_updated_date_is_refused_with_its_line_and_column() {
        let e = Catalogue::parse(
            "# a comment\n[catalogue]\nupdated = \"2027-6-1\"\n",
            Origin::BuiltIn,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("line 3, column 11")
                && e.contains("\"2027-6-1\" is not a date")
                && e.contains("YYYY-MM-DD"),
            "{e}"
        );
        // What a server sent is quoted escaped, never raw.
        let e = Catalogue::parse("[catalogue]\nupdated = \"\\u001b[2J\"\n", Origin::BuiltIn)
            .unwrap_err()
            .to_string();
        assert!(!e.contains('\u{1b}') && e.contains("\\u{1b}[2J"), "{e}");
        // TOML's own date is a date; with a time of day, or a table, it is not.
        let v = Catalogue::parse_versioned("[catalogue]\nupdated = 2027-10-01\n", Origin::BuiltIn);
        assert_eq!(v.unwrap().version.date, Some(day("2027-10-01")));
        for not in ["2027-10-01T10:00:00", "{ day = \"2027-10-01\" }", "1"] {
            let e = Catalogue::parse(&format!("[catalogue]\nupdated = {not}\n"), Origin::BuiltIn)
                .unwrap_err()
                .to_string();
            assert!(e.contains("line 2, column 1"), "{not}: {e}");
        }
        let e = Catalogue::parse("[catalogue]\nserial = -1\n", Origin::BuiltIn)
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2"), "{e}");
    }

    #[test]
    fn versions_order_by_date_then_serial_and_no_serial_is_0() {
        let v = |text: &str| {
            Catalogue::parse_versioned(text, Origin::BuiltIn)
                .unwrap()
                .version
        };
        let none = v("[catalogue]\nupdated = \"2027-10-01\"\n");
        assert_eq!(
            none,
            Version {
                date: Some(day("2027-10-01")),
                serial: 0
            }
        );
        let two = v("[catalogue]\nupdated = \"2027-10-01\"\nserial = 2\n");
        let earlier = v("[catalogue]\nupdated = \"2027-09-30\"\nserial = 9\n");
        assert!(none < two && earlier < none && earlier < two);
        assert_eq!(v("").date, None, "a user's file may have no header");
    }

    #[test]
    fn the_builtin_catalogue_has_a_date_and_a_serial() {
        let b = Catalogue::builtin_versioned();
        assert!(
            b.version.date.is_some() && b.version.serial >= 1,
            "{}",
            b.version
        );
        assert_eq!(b.catalogue.updated, b.version.date.unwrap().to_string());
    }

    #[test]
    fn the_catalogue_in_use_is_the_newer_and_the_builtin_on_a_tie() {
        let at = |updated: &str, serial: u64| Versioned {
            catalogue: Catalogue {
                updated: updated.into(),
                mirrors: vec![],
            },
            version: Version {
                date: Some(day(updated)),
                serial,
            },
        };
        let pick = |b, s| in_use_of(b, Some(s)).1;
        assert!(
            pick(at("2026-11-25", 1), at("2026-11-25", 2)),
            "same day, higher serial"
        );
        assert!(!pick(at("2026-11-25", 1), at("2026-11-25", 1)), "a tie");
        assert!(
            pick(at("2026-11-25", 5), at("2026-11-26", 0)),
            "a later day"
        );
        assert!(
            !pick(at("2026-11-25", 0), at("2026-10-01", 9)),
            "an earlier day"
        );
        assert!(!in_use_of(at("2026-11-25", 1), None).1);
    }

    #[test]
    fn each_entry_name_is_read_once_to_find_duplicates_and_to_merge() {
        // The algorithmic property, not a timing: a linear search per entry reads names n²/2 times (2.4 billion
        // for the 69,121 entries of the catalogue that took 28 s to update and 53 s to list).
        let n = 70_000;
        let names: Vec<String> = (0..n).map(|i| format!("m{i}")).collect();
        let mut reads = 0usize;
        assert!(first_duplicate(&names, |s| {
            reads += 1;
            s.as_str()
        })
        .is_none());
        assert_eq!(reads, n);
        let mut with_dup = names.clone();
        with_dup.push("m12345".into());
        assert_eq!(
            first_duplicate(&with_dup, |s| s.as_str()).map(String::as_str),
            Some("m12345")
        );

        let mut base: Vec<(String, u8)> = names.iter().map(|s| (s.clone(), 0)).collect();
        let other: Vec<(String, u8)> = (n / 2..n + n / 2).map(|i| (format!("m{i}"), 1)).collect();
        let mut reads = 0usize;
        merge_by(&mut base, other, |x| {
            reads += 1;
            x.0.as_str()
        });
        assert_eq!(reads, 2 * n, "each name of both lists once");
        assert_eq!(base.len(), n + n / 2);
        assert!(base[..n / 2].iter().all(|x| x.1 == 0), "kept");
        assert!(
            base[n / 2..].iter().all(|x| x.1 == 1),
            "replaced in place, then added"
        );
        assert!(
            base.iter().enumerate().all(|(i, x)| x.0 == format!("m{i}")),
            "order kept"
        );
    }

    #[test]
    fn seventy_thousand_entries_load_merge_and_a_late_duplicate_is_still_found() {
        let entry = |i: usize| {
            format!("[[mirror]]\nname=\"{i}\"\nurl=\"http://h/{i}\"\nstatus=\"active\"\n")
        };
        let mut text = String::from("[catalogue]\nupdated = \"2099-01-01\"\nserial = 1\n");
        (1..=69_121).for_each(|i| text.push_str(&entry(i)));
        let mut c = Catalogue::parse_updated(&text, Path::new("big.toml")).unwrap();
        assert_eq!(c.catalogue.mirrors.len(), 69_121);
        // A user's file of as many entries, half of them overriding: replaced in place, the rest added.
        let mut user = String::new();
        (34_561..=103_681).for_each(|i| user.push_str(&entry(i)));
        let user = Catalogue::parse(&user, Origin::File("/u/mirrors.toml".into())).unwrap();
        c.catalogue.merge(user);
        assert_eq!(c.catalogue.mirrors.len(), 103_681);
        assert_eq!(
            c.catalogue.mirrors[34_560].origin,
            Origin::File("/u/mirrors.toml".into())
        );
        assert_eq!(c.catalogue.mirrors[34_559].origin, Origin::BuiltIn);

        text.push_str(&entry(7));
        let e = Catalogue::parse_updated(&text, Path::new("big.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("mirror name \"7\" appears twice"), "{e}");
    }

    #[test]
    fn the_stored_catalogue_is_parsed_again_when_its_bytes_change() {
        let one = "[catalogue]\nupdated = \"2099-01-01\"\n[[mirror]]\nname = \"a\"\nurl = \"https://a.example\"\nstatus = \"active\"\n";
        let two = one
            .replace("2099-01-01", "2099-01-02")
            .replace("\"a\"", "\"b\"");
        let names = |bytes: &[u8]| {
            let v = parse_stored(bytes).unwrap();
            (v.catalogue.updated, v.catalogue.mirrors[0].name.clone())
        };
        for _ in 0..2 {
            assert_eq!(names(one.as_bytes()), ("2099-01-01".into(), "a".into()));
            assert_eq!(names(two.as_bytes()), ("2099-01-02".into(), "b".into()));
        }
        assert!(parse_stored(b"[catalogue]\nupdated = \"2099-1-1\"\n").is_none());
        assert!(parse_stored(b"\xff").is_none());
        assert_eq!(
            names(one.as_bytes()).0,
            "2099-01-01",
            "an invalid one in between"
        );
    }
}
