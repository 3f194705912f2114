//! What people read, pinned in both languages: --help, list, and a probe table (ports, timings, speeds and widths
//! filtered). Review changes with `cargo insta review`, or rerun with INSTA_UPDATE=always and read the diff.

use std::sync::Arc;

use crate::support::fake_registry::{Behavior, FakeRegistry, Fault};
use crate::support::image::Image;
use crate::support::Sandbox;

fn run(sb: &Sandbox, args: &[&str]) -> String {
    let out = sb.mirrorctl().args(args).output().unwrap();
    String::from_utf8(out.stdout).unwrap()
}

/// Timings, speeds, ports and the column widths they cause vary from run to run; names and reasons do not.
fn filtered(f: impl FnOnce()) {
    insta::with_settings!({filters => vec![
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[port]"),
        (r"\d+(\.\d+)? (ms|s)\b", "[time]"),
        (r"\d+(\.\d+)? (B|KiB|MiB|GiB)/s", "[speed]"),
        (r"─+", "─"),
        (r"═+", "═"),
        (r" {2,}", "  "),
    ]}, { f() });
}

#[test]
fn help_in_both_languages() {
    let sb = Sandbox::new();
    for lang in ["en", "zh"] {
        insta::assert_snapshot!(
            format!("help_{lang}"),
            run(&sb, &["--lang", lang, "--help"])
        );
        insta::assert_snapshot!(
            format!("probe_help_{lang}"),
            run(&sb, &["--lang", lang, "probe", "--help"])
        );
    }
}

#[test]
fn list_in_both_languages() {
    let sb = Sandbox::new();
    for lang in ["en", "zh"] {
        filtered(|| {
            insta::assert_snapshot!(format!("list_{lang}"), run(&sb, &["--lang", lang, "list"]))
        });
    }
}

#[test]
fn probe_table_in_both_languages() {
    let sb = Sandbox::new();
    let image = Arc::new(Image::new("library/alpine", "latest", 8192));
    let good = FakeRegistry::start(image.clone(), Behavior::default());
    let portal = FakeRegistry::start(
        image.clone(),
        Behavior {
            fault: Fault::CaptivePortal,
            ..Default::default()
        },
    );
    let allowlist = FakeRegistry::start(
        image,
        Behavior {
            fault: Fault::Status("/blobs/", 403),
            ..Default::default()
        },
    );
    let catalogue = sb.catalogue(&[
        ("good", good.url()),
        ("hotel-wifi", portal.url()),
        ("allowlist", allowlist.url()),
    ]);
    for lang in ["en", "zh"] {
        let table = run(
            &sb,
            &[
                "--lang",
                lang,
                "probe",
                "--catalogue",
                catalogue.to_str().unwrap(),
            ],
        );
        filtered(|| insta::assert_snapshot!(format!("probe_table_{lang}"), table));
    }
}
