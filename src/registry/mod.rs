//! A small registry v2 client: what a probe needs to pull one image the way dockerd does.

pub mod auth;
pub mod client;
pub mod failure;
pub mod http;
pub mod manifest;
pub mod ping;
pub mod route;

use rust_i18n::t;
use std::fmt;

use anyhow::{bail, Result};
use sha2::{Digest as _, Sha256};

/// The User-Agent dockerd sends (mirrors and CDNs treat Docker clients differently from scripts).
pub const USER_AGENT: &str = concat!(
    "docker/28.2.2 go/go1.24.3 git-commit/e6534b4 kernel/6.1.0 os/linux arch/amd64 UpstreamClient(mirrorctl/",
    env!("CARGO_PKG_VERSION"),
    ")"
);

/// A Docker Hub image as a registry path: `alpine` → `library/alpine:latest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    pub repository: String,
    /// A tag or a `sha256:` digest.
    pub reference: String,
}

impl ImageRef {
    /// A Docker Hub image.
    pub fn parse(s: &str) -> Result<Self> {
        Self::parse_in("docker.io", s)
    }

    /// An image of `registry`, with or without the registry's name in front.
    pub fn parse_in(registry: &str, s: &str) -> Result<Self> {
        let hub = registry == "docker.io";
        let s = s.strip_prefix(&format!("{registry}/")).unwrap_or(s);
        let (name, reference) = if let Some((n, d)) = s.split_once('@') {
            Digest::parse(d)?;
            (n, d.to_owned())
        } else {
            match s.rsplit_once(':') {
                Some((n, t)) if !t.contains('/') => (n, t.to_owned()),
                _ => (s, "latest".to_owned()),
            }
        };
        // Docker's grammar: each path component starts and ends with a letter or digit (so `-x` is no image, and
        // never a flag once a timer replays it); a tag is a word of at most 128 characters.
        let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        let component = |part: &str| {
            part.bytes().next().is_some_and(alnum)
                && part.bytes().last().is_some_and(alnum)
                && part.bytes().all(|b| alnum(b) || b"._-".contains(&b))
        };
        let tag = |t: &str| {
            t.len() <= 128
                && t.bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
        };
        if name.is_empty()
            || !name.split('/').all(component)
            || (!reference.starts_with("sha256:") && !tag(&reference))
        {
            bail!(
                "{}",
                t!("image.bad_name", value = crate::ui::output::outside(s))
            );
        }
        if name
            .split('/')
            .next()
            .is_some_and(|first| first.contains('.') && name.contains('/'))
        {
            bail!(
                "{}",
                t!("image.other_registry", value = s, registry = registry)
            );
        }
        let repository = if name.contains('/') || !hub {
            name.to_owned()
        } else {
            format!("library/{name}")
        };
        Ok(Self {
            repository,
            reference,
        })
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sep = if self.reference.starts_with("sha256:") {
            '@'
        } else {
            ':'
        };
        write!(f, "{}{sep}{}", self.repository, self.reference)
    }
}

/// A `sha256:<64 hex>` content digest; other algorithms are refused because we could not verify them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct Digest(String);

impl Digest {
    pub fn parse(s: &str) -> Result<Self> {
        match s.strip_prefix("sha256:") {
            Some(h)
                if h.len() == 64
                    && h.bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) =>
            {
                Ok(Self(s.to_owned()))
            }
            _ => bail!("{}", t!("image.bad_digest", value = s)),
        }
    }

    pub fn of(bytes: &[u8]) -> Self {
        Self(format!("sha256:{}", hex::encode(Sha256::digest(bytes))))
    }

    pub fn from_hasher(h: Sha256) -> Self {
        Self(format!("sha256:{}", hex::encode(h.finalize())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Digest {
    type Error = anyhow::Error;
    fn try_from(s: String) -> Result<Self> {
        Self::parse(&s)
    }
}

impl From<Digest> for String {
    fn from(d: Digest) -> String {
        d.0
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names_as_docker_writes_them() {
        let r = ImageRef::parse("alpine").unwrap();
        assert_eq!(
            (r.repository.as_str(), r.reference.as_str()),
            ("library/alpine", "latest")
        );
        assert_eq!(
            ImageRef::parse("docker.io/library/alpine:3.20")
                .unwrap()
                .to_string(),
            "library/alpine:3.20"
        );
        assert_eq!(
            ImageRef::parse("user/app:v1").unwrap().to_string(),
            "user/app:v1"
        );
        let d = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            ImageRef::parse(&format!("alpine@{d}")).unwrap().reference,
            d
        );
        assert!(ImageRef::parse("ghcr.io/x/y").is_err());
        let g = ImageRef::parse_in("ghcr.io", "ghcr.io/owner/tool:v1").unwrap();
        assert_eq!(
            (g.repository.as_str(), g.reference.as_str()),
            ("owner/tool", "v1")
        );
        assert_eq!(
            ImageRef::parse_in("registry.k8s.io", "pause:3.9")
                .unwrap()
                .repository,
            "pause"
        );
        assert!(ImageRef::parse("Alpine").is_err());
        for bad in [
            "-x",
            "x-",
            "a/-b",
            "_a",
            "alpine:-tag",
            "alpine:.x",
            "alpine:a b",
            "alpine:a\nb",
        ] {
            assert!(ImageRef::parse(bad).is_err(), "{bad}");
        }
        assert!(ImageRef::parse(&format!("alpine:{}", "t".repeat(129))).is_err());
        assert_eq!(
            ImageRef::parse("python:3.12-slim_X").unwrap().reference,
            "3.12-slim_X"
        );
        assert!(ImageRef::parse("my-org/app_1.x:v1").is_ok());
        assert!(ImageRef::parse("alpine@sha256:zz").is_err());
    }

    #[test]
    fn digests() {
        assert_eq!(
            Digest::of(b"").as_str(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert!(Digest::parse("sha512:abc").is_err());
        assert!(Digest::parse(&format!("sha256:{}", "A".repeat(64))).is_err());
    }
}
