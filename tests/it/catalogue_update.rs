//! `catalogue update`: signed with Debian's real `minisign`, verified with minisign-verify, over HTTP and from
//! files; tampered, wrongly signed, unsigned, older, replayed, badly dated and invalid catalogues are refused and
//! change nothing; two updates at once leave the newer one; a server that sends too much or too slowly is cut off.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::fault_server::{Fault, FaultServer, CAP};
use crate::support::files_server::FilesServer;
use crate::support::{require, Sandbox};

/// A passwordless key pair; returns the public key (base64) and the secret key's path.
fn keypair(dir: &Path, name: &str) -> (String, PathBuf) {
    let bin = require("minisign", "minisign");
    std::fs::create_dir_all(dir).unwrap();
    let (public, secret) = (
        dir.join(format!("{name}.pub")),
        dir.join(format!("{name}.key")),
    );
    let out = Command::new(&bin)
        .arg("-G")
        .arg("-W")
        .arg("-p")
        .arg(&public)
        .arg("-s")
        .arg(&secret)
        .output()
        .unwrap();
    crate::support::assert_ok(&out);
    let key = std::fs::read_to_string(&public)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .to_owned();
    (key, secret)
}

/// `minisign -S`: writes `file.minisig`.
fn sign(file: &Path, secret: &Path) {
    let out = Command::new(require("minisign", "minisign"))
        .arg("-S")
        .arg("-s")
        .arg(secret)
        .arg("-m")
        .arg(file)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    crate::support::assert_ok(&out);
}

fn catalogue(updated: &str, url: &str) -> String {
    catalogue_serial(updated, None, url)
}

/// A catalogue with `serial = N` in its header when `serial` is given.
fn catalogue_serial(updated: &str, serial: Option<u64>, url: &str) -> String {
    let serial = serial.map_or(String::new(), |n| format!("serial = {n}\n"));
    format!(
        "[catalogue]\nupdated = \"{updated}\"\n{serial}registry = \"docker.io\"\n\n[[mirror]]\nname = \"team-cache\"\nurl = \"{url}\"\nprovider = \"our team\"\nstatus = \"active\"\nnotes = \"the team's pull-through cache\"\nnotes_zh = \"团队的拉取缓存\"\nsources = [\"ops\"]\nchecked = \"{updated}\"\n"
    )
}

fn update(sb: &Sandbox, from: &str, key: &str) -> (Output, Value) {
    let out = sb
        .mirrorctl()
        .args([
            "catalogue",
            "update",
            "--json",
            "--from",
            from,
            "--trust-key",
            key,
        ])
        .output()
        .unwrap();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out, doc)
}

