//! Proof of use: `doctor --pull` and `apply --pull` pull an image through a real dockerd and say which host served
//! it from the daemon's own TCP connections. The first mirror answers 500 for manifests (support/status_server.rs),
//! the second is a real docker-registry holding the image; dockerd's proxy (127.0.0.1:9) keeps any fallback to
//! Docker Hub on this machine, so a pull that works came from a mirror.

use std::process::{Command, Output};

use serde_json::Value;

use crate::support::dockerd::Dockerd;
use crate::support::docs::{check, ChangeDoc, DoctorDoc};
use crate::support::engines;
use crate::support::fake_hub::FakeHub;
use crate::support::image::Image;
use crate::support::registry::{free_port, Registry};
use crate::support::status_server::Failing;
use crate::support::store::StoreDockerd;
use crate::support::{needs_root, Sandbox};

const IMAGE: &str = "mirrorctl/proof:1";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", text(&out.stdout), text(&out.stderr)))
}

/// A real registry holding the image, the only place it exists.
fn good_mirror(sb: &Sandbox) -> Registry {
    let r = Registry::start(&sb.path().join("good"), None);
    r.push(
        &Image::new("mirrorctl/proof", "1", 8192),
        &sb.path().join("push"),
    );
    r
}

fn mirrors_config(urls: &[String]) -> String {
    let list: Vec<String> = urls.iter().map(|u| format!("\"{u}\"")).collect();
    format!("{{\n    \"registry-mirrors\": [{}]\n}}\n", list.join(", "))
}

fn command(sb: &Sandbox, d: &Dockerd, certs_d: Option<&std::path::Path>, args: &[&str]) -> Command {
    let mut c = sb.mirrorctl();
    c.env("PATH", d.path_env())
        .env("DOCKER_HOST", d.host())
        .args(args)
        .arg("--config")
        .arg(&d.config);
    if let Some(dir) = certs_d {
        c.arg("--certs-dir").arg(dir);
    }
    c
}

fn mirrorctl(
    sb: &Sandbox,
    d: &Dockerd,
    certs_d: Option<&std::path::Path>,
    args: &[&str],
) -> Output {
    command(sb, d, certs_d, args).output().unwrap()
}

/// doctor `--pull --json`: the document and its pull-proof check.
fn doctor_pull(sb: &Sandbox, d: &Dockerd, certs_d: Option<&std::path::Path>) -> (Value, Value) {
    let out = mirrorctl(
        sb,
        d,
        certs_d,
        &["doctor", "--json", "--init", "systemd", "--pull", IMAGE],
    );
    let doc = json(&out);
    check::<DoctorDoc>(&doc);
    let finding = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "pull-proof")
        .cloned()
        .unwrap_or_else(|| panic!("{doc:#}"));
    (doc, finding)
}

/// What every good case must say: the second mirror served, the first was tried and failed.
fn assert_second_mirror(
    doc: &Value,
    finding: &Value,
    failing: &Failing,
    good: &Registry,
    d: &Dockerd,
) {
    let pull = &doc["pull"];
    assert_eq!(pull["verdict"], "mirror", "{pull:#}\n{}", d.log());
    assert_eq!(finding["severity"], "ok", "{finding:#}");
    assert_eq!(
        pull["served_by"],
        serde_json::json!([format!("{}/", good.url())]),
        "{pull:#}"
    );
    assert_eq!(
        pull["failed"],
        serde_json::json!([format!("{}/", failing.url())]),
        "{pull:#}"
    );
    assert_eq!(pull["upstream"], false, "{pull:#}");
    assert!(
        pull["digest"].as_str().unwrap_or("").starts_with("sha256:"),
        "{pull:#}"
    );
    // The fault server really was asked for the manifest, and the registry served the blobs.
    assert!(
        failing.paths().iter().any(|p| p.contains("/manifests/")),
        "{:?}",
        failing.paths()
    );
    assert!(
        good.gets()
            .iter()
            .any(|g| g.starts_with("/v2/mirrorctl/proof/blobs/")),
        "{:?}",
        good.gets()
    );
}

