//! The fleet playbooks in docs/, run by the real `ansible-playbook` (Debian's `ansible`) against several hosts
//! that are this machine: real dockerds of both engine generations, real docker-registry mirrors and cache on
//! loopback, each host's own daemon.json, state dir, unit dir and private systemctl. And both playbooks load and
//! lint clean.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{json, Value};

use crate::support::fleet::{Ansible, Host, Play};
use crate::support::image::Image;
use crate::support::registry::{free_port, Registry};
use crate::support::{engines, needs_root, require, Sandbox};

const IMAGE: &str = "library/mirrorctl-fleet:latest";

const USER_CONFIG: &str =
    "{\n    \"log-level\": \"warn\",\n    \"labels\": [\"fleet=ansible\"]\n}\n";

/// An upstream holding the test image and `n` real pull-through mirrors of it.
struct Farm {
    _upstream: Registry,
    mirrors: Vec<Registry>,
}

fn farm(sb: &Sandbox, n: usize) -> Farm {
    let image = Arc::new(Image::new("library/mirrorctl-fleet", "latest", 64 * 1024));
    let upstream = Registry::start(&sb.path().join("upstream"), None);
    upstream.push(&image, sb.path());
    let mirrors = (0..n)
        .map(|i| Registry::start(&sb.path().join(format!("mirror{i}")), Some(&upstream.url())))
        .collect();
    Farm {
        _upstream: upstream,
        mirrors,
    }
}

/// A catalogue file of these `(name, url)` mirrors, all active.
fn catalogue(path: &Path, mirrors: &[(String, String)]) -> PathBuf {
    let mut text = String::from("[catalogue]\nupdated = \"2026-11-24\"\n");
    for (name, url) in mirrors {
        text.push_str(&format!(
            "\n[[mirror]]\nname = \"{name}\"\nurl = \"{url}\"\nstatus = \"active\"\n"
        ));
    }
    std::fs::write(path, text).unwrap();
    path.to_owned()
}

fn inventory(groups: &[(&str, &[&Host])], vars: &[(&Host, Value)], all: Value) -> Value {
    let mut children = serde_json::Map::new();
    for (group, hosts) in groups {
        let mut members = serde_json::Map::new();
        for h in *hosts {
            let extra = vars
                .iter()
                .find(|(v, _)| v.name == h.name)
                .map_or(json!({}), |(_, e)| e.clone());
            members.insert(h.name.clone(), h.vars(extra));
        }
        children.insert(group.to_string(), json!({ "hosts": members }));
    }
    json!({ "all": { "vars": all, "children": children } })
}

fn count(play: &Play, host: &str, what: &str) -> u64 {
    play.stats(host)[what]
        .as_u64()
        .unwrap_or_else(|| panic!("no {what} for {host}: {}", play.explain()))
}

/// Everything a second run must leave as it was on one host.
#[derive(Debug, PartialEq)]
struct State {
    host: String,
    /// The calls its systemctl got.
    calls: String,
    daemon_json: String,
    /// The units in its systemd dir, by name.
    units: Vec<(String, String)>,
}

