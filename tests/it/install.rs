//! install.sh against a loopback HTTP server that serves releases in the layout of a release page
//! (`<base>/latest/download/VERSION`, `<base>/download/v<X>/<file>`): made from the real x86_64 release tarball
//! (target/dist) and signed by a key each test makes with the real minisign.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::release::{dist, tarball, test_pubkey, unpack, VERSION};
use crate::support::files_server::FilesServer;
use crate::support::image::sha;
use crate::support::{needs_root, Sandbox};

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("install.sh")
}

/// A minisign key pair made for one test: (secret key file, public key).
fn keypair(dir: &Path, name: &str) -> (PathBuf, String) {
    let (s, p) = (
        dir.join(format!("{name}.key")),
        dir.join(format!("{name}.pub")),
    );
    let out = Command::new("minisign")
        .args(["-G", "-W", "-f", "-p"])
        .arg(&p)
        .arg("-s")
        .arg(&s)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let public = std::fs::read_to_string(&p)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_owned();
    (s, public)
}

fn sign(key: &Path, file: &Path) -> Vec<u8> {
    let sig = file.with_extension("minisig");
    let out = Command::new("minisign")
        .arg("-S")
        .arg("-s")
        .arg(key)
        .arg("-m")
        .arg(file)
        .arg("-x")
        .arg(&sig)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(sig).unwrap()
}

/// One release on the server: the real tarball's files as version `version`, its binary with `marker` appended (an
/// ELF file runs with bytes after its end), so that versions differ in bytes.
struct Release {
    tarball: Vec<u8>,
    binary: Vec<u8>,
    name: String,
}

fn build(sb: &Path, version: &str, marker: &[u8]) -> Release {
    let work = sb.join(format!("build-{version}"));
    let from = unpack("x86_64", &work.join("x"));
    let dir = format!("mirrorctl-{version}-x86_64-linux");
    let to = work.join(&dir);
    std::fs::rename(&from, &to).unwrap();
    let mut binary = std::fs::read(to.join("mirrorctl")).unwrap();
    binary.extend_from_slice(marker);
    std::fs::write(to.join("mirrorctl"), &binary).unwrap();
    let name = format!("{dir}.tar.gz");
    let out = Command::new("tar")
        .arg("-czf")
        .arg(work.join(&name))
        .arg("-C")
        .arg(&work)
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    Release {
        tarball: std::fs::read(work.join(&name)).unwrap(),
        binary,
        name,
    }
}

/// Serves `r` at `<base>/download/v<version>/`, with SHA256SUMS over `sums_of` (the tarball itself unless a test
/// forges one) signed with `key`; `latest` also makes it what VERSION names.
fn publish(server: &FilesServer, base: &str, version: &str, r: &Release, key: &Path, latest: bool) {
    publish_with(server, base, version, r, &r.tarball, key, latest);
}

fn publish_with(
    server: &FilesServer,
    base: &str,
    version: &str,
    r: &Release,
    served: &[u8],
    key: &Path,
    latest: bool,
) {
    let dir = tempfile::tempdir().unwrap();
    let sums = dir.path().join("SHA256SUMS");
    let digest = sha(&r.tarball);
    std::fs::write(
        &sums,
        format!("{}  {}\n", digest.trim_start_matches("sha256:"), r.name),
    )
    .unwrap();
    let sig = sign(key, &sums);
    let at = format!("{base}/download/v{version}");
    server.put(&format!("{at}/{}", r.name), served);
    server.put(&format!("{at}/SHA256SUMS"), &std::fs::read(&sums).unwrap());
    server.put(&format!("{at}/SHA256SUMS.minisig"), &sig);
    if latest {
        server.put(
            &format!("{base}/latest/download/VERSION"),
            format!("{version}\n").as_bytes(),
        );
    }
}

/// `sh install.sh ARGS` with HOME in the sandbox, English, and the machine's PATH.
fn install(sb: &Sandbox, args: &[&str]) -> Output {
    let mut c = Command::new("sh");
    c.arg(script()).args(args);
    env(sb, &mut c);
    c.output().unwrap()
}

fn env(sb: &Sandbox, c: &mut Command) {
    c.env("HOME", sb.path().join("home"))
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("MIRRORCTL_DOWNLOAD_BASE")
        .env_remove("MIRRORCTL_VERSION")
        .env_remove("MIRRORCTL_PREFIX")
        .env("LANG", "C.UTF-8");
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "install.sh failed: {}", stderr(o));
    stderr(o)
}

