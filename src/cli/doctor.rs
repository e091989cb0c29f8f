//! `warroom doctor`: checks the whole alerting chain end to end, once — config readable, each
//! backend answering, Prometheus's rules evaluating, the dead man's switch (`[watchdog]`)
//! firing in Prometheus and arriving at each Alertmanager, the webhooks' secrets set, the
//! store reachable — and prints each link with OK or what is wrong and what to do. Exit 1 if
//! any link is broken, 2 for a bad config. Secrets are never printed.

use super::{Context, Failure};
use crate::backends::http_client;
use crate::backends::watch::ChainWatcher;
use crate::config::secrets::redact;
use crate::domain::{ChainWatch, Patience};

/// One link's verdict.
enum Verdict {
    Ok(String),
    /// Not checked, and why (nothing configured): said, but not a failure.
    Note(String),
    /// What is wrong, and what to do.
    Broken(String, String),
}

pub fn run(ctx: &Context) -> Result<(), Failure> {
    let path = &ctx.paths.config_file;
    let config = ctx.config()?;
    let services = ctx.paths.config_dir().join("services.toml");
    let catalog =
        crate::config::load_services(&services).map_err(|e| Failure::bad_input(e.to_string()))?;
    let mut links: Vec<(String, Verdict)> = Vec::new();
    links.push((
        "config".into(),
        if path.exists() {
            Verdict::Ok(format!("{} read", path.display()))
        } else {
            Verdict::Note(format!("{} not found; defaults used", path.display()))
        },
    ));

    let client = http_client().map_err(Failure::runtime)?;
    let timeout = config.alerts.timeout();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::runtime(format!("cannot check: {e}")))?;
    let (probes, look) = runtime.block_on(async {
        let watcher = ChainWatcher::from_config(&config, &client, timeout);
        let look = async {
            match &watcher {
                Some(w) => Some(w.look().await),
                None => None,
            }
        };
        futures::join!(
            super::probe::probe_all(&config, &catalog, &client, timeout),
            look
        )
    });
    if probes.is_empty() {
        links.push((
            "alert sources".into(),
            Verdict::Broken(
                "none configured: the console cannot see any alert".into(),
                "add an [[alertmanager]] or [prometheus] to config.toml".into(),
            ),
        ));
    }
    for (what, r) in probes {
        links.push((
            what,
            match r {
                Ok(detail) => Verdict::Ok(detail),
                Err(e) => Verdict::Broken(
                    e,
                    "check that it runs, that the URL in config.toml is right and that this machine can reach it".into(),
                ),
            },
        ));
    }

    let watchdog = config.watchdog();
    if watchdog.is_none() && look.is_some() {
        links.push((
            "dead man's switch".into(),
            Verdict::Note(
                "not configured: add [watchdog] (alert = \"Watchdog\") so a broken chain is noticed".into(),
            ),
        ));
    }
    if let Some(look) = look {
        let mut watch = ChainWatch::new(watchdog);
        watch.observe(look);
        for l in watch.links(Patience::OneLook) {
            let v = match l.verdict {
                Ok(detail) => Verdict::Ok(detail),
                Err(b) => Verdict::Broken(b.problem, b.todo),
            };
            links.push((l.name, v));
        }
    }

    if config.webhooks.is_empty() {
        links.push((
            "webhooks".into(),
            Verdict::Note("none configured: status updates stay in the journal".into()),
        ));
    }
    for w in &config.webhooks {
        let (name, kind) = (w.display_name(), w.kind.label());
        let found = match w.kind {
            crate::config::WebhookKind::Irc => w.irc_target().map(|t| t.shown()),
            crate::config::WebhookKind::Datadog => w
                .datadog_target()
                .map(|(url, _)| format!("events to {url} (API key set)")),
            _ => w.resolve_url().map(|_| "URL set".to_string()),
        };
        links.push((
            format!("webhook {name} ({kind})"),
            match found {
                Ok(found) => Verdict::Ok(found),
                Err(e) => Verdict::Broken(
                    e,
                    "set the variable its *_env key names in the environment warroom runs in"
                        .into(),
                ),
            },
        ));
    }

    links.push((
        "store".into(),
        match ctx.store().and_then(|s| {
            s.ids()
                .map(|ids| format!("{}: {} incidents", s.shown(), ids.len()))
                .map_err(Failure::from)
        }) {
            Ok(detail) => Verdict::Ok(detail),
            // A [store] that does not check is bad config.
            Err(f) if f.code == 2 => return Err(f),
            Err(f) => Verdict::Broken(
                f.message,
                "check the data directory (or [store]'s database) is there and writable".into(),
            ),
        },
    ));

    let mut broken = 0;
    for (name, v) in &links {
        let name = redact(name);
        match v {
            Verdict::Ok(detail) => say!("OK      {name}: {}", redact(detail)),
            Verdict::Note(note) => say!("--      {name}: {}", redact(note)),
            Verdict::Broken(problem, todo) => {
                broken += 1;
                say!("BROKEN  {name}: {}", redact(problem));
                say!("        what to do: {}", redact(todo));
            }
        }
    }
    if broken > 0 {
        return Err(Failure::runtime(format!(
            "doctor: {broken} of {} links broken",
            links.len()
        )));
    }
    say!("doctor: every link OK");
    Ok(())
}
