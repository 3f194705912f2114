use std::sync::Arc;
use std::time::Duration;

use crate::support::fake_registry::{Behavior, FakeRegistry, Fault};
use crate::support::image::Image;
use crate::support::registry::{free_port, Registry};
use crate::support::{result, Sandbox};

fn alpine(layer: usize) -> Arc<Image> {
    Arc::new(Image::new("library/alpine", "latest", layer))
}

#[test]
fn a_real_pull_through_mirror_passes_with_verified_bytes() {
    let sb = Sandbox::new();
    let image = alpine(300 * 1024);
    let upstream = Registry::start(&sb.path().join("upstream"), None);
    upstream.push(&image, sb.path());
    let mirror = Registry::start(&sb.path().join("mirror"), Some(&upstream.url()));

    let (doc, code) = sb.probe(&[("real-mirror", mirror.url())], &[]);
    let r = result(&doc, "real-mirror");
    assert_eq!(r["status"], "ok", "{r}");
    assert_eq!(code, 0);
    assert_eq!(r["rank"], 1);
    assert_eq!(
        r["url"],
        format!("{}/", mirror.url()),
        "dockerd's normalised form"
    );
    // skopeo gzips our uncompressed layer on push, so the mirror's blob is a little larger than the tar.
    let blob = r["blob_bytes"].as_u64().unwrap();
    assert!(
        blob > image.layer.len() as u64 && blob < image.layer.len() as u64 + 4096,
        "{r}"
    );
    assert!(r["throughput_bps"].as_f64().unwrap() > 0.0);
    for phase in ["dns_ms", "connect_ms", "ttfb_ms", "manifest_ms", "blob_ms"] {
        assert!(
            r["phases"][phase].as_f64().is_some(),
            "{phase} missing: {r}"
        );
    }
    assert!(
        r["phases"]["tls_ms"].is_null(),
        "plain http has no TLS phase"
    );
    assert_eq!(doc["image"], "library/alpine:latest");

    let cached = sb.path().join("cache/mirrorctl/last-probe.json");
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(cached).unwrap()).unwrap();
    assert_eq!(
        saved["results"], doc["results"],
        "the cache holds the same report"
    );
}