fn listed_names(sb: &Sandbox) -> Vec<String> {
    let out = sb.mirrorctl().args(["list", "--json"]).output().unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_signed_newer_catalogue_is_used_from_then_on() {
    let sb = Sandbox::new();
    let (key, secret) = keypair(&sb.path().join("keys"), "team");
    let server = FilesServer::start();
    let file = sb.path().join("mirrors.toml");
    std::fs::write(&file, catalogue("2099-01-01", "https://cache.team.example")).unwrap();
    sign(&file, &secret);
    server.put("/mirrors.toml", &std::fs::read(&file).unwrap());
    server.put(
        "/mirrors.toml.minisig",
        &std::fs::read(sb.path().join("mirrors.toml.minisig")).unwrap(),
    );

    assert!(!listed_names(&sb).contains(&"team-cache".to_owned()));
    let (out, doc) = update(&sb, &server.url("/mirrors.toml"), &key);
    crate::support::assert_ok(&out);
    assert_eq!(doc["changed"], true, "{doc}");
    assert_eq!(doc["updated"], "2099-01-01");
    assert_eq!(listed_names(&sb), ["team-cache"]);
    let list = sb.mirrorctl().arg("list").output().unwrap();
    assert!(String::from_utf8_lossy(&list.stderr).contains("catalogue.toml (2099-01-01)"));

    // The same again: nothing changes.
    let (out, doc) = update(&sb, &server.url("/mirrors.toml"), &key);
    assert!(out.status.success());
    assert_eq!(doc["changed"], false, "{doc}");
}

#[test]
fn tampered_wrongly_signed_unsigned_older_and_invalid_catalogues_change_nothing() {
    let sb = Sandbox::new();
    let (key, secret) = keypair(&sb.path().join("keys"), "team");
    let (_, other_secret) = keypair(&sb.path().join("keys"), "other");
    let dir = sb.path().join("offers");
    std::fs::create_dir_all(&dir).unwrap();
    let offer = |name: &str, text: &str, signer: Option<&Path>| {
        let f = dir.join(name);
        std::fs::write(&f, text).unwrap();
        if let Some(s) = signer {
            sign(&f, s);
        }
        f.display().to_string()
    };
    // First a good one, so that "older" has something to be older than.
    let good = offer(
        "good.toml",
        &catalogue("2099-01-01", "https://cache.team.example"),
        Some(&secret),
    );
    assert!(update(&sb, &good, &key).0.status.success());
    let stored = std::fs::read(sb.path().join("state/catalogue.toml")).unwrap();

    let tampered = offer(
        "tampered.toml",
        &catalogue("2099-02-01", "https://cache.team.example"),
        Some(&secret),
    );
    std::fs::write(&tampered, catalogue("2099-02-01", "https://evil.example")).unwrap();
    let wrong_key = offer(
        "other.toml",
        &catalogue("2099-03-01", "https://cache.team.example"),
        Some(&other_secret),
    );
    let unsigned = offer(
        "unsigned.toml",
        &catalogue("2099-04-01", "https://cache.team.example"),
        None,
    );
    let older = offer(
        "older.toml",
        &catalogue("2098-01-01", "https://cache.team.example"),
        Some(&secret),
    );
    let invalid = offer(
        "invalid.toml",
        &catalogue("2099-05-01", "docker.m.daocloud.io"),
        Some(&secret),
    );
    // The same offers served over HTTP (URL and URL.minisig), as `catalogue update` fetches them by default.
    let server = FilesServer::start();
    let served = |path: &str| -> String {
        let name = Path::new(path)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        server.put(&format!("/{name}"), &std::fs::read(path).unwrap());
        if let Ok(sig) = std::fs::read(format!("{path}.minisig")) {
            server.put(&format!("/{name}.minisig"), &sig);
        }
        server.url(&format!("/{name}"))
    };
    for (what, from, says) in [
        ("tampered", &tampered, "not signed by the trusted key"),
        ("another key", &wrong_key, "not signed by the trusted key"),
        ("unsigned", &unsigned, "no signature"),
        ("older", &older, "older than the one in use"),
        ("invalid", &invalid, "not valid"),
    ] {
        for source in [from.clone(), served(from)] {
            let (out, _) = update(&sb, &source, &key);
            let err = String::from_utf8_lossy(&out.stderr).into_owned();
            assert_eq!(out.status.code(), Some(1), "{what} from {source}");
            assert!(err.contains(says), "{what} from {source}: {err}");
            let now = std::fs::read(sb.path().join("state/catalogue.toml")).unwrap();
            assert_eq!(now, stored, "{what} from {source} changed nothing");
        }
    }
    assert_eq!(listed_names(&sb), ["team-cache"]);
}

/// Writes `text` as `dir/name` and signs it with `secret`; returns the path and the bytes.
fn signed(dir: &Path, name: &str, text: &str, secret: &Path) -> (String, Vec<u8>) {
    std::fs::create_dir_all(dir).unwrap();
    let f = dir.join(name);
    std::fs::write(&f, text).unwrap();
    sign(&f, secret);
    (f.display().to_string(), text.as_bytes().to_vec())
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn an_update_waiting_for_the_lock_compares_with_what_was_stored_meanwhile() {
    let sb = Sandbox::new();
    let (key, secret) = keypair(&sb.path().join("keys"), "team");
    let offers = sb.path().join("offers");
    let (older, _) = signed(
        &offers,
        "older.toml",
        &catalogue_serial("2099-01-01", Some(1), "https://old.team.example"),
        &secret,
    );
    let (_, newer) = signed(
        &offers,
        "newer.toml",
        &catalogue_serial("2099-02-01", Some(2), "https://new.team.example"),
        &secret,
    );
    let state = sb.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    // The test holds mirrorctl's lock, as a concurrent `catalogue update` of the newer catalogue would.
    let lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(state.join("lock"))
        .unwrap();
    lock.lock().unwrap();
    let mut child = sb
        .mirrorctl()
        .args(["catalogue", "update", "--from", &older, "--trust-key", &key])
        .env("MIRRORCTL_LOCK_WAIT_SECS", "300")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        let n = err.read_line(&mut line).unwrap();
        seen.push_str(&line);
        assert!(
            n > 0,
            "mirrorctl ended before it waited for the lock: {seen}"
        );
        if line.contains("waiting for another mirrorctl") {
            break;
        }
    }
    // Fetched, verified and waiting: now the holder stores the newer catalogue, then lets go.
    std::fs::write(state.join("catalogue.toml"), &newer).unwrap();
    drop(lock);
    err.read_to_string(&mut seen).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "{seen}");
    assert!(seen.contains("older than the one in use"), "{seen}");
    assert_eq!(
        std::fs::read(state.join("catalogue.toml")).unwrap(),
        newer,
        "the newer catalogue stays, byte for byte"
    );
}

