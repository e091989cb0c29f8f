//! `warroom followup ID TEXT --type mitigate|prevent|process [--owner NAME]`: work to do after
//! the incident. Allowed on resolved incidents too, since post-mortems add follow-ups.

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
