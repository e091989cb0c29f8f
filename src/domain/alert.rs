//! Alerts as warroom sees them, whichever backend reported them, and the board that merges
//! several sources (HA pairs, regions, Grafana, Prometheus' pending alerts), keeps each
//! source's last good answer and says since when a source is stale.

use super::labels::Labels;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Where an alert stands in its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    /// Firing and notifying.
    Active,
    /// Firing, but silenced or inhibited.
    Suppressed,
    /// Prometheus: the condition holds but not yet for its `for:` duration (early warning).
    Pending,
    /// Alertmanager has not processed it yet.
    Unprocessed,
}

/// What warroom can write back to an alert's source on the leader's word: the source's own
/// record of who is on it. Each source says which it offers
/// (`backends::AlertSource::write_backs`); Alertmanager's silences are their own thing (a
/// form of matchers), a Sensu silence is a write-back like the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteBack {
    /// "Someone is on it": the source stops notifying about this problem.
    Acknowledge,
    /// A comment kept with the problem in the source.
    Comment,
    /// The source stops notifying about this check on this host for a while (a Sensu
    /// silencing entry), `text` its reason.
    Silence,
    /// "It is over": the source closes the alert (OpsGenie, Jira Service Management).
    Close,
}

impl WriteBack {
    pub const ALL: &'static [WriteBack] = &[
        WriteBack::Acknowledge,
        WriteBack::Comment,
        WriteBack::Silence,
        WriteBack::Close,
    ];

    /// The word the journal keeps (`action` of `alert_write_back`).
    pub fn name(self) -> &'static str {
        match self {
            WriteBack::Acknowledge => "acknowledge",
            WriteBack::Comment => "comment",
            WriteBack::Silence => "silence",
            WriteBack::Close => "close",
        }
    }

    /// What was done, for the log: "acknowledged", "commented on".
    pub fn done(self) -> &'static str {
        match self {
            WriteBack::Acknowledge => "acknowledged",
            WriteBack::Comment => "commented on",
            WriteBack::Silence => "silenced",
            WriteBack::Close => "closed",
        }
    }

    /// Every write-back's name, for a message: "acknowledge, comment, silence".
    pub fn names() -> String {
        let names: Vec<&str> = WriteBack::ALL.iter().map(|w| w.name()).collect();
        names.join(", ")
    }

    pub fn from_name(name: &str) -> Option<WriteBack> {
        WriteBack::ALL.iter().copied().find(|w| w.name() == name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// Alertmanager's fingerprint (or one computed from the labels for Prometheus alerts).
    pub fingerprint: String,
    pub labels: Labels,
    #[serde(default)]
    pub annotations: Labels,
    pub starts_at: DateTime<Utc>,
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub generator_url: Option<String>,
    pub state: AlertState,
    #[serde(default)]
    pub silenced_by: Vec<String>,
    #[serde(default)]
    pub inhibited_by: Vec<String>,
    /// Names of the sources that reported it (several when an HA pair both do).
    #[serde(default)]
    pub sources: Vec<String>,
}

impl AsRef<Alert> for Alert {
    fn as_ref(&self) -> &Alert {
        self
    }
}

impl Alert {
    pub fn name(&self) -> &str {
        self.labels.get("alertname").unwrap_or("(unnamed)")
    }
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key)
    }
    /// The `severity` label, lower-cased, if any.
    pub fn severity(&self) -> Option<String> {
        self.label("severity").map(str::to_ascii_lowercase)
    }
    /// One line saying what is wrong: the `summary` annotation, else `description`, else the
    /// alert's name.
    pub fn summary(&self) -> &str {
        self.annotations
            .get("summary")
            .or_else(|| self.annotations.get("description"))
            .unwrap_or_else(|| self.name())
    }
    pub fn is_firing(&self) -> bool {
        matches!(
            self.state,
            AlertState::Active | AlertState::Suppressed | AlertState::Unprocessed
        )
    }
}

