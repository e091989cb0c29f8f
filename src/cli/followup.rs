//! `warroom followup ID TEXT --type mitigate|prevent|process [--owner NAME]`: work to do after
//! the incident; `warroom followup-done ID SEQ [--note TEXT]`: one closed. Allowed on resolved
//! incidents too, since post-mortems add follow-ups and their work is done afterwards.

use super::{Context, Failure};
use crate::domain::{Event, FollowUpKind};
use chrono::{DateTime, Utc};

pub fn run(
    ctx: &Context,
    now: DateTime<Utc>,
    id: &str,
    text: &str,
    kind: FollowUpKind,
    owner: Option<&str>,
) -> Result<(), Failure> {
    let text = super::record::text_arg(text)?;
    let owner = owner.map(|o| o.trim().to_string());
    super::record::append(ctx, now, id, |_| Event::FollowUp {
        text: text.trim().to_string(),
        kind,
        owner: owner.clone(),
    })
    .map(drop)
}

/// Closes follow-up `seq` of incident `id` (refused when it is no follow-up of the incident,
/// or closed already).
pub fn done(
    ctx: &Context,
    now: DateTime<Utc>,
    id: &str,
    seq: u64,
    note: Option<&str>,
) -> Result<(), Failure> {
    let note = note
        .map(|n| super::record::text_arg(n).map(|n| n.trim().to_string()))
        .transpose()?;
    super::record::append(ctx, now, id, |_| Event::FollowUpClosed {
        seq,
        note: note.clone(),
    })
    .map(drop)
}
