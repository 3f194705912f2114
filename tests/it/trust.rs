//! The trust rule for root's paths: a state directory that another user owns or can write is refused before
//! anything is read or written there, symlinks planted in it are never followed, and what mirrorctl creates
//! (the directory, the lock, the owner record) only root can read or hold.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Output;

use crate::support::{needs_root, Sandbox};

const NOBODY: u32 = 65534;

fn apply(sb: &Sandbox, state: &Path) -> Output {
    let config = sb.path().join("daemon.json");
    if !config.exists() {
        std::fs::write(&config, "{\n  \"log-level\": \"warn\"\n}\n").unwrap();
    }
    sb.mirrorctl()
        .args([
            "apply",
            "--mirror",
            "https://m.example",
            "--no-probe",
            "--yes",
            "--no-restart",
            "--config",
        ])
        .arg(&config)
        .env("MIRRORCTL_STATE_DIR", state)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().mode() & 0o7777
}

#[test]
fn a_state_directory_other_users_can_write_or_own_is_refused_before_anything_is_written() {
    if !needs_root(
        "a_state_directory_other_users_can_write_or_own_is_refused_before_anything_is_written",
    ) {
        return;
    }
    let sb = Sandbox::new();
    let before = "{\n  \"log-level\": \"warn\"\n}\n";
    for (name, setup) in [
        ("world-writable", (0o777, 0)),
        ("group-writable", (0o770, 0)),
        ("nobody's", (0o700, NOBODY)),
    ] {
        let state = sb.path().join(name);
        std::fs::create_dir(&state).unwrap();
        std::fs::set_permissions(&state, PermissionsExt::from_mode(setup.0)).unwrap();
        std::os::unix::fs::chown(&state, Some(setup.1), None).unwrap();
        let out = apply(&sb, &state);
        assert_eq!(out.status.code(), Some(1), "{name}: {}", stderr(&out));
        let said = stderr(&out);
        assert!(
            said.contains("as root, mirrorctl does not use") && said.contains("hint:"),
            "{name}: {said}"
        );
        assert!(
            std::fs::read_dir(&state).unwrap().next().is_none(),
            "{name}: nothing made there"
        );
        assert_eq!(
            std::fs::read_to_string(sb.path().join("daemon.json")).unwrap(),
            before,
            "{name}"
        );
    }
    // Under a directory another user can write (not sticky): they could rename ours away and put theirs.
    let open = sb.path().join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, PermissionsExt::from_mode(0o777)).unwrap();
    let out = apply(&sb, &open.join("state"));
    assert!(
        stderr(&out).contains("can be written by other users (mode 0777)"),
        "{}",
        stderr(&out)
    );
    assert!(!open.join("state").exists());
}

#[test]
fn a_symlink_another_user_planted_is_not_followed() {
    if !needs_root("a_symlink_another_user_planted_is_not_followed") {
        return;
    }
    let sb = Sandbox::new();
    let victim = sb.path().join("root-only-file");
    std::fs::write(&victim, "precious\n").unwrap();
    // A state directory reached through nobody's symlink: refused, whatever it points at.
    let link = sb.path().join("state-link");
    let real = sb.path().join("real-state");
    std::fs::create_dir(&real).unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();
    std::os::unix::fs::lchown(&link, Some(NOBODY), None).unwrap();
    let out = apply(&sb, &link);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("belongs to another user (uid 65534)"),
        "{}",
        stderr(&out)
    );

    // lock.owner planted as a symlink to a root file (before the directory was made safe): never rewritten.
    let state = sb.path().join("state");
    std::fs::create_dir(&state).unwrap();
    std::fs::set_permissions(&state, PermissionsExt::from_mode(0o700)).unwrap();
    std::os::unix::fs::symlink(&victim, state.join("lock.owner")).unwrap();
    let out = apply(&sb, &state);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    // history.db as a symlink to another program's database is not opened either.
    let other_db = sb.path().join("other.db");
    std::fs::write(&other_db, "not ours\n").unwrap();
    std::os::unix::fs::symlink(&other_db, state.join("history.db")).unwrap();
    let out = sb
        .mirrorctl()
        .args(["history"])
        .env("MIRRORCTL_STATE_DIR", &state)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is not a plain file"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_to_string(&other_db).unwrap(), "not ours\n");
}

