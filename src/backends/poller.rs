//! Polling alert sources: one tokio task per source, asking every `interval`, backing off
//! exponentially (with jitter) while it fails, and sending a [`SourceReport`] after every
//! try. The console owns an [`AlertBoard`] and feeds it the reports
//! ([`SourceReport::apply`]); the board stays pure and keeps each source's last good alerts
//! while it is failing.
//!
//! ```no_run
//! # use warroom::backends::{self, PollSettings};
//! # use warroom::domain::AlertBoard;
//! # async fn watch(config: warroom::config::Config, client: reqwest::Client) {
//! let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
//! let sources = backends::sources_from_config(&config, &client, config.alerts.timeout());
//! let mut board = AlertBoard::with_sources(sources.iter().map(|s| s.name().to_string()));
//! backends::poller::spawn_all(sources, PollSettings::from_config(&config), tx);
//! while let Some(report) = rx.recv().await {
//!     report.apply(&mut board);
//! }
//! # }
//! ```
//! A task stops by itself once the receiver is dropped.

use super::alertmanager::AlertFilter;
use super::sources::AlertSource;
use crate::config::Config;
use crate::domain::{Alert, AlertBoard};
use chrono::{DateTime, Utc};
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

/// What one try at one source gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceReport {
    /// The source's name (as in [`AlertSource::name`]).
    pub source: String,
    /// When the try ended.
    pub at: DateTime<Utc>,
    /// Its alerts, or one line saying why not.
    pub result: Result<Vec<Alert>, String>,
    /// Said when the source's page limit cut its list short
    /// (`opsgenie: first 1000 alerts shown (page limit)`); `None` for a whole list.
    pub cut_short: Option<String>,
}

impl SourceReport {
    /// Feeds the report to the board: `report_ok` or `report_err`. False when the board's
    /// merged view cannot have changed (the same alerts again).
    pub fn apply(self, board: &mut AlertBoard) -> bool {
        match self.result {
            Ok(alerts) => {
                let changed = board.report_ok(&self.source, alerts, self.at);
                board.report_cut_short(&self.source, self.cut_short) || changed
            }
            Err(e) => {
                board.report_err(&self.source, e, self.at);
                true
            }
        }
    }
}

/// The longest wait between two looks at pushed alerts.
pub const INTAKE_INTERVAL: Duration = Duration::from_millis(500);

/// How the poller paces itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollSettings {
    /// Between two successful polls.
    pub interval: Duration,
    /// For one whole fetch (the clients' own per-request timeout applies inside it).
    pub timeout: Duration,
    /// Longest wait between tries while a source keeps failing.
    pub max_backoff: Duration,
    /// Which alerts to ask for.
    pub filter: AlertFilter,
}

impl Default for PollSettings {
    fn default() -> Self {
        PollSettings {
            interval: Duration::from_secs(10),
            timeout: Duration::from_secs(5),
            max_backoff: Duration::from_secs(60),
            filter: AlertFilter::default(),
        }
    }
}

impl PollSettings {
    /// `[alerts] poll_interval` and `timeout`, everything else default.
    pub fn from_config(config: &Config) -> PollSettings {
        PollSettings {
            interval: config.alerts.poll_interval(),
            timeout: config.alerts.timeout(),
            ..PollSettings::default()
        }
    }
}

/// The wait before the next try after `failures` failures in a row: `interval` while all is
/// well; then `interval × 2^(failures-1)`, capped at `cap`, of which the upper half is
/// jittered by `seed` (spreads the retries of many consoles after a shared outage).
pub fn next_delay(interval: Duration, cap: Duration, failures: u32, seed: u32) -> Duration {
    if failures == 0 {
        return interval;
    }
    let grown = interval.saturating_mul(1u32 << (failures - 1).min(16));
    let d = grown.min(cap.max(interval));
    let half = d / 2;
    let nanos = half.as_nanos().max(1) as u64;
    half + Duration::from_nanos(u64::from(seed) % nanos)
}

/// A little entropy without a crate: the clock's nanoseconds.
fn seed() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
}

