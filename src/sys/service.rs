//! Restarting or reloading dockerd through the machine's init system, and reading how it was started.

use rust_i18n::t;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InitChoice {
    Auto,
    Systemd,
    Sysv,
    Openrc,
}

pub use crate::sys::host::Init;

#[derive(Debug, Clone)]
pub struct Service {
    pub init: Init,
    pub unit: String,
}

const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

impl Service {
    pub fn detect(choice: InitChoice, rootless: bool) -> Result<Self> {
        let init = match choice {
            InitChoice::Systemd => Init::Systemd { user: rootless },
            InitChoice::Sysv => Init::Sysv,
            InitChoice::Openrc => Init::OpenRc,
            InitChoice::Auto => match crate::sys::host::Host::get().init {
                // The host's init, for this unit's scope (a user unit for rootless Docker or a user's timer).
                Some(Init::Systemd { .. }) => Init::Systemd { user: rootless },
                Some(init) => init,
                None => bail!("{}", t!("service.unknown_init")),
            },
        };
        Ok(Self {
            init,
            unit: "docker".into(),
        })
    }

    /// The same init system, another unit (containerd, crio).
    pub fn unit(mut self, unit: &str) -> Self {
        self.unit = unit.to_owned();
        self
    }

    pub async fn is_active(&self) -> bool {
        match self.init {
            Init::Systemd { .. } => self
                .systemctl(&["is-active", "--quiet", &self.unit])
                .await
                .is_ok(),
            Init::Sysv => run("service", &[&self.unit, "status"]).await.is_ok(),
            Init::OpenRc => run("rc-service", &[&self.unit, "status"]).await.is_ok(),
        }
    }

    pub fn describe_restart(&self, reload: bool) -> String {
        let verb = if reload { "reload" } else { "restart" };
        match self.init {
            Init::Systemd { user } => {
                let u = if user { " --user" } else { "" };
                if reload {
                    format!("systemctl{u} reload {}", self.unit)
                } else {
                    format!(
                        "systemctl{u} daemon-reload && systemctl{u} restart {}",
                        self.unit
                    )
                }
            }
            Init::Sysv => format!("service {} {verb}", self.unit),
            Init::OpenRc => format!("rc-service {} {verb}", self.unit),
        }
    }

    pub async fn restart(&self) -> Result<()> {
        match self.init {
            Init::Systemd { .. } => {
                self.systemctl(&["daemon-reload"]).await?;
                self.systemctl(&["restart", &self.unit]).await
            }
            Init::Sysv => run("service", &[&self.unit, "restart"]).await,
            Init::OpenRc => run("rc-service", &[&self.unit, "restart"]).await,
        }
    }

    /// SIGHUP through the unit's ExecReload: applies registry-mirrors without stopping containers.
    pub async fn reload(&self) -> Result<()> {
        match self.init {
            Init::Systemd { .. } => self.systemctl(&["reload", &self.unit]).await,
            Init::Sysv => run("service", &[&self.unit, "reload"]).await,
            Init::OpenRc => run("rc-service", &[&self.unit, "reload"]).await,
        }
    }

    /// A unit of ours (systemd only): `enable --now` after `daemon-reload`, or `disable --now` before it. Disabling
    /// a unit that is not there is not an error: it is what was wanted.
    pub async fn enable(&self, on: bool) -> Result<()> {
        if on {
            self.systemctl(&["daemon-reload"]).await?;
            self.systemctl(&["enable", "--now", &self.unit]).await
        } else {
            let _ = self.systemctl(&["disable", "--now", &self.unit]).await;
            self.systemctl(&["daemon-reload"]).await
        }
    }

    /// After a failed restart: clear systemd's "start request repeated too quickly" and start again.
    pub async fn recover(&self) -> Result<()> {
        if let Init::Systemd { .. } = self.init {
            let _ = self.systemctl(&["reset-failed", &self.unit]).await;
        }
        self.restart().await
    }

    /// The unit's ExecStart command line (systemd only), e.g. `/usr/bin/dockerd -H fd:// --containerd=...`.
    pub async fn exec_start(&self) -> Option<String> {
        let out = self
            .systemctl_output(&["show", &self.unit, "-p", "ExecStart", "--value"])
            .await?;
        Some(argv_of_exec_start(&out))
    }

    /// One property of the unit (`systemctl show docker -p NAME --value`), systemd only.
    pub async fn property(&self, name: &str) -> Option<String> {
        self.systemctl_output(&["show", &self.unit, "-p", name, "--value"])
            .await
    }

    pub async fn main_pid(&self) -> Option<u32> {
        let out = self
            .systemctl_output(&["show", &self.unit, "-p", "MainPID", "--value"])
            .await?;
        out.trim().parse().ok().filter(|p| *p > 0)
    }

    async fn systemctl(&self, args: &[&str]) -> Result<()> {
        let mut full = vec![];
        if let Init::Systemd { user: true } = self.init {
            full.push("--user");
        }
        full.extend_from_slice(args);
        run("systemctl", &full).await.with_context(|| {
            t!(
                "service.see_why",
                user = if full[0] == "--user" { " --user" } else { "" },
                unit = self.unit
            )
        })
    }

    async fn systemctl_output(&self, args: &[&str]) -> Option<String> {
        let Init::Systemd { user } = self.init else {
            return None;
        };
        let mut c = tokio::process::Command::new("systemctl");
        if user {
            c.arg("--user");
        }
        let out = tokio::time::timeout(COMMAND_TIMEOUT, c.args(args).stdin(Stdio::null()).output())
            .await
            .ok()?
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// `systemctl show -p ExecStart --value` prints `{ path=… ; argv[]=/usr/bin/dockerd -H fd:// ; ignore_errors=no ; … }`.
pub fn argv_of_exec_start(show: &str) -> String {
    match show.split_once("argv[]=") {
        Some((_, rest)) => rest.split(" ;").next().unwrap_or("").trim().to_owned(),
        None => show.trim().to_owned(),
    }
}

/// A desktop product's own command (`orb restart docker`), run as systemctl is: no shell, its stderr in the error.
pub async fn run_argv(argv: &[String]) -> Result<()> {
    let Some((program, args)) = argv.split_first() else {
        bail!("{}", t!("service.cannot_run", command = ""));
    };
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(program, &args).await
}

async fn run(program: &str, args: &[&str]) -> Result<()> {
    let shown = format!("{program} {}", args.join(" "));
    let child = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(COMMAND_TIMEOUT, child)
        .await
        .with_context(|| {
            t!(
                "service.timeout",
                command = shown,
                secs = COMMAND_TIMEOUT.as_secs()
            )
        })?
        .with_context(|| t!("service.cannot_run", command = shown))?;
    if !out.status.success() {
        // The tool's own words (the printer escapes their control characters), its last 2 KiB at most: a
        // product's CLI may print pages.
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stderr = stderr.trim();
        let start = stderr.len().saturating_sub(2048);
        let start = (start..=stderr.len())
            .find(|&i| stderr.is_char_boundary(i))
            .unwrap_or(stderr.len());
        bail!(
            "{}",
            t!(
                "service.failed",
                command = shown,
                status = out.status,
                detail = &stderr[start..]
            )
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_start_argv() {
        let show = "{ path=/usr/bin/dockerd ; argv[]=/usr/bin/dockerd -H fd:// --registry-mirror=https://a ; ignore_errors=no ; start_time=[n/a] }";
        assert_eq!(
            argv_of_exec_start(show),
            "/usr/bin/dockerd -H fd:// --registry-mirror=https://a"
        );
    }
}
