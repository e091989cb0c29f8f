//! `warroom log ID [--json]`: the outage log, oldest first, in UTC.

use super::{Context, Failure, warn_all};
use crate::domain::{for_terminal_line, json_for_terminal};
use crate::journal::Journal;
use std::io::{IsTerminal, Write};

pub fn run(ctx: &Context, id: &str, json: bool) -> Result<(), Failure> {
    let mut journal = ctx.store()?.open(id)?;
    warn_all(&mut journal);
    let stdout = std::io::stdout();
    let to_terminal = stdout.is_terminal();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut write = || -> std::io::Result<()> {
        for r in journal.records() {
            if json {
                // The journal's lines exactly, so a script can check the chain; on a terminal,
                // DEL and C1 characters (which JSON leaves raw) escaped.
                if to_terminal {
                    writeln!(out, "{}", json_for_terminal(&r.to_line()))?;
                } else {
                    writeln!(out, "{}", r.to_line())?;
                }
            } else {
                let e = &r.entry;
                let text = e.event.describe();
                // Notes and titles may come with control characters: shown, never sent.
                let mut lines = text.lines().map(for_terminal_line);
                writeln!(
                    out,
                    "{}  #{:<4} {:<12} {}",
                    e.at.format("%Y-%m-%d %H:%M:%SZ"),
                    e.seq,
                    for_terminal_line(&e.by),
                    lines.next().unwrap_or_default()
                )?;
                for more in lines {
                    writeln!(out, "{:39}{more}", "")?;
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
