//! `warroom decide`, `warroom object`, `warroom exit`: decisions by objection and exit
//! criteria, from a shell or a script, checked as the console checks them.

use super::record::append;
use super::{Context, Failure};
use crate::domain::practice::{DecisionOutcome, parse_criterion};
use crate::domain::{Event, ExitCheck, parse_duration};
use chrono::{DateTime, Utc};

/// `D3`, `d3` or `3` (with the letter `prefix`) → 3.
fn number(s: &str, prefix: char, what: &str) -> Result<u32, Failure> {
    let t = s.trim();
    let digits = t
        .strip_prefix([prefix, prefix.to_ascii_lowercase()])
        .unwrap_or(t);
    digits
        .parse::<u32>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| Failure::bad_input(format!("'{s}' is not {what} (e.g. {prefix}1)")))
}

fn last_event(journal: &crate::journal::BoxJournal) -> Option<Event> {
    journal.records().last().map(|r| r.entry.event.clone())
}

/// Proposes a decision; prints its number and when objections close.
pub fn propose(
    ctx: &Context,
    now: DateTime<Utc>,
    id: &str,
    proposal: &str,
    alternatives: &[String],
    window: Option<&str>,
) -> Result<(), Failure> {
    let window = match window {
        Some(w) => parse_duration(w).map_err(|e| Failure::bad_input(format!("--window: {e}")))?,
        None => ctx
            .config_for("decide", &["practice"])?
            .practice
            .objection_window(),
    };
    if window < chrono::Duration::seconds(1) {
        return Err(Failure::bad_input("--window: must be at least 1s"));
    }
    let journal = append(ctx, now, id, |i| Event::DecisionProposed {
        decision: i.practice.next_decision_id(),
        proposal: proposal.trim().to_string(),
        alternatives: alternatives.iter().map(|a| a.trim().to_string()).collect(),
        closes_at: now + window,
    })?;
    if let Some(Event::DecisionProposed {
        decision,
        closes_at,
        ..
    }) = last_event(&journal)
    {
        say!(
            "D{decision}: objections until {}",
            closes_at.format("%H:%M:%SZ")
        );
    }
    Ok(())
}

/// Which decision a verb means: the one named, else the open one.
fn decision_of(i: &crate::domain::Incident, named: Option<u32>) -> u32 {
    named
        .or_else(|| i.practice.open_decision().map(|d| d.id))
        .unwrap_or(0)
}

pub fn close(
    ctx: &Context,
    now: DateTime<Utc>,
    id: &str,
    decision: Option<&str>,
    outcome: &str,
    text: Option<&str>,
) -> Result<(), Failure> {
    let outcome = DecisionOutcome::parse(outcome).map_err(Failure::bad_input)?;
    let named = decision.map(|d| number(d, 'D', "a decision")).transpose()?;
    let journal = append(ctx, now, id, |i| Event::DecisionClosed {
        decision: decision_of(i, named),
        outcome,
        text: text.map(|t| t.trim().to_string()),
    })
    .map_err(no_open_decision)?;
    if let Some(e) = last_event(&journal) {
        say!("{}", e.describe());
    }
    Ok(())
}

pub fn object(
    ctx: &Context,
    now: DateTime<Utc>,
    id: &str,
    decision: Option<&str>,
    reason: &str,
) -> Result<(), Failure> {
    let named = decision.map(|d| number(d, 'D', "a decision")).transpose()?;
    let journal = append(ctx, now, id, |i| Event::DecisionObjected {
        decision: decision_of(i, named),
        reason: reason.trim().to_string(),
    })
    .map_err(no_open_decision)?;
    if let Some(e) = last_event(&journal) {
        say!("{}", e.describe());
    }
    Ok(())
}

/// "there is no decision D0" means nothing was open.
fn no_open_decision(f: Failure) -> Failure {
    if f.message.contains("no decision D0") {
        Failure {
            message: "no decision is open (propose one with `warroom decide ID \"…\"`)".into(),
            ..f
        }
    } else {
        f
    }
}

/// Sets a criterion from its one-line form; prints its number.
pub fn set(ctx: &Context, now: DateTime<Utc>, id: &str, text: &str) -> Result<(), Failure> {
    let check: ExitCheck = parse_criterion(text).map_err(Failure::bad_input)?;
    let journal = append(ctx, now, id, |i| Event::ExitCriterionSet {
        criterion: i.practice.next_criterion_id(),
        check: check.clone(),
    })?;
    if let Some(e) = last_event(&journal) {
        say!("{}", e.describe());
    }
    Ok(())
}

/// Ticks a manual criterion (`met`) or records it no longer holds.
pub fn mark(
    ctx: &Context,
    now: DateTime<Utc>,
    id: &str,
    criterion: &str,
    met: bool,
) -> Result<(), Failure> {
    let criterion = number(criterion, 'C', "a criterion")?;
    let journal = append(ctx, now, id, |_| {
        if met {
            Event::ExitCriterionMet {
                criterion,
                since: None,
                value: None,
            }
        } else {
            Event::ExitCriterionBroken {
                criterion,
                value: None,
            }
        }
    })?;
    if let Some(e) = last_event(&journal) {
        say!("{}", e.describe());
    }
    Ok(())
}

/// `resolve --anyway REASON`: the waiver for every criterion unmet now (nothing when all
/// hold), before the resolution.
pub fn waive_unmet(
    ctx: &Context,
    now: DateTime<Utc>,
    id: &str,
    reason: &str,
) -> Result<(), Failure> {
    let unmet: Vec<u32> = {
        let journal = ctx.store()?.open(id)?;
        let entries: Vec<_> = journal.records().iter().map(|r| &r.entry).collect();
        crate::domain::Incident::fold(id, entries)
            .map(|i| i.practice.unmet().map(|c| c.id).collect())
            .unwrap_or_default()
    };
    if unmet.is_empty() {
        return Ok(());
    }
    append(ctx, now, id, |i| Event::ExitCriteriaWaived {
        reason: reason.trim().to_string(),
        unmet: i.practice.unmet().map(|c| c.id).collect(),
    })
    .map(drop)
}
