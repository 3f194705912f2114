//! `restore` and backups without a daemon (`--no-restart`): what a backup holds, who may read it, which one is
//! chosen, and that nothing ping-pongs.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::support::Sandbox;

fn run(sb: &Sandbox, args: &[&str], config: &Path) -> Output {
    sb.mirrorctl()
        .args(args)
        .args(["--yes", "--no-restart", "--config"])
        .arg(config)
        .output()
        .unwrap()
}

fn apply(sb: &Sandbox, config: &Path, mirror: &str) {
    let out = run(sb, &["apply", "--mirror", mirror, "--no-probe"], config);
    crate::support::assert_ok(&out);
}

fn restore(sb: &Sandbox, config: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["restore"];
    args.extend_from_slice(extra);
    run(sb, &args, config)
}

fn listed(sb: &Sandbox, config: &Path) -> Vec<Value> {
    let out = sb
        .mirrorctl()
        .args(["restore", "--list", "--json", "--config"])
        .arg(config)
        .output()
        .unwrap();
    crate::support::assert_ok(&out);
    let list = serde_json::from_slice::<Vec<Value>>(&out.stdout).unwrap();
    for b in &list {
        crate::support::docs::check::<crate::support::docs::BackupDoc>(b);
    }
    list
}

#[test]
fn a_backup_is_as_private_as_its_file() {
    let sb = Sandbox::new();
    let config = sb.path().join("daemon.json");
    std::fs::write(&config, "{\n  \"labels\": [\"owner=ops\"]\n}\n").unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    apply(&sb, &config, "https://a.example");
    let list = listed(&sb, &config);
    assert_eq!(list.len(), 1, "{list:?}");
    let backup = sb.path().join(list[0]["name"].as_str().unwrap());
    assert_eq!(
        std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn restore_undoes_a_first_apply_by_removing_the_file_it_created() {
    let sb = Sandbox::new();
    let config = sb.path().join("docker/daemon.json");
    apply(&sb, &config, "https://a.example");
    assert!(config.exists());
    assert_eq!(listed(&sb, &config)[0]["kind"], "absent");
    let out = restore(&sb, &config, &[]);
    crate::support::assert_ok(&out);
    assert!(!config.exists(), "the file apply created is gone again");
}

/// An `.absent` record left by a change, and then the admin writes the file by hand: restore keeps their file.
#[test]
fn a_stale_absent_record_never_removes_a_file_written_after_the_change() {
    let sb = Sandbox::new();
    let config = sb.path().join("docker/daemon.json");
    apply(&sb, &config, "https://a.example");
    assert_eq!(listed(&sb, &config)[0]["kind"], "absent");
    let by_hand = "{\n  \"data-root\": \"/srv/docker\"\n}\n";
    std::fs::write(&config, by_hand).unwrap();
    let out = restore(&sb, &config, &[]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("has been written since by someone else") && said.contains("--backup NAME"),
        "{said}"
    );
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        by_hand,
        "nothing lost"
    );
    // Named explicitly, the same record is refused the same way.
    let name = listed(&sb, &config)[0]["name"].as_str().unwrap().to_owned();
    let out = restore(&sb, &config, &["--backup", &name]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&config).unwrap(), by_hand);
}

#[test]
fn repeated_restores_return_to_the_state_before_the_last_change_and_stay_there() {
    let sb = Sandbox::new();
    let config = sb.path().join("daemon.json");
    let original = "{\n  \"debug\": true\n}\n";
    std::fs::write(&config, original).unwrap();
    apply(&sb, &config, "https://a.example");
    let after_a = std::fs::read_to_string(&config).unwrap();
    apply(&sb, &config, "https://b.example");
    for _ in 0..3 {
        let out = restore(&sb, &config, &[]);
        crate::support::assert_ok(&out);
        assert_eq!(
            std::fs::read_to_string(&config).unwrap(),
            after_a,
            "no ping-pong"
        );
    }
    let err = String::from_utf8_lossy(&restore(&sb, &config, &[]).stderr).into_owned();
    assert!(
        err.contains("before the change of") && err.contains(".bak"),
        "says which: {err}"
    );
    // The state before the restores is kept and can be chosen by name.
    let pre = listed(&sb, &config)
        .into_iter()
        .find(|b| b["kind"] == "pre-restore")
        .expect("a pre-restore copy");
    let out = restore(&sb, &config, &["--backup", pre["name"].as_str().unwrap()]);
    crate::support::assert_ok(&out);
    assert!(std::fs::read_to_string(&config)
        .unwrap()
        .contains("b.example"));
}

