//! The incident screen: one glance answering "where are we?" — header with the clock, the
//! outage log, and the alerts, blast radius and actions panes.

use super::lines::Lines;
use super::pane;
use crate::console::action::Lead;
use crate::console::health::Sight;
use crate::console::state::{Current, State};
use crate::console::text::{cut, cut_line, cut_lines};
use crate::console::theme::{Meaning, Theme};
use crate::domain::{Corrected, Entry, Event, Incident, NoteKind, Role, clock, for_terminal_line};
use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn render(
    state: &State,
    c: &Current,
    theme: &Theme,
    now: DateTime<Utc>,
    area: Rect,
    frame: &mut Frame,
) {
    let banner = banner(state, c);
    let mut tasks = super::practice::decision_lines(c, theme, now);
    tasks.extend(task_lines(c, theme, now));
    tasks.extend(super::practice::checklist_line(state, c, theme, now));
    let criteria = super::practice::criteria_height(c, area.height);
    let [head, banner_area, tasks_area, criteria_area, rest] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(u16::from(banner.is_some())),
        Constraint::Length(tasks.len() as u16),
        Constraint::Length(criteria),
        Constraint::Min(3),
    ])
    .areas(area);
    header(state, c, theme, now, head, frame);
    if criteria > 0 {
        super::practice::criteria_panel(c, theme, now, criteria_area, frame);
    }
    frame.render_widget(
        Lines::new(cut_lines(tasks, tasks_area.width.into())),
        tasks_area,
    );
    if let Some(text) = banner {
        frame.render_widget(
            Paragraph::new(cut(&text, banner_area.width.into()).into_owned())
                .style(theme.style(Meaning::Banner)),
            banner_area,
        );
    }
    let focus_alerts = c.focus == crate::console::state::Pane::Alerts;
    if rest.width >= 100 {
        let [log, side] = Layout::horizontal([
            Constraint::Fill(1),
            Constraint::Length((rest.width / 3).max(46)),
        ])
        .areas(rest);
        outage_log(c, theme, log, frame);
        let [alerts, blast, actions] = Layout::vertical([
            Constraint::Fill(2),
            Constraint::Fill(1),
            Constraint::Fill(1),
        ])
        .areas(side);
        alerts_pane(state, c, theme, now, alerts, frame);
        super::blast::render_pane(state, c, theme, now, blast, frame);
        super::actions::render_pane(state, c, theme, now, actions, frame);
    } else if focus_alerts {
        alerts_pane(state, c, theme, now, rest, frame);
    } else if c.focus == crate::console::state::Pane::Blast {
        super::blast::render_pane(state, c, theme, now, rest, frame);
    } else {
        let blind = state.blind();
        let [log, strip] = Layout::vertical([
            Constraint::Fill(1),
            Constraint::Length(1 + u16::from(!blind.is_empty())),
        ])
        .areas(rest);
        outage_log(c, theme, log, frame);
        // A follower waiting for the leader's views says so, not "not connected".
        let awaited = state.follow.as_ref().and_then(|f| f.views.short_note());
        let summary = match awaited {
            Some(note) => format!(
                "Alerts, blast radius: {note} · {}",
                super::actions::strip(state, c)
            ),
            None => format!(
                "{} · {} · {}",
                alerts_summary(state),
                blast_summary(state),
                super::actions::strip(state, c)
            ),
        };
        let mut lines = vec![Line::styled(summary, theme.style(Meaning::Muted))];
        if !blind.is_empty() {
            lines.push(Line::styled(
                format!("⚠ {}", crate::console::health::blind_text(&blind)),
                theme.style(Meaning::Warning),
            ));
        }
        frame.render_widget(Paragraph::new(cut_lines(lines, strip.width.into())), strip);
    }
}

/// The alerts in a few words, for the 80-column summary: never a count it cannot vouch for.
fn alerts_summary(state: &State) -> String {
    let firing = state.alerts_view.firing;
    match state.alert_sight() {
        Sight::NotConnected => "Alerts: not connected".to_string(),
        Sight::Unknown => "Alerts: UNKNOWN".to_string(),
        Sight::Partial => format!("Alerts: {firing} firing, partial"),
        Sight::Waiting | Sight::Clear => format!("Alerts: {firing} firing — tab to view"),
    }
}

