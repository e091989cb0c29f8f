//! Status updates posted as Datadog events (`POST /api/v1/events`), so they show on the
//! team's Datadog dashboards and event stream: a `[[webhook]]` of `kind = "datadog"`.
//!
//! The event's title names the incident, its severity and status; its text is the update in a
//! Markdown block (`%%% … %%%`) with every ASCII punctuation character escaped, so nothing a
//! person typed becomes a link, an image, a heading or the end of the block; its tags are
//! `incident:<id>`, `severity:<sev>`, `status:<status>` and `source:warroom`, written as
//! Datadog keeps tags (lower case; anything but letters, digits and `_-:./` an underscore).

use super::Datadog;
use crate::backends::http::{BackendError, decode};
use crate::backends::webhook::{Outcome, UpdateMessage};
use crate::config::WebhookConfig;
use chrono::Utc;
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

/// The longest event text Datadog takes (characters, the `%%%` block included).
pub const TEXT_CHARS: usize = 4000;
/// The longest title kept (characters).
pub const TITLE_CHARS: usize = 100;
/// Datadog refuses events older than this (`date_happened`): an older update goes with the
/// time it is posted.
const OLDEST: chrono::Duration = chrono::Duration::hours(18);

impl Datadog {
    /// Posts `body` as an event; `Ok` says which (`event 123 posted`).
    pub async fn post_event(&self, body: &Value) -> Result<String, BackendError> {
        let reply = self
            .send(|| {
                self.endpoint
                    .request(Method::POST, "/api/v1/events")
                    .json(body)
            })
            .await?;
        #[derive(Deserialize)]
        struct Created {
            #[serde(default)]
            event: Option<CreatedEvent>,
        }
        #[derive(Deserialize)]
        struct CreatedEvent {
            #[serde(default)]
            id: Option<i64>,
        }
        let created: Created = decode(&reply.url, &reply.body)?;
        Ok(match created.event.and_then(|e| e.id) {
            Some(id) => format!("event {id} posted"),
            None => "event posted".to_string(),
        })
    }
}

/// The event for `msg`, in `EventCreateRequest`'s shape.
pub fn event_body(msg: &UpdateMessage) -> Value {
    // A title is one plain line: a line break or another control character becomes a space.
    let title: String = format!(
        "{} {} — {} ({}): status update",
        msg.incident_id,
        msg.severity.label(),
        msg.title,
        msg.status
    )
    .chars()
    .map(|c| if c.is_control() { ' ' } else { c })
    .collect();
    let title = cut(&title, TITLE_CHARS);
    let mut body = json!({
        "title": title,
        "text": markdown_text(&msg.text, &msg.by),
        "tags": [
            tag("incident", &msg.incident_id),
            tag("severity", msg.severity.label()),
            tag("status", &msg.status.to_string()),
            "source:warroom".to_string(),
        ],
        "alert_type": "info",
        "priority": "normal",
        "aggregation_key": cut(&format!("warroom-{}", msg.incident_id), 100),
    });
    if Utc::now() - msg.at < OLDEST {
        body["date_happened"] = json!(msg.at.timestamp());
    }
    body
}

/// `key:value` as Datadog keeps a tag.
fn tag(key: &str, value: &str) -> String {
    let v: String = value
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "_-:./".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    cut(&format!("{key}:{v}"), 200)
}

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// `text` as Markdown that reads as the text: ASCII punctuation backslash-escaped, a line
/// break kept as a hard break, other control characters dropped.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("  \n"),
            '\t' => out.push(' '),
            c if c.is_control() => {}
            c if c.is_ascii_punctuation() => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// The event's text: the update and who posted it, in a Markdown block of at most
