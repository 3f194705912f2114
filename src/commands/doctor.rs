//! `mirrorctl doctor`: why pulls still go to registry-1.docker.io, or why dockerd will not start.
//! The checks are pure (facts in, findings out); `gather` is the thin shell that collects the facts.

use rust_i18n::t;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::catalogue::{validate_mirror, Catalogue, Status};
use crate::dockerd::{Stage, Version};
use crate::sys::engine::{Engine, Info};
use crate::sys::files;
use crate::sys::service::Service;
use crate::targets::docker::{self, FlagSource};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Ok,
    Warning,
    Error,
}

/// Which check a finding is from; `--json` and the text say it as the kebab-case word (`"live-drift"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckId {
    ConfigParse,
    DaemonReachable,
    LiveDrift,
    StartLimit,
    EngineDependent,
    DockerdStarts,
    MirrorClosed,
    ContainerdConfigPath,
    DockerdValidate,
    UnknownKeys,
    IgnoredKey,
    OptionValue,
    DockerdStartup,
    FlagConflict,
    MirrorUrl,
    MirrorDuplicate,
    MirrorRestricted,
    InsecureHttpMirror,
    Proxy,
    ContainersRegistriesConf,
    ImageStore,
    CertsDOverride,
    PullProof,
}

impl CheckId {
    /// Every check, for the test that the words are serde's.
    #[cfg(test)]
    const ALL: &'static [CheckId] = &[
        CheckId::ConfigParse,
        CheckId::DaemonReachable,
        CheckId::LiveDrift,
        CheckId::StartLimit,
        CheckId::EngineDependent,
        CheckId::DockerdStarts,
        CheckId::MirrorClosed,
        CheckId::ContainerdConfigPath,
        CheckId::DockerdValidate,
        CheckId::UnknownKeys,
        CheckId::IgnoredKey,
        CheckId::OptionValue,
        CheckId::DockerdStartup,
        CheckId::FlagConflict,
        CheckId::MirrorUrl,
        CheckId::MirrorDuplicate,
        CheckId::MirrorRestricted,
        CheckId::InsecureHttpMirror,
        CheckId::Proxy,
        CheckId::ContainersRegistriesConf,
        CheckId::ImageStore,
        CheckId::CertsDOverride,
        CheckId::PullProof,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::ConfigParse => "config-parse",
            CheckId::DaemonReachable => "daemon-reachable",
            CheckId::LiveDrift => "live-drift",
            CheckId::StartLimit => "start-limit",
            CheckId::EngineDependent => "engine-dependent",
            CheckId::DockerdStarts => "dockerd-starts",
            CheckId::MirrorClosed => "mirror-closed",
            CheckId::ContainerdConfigPath => "containerd-config-path",
            CheckId::DockerdValidate => "dockerd-validate",
            CheckId::UnknownKeys => "unknown-keys",
            CheckId::IgnoredKey => "ignored-key",
            CheckId::OptionValue => "option-value",
            CheckId::DockerdStartup => "dockerd-startup",
            CheckId::FlagConflict => "flag-conflict",
            CheckId::MirrorUrl => "mirror-url",
            CheckId::MirrorDuplicate => "mirror-duplicate",
            CheckId::MirrorRestricted => "mirror-restricted",
            CheckId::InsecureHttpMirror => "insecure-http-mirror",
            CheckId::Proxy => "proxy",
            CheckId::ContainersRegistriesConf => "containers-registries-conf",
            CheckId::ImageStore => "image-store",
            CheckId::CertsDOverride => "certs-d-override",
            CheckId::PullProof => "pull-proof",
        }
    }
}

