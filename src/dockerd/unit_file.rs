//! The unit's ExecStart read from disk, for when `systemctl` cannot answer (a chroot, a container, a machine
//! whose systemd is not running yet): the unit file and its drop-ins in systemd's own search order. The stock
//! Debian and Ubuntu unit starts dockerd with `-H fd://`, which a `"hosts"` key in daemon.json conflicts with.

use std::path::{Path, PathBuf};

/// systemd's unit directories, most important first; `SYSTEMD_UNIT_PATH` (colon-separated, as systemd reads it)
/// replaces them.
fn unit_dirs() -> Vec<PathBuf> {
    match std::env::var_os("SYSTEMD_UNIT_PATH").filter(|p| !p.is_empty()) {
        Some(p) => std::env::split_paths(&p)
            .filter(|d| !d.as_os_str().is_empty())
            .collect(),
        None => [
            "/etc/systemd/system",
            "/run/systemd/system",
            "/usr/local/lib/systemd/system",
            "/usr/lib/systemd/system",
            "/lib/systemd/system",
        ]
        .iter()
        .map(PathBuf::from)
        .collect(),
    }
}

/// The ExecStart systemd would run for `unit` (`docker` or `docker.service`) and the files it came from.
pub fn exec_start(unit: &str) -> Option<(String, Vec<PathBuf>)> {
    exec_start_in(unit, &unit_dirs())
}

fn exec_start_in(unit: &str, dirs: &[PathBuf]) -> Option<(String, Vec<PathBuf>)> {
    let name = if unit.contains('.') {
        unit.to_owned()
    } else {
        format!("{unit}.service")
    };
    let main = dirs.iter().map(|d| d.join(&name)).find(|p| p.is_file())?;
    // Drop-ins: every `<unit>.d/*.conf`, a name in a more important directory hiding the same name in a lesser
    // one, applied in the order of their names.
    let mut drop_ins: Vec<(String, PathBuf)> = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir.join(format!("{name}.d"))) else {
            continue;
        };
        for e in entries.flatten() {
            let file = e.file_name().to_string_lossy().into_owned();
            if file.ends_with(".conf") && !drop_ins.iter().any(|(n, _)| *n == file) {
                drop_ins.push((file, e.path()));
            }
        }
    }
    drop_ins.sort();
    let mut files = vec![main];
    files.extend(drop_ins.into_iter().map(|(_, p)| p));
    let mut exec: Option<String> = None;
    for f in &files {
        for value in exec_start_lines(f) {
            // An empty `ExecStart=` resets what the files before it set (the drop-in idiom).
            exec = (!value.is_empty()).then_some(value);
        }
    }
    let line = exec?;
    // Prefixes systemd reads before the path: `-` (ignore failure), `@`, `+`, `!`, `:`.
    let line = line
        .trim_start_matches(['-', '@', '+', '!', ':'])
        .to_owned();
    Some((line, files))
}

/// The `ExecStart=` values of the `[Service]` section, with backslash continuations joined.
fn exec_start_lines(path: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return vec![];
    };
    let mut joined: Vec<String> = Vec::new();
    let mut pending = String::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(head) = line.strip_suffix('\\') {
            pending.push_str(head);
            pending.push(' ');
            continue;
        }
        pending.push_str(line);
        joined.push(std::mem::take(&mut pending));
    }
    let mut in_service = false;
    let mut out = Vec::new();
    for line in joined {
        if line.starts_with('[') {
            in_service = line == "[Service]";
        } else if in_service {
            if let Some(v) = line.strip_prefix("ExecStart=") {
                out.push(v.trim().to_owned());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unit_and_its_drop_ins_in_systemds_order() {
        let t = tempfile::tempdir().unwrap();
        let (etc, lib) = (t.path().join("etc"), t.path().join("lib"));
        std::fs::create_dir_all(etc.join("docker.service.d")).unwrap();
        std::fs::create_dir_all(lib.join("docker.service.d")).unwrap();
        std::fs::write(
            lib.join("docker.service"),
            "[Unit]\nDescription=Docker\n[Service]\nExecStart=/usr/sbin/dockerd -H fd:// \\\n  $DOCKER_OPTS\n",
        )
        .unwrap();
        let dirs = vec![etc.clone(), lib.clone()];
        let (line, files) = exec_start_in("docker", &dirs).unwrap();
        assert_eq!(line, "/usr/sbin/dockerd -H fd://  $DOCKER_OPTS");
        assert_eq!(files, vec![lib.join("docker.service")]);
        // The usual fix: a drop-in that resets ExecStart and starts dockerd without -H.
        std::fs::write(
            etc.join("docker.service.d/override.conf"),
            "[Service]\nExecStart=\nExecStart=/usr/sbin/dockerd\n",
        )
        .unwrap();
        // A lesser directory's drop-in of the same name is hidden.
        std::fs::write(
            lib.join("docker.service.d/override.conf"),
            "[Service]\nExecStart=\nExecStart=/usr/sbin/dockerd -H tcp://0.0.0.0:2375\n",
        )
        .unwrap();
        let (line, files) = exec_start_in("docker.service", &dirs).unwrap();
        assert_eq!(line, "/usr/sbin/dockerd");
        assert_eq!(files.len(), 2);
        assert!(exec_start_in("podman", &dirs).is_none());
    }
}
