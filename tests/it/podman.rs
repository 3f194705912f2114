//! Podman for real: Debian bookworm's podman 4.3 pulls through the registries.conf.d drop-in that
//! `apply --target containers` wrote, from a real pull-through mirror on loopback, with docker.io unreachable.
//! Podman runs rootful in a private mount namespace whose /etc/containers is a temp dir (so it reads exactly the
//! files a machine would, at the paths a machine has them), with storage, run and temp dirs and HOME in the sandbox.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use serde_json::Value;

use crate::support::image::Image;
use crate::support::registry::Registry;
use crate::support::Sandbox;

const REPOSITORY: &str = "library/mirrorctl-only-here";
const REFERENCE: &str = "docker.io/library/mirrorctl-only-here:latest";

/// An upstream holding an image Docker Hub does not have, and a real pull-through mirror of it.
fn mirror(sb: &Sandbox) -> (Registry, Registry) {
    let image = Arc::new(Image::new(REPOSITORY, "latest", 64 * 1024));
    let upstream = Registry::start(&sb.path().join("upstream"), None);
    upstream.push(&image, sb.path());
    let mirror = Registry::start(&sb.path().join("mirror"), Some(&upstream.url()));
    (upstream, mirror)
}

/// The sandbox's stand-in for /etc/containers: a v2 main file that names no registry, and a policy that accepts our
/// unsigned image (the machine's own policy.json is hidden by the bind mount).
fn etc_containers(sb: &Sandbox) -> PathBuf {
    let etc = sb.path().join("etc-containers");
    std::fs::create_dir_all(etc.join("registries.conf.d")).unwrap();
    std::fs::write(
        etc.join("registries.conf"),
        "unqualified-search-registries = []\n",
    )
    .unwrap();
    std::fs::write(
        etc.join("policy.json"),
        r#"{"default":[{"type":"insecureAcceptAnything"}]}"#,
    )
    .unwrap();
    etc
}

fn home(sb: &Sandbox) -> PathBuf {
    sb.path().join("home")
}

/// `podman pull REFERENCE` as root with /etc/containers = `etc` and everything it writes under the sandbox.
/// docker.io's own host has no route: every client proxy is a closed port on loopback, so only the mirror can serve.
fn podman_pull(sb: &Sandbox, etc: &Path) -> Output {
    let bin = crate::support::require("podman", "podman");
    let state = sb.path().join("podman");
    for d in ["root", "runroot", "tmp", "run", "networks"] {
        std::fs::create_dir_all(state.join(d)).unwrap();
    }
    std::fs::write(state.join("containers.conf"), "").unwrap();
    std::fs::write(
        state.join("storage.conf"),
        format!(
            "[storage]\ndriver = \"vfs\"\ngraphroot = \"{}\"\nrunroot = \"{}\"\n",
            state.join("root").display(),
            state.join("runroot").display()
        ),
    )
    .unwrap();
    Command::new("unshare")
        .args(crate::support::private_mounts())
        // Rootful containers/image keeps its blob-info cache in /var/lib/containers/cache whatever --root says
        // (blobinfocache `blobInfoCacheDir`): a tmpfs over /var/lib takes it, in this namespace only.
        .args([
            "sh",
            "-c",
            "mount --bind \"$0\" /etc/containers && mount -t tmpfs tmpfs /var/lib && exec \"$@\"",
        ])
        .arg(etc)
        .arg(bin)
        .arg("--root")
        .arg(state.join("root"))
        .arg("--runroot")
        .arg(state.join("runroot"))
        .arg("--tmpdir")
        .arg(state.join("tmp"))
        .arg("--network-config-dir")
        .arg(state.join("networks"))
        .args([
            "--storage-driver",
            "vfs",
            "--cgroup-manager",
            "cgroupfs",
            "--events-backend",
            "file",
            "pull",
            "--quiet",
            REFERENCE,
        ])
        .env("HOME", home(sb))
        .env("XDG_RUNTIME_DIR", state.join("run"))
        .env("XDG_CONFIG_HOME", home(sb).join(".config"))
        .env("XDG_DATA_HOME", home(sb).join(".local/share"))
        .env("TMPDIR", state.join("tmp"))
        .env("CONTAINERS_CONF", state.join("containers.conf"))
        .env("CONTAINERS_STORAGE_CONF", state.join("storage.conf"))
        .env("HTTPS_PROXY", "http://127.0.0.1:9")
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .output()
        .expect("unshare runs")
}

fn apply(sb: &Sandbox, mirror: &Registry, dir: &Path, extra: &[&str]) -> Output {
    sb.mirrorctl()
        .args(["apply", "--target", "containers", "--yes", "--image"])
        .arg(format!("{REPOSITORY}:latest"))
        .args(["--mirror", &mirror.url(), "--containers-dir"])
        .arg(dir)
        .args(extra)
        .output()
        .unwrap()
}

