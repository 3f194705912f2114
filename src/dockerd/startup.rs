//! What dockerd checks while it starts, after daemon.json was read well (`startup.toml`, read from moby at the
//! tags it names), and the checks of the file that 20.10, which has no `--validate`, makes only while it starts.
//! Each rule answers with dockerd's own words, so a user can find them in `journalctl -u docker`. Pure but for
//! two looks at this machine that dockerd itself makes: a seccomp profile's path and the userns-remap user.

use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::options::Version;
use super::predict::Stage;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    /// Provenance, shown to no one.
    #[allow(dead_code)]
    read_from: Vec<String>,
    log: Log,
    log_driver: Vec<Driver>,
    log_key: Vec<Versioned>,
    log_values: LogValues,
    runtimes: Runtimes,
    storage_key: Vec<Versioned>,
    storage_driver: Vec<StorageDriver>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StorageDriver {
    name: String,
    until: Option<Version>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Log {
    builtin: Vec<String>,
    modes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Driver {
    name: String,
    keys: Vec<String>,
}

/// A key one driver takes only in some releases.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Versioned {
    driver: String,
    name: String,
    since: Option<Version>,
    until: Option<Version>,
    /// The one value dockerd takes, when it takes only one.
    value: Option<String>,
}

impl Versioned {
    fn known(&self, engine: Version) -> bool {
        self.since.is_none_or(|s| engine >= s) && self.until.is_none_or(|u| engine <= u)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LogValues {
    syslog_facilities: Vec<String>,
    syslog_formats: Vec<String>,
    syslog_schemes: Vec<String>,
    gelf_compression_types: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Runtimes {
    reserved: Vec<String>,
    stock: Vec<String>,
    containerd_names_since: Version,
    shape_since: Version,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        toml::from_str(include_str!("startup.toml")).expect("startup.toml is valid")
    })
}

/// A refusal: the stage, the top-level key at fault and dockerd's words.
pub type Found = (Stage, &'static str, String);

/// Every check below that `map` fails on `engine`.
pub fn check(map: &Map<String, Value>, engine: Version) -> Vec<Found> {
    let mut out = Vec::new();
    read_checks(map, &mut out);
    log(map, engine, &mut out);
    runtimes(map, engine, &mut out);
    registries(map, engine, &mut out);
    storage(map, engine, &mut out);
    seccomp(map, engine, &mut out);
    builder(map, engine, &mut out);
    if let Some(Value::Array(opts)) = map.get("exec-opts") {
        for o in opts.iter().filter_map(Value::as_str) {
            if let Some((k, v)) = o.split_once('=') {
                let k = k.trim().to_ascii_lowercase();
                let v = v.trim();
                if k == "native.cgroupdriver" && v != "cgroupfs" && v != "systemd" {
                    let said = format!("native.cgroupdriver option {v} not supported");
                    out.push((Stage::Startup, "exec-opts", said));
                }
            }
        }
    }
    out
}

fn strs<'a>(map: &'a Map<String, Value>, key: &str) -> Vec<&'a str> {
    match map.get(key) {
        Some(Value::Array(a)) => a.iter().map(|v| v.as_str().unwrap_or_default()).collect(),
        _ => vec![],
    }
}

fn str_of<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    map.get(key).and_then(Value::as_str)
}

