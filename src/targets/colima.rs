//! colima's own file, `~/.colima/<profile>/colima.yaml`: its `docker:` map is dockerd's daemon.json inside the VM,
//! which colima writes there at each start. `registry-mirrors` is set in that map by the YAML line edit (comments,
//! order and every other key kept byte for byte; an edit made meanwhile merged under the lock), made live by
//! `colima restart [profile]` and checked through the Engine API, as any dockerd change is.

use std::path::PathBuf;

use anyhow::{Context, Result};
use rust_i18n::t;
use serde_json::Value;

use super::target::{Configured, Target};
use super::{docker, yaml};
use crate::change::{Change, FileChange, Plan, Subject, Verify};
use crate::sys::engine::Engine;
use crate::sys::files;

/// Where the mirrors are in colima.yaml.
pub const KEY: [&str; 2] = ["docker", docker::MIRRORS_KEY];

/// colima.yaml of one profile.
pub struct Colima {
    pub path: PathBuf,
}

impl Colima {
    /// The file as YAML, refused when colima would not hand its `docker:` map to a dockerd.
    fn parse(&self, bytes: &[u8]) -> Result<Value> {
        let text = std::str::from_utf8(bytes)
            .with_context(|| t!("apply.not_utf8", path = self.path.display()))?;
        let v = yaml::parse(text)
            .with_context(|| t!("apply.cannot_use", path = self.path.display()))?;
        // With `runtime: containerd` colima runs no dockerd: the docker map is read by nothing.
        if let Some(runtime) = v.get("runtime").and_then(Value::as_str) {
            if runtime != "docker" {
                anyhow::bail!(
                    "{}",
                    t!(
                        "colima.not_docker",
                        path = self.path.display(),
                        runtime = runtime
                    )
                );
            }
        }
        Ok(v)
    }

    fn plan_for(&self, file: FileChange, mirrors: Vec<String>, change: &Change) -> Result<Plan> {
        Ok(Plan {
            target: Subject::Docker,
            activation: change.activation(&self.path, "docker")?,
            verify: Verify::DockerMirrors(Engine::from_env()?, mirrors.clone()),
            mirrors,
            labels: vec![],
            notes: vec![],
            changes: vec![file],
            preflight: None,
        })
    }
}

/// The mirrors a colima.yaml lists (as dockerd normalises them; one it would refuse is no mirror it uses).
fn mirrors_in(v: &Value) -> Vec<String> {
    let list = KEY
        .iter()
        .try_fold(v, |v, k| v.get(k))
        .and_then(Value::as_array);
    list.into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter_map(|m| docker::normalize_mirrors(&[m]).ok())
        .flatten()
        .collect()
}

impl Target for Colima {
    fn name(&self) -> Subject {
        Subject::Docker
    }

    fn read(&self) -> Result<Configured> {
        // colima writes the profile's whole file at its first start; one made by us would hold only `docker:`.
        let Some(bytes) = files::read(&self.path)? else {
            anyhow::bail!("{}", t!("colima.no_file", path = self.path.display()));
        };
        let mirrors = mirrors_in(&self.parse(&bytes)?);
        let before = Some(bytes);
        Ok(Configured {
            path: self.path.clone(),
            before,
            mirrors,
            also: None,
        })
    }

    fn plan(&self, now: Configured, mirrors: &[String], change: &Change) -> Result<Plan> {
        let text = match &now.before {
            Some(b) => {
                self.parse(b)?;
                String::from_utf8_lossy(b).into_owned()
            }
            None => String::new(),
        };
        let value = Value::Array(mirrors.iter().map(|m| Value::String(m.clone())).collect());
        let after = yaml::set(&text, &KEY, &value)
            .with_context(|| t!("apply.cannot_use", path = now.path.display()))?;
        let file = FileChange::new(now.path, now.before, after)
            .rebased(yaml::rebase(&KEY, value))
            .by_value(yaml::meaning);
        self.plan_for(file, mirrors.to_vec(), change)
    }

    fn path(&self) -> Result<PathBuf> {
        Ok(self.path.clone())
    }

    fn parses(&self, bytes: &[u8]) -> bool {
        self.parse(bytes).is_ok()
    }