#[test]
fn what_mirrorctl_creates_only_its_owner_can_read_or_lock() {
    let sb = Sandbox::new();
    let state = sb.path().join("fresh/state");
    let out = apply(&sb, &state);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(mode(&state), 0o700, "the state directory");
    assert_eq!(mode(&state.join("lock")), 0o600, "the lock");
    assert_eq!(mode(&state.join("lock.owner")), 0o600, "the owner record");
    // A state directory from before the rule (0755) is tightened.
    let old = sb.path().join("old");
    std::fs::create_dir(&old).unwrap();
    std::fs::set_permissions(&old, PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::remove_file(sb.path().join("daemon.json")).unwrap(); // so that this apply changes something
    let out = apply(&sb, &old);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(mode(&old), 0o700);
}

#[test]
fn a_timer_is_never_installed_with_a_state_directory_others_can_change() {
    if !needs_root("a_timer_is_never_installed_with_a_state_directory_others_can_change") {
        return;
    }
    let sb = Sandbox::new();
    let state = sb.path().join("shared-state");
    std::fs::create_dir(&state).unwrap();
    std::fs::set_permissions(&state, PermissionsExt::from_mode(0o777)).unwrap();
    let cron = sb.path().join("cron.d");
    std::fs::create_dir(&cron).unwrap();
    let out = sb
        .mirrorctl()
        .args([
            "watch",
            "--install",
            "--init",
            "sysv",
            "--yes",
            "--every",
            "6h",
            "--cron-dir",
        ])
        .arg(&cron)
        .env("MIRRORCTL_STATE_DIR", &state)
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("as root, mirrorctl does not use"),
        "{}",
        stderr(&out)
    );
    assert!(
        std::fs::read_dir(&cron).unwrap().next().is_none(),
        "no cron entry"
    );
}

/// An unsigned catalogue.toml planted in a state directory another user can write replaces nothing; a
/// config.toml another user owns supplies no trust key or URL to root.
#[test]
fn what_another_user_planted_never_becomes_the_catalogue_or_its_key() {
    if !needs_root("what_another_user_planted_never_becomes_the_catalogue_or_its_key") {
        return;
    }
    let sb = Sandbox::new();
    let builtin = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("catalogue/mirrors.toml"),
    )
    .unwrap();
    let planted = builtin
        .replace("updated = \"2026-11-25\"", "updated = \"2099-01-01\"")
        .replace("serial = 1", "serial = 99");
    let list = |state: &Path| {
        let out = sb
            .mirrorctl()
            .args(["list", "--json"])
            .env("MIRRORCTL_STATE_DIR", state)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["catalogue_source"]
            .clone()
    };
    // The same file in a trusted directory is used (so the check below can fail)…
    let trusted = sb.path().join("trusted");
    std::fs::create_dir(&trusted).unwrap();
    std::fs::write(trusted.join("catalogue.toml"), &planted).unwrap();
    assert_ne!(list(&trusted), "built-in");
    // …and in one anybody can write, it is not.
    let shared = sb.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, PermissionsExt::from_mode(0o777)).unwrap();
    std::fs::write(shared.join("catalogue.toml"), &planted).unwrap();
    assert_eq!(list(&shared), "built-in");

    let config = sb.path().join("config/mirrorctl");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.toml"), "[catalogue]\nurl = \"http://127.0.0.1:9/evil.toml\"\ntrust_key = \"RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3\"\n").unwrap();
    std::os::unix::fs::chown(config.join("config.toml"), Some(NOBODY), Some(NOBODY)).unwrap();
    let out = sb
        .mirrorctl()
        .args(["catalogue", "update", "--from"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("catalogue/mirrors.toml"))
        .env("MIRRORCTL_STATE_DIR", &trusted)
        .output()
        .unwrap();
    let said = stderr(&out);
    assert!(
        said.contains("are ignored") && said.contains("uid 65534"),
        "{said}"
    );
}

/// Any local user could block every change by holding the lock with `flock --shared` while it was 0644 in a 0755
/// directory: now nobody cannot even open it, and root's apply goes through.
#[test]
fn another_user_cannot_hold_the_lock() {
    if !needs_root("another_user_cannot_hold_the_lock") {
        return;
    }
    let sb = Sandbox::new();
    std::fs::set_permissions(sb.path(), PermissionsExt::from_mode(0o755)).unwrap();
    let state = sb.path().join("state");
    let out = apply(&sb, &state);
    assert!(out.status.success(), "{}", stderr(&out));
    let held = std::process::Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "flock",
            "--shared",
            "--nonblock",
        ])
        .arg(state.join("lock"))
        .arg("true")
        .output()
        .unwrap();
    assert!(
        !held.status.success(),
        "nobody took the lock: {}",
        String::from_utf8_lossy(&held.stderr)
    );
}
