//! Messages that point the right way (the smaller items of the screens issue): each says what is wrong in words
//! that are true, and what to run next.

use crate::support::Sandbox;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn a_timeout_of_zero_is_refused_without_calling_zero_allowed() {
    let sb = Sandbox::new();
    for lang in ["en", "zh"] {
        let out = sb
            .mirrorctl()
            .args(["--lang", lang, "probe", "--timeout", "0"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "a usage error");
        let said = text(&out.stderr);
        assert!(!said.contains("between 0 and"), "{said}");
        let want = if lang == "en" { "above 0" } else { "大于 0" };
        assert!(said.contains(want) && said.contains("86400"), "{said}");
    }
}

/// Probes are recorded, none of that name: an error (non-zero), naming the mirrors that do have history.
#[test]
fn history_of_a_mirror_never_probed_names_the_ones_that_were() {
    let sb = Sandbox::new();
    // A refused port: the probe fails, and its failure is history too.
    let (_, _) = sb.probe(&[("closed-one", "http://127.0.0.1:1".into())], &[]);
    let out = sb
        .mirrorctl()
        .args(["history", "--mirror", "nosuch"])
        .output()
        .unwrap();
    let said = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("`nosuch`") && said.contains("closed-one"),
        "{said}"
    );
    assert!(!said.contains("run `mirrorctl probe` first"), "{said}");
    // A name that has history still shows it.
    let out = sb
        .mirrorctl()
        .args(["history", "--json", "--mirror", "closed-one"])
        .output()
        .unwrap();
    crate::support::assert_ok(&out);
}

/// A backup name that is not one: the hint points at `--list`, where the names are.
#[test]
fn restore_of_an_unknown_backup_points_at_the_list() {
    let sb = Sandbox::new();
    let config = sb.path().join("daemon.json");
    std::fs::write(&config, "{}\n").unwrap();
    crate::support::assert_ok(
        &sb.apply_file(&config, "https://a.example")
            .output()
            .unwrap(),
    );
    let out = sb
        .mirrorctl()
        .args([
            "restore",
            "--backup",
            "nosuch",
            "--yes",
            "--no-restart",
            "--config",
        ])
        .arg(&config)
        .output()
        .unwrap();
    let said = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("nosuch is not a backup"), "{said}");
    assert!(
        said.contains("hint:") && said.contains("`--list`") && said.contains("(1 now)"),
        "{said}"
    );
    assert!(std::fs::read_to_string(&config)
        .unwrap()
        .contains("a.example"));
}

/// docker down: `show` says so in plain words, with the socket, never reqwest's chain.
#[test]
fn show_with_docker_down_says_it_is_not_running() {
    let sb = Sandbox::new();
    let path = sb.path().join("daemon.json");
    std::fs::write(&path, "{}\n").unwrap();
    let socket = sb.path().join("docker.sock");
    let out = sb
        .mirrorctl()
        .env("DOCKER_HOST", format!("unix://{}", socket.display()))
        .args(["show", "--config"])
        .arg(&path)
        .args(sb.runtime_places())
        .output()
        .unwrap();
    crate::support::assert_ok(&out);
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        said.contains(&format!(
            "docker is not running (cannot connect to {})",
            socket.display()
        )),
        "{said}"
    );
    for chain in [
        "error sending request",
        "http://docker/info",
        "client error",
    ] {
        assert!(!said.contains(chain), "{said}");
    }
}

/// `--systemd-dir` without `--init`: a systemd timer in that directory, never a cron entry planned instead (this
/// test machine runs no systemd, so detection alone would choose cron); beside `--cron-dir`, a usage error.
#[test]
fn watch_install_with_a_systemd_dir_plans_a_systemd_timer_there() {
    let sb = Sandbox::new();
    let units = sb.path().join("units");
    let config = sb.path().join("daemon.json");
    let run = |extra: &[&str]| {
        sb.mirrorctl()
            .args(["watch", "--install", "--dry-run", "--yes", "--systemd-dir"])
            .arg(&units)
            .args(extra)
            .arg("--config")
            .arg(&config)
            .output()
            .unwrap()
    };
    let out = run(&[]);
    crate::support::assert_ok(&out);
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        said.contains(&units.join("mirrorctl-watch.timer").display().to_string()),
        "{said}"
    );
    assert!(!said.contains("cron"), "{said}");
    assert!(!units.exists(), "a dry run writes nothing");
    let cron = sb.path().join("cron");
    let out = run(&["--cron-dir", cron.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--cron-dir"));
}

/// A catalogue file that states no date: `list` says "unknown date", never "catalogue of ;" (the JSON keeps "").
#[test]
fn a_catalogue_with_no_date_is_said_to_have_none() {
    let sb = Sandbox::new();
    let catalogue = sb.path().join("undated.toml");
    std::fs::write(
        &catalogue,
        "[[mirror]]\nname = \"x\"\nurl = \"https://x.example\"\nstatus = \"active\"\n",
    )
    .unwrap();
    let out = sb
        .mirrorctl()
        .args(["list", "--catalogue"])
        .arg(&catalogue)
        .output()
        .unwrap();
    crate::support::assert_ok(&out);
    let said = text(&out.stderr);
    assert!(said.contains("catalogue of unknown date;"), "{said}");
    assert!(
        !said.contains("catalogue of ;") && !said.contains("()"),
        "{said}"
    );
    let out = sb
        .mirrorctl()
        .args(["list", "--json", "--catalogue"])
        .arg(&catalogue)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["catalogue_updated"], "", "{doc}");
}