/// daemon/config Validate and ValidatePlatformConfig: what 26 and later refuse at `--validate` and 20.10 only
/// while it starts (the same rules at every tag read).
fn read_checks(map: &Map<String, Value>, out: &mut Vec<Found>) {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for label in strs(map, "labels") {
        let lower = label.to_ascii_lowercase();
        if ["com.docker.", "io.docker.", "org.dockerproject."]
            .iter()
            .any(|p| lower.starts_with(p))
        {
            out.push((Stage::Value, "labels", format!("label {label} is not allowed: the namespaces com.docker.*, io.docker.*, and org.dockerproject.* are reserved for internal use")));
        }
        if let Some((k, v)) = label.split_once('=') {
            if let Some((_, old)) = seen.iter().find(|(key, old)| *key == k && *old != v) {
                out.push((
                    Stage::Value,
                    "labels",
                    format!("conflict labels for {k}={v} and {k}={old}"),
                ));
            }
            seen.push((k, v));
        }
    }
    for d in strs(map, "dns-search") {
        if !valid_dns_search(d) {
            out.push((
                Stage::Value,
                "dns-search",
                format!("{d} is not a valid domain"),
            ));
        }
    }
    if let Some(m) = str_of(map, "default-ipc-mode") {
        if !["", "private", "shareable"].contains(&m) {
            out.push((
                Stage::Value,
                "default-ipc-mode",
                format!(
                    "default IPC mode setting ({m}) is invalid; use \"shareable\" or \"private\""
                ),
            ));
        }
    }
    if let Some(m) = str_of(map, "default-cgroupns-mode") {
        if !["", "private", "host"].contains(&m) {
            out.push((
                Stage::Value,
                "default-cgroupns-mode",
                format!(
                    "default cgroup namespace mode ({m}) is invalid; use \"host\" or \"private\""
                ),
            ));
        }
    }
    for r in strs(map, "node-generic-resources") {
        if !r.contains('=') {
            out.push((
                Stage::Value,
                "node-generic-resources",
                format!("invalid node-generic-resource format `{r}` expected `name=value`"),
            ));
        }
    }
    for h in strs(map, "hosts") {
        let h = h.trim();
        if let Some((scheme, _)) = h.split_once("://") {
            if !["tcp", "unix", "fd", "npipe", "ssh"].contains(&scheme) {
                out.push((
                    Stage::Value,
                    "hosts",
                    format!("Invalid bind address format: {h}"),
                ));
            }
        }
    }
    if let Some(user) = str_of(map, "userns-remap") {
        let name = user.split(':').next().unwrap_or_default();
        if !name.is_empty() && name != "default" && !user_exists(name) {
            out.push((
                Stage::Startup,
                "userns-remap",
                format!("Can't create ID mappings: no such user: {name}"),
            ));
        }
    }
}

/// opts.ValidateDNSSearch: a domain of letters, digits and inner hyphens, or ".".
fn valid_dns_search(d: &str) -> bool {
    let d = d.trim_matches(' ');
    if d == "." {
        return true;
    }
    let d = d.trim_end();
    let d = d.strip_suffix('.').unwrap_or(d);
    d.chars().any(|c| c.is_ascii_alphabetic())
        && d.len() < 255
        && d.split('.').all(domain_component)
}

fn domain_component(c: &str) -> bool {
    !c.is_empty()
        && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
        && !c.starts_with('-')
        && !c.ends_with('-')
}

fn user_exists(name: &str) -> bool {
    if name.parse::<u32>().is_ok() {
        return true; // a uid: dockerd looks it up too, but any number may be meant for subuid ranges
    }
    std::fs::read_to_string("/etc/passwd")
        .map(|p| p.lines().any(|l| l.split(':').next() == Some(name)))
        .unwrap_or(true) // cannot tell: say nothing
}

