//! `warroom list [--all] [--json]`: open incidents and those resolved in the last day, most
//! severe first; `--all` lists every incident. Each incident is read from its summary
//! (`journal::Summary`), which the data directory keeps beside the journal while it is the
//! journal's as it stands.

use super::{Context, Failure};
use crate::domain::short_duration;
use chrono::{DateTime, Utc};

pub fn run(ctx: &Context, now: DateTime<Utc>, all: bool, json: bool) -> Result<(), Failure> {
    let mut incidents = Vec::new();
    let store = ctx.store()?;
    let ids = store.ids()?;
    for (id, listed) in ids.iter().zip(store.summaries(&ids, json)) {
        // One unreadable incident must not hide the others.
        match listed {
            Ok(listed) => {
                for w in listed.warnings {
                    say_err!("warroom: warning: {w}");
                }
                incidents.extend(listed.summary.map(|s| (s, listed.json)));
            }
            Err(e) => say_err!("warroom: warning: {id}: {e}"),
        }
    }
    let recent = now - chrono::Duration::hours(24);
    incidents.retain(|(i, _)| all || i.resolved_at.is_none_or(|at| at >= recent));
    incidents.sort_by(|(a, _), (b, _)| {
        (a.is_resolved(), a.severity, a.opened_at).cmp(&(b.is_resolved(), b.severity, b.opened_at))
    });
    if json {
        let each = incidents.iter().filter_map(|(_, json)| json.as_deref());
        say_json!(crate::journal::json_array(each));
        return Ok(());
    }
    if incidents.is_empty() {
        say!("No {}incidents.", if all { "" } else { "open or recent " });
        return Ok(());
    }
    // The whole table said at once (one write, not one a line); `say!` shows it as it would
    // each line, control characters made visible one by one.
    let mut table = format!(
        "{:<8} {:<5} {:<13} {:>7}  {:<12} TITLE",
        "ID", "SEV", "STATUS", "AGE", "COMMANDER"
    );
    for (i, _) in &incidents {
        use std::fmt::Write as _;
        let _ = write!(
            table,
            "\n{:<8} {:<5} {:<13} {:>7}  {:<12} {}",
            i.id,
            i.severity.label(),
            i.status.as_str(),
            short_duration(i.elapsed(now)),
            i.commander.as_deref().unwrap_or("-"),
            match i.drill {
                true => format!("{}{}", crate::domain::DRILL_PREFIX, i.title),
                false => i.title.clone(),
            }
        );
    }
    say!("{table}");
    Ok(())
}
