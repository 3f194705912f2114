//! THE one mirror URL rule. dockerd checks each `registry-mirrors` item with moby's `registry.ValidateMirror`
//! (registry/config.go, read at v20.10.24, v26.1.5 and v28.5.2) on top of Go's `net/url.Parse`; `go_parse` is that
//! parser, rule by rule, and `dockerd` is that check. `validate_mirror` is what mirrorctl itself writes: a URL every
//! engine accepts *and uses*, so stricter than dockerd (no space anywhere, a host, no empty query or fragment).
//!
//! What differs between the three engines (each rule has a unit test below, and the start-up corpus runs them
//! against the real daemons):
//! - 20.10 refuses a path (`https://host/prefix`); 25+ accepts it (the option table's `MirrorUrlNoPath`).
//! - 28.5 refuses a URL without `://` before it parses (`https:host`); earlier engines take it as Go's "opaque"
//!   form and accept it.
//! - 28.5 is built with Go ≥ 1.25.2, whose parser requires an IPv6 address inside `[…]` and `[` only at the start
//!   of the host (CVE-2025-47912); 20.10 (Go 1.19) and 26.1 (Go 1.24.4) accept `https://[anything]`.
//!
//! Accepted but never used: Go lower-cases the scheme, so `HTTP://host` passes, yet the pull path asks
//! `strings.HasPrefix(mirror, "https://")` of the string as written and, finding neither prefix, pulls from
//! `https://HTTP://host/` — which never answers (service_v2.go at all three tags). `unusable` says so.

use rust_i18n::t;

use super::Version;

/// What Go's `url.Parse` makes of a string: the parts `ValidateMirror` looks at.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct GoUrl {
    /// Lower-cased, as Go stores it.
    pub scheme: String,
    /// `scheme:rest` with no `/` after the colon (`https:host`).
    pub opaque: String,
    pub has_user: bool,
    pub host: String,
    /// Decoded.
    pub path: String,
    pub raw_query: String,
    pub fragment: String,
}

/// The parser's knobs that changed with Go's version.
#[derive(Debug, Clone, Copy)]
pub struct Go {
    /// Go ≥ 1.25.2: `[…]` must hold an IPv6 address, and `[` may only open the host.
    pub strict_ip_literal: bool,
}

/// How the engine checks a mirror: its Go parser, and moby's own rules on top.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    pub go: Go,
    /// 25+: a path is allowed.
    pub path: bool,
    /// 28+: `://` must follow a non-empty scheme before anything is parsed.
    pub needs_separator: bool,
}

impl Rules {
    /// The rules of `engine` (Debian's builds: 20.10 with Go 1.19, 26.1 with Go 1.24.4, 28.5 with Go 1.27).
    pub fn of(engine: Version) -> Rules {
        let at_least = |v: &str| Version::parse(v).is_some_and(|v| engine >= v);
        Rules {
            go: Go {
                strict_ip_literal: at_least("28.0"),
            },
            path: at_least("25.0"),
            needs_separator: at_least("28.0"),
        }
    }

    /// What every engine accepts: the intersection of the rules.
    pub fn strictest() -> Rules {
        Rules {
            go: Go {
                strict_ip_literal: true,
            },
            path: true,
            needs_separator: true,
        }
    }
}

/// Go's `url.Parse` (net/url/url.go): `Err` holds Go's own words for the failure.
pub fn go_parse(raw: &str, go: Go) -> Result<GoUrl, String> {
    // Parse cuts the fragment off first; parse() then sees the rest.
    let (u, frag) = raw.split_once('#').unwrap_or((raw, ""));
    let mut url = parse(u, go)?;
    url.fragment = unescape(frag, Mode::Fragment)?;
    Ok(url)
}

