//! The drill review: how a drill's call went, scored against the practice and the scenario's
//! targets, as a pure fold of the drill incident's entries. Time is a parameter (`end`: when
//! the drill ended, its resolution or the end of the run), so every score can be tested with
//! hand-built entries.
//!
//! Scores: time to take command, time to the first status update, how the update cadence was
//! kept afterwards ("kept 2 of 3"), a scribe named, the root suspect identified, time to the
//! right compensating action and whether it was verified, exit criteria set, post-mortem
//! exported. [`compare`] says, per score, whether it is better or worse than the team's
//! previous drill of the same scenario.

use super::{ActionOutcome, Entry, Event, NoteKind, Role, Severity, StatusCadence, VerifyResult};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// What a good call achieves, in seconds from the drill's start. A scenario may override each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Targets {
    /// Someone takes command within this.
    pub take_command_secs: i64,
    /// The first status update goes out within this.
    pub first_update_secs: i64,
    /// The right compensating action is started within this.
    pub fix_secs: i64,
}

impl Default for Targets {
    fn default() -> Self {
        Targets {
            take_command_secs: 2 * 60,
            first_update_secs: 5 * 60,
            fix_secs: 15 * 60,
        }
    }
}

/// What the review needs to know of the scenario that was played.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DrillSpec {
    /// The scenario's name, which ties a drill to the team's earlier drills of it.
    pub scenario: String,
    /// The service the blast radius should lead the team to (`pricing`).
    pub root_suspect: Option<String>,
    /// The runbook actions that fix the fault (any one of them is right).
    pub fixes: Vec<String>,
    pub targets: Targets,
}

/// Which score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoreKind {
    TakeCommand,
    FirstUpdate,
    Cadence,
    Scribe,
    RootSuspect,
    Fix,
    FixVerified,
    ExitCriteria,
    Postmortem,
}

impl ScoreKind {
    pub const ALL: [ScoreKind; 9] = [
        ScoreKind::TakeCommand,
        ScoreKind::FirstUpdate,
        ScoreKind::Cadence,
        ScoreKind::Scribe,
        ScoreKind::RootSuspect,
        ScoreKind::Fix,
        ScoreKind::FixVerified,
        ScoreKind::ExitCriteria,
        ScoreKind::Postmortem,
    ];

    /// How a person reads it.
    pub fn label(self) -> &'static str {
        match self {
            ScoreKind::TakeCommand => "command taken",
            ScoreKind::FirstUpdate => "first status update",
            ScoreKind::Cadence => "update cadence",
            ScoreKind::Scribe => "scribe named",
            ScoreKind::RootSuspect => "root suspect identified",
            ScoreKind::Fix => "compensating action",
            ScoreKind::FixVerified => "compensating action verified",
            ScoreKind::ExitCriteria => "exit criteria set",
            ScoreKind::Postmortem => "post-mortem exported",
        }
    }
}

/// One score: when it happened (seconds from the drill's start, `None`: never), the target
/// where there is one, the cadence's count, and whether it met the practice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Score {
    pub score: ScoreKind,
    pub met: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_seconds: Option<i64>,
    /// Cadence only: updates on time, and updates that were due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<u32>,
    /// One line saying what happened (who, which action, which service).
    pub detail: String,
}

/// The scores of one drill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrillReview {
    pub scenario: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub scores: Vec<Score>,
}

impl DrillReview {
    pub fn score(&self, kind: ScoreKind) -> Option<&Score> {
        self.scores.iter().find(|s| s.score == kind)
    }

    /// How many scores met the practice.
    pub fn met(&self) -> usize {
        self.scores.iter().filter(|s| s.met).count()
    }

    /// `6 of 9 met`.
    pub fn summary(&self) -> String {
        format!("{} of {} met", self.met(), self.scores.len())
    }
}

