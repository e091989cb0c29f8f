//! A drill's review beyond the console: the one journaled when the drill ended (or computed
//! and journaled at the end of a drill run that was not resolved), the team's earlier drills
//! of the same scenario found through the store, and the review written as Markdown or JSON
//! with each score's trend against the last of them.

use crate::domain::drill_review::{self, DrillReview, DrillSpec, Trend};
use crate::domain::{Entry, Event, StatusCadence};
use crate::journal::{Journal, JournalError, Store};
use crate::postmortem::markdown::esc;
use chrono::{DateTime, Utc};

/// What the review of a drill of `scenario` scores against: its fault's service as the root
/// suspect, the actions that fix it, and its `[targets]` over the defaults.
pub fn spec_of(scenario: &super::scenario::Scenario) -> DrillSpec {
    let defaults = drill_review::Targets::default();
    let t = &scenario.targets;
    let secs = |v: Option<f64>, d: i64| v.map_or(d, |v| v.round() as i64);
    DrillSpec {
        scenario: scenario.name.clone(),
        root_suspect: Some(scenario.fault.service.clone()),
        fixes: scenario.fault.fixed_by.clone(),
        targets: drill_review::Targets {
            take_command_secs: secs(t.take_command_secs, defaults.take_command_secs),
            first_update_secs: secs(t.first_update_secs, defaults.first_update_secs),
            fix_secs: secs(t.fix_secs, defaults.fix_secs),
        },
    }
}

/// The review journaled last in `entries`, if any.
pub fn journaled<E: AsRef<Entry>>(entries: &[E]) -> Option<DrillReview> {
    entries.iter().rev().find_map(|e| match &e.as_ref().event {
        Event::DrillReviewed { review } => Some(review.clone()),
        _ => None,
    })
}

/// At the end of a drill run: journals the drill's review as of `now`, unless one was
/// already (the leader resolved it in the console). Returns the review journaled, if any.
pub fn record_at_end(
    journal: &mut dyn Journal,
    by: &str,
    spec: &DrillSpec,
    cadence: &StatusCadence,
    now: DateTime<Utc>,
) -> Result<Option<DrillReview>, JournalError> {
    journal.refresh()?;
    if journaled(journal.records()).is_some() {
        return Ok(None);
    }
    let entries: Vec<Entry> = journal.records().iter().map(|r| r.entry.clone()).collect();
    let review = drill_review::review(spec, cadence, &entries, now);
    journal.append(
        by,
        now,
        Event::DrillReviewed {
            review: review.clone(),
        },
    )?;
    Ok(Some(review))
}

/// An earlier drill of the same scenario: its incident and its review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Previous {
    pub id: String,
    pub review: DrillReview,
}

/// The team's drills of `review`'s scenario that started before it, oldest first, each with
/// the review journaled last; `id` (the drill itself) is left out. An incident that cannot be
/// read is skipped and named in the second list.
pub fn previous(
    store: &dyn Store,
    id: &str,
    review: &DrillReview,
) -> Result<(Vec<Previous>, Vec<String>), JournalError> {
    let mut found = Vec::new();
    let mut unread = Vec::new();
    for other in store.ids()? {
        if other == id {
            continue;
        }
        let journal = match store.open(&other) {
            Ok(j) => j,
            Err(e) => {
                unread.push(format!("{other}: {e}"));
                continue;
            }
        };
        if let Some(r) = journaled(journal.records())
            .filter(|r| r.scenario == review.scenario && r.started_at < review.started_at)
        {
            found.push(Previous {
                id: other,
                review: r,
            });
        }
    }
    found.sort_by_key(|p| p.review.started_at);
    Ok((found, unread))
}

fn trends(
    review: &DrillReview,
    previous: &[Previous],
) -> Vec<(drill_review::ScoreKind, Option<Trend>)> {
    let reviews: Vec<DrillReview> = previous.iter().map(|p| p.review.clone()).collect();
    drill_review::compare(review, &reviews)
}