/// The blast radius in a few words: "all ok" only when every source answers.
fn blast_summary(state: &State) -> String {
    let affected = state.blast.affected().count();
    match (state.sight(), affected) {
        (Sight::NotConnected, _) => "Blast radius: not connected".to_string(),
        (Sight::Unknown, _) => "Blast radius: UNKNOWN".to_string(),
        (Sight::Partial, 0) => "Blast radius: none seen failing, partial".to_string(),
        (Sight::Partial, n) => format!("Blast radius: {n} affected (b), partial"),
        (Sight::Waiting, 0) => "Blast radius: waiting for the first answer".to_string(),
        (Sight::Clear, 0) => "Blast radius: all ok".to_string(),
        (_, n) => format!("Blast radius: {n} affected (b)"),
    }
}

/// Firing alerts grouped by the group label, severity-coloured, with age and summary; which
/// are linked to the incident; and which sources are stale and why.
fn alerts_pane(
    state: &State,
    c: &Current,
    theme: &Theme,
    now: DateTime<Utc>,
    area: Rect,
    frame: &mut Frame,
) {
    let focus = c.focus == crate::console::state::Pane::Alerts;
    let rows = state.alert_rows();
    let firing = state.alerts_view.firing;
    let sight = state.alert_sight();
    let title = match sight {
        Sight::NotConnected => "Alerts".to_string(),
        Sight::Unknown => "Alerts — UNKNOWN".to_string(),
        Sight::Partial => format!("Alerts — {firing} firing, partial, by {}", state.group_by),
        Sight::Waiting | Sight::Clear => format!("Alerts — {firing} firing, by {}", state.group_by),
    };
    let block = super::pane(&title, theme, focus);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines: Vec<Line> = Vec::new();
    let awaited = state.follow.as_ref().and_then(|f| f.views.note());
    if awaited.is_some() || state.board.sources.is_empty() {
        lines.push(Line::styled(
            awaited.unwrap_or(if state.follow.is_some() {
                "no alerts shared by the leader"
            } else {
                "not connected — add [[alertmanager]] or [prometheus] to config.toml"
            }),
            theme.style(Meaning::Muted),
        ));
        frame.render_widget(
            Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: true }),
            inner,
        );
        return;
    }
    for s in &state.board.sources {
        match (&s.stale_since, &s.error, s.last_ok) {
            (Some(since), Some(why), last) => lines.push(Line::styled(
                format!(
                    "⚠ {} unreachable since {}{} — {why}",
                    s.name,
                    since.format("%H:%M:%S"),
                    last.map(|t| format!(", alerts as of {}", t.format("%H:%M:%S")))
                        .unwrap_or_default()
                ),
                theme.style(Meaning::Warning),
            )),
            (None, None, None) => lines.push(Line::styled(
                format!("… waiting for {}", s.name),
                theme.style(Meaning::Muted),
            )),
            _ => {}
        }
        if let Some(note) = &s.cut_short {
            lines.push(Line::styled(
                format!("⚠ {}", for_terminal_line(note)),
                theme.style(Meaning::Warning),
            ));
        }
    }
    let linked: Vec<&str> = c
        .incident
        .as_ref()
        .map(|i| {
            i.linked_alerts
                .iter()
                .map(|l| l.alert.fingerprint.as_str())
                .collect()
        })
        .unwrap_or_default();
    if rows.is_empty() {
        match sight {
            Sight::Clear => lines.push(Line::styled("nothing firing", theme.style(Meaning::Ok))),
            Sight::Unknown => lines.push(Line::styled(
                "alerts unknown: no source answers now",
                theme.style(Meaning::Warning),
            )),
            Sight::Partial => {
                let blind: Vec<String> = state
                    .blind_alert_sources()
                    .into_iter()
                    .map(|b| b.name)
                    .collect();
                let seeing: Vec<&str> = state
                    .board
                    .sources
                    .iter()
                    .filter(|s| !blind.contains(&s.name) && s.last_ok.is_some())
                    .map(|s| s.name.as_str())
                    .collect();
                lines.push(Line::styled(
                    format!(
                        "nothing firing in {}; {} unknown",
                        seeing.join(", "),
                        blind.join(", ")
                    ),
                    theme.style(Meaning::Warning),
                ));
            }
            Sight::NotConnected | Sight::Waiting => {}
        }
    }
    // The pane's rows are slots, each group's header then its alerts; only the slots in view
    // are found (walking the groups, not the alerts) and become lines, so ten thousand
    // alerts cost what twenty do.
    enum Slot {
        Group(usize),
        Alert(usize),
    }
    let groups = &state.alerts_view.groups;
    let total = groups.len() + groups.iter().map(|(_, count)| count).sum::<usize>();
    let mut selected_slot = 0;
    if focus {
        let (mut start, mut first) = (0, 0);
        for (_, count) in groups {
            if (first..first + count).contains(&c.alert_cursor) {
                selected_slot = start + 1 + c.alert_cursor - first;
                break;
            }
            start += 1 + count;
            first += count;
        }
    }
    let mut height = (inner.height as usize).saturating_sub(lines.len());
    // A list longer than the pane says how much more it holds, on its last row.
    if total > height {
        height = height.saturating_sub(1);
    }
    let offset = selected_slot.saturating_sub(height.saturating_sub(1));
    let below = total.saturating_sub(offset + height);
    let mut slots: Vec<Slot> = Vec::with_capacity(height);
    let (mut start, mut first) = (0, 0);
    for (g, (_, count)) in groups.iter().enumerate() {
        if start >= offset + height {
            break;
        }
        let end = start + 1 + count;
        for s in start.max(offset)..end.min(offset + height) {
            slots.push(if s == start {
                Slot::Group(g)
            } else {
                Slot::Alert(first + s - start - 1)
            });
        }
        start = end;
        first += count;
    }
    for slot in &slots {
        match *slot {
            Slot::Group(g) => {
                let (key, count) = &state.alerts_view.groups[g];
                lines.push(Line::styled(
                    format!("{}={key} ({count})", state.group_by),
                    theme.style(Meaning::Title),
                ));
            }
            Slot::Alert(n) => {
                let a = &rows[n];
                let (tag, meaning) = match (a.state, a.severity().as_deref()) {
                    (crate::domain::AlertState::Pending, _) => ("PEND", Meaning::Info),
                    (crate::domain::AlertState::Suppressed, _) => ("MUTE", Meaning::Muted),
                    (_, Some("critical" | "page" | "sev1" | "p1")) => ("CRIT", Meaning::Critical),
                    (_, Some("warning" | "warn" | "sev2" | "p2")) => ("WARN", Meaning::Warning),
                    _ => ("INFO", Meaning::Info),
                };
                let is_linked = linked.contains(&a.fingerprint.as_str());
                let selected = focus && n == c.alert_cursor;
                let mut line = Line::from(vec![
                    Span::styled(super::modal::marker(selected), theme.style(Meaning::Accent)),
                    Span::styled(
                        if is_linked { "⛓ " } else { "  " },
                        theme.style(Meaning::Accent),
                    ),
                    Span::styled(format!("{tag} "), theme.style(meaning)),
                    Span::styled(a.name().to_string(), theme.style(Meaning::Text)),
                    Span::styled(
                        format!(" {} ", crate::domain::short_duration(now - a.starts_at)),
                        theme.style(Meaning::Muted),
                    ),
                    Span::styled(
                        crate::domain::for_terminal_line(a.summary()).into_owned(),
                        theme.style(Meaning::Muted),
                    ),
                ]);
                if selected {
                    line = line.style(theme.style(Meaning::Selection));
                }
                lines.push(line);
            }
        }
    }
    if below > 0 {
        lines.push(Line::styled(
            format!("+{below} more (↓)"),
            theme.style(Meaning::Muted),
        ));
    }
    frame.render_widget(Lines::new(cut_lines(lines, inner.width.into())), inner);
}