fn refused(o: &Output, says: &str) {
    assert_eq!(o.status.code(), Some(1), "{}", stderr(o));
    assert!(stderr(o).contains(says), "wanted {says:?}: {}", stderr(o));
}

fn pages() -> usize {
    std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("man"))
        .unwrap()
        .count()
}

/// Everything under `dir`, relative, sorted.
fn tree(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, d: &Path, out: &mut Vec<String>) {
        let Ok(rd) = std::fs::read_dir(d) else { return };
        for e in rd {
            let p = e.unwrap().path();
            out.push(p.strip_prefix(base).unwrap().display().to_string());
            if p.is_dir() {
                walk(base, &p, out);
            }
        }
    }
    let mut v = Vec::new();
    walk(dir, dir, &mut v);
    v.sort();
    v
}

struct Setup {
    sb: Sandbox,
    server: FilesServer,
    key: PathBuf,
    public: String,
    base: String,
    prefix: PathBuf,
}

fn setup() -> Setup {
    let sb = Sandbox::new();
    let server = FilesServer::start();
    let (key, public) = keypair(sb.path(), "team");
    let base = server.url("/rel");
    let prefix = sb.path().join("prefix");
    Setup {
        sb,
        server,
        key,
        public,
        base,
        prefix,
    }
}

impl Setup {
    fn args<'a>(&'a self, extra: &[&'a str]) -> Vec<&'a str> {
        let mut v = vec![
            "--base",
            &self.base,
            "--pubkey",
            &self.public,
            "--prefix",
            self.prefix.to_str().unwrap(),
        ];
        v.extend_from_slice(extra);
        v
    }

    fn installed(&self) -> Vec<u8> {
        std::fs::read(self.prefix.join("bin/mirrorctl")).unwrap()
    }
}

#[test]
fn a_fresh_install_then_the_same_again_changes_nothing_then_an_upgrade_and_a_chosen_version() {
    let s = setup();
    let old = build(s.sb.path(), "0.9.0", b"");
    publish(&s.server, "/rel", "0.9.0", &old, &s.key, true);
    let said = ok(&install(&s.sb, &s.args(&[])));
    assert!(
        said.contains("checksum and minisign signature verified"),
        "{said}"
    );
    assert!(said.contains("installed mirrorctl 0.9.0"), "{said}");
    assert_eq!(s.installed(), old.binary);
    let version = Command::new(s.prefix.join("bin/mirrorctl"))
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("mirrorctl {VERSION}")
    );
    let man = std::fs::read_dir(s.prefix.join("share/man/man1"))
        .unwrap()
        .count();
    assert_eq!(man, pages(), "every man page");
    for f in [
        "share/bash-completion/completions/mirrorctl",
        "share/zsh/site-functions/_mirrorctl",
        "share/fish/vendor_completions.d/mirrorctl.fish",
        "share/doc/mirrorctl/README.zh-CN.md",
        "share/doc/mirrorctl/LICENSE",
    ] {
        assert!(s.prefix.join(f).is_file(), "{f}");
    }
    let mode = std::fs::metadata(s.prefix.join("bin/mirrorctl"))
        .unwrap()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o755);

    // The same release again: nothing is written.
    let before = std::fs::metadata(s.prefix.join("bin/mirrorctl")).unwrap();
    let said = ok(&install(&s.sb, &s.args(&[])));
    assert!(
        said.contains("already installed") && said.contains("nothing changed"),
        "{said}"
    );
    let after = std::fs::metadata(s.prefix.join("bin/mirrorctl")).unwrap();
    assert_eq!(
        (before.ino(), before.mtime_nsec()),
        (after.ino(), after.mtime_nsec())
    );

    // A newer release becomes the latest: upgraded in place.
    let new = build(s.sb.path(), "0.10.0", b"\0release 0.10.0");
    publish(&s.server, "/rel", "0.10.0", &new, &s.key, true);
    let said = ok(&install(&s.sb, &s.args(&[])));
    assert!(
        said.contains("upgraded") && said.contains("mirrorctl 0.10.0"),
        "{said}"
    );
    assert_eq!(s.installed(), new.binary);

    // --version goes to exactly that one (here back).
    ok(&install(&s.sb, &s.args(&["--version", "0.9.0"])));
    assert_eq!(s.installed(), old.binary);
}

