//! Posting status updates to chat: Slack and Mattermost incoming webhooks, and a generic JSON
//! webhook. Each delivery has a timeout per attempt and retries only what may pass on a second
//! try (no answer, 5xx, 429); a refusal such as Slack's `invalid_payload` is final at once.
//! Updates also go, as notes, to the PagerDuty incidents linked to the incident, and to IRC
//! channels (`kind = "irc"`, not HTTP: `backends::irc`) and as Datadog events
//! (`kind = "datadog"`: `backends::datadog::events`).

use crate::config::{PagerDutyConfig, WebhookConfig, WebhookKind};
use crate::domain::{Incident, Severity, Status};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;
use std::time::Duration;

/// The update as posted: enough for a reader who sees nothing else.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateMessage {
    pub incident_id: String,
    pub title: String,
    pub severity: Severity,
    pub status: Status,
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub by: String,
    pub text: String,
    /// PagerDuty incidents linked when the update was recorded: each gets it as a note.
    pub pagerduty: Vec<String>,
}

impl UpdateMessage {
    /// The update as every channel delivers it. A drill's update is prefixed `[DRILL]`
    /// (here, the one place every delivery passes: webhooks, IRC, Slack, the executive
    /// summary's channels), and goes to no PagerDuty incident unless its scenario enables
    /// write-backs.
    pub fn new(incident: &Incident, seq: u64, at: DateTime<Utc>, by: &str, text: &str) -> Self {
        let text = match incident.drill {
            Some(_) if !text.starts_with(crate::domain::DRILL_PREFIX) => {
                format!("{}{text}", crate::domain::DRILL_PREFIX)
            }
            _ => text.to_string(),
        };
        let pagerduty = if incident.write_backs_allowed() {
            incident.pagerduty.iter().map(|l| l.id.clone()).collect()
        } else {
            Vec::new()
        };
        UpdateMessage {
            incident_id: incident.id.clone(),
            title: incident.title.clone(),
            severity: incident.severity,
            status: incident.status,
            seq,
            at,
            by: by.to_string(),
            text,
            pagerduty,
        }
    }

    /// The note added to a linked PagerDuty incident: plain text, cut to what PagerDuty takes.
    pub fn note_text(&self) -> String {
        let full = format!(
            "warroom status update — {} {} ({}), {}:\n\n{}\n\n— {}",
            self.incident_id,
            self.severity.label(),
            self.status,
            self.title,
            self.text,
            self.by
        );
        if full.chars().count() <= PAGERDUTY_NOTE_CHARS {
            return full;
        }
        let tail = "\n\n[cut: the whole update is in warroom's log]";
        let keep = PAGERDUTY_NOTE_CHARS - tail.chars().count();
        full.chars().take(keep).chain(tail.chars()).collect()
    }

    /// The JSON body for `kind`.
    pub fn payload(&self, kind: WebhookKind) -> serde_json::Value {
        let heading = format!(
            "{} {} — {} ({})",
            self.incident_id,
            self.severity.label(),
            self.title,
            self.status
        );
        match kind {
            WebhookKind::Slack => json!({
                "text": format!("*{heading}*\n{}\n_status update by {}_", self.text, self.by),
            }),
            WebhookKind::Mattermost => json!({
                "text": format!("#### {heading}\n{}\n_status update by {}_", self.text, self.by),
                "username": "warroom",
            }),
            WebhookKind::Datadog => super::datadog::events::event_body(self),
            WebhookKind::Irc => json!({
                "lines": super::irc::message_lines(self, super::irc::TEXT_BYTES),
            }),
            WebhookKind::Json => json!({
                "incident": {
                    "id": self.incident_id,
                    "title": self.title,
                    "severity": self.severity,
                    "status": self.status,
                },
                "update": {
                    "seq": self.seq,
                    "at": self.at.to_rfc3339_opts(SecondsFormat::Millis, true),
                    "by": self.by,
                    "text": self.text,
                },
            }),
        }
    }
}

/// The longest note PagerDuty accepts (characters).
pub const PAGERDUTY_NOTE_CHARS: usize = 25_000;

/// How one delivery ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub target: String,
    pub ok: bool,
    pub detail: String,
    pub attempts: u32,
}

impl Outcome {
    /// The outcome as recorded and shown: every configured secret (the webhook's URL, a token)
    /// redacted from its detail, which may quote the server's answer or the URL.
    fn redacted(mut self) -> Outcome {
        self.detail = crate::config::secrets::redact(&self.detail);
        self
    }
}

/// Posts `msg` to `hook`, retrying transient failures with a short backoff (0.5 s, 1 s, 2 s…).
pub async fn deliver(
    client: &reqwest::Client,
    hook: &WebhookConfig,
    msg: &UpdateMessage,
) -> Outcome {
    let outcome = match hook.kind {
        WebhookKind::Irc => super::irc::deliver(hook, msg).await,
        WebhookKind::Datadog => super::datadog::events::deliver(client, hook, msg).await,
        _ => try_deliver(client, hook, msg).await,
    };
    outcome.redacted()
}

