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

/// Runs `cmd` while the test holds the lock, makes `edit` once it waits there — between its plan and its write —
/// then lets it go on. Returns its exit status and everything it printed.
fn edit_while_it_waits(
    sb: &Sandbox,
    cmd: &mut std::process::Command,
    edit: impl FnOnce(),
) -> (bool, String) {
    let state = sb.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    let lock = std::fs::File::create(state.join("lock")).unwrap();
    lock.lock().unwrap();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let said = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let mut stderr = child.stderr.take().unwrap();
    let sink = said.clone();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = std::io::Read::read(&mut stderr, &mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    until("it to wait on the lock", || {
        said.lock()
            .unwrap()
            .contains("waiting for another mirrorctl")
    });
    edit();
    drop(lock);
    let status = child.wait().unwrap();
    reader.join().unwrap();
    let said = said.lock().unwrap().clone();
    (status.success(), said)
}

/// Every target re-reads its file under the lock and merges or refuses, not only daemon.json: registries.yaml is
/// also the admin's, so a `configs:` block added while apply waits is kept; containerd's hosts.toml is wholly
/// mirrorctl's, so a change made meanwhile (another watch) is refused and kept, not overwritten.
#[test]
fn k3s_merges_an_edit_made_meanwhile_and_hosts_toml_refuses_one() {
    let sb = Sandbox::new();
    // k3s, with a private systemctl that restarts nothing.
    let bin = crate::support::yes_systemctl(sb.path());
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let yaml = sb.path().join("registries.yaml");
    std::fs::write(
        &yaml,
        "mirrors:\n  docker.io:\n    endpoint:\n      - \"https://dead.example\"\n",
    )
    .unwrap();
    let mut k3s = sb.mirrorctl();
    k3s.env("PATH", &path)
        .args([
            "apply",
            "--target",
            "k3s",
            "--init",
            "systemd",
            "--yes",
            "--no-probe",
            "--mirror",
            "https://new.example",
        ])
        .arg("--k3s-config")
        .arg(&yaml);
    let (ok, said) = edit_while_it_waits(&sb, &mut k3s, || {
        let mut edited = std::fs::read_to_string(&yaml).unwrap();
        edited.push_str("configs:\n  registry.corp:\n    auth:\n      username: ci\n");
        std::fs::write(&yaml, &edited).unwrap();
    });
    assert!(ok, "{said}");
    assert!(
        said.contains("changed since the plan"),
        "merged on the re-read: {said}"
    );
    let after = std::fs::read_to_string(&yaml).unwrap();
    assert!(
        after.contains("configs:\n  registry.corp:") && after.contains("https://new.example"),
        "{after}"
    );
    assert!(!after.contains("dead.example"), "{after}");
    // The same value changed meanwhile: refused, the other edit kept.
    let mut k3s = sb.mirrorctl();
    k3s.env("PATH", &path)
        .args([
            "apply",
            "--target",
            "k3s",
            "--init",
            "systemd",
            "--yes",
            "--no-probe",
            "--mirror",
            "https://third.example",
        ])
        .arg("--k3s-config")
        .arg(&yaml);
    let theirs = after.replace("https://new.example", "https://theirs.example");
    let (ok, said) = edit_while_it_waits(&sb, &mut k3s, || std::fs::write(&yaml, &theirs).unwrap());
    assert!(!ok && said.contains("mirrors.docker.io.endpoint"), "{said}");
    assert_eq!(std::fs::read_to_string(&yaml).unwrap(), theirs);

    // hosts.toml, rewritten by someone else between the plan and the write: refused, their file kept.
    let hosts = sb.path().join("certs.d");
    let config = sb.path().join("containerd.toml");
    std::fs::write(
        &config,
        format!("version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = \"{}\"\n", hosts.display()),
    )
    .unwrap();
    let containerd = |mirror: &str| {
        let mut c = sb.mirrorctl();
        c.env("PATH", &path)
            .args([
                "apply",
                "--target",
                "containerd",
                "--yes",
                "--no-probe",
                "--mirror",
                mirror,
            ])
            .arg("--containerd-config")
            .arg(&config)
            .arg("--containerd-hosts-dir")
            .arg(&hosts);
        c
    };
    let first = containerd("https://first.example").output().unwrap();
    assert!(first.status.success(), "{}", text(&first));
    let file = hosts.join("docker.io/hosts.toml");
    let theirs = std::fs::read_to_string(&file)
        .unwrap()
        .replace("first.example", "theirs.example");
    let (ok, said) = edit_while_it_waits(&sb, &mut containerd("https://second.example"), || {
        std::fs::write(&file, &theirs).unwrap()
    });
    assert!(!ok, "{said}");
    assert!(said.contains("changed since the plan was made"), "{said}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        theirs,
        "their edit is kept"
    );
}
