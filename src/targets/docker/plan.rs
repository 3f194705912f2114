//! A change of dockerd's mirrors as a `Plan`: daemon.json with only `registry-mirrors` merged, refused before any
//! write when the installed dockerd would still not start with the result, made live as the settings say and
//! verified through the Engine API. `apply` and `watch` both build it here.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rust_i18n::t;

use crate::change::Change;
use crate::change::{Activation, FileChange, Plan, Subject, Verify};
use crate::sys::engine::Engine;
use crate::targets::docker;
use crate::ui::errors::Hinted;

/// daemon.json with `mirrors` as its `registry-mirrors` (`before`: the file as read, checked as UTF-8 JSON).
pub fn mirrors_plan(
    target: &Change,
    path: PathBuf,
    before: Option<Vec<u8>>,
    mirrors: &[String],
) -> Result<Plan> {
    let before_text = before
        .as_deref()
        .map(|b| std::str::from_utf8(b).expect("parsed as UTF-8 above"));
    let after = docker::set_mirrors(before_text, mirrors)?;
    refuse_what_dockerd_would(&path, before.as_deref(), after.as_bytes())?;
    let mut change = FileChange::new(path.clone(), before, after)
        .rebased(docker::rebase(
            docker::MIRRORS_KEY,
            Some(serde_json::json!(mirrors)),
        ))
        .by_value(docker::meaning);
    change.check = crate::dockerd::refuse_invalid;
    Ok(Plan {
        target: Subject::Docker,
        mirrors: mirrors.to_vec(),
        labels: vec![],
        notes: vec![],
        preflight: Some(check_flags),
        changes: vec![change],
        activation: target.activation(&path, "docker")?,
        verify: Verify::DockerMirrors(Engine::from_env()?, mirrors.to_vec()),
    })
}

/// dockerd refuses to start when a key of daemon.json is also one of its command-line flags (the unit's, or an
/// options file's): the plan's first file is daemon.json.
pub fn check_flags(
    plan: &Plan,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + '_>> {
    Box::pin(check_conflicts(plan))
}

async fn check_conflicts(plan: &Plan) -> Result<()> {
    let service = match &plan.activation {
        Activation::Restart(s) | Activation::Reload(s) => Some(s),
        _ => None,
    };
    let sources = crate::dockerd::flags::sources(service).await;
    let after = plan.changes[0].after.as_deref().unwrap_or(b"{}");
    let map = docker::parse(after).context(t!("apply.bug_unparsable"))?;
    let conflicts: Vec<docker::Conflict> =
        docker::find_conflicts(map.keys().map(String::as_str), &sources);
    if conflicts.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = conflicts.iter().map(|c| c.to_string()).collect();
    Err(Hinted {
        message: t!("apply.conflict", list = list.join("\n  ")).into(),
        hint: t!("apply.conflict_hint").into(),
    }
    .into())
}

/// The installed dockerd would still refuse the file for a reason apply does not fix (it fixes only the mirrors):
/// stop before writing and say where, in the user's own file.
fn refuse_what_dockerd_would(path: &Path, before: Option<&[u8]>, after: &[u8]) -> Result<()> {
    let host = crate::sys::host::Host::get();
    let (Some(text), Some(engine)) = (
        host.dockerd(),
        host.dockerd().and_then(crate::dockerd::Version::parse),
    ) else {
        return Ok(()); // no dockerd here: nothing to predict for
    };
    let predicted = crate::dockerd::predict(after, engine);
    let Some(first) = predicted.refusals.first() else {
        return Ok(());
    };
    // Located in the file as the user wrote it: every line but the mirrors is theirs, byte for byte.
    let located = before
        .map(|b| crate::dockerd::predict(b, engine).refusals)
        .and_then(|r| {
            r.into_iter()
                .find(|r| r.key == first.key && r.key.is_some())
        })
        .unwrap_or_else(|| first.clone());
    Err(Hinted {
        message: t!(
            "apply.dockerd_would_refuse",
            engine = text,
            path = path.display(),
            reason = located
        )
        .into(),
        hint: t!("apply.dockerd_would_refuse_hint", path = path.display()).into(),
    }
    .into())
}
