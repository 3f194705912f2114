//! Desktop products on a Linux test machine: their files under a temp HOME, their own command (`orb`, `colima`)
//! a script on PATH that records its argv and restarts a real test dockerd through the private systemctl, and the
//! Engine API found the way the docker CLI finds it there (the context's meta.json). `MIRRORCTL_DESKTOP_OS` makes
//! mirrorctl look for macOS's products; everything else — the write, the backup, the command, the check through
//! `/info`, the rollback — is the real thing.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::dockerd::Dockerd;
use crate::support::engines;
use crate::support::Sandbox;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `docker context create NAME --docker host=HOST` as the CLI stores it, and made current in config.json.
fn use_context(home: &Path, name: &str, host: &str) {
    use sha2::Digest;
    let dir = home
        .join(".docker/contexts/meta")
        .join(hex::encode(sha2::Sha256::digest(name.as_bytes())));
    std::fs::create_dir_all(&dir).unwrap();
    let meta =
        serde_json::json!({"Name": name, "Metadata": {}, "Endpoints": {"docker": {"Host": host}}});
    std::fs::write(dir.join("meta.json"), meta.to_string()).unwrap();
    std::fs::write(
        home.join(".docker/config.json"),
        serde_json::json!({"currentContext": name}).to_string(),
    )
    .unwrap();
}

/// A product's command: records its argv in `argv.log`; fails once (exit 1) when `fail` exists; else runs `then`
/// (the product's own work: put its config where the engine reads it) and restarts the test dockerd.
fn product_command(dir: &Path, name: &str, then: &str) -> PathBuf {
    let bin = dir.join("product-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = format!(
        "#!/bin/bash\nset -e\necho \"$*\" >> '{log}'\nif [ -e '{fail}' ]; then rm -f '{fail}'; echo '{name}: the engine did not start' >&2; exit 1; fi\n{then}\nexec systemctl restart docker\n",
        log = dir.join("argv.log").display(),
        fail = dir.join("fail").display(),
    );
    std::fs::write(bin.join(name), script).unwrap();
    std::fs::set_permissions(
        bin.join(name),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    bin
}

fn run(sb: &Sandbox, d: &Dockerd, bin: &Path, args: &[&str]) -> Output {
    let mut path = bin.as_os_str().to_owned();
    path.push(":");
    path.push(d.path_env());
    sb.mirrorctl()
        .env("PATH", path)
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_CONTEXT")
        .env("MIRRORCTL_DESKTOP_OS", "macos")
        .args(args)
        .output()
        .unwrap()
}

fn log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("argv.log")).unwrap_or_default()
}

