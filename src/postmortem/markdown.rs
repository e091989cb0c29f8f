//! The post-mortem draft as Markdown (CommonMark with GitHub tables), in the shape of
//! PagerDuty's and Google's templates: facts from the journal where the journal has them,
//! prompting questions where only people can answer. Everything typed during the incident is
//! escaped, so no note can break the document's structure.

use super::blameless::Finding;
use super::measures::{action_label, is_web_url};
use super::report::{Report, Responder, TimelineRow};
use crate::domain::{FollowUpKind, NoteKind, Role};
use chrono::{DateTime, Utc};
use std::fmt::Write;

/// The whole draft.
pub fn render(r: &Report) -> String {
    let mut out = String::with_capacity(size_hint(r));
    sections(r, &mut out, &mut |_| {});
    out
}

/// The same draft in pieces of about `chunk` bytes, each handed to `emit` as soon as it is
/// ready, so a large draft can be written while the rest is still being rendered.
pub fn render_chunked(r: &Report, chunk: usize, emit: &mut dyn FnMut(String)) {
    let room = chunk + chunk / 4;
    let mut out = String::with_capacity(room.min(size_hint(r)));
    sections(r, &mut out, &mut |out: &mut String| {
        if out.len() >= chunk {
            emit(std::mem::replace(out, String::with_capacity(room)));
        }
    });
    if !out.is_empty() {
        emit(out);
    }
}

/// Every section in order; `flush` is offered the text so far between rows of the long ones.
fn sections(r: &Report, out: &mut String, flush: &mut dyn FnMut(&mut String)) {
    header(out, r);
    summary(out, r);
    impact(out, r);
    detection(out, r);
    response(out, r);
    timeline(out, &r.timeline, flush);
    super::corrections::markdown(out, r);
    status_updates(out, r, flush);
    decisions(out, r, flush);
    roll_call(out, r);
    super::practice::render(out, &r.practice);
    trigger(out, r);
    prompts(out);
    action_items(out, r);
    messaging(out, r);
    review(out, &r.review);
}

/// About how long the draft will be, so a big incident's tens of megabytes are allocated once
/// rather than copied at every doubling: the typed text, a little for escapes, and each row's
/// and section's frame.
fn size_hint(r: &Report) -> usize {
    let rows: usize = r
        .timeline
        .iter()
        .map(|t| {
            40 + t.text.len() + t.by.len() + t.links.iter().map(|l| l.url.len() + 16).sum::<usize>()
        })
        .sum();
    let updates: usize = r
        .status_updates
        .iter()
        .map(|u| 160 + u.text.len() * 2)
        .sum();
    let notes: usize = r.notes.iter().map(|n| 64 + n.text.len()).sum();
    let review = r.review.len() * 240;
    let text = rows + updates + notes + review;
    8192 + text + text / 16
}

/// Who was on the call, for how long, and what they last reported (only when someone checked
/// in or a roll was called).
fn roll_call(out: &mut String, r: &Report) {
    let rc = &r.roll_call;
    if rc.is_empty() {
        return;
    }
    out.push_str(
        "## Roll call

",
    );
    match rc.calls.len() {
        0 => out.push_str("No roll was called."),
        1 => out.push_str("The roll was called once."),
        n => {
            let _ = write!(out, "The roll was called {n} times.");
        }
    }
    out.push_str(
        "\n\n| Person | Roles | On the incident | Check-ins | Last check-in |\n\
                  | --- | --- | --- | --- | --- |\n",
    );
    for p in &rc.people {
        let roles: Vec<String> = p.roles.iter().map(|r| r.to_string()).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            esc(&p.person),
            esc(&roles.join(", ")),
            human(p.on_incident_seconds),
            p.check_ins,
            p.last_check_in
                .as_deref()
                .map_or_else(|| "—".to_string(), cell)
        );
    }
    for t in &rc.teams {
        let _ = writeln!(out, "\nSub-team {}", esc(t));
    }
    out.push('\n');
}

/// `52m 10s`, `1h 5m`, `3d 2h 0m 4s`: exact, most significant first, trailing zeros dropped.
pub fn human(seconds: i64) -> String {
    let sign = if seconds < 0 { "-" } else { "" };
    let s = seconds.unsigned_abs();
    let parts = [
        (s / 86400, "d"),
        (s % 86400 / 3600, "h"),
        (s % 3600 / 60, "m"),
        (s % 60, "s"),
    ];
    let first = parts.iter().position(|(n, _)| *n > 0);
    let last = parts.iter().rposition(|(n, _)| *n > 0);
    match (first, last) {
        (Some(f), Some(l)) => {
            let words: Vec<String> = parts[f..=l]
                .iter()
                .map(|(n, u)| format!("{n}{u}"))
                .collect();
            format!("{sign}{}", words.join(" "))
        }
        _ => "0s".to_string(),
    }
}