fn parse(raw: &str, go: Go) -> Result<GoUrl, String> {
    // stringContainsCTLByte: below 0x20 or DEL. A space is not one (it fails later, in the host, or passes in
    // a path).
    if raw.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err("net/url: invalid control character in URL".into());
    }
    let mut url = GoUrl::default();
    if raw == "*" {
        url.path = "*".into();
        return Ok(url);
    }
    let (scheme, mut rest) = scheme(raw)?;
    url.scheme = scheme.to_ascii_lowercase();
    if rest.ends_with('?') && rest.matches('?').count() == 1 {
        rest = &rest[..rest.len() - 1]; // ForceQuery: an empty query
    } else if let Some((r, q)) = rest.split_once('?') {
        rest = r;
        url.raw_query = q.to_owned();
    }
    if !rest.starts_with('/') {
        if !url.scheme.is_empty() {
            url.opaque = rest.to_owned(); // a rootless path is opaque (RFC 3986)
            return Ok(url);
        }
        if rest.split('/').next().unwrap_or("").contains(':') {
            return Err("first path segment in URL cannot contain colon".into());
        }
    }
    if (!url.scheme.is_empty() || !rest.starts_with("///")) && rest.starts_with("//") {
        let authority = &rest[2..];
        let (authority, tail) = authority.split_at(authority.find('/').unwrap_or(authority.len()));
        rest = tail;
        let (user, host) = match authority.rfind('@') {
            Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
            None => (None, authority),
        };
        url.host = parse_host(host, go)?;
        if let Some(user) = user {
            if !user.chars().all(user_char) {
                return Err("net/url: invalid userinfo".into());
            }
            for part in user.splitn(2, ':') {
                unescape(part, Mode::User)?;
            }
            url.has_user = true;
        }
    }
    url.path = unescape(rest, Mode::Path)?;
    Ok(url)
}

/// getScheme: `[a-zA-Z][a-zA-Z0-9+.-]*:`, else no scheme at all.
fn scheme(raw: &str) -> Result<(&str, &str), String> {
    for (i, c) in raw.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i > 0 => {}
            b':' if i == 0 => return Err("missing protocol scheme".into()),
            b':' => return Ok((&raw[..i], &raw[i + 1..])),
            _ => return Ok(("", raw)),
        }
    }
    Ok(("", raw))
}

/// validUserinfo: RFC 3986's unreserved, sub-delims, `:` and `%`.
fn user_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._:~!$&'()*+,;=%@".contains(c)
}

/// parseHost: `host[:port]` or `[ipv6%25zone][:port]`.
fn parse_host(host: &str, go: Go) -> Result<String, String> {
    if let Some(inside) = host.strip_prefix('[') {
        let Some(i) = host.rfind(']') else {
            return Err("missing ']' in host".into());
        };
        let port = &host[i + 1..];
        if !valid_port(port) {
            return Err(format!("invalid port {port:?} after host"));
        }
        let literal = &inside[..i - 1];
        let (addr, zone) = match literal.find("%25") {
            Some(z) => (&literal[..z], Some(&literal[z + 3..])),
            None => (literal, None),
        };
        if go.strict_ip_literal {
            // Go 1.25.2+: netip.ParseAddr, and an IPv4 address in brackets is no IP-literal.
            match addr.parse::<std::net::IpAddr>() {
                Ok(std::net::IpAddr::V6(_)) => {}
                Ok(_) => return Err("invalid IP-literal".into()),
                Err(_) => return Err(format!("invalid host: ParseAddr({addr:?})")),
            }
        }
        let mut out = unescape(&host[..1 + addr.len()], Mode::Host)?;
        if let Some(zone) = zone {
            out.push('%');
            out.push_str(&unescape(zone, Mode::Zone)?);
        }
        out.push_str(&unescape(&host[i..], Mode::Host)?);
        return Ok(out);
    }
    if go.strict_ip_literal && host.contains('[') {
        return Err("invalid IP-literal".into());
    }
    if let Some(i) = host.rfind(':') {
        if !valid_port(&host[i..]) {
            return Err(format!("invalid port {:?} after host", &host[i..]));
        }
    }
    unescape(host, Mode::Host)
}

