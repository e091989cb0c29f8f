//! The console: the full-screen interface a call leader runs an incident from.
//!
//! Shape: keys and background results become [`action::Action`]s; the pure reducer
//! [`update::update`] turns each into state changes and [`action::Effect`]s; the journal
//! worker ([`effects`]) carries effects out and answers with more actions; the pure
//! [`views::render`] draws the state.

pub mod action;
mod app;
pub mod effects;
pub mod health;
pub mod keymap;
pub mod practice;
mod runner;
pub mod runs;
pub mod state;
pub mod terminal;
pub mod text;
pub mod theme;
pub mod update;
pub mod views;

use crate::config::Config;
use crate::context::{Context, Failure};
use std::io::IsTerminal;

/// What leading and following share at start: config.toml, the keymap with its overrides,
/// the theme (NO_COLOR respected), and a fresh state with the status-update cadence.
fn start(
    ctx: &Context,
    theme_name: Option<&str>,
) -> Result<(Config, theme::Theme, state::State), Failure> {
    // One mistake in config.toml must not keep a call leader out: the broken part is left
    // out and shown in the problems list, naming file and line.
    let (config, broken) = Config::load_lenient(&ctx.paths.config_file);
    let (keymap, problems) = keymap::Keymap::with_overrides(&config.keys);
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let mut theme_problem = None;
    let theme = match theme::Theme::select(theme_name, &config, ctx.paths.config_dir(), no_color) {
        Ok(t) => t,
        // A theme asked for on the command line is meant: its mistake stops the start.
        Err(e) if theme_name.is_some() => return Err(Failure::bad_input(e.to_string())),
        Err(e) => {
            theme_problem = Some(format!("{e} (the default theme is used)"));
            theme::Theme::select(None, &Config::default(), ctx.paths.config_dir(), no_color)
                .map_err(|e| Failure::bad_input(e.to_string()))?
        }
    };
    let mut state = state::State::new(ctx.author.clone(), keymap, problems);
    state
        .problems
        .extend(broken.iter().map(|b| b.to_string()).chain(theme_problem));
    state.cadence = config.cadence;
    state.roll_rules = config.roll_rules;
    Ok((config, theme, state))
}

/// The console's runtime and action channel, with the terminal's hang-up already wired to
/// [`action::Action::Terminate`].
fn event_loop_parts() -> Result<
    (
        tokio::runtime::Runtime,
        tokio::sync::mpsc::UnboundedSender<action::Action>,
        tokio::sync::mpsc::UnboundedReceiver<action::Action>,
    ),
    Failure,
> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::runtime(format!("cannot start: {e}")))?;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let hangup = tx.clone();
    terminal::on_hangup(move || {
        let _ = hangup.send(action::Action::Terminate);
    })
    .map_err(|e| Failure::runtime(format!("cannot watch the terminal: {e}")))?;
    Ok((runtime, tx, rx))
}

pub fn run(ctx: &Context, theme_name: Option<&str>) -> Result<(), Failure> {
    run_with(ctx, theme_name, Vec::new())
}

/// [`run`], with `notices` in the problems area from the start (`warroom demo` says there
/// where its data lives and which keys to try).
pub fn run_with(
    ctx: &Context,
    theme_name: Option<&str>,
    notices: Vec<String>,
) -> Result<(), Failure> {
    run_drill(ctx, theme_name, notices, None)
}