#[test]
fn every_failure_class_is_named() {
    let sb = Sandbox::new();
    let image = alpine(512 * 1024);
    let token = FakeRegistry::start(image.clone(), Behavior::default());
    let realm = format!("{}/token", token.url());
    let dead_realm = format!("http://127.0.0.1:{}/token", free_port());
    let with = |fault: Fault| {
        FakeRegistry::start(
            image.clone(),
            Behavior {
                fault,
                ..Default::default()
            },
        )
    };
    let servers = vec![
        ("plain", with(Fault::None), "ok"),
        (
            "bearer",
            FakeRegistry::start(
                image.clone(),
                Behavior {
                    token_realm: Some(realm),
                    ..Default::default()
                },
            ),
            "ok",
        ),
        (
            "realm-down",
            FakeRegistry::start(
                image.clone(),
                Behavior {
                    token_realm: Some(dead_realm),
                    ..Default::default()
                },
            ),
            "auth",
        ),
        ("basic", with(Fault::BasicAuth), "auth"),
        ("captive", with(Fault::CaptivePortal), "not-a-registry"),
        ("allowlist", with(Fault::Status("/blobs/", 403)), "denied"),
        (
            "limited",
            with(Fault::Status("/manifests/", 429)),
            "rate-limited",
        ),
        (
            "broken",
            with(Fault::Status("/manifests/", 503)),
            "server-error",
        ),
        (
            "missing",
            with(Fault::Status("/manifests/", 404)),
            "not-found",
        ),
        ("corrupt", with(Fault::CorruptBlob), "digest-mismatch"),
        (
            "lying-manifest",
            with(Fault::WrongManifestDigest),
            "digest-mismatch",
        ),
        ("endless-blob", with(Fault::EndlessBlob), "digest-mismatch"),
        (
            "endless-manifest",
            with(Fault::EndlessManifest),
            "bad-response",
        ),
        ("truncated", with(Fault::TruncatedBlob), "network"),
        ("hang", with(Fault::Hang("/manifests/")), "timeout"),
        (
            "slow",
            FakeRegistry::start(
                image.clone(),
                Behavior {
                    bandwidth: Some(32 * 1024),
                    ..Default::default()
                },
            ),
            "too-slow",
        ),
    ];
    let plain_http = with(Fault::None);
    let mut mirrors: Vec<(&str, String)> = servers.iter().map(|(n, s, _)| (*n, s.url())).collect();
    mirrors.push(("refused", format!("http://127.0.0.1:{}", free_port())));
    // TLS to a server that speaks plain HTTP: the handshake fails, as with a mirror behind a broken proxy.
    mirrors.push((
        "tls",
        format!("https://localhost:{}", plain_http.addr.port()),
    ));

    let started = std::time::Instant::now();
    let (doc, code) = sb.probe(&mirrors, &["--timeout", "2"]);
    let wall = started.elapsed();
    assert_eq!(code, 0, "two mirrors pass");
    let mut expected: Vec<(&str, &str)> = servers.iter().map(|(n, _, s)| (*n, *s)).collect();
    expected.extend([("refused", "refused"), ("tls", "tls")]);
    for (name, status) in expected {
        let r = result(&doc, name);
        assert_eq!(r["status"], status, "{name}: {r}");
        assert_eq!(r["ok"], status == "ok", "{name}");
        if status != "ok" {
            assert!(
                r["error"].as_str().is_some_and(|e| !e.is_empty()),
                "{name} needs a reason: {r}"
            );
        }
    }
    assert!(result(&doc, "bearer")["phases"]["token_ms"]
        .as_f64()
        .is_some());
    assert!(result(&doc, "allowlist")["error"]
        .as_str()
        .unwrap()
        .contains("allowlist"));
    assert!(result(&doc, "limited")["error"]
        .as_str()
        .unwrap()
        .contains("retry after 30s"));
    assert!(
        result(&doc, "slow")["blob_bytes"].as_u64().unwrap() > 0,
        "too-slow means bytes were moving"
    );

    // A hang and an endless body cost at most the deadline, and everything ran at once.
    for name in ["hang", "slow", "endless-blob", "endless-manifest"] {
        let ms = result(&doc, name)["total_ms"].as_f64().unwrap();
        assert!(ms < 2_500.0, "{name} took {ms} ms, past the 2 s deadline");
    }
    assert!(
        wall < Duration::from_secs(8),
        "18 mirrors took {wall:?}: they must be probed concurrently"
    );

    // Ok before failed, and failed ones carry no score.
    let results = doc["results"].as_array().unwrap();
    let first_failed = results.iter().position(|r| r["ok"] == false).unwrap();
    assert!(results[first_failed..]
        .iter()
        .all(|r| r["ok"] == false && r["score_s"].is_null()));
    assert_eq!(first_failed, 2);

    // Few requests per host: ping, manifest index, platform manifest, blob.
    assert!(
        servers[0].1.requests() <= 4,
        "plain mirror got {} requests",
        servers[0].1.requests()
    );
}