#[test]
fn a_tampered_or_cut_short_tarball_is_refused_and_the_installed_one_stays() {
    let s = setup();
    let good = build(s.sb.path(), "1.0.0", b"");
    publish(&s.server, "/rel", "1.0.0", &good, &s.key, true);
    ok(&install(&s.sb, &s.args(&[])));
    let files = tree(&s.prefix);

    // One byte changed in the served tarball, SHA256SUMS as signed.
    let next = build(s.sb.path(), "1.1.0", b"\x01");
    let mut tampered = next.tarball.clone();
    let mid = tampered.len() / 2;
    tampered[mid] ^= 0xff;
    publish_with(&s.server, "/rel", "1.1.0", &next, &tampered, &s.key, true);
    refused(&install(&s.sb, &s.args(&[])), "checksum mismatch");
    assert_eq!(s.installed(), good.binary, "nothing lost");
    assert_eq!(tree(&s.prefix), files, "nothing added");

    // A download that stops after half of what it promised.
    publish(&s.server, "/rel", "1.1.0", &next, &s.key, true);
    s.server.put_cut(
        &format!("/rel/download/v1.1.0/{}", next.name),
        &next.tarball,
        next.tarball.len() / 2,
    );
    refused(&install(&s.sb, &s.args(&[])), "cut short");
    // A server that serves a short file as if it were whole.
    s.server.put(
        &format!("/rel/download/v1.1.0/{}", next.name),
        &next.tarball[..next.tarball.len() / 2],
    );
    refused(&install(&s.sb, &s.args(&[])), "checksum mismatch");
    assert_eq!(s.installed(), good.binary);
    assert_eq!(tree(&s.prefix), files);
}

#[test]
fn a_signature_by_another_key_is_refused_and_without_minisign_only_the_checksum_is_checked() {
    let s = setup();
    let r = build(s.sb.path(), "2.0.0", b"");
    let (other, _) = keypair(s.sb.path(), "stranger");
    publish(&s.server, "/rel", "2.0.0", &r, &other, true);
    refused(&install(&s.sb, &s.args(&[])), "does not verify");
    assert!(!s.prefix.exists(), "nothing installed");
    // No signature at all, while minisign is there to check one.
    publish(&s.server, "/rel", "2.0.0", &r, &s.key, true);
    s.server.put("/rel/download/v2.0.0/SHA256SUMS.minisig", b"");
    refused(&install(&s.sb, &s.args(&[])), "does not verify");
    publish(&s.server, "/rel", "2.0.0", &r, &s.key, true);

    // A PATH with every tool of this machine but minisign: the checksum is checked, and the script says so.
    let bin = s.sb.path().join("no-minisign");
    std::fs::create_dir(&bin).unwrap();
    for dir in ["/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"] {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let name = e.file_name();
            if name != "minisign" && !bin.join(&name).exists() {
                std::os::unix::fs::symlink(e.path(), bin.join(&name)).unwrap();
            }
        }
    }
    let mut c = Command::new("/bin/sh");
    c.arg(script()).args(s.args(&[]));
    env(&s.sb, &mut c);
    let said = ok(&c.env("PATH", &bin).output().unwrap());
    assert!(
        said.contains("minisign is not installed: only the SHA-256 checksum was checked"),
        "{said}"
    );
    assert_eq!(s.installed(), r.binary);
}

#[test]
fn an_unreachable_place_is_passed_over_for_the_next_and_none_answering_is_an_error() {
    let s = setup();
    let r = build(s.sb.path(), "3.0.0", b"");
    publish(&s.server, "/rel", "3.0.0", &r, &s.key, true);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/rel", closed.local_addr().unwrap());
    drop(closed);
    let prefix = s.prefix.to_str().unwrap();
    let said = ok(&install(
        &s.sb,
        &[
            "--base", &dead, "--base", &s.base, "--pubkey", &s.public, "--prefix", prefix,
        ],
    ));
    assert!(
        said.contains(&format!("no answer from {dead}, trying the next place")),
        "{said}"
    );
    assert_eq!(s.installed(), r.binary);

    // The list from the environment, as a team sets it once for every machine.
    std::fs::remove_dir_all(&s.prefix).unwrap();
    let mut c = Command::new("sh");
    c.arg(script())
        .args(["--pubkey", &s.public, "--prefix", prefix]);
    env(&s.sb, &mut c);
    ok(&c
        .env("MIRRORCTL_DOWNLOAD_BASE", format!("{dead} {}", s.base))
        .output()
        .unwrap());
    assert_eq!(s.installed(), r.binary);

    std::fs::remove_dir_all(&s.prefix).unwrap();
    let o = install(
        &s.sb,
        &["--base", &dead, "--pubkey", &s.public, "--prefix", prefix],
    );
    refused(&o, "no download place answered");
    assert!(stderr(&o).contains("hint: "), "{}", stderr(&o));
    assert!(!s.prefix.exists());
}

