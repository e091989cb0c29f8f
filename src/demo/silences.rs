//! Silences as Alertmanager keeps them: matchers, a start and an end in wall-clock time,
//! created, updated and expired through the API, muting the firing alerts they match.

use crate::backends::matcher::{LabelFilter, Matcher};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// Why the simulator refused a request (a silence, a flag change, a deploy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    NotFound(String),
    Invalid(String),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::NotFound(m) | Refused::Invalid(m) => f.write_str(m),
        }
    }
}

/// A silence as Alertmanager keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Silence {
    pub id: String,
    pub matchers: Vec<Matcher>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub created_by: String,
    pub comment: String,
}

impl Silence {
    /// `pending`, `active` or `expired` at `now`.
    pub fn state(&self, now: DateTime<Utc>) -> &'static str {
        if now >= self.ends_at {
            "expired"
        } else if now < self.starts_at {
            "pending"
        } else {
            "active"
        }
    }
}

/// Every silence created so far, expired ones included (Alertmanager lists them too).
#[derive(Debug, Clone, Default)]
pub struct Silences {
    list: Vec<Silence>,
    next: u64,
}

/// The silences active at one moment, their matchers compiled.
pub struct Active<'a>(Vec<(&'a Silence, LabelFilter)>);

impl Active<'_> {
    /// IDs of the active silences whose matchers all match `labels`.
    pub fn ids_matching(&self, labels: &BTreeMap<String, String>) -> Vec<String> {
        self.0
            .iter()
            .filter(|(_, f)| f.matches(labels))
            .map(|(s, _)| s.id.clone())
            .collect()
    }
}

impl Silences {
    pub fn list(&self) -> &[Silence] {
        &self.list
    }

    pub fn get(&self, id: &str) -> Option<&Silence> {
        self.list.iter().find(|s| s.id == id)
    }

    pub fn active(&self, now: DateTime<Utc>) -> Active<'_> {
        Active(
            self.list
                .iter()
                .filter(|s| s.state(now) == "active")
                .filter_map(|s| LabelFilter::new(&s.matchers).ok().map(|f| (s, f)))
                .collect(),
        )
    }

    /// Creates a silence (or updates the one named by `id`); returns its ID. Refused as
    /// Alertmanager refuses: no matchers, a matcher matching the empty string only, an end
    /// not after the start, an end in the past.
    pub fn add(&mut self, now: DateTime<Utc>, mut s: Silence) -> Result<String, Refused> {
        if s.matchers.is_empty() {
            return Err(Refused::Invalid("at least one matcher is required".into()));
        }
        let filter = LabelFilter::new(&s.matchers).map_err(Refused::Invalid)?;
        if filter.matches(&BTreeMap::new()) {
            return Err(Refused::Invalid(
                "at least one matcher must not match the empty string".into(),
            ));
        }
        if s.ends_at <= s.starts_at {
            return Err(Refused::Invalid(
                "end time must not be before start time".into(),
            ));
        }
        if s.ends_at <= now {
            return Err(Refused::Invalid("end time can't be in the past".into()));
        }
        if s.starts_at < now {
            s.starts_at = now;
        }
        s.updated_at = now;
        if !s.id.is_empty() {
            if let Some(old) = self.list.iter_mut().find(|o| o.id == s.id) {
                if old.state(now) == "expired" {
                    return Err(Refused::Invalid(format!("silence {} is expired", s.id)));
                }
                *old = s.clone();
                return Ok(s.id);
            }
            return Err(Refused::NotFound(format!("silence {} not found", s.id)));
        }
        self.next += 1;
        s.id = format!("00000000-0000-4000-8000-{:012x}", self.next);
        let id = s.id.clone();
        self.list.push(s);
        Ok(id)
    }

    /// Expires a silence now. An unknown ID is `NotFound`; an expired one is refused, as
    /// Alertmanager does.
    pub fn expire(&mut self, now: DateTime<Utc>, id: &str) -> Result<(), Refused> {
        let s = self
            .list
            .iter_mut()
            .find(|s| s.id == id)
            .ok_or_else(|| Refused::NotFound(format!("silence {id} not found")))?;
        if s.state(now) == "expired" {
            return Err(Refused::Invalid(format!("silence {id} already expired")));
        }
        if s.starts_at > now {
            s.starts_at = now;
        }
        s.ends_at = now;
        s.updated_at = now;
        Ok(())
    }
}