#[test]
fn orbstack_runs_orb_restart_docker_verifies_through_its_context_a_failure_rolls_back_and_restore_runs_it_too(
) {
    if !crate::support::needs_root("orbstack_runs_orb_restart_docker") {
        return;
    }
    // One generation: the product's command and the check through /info are mirrorctl's; the engines' own
    // differences are covered by the systemd tests.
    let engine = engines::all().pop().unwrap();
    let sb = Sandbox::new();
    let d = Dockerd::start(
        &engine,
        &sb.path().join("dockerd"),
        "{\n  \"debug\": false\n}\n",
        &[],
    );
    let home = sb.path().join("home");
    let docker_json = home.join(".orbstack/config/docker.json");
    std::fs::create_dir_all(docker_json.parent().unwrap()).unwrap();
    std::fs::create_dir_all(home.join(".docker")).unwrap();
    std::fs::write(&docker_json, &d.original).unwrap();
    use_context(&home, "orbstack", &d.host());
    let bin = product_command(
        sb.path(),
        "orb",
        &format!(
            "[ \"$*\" = 'restart docker' ] || {{ echo \"orb: unknown command: $*\" >&2; exit 2; }}\ncp '{}' '{}'",
            docker_json.display(),
            d.config.display()
        ),
    );

    let out = run(
        &sb,
        &d,
        &bin,
        &[
            "apply",
            "--mirror",
            "http://127.0.0.1:5001",
            "--no-probe",
            "--yes",
            "--json",
        ],
    );
    assert!(out.status.success(), "{}\n{}", text(&out.stderr), d.log());
    assert_eq!(log(sb.path()), "restart docker\n", "orb ran once");
    assert_eq!(d.live_mirrors(), ["http://127.0.0.1:5001/"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["changed"], true);
    assert_eq!(doc["targets"][0]["activation"], "run orb restart docker");
    assert_eq!(
        doc["targets"][0]["files"][0],
        docker_json.display().to_string()
    );
    assert!(
        text(&out.stderr).contains("orb restart docker"),
        "{}",
        text(&out.stderr)
    );
    let written = std::fs::read(&docker_json).unwrap();
    assert!(
        text(&written).contains("\"debug\": false"),
        "{}",
        text(&written)
    );
    // show reads the file OrbStack's engine reads, and that engine through the context: no difference.
    let out = run(&sb, &d, &bin, &["show", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let show: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(show["file"]["path"], docker_json.display().to_string());
    assert_eq!(show["live"]["host"], d.host());
    assert_eq!(show["live"]["mirrors"][0], "http://127.0.0.1:5001/");
    assert_eq!(show["differences"], serde_json::json!([]));

    // orb fails: the file is back byte for byte, and orb ran again on it — docker is up with the old mirrors.
    std::fs::write(sb.path().join("fail"), "").unwrap();
    let out = run(
        &sb,
        &d,
        &bin,
        &[
            "apply",
            "--mirror",
            "http://127.0.0.1:5002",
            "--no-probe",
            "--yes",
        ],
    );
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("the engine did not start") && err.contains("rolled back"),
        "{err}"
    );
    assert_eq!(std::fs::read(&docker_json).unwrap(), written);
    assert_eq!(log(sb.path()), "restart docker\n".repeat(3));
    assert_eq!(d.live_mirrors(), ["http://127.0.0.1:5001/"]);

    // restore puts the file from before the first change back, and orb makes it live.
    let out = run(&sb, &d, &bin, &["restore", "--yes"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&docker_json).unwrap(), d.original);
    assert_eq!(log(sb.path()), "restart docker\n".repeat(4));
    assert!(d.live_mirrors().is_empty());
}

#[test]
fn colima_gets_the_mirrors_in_its_yaml_and_restarts_its_profile_through_its_own_socket() {
    if !crate::support::needs_root("colima_gets_the_mirrors_in_its_yaml") {
        return;
    }
    let engine = engines::all().pop().unwrap();
    let sb = Sandbox::new();
    let d = Dockerd::start(
        &engine,
        &sb.path().join("dockerd"),
        "{\n  \"debug\": false\n}\n",
        &[],
    );
    let home = sb.path().join("home");
    let profile = home.join(".colima/work");
    std::fs::create_dir_all(&profile).unwrap();
    std::fs::create_dir_all(home.join(".docker")).unwrap();
    let yaml = profile.join("colima.yaml");
    let fresh = "# VM size.\ncpu: 2\nruntime: docker\n\n# dockerd's daemon.json.\ndocker: {}\n\nmountType: virtiofs\n";
    std::fs::write(&yaml, fresh).unwrap();
    // The profile's context is current but not stored: the engine is found at colima's own socket.
    std::fs::write(
        home.join(".docker/config.json"),
        r#"{"currentContext": "colima-work"}"#,
    )
    .unwrap();
    std::os::unix::fs::symlink(&d.socket, profile.join("docker.sock")).unwrap();
    // colima's own work at a start, for this test: the `docker:` map's mirrors (as mirrorctl renders them) into
    // the VM's daemon.json, with the key path the test dockerd needs.
    let key = sb.path().join("dockerd/key.json");
    let bin = product_command(
        sb.path(),
        "colima",
        &format!(
            "[ \"$*\" = 'restart work' ] || {{ echo \"colima: unexpected: $*\" >&2; exit 2; }}\n\
             m=$(sed -n '/^  registry-mirrors:/,/^[^ ]/p' '{yaml}' | sed -n 's/^    - \"\\(.*\\)\"$/\"\\1\"/p' | paste -sd, -)\n\
             printf '{{\"deprecated-key-path\": \"%s\", \"registry-mirrors\": [%s]}}\\n' '{key}' \"$m\" > '{config}'",
            yaml = yaml.display(),
            key = key.display(),
            config = d.config.display()
        ),
    );
    let args = [
        "apply",
        "--mirror",
        "http://127.0.0.1:5001",
        "--mirror",
        "http://127.0.0.1:5002",
        "--no-probe",
        "--yes",
    ];
    let out = run(&sb, &d, &bin, &args);
    assert!(out.status.success(), "{}\n{}", text(&out.stderr), d.log());
    assert_eq!(log(sb.path()), "restart work\n");
    assert_eq!(
        d.live_mirrors(),
        ["http://127.0.0.1:5001/", "http://127.0.0.1:5002/"]
    );
    assert_eq!(
        std::fs::read_to_string(&yaml).unwrap(),
        fresh.replace(
            "docker: {}\n",
            "docker:\n  registry-mirrors:\n    - \"http://127.0.0.1:5001/\"\n    - \"http://127.0.0.1:5002/\"\n"
        )
    );
    // The same mirrors again: nothing written, colima not restarted.
    let out = run(&sb, &d, &bin, &args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(log(sb.path()), "restart work\n");
}

/// The macOS release workflow cannot run here (no macOS, no Apple SDK): what can be checked is that it builds both
/// Apple targets, names its tarballs like the Linux ones, packs the same files as release.sh, and uses no secret.
#[test]
fn the_macos_release_workflow_builds_both_targets_packs_what_linux_packs_and_uses_no_secret() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join(".github/workflows/release.yml")).unwrap();
    let doc: serde_json::Value = serde_yaml_ng::from_str(&text).unwrap();
    let job = &doc["jobs"]["macos"];
    assert!(job["runs-on"].as_str().unwrap().starts_with("macos"));
    let targets: Vec<&str> = job["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["target"].as_str().unwrap())
        .collect();
    assert_eq!(targets, ["aarch64-apple-darwin", "x86_64-apple-darwin"]);
    assert!(!text.contains("secrets."), "no secret in the workflow");
    assert!(text.contains("shasum -a 256"));
    let release = std::fs::read_to_string(root.join("scripts/release.sh")).unwrap();
    for line in [
        "install -m 644 man/*.1 \"$stage/man/\"",
        "install -m 644 completions/mirrorctl.bash completions/_mirrorctl completions/mirrorctl.fish \"$stage/completions/\"",
        "install -m 644 LICENSE README.md README.zh-CN.md \"$stage/\"",
    ] {
        assert!(release.contains(line) && text.contains(line), "{line}");
    }
}
