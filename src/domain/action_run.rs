//! Compensating actions as the journal records them: a run starts (`action_started`), ends
//! (`action_finished`) and, when the runbook says how, is verified against a metric
//! (`action_verified`). The incident keeps every run with its outcome, folded from those
//! three events; the rules here say which of them make sense next.

use super::{Entry, Rejected};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionOutcome {
    Succeeded,
    Failed,
    TimedOut,
    Cancelled,
}

impl ActionOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionOutcome::Succeeded => "succeeded",
            ActionOutcome::Failed => "failed",
            ActionOutcome::TimedOut => "timed out",
            ActionOutcome::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for ActionOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether the metric the runbook names moved as hoped after a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerifyResult {
    /// The expectation held within the time allowed.
    Effective,
    /// It did not hold within the time allowed (it may still come).
    NotEffective,
    /// The query could not be run, so nobody knows.
    Failed,
}

impl VerifyResult {
    pub fn as_str(self) -> &'static str {
        match self {
            VerifyResult::Effective => "effective",
            VerifyResult::NotEffective => "not effective yet",
            VerifyResult::Failed => "failed to verify",
        }
    }
}

impl fmt::Display for VerifyResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a run ended, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunEnd {
    pub at: DateTime<Utc>,
    pub outcome: ActionOutcome,
    pub exit_code: Option<i32>,
    pub http_status: Option<u16>,
    pub duration_ms: u64,
}

/// What verification concluded, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunVerification {
    pub at: DateTime<Utc>,
    pub result: VerifyResult,
    pub detail: String,
}

/// One run of a runbook action during the incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionRun {
    pub run_id: String,
    pub action: String,
    pub params: BTreeMap<String, String>,
    pub dry_run: bool,
    /// The exact command or request, secrets redacted.
    pub command: String,
    pub started_seq: u64,
    pub started_at: DateTime<Utc>,
    pub started_by: String,
    pub finished: Option<RunEnd>,
    pub verification: Option<RunVerification>,
}

impl ActionRun {
    /// Started for real and not finished yet.
    pub fn in_progress(&self) -> bool {
        !self.dry_run && self.finished.is_none()
    }

    /// `succeeded, effective` / `failed (exit 2)` / `running` / `dry run`.
    pub fn summary(&self) -> String {
        if self.dry_run {
            return "dry run".into();
        }
        let Some(end) = &self.finished else {
            return "running".into();
        };
        let mut s = end.outcome.to_string();
        match (end.outcome, end.exit_code, end.http_status) {
            (ActionOutcome::Failed, Some(code), _) => s.push_str(&format!(" (exit {code})")),
            (ActionOutcome::Failed, None, Some(status)) => s.push_str(&format!(" (HTTP {status})")),
            _ => {}
        }
        if let Some(v) = &self.verification {
            s.push_str(&format!(", {}", v.result));
        }
        s
    }

    /// `flag-off (flag=checkout-v2)`.
    pub fn label(&self) -> String {
        if self.params.is_empty() {
            return self.action.clone();
        }
        let p: Vec<String> = self
            .params
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        format!("{} ({})", self.action, p.join(", "))
    }
}

/// `R1`, `R2`, …: the id the next run gets, decided under the journal's append lock.
pub fn next_run_id(runs: &[ActionRun]) -> String {
    let n = runs
        .iter()
        .filter_map(|r| r.run_id.strip_prefix('R')?.parse::<u32>().ok())
        .max()
        .unwrap_or(0);
    format!("R{}", n + 1)
}

/// The three action events, borrowed from an [`super::Event`] so the fold and the checks can
/// live here.
pub(crate) enum ActionEvent<'a> {
    Started {
        run_id: &'a str,
        action: &'a str,
        params: &'a BTreeMap<String, String>,
        dry_run: bool,
        command: &'a str,
    },
    Finished {
        run_id: &'a str,
        action: &'a str,
        outcome: ActionOutcome,
        exit_code: Option<i32>,
        http_status: Option<u16>,
        duration_ms: u64,
    },
    Verified {
        run_id: &'a str,
        action: &'a str,
        result: VerifyResult,
        detail: &'a str,
    },
}

