//! The verbs about the journal itself: `warroom verify ID` reads the whole journal and checks
//! its hash chain, changing nothing; `warroom redact ID SEQ --reason TEXT [--role ROLE]` takes
//! an entry's event out of it; `warroom upgrade ID` moves it to the newest format.

use super::{Context, Failure, warn_all};
use crate::domain::{Authority, Role};
use crate::journal::{Journal, Redaction};
use chrono::{DateTime, Utc};

pub fn run(ctx: &Context, id: &str) -> Result<(), Failure> {
    let report = ctx.store()?.verify(id)?;
    for w in &report.warnings {
        say_err!("warroom: warning: {w}");
    }
    let head = &report.head[..16.min(report.head.len())];
    if report.format == 1 {
        say!(
            "{}: {} events, hash chain intact (head {head})",
            report.id,
            report.events
        );
        return Ok(());
    }
    say!(
        "{}: {} events, hash chain intact (head {head}), journal format {}",
        report.id,
        report.events,
        report.format
    );
    if !report.redacted.is_empty() {
        let seqs: Vec<String> = report.redacted.iter().map(|s| format!("#{s}")).collect();
        say!(
            "{}: redacted: {} (only their digests remain; `warroom log` says who and why)",
            report.id,
            seqs.join(", ")
        );
    }
    Ok(())
}

pub fn redact(
    ctx: &Context,
    now: DateTime<Utc>,
    id: &str,
    seq: u64,
    reason: &str,
    role: Option<Role>,
) -> Result<(), Failure> {
    let config = ctx.config_for("redact", &["journal"])?;
    let mut journal = ctx.store()?.open(id)?;
    let request = Redaction {
        seq,
        reason,
        authority: role.map_or(Authority::Commander, Authority::Role),
        allowed: &config.journal.redact_roles,
    };
    let result = journal.redact(&ctx.author, now, &request);
    warn_all(&mut journal);
    let record = result?;
    say!(
        "{}: entry #{seq} redacted (recorded as #{}); the chain still verifies",
        journal.id(),
        record.entry.seq
    );
    Ok(())
}

pub fn upgrade(ctx: &Context, now: DateTime<Utc>, id: &str) -> Result<(), Failure> {
    let done = ctx.store()?.upgrade(id, &ctx.author, now)?;
    let Some(kept) = &done.kept else {
        say!(
            "{}: journal format {} already; nothing to do",
            done.id,
            done.to
        );
        return Ok(());
    };
    say!(
        "{}: {} events moved from journal format {} to {}; both verify (head {} now {}); the \
         format-{} journal is kept as {}",
        done.id,
        done.events,
        done.from,
        done.to,
        &done.old_head[..16.min(done.old_head.len())],
        &done.new_head[..16.min(done.new_head.len())],
        done.from,
        kept
    );
    Ok(())
}
