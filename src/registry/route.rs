//! The proxy the probe goes through: the one dockerd pulls through (daemon.json `proxies`, the unit's environment,
//! or what the live daemon reports), else this process's environment — so a probe sees what a pull will see.
//! The choice per URL follows Go's `httpproxy` (what dockerd uses): NO_PROXY, and never a proxy for localhost or
//! a loopback address.

use std::net::IpAddr;

use reqwest::Url;
use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Route {
    #[serde(serialize_with = "masked")]
    pub http: Option<Url>,
    #[serde(serialize_with = "masked")]
    pub https: Option<Url>,
    pub no_proxy: String,
    /// Where it came from, for messages: "daemon.json proxies", "the docker unit's environment", ….
    pub source: String,
}

fn masked<S: serde::Serializer>(u: &Option<Url>, s: S) -> Result<S::Ok, S::Error> {
    match u {
        Some(u) => s.serialize_some(&crate::ui::redact::url(u.as_str())),
        None => s.serialize_none(),
    }
}

impl Route {
    /// From the three values dockerd and Go read, or `None` when no proxy is set.
    pub fn new(
        http: Option<&str>,
        https: Option<&str>,
        no_proxy: Option<&str>,
        source: &str,
    ) -> Option<Self> {
        let parse = |v: Option<&str>| {
            v.inspect(|v| crate::ui::redact::remember_url(v))
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .and_then(|v| {
                    // Go reads a scheme-less proxy as http://.
                    Url::parse(v)
                        .ok()
                        .filter(|u| u.has_host())
                        .or_else(|| Url::parse(&format!("http://{v}")).ok())
                })
        };
        let r = Self {
            http: parse(http),
            https: parse(https),
            no_proxy: no_proxy.unwrap_or_default().to_owned(),
            source: source.to_owned(),
        };
        (r.http.is_some() || r.https.is_some()).then_some(r)
    }

    /// This process's environment (upper case first, as Go reads it).
    pub fn from_env() -> Option<Self> {
        let var = |upper: &str| {
            std::env::var(upper)
                .ok()
                .or_else(|| std::env::var(upper.to_lowercase()).ok())
        };
        Self::new(
            var("HTTP_PROXY").as_deref(),
            var("HTTPS_PROXY").as_deref(),
            var("NO_PROXY").as_deref(),
            "the environment",
        )
    }

    /// The proxy for this request URL, or `None` to connect directly.
    pub fn proxy_for(&self, url: &Url) -> Option<&Url> {
        let proxy = match url.scheme() {
            "https" => self.https.as_ref(),
            "http" => self.http.as_ref(),
            _ => None,
        }?;
        let host = url
            .host_str()?
            .trim_matches(['[', ']'])
            .to_ascii_lowercase();
        let port = url.port_or_known_default();
        (!bypass(&host, port, &self.no_proxy)).then_some(proxy)
    }
}

/// Go's httpproxy `useProxy`, negated: localhost and loopback IPs, then each NO_PROXY entry (`*`, an IP, a CIDR,
/// a domain that also covers its subdomains, `.domain` for subdomains only, any of them with `:port`).
fn bypass(host: &str, port: Option<u16>, no_proxy: &str) -> bool {
    let ip = host.parse::<IpAddr>().ok();
    if host == "localhost" || ip.is_some_and(|ip| ip.is_loopback()) {
        return true;
    }
    for entry in no_proxy.split(',').map(|e| e.trim().to_ascii_lowercase()) {
        if entry.is_empty() {
            continue;
        }
        if entry == "*" {
            return true;
        }
        if let (Some((net, bits)), Some(ip)) = (entry.split_once('/'), ip) {
            if let (Ok(net), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u8>()) {
                if in_cidr(ip, net, bits) {
                    return true;
                }
            }
            continue;
        }
        let (name, entry_port) = match entry.rsplit_once(':') {
            Some((n, p)) if !n.contains(':') && p.parse::<u16>().is_ok() => {
                (n.to_owned(), p.parse().ok())
            }
            _ => (entry.trim_matches(['[', ']']).to_owned(), None),
        };
        if entry_port.is_some() && entry_port != port {
            continue;
        }
        if let Some(suffix) = name.strip_prefix('.') {
            if host.ends_with(&format!(".{suffix}")) {
                return true;
            }
        } else if host == name || host.ends_with(&format!(".{name}")) {
            return true;
        }
    }
    false
}

fn in_cidr(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) if bits <= 32 => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) if bits <= 128 => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(no_proxy: &str) -> Route {
        Route::new(
            Some("http://p:3128"),
            Some("p:3128"),
            Some(no_proxy),
            "test",
        )
        .unwrap()
    }

    fn proxied(r: &Route, url: &str) -> bool {
        r.proxy_for(&Url::parse(url).unwrap()).is_some()
    }

    #[test]
    fn no_proxy_as_go_reads_it() {
        let r = route("corp.example, .internal ,10.0.0.0/8, mirror.example:5000");
        assert_eq!(
            r.https.as_ref().unwrap().as_str(),
            "http://p:3128/",
            "scheme-less means http"
        );
        assert!(proxied(&r, "https://docker.1ms.run"));
        assert!(!proxied(&r, "https://corp.example/"));
        assert!(!proxied(&r, "https://hub.corp.example/"));
        assert!(proxied(&r, "https://internal/"));
        assert!(!proxied(&r, "https://a.internal/"));
        assert!(!proxied(&r, "http://10.1.2.3:5000/"));
        assert!(proxied(&r, "http://11.1.2.3:5000/"));
        assert!(!proxied(&r, "http://mirror.example:5000/"));
        assert!(proxied(&r, "https://mirror.example/"));
        assert!(!proxied(&route("*"), "https://docker.1ms.run"));
    }

    #[test]
    fn loopback_never_goes_through_a_proxy() {
        let r = route("");
        for url in [
            "http://localhost:5000",
            "http://127.0.0.1:5000",
            "http://127.3.2.1/",
            "http://[::1]:5000/",
        ] {
            assert!(!proxied(&r, url), "{url}");
        }
    }

    #[test]
    fn only_the_scheme_s_proxy_is_used() {
        let r = Route::new(Some("http://p:3128"), None, None, "test").unwrap();
        assert!(proxied(&r, "http://mirror.example/"));
        assert!(!proxied(&r, "https://mirror.example/"));
        assert_eq!(Route::new(Some(""), None, Some("x"), "test"), None);
    }
}
