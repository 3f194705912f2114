//! The table of daemon.json options by engine version (`options.toml`, read from moby's daemon/config).

use std::sync::OnceLock;

use serde::Deserialize;

/// An engine release as `major.minor` (patch levels never add or remove options).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
}

impl Version {
    /// `26.1.5+dfsg1`, `20.10`, `v29.0`.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().trim_start_matches('v');
        let mut parts = s.split(|c: char| !c.is_ascii_digit());
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next().and_then(|m| m.parse().ok()).unwrap_or(0);
        Some(Self { major, minor })
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("not a version: {s}")))
    }
}

/// The JSON shape Go's encoding/json accepts for the option's Go type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    String,
    Bool,
    Int,
    Uint,
    StringList,
    IpList,
    Ip,
    StringMap,
    BoolMap,
    MemBytes,
    Object,
    ObjectList,
    Any,
}

/// What each item of a list must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Items {
    MirrorUrl,
    MirrorUrlNoPath,
    Label,
    /// An IP address once surrounding spaces are trimmed (20.10's opts.ValidateIPAddress on a []string).
    IpTrimmed,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub one_of: Option<Vec<String>>,
    pub items: Option<Items>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Opt {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: Kind,
    pub since: Version,
    pub until: Option<Version>,
    /// A command-line flag with no field behind it: dockerd accepts the key and drops its value.
    #[serde(default)]
    pub ignored: bool,
    #[serde(flatten)]
    pub rules: Rules,
}

/// An option as one engine knows it.
#[derive(Debug, Clone)]
pub struct Known {
    pub kind: Kind,
    pub rules: Rules,
    pub ignored: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Override {
    name: String,
    until: Version,
    /// The option's JSON shape on those engines, when it differs.
    #[serde(rename = "type")]
    kind: Option<Kind>,
    #[serde(flatten)]
    rules: Rules,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    lenient_since: Version,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    /// The moby tags the table was read from: provenance, shown to no one.
    #[allow(dead_code)]
    read_from: Vec<String>,
    /// Keys whose object value is one option; any other object is flattened into options of its own.
    pub flat: Vec<String>,
    document: Document,
    #[serde(rename = "override")]
    overrides: Vec<Override>,
    #[serde(rename = "option")]
    options: Vec<Opt>,
}

impl Table {
    pub fn get() -> &'static Table {
        static TABLE: OnceLock<Table> = OnceLock::new();
        TABLE.get_or_init(|| {
            toml::from_str(include_str!("options.toml")).expect("options.toml is valid")
        })
    }

    /// The option as `engine` knows it, with the rules in force there; `None`: unknown to that engine.
    pub fn option(&self, name: &str, engine: Version) -> Option<Known> {
        let o = self.options.iter().find(|o| o.name == name)?;
        if engine < o.since || o.until.is_some_and(|u| engine > u) {
            return None;
        }
        let over = self
            .overrides
            .iter()
            .find(|r| r.name == name && engine <= r.until);
        let rules = over.map_or_else(|| o.rules.clone(), |r| r.rules.clone());
        Some(Known {
            kind: over.and_then(|r| r.kind).unwrap_or(o.kind),
            rules,
            ignored: o.ignored,
        })
    }

    /// The first engine that knows `name`, for "needs Engine X" hints.
    pub fn since(&self, name: &str) -> Option<Version> {
        self.options
            .iter()
            .find(|o| o.name == name)
            .map(|o| o.since)
    }

    /// Whether this engine reads the file leniently (BOM, empty file) and strictly (nothing after the object).
    pub fn lenient(&self, engine: Version) -> bool {
        engine >= self.document.lenient_since
    }

    /// The newest engine the table was read from.
    pub fn newest(&self) -> Version {
        self.options
            .iter()
            .flat_map(|o| [Some(o.since), o.until])
            .flatten()
            .max()
            .expect("options")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn versions_parse_as_dockerd_prints_them() {
        assert_eq!(
            v("26.1.5+dfsg1"),
            Version {
                major: 26,
                minor: 1
            }
        );
        assert_eq!(
            v("20.10.24+dfsg1"),
            Version {
                major: 20,
                minor: 10
            }
        );
        assert!(v("20.10") < v("23.0") && v("28.5") < v("29.0"));
    }

    #[test]
    fn the_table_knows_when_options_came_and_went() {
        let t = Table::get();
        assert!(t.option("registry-mirrors", v("20.10")).is_some());
        assert!(t.option("proxies", v("20.10")).is_none());
        assert!(t.option("proxies", v("23.0")).is_some());
        assert!(t.option("graph", v("20.10")).is_some());
        assert!(t.option("graph", v("24.0")).is_none());
        assert!(t.option("log-format", v("24.0")).is_none());
        let min = |engine| {
            t.option("max-download-attempts", v(engine))
                .unwrap()
                .rules
                .min
        };
        assert_eq!((min("20.10"), min("26.1")), (Some(1), Some(0)));
        assert!(t.option("registry-mirror", v("26.1")).unwrap().ignored);
        assert_eq!(t.newest(), v("29.7"));
        assert!(t.option("registry-auth", v("29.7")).is_none());
    }
}
