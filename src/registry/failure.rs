//! Why a mirror failed, in classes a user can act on, and how raw errors map onto them.

use rust_i18n::t;
use std::error::Error as _;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The outcome class of one probe. `Ok` is a class too, so reports carry a single `status` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Ok,
    /// The host name does not resolve.
    Dns,
    /// Nothing listens, or the connection was refused or reset before any answer.
    Refused,
    /// The TLS handshake failed (certificate, protocol).
    Tls,
    /// No answer within the deadline.
    Timeout,
    /// A login is required, or the token service is unreachable or refused an anonymous token.
    Auth,
    /// 403: the image is not on the mirror's allowlist, or the client is not allowed.
    Denied,
    /// 404 for the image, or no manifest for this platform.
    NotFound,
    /// 429.
    RateLimited,
    /// 5xx.
    ServerError,
    /// Something answered, but not a registry: an HTML page (captive portal, parked domain), no `/v2/`.
    NotARegistry,
    /// Bytes whose sha256 is not what was asked for: a broken cache, a truncated or endless body.
    DigestMismatch,
    /// The blob was still arriving when the deadline passed.
    TooSlow,
    /// The connection broke mid-answer.
    Network,
    /// An answer that fits none of the above (odd status, malformed manifest).
    BadResponse,
    /// The proxy that dockerd (and so the probe) goes through is unreachable or refused the connection.
    Proxy,
    /// Everything verified, but the tag is not what the other mirrors (or `--expect-digest`) say: an old image.
    Stale,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Dns => "dns",
            Status::Refused => "refused",
            Status::Tls => "tls",
            Status::Timeout => "timeout",
            Status::Auth => "auth",
            Status::Denied => "denied",
            Status::NotFound => "not-found",
            Status::RateLimited => "rate-limited",
            Status::ServerError => "server-error",
            Status::NotARegistry => "not-a-registry",
            Status::DigestMismatch => "digest-mismatch",
            Status::TooSlow => "too-slow",
            Status::Network => "network",
            Status::BadResponse => "bad-response",
            Status::Proxy => "proxy",
            Status::Stale => "stale",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed probe: the class and one line a person can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub status: Status,
    pub reason: String,
}

impl Failure {
    /// The reason is one line whatever a server put in it (a media type, a realm, a JSON error quoting the body):
    /// its control characters are escaped here, once for every reason, besides where such text enters one.
    pub fn new(status: Status, reason: impl Into<String>) -> Self {
        Self {
            status,
            reason: crate::ui::output::outside(&reason.into()),
        }
    }
}

/// The step of the pull a request belongs to; it changes how a status code reads (403 at the blob = allowlist).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Step {
    #[default]
    Ping,
    Token,
    Manifest,
    Blob,
}

impl Step {
    /// The step's name in the current language, for reasons.
    pub fn as_str(self) -> String {
        match self {
            Step::Ping => t!("step.ping"),
            Step::Token => t!("step.token"),
            Step::Manifest => t!("step.manifest"),
            Step::Blob => t!("step.blob"),
        }
        .into_owned()
    }
}

/// Reads an HTTP status that is not success at a given step.
pub fn from_status(step: Step, code: u16, retry_after: Option<&str>) -> Failure {
    let at = step.as_str();
    match code {
        401 => Failure::new(Status::Auth, t!("fail.401", at = at)),
        403 if step == Step::Blob => Failure::new(Status::Denied, t!("fail.403_blob")),
        403 => Failure::new(Status::Denied, t!("fail.403", at = at)),
        404 if step == Step::Ping => Failure::new(Status::NotARegistry, t!("fail.404_ping")),
        404 => Failure::new(Status::NotFound, t!("fail.404", at = at)),
        429 => Failure::new(
            Status::RateLimited,
            match retry_after {
                Some(s) => t!("fail.429_retry", at = at, retry = s),
                None => t!("fail.429", at = at),
            },
        ),
        500..=599 => Failure::new(Status::ServerError, t!("fail.5xx", code = code, at = at)),
        _ => Failure::new(Status::BadResponse, t!("fail.http", code = code, at = at)),
    }
}