#[test]
fn a_user_who_is_not_root_gets_it_in_home_local_bin() {
    if !needs_root("a_user_who_is_not_root_gets_it_in_home_local_bin") {
        return;
    }
    let s = setup();
    let r = build(s.sb.path(), "4.0.0", b"");
    publish(&s.server, "/rel", "4.0.0", &r, &s.key, true);
    let home = s.sb.path().join("nobody");
    std::fs::create_dir(&home).unwrap();
    std::os::unix::fs::chown(&home, Some(65534), Some(65534)).unwrap();
    // The sandbox is 0700 root's: let nobody through to its own home only.
    std::fs::set_permissions(
        s.sb.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o711),
    )
    .unwrap();
    let o = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "sh"])
        .arg(script())
        .args(["--base", &s.base, "--pubkey", &s.public])
        .env("HOME", &home)
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("LANG", "C.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("MIRRORCTL_PREFIX")
        .current_dir(&home)
        .output()
        .unwrap();
    let said = ok(&o);
    let bin = home.join(".local/bin/mirrorctl");
    assert_eq!(std::fs::read(&bin).unwrap(), r.binary);
    assert_eq!(std::fs::metadata(&bin).unwrap().uid(), 65534);
    assert!(home
        .join(".local/share/man/man1/mirrorctl-probe.1")
        .is_file());
    assert!(said.contains("is not on your PATH"), "{said}");
}

#[test]
fn uninstall_removes_exactly_what_it_installed() {
    let s = setup();
    let r = build(s.sb.path(), "5.0.0", b"");
    publish(&s.server, "/rel", "5.0.0", &r, &s.key, true);
    ok(&install(&s.sb, &s.args(&[])));
    std::fs::write(s.prefix.join("bin/someone-elses"), b"#!/bin/sh\n").unwrap();
    std::fs::write(s.prefix.join("share/man/man1/other.1"), b".TH other 1\n").unwrap();
    let said = ok(&install(&s.sb, &s.args(&["--uninstall"])));
    assert!(said.contains("mirrorctl removed"), "{said}");
    let left = tree(&s.prefix);
    assert!(left.iter().all(|f| !f.contains("mirrorctl")), "{left:?}");
    assert!(
        s.prefix.join("bin/someone-elses").is_file()
            && s.prefix.join("share/man/man1/other.1").is_file()
    );
    let said = ok(&install(&s.sb, &s.args(&["--uninstall"])));
    assert!(said.contains("nothing to do"), "{said}");
}

#[test]
fn a_dry_run_downloads_no_package_and_writes_nothing_and_bad_options_are_refused() {
    let s = setup();
    let r = build(s.sb.path(), "6.0.0", b"");
    publish(&s.server, "/rel", "6.0.0", &r, &s.key, true);
    let said = ok(&install(&s.sb, &s.args(&["--dry-run"])));
    assert!(
        said.contains("dry run")
            && said.contains(&format!(
                "would download {}/download/v6.0.0/{}",
                s.base, r.name
            )),
        "{said}"
    );
    assert!(
        said.contains(&format!("{}/bin/mirrorctl", s.prefix.display())),
        "{said}"
    );
    assert!(!s.prefix.exists(), "a dry run writes nothing");
    assert_eq!(
        s.server.asked(),
        ["/rel/latest/download/VERSION"],
        "only the version is asked for"
    );

    let o = install(&s.sb, &s.args(&["--bogus"]));
    refused(&o, "unknown option: --bogus");
    assert!(
        stderr(&o).contains("hint: sh install.sh --help"),
        "{}",
        stderr(&o)
    );
    refused(
        &install(&s.sb, &s.args(&["--version", "1;rm -rf /"])),
        "not a version",
    );
    refused(
        &install(&s.sb, &["--pubkey", "nonsense"]),
        "not a minisign public key",
    );
    // A version file that is not a version is never printed or used.
    s.server
        .put("/rel/latest/download/VERSION", b"\x1b[2J9.9.9\n");
    let o = install(&s.sb, &s.args(&[]));
    refused(&o, "no download place answered");
    assert!(!stderr(&o).contains('\x1b'), "{}", stderr(&o));
}

