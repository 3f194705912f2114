//! Probe performance against a farm of local mirrors with injected latency, measured side by side in one run.
//!
//! `cargo bench --bench probe_farm` prints, for 25, 100 and 400 mirrors, the wall time of `mirrorctl probe` over all
//! of them and its ratio to probing the slowest mirror alone. Everything runs on loopback.

#![allow(dead_code)] // the shared test servers carry helpers this bench does not call

#[path = "../tests/it/support/fake_registry.rs"]
mod fake_registry;
#[path = "../tests/it/support/image.rs"]
mod image;

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_registry::{Behavior, FakeRegistry};
use image::Image;

const SLOWEST_MS: u64 = 200;

fn farm(image: &Arc<Image>, n: usize) -> Vec<FakeRegistry> {
    // Latencies spread from 20 ms up to SLOWEST_MS; the last mirror is the slowest.
    (0..n)
        .map(|i| {
            let latency = 20 + (SLOWEST_MS - 20) * (i as u64 + 1) / n as u64;
            FakeRegistry::start(
                image.clone(),
                Behavior {
                    latency: Duration::from_millis(latency),
                    ..Default::default()
                },
            )
        })
        .collect()
}

/// Runs the real binary on a catalogue of these mirrors; returns the wall time and how many passed.
/// `jobs`: `None` for mirrorctl's default.
fn probe(
    mirrors: &[&FakeRegistry],
    jobs: Option<usize>,
    dir: &std::path::Path,
) -> (Duration, usize) {
    let mut text = String::from("[catalogue]\nupdated = \"2026-11-24\"\n");
    for (i, m) in mirrors.iter().enumerate() {
        text.push_str(&format!(
            "[[mirror]]\nname = \"m{i}\"\nurl = \"{}\"\nstatus = \"active\"\n",
            m.url()
        ));
    }
    let catalogue = dir.join("farm.toml");
    std::fs::write(&catalogue, text).unwrap();
    let started = Instant::now();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mirrorctl"));
    cmd.env("XDG_CACHE_HOME", dir.join("cache"))
        .env("MIRRORCTL_STATE_DIR", dir.join("state"))
        .env(
            "DOCKER_HOST",
            format!("unix://{}", dir.join("none.sock").display()),
        )
        .env("MIRRORCTL_SYSCONFDIR", dir.join("etc"))
        .args(["probe", "--json", "--timeout", "30", "--catalogue"])
        .arg(&catalogue);
    if let Some(j) = jobs {
        cmd.arg("--jobs").arg(j.to_string());
    }
    let out = cmd.output().expect("mirrorctl runs");
    let wall = started.elapsed();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let passed = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ok"] == true)
        .count();
    (wall, passed)
}

fn best_of(runs: usize, f: impl Fn() -> (Duration, usize)) -> (Duration, usize) {
    (0..runs).map(|_| f()).min_by_key(|(d, _)| *d).unwrap()
}

fn main() {
    // `cargo test` also runs benches in test mode with `--bench` absent: keep that quick.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let image = Arc::new(Image::new("library/alpine", "latest", 256 * 1024));
    println!("probe farm: each mirror adds 20..{SLOWEST_MS} ms before every response; 256 KiB layer; best of 3");
    println!(
        "{:>8} {:>7} {:>10} {:>12} {:>8}",
        "mirrors", "jobs", "wall", "slowest alone", "ratio"
    );
    for n in [25usize, 100, 400] {
        let mirrors = farm(&image, n);
        let slowest = mirrors.last().unwrap();
        let (alone, ok1) = best_of(3, || probe(&[slowest], Some(1), dir.path()));
        assert_eq!(ok1, 1, "the slowest mirror must pass");
        let refs: Vec<&FakeRegistry> = mirrors.iter().collect();
        // 32 was the default before it followed the open-file limit; `default` is what users get now.
        for jobs in [Some(32), None] {
            let (wall, ok) = best_of(3, || probe(&refs, jobs, dir.path()));
            assert_eq!(ok, n, "every mirror of the farm must pass");
            let jobs = jobs.map_or("default".to_owned(), |j| j.to_string());
            println!(
                "{n:>8} {jobs:>7} {:>8.0}ms {:>11.0}ms {:>8.2}",
                wall.as_secs_f64() * 1e3,
                alone.as_secs_f64() * 1e3,
                wall.as_secs_f64() / alone.as_secs_f64()
            );
        }
    }
}