fn banner(state: &State, c: &Current) -> Option<String> {
    let waiting = c.unshared.iter().filter(|(_, r)| r.is_none()).count();
    if state.store_down.is_some() {
        return Some(format!(
            " STORE UNREACHABLE — what you type is kept on this machine and shared when it \
             answers ({waiting} not yet shared)"
        ));
    }
    if waiting > 0 {
        return Some(format!(
            " SHARING {waiting} entries typed while the store was unreachable…"
        ));
    }
    // Everyone on a duplicate is told where the outage is followed now.
    if let Some(of) = c
        .incident
        .as_ref()
        .and_then(|i| i.corrections.duplicate_of.as_ref())
    {
        let go = match &c.lead {
            Lead::Follower { .. } => format!("follow {of} (ask its leader for the link)"),
            _ => format!("go to {of}"),
        };
        return Some(format!(
            " DUPLICATE — {} is closed as a duplicate of {of}: {go}",
            c.id
        ));
    }
    if let Lead::ReadOnly { holder } = &c.lead {
        return Some(format!(" READ-ONLY — led by {holder}"));
    }
    if c.lead == Lead::Unled {
        return Some(" READ-ONLY — nobody leads it now: esc, then enter, to lead it".to_string());
    }
    if let Lead::Lost { holder } = &c.lead {
        return Some(match holder {
            Some(h) => format!(" LEAD LOST — now led by {h}; read-only here"),
            None => " LEAD LOST — read-only here until you enter the incident again".to_string(),
        });
    }
    if let (Lead::Follower { source }, Some(f)) = (&c.lead, &state.follow) {
        use crate::console::state::Link;
        return Some(match &f.link {
            Link::Live | Link::Connecting => format!(" READ-ONLY — following {source}"),
            Link::Reconnecting { since, reason } => format!(
                " READ-ONLY — reconnecting… ({reason}, since {}); showing what arrived until then",
                since.format("%H:%M:%S")
            ),
            Link::Stopped(why) => format!(" READ-ONLY — stopped following: {why}"),
        });
    }
    match &c.incident {
        Some(i) if i.is_resolved() => Some(" RESOLVED — the log is closed".to_string()),
        _ => None,
    }
}