pub(super) fn when(t: DateTime<Utc>) -> String {
    format!("{} UTC", table_time(t))
}

/// `2026-11-21 09:00:30`. Written by hand: chrono's `format` parses its pattern on every call,
/// which shows in a 100,000-row timeline.
fn table_time(t: DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Escapes text for inline Markdown, so typed text can never become markup: characters that
/// mark up anywhere get a backslash (always legal in CommonMark), and so do those that start a
/// block (`#`, `>`, `-`, `+`, `=`, `1.`) at the start of the text. Line breaks become spaces.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    esc_into(&mut out, text);
    out
}

const fn needs_escape(b: u8) -> bool {
    matches!(
        b,
        b'\\' | b'`' | b'*' | b'_' | b'[' | b']' | b'<' | b'|' | b'~' | b'&'
    ) || b.is_ascii_control()
}

/// The bytes [`esc_into`] has to stop at: those [`needs_escape`] names, and 0xC2, the first
/// byte of the C1 control characters. One table lookup a byte keeps the plain runs fast (the
/// timeline of a big incident is tens of megabytes of them).
const STOP: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = needs_escape(b as u8) || b == 0xC2;
        b += 1;
    }
    table
};

fn esc_into(out: &mut String, text: &str) {
    let body = text.trim_start();
    let bytes = body.as_bytes();
    let mut start = 0;
    let mut i = 0;
    if body.starts_with(['#', '>', '-', '+', '=']) {
        out.push('\\');
    } else if starts_with_ordinal(body) {
        // `1.` / `1)` would start a numbered list: escape the delimiter.
        let digits = body.bytes().take_while(u8::is_ascii_digit).count();
        out.push_str(&body[..digits]);
        out.push('\\');
        start = digits;
        i = digits;
    }
    // Plain runs are copied whole; only the characters that need it are touched.
    while i < bytes.len() {
        let b = bytes[i];
        if !STOP[usize::from(b)] {
            i += 1;
        } else if needs_escape(b) {
            out.push_str(&body[start..i]);
            if b.is_ascii_control() {
                out.push(' ');
            } else {
                out.push('\\');
                out.push(char::from(b));
            }
            i += 1;
            start = i;
        } else if b == 0xC2 && bytes.get(i + 1).is_some_and(|n| (0x80..=0x9F).contains(n)) {
            // A C1 control character.
            out.push_str(&body[start..i]);
            out.push(' ');
            i += 2;
            start = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&body[start..]);
}

/// A table cell: escaped, with the text's own line breaks kept as `<br>`.
pub(crate) fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    cell_into(&mut out, text);
    out
}

fn cell_into(out: &mut String, text: &str) {
    for (n, line) in text.lines().enumerate() {
        if n > 0 {
            out.push_str("<br>");
        }
        esc_into(out, line);
    }
}

/// Text typed during the incident as a block quote, line for line (hard breaks).
fn quote(out: &mut String, text: &str) {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    for (n, line) in lines.iter().enumerate() {
        let l = esc(line.trim_end());
        let more = lines.get(n + 1).is_some_and(|next| !next.trim().is_empty());
        if l.is_empty() {
            out.push_str(">\n");
        } else if more {
            let _ = writeln!(out, "> {l}\\");
        } else {
            let _ = writeln!(out, "> {l}");
        }
    }
}

fn starts_with_ordinal(l: &str) -> bool {
    let digits = l.chars().take_while(char::is_ascii_digit).count();
    digits > 0 && l[digits..].starts_with(['.', ')'])
}

/// A link to an alert source's page; URLs that could break out of the link are not linked.
fn link(label: &str, url: &str) -> String {
    if !is_web_url(url) {
        return esc(label);
    }
    let safe: String = url
        .chars()
        .map(|c| match c {
            '(' => "%28".to_string(),
            ')' => "%29".to_string(),
            '<' => "%3C".to_string(),
            '>' => "%3E".to_string(),
            '|' => "%7C".to_string(),
            c => c.to_string(),
        })
        .collect();
    format!("[{}]({safe})", esc(label))
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Commander => "Commander",
        Role::Deputy => "Deputy",
        Role::Scribe => "Scribe",
        Role::Liaison => "Liaison",
        Role::Sme => "Subject-matter experts",
    }
}

