//! The Windows release binary — mirrorctl.exe from target/dist's .zip, built by scripts/release.sh with
//! cargo-zigbuild — run under Debian trixie's wine 10.0 in the root scripts/wine.sh makes (bookworm's wine 8.0
//! lacks bcryptprimitives.dll, which Rust's standard library imports). Each wine start is a `chroot` in a private
//! mount namespace of its own with /proc and /dev mounted in it: the mounts go with the namespace, and none is
//! ever made on the machine. The chroot shares the network namespace, so the exe reaches a mirror on 127.0.0.1.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use crate::release::{assert_probed, mirror, run, text, windows_zip, VERSION};
use crate::support::{needs_root, Sandbox};

fn trixie() -> PathBuf {
    let r = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/roots/trixie-wine");
    assert!(
        r.join(".complete").is_file(),
        "no trixie root with wine: run `bash scripts/wine.sh` (scripts/test.sh does)"
    );
    r
}

/// mirrorctl.exe unpacked into a temp dir inside the root, with a private WINEPREFIX beside it; dropping it ends
/// the prefix's wineserver (and with it the wine processes) before the dir goes.
struct Wine {
    root: PathBuf,
    /// The temp dir as the root sees it: /tmp/…
    inside: PathBuf,
    dir: tempfile::TempDir,
}

impl Wine {
    fn new() -> Self {
        let wine = Self::empty();
        let (zip, top) = windows_zip();
        run(Command::new("unzip")
            .args(["-q", "-j"])
            .arg(&zip)
            .arg(format!("{top}/mirrorctl.exe"))
            .arg("-d")
            .arg(wine.dir.path()));
        wine
    }

    fn empty() -> Self {
        let root = trixie();
        let dir = tempfile::tempdir_in(root.join("tmp")).unwrap();
        let inside = Path::new("/tmp").join(dir.path().file_name().unwrap());
        Wine { root, inside, dir }
    }

    /// A path of the temp dir as Windows programs under wine name it: Z: is the root's /.
    fn win(&self, rel: &str) -> String {
        format!(
            "Z:{}\\{}",
            self.inside.display().to_string().replace('/', "\\"),
            rel.replace('/', "\\")
        )
    }