fn header(
    state: &State,
    c: &Current,
    theme: &Theme,
    now: DateTime<Utc>,
    area: Rect,
    frame: &mut Frame,
) {
    let hs = theme.style(Meaning::Header);
    let Some(i) = &c.incident else {
        frame.render_widget(
            Paragraph::new(format!(" {} — no opening entry yet", c.id)).style(hs),
            area,
        );
        return;
    };
    let mut line1 = Line::from(vec![Span::styled(
        format!(" {} ", i.id),
        theme.style(Meaning::Title),
    )]);
    // A drill says so first, where it cannot be cut: never taken for a real outage.
    if i.is_drill() {
        line1.spans.push(Span::styled(
            " DRILL — not a real outage ",
            theme.style(Meaning::Warning),
        ));
        line1.spans.push(Span::raw(" "));
    }
    line1.spans.extend([
        Span::styled(
            format!(" {} ", i.severity.label()),
            theme.severity(i.severity),
        ),
        Span::raw("  "),
        Span::styled(
            i.status.as_str().to_uppercase(),
            theme.style(Meaning::Accent),
        ),
        Span::raw("  "),
    ]);
    // Unknown is not ok: said where everyone looks first, before the title (which may be cut).
    let blind = match state.sight() {
        Sight::Unknown => Some("⚠ UNKNOWN: nothing answers"),
        Sight::Partial => Some("⚠ PARTLY UNKNOWN"),
        _ => None,
    };
    if let Some(b) = blind {
        line1
            .spans
            .push(Span::styled(b, theme.style(Meaning::Warning)));
        line1.spans.push(Span::raw("  "));
    }
    line1
        .spans
        .push(Span::styled(i.title.clone(), theme.style(Meaning::Title)));
    // Where else the updates go: the PagerDuty incidents linked (notes are added to them).
    if !i.pagerduty.is_empty() {
        let names: Vec<String> = i
            .pagerduty
            .iter()
            .map(|l| match l.number {
                Some(n) => format!("#{n}"),
                None => l.id.clone(),
            })
            .collect();
        line1.spans.push(Span::styled(
            format!("  ·  PagerDuty {}", names.join(", ")),
            theme.style(Meaning::Muted),
        ));
    }
    // Only the leader can take command: a follower or a read-only viewer is not told to.
    let take = state
        .keymap
        .key_for(
            crate::console::keymap::Mode::Incident,
            crate::console::keymap::Command::TakeCommand,
        )
        .filter(|_| c.leading());
    let none = match take {
        Some(k) => format!("none — {k} takes command"),
        None => "none".to_string(),
    };
    let commander = i.holder(Role::Commander).unwrap_or(&none);
    let mut spans = vec![
        Span::raw(" Commander "),
        Span::styled(commander.to_string(), theme.style(Meaning::Accent)),
        Span::raw(format!("  ·  elapsed {}", clock(i.elapsed(now)))),
    ];
    spans.extend(update_clock(state, i, theme, now));
    spans.extend(super::practice::executive_clock(state, i, theme, now));
    // PagerDuty's practice: hand over before fatigue does it for you.
    if let Some(since) = i.commander_since().filter(|_| !i.is_resolved())
        && now - since >= chrono::Duration::minutes(60)
    {
        let key = state
            .keymap
            .key_for(
                crate::console::keymap::Mode::Incident,
                crate::console::keymap::Command::Handoff,
            )
            .unwrap_or_else(|| ":handoff".into());
        spans.push(Span::styled(
            format!(
                "  ·  {} as commander — hand off? ({key})",
                crate::domain::short_duration(now - since)
            ),
            theme.style(Meaning::Warning),
        ));
    }
    frame.render_widget(
        Lines::new(cut_lines(vec![line1, Line::from(spans)], area.width.into())).style(hs),
        area,
    );
}