#[test]
fn a_corrupt_newest_backup_is_skipped_with_a_warning_and_a_hand_made_copy_ignored() {
    let sb = Sandbox::new();
    let config = sb.path().join("daemon.json");
    std::fs::write(&config, "{\n  \"debug\": true\n}\n").unwrap();
    apply(&sb, &config, "https://a.example");
    apply(&sb, &config, "https://b.example");
    let newest = sb
        .path()
        .join(listed(&sb, &config)[0]["name"].as_str().unwrap());
    std::fs::write(&newest, "{ truncated").unwrap();
    std::fs::write(sb.path().join("daemon.json.mirrorctl-mycopy.bak"), "{}").unwrap();
    let out = restore(&sb, &config, &[]);
    crate::support::assert_ok(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not parse"));
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        "{\n  \"debug\": true\n}\n"
    );
    let names: Vec<String> = listed(&sb, &config)
        .iter()
        .map(|b| b["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains("mycopy")), "{names:?}");
    let out = restore(
        &sb,
        &config,
        &["--backup", "daemon.json.mirrorctl-mycopy.bak"],
    );
    assert_eq!(out.status.code(), Some(1));
}

/// After apply wrote `["a","b","c"]` on a one-line file, the same apply again plans nothing, backs up nothing.
#[test]
fn a_second_apply_of_the_same_mirrors_changes_nothing_on_a_one_line_file() {
    let sb = Sandbox::new();
    let config = sb.path().join("daemon.json");
    std::fs::write(&config, "{\"debug\":true}").unwrap();
    let args = [
        "apply",
        "--mirror",
        "https://a.example",
        "--mirror",
        "https://b.example",
        "--no-probe",
        "--json",
    ];
    let first = run(&sb, &args, &config);
    crate::support::assert_ok(&first);
    let written = std::fs::read(&config).unwrap();
    let backups = listed(&sb, &config).len();
    let second = run(&sb, &args, &config);
    crate::support::assert_ok(&second);
    let doc: Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_eq!(doc["changed"], false, "{doc}");
    assert_eq!(std::fs::read(&config).unwrap(), written);
    assert_eq!(
        listed(&sb, &config).len(),
        backups,
        "no backup for no change"
    );
}

/// The mirrors already in daemon.json, on one line, compact, spelled without dockerd's trailing slash: what apply
/// would write means the same to dockerd, so the apply writes nothing, backs up nothing and calls no systemctl —
/// through the real service path (`--init systemd`, a private systemctl that logs every call), not `--no-restart`.
#[test]
fn the_same_mirrors_in_compact_form_make_no_write_no_backup_and_no_systemctl_call() {
    let sb = Sandbox::new();
    let bin = sb.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = sb.path().join("systemctl.log");
    std::fs::write(
        bin.join("systemctl"),
        format!("#!/bin/sh\necho \"$*\" >> {}\nexit 0\n", log.display()),
    )
    .unwrap();
    std::fs::set_permissions(
        bin.join("systemctl"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let config = sb.path().join("daemon.json");
    let compact =
        "{\"debug\":true,\"registry-mirrors\":[\"https://a.example\",\"https://b.example/\"]}";
    std::fs::write(&config, compact).unwrap();
    let out = sb
        .mirrorctl()
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .args([
            "apply",
            "--mirror",
            "https://a.example/",
            "--mirror",
            "https://b.example",
        ])
        .args([
            "--no-probe",
            "--json",
            "--init",
            "systemd",
            "--yes",
            "--config",
        ])
        .arg(&config)
        .output()
        .unwrap();
    crate::support::assert_ok(&out);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    crate::support::docs::check::<crate::support::docs::ChangeDoc>(&doc);
    assert_eq!(doc["changed"], false, "{doc}");
    assert_eq!(doc["targets"][0]["files"], serde_json::json!([]), "{doc}");
    assert_eq!(std::fs::read_to_string(&config).unwrap(), compact);
    assert!(listed(&sb, &config).is_empty(), "no backup for no change");
    let calls = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(calls, "", "no systemctl call at all");
}