/// The review as text for a terminal, with the trend against the last earlier drill.
pub fn text(review: &DrillReview, previous: &[Previous]) -> String {
    let mut lines = drill_review::lines(review, &trends(review, previous));
    if let Some(last) = previous.last() {
        lines.push(format!(
            "Compared with {} ({}), the last of {} earlier drill(s) of {}.",
            last.id,
            last.review.started_at.format("%Y-%m-%d"),
            previous.len(),
            review.scenario
        ));
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// The review as Markdown: a table of the scores, then the earlier drills of the scenario.
pub fn markdown(id: &str, review: &DrillReview, previous: &[Previous]) -> String {
    let trends = trends(review, previous);
    let mut out = format!(
        "# Drill review: {} ({})\n\n{} to {} UTC. {}.\n\n",
        esc(&review.scenario),
        esc(id),
        review.started_at.format("%Y-%m-%d %H:%M:%S"),
        review.ended_at.format("%H:%M:%S"),
        review.summary()
    );
    let compared = !previous.is_empty();
    out.push_str("| | score | result | detail |");
    out.push_str(if compared { " vs last drill |\n" } else { "\n" });
    out.push_str("|---|---|---|---|");
    out.push_str(if compared { "---|\n" } else { "\n" });
    for s in &review.scores {
        out.push_str(&format!(
            "| {} | {} | {} | {} |",
            if s.met { "✓" } else { "✗" },
            esc(s.score.label()),
            esc(&s.value()),
            esc(&s.detail)
        ));
        if compared {
            let t = trends
                .iter()
                .find(|(k, _)| *k == s.score)
                .and_then(|(_, t)| *t)
                .map_or("", Trend::as_str);
            out.push_str(&format!(" {t} |"));
        }
        out.push('\n');
    }
    if compared {
        out.push_str(&format!(
            "\n## Earlier drills of {}\n\n",
            esc(&review.scenario)
        ));
        for p in previous {
            out.push_str(&format!(
                "- {} on {}: {}\n",
                esc(&p.id),
                p.review.started_at.format("%Y-%m-%d %H:%M"),
                p.review.summary()
            ));
        }
    }
    out
}

/// The review as JSON: the scores, each with its trend against the last earlier drill, and
/// the earlier drills' scores.
pub fn json(id: &str, review: &DrillReview, previous: &[Previous]) -> serde_json::Value {
    let trends = trends(review, previous);
    let scores: Vec<serde_json::Value> = review
        .scores
        .iter()
        .map(|s| {
            let mut v = serde_json::to_value(s).unwrap_or_default();
            if let Some(obj) = v.as_object_mut() {
                obj.insert("label".into(), s.score.label().into());
                let t = trends
                    .iter()
                    .find(|(k, _)| *k == s.score)
                    .and_then(|(_, t)| *t);
                obj.insert(
                    "vs_last_drill".into(),
                    t.map_or(serde_json::Value::Null, |t| t.as_str().into()),
                );
            }
            v
        })
        .collect();
    serde_json::json!({
        "incident": id,
        "scenario": review.scenario,
        "started_at": review.started_at,
        "ended_at": review.ended_at,
        "met": review.met(),
        "of": review.scores.len(),
        "scores": scores,
        "previous": previous.iter().map(|p| serde_json::json!({
            "incident": p.id,
            "started_at": p.review.started_at,
            "met": p.review.met(),
            "scores": p.review.scores,
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bad_deploy_is_reviewed_against_its_fault_and_its_targets() {
        let scenario = crate::drill::scenario::demo().unwrap();
        let spec = spec_of(&scenario);
        assert_eq!(spec.scenario, "bad-deploy");
        assert_eq!(spec.root_suspect.as_deref(), Some("pricing"));
        assert_eq!(spec.fixes, ["flag-off", "redeploy-pricing"]);
        assert_eq!(spec.targets.fix_secs, 600);
        assert_eq!(spec.targets.first_update_secs, 300);
    }
}
