//! What a person sees: `list` and `probe` on a real pseudo-terminal of a set size (util-linux `script`, with
//! `stty` setting its size as a terminal window would), and the same commands in a pipe. Colour on a terminal
//! only, never with `NO_COLOR`, never in a pipe.

use std::process::{Command, Stdio};
use std::sync::Arc;

use crate::support::fake_registry::{Behavior, FakeRegistry, Fault};
use crate::support::image::Image;
use crate::support::Sandbox;

const FRAME: [char; 5] = ['│', '─', '┌', '└', '═'];

/// `mirrorctl ARGS` with the sandbox's environment (and `env` on top), its stdout on a 40×`cols` terminal; stderr
/// goes to /dev/null (a progress bar would draw there). The output with the terminal's `\r\n` made `\n`.
fn on_terminal(sb: &Sandbox, cols: u16, args: &[&str], env: &[(&str, Option<&str>)]) -> String {
    terminal(sb, cols, args, env, " 2>/dev/null")
}

/// The same with stderr on the terminal too: what the person sees, per line what follows the last carriage
/// return (a progress line redraws itself), without escape sequences.
fn on_terminal_both(sb: &Sandbox, cols: u16, args: &[&str]) -> String {
    terminal(sb, cols, args, &COLOUR, "")
        .lines()
        .map(|l| strip(l.rsplit('\r').next().unwrap_or(l)))
        .collect::<Vec<_>>()
        .join("\n")
}

