//! A drill's review in the console: computed from the drill incident's entries with the
//! console's clock, journaled (`drill_reviewed`) and shown when the leader resolves it, and
//! shown again on `:review`.

use super::*;
use crate::console::state::Detail;
use crate::domain::drill_review::{self, DrillReview};

/// The review of the drill on screen as of `now`; `None` when the incident on screen is not
/// the drill's.
fn current_review(state: &State, now: DateTime<Utc>) -> Option<DrillReview> {
    let drill = state.drill.as_ref()?;
    let c = state.current.as_ref().filter(|c| c.id == drill.incident)?;
    Some(drill_review::review(
        &drill.spec,
        &state.cadence,
        &c.entries,
        now,
    ))
}

/// The review as journaled last, if it was.
fn journaled(state: &State) -> Option<DrillReview> {
    let c = state.current.as_ref()?;
    c.entries.iter().rev().find_map(|e| match &e.event {
        Event::DrillReviewed { review } => Some(review.clone()),
        _ => None,
    })
}

fn show(state: &mut State, review: &DrillReview) {
    state.modal = Some(Modal::Detail(Box::new(Detail {
        title: format!("DRILL REVIEW · {}", review.scenario),
        text: drill_review::lines(review, &[]).join("\n"),
        scroll: 0,
    })));
}

/// `:review`: the journaled review once the drill ended, else the scores so far.
pub(super) fn open(state: &mut State, now: DateTime<Utc>) -> Vec<Effect> {
    match journaled(state).or_else(|| current_review(state, now)) {
        Some(r) => show(state, &r),
        None => flash(
            state,
            now,
            "no drill review here: this incident is not a drill".into(),
            true,
        ),
    }
    vec![]
}

/// After our own resolution of the drill's incident: the review, journaled once, on screen.
pub(super) fn on_resolved(state: &mut State, id: &str, now: DateTime<Utc>) -> Vec<Effect> {
    if state.drill.as_ref().is_none_or(|d| d.incident != id) || journaled(state).is_some() {
        return vec![];
    }
    let Some(review) = current_review(state, now) else {
        return vec![];
    };
    // A question the resolution raised (expire the silences?) is answered first; the review
    // stays a `:review` away.
    if state.modal.is_none() {
        show(state, &review);
    }
    append(state, Event::DrillReviewed { review }, false)
}
