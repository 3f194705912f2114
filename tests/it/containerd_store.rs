//! dockerd on the containerd image store (Engine 28.5, `"features": {"containerd-snapshotter": true}`): it resolves
//! every registry through `/etc/docker/certs.d/<host>/hosts.toml`, read at each pull. dockerd runs in a mount
//! namespace whose /etc/docker is a temp dir (support/store.rs); the mirror is a real docker-registry on loopback,
//! and dockerd's proxy (127.0.0.1:9) keeps any fallback to the real registries on this machine — so a pull that
//! works went through the mirror.

use serde_json::Value;

use crate::support::dockerd::Dockerd;
use crate::support::image::Image;
use crate::support::registry::Registry;
use crate::support::store::{engine_28, StoreDockerd};
use crate::support::{needs_root, Sandbox};

const CONFIG: &str = "{\n    \"debug\": false\n}\n";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// mirrorctl against this dockerd, with its certs.d.
fn mirrorctl(
    sb: &Sandbox,
    d: &Dockerd,
    certs_d: &std::path::Path,
    args: &[&str],
) -> std::process::Output {
    sb.mirrorctl()
        .env("PATH", d.path_env())
        .env("DOCKER_HOST", d.host())
        .args(args)
        .arg("--certs-dir")
        .arg(certs_d)
        .arg("--config")
        .arg(&d.config)
        .output()
        .unwrap()
}

fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", text(&out.stdout), text(&out.stderr)))
}

/// A registry holding `repository:1`, the only place that image exists.
fn mirror_with(sb: &Sandbox, repository: &str) -> Registry {
    let r = Registry::start(&sb.path().join("mirror"), None);
    r.push(&Image::new(repository, "1", 4096), &sb.path().join("push"));
    r
}

#[test]
fn apply_for_ghcr_writes_dockerds_certs_d_without_a_restart_and_docker_pulls_through_the_mirror() {
    if !needs_root("apply_for_ghcr_writes_dockerds_certs_d") {
        return;
    }
    let sb = Sandbox::new();
    let mirror = mirror_with(&sb, "team/tool");
    let s = StoreDockerd::start(&sb.path().join("store"), CONFIG);
    let (d, certs_d) = (&s.d, &s.certs_d);
    let pid = d.main_pid();
    // Before: no per-registry mirror, and nothing else can serve ghcr.io here.
    let before = d.docker(&["pull", "ghcr.io/team/tool:1"]);
    assert!(
        !before.status.success(),
        "ghcr.io is unreachable from the test dockerd"
    );

    let out = mirrorctl(
        &sb,
        d,
        certs_d,
        &[
            "apply",
            "--registry",
            "ghcr.io",
            "--target",
            "docker",
            "--mirror",
            &mirror.url(),
            "--no-probe",
            "--yes",
            "--json",
        ],
    );
    assert!(
        out.status.success(),
        "apply failed: {}\n{}",
        text(&out.stderr),
        d.log()
    );
    let doc = json(&out);
    crate::support::docs::check::<crate::support::docs::ChangeDoc>(&doc);
    assert_eq!(doc["changed"], true);
    let hosts = certs_d.join("ghcr.io/hosts.toml");
    assert_eq!(doc["targets"][0]["files"][0], hosts.display().to_string());
    let written = std::fs::read_to_string(&hosts).unwrap();
    assert!(
        written.contains("server = \"https://ghcr.io\"")
            && written.contains(&format!("[host.\"{}\"]", mirror.url())),
        "{written}"
    );
    // daemon.json untouched, dockerd neither restarted nor reloaded.
    assert_eq!(std::fs::read_to_string(&d.config).unwrap(), d.original);
    assert_eq!(d.main_pid(), pid);
    let log = d.systemctl_log();
    assert!(!log.contains("restart") && !log.contains("reload"), "{log}");

    // The pull goes through the mirror (the tag is resolved with a HEAD; the layers are GETs), which containerd's
    // resolver asks with `ns=ghcr.io`.
    let pull = d.docker(&["pull", "ghcr.io/team/tool:1"]);
    assert!(
        pull.status.success(),
        "docker pull: {}\n{}",
        text(&pull.stderr),
        d.log()
    );
    assert!(
        mirror
            .gets()
            .iter()
            .any(|g| g.starts_with("/v2/team/tool/blobs/") && g.ends_with("ns=ghcr.io")),
        "{:?}",
        mirror.gets()
    );

    // Applying the same again is no change.
    let again = mirrorctl(
        &sb,
        d,
        certs_d,
        &[
            "apply",
            "--registry",
            "ghcr.io",
            "--target",
            "docker",
            "--mirror",
            &mirror.url(),
            "--no-probe",
            "--yes",
            "--json",
        ],
    );
    assert_eq!(json(&again)["changed"], false, "{}", text(&again.stderr));

    // Another mirror replaces it (a backup is kept), and restore puts the previous file back, through the same
    // target: `--target docker --registry ghcr.io` names certs.d/ghcr.io/hosts.toml.
    let other = mirrorctl(
        &sb,
        d,
        certs_d,
        &[
            "apply",
            "--registry",
            "ghcr.io",
            "--target",
            "docker",
            "--mirror",
            "http://127.0.0.1:9",
            "--no-probe",
            "--yes",
            "--json",
        ],
    );
    assert_eq!(json(&other)["changed"], true, "{}", text(&other.stderr));
    let restore = mirrorctl(
        &sb,
        d,
        certs_d,
        &[
            "restore",
            "--target",
            "docker",
            "--registry",
            "ghcr.io",
            "--yes",
        ],
    );
    assert!(restore.status.success(), "{}", text(&restore.stderr));
    assert_eq!(std::fs::read_to_string(&hosts).unwrap(), written);
    assert_eq!(d.main_pid(), pid, "no restart for restore either");
}

