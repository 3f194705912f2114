//! Manifests and indexes in both the OCI and Docker schema 2 forms, and the choices a pull makes from them.

use anyhow::{bail, Context, Result};
use rust_i18n::t;
use serde::Deserialize;

use super::Digest;

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// The Accept header dockerd sends: every form, so a mirror can answer with what it has.
pub const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.v2+json";

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    pub digest: Digest,
    pub size: u64,
    #[serde(default)]
    pub platform: Option<Platform>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    #[serde(default)]
    pub variant: Option<String>,
}

impl Platform {
    /// The platform dockerd would pull for on this machine.
    pub fn host() -> Self {
        let architecture = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "x86" => "386",
            "powerpc64" => "ppc64le",
            other => other,
        };
        Self {
            os: "linux".into(),
            architecture: architecture.into(),
            variant: None,
        }
    }

    /// `linux/arm64/v8` style, as `--platform` takes it.
    pub fn parse(s: &str) -> Result<Self> {
        let mut parts = s.split('/');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(os), Some(arch), variant, None) if !os.is_empty() && !arch.is_empty() => {
                Ok(Self {
                    os: os.into(),
                    architecture: arch.into(),
                    variant: variant.map(Into::into),
                })
            }
            _ => bail!("{}", t!("image.bad_platform", value = s)),
        }
    }

    fn accepts(&self, other: &Platform) -> bool {
        self.os == other.os
            && self.architecture == other.architecture
            && (self.variant.is_none() || self.variant == other.variant)
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        match &self.variant {
            Some(v) => write!(f, "/{v}"),
            None => Ok(()),
        }
    }
}

/// A fetched manifest document, already told apart.
#[derive(Debug)]
pub enum Document {
    Index(Vec<Descriptor>),
    Image {
        /// The image's config blob (a warm pull fetches it as docker pull does).
        config: Option<Descriptor>,
        layers: Vec<Descriptor>,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    layers: Option<Vec<Descriptor>>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    schema_version: Option<u32>,
}

/// Tells an index from an image manifest by the `Content-Type`, then by the body's own `mediaType`, then by shape
/// (OCI allows `mediaType` to be absent).
pub fn parse(content_type: Option<&str>, body: &[u8]) -> Result<Document> {
    let raw: Raw = serde_json::from_slice(body).context(t!("image.manifest_not_json"))?;
    if raw.schema_version == Some(1) {
        bail!("{}", t!("image.schema1"));
    }
    let declared = content_type
        .map(|c| c.split(';').next().unwrap_or("").trim().to_owned())
        .filter(|c| [OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST].contains(&c.as_str()))
        .or(raw.media_type);
    let config = raw.config;
    match (declared.as_deref(), raw.manifests, raw.layers) {
        (Some(OCI_INDEX | DOCKER_LIST), Some(m), _) | (None, Some(m), None) => {
            Ok(Document::Index(m))
        }
        (Some(OCI_MANIFEST | DOCKER_MANIFEST) | None, _, Some(layers)) => {
            Ok(Document::Image { config, layers })
        }
        // The media type is the server's text: escaped, so it stays inside this one line.
        (t, ..) => bail!(
            "{}",
            t!(
                "image.unexpected_form",
                media_type = crate::ui::output::outside(t.unwrap_or("none"))
            )
        ),
    }
}

/// The entry of an index for this platform, as dockerd picks it.
pub fn select_platform<'a>(entries: &'a [Descriptor], want: &Platform) -> Option<&'a Descriptor> {
    entries
        .iter()
        .find(|d| d.platform.as_ref().is_some_and(|p| want.accepts(p)))
}

/// The layer to download: the smallest one that is real (non-empty), so a probe moves real bytes quickly.
pub fn smallest_layer(layers: &[Descriptor]) -> Option<&Descriptor> {
    // 32 bytes is an empty gzip'd tar, which some images carry as a placeholder layer.
    layers
        .iter()
        .filter(|d| d.size > 32)
        .min_by_key(|d| d.size)
        .or_else(|| layers.iter().max_by_key(|d| d.size))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(n: char) -> String {
        format!("sha256:{}", n.to_string().repeat(64))
    }

    #[test]
    fn index_and_platform() {
        let body = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[
              {{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":10,"platform":{{"os":"linux","architecture":"arm","variant":"v7"}}}},
              {{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":10,"platform":{{"os":"linux","architecture":"amd64"}}}},
              {{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":10,"platform":{{"os":"unknown","architecture":"unknown"}}}}]}}"#,
            d('1'),
            d('2'),
            d('3')
        );
        let Document::Index(entries) = parse(None, body.as_bytes()).unwrap() else {
            panic!("not an index")
        };
        let pick = select_platform(&entries, &Platform::parse("linux/amd64").unwrap()).unwrap();
        assert_eq!(pick.digest.as_str(), d('2'));
        assert!(select_platform(&entries, &Platform::parse("linux/arm/v6").unwrap()).is_none());
        assert!(select_platform(&entries, &Platform::parse("linux/arm").unwrap()).is_some());
    }

    #[test]
    fn docker_manifest_and_smallest_real_layer() {
        let body = format!(
            r#"{{"schemaVersion":2,"config":{{"digest":"{}","size":5}},"layers":[
              {{"digest":"{}","size":900}},{{"digest":"{}","size":32}},{{"digest":"{}","size":100}}]}}"#,
            d('0'),
            d('1'),
            d('2'),
            d('3')
        );
        let Document::Image { config, layers } =
            parse(Some(DOCKER_MANIFEST), body.as_bytes()).unwrap()
        else {
            panic!()
        };
        assert_eq!(config.unwrap().digest.as_str(), d('0'));
        assert_eq!(smallest_layer(&layers).unwrap().digest.as_str(), d('3'));
    }

    #[test]
    fn a_media_type_the_server_sent_stays_inside_the_error_line() {
        let body = br#"{"schemaVersion":2,"mediaType":"application/x\nverified: sha256:00\r"}"#;
        let e = parse(None, body).unwrap_err().to_string();
        assert!(e.contains("application/x\\nverified: sha256:00\\r"), "{e}");
        assert_eq!(e.lines().count(), 1, "{e}");
    }

    #[test]
    fn rejects_what_docker_rejects() {
        assert!(parse(None, br#"{"schemaVersion":1,"fsLayers":[]}"#).is_err());
        assert!(parse(None, b"<html>").is_err());
        assert!(parse(None, br#"{"schemaVersion":2}"#).is_err());
        assert!(Platform::parse("amd64").is_err());
    }
}
