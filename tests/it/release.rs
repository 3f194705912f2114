//! The release artifacts that `scripts/release.sh` writes into target/dist (scripts/test.sh builds them first,
//! signed with a key made for the tests): what each holds, that no binary needs a glibc newer than 2.17, that the
//! .deb, the .rpm and the wheel carry the very binaries of the tarballs, and that those binaries probe a loopback
//! mirror where our users are — inside a Debian bullseye root (glibc 2.31), under qemu for aarch64, from a venv.
//! The Windows .zip is checked here for what it holds; tests/it/windows.rs runs its mirrorctl.exe under wine.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use crate::support::fake_registry::{Behavior, FakeRegistry};
use crate::support::image::{sha, Image};
use crate::support::{needs_root, Sandbox};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");
pub const ARCHES: [&str; 2] = ["x86_64", "aarch64"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// target/dist, as scripts/release.sh leaves it (or the directory MIRRORCTL_TEST_DIST names: a release built with
/// `release.sh --out DIR`).
pub fn dist() -> PathBuf {
    let d = std::env::var_os("MIRRORCTL_TEST_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/dist"));
    assert!(
        d.join("SHA256SUMS").is_file(),
        "no release in {}: run `bash scripts/release.sh --unsigned` (scripts/test.sh builds a signed one)",
        d.display()
    );
    d
}

/// The public key scripts/test.sh made and signed the test release with.
pub fn test_pubkey() -> PathBuf {
    let k = root().join("target/release-test-key/mirrorctl.pub");
    assert!(
        k.is_file(),
        "no {}: scripts/test.sh makes it before it builds the release",
        k.display()
    );
    k
}

pub fn tarball(arch: &str) -> PathBuf {
    dist().join(format!("mirrorctl-{VERSION}-{arch}-linux.tar.gz"))
}

/// The Windows .zip's name, and the one folder it holds.
pub fn windows_zip() -> (PathBuf, String) {
    let top = format!("mirrorctl-{VERSION}-x86_64-windows");
    (dist().join(format!("{top}.zip")), top)
}

pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The tarball unpacked into `dir`; returns the directory it holds.
pub fn unpack(arch: &str, dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    run(Command::new("tar")
        .arg("-xzf")
        .arg(tarball(arch))
        .arg("-C")
        .arg(dir));
    dir.join(format!("mirrorctl-{VERSION}-{arch}-linux"))
}