/// daemon/logger: ValidateLogOpts, run at start only when log-opts has entries.
fn log(map: &Map<String, Value>, engine: Version, out: &mut Vec<Found>) {
    let t = table();
    let driver = str_of(map, "log-driver").unwrap_or("json-file");
    let Some(Value::Object(opts)) = map.get("log-opts") else {
        return;
    };
    if opts.is_empty() || driver == "none" {
        return;
    }
    let opt = |k: &str| opts.get(k).and_then(Value::as_str).unwrap_or_default();
    let mut say = |s: String| out.push((Stage::Startup, "log-opts", s));
    let mode = opt("mode");
    if !mode.is_empty() && !t.log.modes.iter().any(|m| m == mode) {
        return say(format!("logger: logging mode not supported: {mode}"));
    }
    if opts.contains_key("max-buffer-size") {
        if mode != "non-blocking" {
            return say(
                "logger: max-buffer-size option is only supported with 'mode=non-blocking'".into(),
            );
        }
        if super::predict::mem_bytes(opt("max-buffer-size")).is_none() {
            return say("error parsing option max-buffer-size".into());
        }
    }
    let cache = opt("cache-disabled");
    if !cache.is_empty() && go_bool(cache).is_none() {
        return say(format!("invalid value for option cache-disabled: {cache}"));
    }
    let Some(known) = t.log_driver.iter().find(|d| d.name == driver) else {
        if !["awslogs", "splunk", "gcplogs", "logentries", "etwlogs"].contains(&driver) {
            say(format!(
                "error looking up logging plugin {driver}: plugin \"{driver}\" not found"
            ));
        }
        return; // a driver whose options are not in the table: not judged
    };
    let takes = |k: &str| {
        known.keys.iter().any(|x| x == k)
            || t.log_key
                .iter()
                .any(|v| v.driver == driver && v.name == k && v.known(engine))
    };
    let mut own: Vec<&String> = opts.keys().filter(|k| !t.log.builtin.contains(k)).collect();
    own.sort();
    if driver == "gelf" {
        return gelf(opts, &own, &takes, say);
    }
    if let Some(k) = own.iter().find(|k| !takes(k)) {
        return say(format!("unknown log opt '{k}' for {driver} log driver"));
    }
    if driver == "syslog" {
        let v = &t.log_values;
        let address = opt("syslog-address");
        if let Some((scheme, _)) = address.split_once("://") {
            if !v.syslog_schemes.iter().any(|s| s == scheme) {
                return say(format!("unsupported scheme: '{scheme}'"));
            }
        } else if !address.is_empty() {
            return say(format!(
                "syslog-address should be in form proto://address, got {address}"
            ));
        }
        let facility = opt("syslog-facility");
        let numeric = facility.parse::<u8>().is_ok_and(|n| n <= 23);
        if !facility.is_empty() && !numeric && !v.syslog_facilities.iter().any(|f| f == facility) {
            return say("invalid syslog facility".into());
        }
        let format = opt("syslog-format");
        if !format.is_empty() && !v.syslog_formats.iter().any(|f| f == format) {
            say("Invalid syslog format".into());
        }
    }
}

/// gelf.go ValidateLogOpt: the address first, then each key against the address's protocol.
fn gelf(
    opts: &Map<String, Value>,
    own: &[&String],
    takes: &dyn Fn(&str) -> bool,
    mut say: impl FnMut(String),
) {
    let opt = |k: &str| opts.get(k).and_then(Value::as_str).unwrap_or_default();
    let address = opt("gelf-address");
    if address.is_empty() {
        return say("gelf-address is a required parameter".into());
    }
    let Some((scheme, rest)) = address.split_once("://") else {
        return say(format!(
            "gelf-address should be in form proto://address, got {address}"
        ));
    };
    if scheme != "udp" && scheme != "tcp" {
        return say("gelf: endpoint needs to be TCP or UDP".into());
    }
    let host = rest.split('/').next().unwrap_or_default();
    let has_port = host
        .rsplit_once(':')
        .is_some_and(|(h, p)| !h.is_empty() && !p.is_empty() && !h.ends_with(':'));
    if !has_port {
        return say("gelf: please provide gelf-address as proto://host:port".into());
    }
    let types = &table().log_values.gelf_compression_types;
    for k in own {
        let v = opt(k);
        match k.as_str() {
            "gelf-compression-level" | "gelf-compression-type" if scheme != "udp" => {
                return say("compression is only supported on UDP".into())
            }
            "gelf-compression-level" if !v.parse::<i32>().is_ok_and(|n| (-1..=9).contains(&n)) => {
                return say(format!(
                    "unknown value \"{v}\" for log opt \"{k}\" for gelf log driver"
                ))
            }
            "gelf-compression-type" if !types.iter().any(|t| t == v) => {
                return say(format!(
                    "unknown value \"{v}\" for log opt \"{k}\" for gelf log driver"
                ))
            }
            "gelf-tcp-max-reconnect" | "gelf-tcp-reconnect-delay" if scheme != "tcp" => {
                return say(format!("\"{k}\" is only valid for TCP"))
            }
            "gelf-tcp-max-reconnect" | "gelf-tcp-reconnect-delay"
                if !v.parse::<i64>().is_ok_and(|n| n >= 0) =>
            {
                return say(format!("\"{k}\" must be a positive integer"))
            }
            _ if !takes(k) => return say(format!("unknown log opt \"{k}\" for gelf log driver")),
            _ => {}
        }
    }
}