/// The console playing a drill: its review is shown and journaled when the drill's incident
/// is resolved, and `:review` shows it meanwhile.
pub fn run_drill(
    ctx: &Context,
    theme_name: Option<&str>,
    notices: Vec<String>,
    drill: Option<state::Drill>,
) -> Result<(), Failure> {
    // The store every verb uses: the data directory, or a shared database. One that cannot
    // be reached now does not stop the start: the console says so and connects once it answers.
    let (store, down) = ctx.store_or_later()?;
    let store = store.clone();
    // A bad runbook stops the start, naming file and line, before anything else is asked of
    // the terminal: an action must never be offered from a file that does not read right.
    let runbook = crate::actions::load_runbook(&ctx.paths.config_dir().join("runbook.toml"))
        .map_err(|e| Failure::bad_input(e.to_string()))?;
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return Err(Failure::bad_input(
            "the console needs a terminal; for scripts use the commands (see `warroom --help`)",
        ));
    }
    // The checklists too: a call leader is not nagged from a file that does not read right.
    let checklists =
        crate::config::load_checklists(&ctx.paths.config_dir().join("checklists.toml"))
            .map_err(|e| Failure::bad_input(e.to_string()))?;
    let (config, theme, mut state) = start(ctx, theme_name)?;
    state.problems.extend(notices);
    state.drill = drill;
    state.practice = practice::PracticeSettings {
        objection_window: config.practice.objection_window(),
        executive_every: config.practice.executive_every(),
        executive_channels: config.practice.channels(),
        checklists,
    };
    state.bell = config.status_updates.bell;
    state.export_dir = config.postmortem.dir.clone();
    let has_sources = config.has_alert_sources() || config.graphite.is_some();
    state.group_by = config.alerts.group_by().to_string();
    let services_file = ctx.paths.config_dir().join("services.toml");
    // A broken services.toml costs the catalog (services are then found from alert labels),
    // not the console.
    state.catalog = crate::config::load_services(&services_file).unwrap_or_else(|e| {
        state.problems.push(format!("{e} (services.toml left out)"));
        Default::default()
    });
    let metrics_wanted =
        (config.prometheus.is_some() || config.graphite.is_some() || config.cloudwatch.is_some())
            && state.catalog.services.iter().any(|s| !s.metrics.is_empty());
    state.metrics_expected = metrics_wanted;
    let client = if config.webhooks.is_empty() && config.pagerduty.is_none() && !has_sources {
        None
    } else {
        match crate::backends::http_client() {
            Ok(c) => Some(c),
            Err(e) => {
                state.problems.push(format!(
                    "no HTTP: status updates will not be posted, alerts not read: {e}"
                ));
                None
            }
        }
    };
    let poll = crate::backends::poller::PollSettings::from_config(&config);
    let sources = match &client {
        Some(c) => crate::backends::sources::sources_with_intake(
            &config,
            c,
            poll.timeout,
            &ctx.paths.data_dir,
        ),
        None => Vec::new(),
    };
    state.board =
        crate::domain::AlertBoard::with_sources(sources.iter().map(|s| s.name().to_string()));
    state.write_backs = sources
        .iter()
        .filter(|s| !s.write_backs().is_empty())
        .map(|s| (s.name().to_string(), s.write_backs().to_vec()))
        .collect();
    state.actions.runbook = runbook.clone();
    let (run_reports, mut run_incoming) = tokio::sync::mpsc::unbounded_channel();
    let runner = {
        let client = client
            .clone()
            .or_else(|| crate::backends::http_client().ok());
        let metrics = client
            .as_ref()
            .map(|c| {
                let timeout = std::time::Duration::from_secs(10);
                crate::backends::metrics::MetricReaders::from_config(&config, c, timeout).0
            })
            .unwrap_or_default();
        runner::ActionRunner::new(runbook, client, metrics, run_reports)
    };
    let mut delivery = app::Delivery {
        runner,
        hooks: config.webhooks.clone(),
        pagerduty: config.pagerduty.clone(),
        opsgenies: config.opsgenies.clone(),
        actions: None,
        client,
        sources: sources.clone(),
        share: config
            .share
            .as_ref()
            .map(|_| crate::share::server::Hub::new(store.clone(), &ctx.paths.data_dir)),
        data_dir: ctx.paths.data_dir.clone(),
        criteria: None,
    };
    state.share_base = config.share.as_ref().map(|s| s.base_url());
    state.pagerduty_configured = config.pagerduty.is_some();
    state.oncall_services = crate::backends::oncall::OnCall::configured_services(&config);
    // Followers learn at once when this console has no view to share; otherwise the first
    // alert or metrics report publishes one.
    if let Some(hub) = &delivery.share
        && state.board.sources.is_empty()
        && !state.metrics_expected
    {
        hub.publish_views(app::views_json(&state, chrono::Utc::now()));
    }

    let (runtime, tx, rx) = event_loop_parts()?;
    delivery.actions = Some(tx.clone());
    // Output and ends of runbook actions, from the tasks running them.
    {
        let forward = tx.clone();
        runtime.spawn(async move {
            while let Some(a) = run_incoming.recv().await {
                if forward.send(a).is_err() {
                    break;
                }
            }
        });
    }
    // One poller per alert source; reports become actions like everything else.
    if !sources.is_empty() {
        let (reports, mut incoming) = tokio::sync::mpsc::unbounded_channel();
        let _enter = runtime.enter();
        crate::backends::poller::spawn_all(sources, poll.clone(), reports);
        let forward = tx.clone();
        runtime.spawn(async move {
            while let Some(r) = incoming.recv().await {
                if forward.send(action::Action::AlertReport(r)).is_err() {
                    break;
                }
            }
        });
    }
    // The alerting chain itself: Prometheus's rules, the dead man's switch.
    state.watch = crate::domain::ChainWatch::new(config.watchdog());
    if let Some(watcher) = delivery
        .client
        .as_ref()
        .and_then(|c| crate::backends::watch::ChainWatcher::from_config(&config, c, poll.timeout))
    {
        let (looks, mut incoming) = tokio::sync::mpsc::unbounded_channel();
        let _enter = runtime.enter();
        crate::backends::watch::spawn(watcher, poll.interval, looks);
        let forward = tx.clone();
        runtime.spawn(async move {
            while let Some(l) = incoming.recv().await {
                if forward.send(action::Action::Chain(l)).is_err() {
                    break;
                }
            }
        });
    }
    // Service metrics for the blast radius, from every metrics source configured.
    if metrics_wanted && let Some(c) = &delivery.client {
        let (readers, problems) =
            crate::backends::metrics::MetricReaders::from_config(&config, c, poll.timeout);
        state.problems.extend(
            problems
                .into_iter()
                .map(|p| format!("service metrics not read from {p}")),
        );
        let (reports, mut incoming) = tokio::sync::mpsc::unbounded_channel();
        let _enter = runtime.enter();
        crate::backends::metrics::spawn(readers, state.catalog.clone(), poll.interval, reports);
        let forward = tx.clone();
        runtime.spawn(async move {
            while let Some(r) = incoming.recv().await {
                if forward.send(action::Action::Metrics(r)).is_err() {
                    break;
                }
            }
        });
    }
    // The exit criteria's metrics, read live while the led incident has any.
    let (criteria_tx, criteria_rx) = tokio::sync::watch::channel(practice::Watched::default());
    if let Some(c) = &delivery.client {
        let (readers, _) =
            crate::backends::metrics::MetricReaders::from_config(&config, c, poll.timeout);
        let _enter = runtime.enter();
        practice::spawn_criteria_reader(readers, poll.interval, criteria_rx, tx.clone());
    }
    delivery.criteria = Some(criteria_tx);
    // The read-only share server, in this process, while the console runs.
    if let (Some(share), Some(hub)) = (&config.share, &delivery.share) {
        use crate::share::server;
        match runtime.block_on(server::bind(share, ctx.paths.config_dir())) {
            Ok((listener, tls)) => {
                if let Some((intake, problems)) =
                    crate::intake::Intake::from_config(&config, &ctx.paths.data_dir)
                {
                    state.problems.extend(problems);
                    hub.set_intake(std::sync::Arc::new(intake));
                }
                let hub = hub.clone();
                runtime.spawn(async move {
                    let _ = server::serve_with(listener, hub, tls, std::future::pending()).await;
                });
            }
            Err((_, why)) => state.problems.push(format!("not sharing: {why}")),
        }
    }
    let (worker, worker_thread) = effects::spawn_with(
        store,
        ctx.paths.data_dir.clone(),
        ctx.author.clone(),
        tx,
        effects::Start {
            safety_poll: effects::SAFETY_POLL,
            down,
        },
    )
    .map_err(|e| Failure::runtime(format!("cannot start the journal worker: {e}")))?;

    let result = {
        let mut guard = terminal::TerminalGuard::enter()
            .map_err(|e| Failure::runtime(format!("cannot take over the terminal: {e}")))?;
        runtime.block_on(app::run(
            &mut guard.terminal,
            &mut state,
            &theme,
            &worker,
            &delivery,
            rx,
        ))
    };
    // Let an append in flight finish before the process ends.
    drop(worker);
    let _ = worker_thread.join();
    result.map_err(|e| Failure::runtime(format!("terminal error: {e}")))
}