fn file_sha(path: &Path) -> String {
    sha(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

/// A mirror on loopback that serves a small image, and the probe arguments that test it alone.
pub fn mirror() -> (FakeRegistry, Vec<String>) {
    let image = Arc::new(Image::new("library/alpine", "latest", 64 * 1024));
    let m = FakeRegistry::start(image, Behavior::default());
    // One platform for every binary: under qemu the host's own would be linux/arm64.
    let args = [
        "probe",
        "--json",
        "--no-daemon-proxy",
        "--platform",
        "linux/amd64",
        "--image",
        "library/alpine:latest",
        "--mirror",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([m.url()])
    .collect();
    (m, args)
}

/// A probe's JSON passed: one mirror, `ok`, ranked first.
pub fn assert_probed(out: &Output, m: &FakeRegistry, where_: &str) {
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{where_}: no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let r = &doc["results"][0];
    assert_eq!(r["status"], "ok", "{where_}: {r}");
    assert_eq!(out.status.code(), Some(0), "{where_}");
    assert!(
        m.requests() >= 4,
        "{where_}: the mirror saw {} requests",
        m.requests()
    );
}

fn newest_glibc(bin: &Path) -> String {
    let out = run(Command::new("readelf").arg("-V").arg(bin));
    let mut versions: Vec<(u32, u32)> = text(&out)
        .split_whitespace()
        .filter_map(|w| w.strip_prefix("GLIBC_"))
        .filter_map(|v| {
            let mut it = v.split('.').map(|n| n.parse::<u32>().ok());
            Some((it.next()??, it.next().flatten().unwrap_or(0)))
        })
        .collect();
    versions.sort();
    let (a, b) = versions
        .last()
        .copied()
        .expect("a dynamic binary names glibc versions");
    format!("{a}.{b}")
}

#[test]
fn the_tarballs_hold_the_binary_every_man_page_the_completions_and_both_readmes() {
    let mut pages: Vec<String> = std::fs::read_dir(root().join("man"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    for arch in ARCHES {
        let listing = text(&run(Command::new("tar").arg("-tvzf").arg(tarball(arch))));
        let top = format!("mirrorctl-{VERSION}-{arch}-linux/");
        let mut want: Vec<String> = ["mirrorctl", "LICENSE", "README.md", "README.zh-CN.md"]
            .iter()
            .chain(&[
                "completions/mirrorctl.bash",
                "completions/_mirrorctl",
                "completions/mirrorctl.fish",
            ])
            .map(|f| f.to_string())
            .collect();
        want.extend(pages.iter().map(|p| format!("man/{p}")));
        for f in &want {
            assert!(
                listing.lines().any(|l| l.ends_with(&format!("{top}{f}"))),
                "{arch}: {f} missing from the tarball:\n{listing}"
            );
        }
        let bin = listing
            .lines()
            .find(|l| l.ends_with(&format!("{top}mirrorctl")))
            .unwrap();
        assert!(
            bin.starts_with("-rwxr-xr-x") && bin.contains("0/0"),
            "{arch}: {bin}"
        );
    }
}

#[test]
fn the_windows_zip_holds_a_64_bit_windows_exe_the_license_and_both_readmes() {
    let (zip, top) = windows_zip();
    // zipinfo: one line per entry, mode first, the name last.
    let listing = text(&run(Command::new("zipinfo").arg(&zip)));
    let mut names: Vec<&str> = listing
        .lines()
        .filter(|l| l.starts_with('-') || l.starts_with('d'))
        .map(|l| l.rsplit(' ').next().unwrap())
        .collect();
    names.sort();
    let want: Vec<String> = [
        "",
        "LICENSE",
        "README.md",
        "README.zh-CN.md",
        "mirrorctl.exe",
    ]
    .iter()
    .map(|f| format!("{top}/{f}"))
    .collect();
    assert_eq!(names, want, "{listing}");
    // Its line in SHA256SUMS (which the signature covers) is its checksum.
    let sums = std::fs::read_to_string(dist().join("SHA256SUMS")).unwrap();
    let name = zip.file_name().unwrap().to_string_lossy().into_owned();
    let line = sums
        .lines()
        .find(|l| l.ends_with(&format!("  {name}")))
        .unwrap_or_else(|| panic!("no line for {name} in SHA256SUMS:\n{sums}"));
    assert_eq!(
        line.split_whitespace()
            .next()
            .map(|h| format!("sha256:{h}")),
        Some(file_sha(&zip))
    );

    let sb = Sandbox::new();
    run(Command::new("unzip")
        .arg("-q")
        .arg(&zip)
        .arg("-d")
        .arg(sb.path()));
    let dir = sb.path().join(&top);
    for f in ["LICENSE", "README.md", "README.zh-CN.md"] {
        assert_eq!(
            std::fs::read(dir.join(f)).unwrap(),
            std::fs::read(root().join(f)).unwrap(),
            "{f} is the repository's"
        );
    }
    // A PE image for x86-64: "MZ", then at the offset in 0x3c "PE\0\0" and machine 0x8664 (AMD64); subsystem 3
    // (console), so it runs in a terminal rather than opening a window.
    let exe = std::fs::read(dir.join("mirrorctl.exe")).unwrap();
    assert_eq!(&exe[..2], b"MZ");
    let pe = u32::from_le_bytes(exe[0x3c..0x40].try_into().unwrap()) as usize;
    assert_eq!(&exe[pe..pe + 4], b"PE\0\0");
    assert_eq!(u16::from_le_bytes([exe[pe + 4], exe[pe + 5]]), 0x8664);
    // The optional header follows the 20-byte COFF header; Subsystem is at offset 68 in it (PE32+ alike).
    let opt = pe + 24;
    assert_eq!(u16::from_le_bytes([exe[opt], exe[opt + 1]]), 0x20b, "PE32+");
    assert_eq!(u16::from_le_bytes([exe[opt + 68], exe[opt + 69]]), 3);
}

#[test]
fn no_binary_needs_a_glibc_newer_than_2_17_and_each_is_for_its_processor() {
    let sb = Sandbox::new();
    for (arch, machine) in [("x86_64", "X86-64"), ("aarch64", "AArch64")] {
        let bin = unpack(arch, &sb.path().join(arch)).join("mirrorctl");
        let newest = newest_glibc(&bin);
        let (major, minor) = newest.split_once('.').unwrap();
        assert!(
            (major.parse::<u32>().unwrap(), minor.parse::<u32>().unwrap()) <= (2, 17),
            "{arch}: needs GLIBC_{newest}; CentOS 7 has 2.17"
        );
        let header = text(&run(Command::new("readelf").arg("-h").arg(&bin)));
        assert!(header.contains(machine), "{arch}: {header}");
    }
}

#[test]
fn sha256sums_cover_every_artifact_and_the_signature_verifies_only_for_them() {
    let d = dist();
    let sums = std::fs::read_to_string(d.join("SHA256SUMS")).unwrap();
    let mut listed: Vec<&str> = sums
        .lines()
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    listed.sort();
    let mut present: Vec<String> = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "SHA256SUMS" && n != "SHA256SUMS.minisig")
        .collect();
    present.sort();
    assert_eq!(
        listed, present,
        "SHA256SUMS must cover exactly the artifacts"
    );
    for want in [
        format!("mirrorctl_{VERSION}-1_amd64.deb"),
        format!("mirrorctl_{VERSION}-1_arm64.deb"),
        format!("mirrorctl-{VERSION}-1.x86_64.rpm"),
        format!("mirrorctl-{VERSION}-1.aarch64.rpm"),
        format!("mirrorctl-{VERSION}-x86_64-windows.zip"),
        "install.sh".into(),
        "VERSION".into(),
    ] {
        assert!(present.contains(&want), "{want} missing: {present:?}");
    }
    for arch in ARCHES {
        assert!(present
            .iter()
            .any(|n| n.ends_with(&format!("manylinux2014_{arch}.manylinux_2_17_{arch}.whl"))));
    }
    run(Command::new("sha256sum")
        .arg("--check")
        .arg("--strict")
        .arg("SHA256SUMS")
        .current_dir(&d));
    assert_eq!(
        std::fs::read_to_string(d.join("VERSION")).unwrap().trim(),
        VERSION
    );
    assert_eq!(
        std::fs::read(d.join("install.sh")).unwrap(),
        std::fs::read(root().join("install.sh")).unwrap()
    );

    let verify = |sums: &Path| {
        Command::new("minisign")
            .args(["-V", "-q", "-p"])
            .arg(test_pubkey())
            .arg("-m")
            .arg(sums)
            .arg("-x")
            .arg(d.join("SHA256SUMS.minisig"))
            .output()
            .unwrap()
    };
    let ok = verify(&d.join("SHA256SUMS"));
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    // The same signature over one changed checksum is refused: the check can fail.
    let sb = Sandbox::new();
    let forged = sb.path().join("SHA256SUMS");
    std::fs::write(
        &forged,
        sums.replacen(&sums[..1], if &sums[..1] == "0" { "1" } else { "0" }, 1),
    )
    .unwrap();
    assert!(!verify(&forged).status.success());
}

#[test]
fn the_deb_and_the_rpm_carry_the_tarballs_binaries_and_every_page() {
    let sb = Sandbox::new();
    let d = dist();
    let pages = std::fs::read_dir(root().join("man")).unwrap().count();
    for (arch, deb_arch) in [("x86_64", "amd64"), ("aarch64", "arm64")] {
        let want = file_sha(&unpack(arch, &sb.path().join(arch)).join("mirrorctl"));

        let deb = d.join(format!("mirrorctl_{VERSION}-1_{deb_arch}.deb"));
        let field = text(&run(Command::new("dpkg-deb")
            .arg("-f")
            .arg(&deb)
            .arg("Architecture")));
        assert_eq!(field.trim(), deb_arch);
        let depends = text(&run(Command::new("dpkg-deb")
            .arg("-f")
            .arg(&deb)
            .arg("Depends")));
        assert_eq!(depends.trim(), "libc6 (>= 2.17)");
        let x = sb.path().join(format!("deb-{arch}"));
        run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&x));
        assert_eq!(file_sha(&x.join("usr/bin/mirrorctl")), want, "{deb:?}");
        assert_eq!(
            std::fs::read_dir(x.join("usr/share/man/man1"))
                .unwrap()
                .count(),
            pages
        );
        assert!(x.join("usr/share/doc/mirrorctl/README.zh-CN.md").is_file());

        let rpm = d.join(format!("mirrorctl-{VERSION}-1.{arch}.rpm"));
        let qf = text(&run(Command::new("rpm")
            .args(["-qp", "--qf", "%{ARCH}"])
            .arg(&rpm)));
        assert_eq!(qf, arch);
        let requires = text(&run(Command::new("rpm")
            .args(["-qp", "--requires"])
            .arg(&rpm)));
        assert!(requires.contains("glibc >= 2.17"), "{requires}");
        let x = sb.path().join(format!("rpm-{arch}"));
        std::fs::create_dir_all(&x).unwrap();
        run(Command::new("sh")
            .arg("-c")
            .arg("rpm2cpio \"$0\" | cpio -idm --quiet")
            .arg(&rpm)
            .current_dir(&x));
        assert_eq!(file_sha(&x.join("usr/bin/mirrorctl")), want, "{rpm:?}");
        assert_eq!(
            std::fs::read_dir(x.join("usr/share/man/man1"))
                .unwrap()
                .count(),
            pages
        );
    }
}

#[test]
fn the_x86_64_binary_probes_inside_a_debian_bullseye_root() {
    if !needs_root("the_x86_64_binary_probes_inside_a_debian_bullseye_root") {
        return;
    }
    let bullseye = root().join("target/roots/bullseye");
    assert!(
        bullseye.join(".complete").is_file(),
        "no bullseye root: run `bash scripts/bullseye.sh` (scripts/test.sh does)"
    );
    let glibc = text(&run(Command::new("chroot")
        .arg(&bullseye)
        .args(["/usr/bin/ldd", "--version"])));
    assert!(glibc.lines().next().unwrap().ends_with("2.31"), "{glibc}");

    // Our own corner of the root, gone when the test ends.
    let sb = Sandbox::new();
    let src = unpack("x86_64", &sb.path().join("x"));
    let home = tempfile::tempdir_in(bullseye.join("tmp")).unwrap();
    let inside = Path::new("/tmp").join(home.path().file_name().unwrap());
    std::fs::copy(src.join("mirrorctl"), home.path().join("mirrorctl")).unwrap();
    let chrooted = |args: &[String]| {
        // An absolute path: the cleared environment's PATH is the root's, not ours.
        let mut c = Command::new("/usr/sbin/chroot");
        c.arg(&bullseye)
            .arg(inside.join("mirrorctl"))
            .args(args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("LANG", "C.UTF-8")
            .env("HOME", &inside)
            .env("MIRRORCTL_STATE_DIR", inside.join("state"))
            .env("MIRRORCTL_SYSCONFDIR", inside.join("etc"))
            .env(
                "DOCKER_HOST",
                format!("unix://{}", inside.join("no-docker.sock").display()),
            );
        c.output().unwrap()
    };
    let version = chrooted(&["--version".into()]);
    assert_eq!(
        text(&version).trim(),
        format!("mirrorctl {VERSION}"),
        "{version:?}"
    );
    let (m, args) = mirror();
    assert_probed(&chrooted(&args), &m, "bullseye");
}

#[test]
fn the_aarch64_binary_probes_under_qemu() {
    let qemu = Path::new("/usr/bin/qemu-aarch64-static");
    let libc = Path::new("/usr/aarch64-linux-gnu/lib/libc.so.6");
    assert!(
        qemu.is_file() && libc.is_file(),
        "needs Debian's qemu-user-static and libc6-arm64-cross (.ci/run installs them)"
    );
    let sb = Sandbox::new();
    let bin = unpack("aarch64", &sb.path().join("x")).join("mirrorctl");
    let emulated = |args: &[String]| {
        let mut c = sb.mirrorctl();
        c.env("QEMU_LD_PREFIX", "/usr/aarch64-linux-gnu");
        let mut q = Command::new(qemu);
        q.arg(&bin).args(args);
        for (k, v) in c.get_envs() {
            match v {
                Some(v) => q.env(k, v),
                None => q.env_remove(k),
            };
        }
        q.output().unwrap()
    };
    assert_eq!(
        text(&emulated(&["--version".into()])).trim(),
        format!("mirrorctl {VERSION}")
    );
    let (m, args) = mirror();
    assert_probed(&emulated(&args), &m, "qemu-aarch64");
}

#[test]
fn the_wheel_installs_with_pip_into_a_fresh_venv_whose_mirrorctl_probes() {
    let sb = Sandbox::new();
    let wheel = std::fs::read_dir(dist())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("manylinux_2_17_x86_64.whl"))
        .expect("the x86_64 wheel");
    let venv = sb.path().join("venv");
    run(Command::new("python3").arg("-m").arg("venv").arg(&venv));
    run(Command::new(venv.join("bin/pip"))
        .args([
            "install",
            "--no-index",
            "--no-deps",
            "--disable-pip-version-check",
            "--quiet",
        ])
        .arg(&wheel));
    let bin = venv.join("bin/mirrorctl");
    let unpacked = unpack("x86_64", &sb.path().join("x"));
    assert_eq!(
        file_sha(&bin),
        file_sha(&unpacked.join("mirrorctl")),
        "the wheel's binary is the tarball's"
    );
    for f in [
        "share/man/man1/mirrorctl.1",
        "share/man/man1/mirrorctl-probe.1",
        "share/bash-completion/completions/mirrorctl",
        "share/zsh/site-functions/_mirrorctl",
        "share/fish/vendor_completions.d/mirrorctl.fish",
    ] {
        assert!(venv.join(f).is_file(), "{f} not installed by the wheel");
    }
    let (m, args) = mirror();
    let c = sb.mirrorctl();
    let out = Command::new(&bin)
        .args(&args)
        .envs(c.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
        .output()
        .unwrap();
    assert_probed(&out, &m, "venv");
    let shown = run(Command::new(venv.join("bin/pip")).args(["show", "mirrorctl"]));
    assert!(
        text(&shown).contains(&format!("Version: {VERSION}")),
        "{}",
        text(&shown)
    );
}
