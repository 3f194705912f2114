//! `proxy set|unset|show`: where the setting lives on this host, and the change.

use std::path::PathBuf;

use anyhow::Result;
use rust_i18n::t;

use super::Change;
use crate::cli::{self, ProxyMethod, ProxyUnit};
use crate::dockerd::options::Table;
use crate::dockerd::Version;
use crate::targets::proxy::Proxy;
use crate::ui::errors::Usage;

/// Where a proxy setting lives on this host.
pub struct ProxyPlace {
    pub unit: ProxyUnit,
    /// The unit's name: `docker`, `containerd`.
    pub service: &'static str,
    /// systemd's drop-in for the unit.
    pub dropin: PathBuf,
    /// Whether daemon.json's `proxies` is the place (dockerd 23+, or `--method daemon-json`).
    pub in_daemon_json: bool,
}

pub struct ProxyChange {
    /// `None` for unset.
    pub proxy: Option<Proxy>,
    pub place: ProxyPlace,
    pub change: Change,
}

pub struct ProxyShow {
    pub daemon_json: PathBuf,
    pub place: ProxyPlace,
    pub json: bool,
}

pub(super) fn set(a: cli::ProxySetArgs) -> Result<ProxyChange> {
    let change = change(&a.target)?;
    crate::targets::proxy::validate(&a.url)?;
    let place = place(&a.place);
    if place.in_daemon_json {
        refuse_unknown_proxies(installed_engine())?;
    }
    Ok(ProxyChange {
        proxy: Some(Proxy {
            http: Some(a.url.clone()),
            https: Some(a.url),
            no_proxy: a.no_proxy,
        }),
        place,
        change,
    })
}

pub(super) fn unset(a: cli::ProxyUnsetArgs) -> Result<ProxyChange> {
    Ok(ProxyChange {
        proxy: None,
        change: change(&a.target)?,
        place: place(&a.place),
    })
}

pub(super) fn show(a: cli::ProxyShowArgs) -> ProxyShow {
    ProxyShow {
        daemon_json: crate::sys::host::locate(a.config.as_deref()),
        place: place(&a.place),
        json: a.json,
    }
}

/// dockerd re-reads its proxy only when it starts: a reload would leave the old one live.
fn change(t: &cli::Target) -> Result<Change> {
    if t.reload {
        return Err(Usage::new(t!("proxy.no_reload")).into());
    }
    Ok(Change::lower(t))
}

fn place(place: &cli::ProxyPlace) -> ProxyPlace {
    let service = match place.unit {
        ProxyUnit::Docker => "docker",
        ProxyUnit::Containerd => "containerd",
    };
    let dir = place.systemd_dir.clone().unwrap_or_else(|| {
        if crate::sys::host::Host::get().rootless {
            dirs::config_dir().unwrap_or_default().join("systemd/user")
        } else {
            PathBuf::from("/etc/systemd/system")
        }
    });
    ProxyPlace {
        unit: place.unit,
        service,
        dropin: dir.join(format!("{service}.service.d/http-proxy.conf")),
        // daemon.json `proxies` needs Engine 23+ and only exists for dockerd; everything else is a drop-in.
        in_daemon_json: match (place.method, place.unit) {
            (_, ProxyUnit::Containerd) => false,
            (ProxyMethod::DaemonJson, _) => true,
            (ProxyMethod::Systemd, _) => false,
            (ProxyMethod::Auto, _) => installed_engine().is_some_and(knows_proxies),
        },
    }
}

/// The engine systemd (or the init script) starts: `dockerd --version` of the installed binary. `None`: no dockerd
/// here (the file may be for another machine), so nothing is assumed about it.
fn installed_engine() -> Option<Version> {
    crate::sys::host::Host::get()
        .dockerd()
        .and_then(Version::parse)
}

/// Whether this engine reads daemon.json `proxies`, as the option table says (Engine 23+).
fn knows_proxies(engine: Version) -> bool {
    Table::get().option("proxies", engine).is_some()
}

/// `--method daemon-json` on an engine that does not know `proxies`: dockerd would refuse to start on the file
/// ("the following directives don't match any configuration option: proxies") — twice, with the rollback. Said
/// before anything is written, with the way that works on that engine.
fn refuse_unknown_proxies(engine: Option<Version>) -> Result<()> {
    match engine {
        Some(v) if !knows_proxies(v) => Err(Usage {
            message: t!(
                "proxy.daemon_json_too_old",
                engine = v,
                since = Table::get()
                    .since("proxies")
                    .map_or_else(|| "23.0".to_owned(), |s| s.to_string())
            )
            .into(),
            hint: Some(t!("proxy.daemon_json_too_old_hint").into()),
        }
        .into()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daemon_json_proxies_are_refused_on_an_engine_that_does_not_know_them() {
        let v = |s| Version::parse(s);
        let e = refuse_unknown_proxies(v("20.10.24+dfsg1")).unwrap_err();
        let usage = e.downcast_ref::<Usage>().expect("a usage error (exit 2)");
        assert!(usage.message.contains("20.10"), "{}", usage.message);
        assert!(
            usage.hint.as_deref().unwrap().contains("--method systemd"),
            "{usage:?}"
        );
        assert_eq!(
            crate::ui::errors::exit_code(&e),
            crate::ui::errors::exit::USAGE
        );
        for known in ["23.0.1", "26.1.5+dfsg1", "28.5.2"] {
            assert!(refuse_unknown_proxies(v(known)).is_ok(), "{known}");
        }
        // No dockerd here: the file may be for another machine, and nothing is assumed.
        assert!(refuse_unknown_proxies(None).is_ok());
        assert!(!knows_proxies(v("20.10").unwrap()) && knows_proxies(v("23.0").unwrap()));
    }
}