/// The pause before attempt number `attempt` (2, 3, …): 0.5 s, 1 s, 2 s… up to 8 s.
pub(super) async fn backoff(attempt: u32) {
    tokio::time::sleep(Duration::from_millis(500 << (attempt.max(2) - 2).min(4))).await;
}

async fn try_deliver(
    client: &reqwest::Client,
    hook: &WebhookConfig,
    msg: &UpdateMessage,
) -> Outcome {
    let target = hook.display_name();
    let url = match hook.resolve_url() {
        Ok(u) => u,
        Err(e) => {
            return Outcome {
                target,
                ok: false,
                detail: e,
                attempts: 0,
            };
        }
    };
    let timeout = hook.timeout().to_std().unwrap_or(Duration::from_secs(10));
    let body = msg.payload(hook.kind);
    let tries = 1 + hook.retries.unwrap_or(2).min(10);
    let mut detail = String::new();
    for attempt in 1..=tries {
        if attempt > 1 {
            backoff(attempt).await;
        }
        let sent = client.post(&url).timeout(timeout).json(&body).send().await;
        let retry = match sent {
            Ok(resp) => {
                let status = resp.status();
                let retry_after = resp
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok());
                let text = resp.text().await.unwrap_or_default();
                let text = summarize(&text);
                if status.is_success() {
                    return Outcome {
                        target,
                        ok: true,
                        detail: format!("HTTP {}", status.as_u16()),
                        attempts: attempt,
                    };
                }
                detail = if text.is_empty() {
                    format!("HTTP {}", status.as_u16())
                } else {
                    format!("HTTP {}: {text}", status.as_u16())
                };
                if status.as_u16() == 429
                    && let Some(secs) = retry_after
                    && attempt < tries
                {
                    tokio::time::sleep(Duration::from_secs(secs.min(30))).await;
                }
                status.is_server_error() || status.as_u16() == 429
            }
            Err(e) => {
                detail = if e.is_timeout() {
                    format!("no answer within {}s", timeout.as_secs_f32())
                } else if e.is_connect() {
                    "connection refused or unreachable".to_string()
                } else {
                    format!("request failed: {e}")
                };
                true
            }
        };
        if !retry {
            return Outcome {
                target,
                ok: false,
                detail,
                attempts: attempt,
            };
        }
    }
    Outcome {
        target,
        ok: false,
        detail,
        attempts: tries,
    }
}

/// Delivers to every hook and every linked PagerDuty incident at once; returns the outcomes
/// in the hooks' order, then the PagerDuty incidents' order.
pub async fn deliver_all(
    client: &reqwest::Client,
    hooks: &[WebhookConfig],
    pagerduty: Option<&PagerDutyConfig>,
    msg: &UpdateMessage,
) -> Vec<Outcome> {
    let chat = futures::future::join_all(hooks.iter().map(|h| deliver(client, h, msg)));
    let notes = futures::future::join_all(msg.pagerduty.iter().map(|id| async move {
        deliver_pagerduty(client, pagerduty, id, msg)
            .await
            .redacted()
    }));
    let (mut outcomes, notes) = futures::future::join(chat, notes).await;
    outcomes.extend(notes);
    outcomes
}

/// The delivery target a linked PagerDuty incident is journaled under.
pub fn pagerduty_target(id: &str) -> String {
    format!("pagerduty:{id}")
}

/// Adds `msg` as a note to PagerDuty incident `id` (the client waits out 429s, bounded).
async fn deliver_pagerduty(
    client: &reqwest::Client,
    config: Option<&PagerDutyConfig>,
    id: &str,
    msg: &UpdateMessage,
) -> Outcome {
    let target = pagerduty_target(id);
    let failed = |detail: String| Outcome {
        target: target.clone(),
        ok: false,
        detail,
        attempts: 0,
    };
    let Some(config) = config else {
        return failed("no [pagerduty] in config.toml, so no note can be added".into());
    };
    let token = match config.token() {
        Ok(t) => t,
        Err(e) => return failed(e),
    };
    let pd = match super::pagerduty::PagerDuty::new(
        client.clone(),
        &config.url(),
        &token,
        config.from.get_ref(),
        Duration::from_secs(10),
    ) {
        Ok(pd) => pd,
        Err(e) => return failed(e.to_string()),
    };
    match pd.add_note(id, &msg.note_text()).await {
        Ok(note) => Outcome {
            target,
            ok: true,
            detail: if note.id.is_empty() {
                "note added".to_string()
            } else {
                format!("note {} added", note.id)
            },
            attempts: 1,
        },
        Err(e) => Outcome {
            target,
            ok: false,
            detail: e.to_string(),
            attempts: 1,
        },
    }
}

/// A response body cut to one readable line (Slack answers `invalid_payload`, others HTML).
fn summarize(body: &str) -> String {
    super::http::one_line(body)
}
