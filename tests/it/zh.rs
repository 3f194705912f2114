//! Chinese everywhere under `--lang zh`: every subcommand's `--help` and the usage errors clap reports (unknown
//! flag, missing value, bad value, unknown subcommand, …) contain no English word outside a flag, a value, a code
//! span (`…`) or a URL, and at 80 columns every Chinese line fits (clap alone would let it run past the edge).

use std::collections::BTreeSet;
use unicode_width::UnicodeWidthStr;

use crate::support::Sandbox;

/// Words that are names, not English left untranslated: our commands, the programs, files and protocols the
/// Chinese text names as they are spelled, units. Anything else made of Latin letters in prose is a finding.
const NAMES: &[&str] = &[
    // mirrorctl and its subcommands (the Chinese help says "与 apply 一样")
    "mirrorctl",
    "list",
    "probe",
    "apply",
    "show",
    "doctor",
    "proxy",
    "catalogue",
    "completions",
    "man",
    "history",
    "watch",
    "cache",
    "restore",
    "report",
    "metrics",
    // Prometheus's exporter and its collector, as their documentation names them
    "node_exporter",
    "textfile",
    "help",
    "set",
    "unset",
    "update",
    "status",
    "setup",
    "warm",
    "install",
    "uninstall",
    // programs, services and formats as they are spelled
    "docker",
    "dockerd",
    "containerd",
    "podman",
    "k3s",
    "systemd",
    "systemctl",
    "cron",
    "crontab",
    "openrc",
    "sysvinit",
    "runit",
    "service",
    "launchd",
    "minisign",
    "registry",
    "distribution",
    "rootless",
    "shell",
    "bash",
    "zsh",
    "fish",
    "elvish",
    "powershell",
    "roff",
    "root",
    "sudo",
    "drop-in",
    "docker-registry",
    "update-ca-certificates",
    "Docker",
    "Hub",
    "Engine",
    "Prometheus",
    "Ansible",
    "Kubernetes",
    "Podman",
    "CA",
    "TLS",
    "HTTP",
    "HTTPS",
    "JSON",
    "TOML",
    "YAML",
    "API",
    "URL",
    "DNS",
    "SNI",
    "CPU",
    "OS",
    "PEM",
    "blob",
    "stderr",
    "stdout",
    "stdin",
    "tag",
    "schema",
    "manifest",
    "digest",
    "sha256",
    "token",
    "MiB",
    "KiB",
    "GiB",
    "ms",
    "v2",
    "XDG_STATE_HOME",
    "LC_ALL",
    "LC_MESSAGES",
    "LANG",
    "NO_COLOR",
    "Aliyun",
    "aliyuncs",
    "ghcr",
    "quay",
    "io",
    "com",
    "library",
    "alpine",
    "busybox",
    "latest",
    "linux",
    "arm64",
    "amd64",
    "registry-mirrors",
    "insecure-registries",
    "daemon",
    "json",
    "toml",
    "certs",
    "ExecStart",
    "ExecReload",
    "NoNewPrivileges",
    "cgroup",
    "ssh",
    "inventory",
    "playbook",
    "IP",
    "IPv4",
    "IPv6",
    "ID",
    "MIRRORCTL_STATE_DIR",
    "UTF-8",
    "UTF",
    "agent",
    "minisig",
    // values and programs the Chinese prose names as they are typed
    "auto",
    "sysv",
    "daemon-json",
    "containers",
    "cri-o",
    "skopeo",
    "buildah",
    "k3s-agent",
];

/// An example command (`  sudo mirrorctl apply --yes`): code, to be copied as it is.
fn is_command(line: &str) -> bool {
    let l = line.trim_start();
    l.starts_with("mirrorctl ") || l.starts_with("sudo mirrorctl ")
}

/// A value written as such: a number with its unit (`6h`, `30min`, `3128`).
fn is_number_with_unit(token: &str) -> bool {
    let digits = token.chars().take_while(char::is_ascii_digit).count();
    digits > 0
        && token[digits..].chars().all(|c| c.is_ascii_lowercase())
        && token.len() - digits <= 3
}

