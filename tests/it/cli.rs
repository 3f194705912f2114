//! The conventions around the commands: list, completions, man page, -q and -v.

use std::sync::Arc;

use serde_json::Value;

use crate::support::fake_registry::{Behavior, FakeRegistry};
use crate::support::image::Image;
use crate::support::Sandbox;

#[test]
fn list_merges_the_users_catalogue_and_shows_the_last_probe() {
    let sb = Sandbox::new();
    let user = sb.path().join("config/mirrorctl/mirrors.toml");
    std::fs::create_dir_all(user.parent().unwrap()).unwrap();
    std::fs::write(
        &user,
        "[[mirror]]\nname = \"ustc\"\nurl = \"https://docker.mirrors.ustc.edu.cn\"\nstatus = \"active\"\nnotes = \"our campus still has it\"\n\n[[mirror]]\nname = \"office\"\nurl = \"https://hub.office.lan\"\nstatus = \"active\"\n",
    )
    .unwrap();
    let out = sb.mirrorctl().args(["list", "--json"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let entry = |name: &str| {
        doc["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .cloned()
    };
    assert_eq!(entry("ustc").unwrap()["from"], user.display().to_string());
    assert_eq!(
        entry("ustc").unwrap()["status"],
        "active",
        "the user's file overrides the built-in status"
    );
    assert_eq!(entry("office").unwrap()["from"], user.display().to_string());
    assert_eq!(entry("1ms").unwrap()["from"], "built-in");
    assert!(entry("163").is_none(), "closed entries only with --all");
    let all: Value = serde_json::from_slice(
        &sb.mirrorctl()
            .args(["list", "--all", "--json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(all["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["name"] == "163" && e["status"] == "closed"));

    // After a probe, list shows each mirror's result.
    let server = FakeRegistry::start(
        Arc::new(Image::new("library/alpine", "latest", 4096)),
        Behavior::default(),
    );
    let catalogue = sb.catalogue(&[("local", server.url())]);
    sb.run_ok([
        std::ffi::OsStr::new("probe"),
        "-q".as_ref(),
        "--catalogue".as_ref(),
        catalogue.as_os_str(),
    ]);
    let out = sb
        .mirrorctl()
        .args(["list", "--json", "--catalogue"])
        .arg(&catalogue)
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["entries"][0]["last_probe"]["status"], "ok", "{doc:#}");
    let text = String::from_utf8(
        sb.mirrorctl()
            .args(["list", "--catalogue"])
            .arg(&catalogue)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(text.contains("local") && text.contains("ok "), "{text}");
}

#[test]
fn quiet_and_verbose() {
    let sb = Sandbox::new();
    let server = FakeRegistry::start(
        Arc::new(Image::new("library/alpine", "latest", 4096)),
        Behavior::default(),
    );
    let catalogue = sb.catalogue(&[("local", server.url())]);
    let run = |flag: &str| {
        sb.mirrorctl()
            .args(["probe", flag, "--catalogue"])
            .arg(&catalogue)
            .output()
            .unwrap()
    };
    let quiet = run("-q");
    assert!(quiet.status.success());
    assert_eq!(
        String::from_utf8_lossy(&quiet.stderr),
        "",
        "-q: nothing on stderr"
    );
    assert!(
        String::from_utf8_lossy(&quiet.stdout).contains("local"),
        "the table still prints"
    );
    let verbose = String::from_utf8(run("-v").stderr).unwrap();
    assert!(
        verbose.contains("phases: dns")
            && verbose.contains("GET http://")
            && verbose.contains("/v2/ → 200"),
        "{verbose}"
    );
    assert!(
        verbose.contains("/blobs/sha256:") && verbose.contains("→ 200"),
        "{verbose}"
    );
}

#[test]
fn completions_and_man_page() {
    let sb = Sandbox::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = sb
            .mirrorctl()
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success() && out.stdout.len() > 500, "{shell}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("probe"),
            "{shell}"
        );
    }
    let man = String::from_utf8(sb.mirrorctl().arg("man").output().unwrap().stdout).unwrap();
    assert!(
        man.contains(".TH mirrorctl 1") && man.contains("apply"),
        "{man}"
    );
    // The page shipped in the .deb is this one: regenerate with `mirrorctl man > man/mirrorctl.1`.
    let shipped =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/man/mirrorctl.1")).unwrap();
    assert_eq!(
        shipped, man,
        "man/mirrorctl.1 is out of date: run `cargo run -q -- man > man/mirrorctl.1`"
    );
}
