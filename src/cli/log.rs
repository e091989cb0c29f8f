//! `warroom log ID [--json]`: the outage log, oldest first, in UTC.

use super::{Context, Failure, warn_all};
use crate::journal::Journal;
use std::io::Write;

pub fn run(ctx: &Context, id: &str, json: bool) -> Result<(), Failure> {
    let mut journal = ctx.store.open(id)?;
    warn_all(&mut journal);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut write = || -> std::io::Result<()> {
        for r in journal.records() {
            if json {
                writeln!(out, "{}", r.to_line())?;
            } else {
                let e = &r.entry;
                let text = e.event.describe();
                let mut lines = text.lines();
                writeln!(
                    out,
                    "{}  #{:<4} {:<12} {}",
                    e.at.format("%Y-%m-%d %H:%M:%SZ"),
                    e.seq,
                    e.by,
                    lines.next().unwrap_or("")
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