/// The English words in `text` that are not a flag, a value, a code span, a URL or a name (`NAMES`).
fn english_words(text: &str) -> Vec<String> {
    let names: BTreeSet<&str> = NAMES.iter().copied().collect();
    let lines: Vec<&str> = text.lines().filter(|l| !is_command(l)).collect();
    let text = lines.join("\n");
    // Code spans, `…` (a wrapped one runs over two lines).
    let mut prose = String::new();
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 0 {
            prose.push_str(part);
        } else {
            prose.push(' ');
        }
    }
    // Lists of values, [可选值: en, zh], [默认值: 10], [子命令: …] (their label stays), and placeholders,
    // [OPTIONS], [COMMAND]...
    let mut kept = String::new();
    let mut rest = prose.as_str();
    while let Some(open) = rest.find('[') {
        kept.push_str(&rest[..open]);
        let inside = &rest[open + 1..];
        let close = inside.find(']').unwrap_or(inside.len());
        if let Some((label, _values)) = inside[..close].split_once(':') {
            kept.push_str(label);
        }
        kept.push(' ');
        rest = inside.get(close + 1..).unwrap_or("");
    }
    kept.push_str(rest);
    let mut found = Vec::new();
    for token in kept.split(|c: char| c.is_whitespace() || !c.is_ascii() || "\"',;!?".contains(c)) {
        let token = token.trim_matches(|c: char| ".:()".contains(c));
        // A man page, `mirrorctl(1)`.
        let token = token.split_once('(').map_or(token, |(name, _)| name);
        if token.is_empty()
            || token.starts_with('-') // a flag
            || token.starts_with('<') // a value: <DIR>
            || token.starts_with('$') // a variable
            || token.contains("://") // a URL
            || token.contains('/') // a path, an image, os/arch
            || token.contains('=')
            || token.contains('@')
            || token.contains(':') // an image reference, a host and port: alpine:latest
            || (token.contains('.') && !token.ends_with('.')) // a file, a host: daemon.json, docker.io
            || is_number_with_unit(token)
            || !token.chars().any(|c| c.is_ascii_alphabetic())
            || (token.len() > 1
                && token
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')) // DIR, LANG
            || names.contains(token)
            || names.contains(token.to_ascii_lowercase().as_str())
        {
            continue;
        }
        found.push(token.to_owned());
    }
    found
}

#[test]
fn the_checker_finds_english_where_it_is() {
    // What clap printed under --lang zh before: every English word is caught…
    assert_eq!(
        english_words("error: unexpected argument '--bogus' found"),
        ["error", "unexpected", "argument", "found"]
    );
    assert_eq!(
        english_words("For more information, try '--help'."),
        ["For", "more", "information", "try"]
    );
    assert_eq!(english_words("  -h, --help  Print help"), ["Print"]);
    assert_eq!(
        english_words("  --lang <LANG>  界面语言 [possible values: en, zh]"),
        ["possible", "values"]
    );
    assert_eq!(
        english_words("  tip: a similar argument exists"),
        ["tip", "a", "similar", "argument", "exists"]
    );
    assert_eq!(english_words("  dockerd's daemon.json"), ["s"]);
    // …and what is allowed is not: flags, values, code spans, URLs, names.
    assert!(english_words(
        "错误: 无法识别的参数 `--bogus` 用法: mirrorctl list [OPTIONS] --dir <DIR> https://a.example/x 与 apply 一样 [可选值: en, zh] daemon.json"
    )
    .is_empty());
}

/// Every subcommand path (`["proxy", "set"]`), read from the Commands section of each help page.
fn commands(help: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in help.lines() {
        if line == "命令:" {
            inside = true;
        } else if line.is_empty() {
            inside = false;
        } else if inside && line.starts_with("  ") && !line.starts_with("   ") {
            let name = line.split_whitespace().next().unwrap();
            if name != "help" {
                out.push(name.to_owned());
            }
        }
    }
    out
}

fn run(sb: &Sandbox, args: &[&str]) -> std::process::Output {
    sb.mirrorctl()
        .env("COLUMNS", "80")
        .args(["--lang", "zh"])
        .args(args)
        .output()
        .unwrap()
}

/// Lines with Chinese in them wider than 80 columns (an example command is left whole, for copying).
fn too_wide(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.chars().any(|c| c.to_string().width() == 2) && l.width() > 80)
        .map(String::from)
        .collect()
}