#[test]
fn doctor_pull_names_the_second_mirror_when_the_first_answers_500_on_every_engine() {
    engines::each(|engine| {
        let sb = Sandbox::new();
        let good = good_mirror(&sb);
        let failing = Failing::start();
        let config = mirrors_config(&[failing.url(), good.url()]);
        let d = Dockerd::start(engine, &sb.path().join("dockerd"), &config, &[]);
        let (doc, finding) = doctor_pull(&sb, &d, None);
        assert_second_mirror(&doc, &finding, &failing, &good, &d);
        assert_eq!(doc["pull"]["daemon_pid"].to_string(), d.main_pid());

        // The same for people: the verdict, the mirror that served and the one that failed.
        let out = mirrorctl(
            &sb,
            &d,
            None,
            &["doctor", "--init", "systemd", "--pull", IMAGE],
        );
        let t = text(&out.stdout);
        assert!(
            t.contains("pull-proof")
                && t.contains(&format!("served by: {}/", good.url()))
                && t.contains(&format!("tried first, failed: {}/", failing.url())),
            "{t}\n{}",
            text(&out.stderr)
        );
    });
}

#[test]
fn doctor_pull_reads_the_hosts_toml_on_the_containerd_store() {
    if !needs_root("doctor_pull_reads_the_hosts_toml_on_the_containerd_store") {
        return;
    }
    let sb = Sandbox::new();
    let good = good_mirror(&sb);
    let failing = Failing::start();
    // daemon.json names a mirror nothing answers; the hosts.toml, which overrides it, the two of ours.
    let dead = format!("http://127.0.0.1:{}", free_port());
    let s = StoreDockerd::start(
        &sb.path().join("store"),
        &mirrors_config(std::slice::from_ref(&dead)),
    );
    let hosts = s.certs_d.join("docker.io/hosts.toml");
    std::fs::create_dir_all(hosts.parent().unwrap()).unwrap();
    std::fs::write(
        &hosts,
        format!(
            "server = \"https://registry-1.docker.io\"\n[host.\"{}\"]\n  capabilities = [\"pull\", \"resolve\"]\n[host.\"{}\"]\n  capabilities = [\"pull\", \"resolve\"]\n",
            failing.url(),
            good.url()
        ),
    )
    .unwrap();
    let (doc, finding) = doctor_pull(&sb, &s.d, Some(&s.certs_d));
    assert_second_mirror(&doc, &finding, &failing, &good, &s.d);
    assert!(
        !doc["pull"]["failed"].to_string().contains(&dead),
        "{doc:#}"
    );
}

/// `apply --mirror A --mirror B --no-probe --pull IMAGE`, as an operator runs it.
fn apply_pull(sb: &Sandbox, d: &Dockerd, mirrors: &[String], json: bool) -> Command {
    let mut args = vec!["apply".to_owned()];
    for m in mirrors {
        args.extend(["--mirror".to_owned(), m.clone()]);
    }
    args.extend(["--no-probe", "--pull", IMAGE, "--init", "systemd", "--yes"].map(String::from));
    if json {
        args.push("--json".into());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    command(sb, d, None, &args)
}

#[test]
fn apply_pull_keeps_a_change_whose_pull_a_mirror_served() {
    engines::oldest_and_newest(|engine| {
        let sb = Sandbox::new();
        let good = good_mirror(&sb);
        let failing = Failing::start();
        let d = Dockerd::start(
            engine,
            &sb.path().join("dockerd"),
            "{\n    \"debug\": false\n}\n",
            &[],
        );
        let out = apply_pull(&sb, &d, &[failing.url(), good.url()], true)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}\n{}", text(&out.stderr), d.log());
        let doc = json(&out);
        check::<ChangeDoc>(&doc);
        assert_eq!(doc["changed"], true);
        assert_eq!(doc["pull"]["verdict"], "mirror", "{doc:#}");
        assert_eq!(
            doc["pull"]["served_by"],
            serde_json::json!([format!("{}/", good.url())])
        );
        assert_eq!(
            d.live_mirrors(),
            [format!("{}/", failing.url()), format!("{}/", good.url())]
        );
        // Again: nothing to change, and the pull still proves the mirrors in place (nothing restarted).
        let pid = d.main_pid();
        let out = apply_pull(&sb, &d, &[failing.url(), good.url()], true)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        let doc = json(&out);
        check::<ChangeDoc>(&doc);
        assert_eq!(doc["changed"], false);
        assert_eq!(doc["pull"]["verdict"], "mirror", "{doc:#}");
        assert_eq!(d.main_pid(), pid);
    });
}