/// `warroom follow URL --token=T`: the console in the follower role — read-only, fed by the
/// share server, every entry checked against the hash chain.
pub fn follow(
    ctx: &Context,
    url: &str,
    token: &str,
    ca: Option<&std::path::Path>,
    theme_name: Option<&str>,
) -> Result<(), Failure> {
    let target = crate::share::follower::Target::parse(url).map_err(Failure::bad_input)?;
    if token.trim().is_empty() {
        return Err(Failure::bad_input(
            "--token is empty; paste the whole `warroom follow` line",
        ));
    }
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return Err(Failure::bad_input("following needs a terminal"));
    }
    let (_, theme, mut state) = start(ctx, theme_name)?;
    state.follow = Some(state::FollowState {
        id: target.id.clone(),
        source: target.display(),
        link: state::Link::Connecting,
        views: state::FollowViews::Waiting,
    });
    let client = crate::share::follower::http_client(ca).map_err(Failure::bad_input)?;
    let (runtime, tx, rx) = event_loop_parts()?;
    {
        let token = token.trim().to_string();
        let tx = tx.clone();
        runtime.spawn(crate::share::follower::follow(
            client,
            target,
            token,
            move |e| tx.send(action::Action::Follow(e)).is_ok(),
        ));
    }
    // A follower has no journal: effects are refused by the reducer, and this sink only
    // stands where the journal worker would.
    let (sink, _never_read) = std::sync::mpsc::channel();
    let delivery = app::Delivery {
        hooks: Vec::new(),
        pagerduty: None,
        opsgenies: Vec::new(),
        client: None,
        sources: Vec::new(),
        share: None,
        runner: runner::ActionRunner::new(Default::default(), None, Default::default(), tx.clone()),
        actions: Some(tx.clone()),
        data_dir: ctx.paths.data_dir.clone(),
        criteria: None,
    };
    let result = {
        let mut guard = terminal::TerminalGuard::enter()
            .map_err(|e| Failure::runtime(format!("cannot take over the terminal: {e}")))?;
        runtime.block_on(app::run(
            &mut guard.terminal,
            &mut state,
            &theme,
            &sink,
            &delivery,
            rx,
        ))
    };
    result.map_err(|e| Failure::runtime(format!("terminal error: {e}")))
}
