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
        if let Some(line) = svc.exec_start().await {
            sources.push(FlagSource {
                origin: t!("flags.exec_start", unit = svc.unit).into_owned(),
                args: conflicts::split_words(&line),
            });
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