impl<'a> ActionEvent<'a> {
    pub(crate) fn of(event: &'a super::Event) -> Option<ActionEvent<'a>> {
        use super::Event;
        Some(match event {
            Event::ActionStarted {
                run_id,
                action,
                params,
                dry_run,
                command,
            } => ActionEvent::Started {
                run_id,
                action,
                params,
                dry_run: *dry_run,
                command,
            },
            Event::ActionFinished {
                run_id,
                action,
                outcome,
                exit_code,
                http_status,
                duration_ms,
                ..
            } => ActionEvent::Finished {
                run_id,
                action,
                outcome: *outcome,
                exit_code: *exit_code,
                http_status: *http_status,
                duration_ms: *duration_ms,
            },
            Event::ActionVerified {
                run_id,
                action,
                result,
                detail,
            } => ActionEvent::Verified {
                run_id,
                action,
                result: *result,
                detail,
            },
            _ => return None,
        })
    }
}

/// Folds one action event into the runs.
pub(crate) fn apply(runs: &mut Vec<ActionRun>, entry: &Entry) {
    let Some(e) = ActionEvent::of(&entry.event) else {
        return;
    };
    match e {
        ActionEvent::Started {
            run_id,
            action,
            params,
            dry_run,
            command,
        } => runs.push(ActionRun {
            run_id: run_id.to_string(),
            action: action.to_string(),
            params: params.clone(),
            dry_run,
            command: command.to_string(),
            started_seq: entry.seq,
            started_at: entry.at,
            started_by: entry.by.clone(),
            finished: None,
            verification: None,
        }),
        ActionEvent::Finished {
            run_id,
            outcome,
            exit_code,
            http_status,
            duration_ms,
            ..
        } => {
            if let Some(r) = runs.iter_mut().find(|r| r.run_id == run_id) {
                r.finished = Some(RunEnd {
                    at: entry.at,
                    outcome,
                    exit_code,
                    http_status,
                    duration_ms,
                });
            }
        }
        ActionEvent::Verified {
            run_id,
            result,
            detail,
            ..
        } => {
            if let Some(r) = runs.iter_mut().find(|r| r.run_id == run_id) {
                r.verification = Some(RunVerification {
                    at: entry.at,
                    result,
                    detail: detail.to_string(),
                });
            }
        }
    }
}

/// Whether an action event makes sense given the runs so far.
pub(crate) fn check(runs: &[ActionRun], event: &super::Event) -> Result<(), Rejected> {
    let Some(e) = ActionEvent::of(event) else {
        return Ok(());
    };
    let find = |run_id: &str, action: &str| -> Result<&ActionRun, Rejected> {
        let r = runs
            .iter()
            .find(|r| r.run_id == run_id)
            .ok_or_else(|| Rejected(format!("no action run {run_id} was started")))?;
        if r.action != action {
            return Err(Rejected(format!(
                "run {run_id} is {}, not {action}",
                r.action
            )));
        }
        Ok(r)
    };
    match e {
        ActionEvent::Started {
            run_id,
            action,
            params,
            command,
            ..
        } => {
            check_word("run id", run_id)?;
            check_word("action", action)?;
            for (k, v) in params {
                check_word("parameter name", k)?;
                if v.chars().any(char::is_control) {
                    return Err(Rejected(format!(
                        "parameter {k} must be one line without control characters"
                    )));
                }
            }
            if command.trim().is_empty() {
                return Err(Rejected("the command is empty".into()));
            }
            if runs.iter().any(|r| r.run_id == run_id) {
                return Err(Rejected(format!("run id {run_id} is taken")));
            }
            Ok(())
        }
        ActionEvent::Finished { run_id, action, .. } => {
            let r = find(run_id, action)?;
            if r.dry_run {
                Err(Rejected(format!("{run_id} was a dry run; nothing ran")))
            } else if r.finished.is_some() {
                Err(Rejected(format!("{run_id} has already finished")))
            } else {
                Ok(())
            }
        }
        ActionEvent::Verified { run_id, action, .. } => {
            let r = find(run_id, action)?;
            match &r.finished {
                None => Err(Rejected(format!("{run_id} has not finished"))),
                Some(_) if r.verification.is_some() => {
                    Err(Rejected(format!("{run_id} is already verified")))
                }
                Some(_) => Ok(()),
            }
        }
    }
}

fn check_word(field: &str, value: &str) -> Result<(), Rejected> {
    if value.is_empty() || value.len() > 200 {
        return Err(Rejected(format!("{field} must be 1 to 200 characters")));
    }
    if value.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(Rejected(format!(
            "{field} must be one word without control characters"
        )));
    }
    Ok(())
}