fn snapshot(hosts: &[&Host]) -> Vec<State> {
    hosts
        .iter()
        .map(|h| {
            let mut units: Vec<(String, String)> = std::fs::read_dir(h.systemd_dir())
                .map(|d| {
                    d.flatten()
                        .map(|e| {
                            (
                                e.file_name().to_string_lossy().into_owned(),
                                std::fs::read_to_string(e.path()).unwrap(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            units.sort();
            State {
                host: h.name.clone(),
                calls: h.systemctl_log(),
                daemon_json: std::fs::read_to_string(&h.daemon_json).unwrap_or_default(),
                units,
            }
        })
        .collect()
}

#[test]
fn mirrors_playbook_changes_every_host_once_then_nothing_and_a_dead_host_fails_with_3() {
    if !needs_root("the Ansible fleet (real dockerds)") {
        return;
    }
    let sb = Sandbox::new();
    let farm = farm(&sb, 3);
    let named: Vec<(String, String)> = farm
        .mirrors
        .iter()
        .enumerate()
        .map(|(i, m)| (format!("m{i}"), m.url()))
        .collect();
    let good = catalogue(&sb.path().join("good.toml"), &named);
    // Ports nothing listens on: every mirror of this host's catalogue is dead.
    let dead_mirrors: Vec<(String, String)> = (0..2)
        .map(|i| {
            (
                format!("dead{i}"),
                format!("http://127.0.0.1:{}", free_port()),
            )
        })
        .collect();
    let dead_catalogue = catalogue(&sb.path().join("dead.toml"), &dead_mirrors);

    // Three hosts on a mixed fleet of engines (bookworm's 20.10 and trixie's 26.1), one with no mirror alive.
    let engines = engines::all();
    let nodes: Vec<Host> = (0..3)
        .map(|i| {
            let name = format!("node{i}");
            Host::docker(&name, &sb.path().join(&name), &engines[i % 2], USER_CONFIG)
        })
        .collect();
    let dead = Host::bare("dead", &sb.path().join("dead"), USER_CONFIG);
    let probe = |c: &Path| json!({ "mirrorctl_probe_args": ["--catalogue", c, "--image", IMAGE] });
    let mut all: Vec<&Host> = nodes.iter().collect();
    all.push(&dead);
    let mut vars: Vec<(&Host, Value)> = nodes.iter().map(|h| (h, probe(&good))).collect();
    vars.push((&dead, probe(&dead_catalogue)));
    let inv = inventory(
        &[("docker_hosts", &all)],
        &vars,
        json!({ "watch_every": "6h" }),
    );
    let ansible = Ansible::new(&sb.path().join("ansible"));
    let limit = "node0,node1,node2";

    // First run: every host measures, writes its three mirrors, reloads its dockerd and installs the timer.
    let first = ansible.run("ansible-mirrors.yml", &inv, Some(limit));
    assert_eq!(first.code, 0, "{}", first.explain());
    let mut want: Vec<String> = farm
        .mirrors
        .iter()
        .map(|m| format!("{}/", m.url()))
        .collect();
    want.sort();
    for h in &nodes {
        assert_eq!(count(&first, &h.name, "failures"), 0, "{}", first.explain());
        for task in ["Probe every mirror", "Keep them alive"] {
            assert_eq!(
                first.result(task, &h.name)["changed"],
                true,
                "{task} on {}: {}",
                h.name,
                first.explain()
            );
        }
        let d = h.dockerd.as_ref().unwrap();
        let mut live = d.live_mirrors();
        live.sort();
        assert_eq!(live, want, "{}: docker info", h.name);
        let log = h.systemctl_log();
        assert!(log.contains("reload docker"), "{}: {log}", h.name);
        assert!(
            !log.contains("restart docker"),
            "a reload, no restart: {log}"
        );
        assert!(log.contains("enable --now mirrorctl-watch.timer"), "{log}");
        let unit =
            std::fs::read_to_string(h.systemd_dir().join("mirrorctl-watch.service")).unwrap();
        assert!(
            unit.contains(&format!(
                "ExecStart=\"{}\" ",
                env!("CARGO_BIN_EXE_mirrorctl")
            )),
            "the timer runs the binary the playbook was given: {unit}"
        );
        let report = &first.result("Report", &h.name)["msg"];
        assert_eq!(report.as_array().map(Vec::len), Some(3), "{report}");
        // The backup beside daemon.json is the user's file, byte for byte.
        let backups: Vec<_> = std::fs::read_dir(h.daemon_json.parent().unwrap())
            .unwrap()
            .flatten()
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with("daemon.json.mirrorctl-")
            })
            .collect();
        assert_eq!(backups.len(), 1, "{}", h.name);
        assert_eq!(
            std::fs::read(backups[0].path()).unwrap(),
            d.original.as_bytes()
        );
    }
    let before = snapshot(&nodes.iter().collect::<Vec<_>>());

    // Second run: "ok" everywhere, and not one systemctl call, file or unit changed. (apply ranks from the first
    // run's probe, which stays fresh for 10 minutes: a probe hours later may rank the mirrors otherwise, and then
    // writing the new order is a real change.)
    let second = ansible.run("ansible-mirrors.yml", &inv, Some(limit));
    assert_eq!(second.code, 0, "{}", second.explain());
    for h in &nodes {
        assert_eq!(
            count(&second, &h.name, "changed"),
            0,
            "{}",
            second.explain()
        );
        assert_eq!(count(&second, &h.name, "failures"), 0);
        assert!(count(&second, &h.name, "ok") >= 4);
    }
    assert_eq!(snapshot(&nodes.iter().collect::<Vec<_>>()), before);

    // The whole fleet, with the host whose mirrors are all dead: it fails with mirrorctl's exit code 3, its file
    // as it was, and the others go on, still unchanged.
    let third = ansible.run("ansible-mirrors.yml", &inv, None);
    assert_eq!(
        third.code,
        2,
        "ansible-playbook: a host failed; {}",
        third.explain()
    );
    let r = third.result("Probe every mirror", "dead");
    assert_eq!(r["rc"], 3, "{}", third.explain());
    assert_eq!(r["failed"], true);
    assert!(
        r["stderr"]
            .as_str()
            .unwrap_or_default()
            .contains("no mirror passed"),
        "{r}"
    );
    assert_eq!(count(&third, "dead", "failures"), 1);
    assert_eq!(
        std::fs::read_to_string(&dead.daemon_json).unwrap(),
        USER_CONFIG
    );
    assert_eq!(
        dead.systemctl_log(),
        "",
        "nothing was made live on the dead host"
    );
    assert!(!dead.systemd_dir().exists(), "no timer after a failure");
    for h in &nodes {
        assert_eq!(count(&third, &h.name, "changed"), 0, "{}", third.explain());
        assert_eq!(count(&third, &h.name, "failures"), 0);
    }
    assert_eq!(snapshot(&nodes.iter().collect::<Vec<_>>()), before);
}

#[test]
fn cache_playbook_sets_up_the_cache_and_points_every_node_at_it() {
    if !needs_root("the Ansible fleet (real dockerds)") {
        return;
    }
    let sb = Sandbox::new();
    let farm = farm(&sb, 1);
    let upstreams = catalogue(
        &sb.path().join("upstreams.toml"),
        &[("m0".into(), farm.mirrors[0].url())],
    );
    let port = free_port();
    let cache_url = format!("http://127.0.0.1:{port}");
    let engines = engines::all();
    let cache = Host::bare("cache", &sb.path().join("cache"), "{}\n");
    // Docker nodes on 20.10, 26.1 and 28.5's containerd image store: each pulls through the cache below.
    let docker: Vec<Host> = [&engines[0], &engines[1], &engines::containerd_store()]
        .into_iter()
        .enumerate()
        .map(|(i, engine)| {
            let name = format!("node{i}");
            Host::docker(&name, &sb.path().join(&name), engine, USER_CONFIG)
        })
        .collect();
    let worker = Host::containerd("worker0", &sb.path().join("worker0"), &engines[1]);
    let k3s = Host::bare("agent0", &sb.path().join("agent0"), "{}\n");
    std::fs::create_dir_all(k3s.k3s_config().parent().unwrap()).unwrap();
    let k3s_user =
        "# the platform team's\nconfigs:\n  registry.corp:\n    auth:\n      username: ci\n";
    std::fs::write(k3s.k3s_config(), k3s_user).unwrap();

    let node_probe = json!({ "mirrorctl_probe_args": ["--image", IMAGE] });
    let docker_refs: Vec<&Host> = docker.iter().collect();
    let mut vars: Vec<(&Host, Value)> = docker.iter().map(|h| (h, node_probe.clone())).collect();
    vars.push((&k3s, node_probe.clone()));
    vars.push((&worker, node_probe.clone()));
    vars.push((
        &cache,
        json!({
            "ansible_host": "127.0.0.1",
            // Loopback only, in a test; a team's cache listens on the network (":5000").
            "cache_listen": format!("127.0.0.1:{port}"),
            "mirrorctl_cache_storage": cache.dir.join("storage"),
            "mirrorctl_cache_metrics": format!("127.0.0.1:{}", free_port()),
            "mirrorctl_install_registry": false,
            "mirrorctl_probe_args": ["--catalogue", upstreams, "--image", IMAGE],
            "warm_images": [IMAGE],
            "warm_platforms": ["linux/amd64"],
        }),
    ));
    let inv = inventory(
        &[
            ("registry_cache", &[&cache]),
            ("docker_nodes", &docker_refs),
            ("containerd_nodes", &[&worker]),
            ("k3s_nodes", &[&k3s]),
        ],
        &vars,
        json!({ "cache_port": port }),
    );
    let ansible = Ansible::new(&sb.path().join("ansible"));

    let first = ansible.run("ansible-cache.yml", &inv, None);
    assert_eq!(first.code, 0, "{}", first.explain());
    for task in ["Pull-through cache", "Re-point the upstream"] {
        assert_eq!(
            first.result(task, "cache")["changed"],
            true,
            "{task}: {}",
            first.explain()
        );
    }
    let config = std::fs::read_to_string(cache.registry_config()).unwrap();
    assert!(config.contains(&farm.mirrors[0].url()), "{config}");
    for h in docker.iter().chain([&worker, &k3s]) {
        assert_eq!(
            first.result("Use the cache", &h.name)["changed"],
            true,
            "{}: {}",
            h.name,
            first.explain()
        );
    }
    for h in &docker {
        let file: Value = serde_json::from_slice(&std::fs::read(&h.daemon_json).unwrap()).unwrap();
        assert_eq!(
            file["registry-mirrors"],
            json!([format!("{cache_url}/")]),
            "{}",
            h.name
        );
        assert_eq!(file["log-level"], "warn", "the user's keys stay");
        let d = h.dockerd.as_ref().unwrap();
        assert_eq!(d.live_mirrors(), vec![format!("{cache_url}/")]);
        // The node pulls through the cache (its dockerd has no other route: its proxy is a closed port).
        let pull = d.docker(&["pull", "mirrorctl-fleet:latest"]);
        assert!(
            pull.status.success(),
            "{}: {}",
            h.name,
            String::from_utf8_lossy(&pull.stderr)
        );
    }
    // The containerd worker: hosts.toml names the cache, config.toml got config_path and containerd one restart,
    // and ctr fetches the image through the cache with no other route.
    let hosts = worker.containerd_hosts_dir();
    let toml = std::fs::read_to_string(hosts.join("docker.io/hosts.toml")).unwrap();
    assert!(toml.contains(&format!("[host.\"{cache_url}\"]")), "{toml}");
    let c = worker.containerd.as_ref().unwrap();
    let config = std::fs::read_to_string(&c.config).unwrap();
    assert!(
        config.contains(&format!("config_path = \"{}\"", hosts.display())),
        "{config}"
    );
    assert!(
        c.systemctl_log().contains("restart containerd"),
        "{}",
        c.systemctl_log()
    );
    let fetch = std::process::Command::new(engines[1].bin("ctr"))
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env("HTTPS_PROXY", "http://127.0.0.1:9")
        .env("NO_PROXY", "127.0.0.1")
        .arg("--address")
        .arg(&c.socket)
        .args(["content", "fetch", "--hosts-dir"])
        .arg(&hosts)
        .arg(format!("docker.io/{IMAGE}"))
        .output()
        .unwrap();
    assert!(
        fetch.status.success(),
        "ctr through the cache: {}",
        String::from_utf8_lossy(&fetch.stderr)
    );

    let yaml = std::fs::read_to_string(k3s.k3s_config()).unwrap();
    assert!(yaml.starts_with(k3s_user.trim_end()), "{yaml}");
    assert!(yaml.contains(&cache_url), "{yaml}");
    assert!(
        k3s.systemctl_log().contains("restart k3s"),
        "{}",
        k3s.systemctl_log()
    );

    let hosts: Vec<&Host> = [&cache, &k3s, &worker]
        .into_iter()
        .chain(docker.iter())
        .collect();
    let before = snapshot(&hosts);
    let calls_before = cache.systemctl_log();
    let config_before = std::fs::read(cache.registry_config()).unwrap();
    let yaml_before = std::fs::read(k3s.k3s_config()).unwrap();
    let second = ansible.run("ansible-cache.yml", &inv, None);
    assert_eq!(second.code, 0, "{}", second.explain());
    for h in &hosts {
        assert_eq!(
            count(&second, &h.name, "changed"),
            0,
            "{}",
            second.explain()
        );
    }
    // The nodes: not one systemctl call. The cache: only setup's two questions about the unit (which config.yml
    // it serves, as which user), nothing restarted, reloaded or enabled.
    let calls = cache.systemctl_log();
    let asked = calls.strip_prefix(calls_before.as_str()).unwrap();
    assert_eq!(
        asked,
        "show docker-registry -p ExecStart --value\nshow docker-registry -p User --value\n"
    );
    let mut after = snapshot(&hosts);
    after[0].calls = calls_before;
    assert_eq!(after, before, "no file written");
    assert_eq!(
        std::fs::read(cache.registry_config()).unwrap(),
        config_before
    );
    assert_eq!(std::fs::read(k3s.k3s_config()).unwrap(), yaml_before);
}

/// Both playbooks load (`--syntax-check`) and pass ansible-lint (PyPI's, in target/ansible-lint-venv, made by
/// scripts/test.sh) on its strictest profile, run on copies in a temp dir so nothing is written beside docs/.
#[test]
fn playbooks_load_and_lint_clean() {
    let sb = Sandbox::new();
    let home = sb.path().join("home");
    let project = sb.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    let bin = require("ansible-playbook", "ansible");
    for playbook in ["ansible-mirrors.yml", "ansible-cache.yml"] {
        let source = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("docs")
            .join(playbook);
        std::fs::copy(&source, project.join(playbook)).unwrap();
        let out = std::process::Command::new(&bin)
            .arg("--syntax-check")
            .arg(&source)
            .env("HOME", &home)
            .env("ANSIBLE_HOME", home.join("ansible"))
            .env("ANSIBLE_LOCAL_TEMP", home.join("tmp"))
            .env("ANSIBLE_CONFIG", sb.path().join("none.cfg"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{playbook}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ansible-lint-venv/bin");
    let lint = venv.join("ansible-lint");
    assert!(
        lint.is_file(),
        "ansible-lint is missing at {}: run `bash scripts/test.sh` (it makes the venv from PyPI)",
        lint.display()
    );
    let out = std::process::Command::new(&lint)
        .args([
            "--offline",
            "--nocolor",
            "--profile",
            "production",
            "--project-dir",
        ])
        .arg(&project)
        .args(["ansible-mirrors.yml", "ansible-cache.yml"])
        .current_dir(&project)
        .env(
            "PATH",
            format!("{}:{}", venv.display(), std::env::var("PATH").unwrap()),
        )
        .env("HOME", &home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("ANSIBLE_HOME", home.join("ansible"))
        .env("ANSIBLE_LOCAL_TEMP", home.join("tmp"))
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("0 failure(s), 0 warning(s) in 2 files"),
        "{said}"
    );
}