/// Go's strconv.ParseBool.
fn go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Go decodes JSON keys into struct fields case-insensitively.
fn field<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn runtimes(map: &Map<String, Value>, engine: Version, out: &mut Vec<Found>) {
    let t = &table().runtimes;
    let configured = match map.get("runtimes") {
        Some(Value::Object(r)) => r.clone(),
        _ => Map::new(),
    };
    for reserved in &t.reserved {
        if configured.contains_key(reserved) {
            out.push((
                Stage::Startup,
                "runtimes",
                format!("runtime name '{reserved}' is reserved"),
            ));
        }
    }
    if let Some(d) = str_of(map, "default-runtime").filter(|d| !d.is_empty()) {
        // isPermissibleC8dRuntimeName: containerd resolves such a name to a shim on PATH itself.
        let containerd_name = engine >= t.containerd_names_since
            && d.contains('.')
            && !d.contains('/')
            && !d.starts_with('.');
        if !t.stock.iter().any(|s| s == d) && !configured.contains_key(d) && !containerd_name {
            out.push((
                Stage::Startup,
                "default-runtime",
                format!("specified default runtime '{d}' does not exist"),
            ));
        }
    }
    if engine < t.shape_since {
        return;
    }
    for (name, rt) in &configured {
        let Value::Object(rt) = rt else { continue };
        let text = |k: &str| field(rt, k).and_then(Value::as_str).unwrap_or_default();
        let filled = |k: &str| match field(rt, k) {
            Some(Value::Object(o)) => !o.is_empty(),
            Some(Value::Array(a)) => !a.is_empty(),
            _ => false,
        };
        let (path, kind) = (text("path"), text("runtimeType"));
        let said = if path.is_empty() && kind.is_empty() {
            "either a runtimeType or a path must be configured"
        } else if !path.is_empty() && !kind.is_empty() {
            "cannot configure both path and runtimeType for the same runtime"
        } else if !path.is_empty() && filled("options") {
            "options cannot be used with a path runtime"
        } else if path.is_empty() && filled("runtimeArgs") {
            "args cannot be used with a runtimeType runtime"
        } else {
            continue;
        };
        out.push((
            Stage::Startup,
            "runtimes",
            format!("runtime {name}: {said}"),
        ));
    }
}

/// registry/config.go: loadInsecureRegistries and loadAllowNondistributableArtifacts (gone in 28.0, which
/// accepts the key and ignores it).
fn registries(map: &Map<String, Value>, engine: Version, out: &mut Vec<Found>) {
    let ipv6_brackets = engine
        >= Version {
            major: 24,
            minor: 0,
        };
    for r in strs(map, "insecure-registries") {
        let said = if r.starts_with('-') || r.ends_with('-') {
            Some(format!(
                "invalid index name ({r}). Cannot begin or end with a hyphen"
            ))
        } else {
            let lower = r.to_ascii_lowercase();
            let bare = if lower.starts_with("http://") {
                &r[7..]
            } else if lower.starts_with("https://") {
                &r[8..]
            } else {
                r
            };
            if bare.contains("://") {
                Some(format!("insecure registry {r} should not contain '://'"))
            } else {
                host_or_cidr(bare, ipv6_brackets)
                    .map(|e| format!("insecure registry {bare} is not valid: {e}"))
            }
        };
        if let Some(said) = said {
            out.push((Stage::Startup, "insecure-registries", said));
        }
    }
    if engine
        >= (Version {
            major: 28,
            minor: 0,
        })
    {
        return;
    }
    for r in strs(map, "allow-nondistributable-artifacts") {
        let said = if r.starts_with('-') || r.ends_with('-') {
            Some(format!(
                "invalid index name ({r}). Cannot begin or end with a hyphen"
            ))
        } else if r.contains("://") {
            Some(format!(
                "allow-nondistributable-artifacts registry {r} should not contain '://'"
            ))
        } else {
            host_or_cidr(r, ipv6_brackets)
                .map(|e| format!("allow-nondistributable-artifacts registry {r} is not valid: {e}"))
        };
        if let Some(said) = said {
            out.push((Stage::Startup, "allow-nondistributable-artifacts", said));
        }
    }
}