/// Open tasks with their countdowns, most urgent first; an expired one says to chase it.
fn task_lines<'a>(c: &Current, theme: &Theme, now: DateTime<Utc>) -> Vec<Line<'a>> {
    let Some(i) = &c.incident else {
        return vec![];
    };
    if i.is_resolved() {
        return vec![];
    }
    let mut open: Vec<_> = i.open_tasks().collect();
    open.sort_by_key(|t| t.due_at);
    let mut lines: Vec<Line> = open
        .iter()
        .take(3)
        .map(|t| {
            let (when, style) = if t.expired(now) {
                (
                    format!("EXPIRED {} ago — chase {}", clock(now - t.due_at), t.person),
                    Meaning::Critical,
                )
            } else {
                (format!("{} left", clock(t.due_at - now)), Meaning::Text)
            };
            Line::from(vec![
                Span::styled(format!(" T{:<3}", t.id), theme.style(Meaning::Accent)),
                Span::styled(
                    format!("{}: {}  ", t.person, t.what),
                    theme.style(Meaning::Text),
                ),
                Span::styled(when, theme.style(style)),
            ])
        })
        .collect();
    if open.len() > 3 {
        lines.push(Line::styled(
            format!(" … and {} more open tasks (c to close one)", open.len() - 3),
            theme.style(Meaning::Muted),
        ));
    }
    lines
}

fn update_clock<'a>(
    state: &State,
    i: &Incident,
    theme: &Theme,
    now: DateTime<Utc>,
) -> Vec<Span<'a>> {
    match state.cadence.next_due(i) {
        None => vec![],
        Some(due) if due <= now => {
            // While the leader types something else the prompt waits; the header blinks.
            let blink = state.modal.is_some() && now.timestamp() % 2 == 0;
            let style = if blink {
                theme.style(Meaning::Banner)
            } else {
                theme.style(Meaning::Critical)
            };
            let label = if now == due {
                "STATUS UPDATE DUE".to_string()
            } else {
                format!("STATUS UPDATE OVERDUE {}", clock(now - due))
            };
            vec![
                Span::raw("  ·  "),
                Span::styled(format!(" {label} "), style),
            ]
        }
        Some(due) => vec![Span::raw(format!(
            "  ·  next update in {}",
            clock(due - now)
        ))],
    }
}