impl std::fmt::Display for CheckId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// Tests (here and in sys::engine) find a check by its word.
impl PartialEq<&str> for CheckId {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub id: CheckId,
    pub severity: Severity,
    pub reason: String,
    pub fix: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct DoctorReport {
    pub config: String,
    /// The engine the verdict is for (`dockerd --version`, else the running daemon's); `None`: no dockerd found.
    pub engine: Option<String>,
    /// Whether that dockerd will start with this file (and the flags it is started with).
    pub dockerd_starts: bool,
    pub checks: Vec<Finding>,
    /// `--all-engines`: the verdict of each engine generation.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub engines: Vec<crate::dockerd::generations::Verdict>,
    /// `classic` or `containerd` (`/info` DriverStatus `driver-type`); `None`: the daemon did not answer.
    pub image_store: Option<crate::sys::engine::ImageStore>,
    /// `--pull`: which host served a pull through the daemon.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pull: Option<crate::dockerd::proof::Proof>,
}

impl DoctorReport {
    pub fn has_errors(&self) -> bool {
        self.checks.iter().any(|c| c.severity == Severity::Error)
    }
}

/// Everything the checks look at, gathered once.
pub struct Facts {
    pub path: String,
    /// `None`: no file. `Some(Err)`: unreadable.
    pub bytes: Option<Result<Vec<u8>, String>>,
    pub info: Result<Info, String>,
    pub sources: Vec<FlagSource>,
    /// systemd's `Result` of the unit (`start-limit-hit` after "start request repeated too quickly").
    pub unit_result: Option<String>,
    /// systemd's `Environment` of the unit (drop-ins with HTTP_PROXY land here).
    pub unit_environment: Option<String>,
    /// `dockerd --validate` on the file, when the installed dockerd has it.
    pub validate: Option<Result<(), String>>,
    /// The version of the dockerd that would read the file: installed, else running.
    pub engine: Option<String>,
    /// Mirrors configured for containerd and the containers family.
    pub runtimes: Vec<crate::targets::runtimes::RuntimeMirrors>,
    /// Judge the file under every engine generation too (`--all-engines`).
    pub all_engines: bool,
    /// On the containerd store: the hosts dockerd really tries for Docker Hub (certs.d may override).
    pub docker_hub_hosts: Option<crate::targets::certs_d::DockerHubHosts>,
}

pub async fn gather(s: &crate::settings::Look) -> Facts {
    let path = &s.daemon_json;
    let service = Service::detect(s.init, crate::sys::host::Host::get().rootless).ok();
    let info = match Engine::from_env() {
        Ok(e) => e.info().await.map_err(|e| format!("{e:#}")),
        Err(e) => Err(format!("{e:#}")),
    };
    let (unit_result, unit_environment) = match &service {
        Some(s) => (s.property("Result").await, s.property("Environment").await),
        None => (None, None),
    };
    let bytes = files::read(path).map_err(|e| format!("{e:#}")).transpose();
    let validate = bytes
        .as_ref()
        .and_then(|b| b.as_ref().ok())
        .and_then(|_| crate::dockerd::validate(path));
    let engine = crate::sys::host::Host::get()
        .dockerd()
        .map(str::to_owned)
        .or_else(|| {
            info.as_ref()
                .ok()
                .map(|i| i.server_version.clone())
                .filter(|v| !v.is_empty())
        });
    Facts {
        engine,
        path: path.display().to_string(),
        bytes,
        sources: crate::dockerd::flags::sources(service.as_ref()).await,
        unit_result,
        unit_environment,
        validate,
        runtimes: crate::targets::runtimes::read(&s.places),
        all_engines: s.all_engines,
        docker_hub_hosts: docker_hub_hosts(&info, &s.certs_dir),
        info,
    }
}

/// certs.d is read by dockerd on the containerd image store only.
fn docker_hub_hosts(
    info: &Result<Info, String>,
    certs_dir: &std::path::Path,
) -> Option<crate::targets::certs_d::DockerHubHosts> {
    let info = info.as_ref().ok()?;
    (info.image_store() == crate::sys::engine::ImageStore::Containerd)
        .then(|| crate::targets::certs_d::read_docker_hub(certs_dir, &info.registry_config.mirrors))
}

/// The image store, and a certs.d hosts.toml that makes dockerd ignore registry-mirrors for Docker Hub.
fn check_store(f: &Facts, out: &mut Vec<Finding>) -> Option<crate::sys::engine::ImageStore> {
    use crate::ui::output::outside;
    let store = f.info.as_ref().ok()?.image_store();
    out.push(ok(
        CheckId::ImageStore,
        t!("doctor.image_store", store = store.name()),
    ));
    if let Some(file) = f
        .docker_hub_hosts
        .as_ref()
        .and_then(|h| Some((h.file.as_deref()?, h)))
    {
        let (file, h) = file;
        out.push(finding(
            CheckId::CertsDOverride,
            Severity::Warning,
            t!(
                "doctor.certs_d_override",
                file = outside(file),
                hosts = outside(&h.hosts.join(", ")),
                ignored = outside(&h.ignored.join(", "))
            ),
            Some(t!("doctor.fix.certs_d_override", file = outside(file)).as_ref()),
        ));
    }
    Some(store)
}

fn finding(
    id: CheckId,
    severity: Severity,
    reason: impl Into<String>,
    fix: Option<&str>,
) -> Finding {
    Finding {
        id,
        severity,
        reason: reason.into(),
        fix: fix.map(str::to_owned),
    }
}

fn ok(id: CheckId, reason: impl Into<String>) -> Finding {
    finding(id, Severity::Ok, reason, None)
}

/// The checks, in the order a person would go through them.
pub fn check(f: &Facts, catalogue: &Catalogue) -> DoctorReport {
    let mut out = Vec::new();
    let map: Option<Map<String, Value>> = match &f.bytes {
        None => {
            out.push(ok(
                CheckId::ConfigParse,
                t!("doctor.no_file", path = f.path),
            ));
            Some(Map::new())
        }
        Some(Err(e)) => {
            out.push(finding(
                CheckId::ConfigParse,
                Severity::Error,
                e.clone(),
                Some(t!("doctor.fix.path").as_ref()),
            ));
            None
        }
        Some(Ok(bytes)) => match docker::parse(bytes) {
            Ok(m) => {
                out.push(ok(
                    CheckId::ConfigParse,
                    t!("doctor.valid_json", path = f.path),
                ));
                Some(m)
            }
            Err(e) => {
                // A BOM or an empty file is fine to Engine 23+; mirrorctl still will not edit it as it is.
                let lenient = f
                    .engine
                    .as_deref()
                    .and_then(Version::parse)
                    .is_some_and(|v| crate::dockerd::predict(bytes, v).starts);
                out.push(finding(
                    CheckId::ConfigParse,
                    if lenient {
                        Severity::Warning
                    } else {
                        Severity::Error
                    },
                    t!("doctor.invalid_json", path = f.path, detail = e),
                    Some(&e.hint()),
                ));
                None
            }
        },
    };
    let live = f.info.as_ref().ok();
    let table = crate::dockerd::options::Table::get();
    let engine = f
        .engine
        .as_deref()
        .and_then(Version::parse)
        .unwrap_or_else(|| table.newest());
    let prediction = match &f.bytes {
        Some(Ok(bytes)) => Some(crate::dockerd::predict(bytes, engine)),
        _ => None,
    };
    if let Some(p) = &prediction {
        check_keys(f, p, &mut out);
    }
    if let Some(map) = &map {
        check_conflicts(map, &f.sources, &mut out);
        check_mirrors(map, live, catalogue, &mut out);
        check_proxy(map, live, f.unit_environment.as_deref(), &mut out);
    }
    // What the predicted dockerd would refuse: then neither a start nor a reload is the next step, the file is.
    let refused = refused(f, prediction.as_ref());
    match (&f.info, &map) {
        (Err(e), _) => out.push(finding(
            CheckId::DaemonReachable,
            Severity::Warning,
            t!("doctor.unreachable", detail = e),
            Some(&match &refused {
                // No systemd on macOS or Windows: the engine is a desktop product's, restarted its own way.
                Some(reason) if cfg!(any(windows, target_os = "macos")) => t!(
                    "doctor.fix.reach_refused_desktop",
                    path = f.path,
                    reason = reason,
                    how = crate::sys::desktop::detect()
                        .map(|d| crate::sys::desktop::how_to_restart(&d))
                        .unwrap_or_else(|| t!("apply.desktop").into_owned())
                ),
                Some(reason) => t!("doctor.fix.reach_refused", path = f.path, reason = reason),
                None if cfg!(any(windows, target_os = "macos")) => t!("doctor.fix.reach_desktop"),
                None => t!("doctor.fix.reach"),
            }),
        )),
        (Ok(info), Some(map)) => {
            out.push(ok(CheckId::DaemonReachable, t!("doctor.reachable")));
            // As dockerd stores each (`HTTP://a` stays `HTTP://a/`), so the comparison with `docker info` is fair.
            let rules = crate::dockerd::mirror_url::Rules::of(engine);
            let file: Vec<String> = docker::mirrors_of(map)
                .iter()
                .map(|m| {
                    crate::dockerd::mirror_url::dockerd(m, rules).unwrap_or_else(|_| m.clone())
                })
                .collect();
            if info.registry_config.mirrors == file {
                out.push(ok(CheckId::LiveDrift, t!("doctor.in_sync")));
            } else {
                out.push(finding(
                    CheckId::LiveDrift,
                    Severity::Warning,
                    t!(
                        "doctor.drift",
                        live = format!("{:?}", info.registry_config.mirrors),
                        file = format!("{file:?}")
                    ),
                    Some(&match &refused {
                        Some(reason) => {
                            t!("doctor.fix.drift_refused", path = f.path, reason = reason)
                        }
                        None => t!("doctor.fix.drift"),
                    }),
                ));
            }
        }
        (Ok(_), None) => {}
    }
    check_runtimes(&f.runtimes, catalogue, &mut out);
    // systemd's own verdict: macOS and Windows have no systemd, so there is nothing to say there.
    let systemd = !cfg!(any(windows, target_os = "macos"));
    if systemd && f.unit_result.as_deref().map(str::trim) == Some("start-limit-hit") {
        out.push(finding(
            CheckId::StartLimit,
            Severity::Error,
            t!("doctor.start_limit"),
            Some(t!("doctor.fix.start_limit").as_ref()),
        ));
    } else if systemd {
        out.push(ok(CheckId::StartLimit, t!("doctor.start_ok")));
    }
    let image_store = check_store(f, &mut out);
    let starts = verdict(f, engine, prediction.as_ref(), map.as_ref(), &mut out);
    let engines = by_engine(f, &mut out);
    DoctorReport {
        config: f.path.clone(),
        engine: f.engine.clone(),
        dockerd_starts: starts,
        checks: out,
        engines,
        image_store,
        pull: None,
    }
}

/// `--pull`: the pull through the daemon as a check — a mirror served it (ok), Docker Hub served it or it
/// failed (an error, with what to do next), or what served it cannot be told (a warning that says why).
pub fn add_pull(r: &mut DoctorReport, pull: Result<crate::dockerd::proof::Proof, String>) {
    use crate::dockerd::proof::Verdict;
    use crate::ui::output::outside;
    let proof = match pull {
        Ok(proof) => proof,
        Err(e) => {
            r.checks.push(finding(
                CheckId::PullProof,
                Severity::Error,
                t!("doctor.pull_error", error = outside(&e)),
                Some(t!("doctor.fix.pull_proof").as_ref()),
            ));
            return;
        }
    };
    let mut reason = proof.reason.clone();
    if !proof.served_by.is_empty() {
        reason = format!(
            "{reason} ({})",
            t!("proof.served_by", hosts = proof.served_by.join(", "))
        );
    }
    if !proof.failed.is_empty() {
        reason = format!(
            "{reason}; {}",
            t!("proof.tried_failed", hosts = proof.failed.join(", "))
        );
    }
    if let Some(e) = &proof.error {
        reason = format!("{reason}; {}", t!("proof.error", error = e));
    }
    let (severity, fix) = match proof.verdict {
        Verdict::Mirror => (Severity::Ok, None),
        Verdict::DockerHub | Verdict::Failed => (
            Severity::Error,
            Some(t!("doctor.fix.pull_proof").into_owned()),
        ),
        Verdict::Unproven => (Severity::Warning, None),
    };
    r.checks.push(finding(
        CheckId::PullProof,
        severity,
        reason,
        fix.as_deref(),
    ));
    r.pull = Some(proof);
}

/// The first thing the predicted dockerd (or its own `--validate`) refuses in the file, with where it is.
fn refused(f: &Facts, prediction: Option<&crate::dockerd::Prediction>) -> Option<String> {
    match (prediction, &f.validate) {
        (Some(p), _) if !p.starts => p.refusals.first().map(ToString::to_string),
        (_, Some(Err(e))) => Some(e.clone()),
        _ => None,
    }
}

/// With `--all-engines`, or with no dockerd here to say which engine reads the file: whether the verdict
/// depends on the engine, and which engines refuse it.
fn by_engine(f: &Facts, out: &mut Vec<Finding>) -> Vec<crate::dockerd::generations::Verdict> {
    use crate::dockerd::generations;
    let Some(Ok(bytes)) = &f.bytes else {
        return vec![];
    };
    if !f.all_engines && f.engine.is_some() {
        return vec![];
    }
    let verdicts = generations::across(bytes);
    match generations::summary(&verdicts) {
        Some(summary) => {
            let refused = verdicts.iter().find(|v| !v.starts).expect("one refuses");
            out.push(finding(
                CheckId::EngineDependent,
                Severity::Warning,
                t!(
                    "doctor.engines.depends",
                    summary = summary,
                    engine = refused.engine,
                    reason = refused.reason.clone().unwrap_or_default()
                ),
                Some(t!("doctor.fix.engine_dependent").as_ref()),
            ));
        }
        None if f.all_engines => out.push(ok(
            CheckId::EngineDependent,
            t!(
                "doctor.engines.same",
                from = verdicts[0].engine,
                to = verdicts[verdicts.len() - 1].engine
            ),
        )),
        None => {}
    }
    if f.all_engines {
        verdicts
    } else {
        vec![]
    }
}

/// The one-line answer: will the dockerd that systemd starts accept this file? First reason wins, as in dockerd.
fn verdict(
    f: &Facts,
    engine: Version,
    prediction: Option<&crate::dockerd::Prediction>,
    map: Option<&Map<String, Value>>,
    out: &mut Vec<Finding>,
) -> bool {
    let shown = f.engine.clone().unwrap_or_else(|| engine.to_string());
    let conflicts = map.map_or_else(Vec::new, |m| {
        docker::find_conflicts(m.keys().map(String::as_str), &f.sources)
    });
    let reason = match (&f.bytes, prediction) {
        (Some(Err(e)), _) => Some(e.clone()),
        (_, Some(p)) if !p.starts => Some(p.refusals[0].to_string()),
        _ => match (&f.validate, conflicts.first()) {
            (Some(Err(e)), _) => Some(e.clone()),
            (_, Some(c)) => Some(c.to_string()),
            _ => None,
        },
    };
    if f.engine.is_none() {
        out.push(finding(
            CheckId::DockerdStarts,
            Severity::Warning,
            t!("doctor.engine_unknown", engine = engine),
            None,
        ));
    }
    match reason {
        None => {
            out.insert(
                0,
                ok(CheckId::DockerdStarts, t!("doctor.starts", engine = shown)),
            );
            true
        }
        Some(reason) => {
            out.insert(
                0,
                finding(
                    CheckId::DockerdStarts,
                    Severity::Error,
                    t!("doctor.refuses", engine = shown, reason = reason),
                    Some(t!("doctor.fix.refuses").as_ref()),
                ),
            );
            false
        }
    }
}

/// containerd and containers mirrors: closed ones, and hosts.toml files containerd's CRI plugin will not read.
fn check_runtimes(
    runtimes: &[crate::targets::runtimes::RuntimeMirrors],
    catalogue: &Catalogue,
    out: &mut Vec<Finding>,
) {
    for rt in runtimes {
        for m in &rt.mirrors {
            if let Some(entry) = catalogue
                .find_by_url(m)
                .filter(|e| e.status == Status::Closed)
            {
                out.push(finding(
                    CheckId::MirrorClosed,
                    Severity::Error,
                    t!(
                        "doctor.runtime_closed",
                        runtime = rt.runtime,
                        mirror = m,
                        registry = rt.registry,
                        file = rt.file,
                        notes = why(entry.notes_local())
                    ),
                    Some(t!("doctor.fix.runtime_closed").as_ref()),
                ));
            }
        }
        if let Some(p) = &rt.problem {
            let (id, fix) = match rt.runtime {
                "containers" => (
                    CheckId::ContainersRegistriesConf,
                    t!("doctor.fix.containers_conf"),
                ),
                _ => (CheckId::ContainerdConfigPath, t!("doctor.fix.config_path")),
            };
            out.push(finding(
                id,
                Severity::Warning,
                p.clone(),
                Some(fix.as_ref()),
            ));
        }
    }
}

fn check_keys(f: &Facts, p: &crate::dockerd::Prediction, out: &mut Vec<Finding>) {
    match &f.validate {
        Some(Err(e)) => out.push(finding(
            CheckId::DockerdValidate,
            Severity::Error,
            t!("doctor.validate_rejects", detail = e),
            Some(t!("doctor.fix.validate").as_ref()),
        )),
        Some(Ok(())) => out.push(ok(CheckId::DockerdValidate, t!("doctor.validate_ok"))),
        None => {}
    }
    let of = |stage| p.refusals.iter().filter(move |r| r.stage == stage);
    let mut unknown = of(Stage::UnknownKey).peekable();
    if unknown.peek().is_none() {
        out.push(ok(CheckId::UnknownKeys, t!("doctor.keys_ok")));
    }
    for r in unknown {
        // A key guides invent gets what to do instead; any other, the spelling advice.
        let fix = r
            .advice
            .clone()
            .unwrap_or_else(|| t!("doctor.fix.unknown_keys").into_owned());
        out.push(finding(
            CheckId::UnknownKeys,
            Severity::Error,
            r.to_string(),
            Some(&fix),
        ));
    }
    for r in &p.ignored {
        out.push(finding(
            CheckId::IgnoredKey,
            Severity::Warning,
            r.to_string(),
            Some(t!("doctor.fix.ignored").as_ref()),
        ));
    }
    let mut values = of(Stage::Value).peekable();
    if values.peek().is_none() {
        out.push(ok(CheckId::OptionValue, t!("doctor.values_ok")));
    }
    for r in values {
        out.push(finding(
            CheckId::OptionValue,
            Severity::Error,
            r.to_string(),
            Some(t!("doctor.fix.value").as_ref()),
        ));
    }
    // dockerd --validate passes these: they fail only when dockerd starts.
    for r in of(Stage::Startup) {
        out.push(finding(
            CheckId::DockerdStartup,
            Severity::Error,
            r.to_string(),
            Some(t!("doctor.fix.startup").as_ref()),
        ));
    }
}

fn check_conflicts(map: &Map<String, Value>, sources: &[FlagSource], out: &mut Vec<Finding>) {
    let conflicts = docker::find_conflicts(map.keys().map(String::as_str), sources);
    if conflicts.is_empty() {
        out.push(ok(CheckId::FlagConflict, t!("doctor.no_conflict")));
    }
    for c in conflicts {
        out.push(finding(
            CheckId::FlagConflict,
            Severity::Error,
            t!("doctor.conflict", detail = c),
            Some(t!("doctor.fix.conflict").as_ref()),
        ));
    }
}

fn check_mirrors(
    map: &Map<String, Value>,
    live: Option<&Info>,
    catalogue: &Catalogue,
    out: &mut Vec<Finding>,
) {
    let mirrors = docker::mirrors_of(map);
    let insecure: Vec<String> = match map.get("insecure-registries") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => vec![],
    };
    let engine_major: Option<u32> =
        live.and_then(|i| i.server_version.split('.').next()?.parse().ok());
    let (mut bad, mut seen, mut dup, mut cat, mut http) = (0, Vec::new(), 0, 0, 0);
    for m in &mirrors {
        let norm = match validate_mirror(m) {
            Ok(n) => n,
            // dockerd starts with it and then never pulls through it: a warning that says so, not a refusal.
            Err(e @ crate::dockerd::mirror_url::MirrorUrlError::Unusable(..)) => {
                bad += 1;
                out.push(finding(
                    CheckId::MirrorUrl,
                    Severity::Warning,
                    e.to_string(),
                    Some(t!("doctor.fix.unusable").as_ref()),
                ));
                continue;
            }
            Err(e) => {
                bad += 1;
                out.push(finding(
                    CheckId::MirrorUrl,
                    Severity::Error,
                    t!("doctor.bad_url", detail = e),
                    Some(t!("doctor.fix.url").as_ref()),
                ));
                continue;
            }
        };
        // validate_mirror checked that the probe's client parses it; no panic if that ever drifts.
        let Ok(url) = reqwest::Url::parse(&norm) else {
            continue;
        };
        if url.path() != "/" {
            bad += 1;
            match engine_major {
                Some(v) if v >= 25 => bad -= 1,
                Some(v) => out.push(finding(
                    CheckId::MirrorUrl,
                    Severity::Error,
                    t!("doctor.path_old", mirror = m, version = v),
                    Some(t!("doctor.fix.path_old").as_ref()),
                )),
                None => out.push(finding(
                    CheckId::MirrorUrl,
                    Severity::Warning,
                    t!("doctor.path_unknown", mirror = m),
                    Some(t!("doctor.fix.path_unknown").as_ref()),
                )),
            }
        }
        if seen.contains(&norm) {
            dup += 1;
            out.push(finding(
                CheckId::MirrorDuplicate,
                Severity::Warning,
                t!("doctor.duplicate", mirror = m),
                Some(t!("doctor.fix.duplicate").as_ref()),
            ));
        }
        seen.push(norm.clone());
        if let Some(entry) = catalogue.find_by_url(&norm) {
            match entry.status {
                Status::Closed => {
                    cat += 1;
                    out.push(finding(
                        CheckId::MirrorClosed,
                        Severity::Error,
                        t!(
                            "doctor.closed",
                            mirror = m,
                            notes = why(entry.notes_local())
                        ),
                        Some(t!("doctor.fix.closed").as_ref()),
                    ));
                }
                Status::Restricted => {
                    cat += 1;
                    out.push(finding(
                        CheckId::MirrorRestricted,
                        Severity::Warning,
                        t!("doctor.restricted", mirror = m, notes = entry.notes_local()),
                        Some(t!("doctor.fix.restricted").as_ref()),
                    ));
                }
                Status::Active => {}
            }
        }
        let host = url.host_str().unwrap_or_default().to_owned();
        let host_port = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.clone(),
        };
        let loopback = host == "localhost" || host.starts_with("127.") || host == "[::1]";
        if url.scheme() == "http"
            && !loopback
            && !insecure.iter().any(|i| i == &host || i == &host_port)
        {
            http += 1;
            out.push(finding(
                CheckId::InsecureHttpMirror,
                Severity::Warning,
                t!("doctor.http", mirror = m, host = host_port),
                Some(t!("doctor.fix.http").as_ref()),
            ));
        }
    }
    if bad == 0 {
        out.push(ok(CheckId::MirrorUrl, t!("doctor.urls_ok")));
    }
    if dup == 0 {
        out.push(ok(CheckId::MirrorDuplicate, t!("doctor.no_duplicate")));
    }
    if cat == 0 {
        out.push(ok(CheckId::MirrorClosed, t!("doctor.catalogue_ok")));
    }
    if http == 0 {
        out.push(ok(CheckId::InsecureHttpMirror, t!("doctor.http_ok")));
    }
}

