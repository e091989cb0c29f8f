//! The status-update clock: when the next update is due, how late it is, and durations as a
//! call leader writes them (`90s`, `3m`, `1h30m`, `never`).

use super::{Event, Incident, Severity};
use chrono::{DateTime, Duration, Utc};

/// How often the call leader owes everyone a status update, per severity. `None` means no
/// clock at all (e.g. `sev4 = "never"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusCadence {
    pub per_severity: [Option<Duration>; 4],
}

impl Default for StatusCadence {
    fn default() -> Self {
        StatusCadence {
            per_severity: [Some(Duration::minutes(10)); 4],
        }
    }
}

impl StatusCadence {
    pub fn every(&self, s: Severity) -> Option<Duration> {
        self.per_severity[s as usize]
    }

    /// Whether an update posted `at` kept its `due` time: by then, or within a tenth of the
    /// severity's cadence after it (a minute at ten minutes), so an update posted when the
    /// console's prompt comes up counts as kept. The one rule the report's punctuality and a
    /// drill's review both use.
    pub fn on_time(&self, severity: Severity, due: DateTime<Utc>, at: DateTime<Utc>) -> bool {
        let grace = self.every(severity).map_or(Duration::zero(), |d| d / 10);
        at <= due + grace
    }

    /// When the next update is due: the cadence of the current severity after the last
    /// update (or the opening), pushed later by a snooze taken since. `None` once resolved or
    /// for a severity with no cadence.
    pub fn next_due(&self, incident: &Incident) -> Option<DateTime<Utc>> {
        if incident.is_resolved() {
            return None;
        }
        self.due(
            incident.severity,
            incident.last_status_update.unwrap_or(incident.opened_at),
            incident.snoozed_until,
        )
    }

    /// When an update is due at `severity`, the last one (or the opening) at `base`, pushed
    /// later by a snooze until `snoozed_until`. `None` for a severity with no cadence.
    pub fn due(
        &self,
        severity: Severity,
        base: DateTime<Utc>,
        snoozed_until: Option<DateTime<Utc>>,
    ) -> Option<DateTime<Utc>> {
        let every = self.every(severity)?;
        let due = base
            .checked_add_signed(every)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        Some(match snoozed_until {
            Some(until) if until > due => until,
            _ => due,
        })
    }

    /// How long past due the update is at `now`, if it is.
    pub fn overdue(&self, incident: &Incident, now: DateTime<Utc>) -> Option<Duration> {
        self.next_due(incident)
            .filter(|due| now >= *due)
            .map(|due| now - due)
    }
}

/// The longest duration [`parse_duration`] accepts: every duration a call leader writes (a
/// time box, a silence, a cadence, a timeout) is far shorter, and anything up to it can be
/// added to any clock time without overflow.
pub const MAX_DURATION: Duration = Duration::days(30);

/// Reads `90s`, `3m`, `1h30m`, `2h`, `45` (minutes), up to [`MAX_DURATION`]. Returns a message
/// naming the problem; never panics, whatever the text.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("empty duration (write e.g. 30s, 5m, 1h)".into());
    }
    let max = MAX_DURATION.num_seconds();
    let too_long = || format!("'{s}' is longer than 30 days");
    // Seconds so far; every step is checked against the maximum before it can overflow.
    let add = |total: i64, digits: &str, unit: i64| -> Result<i64, String> {
        let mut n: i64 = 0;
        for b in digits.bytes() {
            n = n * 10 + i64::from(b - b'0');
            if n > max {
                return Err(too_long());
            }
        }
        let sum = n * unit + total;
        if sum > max {
            return Err(too_long());
        }
        Ok(sum)
    };
    if t.bytes().all(|b| b.is_ascii_digit()) {
        return add(0, t, 60).map(Duration::seconds);
    }
    let not_a_duration = || format!("'{s}' is not a duration (write e.g. 30s, 5m, 1h)");
    let mut total: i64 = 0;
    let mut start = 0;
    for (i, c) in t.char_indices() {
        if c.is_ascii_digit() {
            continue;
        }
        let digits = &t[start..i];
        if digits.is_empty() {
            return Err(not_a_duration());
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            _ => return Err(not_a_duration()),
        };
        total = add(total, digits, unit)?;
        start = i + c.len_utf8();
    }
    if start < t.len() {
        return Err(format!("'{s}' lacks a unit at the end (s, m, h or d)"));
    }
    Ok(Duration::seconds(total))
}

/// `07:12` or `1:02:03`: a countdown or an elapsed time, to the second.
pub fn clock(d: Duration) -> String {
    let s = d.num_seconds().abs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60)
    } else {
        format!("{:02}:{:02}", s / 60, s % 60)
    }
}

/// `42s`, `17m`, `3h05m`, `2d04h`: compact, for tables.
pub fn short_duration(d: Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86400 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d{:02}h", s / 86400, s % 86400 / 3600),
    }
}