#[test]
fn ranking_follows_latency_and_bandwidth() {
    let sb = Sandbox::new();
    let image = alpine(256 * 1024);
    let server = |latency_ms: u64, bandwidth: Option<u64>| {
        FakeRegistry::start(
            image.clone(),
            Behavior {
                latency: Duration::from_millis(latency_ms),
                bandwidth,
                ..Default::default()
            },
        )
    };
    let slow = server(150, Some(256 * 1024));
    let fast = server(0, None);
    let mid = server(40, Some(2 * 1024 * 1024));
    let (doc, code) = sb.probe(
        &[
            ("slow", slow.url()),
            ("fast", fast.url()),
            ("mid", mid.url()),
        ],
        &[],
    );
    assert_eq!(code, 0);
    let order: Vec<&str> = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["fast", "mid", "slow"], "{doc}");
    let tput = |n| result(&doc, n)["throughput_bps"].as_f64().unwrap();
    assert!(
        tput("slow") < 400.0 * 1024.0,
        "throttled to 256 KiB/s, measured {}",
        tput("slow")
    );
    let lat = |n| result(&doc, n)["latency_ms"].as_f64().unwrap();
    assert!(lat("slow") >= 150.0 && lat("fast") < 100.0);
}

#[test]
fn none_passing_is_its_own_exit_code_and_the_table_says_why() {
    let sb = Sandbox::new();
    let image = alpine(1024);
    let captive = FakeRegistry::start(
        image,
        Behavior {
            fault: Fault::CaptivePortal,
            ..Default::default()
        },
    );
    let catalogue = sb.catalogue(&[("hotel-wifi", captive.url())]);
    let out = sb
        .mirrorctl()
        .args(["probe", "--catalogue"])
        .arg(&catalogue)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains("hotel-wifi") && table.contains("not-a-registry") && table.contains("HTML"),
        "{table}"
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("0 of 1 mirrors"), "{stderr}");
    assert!(
        !stderr.contains("probing"),
        "no progress display when stderr is not a terminal: {stderr}"
    );
}