fn check_proxy(
    map: &Map<String, Value>,
    live: Option<&Info>,
    unit_env: Option<&str>,
    out: &mut Vec<Finding>,
) {
    let mut found = Vec::new();
    if let Some(Value::Object(p)) = map.get("proxies") {
        if p.keys().any(|k| k == "http-proxy" || k == "https-proxy") {
            found.push(t!("doctor.proxy_in_json").into_owned());
        }
    }
    if let Some(env) = unit_env {
        if env.split_whitespace().any(|kv| {
            kv.to_ascii_uppercase().starts_with("HTTPS_PROXY=")
                || kv.to_ascii_uppercase().starts_with("HTTP_PROXY=")
        }) {
            found.push(t!("doctor.proxy_in_unit").into_owned());
        }
    }
    if let Some(i) = live {
        let p = [&i.https_proxy, &i.http_proxy]
            .into_iter()
            .find(|p| !p.is_empty());
        if let Some(p) = p {
            found
                .push(t!("doctor.proxy_live", proxy = crate::targets::proxy::mask(p)).into_owned());
        }
    }
    if found.is_empty() {
        out.push(ok(CheckId::Proxy, t!("doctor.no_proxy")));
    } else {
        out.push(finding(
            CheckId::Proxy,
            Severity::Warning,
            t!("doctor.proxy", places = found.join(" + ")),
            Some(t!("doctor.fix.proxy").as_ref()),
        ));
    }
}

