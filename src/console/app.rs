//! The loop: one task owns `State` and the terminal and waits on key presses, actions from the
//! journal worker, a 1 Hz clock (armed only while a countdown is on screen) and signals. It
//! drains everything pending, then draws once, and only if something changed: idle is idle.

use super::action::{Action, Effect};
use super::state::State;
use super::terminal::Tui;
use super::theme::Theme;
use super::update::update;
use super::views::render;
use crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use crossterm::execute;
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use futures::StreamExt;
use std::sync::mpsc::Sender;
use std::time::Duration;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc::UnboundedReceiver;

/// The outside world the console talks to besides the journal: chat webhooks for status
/// updates, and the alert sources (for silences).
pub struct Delivery {
    pub hooks: Vec<crate::config::WebhookConfig>,
    /// Where the notes to linked PagerDuty incidents go.
    pub pagerduty: Option<crate::config::PagerDutyConfig>,
    /// The `[[opsgenie]]` entries, for who is on call through their schedules.
    pub opsgenies: Vec<crate::config::OpsGenieConfig>,
    pub client: Option<reqwest::Client>,
    pub sources: Vec<crate::backends::sources::AlertSource>,
    /// The share server this console hosts, fed the alerts and blast radius as they change.
    pub share: Option<std::sync::Arc<crate::share::server::Hub>>,
    /// Runs runbook actions as tasks of this loop's runtime.
    pub runner: super::runner::ActionRunner,
    /// Where work done off the loop reports back (a follower's export copy, PagerDuty's list
    /// of incidents); the journal worker has its own way back.
    pub actions: Option<tokio::sync::mpsc::UnboundedSender<Action>>,
    /// This console's data directory, which no export writes into.
    pub data_dir: std::path::PathBuf,
    /// Which exit criteria's metrics the criteria reader reads (none without an HTTP client).
    pub criteria: Option<tokio::sync::watch::Sender<super::practice::Watched>>,
}

/// The alerts and blast radius as followers receive them (capped: followers need the picture,
/// not ten thousand rows).
pub fn views_json(state: &State, now: chrono::DateTime<chrono::Utc>) -> String {
    const MAX_ALERTS: usize = 1000;
    if state.board.sources.is_empty() && !state.metrics_expected {
        // No alert source and no metrics: nothing to share, and followers are told so.
        return crate::share::server::NO_VIEWS.to_string();
    }
    let alerts = state.alert_rows();
    let total = alerts.len();
    serde_json::json!({
        "at": now,
        "alerts": alerts[..total.min(MAX_ALERTS)]
            .iter()
            .map(|a| &**a)
            .collect::<Vec<&crate::domain::Alert>>(),
        "alerts_total": total,
        "blast": state.blast,
    })
    .to_string()
}

pub async fn run(
    terminal: &mut Tui,
    state: &mut State,
    theme: &Theme,
    worker: &Sender<Effect>,
    delivery: &Delivery,
    mut actions: UnboundedReceiver<Action>,
) -> std::io::Result<()> {
    let mut posting = tokio::task::JoinSet::new();
    let result = run_loop(
        terminal,
        state,
        theme,
        worker,
        delivery,
        &mut actions,
        &mut posting,
    )
    .await;
    // Nothing the runbook started outlives the console: stop the runs, record their end.
    delivery.runner.shutdown().await;
    if !posting.is_empty() {
        // Never drop a status update on the floor at quit: let the posts finish (each is
        // bounded by its timeout and retries), then record them.
        state.flash = Some(super::state::Flash {
            text: "Posting the status update before leaving…".into(),
            error: false,
            at: chrono::Utc::now(),
        });
        let _ = draw(terminal, state, theme);
        let _ = tokio::time::timeout(Duration::from_secs(60), async {
            while posting.join_next().await.is_some() {}
        })
        .await;
    }
    result
}