fn header(out: &mut String, r: &Report) {
    let _ = writeln!(out, "# {} post-mortem: {}\n", r.id, esc(&r.title));
    if r.still_open {
        let _ = writeln!(
            out,
            "> **DRAFT — incident still open** ({} as of {}). Durations run to that time and \
             will change.\n",
            r.incident_status,
            when(r.generated_at)
        );
    }
    let severity = if r.opened_severity == r.highest_severity && r.severity == r.highest_severity {
        r.severity.label().to_string()
    } else {
        format!(
            "{} at worst (opened {}, {} {})",
            r.highest_severity.label(),
            r.opened_severity.label(),
            r.severity.label(),
            if r.still_open { "now" } else { "at the end" }
        )
    };
    out.push_str("| | |\n| --- | --- |\n");
    let _ = writeln!(out, "| Incident | {} |", esc(&r.id));
    let _ = writeln!(out, "| Severity | {severity} |");
    let _ = writeln!(
        out,
        "| Opened | {} by {} |",
        when(r.opened_at),
        esc(&r.opened_by)
    );
    let resolved = match r.resolved_at {
        Some(t) => when(t),
        None => format!("not yet ({})", r.incident_status),
    };
    let _ = writeln!(out, "| Resolved | {resolved} |");
    let _ = writeln!(out, "| Duration | {} |", human(r.impact.duration_seconds));
    out.push_str("| Status | Draft |\n");
    let _ = writeln!(out, "| Generated | {} by warroom |\n", when(r.generated_at));
    out.push_str("**Responders by role**\n\n");
    if r.responders.is_empty() {
        out.push_str("- No roles were assigned during the incident.\n");
    }
    let mut roles: Vec<Role> = r.responders.iter().map(|x| x.role).collect();
    roles.dedup();
    for role in roles {
        let holders: Vec<String> = r
            .responders
            .iter()
            .filter(|x| x.role == role)
            .map(holder)
            .collect();
        let _ = writeln!(out, "- {}: {}", role_name(role), holders.join(", "));
    }
    if !r.participants.is_empty() {
        let names: Vec<String> = r.participants.iter().map(|p| esc(p)).collect();
        let _ = writeln!(out, "- Recorded in the log: {}", names.join(", "));
    }
    out.push('\n');
}

/// A person in a role; single roles (commander, deputy, scribe, liaison) with the time they
/// held it, even when one person held it throughout.
fn holder(x: &Responder) -> String {
    if !x.role.is_single() {
        return esc(&x.person);
    }
    let until = x
        .until
        .map_or("end".to_string(), |t| t.format("%H:%M:%S").to_string());
    format!("{} ({}–{until})", esc(&x.person), x.from.format("%H:%M:%S"))
}

fn summary(out: &mut String, r: &Report) {
    out.push_str("## Summary\n\n");
    match &r.summary {
        Some(s) => quote(out, s),
        None => out.push_str(
            "> _Write two or three sentences: what happened, who was affected and how, and how \
             it was brought back. No summary was given at resolution._\n",
        ),
    }
    if let Some(s) = &r.opening_summary {
        out.push_str("\nAt opening:\n\n");
        quote(out, s);
    }
    out.push('\n');
}

fn impact(out: &mut String, r: &Report) {
    let i = &r.impact;
    out.push_str("## Impact\n\n");
    let _ = writeln!(
        out,
        "- Duration: {} ({} → {})",
        human(i.duration_seconds),
        when(r.opened_at),
        r.resolved_at.map_or("still open".to_string(), when)
    );
    for t in &i.time_in_severity {
        let _ = writeln!(
            out,
            "- Time in {}: {}",
            t.severity.label(),
            human(t.seconds)
        );
    }
    out.push('\n');
    if i.services.is_empty() {
        out.push_str(
            "No service impact was recorded by the blast radius. _Which services and which \
             users were affected, and how?_\n\n",
        );
        return;
    }
    out.push_str(
        "| Service | Customer-facing | Worst state | Key metric at its peak | Affected for | First affected (UTC) | Recovered (UTC) |\n\
         | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for s in &i.services {
        let peak = s.peak.as_ref().map_or("not recorded".to_string(), |p| {
            format!(
                "{} {} at {}",
                esc(&p.metric),
                crate::domain::human_number(p.value),
                p.at.format("%H:%M:%S")
            )
        });
        let _ = writeln!(
            out,
            "| {} | {} | {} | {peak} | {} | {} | {} |",
            esc(&s.service),
            if s.customer_facing { "**yes**" } else { "no" },
            s.worst_state.as_str(),
            human(s.affected_seconds),
            table_time(s.first_affected_at),
            s.recovered_at
                .map_or("not recorded".to_string(), table_time)
        );
    }
    out.push('\n');
}