/// Fingerprint for alerts whose source gives none (Prometheus' own alert list): stable over
/// the sorted labels, so the same alert from two sources gets the same one.
pub fn fingerprint_of<K: AsRef<str>, V: AsRef<str>>(
    labels: impl IntoIterator<Item = (K, V)>,
) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for (k, v) in labels {
        h.update(k.as_ref().as_bytes());
        h.update([0xff]);
        h.update(v.as_ref().as_bytes());
        h.update([0xfe]);
    }
    let d = h.finalize();
    d[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// One source's standing: its last good alerts, and whether its latest try failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceStatus {
    pub name: String,
    /// Shared with the merged view: an alert only one source reports is held once.
    pub alerts: Vec<Arc<Alert>>,
    pub last_ok: Option<DateTime<Utc>>,
    /// Set from the first failure after a success until the next success.
    pub stale_since: Option<DateTime<Utc>>,
    pub error: Option<String>,
    /// Its last good list was cut short by its page limit: what to say of it
    /// (`opsgenie: first 1000 alerts shown (page limit)`).
    pub cut_short: Option<String>,
}

/// Alerts from every source, merged. Pure: sources report, the board answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertBoard {
    pub sources: Vec<SourceStatus>,
}

impl AlertBoard {
    pub fn with_sources<S: Into<String>>(names: impl IntoIterator<Item = S>) -> AlertBoard {
        AlertBoard {
            sources: names
                .into_iter()
                .map(|n| SourceStatus {
                    name: n.into(),
                    alerts: Vec::new(),
                    last_ok: None,
                    stale_since: None,
                    error: None,
                    cut_short: None,
                })
                .collect(),
        }
    }

    fn source(&mut self, name: &str) -> &mut SourceStatus {
        if let Some(i) = self.sources.iter().position(|s| s.name == name) {
            return &mut self.sources[i];
        }
        self.sources.push(SourceStatus {
            name: name.to_string(),
            alerts: Vec::new(),
            last_ok: None,
            stale_since: None,
            error: None,
            cut_short: None,
        });
        let last = self.sources.len() - 1;
        &mut self.sources[last]
    }

    /// A source answered: its alerts replace what it said before, and it is fresh again.
    /// False when nothing the merged view shows changed (the same alerts as last time from a
    /// source that was fresh), so what is derived from it need not be computed again.
    pub fn report_ok(&mut self, name: &str, alerts: Vec<Alert>, now: DateTime<Utc>) -> bool {
        let s = self.source(name);
        let was_fresh = s.last_ok.is_some() && s.stale_since.is_none() && s.error.is_none();
        let mut alerts = alerts;
        for a in &mut alerts {
            a.sources = vec![s.name.clone()];
        }
        let same = was_fresh
            && s.alerts.len() == alerts.len()
            && s.alerts.iter().zip(&alerts).all(|(old, new)| **old == *new);
        if !same {
            s.alerts = alerts.into_iter().map(Arc::new).collect();
        }
        s.last_ok = Some(now);
        s.stale_since = None;
        s.error = None;
        !same
    }

    /// Whether the source's last good list was cut short by its page limit, and what to say
    /// of it; `None` for a whole list. True when that changed.
    pub fn report_cut_short(&mut self, name: &str, note: Option<String>) -> bool {
        let s = self.source(name);
        let changed = s.cut_short != note;
        s.cut_short = note;
        changed
    }

    /// The notes of the sources whose last good list was cut short by their page limit.
    pub fn cut_short(&self) -> impl Iterator<Item = &str> {
        self.sources.iter().filter_map(|s| s.cut_short.as_deref())
    }

    /// A source failed: keep its last good alerts, remember since when it is stale and why.
    pub fn report_err(&mut self, name: &str, error: String, now: DateTime<Utc>) {
        let s = self.source(name);
        if s.stale_since.is_none() {
            s.stale_since = Some(now);
        }
        s.error = Some(error);
    }

    /// Every alert once, de-duplicated by fingerprint across sources (an HA pair reports the
    /// same alert twice); the most urgent state wins, and all reporting sources are named.
    pub fn merged(&self) -> Vec<Alert> {
        self.merged_shared()
            .into_iter()
            .map(Arc::unwrap_or_clone)
            .collect()
    }

    /// [`AlertBoard::merged`] without copying: an alert one source reports is shared with
    /// the board; only one several sources report is copied, to merge them.
    pub fn merged_shared(&self) -> Vec<Arc<Alert>> {
        let mut by_fp: std::collections::HashMap<&str, Arc<Alert>> =
            std::collections::HashMap::new();
        for s in &self.sources {
            for a in &s.alerts {
                match by_fp.get_mut(a.fingerprint.as_str()) {
                    Some(seen) => {
                        let seen = Arc::make_mut(seen);
                        if a.state < seen.state {
                            seen.state = a.state;
                        }
                        seen.starts_at = seen.starts_at.min(a.starts_at);
                        if !seen.sources.contains(&s.name) {
                            seen.sources.push(s.name.clone());
                        }
                    }
                    None => {
                        by_fp.insert(a.fingerprint.as_str(), a.clone());
                    }
                }
            }
        }
        let mut out: Vec<Arc<Alert>> = by_fp.into_values().collect();
        out.sort_by(|a, b| {
            (a.state, b.starts_at, &a.fingerprint).cmp(&(b.state, a.starts_at, &b.fingerprint))
        });
        out
    }

