//! `warroom list [--all] [--json]`: open incidents and those resolved in the last day, most
//! severe first; `--all` lists every incident.

use super::{Context, Failure};
use crate::domain::{Role, short_duration};
use crate::journal::Journal;
use chrono::{DateTime, Utc};

pub fn run(ctx: &Context, now: DateTime<Utc>, all: bool, json: bool) -> Result<(), Failure> {
    let mut incidents = Vec::new();
    for id in ctx.store()?.ids()? {
        // One unreadable incident must not hide the others.
        match ctx.store()?.open(&id) {
            Ok(mut j) => {
                for w in j.take_warnings() {
                    say_err!("warroom: warning: {w}");
                }
                if let Some(i) = j.incident() {
                    incidents.push(i.clone());
                }
            }
            Err(e) => say_err!("warroom: warning: {id}: {e}"),
        }
    }
    let recent = now - chrono::Duration::hours(24);
    incidents.retain(|i| all || i.resolved_at.is_none_or(|at| at >= recent));
    incidents.sort_by(|a, b| {
        (a.is_resolved(), a.severity, a.opened_at).cmp(&(b.is_resolved(), b.severity, b.opened_at))
    });
    if json {
        let text = serde_json::to_string_pretty(&incidents)
            .map_err(|e| Failure::runtime(format!("cannot encode the list: {e}")))?;
        say_json!(text);
        return Ok(());
    }
    if incidents.is_empty() {
        say!("No {}incidents.", if all { "" } else { "open or recent " });
        return Ok(());
    }
    say!(
        "{:<8} {:<5} {:<13} {:>7}  {:<12} TITLE",
        "ID",
        "SEV",
        "STATUS",
        "AGE",
        "COMMANDER"
    );
    for i in &incidents {
        say!(
            "{:<8} {:<5} {:<13} {:>7}  {:<12} {}",
            i.id,
            i.severity.label(),
            i.status.as_str(),
            short_duration(i.elapsed(now)),
            i.holder(Role::Commander).unwrap_or("-"),
            match i.drill {
                Some(_) => format!("{}{}", crate::domain::DRILL_PREFIX, i.title),
                None => i.title.clone(),
            }
        );
    }
    Ok(())
}
