//! What a run did, for `--json` and for fleets: `changed` is false when every file already said what it would
//! say, and then nothing was written, restarted or reloaded (so `changed_when` in a playbook can trust it).

use serde::Serialize;

use super::plan::{Activation, Plan, Subject};

#[derive(Debug, Default, Serialize)]
pub struct Outcome {
    pub changed: bool,
    pub dry_run: bool,
    pub targets: Vec<TargetOutcome>,
    /// `--pull`: which host served the pull through the daemon.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pull: Option<crate::dockerd::proof::Proof>,
}

#[derive(Debug, Serialize)]
pub struct TargetOutcome {
    pub target: Subject,
    /// This target's files were written and made live (or would be, with `dry_run`).
    pub changed: bool,
    /// The files that differ (or would).
    pub files: Vec<String>,
    pub mirrors: Vec<String>,
    /// `restart UNIT`, `reload UNIT`, `run COMMAND` (a desktop product's own), `manual` or `automatic`: how the change was made live.
    pub activation: String,
}

impl Outcome {
    /// Before execution: what each plan would change.
    pub fn planned(plans: &[Plan], dry_run: bool) -> Self {
        Self {
            changed: false,
            dry_run,
            targets: plans
                .iter()
                .map(|p| TargetOutcome {
                    target: p.target,
                    changed: false,
                    files: p
                        .changes
                        .iter()
                        .filter(|c| c.changes())
                        .map(|c| c.path.display().to_string())
                        .collect(),
                    mirrors: p.mirrors.clone(),
                    activation: match &p.activation {
                        Activation::Restart(s) => format!("restart {}", s.unit),
                        Activation::Reload(s) => format!("reload {}", s.unit),
                        Activation::Enable(s) => format!("enable {}", s.unit),
                        Activation::Disable(s) => format!("disable {}", s.unit),
                        Activation::Command(argv) => format!("run {}", argv.join(" ")),
                        Activation::Manual(_) => "manual".into(),
                        Activation::Automatic(_) => "automatic".into(),
                    },
                })
                .collect(),
            pull: None,
        }
    }

    pub fn mark_done(&mut self, target: Subject) {
        for t in self.targets.iter_mut().filter(|t| t.target == target) {
            t.changed = true;
        }
        self.changed = true;
    }
}
