//! `mirrorctl metrics` as Prometheus meets it: Debian's node_exporter reads the textfile, Debian's Prometheus
//! scrapes node_exporter and mirrorctl's own listener, and its HTTP API answers with the numbers the history
//! holds; promtool checks the exposition and the alert rules, and fires each rule.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde_json::Value;

use crate::support::fake_registry::{Behavior, FakeRegistry};
use crate::support::image::Image;
use crate::support::prometheus::{self, query, value, wait_for};
use crate::support::registry::{free_port, Registry};
use crate::support::{assert_ok, require, Sandbox};

/// A mirror name made to break the format: a quote and brace to end the label, a newline to start a forged sample.
const HOSTILE: &str = "evil\"} 1\nmirrorctl_mirror_up{mirror=\"forged";
/// The same name as Prometheus reads it back: one label value, the newline shown as the two characters `\n`.
const HOSTILE_READ: &str = "evil\"} 1\\nmirrorctl_mirror_up{mirror=\"forged";

fn docs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs")
}

fn promtool(args: &[&str], stdin: Option<&str>) -> std::process::Output {
    let mut c = Command::new(require("promtool", "prometheus"));
    c.args(args).current_dir(docs());
    if let Some(text) = stdin {
        use std::io::Write;
        let mut child = c
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        return child.wait_with_output().unwrap();
    }
    c.output().unwrap()
}