fn detection(out: &mut String, r: &Report) {
    let d = &r.detection;
    out.push_str("## Detection\n\n");
    match &d.first_alert {
        Some(a) => {
            let name = match a.labels.get("service") {
                Some(s) => format!("{}{{service={s}}}", a.name),
                None => a.name.clone(),
            };
            let _ = write!(
                out,
                "- First alert: {}, firing from {}",
                esc(&name),
                when(a.starts_at)
            );
            if let Some(url) = &a.generator_url {
                let _ = write!(out, " ({})", link("source", url));
            }
            out.push('\n');
        }
        None => out.push_str("- No alert was linked to the incident. _How was it noticed?_\n"),
    }
    let _ = writeln!(
        out,
        "- Opened: {} by {}",
        when(r.opened_at),
        esc(&r.opened_by)
    );
    match d.time_to_detect_seconds {
        Some(s) if s >= 0 => {
            let _ = writeln!(out, "- Time to detect: {} (first alert → opened)", human(s));
        }
        Some(s) => {
            let _ = writeln!(
                out,
                "- Time to detect: opened {} before the first linked alert fired",
                human(-s)
            );
        }
        None => {}
    }
    match (d.engaged_at, &d.engaged_by, d.time_to_engage_seconds) {
        (Some(at), Some(by), Some(s)) => {
            let _ = writeln!(out, "- Engaged: {} — {}", when(at), esc(by));
            let _ = writeln!(
                out,
                "- Time to engage: {} (opened → first commander)",
                human(s)
            );
        }
        _ => out.push_str("- No commander was assigned. _Who took charge, and when?_\n"),
    }
    if !d.alerts.is_empty() {
        out.push_str(
            "\n| Alert | Fired (UTC) | Resolved (UTC) | Linked by | Source |\n\
             | --- | --- | --- | --- | --- |\n",
        );
        for a in &d.alerts {
            let name = match a.labels.get("service") {
                Some(s) => format!("{}{{service={s}}}", a.name),
                None => a.name.clone(),
            };
            let refired = if a.refired > 0 {
                format!(" (fired again {}×)", a.refired)
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "| {}{refired} | {} | {} | {} | {} |",
                esc(&name),
                table_time(a.starts_at),
                a.ends_at.map_or("still firing".to_string(), table_time),
                esc(&a.linked_by),
                a.generator_url
                    .as_deref()
                    .map_or(String::new(), |u| link("source", u))
            );
        }
    }
    out.push('\n');
}