fn outage_log(c: &Current, theme: &Theme, area: Rect, frame: &mut Frame) {
    let filtered = c.kind_filter != Default::default() || !c.text_filter.is_empty();
    let title = if filtered {
        format!(
            "Outage log — {}{}",
            c.kind_filter.label(),
            if c.text_filter.is_empty() {
                String::new()
            } else {
                format!(", \"{}\"", c.text_filter)
            }
        )
    } else if c.scroll > 0 {
        format!("Outage log — {} back", c.scroll)
    } else {
        "Outage log".to_string()
    };
    let block = pane(&title, theme, true);
    let inner = block.inner(area);
    let height = inner.height as usize;
    let width = usize::from(inner.width);
    // The entry at the bottom is the selected one: enter shows it whole.
    let select = c.focus == crate::console::state::Pane::Log;
    // Walk back from the newest visible entry only as far as the pane can show.
    let mut lines: Vec<Line> = Vec::new();
    for (n, row) in c.visible().rev().skip(c.scroll).enumerate() {
        let mut entry_lines = entry_lines(row, theme, width, select && n == 0);
        entry_lines.append(&mut lines);
        lines = entry_lines;
        if lines.len() >= height {
            break;
        }
    }
    // What the store does not hold yet comes last, marked, newest at the bottom.
    let mut unshared: Vec<Line> = Vec::new();
    for (e, refused) in &c.unshared {
        let mark = match refused {
            None => "not yet shared · ".to_string(),
            Some(why) => format!("not shared: refused because {why} · "),
        };
        unshared.extend(marked_lines(e, &mark, theme, width));
    }
    if !unshared.is_empty() {
        lines.append(&mut unshared);
    }
    if lines.is_empty() && filtered {
        lines.push(Line::styled(
            "nothing matches the filter (x clears it)",
            theme.style(Meaning::Muted),
        ));
    }
    let skip = lines.len().saturating_sub(height);
    let lines: Vec<Line> = lines.into_iter().skip(skip).collect();
    frame.render_widget(block, area);
    frame.render_widget(Lines::new(lines), inner);
}