#[test]
fn bad_input_is_a_located_actionable_error() {
    let sb = Sandbox::new();
    let path = sb.path().join("bad.toml");
    std::fs::write(&path, "[catalogue]\nupdated = \"2026-11-24\"\n\n[[mirror]]\nname = \"x\"\nurl = \"https://a\"\nstatus = \"alive\"\n").unwrap();
    let out = sb
        .mirrorctl()
        .args(["probe", "--catalogue"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("bad.toml") && err.contains("line 7") && err.contains("alive"),
        "{err}"
    );

    let out = sb
        .mirrorctl()
        .args(["probe", "--mirror", "docker.example.com"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("docker.example.com") && err.contains("https://"),
        "{err}"
    );

    let out = sb
        .mirrorctl()
        .args(["probe", "--mirror", "https://user:hunter2@m.example.com"])
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("username/password") && !err.contains("hunter2"),
        "{err}"
    );
}

#[test]
fn https_mirrors_are_trusted_as_dockerd_trusts_them() {
    let sb = Sandbox::new();
    let (tls, ca_pem) = crate::support::fake_registry::tls_for_localhost();
    let server = FakeRegistry::start(
        alpine(64 * 1024),
        Behavior {
            tls: Some(tls),
            ..Default::default()
        },
    );
    let url = format!("https://localhost:{}", server.addr.port());

    // A private CA the system does not know: refused, with the reason.
    let (doc, code) = sb.probe(
        &[("private", url.clone())],
        &["--certs-dir", sb.path().join("none").to_str().unwrap()],
    );
    assert_eq!(code, 3);
    let r = result(&doc, "private");
    assert_eq!(r["status"], "tls", "{r}");
    assert!(
        r["error"].as_str().unwrap().contains("UnknownIssuer"),
        "{r}"
    );

    // The same CA in dockerd's certs.d layout (certs.d/<host:port>/ca.crt): trusted, and TLS time measured.
    let certs = sb
        .path()
        .join("certs.d")
        .join(format!("localhost:{}", server.addr.port()));
    std::fs::create_dir_all(&certs).unwrap();
    std::fs::write(certs.join("ca.crt"), ca_pem).unwrap();
    let (doc, code) = sb.probe(
        &[("private", url)],
        &["--certs-dir", sb.path().join("certs.d").to_str().unwrap()],
    );
    assert_eq!(code, 0, "{doc}");
    let r = result(&doc, "private");
    assert_eq!(r["status"], "ok", "{r}");
    assert!(r["phases"]["tls_ms"].as_f64().is_some(), "{r}");
}

#[test]
fn waiting_for_a_download_slot_is_not_charged_to_the_mirror() {
    let sb = Sandbox::new();
    // Each blob takes about a second at this bandwidth; two in a row take longer than the deadline.
    let image = alpine(96 * 1024);
    let thin = || {
        FakeRegistry::start(
            image.clone(),
            Behavior {
                bandwidth: Some(96 * 1024),
                ..Default::default()
            },
        )
    };
    let (a, b) = (thin(), thin());
    let (doc, code) = sb.probe(
        &[("a", a.url()), ("b", b.url())],
        &["--timeout", "1.8", "--blob-jobs", "1"],
    );
    assert_eq!(code, 0);
    for name in ["a", "b"] {
        assert_eq!(result(&doc, name)["status"], "ok", "{doc:#}");
    }
    let queued: Vec<f64> = ["a", "b"]
        .iter()
        .map(|n| result(&doc, n)["phases"]["queued_ms"].as_f64().unwrap())
        .collect();
    assert!(
        queued.iter().any(|q| *q > 500.0),
        "one of them waited for the other's download: {queued:?}"
    );
    for name in ["a", "b"] {
        assert!(
            result(&doc, name)["total_ms"].as_f64().unwrap() < 1800.0,
            "the wait is not in total_ms: {doc:#}"
        );
    }
}

#[test]
fn a_probe_spends_one_request_per_step_and_nothing_more() {
    let sb = Sandbox::new();
    let realm = FakeRegistry::start(alpine(8 * 1024), Behavior::default());
    let mirror = FakeRegistry::start(
        alpine(8 * 1024),
        Behavior {
            token_realm: Some(format!("{}/token", realm.url())),
            ..Default::default()
        },
    );
    let (doc, code) = sb.probe(&[("m", mirror.url())], &[]);
    assert_eq!(code, 0, "{doc}");
    // Mirrors allow ~20 requests a minute: a ping, the challenge's token from the realm, the index, the
    // platform's manifest and one blob — each once.
    let served = mirror.served();
    let steps: Vec<&str> = served
        .iter()
        .map(|p| {
            if p == "/v2/" {
                "ping"
            } else if p.contains("/manifests/latest") {
                "index"
            } else if p.contains("/manifests/sha256:") {
                "manifest"
            } else if p.contains("/blobs/") {
                "blob"
            } else {
                "other"
            }
        })
        .collect();
    assert_eq!(steps, ["ping", "index", "manifest", "blob"], "{served:?}");
    let tokens = realm.served();
    assert_eq!(tokens.len(), 1, "{tokens:?}");
    assert!(
        tokens[0].starts_with("/token?")
            && tokens[0].contains("scope=repository%3Alibrary%2Falpine%3Apull"),
        "{tokens:?}"
    );
}

#[test]
fn a_403_or_a_429_is_explained_with_what_the_catalogue_knows() {
    let sb = Sandbox::new();
    let allowlisted = FakeRegistry::start(
        alpine(4 * 1024),
        Behavior {
            fault: Fault::Status("/blobs/", 403),
            ..Default::default()
        },
    );
    let quota = FakeRegistry::start(
        alpine(4 * 1024),
        Behavior {
            fault: Fault::Status("/manifests/", 429),
            ..Default::default()
        },
    );
    let catalogue = sb.path().join("c.toml");
    std::fs::write(
        &catalogue,
        format!(
            "[catalogue]\nupdated = \"2026-11-25\"\n\n[[mirror]]\nname = \"dao\"\nurl = \"{}\"\nprovider = \"DaoCloud\"\nstatus = \"active\"\nallowlist = true\nrate_limit = \"20/min\"\n\n[[mirror]]\nname = \"xy\"\nurl = \"{}\"\nprovider = \"Xuanyuan\"\nstatus = \"active\"\nrate_limit = \"100/h\"\n",
            allowlisted.url(),
            quota.url()
        ),
    )
    .unwrap();
    let out = sb
        .mirrorctl_no_dns()
        .args(["probe", "--json", "--catalogue"])
        .arg(&catalogue)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let dao = result(&doc, "dao");
    assert_eq!(dao["status"], "denied");
    assert!(
        dao["error"]
            .as_str()
            .unwrap()
            .starts_with("DaoCloud serves only allowlisted images"),
        "{dao}"
    );
    let xy = result(&doc, "xy");
    assert_eq!(xy["status"], "rate-limited");
    assert!(
        xy["error"]
            .as_str()
            .unwrap()
            .contains("Xuanyuan's quota of 100/h"),
        "{xy}"
    );
}

#[test]
fn on_a_cloud_machine_its_own_mirror_is_probed_and_others_are_not() {
    let sb = Sandbox::new();
    let tencent = FakeRegistry::start(alpine(4 * 1024), Behavior::default());
    let huawei = FakeRegistry::start(alpine(4 * 1024), Behavior::default());
    let catalogue = sb.path().join("c.toml");
    std::fs::write(
        &catalogue,
        format!(
            "[catalogue]\nupdated = \"2026-11-25\"\n\n[[mirror]]\nname = \"tencent\"\nurl = \"{}\"\nstatus = \"restricted\"\nregion = \"tencent\"\n\n[[mirror]]\nname = \"huawei\"\nurl = \"{}\"\nstatus = \"restricted\"\nregion = \"huawei\"\n",
            tencent.url(),
            huawei.url()
        ),
    )
    .unwrap();
    let probe = || {
        let out = sb
            .mirrorctl_no_dns()
            .args(["probe", "--json", "--catalogue"])
            .arg(&catalogue)
            .output()
            .unwrap();
        let doc: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
        let names: Vec<String> = doc["results"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|r| r["name"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        (names, String::from_utf8_lossy(&out.stderr).into_owned())
    };
    // Not on a cloud: neither cloud-only mirror is worth a request.
    let (names, err) = probe();
    assert!(names.is_empty(), "{names:?} {err}");
    // A Tencent Cloud machine, as DMI describes it.
    std::fs::create_dir_all(sb.path().join("dmi")).unwrap();
    std::fs::write(sb.path().join("dmi/sys_vendor"), "Tencent Cloud\n").unwrap();
    std::fs::write(sb.path().join("dmi/product_name"), "CVM\n").unwrap();
    let (names, err) = probe();
    assert_eq!(names, ["tencent"], "{err}");
    assert!(err.contains("on tencent (DMI)"), "{err}");
    assert_eq!(huawei.requests(), 0);
}

#[test]
fn a_mirror_serving_an_older_image_for_the_tag_is_stale_and_never_applied() {
    let sb = Sandbox::new();
    // Same tag, same repository; the old image has other bytes, so another digest.
    let current = alpine(8 * 1024);
    let old = Arc::new(Image::built(
        "library/alpine",
        "latest",
        6 * 1024,
        "2025-03-14T10:00:00Z",
    ));
    let fresh_a = FakeRegistry::start(current.clone(), Behavior::default());
    let fresh_b = FakeRegistry::start(current.clone(), Behavior::default());
    let behind = FakeRegistry::start(old, Behavior::default());
    let mirrors = [
        ("a", fresh_a.url()),
        ("b", fresh_b.url()),
        ("behind", behind.url()),
    ];
    let (doc, code) = sb.probe(&mirrors, &[]);
    assert_eq!(code, 0);
    let r = result(&doc, "behind");
    assert_eq!(r["status"], "stale", "{r}");
    assert_eq!(r["ok"], false);
    assert_eq!(r["rank"], 3, "ranked after every ok mirror");
    let want = result(&doc, "a")["digest"].as_str().unwrap().to_owned();
    assert!(r["error"].as_str().unwrap().contains(&want), "{r}");
    assert_ne!(r["digest"], want);
    // And how old it is, from each image's config.
    assert!(
        r["error"]
            .as_str()
            .unwrap()
            .contains("its image was built 2025-03-14; the current one 2026-11-02"),
        "{r}"
    );
    assert_eq!(r["created"], "2025-03-14T10:00:00Z");

    // The user who knows the digest decides instead of the majority.
    let (doc, _) = sb.probe(
        &mirrors,
        &["--expect-digest", r["digest"].as_str().unwrap()],
    );
    assert_eq!(result(&doc, "behind")["status"], "ok");
    assert_eq!(result(&doc, "a")["status"], "stale");

    // apply takes the top passing mirrors: never the stale one.
    let config = sb.path().join("daemon.json");
    let out = sb
        .mirrorctl_no_dns()
        .args([
            "apply",
            "--top",
            "3",
            "--yes",
            "--no-restart",
            "--catalogue",
        ])
        .arg(sb.path().join("catalogue.toml"))
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    crate::support::assert_ok(&out);
    let written = std::fs::read_to_string(&config).unwrap();
    assert!(!written.contains(&behind.url()), "{written}");
    assert!(
        written.contains(&fresh_a.url()) && written.contains(&fresh_b.url()),
        "{written}"
    );
}

/// Ctrl-C once the first mirror has answered (its result shows on the terminal's progress line): the finished
/// result is printed in the table and recorded in the history, the unfinished mirror is named as interrupted and
/// recorded as nothing, and the exit code is 130.
#[test]
fn ctrl_c_during_a_probe_keeps_the_results_that_finished() {
    use std::io::Read;
    let sb = Sandbox::new();
    let fast = FakeRegistry::start(alpine(4096), Behavior::default());
    let hung = FakeRegistry::start(
        alpine(4096),
        Behavior {
            fault: Fault::Hang("/v2/"),
            ..Default::default()
        },
    );
    let catalogue = sb.catalogue(&[("fast-one", fast.url()), ("hung-one", hung.url())]);
    let base = sb.mirrorctl();
    let line = format!(
        "stty rows 40 cols 120 && exec '{}' probe --timeout 120 --catalogue '{}'",
        base.get_program().to_str().unwrap(),
        catalogue.display()
    );
    let mut c = std::process::Command::new("script");
    c.args(["-qec", &line, "/dev/null"]).env("TERM", "xterm");
    for (k, v) in base.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    let mut script = c
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("util-linux `script`");
    let mut stdout = script.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains("fast-one ok") {
        assert!(
            std::time::Instant::now() < deadline,
            "no result showed:\n{}",
            String::from_utf8_lossy(&seen)
        );
        if let Ok(chunk) = rx.recv_timeout(Duration::from_millis(100)) {
            seen.extend(chunk);
        }
    }
    // mirrorctl is `script`'s child (the shell exec'd it).
    let children =
        std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", script.id())).unwrap();
    let pid: i32 = children.split_whitespace().next().unwrap().parse().unwrap();
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let status = script.wait().unwrap();
    drop(script.stdin.take());
    reader.join().unwrap();
    seen.extend(rx.try_iter().flatten());
    let text = String::from_utf8_lossy(&seen).replace('\r', "");
    assert_eq!(status.code(), Some(130), "{text}");
    assert!(text.contains("fast-one"), "{text}");
    assert!(
        text.contains("interrupted: 1 mirror(s) had not finished and were not recorded: hung-one"),
        "{text}"
    );

    let out = sb.run_ok(["history", "--json"]);
    let h: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let probes = |name: &str| {
        h["mirrors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .map(|m| m["probes"].clone())
    };
    assert_eq!(probes("fast-one"), Some(serde_json::json!(1)), "{h}");
    assert!(
        probes("hung-one").is_none_or(|n| n == 0),
        "an interrupted probe is no failure: {h}"
    );
}