fn terminal(
    sb: &Sandbox,
    cols: u16,
    args: &[&str],
    env: &[(&str, Option<&str>)],
    redirect: &str,
) -> String {
    let base = sb.mirrorctl();
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let mut line = format!(
        "stty rows 40 cols {cols} && exec {}",
        quote(base.get_program().to_str().unwrap())
    );
    for a in args {
        line.push(' ');
        line.push_str(&quote(a));
    }
    line.push_str(redirect);
    let mut c = Command::new("script");
    c.args(["-qec", &line, "/dev/null"]);
    for (k, v) in base.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    for (k, v) in env {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    let out = c
        .stdin(Stdio::null())
        .output()
        .expect("util-linux `script`");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap().replace("\r\n", "\n")
}

fn in_pipe(sb: &Sandbox, args: &[&str], env: &[(&str, Option<&str>)]) -> String {
    let mut c = sb.mirrorctl();
    for (k, v) in env {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    let out = c.args(args).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The table's rows on a terminal: the lines between the header's rule and the bottom edge.
fn body(s: &str) -> Vec<&str> {
    s.lines()
        .skip_while(|l| !l.starts_with('╞'))
        .skip(1)
        .take_while(|l| !l.starts_with('└'))
        .collect()
}

fn width(l: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(l)
}

/// Colour wanted: a terminal that takes it, and nothing that says no.
const COLOUR: [(&str, Option<&str>); 4] = [
    ("NO_COLOR", None),
    ("TERM", Some("xterm-256color")),
    ("CLICOLOR", None),
    ("CLICOLOR_FORCE", None),
];

#[test]
fn list_fits_an_80_column_terminal_one_line_a_row() {
    let sb = Sandbox::new();
    let pipe = in_pipe(&sb, &["list", "--json"], &[]);
    let entries = serde_json::from_str::<serde_json::Value>(&pipe).unwrap()["entries"]
        .as_array()
        .unwrap()
        .len();
    // NO_COLOR is set (the sandbox's default): not one escape byte on the terminal.
    let s = on_terminal(&sb, 80, &["list"], &[("TERM", Some("xterm-256color"))]);
    assert!(!s.contains('\u{1b}'), "{s:?}");
    let table: Vec<&str> = s
        .lines()
        .take_while(|l| !l.starts_with("catalogue"))
        .collect();
    assert!(table.iter().all(|l| width(l) <= 80), "{s}");
    assert_eq!(body(&s).len(), entries, "one line a row:\n{s}");
    // The URLs as hosts, whole: `docker.m.daocloud.io`, never `https://dock` / `er.m…`.
    assert!(s.contains(" docker.m.daocloud.io "), "{s}");
    assert!(!s.contains("https://"), "{s}");

    let wide = on_terminal(&sb, 120, &["list"], &[]);
    let rows = body(&wide);
    assert!(rows.iter().all(|l| width(l) <= 120), "{wide}");
    assert!(rows.len() >= entries && rows.len() <= 2 * entries, "{wide}");
}

#[test]
fn list_is_coloured_on_a_terminal_and_plain_in_a_pipe() {
    let sb = Sandbox::new();
    let s = on_terminal(&sb, 80, &["list"], &COLOUR);
    // Green `active`, cyan `template`, and the frame itself plain.
    assert!(s.contains("\u{1b}[38;5;10mactive\u{1b}[39m"), "{s:?}");
    assert!(s.contains("\u{1b}[38;5;14mtemplate\u{1b}[39m"), "{s:?}");
    assert!(s.lines().next().unwrap().starts_with('┌'), "{s:?}");
    // Never inside a JSON document, terminal or not.
    let json = on_terminal(&sb, 80, &["list", "--json"], &COLOUR);
    assert!(!json.contains('\u{1b}'), "{json:?}");
    serde_json::from_str::<serde_json::Value>(&json).unwrap();

    let pipe = in_pipe(&sb, &["list"], &COLOUR);
    assert!(!pipe.contains('\u{1b}'), "{pipe:?}");
    assert!(!pipe.contains(FRAME), "{pipe}");
    let entries = pipe.lines().count() - 1;
    assert!(entries >= 20, "{pipe}");
    // One line a row, the whole URL and the whole note in it.
    let daocloud = pipe.lines().find(|l| l.starts_with("daocloud ")).unwrap();
    assert!(
        daocloud.contains(" https://docker.m.daocloud.io "),
        "{daocloud}"
    );
    assert!(daocloud.ends_with(" per blob"), "{daocloud}");
}

#[test]
fn probe_fits_an_80_column_terminal_and_a_pipe_gets_every_column() {
    let sb = Sandbox::new();
    let image = Arc::new(Image::new("library/alpine", "latest", 8192));
    let good = FakeRegistry::start(image.clone(), Behavior::default());
    let portal = FakeRegistry::start(
        image.clone(),
        Behavior {
            fault: Fault::CaptivePortal,
            ..Default::default()
        },
    );
    let allowlist = FakeRegistry::start(
        image,
        Behavior {
            fault: Fault::Status("/blobs/", 403),
            ..Default::default()
        },
    );
    let catalogue = sb.catalogue(&[
        ("good", good.url()),
        ("hotel-wifi", portal.url()),
        ("allowlist", allowlist.url()),
    ]);
    let args = ["probe", "--catalogue", catalogue.to_str().unwrap()];

    let s = on_terminal(&sb, 80, &args, &COLOUR);
    let rows = body(&s);
    assert_eq!(rows.len(), 3, "one line a row:\n{s}");
    assert!(s.lines().all(|l| width(&strip(l)) <= 80), "{s}");
    assert!(s.contains("\u{1b}[38;5;10mok\u{1b}[39m"), "{s:?}");
    assert!(s.contains("\u{1b}[38;5;9mdenied\u{1b}[39m"), "{s:?}");
    // The reason is cut to its line, not wrapped under the row.
    assert!(s.contains('…'), "{s}");

    let pipe = in_pipe(&sb, &args, &COLOUR);
    assert!(
        !pipe.contains('\u{1b}') && !pipe.contains(FRAME),
        "{pipe:?}"
    );
    assert_eq!(pipe.lines().count(), 4, "{pipe}");
    let header = pipe.lines().next().unwrap();
    for h in ["latency", "speed", "est. pull", "why"] {
        assert!(header.contains(h), "{header}");
    }
    assert!(
        pipe.contains("probably not on this mirror's allowlist\n"),
        "{pipe}"
    );
}

#[test]
fn the_probe_table_apply_prints_fits_the_terminal_too() {
    let sb = Sandbox::new();
    let image = Arc::new(Image::new("library/alpine", "latest", 8192));
    let good = FakeRegistry::start(image.clone(), Behavior::default());
    let allowlist = FakeRegistry::start(
        image,
        Behavior {
            fault: Fault::Status("/blobs/", 403),
            ..Default::default()
        },
    );
    let catalogue = sb.catalogue(&[("good", good.url()), ("allowlist", allowlist.url())]);
    let config = sb.path().join("daemon.json");
    let s = on_terminal_both(
        &sb,
        80,
        &[
            "apply",
            "--dry-run",
            "--no-restart",
            "--catalogue",
            catalogue.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
        ],
    );
    // The table on stderr, framed to the terminal's 80 columns (it used to be a pipe's, 125 wide).
    assert_eq!(body(&s).len(), 2, "one line a row:\n{s}");
    let table: Vec<&str> = s
        .lines()
        .skip_while(|l| !l.starts_with('┌'))
        .take_while(|l| !l.starts_with('['))
        .collect();
    assert_eq!(
        table.len(),
        7,
        "frame, two header lines, rule, two rows, frame:\n{s}"
    );
    assert!(table.iter().all(|l| width(l) <= 80), "{s}");
}

/// `s` without its escape sequences (`ESC [` parameters and a final letter), for measuring.
fn strip(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