#[test]
fn messages_are_in_chinese_under_a_zh_locale() {
    let s = setup();
    let r = build(s.sb.path(), "7.0.0", b"");
    publish(&s.server, "/rel", "7.0.0", &r, &s.key, true);
    let mut c = Command::new("sh");
    c.arg(script()).args(s.args(&[]));
    env(&s.sb, &mut c);
    let said = ok(&c.env("LANG", "zh_CN.UTF-8").output().unwrap());
    assert!(
        said.contains("已校验 SHA-256 校验和与 minisign 签名")
            && said.contains("已安装 mirrorctl 7.0.0"),
        "{said}"
    );
    assert!(!said.contains("installed"), "no English left: {said}");
    s.server.put(
        &format!("/rel/download/v7.0.0/{}", r.name),
        &r.tarball[..100],
    );
    std::fs::remove_dir_all(&s.prefix).unwrap();
    let mut c = Command::new("sh");
    c.arg(script()).args(s.args(&[]));
    env(&s.sb, &mut c);
    let o = c.env("LANG", "zh_CN.UTF-8").output().unwrap();
    refused(&o, "错误：");
    assert!(
        stderr(&o).contains("校验和不符") && stderr(&o).contains("提示："),
        "{}",
        stderr(&o)
    );
}

#[test]
fn piped_from_curl_into_busybox_sh_as_the_readme_says() {
    let s = setup();
    let r = build(s.sb.path(), "8.0.0", b"");
    publish(&s.server, "/rel", "8.0.0", &r, &s.key, true);
    s.server
        .put("/install.sh", &std::fs::read(script()).unwrap());
    // busybox ash: the script is POSIX sh, not bash (old servers, minimal images).
    let pipe = format!(
        "curl -fsSL {} | /bin/busybox sh -s -- --base {} --pubkey {} --prefix {}",
        s.server.url("/install.sh"),
        s.base,
        s.public,
        s.prefix.display()
    );
    let mut c = Command::new("sh");
    c.arg("-c").arg(pipe);
    env(&s.sb, &mut c);
    ok(&c.output().unwrap());
    assert_eq!(s.installed(), r.binary);
}

#[test]
fn the_real_release_installs_as_published() {
    let s = setup();
    // target/dist as a release page would serve it.
    for e in std::fs::read_dir(dist()).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        s.server.put(
            &format!("/rel/download/v{VERSION}/{name}"),
            &std::fs::read(&p).unwrap(),
        );
    }
    s.server.put(
        "/rel/latest/download/VERSION",
        &std::fs::read(dist().join("VERSION")).unwrap(),
    );
    let public = std::fs::read_to_string(test_pubkey())
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_owned();
    let prefix = s.prefix.to_str().unwrap();
    ok(&install(
        &s.sb,
        &["--base", &s.base, "--pubkey", &public, "--prefix", prefix],
    ));
    let want = unpack("x86_64", &s.sb.path().join("x")).join("mirrorctl");
    assert_eq!(s.installed(), std::fs::read(want).unwrap());
    assert!(tarball("x86_64").is_file());
    // The project's own key (not the test key) does not accept the test release: the embedded key is checked.
    std::fs::remove_dir_all(&s.prefix).unwrap();
    refused(
        &install(&s.sb, &["--base", &s.base, "--prefix", prefix]),
        "does not verify",
    );
}

#[test]
fn the_installer_checks_against_the_key_the_binary_pins() {
    let script = std::fs::read_to_string(script()).unwrap();
    let src = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src/catalogue/update.rs"),
    )
    .unwrap();
    let key = |text: &str, prefix: &str| {
        let line = text.lines().find(|l| l.starts_with(prefix)).expect(prefix);
        line.split('"').nth(1).unwrap().to_owned()
    };
    assert_eq!(
        key(&script, "PUBKEY="),
        key(&src, "pub const PINNED_KEY"),
        "one project key, in both places"
    );
}

#[test]
fn the_installer_is_posix_sh_that_shellcheck_passes() {
    let out = Command::new("shellcheck")
        .args(["--shell=sh", "--severity=info"])
        .arg(script())
        .output();
    let out = out.expect("shellcheck (Debian's shellcheck; .ci/run installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
