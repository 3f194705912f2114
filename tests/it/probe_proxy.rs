//! The probe goes where dockerd's pulls go: through dockerd's proxy (daemon.json `proxies`, or what the running
//! daemon reports), around it for NO_PROXY hosts, and a dead proxy is a `proxy` failure. The proxy is a real
//! tinyproxy; `mirror.test` resolves only inside it, so reaching that name proves the request went through it.

use std::sync::Arc;

use serde_json::Value;

use crate::support::dockerd::Dockerd;
use crate::support::engines;
use crate::support::fake_registry::{tls_for, Behavior, FakeRegistry};
use crate::support::image::Image;
use crate::support::tinyproxy::Tinyproxy;
use crate::support::{result, Sandbox};

fn registry(tls: Option<Arc<rustls::ServerConfig>>) -> FakeRegistry {
    FakeRegistry::start(
        Arc::new(Image::new("library/alpine", "latest", 32 * 1024)),
        Behavior {
            tls,
            ..Default::default()
        },
    )
}

/// daemon.json in the sandbox's /etc, where the probe looks for dockerd's own proxy.
fn daemon_json(sb: &Sandbox, text: &str) {
    let dir = sb.path().join("etc/docker");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("daemon.json"), text).unwrap();
}

#[test]
fn the_probe_goes_through_dockerds_proxy_and_around_it_for_no_proxy_hosts() {
    let sb = Sandbox::new();
    let proxy = Tinyproxy::start(&sb.path().join("proxy"), &["mirror.test", "secure.test"]);
    let plain = registry(None);
    let (tls, ca) = tls_for("secure.test");
    let secure = registry(Some(tls));
    // The CA is dockerd's for secure.test only (certs.d/<host:port>/).
    let certs = sb.path().join("certs.d");
    let secure_host = format!("secure.test:{}", secure.addr.port());
    std::fs::create_dir_all(certs.join(&secure_host)).unwrap();
    std::fs::write(certs.join(&secure_host).join("ca.crt"), &ca).unwrap();
    daemon_json(
        &sb,
        &format!(
            "{{\"proxies\": {{\"http-proxy\": \"{p}\", \"https-proxy\": \"{p}\", \"no-proxy\": \"bypass.test\"}}}}",
            p = proxy.url()
        ),
    );
    let mirrors = [
        (
            "via-proxy",
            format!("http://mirror.test:{}", plain.addr.port()),
        ),
        ("tunnel", format!("https://{secure_host}")),
        (
            "bypass",
            format!("http://bypass.test:{}", plain.addr.port()),
        ),
    ];
    let certs_flag = ["--certs-dir", certs.to_str().unwrap()];
    let (doc, code) = sb.probe(&mirrors, &certs_flag);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(result(&doc, "via-proxy")["status"], "ok", "{doc:#}");
    assert_eq!(result(&doc, "tunnel")["status"], "ok", "{doc:#}");
    assert!(result(&doc, "tunnel")["phases"]["tls_ms"].is_number());
    // NO_PROXY: connected directly, so the name the proxy alone knows does not resolve.
    assert_eq!(result(&doc, "bypass")["status"], "dns", "{doc:#}");
    assert_eq!(doc["proxy"]["source"], "daemon.json proxies");
    let log = proxy.log();
    assert!(
        log.contains("GET http://mirror.test:") && log.contains(&format!("CONNECT {secure_host}")),
        "{log}"
    );
    assert!(!log.contains("bypass.test"), "{log}");

    // --no-daemon-proxy: straight to the (unresolvable) names.
    let (doc, code) = sb.probe(&mirrors[..1], &["--no-daemon-proxy"]);
    assert_eq!(code, 3);
    assert_eq!(result(&doc, "via-proxy")["status"], "dns", "{doc:#}");
    assert!(doc["proxy"].is_null());
}

#[test]
fn a_ca_in_certs_d_is_trusted_for_its_own_host_only() {
    let sb = Sandbox::new();
    let (tls, ca) = tls_for("localhost");
    let server = registry(Some(tls));
    let url = format!("https://localhost:{}", server.addr.port());
    let certs = sb.path().join("certs.d");
    // The right CA, filed under another registry: dockerd would not use it for this one.
    std::fs::create_dir_all(certs.join("other.example:5000")).unwrap();
    std::fs::write(certs.join("other.example:5000/ca.crt"), &ca).unwrap();
    let flag = ["--certs-dir", certs.to_str().unwrap()];
    let (doc, _) = sb.probe(&[("private", url.clone())], &flag);
    assert_eq!(result(&doc, "private")["status"], "tls", "{doc:#}");
    std::fs::create_dir_all(certs.join(format!("localhost:{}", server.addr.port()))).unwrap();
    std::fs::write(
        certs.join(format!("localhost:{}/ca.crt", server.addr.port())),
        &ca,
    )
    .unwrap();
    let (doc, _) = sb.probe(&[("private", url)], &flag);
    assert_eq!(result(&doc, "private")["status"], "ok", "{doc:#}");
}

#[test]
fn a_dead_proxy_is_a_proxy_failure_with_a_plain_reason() {
    let sb = Sandbox::new();
    let plain = registry(None);
    let dead = crate::support::registry::free_port();
    daemon_json(
        &sb,
        &format!("{{\"proxies\": {{\"http-proxy\": \"http://ops:s3cret@127.0.0.1:{dead}\"}}}}"),
    );
    let (doc, code) = sb.probe(
        &[("m", format!("http://mirror.test:{}", plain.addr.port()))],
        &[],
    );
    assert_eq!(code, 3);
    let r = result(&doc, "m");
    assert_eq!(r["status"], "proxy", "{r}");
    let reason = r["error"].as_str().unwrap();
    assert!(
        reason.contains(&format!("127.0.0.1:{dead}")) && reason.contains("daemon.json proxies"),
        "{reason}"
    );
    assert!(!doc.to_string().contains("s3cret"), "{doc}");
}

#[test]
fn the_probe_follows_the_proxy_the_running_dockerd_reports() {
    engines::each(|engine| {
        let sb = Sandbox::new();
        let proxy = Tinyproxy::start(&sb.path().join("proxy"), &["mirror.test"]);
        let plain = registry(None);
        // The unit's drop-in gives dockerd the proxy; /info is where the probe learns it.
        let dir = sb.path().join("dockerd");
        let dropins = dir.join("systemd/docker.service.d");
        std::fs::create_dir_all(&dropins).unwrap();
        std::fs::write(
            dropins.join("http-proxy.conf"),
            format!("[Service]\nEnvironment=\"HTTP_PROXY={}\"\n", proxy.url()),
        )
        .unwrap();
        let d = Dockerd::start(engine, &dir, "{\n  \"debug\": false\n}\n", &[]);
        let catalogue = sb.catalogue(&[("m", format!("http://mirror.test:{}", plain.addr.port()))]);
        let out = sb
            .mirrorctl_no_dns()
            .env("PATH", d.path_env())
            .env("DOCKER_HOST", d.host())
            .args(["probe", "--json", "--catalogue"])
            .arg(&catalogue)
            .output()
            .unwrap();
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            result(&doc, "m")["status"],
            "ok",
            "{doc:#}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(doc["proxy"]["source"], "the running dockerd", "{doc:#}");
        assert!(
            proxy.log().contains("GET http://mirror.test:"),
            "{}",
            proxy.log()
        );
    });
}