/// validOptionalPort: empty, or `:` and digits (none at all is fine).
fn valid_port(port: &str) -> bool {
    port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Path,
    Host,
    Zone,
    User,
    Fragment,
}

/// Go's `unescape`: every `%` opens two hex digits; in a host only non-ASCII bytes may be escaped (and `%25`),
/// and a host's ASCII must be one it could hold unescaped (`shouldEscape(c, encodeHost)`).
fn unescape(s: &str, mode: Mode) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = |c: u8| (c as char).to_digit(16);
                let (Some(h), Some(l)) = (
                    b.get(i + 1).copied().and_then(hex),
                    b.get(i + 2).copied().and_then(hex),
                ) else {
                    let end = (i + 3).min(b.len());
                    return Err(format!(
                        "invalid URL escape {:?}",
                        String::from_utf8_lossy(&b[i..end])
                    ));
                };
                let v = (h << 4 | l) as u8;
                let escape = &s[i..i + 3];
                if mode == Mode::Host && h < 8 && escape != "%25" {
                    return Err(format!("invalid URL escape {escape:?}"));
                }
                if mode == Mode::Zone && escape != "%25" && v != b' ' && !host_byte(v) {
                    return Err(format!("invalid URL escape {escape:?}"));
                }
                out.push(v);
                i += 3;
            }
            c => {
                if matches!(mode, Mode::Host | Mode::Zone) && c < 0x80 && !host_byte(c) {
                    return Err(format!(
                        "invalid character {:?} in host name",
                        (c as char).to_string()
                    ));
                }
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// An ASCII byte a host may hold as it is (`!shouldEscape(c, encodeHost)`).
fn host_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"-_.~!$&'()*+,;=:[]<>\"".contains(&c)
}

/// Why a mirror URL is refused, in dockerd's terms.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MirrorUrlError {
    #[error("{}", t!("url.not_a_url", url = .0))]
    NotAUrl(String),
    #[error("{}", t!("url.scheme", scheme = scheme, url = url))]
    Scheme { scheme: String, url: String },
    #[error("{}", t!("url.credentials", url = .0))]
    Credentials(String),
    #[error("{}", t!("url.query", url = .0))]
    QueryOrFragment(String),
    /// Shown escaped (`\n`, `\u{1b}`), never raw: it may hold a terminal escape.
    #[error("{}", t!("url.whitespace", url = .0))]
    Whitespace(String),
    /// dockerd accepts it and never pulls through it (see `unusable`).
    #[error("{}", t!("url.unusable", url = .0, reason = .1))]
    Unusable(String, String),
    #[error("{}", t!("url.path", url = .0))]
    Path(String),
}

/// moby's `ValidateMirror` under `rules`: the form dockerd stores (`raw` without its trailing `/`, plus `/`).
pub fn dockerd(raw: &str, rules: Rules) -> Result<String, MirrorUrlError> {
    let shown = || raw.escape_debug().to_string();
    if rules.needs_separator && raw.split_once("://").is_none_or(|(s, _)| s.is_empty()) {
        return Err(MirrorUrlError::NotAUrl(shown()));
    }
    let url = go_parse(raw, rules.go).map_err(|_| MirrorUrlError::NotAUrl(shown()))?;
    if url.scheme != "http" && url.scheme != "https" {
        return Err(MirrorUrlError::Scheme {
            scheme: url.scheme,
            url: shown(),
        });
    }
    if !(rules.path || url.path.is_empty() || url.path == "/") {
        return Err(MirrorUrlError::Path(shown()));
    }
    if !url.raw_query.is_empty() || !url.fragment.is_empty() {
        return Err(MirrorUrlError::QueryOrFragment(shown()));
    }
    if url.has_user {
        return Err(MirrorUrlError::Credentials(crate::ui::redact::url(raw)));
    }
    Ok(stored(raw))
}

