//! `report`: the page a person opens, checked in a real browser. The history comes from real probes (watch
//! cycles against registries of our own on loopback, one of them named and answering with markup), the page is
//! loaded by Debian's Chromium in a network namespace of its own (no network at all, so anything the page tried
//! to fetch would fail), and what is asserted is the DOM Chromium built: a chart per mirror, the ranking, the
//! hostile text as text and no element it tried to inject.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::support::docs;
use crate::support::fake_registry::{Behavior, FakeRegistry, Fault};
use crate::support::image::Image;
use crate::support::{assert_ok, is_root, needs_root, require, Sandbox};

/// `report --json`, field for field: a field renamed, added or dropped fails here.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ReportDoc {
    registry: String,
    since: String,
    until: String,
    mirrors: usize,
    decisions: usize,
    files: Vec<ReportFileDoc>,
    changed: bool,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ReportFileDoc {
    kind: String,
    path: String,
    bytes: usize,
}

/// A name and a failure text that would be markup if pasted into the page as they are.
const HOSTILE_NAME: &str = "<script>alert(1)</script>\"><img src=x onerror=alert(2)></svg>";
const HOSTILE_TYPE: &str = "</svg></title><script>alert(3)</script>\"><img src=x onerror=alert(4)>";

/// Headless Chromium with no network (a network namespace of its own: not even loopback is up) and a profile in
/// `dir`, as the environment notes ask; `args` say what to do with the page.
fn chromium(dir: &Path, page: &Path, args: &[&str]) -> std::process::Output {
    let bin = require("chromium", "chromium");
    let mut c = Command::new("unshare");
    if !is_root() {
        c.args(["--user", "--map-root-user"]);
    }
    c.arg("--net")
        .arg(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.join("chromium").display()
        ))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .env("HOME", dir.join("home"))
        .env_remove("DBUS_SESSION_BUS_ADDRESS");
    let out = c.output().expect("chromium runs");
    assert_ok(&out);
    out
}