/// Fetches once within `deadline` and stamps the result.
pub async fn fetch_report(
    source: &AlertSource,
    filter: &AlertFilter,
    deadline: Duration,
) -> SourceReport {
    let mut cut_short = None;
    let result = match tokio::time::timeout(deadline, source.fetch_listing(filter)).await {
        Ok(Ok(listing)) => {
            cut_short = listing.note(source.name());
            Ok(listing.alerts)
        }
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!(
            "{}: no answer within {}s",
            source.name(),
            deadline.as_secs_f32()
        )),
    };
    SourceReport {
        source: source.name().to_string(),
        at: Utc::now(),
        result,
        cut_short,
    }
}

/// Starts one task polling `source` until `tx`'s receiver is dropped.
pub fn spawn(
    source: AlertSource,
    settings: PollSettings,
    tx: UnboundedSender<SourceReport>,
) -> JoinHandle<()> {
    tokio::spawn(run(source, settings, tx))
}

/// [`spawn`] for each source. Pushed alerts are read from a file on this machine, so they are
/// looked at every [`INTAKE_INTERVAL`] at least: they reach the board within about a second.
pub fn spawn_all(
    sources: Vec<AlertSource>,
    settings: PollSettings,
    tx: UnboundedSender<SourceReport>,
) -> Vec<JoinHandle<()>> {
    sources
        .into_iter()
        .map(|s| {
            let mut settings = settings.clone();
            if matches!(s, AlertSource::Intake { .. }) {
                settings.interval = settings.interval.min(INTAKE_INTERVAL);
            }
            spawn(s, settings, tx.clone())
        })
        .collect()
}

async fn run(source: AlertSource, settings: PollSettings, tx: UnboundedSender<SourceReport>) {
    // A fetch may take a little longer than the clients' timeout (connect + body).
    let deadline = settings.timeout + Duration::from_millis(500);
    let mut failures: u32 = 0;
    loop {
        let report = tokio::select! {
            r = fetch_report(&source, &settings.filter, deadline) => r,
            _ = tx.closed() => return,
        };
        failures = if report.result.is_ok() {
            0
        } else {
            failures.saturating_add(1)
        };
        if tx.send(report).is_err() {
            return;
        }
        let wait = next_delay(settings.interval, settings.max_backoff, failures, seed());
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = tx.closed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_cut_short_is_said_on_the_board_while_it_stands_and_not_after_a_whole_one() {
        let mut board = AlertBoard::with_sources(["opsgenie"]);
        let report = |cut: Option<&str>, result: Result<Vec<Alert>, String>| SourceReport {
            source: "opsgenie".into(),
            at: Utc::now(),
            result,
            cut_short: cut.map(str::to_string),
        };
        let note = "opsgenie: first 1000 alerts shown (page limit)";
        assert!(report(Some(note), Ok(vec![])).apply(&mut board));
        assert_eq!(board.cut_short().collect::<Vec<_>>(), vec![note]);
        // A failure keeps the last good (cut) list, and says so still.
        report(None, Err("HTTP 500".into())).apply(&mut board);
        assert_eq!(board.cut_short().collect::<Vec<_>>(), vec![note]);
        // The same alerts, now the whole list: the note goes, and the board changed.
        assert!(report(None, Ok(vec![])).apply(&mut board));
        assert_eq!(board.cut_short().count(), 0);
        assert!(!report(None, Ok(vec![])).apply(&mut board));
    }

    #[test]
    fn backoff_doubles_to_the_cap_and_jitters_the_upper_half() {
        let s = Duration::from_secs;
        assert_eq!(next_delay(s(10), s(60), 0, 12345), s(10));
        for (failures, full) in [(1, 10), (2, 20), (3, 40), (4, 60), (30, 60)] {
            for seed in [0, 1, 999_999_999, u32::MAX] {
                let d = next_delay(s(10), s(60), failures, seed);
                assert!(d >= s(full) / 2 && d <= s(full), "{failures} {seed}: {d:?}");
            }
        }
        // A cap below the interval never makes retries faster than normal polling.
        assert!(next_delay(s(10), s(1), 3, 0) >= s(5));
    }
}