/// `promtool check metrics` finds nothing: no error, no lint (it prints each problem and exits 1 on any).
fn check_metrics(text: &str) {
    let out = promtool(&["check", "metrics"], Some(text));
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "promtool check metrics:\n{}{}\n--- the exposition:\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A catalogue with these `(name, url)`, names escaped as TOML strings.
fn catalogue(sb: &Sandbox, mirrors: &[(&str, String)]) -> PathBuf {
    let mut text = String::from("[catalogue]\nupdated = \"2026-11-24\"\n");
    for (name, url) in mirrors {
        let name = serde_json::to_string(name).unwrap(); // a JSON string is a TOML basic string
        text.push_str(&format!(
            "\n[[mirror]]\nname = {name}\nurl = \"{url}\"\nstatus = \"active\"\n"
        ));
    }
    let path = sb.path().join("catalogue.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn probe(sb: &Sandbox, catalogue: &Path) {
    let out = sb
        .mirrorctl_no_dns()
        .args(["probe", "--json", "--timeout", "5", "--catalogue"])
        .arg(catalogue)
        .output()
        .unwrap();
    // Exit 3 only when none passed; here some always do.
    assert_ok(&out);
}

/// `metrics` with the sandbox's daemon.json and no cache (the machine's docker-registry config is not ours).
fn metrics(sb: &Sandbox) -> Command {
    let mut c = sb.mirrorctl();
    c.arg("metrics")
        .arg("--config")
        .arg(sb.path().join("daemon.json"))
        .arg("--registry-config")
        .arg(sb.path().join("no-registry/config.yml"))
        .args(["--registry", "docker.io"]);
    c
}

/// The listener, on a port it picks, read back from its first line on stderr.
struct Listener {
    child: Child,
    port: u16,
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn listen(sb: &Sandbox) -> Listener {
    let mut child = metrics(sb)
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    Listener { child, port }
}

fn history(sb: &Sandbox) -> Value {
    let out = sb.run_ok(["history", "--json", "--since", "7d"]);
    serde_json::from_slice(&out.stdout).unwrap()
}

fn one<'a>(result: &'a [Value], what: &str) -> &'a Value {
    assert_eq!(result.len(), 1, "{what}: {result:?}");
    &result[0]
}

#[test]
fn prometheus_scrapes_the_textfile_and_the_listener_and_sees_a_killed_mirror_go_down() {
    let sb = Sandbox::new();
    let image = Image::new("library/alpine", "latest", 64 * 1024);
    // A real registry that will be killed, and one that fails the first probe and then passes.
    let doomed = Registry::start(&sb.path().join("doomed"), None);
    doomed.push(&image, sb.path());
    let flaky_down = Arc::new(AtomicBool::new(true));
    let flaky = FakeRegistry::start(
        Arc::new(image),
        Behavior {
            down: Some(flaky_down.clone()),
            ..Default::default()
        },
    );
    let cat = catalogue(
        &sb,
        &[
            ("doomed", doomed.url()),
            ("flaky", flaky.url()),
            (HOSTILE, format!("http://127.0.0.1:{}", free_port())),
        ],
    );
    std::fs::write(
        sb.path().join("daemon.json"),
        format!("{{\"registry-mirrors\": [\"{}\"]}}\n", doomed.url()),
    )
    .unwrap();
    probe(&sb, &cat);
    flaky_down.store(false, Ordering::SeqCst);
    probe(&sb, &cat);

    // The textfile, for node_exporter; the file itself passes promtool.
    let textfiles = sb.path().join("textfiles");
    std::fs::create_dir(&textfiles).unwrap();
    let out = metrics(&sb)
        .arg("--textfile")
        .arg(&textfiles)
        .output()
        .unwrap();
    assert_ok(&out);
    let prom = std::fs::read_to_string(textfiles.join("mirrorctl.prom")).unwrap();
    check_metrics(&prom);
    let names: Vec<_> = std::fs::read_dir(&textfiles)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["mirrorctl.prom"], "no temp file left beside it");

    let listener = listen(&sb);
    let (status, body) = prometheus::get(listener.port, "/metrics");
    assert_eq!(status, 200);
    check_metrics(&body);
    let node = prometheus::node_exporter(sb.path(), &textfiles);
    let rules = docs().join("mirrorctl-alerts.yml");
    let server = prometheus::prometheus(
        sb.path(),
        &[("node", node.port), ("mirrorctl", listener.port)],
        &[&rules],
    );

    // Both scrapes succeed (a broken exposition fails the whole scrape: up 0), node_exporter parsed the file.
    for job in ["node", "mirrorctl"] {
        wait_for(&server, &format!("up{{job=\"{job}\"}}"), |r| {
            r.len() == 1 && value(&r[0]) == 1.0
        });
    }
    wait_for(&server, "node_textfile_scrape_error", |r| {
        r.len() == 1 && value(&r[0]) == 0.0
    });
    // The success ratio Prometheus holds is the history's, through either path.
    let h = history(&sb);
    let flaky_rate = h["mirrors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "flaky")
        .unwrap()["success_rate"]
        .as_f64()
        .unwrap();
    assert_eq!(flaky_rate, 0.5);
    // `--json` holds the same samples.
    let out = metrics(&sb).arg("--json").output().unwrap();
    assert_ok(&out);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    crate::support::docs::check::<crate::support::docs::MetricsDoc>(&doc);
    let ratio = doc["families"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "mirrorctl_mirror_success_ratio")
        .unwrap()["samples"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["labels"]["mirror"] == "flaky" && s["labels"]["window"] == "7d")
        .unwrap()["value"]
        .as_f64();
    assert_eq!(ratio, Some(flaky_rate));
    for job in ["node", "mirrorctl"] {
        let r = wait_for(
            &server,
            &format!(
                "mirrorctl_mirror_success_ratio{{job=\"{job}\",mirror=\"flaky\",window=\"7d\"}}"
            ),
            |r| r.len() == 1,
        );
        assert_eq!(value(&r[0]), flaky_rate, "{job}");
        let r = wait_for(
            &server,
            &format!("mirrorctl_mirror_up{{job=\"{job}\",mirror=\"doomed\"}}"),
            |r| r.len() == 1,
        );
        assert_eq!(value(&r[0]), 1.0);
    }
    // The hostile name is one label value, read back as written; nothing was forged.
    let r = query(
        &server,
        "mirrorctl_mirror_up{job=\"mirrorctl\",mirror=~\"evil.*\"}",
    );
    assert_eq!(one(&r, "hostile")["metric"]["mirror"], HOSTILE_READ);
    assert!(query(&server, "mirrorctl_mirror_up{mirror=\"forged\"}").is_empty());
    let r = query(
        &server,
        "mirrorctl_mirror_configured{job=\"node\",mirror=\"doomed\"}",
    );
    assert_eq!(value(one(&r, "configured")), 1.0);

    // The mirror dies; the next cycle of watch probes it, records the failure and refreshes the textfile.
    drop(doomed);
    let bin = crate::support::yes_systemctl(sb.path());
    let out = sb
        .mirrorctl_no_dns()
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .args([
            "watch",
            "--once",
            "--dry-run",
            "--top",
            "1",
            "--timeout",
            "5",
            "--config",
        ])
        .arg(sb.path().join("daemon.json"))
        .arg("--catalogue")
        .arg(&cat)
        .arg("--metrics-textfile")
        .arg(&textfiles)
        .output()
        .unwrap();
    assert_ok(&out);
    for job in ["node", "mirrorctl"] {
        wait_for(
            &server,
            &format!("mirrorctl_mirror_up{{job=\"{job}\",mirror=\"doomed\"}}"),
            |r| r.len() == 1 && value(&r[0]) == 0.0,
        );
        let r = wait_for(
            &server,
            &format!(
                "mirrorctl_mirror_last_failure_timestamp_seconds{{job=\"{job}\",mirror=\"doomed\"}}"
            ),
            |r| r.len() == 1,
        );
        assert_eq!(r[0]["metric"]["class"], "refused", "{r:?}");
        wait_for(
            &server,
            &format!("mirrorctl_watch_decisions_total{{job=\"{job}\",action=\"keep\"}}"),
            |r| r.len() == 1 && value(&r[0]) >= 1.0,
        );
        wait_for(
            &server,
            &format!("time() - mirrorctl_watch_last_run_timestamp_seconds{{job=\"{job}\"}} < 600"),
            |r| r.len() == 1,
        );
    }
    // The one configured mirror is down: exactly the alert's condition holds, for this host and registry.
    let cond = "max by (instance, job, registry) (mirrorctl_mirror_up and on (instance, job, registry, url) mirrorctl_mirror_configured == 1) == 0";
    let r = wait_for(&server, cond, |r| r.len() == 2);
    assert!(
        r.iter().all(|s| s["metric"]["registry"] == "docker.io"),
        "{r:?}"
    );
    // Prometheus loaded the example rules (it refuses to start on a broken file, and lists them here).
    let (status, body) = prometheus::get(server.port, "/api/v1/rules");
    assert_eq!(status, 200);
    for alert in [
        "MirrorctlAllConfiguredMirrorsFailing",
        "MirrorctlWatchNotRunning",
        "MirrorctlCacheUpstreamDown",
    ] {
        assert!(body.contains(alert), "{alert}: {body}");
    }
}

#[test]
fn the_listener_serves_metrics_only_and_bounds_what_it_reads() {
    let sb = Sandbox::new();
    let l = listen(&sb);
    let (status, body) = prometheus::get(l.port, "/metrics");
    assert_eq!(status, 200);
    // No history yet: the page still says the history was readable (an empty one), and passes promtool.
    assert!(body.contains("mirrorctl_history_readable 1\n"), "{body}");
    check_metrics(&body);
    let (status, _) = prometheus::get(l.port, "/");
    assert_eq!(status, 404);
    let (status, _) = prometheus::get(l.port, "/metrics/../history.db");
    assert_eq!(status, 404);
    let (status, _) = prometheus::request(
        l.port,
        b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    );
    assert_eq!(status, 405);
    let (status, body) = prometheus::request(l.port, b"HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!((status, body.as_str()), (200, ""));
    // A head that never ends is cut at 8 KiB with a 400, and the listener goes on serving.
    let mut flood = b"GET /metrics HTTP/1.1\r\nX: ".to_vec();
    flood.extend(std::iter::repeat_n(b'a', 64 * 1024));
    let (status, _) = prometheus::request(l.port, &flood);
    assert_eq!(status, 400);
    assert_eq!(prometheus::get(l.port, "/metrics").0, 200);
}

#[test]
fn a_listen_address_other_machines_reach_needs_allow_remote() {
    let sb = Sandbox::new();
    let out = metrics(&sb)
        .args(["--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("0.0.0.0:0 is not a loopback address") && err.contains("--allow-remote"),
        "{err}"
    );
    let out = metrics(&sb).args(["--listen", "nowhere"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("IP:PORT"));
}

#[test]
fn the_example_alert_rules_pass_promtool_and_each_one_fires() {
    let out = promtool(&["check", "rules", "mirrorctl-alerts.yml"], None);
    assert_ok(&out);
    let out = promtool(&["test", "rules", "mirrorctl-alerts.test.yml"], None);
    assert_ok(&out);
    // Each rule has a case that expects it firing.
    let tests = std::fs::read_to_string(docs().join("mirrorctl-alerts.test.yml")).unwrap();
    let rules = std::fs::read_to_string(docs().join("mirrorctl-alerts.yml")).unwrap();
    for name in rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert: "))
    {
        assert!(tests.contains(&format!("alertname: {name}")), "{name}");
    }
}

#[test]
fn root_does_not_write_the_textfile_into_a_directory_others_can_write() {
    if !crate::support::needs_root(
        "root_does_not_write_the_textfile_into_a_directory_others_can_write",
    ) {
        return;
    }
    let sb = Sandbox::new();
    let dir = sb.path().join("open");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let out = metrics(&sb).arg("--textfile").arg(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("does not write into") && err.contains("0777"),
        "{err}"
    );
    assert!(!dir.join("mirrorctl.prom").exists());
    // A symlink to a good directory is not followed either: its real path is asked for.
    let good = sb.path().join("good");
    std::fs::create_dir(&good).unwrap();
    std::os::unix::fs::symlink(&good, sb.path().join("link")).unwrap();
    let out = metrics(&sb)
        .arg("--textfile")
        .arg(sb.path().join("link"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("realpath"));
    let out = metrics(&sb).arg("--textfile").arg(&good).output().unwrap();
    assert_ok(&out);
    assert!(good.join("mirrorctl.prom").exists());
}

/// The value of the one line of `text` that starts with `series` (a name and its labels as written).
fn sample(text: &str, series: &str) -> f64 {
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with(series)).collect();
    assert_eq!(lines.len(), 1, "{series} in:\n{text}");
    lines[0].rsplit(' ').next().unwrap().parse().unwrap()
}

#[test]
fn a_real_pull_through_cache_reports_its_counters_and_its_upstream_going_down() {
    let sb = Sandbox::new();
    let image = Image::new("library/alpine", "latest", 64 * 1024);
    let upstream = Registry::start(&sb.path().join("upstream"), None);
    upstream.push(&image, sb.path());
    let debug = free_port();
    let cache = Registry::start_with(
        &sb.path().join("cache"),
        Some(&upstream.url()),
        &format!("  debug:\n    addr: 127.0.0.1:{debug}\n"),
    );
    // One probe of both: the upstream's record, and a pull through the cache (its misses).
    let cat = catalogue(&sb, &[("upstream", upstream.url()), ("cache", cache.url())]);
    probe(&sb, &cat);
    let path = format!(
        "{}:{}",
        crate::support::yes_systemctl(sb.path()).display(),
        std::env::var("PATH").unwrap()
    );
    let run = || {
        let out = sb
            .mirrorctl()
            .env("PATH", &path)
            .args(["metrics", "--registry", "docker.io", "--init", "systemd"])
            .arg("--config")
            .arg(sb.path().join("daemon.json"))
            .arg("--registry-config")
            .arg(sb.path().join("cache/config.yml"))
            .output()
            .unwrap();
        assert_ok(&out);
        let text = String::from_utf8(out.stdout).unwrap();
        check_metrics(&text);
        text
    };
    let text = run();
    let c = format!("{{cache=\"{}\"", cache.url());
    assert_eq!(sample(&text, &format!("mirrorctl_cache_up{c}}}")), 1.0);
    assert_eq!(
        sample(
            &text,
            &format!(
                "mirrorctl_cache_upstream_up{c},upstream=\"{}\"}}",
                upstream.url()
            )
        ),
        1.0
    );
    // distribution's own counters, as `cache status` reads them (2.8 counts a blob it fetched as a hit).
    let counter = |name: &str, kind: &str| {
        sample(
            &text,
            &format!("mirrorctl_cache_{name}_total{c},kind=\"{kind}\"}}"),
        )
    };
    assert!(counter("requests", "blob") >= 1.0 && counter("requests", "manifest") >= 1.0);
    assert!(counter("misses", "manifest") >= 1.0);
    assert!(counter("pulled_bytes", "manifest") > 0.0 && counter("served_bytes", "blob") > 0.0);
    assert!(sample(&text, &format!("mirrorctl_cache_storage_bytes{c}}}")) > 0.0);
    // The upstream dies; the next probe records it, and the metrics say so.
    drop(upstream);
    probe(&sb, &cat);
    let text = run();
    let up: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("mirrorctl_cache_upstream_up{"))
        .collect();
    assert!(up.len() == 1 && up[0].ends_with(" 0"), "{text}");
}
