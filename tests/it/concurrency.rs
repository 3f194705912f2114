//! One writer at a time, and no edit lost: an edit made while apply probes is merged, an edit of the same key is
//! refused, concurrent applies take turns, and a held lock names its holder.

use std::process::{Child, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::fake_registry::{Behavior, FakeRegistry};
use crate::support::image::Image;
use crate::support::Sandbox;

fn slow_mirror() -> FakeRegistry {
    FakeRegistry::start(
        Arc::new(Image::new("library/alpine", "latest", 4 * 1024)),
        Behavior {
            latency: Duration::from_millis(300),
            ..Default::default()
        },
    )
}

fn spawn_apply(sb: &Sandbox, config: &std::path::Path, mirror: &str, extra: &[&str]) -> Child {
    sb.mirrorctl()
        .args([
            "apply",
            "--mirror",
            mirror,
            "--yes",
            "--no-restart",
            "--config",
        ])
        .arg(config)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for the condition, not for a time.
fn until(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn an_edit_made_while_apply_probes_is_merged_not_lost() {
    let sb = Sandbox::new();
    let mirror = slow_mirror();
    let config = sb.path().join("daemon.json");
    std::fs::write(&config, "{\n  \"log-level\": \"warn\"\n}\n").unwrap();
    let child = spawn_apply(&sb, &config, &mirror.url(), &[]);
    // The probe has started, so apply has read the file: now someone edits it.
    until("the probe to start", || mirror.requests() > 0);
    std::fs::write(
        &config,
        "{\n  \"log-level\": \"warn\",\n  \"debug\": true\n}\n",
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let after = std::fs::read_to_string(&config).unwrap();
    assert!(
        after.contains("\"debug\": true") && after.contains(&format!("{}/", mirror.url())),
        "{after}"
    );
    assert!(
        text(&out).contains("changed since the plan"),
        "{}",
        text(&out)
    );
}

#[test]
fn an_edit_of_the_mirrors_made_meanwhile_is_refused_and_kept() {
    let sb = Sandbox::new();
    let mirror = slow_mirror();
    let config = sb.path().join("daemon.json");
    std::fs::write(&config, "{\n  \"debug\": true\n}\n").unwrap();
    let child = spawn_apply(&sb, &config, &mirror.url(), &[]);
    until("the probe to start", || mirror.requests() > 0);
    let theirs = "{\n  \"debug\": true,\n  \"registry-mirrors\": [\"https://theirs.example\"]\n}\n";
    std::fs::write(&config, theirs).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("someone else is editing it"),
        "{}",
        text(&out)
    );
    assert_eq!(std::fs::read_to_string(&config).unwrap(), theirs);
}

#[test]
fn concurrent_applies_take_turns_and_none_overwrites_another() {
    let sb = Sandbox::new();
    let config = sb.path().join("daemon.json");
    let run_all = |mirrors: &[&str]| -> Vec<Output> {
        let children: Vec<Child> = mirrors
            .iter()
            .map(|m| spawn_apply(&sb, &config, m, &["--no-probe"]))
            .collect();
        children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect()
    };
    // Different mirrors: the first writer wins; the others see the file changed under them and stop.
    std::fs::write(&config, "{\n  \"debug\": true\n}\n").unwrap();
    let outs = run_all(&[
        "https://m0.example",
        "https://m1.example",
        "https://m2.example",
        "https://m3.example",
    ]);
    let won: Vec<&Output> = outs.iter().filter(|o| o.status.success()).collect();
    assert_eq!(
        won.len(),
        1,
        "{:?}",
        outs.iter().map(text).collect::<Vec<_>>()
    );
    for o in outs.iter().filter(|o| !o.status.success()) {
        assert!(
            text(o).contains("someone else is editing it"),
            "{}",
            text(o)
        );
    }
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&config).unwrap()).unwrap();
    assert_eq!(v["debug"], true);
    assert!(text(won[0]).contains(v["registry-mirrors"][0].as_str().unwrap()));

    // The same mirrors: everyone agrees, all succeed, one write.
    std::fs::write(&config, "{\n  \"debug\": true\n}\n").unwrap();
    let outs = run_all(&["https://same.example"; 4]);
    assert!(
        outs.iter().all(|o| o.status.success()),
        "{:?}",
        outs.iter().map(text).collect::<Vec<_>>()
    );
    let backups = std::fs::read_dir(sb.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".bak")
        })
        .count();
    assert_eq!(backups, 2, "one backup per write, none overwritten");
}

#[test]
fn a_held_lock_makes_the_next_writer_wait_then_fail_naming_the_holder() {
    let sb = Sandbox::new();
    let state = sb.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    let lock = std::fs::File::create(state.join("lock")).unwrap();
    lock.lock().unwrap();
    std::fs::write(
        state.join("lock.owner"),
        "pid 4242 — `mirrorctl apply --top 3` — since now",
    )
    .unwrap();
    let config = sb.path().join("daemon.json");
    let before = "{\n  \"debug\": true\n}\n";
    std::fs::write(&config, before).unwrap();
    let out = sb
        .apply_file(&config, "https://m.example")
        .env("MIRRORCTL_LOCK_WAIT_SECS", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("pid 4242"), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(&config).unwrap(), before);
    drop(lock);
}