    fn restore(&self, file: FileChange, change: &Change) -> Result<Plan> {
        let mirrors = match &file.after {
            Some(b) => mirrors_in(&self.parse(b)?),
            None => vec![],
        };
        self.plan_for(file, mirrors, change)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::service::InitChoice;

    /// A profile's file as `colima start` leaves it: comments, other keys, and an empty `docker: {}`.
    const FRESH: &str = "# CPUs for the VM.\ncpu: 2\nruntime: docker\n\n# dockerd's own settings, as daemon.json.\n# Default: {}\ndocker: {}\n\n# Mounts.\nmountType: virtiofs\n";

    fn change() -> Change {
        Change {
            daemon_json: PathBuf::from("/x/colima.yaml"),
            desktop: false,
            colima: true,
            dry_run: false,
            yes: true,
            live: crate::change::MakeLive::Manual,
            init: InitChoice::Systemd,
            json: false,
        }
    }

    fn plan(before: &str, mirrors: &[&str]) -> Result<Plan> {
        crate::registry::http::install_crypto();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("colima.yaml");
        std::fs::write(&path, before).unwrap();
        let t = Colima { path };
        let now = t.read()?;
        let mirrors: Vec<String> = mirrors.iter().map(|m| m.to_string()).collect();
        t.plan(now, &mirrors, &change())
    }

    fn refused(before: &str) -> String {
        format!(
            "{:#}",
            plan(before, &["https://a.example/"])
                .err()
                .expect("refused")
        )
    }

    fn after(p: &Plan) -> String {
        String::from_utf8(p.changes[0].after.clone().unwrap()).unwrap()
    }

    #[test]
    fn a_fresh_profile_gets_the_mirrors_in_its_docker_map_and_keeps_every_other_line() {
        let p = plan(FRESH, &["https://a.example/", "http://10.0.0.2:5000/"]).unwrap();
        assert_eq!(
            after(&p),
            FRESH.replace(
                "docker: {}\n",
                "docker:\n  registry-mirrors:\n    - \"https://a.example/\"\n    - \"http://10.0.0.2:5000/\"\n"
            )
        );
        assert!(matches!(p.verify, Verify::DockerMirrors(_, ref m) if m.len() == 2));
    }

    #[test]
    fn other_dockerd_settings_stay_and_only_the_mirrors_move() {
        let text = "cpu: 4\ndocker:\n  insecure-registries:\n    - reg.lan:5000 # the lab\n  registry-mirrors: ['https://old.example']\n  features:\n    buildkit: true\n";
        let p = plan(text, &["https://new.example/"]).unwrap();
        let out = after(&p);
        assert_eq!(
            out,
            text.replace(
                "  registry-mirrors: ['https://old.example']\n",
                "  registry-mirrors:\n    - \"https://new.example/\"\n"
            )
        );
        // The same mirrors in another spelling are no change: nothing is written or restarted.
        let same = plan(
            "docker:\n  registry-mirrors: [\"https://new.example/\"]\n",
            &["https://new.example/"],
        )
        .unwrap();
        assert!(same.is_noop());
        let dir = tempfile::tempdir().unwrap();
        let t = Colima {
            path: dir.path().join("c.yaml"),
        };
        std::fs::write(&t.path, text).unwrap();
        assert_eq!(t.read().unwrap().mirrors, ["https://old.example/"]);
    }

    #[test]
    fn what_cannot_be_merged_is_refused_clearly() {
        let flow = refused("docker: {debug: true}\n");
        assert!(
            flow.contains("`docker`") && flow.contains("by hand"),
            "{flow}"
        );
        let containerd = refused("runtime: containerd\ndocker: {}\n");
        assert!(
            containerd.contains("containerd") && containerd.contains("colima.yaml"),
            "{containerd}"
        );
        let broken = refused("docker: [\n");
        assert!(broken.contains("line"), "{broken}");
        let dir = tempfile::tempdir().unwrap();
        let missing = Colima {
            path: dir.path().join("colima.yaml"),
        };
        let e = format!("{:#}", missing.read().err().expect("refused"));
        assert!(e.contains("colima start"), "{e}");
        let anchors = plan(
            "base: &b\n  debug: true\ndocker: *b\n",
            &["https://a.example/"],
        );
        assert!(anchors.is_err());
    }
}