/// How each severity reads: the word in its brackets, and its tone on a terminal.
fn mark(s: Severity) -> (&'static str, crate::ui::style::Tone) {
    use crate::ui::style::Tone;
    match s {
        Severity::Ok => ("ok  ", Tone::Good),
        Severity::Warning => ("WARN", Tone::Warn),
        Severity::Error => ("FAIL", Tone::Bad),
    }
}

/// The report on a terminal: the same marks, ids, reasons and fixes as `render`, laid out by `ui::table` so the
/// marks take their tone's colour (and nothing else does); `screen` says the width and whether colour is wanted.
pub fn painted(r: &DoctorReport, screen: crate::ui::output::Screen) -> crate::ui::output::Painted {
    use crate::ui::style::Tone;
    use crate::ui::table::Column;
    let (mut marks, mut tones, mut ids, mut texts) = (vec![], vec![], vec![], vec![]);
    for c in &r.checks {
        let (word, tone) = mark(c.severity);
        marks.push(format!("[{word}]"));
        tones.push(tone);
        ids.push(c.id.to_string());
        texts.push(c.reason.clone());
        if let Some(fix) = c.fix.as_ref().filter(|_| c.severity != Severity::Ok) {
            marks.push(String::new());
            tones.push(Tone::Plain);
            ids.push(String::new());
            texts.push(t!("show.fix", fix = fix).into_owned());
        }
    }
    crate::ui::table::render(
        &[
            Column::new("", marks).tones(tones),
            Column::new(t!("doctor.col.check"), ids),
            Column::new(t!("doctor.col.finding"), texts).free(30, crate::ui::table::ALWAYS),
        ],
        16,
        screen,
    )
}