/// A CIDR (net.ParseCIDR), else validateHostPort: the reference package's domain[:port], or an IP and a port.
fn host_or_cidr(s: &str, ipv6_brackets: bool) -> Option<String> {
    if let Some((ip, bits)) = s.split_once('/') {
        let max = match ip.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V4(_)) => 32,
            Ok(std::net::IpAddr::V6(_)) => 128,
            Err(_) => 0,
        };
        if max > 0
            && bits.chars().all(|c| c.is_ascii_digit())
            && bits.parse::<u32>().is_ok_and(|b| b <= max)
        {
            return None;
        }
    }
    // net.SplitHostPort, else the whole string is the host.
    let (host, port) = split_host_port(s).unwrap_or((s, ""));
    if !domain_and_port(s, ipv6_brackets) && host.parse::<std::net::IpAddr>().is_err() {
        return Some(format!("invalid host \"{host}\""));
    }
    if !port.is_empty() {
        match port.parse::<i64>() {
            Err(_) => return Some(format!("strconv.Atoi: parsing \"{port}\": invalid syntax")),
            Ok(p) if !(0..=65535).contains(&p) => return Some(format!("invalid port \"{port}\"")),
            Ok(_) => {}
        }
    }
    None
}

fn split_host_port(s: &str) -> Option<(&str, &str)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return Some((host, after.strip_prefix(':')?));
    }
    let (host, port) = s.rsplit_once(':')?;
    (!host.contains(':')).then_some((host, port))
}

/// distribution/reference DomainRegexp, anchored: components of letters, digits and inner hyphens joined by
/// dots (or, from 24.0, an IPv6 address in brackets), then an optional `:digits`.
fn domain_and_port(s: &str, ipv6_brackets: bool) -> bool {
    let (host, port) = match s.rfind(':') {
        Some(i) if !s[..i].ends_with(':') && (!s.starts_with('[') || s[..i].ends_with(']')) => {
            (&s[..i], Some(&s[i + 1..]))
        }
        _ => (s, None),
    };
    if port.is_some_and(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_digit())) {
        return false;
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return ipv6_brackets
            && !inner.is_empty()
            && inner.chars().all(|c| c.is_ascii_hexdigit() || c == ':');
    }
    !host.is_empty() && host.split('.').all(domain_component)
}

/// daemon/graphdriver/<driver>: the storage options of the driver the file names.
fn storage(map: &Map<String, Value>, engine: Version, out: &mut Vec<Found>) {
    let Some(driver) = str_of(map, "storage-driver") else {
        return; // the driver dockerd will pick is not in the file: not judged
    };
    let snapshotter = matches!(map.get("features"), Some(Value::Object(f))
        if f.get("containerd-snapshotter").and_then(Value::as_bool) == Some(true));
    let registered = table()
        .storage_driver
        .iter()
        .any(|d| d.name == driver && d.until.is_none_or(|u| engine <= u));
    if !driver.is_empty() && !snapshotter && !registered {
        out.push((
            Stage::Startup,
            "storage-driver",
            format!("error initializing graphdriver: driver not supported: {driver}"),
        ));
        return;
    }
    let keys: Vec<&Versioned> = table()
        .storage_key
        .iter()
        .filter(|k| k.driver == driver)
        .collect();
    if keys.is_empty() {
        return; // a driver the table does not hold
    }
    for opt in strs(map, "storage-opts") {
        let Some((k, v)) = opt.split_once('=') else {
            out.push((
                Stage::Startup,
                "storage-opts",
                format!("error initializing graphdriver: unable to parse key/value option: {opt}"),
            ));
            continue;
        };
        let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
        match keys.iter().find(|x| x.name == k && x.known(engine)) {
            None => {
                let said = if driver == "overlay2" {
                    format!("overlay2: unknown option {k}")
                } else {
                    format!("unknown option {k} for {driver}")
                };
                out.push((
                    Stage::Startup,
                    "storage-opts",
                    format!("error initializing graphdriver: {said}"),
                ));
            }
            Some(x) if x.value.as_deref().is_some_and(|only| only != v) => {
                out.push((Stage::Startup, "storage-opts", format!("error initializing graphdriver: do not set the {k} option unless you are willing to accept the consequences")));
            }
            Some(_) => {}
        }
    }
}