fn catalogue(sb: &Sandbox, mirrors: &[(&str, String)]) -> PathBuf {
    // TOML literal strings: the hostile name holds quotes, and none of these holds an apostrophe.
    let mut text = String::from("[catalogue]\nupdated = '2026-11-24'\n");
    for (name, url) in mirrors {
        assert!(!name.contains('\''));
        text.push_str(&format!(
            "\n[[mirror]]\nname = '{name}'\nurl = '{url}'\nstatus = 'active'\n"
        ));
    }
    let path = sb.path().join("catalogue.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_page_shows_every_mirror_in_a_browser_without_network_and_hostile_text_stays_text() {
    let sb = Sandbox::new();
    let image = Arc::new(Image::new("library/alpine", "latest", 16 * 1024));
    let steady = FakeRegistry::start(
        image.clone(),
        Behavior {
            latency: Duration::from_millis(5),
            ..Default::default()
        },
    );
    let flaky_down = Arc::new(AtomicBool::new(false));
    let flaky = FakeRegistry::start(
        image.clone(),
        Behavior {
            latency: Duration::from_millis(40),
            down: Some(flaky_down.clone()),
            ..Default::default()
        },
    );
    let hostile = FakeRegistry::start(
        image,
        Behavior {
            fault: Fault::ManifestMediaType(HOSTILE_TYPE),
            ..Default::default()
        },
    );
    let catalogue = catalogue(
        &sb,
        &[
            ("steady", steady.url()),
            ("flaky", flaky.url()),
            (HOSTILE_NAME, hostile.url()),
        ],
    );
    let config = sb.path().join("daemon.json");
    std::fs::write(
        &config,
        format!("{{\n  \"registry-mirrors\": [\"{}\"]\n}}\n", steady.url()),
    )
    .unwrap();
    // Four watch cycles: probes recorded, and a decision each (keep: the configured mirror works).
    for i in 0..4 {
        flaky_down.store(i == 1, Ordering::SeqCst);
        let out = sb
            .mirrorctl()
            .args([
                "watch", "--once", "--json", "--top", "1", "--init", "systemd", "--yes",
            ])
            .arg("--catalogue")
            .arg(&catalogue)
            .arg("--config")
            .arg(&config)
            .output()
            .unwrap();
        assert_ok(&out);
    }

    let page = sb.path().join("out/report.html");
    std::fs::create_dir_all(page.parent().unwrap()).unwrap();
    let out = sb
        .mirrorctl()
        .args(["report", "--json", "--html"])
        .arg(&page)
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert_ok(&out);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    docs::check::<ReportDoc>(&doc);
    assert_eq!(doc["mirrors"], 3, "{doc}");
    assert_eq!(doc["decisions"], 4, "{doc}");
    assert_eq!(doc["changed"], true, "{doc}");
    assert_eq!(doc["files"][0]["kind"], "html");
    assert_eq!(doc["files"][0]["path"], page.display().to_string());
    let html = std::fs::read_to_string(&page).unwrap();
    assert_eq!(doc["files"][0]["bytes"], html.len());
    // Self-contained: nothing that loads from anywhere.
    for external in [
        "<script",
        "<link",
        " src=\"",
        " href=\"http",
        "@import",
        "url(",
        "http-equiv=\"refresh\"",
    ] {
        assert!(!html.contains(external), "{external} in the page");
    }

    let dom = String::from_utf8(chromium(sb.path(), &page, &["--dump-dom"]).stdout).unwrap();
    // One chart per mirror (and the overview), the ranking table with a row per mirror, best first.
    assert_eq!(
        dom.matches("class=\"chart mirror-chart\"").count(),
        3,
        "{dom}"
    );
    assert_eq!(dom.matches("class=\"chart latency-chart\"").count(), 1);
    assert_eq!(dom.matches("<svg").count(), 4, "{dom}");
    let ranking = dom
        .split("<table id=\"ranking-table\">")
        .nth(1)
        .and_then(|t| t.split("</table>").next())
        .unwrap_or_else(|| panic!("no ranking table in {dom}"));
    assert_eq!(
        ranking.matches("<tr>").count(),
        4,
        "a header and three mirrors: {ranking}"
    );
    let steady_at = ranking.find(">steady<").unwrap();
    let flaky_at = ranking.find(">flaky<").unwrap();
    assert!(steady_at < flaky_at, "{ranking}");
    assert!(
        ranking.contains("best record: worked in 4 of 4 probes"),
        "{ranking}"
    );
    assert!(ranking.contains("75% (3/4)"), "{ranking}");
    // What Docker uses: the file's mirror, and the daemon said to be down (this sandbox has none).
    assert!(
        dom.contains(&format!("<code>{}</code>", steady.url())),
        "{dom}"
    );
    assert!(
        dom.contains("not reachable when this report was made"),
        "{dom}"
    );
    // watch's decisions, all four.
    let decisions = dom.split("<table id=\"decisions-table\">").nth(1).unwrap();
    assert_eq!(
        decisions
            .split("</table>")
            .next()
            .unwrap()
            .matches("<td>keep</td>")
            .count(),
        4,
        "{decisions}"
    );
    // The hostile text is there, as text, in the ranking, the heading and the charts …
    let name_as_text =
        "&lt;script&gt;alert(1)&lt;/script&gt;\"&gt;&lt;img src=x onerror=alert(2)&gt;&lt;/svg&gt;";
    assert!(dom.matches(name_as_text).count() >= 3, "{dom}");
    assert!(
        dom.contains("&lt;/svg&gt;&lt;/title&gt;&lt;script&gt;alert(3)"),
        "{dom}"
    );
    // … and nothing it tried to be: Chromium serialises text with `<` as `&lt;` (and we put no outside text in
    // an attribute), so a raw `<script` or `<img` could only be an element. And the SVGs end where ours end.
    for injected in ["<script", "<img"] {
        assert!(!dom.contains(injected), "{injected} in the DOM: {dom}");
    }
    assert_eq!(dom.matches("</svg>").count(), 4, "{dom}");

    // The page itself is kept beside its screenshot, for a person to open.
    std::fs::copy(&page, artifacts().join("report.html")).unwrap();
    let shot = artifacts().join("report.png");
    let _ = std::fs::remove_file(&shot);
    chromium(
        sb.path(),
        &page,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,2000",
            "--hide-scrollbars",
        ],
    );
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );

    // The same page in Chinese.
    let out = sb
        .mirrorctl()
        .args(["report", "--lang", "zh", "--html", "-", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_ok(&out);
    let zh = String::from_utf8(out.stdout).unwrap();
    assert!(
        zh.contains("<html lang=\"zh-CN\">") && zh.contains("<h2>排名</h2>"),
        "{zh}"
    );
    assert!(zh.contains("镜像加速器报告"), "{zh}");
    // Its screenshot too, for a person to read (Debian's fonts-wqy-zenhei draws the Chinese).
    let zh_page = sb.path().join("out/report-zh.html");
    std::fs::write(&zh_page, &zh).unwrap();
    let zh_shot = artifacts().join("report-zh.png");
    chromium(
        sb.path(),
        &zh_page,
        &[
            &format!("--screenshot={}", zh_shot.display()),
            "--window-size=1280,2000",
            "--hide-scrollbars",
        ],
    );
    assert!(std::fs::read(&zh_shot).unwrap().starts_with(b"\x89PNG"));

    // One chart: a mirror's, on stdout, found by name; every mirror's latency, to a file; a name it does not know.
    let out = sb.run_ok(["report", "--svg", "-", "--mirror", "flaky"]);
    let svg = String::from_utf8(out.stdout).unwrap();
    assert!(
        svg.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg"),
        "{svg}"
    );
    assert_eq!(svg.matches("<svg").count(), 1);
    assert!(
        svg.contains("class=\"chart mirror-chart\"") && svg.contains("class=\"failure\""),
        "{svg}"
    );
    let all = sb.path().join("out/latency.svg");
    sb.run_ok([
        "report".as_ref(),
        "--svg".as_ref(),
        all.as_os_str(),
        "--days".as_ref(),
        "1".as_ref(),
    ]);
    let svg = std::fs::read_to_string(&all).unwrap();
    assert!(svg.contains("class=\"chart latency-chart\""), "{svg}");
    // The legend cuts a long name (the chart's title holds it whole).
    assert!(
        svg.contains("&lt;script&gt;ale… (no successful probe)"),
        "{svg}"
    );
    assert!(
        svg.contains(&format!("<title>{}</title>", "Latency of every mirror")),
        "{svg}"
    );
    let out = sb
        .mirrorctl()
        .args(["report", "--svg", "-", "--mirror", "nowhere.example"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no mirror nowhere.example") && err.contains("mirrorctl history"),
        "{err}"
    );
}

/// The page replaces an earlier one whole, but is never written through a symbolic link (which, for root, another
/// user could have planted to make root overwrite a file of its choice).
#[test]
fn a_report_replaces_its_file_but_never_writes_through_a_link() {
    let sb = Sandbox::new();
    let page = sb.path().join("report.html");
    std::fs::write(&page, "an older page").unwrap();
    sb.run_ok(["report".as_ref(), "--html".as_ref(), page.as_os_str()]);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.starts_with("<!DOCTYPE html>") && html.contains("No probe of docker.io"),
        "{html}"
    );
    assert!(html.contains("watch has decided nothing yet"), "{html}");

    let precious = sb.path().join("precious");
    std::fs::write(&precious, "keep me").unwrap();
    let link = sb.path().join("link.html");
    std::os::unix::fs::symlink(&precious, &link).unwrap();
    let out = sb
        .mirrorctl()
        .args(["report", "--html"])
        .arg(&link)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("is a symbolic link") && err.contains("hint:"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "keep me");
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
}

/// As root, a page is not written into a directory another user can write (not sticky): that user could have put
/// anything at the name, or swap it while root writes (the trust rule of `state.rs`). The same directory made
/// root's own takes the page.
#[test]
fn as_root_a_report_is_never_written_where_another_user_could_swap_it() {
    if !needs_root("as_root_a_report_is_never_written_where_another_user_could_swap_it") {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::new();
    let open = sb.path().join("shared");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    let page = open.join("report.html");
    let out = sb
        .mirrorctl()
        .args(["report", "--html"])
        .arg(&page)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("0777") && err.contains("hint:"), "{err}");
    assert!(!page.exists());
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).unwrap();
    sb.run_ok(["report".as_ref(), "--html".as_ref(), page.as_os_str()]);
    assert!(std::fs::read_to_string(&page)
        .unwrap()
        .starts_with("<!DOCTYPE html>"));
}

