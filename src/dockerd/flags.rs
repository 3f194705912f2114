//! Where dockerd's command line comes from: the unit's ExecStart, the running process, and the options files
//! that init scripts read. Flags found here clash with daemon.json keys of the same meaning.

use rust_i18n::t;

use super::conflicts::{self, FlagSource};
use crate::sys::service::Service;

/// Every place dockerd's command line comes from.
pub async fn sources(service: Option<&Service>) -> Vec<FlagSource> {
    let etc = crate::sys::host::sysconfdir();
    let mut sources = Vec::new();
    if let Some(svc) = service {
        match svc.exec_start().await {
            Some(line) => sources.push(FlagSource {
                origin: t!("flags.exec_start", unit = svc.unit).into_owned(),
                args: conflicts::split_words(&line),
            }),
            // systemctl cannot answer: the unit file and its drop-ins on disk say what it would run.
            None if matches!(svc.init, crate::sys::service::Init::Systemd { user: false }) => {
                if let Some((line, files)) = super::unit_file::exec_start(&svc.unit) {
                    let files: Vec<String> =
                        files.iter().map(|f| f.display().to_string()).collect();
                    sources.push(FlagSource {
                        origin: t!("flags.unit_file", files = files.join(", ")).into_owned(),
                        args: conflicts::split_words(&line),
                    });
                }
            }
            None => {}
        }
        if let Some(pid) = svc.main_pid().await {
            if let Ok(raw) = std::fs::read(format!("/proc/{pid}/cmdline")) {
                let args = raw
                    .split(|b| *b == 0)
                    .filter(|a| !a.is_empty())
                    .map(|a| String::from_utf8_lossy(a).into_owned());
                sources.push(FlagSource {
                    origin: t!("flags.process", pid = pid).into_owned(),
                    args: args.collect(),
                });
            }
        }
    }
    for (file, var) in [
        ("default/docker", "DOCKER_OPTS"),
        ("sysconfig/docker", "OPTIONS"),
    ] {
        let path = etc.join(file);
        if let Ok(text) = std::fs::read_to_string(&path) {
            sources.push(FlagSource {
                origin: format!("{} ({var})", path.display()),
                args: conflicts::options_variable(&text, var),
            });
        }
    }
    sources
}