/// daemon/seccomp_linux.go: a profile is a path to read, except the words 23.0 gave meaning to.
fn seccomp(map: &Map<String, Value>, engine: Version, out: &mut Vec<Found>) {
    let Some(p) = str_of(map, "seccomp-profile").filter(|p| !p.is_empty()) else {
        return;
    };
    if engine
        >= (Version {
            major: 23,
            minor: 0,
        })
        && (p == "builtin" || p == "unconfined")
    {
        return;
    }
    if std::fs::metadata(p).is_err() {
        out.push((
            Stage::Startup,
            "seccomp-profile",
            format!("opening seccomp profile ({p}) failed: open {p}: no such file or directory"),
        ));
    }
}

/// builder/builder-next/controller.go getGCPolicy: sizes are parsed while dockerd starts buildkit. Before 28.0
/// each policy needs a `keepStorage` (an empty one is no size); 28.0 reads `reservedSpace`, `maxUsedSpace`,
/// `minFreeSpace` (keepStorage as a name for reservedSpace) and garbage-collects unless `enabled` is false.
fn builder(map: &Map<String, Value>, engine: Version, out: &mut Vec<Found>) {
    let Some(Value::Object(b)) = map.get("builder") else {
        return;
    };
    let Some(Value::Object(gc)) = field(b, "gc") else {
        return;
    };
    let new = engine
        >= (Version {
            major: 28,
            minor: 0,
        });
    let enabled = field(gc, "enabled").and_then(Value::as_bool);
    if !(if new {
        enabled != Some(false)
    } else {
        enabled == Some(true)
    }) {
        return;
    }
    let text = |o: &Map<String, Value>, k: &str| {
        field(o, k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let mut bad = |what: String| {
        out.push((
            Stage::Startup,
            "builder",
            format!("error initializing buildkit: could not get builder GC policy: {what}"),
        ))
    };
    let size = |s: &str| super::predict::mem_bytes(s).is_some();
    let policy: Vec<Map<String, Value>> = match field(gc, "policy") {
        Some(Value::Array(p)) => p.iter().filter_map(|v| v.as_object().cloned()).collect(),
        _ => vec![],
    };
    if new {
        let keys = ["reservedSpace", "maxUsedSpace", "minFreeSpace"];
        if policy.is_empty() {
            for k in keys {
                let mut v = text(gc, &format!("default{k}"));
                if k == "reservedSpace" && v.is_empty() {
                    v = text(gc, "defaultKeepStorage");
                }
                if !v.is_empty() && !size(&v) {
                    return bad(format!(
                        "failed to parse default{}: invalid size: '{v}'",
                        k.to_uppercase()
                    ));
                }
            }
        }
        for p in &policy {
            for k in keys {
                let mut v = text(p, k);
                if k == "reservedSpace" && v.is_empty() {
                    v = text(p, "keepStorage");
                }
                if !v.is_empty() && !size(&v) {
                    return bad(format!("failed to parse {k}: invalid size: '{v}'"));
                }
            }
        }
    } else {
        let default = text(gc, "defaultKeepStorage");
        if !default.is_empty() && !size(&default) {
            return bad(format!(
                "could not parse '{default}' as Builder.GC.DefaultKeepStorage config"
            ));
        }
        for p in &policy {
            let v = text(p, "keepStorage");
            if !size(&v) {
                return bad(format!("invalid size: '{v}' (every builder.gc.policy item needs keepStorage before Engine 28)"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(json: &str, engine: &str) -> Vec<String> {
        let map: Map<String, Value> = serde_json::from_str(json).unwrap();
        check(&map, Version::parse(engine).unwrap())
            .into_iter()
            .map(|(_, _, said)| said)
            .collect()
    }

    #[test]
    fn rules_that_came_and_went_between_releases() {
        let fluentd = |key: &str| {
            format!(
                r#"{{"log-driver": "fluentd", "log-opts": {{"fluentd-address": "127.0.0.1:24224", "{key}": "1s"}}}}"#
            )
        };
        let starts = |json: &str, engine: &str| refused(json, engine).is_empty();
        let gone = fluentd("fluentd-async-connect");
        assert!(starts(&gone, "20.10") && starts(&gone, "27.5") && !starts(&gone, "28.0"));
        let new = fluentd("fluentd-write-timeout");
        assert!(!starts(&new, "28.1") && starts(&new, "28.2"));
        let runtime = r#"{"runtimes": {"crun": {}}}"#;
        assert!(starts(runtime, "20.10") && !starts(runtime, "24.0"));
        let default = r#"{"default-runtime": "io.containerd.runsc.v1"}"#;
        assert!(!starts(default, "24.0") && starts(default, "25.0"));
        let xattrs =
            r#"{"storage-driver": "vfs", "storage-opts": ["vfs.xattrs=i_want_broken_containers"]}"#;
        assert!(!starts(xattrs, "24.0") && starts(xattrs, "25.0"));
        let kernel = r#"{"storage-driver": "overlay2", "storage-opts": ["overlay2.override_kernel_check=1"]}"#;
        assert!(starts(kernel, "23.0") && !starts(kernel, "24.0"));
        let seccomp = r#"{"seccomp-profile": "builtin"}"#;
        assert!(!starts(seccomp, "20.10") && starts(seccomp, "23.0"));
        let gc = r#"{"builder": {"gc": {"enabled": true, "policy": [{"reservedSpace": "5GB"}]}}}"#;
        assert!(!starts(gc, "27.5") && starts(gc, "28.0"));
        let nondist = r#"{"allow-nondistributable-artifacts": ["http://10.0.0.5:5000"]}"#;
        assert!(!starts(nondist, "27.5") && starts(nondist, "28.0"));
    }

    #[test]
    fn dockerds_own_words() {
        for (json, said) in [
            (
                r#"{"insecure-registries": ["10.0.0.5:70000"]}"#,
                "insecure registry 10.0.0.5:70000 is not valid: invalid port \"70000\"",
            ),
            (
                r#"{"insecure-registries": ["[fd00::]/64"]}"#,
                "invalid host \"[fd00::]/64\"",
            ),
            (
                r#"{"insecure-registries": ["10.0.0.5:5000/v2"]}"#,
                "strconv.Atoi: parsing \"5000/v2\": invalid syntax",
            ),
            (
                r#"{"log-driver": "gelf", "log-opts": {"gelf-address": "udp://127.0.0.1:12201", "gelf-compression-type": "rar"}}"#,
                "unknown value \"rar\" for log opt \"gelf-compression-type\" for gelf log driver",
            ),
            (
                r#"{"log-opts": {"mode": "fast"}}"#,
                "logger: logging mode not supported: fast",
            ),
            (
                r#"{"labels": ["zone=a", "zone=b"]}"#,
                "conflict labels for zone=b and zone=a",
            ),
            (
                r#"{"exec-opts": ["native.cgroupdriver=nosuch"]}"#,
                "native.cgroupdriver option nosuch not supported",
            ),
        ] {
            let got = refused(json, "28.5");
            assert!(got.len() == 1 && got[0].ends_with(said), "{json}: {got:?}");
        }
        for fine in [
            r#"{"insecure-registries": ["fd00::/64", "registry.local:5000", "10.0.0.0/8", "HTTP://10.0.0.6:5000"]}"#,
            r#"{"log-opts": {"mode": "non-blocking", "max-buffer-size": "4m", "cache-disabled": "true"}}"#,
            r#"{"log-driver": "syslog", "log-opts": {"syslog-address": "udp://127.0.0.1:514", "syslog-facility": "7"}}"#,
            r#"{"log-driver": "gelf"}"#,
            r#"{"runtimes": {"io.containerd.runc.v2": {"path": "/usr/bin/runc"}}}"#,
        ] {
            assert_eq!(refused(fine, "28.5"), Vec::<String>::new(), "{fine}");
        }
    }
}