#[test]
fn every_help_page_is_chinese_and_fits_80_columns() {
    let sb = Sandbox::new();
    let mut queue: Vec<Vec<String>> = vec![vec![]];
    let mut pages = 0;
    let mut problems = Vec::new();
    while let Some(path) = queue.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let out = run(&sb, &args);
        let help = String::from_utf8(out.stdout).unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {help}");
        assert!(help.contains("用法: mirrorctl"), "{args:?}: {help}");
        pages += 1;
        let english = english_words(&help);
        if !english.is_empty() {
            problems.push(format!("{args:?}: English {english:?}"));
        }
        let wide = too_wide(&help);
        if !wide.is_empty() {
            problems.push(format!("{args:?}: wider than 80 columns {wide:#?}"));
        }
        for sub in commands(&help) {
            let mut p = path.clone();
            p.push(sub);
            queue.push(p);
        }
    }
    assert!(pages >= 20, "walked only {pages} help pages");
    // The same page in English is what the checker exists to catch.
    let en = sb
        .mirrorctl()
        .args(["--lang", "en", "apply", "--help"])
        .output()
        .unwrap();
    let english = english_words(&String::from_utf8(en.stdout).unwrap());
    assert!(english.len() > 50, "{english:?}");
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn usage_errors_are_chinese_and_exit_2() {
    let sb = Sandbox::new();
    let cases: &[&[&str]] = &[
        &["list", "--bogus"],              // unknown flag
        &["prob"],                         // unknown subcommand, with a similar one
        &["probe", "--timeout"],           // missing value
        &["probe", "--timeout", "abc"],    // bad value, our parser's words
        &["probe", "--max-blob-mib", "0"], // bad value, clap's range
        &["--lang", "fr", "list"],         // not one of the possible values
        &["list", "-q", "-v"],             // flags that conflict
        &["proxy", "set"],                 // a required argument missing
        &["list", "extra"],                // an argument no command takes
        &[],                               // no subcommand
    ];
    let mut problems = Vec::new();
    for args in cases {
        let out = run(&sb, args);
        let err = String::from_utf8(out.stderr).unwrap();
        if out.status.code() != Some(2) {
            problems.push(format!("{args:?}: exit {:?}: {err}", out.status.code()));
        }
        if !err.starts_with("错误: ") {
            problems.push(format!("{args:?}: does not start with 错误: {err}"));
        }
        if !err.contains("更多信息请运行 `mirrorctl") {
            problems.push(format!("{args:?}: no pointer to --help: {err}"));
        }
        let english = english_words(&err);
        if !english.is_empty() {
            problems.push(format!("{args:?}: English {english:?} in {err}"));
        }
        let wide = too_wide(&err);
        if !wide.is_empty() {
            problems.push(format!("{args:?}: wider than 80 columns {wide:#?}"));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    // The tip names the similar subcommand.
    let err = String::from_utf8(run(&sb, &["prob"]).stderr).unwrap();
    assert!(
        err.contains("提示: 有相近的子命令") && err.contains("`probe`"),
        "{err}"
    );
}

/// A server that sends its CA certificate as its own: the error rustls prints as
/// `invalid peer certificate: Other(OtherError(CaUsedAsEndEntity))`.
fn ca_as_server_certificate() -> (std::sync::Arc<rustls::ServerConfig>, String) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let _ = rustls::crypto::ring::default_provider().install_default();
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).unwrap();
    let der = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap();
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], der)
        .unwrap();
    (std::sync::Arc::new(config), cert.pem())
}

/// TLS failures read as words in both languages, rustls's name kept as a code span; and the age of a probe reads
/// `… 秒前` in Chinese (it read `45s 前`).
#[test]
fn tls_failures_and_ages_are_words_in_both_languages() {
    use crate::support::fake_registry::{Behavior, FakeRegistry};
    use crate::support::image::Image;
    let sb = Sandbox::new();
    let image = std::sync::Arc::new(Image::new("library/alpine", "latest", 4096));
    let (tls, ca_pem) = ca_as_server_certificate();
    let ca_server = FakeRegistry::start(
        image.clone(),
        Behavior {
            tls: Some(tls),
            ..Default::default()
        },
    );
    let (tls, _) = crate::support::fake_registry::tls_for_localhost();
    let private = FakeRegistry::start(
        image.clone(),
        Behavior {
            tls: Some(tls),
            ..Default::default()
        },
    );
    let good = FakeRegistry::start(image, Behavior::default());
    // The CA-as-server certificate is trusted (in dockerd's certs.d layout), so what is left is its misuse.
    let certs = sb.path().join("certs.d");
    let dir = certs.join(format!("localhost:{}", ca_server.addr.port()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("ca.crt"), ca_pem).unwrap();
    let mirrors = [
        (
            "ca-as-server",
            format!("https://localhost:{}", ca_server.addr.port()),
        ),
        (
            "private-ca",
            format!("https://localhost:{}", private.addr.port()),
        ),
        ("good", good.url()),
    ];
    let expect = [
        (
            "en",
            "presents a CA certificate as its own",
            "issuer is not trusted",
        ),
        ("zh", "服务器把 CA 证书当作自己的证书", "签发者不受本机信任"),
    ];
    for (lang, ca_words, issuer_words) in expect {
        let (doc, code) = sb.probe(
            &mirrors,
            &["--lang", lang, "--certs-dir", certs.to_str().unwrap()],
        );
        assert_eq!(code, 0, "{doc}");
        let ca = crate::support::result(&doc, "ca-as-server");
        let ca_error = ca["error"].as_str().unwrap();
        assert_eq!(ca["status"], "tls", "{ca}");
        assert!(ca_error.contains(ca_words), "{lang}: {ca_error}");
        assert!(ca_error.contains("`CaUsedAsEndEntity`"), "{ca_error}");
        assert!(!ca_error.contains("OtherError"), "{ca_error}");
        let private = crate::support::result(&doc, "private-ca");
        let private_error = private["error"].as_str().unwrap();
        assert!(
            private_error.contains(issuer_words),
            "{lang}: {private_error}"
        );
        assert!(private_error.contains("`UnknownIssuer`"), "{private_error}");
    }
    // The probe just made is in the history: `list` shows its age, in Chinese words.
    let catalogue = sb.catalogue(&mirrors);
    let out = run(&sb, &["list", "--catalogue", catalogue.to_str().unwrap()]);
    let list = String::from_utf8(out.stdout).unwrap();
    assert!(list.contains("秒前") || list.contains("分前"), "{list}");
    assert!(!list.contains("s 前") && !list.contains("m 前"), "{list}");
}