#[test]
fn show_and_doctor_name_the_store_and_the_hosts_toml_that_overrides_registry_mirrors() {
    if !needs_root("show_and_doctor_name_the_store_and_the_hosts_toml") {
        return;
    }
    let sb = Sandbox::new();
    let mirror = mirror_with(&sb, "library/tool");
    // registry-mirrors names a mirror that cannot answer (dockerd's proxy is 127.0.0.1:9)...
    let config = "{\n    \"registry-mirrors\": [\"https://dead.example\"]\n}\n";
    let s = StoreDockerd::start(&sb.path().join("store"), config);
    let (d, certs_d) = (&s.d, &s.certs_d);
    // ...and certs.d/docker.io/hosts.toml, written by hand, lists the real one.
    let hosts = certs_d.join("docker.io/hosts.toml");
    std::fs::create_dir_all(hosts.parent().unwrap()).unwrap();
    std::fs::write(
        &hosts,
        format!(
            "server = \"https://registry-1.docker.io\"\n[host.\"{}\"]\n  capabilities = [\"pull\", \"resolve\"]\n",
            mirror.url()
        ),
    )
    .unwrap();
    assert_eq!(
        d.live_mirrors(),
        ["https://dead.example/"],
        "docker info still lists registry-mirrors"
    );

    let show = json(&mirrorctl(&sb, d, certs_d, &["show", "--json"]));
    assert_eq!(show["live"]["image_store"], "containerd");
    let in_use = &show["live"]["mirrors_in_use"];
    assert_eq!(in_use["file"], hosts.display().to_string());
    assert_eq!(
        in_use["hosts"],
        serde_json::json!([
            format!("{}/", mirror.url()),
            "https://registry-1.docker.io/"
        ])
    );
    assert_eq!(
        in_use["ignored"],
        serde_json::json!(["https://dead.example/"])
    );
    let text_out = mirrorctl(&sb, d, certs_d, &["show"]);
    let t = text(&text_out.stdout);
    assert!(
        t.contains("Image store: containerd") && t.contains(&hosts.display().to_string()),
        "{t}"
    );

    let doctor = mirrorctl(&sb, d, certs_d, &["doctor", "--json", "--init", "systemd"]);
    let doc = json(&doctor);
    crate::support::docs::check::<crate::support::docs::DoctorDoc>(&doc);
    assert_eq!(doc["image_store"], "containerd");
    let finding = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "certs-d-override")
        .unwrap_or_else(|| panic!("{doc:#}"));
    assert_eq!(finding["severity"], "warning");
    let reason = finding["reason"].as_str().unwrap();
    assert!(
        reason.contains(&hosts.display().to_string())
            && reason.contains(&mirror.url())
            && reason.contains("https://dead.example/"),
        "{reason}"
    );

    // What mirrorctl says is what dockerd does: the pull works, through the hosts.toml's host.
    let pull = d.docker(&["pull", "tool:1"]);
    assert!(
        pull.status.success(),
        "docker pull: {}\n{}",
        text(&pull.stderr),
        d.log()
    );
    assert!(
        mirror
            .gets()
            .iter()
            .any(|g| g.starts_with("/v2/library/tool/blobs/") && g.ends_with("ns=docker.io")),
        "{:?}",
        mirror.gets()
    );
}