    /// Sources whose data is stale, with why and since when.
    pub fn stale(&self) -> impl Iterator<Item = &SourceStatus> {
        self.sources
            .iter()
            .filter(|s| s.stale_since.is_some() || (s.last_ok.is_none() && s.error.is_some()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::collections::BTreeMap;

    fn at(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap() + chrono::Duration::minutes(min)
    }

    fn alert(fp: &str, state: AlertState, start: i64) -> Alert {
        Alert {
            fingerprint: fp.into(),
            labels: Labels::from_iter([("alertname", format!("A{fp}"))]),
            annotations: Labels::default(),
            starts_at: at(start),
            ends_at: None,
            generator_url: None,
            state,
            silenced_by: vec![],
            inhibited_by: vec![],
            sources: vec![],
        }
    }

    #[test]
    fn an_ha_pair_reporting_the_same_alert_shows_it_once() {
        let mut b = AlertBoard::with_sources(["am-a", "am-b"]);
        b.report_ok(
            "am-a",
            vec![
                alert("1", AlertState::Suppressed, 2),
                alert("2", AlertState::Active, 1),
            ],
            at(5),
        );
        b.report_ok("am-b", vec![alert("1", AlertState::Active, 1)], at(5));
        let m = b.merged();
        assert_eq!(m.len(), 2);
        let one = m.iter().find(|a| a.fingerprint == "1").unwrap();
        assert_eq!(one.state, AlertState::Active);
        assert_eq!(one.starts_at, at(1));
        assert_eq!(one.sources, vec!["am-a".to_string(), "am-b".to_string()]);
    }

    #[test]
    fn a_failing_source_keeps_its_last_good_alerts_and_says_since_when() {
        let mut b = AlertBoard::with_sources(["am"]);
        b.report_ok("am", vec![alert("1", AlertState::Active, 0)], at(1));
        b.report_err("am", "connection refused".into(), at(2));
        b.report_err("am", "timeout".into(), at(3));
        assert_eq!(b.merged().len(), 1);
        let s = b.stale().next().unwrap();
        assert_eq!(s.stale_since, Some(at(2)));
        assert_eq!(s.error.as_deref(), Some("timeout"));
        b.report_ok("am", vec![], at(4));
        assert!(b.stale().next().is_none());
        assert!(b.merged().is_empty());
    }

    #[test]
    fn the_same_alerts_again_are_no_change_and_the_merged_view_shares_them() {
        let mut b = AlertBoard::with_sources(["am"]);
        assert!(b.report_ok("am", vec![alert("1", AlertState::Active, 0)], at(1)));
        assert!(!b.report_ok("am", vec![alert("1", AlertState::Active, 0)], at(2)));
        assert_eq!(b.sources[0].last_ok, Some(at(2)));
        assert!(b.report_ok("am", vec![alert("1", AlertState::Suppressed, 0)], at(3)));
        b.report_err("am", "timeout".into(), at(4));
        assert!(b.report_ok("am", vec![alert("1", AlertState::Suppressed, 0)], at(5)));
        // One source: the merged view holds the board's alert, not a copy.
        let m = b.merged_shared();
        assert!(Arc::ptr_eq(&m[0], &b.sources[0].alerts[0]));
        assert_eq!(m[0].sources, vec!["am".to_string()]);
    }

    #[test]
    fn fingerprints_ignore_label_order_of_insertion() {
        let a = BTreeMap::from([
            ("a".to_string(), "1".to_string()),
            ("b".to_string(), "2".to_string()),
        ]);
        let mut b = BTreeMap::new();
        b.insert("b".to_string(), "2".to_string());
        b.insert("a".to_string(), "1".to_string());
        assert_eq!(fingerprint_of(&a), fingerprint_of(&b));
        let c = BTreeMap::from([("a".to_string(), "12".to_string())]);
        let d = BTreeMap::from([("a1".to_string(), "2".to_string())]);
        assert_ne!(fingerprint_of(&c), fingerprint_of(&d));
    }
}
