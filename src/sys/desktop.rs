//! Desktop products and VM runtimes (macOS, Windows): which one the docker CLI talks to, the engine config file
//! that product's dockerd really reads, and how that product makes a change live — never systemctl, which none of
//! them has. Pure: everything is read from a home directory (and a ProgramData directory) given to it, so tests run
//! on fixture homes.
//!
//! Which product: the docker CLI's own rule — `DOCKER_CONTEXT`, else `currentContext` in ~/.docker/config.json
//! (each product installs its context: `desktop-linux`, `orbstack`, `colima` / `colima-<profile>`,
//! `rancher-desktop`); with no context named, the one product whose marker is in the home directory.

use std::path::{Path, PathBuf};

/// The systems the products run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    MacOs,
    Windows,
}

impl Os {
    /// This build's system; None on Linux (dockerd there is a systemd/OpenRC service, not a product) — unless
    /// `MIRRORCTL_DESKTOP_OS` (`macos`, `windows`) says to look for that system's products: no Linux machine has
    /// them, so the tests fake a product's files under a temp HOME and its command on PATH, and run the rest for real.
    pub fn this() -> Option<Os> {
        if cfg!(target_os = "macos") {
            Some(Os::MacOs)
        } else if cfg!(windows) {
            Some(Os::Windows)
        } else {
            match std::env::var("MIRRORCTL_DESKTOP_OS").ok().as_deref() {
                Some("macos") => Some(Os::MacOs),
                Some("windows") => Some(Os::Windows),
                _ => None,
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Product {
    DockerDesktop,
    /// Docker Desktop switched to Windows containers (or a Windows Server dockerd): the machine-wide file.
    WindowsContainers,
    OrbStack,
    Colima {
        profile: String,
    },
    RancherDesktop,
}

/// The format of the product's engine config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A daemon.json (OrbStack's docker.json is one too).
    Json,
    /// colima.yaml: dockerd's settings are its `docker:` map.
    ColimaYaml,
    /// Rancher Desktop's lima override.yaml: a provisioning script, not settings mirrorctl writes.
    Provisioning,
}

/// How the product makes a changed config live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restart {
    /// A command that does it (argv).
    Command(Vec<String>),
    /// Only the person can; the words say exactly where to click.
    Instruction(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desktop {
    pub product: Product,
    pub config: PathBuf,
    pub format: Format,
    pub restart: Restart,
}

/// The product on this machine (the real home, `DOCKER_CONTEXT`, `%ProgramData%`), when this is macOS or Windows.
pub fn detect() -> Option<Desktop> {
    let os = Os::this()?;
    let home = dirs::home_dir()?;
    let context = std::env::var("DOCKER_CONTEXT")
        .ok()
        .filter(|c| !c.is_empty());
    let program_data = std::env::var_os("ProgramData")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(r"C:\ProgramData"));
    find(os, &home, context.as_deref(), &program_data)
}

/// The product whose engine the CLI uses, for `home` on `os` (`context`: DOCKER_CONTEXT).
pub fn find(os: Os, home: &Path, context: Option<&str>, program_data: &Path) -> Option<Desktop> {
    let context = context
        .map(str::to_owned)
        .or_else(|| current_context(home))
        .filter(|c| c != "default");
    let product = match context.as_deref() {
        Some("orbstack") => Product::OrbStack,
        Some("colima") => Product::Colima {
            profile: "default".into(),
        },
        Some(c) if c.starts_with("colima-") => Product::Colima {
            profile: c["colima-".len()..].into(),
        },
        Some("rancher-desktop") => Product::RancherDesktop,
        Some("desktop-windows") => Product::WindowsContainers,
        Some(_) => Product::DockerDesktop,
        None => by_marker(os, home, program_data)?,
    };
    Some(describe(os, home, program_data, product))
}

/// ~/.docker/config.json's `currentContext`.
fn current_context(home: &Path) -> Option<String> {
    config_json(home)?
        .get("currentContext")?
        .as_str()
        .map(str::to_owned)
}

/// With no context named: the product whose own files are in the home directory (the CLI then talks to Docker
/// Desktop's default engine, or to a Windows Server dockerd).
fn by_marker(os: Os, home: &Path, program_data: &Path) -> Option<Product> {
    if home.join(".orbstack").is_dir() {
        return Some(Product::OrbStack);
    }
    if home.join(".colima/default/colima.yaml").is_file() {
        return Some(Product::Colima {
            profile: "default".into(),
        });
    }
    if desktop_settings(os, home).is_file() {
        return Some(Product::DockerDesktop);
    }
    if rancher_dir(os, home).is_dir() {
        return Some(Product::RancherDesktop);
    }
    if os == Os::Windows && windows_containers(program_data).is_file() {
        return Some(Product::WindowsContainers);
    }
    home.join(".docker/daemon.json")
        .is_file()
        .then_some(Product::DockerDesktop)
}

fn desktop_settings(os: Os, home: &Path) -> PathBuf {
    match os {
        Os::MacOs => home.join("Library/Group Containers/group.com.docker/settings-store.json"),
        Os::Windows => home.join("AppData/Roaming/Docker/settings-store.json"),
    }
}

fn rancher_dir(os: Os, home: &Path) -> PathBuf {
    match os {
        Os::MacOs => home.join("Library/Application Support/rancher-desktop"),
        Os::Windows => home.join("AppData/Roaming/rancher-desktop"),
    }
}

fn windows_containers(program_data: &Path) -> PathBuf {
    program_data
        .join("docker")
        .join("config")
        .join("daemon.json")
}

fn describe(os: Os, home: &Path, program_data: &Path, product: Product) -> Desktop {
    let argv = |a: &[&str]| Restart::Command(a.iter().map(|s| (*s).to_owned()).collect());
    let (config, format, restart) = match &product {
        // `docker desktop restart` is in Desktop's CLI plugin from 4.37; older Desktops only from the whale menu.
        Product::DockerDesktop => (
            home.join(".docker").join("daemon.json"),
            Format::Json,
            if has_desktop_plugin(os, home) {
                argv(&["docker", "desktop", "restart"])
            } else {
                Restart::Instruction("desktop.restart_menu")
            },
        ),
        Product::WindowsContainers => (
            windows_containers(program_data),
            Format::Json,
            if has_desktop_plugin(os, home) {
                argv(&["docker", "desktop", "restart"])
            } else {
                Restart::Instruction("desktop.restart_service")
            },
        ),
        Product::OrbStack => (
            home.join(".orbstack").join("config").join("docker.json"),
            Format::Json,
            argv(&["orb", "restart", "docker"]),
        ),
        Product::Colima { profile } => (
            home.join(".colima").join(profile).join("colima.yaml"),
            Format::ColimaYaml,
            if profile == "default" {
                argv(&["colima", "restart"])
            } else {
                argv(&["colima", "restart", profile])
            },
        ),
        // Rancher Desktop's dockerd reads /etc/docker/daemon.json inside its VM, rewritten at every start: its
        // mirrors are set by a provisioning script in override.yaml (documented by Rancher), not a host file.
        // On Windows (WSL) the provisioning scripts are `*.start` files in its provisioning directory instead.
        Product::RancherDesktop => (
            match os {
                Os::MacOs => rancher_dir(os, home).join("lima/_config/override.yaml"),
                Os::Windows => rancher_dir(os, home).join("provisioning"),
            },
            Format::Provisioning,
            Restart::Instruction("desktop.rancher"),
        ),
    };
    Desktop {
        product,
        config,
        format,
        restart,
    }
}

/// The Engine API address the docker CLI uses when DOCKER_HOST is not set: the named context's endpoint (its
/// meta.json, in ~/.docker/contexts/meta/<sha256 of its name>/, `Endpoints.docker.Host`), else the socket or pipe
/// of the product itself. `None`: neither — the build's default address then.
pub fn endpoint(
    os: Os,
    home: &Path,
    context: Option<&str>,
    product: Option<&Product>,
) -> Option<String> {
    let context = context
        .map(str::to_owned)
        .or_else(|| current_context(home))
        .filter(|c| c != "default");
    if let Some(host) = context.as_deref().and_then(|c| context_host(home, c)) {
        return Some(host);
    }
    let unix = |p: PathBuf| format!("unix://{}", p.display());
    Some(match (os, product?) {
        (Os::MacOs, Product::DockerDesktop) => {
            unix(home.join(".docker").join("run").join("docker.sock"))
        }
        (Os::MacOs, Product::OrbStack) => {
            unix(home.join(".orbstack").join("run").join("docker.sock"))
        }
        (Os::MacOs, Product::Colima { profile }) => {
            unix(home.join(".colima").join(profile).join("docker.sock"))
        }
        (Os::MacOs, Product::RancherDesktop) => unix(home.join(".rd").join("docker.sock")),
        (Os::MacOs, Product::WindowsContainers) => return None,
        // Desktop's Linux engine has a pipe of its own; `docker_engine` is the CLI's default, which Windows
        // containers (Desktop's or a Windows Server dockerd) and Rancher Desktop's moby serve.
        (Os::Windows, Product::DockerDesktop) => "npipe:////./pipe/dockerDesktopLinuxEngine".into(),
        (Os::Windows, _) => "npipe:////./pipe/docker_engine".into(),
    })
}

/// A context's Engine endpoint, as the docker CLI stores it (the directory is named by the SHA-256 of the name).
fn context_host(home: &Path, name: &str) -> Option<String> {
    use sha2::Digest;
    let id = hex::encode(sha2::Sha256::digest(name.as_bytes()));
    let meta = home
        .join(".docker/contexts/meta")
        .join(id)
        .join("meta.json");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(meta).ok()?).ok()?;
    v.pointer("/Endpoints/docker/Host")?
        .as_str()
        .filter(|h| !h.is_empty())
        .map(str::to_owned)
}

/// `endpoint` on this machine (macOS, Windows; `DOCKER_CONTEXT` as the CLI reads it); None on Linux.
pub fn engine_host() -> Option<String> {
    let os = Os::this()?;
    let home = dirs::home_dir()?;
    let context = std::env::var("DOCKER_CONTEXT")
        .ok()
        .filter(|c| !c.is_empty());
    let product = detect().map(|d| d.product);
    endpoint(os, &home, context.as_deref(), product.as_ref())
}

/// Whether Docker Desktop's CLI plugin (which has `docker desktop restart`, from 4.37) is where the docker CLI
/// looks for plugins: the user's `~/.docker/cli-plugins`, the directories config.json's `cliPluginsExtraDirs`
/// adds (Desktop adds its own there), or the directory Desktop installs it in.
fn has_desktop_plugin(os: Os, home: &Path) -> bool {
    let name = match os {
        Os::MacOs => "docker-desktop",
        Os::Windows => "docker-desktop.exe",
    };
    let mut dirs = vec![home.join(".docker/cli-plugins")];
    dirs.extend(config_json(home).map_or_else(Vec::new, |v| {
        v.get("cliPluginsExtraDirs")
            .and_then(|d| d.as_array())
            .map(|d| {
                d.iter()
                    .filter_map(|p| p.as_str().map(PathBuf::from))
                    .collect()
            })
            .unwrap_or_default()
    }));
    match os {
        Os::MacOs => dirs.push("/Applications/Docker.app/Contents/Resources/cli-plugins".into()),
        Os::Windows => {
            for var in ["ProgramData", "ProgramFiles"] {
                if let Some(root) = std::env::var_os(var) {
                    dirs.push(PathBuf::from(root).join("Docker").join("cli-plugins"));
                }
            }
        }
    }
    dirs.iter().any(|d| d.join(name).is_file())
}

/// ~/.docker/config.json as JSON (`None`: absent or unreadable, as the CLI then uses its defaults).
fn config_json(home: &Path) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(home.join(".docker/config.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// The words of how the change is made live (`apply`'s manual step), in the person's language.
pub fn how_to_restart(d: &Desktop) -> String {
    match &d.restart {
        Restart::Command(argv) => {
            rust_i18n::t!("desktop.run", command = argv.join(" ")).into_owned()
        }
        Restart::Instruction(key) => rust_i18n::t!(*key).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn home(files: &[&str]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for f in files {
            let p = d.path().join(f);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(&p, "{}").unwrap();
        }
        d
    }

    fn cmd(a: &[&str]) -> Restart {
        Restart::Command(a.iter().map(|s| (*s).to_owned()).collect())
    }

    #[test]
    fn docker_desktop_on_macos_restarts_through_its_cli_plugin_when_installed() {
        let h = home(&[
            "Library/Group Containers/group.com.docker/settings-store.json",
            ".docker/cli-plugins/docker-desktop",
        ]);
        let d = find(Os::MacOs, h.path(), None, Path::new("/nonexistent")).unwrap();
        assert_eq!(d.product, Product::DockerDesktop);
        assert_eq!(d.config, h.path().join(".docker/daemon.json"));
        assert_eq!(d.format, Format::Json);
        assert_eq!(d.restart, cmd(&["docker", "desktop", "restart"]));
    }

    #[test]
    fn an_older_docker_desktop_without_the_plugin_gets_the_menu_instruction() {
        let h = home(&["AppData/Roaming/Docker/settings-store.json"]);
        let d = find(Os::Windows, h.path(), None, Path::new("/nonexistent")).unwrap();
        assert_eq!(d.product, Product::DockerDesktop);
        assert_eq!(d.restart, Restart::Instruction("desktop.restart_menu"));
    }

    #[test]
    fn windows_containers_use_the_machine_wide_file() {
        let h = home(&[]);
        let pd = home(&["docker/config/daemon.json"]);
        let d = find(Os::Windows, h.path(), None, pd.path()).unwrap();
        assert_eq!(d.product, Product::WindowsContainers);
        assert_eq!(d.config, pd.path().join("docker/config/daemon.json"));
        // The context Desktop names for Windows containers picks it too, over a Desktop marker.
        let h = home(&["AppData/Roaming/Docker/settings-store.json"]);
        let d = find(Os::Windows, h.path(), Some("desktop-windows"), pd.path()).unwrap();
        assert_eq!(d.product, Product::WindowsContainers);
    }

    #[test]
    fn orbstack_has_its_own_docker_json_and_restart() {
        let h = home(&[".orbstack/config/docker.json"]);
        let d = find(Os::MacOs, h.path(), None, Path::new("/nonexistent")).unwrap();
        assert_eq!(d.product, Product::OrbStack);
        assert_eq!(d.config, h.path().join(".orbstack/config/docker.json"));
        assert_eq!(d.restart, cmd(&["orb", "restart", "docker"]));
    }

    #[test]
    fn colima_is_a_yaml_target_per_profile() {
        let h = home(&[".colima/default/colima.yaml", ".colima/work/colima.yaml"]);
        let d = find(Os::MacOs, h.path(), None, Path::new("/nonexistent")).unwrap();
        assert_eq!(
            d.product,
            Product::Colima {
                profile: "default".into()
            }
        );
        assert_eq!(d.format, Format::ColimaYaml);
        assert_eq!(d.restart, cmd(&["colima", "restart"]));
        let d = find(Os::MacOs, h.path(), Some("colima-work"), Path::new("/x")).unwrap();
        assert_eq!(d.config, h.path().join(".colima/work/colima.yaml"));
        assert_eq!(d.restart, cmd(&["colima", "restart", "work"]));
    }

    #[test]
    fn the_clis_current_context_decides_between_installed_products() {
        // OrbStack and Docker Desktop both installed; the CLI is pointed at Desktop.
        let h = home(&[
            ".orbstack/config/docker.json",
            "Library/Group Containers/group.com.docker/settings-store.json",
        ]);
        fs::create_dir_all(h.path().join(".docker")).unwrap();
        fs::write(
            h.path().join(".docker/config.json"),
            r#"{"currentContext": "desktop-linux"}"#,
        )
        .unwrap();
        let d = find(Os::MacOs, h.path(), None, Path::new("/x")).unwrap();
        assert_eq!(d.product, Product::DockerDesktop);
        // DOCKER_CONTEXT wins over the file, as in the CLI.
        let d = find(Os::MacOs, h.path(), Some("orbstack"), Path::new("/x")).unwrap();
        assert_eq!(d.product, Product::OrbStack);
    }

    #[test]
    fn rancher_desktop_gets_a_precise_instruction_never_a_command() {
        let h = home(&["Library/Application Support/rancher-desktop/settings.json"]);
        let d = find(Os::MacOs, h.path(), None, Path::new("/x")).unwrap();
        assert_eq!(d.product, Product::RancherDesktop);
        assert_eq!(d.restart, Restart::Instruction("desktop.rancher"));
        assert_eq!(d.format, Format::Provisioning);
    }

    /// A context as `docker context create` stores it: meta.json under the SHA-256 of its name.
    fn context(home: &Path, name: &str, host: &str) {
        use sha2::Digest;
        let dir = home
            .join(".docker/contexts/meta")
            .join(hex::encode(sha2::Sha256::digest(name.as_bytes())));
        fs::create_dir_all(&dir).unwrap();
        let meta = serde_json::json!({"Name": name, "Metadata": {},
            "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": false}}});
        fs::write(dir.join("meta.json"), meta.to_string()).unwrap();
    }

    #[test]
    fn the_engine_endpoint_is_the_contexts_else_the_products_own_socket() {
        let h = home(&[".orbstack/config/docker.json"]);
        // Joined a component at a time, as the code does, so the test holds on a Windows host too.
        let at = |p: &str| {
            let path = p.split('/').fold(h.path().to_path_buf(), |a, c| a.join(c));
            format!("unix://{}", path.display())
        };
        let orb = Product::OrbStack;
        // No context stored: the product's socket.
        assert_eq!(
            endpoint(Os::MacOs, h.path(), None, Some(&orb)),
            Some(at(".orbstack/run/docker.sock"))
        );
        // The context named (DOCKER_CONTEXT, or config.json's currentContext) decides when it is stored.
        context(h.path(), "orbstack", "unix:///custom/orbstack.sock");
        assert_eq!(
            endpoint(Os::MacOs, h.path(), Some("orbstack"), Some(&orb)).as_deref(),
            Some("unix:///custom/orbstack.sock")
        );
        fs::write(
            h.path().join(".docker/config.json"),
            r#"{"currentContext": "orbstack"}"#,
        )
        .unwrap();
        assert_eq!(
            endpoint(Os::MacOs, h.path(), None, Some(&orb)).as_deref(),
            Some("unix:///custom/orbstack.sock")
        );
        // `default` is the CLI's built-in context, never stored: the product's socket again.
        assert_eq!(
            endpoint(Os::MacOs, h.path(), Some("default"), Some(&orb)),
            Some(at(".orbstack/run/docker.sock"))
        );
        let colima = Product::Colima {
            profile: "work".into(),
        };
        for (product, socket) in [
            (Product::DockerDesktop, ".docker/run/docker.sock"),
            (colima, ".colima/work/docker.sock"),
            (Product::RancherDesktop, ".rd/docker.sock"),
        ] {
            assert_eq!(
                endpoint(Os::MacOs, h.path(), Some("x"), Some(&product)),
                Some(at(socket)),
                "{product:?}"
            );
        }
        assert_eq!(endpoint(Os::MacOs, h.path(), Some("x"), None), None);
    }

    #[test]
    fn on_windows_the_engine_is_a_named_pipe() {
        let h = home(&[]);
        assert_eq!(
            endpoint(Os::Windows, h.path(), None, Some(&Product::DockerDesktop)).as_deref(),
            Some("npipe:////./pipe/dockerDesktopLinuxEngine")
        );
        for p in [Product::WindowsContainers, Product::RancherDesktop] {
            assert_eq!(
                endpoint(Os::Windows, h.path(), None, Some(&p)).as_deref(),
                Some("npipe:////./pipe/docker_engine")
            );
        }
        context(
            h.path(),
            "desktop-windows",
            "npipe:////./pipe/dockerDesktopWindowsEngine",
        );
        assert_eq!(
            endpoint(
                Os::Windows,
                h.path(),
                Some("desktop-windows"),
                Some(&Product::WindowsContainers)
            )
            .as_deref(),
            Some("npipe:////./pipe/dockerDesktopWindowsEngine")
        );
    }

    #[test]
    fn desktops_plugin_is_found_where_config_json_adds_plugin_directories() {
        let h = home(&["Library/Group Containers/group.com.docker/settings-store.json"]);
        let extra = home(&["docker-desktop"]);
        fs::create_dir_all(h.path().join(".docker")).unwrap();
        fs::write(
            h.path().join(".docker/config.json"),
            serde_json::json!({"cliPluginsExtraDirs": [extra.path()]}).to_string(),
        )
        .unwrap();
        let d = find(Os::MacOs, h.path(), None, Path::new("/x")).unwrap();
        assert_eq!(d.restart, cmd(&["docker", "desktop", "restart"]));
    }

    #[test]
    fn no_product_no_desktop() {
        let h = home(&[]);
        assert_eq!(find(Os::MacOs, h.path(), None, Path::new("/x")), None);
    }

    #[test]
    fn every_instruction_and_command_has_words_in_both_languages() {
        // By locale argument, not set_locale: tests run in parallel and the locale is global.
        for key in [
            "desktop.restart_menu",
            "desktop.restart_service",
            "desktop.rancher",
            "desktop.run",
        ] {
            for lang in ["en", "zh-CN"] {
                let words = rust_i18n::t!(key, locale = lang);
                assert!(!words.starts_with("desktop."), "{lang}: {words}");
                assert!(!words.contains("systemctl"), "{words}");
            }
        }
        let d = Desktop {
            product: Product::OrbStack,
            config: PathBuf::new(),
            format: Format::Json,
            restart: cmd(&["orb", "restart", "docker"]),
        };
        assert!(how_to_restart(&d).contains("`orb restart docker`"));
    }
}