/// What a log entry says in full, with its tag and colour: the log's rows and the detail
/// popup both show this.
pub fn entry_text(e: &Entry) -> (&'static str, Meaning, String) {
    match &e.event {
        Event::DecisionProposed { .. } => ("PROPOSAL", Meaning::Accent, e.event.describe()),
        Event::DecisionObjected { .. } => ("OBJECTION", Meaning::Warning, e.event.describe()),
        Event::DecisionClosed { .. } => ("DECISION", Meaning::Accent, e.event.describe()),
        Event::ExitCriterionSet { .. } | Event::ExitCriteriaWaived { .. } => {
            ("EXIT", Meaning::Info, e.event.describe())
        }
        Event::ExitCriterionMet { .. } => ("EXIT", Meaning::Ok, e.event.describe()),
        Event::ExitCriterionBroken { .. } => ("EXIT", Meaning::Warning, e.event.describe()),
        Event::ExecutiveSummary { text } => ("EXEC", Meaning::Ok, text.clone()),
        Event::ChecklistItem { .. } => ("CHECK", Meaning::Muted, e.event.describe()),
        Event::DrillReviewed { .. } => ("REVIEW", Meaning::Accent, e.event.describe()),
        Event::Opened {
            title, severity, ..
        } => (
            "OPENED",
            Meaning::Accent,
            format!("{} {title}", severity.label()),
        ),
        Event::SeverityChanged { from, to } => (
            "SEV",
            Meaning::of_severity(*to),
            format!("{} → {}", from.label(), to.label()),
        ),
        Event::StatusChanged { from, to } => ("STATUS", Meaning::Accent, format!("{from} → {to}")),
        Event::RoleAssigned { role, person } => {
            ("ROLE", Meaning::Info, format!("{person} is {role}"))
        }
        Event::Note { kind, text } => (note_tag(*kind), Meaning::of_note(*kind), text.clone()),
        Event::StatusUpdate { text } => ("UPDATE", Meaning::Ok, text.clone()),
        Event::StatusUpdateSnoozed { minutes } => (
            "SNOOZED",
            Meaning::Muted,
            format!("status update snoozed {minutes}m"),
        ),
        Event::Resolved { summary } => {
            ("RESOLVED", Meaning::Ok, summary.clone().unwrap_or_default())
        }
        Event::TaskAssigned { .. } => ("TASK", Meaning::Info, e.event.describe()),
        Event::TaskDone { .. } => ("TASK DONE", Meaning::Ok, e.event.describe()),
        Event::TaskCancelled { .. } => ("TASK", Meaning::Muted, e.event.describe()),
        Event::Handoff { .. } => ("HANDOFF", Meaning::Accent, e.event.describe()),
        Event::UpdateDelivered { ok, .. } => (
            "DELIVERY",
            if *ok {
                Meaning::Muted
            } else {
                Meaning::Critical
            },
            e.event.describe(),
        ),
        Event::AlertLinked { .. } | Event::AlertUnlinked { .. } => {
            ("ALERT", Meaning::Info, e.event.describe())
        }
        Event::AlertReviewed { .. } => ("REVIEW", Meaning::Info, e.event.describe()),
        Event::AlertMissing { .. } => ("MISSING", Meaning::Warning, e.event.describe()),
        Event::Paged { ok, .. } => (
            "PAGED",
            if *ok {
                Meaning::Accent
            } else {
                Meaning::Critical
            },
            e.event.describe(),
        ),
        // The tag says PagerDuty already: the text starts with what was linked.
        Event::PagerdutyLinked {
            incident,
            number,
            title,
            ..
        } => (
            "PAGERDUTY",
            Meaning::Info,
            match number {
                Some(n) => format!("{incident} #{n} linked: {title}"),
                None => format!("{incident} linked: {title}"),
            },
        ),
        Event::PagerdutyUnlinked { incident } => {
            ("PAGERDUTY", Meaning::Muted, format!("{incident} unlinked"))
        }
        Event::AlertsChanged { firing, .. } => (
            "ALERTS",
            if firing.is_empty() {
                Meaning::Ok
            } else {
                Meaning::Critical
            },
            e.event.describe(),
        ),
        Event::AlertWriteBack { ok, .. } => (
            "ALERT",
            if *ok {
                Meaning::Accent
            } else {
                Meaning::Critical
            },
            e.event.describe(),
        ),
        Event::SilenceCreated { .. } | Event::SilenceExpired { .. } => {
            ("SILENCE", Meaning::Muted, e.event.describe())
        }
        Event::BlastRadiusChanged { changes } => (
            "BLAST",
            if changes.iter().any(|c| c.to.is_failing()) {
                Meaning::Warning
            } else {
                Meaning::Ok
            },
            e.event.describe(),
        ),
        Event::ActionStarted { .. } => ("ACTION", Meaning::Accent, e.event.describe()),
        Event::ActionFinished { outcome, .. } => (
            "ACTION",
            if *outcome == crate::domain::ActionOutcome::Succeeded {
                Meaning::Ok
            } else {
                Meaning::Critical
            },
            e.event.describe(),
        ),
        Event::ActionVerified { result, .. } => (
            "VERIFY",
            if *result == crate::domain::VerifyResult::Effective {
                Meaning::Ok
            } else {
                Meaning::Warning
            },
            e.event.describe(),
        ),
        Event::FollowUp { .. } => ("FOLLOW-UP", Meaning::Info, e.event.describe()),
        Event::FollowUpClosed { .. } => ("FOLLOW-UP", Meaning::Ok, e.event.describe()),
        Event::PostmortemExported { .. } => ("EXPORTED", Meaning::Muted, e.event.describe()),
        Event::Amended { .. } | Event::Retracted { .. } | Event::Moved { .. } => {
            ("CORRECTION", Meaning::Muted, e.event.describe())
        }
        Event::MovedIn { kind, text, .. } => ("NOTE", Meaning::of_note(*kind), text.clone()),
        Event::MarkedDuplicate { .. } => ("DUPLICATE", Meaning::Accent, e.event.describe()),
        Event::Merged { .. } => ("MERGED", Meaning::Accent, e.event.describe()),
        // The tag says it is a check-in: the text is the CAN report alone.
        Event::CheckIn { .. } => (
            "CHECK-IN",
            Meaning::Info,
            e.event
                .describe()
                .trim_start_matches("check-in: ")
                .to_string(),
        ),
        Event::RollCalled {} => ("ROLL CALL", Meaning::Accent, e.event.describe()),
        Event::RollAdded { .. } => ("ROLL", Meaning::Info, e.event.describe()),
        Event::TeamFormed { .. } | Event::TeamDisbanded { .. } => {
            ("TEAM", Meaning::Info, e.event.describe())
        }
        Event::NoticeDismissed { .. } => ("DISMISSED", Meaning::Muted, e.event.describe()),
        Event::Drill { .. } => ("DRILL", Meaning::Warning, e.event.describe()),
        Event::Redacted { .. } | Event::Expunged => {
            ("REDACTED", Meaning::Muted, e.event.describe())
        }
        Event::Unknown(u) => (
            "RAW",
            Meaning::Muted,
            format!("[{}] {}", u.type_name, u.json),
        ),
    }
}