async fn run_loop(
    terminal: &mut Tui,
    state: &mut State,
    theme: &Theme,
    worker: &Sender<Effect>,
    delivery: &Delivery,
    actions: &mut UnboundedReceiver<Action>,
    posting: &mut tokio::task::JoinSet<()>,
) -> std::io::Result<()> {
    let mut keys = EventStream::new();
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    if let Ok(size) = terminal.size() {
        state.size = (size.width, size.height);
    }
    let mut dirty = true;
    loop {
        // Quit before drawing: after SIGHUP the terminal is gone, and a last frame would only
        // fail (EIO) and turn a clean exit into a "terminal error".
        if state.quit {
            return Ok(());
        }
        if dirty {
            draw(terminal, state, theme)?;
            dirty = false;
        }
        let action = tokio::select! {
            ev = keys.next() => match ev {
                Some(Ok(TermEvent::Key(k))) if k.kind != KeyEventKind::Release => Action::Key(k),
                Some(Ok(TermEvent::Resize(width, height))) => Action::Resize { width, height },
                Some(Ok(TermEvent::Paste(text))) => Action::Paste(text),
                Some(Ok(_)) => continue,
                // The terminal went away: leave as on SIGHUP.
                Some(Err(_)) | None => Action::Terminate,
            },
            Some(a) = actions.recv() => a,
            _ = clock.tick(), if state.countdown_visible() => Action::Tick,
            _ = sigterm.recv() => Action::Terminate,
            _ = sighup.recv() => Action::Terminate,
        };
        apply(state, action, worker, delivery, posting);
        while let Ok(a) = actions.try_recv() {
            apply(state, a, worker, delivery, posting);
        }
        dirty = true;
    }
}

