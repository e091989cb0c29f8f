//! The per-alert review in the Markdown draft: each alert that fired, actionable or noise (or
//! not reviewed yet), and the alerts that should have fired and did not. Left out when no
//! review was recorded, so an incident from before it exports unchanged.

use super::markdown::{cell, esc, when};
use super::report::Report;
use std::fmt::Write;

pub fn render(out: &mut String, r: &Report) {
    let review = &r.alert_review;
    if review.is_empty() {
        return;
    }
    out.push_str("## Alert review\n\n");
    if !r.detection.alerts.is_empty() {
        out.push_str("| Alert | Verdict | By |\n|---|---|---|\n");
        for a in &r.detection.alerts {
            let shown = crate::domain::AlertRef {
                fingerprint: a.fingerprint.clone(),
                name: a.name.clone(),
                labels: a.labels.clone(),
                starts_at: a.starts_at,
                ends_at: None,
                generator_url: None,
                summary: None,
            }
            .describe();
            let (verdict, by) = match review
                .verdicts
                .iter()
                .find(|v| v.fingerprint == a.fingerprint)
            {
                Some(v) => (v.verdict.as_str(), format!("{}, {}", v.by, when(v.at))),
                None => ("not reviewed", "—".to_string()),
            };
            let _ = writeln!(out, "| {} | {verdict} | {} |", cell(&shown), cell(&by));
        }
        out.push('\n');
    }
    if !review.missing.is_empty() {
        out.push_str("Missing alerts (should have fired and did not):\n\n");
        for m in &review.missing {
            let _ = writeln!(out, "- {} ({}, {})", esc(&m.text), esc(&m.by), when(m.at));
        }
        out.push('\n');
    }
}