#[test]
fn two_updates_started_together_always_leave_the_newer_one_stored() {
    let sb = Sandbox::new();
    let (key, secret) = keypair(&sb.path().join("keys"), "team");
    let offers = sb.path().join("offers");
    let (older, _) = signed(
        &offers,
        "older.toml",
        &catalogue_serial("2099-01-01", Some(1), "https://old.team.example"),
        &secret,
    );
    let (newer, newer_bytes) = signed(
        &offers,
        "newer.toml",
        &catalogue_serial("2099-02-01", Some(2), "https://new.team.example"),
        &secret,
    );
    for round in 0..6 {
        let state = sb.path().join(format!("state-{round}"));
        let start = |from: &str| {
            sb.mirrorctl()
                .args(["catalogue", "update", "--from", from, "--trust-key", &key])
                .env("MIRRORCTL_STATE_DIR", &state)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        // Whichever takes the lock first, the older one must not be what is left.
        let (a, b) = if round % 2 == 0 {
            let a = start(&older);
            (a, start(&newer))
        } else {
            let b = start(&newer);
            (start(&older), b)
        };
        let (old_out, new_out) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        crate::support::assert_ok(&new_out);
        assert!(
            old_out.status.success() || stderr(&old_out).contains("older than the one in use"),
            "round {round}: {}",
            stderr(&old_out)
        );
        assert_eq!(
            std::fs::read(state.join("catalogue.toml")).unwrap(),
            newer_bytes,
            "round {round}: the newer catalogue is the one stored"
        );
    }
}

#[test]
fn a_badly_written_date_is_refused_naming_the_file_line_and_column() {
    let sb = Sandbox::new();
    let (key, secret) = keypair(&sb.path().join("keys"), "team");
    let offers = sb.path().join("offers");
    for bad in [
        "2027-6-1",
        "2027-02-29",
        "2027-13-01",
        "27-06-01",
        "yesterday",
    ] {
        let (from, _) = signed(
            &offers,
            "bad.toml",
            &catalogue(bad, "https://cache.team.example"),
            &secret,
        );
        let (out, _) = update(&sb, &from, &key);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{bad}: {err}");
        assert!(
            err.contains(&from)
                && err.contains("line 2, column 11")
                && err.contains(&format!("\"{bad}\" is not a date"))
                && err.contains("YYYY-MM-DD"),
            "{bad}: {err}"
        );
        assert!(
            !sb.path().join("state/catalogue.toml").exists(),
            "{bad}: nothing stored"
        );
    }
}

#[test]
fn dates_compare_as_days_so_october_follows_september() {
    let sb = Sandbox::new();
    let (key, secret) = keypair(&sb.path().join("keys"), "team");
    let offers = sb.path().join("offers");
    let (september, _) = signed(
        &offers,
        "september.toml",
        &catalogue("2027-09-30", "https://cache.team.example"),
        &secret,
    );
    let (october, october_bytes) = signed(
        &offers,
        "october.toml",
        &catalogue("2027-10-01", "https://cache.team.example"),
        &secret,
    );
    assert!(update(&sb, &september, &key).0.status.success());
    let (out, doc) = update(&sb, &october, &key);
    crate::support::assert_ok(&out);
    assert_eq!(
        (doc["changed"].as_bool(), doc["previous"].as_str()),
        (Some(true), Some("2027-09-30"))
    );
    let (out, _) = update(&sb, &september, &key);
    assert!(
        stderr(&out).contains("older than the one in use"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read(sb.path().join("state/catalogue.toml")).unwrap(),
        october_bytes
    );
}

#[test]
fn a_same_day_catalogue_with_other_bytes_is_refused_unless_its_serial_is_higher() {
    let sb = Sandbox::new();
    let (key, secret) = keypair(&sb.path().join("keys"), "team");
    let offers = sb.path().join("offers");
    let stored = || std::fs::read(sb.path().join("state/catalogue.toml")).unwrap();
    let (first, first_bytes) = signed(
        &offers,
        "first.toml",
        &catalogue_serial("2099-01-01", Some(1), "https://a.team.example"),
        &secret,
    );
    assert!(update(&sb, &first, &key).0.status.success());
    // The same day, the same serial, other entries: a replay of something else that day.
    for (name, serial) in [
        ("replay.toml", Some(1)),
        ("lower.toml", Some(0)),
        ("none.toml", None),
    ] {
        let (from, _) = signed(
            &offers,
            name,
            &catalogue_serial("2099-01-01", serial, "https://evil.example"),
            &secret,
        );
        let (out, _) = update(&sb, &from, &key);
        assert_eq!(out.status.code(), Some(1), "{name}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("refused, as a"),
            "{name}: {}",
            stderr(&out)
        );
        assert_eq!(stored(), first_bytes, "{name} changed nothing");
    }
    let (same, _) = signed(
        &offers,
        "same.toml",
        &catalogue_serial("2099-01-01", Some(1), "https://evil.example"),
        &secret,
    );
    let (out, _) = update(&sb, &same, &key);
    assert!(
        stderr(&out).contains("same day as the one in use (2099-01-01) and its serial (1) is not above that one's (1)"),
        "{}",
        stderr(&out)
    );
    // Re-published the same day with a higher serial: taken.
    let (second, second_bytes) = signed(
        &offers,
        "second.toml",
        &catalogue_serial("2099-01-01", Some(2), "https://b.team.example"),
        &secret,
    );
    let (out, doc) = update(&sb, &second, &key);
    crate::support::assert_ok(&out);
    assert_eq!(
        (doc["serial"].as_u64(), doc["previous_serial"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(stored(), second_bytes);
}

#[test]
fn a_catalogue_without_serial_never_replaces_a_stored_one_with_a_serial() {
    let sb = Sandbox::new();
    let (key, secret) = keypair(&sb.path().join("keys"), "team");
    let offers = sb.path().join("offers");
    let (with, with_bytes) = signed(
        &offers,
        "with.toml",
        &catalogue_serial("2099-01-01", Some(3), "https://a.team.example"),
        &secret,
    );
    assert!(update(&sb, &with, &key).0.status.success());
    // Later dates, but no serial (0), or one not above 3.
    for (name, updated, serial) in [
        ("none.toml", "2099-06-01", None),
        ("equal.toml", "2099-06-01", Some(3)),
    ] {
        let (from, _) = signed(
            &offers,
            name,
            &catalogue_serial(updated, serial, "https://b.team.example"),
            &secret,
        );
        let (out, _) = update(&sb, &from, &key);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        let want = format!(
            "serial ({}) is not above the stored one's (3)",
            serial.unwrap_or(0)
        );
        assert!(
            err.contains(&want) && err.contains("counts as 0"),
            "{name}: {err}"
        );
        assert_eq!(
            std::fs::read(sb.path().join("state/catalogue.toml")).unwrap(),
            with_bytes,
            "{name} changed nothing"
        );
    }
    // Without any serial on either side, a later date is newer (catalogues that never had one keep working).
    let sb = Sandbox::new();
    let (a, _) = signed(
        &offers,
        "a.toml",
        &catalogue("2099-01-01", "https://a.team.example"),
        &secret,
    );
    let (b, b_bytes) = signed(
        &offers,
        "b.toml",
        &catalogue("2099-01-02", "https://b.team.example"),
        &secret,
    );
    assert!(update(&sb, &a, &key).0.status.success());
    crate::support::assert_ok(&update(&sb, &b, &key).0);
    assert_eq!(
        std::fs::read(sb.path().join("state/catalogue.toml")).unwrap(),
        b_bytes
    );
}

/// The bound on what a server can push into a client that stops at `limit`: the limit, the kernel's socket
/// buffers on both ends (loopback autotunes the receiving one up to tcp_rmem's maximum), and some slack for the
/// HTTP client's own buffers.
fn most_a_bounded_read_lets_through(limit: u64) -> u64 {
    let max = |file: &str, default: u64| {
        std::fs::read_to_string(file)
            .ok()
            .and_then(|s| s.split_whitespace().nth(2).and_then(|n| n.parse().ok()))
            .unwrap_or(default)
    };
    limit
        + max("/proc/sys/net/ipv4/tcp_rmem", 32 << 20)
        + max("/proc/sys/net/ipv4/tcp_wmem", 4 << 20)
        + (8 << 20)
}

#[test]
fn an_endless_or_huge_body_is_cut_at_the_limit_not_read_whole() {
    let sb = Sandbox::new();
    let (key, _) = keypair(&sb.path().join("keys"), "team");
    let bound = most_a_bounded_read_lets_through(4 << 20);
    assert!(
        bound < CAP / 4,
        "the server can send far more than a bounded read takes"
    );
    // No Content-Length (the body ends with the connection), and one of 1.2 GiB.
    for promised in [None, Some(1_288_490_189u64)] {
        let server = FaultServer::start(Fault::Endless { promised });
        let (out, _) = update(&sb, &server.url("/mirrors.toml"), &key);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{promised:?}: {err}");
        assert!(
            err.contains("is larger than any catalogue")
                && err.contains("reading stopped at 4.0 MiB"),
            "{promised:?}: {err}"
        );
        let sent = server.next_sent();
        assert!(
            sent < bound,
            "{promised:?}: the server got {sent} bytes out before mirrorctl hung up (at most {bound})"
        );
        assert!(!sb.path().join("state/catalogue.toml").exists());
    }
}

#[test]
fn a_drip_fed_answer_ends_at_the_deadline() {
    let sb = Sandbox::new();
    let (key, _) = keypair(&sb.path().join("keys"), "team");
    for fault in [
        Fault::DripBody {
            every: Duration::from_millis(50),
        },
        Fault::DripAll {
            every: Duration::from_millis(50),
        },
    ] {
        let server = FaultServer::start(fault);
        let started = Instant::now();
        let out = sb
            .mirrorctl()
            .args(["catalogue", "update", "--from"])
            .arg(server.url("/mirrors.toml"))
            .args(["--trust-key", &key])
            .env("MIRRORCTL_CATALOGUE_TIMEOUT_SECS", "2")
            .output()
            .unwrap();
        let took = started.elapsed();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{fault:?}: {err}");
        assert!(
            err.contains("did not send all of its answer within 2 s")
                && err.contains("MIRRORCTL_CATALOGUE_TIMEOUT_SECS"),
            "{fault:?}: {err}"
        );
        // Ten minutes of drip were on offer: ending near the 2 s deadline is what bounded means here.
        assert!(took < Duration::from_secs(30), "{fault:?}: took {took:?}");
        assert!(server.next_sent() < 1000, "{fault:?}");
        assert!(!sb.path().join("state/catalogue.toml").exists());
    }
}
