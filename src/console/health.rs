//! What the console can see right now, and since when it cannot: the one answer every place
//! that summarises health reads (the header, the 80-column summary, the alerts and blast
//! radius panes), so none of them calls "ok" what it cannot see.

use super::state::State;
use chrono::{DateTime, Utc};

/// A source the console cannot read now: its name, since when, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blind {
    pub name: String,
    pub since: DateTime<Utc>,
    pub why: String,
    /// What failing means for it: `unreachable` (an alert source) or `failing` (the metrics'
    /// queries).
    pub verb: &'static str,
}

/// How much of the picture the console has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sight {
    /// Nothing is configured to look at.
    NotConnected,
    /// Configured, nothing has answered yet and nothing has failed.
    Waiting,
    /// Nothing answers now: what would be shown is unknown.
    Unknown,
    /// Some sources answer, some do not: the rest is unknown.
    Partial,
    /// Every source answered and none fails now.
    Clear,
}

impl Sight {
    fn of(seeing: usize, blind: usize, total: usize) -> Sight {
        match (total, blind) {
            (0, _) => Sight::NotConnected,
            (_, 0) if seeing == total => Sight::Clear,
            (_, 0) => Sight::Waiting,
            _ if seeing == 0 => Sight::Unknown,
            _ => Sight::Partial,
        }
    }

    /// Whether an absence (nothing firing, nothing affected) can be told as such.
    pub fn clear(self) -> bool {
        self == Sight::Clear
    }
}

impl State {
    /// The alert sources that cannot be read now, in configuration order.
    pub fn blind_alert_sources(&self) -> Vec<Blind> {
        self.board
            .stale()
            .map(|s| Blind {
                name: s.name.clone(),
                since: s.stale_since.or(s.last_ok).unwrap_or_default(),
                why: s.error.clone().unwrap_or_default(),
                verb: "unreachable",
            })
            .collect()
    }

    /// Every source that cannot be read now: the alert sources, then the metrics.
    pub fn blind(&self) -> Vec<Blind> {
        let mut out = self.blind_alert_sources();
        if self.metrics_expected
            && let Some((since, why)) = &self.metrics_error
        {
            out.push(Blind {
                name: "metrics".into(),
                since: *since,
                why: why.clone(),
                verb: "failing",
            });
        }
        out
    }

    /// How much of the alerts the console sees.
    pub fn alert_sight(&self) -> Sight {
        let sources = &self.board.sources;
        let seeing = sources
            .iter()
            .filter(|s| s.last_ok.is_some() && s.stale_since.is_none())
            .count();
        Sight::of(seeing, self.board.stale().count(), sources.len())
    }

    /// How much of the blast radius the console sees: the alerts and the metrics together.
    pub fn sight(&self) -> Sight {
        let sources = &self.board.sources;
        let mut seeing = sources
            .iter()
            .filter(|s| s.last_ok.is_some() && s.stale_since.is_none())
            .count();
        let mut blind = self.board.stale().count();
        let mut total = sources.len();
        if self.metrics_expected {
            total += 1;
            if self.metrics_error.is_some() {
                blind += 1;
            } else if self.metrics_ok.is_some() {
                seeing += 1;
            }
        }
        Sight::of(seeing, blind, total)
    }
}

impl State {
    /// Everything that may leave the leader blind now (`domain::ChainWatch::may_be_blind`):
    /// sources not answering, the incident's linked alerts only they report, and the
    /// alerting chain's broken links.
    pub fn may_be_blind(&self, now: DateTime<Utc>) -> Vec<crate::domain::Blindness> {
        let linked = self
            .current
            .as_ref()
            .and_then(|c| c.incident.as_ref())
            .map_or(&[][..], |i| &i.linked_alerts[..]);
        self.watch.may_be_blind(&self.board, linked, now)
    }
}

/// "MAY BE BLIND: am-eu: unreachable for 2m: …; Watchdog at am-eu: …": one line for the
/// status area, none when nothing is wrong. With an incident on screen its header and panes
/// already name the sources that do not answer (`with_sources` false leaves them out).
pub fn may_be_blind_text(blind: &[crate::domain::Blindness], with_sources: bool) -> Option<String> {
    let parts: Vec<String> = blind
        .iter()
        .filter(|b| with_sources || b.kind != crate::domain::BlindKind::Source)
        .map(|b| format!("{}: {}", b.link, b.problem))
        .collect();
    if parts.is_empty() {
        return None;
    }
    Some(format!(
        "MAY BE BLIND: {} — warroom doctor says what to do",
        parts.join("; ")
    ))
}

/// "am-eu unreachable since 11:30, am-us since 11:31, metrics failing since 11:32": each
/// source once, with since when.
pub fn blind_text(blind: &[Blind]) -> String {
    let mut out = String::new();
    let mut last_verb = "";
    for (n, b) in blind.iter().enumerate() {
        if n > 0 {
            out.push_str(", ");
        }
        out.push_str(&b.name);
        if b.verb != last_verb {
            out.push(' ');
            out.push_str(b.verb);
            last_verb = b.verb;
        }
        out.push_str(&format!(" since {}", b.since.format("%H:%M")));
    }
    out
}