/// On the containerd store (no hosts.toml: dockerd merges registry-mirrors before Docker Hub), the same.
#[test]
fn apply_pull_on_the_containerd_store_names_the_mirror_that_served() {
    if !needs_root("apply_pull_on_the_containerd_store_names_the_mirror_that_served") {
        return;
    }
    let sb = Sandbox::new();
    let good = good_mirror(&sb);
    let failing = Failing::start();
    let s = StoreDockerd::start(&sb.path().join("store"), "{\n    \"debug\": false\n}\n");
    let mut args = vec!["apply".to_owned()];
    for m in [failing.url(), good.url()] {
        args.extend(["--mirror".to_owned(), m]);
    }
    args.extend(
        [
            "--no-probe",
            "--pull",
            IMAGE,
            "--init",
            "systemd",
            "--yes",
            "--json",
        ]
        .map(String::from),
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = mirrorctl(&sb, &s.d, Some(&s.certs_d), &args);
    assert!(out.status.success(), "{}\n{}", text(&out.stderr), s.d.log());
    let doc = json(&out);
    check::<ChangeDoc>(&doc);
    assert_eq!(doc["pull"]["verdict"], "mirror", "{doc:#}");
    assert_eq!(
        doc["pull"]["served_by"],
        serde_json::json!([format!("{}/", good.url())])
    );
    assert_eq!(
        doc["pull"]["failed"],
        serde_json::json!([format!("{}/", failing.url())])
    );
}

#[test]
fn apply_pull_rolls_back_when_every_mirror_is_down_and_the_pull_goes_upstream() {
    engines::oldest_and_newest(|engine| {
        let sb = Sandbox::new();
        let good = good_mirror(&sb);
        // Docker Hub is a listener of ours, reached through /etc/hosts in dockerd's and mirrorctl's namespaces.
        let hub = FakeHub::start(&sb.path().join("hub"));
        let engine = hub.engine(engine, sb.path());
        // The mirrors in place work; the new ones do not: one refuses connections, one answers 500.
        let d = Dockerd::start(
            &engine,
            &sb.path().join("dockerd"),
            &mirrors_config(&[good.url()]),
            &[],
        );
        let before = std::fs::read(&d.config).unwrap();
        let failing = Failing::start();
        let dead = format!("http://127.0.0.1:{}", free_port());
        let out = hub
            .inside(&apply_pull(&sb, &d, &[dead, failing.url()], false))
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{err}\n{}", text(&out.stdout));
        assert!(
            err.contains("went to Docker Hub (registry-1.docker.io)")
                && err.contains("rolled back"),
            "{err}\n{}",
            text(&out.stdout)
        );
        // The fallback really connected to "Docker Hub", and the report saw that connection.
        assert!(hub.connections() > 0, "{err}\n{}", d.log());
        assert!(err.contains("Docker Hub"), "{err}");
        assert!(
            failing.paths().iter().any(|p| p.contains("/manifests/")),
            "{:?}",
            failing.paths()
        );
        assert_eq!(
            std::fs::read(&d.config).unwrap(),
            before,
            "daemon.json byte for byte"
        );
        assert_eq!(
            d.live_mirrors(),
            [format!("{}/", good.url())],
            "the old mirrors are live again"
        );
    });
}

/// `doctor --pull` where the pull falls back to Docker Hub: a failed check that names it, seen as a connection.
#[test]
fn doctor_pull_sees_the_connection_to_docker_hub_when_every_mirror_fails() {
    if !needs_root("doctor_pull_sees_the_connection_to_docker_hub") {
        return;
    }
    let sb = Sandbox::new();
    let hub = FakeHub::start(&sb.path().join("hub"));
    let engine = hub.engine(&crate::support::store::engine_28(), sb.path());
    let failing = Failing::start();
    let d = Dockerd::start(
        &engine,
        &sb.path().join("dockerd"),
        &mirrors_config(&[failing.url()]),
        &[],
    );
    let mut c = sb.mirrorctl();
    c.env("PATH", d.path_env())
        .env("DOCKER_HOST", d.host())
        .args([
            "doctor", "--json", "--init", "systemd", "--pull", IMAGE, "--config",
        ])
        .arg(&d.config);
    let out = hub.inside(&c).output().unwrap();
    let doc = json(&out);
    check::<DoctorDoc>(&doc);
    let pull = &doc["pull"];
    assert_eq!(pull["verdict"], "failed", "{pull:#}");
    assert_eq!(pull["upstream"], true, "{pull:#}");
    assert!(
        pull["seen"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["host"] == "Docker Hub"),
        "the connection to Docker Hub is seen, not only named: {pull:#}"
    );
    assert_eq!(
        pull["failed"],
        serde_json::json!([format!("{}/", failing.url())]),
        "{pull:#}"
    );
    let finding = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "pull-proof")
        .unwrap();
    assert_eq!(finding["severity"], "error");
    assert!(
        finding["fix"].as_str().unwrap().contains("mirrorctl probe"),
        "{finding:#}"
    );
    assert_eq!(out.status.code(), Some(1));

    // `apply --pull` of the mirrors already in place: nothing to change, so nothing to roll back — the pull that
    // went upstream is an error (exit 1), the file is byte for byte as it was and dockerd was not restarted.
    let before = std::fs::read(&d.config).unwrap();
    let pid = d.main_pid();
    let out = hub
        .inside(&apply_pull(&sb, &d, &[failing.url()], true))
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}\n{}", text(&out.stdout));
    assert!(err.contains("Docker Hub"), "{err}");
    assert!(!err.contains("rolled back"), "nothing was changed: {err}");
    assert_eq!(std::fs::read(&d.config).unwrap(), before);
    assert_eq!(d.main_pid(), pid, "no restart");
}