/// [`TEXT_CHARS`]; a longer update is cut where a character ends (never inside an escape) and
/// says so.
pub fn markdown_text(text: &str, by: &str) -> String {
    const OPEN: &str = "%%% \n";
    const CLOSE: &str = "\n %%%";
    let footer = format!(
        "  \n  \n_{}_",
        escape_markdown(&format!("status update by {by}"))
    );
    let tail = escape_markdown("\n\n[cut: the whole update is in warroom's log]");
    let room = TEXT_CHARS - OPEN.len() - CLOSE.len();
    let escaped = escape_markdown(text);
    let body = if escaped.chars().count() + footer.chars().count() <= room {
        format!("{escaped}{footer}")
    } else {
        let keep = room.saturating_sub(tail.chars().count() + footer.chars().count());
        let mut kept = String::new();
        let mut n = 0;
        for c in text.chars() {
            let piece = escape_markdown(&c.to_string());
            let len = piece.chars().count();
            if n + len > keep {
                break;
            }
            n += len;
            kept.push_str(&piece);
        }
        format!("{kept}{tail}{footer}")
    };
    format!("{OPEN}{body}{CLOSE}")
}

/// Posts `msg` as an event with `hook`'s site (or `url`) and API key, retrying what may pass
/// on another try (no answer, 5xx, 429) as often as `retries` says.
pub async fn deliver(
    client: &reqwest::Client,
    hook: &WebhookConfig,
    msg: &UpdateMessage,
) -> Outcome {
    let target = hook.display_name();
    let failed = |detail: String, attempts: u32| Outcome {
        target: target.clone(),
        ok: false,
        detail,
        attempts,
    };
    let timeout = hook.timeout().to_std().unwrap_or(Duration::from_secs(10));
    let dd = hook
        .datadog_target()
        .map_err(BackendError::Setup)
        .and_then(|(url, key)| Datadog::new(client.clone(), &url, &key, None, timeout));
    let dd = match dd {
        Ok(dd) => dd,
        Err(e) => return failed(e.to_string(), 0),
    };
    let body = event_body(msg);
    let tries = 1 + hook.retries.unwrap_or(2).min(10);
    let mut last = String::new();
    for attempt in 1..=tries {
        if attempt > 1 {
            crate::backends::webhook::backoff(attempt).await;
        }
        match dd.post_event(&body).await {
            Ok(detail) => {
                return Outcome {
                    target,
                    ok: true,
                    detail,
                    attempts: attempt,
                };
            }
            Err(e) if e.is_transient() => last = e.to_string(),
            Err(e) => return failed(e.to_string(), attempt),
        }
    }
    failed(last, tries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_escaped_so_the_text_reads_as_typed() {
        let t = markdown_text(
            "Rolled back [v2](http://evil) *now* %%%\n# not a heading <b>",
            "ana",
        );
        assert!(t.starts_with("%%% \n") && t.ends_with("\n %%%"), "{t}");
        let inner = &t[5..t.len() - 5];
        assert!(!inner.contains("%%%"), "{inner}");
        assert!(inner.contains(r"Rolled back \[v2\]\(http\:\/\/evil\) \*now\* \%\%\%  "));
        assert!(inner.contains("  \n\\# not a heading \\<b\\>"), "{inner}");
        assert!(inner.ends_with(r"_status update by ana_"), "{inner}");
    }

    #[test]
    fn a_long_update_is_cut_within_the_limit_and_says_so() {
        let t = markdown_text(&"[x] ".repeat(2000), "ana");
        assert!(t.chars().count() <= TEXT_CHARS, "{}", t.chars().count());
        assert!(t.contains(r"\[cut\: the whole update is in warroom\'s log\]"));
        assert!(t.ends_with("_status update by ana_\n %%%"));
        assert!(!t.contains("\\\\["), "no escape is cut in half");
    }

    #[test]
    fn tags_are_written_as_datadog_keeps_them() {
        assert_eq!(tag("incident", "INC-12"), "incident:inc-12");
        assert_eq!(tag("status", "fixing now, 100%"), "status:fixing_now__100_");
    }
}