    /// `program args…` inside the root, with a cleared environment of our choosing.
    fn chrooted(&self, program: &str, args: &[String], env: &[(&str, &str)]) -> Output {
        let mut c = Command::new("unshare");
        c.args(["--mount", "--propagation", "private", "sh", "-c"])
            .arg(
                r#"root=$1; shift
mount -t proc proc "$root/proc" && mount --rbind /dev "$root/dev" && exec /usr/sbin/chroot "$root" "$@""#,
            )
            .arg("sh")
            .arg(&self.root)
            .arg(program)
            .args(args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", &self.inside)
            .env("WINEPREFIX", self.inside.join("prefix"))
            .env("WINEDEBUG", "-all")
            // No Mono or Gecko installer when wineboot makes the prefix: console programs need neither.
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
            // wine's own helpers want one (no D-Bus here, but they say so otherwise). Not TMPDIR: trixie's wine
            // aborts (free(): invalid pointer) when it is set; Drop removes the server's directory instead.
            .env("XDG_RUNTIME_DIR", &self.inside)
            // No MIRRORCTL_STATE_DIR: the default, %LOCALAPPDATA%\mirrorctl, is inside the private prefix.
            .env("LANG", "C.UTF-8");
        // An empty value removes the variable.
        for (k, v) in env {
            if v.is_empty() {
                c.env_remove(k);
            } else {
                c.env(k, v);
            }
        }
        c.output().unwrap_or_else(|e| panic!("unshare: {e}"))
    }

    fn mirrorctl(&self, args: &[String]) -> Output {
        self.mirrorctl_env(args, &[])
    }

    fn mirrorctl_env(&self, args: &[String], env: &[(&str, &str)]) -> Output {
        let exe = self.inside.join("mirrorctl.exe").display().to_string();
        let all: Vec<String> = [exe].into_iter().chain(args.iter().cloned()).collect();
        self.chrooted("/usr/lib/wine/wine64", &all, env)
    }
}

impl Drop for Wine {
    fn drop(&mut self) {
        // `-k` kills the prefix's server and its processes; `-w` returns once it is gone (no sleep).
        for flag in ["-k", "-w"] {
            let _ = self.chrooted("/usr/lib/wine/wineserver", &[flag.into()], &[]);
        }
        // The server's socket directory, /tmp/wine-XXXXXX/server-<dev>-<inode of the prefix>, is left behind by
        // wine: ours alone goes (other prefixes' are other tests'). Then the fields drop: the temp dir and the prefix.
        if let Ok(m) = std::fs::metadata(self.dir.path().join("prefix")) {
            use std::os::unix::fs::MetadataExt;
            let server = format!("server-{:x}-{:x}", m.dev(), m.ino());
            for e in std::fs::read_dir(self.root.join("tmp"))
                .into_iter()
                .flatten()
                .flatten()
            {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with("wine-") && e.path().join(&server).is_dir() {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
    }
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_windows_exe_runs_under_wine_lists_the_catalogue_and_probes_a_loopback_mirror() {
    if !needs_root(
        "the_windows_exe_runs_under_wine_lists_the_catalogue_and_probes_a_loopback_mirror",
    ) {
        return;
    }
    let wine = Wine::new();

    // The first start makes the prefix (wineboot); the later ones reuse its wineserver.
    let t = Instant::now();
    let version = wine.mirrorctl(&args(&["--version"]));
    eprintln!("wine: first start (new prefix) {:?}", t.elapsed());
    assert_eq!(
        text(&version).trim(),
        format!("mirrorctl {VERSION}"),
        "{}",
        stderr(&version)
    );

    // The built-in catalogue: the same rows as the Linux build's, and a table of them with no colour codes when
    // stdout is a pipe.
    let t = Instant::now();
    let listed = wine.mirrorctl(&args(&["list", "--json"]));
    eprintln!("wine: a later start {:?}", t.elapsed());
    assert_eq!(listed.status.code(), Some(0), "{}", stderr(&listed));
    let doc: serde_json::Value = serde_json::from_slice(&listed.stdout)
        .unwrap_or_else(|e| panic!("list --json under wine: {e}: {}", stderr(&listed)));
    let sb = Sandbox::new();
    let native: serde_json::Value =
        serde_json::from_slice(&sb.run_ok(["list", "--json"]).stdout).unwrap();
    assert_eq!(
        doc, native,
        "the Windows build's catalogue is the Linux build's"
    );
    let names: Vec<&str> = doc["entries"]
        .as_array()
        .unwrap_or_else(|| panic!("no entries in {doc}"))
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(names.len() >= 5, "{names:?}");
    // The table, in English and in Chinese (chosen from LANG, which wine passes to Windows programs): byte for byte
    // the Linux build's — display widths, no colour codes into a pipe, UTF-8 through wine's console layer.
    for lang in ["C.UTF-8", "zh_CN.UTF-8"] {
        let table = wine.mirrorctl_env(&args(&["list"]), &[("LANG", lang)]);
        assert_eq!(table.status.code(), Some(0), "{}", stderr(&table));
        let native = sb
            .mirrorctl()
            .arg("list")
            .env("LANG", lang)
            .output()
            .unwrap();
        assert_eq!(text(&table), text(&native), "{lang}");
        assert!(!text(&table).contains('\x1b'), "colour codes into a pipe");
        assert_eq!(
            text(&table).contains("镜像仓库"),
            lang.starts_with("zh"),
            "{lang}"
        );
        for n in &names {
            assert!(text(&table).contains(n), "{lang}: {n} missing");
        }
    }

    // A Chinese Windows with no LANG (as Windows is, outside Git Bash and MSYS2): wine takes the display language
    // from LC_MESSAGES, and cmd removes that variable before it starts mirrorctl.exe, which then has only Windows'
    // own answer to go by.
    let exe = wine.win("mirrorctl.exe");
    let chinese_windows = wine.chrooted(
        "/usr/lib/wine/wine64",
        &[
            "cmd".into(),
            "/c".into(),
            format!("set LC_MESSAGES=& {exe} list"),
        ],
        &[("LANG", ""), ("LC_MESSAGES", "zh_CN.UTF-8")],
    );
    let table = text(&chinese_windows);
    assert!(
        table.contains("镜像仓库") && table.contains("1ms"),
        "{table}{}",
        stderr(&chinese_windows)
    );

    // With no product found, doctor reads Docker Desktop's file in the Windows home — never /etc's.
    let doctor = wine.mirrorctl(&args(&["doctor", "--json"]));
    let doc: serde_json::Value = serde_json::from_slice(&doctor.stdout)
        .unwrap_or_else(|e| panic!("doctor --json under wine: {e}: {}", stderr(&doctor)));
    let config = doc["config"].as_str().unwrap_or_default();
    assert!(
        config.starts_with(r"C:\users\")
            && config.ends_with(r"\.docker\daemon.json")
            && !config.contains('/'),
        "{doc:#}"
    );
    // No engine answers here: the fix is the desktop product's start, not a systemctl Windows does not have.
    let reach = doc["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["id"] == "daemon-reachable"))
        .unwrap_or_else(|| panic!("no daemon-reachable check: {doc:#}"));
    assert_eq!(reach["severity"], "warning", "{reach}");
    let fix = reach["fix"].as_str().unwrap_or_default();
    assert!(
        fix.contains("Docker Desktop") && !fix.contains("systemctl"),
        "{reach}"
    );

    // A probe on loopback, with the catalogue at a Windows path and the live mirror by --mirror: the catalogue's
    // mirror listens nowhere (a port just freed), so the verdict ranks the live one first and fails the dead one.
    let (m, mut probe) = mirror();
    let url = probe.pop().unwrap();
    assert_eq!(probe.pop().as_deref(), Some("--mirror"));
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://127.0.0.1:{}", l.local_addr().unwrap().port())
    };
    std::fs::write(
        wine.dir.path().join("catalogue.toml"),
        format!(
            "[catalogue]\nupdated = \"2026-11-24\"\n\n[[mirror]]\nname = \"dead\"\nurl = \"{dead}\"\nstatus = \"active\"\n"
        ),
    )
    .unwrap();
    probe.extend(["--catalogue".into(), wine.win("catalogue.toml")]);
    probe.extend(["--mirror".into(), url.clone()]);
    let t = Instant::now();
    let out = wine.mirrorctl(&probe);
    eprintln!("wine: probe {:?}", t.elapsed());
    assert_probed(&out, &m, "wine");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{doc:#}");
    assert_eq!(
        results[0]["url"].as_str().map(|u| u.trim_end_matches('/')),
        Some(url.trim_end_matches('/')),
        "{doc:#}"
    );
    assert_eq!(results[1]["name"], "dead", "{doc:#}");
    assert_ne!(results[1]["status"], "ok", "{doc:#}");
    assert_eq!(results[1]["ok"], false, "{doc:#}");
    // The probe's history went to the default state directory, %LOCALAPPDATA%\mirrorctl.
    let state = wine
        .dir
        .path()
        .join("prefix/drive_c/users/root/AppData/Local/mirrorctl");
    assert!(
        std::fs::read_dir(&state).is_ok_and(|mut d| d.next().is_some()),
        "nothing in {}",
        state.display()
    );
}

#[test]
fn the_windows_exe_under_wine_refuses_a_broken_catalogue_with_its_windows_path_and_line() {
    if !needs_root(
        "the_windows_exe_under_wine_refuses_a_broken_catalogue_with_its_windows_path_and_line",
    ) {
        return;
    }
    let wine = Wine::new();
    std::fs::write(
        wine.dir.path().join("bad.toml"),
        "[catalogue]\nupdated = \"2026-11-24\"\n\n[[mirror]\nname = \"x\"\n",
    )
    .unwrap();
    let path = wine.win("bad.toml");
    let out = wine.mirrorctl(&args(&["probe", "--json", "--catalogue", &path]));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    // What (the file, by the path the user gave) and where (line and column), as on Linux.
    assert!(
        err.contains(&format!("the catalogue file {path} is not valid")),
        "{err}"
    );
    assert!(err.contains("line 4, column 9"), "{err}");
    assert!(!text(&out).contains("\"ok\""), "{}", text(&out));
}

/// The unit tests built for Windows (scripts/test.sh leaves them as target/windows-unit-tests.exe), run under wine:
/// the Engine API over a named pipe (a tokio pipe server of the test's answering `/_ping` and `/info`, read by
/// `Engine` as it reads Docker Desktop's `docker_engine`) and the desktop products' paths and restarts, with
/// Windows' own path rules.
#[test]
fn the_windows_unit_tests_of_the_named_pipe_and_the_desktop_products_pass_under_wine() {
    if !needs_root(
        "the_windows_unit_tests_of_the_named_pipe_and_the_desktop_products_pass_under_wine",
    ) {
        return;
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/windows-unit-tests.exe");
    assert!(
        built.is_file(),
        "no {}: scripts/test.sh builds it (cargo zigbuild test --no-run --target x86_64-pc-windows-gnu)",
        built.display()
    );
    let wine = Wine::empty();
    std::fs::copy(&built, wine.dir.path().join("unit-tests.exe")).unwrap();
    let exe = wine.inside.join("unit-tests.exe").display().to_string();
    let out = wine.chrooted(
        "/usr/lib/wine/wine64",
        &args(&[
            &exe,
            "sys::engine::tests::the_engine_api_is_read_over_a_named_pipe",
            "sys::engine::tests::a_named_pipe_host",
            "sys::desktop::",
            "--test-threads=1",
        ]),
        &[],
    );
    let so = text(&out);
    assert!(out.status.success(), "{so}\n{}", stderr(&out));
    assert!(
        so.contains("the_engine_api_is_read_over_a_named_pipe ... ok"),
        "the named-pipe test did not run: {so}"
    );
    let passed: usize = so
        .lines()
        .find_map(|l| l.strip_prefix("test result: ok. "))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(passed >= 10, "{passed} passed: {so}");
}