/// Whether the mirror answered a manifest request for our image after its `since`th GET, from the mirror
/// registry's own access log (apply's probe asks it too, so each pull counts only what came after).
fn mirror_served(mirror: &Registry, since: usize) -> bool {
    mirror
        .gets()
        .iter()
        .skip(since)
        .any(|g| g.starts_with(&format!("/v2/{REPOSITORY}/manifests/")))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn podman_pulls_through_the_drop_in_mirrorctl_wrote() {
    if !crate::support::needs_root("podman_pulls_through_the_drop_in_mirrorctl_wrote") {
        return;
    }
    let var_lib_containers = Path::new("/var/lib/containers").exists();
    let sb = Sandbox::new();
    let (_upstream, mirror) = mirror(&sb);
    let etc = etc_containers(&sb);

    // Without the drop-in the image has no route: docker.io is unreachable, and the mirror is never asked.
    let since = mirror.gets().len();
    let out = podman_pull(&sb, &etc);
    assert!(!out.status.success(), "pulled without a mirror?");
    assert!(!mirror_served(&mirror, since), "{:?}", mirror.gets());

    let out = apply(&sb, &mirror, &etc.join("registries.conf.d"), &[]);
    crate::support::assert_ok(&out);
    assert!(
        !stderr(&out).contains("--containers-dir"),
        "a warning with no user registries.conf: {}",
        stderr(&out)
    );
    let since = mirror.gets().len();
    let out = podman_pull(&sb, &etc);
    assert!(
        out.status.success(),
        "podman failed through the mirror: {}",
        stderr(&out)
    );
    let id = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert_eq!(
        id.len(),
        64,
        "podman pull --quiet prints the image id: {id:?}"
    );
    assert!(
        mirror_served(&mirror, since),
        "the mirror's log: {:?}",
        mirror.gets()
    );
    // Nothing written where the machine's podman keeps its images.
    assert_eq!(
        Path::new("/var/lib/containers").exists(),
        var_lib_containers
    );
}

#[test]
fn a_users_registries_conf_hides_the_system_drop_in_and_apply_says_where_to_write() {
    if !crate::support::needs_root("a_users_registries_conf_hides_the_system_drop_in") {
        return;
    }
    let sb = Sandbox::new();
    let (_upstream, mirror) = mirror(&sb);
    let etc = etc_containers(&sb);
    let user_file = home(&sb).join(".config/containers/registries.conf");
    std::fs::create_dir_all(user_file.parent().unwrap()).unwrap();
    std::fs::write(&user_file, "unqualified-search-registries = []\n").unwrap();
    let user_dir = home(&sb).join(".config/containers/registries.conf.d");

    // The system drop-in is written (other users and cri-o read it), with a warning that names the user's file and
    // the directory to write instead.
    let out = apply(&sb, &mirror, &etc.join("registries.conf.d"), &[]);
    crate::support::assert_ok(&out);
    let said = stderr(&out) + &String::from_utf8_lossy(&out.stdout);
    assert!(said.contains(user_file.to_str().unwrap()), "{said}");
    assert!(
        said.contains(&format!("--containers-dir {}", user_dir.display())),
        "{said}"
    );
    // podman 4.3 proves the rule: with the user's file it does not read /etc/containers/registries.conf.d.
    let since = mirror.gets().len();
    let out = podman_pull(&sb, &etc);
    assert!(!out.status.success(), "podman read the hidden drop-in?");
    eprintln!("podman without a route: {}", stderr(&out));
    assert!(!mirror_served(&mirror, since), "{:?}", mirror.gets());

    // doctor's runtimes section says the same.
    let doctor = sb
        .mirrorctl()
        .env("PATH", crate::support::yes_systemctl(sb.path()))
        .env(
            "DOCKER_HOST",
            format!("unix://{}", sb.path().join("no-daemon.sock").display()),
        )
        .args(["doctor", "--json", "--init", "systemd", "--containers-conf"])
        .arg(etc.join("registries.conf"))
        .arg("--containers-dir")
        .arg(etc.join("registries.conf.d"))
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&doctor.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", stderr(&doctor)));
    let found = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "containers-registries-conf")
        .unwrap_or_else(|| panic!("{doc:#}"));
    assert_eq!(found["severity"], "warning");
    assert!(
        found["reason"]
            .as_str()
            .unwrap()
            .contains(user_file.to_str().unwrap()),
        "{found}"
    );

    // Where the warning says: no warning, and podman pulls through the mirror.
    let out = apply(&sb, &mirror, &user_dir, &[]);
    crate::support::assert_ok(&out);
    assert!(
        !stderr(&out).contains("--containers-dir"),
        "{}",
        stderr(&out)
    );
    let since = mirror.gets().len();
    let out = podman_pull(&sb, &etc);
    assert!(
        out.status.success(),
        "podman failed through the user's drop-in: {}",
        stderr(&out)
    );
    assert!(mirror_served(&mirror, since), "{:?}", mirror.gets());
}

#[test]
fn a_v1_registries_conf_is_refused_with_the_rewrite() {
    let sb = Sandbox::new();
    let etc = sb.path().join("etc-containers");
    let dir = etc.join("registries.conf.d");
    std::fs::create_dir_all(&dir).unwrap();
    let v1 = "# old style\n\n[registries.search]\nregistries = ['docker.io', 'quay.io']\n\n[registries.insecure]\nregistries = ['10.0.0.5:5000']\n";
    std::fs::write(etc.join("registries.conf"), v1).unwrap();
    for json in [false, true] {
        let mut c = sb.mirrorctl();
        c.args([
            "apply",
            "--target",
            "containers",
            "--yes",
            "--no-probe",
            "--mirror",
            "http://127.0.0.1:9",
            "--containers-dir",
        ])
        .arg(&dir);
        if json {
            c.arg("--json");
        }
        let out = c.output().unwrap();
        assert!(!out.status.success(), "applied beside a v1 file");
        let err = stderr(&out);
        let at = format!("{}:3:1", etc.join("registries.conf").display());
        assert!(err.contains(&at), "{err}");
        assert!(err.contains("[registries.search]"), "{err}");
        assert!(err.contains("unqualified-search-registries"), "{err}");
        assert!(err.contains("insecure = true"), "{err}");
        assert!(!dir.join("50-mirrorctl.conf").exists());
        assert_eq!(
            std::fs::read_to_string(etc.join("registries.conf")).unwrap(),
            v1
        );
    }
}
