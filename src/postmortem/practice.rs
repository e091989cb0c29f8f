//! The practice's sections of the Markdown draft: decisions by objection (proposal,
//! alternatives, objections, outcome), exit criteria (each, and when it was met), and the
//! checklist items skipped. Every typed text is escaped for Markdown.

use super::markdown::{cell, esc, when};
use crate::domain::Practice;
use crate::domain::practice::{ChecklistOutcome, ExitCheck};
use std::fmt::Write;

pub fn render(out: &mut String, p: &Practice) {
    decisions(out, p);
    exit_criteria(out, p);
    checklist(out, p);
}

fn decisions(out: &mut String, p: &Practice) {
    // Left out when nothing was put to the call, like every section of the practice.
    if p.decisions.is_empty() {
        return;
    }
    out.push_str("## Decisions by objection\n\n");
    for d in &p.decisions {
        let _ = writeln!(
            out,
            "### D{}: {}\n\n- Proposed {} by {}; objections taken until {}.",
            d.id,
            esc(&d.proposal),
            when(d.proposed_at),
            esc(&d.proposed_by),
            when(d.closes_at)
        );
        if d.alternatives.is_empty() {
            out.push_str("- Alternatives considered: none recorded.\n");
        } else {
            out.push_str("- Alternatives considered:\n");
            for a in &d.alternatives {
                let _ = writeln!(out, "  - {}", esc(a));
            }
        }
        if d.objections.is_empty() {
            out.push_str("- Objections: none.\n");
        } else {
            out.push_str("- Objections:\n");
            for o in &d.objections {
                let _ = writeln!(
                    out,
                    "  - {} ({}{}): {}",
                    when(o.at),
                    esc(&o.by),
                    if o.late { ", after the countdown" } else { "" },
                    cell(&o.reason)
                );
            }
        }
        match (d.outcome, d.closed_at) {
            (Some(outcome), Some(at)) => {
                let _ = write!(out, "- Outcome: **{outcome}** at {}", when(at));
                match &d.closing_text {
                    Some(t) => {
                        let _ = writeln!(out, ": {}", cell(t));
                    }
                    None => out.push_str(".\n"),
                }
            }
            _ => out.push_str("- Outcome: still open.\n"),
        }
        out.push('\n');
    }
}

fn exit_criteria(out: &mut String, p: &Practice) {
    if p.criteria.is_empty() {
        return;
    }
    out.push_str("## Exit criteria\n\n");
    out.push_str("| Criterion | Kind | Set | Met | Broken again |\n|---|---|---|---|---|\n");
    for c in &p.criteria {
        let kind = match &c.check {
            ExitCheck::Metric { query, .. } => {
                format!("{} `{}`", query.key(), query).replace('|', "\\|")
            }
            ExitCheck::Manual { .. } => "manual".to_string(),
        };
        let met = match (c.first_met_at, c.met_at) {
            (Some(first), Some(now)) if first != now => {
                format!("first {}, again {}", when(first), when(now))
            }
            (Some(first), _) => when(first),
            (None, _) => "never".to_string(),
        };
        let broken: Vec<String> = c.broken.iter().map(|t| when(*t)).collect();
        let _ = writeln!(
            out,
            "| C{} {} | {} | {} by {} | {} | {} |",
            c.id,
            cell(&c.check.to_string()),
            kind,
            when(c.set_at),
            esc(&c.set_by),
            met,
            if broken.is_empty() {
                "—".to_string()
            } else {
                broken.join(", ")
            }
        );
    }
    out.push('\n');
    for w in &p.waivers {
        let ids: Vec<String> = w.unmet.iter().map(|i| format!("C{i}")).collect();
        let _ = writeln!(
            out,
            "- Resolved at {} by {} with {} unmet: {}",
            when(w.at),
            esc(&w.by),
            ids.join(", "),
            cell(&w.reason)
        );
    }
    if !p.waivers.is_empty() {
        out.push('\n');
    }
}

fn checklist(out: &mut String, p: &Practice) {
    let skipped: Vec<_> = p
        .checklist
        .iter()
        .filter(|d| d.outcome == ChecklistOutcome::Dismissed)
        .collect();
    if skipped.is_empty() {
        return;
    }
    out.push_str("## Checklist items skipped\n\n");
    for d in skipped {
        let _ = writeln!(
            out,
            "- {} ({}, {}): {}",
            when(d.at),
            d.phase,
            esc(&d.by),
            esc(&d.item)
        );
    }
    out.push('\n');
}