fn response(out: &mut String, r: &Report) {
    let resp = &r.response;
    out.push_str("## Response and recovery\n\n");
    if resp.actions.is_empty() {
        out.push_str("No compensating actions were run from warroom. _What was done to limit the impact?_\n\n");
    } else {
        out.push_str(
            "| Run | Action | Parameters | Started (UTC) | By | Outcome | Verification |\n\
             | --- | --- | --- | --- | --- | --- | --- |\n",
        );
        for a in &resp.actions {
            let params: Vec<String> = a.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let outcome = if a.dry_run {
                "dry run".to_string()
            } else {
                match (&a.outcome, a.exit_code, a.http_status) {
                    (None, _, _) => "no outcome recorded".to_string(),
                    (Some(o), Some(c), _) => format!("{} (exit {c})", o.replace('_', " ")),
                    (Some(o), None, Some(h)) => format!("{} (HTTP {h})", o.replace('_', " ")),
                    (Some(o), None, None) => o.replace('_', " "),
                }
            };
            let verification = match (&a.verification, &a.verification_detail) {
                (Some(v), Some(d)) => format!("{}: {}", v.replace('_', " "), cell(d)),
                (Some(v), None) => v.replace('_', " "),
                _ => "not verified".to_string(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                esc(&a.run_id),
                esc(&a.action),
                cell(&params.join(", ")),
                table_time(a.started_at),
                esc(&a.started_by),
                outcome,
                verification
            );
        }
        out.push('\n');
        for a in resp.actions.iter().filter(|a| !a.command.is_empty()) {
            let _ = writeln!(out, "- {}: {}", esc(&action_label(a)), cell(&a.command));
        }
        out.push('\n');
    }
    match (
        resp.mitigated_at,
        &resp.mitigated_by,
        resp.time_to_mitigate_seconds,
    ) {
        (Some(at), Some(by), Some(s)) => {
            let _ = writeln!(
                out,
                "- Time to mitigate: {} (opened → {}, {})",
                human(s),
                esc(by),
                when(at)
            );
        }
        _ => out.push_str(
            "- Time to mitigate: not recorded (no action verified effective, no move to \
             monitoring)\n",
        ),
    }
    match resp.time_to_resolve_seconds {
        Some(s) => {
            let _ = writeln!(out, "- Time to resolve: {} (opened → resolved)", human(s));
        }
        None => out.push_str("- Time to resolve: still open\n"),
    }
    for c in &resp.status_changes {
        let _ = writeln!(
            out,
            "- {}: status {} → {} ({})",
            when(c.at),
            c.from,
            c.to,
            esc(c.by)
        );
    }
    out.push('\n');
}

fn timeline(out: &mut String, rows: &[TimelineRow], flush: &mut dyn FnMut(&mut String)) {
    out.push_str("## Timeline\n\n");
    out.push_str("| Time (UTC) | Event | By |\n| --- | --- | --- |\n");
    for row in rows {
        flush(out);
        out.push_str("| ");
        out.push_str(&table_time(row.at));
        out.push_str(" | ");
        cell_into(out, &row.text);
        for l in &row.links {
            let label = if row.links.len() == 1 {
                "source"
            } else {
                l.label.as_str()
            };
            let _ = write!(out, " ({})", link(label, &l.url));
        }
        out.push_str(" | ");
        esc_into(out, row.by);
        out.push_str(" |\n");
    }
    out.push('\n');
}

fn status_updates(out: &mut String, r: &Report, flush: &mut dyn FnMut(&mut String)) {
    out.push_str("## Status updates\n\n");
    if r.status_updates.is_empty() {
        out.push_str("No status update was posted.\n\n");
        return;
    }
    for u in &r.status_updates {
        flush(out);
        let _ = writeln!(out, "**{} — {}**\n", when(u.at), esc(u.by));
        quote(out, u.text);
        out.push('\n');
        if u.deliveries.is_empty() {
            out.push_str("Delivery: none recorded.\n\n");
            continue;
        }
        for d in &u.deliveries {
            let attempts = if d.attempts > 1 {
                format!(", {} attempts", d.attempts)
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "- {} {}: {}{attempts}",
                if d.ok {
                    "✓ delivered to"
                } else {
                    "✗ NOT delivered to"
                },
                esc(&d.target),
                esc(&d.detail)
            );
        }
        out.push('\n');
    }
}

fn decisions(out: &mut String, r: &Report, flush: &mut dyn FnMut(&mut String)) {
    out.push_str("## Decisions and hypotheses\n\n");
    for (kind, title) in [
        (NoteKind::Decision, "Decisions"),
        (NoteKind::Hypothesis, "Hypotheses"),
    ] {
        let _ = writeln!(out, "### {title}\n");
        let mut any = false;
        for n in r.notes.iter().filter(|n| n.kind == kind) {
            flush(out);
            out.push_str("- ");
            out.push_str(&when(n.at));
            out.push_str(" (");
            esc_into(out, n.by);
            out.push_str("): ");
            cell_into(out, n.text);
            out.push('\n');
            any = true;
        }
        if !any {
            let _ = writeln!(out, "- None recorded.");
        }
        out.push('\n');
    }
}

/// What set it off and why it could: questions for the team (as in Google's and PagerDuty's
/// templates), with what the log already says about it — the mitigation that worked and the
/// hypotheses noted.
fn trigger(out: &mut String, r: &Report) {
    out.push_str("## Trigger and root cause\n\n");
    out.push_str(
        "_To be written by the team, about conditions and systems rather than people. \
         Questions to start from:_\n\n\
         - _What triggered the incident: a deploy, a configuration or feature-flag change, \
         traffic, a dependency, something else? When did it start?_\n\
         - _Why could that trigger cause this impact? Keep asking why until you reach \
         conditions in the system (tests, limits, rollout, dependencies), not a person's \
         action._\n\
         - _How was the cause confirmed: data, a reproduction, the mitigation working?_\n\n",
    );
    out.push_str("From the log:\n\n");
    match (&r.response.mitigated_by, r.response.mitigated_at) {
        (Some(by), Some(at)) => {
            let _ = writeln!(out, "- Mitigated by: {} ({})", esc(by), when(at));
        }
        _ => out.push_str("- No mitigation was recorded.\n"),
    }
    let hypotheses: Vec<&str> = r
        .notes
        .iter()
        .filter(|n| n.kind == NoteKind::Hypothesis)
        .map(|n| n.text.lines().next().unwrap_or(""))
        .collect();
    if hypotheses.is_empty() {
        out.push_str("- No hypothesis was noted during the incident.\n");
    } else {
        let quoted: Vec<String> = hypotheses.iter().map(|h| format!("“{}”", esc(h))).collect();
        let _ = writeln!(out, "- Hypotheses noted: {}", quoted.join("; "));
    }
    out.push('\n');
}

fn prompts(out: &mut String) {
    const SECTIONS: &[(&str, &[&str])] = &[
        (
            "Contributing factors",
            &[
                "What conditions made this possible? Which of them were new, and which had been there for a while?",
                "Which safeguards (tests, reviews, canaries, alerts, limits) were in place, and why did they not stop it?",
                "What made the problem hard to see or to diagnose?",
            ],
        ),
        (
            "What went well",
            &[
                "What helped detect, understand or mitigate the problem quickly?",
                "Which tools, runbooks or people's knowledge made a difference?",
            ],
        ),
        (
            "What didn't go well",
            &[
                "Where did the response lose time: paging, access, finding the right dashboards, coordination?",
                "Which information was missing or misleading during the incident?",
            ],
        ),
        (
            "Where we got lucky",
            &[
                "What could have made this much worse, and didn't this time?",
                "Which mitigation worked by chance rather than by design?",
            ],
        ),
    ];
    for (title, questions) in SECTIONS {
        let _ = writeln!(out, "## {title}\n");
        out.push_str("_To be written by the team. Questions to start from:_\n\n");
        for q in *questions {
            let _ = writeln!(out, "- _{q}_");
        }
        out.push('\n');
    }
}

fn action_items(out: &mut String, r: &Report) {
    out.push_str("## Action items\n\n");
    if r.follow_ups.is_empty() {
        out.push_str(
            "No follow-ups were captured. _What would mitigate this faster next time, prevent \
             it, or improve how we respond?_\n\n",
        );
        return;
    }
    out.push_str("| Type | Item | Owner | Raised (UTC) |\n| --- | --- | --- | --- |\n");
    for kind in FollowUpKind::ALL {
        for f in r.follow_ups.iter().filter(|f| f.kind == *kind) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} by {} |",
                kind,
                cell(&f.text),
                f.owner.as_deref().map_or("_unassigned_".to_string(), esc),
                table_time(f.at),
                esc(&f.by)
            );
        }
    }
    out.push('\n');
}