/// One line for the outage log.
pub(crate) fn describe(e: &ActionEvent<'_>) -> String {
    match e {
        ActionEvent::Started {
            run_id,
            action,
            dry_run,
            command,
            ..
        } => {
            if *dry_run {
                format!("action {run_id} {action} dry run (nothing ran): {command}")
            } else {
                format!("action {run_id} {action} started: {command}")
            }
        }
        ActionEvent::Finished {
            run_id,
            action,
            outcome,
            exit_code,
            http_status,
            duration_ms,
        } => {
            let mut detail = Vec::new();
            if let Some(c) = exit_code {
                detail.push(format!("exit {c}"));
            }
            if let Some(s) = http_status {
                detail.push(format!("HTTP {s}"));
            }
            detail.push(seconds(*duration_ms));
            format!("action {run_id} {action} {outcome} ({})", detail.join(", "))
        }
        ActionEvent::Verified {
            run_id,
            action,
            result,
            detail,
        } => format!(
            "action {run_id} {action} {result}: {}",
            super::humanize_numbers(detail)
        ),
    }
}

fn seconds(ms: u64) -> String {
    if ms < 10_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else {
        super::short_duration(chrono::Duration::milliseconds(ms as i64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Event, Incident, Severity};
    use chrono::TimeZone;

    fn at(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap() + chrono::Duration::minutes(min)
    }

    fn fold(events: Vec<Event>) -> Incident {
        let mut all = vec![Event::Opened {
            title: "Checkout 500s".into(),
            severity: Severity::Sev1,
            summary: None,
        }];
        all.extend(events);
        let entries: Vec<Entry> = all
            .into_iter()
            .enumerate()
            .map(|(i, event)| Entry {
                seq: i as u64 + 1,
                at: at(i as i64),
                by: "alice".into(),
                event,
            })
            .collect();
        Incident::fold("INC-1", &entries).unwrap()
    }

    fn started(run: &str, dry_run: bool) -> Event {
        Event::ActionStarted {
            run_id: run.into(),
            action: "flag-off".into(),
            params: BTreeMap::from([("flag".into(), "checkout-v2".into())]),
            dry_run,
            command: "flagctl set checkout-v2 off".into(),
        }
    }

    fn finished(run: &str, outcome: ActionOutcome) -> Event {
        Event::ActionFinished {
            run_id: run.into(),
            action: "flag-off".into(),
            outcome,
            exit_code: Some(if outcome == ActionOutcome::Succeeded {
                0
            } else {
                3
            }),
            http_status: None,
            duration_ms: 1234,
            output_tail: "out| done".into(),
        }
    }

    fn verified(run: &str) -> Event {
        Event::ActionVerified {
            run_id: run.into(),
            action: "flag-off".into(),
            result: VerifyResult::Effective,
            detail: "errors = 0.001, < 0.01 as wanted, after 12s".into(),
        }
    }

    #[test]
    fn a_flag_turned_off_folds_into_one_run_with_its_outcome_and_verification() {
        let i = fold(vec![
            started("R1", false),
            finished("R1", ActionOutcome::Succeeded),
            verified("R1"),
            started("R2", true),
        ]);
        assert_eq!(i.action_runs.len(), 2);
        let r = &i.action_runs[0];
        assert_eq!(r.summary(), "succeeded, effective");
        assert_eq!(r.label(), "flag-off (flag=checkout-v2)");
        assert_eq!(i.action_runs[1].summary(), "dry run");
        assert_eq!(next_run_id(&i.action_runs), "R3");
        assert_eq!(
            finished("R1", ActionOutcome::Failed).describe(),
            "action R1 flag-off failed (exit 3, 1.2s)"
        );
        assert_eq!(
            started("R1", false).describe(),
            "action R1 flag-off started: flagctl set checkout-v2 off"
        );
    }

    #[test]
    fn runs_finish_once_and_are_verified_once_after_finishing() {
        let i = fold(vec![started("R1", false), started("R2", true)]);
        assert!(i.check(&started("R1", false)).is_err(), "run id taken");
        assert!(i.check(&verified("R1")).is_err(), "not finished yet");
        assert!(
            i.check(&finished("R2", ActionOutcome::Succeeded)).is_err(),
            "dry run"
        );
        assert!(
            i.check(&finished("R9", ActionOutcome::Succeeded)).is_err(),
            "unknown run"
        );
        assert!(i.check(&finished("R1", ActionOutcome::Succeeded)).is_ok());
        let i = fold(vec![
            started("R1", false),
            finished("R1", ActionOutcome::Succeeded),
        ]);
        assert!(i.check(&finished("R1", ActionOutcome::Failed)).is_err());
        assert!(i.check(&verified("R1")).is_ok());
    }

    #[test]
    fn a_run_started_before_resolution_may_still_end_after_it() {
        let i = fold(vec![
            started("R1", false),
            Event::Resolved { summary: None },
        ]);
        assert!(i.check(&finished("R1", ActionOutcome::Cancelled)).is_ok());
        assert!(i.check(&started("R2", false)).is_err());
    }
}
