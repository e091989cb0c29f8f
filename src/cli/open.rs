//! `warroom open TITLE --severity SEV [--summary T]`: prints the new ID alone.

use super::{Context, Failure, warn_all};
use crate::domain::Severity;
use chrono::{DateTime, Utc};

pub fn run(
    ctx: &Context,
    now: DateTime<Utc>,
    title: &str,
    severity: Severity,
    summary: Option<&str>,
) -> Result<(), Failure> {
    let opening = crate::journal::Opening {
        title,
        severity,
        summary,
    };
    let mut journal = ctx.store()?.create(&ctx.author, now, opening)?;
    warn_all(journal.as_mut());
    say!("{}", journal.id());
    Ok(())
}