#[test]
fn apply_for_another_registry_refuses_on_the_classic_store() {
    if !needs_root("apply_for_another_registry_refuses_on_the_classic_store") {
        return;
    }
    let sb = Sandbox::new();
    let d = Dockerd::start(&engine_28(), &sb.path().join("dockerd"), CONFIG, &[]);
    let certs_d = sb.path().join("certs.d");
    let out = mirrorctl(
        &sb,
        &d,
        &certs_d,
        &[
            "apply",
            "--registry",
            "quay.io",
            "--target",
            "docker",
            "--mirror",
            "https://q.example",
            "--no-probe",
            "--yes",
        ],
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("classic image store") && err.contains("containerd-snapshotter"),
        "{err}"
    );
    assert!(!certs_d.exists(), "nothing written");
    assert_eq!(std::fs::read_to_string(&d.config).unwrap(), d.original);
    let show = json(&mirrorctl(&sb, &d, &certs_d, &["show", "--json"]));
    assert_eq!(show["live"]["image_store"], "classic");
    assert!(show["live"]["mirrors_in_use"]["file"].is_null());
}

/// On the containerd store a `certs.d/docker.io/hosts.toml` that lists a host makes dockerd ignore registry-mirrors:
/// an apply that wrote them would change `docker info` and not one pull, and restart dockerd (stopping its
/// containers) for nothing. apply and watch refuse before anything is probed, written or restarted, naming the file;
/// without the file the same apply writes registry-mirrors and a pull goes through the mirror.
#[test]
fn apply_refuses_registry_mirrors_a_docker_io_hosts_toml_overrides() {
    if !needs_root("apply_refuses_registry_mirrors_a_docker_io_hosts_toml_overrides") {
        return;
    }
    let sb = Sandbox::new();
    let mirror = mirror_with(&sb, "library/tool");
    let s = StoreDockerd::start(&sb.path().join("store"), CONFIG);
    let (d, certs_d) = (&s.d, &s.certs_d);
    let hosts = certs_d.join("docker.io/hosts.toml");
    std::fs::create_dir_all(hosts.parent().unwrap()).unwrap();
    let by_hand = "server = \"https://registry-1.docker.io\"\n[host.\"http://127.0.0.1:9\"]\n  capabilities = [\"pull\", \"resolve\"]\n";
    std::fs::write(&hosts, by_hand).unwrap();
    let pid = d.main_pid();
    let url = mirror.url();
    let apply = |json: bool| {
        let mut args = vec![
            "apply",
            "--target",
            "docker",
            "--mirror",
            &url,
            "--no-probe",
            "--yes",
            "--init",
            "systemd",
        ];
        if json {
            args.push("--json");
        }
        mirrorctl(&sb, d, certs_d, &args)
    };
    let out = apply(false);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(
        err.contains(&hosts.display().to_string())
            && err.contains("http://127.0.0.1:9/")
            && err.contains("registry-mirrors are ignored")
            && err.contains("hint: put the mirrors in"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&d.config).unwrap(), d.original);
    assert_eq!(std::fs::read_to_string(&hosts).unwrap(), by_hand);
    assert_eq!(d.main_pid(), pid);
    assert!(
        !d.systemctl_log().contains("restart"),
        "{}",
        d.systemctl_log()
    );
    // watch, which keeps registry-mirrors, refuses for the same reason before it probes or reloads anything.
    let catalogue = sb.catalogue(&[("m", url.clone())]);
    let out = mirrorctl(
        &sb,
        d,
        certs_d,
        &[
            "watch",
            "--once",
            "--init",
            "systemd",
            "--yes",
            "--catalogue",
            catalogue.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains(&hosts.display().to_string()),
        "{}",
        text(&out.stderr)
    );
    assert!(
        mirror.gets().is_empty(),
        "nothing probed: {:?}",
        mirror.gets()
    );
    assert_eq!(std::fs::read_to_string(&d.config).unwrap(), d.original);
    assert!(
        !d.systemctl_log().contains("reload"),
        "{}",
        d.systemctl_log()
    );

    // The file gone, registry-mirrors decide again: apply writes them, and the pull goes through the mirror.
    std::fs::remove_file(&hosts).unwrap();
    let out = apply(true);
    assert!(out.status.success(), "{}\n{}", text(&out.stderr), d.log());
    assert_eq!(json(&out)["changed"], true);
    assert_eq!(d.live_mirrors(), [format!("{}/", mirror.url())]);
    let pull = d.docker(&["pull", "tool:1"]);
    assert!(
        pull.status.success(),
        "docker pull: {}\n{}",
        text(&pull.stderr),
        d.log()
    );
}