fn apply(
    state: &mut State,
    action: Action,
    worker: &Sender<Effect>,
    delivery: &Delivery,
    posting: &mut tokio::task::JoinSet<()>,
) {
    let now = chrono::Utc::now();
    let views_changed = matches!(action, Action::AlertReport(_) | Action::Metrics(_));
    let effects = update(state, action, now);
    if let Some(w) = &delivery.criteria {
        let wanted = super::practice::Watched::of(state);
        w.send_if_modified(|current| {
            let changed = *current != wanted;
            *current = wanted;
            changed
        });
    }
    if views_changed && let Some(hub) = &delivery.share {
        hub.publish_views(views_json(state, now));
    }
    for effect in effects {
        match effect {
            Effect::Quit => continue,
            Effect::StartRun {
                id,
                local,
                action,
                params,
            } => {
                match delivery.runner.prepare(id, local, &action, &params) {
                    Ok(record) => {
                        if worker.send(record).is_err() {
                            state.problems.push("the journal worker stopped".into());
                        }
                    }
                    Err(reason) => {
                        // Only a message: nothing was recorded, nothing runs.
                        let _ = update(state, Action::RunRefused { local, reason }, now);
                    }
                }
                continue;
            }
            Effect::SpawnRun { id, local, run_id } => {
                delivery.runner.spawn(id, local, run_id, worker.clone());
                continue;
            }
            Effect::CancelRun { run_id } => {
                delivery.runner.cancel(&run_id);
                continue;
            }
            Effect::Bell => {
                use std::io::Write;
                let mut out = std::io::stdout();
                let _ = out.write_all(b"\x07").and_then(|()| out.flush());
                continue;
            }
            Effect::CreateSilence {
                id,
                sources,
                matchers,
                ends_at,
                comment,
            } => {
                let targets = silence_targets(delivery, &sources);
                let worker = worker.clone();
                let by = state.me.clone();
                posting.spawn(async move {
                    for (name, am) in targets {
                        let parsed: Result<Vec<_>, String> = matchers
                            .iter()
                            .map(|m| crate::backends::matcher::Matcher::parse(m))
                            .collect();
                        let event = match parsed {
                            Err(e) => Err(format!("bad matcher: {e}")),
                            Ok(ms) => am
                                .create_silence(&ms, chrono::Utc::now(), ends_at, &by, &comment)
                                .await
                                .map_err(|e| e.to_string())
                                .map(|silence_id| crate::domain::Event::SilenceCreated {
                                    silence_id,
                                    source: name.clone(),
                                    matchers: matchers.clone(),
                                    ends_at,
                                    comment: comment.clone(),
                                }),
                        };
                        match event {
                            Ok(event) => {
                                let _ = worker.send(Effect::Record {
                                    id: id.clone(),
                                    event,
                                });
                            }
                            Err(e) => {
                                let _ = worker.send(Effect::Problem(format!(
                                    "silence on {name} not created: {e}"
                                )));
                            }
                        }
                    }
                });
                continue;
            }
            Effect::WriteBack {
                id,
                sources,
                alert,
                kind,
                text,
            } => {
                let targets: Vec<crate::backends::sources::AlertSource> = delivery
                    .sources
                    .iter()
                    .filter(|s| sources.iter().any(|n| n == s.name()))
                    .cloned()
                    .collect();
                let worker = worker.clone();
                let by = state.me.clone();
                posting.spawn(async move {
                    for source in targets {
                        let event = crate::backends::sources::write_back_event(
                            &source, &alert, kind, &text, &by,
                        )
                        .await;
                        let _ = worker.send(Effect::Record {
                            id: id.clone(),
                            event,
                        });
                    }
                });
                continue;
            }
            Effect::ExpireSilences { id, silences } => {
                let worker = worker.clone();
                let all: Vec<String> = silences.iter().map(|(s, _)| s.clone()).collect();
                let targets = silence_targets(delivery, &all);
                posting.spawn(async move {
                    for (source, silence_id) in silences {
                        let Some((_, am)) = targets.iter().find(|(n, _)| *n == source) else {
                            continue;
                        };
                        match am.expire_silence(&silence_id).await {
                            Ok(()) => {
                                let _ = worker.send(Effect::Record {
                                    id: id.clone(),
                                    event: crate::domain::Event::SilenceExpired {
                                        silence_id,
                                        source,
                                    },
                                });
                            }
                            Err(e) => {
                                let _ = worker.send(Effect::Problem(format!(
                                    "silence {silence_id} on {source} not expired: {e}"
                                )));
                            }
                        }
                    }
                });
                continue;
            }
            Effect::ExportCopy { id, entries, dir } => {
                let Some(back) = delivery.actions.clone() else {
                    continue;
                };
                let delivery_data_dir = delivery.data_dir.clone();
                // Rendering a large incident takes a moment: not on the loop.
                tokio::task::spawn_blocking(move || {
                    let _ = back.send(super::effects::export_copy(
                        id,
                        &entries,
                        dir,
                        &delivery_data_dir,
                    ));
                });
                continue;
            }
            Effect::ListOnCall { id, service } => {
                let Some(back) = delivery.actions.clone() else {
                    continue;
                };
                let asked = oncall_source(delivery);
                tokio::spawn(async move {
                    let result = match asked {
                        Err(e) => Err(e),
                        Ok(oncall) => oncall.who(&service).await,
                    };
                    let _ = back.send(Action::OnCallListed {
                        id,
                        service,
                        result,
                    });
                });
                continue;
            }
            Effect::Page {
                id,
                service,
                person,
                message,
                linked,
            } => {
                let worker = worker.clone();
                let asked = oncall_source(delivery);
                // A page is a write: quitting waits for it, like the posts.
                posting.spawn(async move {
                    let req = crate::backends::oncall::PageRequest {
                        service: &service,
                        person: &person,
                        message: &message,
                        linked: &linked,
                    };
                    let event = match asked {
                        Ok(oncall) => oncall.page(&req).await.event(&req, oncall.vendor(&service)),
                        Err(e) => crate::backends::oncall::PageOutcome {
                            ok: false,
                            detail: e,
                        }
                        .event(&req, "on-call"),
                    };
                    let _ = worker.send(Effect::Record { id, event });
                });
                continue;
            }
            Effect::ListPagerDuty { id } => {
                let Some(back) = delivery.actions.clone() else {
                    continue;
                };
                let asked = pagerduty_client(delivery);
                // Only a question: not among the posts quitting waits for.
                tokio::spawn(async move {
                    let result = match asked {
                        Err(e) => Err(e),
                        Ok((pd, service_ids)) => pd
                            .open_incidents(&service_ids)
                            .await
                            .map(|mut found| {
                                found.sort_by_key(|i| std::cmp::Reverse(i.created_at));
                                found
                                    .iter()
                                    .map(super::state::PagerDutyChoice::from_incident)
                                    .collect()
                            })
                            .map_err(|e| e.to_string()),
                    };
                    let _ = back.send(Action::PagerDutyListed { id, result });
                });
                continue;
            }
            Effect::DeliverExecutive { id, message } => {
                let hooks: Vec<crate::config::WebhookConfig> = delivery
                    .hooks
                    .iter()
                    .filter(|h| {
                        state
                            .practice
                            .executive_channels
                            .contains(&h.display_name())
                    })
                    .cloned()
                    .collect();
                let client = delivery
                    .client
                    .clone()
                    .or_else(|| crate::backends::http_client().ok());
                let (Some(client), false) = (client, hooks.is_empty()) else {
                    continue;
                };
                post(posting, worker, id, client, hooks, None, message);
                continue;
            }
            Effect::Deliver { id, message } => {
                // Without hooks or [pagerduty] the console made no client; a linked PagerDuty
                // incident still gets an outcome (a failure saying what is missing).
                let client = delivery.client.clone().or_else(|| {
                    (!message.pagerduty.is_empty())
                        .then(|| crate::backends::http_client().ok())
                        .flatten()
                });
                let Some(client) = client else {
                    continue;
                };
                let (hooks, pagerduty) = (delivery.hooks.clone(), delivery.pagerduty.clone());
                post(posting, worker, id, client, hooks, pagerduty, message);
                continue;
            }
            _ => {}
        }
        if worker.send(effect).is_err() {
            state.problems.push(
                "the journal worker stopped; nothing more can be recorded — restart warroom".into(),
            );
        }
    }
}

