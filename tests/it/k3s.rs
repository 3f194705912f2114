//! `apply --target k3s`: registries.yaml edited in place (every other line kept), k3s restarted through the
//! service manager, and rolled back when it does not come back. k3s itself is not packaged for Debian, so the
//! service manager is a private systemctl that records what it was asked and fails on request.

use std::path::Path;

use serde_json::Value;

use crate::support::{assert_ok, docs, Sandbox};

const SYSTEMCTL: &str = r#"#!/bin/sh
S="__STATE__"
echo "$*" >> "$S/systemctl.log"
for a in "$@"; do last="$a"; done
case "$*" in
  *restart*) [ -e "$S/fail" ] && { rm -f "$S/active"; exit 1; }; touch "$S/active" ;;
  *is-active*) [ -e "$S/active" ] ;;
  *) exit 0 ;;
esac
"#;

/// The user's file: a comment, another registry in flow style, credentials with a comment — all theirs.
const USER: &str = "# Managed by the platform team — ask #infra before editing\nmirrors:\n  \"docker.io\":\n    endpoint:\n      - \"https://dead.example\"\n  registry.corp:\n    endpoint: [\"https://cache.corp\"]\nconfigs:\n  \"cache.corp\":\n    auth:\n      username: ci # robot account\n      password: s3cret\n";

fn apply(sb: &Sandbox, file: &Path, extra: &[&str]) -> std::process::Output {
    let state = sb.path().join("svc");
    std::fs::create_dir_all(state.join("bin")).unwrap();
    let script = state.join("bin/systemctl");
    std::fs::write(
        &script,
        SYSTEMCTL.replace("__STATE__", &state.display().to_string()),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    sb.mirrorctl()
        .env(
            "PATH",
            format!(
                "{}:{}",
                state.join("bin").display(),
                std::env::var("PATH").unwrap()
            ),
        )
        .args([
            "apply",
            "--target",
            "k3s",
            "--no-probe",
            "--init",
            "systemd",
            "--yes",
            "--k3s-unit",
            "k3s-agent",
        ])
        .args([
            "--mirror",
            "https://a.example",
            "--mirror",
            "http://10.0.0.5:5000",
            "--k3s-config",
        ])
        .arg(file)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn registries_yaml_is_edited_in_place_and_k3s_restarted() {
    let sb = Sandbox::new();
    let file = sb.path().join("registries.yaml");
    std::fs::write(&file, USER).unwrap();
    let out = apply(&sb, &file, &["--json"]);
    assert_ok(&out);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    docs::check::<docs::ChangeDoc>(&doc);
    assert_eq!(doc["changed"], true);
    assert_eq!(doc["targets"][0]["activation"], "restart k3s-agent");
    let after = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        after,
        USER.replace(
            "      - \"https://dead.example\"\n",
            "      - \"https://a.example\"\n      - \"http://10.0.0.5:5000\"\n"
        ),
        "only the endpoint lines change"
    );
    let log = std::fs::read_to_string(sb.path().join("svc/systemctl.log")).unwrap();
    assert!(log.contains("restart k3s-agent"), "{log}");
    // show reads it back.
    let out = sb.run_ok([
        "show",
        "--json",
        "--k3s-config",
        &file.display().to_string(),
        "--containers-dir",
        &sb.path().join("none").display().to_string(),
        "--containerd-config",
        &sb.path().join("none.toml").display().to_string(),
    ]);
    let show: Value = serde_json::from_slice(&out.stdout).unwrap();
    let k3s: Vec<&Value> = show["runtimes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["runtime"] == "k3s")
        .collect();
    assert_eq!(k3s.len(), 2, "{show}");
    assert_eq!(
        k3s[0]["mirrors"],
        serde_json::json!(["https://a.example", "http://10.0.0.5:5000"])
    );
    // The same again: nothing to do, no restart.
    let before_log = std::fs::read_to_string(sb.path().join("svc/systemctl.log")).unwrap();
    let out = apply(&sb, &file, &["--json"]);
    assert_ok(&out);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["changed"], false);
    assert_eq!(
        std::fs::read_to_string(sb.path().join("svc/systemctl.log")).unwrap(),
        before_log
    );
}

#[test]
fn k3s_that_does_not_come_back_gets_its_old_file_back() {
    let sb = Sandbox::new();
    let file = sb.path().join("registries.yaml");
    std::fs::write(&file, USER).unwrap();
    std::fs::create_dir_all(sb.path().join("svc")).unwrap();
    std::fs::write(sb.path().join("svc/fail"), "").unwrap();
    let out = apply(&sb, &file, &[]);
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        USER,
        "byte for byte"
    );
}

#[test]
fn a_file_it_cannot_edit_in_place_is_refused_and_left_alone() {
    let sb = Sandbox::new();
    let file = sb.path().join("registries.yaml");
    let flow = "mirrors: {\"docker.io\": {endpoint: [\"https://x\"]}}\n";
    std::fs::write(&file, flow).unwrap();
    let out = apply(&sb, &file, &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("flow style") && err.contains("registries.yaml"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), flow);
    assert!(!sb.path().join("svc/systemctl.log").exists());
}

/// A password next to the edited lines is in the diff's context (the mirrors are added after the credentials):
/// every output stream shows it masked.
#[test]
fn a_password_beside_the_change_never_reaches_any_output() {
    let sb = Sandbox::new();
    let file = sb.path().join("registries.yaml");
    let secret = "Tr0ub4dor&3-k3s";
    let user = format!(
        "configs:\n  docker.io:\n    auth:\n      identity_token: \"tok-{secret}\"\n      password: {secret}\n"
    );
    std::fs::write(&file, &user).unwrap();
    for extra in [
        &["--dry-run"][..],
        &["--dry-run", "--json"],
        &["--dry-run", "-v"],
    ] {
        let out = apply(&sb, &file, extra);
        assert_ok(&out);
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            all.contains("password: xxxxx"),
            "{extra:?}: the diff shows the line, masked: {all}"
        );
        assert!(!all.contains(secret), "{extra:?}: {all}");
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), user);
}

/// registries.yaml that already lists the same endpoints, in flow form (`[…]`, which the line edit would render as a
/// block): the same meaning, so no write, no backup and no restart of k3s.
#[test]
fn the_same_endpoints_in_flow_form_change_and_restart_nothing() {
    let sb = Sandbox::new();
    let file = sb.path().join("registries.yaml");
    let same =
        "mirrors:\n  docker.io:\n    endpoint: ['https://a.example', \"http://10.0.0.5:5000\"]\n";
    std::fs::write(&file, same).unwrap();
    let out = apply(&sb, &file, &["--json"]);
    assert_ok(&out);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    docs::check::<docs::ChangeDoc>(&doc);
    assert_eq!(doc["changed"], false, "{doc}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), same);
    let log = std::fs::read_to_string(sb.path().join("svc/systemctl.log")).unwrap_or_default();
    assert!(!log.contains("restart"), "{log}");
    let backups = std::fs::read_dir(sb.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".mirrorctl-"))
        .count();
    assert_eq!(backups, 0, "no backup for no change");
}
