//! The status-update clock: when the next update is due, and how late it is.

use super::Incident;
use chrono::{DateTime, Duration, Utc};

/// How often the call leader owes everyone a status update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusCadence {
    pub every: Duration,
}

impl Default for StatusCadence {
    fn default() -> Self {
        StatusCadence {
            every: Duration::minutes(10),
        }
    }
}

impl StatusCadence {
    /// When the next update is due: `every` after the last update, or after opening. `None`
    /// once resolved.
    pub fn next_due(&self, incident: &Incident) -> Option<DateTime<Utc>> {
        if incident.is_resolved() {
            return None;
        }
        Some(incident.last_status_update.unwrap_or(incident.opened_at) + self.every)
    }
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
