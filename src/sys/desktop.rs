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
    /// This build's system; None on Linux (dockerd there is a systemd/OpenRC service, not a product).
    pub fn this() -> Option<Os> {
        if cfg!(target_os = "macos") {
            Some(Os::MacOs)
        } else if cfg!(windows) {
            Some(Os::Windows)
        } else {
            None
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
    let text = std::fs::read_to_string(home.join(".docker/config.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.get("currentContext")?.as_str().map(str::to_owned)
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

/// Whether Docker Desktop's CLI plugin (which has `docker desktop restart`) is installed for this user.
fn has_desktop_plugin(os: Os, home: &Path) -> bool {
    let name = match os {
        Os::MacOs => "docker-desktop",
        Os::Windows => "docker-desktop.exe",
    };
    home.join(".docker/cli-plugins").join(name).is_file()
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
