//! `warroom verify ID`: reads the whole journal and checks its hash chain, changing nothing.

use super::{Context, Failure};

pub fn run(ctx: &Context, id: &str) -> Result<(), Failure> {
    let report = ctx.store()?.verify(id)?;
    for w in &report.warnings {
        say_err!("warroom: warning: {w}");
    }
    say!(
        "{}: {} events, hash chain intact (head {})",
        report.id,
        report.events,
        &report.head[..16.min(report.head.len())]
    );
    Ok(())
}
