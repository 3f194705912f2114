//! `mirrorctl show`: the mirrors the live daemon uses (exactly as `docker info` prints them), the mirrors the
//! file lists, where the two differ and how to fix it, and what the catalogue and the last probe know of each.

use std::path::Path;
use std::time::SystemTime;

use anyhow::Result;
use rust_i18n::t;
use serde::Serialize;

use crate::catalogue::{Catalogue, Status};
use crate::probe::Report;
use crate::sys::engine::{Engine, Info};
use crate::sys::files;
use crate::targets::docker;

#[derive(Debug, Serialize)]
pub struct ShowReport {
    pub live: Live,
    pub file: FileState,
    pub differences: Vec<Difference>,
    pub mirrors: Vec<Annotation>,
    /// containerd and podman/cri-o/skopeo mirrors, for every runtime whose files exist.
    pub runtimes: Vec<crate::targets::runtimes::RuntimeMirrors>,
    /// The runtimes' mirrors that the catalogue in use marks closed.
    pub closed_runtime_mirrors: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Live {
    pub host: String,
    pub reachable: bool,
    pub error: Option<String>,
    pub server_version: Option<String>,
    pub mirrors: Vec<String>,
    pub insecure_registries: Vec<String>,
    /// The ` Insecure Registries:` and ` Registry Mirrors:` blocks, byte for byte as `docker info` prints them.
    pub docker_info: String,
    /// `classic` or `containerd` (`/info` DriverStatus `driver-type`).
    pub image_store: Option<crate::sys::engine::ImageStore>,
    /// The hosts dockerd really tries for Docker Hub, in order: on the containerd store a certs.d hosts.toml that
    /// lists a host replaces registry-mirrors, which `docker info` still lists.
    pub mirrors_in_use: Option<crate::targets::certs_d::DockerHubHosts>,
}

#[derive(Debug, Default, Serialize)]
pub struct FileState {
    pub path: String,
    pub exists: bool,
    pub error: Option<String>,
    /// As written in the file.
    pub mirrors: Vec<String>,
    /// What the dockerd of `live.server_version` (else the newest engine) would refuse in the file, with where:
    /// then the fix of a difference is the file, not a reload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
    /// The file as read, for that prediction.
    #[serde(skip)]
    pub bytes: Option<Vec<u8>>,
}

/// How the live daemon's mirrors differ from the file's (`--json`: `"not-applied"`, `"not-in-file"`, `"order"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DifferenceKind {
    /// The file lists mirrors the daemon does not use.
    NotApplied,
    /// The daemon uses mirrors the file does not list.
    NotInFile,
    /// The same mirrors, in another order.
    Order,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Difference {
    pub kind: DifferenceKind,
    pub mirrors: Vec<String>,
    pub message: String,
    pub fix: String,
}

#[derive(Debug, Serialize)]
pub struct Annotation {
    /// dockerd's normalised form.
    pub url: String,
    pub in_live: bool,
    pub in_file: bool,
    pub catalogue: Option<CatalogueNote>,
    pub last_probe: Option<ProbeNote>,
}

#[derive(Debug, Serialize)]
pub struct CatalogueNote {
    pub name: String,
    pub status: Status,
    pub notes: String,
    pub checked: Option<String>,
    pub sources: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ProbeNote {
    pub status: String,
    pub error: Option<String>,
    pub latency_ms: Option<f64>,
    pub throughput_bps: Option<f64>,
    pub probed_at: String,
    pub age_s: Option<u64>,
}

/// Gathers the live and file states; neither failing stops the other.
pub async fn show(s: &crate::settings::Look) -> Result<ShowReport> {
    let engine = Engine::from_env()?;
    let info = engine.info().await;
    let store = info.as_ref().ok().map(Info::image_store);
    let file = read_file(&s.daemon_json);
    let mut report = build(
        &engine.host,
        info,
        file,
        &s.catalogue,
        crate::history::last_probe::load().as_ref(),
        SystemTime::now(),
    );
    report.runtimes = crate::targets::runtimes::read(&s.places);
    report.closed_runtime_mirrors = closed_of(&report.runtimes, &s.catalogue);
    in_use(&mut report.live, store, &s.certs_dir);
    Ok(report)
}

/// The runtimes' mirrors the catalogue in use (the user's file, an updated one) marks closed — as doctor judges
/// them, not by the built-in catalogue alone.
fn closed_of(runtimes: &[crate::targets::runtimes::RuntimeMirrors], c: &Catalogue) -> Vec<String> {
    runtimes
        .iter()
        .flat_map(|rt| &rt.mirrors)
        .filter(|m| c.find_by_url(m).is_some_and(|e| e.status == Status::Closed))
        .cloned()
        .collect()
}

/// What dockerd really uses for Docker Hub: certs.d decides on the containerd store only.
pub fn in_use(live: &mut Live, store: Option<crate::sys::engine::ImageStore>, certs_dir: &Path) {
    use crate::targets::certs_d;
    live.image_store = store;
    live.mirrors_in_use = store.map(|s| match s {
        crate::sys::engine::ImageStore::Containerd => {
            certs_d::read_docker_hub(certs_dir, &live.mirrors)
        }
        crate::sys::engine::ImageStore::Classic => certs_d::docker_hub(None, &live.mirrors),
    });
}

pub fn read_file(path: &Path) -> FileState {
    let mut state = FileState {
        path: path.display().to_string(),
        exists: false,
        error: None,
        mirrors: vec![],
        refused: None,
        bytes: None,
    };
    match files::read(path) {
        Ok(None) => {}
        Ok(Some(bytes)) => {
            state.exists = true;
            state.bytes = Some(bytes.clone());
            match docker::parse(&bytes) {
                Ok(map) => state.mirrors = docker::mirrors_of(&map),
                Err(e) => state.error = Some(format!("{e}")),
            }
        }
        Err(e) => {
            state.exists = path.exists();
            state.error = Some(format!("{e:#}"));
        }
    }
    state
}

/// The pure part: states in, report out.
pub fn build(
    host: &str,
    info: Result<Info>,
    file: FileState,
    catalogue: &Catalogue,
    probe: Option<&Report>,
    now: SystemTime,
) -> ShowReport {
    let live = match info {
        Ok(i) => Live {
            host: host.to_owned(),
            reachable: true,
            error: None,
            server_version: Some(i.server_version.clone()).filter(|v| !v.is_empty()),
            mirrors: i.registry_config.mirrors.clone(),
            insecure_registries: i
                .registry_config
                .index_configs
                .values()
                .filter(|x| !x.secure)
                .map(|x| x.name.clone())
                .chain(i.registry_config.insecure_registry_cidrs.iter().cloned())
                .collect(),
            docker_info: i.registry_config.as_docker_info(),
            image_store: None,
            mirrors_in_use: None,
        },
        Err(e) => Live {
            host: host.to_owned(),
            reachable: false,
            error: Some(format!("{e:#}")),
            server_version: None,
            mirrors: vec![],
            insecure_registries: vec![],
            docker_info: String::new(),
            image_store: None,
            mirrors_in_use: None,
        },
    };
    let mut file = file;
    let engine = live
        .server_version
        .as_deref()
        .and_then(crate::dockerd::Version::parse)
        .unwrap_or_else(|| crate::dockerd::options::Table::get().newest());
    file.refused = file.bytes.as_deref().and_then(|b| {
        let p = crate::dockerd::predict(b, engine);
        p.refusals
            .first()
            .filter(|_| !p.starts)
            .map(ToString::to_string)
    });
    let file_norm: Vec<String> = file.mirrors.iter().map(|m| normal(m, engine)).collect();
    let differences = if live.reachable && file.error.is_none() {
        let fix_first = file
            .refused
            .as_ref()
            .map(|r| t!("show.diff.fix_file_first", path = file.path, reason = r).into_owned());
        differences(&live.mirrors, &file_norm, fix_first.as_deref())
    } else {
        vec![]
    };
    let mut urls: Vec<String> = live.mirrors.clone();
    for m in &file_norm {
        if !urls.contains(m) {
            urls.push(m.clone());
        }
    }
    let mirrors = urls
        .into_iter()
        .map(|url| Annotation {
            in_live: live.mirrors.contains(&url),
            in_file: file_norm.contains(&url),
            catalogue: catalogue.find_by_url(&url).map(|m| CatalogueNote {
                name: m.name.clone(),
                status: m.status,
                notes: m.notes_local().to_owned(),
                checked: m.checked.clone(),
                sources: m.sources.clone(),
            }),
            last_probe: probe.and_then(|r| {
                let hit = r.results.iter().find(|x| x.url == url)?;
                Some(ProbeNote {
                    status: hit.status.to_string(),
                    error: hit.error.clone(),
                    latency_ms: hit.latency_ms,
                    throughput_bps: hit.throughput_bps,
                    probed_at: r.probed_at.clone(),
                    age_s: humantime::parse_rfc3339(&r.probed_at)
                        .ok()
                        .and_then(|t| now.duration_since(t).ok())
                        .map(|d| d.as_secs()),
                })
            }),
            url,
        })
        .collect();
    ShowReport {
        live,
        file,
        differences,
        mirrors,
        runtimes: vec![],
        closed_runtime_mirrors: vec![],
    }
}

/// A mirror as dockerd would store it (`HTTP://a` stays `HTTP://a/`, as `docker info` prints it); a URL dockerd
/// would reject stays as written (doctor reports it).
fn normal(url: &str, engine: crate::dockerd::Version) -> String {
    use crate::dockerd::mirror_url::{dockerd, Rules};
    dockerd(url, Rules::of(engine)).unwrap_or_else(|_| url.to_owned())
}

/// `fix_first`: the file would be refused, so that is the fix where a reload would be.
fn differences(live: &[String], file: &[String], fix_first: Option<&str>) -> Vec<Difference> {
    let reload = |fix: String| fix_first.map_or(fix, str::to_owned);
    let mut out = Vec::new();
    let not_applied: Vec<String> = file.iter().filter(|m| !live.contains(m)).cloned().collect();
    let not_in_file: Vec<String> = live.iter().filter(|m| !file.contains(m)).cloned().collect();
    if !not_applied.is_empty() {
        out.push(Difference {
            kind: DifferenceKind::NotApplied,
            mirrors: not_applied,
            message: t!("show.diff.not_applied").into(),
            fix: reload(t!("show.diff.not_applied_fix").into()),
        });
    }
    if !not_in_file.is_empty() {
        out.push(Difference {
            kind: DifferenceKind::NotInFile,
            mirrors: not_in_file,
            message: t!("show.diff.not_in_file").into(),
            fix: t!("show.diff.not_in_file_fix").into(),
        });
    }
    if out.is_empty() && live != file {
        out.push(Difference {
            kind: DifferenceKind::Order,
            mirrors: file.to_vec(),
            message: t!("show.diff.order").into(),
            fix: reload("sudo systemctl reload docker".into()),
        });
    }
    out
}

/// The text for people. The `docker info` lines stay exactly as docker prints them, in English.
pub fn render(r: &ShowReport) -> String {
    let mut s = String::new();
    match (&r.live.reachable, &r.live.error) {
        (true, _) => {
            let version = r
                .live
                .server_version
                .as_deref()
                .map(|v| format!(", Docker {v}"))
                .unwrap_or_default();
            s.push_str(&format!(
                "{}\n",
                t!("show.live", host = r.live.host, version = version)
            ));
            if r.live.docker_info.is_empty() {
                s.push_str(&format!(" {}\n", t!("show.live_empty")));
            } else {
                s.push_str(&r.live.docker_info);
            }
            render_store(&mut s, &r.live);
        }
        (false, e) => {
            let why = e.clone().unwrap_or_default();
            s.push_str(&format!(
                "{}\n",
                t!("show.live_down", host = r.live.host, detail = why)
            ));
        }
    }
    s.push_str(&format!("\n{}\n", t!("show.file", path = r.file.path)));
    match (&r.file.exists, &r.file.error) {
        (_, Some(e)) => s.push_str(&format!(" {}\n", t!("show.file_unreadable", detail = e))),
        (false, None) => s.push_str(&format!(" {}\n", t!("show.file_missing"))),
        (true, None) if r.file.mirrors.is_empty() => {
            s.push_str(&format!(" {}\n", t!("show.file_no_mirrors")))
        }
        (true, None) => {
            s.push_str(" registry-mirrors:\n");
            for m in &r.file.mirrors {
                s.push_str(&format!("  {m}\n"));
            }
        }
    }
    if !r.mirrors.is_empty() {
        s.push_str(&format!("\n{}\n", t!("show.known")));
        for a in &r.mirrors {
            let place = match (a.in_live, a.in_file) {
                (true, true) => t!("show.place.both"),
                (true, false) => t!("show.place.live"),
                (false, true) => t!("show.place.file"),
                (false, false) => "".into(),
            };
            let cat = match &a.catalogue {
                Some(c) => match c.status {
                    Status::Closed => t!(
                        "show.cat.closed",
                        notes = c.notes,
                        source = c.sources.first().map_or("", String::as_str)
                    ),
                    Status::Restricted => t!("show.cat.restricted", notes = c.notes),
                    Status::Active => t!("show.cat.active", name = c.name),
                },
                None => t!("show.cat.unknown"),
            };
            let probe = match &a.last_probe {
                Some(p) => {
                    let age = p
                        .age_s
                        .map(|s| {
                            t!(
                                "show.ago",
                                age = crate::ui::text::duration(std::time::Duration::from_secs(s))
                            )
                            .into_owned()
                        })
                        .unwrap_or_default();
                    match p
                        .latency_ms
                        .zip(p.throughput_bps)
                        .filter(|_| p.status == "ok")
                    {
                        Some((l, t)) => t!(
                            "show.probe_ok",
                            latency = crate::ui::text::millis(l),
                            speed = crate::ui::text::bytes(t),
                            age = age
                        ),
                        None => t!("show.probe_failed", status = p.status, age = age),
                    }
                }
                None => t!("show.never_probed"),
            };
            s.push_str(&format!("  {} [{place}] {cat}; {probe}\n", a.url));
        }
    }
    if r.differences.is_empty() && r.live.reachable && r.file.error.is_none() {
        // In sync on nothing is not news to reassure with: every pull goes to Docker Hub itself.
        let key = if r.live.mirrors.is_empty() && r.file.mirrors.is_empty() {
            "show.no_mirror"
        } else {
            "show.in_sync"
        };
        s.push_str(&format!("\n{}\n", t!(key)));
    }
    for rt in &r.runtimes {
        s.push_str(&format!(
            "\n{}\n",
            t!(
                "show.runtime",
                runtime = rt.runtime,
                registry = rt.registry,
                file = rt.file
            )
        ));
        for m in &rt.mirrors {
            let note = if r.closed_runtime_mirrors.contains(m) {
                t!("show.runtime_closed").into_owned()
            } else {
                String::new()
            };
            s.push_str(&format!("  {m}{note}\n"));
        }
        if let Some(p) = &rt.problem {
            s.push_str(&format!("  {}\n", t!("show.problem", detail = p)));
        }
    }
    for d in &r.differences {
        s.push_str(&format!(
            "\n{}\n  {}\n  {}\n",
            t!("show.difference", detail = d.message),
            d.mirrors.join(", "),
            t!("show.fix", fix = d.fix)
        ));
    }
    s
}

/// The store, and where a certs.d hosts.toml makes dockerd use other hosts than `docker info` lists.
fn render_store(s: &mut String, live: &Live) {
    use crate::ui::output::outside;
    if let Some(store) = live.image_store {
        s.push_str(&format!(
            " {}\n",
            t!(if store == crate::sys::engine::ImageStore::Containerd {
                "show.store_containerd"
            } else {
                "show.store_classic"
            })
        ));
    }
    let Some(h) = &live.mirrors_in_use else {
        return;
    };
    if let Some(file) = &h.file {
        s.push_str(&format!(
            " {}\n",
            t!("show.in_use_from", file = outside(file))
        ));
        for host in &h.hosts {
            s.push_str(&format!("  {}\n", outside(host)));
        }
        if !h.ignored.is_empty() {
            s.push_str(&format!(
                " {}\n",
                t!(
                    "show.mirrors_ignored",
                    list = outside(&h.ignored.join(", "))
                )
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(mirrors: &[&str]) -> FileState {
        FileState {
            path: "/x/daemon.json".into(),
            exists: true,
            error: None,
            mirrors: mirrors.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    fn info(mirrors: &[&str]) -> Result<Info> {
        let mut i = Info::default();
        i.registry_config.mirrors = mirrors.iter().map(|s| s.to_string()).collect();
        Ok(i)
    }

    #[test]
    fn no_mirror_anywhere_says_where_pulls_go_and_what_to_run() {
        let c = Catalogue::builtin();
        let r = build(
            "unix:///s",
            info(&[]),
            file(&[]),
            &c,
            None,
            SystemTime::now(),
        );
        let text = render(&r);
        assert!(!text.contains("exactly the mirrors"), "{text}");
        assert!(
            text.contains("registry-1.docker.io") && text.contains("`mirrorctl apply`"),
            "{text}"
        );
        let same = build(
            "unix:///s",
            info(&["https://a.example/"]),
            file(&["https://a.example"]),
            &c,
            None,
            SystemTime::now(),
        );
        assert!(render(&same).contains("exactly the mirrors"));
    }

    #[test]
    fn drift_both_ways_and_annotations() {
        let c = Catalogue::builtin();
        let r = build(
            "unix:///s",
            info(&[
                "https://docker.mirrors.ustc.edu.cn/",
                "https://flag.example/",
            ]),
            file(&["https://docker.mirrors.ustc.edu.cn", "https://new.example"]),
            &c,
            None,
            SystemTime::now(),
        );
        let kinds: Vec<_> = r.differences.iter().map(|d| d.kind).collect();
        assert_eq!(
            kinds,
            [DifferenceKind::NotApplied, DifferenceKind::NotInFile]
        );
        assert_eq!(r.differences[0].mirrors, ["https://new.example/"]);
        assert_eq!(r.differences[1].mirrors, ["https://flag.example/"]);
        let ustc = &r.mirrors[0];
        assert!(ustc.in_live && ustc.in_file);
        assert_eq!(ustc.catalogue.as_ref().unwrap().status, Status::Closed);
        let text = render(&r);
        assert!(
            text.contains("CLOSED")
                && text.contains("unknown to the catalogue")
                && text.contains("fix: sudo systemctl reload docker"),
            "{text}"
        );
    }

    #[test]
    fn a_runtimes_mirror_is_closed_by_the_catalogue_in_use() {
        let rt = crate::targets::runtimes::RuntimeMirrors {
            runtime: "containerd",
            file: "/etc/containerd/certs.d/docker.io/hosts.toml".into(),
            registry: "docker.io".into(),
            mirrors: vec!["https://mine.example/".into()],
            problem: None,
        };
        let mut c = Catalogue::builtin();
        assert!(closed_of(std::slice::from_ref(&rt), &c).is_empty());
        c.add_url("https://mine.example/", "docker.io").unwrap();
        c.mirrors.last_mut().unwrap().status = Status::Closed;
        assert_eq!(closed_of(&[rt], &c), ["https://mine.example/"]);
    }

    #[test]
    fn a_hosts_toml_for_docker_hub_is_what_pulls_use() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("docker.io")).unwrap();
        let hosts = d.path().join("docker.io/hosts.toml");
        std::fs::write(
            &hosts,
            crate::targets::containerd::hosts_toml("docker.io", &["http://127.0.0.1:5000/".into()]),
        )
        .unwrap();
        let mut r = build(
            "unix:///s",
            info(&["https://a.example/"]),
            file(&["https://a.example"]),
            &Catalogue::builtin(),
            None,
            SystemTime::now(),
        );
        in_use(
            &mut r.live,
            Some(crate::sys::engine::ImageStore::Containerd),
            d.path(),
        );
        let h = r.live.mirrors_in_use.as_ref().unwrap();
        assert_eq!(
            h.hosts,
            ["http://127.0.0.1:5000/", "https://registry-1.docker.io/"]
        );
        assert_eq!(h.ignored, ["https://a.example/"]);
        let text = render(&r);
        assert!(
            text.contains(&hosts.display().to_string())
                && text.contains("  http://127.0.0.1:5000/\n"),
            "{text}"
        );
        // The classic store never reads certs.d.
        in_use(
            &mut r.live,
            Some(crate::sys::engine::ImageStore::Classic),
            d.path(),
        );
        let h = r.live.mirrors_in_use.as_ref().unwrap();
        assert_eq!(
            h.hosts,
            ["https://a.example/", "https://registry-1.docker.io/"]
        );
        assert!(h.file.is_none());
    }

    #[test]
    fn a_file_dockerd_refuses_is_the_fix_not_a_reload() {
        let mut f = file(&["https://a.example", "https://b.example"]);
        f.bytes = Some(
            b"{\"registry-mirrors\": [\"https://a.example\", \"https://b.example\"],\n \"registry-auth\": {\"h\": {}}}"
                .to_vec(),
        );
        let r = build(
            "unix:///s",
            info(&["https://b.example/", "https://a.example/"]),
            f,
            &Catalogue::builtin(),
            None,
            SystemTime::now(),
        );
        assert_eq!(r.differences[0].kind, DifferenceKind::Order);
        let fix = &r.differences[0].fix;
        assert!(
            fix.starts_with("fix /x/daemon.json first")
                && fix.contains("`registry-auth`")
                && fix.contains("line 2, column 2"),
            "{fix}"
        );
        assert!(r.file.refused.is_some());
    }

    #[test]
    fn an_upper_case_scheme_is_compared_as_dockerd_stores_it() {
        let r = build(
            "unix:///s",
            info(&["HTTP://a.example/"]),
            file(&["HTTP://a.example"]),
            &Catalogue::builtin(),
            None,
            SystemTime::now(),
        );
        assert!(r.differences.is_empty(), "{:?}", r.differences);
    }

    #[test]
    fn an_unreachable_daemon_still_shows_the_file() {
        let r = build(
            "unix:///s",
            Err(anyhow::anyhow!("permission denied")),
            file(&["https://a.example"]),
            &Catalogue::builtin(),
            None,
            SystemTime::now(),
        );
        assert!(!r.live.reachable && r.differences.is_empty());
        let text = render(&r);
        assert!(
            text.contains("not reachable — permission denied")
                && text.contains("  https://a.example\n"),
            "{text}"
        );
    }
}