/// Reads a transport error from reqwest by walking its causes for the real one.
pub fn from_reqwest(step: Step, e: &reqwest::Error) -> Failure {
    let at = step.as_str();
    if e.is_timeout() {
        return Failure::new(Status::Timeout, t!("fail.timed_out", at = at));
    }
    if e.is_redirect() {
        return Failure::new(Status::BadResponse, t!("fail.redirects", at = at));
    }
    let mut source = e.source();
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            if let Some(tls) = io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                return Failure::new(
                    Status::Tls,
                    t!("fail.tls", at = at, detail = tls_words(tls)),
                );
            }
            if io.kind() == std::io::ErrorKind::ConnectionRefused {
                return Failure::new(Status::Refused, t!("fail.refused", at = at));
            }
        }
        if let Some(tls) = s.downcast_ref::<rustls::Error>() {
            return Failure::new(
                Status::Tls,
                t!("fail.tls", at = at, detail = tls_words(tls)),
            );
        }
        if s.to_string().contains("dns error") {
            return Failure::new(Status::Dns, t!("fail.dns_at", at = at, detail = s));
        }
        source = s.source();
    }
    let mut detail = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if e.is_connect() {
        Failure::new(
            Status::Refused,
            t!("fail.connect_at", at = at, detail = detail),
        )
    } else {
        Failure::new(
            Status::Network,
            t!("fail.broke_at", at = at, detail = detail),
        )
    }
}

/// A TLS failure in plain words, with rustls's (or webpki's) name for it as a code span at the end — the name is
/// what to search for, and `probe`'s summary counts `UnknownIssuer` by it. rustls's own text
/// (`invalid peer certificate: Other(OtherError(CaUsedAsEndEntity))`) is the type's debug form, not a sentence.
pub fn tls_words(e: &rustls::Error) -> String {
    use rustls::Error as E;
    let name = |d: String| {
        d.split(|c: char| !c.is_alphanumeric())
            .find(|w| !w.is_empty())
            .unwrap_or("?")
            .to_owned()
    };
    let said = |key: &str, code: String| named(&t!(key), &code);
    match e {
        E::InvalidCertificate(c) => certificate_words(c),
        E::AlertReceived(a) => {
            let a = format!("{a:?}");
            match a.as_str() {
                "HandshakeFailure" | "ProtocolVersion" | "InsufficientSecurity" => {
                    said("tls.incompatible", a)
                }
                "UnrecognisedName" => said("tls.unrecognised_name", a),
                "BadCertificate" | "UnknownCA" | "CertificateUnknown" => {
                    said("tls.refused_ours", a)
                }
                _ => said("tls.alert", a),
            }
        }
        E::PeerIncompatible(p) => said("tls.incompatible", name(format!("{p:?}"))),
        E::InvalidMessage(m) => said("tls.not_tls", name(format!("{m:?}"))),
        E::InappropriateMessage { .. } | E::InappropriateHandshakeMessage { .. } => {
            said("tls.not_tls", name(format!("{e:?}")))
        }
        E::NoCertificatesPresented => said("tls.no_certificate", name(format!("{e:?}"))),
        E::PeerMisbehaved(p) => said("tls.misbehaved", name(format!("{p:?}"))),
        E::FailedToGetCurrentTime => said("tls.clock", name(format!("{e:?}"))),
        _ => said("tls.other", name(format!("{e:?}"))),
    }
}

/// Words, then the name rustls or webpki gives the failure, as a code span.
fn named(words: &str, name: &str) -> String {
    t!("tls.named", words = words, name = name).into_owned()
}

