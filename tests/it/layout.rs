//! The source's own shape: no two files of `src/` import each other, however indirectly, and between folders imports
//! run downward only, through the layers `LAYERS` names. A cycle is where a "small change" starts touching
//! everything (the issues that reshaped the code found two between files and nine between folders).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, by its module path (`change::plan`; `main.rs` is the crate root, `""`).
fn modules(dir: &Path, prefix: &[String], out: &mut BTreeMap<String, PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            let mut p = prefix.to_vec();
            p.push(name);
            modules(&path, &p, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let mut p = prefix.to_vec();
            if name != "mod" && name != "main" {
                p.push(name);
            }
            out.insert(p.join("::"), path);
        }
    }
}

/// The paths a file names with `crate::` or `super::`, `{a, b::c}` groups expanded; test modules left out.
fn named(source: &str, module: &str, is_mod_rs: bool) -> Vec<String> {
    let source = source
        .find("#[cfg(test)]\nmod tests")
        .map_or(source, |i| &source[..i]);
    let mut parent: Vec<&str> = module.split("::").filter(|s| !s.is_empty()).collect();
    if !is_mod_rs {
        parent.pop();
    }
    let mut out = Vec::new();
    for (anchor, base) in [
        ("crate::", String::new()),
        ("super::", {
            let mut p = parent.clone();
            p.pop();
            p.join("::")
        }),
    ] {
        for (i, _) in source.match_indices(anchor) {
            if source[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':') {
                continue; // `self::super::` and the like: not ours to follow
            }
            let rest = &source[i + anchor.len()..];
            let path: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let path = path.trim_end_matches(':');
            let full = |tail: &str| {
                [base.as_str(), path, tail]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join("::")
            };
            let after = &rest[path.len()..];
            match after.strip_prefix("::{") {
                Some(group) => {
                    let group = &group[..group.find('}').unwrap_or(0)];
                    for item in group.split(',') {
                        let item = item.split_whitespace().next().unwrap_or("");
                        out.push(if item == "self" || item.is_empty() {
                            full("")
                        } else {
                            full(item)
                        });
                    }
                }
                None => out.push(full("")),
            }
        }
    }
    out
}

/// The folders of `src/`, top to bottom: a file may import its own folder and any folder below it, never one above.
/// `main.rs` sits above them all; `fuzz.rs` is test code.
const LAYERS: &[&str] = &[
    "commands",
    "settings",
    "cli",
    "targets",
    "history",
    "probe",
    "catalogue",
    "change",
    "registry",
    "dockerd",
    "sys",
    "ui",
];

/// Every import between files of `src/`, as module paths (`commands::apply` -> `change::plan`).
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = BTreeMap::new();
    modules(&src, &[], &mut files);
    // A path names the deepest file it reaches into.
    let file_of = |path: &str| -> Option<String> {
        let parts: Vec<&str> = path.split("::").collect();
        (1..=parts.len())
            .rev()
            .map(|k| parts[..k].join("::"))
            .find(|m| files.contains_key(m))
    };
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, path) in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let is_mod_rs = path.ends_with("mod.rs");
        for p in named(&text, module, is_mod_rs) {
            if let Some(to) = file_of(&p).filter(|to| to != module && !to.is_empty()) {
                edges.entry(module.clone()).or_default().insert(to);
            }
        }
    }
    assert!(
        edges.len() > 40,
        "the scan found too few imports to mean anything: {edges:?}"
    );
    edges
}

#[test]
fn imports_between_folders_run_downward() {
    let edges = imports();
    let layer = |m: &str| LAYERS.iter().position(|l| m.split("::").next() == Some(*l));
    let mut wrong = Vec::new();
    for (from, tos) in &edges {
        let Some(a) = layer(from) else {
            assert!(
                ["", "fuzz"].contains(&from.as_str()),
                "{from} is in no layer: add its folder to LAYERS"
            );
            continue;
        };
        for to in tos {
            match layer(to) {
                Some(b) if b < a => wrong.push(format!(
                    "{from} -> {to} ({} is above {})",
                    LAYERS[b], LAYERS[a]
                )),
                Some(_) => {}
                None => panic!("{to} is in no layer: add its folder to LAYERS"),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports that run back up:\n  {}",
        wrong.join("\n  ")
    );
    // The check can fail: the engine must not know a target, and it would see it if it did.
    assert!(edges["commands::apply"]
        .iter()
        .any(|t| t.starts_with("change")));
}

#[test]
fn no_two_source_files_import_each_other() {
    let edges = imports();
    // Depth-first search for a back edge; the cycle is printed as the path that closes it.
    fn visit(
        m: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == m) {
            let mut cycle = path[i..].to_vec();
            cycle.push(m.to_owned());
            return Some(cycle);
        }
        if !done.insert(m.to_owned()) {
            return None;
        }
        path.push(m.to_owned());
        for to in edges.get(m).into_iter().flatten() {
            if let Some(c) = visit(to, edges, path, done) {
                return Some(c);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for m in edges.keys() {
        if let Some(cycle) = visit(m, &edges, &mut Vec::new(), &mut done) {
            panic!("an import cycle: {}", cycle.join(" -> "));
        }
    }
}
