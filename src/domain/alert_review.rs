//! The per-alert review: for each alert that fired in an incident, did it call for action or
//! was it noise; and the alerts that should have fired and did not ("missing"). A fold of the
//! `alert_reviewed` and `alert_missing` events; the newest verdict on an alert stands.

use super::{Entry, Event, Rejected};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What an alert that fired turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertVerdict {
    /// It told someone to do something that mattered.
    Actionable,
    /// It fired and nothing needed doing.
    Noise,
}

impl AlertVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertVerdict::Actionable => "actionable",
            AlertVerdict::Noise => "noise",
        }
    }
}

impl std::str::FromStr for AlertVerdict {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "actionable" => Ok(AlertVerdict::Actionable),
            "noise" => Ok(AlertVerdict::Noise),
            _ => Err(format!("'{s}' is not a verdict (actionable or noise)")),
        }
    }
}

/// One alert's verdict, as last recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertReviewed {
    pub fingerprint: String,
    /// The alert's name as shown (`HighErrorRate{service=checkout}`).
    pub alert: String,
    pub verdict: AlertVerdict,
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub by: String,
}

/// An alert that should have fired and did not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MissingAlert {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub by: String,
    pub text: String,
}

/// The review so far: verdicts in the order alerts were first reviewed, and missing alerts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AlertReview {
    pub verdicts: Vec<AlertReviewed>,
    pub missing: Vec<MissingAlert>,
}

impl AlertReview {
    pub fn is_empty(&self) -> bool {
        self.verdicts.is_empty() && self.missing.is_empty()
    }

    /// The verdict on the alert with this fingerprint, if it was reviewed.
    pub fn verdict(&self, fingerprint: &str) -> Option<AlertVerdict> {
        self.verdicts
            .iter()
            .find(|v| v.fingerprint == fingerprint)
            .map(|v| v.verdict)
    }

    /// Takes the entry into the review if it is one of its events.
    pub fn apply(&mut self, entry: &Entry) {
        match &entry.event {
            Event::AlertReviewed {
                fingerprint,
                alert,
                verdict,
            } => {
                let reviewed = AlertReviewed {
                    fingerprint: fingerprint.clone(),
                    alert: alert.clone(),
                    verdict: *verdict,
                    seq: entry.seq,
                    at: entry.at,
                    by: entry.by.clone(),
                };
                match self
                    .verdicts
                    .iter_mut()
                    .find(|v| v.fingerprint == *fingerprint)
                {
                    Some(old) => *old = reviewed,
                    None => self.verdicts.push(reviewed),
                }
            }
            Event::AlertMissing { text } => self.missing.push(MissingAlert {
                seq: entry.seq,
                at: entry.at,
                by: entry.by.clone(),
                text: text.clone(),
            }),
            _ => {}
        }
    }

    /// The review as it would be after `entries`, folded alone.
    pub fn fold<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> AlertReview {
        let mut review = AlertReview::default();
        for e in entries {
            review.apply(e);
        }
        review
    }
}

/// Whether the review's events may be recorded on `incident`: a verdict only on an alert
/// linked to it, a missing alert with a text.
pub(crate) fn check(incident: &super::Incident, event: &Event) -> Result<(), Rejected> {
    match event {
        Event::AlertReviewed {
            fingerprint, alert, ..
        } => {
            if incident
                .linked_alerts
                .iter()
                .any(|a| a.alert.fingerprint == *fingerprint)
            {
                super::incident::check_line("alert", alert)
            } else {
                Err(Rejected(format!(
                    "no alert {alert} ({fingerprint}) fired in {}: only its linked alerts can \
                     be reviewed",
                    incident.id
                )))
            }
        }
        Event::AlertMissing { text } => super::incident::check_text("missing alert", text),
        _ => Ok(()),
    }
}

/// The verdict event for the alert of `incident` named by `key`: its fingerprint, its name
/// (`HighErrorRate`) or its name as shown (`HighErrorRate{service=checkout}`). An alert not
/// linked to the incident gives an event its check refuses, naming it.
pub fn review_event(incident: &super::Incident, key: &str, verdict: AlertVerdict) -> Event {
    let key = key.trim();
    let found = incident
        .linked_alerts
        .iter()
        .find(|a| a.alert.fingerprint == key)
        .or_else(|| {
            incident
                .linked_alerts
                .iter()
                .find(|a| a.alert.describe() == key || a.alert.name == key)
        });
    match found {
        Some(a) => Event::AlertReviewed {
            fingerprint: a.alert.fingerprint.clone(),
            alert: a.alert.describe(),
            verdict,
        },
        None => Event::AlertReviewed {
            fingerprint: key.to_string(),
            alert: key.to_string(),
            verdict,
        },
    }
}

/// `alert HighErrorRate{service=checkout} reviewed: actionable`.
pub(crate) fn describe(event: &Event) -> String {
    match event {
        Event::AlertReviewed { alert, verdict, .. } => {
            format!("alert {alert} reviewed: {}", verdict.as_str())
        }
        Event::AlertMissing { text } => format!("missing alert (should have fired): {text}"),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn entry(seq: u64, event: Event) -> Entry {
        Entry {
            seq,
            at: Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, seq as u32).unwrap(),
            by: "alice".into(),
            event,
        }
    }

    #[test]
    fn the_newest_verdict_stands_and_missing_alerts_add_up() {
        let reviewed = |v| Event::AlertReviewed {
            fingerprint: "f1".into(),
            alert: "HighErrorRate".into(),
            verdict: v,
        };
        let entries = [
            entry(2, reviewed(AlertVerdict::Noise)),
            entry(
                3,
                Event::AlertMissing {
                    text: "no alert on queue depth".into(),
                },
            ),
            entry(4, reviewed(AlertVerdict::Actionable)),
        ];
        let r = AlertReview::fold(&entries);
        assert_eq!(r.verdicts.len(), 1);
        assert_eq!(r.verdict("f1"), Some(AlertVerdict::Actionable));
        assert_eq!(r.verdicts[0].seq, 4);
        assert_eq!(r.missing.len(), 1);
        assert_eq!(r.missing[0].text, "no alert on queue depth");
        assert_eq!(r.verdict("f2"), None);
        assert!(AlertReview::default().is_empty());
    }

    #[test]
    fn verdicts_read_as_written() {
        assert_eq!("noise".parse(), Ok(AlertVerdict::Noise));
        assert_eq!("Actionable".parse(), Ok(AlertVerdict::Actionable));
        assert!("maybe".parse::<AlertVerdict>().is_err());
    }
}
