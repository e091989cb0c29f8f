//! Status-update punctuality, looked back on: every time an update fell due during an
//! incident, whether it was posted by then, how late it was, and who was commander. The due
//! times are the status-update clock's own ([`StatusCadence::due`]), replayed entry by entry.

use super::{Entry, Event, Role, Severity, StatusCadence};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One status update that fell due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueUpdate {
    pub due: DateTime<Utc>,
    /// When the next update was posted; none when the incident resolved (or the window
    /// ended) before one was.
    pub posted: Option<DateTime<Utc>>,
    /// Posted by the time it was due, or within the grace of [`StatusCadence::on_time`].
    pub on_time: bool,
    /// How long after it was due it came (or the incident resolved, or the window ended);
    /// 0 when on time.
    pub late_seconds: i64,
    /// Who was commander when it fell due; none when nobody was.
    pub commander: Option<String>,
    pub severity: Severity,
}

/// Every update due from the opening up to resolution (or `until` for one still open), as
/// the entries recorded them, in order.
pub fn due_updates<'a>(
    cadence: &StatusCadence,
    entries: impl IntoIterator<Item = &'a Entry>,
    until: DateTime<Utc>,
) -> Vec<DueUpdate> {
    let mut out = Vec::new();
    let mut entries = entries.into_iter();
    let Some((opened_at, mut severity)) = entries.by_ref().find_map(|e| match &e.event {
        Event::Opened { severity, .. } => Some((e.at, *severity)),
        _ => None,
    }) else {
        return out;
    };
    let mut base = opened_at;
    let mut snoozed: Option<DateTime<Utc>> = None;
    let mut commander: Option<String> = None;
    let missed = |due: DateTime<Utc>, at: DateTime<Utc>, commander: &Option<String>, s| DueUpdate {
        due,
        posted: None,
        on_time: false,
        late_seconds: (at - due).num_seconds(),
        commander: commander.clone(),
        severity: s,
    };
    for e in entries {
        if e.at > until {
            break;
        }
        let due = cadence.due(severity, base, snoozed);
        match &e.event {
            Event::StatusUpdate { .. } => {
                if let Some(due) = due {
                    out.push(DueUpdate {
                        due,
                        posted: Some(e.at),
                        on_time: cadence.on_time(severity, due, e.at),
                        late_seconds: if cadence.on_time(severity, due, e.at) {
                            0
                        } else {
                            (e.at - due).num_seconds()
                        },
                        commander: commander.clone(),
                        severity,
                    });
                }
                base = e.at;
                snoozed = None;
            }
            Event::StatusUpdateSnoozed { minutes } => {
                snoozed =
                    e.at.checked_add_signed(chrono::Duration::minutes(i64::from(*minutes)));
            }
            Event::SeverityChanged { to, .. } => severity = *to,
            Event::RoleAssigned {
                role: Role::Commander,
                person,
            } => commander = Some(person.clone()),
            Event::Handoff { to, .. } => commander = Some(to.clone()),
            Event::Resolved { .. } => {
                if let Some(due) = due.filter(|d| *d < e.at) {
                    out.push(missed(due, e.at, &commander, severity));
                }
                return out;
            }
            _ => {}
        }
    }
    if let Some(due) = cadence.due(severity, base, snoozed).filter(|d| *d < until) {
        out.push(missed(due, until, &commander, severity));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap() + chrono::Duration::minutes(min)
    }

    fn e(seq: u64, min: i64, event: Event) -> Entry {
        Entry {
            seq,
            at: at(min),
            by: "alice".into(),
            event,
        }
    }

    #[test]
    fn each_due_update_is_on_time_late_or_missed() {
        let update = || Event::StatusUpdate { text: "x".into() };
        let entries = [
            e(
                1,
                0,
                Event::Opened {
                    title: "t".into(),
                    severity: Severity::Sev1,
                    summary: None,
                },
            ),
            e(
                2,
                1,
                Event::RoleAssigned {
                    role: Role::Commander,
                    person: "bob".into(),
                },
            ),
            e(3, 8, update()),  // due 10: on time
            e(4, 21, update()), // due 18: 3 min late
            e(5, 25, Event::StatusUpdateSnoozed { minutes: 15 }),
            e(6, 39, update()), // due 31, snoozed to 40: on time
            e(7, 60, Event::Resolved { summary: None }), // due 49: missed, 11 min
        ];
        let cadence = StatusCadence::default();
        let due = due_updates(&cadence, &entries, at(120));
        let got: Vec<(bool, i64, Option<DateTime<Utc>>)> = due
            .iter()
            .map(|d| (d.on_time, d.late_seconds, d.posted))
            .collect();
        assert_eq!(
            got,
            vec![
                (true, 0, Some(at(8))),
                (false, 180, Some(at(21))),
                (true, 0, Some(at(39))),
                (false, 660, None),
            ]
        );
        assert!(due.iter().all(|d| d.commander.as_deref() == Some("bob")));
    }

    #[test]
    fn an_open_incident_owes_the_update_due_before_the_window_ends() {
        let entries = [e(
            1,
            0,
            Event::Opened {
                title: "t".into(),
                severity: Severity::Sev2,
                summary: None,
            },
        )];
        let due = due_updates(&StatusCadence::default(), &entries, at(25));
        assert_eq!(due.len(), 1);
        assert_eq!((due[0].due, due[0].late_seconds), (at(10), 900));
        assert_eq!(due[0].commander, None);
        assert!(due_updates(&StatusCadence::default(), &entries, at(5)).is_empty());
    }
}
