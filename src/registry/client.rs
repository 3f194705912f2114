//! The registry v2 client over HTTP: token, manifests, bounded reads, each failure in a class a person can act
//! on. Blob bodies are streamed by the caller, which measures them.

use rust_i18n::t;

use reqwest::header::{HeaderMap, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::Url;

use super::auth::TokenResponse;
use super::failure::{self, Failure, Status, Step};
use super::manifest::{self, Document};
use super::{Digest, ImageRef};
use crate::registry::http::Clients;

const MANIFEST_LIMIT: usize = 4 * 1024 * 1024; // containerd's limit for a manifest
const TOKEN_LIMIT: usize = 1024 * 1024;

/// `/v2/` with 200 must be a registry's `{}` (or carry its API header); a captive portal answers 200 with HTML.
pub fn looks_like_registry(headers: &HeaderMap, body: &[u8]) -> bool {
    let api = headers
        .get("docker-distribution-api-version")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("registry/2"));
    let json = serde_json::from_slice::<serde_json::Value>(body).is_ok_and(|v| v.is_object());
    (api || json) && !is_html(headers, body)
}

pub fn is_html(headers: &HeaderMap, body: &[u8]) -> bool {
    let ct_html = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("html"));
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map_or(&[][..], |i| &body[i..]);
    ct_html || start.starts_with(b"<")
}

pub fn not_a_registry(headers: &HeaderMap, body: &[u8]) -> Failure {
    if is_html(headers, body) {
        Failure::new(Status::NotARegistry, t!("fail.html"))
    } else {
        Failure::new(Status::NotARegistry, t!("fail.no_api"))
    }
}

pub fn retry_after(h: &HeaderMap) -> Option<String> {
    h.get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(|s| format!("{s}s"))
}

pub fn check(step: Step, r: &reqwest::Response) -> Result<(), Failure> {
    if r.status().is_success() {
        return Ok(());
    }
    Err(failure::from_status(
        step,
        r.status().as_u16(),
        retry_after(r.headers()).as_deref(),
    ))
}

pub async fn fetch_token(
    clients: &Clients,
    realm: &str,
    service: Option<&str>,
    image: &ImageRef,
    log: &mut Vec<String>,
) -> Result<String, Failure> {
    let mut url = Url::parse(realm)
        .map_err(|_| Failure::new(Status::Auth, t!("fail.realm_not_url", realm = realm)))?;
    {
        let mut q = url.query_pairs_mut();
        if let Some(s) = service {
            q.append_pair("service", s);
        }
        q.append_pair("scope", &format!("repository:{}:pull", image.repository));
    }
    let shown = url.clone();
    let r = send(clients.http.get(url)).await.map_err(|e| {
        let f = failure::from_reqwest(Step::Token, &e);
        match f.status {
            Status::Timeout => f,
            _ => Failure::new(
                Status::Auth,
                t!("fail.realm_down", realm = realm, detail = f.reason),
            ),
        }
    })?;
    log.push(format!("GET {shown} → {}", r.status().as_u16()));
    match r.status().as_u16() {
        200 => {}
        429 => {
            return Err(failure::from_status(
                Step::Token,
                429,
                retry_after(r.headers()).as_deref(),
            ))
        }
        code => {
            return Err(Failure::new(
                Status::Auth,
                t!("fail.token_refused", realm = realm, code = code),
            ))
        }
    }
    let body = read_bounded(Step::Token, r, TOKEN_LIMIT).await?;
    serde_json::from_slice::<TokenResponse>(&body)
        .ok()
        .and_then(TokenResponse::into_token)
        .ok_or_else(|| Failure::new(Status::Auth, t!("fail.no_token", realm = realm)))
}

/// Sends a GET, once more if a kept-alive connection turned out to be closed by the other end before it answered
/// (a proxy or server closing idle connections): Go's transport, and so dockerd, retries that case too.
pub async fn send(req: reqwest::RequestBuilder) -> reqwest::Result<reqwest::Response> {
    let again = req.try_clone();
    match (req.send().await, again) {
        (Err(e), Some(again)) if closed_before_answer(&e) => again.send().await,
        (result, _) => result,
    }
}

pub fn closed_before_answer(e: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if s.downcast_ref::<hyper::Error>()
            .is_some_and(hyper::Error::is_incomplete_message)
        {
            return true;
        }
        source = s.source();
    }
    false
}

pub fn authorized(req: reqwest::RequestBuilder, token: Option<&str>) -> reqwest::RequestBuilder {
    match token {
        Some(t) => req.header(AUTHORIZATION, format!("Bearer {t}")),
        None => req,
    }
}

/// Fetches a manifest and verifies it: against the digest we asked for, else against `Docker-Content-Digest`.
pub async fn get_manifest(
    clients: &Clients,
    v2: &Url,
    repo: &str,
    reference: &str,
    expected: Option<&Digest>,
    token: Option<&str>,
    log: &mut Vec<String>,
) -> Result<(Option<String>, Vec<u8>), Failure> {
    let url = v2
        .join(&format!("{repo}/manifests/{reference}"))
        .expect("a relative path joins");
    log.push(format!("GET {url}"));
    let req = authorized(
        clients.http.get(url).header(ACCEPT, manifest::ACCEPT),
        token,
    );
    let r = send(req)
        .await
        .map_err(|e| failure::from_reqwest(Step::Manifest, &e))?;
    if let Some(last) = log.last_mut() {
        last.push_str(&format!(" → {}", r.status().as_u16()));
    }
    check(Step::Manifest, &r)?;
    let ct = r
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let claimed = r
        .headers()
        .get("docker-content-digest")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let headers = r.headers().clone();
    let body = read_bounded(Step::Manifest, r, MANIFEST_LIMIT).await?;
    if is_html(&headers, &body) {
        return Err(not_a_registry(&headers, &body));
    }
    let actual = Digest::of(&body);
    let promised = expected.map(|d| d.as_str().to_owned()).or(claimed);
    if let Some(want) = promised.filter(|d| d.starts_with("sha256:")) {
        if want != actual.as_str() {
            return Err(Failure::new(
                Status::DigestMismatch,
                t!(
                    "fail.manifest_digest",
                    reference = reference,
                    want = want,
                    actual = actual
                ),
            ));
        }
    }
    Ok((ct, body))
}

pub fn parse_manifest(ct: Option<&str>, body: &[u8]) -> Result<Document, Failure> {
    manifest::parse(ct, body).map_err(|e| Failure::new(Status::BadResponse, format!("{e:#}")))
}

/// A body read through the one bounded reader (`http::read_bounded`), its errors as this step's failure. Time is
/// bounded by the probe's deadline for the whole mirror, around every step; this reader bounds the size (and
/// refuses a Content-Length over the limit before reading a byte).
pub async fn read_bounded(
    step: Step,
    r: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, Failure> {
    let unbounded_here = crate::registry::http::Deadline::after(std::time::Duration::MAX);
    crate::registry::http::read_bounded(r, limit, unbounded_here)
        .await
        .map_err(|e| match e {
            crate::registry::http::BodyError::Read(e) => failure::from_reqwest(step, &e),
            crate::registry::http::BodyError::TooLarge { limit } => Failure::new(
                Status::BadResponse,
                t!(
                    "fail.too_large",
                    step = step.as_str(),
                    limit = crate::ui::text::bytes(limit as f64)
                ),
            ),
            crate::registry::http::BodyError::Deadline { .. } => {
                Failure::new(Status::Timeout, t!("fail.timed_out", at = step.as_str()))
            }
        })
}