fn messaging(out: &mut String, r: &Report) {
    out.push_str("## Messaging drafts\n\n");
    out.push_str("Built from the facts above only; edit before sending.\n\n");
    out.push_str("### Internal\n\n");
    quote(out, &r.messaging.internal);
    out.push_str("\n### External\n\n");
    quote(out, &r.messaging.external);
    out.push('\n');
}

fn review(out: &mut String, findings: &[Finding]) {
    out.push_str("## Review before sharing\n\n");
    if findings.is_empty() {
        out.push_str(
            "The blameless check found no phrasing to review in the notes, status updates, \
             summaries, tasks and follow-ups.\n",
        );
        return;
    }
    let _ = writeln!(
        out,
        "The blameless check flagged {} phrase{} in what was written during the incident. \
         The log is quoted as recorded; reword where the post-mortem restates it.\n",
        findings.len(),
        if findings.len() == 1 { "" } else { "s" }
    );
    out.push_str("| Where | Phrase | Why | Suggestion |\n| --- | --- | --- | --- |\n");
    for f in findings {
        let _ = writeln!(
            out,
            "| #{} {} ({} by {}) | {} | {} | {} |",
            f.seq,
            table_time(f.at),
            f.source.replace('_', " "),
            esc(&f.by),
            cell(&f.excerpt),
            f.rule.describe(),
            cell(&f.suggestion)
        );
    }
}