/// Posts `message` to `hooks` (and the linked PagerDuty incidents, with `pagerduty`) off the
/// loop, among the posts quitting waits for; each outcome is recorded against `message.seq`.
fn post(
    posting: &mut tokio::task::JoinSet<()>,
    worker: &Sender<Effect>,
    id: String,
    client: reqwest::Client,
    hooks: Vec<crate::config::WebhookConfig>,
    pagerduty: Option<crate::config::PagerDutyConfig>,
    message: crate::backends::webhook::UpdateMessage,
) {
    let worker = worker.clone();
    posting.spawn(async move {
        let outcomes =
            crate::backends::webhook::deliver_all(&client, &hooks, pagerduty.as_ref(), &message)
                .await;
        for o in outcomes {
            let _ = worker.send(Effect::Record {
                id: id.clone(),
                event: crate::domain::Event::UpdateDelivered {
                    update_seq: message.seq,
                    target: o.target,
                    ok: o.ok,
                    detail: o.detail,
                    attempts: o.attempts,
                },
            });
        }
    });
}

/// The PagerDuty client of `[pagerduty]` and its service IDs, or why there is none.
fn pagerduty_client(
    delivery: &Delivery,
) -> Result<(crate::backends::pagerduty::PagerDuty, Vec<String>), String> {
    let config = delivery
        .pagerduty
        .as_ref()
        .ok_or("no [pagerduty] section in config.toml")?;
    let client = match &delivery.client {
        Some(c) => c.clone(),
        None => crate::backends::http_client()?,
    };
    let pd = crate::backends::pagerduty::PagerDuty::from_config(
        client,
        config,
        std::time::Duration::from_secs(10),
    )?;
    Ok((pd, config.service_ids.clone()))
}

/// The on-call sources of `[pagerduty] oncall_services` and `[[opsgenie]] oncall_schedules`,
/// or why there is none.
fn oncall_source(delivery: &Delivery) -> Result<crate::backends::oncall::OnCall, String> {
    let client = match &delivery.client {
        Some(c) => c.clone(),
        None => crate::backends::http_client()?,
    };
    crate::backends::oncall::OnCall::from_parts(
        client,
        delivery.pagerduty.as_ref(),
        &delivery.opsgenies,
        std::time::Duration::from_secs(10),
    )?
    .ok_or_else(|| crate::backends::oncall::NOT_CONFIGURED.to_string())
}

fn draw(terminal: &mut Tui, state: &State, theme: &Theme) -> std::io::Result<()> {
    let now = chrono::Utc::now();
    // Synchronized update: the terminal shows the whole frame at once, never half of one.
    let _ = execute!(std::io::stdout(), BeginSynchronizedUpdate);
    let result = terminal.draw(|f| render(state, theme, now, f)).map(|_| ());
    let _ = execute!(std::io::stdout(), EndSynchronizedUpdate);
    result
}

/// The Alertmanager clients (plain or Grafana's) among `names`.
fn silence_targets(
    delivery: &Delivery,
    names: &[String],
) -> Vec<(String, crate::backends::alertmanager::Alertmanager)> {
    use crate::backends::sources::AlertSource;
    delivery
        .sources
        .iter()
        .filter(|s| names.iter().any(|n| n == s.name()))
        .filter_map(|s| match s {
            AlertSource::Alertmanager { name, client } => Some((name.clone(), client.clone())),
            AlertSource::Grafana { name, client } => {
                Some((name.clone(), client.alertmanager().clone()))
            }
            _ => None,
        })
        .collect()
}