/// With a real dockerd: the page lists what the live daemon uses, and when daemon.json was changed without a
/// restart it says so and how to fix it — the same facts `show` gathers.
#[test]
fn the_page_says_what_the_live_daemon_uses_and_where_the_file_differs() {
    if !needs_root("the_page_says_what_the_live_daemon_uses_and_where_the_file_differs") {
        return;
    }
    let engine = &crate::support::engines::all()[0];
    let sb = Sandbox::new();
    let d = crate::support::dockerd::Dockerd::start(
        engine,
        &sb.path().join("dockerd"),
        "{\n  \"registry-mirrors\": [\"https://live.example.com\"]\n}\n",
        &[],
    );
    let page = |name: &str| {
        let path = sb.path().join(name);
        let out = sb
            .mirrorctl()
            .env("DOCKER_HOST", d.host())
            .args(["report", "--html"])
            .arg(&path)
            .arg("--config")
            .arg(&d.config)
            .output()
            .unwrap();
        assert_ok(&out);
        let html = std::fs::read_to_string(&path).unwrap();
        html.split("<section id=\"daemon\">")
            .nth(1)
            .and_then(|s| s.split("</section>").next())
            .unwrap()
            .to_owned()
    };
    let live = page("live.html");
    assert!(!live.contains("not reachable"), "{live}");
    assert_eq!(
        live.matches("<li><code>https://live.example.com/</code></li>")
            .count(),
        1,
        "the live daemon's, as dockerd normalises it: {live}"
    );
    assert!(
        live.contains("<li><code>https://live.example.com</code></li>"),
        "the file's, as written: {live}"
    );
    assert!(!live.contains("class=\"bad\""), "{live}");

    std::fs::write(
        &d.config,
        "{\"registry-mirrors\": [\"https://new.example.com\"]}",
    )
    .unwrap();
    let drift = page("drift.html");
    assert!(
        drift.contains("<li><code>https://new.example.com</code></li>"),
        "{drift}"
    );
    assert!(
        drift.contains("the file lists mirrors the daemon does not use"),
        "{drift}"
    );
    assert!(
        drift.contains("<code>sudo systemctl reload docker"),
        "{drift}"
    );
}
