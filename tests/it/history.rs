//! The probe history: recorded by every probe, read back by `history`, used by the ranking, recovered when
//! corrupt.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::support::docs;
use crate::support::fake_registry::{Behavior, FakeRegistry};
use crate::support::image::Image;
use crate::support::{assert_ok, result, Sandbox};

fn mirror(image: &Arc<Image>, latency_ms: u64, down: &Arc<AtomicBool>) -> FakeRegistry {
    FakeRegistry::start(
        image.clone(),
        Behavior {
            latency: Duration::from_millis(latency_ms),
            down: Some(down.clone()),
            ..Default::default()
        },
    )
}

fn history(sb: &Sandbox, extra: &[&str]) -> Value {
    let out = sb.run_ok([&["history", "--json"][..], extra].concat());
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    docs::check::<docs::HistoryDoc>(&doc);
    doc
}

#[test]
fn a_fast_mirror_that_keeps_failing_ranks_below_a_steady_one_and_history_shows_why() {
    let sb = Sandbox::new();
    let image = Arc::new(Image::new("library/alpine", "latest", 64 * 1024));
    let flaky_down = Arc::new(AtomicBool::new(false));
    let steady_down = Arc::new(AtomicBool::new(false));
    let flaky = mirror(&image, 0, &flaky_down);
    // Slower in both latency and bandwidth (1 MB/s: a 32 s score against the flaky one's well under one), so that
    // no scheduling hiccup on a loaded machine can make the 64 KiB transfer of the flaky one look slower.
    let steady = FakeRegistry::start(
        image.clone(),
        Behavior {
            latency: Duration::from_millis(150),
            bandwidth: Some(1_000_000),
            down: Some(steady_down.clone()),
            ..Default::default()
        },
    );
    let mirrors = [("flaky", flaky.url()), ("steady", steady.url())];

    // Down for 8 of 10 probes, then up: it passes now and is far faster.
    for i in 0..10 {
        flaky_down.store((1..9).contains(&i), Ordering::SeqCst);
        let (doc, _) = sb.probe(&mirrors, &[]);
        if i == 0 {
            assert_eq!(result(&doc, "flaky")["rank"], 1, "faster and no record yet");
        }
    }
    let (doc, code) = sb.probe(&mirrors, &[]);
    assert_eq!(code, 0);
    let flaky_now = result(&doc, "flaky");
    assert_eq!(flaky_now["status"], "ok");
    assert!(
        flaky_now["latency_ms"].as_f64().unwrap()
            < result(&doc, "steady")["latency_ms"].as_f64().unwrap()
    );
    // The last 10: this one and the 9 before it, of which 8 failed.
    assert_eq!(flaky_now["success_rate"], 0.2, "{flaky_now}");
    assert_eq!(
        flaky_now["rank"], 2,
        "a record of failures outranks one fast answer"
    );
    assert_eq!(result(&doc, "steady")["rank"], 1);
    assert_eq!(result(&doc, "steady")["success_rate"], 1.0);
    // The summary says why the faster one is second.
    let out = sb
        .mirrorctl_no_dns()
        .args(["probe", "--catalogue"])
        .arg(sb.path().join("catalogue.toml"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ranked by their record first") && err.contains("flaky 30%"),
        "{err}"
    );

    let doc = history(&sb, &[]);
    let m = &doc["mirrors"];
    assert_eq!(m[0]["name"], "steady");
    assert_eq!(m[1]["name"], "flaky");
    assert_eq!(m[1]["probes"], 12);
    assert_eq!(m[1]["successes"], 4);
    let recent: Vec<bool> = serde_json::from_value(m[1]["recent"].clone()).unwrap();
    assert_eq!(
        recent,
        [true, false, false, false, false, false, false, false, false, true, true, true]
    );
    assert_eq!(m[1]["last_failure"]["status"], "server-error");
    assert!(m[1]["median_latency_ms"].as_f64().is_some());

    // One mirror only, and the table with the dead stretch in its sparkline.
    let doc = history(&sb, &["--mirror", "flaky"]);
    assert_eq!(doc["mirrors"].as_array().unwrap().len(), 1);
    let out = sb.run_ok(["history"]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("▇▁▁▁▁▁▁▁▁▇▇▇"), "{table}");
    assert!(table.contains("33% (4/12)"), "{table}");
}

#[test]
fn a_corrupt_history_is_moved_aside_and_never_stops_a_probe() {
    let sb = Sandbox::new();
    let image = Arc::new(Image::new("library/alpine", "latest", 16 * 1024));
    let down = Arc::new(AtomicBool::new(false));
    let m = mirror(&image, 0, &down);
    let state = sb.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    let garbage =
        b"SQLite format 3\0 but then the disk filled up and this is what is left".repeat(200);
    std::fs::write(state.join("history.db"), &garbage).unwrap();

    let catalogue = sb.catalogue(&[("m", m.url())]);
    let out = sb
        .mirrorctl_no_dns()
        .args(["probe", "--catalogue"])
        .arg(&catalogue)
        .output()
        .unwrap();
    assert_ok(&out);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("was not a readable database") && err.contains("moved to"),
        "{err}"
    );
    let aside: Vec<_> = std::fs::read_dir(&state)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("history.db.corrupt-")
        })
        .collect();
    assert_eq!(aside.len(), 1);
    assert_eq!(
        std::fs::read(&aside[0]).unwrap(),
        garbage,
        "kept byte for byte"
    );
    // And the new one holds this probe.
    assert_eq!(history(&sb, &[])["mirrors"][0]["probes"], 1);
}

#[test]
fn state_dir_moves_the_history_and_bad_windows_are_usage_errors() {
    let sb = Sandbox::new();
    let elsewhere = sb.path().join("elsewhere");
    let out = sb
        .mirrorctl()
        .args(["history", "--json", "--state-dir"])
        .arg(&elsewhere)
        .output()
        .unwrap();
    assert_ok(&out);
    assert!(elsewhere.join("history.db").is_file());
    let out = sb
        .mirrorctl()
        .args(["history", "--since", "a while"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--since"));
}