/// `4m05s`, `45s`, `1h02m`: a time from the drill's start as the review shows it.
pub fn mm_ss(secs: i64) -> String {
    let s = secs.max(0);
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

impl Score {
    /// What it came to, in a few words: `4m05s (target 5m00s)`, `kept 2 of 3`, `yes`, `never`.
    pub fn value(&self) -> String {
        if let (Some(kept), Some(due)) = (self.kept, self.due) {
            return format!("kept {kept} of {due}");
        }
        let at = match self.seconds {
            Some(s) => mm_ss(s),
            None => return "never".to_string(),
        };
        match self.target_seconds {
            Some(t) => format!("{at} (target {})", mm_ss(t)),
            None => format!("yes, at {at}"),
        }
    }
}

/// Whether `text` names `service` as a word (`pricing` in "pricing's v2.31", not in
/// "repricing"). The report's root suspects are found the same way.
pub fn names(text: &str, service: &str) -> bool {
    if service.is_empty() {
        return false;
    }
    let t = text.to_lowercase();
    let s = service.to_lowercase();
    let word = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
    t.match_indices(&s).any(|(i, _)| {
        let before = t[..i].chars().next_back();
        let after = t[i + s.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

/// Scores the drill whose entries are `entries` (in journal order) as of `end`.
pub fn review(
    spec: &DrillSpec,
    cadence: &StatusCadence,
    entries: &[Entry],
    end: DateTime<Utc>,
) -> DrillReview {
    let started_at = entries
        .iter()
        .find(|e| matches!(e.event, Event::Opened { .. }))
        .map(|e| e.at)
        .unwrap_or(end);
    let ended_at = entries
        .iter()
        .find(|e| matches!(e.event, Event::Resolved { .. }))
        .map(|e| e.at)
        .unwrap_or(end)
        .max(started_at);
    let during: Vec<&Entry> = entries.iter().filter(|e| e.at <= ended_at).collect();
    let secs = |at: DateTime<Utc>| (at - started_at).num_seconds();
    let t = &spec.targets;
    let timed = |kind: ScoreKind, at: Option<(DateTime<Utc>, String)>, target: i64| {
        let seconds = at.as_ref().map(|(a, _)| secs(*a));
        Score {
            score: kind,
            met: seconds.is_some_and(|s| s <= target),
            seconds,
            target_seconds: Some(target),
            kept: None,
            due: None,
            detail: at.map(|(_, d)| d).unwrap_or_default(),
        }
    };
    let happened = |kind: ScoreKind, at: Option<(DateTime<Utc>, String)>| Score {
        score: kind,
        met: at.is_some(),
        seconds: at.as_ref().map(|(a, _)| secs(*a)),
        target_seconds: None,
        kept: None,
        due: None,
        detail: at.map(|(_, d)| d).unwrap_or_default(),
    };

    let role = |wanted: Role| {
        during.iter().find_map(|e| match &e.event {
            Event::RoleAssigned { role, person } if *role == wanted => {
                Some((e.at, format!("{person} is {role}")))
            }
            Event::Handoff { to, .. } if wanted == Role::Commander => {
                Some((e.at, format!("{to} is commander")))
            }
            _ => None,
        })
    };
    let updates: Vec<DateTime<Utc>> = during
        .iter()
        .filter(|e| matches!(e.event, Event::StatusUpdate { .. }))
        .map(|e| e.at)
        .collect();
    let first_update = updates
        .first()
        .map(|at| (*at, format!("{} updates in all", updates.len())));

    let suspect = spec.root_suspect.as_deref().and_then(|svc| {
        during.iter().find_map(|e| {
            let said = match &e.event {
                Event::Note { kind, text } if *kind != NoteKind::Observation => Some(text),
                Event::StatusUpdate { text } => Some(text),
                Event::CheckIn { conditions, .. } => Some(conditions),
                Event::DecisionProposed { proposal, .. } => Some(proposal),
                _ => None,
            };
            said.filter(|t| names(t, svc))
                .map(|_| (e.at, format!("{svc}, named by {}", e.by)))
        })
    });

    // The first real run of a right action, and how it ended and was verified.
    let fix_run = during.iter().find_map(|e| match &e.event {
        Event::ActionStarted {
            run_id,
            action,
            dry_run: false,
            ..
        } if spec.fixes.iter().any(|f| f == action) => {
            Some((e.at, run_id.clone(), action.clone(), e.by.clone()))
        }
        _ => None,
    });
    let fix = fix_run.as_ref().map(|(at, run, action, by)| {
        let outcome = during.iter().find_map(|e| match &e.event {
            Event::ActionFinished {
                run_id, outcome, ..
            } if run_id == run => Some(*outcome),
            _ => None,
        });
        let how = match outcome {
            Some(ActionOutcome::Succeeded) => "succeeded".to_string(),
            Some(o) => o.as_str().to_string(),
            None => "did not finish".to_string(),
        };
        (*at, format!("{action} by {by}, {how}"))
    });
    let wrong: Vec<String> = during
        .iter()
        .filter_map(|e| match &e.event {
            Event::ActionStarted {
                action,
                dry_run: false,
                ..
            } if !spec.fixes.iter().any(|f| f == action) => Some(action.clone()),
            _ => None,
        })
        .collect();
    let mut fix_score = timed(ScoreKind::Fix, fix, t.fix_secs);
    if !wrong.is_empty() {
        let also = format!("also ran {}", wrong.join(", "));
        fix_score.detail = if fix_score.detail.is_empty() {
            also
        } else {
            format!("{}; {also}", fix_score.detail)
        };
    }
    let verified = fix_run.as_ref().and_then(|(_, run, action, _)| {
        during.iter().find_map(|e| match &e.event {
            Event::ActionVerified {
                run_id,
                result: VerifyResult::Effective,
                ..
            } if run_id == run => Some((e.at, format!("{action} effective"))),
            _ => None,
        })
    });
    let exit = during
        .iter()
        .find(|e| matches!(e.event, Event::ExitCriterionSet { .. }))
        .map(|e| {
            let at = e.at;
            let n = during
                .iter()
                .filter(|e| matches!(e.event, Event::ExitCriterionSet { .. }))
                .count();
            (at, format!("{n} set"))
        });
    // Exported during the drill or after it: the post-mortem comes once it is over.
    let postmortem = entries.iter().find_map(|e| match &e.event {
        Event::PostmortemExported { format, .. } => Some((e.at, format!("{format}"))),
        _ => None,
    });

    let scores = vec![
        timed(
            ScoreKind::TakeCommand,
            role(Role::Commander),
            t.take_command_secs,
        ),
        timed(ScoreKind::FirstUpdate, first_update, t.first_update_secs),
        kept_cadence(cadence, &during, ended_at),
        happened(ScoreKind::Scribe, role(Role::Scribe)),
        happened(ScoreKind::RootSuspect, suspect),
        fix_score,
        happened(ScoreKind::FixVerified, verified),
        happened(ScoreKind::ExitCriteria, exit),
        happened(ScoreKind::Postmortem, postmortem),
    ];
    DrillReview {
        scenario: spec.scenario.clone(),
        started_at,
        ended_at,
        scores,
    }
}

/// After the first update, each next one is due a cadence (of the severity then) after the
/// last, or after a snooze taken since: kept when it came by then (or within the cadence's
/// grace, [`StatusCadence::on_time`]). A drill that ended past a
/// due time with no update after counts that one as missed.
fn kept_cadence(cadence: &StatusCadence, during: &[&Entry], ended_at: DateTime<Utc>) -> Score {
    let mut severity = Severity::Sev2;
    let mut last: Option<DateTime<Utc>> = None;
    let mut due_at: Option<DateTime<Utc>> = None;
    let (mut kept, mut due) = (0u32, 0u32);
    let mut late = Vec::new();
    let next = |sev: Severity, from: DateTime<Utc>| cadence.every(sev).map(|d| from + d);
    for e in during {
        match &e.event {
            Event::Opened { severity: s, .. } => severity = *s,
            Event::SeverityChanged { to, .. } => {
                severity = *to;
                if let Some(l) = last {
                    due_at = next(severity, l);
                }
            }
            Event::StatusUpdateSnoozed { minutes } => {
                let until = e.at + Duration::minutes(i64::from(*minutes));
                if last.is_some() && due_at.is_some_and(|d| until > d) {
                    due_at = Some(until);
                }
            }
            Event::StatusUpdate { .. } => {
                if last.is_some() {
                    due += 1;
                    match due_at {
                        Some(d) if !cadence.on_time(severity, d, e.at) => {
                            late.push(mm_ss((e.at - d).num_seconds()))
                        }
                        _ => kept += 1,
                    }
                }
                last = Some(e.at);
                due_at = next(severity, e.at);
            }
            _ => {}
        }
    }
    let mut detail = if late.is_empty() {
        String::new()
    } else {
        format!("late by {}", late.join(", "))
    };
    if let Some(d) = due_at.filter(|d| ended_at > *d) {
        due += 1;
        let missed = format!("none in the last {}", mm_ss((ended_at - d).num_seconds()));
        detail = if detail.is_empty() {
            missed
        } else {
            format!("{detail}; {missed}")
        };
    }
    Score {
        score: ScoreKind::Cadence,
        met: last.is_some() && kept == due,
        seconds: None,
        target_seconds: None,
        kept: Some(kept),
        due: Some(due),
        detail,
    }
}

/// How a score compares with the same score of an earlier drill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    Better,
    Worse,
    Same,
}

impl Trend {
    pub fn as_str(self) -> &'static str {
        match self {
            Trend::Better => "better",
            Trend::Worse => "worse",
            Trend::Same => "same",
        }
    }
}

/// A score's rank for comparing drills: met before not met, then sooner before later (never
/// last), then more of the cadence kept.
fn rank(s: &Score) -> (bool, i64, i64) {
    let when = match (s.kept, s.due) {
        (Some(k), Some(d)) if d > 0 => -(i64::from(k) * 1000 / i64::from(d)),
        (Some(_), Some(_)) => -1000,
        _ => match (s.target_seconds, s.seconds) {
            (Some(_), Some(secs)) => secs,
            (Some(_), None) => i64::MAX,
            _ => 0,
        },
    };
    (!s.met, when, 0)
}

/// Per score of `now`, how it compares with the newest of `previous` (the team's earlier
/// drills of the same scenario, oldest first); `None` when there is none to compare with.
pub fn compare(now: &DrillReview, previous: &[DrillReview]) -> Vec<(ScoreKind, Option<Trend>)> {
    let last = previous.last();
    now.scores
        .iter()
        .map(|s| {
            let before = last.and_then(|p| p.score(s.score));
            let trend = before.map(|b| match rank(s).cmp(&rank(b)) {
                std::cmp::Ordering::Less => Trend::Better,
                std::cmp::Ordering::Greater => Trend::Worse,
                std::cmp::Ordering::Equal => Trend::Same,
            });
            (s.score, trend)
        })
        .collect()
}

/// The review as lines of text, for the console's popup and the terminal: one line a score
/// (`✓ first status update   4m00s (target 5m00s)  — better`), then the total.
pub fn lines(review: &DrillReview, trends: &[(ScoreKind, Option<Trend>)]) -> Vec<String> {
    let mut out = vec![format!(
        "Drill review: {} ({} to {} UTC)",
        review.scenario,
        review.started_at.format("%Y-%m-%d %H:%M:%S"),
        review.ended_at.format("%H:%M:%S")
    )];
    out.push(String::new());
    for s in &review.scores {
        let mark = if s.met { "✓" } else { "✗" };
        let trend = trends
            .iter()
            .find(|(k, _)| *k == s.score)
            .and_then(|(_, t)| *t)
            .map(|t| match t {
                Trend::Same => " [same as the last drill]".to_string(),
                t => format!(" [{} than the last drill]", t.as_str()),
            })
            .unwrap_or_default();
        let detail = if s.detail.is_empty() {
            String::new()
        } else {
            format!(" — {}", s.detail)
        };
        out.push(format!(
            "{mark} {:<30} {}{detail}{trend}",
            s.score.label(),
            s.value()
        ));
    }
    out.push(String::new());
    out.push(format!("{}.", review.summary()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ExitCheck, ExportFormat};
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 1, 10, 0, 0).unwrap()
    }

    struct Log(Vec<Entry>);
    impl Log {
        fn new() -> Log {
            let mut l = Log(Vec::new());
            l.at(
                0,
                "sam",
                Event::Opened {
                    title: "Checkout errors".into(),
                    severity: Severity::Sev2,
                    summary: None,
                },
            );
            l
        }
        fn at(&mut self, secs: i64, by: &str, event: Event) -> &mut Log {
            self.0.push(Entry {
                seq: self.0.len() as u64 + 1,
                at: t0() + Duration::seconds(secs),
                by: by.into(),
                event,
            });
            self
        }
        fn update(&mut self, secs: i64) -> &mut Log {
            self.at(
                secs,
                "ann",
                Event::StatusUpdate {
                    text: "working on it".into(),
                },
            )
        }
    }

    fn spec() -> DrillSpec {
        DrillSpec {
            scenario: "bad-deploy".into(),
            root_suspect: Some("pricing".into()),
            fixes: vec!["flag-off".into(), "redeploy-pricing".into()],
            targets: Targets::default(),
        }
    }

    fn every_5m() -> StatusCadence {
        StatusCadence {
            per_severity: [Some(Duration::minutes(5)); 4],
        }
    }

    fn commander(l: &mut Log, secs: i64) {
        l.at(
            secs,
            "ann",
            Event::RoleAssigned {
                role: Role::Commander,
                person: "ann".into(),
            },
        );
    }

    #[test]
    fn an_empty_drill_meets_nothing() {
        let l = Log::new();
        let r = review(&spec(), &every_5m(), &l.0, t0() + Duration::minutes(20));
        assert_eq!(r.met(), 0, "{r:#?}");
        let c = r.score(ScoreKind::Cadence).unwrap();
        assert_eq!((c.kept, c.due), (Some(0), Some(0)));
        assert_eq!(r.score(ScoreKind::TakeCommand).unwrap().value(), "never");
        assert_eq!(r.ended_at, t0() + Duration::minutes(20));
    }

    #[test]
    fn command_and_first_update_are_timed_against_the_targets() {
        let mut l = Log::new();
        commander(&mut l, 95);
        l.update(240);
        let r = review(&spec(), &every_5m(), &l.0, t0() + Duration::minutes(6));
        let c = r.score(ScoreKind::TakeCommand).unwrap();
        assert_eq!((c.seconds, c.met), (Some(95), true));
        assert_eq!(c.detail, "ann is commander");
        let u = r.score(ScoreKind::FirstUpdate).unwrap();
        assert_eq!((u.seconds, u.met), (Some(240), true));
        assert_eq!(u.value(), "4m00s (target 5m00s)");

        let slow = Targets {
            take_command_secs: 60,
            first_update_secs: 200,
            ..Targets::default()
        };
        let r = review(
            &DrillSpec {
                targets: slow,
                ..spec()
            },
            &every_5m(),
            &l.0,
            t0() + Duration::minutes(6),
        );
        assert!(!r.score(ScoreKind::TakeCommand).unwrap().met);
        assert!(!r.score(ScoreKind::FirstUpdate).unwrap().met);
    }

    #[test]
    fn the_cadence_counts_updates_on_time_after_the_first() {
        // First at 4m, then 9m (on time), 14m (on time), 22m (3m late): kept 2 of 3.
        let mut l = Log::new();
        for m in [4, 9, 14, 22] {
            l.update(m * 60);
        }
        l.at(23 * 60, "ann", Event::Resolved { summary: None });
        let r = review(&spec(), &every_5m(), &l.0, t0() + Duration::hours(1));
        let c = r.score(ScoreKind::Cadence).unwrap();
        assert_eq!((c.kept, c.due, c.met), (Some(2), Some(3), false));
        assert_eq!(c.value(), "kept 2 of 3");
        assert_eq!(c.detail, "late by 3m00s");
        assert_eq!(r.ended_at, t0() + Duration::minutes(23));
    }

    #[test]
    fn silence_until_the_drill_ends_is_a_missed_update() {
        let mut l = Log::new();
        l.update(60).update(5 * 60);
        let r = review(&spec(), &every_5m(), &l.0, t0() + Duration::minutes(12));
        let c = r.score(ScoreKind::Cadence).unwrap();
        assert_eq!((c.kept, c.due), (Some(1), Some(2)));
        assert_eq!(c.detail, "none in the last 2m00s");
        // Ended before the next was due: nothing missed.
        let r = review(&spec(), &every_5m(), &l.0, t0() + Duration::minutes(9));
        let c = r.score(ScoreKind::Cadence).unwrap();
        assert_eq!((c.kept, c.due, c.met), (Some(1), Some(1), true));
    }

    #[test]
    fn a_snooze_and_a_severity_change_move_the_due_time() {
        let mut l = Log::new();
        l.update(60);
        l.at(120, "ann", Event::StatusUpdateSnoozed { minutes: 10 });
        l.update(11 * 60); // due at 12m after the snooze: on time
        l.at(
            11 * 60 + 5,
            "ann",
            Event::SeverityChanged {
                from: Severity::Sev2,
                to: Severity::Sev1,
            },
        );
        l.update(14 * 60); // sev1: due 2m after 11m, 1m late
        let cadence = StatusCadence {
            per_severity: [
                Some(Duration::minutes(2)),
                Some(Duration::minutes(5)),
                None,
                None,
            ],
        };
        let r = review(&spec(), &cadence, &l.0, t0() + Duration::minutes(15));
        let c = r.score(ScoreKind::Cadence).unwrap();
        assert_eq!((c.kept, c.due), (Some(1), Some(2)), "{c:?}");
    }

    #[test]
    fn a_scribe_is_scored_only_when_named() {
        let mut l = Log::new();
        commander(&mut l, 30);
        let r = review(&spec(), &every_5m(), &l.0, t0() + Duration::minutes(5));
        assert!(!r.score(ScoreKind::Scribe).unwrap().met);
        l.at(
            200,
            "ann",
            Event::RoleAssigned {
                role: Role::Scribe,
                person: "bo".into(),
            },
        );
        let r = review(&spec(), &every_5m(), &l.0, t0() + Duration::minutes(5));
        let s = r.score(ScoreKind::Scribe).unwrap();
        assert_eq!((s.met, s.seconds), (true, Some(200)));
        assert_eq!(s.detail, "bo is scribe");
    }

    #[test]
    fn the_root_suspect_is_identified_by_a_hypothesis_naming_it_as_a_word() {
        let mut l = Log::new();
        // The on-call's observation from the deploy log is not an identification.
        l.at(
            0,
            "sam",
            Event::Note {
                kind: NoteKind::Observation,
                text: "deploy log: pricing v2.31 rolling out".into(),
            },
        );
        l.at(
            60,
            "ann",
            Event::Note {
                kind: NoteKind::Hypothesis,
                text: "repricing job?".into(),
            },
        );
        let r = review(&spec(), &every_5m(), &l.0, t0() + Duration::minutes(5));
        assert!(!r.score(ScoreKind::RootSuspect).unwrap().met);
        l.at(
            150,
            "bo",
            Event::Note {
                kind: NoteKind::Hypothesis,
                text: "Pricing's new build fails the tax lookup".into(),
            },
        );
        let r = review(&spec(), &every_5m(), &l.0, t0() + Duration::minutes(5));
        let s = r.score(ScoreKind::RootSuspect).unwrap();
        assert_eq!((s.met, s.seconds), (true, Some(150)));
        assert_eq!(s.detail, "pricing, named by bo");
    }

    fn run(l: &mut Log, secs: i64, id: &str, action: &str, dry_run: bool) {
        l.at(
            secs,
            "ann",
            Event::ActionStarted {
                run_id: id.into(),
                action: action.into(),
                params: Default::default(),
                dry_run,
                command: "x".into(),
            },
        );
        l.at(
            secs + 2,
            "ann",
            Event::ActionFinished {
                run_id: id.into(),
                action: action.into(),
                outcome: ActionOutcome::Succeeded,
                exit_code: Some(0),
                http_status: None,
                duration_ms: 2000,
                output_tail: String::new(),
            },
        );
    }

    #[test]
    fn the_fix_is_the_first_real_run_of_a_right_action_and_verified_separately() {
        let mut l = Log::new();
        run(&mut l, 100, "R1", "flag-off", true); // a dry run fixes nothing
        run(&mut l, 200, "R2", "restart-checkout", false); // the wrong action
        let r = review(&spec(), &every_5m(), &l.0, t0() + Duration::minutes(20));
        let f = r.score(ScoreKind::Fix).unwrap();
        assert_eq!((f.met, f.seconds), (false, None));
        assert_eq!(f.detail, "also ran restart-checkout");
        run(&mut l, 400, "R3", "flag-off", false);
        let r = review(&spec(), &every_5m(), &l.0, t0() + Duration::minutes(20));
        let f = r.score(ScoreKind::Fix).unwrap();
        assert_eq!((f.met, f.seconds), (true, Some(400)));
        assert_eq!(
            f.detail,
            "flag-off by ann, succeeded; also ran restart-checkout"
        );
        assert!(!r.score(ScoreKind::FixVerified).unwrap().met);
        l.at(
            500,
            "ann",
            Event::ActionVerified {
                run_id: "R2".into(),
                action: "restart-checkout".into(),
                result: VerifyResult::Effective,
                detail: String::new(),
            },
        );
        l.at(
            520,
            "ann",
            Event::ActionVerified {
                run_id: "R3".into(),
                action: "flag-off".into(),
                result: VerifyResult::NotEffective,
                detail: String::new(),
            },
        );
        let r = review(&spec(), &every_5m(), &l.0, t0() + Duration::minutes(20));
        assert!(!r.score(ScoreKind::FixVerified).unwrap().met);
        l.at(
            580,
            "ann",
            Event::ActionVerified {
                run_id: "R3".into(),
                action: "flag-off".into(),
                result: VerifyResult::Effective,
                detail: String::new(),
            },
        );
        let r = review(&spec(), &every_5m(), &l.0, t0() + Duration::minutes(20));
        let v = r.score(ScoreKind::FixVerified).unwrap();
        assert_eq!((v.met, v.seconds), (true, Some(580)));
    }

    #[test]
    fn exit_criteria_and_a_post_mortem_exported_after_the_end_count() {
        let mut l = Log::new();
        l.at(
            300,
            "ann",
            Event::ExitCriterionSet {
                criterion: 1,
                check: ExitCheck::Manual {
                    text: "orders flow".into(),
                },
            },
        );
        l.at(600, "ann", Event::Resolved { summary: None });
        l.at(
            900,
            "ann",
            Event::PostmortemExported {
                format: ExportFormat::Markdown,
                path: None,
            },
        );
        let r = review(&spec(), &every_5m(), &l.0, t0() + Duration::hours(1));
        let e = r.score(ScoreKind::ExitCriteria).unwrap();
        assert_eq!((e.met, e.detail.as_str()), (true, "1 set"));
        assert!(r.score(ScoreKind::Postmortem).unwrap().met);
        assert_eq!(r.ended_at, t0() + Duration::minutes(10));
    }

    #[test]
    fn entries_after_the_end_do_not_count_but_for_the_post_mortem() {
        let mut l = Log::new();
        l.at(60, "ann", Event::Resolved { summary: None });
        commander(&mut l, 90);
        let r = review(&spec(), &every_5m(), &l.0, t0() + Duration::hours(1));
        assert!(!r.score(ScoreKind::TakeCommand).unwrap().met);
    }

    #[test]
    fn a_drill_compares_with_the_previous_one_score_by_score() {
        let mut before = Log::new();
        commander(&mut before, 200);
        before.update(100).update(400);
        let mut now = Log::new();
        commander(&mut now, 60);
        now.update(500);
        let end = t0() + Duration::minutes(9);
        let a = review(&spec(), &every_5m(), &before.0, end);
        let b = review(&spec(), &every_5m(), &now.0, end);
        let trends = compare(&b, std::slice::from_ref(&a));
        let of = |k| trends.iter().find(|(s, _)| *s == k).unwrap().1;
        assert_eq!(of(ScoreKind::TakeCommand), Some(Trend::Better));
        assert_eq!(of(ScoreKind::FirstUpdate), Some(Trend::Worse));
        assert_eq!(of(ScoreKind::Scribe), Some(Trend::Same));
        assert!(compare(&b, &[]).iter().all(|(_, t)| t.is_none()));
        // The review survives the journal: JSON and back.
        let json = serde_json::to_string(&b).unwrap();
        assert_eq!(serde_json::from_str::<DrillReview>(&json).unwrap(), b);
    }
}