/// Prints the report for people: on a terminal as a table with coloured marks, elsewhere as `render`'s text
/// (a pipe gets no colour and keeps its one layout).
pub fn print(p: &crate::ui::output::Printer, r: &DoctorReport) {
    let screen = p.screen();
    if screen.width.is_some() {
        p.stdout(&format!("mirrorctl doctor — {}\n", r.config));
        p.table(&painted(r, screen));
        p.stdout(&format!("{}\n", summary(r)));
    } else {
        p.stdout(&render(r, None));
    }
}

fn summary(r: &DoctorReport) -> String {
    let count = |s: Severity| r.checks.iter().filter(|c| c.severity == s).count();
    t!(
        "doctor.summary",
        errors = count(Severity::Error),
        warnings = count(Severity::Warning)
    )
    .into_owned()
}

/// The report for people, wrapped to `width` (a terminal's) with the reasons under their id.
pub fn render(r: &DoctorReport, width: Option<u16>) -> String {
    use crate::ui::text::wrap;
    let mut s = format!("mirrorctl doctor — {}\n", r.config);
    for c in &r.checks {
        let (mark, _) = mark(c.severity);
        s.push_str(&format!(
            "[{mark}] {:<22} {}\n",
            c.id,
            wrap(&c.reason, 30, 30, width)
        ));
        if let Some(fix) = c.fix.as_ref().filter(|_| c.severity != Severity::Ok) {
            s.push_str(&format!(
                "       {:<22} {}\n",
                "",
                wrap(&t!("show.fix", fix = fix), 30, 30, width)
            ));
        }
    }
    s.push_str(&format!("{}\n", summary(r)));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(config: &str) -> Facts {
        Facts {
            path: "/etc/docker/daemon.json".into(),
            bytes: Some(Ok(config.as_bytes().to_vec())),
            info: Err("not running".into()),
            sources: vec![],
            unit_result: None,
            unit_environment: None,
            validate: None,
            engine: Some("26.1.5".into()),
            runtimes: vec![],
            all_engines: false,
            docker_hub_hosts: None,
        }
    }

    #[test]
    fn the_store_and_a_docker_hub_hosts_toml_are_reported() {
        let mut f = facts("{\"registry-mirrors\": [\"https://a.example\"]}");
        let mut info: Info = serde_json::from_str(
            r#"{"DriverStatus":[["driver-type","io.containerd.snapshotter.v1"]]}"#,
        )
        .unwrap();
        info.registry_config.mirrors = vec!["https://a.example/".into()];
        f.docker_hub_hosts = Some(crate::targets::certs_d::docker_hub(
            Some((
                "/etc/docker/certs.d/docker.io/hosts.toml".into(),
                "[host.\"https://m.example\"]\n".into(),
            )),
            &info.registry_config.mirrors,
        ));
        f.info = Ok(info);
        let r = check(&f, &Catalogue::builtin());
        assert_eq!(
            r.image_store,
            Some(crate::sys::engine::ImageStore::Containerd)
        );
        let c = r
            .checks
            .iter()
            .find(|c| c.id == "certs-d-override")
            .unwrap();
        assert_eq!(c.severity, Severity::Warning);
        assert!(
            c.reason
                .contains("/etc/docker/certs.d/docker.io/hosts.toml")
                && c.reason
                    .contains("https://m.example/, https://registry-1.docker.io/")
                && c.reason.contains("[https://a.example/]"),
            "{}",
            c.reason
        );
        // No daemon: no store, no finding.
        let r = check(&facts("{}"), &Catalogue::builtin());
        assert!(r.image_store.is_none() && !r.checks.iter().any(|c| c.id == "image-store"));
    }

    fn severity(r: &DoctorReport, id: &str) -> Severity {
        r.checks
            .iter()
            .filter(|c| c.id == id)
            .map(|c| c.severity)
            .max()
            .unwrap_or_else(|| panic!("no {id}"))
    }

    #[test]
    fn a_clean_file_passes() {
        let r = check(
            &facts(
                r#"{"registry-mirrors": ["https://docker.1ms.run"], "log-driver": "json-file"}"#,
            ),
            &Catalogue::builtin(),
        );
        assert!(!r.has_errors(), "{r:?}");
        assert_eq!(severity(&r, "mirror-url"), Severity::Ok);
        assert_eq!(severity(&r, "daemon-reachable"), Severity::Warning);
    }

    #[test]
    fn marks_are_coloured_on_a_terminal_only() {
        use crate::ui::output::Screen;
        let r = check(&facts(r#"{"nosuch": 1}"#), &Catalogue::builtin());
        let colour = painted(&r, Screen::terminal(80, true));
        let plain = painted(&r, Screen::terminal(80, false));
        assert_eq!(colour.plain(), plain.plain());
        assert!(plain.plain().contains("[FAIL]") && plain.plain().contains("unknown-keys"));
        assert!(!format!("{plain:?}").contains("\\u{1b}"));
        // Red for FAIL, green for ok (comfy-table's SGR codes).
        let raw = format!("{colour:?}");
        for code in ["\\u{1b}[38;5;9m[FAIL]", "\\u{1b}[38;5;10m[ok  ]"] {
            assert!(raw.contains(code), "{code} in {raw}");
        }
        assert!(!render(&r, None).contains('\u{1b}'));
        for line in plain.plain().lines() {
            assert!(unicode_width::UnicodeWidthStr::width(line) <= 80, "{line}");
        }
    }

    #[test]
    fn check_ids_are_the_words_json_has_always_said() {
        for id in CheckId::ALL {
            assert_eq!(
                serde_json::to_value(id).unwrap(),
                serde_json::json!(id.as_str())
            );
        }
        assert_eq!(CheckId::LiveDrift.as_str(), "live-drift");
        assert_eq!(format!("{:<12}|", CheckId::Proxy), "proxy       |");
    }

    #[test]
    fn an_upper_case_scheme_starts_but_is_never_used() {
        let r = check(
            &facts(r#"{"registry-mirrors": ["HTTP://m.example"]}"#),
            &Catalogue::builtin(),
        );
        assert_eq!(severity(&r, "dockerd-starts"), Severity::Ok, "{r:?}");
        assert_eq!(severity(&r, "mirror-url"), Severity::Warning);
        let text = render(&r, None);
        assert!(
            text.contains("https://HTTP://m.example/") && text.contains("http://m.example/"),
            "{text}"
        );
    }

    fn fix(r: &DoctorReport, id: &str) -> String {
        r.checks
            .iter()
            .find(|c| c.id == id)
            .and_then(|c| c.fix.clone())
            .unwrap_or_else(|| panic!("no fix for {id}: {r:?}"))
    }

    #[test]
    fn no_reload_or_start_is_advised_on_a_file_dockerd_refuses() {
        let refused = "{\n  \"registry-mirrors\": [\"ftp://m.example\"]\n}";
        // dockerd down: fix the file (key, line, column), then start.
        let r = check(&facts(refused), &Catalogue::builtin());
        let down = fix(&r, "daemon-reachable");
        assert!(
            down.starts_with("fix /etc/docker/daemon.json first")
                && down.contains("`registry-mirrors`")
                && down.contains("line 2, column 3"),
            "{down}"
        );
        // dockerd up with other mirrors: no bare reload either.
        let mut f = facts(refused);
        f.info = Ok(Info {
            server_version: "26.1.5".into(),
            ..Default::default()
        });
        let drift = fix(&check(&f, &Catalogue::builtin()), "live-drift");
        assert!(
            drift.starts_with("fix /etc/docker/daemon.json first"),
            "{drift}"
        );
        // A file dockerd takes keeps the plain advice.
        let mut f = facts(r#"{"registry-mirrors": ["https://m.example"]}"#);
        f.info = Ok(Info::default());
        assert!(fix(&check(&f, &Catalogue::builtin()), "live-drift")
            .starts_with("sudo systemctl reload docker"));
        let r = check(&facts("{}"), &Catalogue::builtin());
        assert!(fix(&r, "daemon-reachable").starts_with("start docker"));
    }

    #[test]
    fn an_invented_key_is_named_with_what_to_do_instead() {
        let r = check(
            &facts(
                r#"{"registry-auth": {"harbor.example.com": {"username": "u", "password": "p"}}}"#,
            ),
            &Catalogue::builtin(),
        );
        let c = r.checks.iter().find(|c| c.id == "unknown-keys").unwrap();
        assert!(c.reason.contains("`registry-auth`"), "{}", c.reason);
        assert!(
            !c.reason.contains("`harbor.example.com` is not"),
            "{}",
            c.reason
        );
        assert!(c.fix.as_deref().unwrap().contains("docker login"), "{c:?}");
    }

    #[test]
    fn path_in_a_mirror_depends_on_the_engine() {
        let mut f = facts(r#"{"registry-mirrors": ["https://m.example/prefix"]}"#);
        let mut info = Info {
            server_version: "20.10.24+dfsg1".into(),
            ..Default::default()
        };
        info.registry_config.mirrors = vec!["https://m.example/prefix/".into()];
        f.info = Ok(info.clone());
        assert_eq!(
            severity(&check(&f, &Catalogue::builtin()), "mirror-url"),
            Severity::Error
        );
        info.server_version = "28.2.2".into();
        f.info = Ok(info);
        assert_eq!(
            severity(&check(&f, &Catalogue::builtin()), "mirror-url"),
            Severity::Ok
        );
    }

    #[test]
    fn proxy_passwords_are_never_printed() {
        let mut f = facts("{}");
        f.info = Ok(Info {
            https_proxy: "http://user:s3cret@proxy.corp:3128".into(),
            ..Default::default()
        });
        let r = check(&f, &Catalogue::builtin());
        let text = render(&r, None);
        assert!(
            text.contains("proxy.corp") && !text.contains("s3cret"),
            "{text}"
        );
    }
}

/// A catalogue entry's notes as the reason in a finding: ` (notes)`, or nothing when they only repeat the status
/// ("is closed (closed)", "已关闭（已关闭）") or are empty.
fn why(notes: &str) -> String {
    let n = notes.trim().trim_end_matches(['.', '。']);
    let repeats = ["closed", "restricted", "已关闭", "受限"]
        .iter()
        .any(|w| n.eq_ignore_ascii_case(w));
    if n.is_empty() || repeats {
        String::new()
    } else if &*rust_i18n::locale() == "zh-CN" {
        format!("（{n}）")
    } else {
        format!(" ({n})")
    }
}

#[cfg(test)]
mod why_tests {
    #[test]
    fn notes_that_repeat_the_status_are_not_said_twice() {
        assert_eq!(super::why("closed"), "");
        assert_eq!(super::why(" Closed. "), "");
        assert_eq!(super::why(""), "");
        assert_eq!(super::why("closed in 2024-07"), " (closed in 2024-07)");
    }
}
