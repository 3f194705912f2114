//! The real activator: the service manager restarts or reloads, the Engine API says whether the change is live,
//! and after a rollback the service is brought up on the old files.

use rust_i18n::t;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::plan::{Activation, Plan, Verify};
use super::Activator;
use crate::sys::engine::{Engine, Info};
use crate::sys::service::Service;
use crate::ui::output::Printer;

/// How long a service gets to answer after a restart.
const READY: Duration = Duration::from_secs(60);
/// How long a reloaded daemon may take to show its new configuration in `/info`.
const SETTLE: Duration = Duration::from_secs(10);

/// systemd / sysv / OpenRC and the Engine API, for real; it says what it does through `p`.
pub struct Live {
    pub p: Printer,
}

impl Activator for Live {
    /// Every restart of dockerd stops its running containers (unless `live-restore` keeps them): said, with how
    /// many, before anything is written — for a mirror change (which `--reload` can make without a stop) and for a
    /// proxy change (which only a start reads) alike.
    async fn before(&self, plan: &Plan) {
        let (Activation::Restart(_) | Activation::Command(_)) = &plan.activation else {
            return;
        };
        let (engine, key) = match &plan.verify {
            Verify::DockerMirrors(engine, _) | Verify::DockerMirrorsAndPull(engine, ..) => {
                (engine, "tx.containers_running")
            }
            Verify::DockerProxy(engine, ..) | Verify::DockerProxyGone(engine, _) => {
                (engine, "tx.containers_running_proxy")
            }
            _ => return,
        };
        if let Ok(info) = engine.info().await {
            if info.containers_running > 0 && !info.live_restore_enabled {
                self.p.info_line(t!(key, count = info.containers_running));
            }
        }
    }

    async fn activate(&self, plan: &Plan) -> Result<()> {
        activate(plan, self.p).await
    }

    async fn recover(&self, plan: &Plan) -> Result<()> {
        match (&plan.activation, &plan.verify) {
            (Activation::Restart(svc), verify) => {
                svc.recover().await?;
                if let Verify::DockerMirrors(engine, _)
                | Verify::DockerMirrorsAndPull(engine, ..)
                | Verify::DockerProxy(engine, ..)
                | Verify::DockerProxyGone(engine, _) = verify
                {
                    engine.wait_ready(READY).await?;
                }
            }
            (Activation::Reload(svc), verify) => {
                // A reload only reaches a running daemon. One that is down (the reload failed for that very
                // reason) is started on the old files, as after a failed restart.
                if svc.is_active().await {
                    svc.reload().await?;
                } else {
                    self.p
                        .info_line(t!("tx.starting_old", how = svc.describe_restart(false)));
                    svc.recover().await?;
                }
                if let Verify::DockerMirrors(engine, _) | Verify::DockerMirrorsAndPull(engine, ..) =
                    verify
                {
                    engine.wait_ready(READY).await?;
                }
            }
            // The product's engine is restarted again, on the old files, and must answer.
            (Activation::Command(argv), verify) => {
                crate::sys::service::run_argv(argv).await?;
                if let Verify::DockerMirrors(engine, _)
                | Verify::DockerProxy(engine, ..)
                | Verify::DockerProxyGone(engine, _) = verify
                {
                    engine.wait_ready(READY).await?;
                }
            }
            // Back on the old units: whatever is installed now runs as it did.
            (Activation::Enable(svc), _) => svc.enable(false).await?,
            (Activation::Disable(svc), _) => svc.enable(true).await?,
            _ => {}
        }
        Ok(())
    }
}

async fn activate(plan: &Plan, p: Printer) -> Result<()> {
    let svc = match &plan.activation {
        Activation::Manual(how) => {
            p.say_line(t!("tx.written", how = how));
            return Ok(());
        }
        Activation::Automatic(when) => {
            p.say_line(t!("tx.written", how = when));
            return Ok(());
        }
        Activation::Command(argv) => {
            let command = argv.join(" ");
            p.info_line(t!("tx.restarting", how = command));
            {
                let _wait = Waiting::new(p, t!("tx.wait_command", command = command));
                crate::sys::service::run_argv(argv)
                    .await
                    .with_context(|| t!("tx.command_failed", command = command))?;
            }
            return verify(plan, None, p).await;
        }
        Activation::Restart(svc) => {
            p.info_line(t!("tx.restarting", how = svc.describe_restart(false)));
            let _wait = Waiting::new(p, t!("tx.wait_restart", service = svc.unit));
            svc.restart()
                .await
                .with_context(|| t!("tx.restart_failed", service = svc.unit))?;
            svc
        }
        Activation::Reload(svc) => {
            p.info_line(t!("tx.reloading", how = svc.describe_restart(true)));
            let _wait = Waiting::new(p, t!("tx.wait_reload", service = svc.unit));
            svc.reload()
                .await
                .with_context(|| t!("tx.reload_failed", service = svc.unit))?;
            svc
        }
        Activation::Enable(svc) => {
            svc.enable(true)
                .await
                .with_context(|| t!("tx.enable_failed", unit = svc.unit))?;
            svc
        }
        Activation::Disable(svc) => {
            svc.enable(false)
                .await
                .with_context(|| t!("tx.enable_failed", unit = svc.unit))?;
            svc
        }
    };
    verify(plan, Some(svc), p).await
}

