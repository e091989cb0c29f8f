//! `warroom log ID [--json [--corrected]]`: the outage log in UTC. As text it is the corrected
//! log in timeline order (each entry at the time it refers to, retracted ones marked with why,
//! corrected ones with their history, a merged duplicate's entries marked with their source);
//! `--json` gives the journal's lines exactly, `--json --corrected` the corrected log.

use super::{Context, Failure, warn_all};
use crate::domain::{Corrected, Entry, Event, corrected_log, for_terminal_line, json_for_terminal};
use crate::journal::Journal;
use std::io::{IsTerminal, Write};

pub fn run(ctx: &Context, id: &str, json: bool, as_corrected: bool) -> Result<(), Failure> {
    let mut journal = ctx.store()?.open(id)?;
    warn_all(&mut journal);
    let entries: Vec<Entry> = journal.records().iter().map(|r| r.entry.clone()).collect();
    let corrected = corrected_log(&entries);
    let stdout = std::io::stdout();
    let to_terminal = stdout.is_terminal();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut write = || -> std::io::Result<()> {
        if json && !as_corrected {
            for r in journal.records() {
                // The journal's lines exactly, so a script can check the chain; on a terminal,
                // DEL and C1 characters (which JSON leaves raw) escaped.
                if to_terminal {
                    writeln!(out, "{}", json_for_terminal(&r.to_line()))?;
                } else {
                    writeln!(out, "{}", r.to_line())?;
                }
            }
        } else if json {
            for row in &corrected {
                let line = row_json(row).to_string();
                if to_terminal {
                    writeln!(out, "{}", json_for_terminal(&line))?;
                } else {
                    writeln!(out, "{line}")?;
                }
            }
        } else {
            for row in &corrected {
                for line in row_lines(row) {
                    writeln!(out, "{line}")?;
                }
            }
        }
        out.flush()
    };
    match write() {
        Ok(()) => Ok(()),
        // A closed pipe (`warroom log ID | head`) is the reader's choice, not a failure.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::runtime(format!("cannot write the log: {e}"))),
    }
}

const TIME: &str = "%Y-%m-%d %H:%M:%SZ";

/// One row of the corrected log as text: the first line as the log always had it (time,
/// number, author, description), then its history indented.
fn row_lines(row: &Corrected) -> Vec<String> {
    let e = &row.entry;
    let mut head = String::new();
    if let Some(s) = &row.source {
        head.push_str(&format!("[{s}] "));
    }
    if let Some(why) = &row.retracted {
        head.push_str(&format!("RETRACTED ({why}): "));
    } else if row.is_corrected() {
        head.push_str("✎ ");
    }
    let text = format!("{head}{}", e.event.describe());
    // Notes and titles may come with control characters: shown, never sent.
    let mut lines = text.lines().map(for_terminal_line);
    let mut out = vec![format!(
        "{}  #{:<4} {:<12} {}",
        row.when().format(TIME),
        e.seq,
        for_terminal_line(&e.by),
        lines.next().unwrap_or_default()
    )];
    out.extend(lines.map(|more| format!("{:39}{more}", "")));
    if row.occurred_at.is_some() && row.occurred_at != Some(e.at) {
        out.push(format!("{:39}(recorded {})", "", e.at.format(TIME)));
    }
    if let Some(original) = &row.original {
        let was = original.describe();
        out.push(format!(
            "{:39}was: {}",
            "",
            for_terminal_line(was.lines().next().unwrap_or_default())
        ));
    }
    for c in &row.changes {
        out.push(format!(
            "{:39}#{} {} by {}: {} ({})",
            "",
            c.seq,
            c.at.format(TIME),
            for_terminal_line(&c.by),
            for_terminal_line(&c.what),
            for_terminal_line(&c.reason)
        ));
    }
    out
}

fn event_json(e: &Event) -> serde_json::Value {
    serde_json::from_str(&e.to_json()).unwrap_or(serde_json::Value::Null)
}

/// One row of the corrected log as JSON.
fn row_json(row: &Corrected) -> serde_json::Value {
    let e = &row.entry;
    let mut v = serde_json::json!({
        "seq": e.seq,
        "at": e.at,
        "when": row.when(),
        "by": e.by,
        "event": event_json(&e.event),
    });
    if let Some(o) = v.as_object_mut() {
        if let Some(s) = &row.source {
            o.insert("source".into(), s.clone().into());
        }
        if let Some(t) = row.occurred_at {
            o.insert("occurred_at".into(), serde_json::json!(t));
        }
        if let Some(r) = &row.retracted {
            o.insert("retracted".into(), r.clone().into());
        }
        if let Some(orig) = &row.original {
            o.insert("original".into(), event_json(orig));
        }
        if !row.changes.is_empty() {
            o.insert(
                "changes".into(),
                serde_json::to_value(&row.changes).unwrap_or_default(),
            );
        }
    }
    v
}
