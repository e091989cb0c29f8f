//! The report in Markdown: every text escaped ([`crate::postmortem::markdown::esc`]), so a
//! service or alert name can never become markup.

use super::Figures;
use super::sections::{scope, sections, title};
use crate::postmortem::markdown::{cell, esc};
use std::fmt::Write;

pub fn render(f: &Figures) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", esc(&title(f)));
    let _ = writeln!(out, "{}\n", esc(&scope(f)));
    if let Some(n) = &f.note {
        let _ = writeln!(out, "**{}**\n", esc(n));
    }
    for s in sections(f) {
        let _ = writeln!(out, "## {}\n", esc(s.title));
        for l in &s.lines {
            let _ = writeln!(out, "{}\n", esc(l));
        }
        if let Some(t) = &s.table {
            let head: Vec<String> = t.head.iter().map(|h| esc(h)).collect();
            let _ = writeln!(out, "| {} |", head.join(" | "));
            let _ = writeln!(out, "|{}", "---|".repeat(t.head.len()));
            for r in &t.rows {
                let cells: Vec<String> = r.iter().map(|c| cell(c)).collect();
                let _ = writeln!(out, "| {} |", cells.join(" | "));
            }
            out.push('\n');
        }
    }
    out
}
