//! `restore` and backups without a daemon (`--no-restart`): what a backup holds, who may read it, which one is
//! chosen, and that nothing ping-pongs.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::support::Sandbox;

/// PATH with Engine 26's dockerd first: `proxy set --method daemon-json` is for an engine that reads `proxies`
/// (the system's 20.10 is refused before anything is written).
fn modern_path() -> std::ffi::OsString {
    crate::support::engines::all().remove(1).path_env()
}

fn run(sb: &Sandbox, args: &[&str], config: &Path) -> Output {
    let mut c = sb.mirrorctl();
    if args.first() == Some(&"proxy") {
        c.env("PATH", modern_path());
    }
    c.args(args)
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
    let records = sb.path().join(".daemon.json.mirrorctl.json");
    assert_eq!(
        std::fs::metadata(&records).unwrap().permissions().mode() & 0o777,
        0o600,
        "and so is the record of what made it"
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
            format!("{}:{}", bin.display(), modern_path().to_string_lossy()),
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

const PROXY: &str = "http://ops:s3cret@127.0.0.1:3128";
const MASKED: &str = "http://xxxxx:xxxxx@127.0.0.1:3128";

/// A private `systemctl` that logs every call and fails every restart and start: each change through the service
/// path is rolled back. Returns the PATH that finds it first.
fn failing_systemctl(sb: &Sandbox) -> String {
    let bin = sb.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = sb.path().join("systemctl.log");
    std::fs::write(
        bin.join("systemctl"),
        format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\ncase \"$*\" in\n  *restart*|*start*) echo 'Job for docker.service failed' >&2; exit 1 ;;\nesac\nexit 0\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        bin.join("systemctl"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    format!("{}:{}", bin.display(), modern_path().to_string_lossy())
}

/// A change through the service path with every restart failing: rolled back (exit 4).
fn rolled_back(sb: &Sandbox, config: &Path, args: &[&str]) {
    let out = sb
        .mirrorctl()
        .env("PATH", failing_systemctl(sb))
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .args(args)
        .args(["--init", "systemd", "--yes", "--config"])
        .arg(config)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(4),
        "rolled back: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn names(list: &[Value]) -> Vec<String> {
    list.iter()
        .map(|b| b["name"].as_str().unwrap().to_owned())
        .collect()
}

/// The issue's case: a proxy change that was rolled back left its backup, and `restore` chose it ("already
/// current; nothing to write"). A rolled-back change keeps no backup, so `restore` undoes the last real apply.
#[test]
fn after_a_rolled_back_proxy_change_restore_undoes_the_last_apply() {
    let sb = Sandbox::new();
    let config = sb.path().join("daemon.json");
    std::fs::write(&config, "{\n  \"debug\": true\n}\n").unwrap();
    apply(&sb, &config, "https://a.example");
    let after_a = std::fs::read_to_string(&config).unwrap();
    apply(&sb, &config, "https://b.example");
    let after_b = std::fs::read_to_string(&config).unwrap();
    let before = names(&listed(&sb, &config));
    rolled_back(
        &sb,
        &config,
        &["proxy", "set", PROXY, "--method", "daemon-json"],
    );
    assert_eq!(std::fs::read_to_string(&config).unwrap(), after_b);
    assert_eq!(
        names(&listed(&sb, &config)),
        before,
        "no backup from a change that was rolled back"
    );
    let out = restore(&sb, &config, &[]);
    crate::support::assert_ok(&out);
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        after_a,
        "the apply of b is undone"
    );
}

/// Five changes that were rolled back, and five that changed nothing, push out none of the real backups.
#[test]
fn rolled_back_and_no_op_changes_use_up_no_backup_slot() {
    let sb = Sandbox::new();
    let config = sb.path().join("daemon.json");
    std::fs::write(&config, "{\n  \"debug\": true\n}\n").unwrap();
    for m in ["a", "b", "c", "d", "e", "f"] {
        apply(&sb, &config, &format!("https://{m}.example"));
    }
    let before = names(&listed(&sb, &config));
    assert_eq!(before.len(), 6, "five and the original: {before:?}");
    for i in 0..5 {
        let m = format!("https://fail{i}.example");
        rolled_back(&sb, &config, &["apply", "--mirror", &m, "--no-probe"]);
        apply(&sb, &config, "https://f.example"); // the same mirror again: a no-op
    }
    assert_eq!(names(&listed(&sb, &config)), before);
    let newest = &listed(&sb, &config)[0];
    assert_eq!(
        newest["mirrors_after"],
        serde_json::json!(["https://f.example/"])
    );
}

/// More than five changes: the oldest five go, the file as it was before mirrorctl stays and can be put back.
#[test]
fn the_pristine_original_survives_more_than_five_changes() {
    let sb = Sandbox::new();
    let config = sb.path().join("daemon.json");
    let original = "{\n  \"debug\": true\n}\n";
    std::fs::write(&config, original).unwrap();
    for i in 0..8 {
        apply(&sb, &config, &format!("https://m{i}.example"));
    }
    let list = listed(&sb, &config);
    assert_eq!(list.len(), 6, "{list:?}");
    let first = list.last().unwrap();
    assert_eq!(first["original"], true, "{first}");
    assert!(list[..5].iter().all(|b| b["original"] == false));
    assert_eq!(first["mirrors_before"], serde_json::json!([]));
    assert_eq!(
        first["mirrors_after"],
        serde_json::json!(["https://m0.example/"])
    );
    assert_eq!(
        list[0]["mirrors_before"],
        serde_json::json!(["https://m6.example/"])
    );
    let out = restore(&sb, &config, &["--backup", first["name"].as_str().unwrap()]);
    crate::support::assert_ok(&out);
    assert_eq!(std::fs::read_to_string(&config).unwrap(), original);
}

/// `--list` says what made each backup: the command, that it took effect, the mirrors before and after, and the
/// proxy with its password masked — in the text, the JSON and the record kept beside the backup.
#[test]
fn the_list_shows_command_outcome_mirrors_and_a_masked_proxy() {
    let sb = Sandbox::new();
    let config = sb.path().join("daemon.json");
    std::fs::write(&config, "{\n  \"debug\": true\n}\n").unwrap();
    apply(&sb, &config, "https://a.example");
    let out = run(
        &sb,
        &["proxy", "set", PROXY, "--method", "daemon-json"],
        &config,
    );
    crate::support::assert_ok(&out);
    let list = listed(&sb, &config);
    assert_eq!(list[0]["command"], "mirrorctl proxy set", "{}", list[0]);
    assert_eq!(list[0]["outcome"], "took-effect");
    assert_eq!(list[0]["proxy_before"], Value::Null);
    assert_eq!(list[0]["proxy_after"]["http-proxy"], MASKED, "{}", list[0]);
    assert_eq!(list[1]["command"], "mirrorctl apply");
    assert_eq!(list[1]["mirrors_before"], serde_json::json!([]));
    assert_eq!(
        list[1]["mirrors_after"],
        serde_json::json!(["https://a.example/"])
    );
    let text = sb
        .mirrorctl()
        .args(["restore", "--list", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    crate::support::assert_ok(&text);
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(
        text.contains("`mirrorctl apply` · took effect · mirrors: none → https://a.example/"),
        "{text}"
    );
    assert!(
        text.contains("`mirrorctl proxy set`") && text.contains(MASKED),
        "{text}"
    );
    assert!(text.contains("kept for good"), "{text}");
    // The records are one index beside the backups, naming each; no password in it.
    let index = std::fs::read_to_string(sb.path().join(".daemon.json.mirrorctl.json")).unwrap();
    let index: serde_json::Map<String, Value> = serde_json::from_str(&index).unwrap();
    assert_eq!(
        index.keys().cloned().collect::<Vec<_>>(),
        names(&list).into_iter().rev().collect::<Vec<_>>()
    );
    assert!(!Value::Object(index).to_string().contains("s3cret"));
}

/// A reload re-reads only the mirrors: restoring the file from before `proxy set` with `--reload` is refused
/// (exit 2), names `proxies`, and writes and calls nothing.
#[test]
fn restore_reload_of_a_proxies_change_is_refused_with_nothing_changed() {
    let sb = Sandbox::new();
    let config = sb.path().join("daemon.json");
    std::fs::write(&config, "{\n  \"debug\": true\n}\n").unwrap();
    let out = run(
        &sb,
        &["proxy", "set", PROXY, "--method", "daemon-json"],
        &config,
    );
    crate::support::assert_ok(&out);
    let now = std::fs::read_to_string(&config).unwrap();
    let before = names(&listed(&sb, &config));
    let out = sb
        .mirrorctl()
        .env("PATH", failing_systemctl(&sb))
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .args([
            "restore", "--reload", "--init", "systemd", "--yes", "--config",
        ])
        .arg(&config)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("`proxies`") && err.contains("without --reload"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&config).unwrap(), now);
    assert_eq!(names(&listed(&sb, &config)), before);
    let calls = std::fs::read_to_string(sb.path().join("systemctl.log")).unwrap_or_default();
    assert_eq!(calls, "", "no systemctl call");
}