/// The symptom users report ("镜像加速无效"): `docker info` lists the mirror, the pull works — from Docker Hub.
/// Here Docker Hub is a real TLS registry of ours under its name; the mirror answers 500.
#[test]
fn doctor_pull_says_docker_hub_served_when_the_pull_works_without_the_mirror() {
    if !needs_root("doctor_pull_says_docker_hub_served") {
        return;
    }
    let sb = Sandbox::new();
    let hub = FakeHub::serving(
        &sb.path().join("hub"),
        &Image::new("mirrorctl/proof", "1", 8192),
    );
    let engine = hub.engine(&crate::support::store::engine_28(), sb.path());
    let failing = Failing::start();
    let d = Dockerd::start(
        &engine,
        &sb.path().join("dockerd"),
        &mirrors_config(&[failing.url()]),
        &[],
    );
    assert_eq!(d.live_mirrors(), [format!("{}/", failing.url())]);
    let c = command(
        &sb,
        &d,
        None,
        &["doctor", "--json", "--init", "systemd", "--pull", IMAGE],
    );
    let out = hub.inside(&c).output().unwrap();
    let doc = json(&out);
    check::<DoctorDoc>(&doc);
    let pull = &doc["pull"];
    assert_eq!(pull["verdict"], "docker-hub", "{pull:#}\n{}", d.log());
    assert_eq!(
        pull["served_by"],
        serde_json::json!(["Docker Hub"]),
        "{pull:#}"
    );
    assert_eq!(
        pull["failed"],
        serde_json::json!([format!("{}/", failing.url())]),
        "{pull:#}"
    );
    assert!(
        pull["digest"].as_str().unwrap_or("").starts_with("sha256:"),
        "{pull:#}"
    );
    let finding = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "pull-proof")
        .unwrap();
    assert_eq!(finding["severity"], "error", "{finding:#}");
    assert!(
        finding["reason"]
            .as_str()
            .unwrap()
            .contains("not from a mirror"),
        "{finding:#}"
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_tcp_docker_host_says_the_pull_can_be_proven_only_over_the_unix_socket() {
    let sb = Sandbox::new();
    let port = free_port();
    let out = sb
        .mirrorctl()
        .env("DOCKER_HOST", format!("tcp://127.0.0.1:{port}"))
        .args(["doctor", "--json", "--pull", IMAGE, "--config"])
        .arg(sb.path().join("daemon.json"))
        .output()
        .unwrap();
    let doc = json(&out);
    check::<DoctorDoc>(&doc);
    assert_eq!(doc["pull"]["verdict"], "unproven", "{doc:#}");
    let finding = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "pull-proof")
        .unwrap();
    assert_eq!(finding["severity"], "warning");
    assert!(
        finding["reason"]
            .as_str()
            .unwrap()
            .contains("can be proven only over the daemon's unix socket on this machine"),
        "{finding:#}"
    );
    // apply refuses before anything is probed or written.
    let path = sb.path().join("daemon.json");
    let out = sb
        .mirrorctl()
        .env("DOCKER_HOST", format!("tcp://127.0.0.1:{port}"))
        .args([
            "apply",
            "--mirror",
            "https://m.example",
            "--no-probe",
            "--yes",
            "--pull",
            IMAGE,
            "--config",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("unix socket"),
        "{}",
        text(&out.stderr)
    );
    assert!(!path.exists());
    // A change of containerd's mirrors is not what a pull through dockerd proves.
    let out = sb
        .mirrorctl()
        .args([
            "apply",
            "--target",
            "containerd",
            "--mirror",
            "https://m.example",
            "--no-probe",
            "--yes",
        ])
        .args(["--pull", IMAGE])
        .args(sb.runtime_places())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("--pull proves dockerd's mirrors"),
        "{}",
        text(&out.stderr)
    );
    // A registry other than Docker Hub is refused as a usage error: dockerd's mirrors serve Docker Hub only.
    let out = sb
        .mirrorctl()
        .args(["doctor", "--pull", "ghcr.io/o/app:1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("Docker Hub only"),
        "{}",
        text(&out.stderr)
    );
}