/// The rows of an entry the store does not hold yet, `mark` (why) before its text.
fn marked_lines<'a>(e: &Entry, mark: &str, theme: &Theme, width: usize) -> Vec<Line<'a>> {
    let row = Corrected {
        source: None,
        entry: e.clone(),
        occurred_at: None,
        retracted: None,
        original: None,
        changes: Vec::new(),
    };
    let mut out = entry_lines(&row, theme, usize::MAX, false);
    if let Some(first) = out.first_mut() {
        let at = first.spans.len().saturating_sub(1);
        first.spans.insert(
            at,
            Span::styled(
                crate::domain::for_terminal_line(mark).into_owned(),
                theme.style(Meaning::Warning),
            ),
        );
    }
    out.into_iter().map(|l| cut_line(l, width)).collect()
}

/// An entry's rows in the log, each cut to `width` with "…" when longer: at the time it refers
/// to, a retracted one struck through with why, a corrected one marked ✎ (enter shows its
/// history), one from a merged duplicate or another incident with its source.
fn entry_lines<'a>(row: &Corrected, theme: &Theme, width: usize, selected: bool) -> Vec<Line<'a>> {
    let e = &row.entry;
    let (tag, meaning, text) = entry_text(e);
    let mut prefix = String::new();
    if let Some(s) = &row.source {
        prefix.push_str(&format!("[{s}] "));
    }
    if row.is_corrected() && row.retracted.is_none() {
        prefix.push_str("✎ ");
    }
    let text_style = match &row.retracted {
        Some(_) => theme
            .style(Meaning::Muted)
            .add_modifier(ratatui::style::Modifier::CROSSED_OUT),
        None => theme.style(Meaning::Text),
    };
    let mut out = Vec::new();
    for (n, l) in text.split('\n').enumerate() {
        // Control characters would move the terminal's cursor: show them, do not send them.
        let safe = crate::domain::for_terminal_line(l).into_owned();
        let line = if n == 0 {
            let by = cut(&e.by, 10);
            let pad = 10usize.saturating_sub(crate::console::text::width(&by));
            let mut spans = vec![
                Span::styled(hh_mm_ss(row.when()), theme.style(Meaning::Muted)),
                Span::styled(
                    format!("{by}{} ", " ".repeat(pad)),
                    theme.style(Meaning::Muted),
                ),
                Span::styled(format!("{tag:<10} "), theme.style(meaning)),
            ];
            if !prefix.is_empty() {
                let safe_prefix = crate::domain::for_terminal_line(&prefix).into_owned();
                spans.push(Span::styled(safe_prefix, theme.style(Meaning::Accent)));
            }
            spans.push(Span::styled(safe, text_style));
            if let Some(why) = &row.retracted {
                let why = crate::domain::for_terminal_line(why).into_owned();
                spans.push(Span::styled(
                    format!("  retracted: {why}"),
                    theme.style(Meaning::Warning),
                ));
            }
            let line = Line::from(spans);
            if selected {
                // In the selection's own colours, whatever each part's: legible in every theme.
                let sel = theme.style(Meaning::Selection);
                Line::from(
                    line.spans
                        .into_iter()
                        .map(|s| s.style(sel))
                        .collect::<Vec<_>>(),
                )
            } else {
                line
            }
        } else {
            Line::from(vec![
                Span::raw(" ".repeat(31)),
                Span::styled(safe, text_style),
            ])
        };
        out.push(cut_line(line, width));
    }
    out
}

/// "09:04:00 ": what `format("%H:%M:%S ")` writes, without parsing the pattern on every row.
fn hh_mm_ss(t: DateTime<Utc>) -> String {
    use chrono::Timelike;
    // A leap second is second 60, as chrono writes it.
    let second = t.second() + u32::from(t.nanosecond() >= 1_000_000_000);
    format!("{:02}:{:02}:{:02} ", t.hour(), t.minute(), second)
}

fn note_tag(kind: NoteKind) -> &'static str {
    match kind {
        NoteKind::Observation => "NOTE",
        NoteKind::Hypothesis => "HYPOTHESIS",
        NoteKind::Decision => "DECISION",
    }
}
