//! `proxy set|unset|show`: where the setting lives on this host, and the change.

use std::path::PathBuf;

use anyhow::Result;
use rust_i18n::t;

use super::Change;
use crate::cli::{self, ProxyMethod, ProxyUnit};
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
    Ok(ProxyChange {
        proxy: Some(Proxy {
            http: Some(a.url.clone()),
            https: Some(a.url),
            no_proxy: a.no_proxy,
        }),
        place: place(&a.place),
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
            (ProxyMethod::Auto, _) => crate::sys::host::Host::get()
                .dockerd()
                .and_then(crate::dockerd::Version::parse)
                .is_some_and(|v| v.major >= 23),
        },
    }
}