/// The form dockerd keeps of an accepted mirror, which `docker info` prints.
pub fn stored(raw: &str) -> String {
    format!("{}/", raw.strip_suffix('/').unwrap_or(raw))
}

/// Why dockerd, having accepted `raw`, never pulls through it; `None` when it does.
pub fn unusable(raw: &str) -> Option<String> {
    if !(raw.starts_with("http://") || raw.starts_with("https://")) {
        let lower = raw
            .split_once(':')
            .map(|(s, rest)| format!("{}:{rest}", s.to_ascii_lowercase()));
        return Some(
            match lower.filter(|l| l.starts_with("http")) {
                Some(fixed) if raw.contains("://") => t!(
                    "url.why.scheme_case",
                    url = raw,
                    fixed = stored(&fixed),
                    tried = format!("https://{}", stored(raw))
                ),
                _ => t!("url.why.no_slashes", url = raw),
            }
            .into_owned(),
        );
    }
    let url = go_parse(raw, Rules::strictest().go).ok()?;
    url.host
        .is_empty()
        .then(|| t!("url.why.no_host", url = raw).into_owned())
}

/// What mirrorctl writes: a URL every engine accepts and uses, in dockerd's stored form. Stricter than dockerd:
/// no space or control character anywhere (Go lets a space through in a path), a host, no `?` or `#` at all.
pub fn validate_mirror(raw: &str) -> Result<String, MirrorUrlError> {
    crate::ui::redact::remember_url(raw);
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(MirrorUrlError::Whitespace(raw.escape_debug().to_string()));
    }
    let n = dockerd(raw, Rules::strictest())?;
    // mirrorctl probes what it writes: a URL its own HTTP client cannot parse (an IPv6 zone, `host:80:80`) is
    // not one to write, however Go takes it.
    if reqwest::Url::parse(raw).map_or(true, |u| u.host_str().is_none_or(str::is_empty)) {
        return Err(MirrorUrlError::NotAUrl(raw.escape_debug().to_string()));
    }
    if raw.contains(['?', '#']) {
        return Err(MirrorUrlError::QueryOrFragment(raw.to_owned()));
    }
    if let Some(reason) = unusable(raw) {
        return Err(MirrorUrlError::Unusable(raw.to_owned(), reason));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: Go = Go {
        strict_ip_literal: false,
    };
    const NEW: Go = Go {
        strict_ip_literal: true,
    };

    fn engine(v: &str) -> Rules {
        Rules::of(Version::parse(v).unwrap())
    }

    fn accepts(raw: &str, v: &str) -> bool {
        dockerd(raw, engine(v)).is_ok()
    }

    /// Each case below was run through the real dockerd 28.5.2 (`--validate`, which checks mirrors at 28.x) and,
    /// for the older engines, through a start (tests/fixtures/daemon-json/mirror-*.json).
    #[test]
    fn scheme_syntax() {
        assert_eq!(go_parse("https://a", NEW).unwrap().scheme, "https");
        assert!(go_parse("://a", NEW).is_err(), "missing protocol scheme");
        // A scheme starts with a letter; `1https:` is no scheme, so `1https:` is a first segment with a colon.
        assert!(go_parse("1https://a", NEW).is_err());
        assert!(go_parse("ht tp://a", NEW).is_err());
        assert_eq!(go_parse("h+t.t-p://a", NEW).unwrap().scheme, "h+t.t-p");
        assert!(matches!(
            dockerd("ftp://a", engine("26.1")),
            Err(MirrorUrlError::Scheme { .. })
        ));
        // No scheme at all: `host:port` parses with `host` as the scheme.
        assert!(!accepts("docker.m.daocloud.io", "20.10"));
        assert!(!accepts("localhost:5000", "26.1"));
    }

    #[test]
    fn scheme_case_is_accepted_and_never_used() {
        let u = go_parse("HTTP://a", NEW).unwrap();
        assert_eq!(u.scheme, "http", "Go lower-cases the scheme");
        for v in ["20.10", "26.1", "28.5"] {
            assert_eq!(dockerd("HTTP://a", engine(v)).unwrap(), "HTTP://a/");
        }
        let why = unusable("HTTP://a").unwrap();
        assert!(
            why.contains("https://HTTP://a/") && why.contains("http://a/"),
            "{why}"
        );
        assert!(unusable("Https://a/").is_some());
        assert!(unusable("https://a/").is_none());
        assert!(matches!(
            validate_mirror("HTTP://a"),
            Err(MirrorUrlError::Unusable(..))
        ));
    }

    #[test]
    fn opaque_form_and_the_separator() {
        // `https:host` is Go's opaque form: 20.10 and 26.1 accept it (and pull from https://https:host/), 28.5
        // refuses it before parsing.
        assert_eq!(go_parse("https:a", NEW).unwrap().opaque, "a");
        assert!(accepts("https:a", "20.10") && accepts("https:a", "26.1"));
        assert!(!accepts("https:a", "28.5"));
        assert!(accepts("http:/a", "26.1") && !accepts("http:/a", "20.10"));
        assert!(!accepts("http:/a", "28.5"));
        assert!(unusable("https:a").is_some());
    }

    #[test]
    fn userinfo() {
        for v in ["20.10", "26.1", "28.5"] {
            assert!(matches!(
                dockerd("https://u:p@a", engine(v)),
                Err(MirrorUrlError::Credentials(_))
            ));
        }
        assert!(go_parse("https://u@a", NEW).unwrap().has_user);
        // The last `@` ends the user; a character outside validUserinfo is a parse error.
        assert_eq!(go_parse("https://a@b@c", NEW).unwrap().host, "c");
        assert_eq!(
            go_parse("https://u^:p@a", NEW).unwrap_err(),
            "net/url: invalid userinfo"
        );
        assert!(go_parse("https://u%zz@a", NEW).is_err());
        let e = dockerd("https://u:secret@a", engine("26.1")).unwrap_err();
        assert!(!e.to_string().contains("secret"), "{e}");
    }

    #[test]
    fn host_and_port() {
        assert_eq!(go_parse("https://a:5000", NEW).unwrap().host, "a:5000");
        assert!(
            go_parse("https://a:", NEW).is_ok(),
            "an empty port is valid"
        );
        assert!(go_parse("https://a:abc", NEW).is_err());
        // Only the last colon is a port: Go 1.27 still takes `a:80:80` and `::1`.
        assert!(go_parse("https://a:80:80", NEW).is_ok());
        assert!(go_parse("https://::1", NEW).is_ok());
        // A host holds sub-delims, `<>"` and non-ASCII as they are; not a space, `^`, `{` or `|`.
        for fine in [
            "https://a_b",
            "https://a<b",
            "https://a\"b",
            "https://é.example",
        ] {
            assert!(go_parse(fine, NEW).is_ok(), "{fine}");
        }
        for bad in ["https://a b", "https://a^b", "https://a{b", "https://a|b"] {
            assert!(go_parse(bad, NEW).is_err(), "{bad}");
        }
        // An empty host parses and dockerd accepts it; mirrorctl does not write it.
        assert!(accepts("https://", "28.5"));
        assert!(unusable("https://").is_some());
        assert!(validate_mirror("https://").is_err());
    }

    #[test]
    fn ipv6_brackets() {
        for v in ["20.10", "26.1", "28.5"] {
            assert!(accepts("https://[fe80::1]", v));
            assert!(accepts("https://[fe80::1%25en0]:5000", v));
        }
        assert!(go_parse("https://[fe80::1", NEW).is_err(), "missing ']'");
        assert!(go_parse("https://[::1]x", NEW).is_err(), "invalid port");
        // Go ≥ 1.25.2 (Engine 28.5): an IPv6 address inside, `[` only at the start.
        assert!(accepts("https://[notip]", "26.1") && !accepts("https://[notip]", "28.5"));
        assert!(accepts("https://[1.2.3.4]", "20.10") && !accepts("https://[1.2.3.4]", "28.5"));
        assert!(accepts("https://x[y]", "26.1") && !accepts("https://x[y]", "28.5"));
        assert!(go_parse("https://a]", NEW).is_ok());
        assert!(
            go_parse("https://[fe80::1%25%0a]", OLD).is_err(),
            "zone escape"
        );
    }

    #[test]
    fn path() {
        assert!(!accepts("https://a/prefix", "20.10"));
        assert!(accepts("https://a/", "20.10"));
        assert!(accepts("https://a/prefix", "26.1") && accepts("https://a/prefix", "28.5"));
        assert_eq!(go_parse("https://a/%41", NEW).unwrap().path, "/A");
        // 20.10 looks at the decoded path: `/%2F` is `//`, a path.
        assert!(!accepts("https://a/%2F", "20.10"));
        assert_eq!(
            validate_mirror("https://m.example.com/prefix").unwrap(),
            "https://m.example.com/prefix/"
        );
    }

    #[test]
    fn query_and_fragment() {
        for v in ["20.10", "26.1", "28.5"] {
            assert!(!accepts("https://a/?x=1", v));
            assert!(!accepts("https://a/#x", v));
            // An empty query (`?` alone) and an empty fragment are no query or fragment to Go.
            assert!(accepts("https://a/?", v) && accepts("https://a/#", v));
        }
        // `??` is a query of `?`.
        assert!(!accepts("https://a/??", "26.1"));
        assert!(validate_mirror("https://a/?").is_err());
    }

    #[test]
    fn percent_encoding() {
        assert!(go_parse("https://a/%zz", NEW).is_err());
        assert!(go_parse("https://a/%4", NEW).is_err());
        assert!(
            go_parse("https://a/x#%zz", NEW).is_err(),
            "in a fragment too"
        );
        // In a host: only non-ASCII bytes (and %25) may be escaped.
        assert!(go_parse("https://%C3%A9.example", NEW).is_ok());
        assert!(go_parse("https://a%41", NEW).is_err());
        assert!(go_parse("https://a%20b", NEW).is_err());
    }

    #[test]
    fn control_characters_and_spaces() {
        for bad in [
            "https://a\n",
            "https://a/\t",
            "https://a\u{7f}",
            "https://a\u{1b}",
        ] {
            assert!(go_parse(bad, NEW).is_err(), "{bad:?}");
            assert!(matches!(
                validate_mirror(bad),
                Err(MirrorUrlError::Whitespace(_))
            ));
        }
        // A space is no control character: Go refuses it in a host and before the scheme, not in a path.
        assert!(!accepts(" https://a", "26.1"));
        assert!(!accepts("https://a b", "26.1"));
        assert!(accepts("https://a/ x", "28.5"));
        assert!(validate_mirror("https://a/ x").is_err());
    }

    #[test]
    fn what_mirrorctl_writes() {
        assert_eq!(
            validate_mirror("https://m.example.com").unwrap(),
            "https://m.example.com/"
        );
        assert_eq!(
            validate_mirror("http://127.0.0.1:5000/").unwrap(),
            "http://127.0.0.1:5000/"
        );
        assert!(matches!(
            validate_mirror("m.example.com"),
            Err(MirrorUrlError::NotAUrl(_))
        ));
        assert!(validate_mirror("https:m.example.com").is_err());
        assert!(validate_mirror("https://[notip]").is_err());
        // Go takes these; the probe's client (WHATWG URLs) cannot, so mirrorctl writes neither.
        assert!(accepts("https://[fe80::1%25en0]:5000", "28.5"));
        assert!(validate_mirror("https://[fe80::1%25en0]:5000").is_err());
        assert!(validate_mirror("https://a:80:80").is_err());
        assert_eq!(
            validate_mirror("https://[::1]:5000").unwrap(),
            "https://[::1]:5000/"
        );
    }
}