/// A progress line (a spinner, what is awaited, the time so far) on a terminal's stderr while the service manager
/// or the Engine API is waited for — a restart and its check take 15 s on Engine 20.10 — cleared when dropped,
/// before the verdict is printed. Hidden off a terminal and with `-q`, as every progress line is.
struct Waiting(indicatif::ProgressBar);

impl Waiting {
    fn new(p: Printer, what: impl AsRef<str>) -> Self {
        let bar = p.progress(0, "{spinner} {msg} {elapsed}");
        bar.set_message(crate::ui::output::clean(what.as_ref()));
        Self(bar)
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

/// Whether the daemon runs with exactly these mirrors (dockerd's normalised form, in order).
pub fn mirrors_live(info: &Info, want: &[String]) -> bool {
    info.registry_config.mirrors == want
}

/// `/info` once it shows what we expect, or as it is after `SETTLE`. A reload is a SIGHUP that `systemctl reload`
/// does not wait for (the unit's ExecReload is `kill -s HUP`): Engine 26 answers `/info` with the old config for
/// a few milliseconds after it, so one look right away reports a failed reload that is only late.
async fn settled(engine: &Engine, done: impl Fn(&Info) -> bool) -> Result<Info> {
    let deadline = std::time::Instant::now() + SETTLE;
    loop {
        let info = engine.info().await?;
        if done(&info) || std::time::Instant::now() >= deadline {
            return Ok(info);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `svc`: the unit restarted (`None` for a product's own command, whose plans check only through the Engine API).
async fn verify(plan: &Plan, svc: Option<&Service>, p: Printer) -> Result<()> {
    let unit = || svc.context(t!("tx.no_unit"));
    match &plan.verify {
        Verify::DockerMirrors(engine, want) => verify_mirrors(engine, want, p).await?,
        Verify::DockerMirrorsAndPull(engine, want, pull) => {
            verify_mirrors(engine, want, p).await?;
            pull(p).await?;
        }
        Verify::DockerProxy(engine, http, https) => {
            let info = {
                let _wait = Waiting::new(p, t!("tx.wait_proxy"));
                engine.wait_ready(READY).await?;
                settled(engine, |i| (&i.http_proxy, &i.https_proxy) == (http, https)).await?
            };
            if (&info.http_proxy, &info.https_proxy) != (http, https) {
                bail!(
                    "{}",
                    t!(
                        "tx.proxy_not_live",
                        live_http = info.http_proxy,
                        live_https = info.https_proxy,
                        http = http,
                        https = https
                    )
                );
            }
            p.say_line(t!("tx.verified_proxy", http = http, https = https));
        }
        Verify::DockerProxyGone(engine, old) => {
            let info = {
                let _wait = Waiting::new(p, t!("tx.wait_proxy_gone"));
                engine.wait_ready(READY).await?;
                settled(engine, |i| ![&i.http_proxy, &i.https_proxy].contains(&old)).await?
            };
            if [&info.http_proxy, &info.https_proxy].contains(&old) {
                bail!("{}", t!("tx.proxy_still_used", proxy = old));
            }
            p.say_line(t!("tx.verified_proxy_gone"));
        }
        Verify::Active => {
            let svc = unit()?;
            if !svc.is_active().await {
                bail!("{}", t!("tx.not_active", service = svc.unit));
            }
            p.say_line(t!("tx.verified_active", service = svc.unit));
        }
        Verify::Cache(url, certs_dir, pull) => {
            wait_for_v2(url, unit()?, certs_dir).await?;
            pull(p).await?;
        }
        Verify::Registry(url, certs_dir) => {
            wait_for_v2(url, unit()?, certs_dir).await?;
            p.say_line(t!("tx.verified_registry", url = url));
        }
        Verify::Nothing => {}
    }
    Ok(())
}

/// `/info` lists exactly the mirrors written.
async fn verify_mirrors(engine: &Engine, want: &[String], p: Printer) -> Result<()> {
    let live = {
        let _wait = Waiting::new(p, t!("tx.wait_mirrors"));
        engine.wait_ready(READY).await?;
        settled(engine, |i| mirrors_live(i, want)).await?
    }
    .registry_config
    .mirrors;
    if live != want {
        bail!(
            "{}",
            t!(
                "tx.mirrors_not_live",
                live = format!("{live:?}"),
                want = format!("{want:?}")
            )
        );
    }
    p.say_line(t!("tx.verified_mirrors", count = live.len()));
    for m in &live {
        p.say(&format!("  {m}\n"));
    }
    Ok(())
}

/// Until the registry answers `/v2/` (200, or 401 with auth): it fails at once when its unit stops (a port taken,
/// an upstream that does not answer — distribution 2.8 exits when it cannot ping its remoteurl at start).
async fn wait_for_v2(url: &str, svc: &Service, certs_dir: &std::path::Path) -> Result<()> {
    let v2 = format!("{}/v2/", url.trim_end_matches('/'));
    // With its certs.d CA, as dockerd would trust it.
    let clients = crate::registry::http::Clients::new(certs_dir, None)?
        .for_mirror(&reqwest::Url::parse(&v2).context(t!("warm.bad_url", url = v2))?);
    let deadline = std::time::Instant::now() + READY;
    loop {
        if !svc.is_active().await {
            bail!("{}", t!("tx.cache_stopped", service = svc.unit));
        }
        let answer =
            tokio::time::timeout(Duration::from_secs(2), clients.http.get(&v2).send()).await;
        if let Ok(Ok(r)) = answer {
            if matches!(r.status().as_u16(), 200 | 401) {
                return Ok(());
            }
        }
        if std::time::Instant::now() >= deadline {
            bail!(
                "{}",
                t!("tx.cache_no_answer", url = v2, secs = READY.as_secs())
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(all(test, unix))]
mod tests {
    //! A product's own command, really run (a script standing for `orb`): it runs after the write, and when it
    //! fails the file is put back byte for byte and the same command runs again, on the old file.

    use super::*;
    use crate::change::{FileChange, Subject};
    use std::os::unix::fs::PermissionsExt;

    fn orb(dir: &std::path::Path) -> Vec<String> {
        let script = dir.join("orb");
        let body = format!(
            "#!/bin/sh\necho \"$@\" >> '{log}'\nif [ -e '{fail}' ]; then rm '{fail}'; echo 'engine did not start' >&2; exit 3; fi\n",
            log = dir.join("argv.log").display(),
            fail = dir.join("fail").display()
        );
        std::fs::write(&script, body).unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        vec![
            script.display().to_string(),
            "restart".into(),
            "docker".into(),
        ]
    }

    fn run(plan: &Plan) -> Result<()> {
        let p = Printer::new(true, false);
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(crate::change::run::execute(
                plan,
                &Live { p },
                std::future::pending(),
                Duration::from_millis(50),
                p,
            ))
    }

    #[test]
    fn a_products_command_runs_and_a_failing_one_rolls_back_and_runs_again() {
        let dir = tempfile::tempdir().unwrap();
        let argv = orb(dir.path());
        let file = dir.path().join("docker.json");
        let before = b"{\n  \"debug\" : true\n}\n".to_vec();
        std::fs::write(&file, &before).unwrap();
        let plan = |after: &str, before: &[u8]| Plan {
            target: Subject::Docker,
            mirrors: vec![],
            labels: vec![],
            notes: vec![],
            changes: vec![FileChange::new(file.clone(), Some(before.to_vec()), after)],
            activation: Activation::Command(argv.clone()),
            verify: Verify::Nothing,
            preflight: None,
        };
        let log = || std::fs::read_to_string(dir.path().join("argv.log")).unwrap_or_default();
        run(&plan("{\"registry-mirrors\": [\"https://a/\"]}", &before)).unwrap();
        assert_eq!(log(), "restart docker\n");
        let written = std::fs::read(&file).unwrap();
        assert_eq!(written, b"{\"registry-mirrors\": [\"https://a/\"]}");

        std::fs::write(dir.path().join("fail"), "").unwrap();
        let e = run(&plan("{\"registry-mirrors\": [\"https://b/\"]}", &written)).unwrap_err();
        let text = format!("{e:#}");
        assert!(
            text.contains("restart docker") && text.contains("engine did not start"),
            "{text}"
        );
        assert_eq!(
            std::fs::read(&file).unwrap(),
            written,
            "put back byte for byte"
        );
        assert_eq!(
            log(),
            "restart docker\n".repeat(3),
            "run, failed, run again"
        );
    }
}