/// A refused certificate in plain words (see `tls_words`).
fn certificate_words(c: &rustls::CertificateError) -> String {
    use rustls::CertificateError as C;
    let said = |key: &str, code: &str| named(&t!(key), code);
    let date = |t: &rustls::pki_types::UnixTime| {
        humantime::format_rfc3339_seconds(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(t.as_secs()),
        )
        .to_string()
    };
    match c {
        C::UnknownIssuer => said("tls.unknown_issuer", "UnknownIssuer"),
        C::Expired => said("tls.expired", "Expired"),
        C::ExpiredContext { not_after, .. } => {
            named(&t!("tls.expired_on", date = date(not_after)), "Expired").to_string()
        }
        C::NotValidYet => said("tls.not_yet", "NotValidYet"),
        C::NotValidYetContext { not_before, .. } => named(
            &t!("tls.not_yet_until", date = date(not_before)),
            "NotValidYet",
        )
        .to_string(),
        C::NotValidForName => said("tls.wrong_name", "NotValidForName"),
        C::NotValidForNameContext { presented, .. } if !presented.is_empty() => named(
            &t!(
                "tls.wrong_name_for",
                names = crate::ui::output::outside(&presented.join(", "))
            ),
            "NotValidForName",
        ),
        C::NotValidForNameContext { .. } => said("tls.wrong_name", "NotValidForName"),
        C::Revoked => said("tls.revoked", "Revoked"),
        C::BadSignature => said("tls.bad_signature", "BadSignature"),
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
            said("tls.wrong_purpose", "InvalidPurpose")
        }
        C::BadEncoding => said("tls.bad_encoding", "BadEncoding"),
        C::Other(o) => {
            // webpki's error, whose text is its variant's name (`CaUsedAsEndEntity`, `CertExpired { … }`).
            let text = o.to_string();
            let kind = text
                .split(|c: char| !c.is_alphanumeric())
                .next()
                .unwrap_or_default()
                .to_owned();
            let key = match kind.as_str() {
                "CaUsedAsEndEntity" => "tls.ca_as_server",
                "EndEntityUsedAsCa" => "tls.server_as_ca",
                "UnknownIssuer" => "tls.unknown_issuer",
                "CertExpired" => "tls.expired",
                "CertNotValidYet" => "tls.not_yet",
                "CertNotValidForName" => "tls.wrong_name",
                "CertRevoked" => "tls.revoked",
                "UnsupportedCertVersion"
                | "UnsupportedCriticalExtension"
                | "BadDer"
                | "BadDerTime" => "tls.bad_encoding",
                "RequiredEkuNotFound" | "RequiredEkuNotFoundContext" => "tls.wrong_purpose",
                "InvalidSignatureForPublicKey"
                | "UnsupportedSignatureAlgorithm"
                | "UnsupportedSignatureAlgorithmForPublicKey" => "tls.bad_signature",
                _ => "tls.certificate",
            };
            said(key, if kind.is_empty() { "Other" } else { &kind })
        }
        other => {
            let d = format!("{other:?}");
            let kind = d
                .split(|c: char| !c.is_alphanumeric())
                .next()
                .unwrap_or("?");
            said("tls.certificate", kind)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_read_by_step() {
        assert_eq!(from_status(Step::Blob, 403, None).status, Status::Denied);
        assert!(from_status(Step::Blob, 403, None)
            .reason
            .contains("allowlist"));
        assert_eq!(
            from_status(Step::Ping, 404, None).status,
            Status::NotARegistry
        );
        assert_eq!(
            from_status(Step::Manifest, 404, None).status,
            Status::NotFound
        );
        assert!(from_status(Step::Manifest, 429, Some("60"))
            .reason
            .contains("retry after 60"));
        assert_eq!(
            from_status(Step::Token, 503, None).status,
            Status::ServerError
        );
        assert_eq!(
            from_status(Step::Manifest, 418, None).status,
            Status::BadResponse
        );
    }

    #[test]
    fn a_reason_is_one_line_whatever_the_server_sent() {
        let f = Failure::new(
            Status::BadResponse,
            "media type a\nverified: sha256:00\r\n\u{1b}[2J",
        );
        assert_eq!(
            f.reason,
            "media type a\\nverified: sha256:00\\r\\n\\u{1b}[2J"
        );
        assert_eq!(f.reason.lines().count(), 1);
    }

    /// rustls's debug forms become words, with the name kept for searching (and for `probe`'s count of
    /// `UnknownIssuer`).
    #[test]
    fn tls_errors_read_as_words() {
        use rustls::{CertificateError as C, Error as E, OtherError};
        #[derive(Debug)]
        struct CaUsedAsEndEntity;
        impl std::fmt::Display for CaUsedAsEndEntity {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{self:?}")
            }
        }
        impl std::error::Error for CaUsedAsEndEntity {}
        let ca =
            E::InvalidCertificate(C::Other(OtherError(std::sync::Arc::new(CaUsedAsEndEntity))));
        assert_eq!(
            ca.to_string(),
            "invalid peer certificate: Other(OtherError(CaUsedAsEndEntity))",
            "the text the issue quotes"
        );
        // English only: the language is global, and other tests read English (every key has its Chinese:
        // `i18n::every_message_has_every_language`).
        for (e, name) in [
            (&ca, "CaUsedAsEndEntity"),
            (&E::InvalidCertificate(C::UnknownIssuer), "UnknownIssuer"),
            (
                &E::InvalidCertificate(C::NotValidForName),
                "NotValidForName",
            ),
            (&E::InvalidCertificate(C::Expired), "Expired"),
        ] {
            let words = tls_words(e);
            assert!(words.ends_with(&format!("(`{name}`)")), "{words}");
            assert!(
                !words.contains("Other(") && !words.contains("invalid peer"),
                "{words}"
            );
            assert!(words.contains("certificate"), "{words}");
        }
    }

    #[test]
    fn serialized_names_match_as_str() {
        for s in [
            Status::Ok,
            Status::NotARegistry,
            Status::DigestMismatch,
            Status::TooSlow,
            Status::RateLimited,
        ] {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
    }
}