/// True for events that a status update should mention as "what changed".
pub(crate) fn is_change(e: &Event) -> bool {
    matches!(
        e,
        Event::SeverityChanged { .. }
            | Event::StatusChanged { .. }
            | Event::RoleAssigned { .. }
            | Event::Handoff { .. }
            | Event::AlertsChanged { .. }
            | Event::BlastRadiusChanged { .. }
            | Event::SilenceCreated { .. }
            | Event::SilenceExpired { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Entry, Event};
    use chrono::TimeZone;

    #[test]
    fn an_update_within_a_tenth_of_the_cadence_after_its_due_time_is_on_time() {
        let c = StatusCadence::default();
        let due = at(10);
        assert!(c.on_time(Severity::Sev2, due, due - Duration::minutes(3)));
        assert!(c.on_time(Severity::Sev2, due, due + Duration::seconds(60)));
        assert!(!c.on_time(Severity::Sev2, due, due + Duration::seconds(61)));
    }

    fn at(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap() + Duration::minutes(min)
    }

    fn incident(events: Vec<(i64, Event)>) -> Incident {
        let entries: Vec<Entry> = events
            .into_iter()
            .enumerate()
            .map(|(i, (m, event))| Entry {
                seq: i as u64 + 1,
                at: at(m),
                by: "alice".into(),
                event,
            })
            .collect();
        Incident::fold("INC-1", &entries).unwrap()
    }

    fn opened(severity: Severity) -> (i64, Event) {
        (
            0,
            Event::Opened {
                title: "Checkout 500s".into(),
                severity,
                summary: None,
            },
        )
    }

    fn policy() -> StatusCadence {
        StatusCadence {
            per_severity: [
                Some(Duration::minutes(10)),
                Some(Duration::minutes(15)),
                Some(Duration::minutes(30)),
                None,
            ],
        }
    }

    #[test]
    fn the_first_update_is_due_ten_minutes_after_opening() {
        let i = incident(vec![opened(Severity::Sev1)]);
        assert_eq!(StatusCadence::default().next_due(&i), Some(at(10)));
    }

    #[test]
    fn each_update_restarts_the_clock() {
        let i = incident(vec![
            opened(Severity::Sev1),
            (7, Event::StatusUpdate { text: "x".into() }),
        ]);
        assert_eq!(policy().next_due(&i), Some(at(17)));
    }

    #[test]
    fn a_snooze_pushes_the_due_time_from_when_it_was_taken() {
        let i = incident(vec![
            opened(Severity::Sev1),
            (11, Event::StatusUpdateSnoozed { minutes: 5 }),
        ]);
        assert_eq!(policy().next_due(&i), Some(at(16)));
        // An update after the snooze supersedes it.
        let i = incident(vec![
            opened(Severity::Sev1),
            (11, Event::StatusUpdateSnoozed { minutes: 5 }),
            (12, Event::StatusUpdate { text: "x".into() }),
        ]);
        assert_eq!(policy().next_due(&i), Some(at(22)));
    }

    #[test]
    fn raising_severity_shortens_the_cadence_from_the_last_update() {
        let i = incident(vec![
            opened(Severity::Sev3),
            (
                20,
                Event::SeverityChanged {
                    from: Severity::Sev3,
                    to: Severity::Sev1,
                },
            ),
        ]);
        // sev3 would have been due at 30; sev1's 10 minutes from opening were up at 10.
        assert_eq!(policy().next_due(&i), Some(at(10)));
        assert_eq!(policy().overdue(&i, at(20)), Some(Duration::minutes(10)));
    }

    #[test]
    fn never_means_no_clock_and_resolution_stops_it() {
        let i = incident(vec![opened(Severity::Sev4)]);
        assert_eq!(policy().next_due(&i), None);
        let i = incident(vec![
            opened(Severity::Sev1),
            (3, Event::Resolved { summary: None }),
        ]);
        assert_eq!(policy().next_due(&i), None);
    }

    #[test]
    fn overdue_counts_from_the_due_time() {
        let i = incident(vec![opened(Severity::Sev1)]);
        assert_eq!(policy().overdue(&i, at(9)), None);
        assert_eq!(policy().overdue(&i, at(10)), Some(Duration::zero()));
        assert_eq!(policy().overdue(&i, at(13)), Some(Duration::minutes(3)));
    }

    #[test]
    fn durations_read_as_written() {
        assert_eq!(parse_duration("90s"), Ok(Duration::seconds(90)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::minutes(90)));
        assert_eq!(parse_duration("3"), Ok(Duration::minutes(3)));
        assert!(parse_duration("3x").is_err());
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("5m3").is_err());
        assert!(parse_duration("").is_err());
        assert_eq!(parse_duration("30d"), Ok(MAX_DURATION));
        assert_eq!(parse_duration("43200"), Ok(MAX_DURATION));
    }

    #[test]
    fn durations_past_thirty_days_are_refused_whatever_their_size() {
        for s in [
            "30d1s",
            "43201",
            "9999999999999h",
            "2562047788015h1h",
            "999999999999999",
            "99999999999999999999999999999s",
            "9223372036854775807s",
            "1h9223372036854775807s",
            "0000000000000000000000000000031d",
        ] {
            assert_eq!(
                parse_duration(s),
                Err(format!("'{s}' is longer than 30 days")),
                "{s}"
            );
        }
        assert_eq!(
            parse_duration("0000000000000000000090s"),
            Ok(Duration::seconds(90))
        );
    }
}
