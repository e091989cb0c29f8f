//! The practice in the console, with a fixed clock: a decision put to the call with its
//! countdown, objections and an amended outcome; exit criteria read live turning met, unmet,
//! met then broken; resolving with criteria unmet asks why; the checklist per phase; each
//! prompt shown once. Snapshots of the decision countdown and the exit criteria panel at
//! 80×24 and 120×40 in every built-in theme.

use crate::support;

use chrono::{DateTime, Utc};
use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::collections::BTreeMap;
use support::console::*;
use warroom::console::action::{Action, Effect, Purpose};
use warroom::console::state::{Modal, State};
use warroom::console::theme::{BUILT_IN, Theme};
use warroom::console::update::update;
use warroom::console::views::render;
use warroom::domain::practice::{ChecklistOutcome, ChecklistPhase, Comparison, DecisionOutcome};
use warroom::domain::{Event, ExitCheck, Incident, MetricQuery};

fn screen_at(s: &mut State, w: u16, h: u16, now: DateTime<Utc>, theme: &Theme) -> TestBackend {
    update(
        s,
        Action::Resize {
            width: w,
            height: h,
        },
        now,
    );
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| render(s, theme, now, f)).unwrap();
    t.backend().clone()
}

fn text_of(b: &TestBackend) -> String {
    let buf = b.buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let line: String = (0..buf.area.width)
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The rows holding any of `needles`, as text and then as runs of one style each
/// (`x..x fg/bg/modifiers`): what a theme changes.
fn styled_rows(b: &TestBackend, needles: &[&str]) -> String {
    let buf = b.buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let line: String = (0..buf.area.width)
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect();
        if !needles.iter().any(|n| line.contains(n)) {
            continue;
        }
        out.push_str(line.trim_end());
        out.push('\n');
        let mut start = 0;
        let style_of = |x: u16| {
            let c = &buf[(x, y)];
            format!("{:?}/{:?}/{:?}", c.fg, c.bg, c.modifier)
        };
        for x in 1..=buf.area.width {
            if x == buf.area.width || style_of(x) != style_of(start) {
                out.push_str(&format!("  {start}..{x} {}\n", style_of(start)));
                start = x;
            }
        }
    }
    out
}

fn committed(s: &mut State, seq: u64, when: DateTime<Utc>, by: &str, event: Event) -> Vec<Effect> {
    update(
        s,
        Action::Appended {
            id: "INC-1".into(),
            entries: vec![entry(seq, when, by, event)],
            cleared_draft: true,
        },
        when,
    )
}

fn others(s: &mut State, seq: u64, when: DateTime<Utc>, by: &str, event: Event) {
    update(
        s,
        Action::Entries {
            id: "INC-1".into(),
            entries: vec![entry(seq, when, by, event)],
        },
        when,
    );
}

fn incident(s: &State) -> &Incident {
    s.current.as_ref().unwrap().incident.as_ref().unwrap()
}

fn records(fx: &[Effect]) -> Vec<Event> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Record { event, .. } => Some(event.clone()),
            _ => None,
        })
        .collect()
}

/// D, the proposal with two alternatives, sent and committed at 12:00.
fn proposed(s: &mut State) {
    assert!(appends(&press(s, vec![key(KeyCode::Char('D'))])).is_empty());
    assert!(matches!(
        &s.modal,
        Some(Modal::Editor {
            purpose: Purpose::Proposal,
            ..
        })
    ));
    type_text(s, "roll back pricing to v41\n- fix forward\n- shed load");
    let fx = press(s, vec![ctrl('s')]);
    let sent = appends(&fx);
    assert_eq!(
        sent,
        vec![Event::DecisionProposed {
            decision: 1,
            proposal: "roll back pricing to v41".into(),
            alternatives: vec!["fix forward".into(), "shed load".into()],
            closes_at: at(13, 0),
        }]
    );
    committed(s, 8, at(12, 0), "alice", sent[0].clone());
}

#[test]
fn a_decision_with_two_objections_then_amended() {
    let mut s = leading();
    proposed(&mut s);
    let theme = Theme::built_in("default").unwrap();
    let shown = text_of(&screen_at(&mut s, 80, 24, at(12, 20), &theme));
    assert!(
        shown.contains("D1 PROPOSED") && shown.contains("any strong objections? 00:40 left"),
        "{shown}"
    );
    // Two objections, one from this console (o), one from another writer.
    press(&mut s, vec![key(KeyCode::Char('o'))]);
    type_text(&mut s, "v41 has the tax bug");
    let sent = appends(&press(&mut s, vec![ctrl('s')]));
    assert_eq!(
        sent,
        vec![Event::DecisionObjected {
            decision: 1,
            reason: "v41 has the tax bug".into()
        }]
    );
    committed(&mut s, 9, at(12, 25), "alice", sent[0].clone());
    others(
        &mut s,
        10,
        at(12, 40),
        "bob",
        Event::DecisionObjected {
            decision: 1,
            reason: "the rollback takes 20 minutes".into(),
        },
    );
    let shown = text_of(&screen_at(&mut s, 80, 24, at(13, 5), &theme));
    assert!(shown.contains("time is up — D closes it"), "{shown}");
    assert!(shown.contains("2 objections"), "{shown}");
    // D again: how it ends. Amended asks for what it became.
    press(&mut s, vec![key(KeyCode::Char('D'))]);
    press(
        &mut s,
        vec![key(KeyCode::Down), key(KeyCode::Down), key(KeyCode::Enter)],
    );
    assert!(matches!(
        &s.modal,
        Some(Modal::Editor {
            purpose: Purpose::Amendment,
            ..
        })
    ));
    type_text(&mut s, "roll back pricing to v40");
    let sent = appends(&press(&mut s, vec![ctrl('s')]));
    assert_eq!(
        sent,
        vec![Event::DecisionClosed {
            decision: 1,
            outcome: DecisionOutcome::Amended,
            text: Some("roll back pricing to v40".into()),
        }]
    );
    committed(&mut s, 11, at(13, 10), "alice", sent[0].clone());
    let d = &incident(&s).practice.decisions[0];
    assert_eq!(d.objections.len(), 2);
    assert_eq!(d.decided_text(), Some("roll back pricing to v40"));
    // Closed: no countdown, and o has nothing to object to.
    let shown = text_of(&screen_at(&mut s, 80, 24, at(13, 20), &theme));
    assert!(!shown.contains("PROPOSED"), "{shown}");
    assert!(appends(&press(&mut s, vec![key(KeyCode::Char('o'))])).is_empty());
    assert!(s.modal.is_none());
    // The post-mortem's decisions section.
    let entries = s.current.as_ref().unwrap().entries.clone();
    let md = warroom::postmortem::markdown::render(&warroom::postmortem::Report::build(
        &entries,
        incident(&s),
        at(14, 0),
    ));
    for part in [
        "## Decisions by objection",
        "### D1: roll back pricing to v41",
        "  - fix forward",
        "  - shed load",
        "(alice): v41 has the tax bug",
        "(bob): the rollback takes 20 minutes",
        "- Outcome: **amended**",
        ": roll back pricing to v40",
    ] {
        assert!(md.contains(part), "{part:?} not in\n{md}");
    }
}

/// C1 set through X: checkout errors below 1 % for 5 minutes, committed at 12:00.
fn with_metric_criterion(s: &mut State) {
    press(s, vec![key(KeyCode::Char('X')), key(KeyCode::Enter)]);
    type_text(
        s,
        "checkout errors: promql sum(rate(errors[1m])) < 1% for 5m",
    );
    let sent = appends(&press(s, vec![ctrl('s')]));
    assert_eq!(
        sent,
        vec![Event::ExitCriterionSet {
            criterion: 1,
            check: ExitCheck::Metric {
                name: "checkout errors".into(),
                query: MetricQuery::Promql("sum(rate(errors[1m]))".into()),
                op: Comparison::Below,
                threshold: 0.01,
                hold_secs: 300,
            },
        }]
    );
    committed(s, 8, at(12, 0), "alice", sent[0].clone());
}

fn read(s: &mut State, when: DateTime<Utc>, value: Result<Option<f64>, &str>) -> Vec<Event> {
    let values = BTreeMap::from([(1, value.map_err(str::to_string))]);
    records(&update(
        s,
        Action::CriteriaValues {
            id: "INC-1".into(),
            at: when,
            values,
        },
        when,
    ))
}

#[test]
fn exit_criteria_met_unmet_and_met_then_broken() {
    let mut s = leading();
    with_metric_criterion(&mut s);
    // Unmet: the value is over the threshold.
    assert!(read(&mut s, at(12, 0), Ok(Some(0.05))).is_empty());
    // Holding from 12:01, but not for five minutes yet; a gap in the readings (the source
    // down) breaks the run.
    assert!(read(&mut s, at(13, 0), Ok(Some(0.005))).is_empty());
    assert!(read(&mut s, at(14, 0), Err("prometheus: connection refused")).is_empty());
    assert!(read(&mut s, at(15, 0), Ok(Some(0.004))).is_empty());
    assert!(read(&mut s, at(19, 59), Ok(Some(0.004))).is_empty());
    let theme = Theme::built_in("default").unwrap();
    let shown = text_of(&screen_at(&mut s, 120, 40, at(19, 59), &theme));
    assert!(
        shown.contains("✗ C1 checkout errors < 0.01 for 5m  holding 4m of 5m · now 0.004"),
        "{shown}"
    );
    // Held for the duration: recorded met once, however often it is read meanwhile.
    let met = Event::ExitCriterionMet {
        criterion: 1,
        since: Some(at(15, 0)),
        value: Some(0.003),
    };
    assert_eq!(read(&mut s, at(20, 0), Ok(Some(0.003))), vec![met.clone()]);
    assert!(read(&mut s, at(20, 30), Ok(Some(0.003))).is_empty());
    others(&mut s, 9, at(20, 0), "alice", met);
    assert!(incident(&s).practice.all_met());
    // Broken again: recorded once.
    let broken = Event::ExitCriterionBroken {
        criterion: 1,
        value: Some(0.2),
    };
    assert_eq!(read(&mut s, at(21, 0), Ok(Some(0.2))), vec![broken.clone()]);
    assert!(read(&mut s, at(21, 30), Ok(Some(0.2))).is_empty());
    others(&mut s, 10, at(21, 0), "alice", broken);
    let c = &incident(&s).practice.criteria[0];
    assert!(!c.is_met());
    assert_eq!(c.first_met_at, Some(at(20, 0)));
    assert_eq!(c.broken, vec![at(21, 0)]);
}

#[test]
fn a_manual_criterion_is_ticked_and_resolving_with_one_unmet_asks_why() {
    let mut s = leading();
    with_metric_criterion(&mut s);
    press(&mut s, vec![key(KeyCode::Char('X')), key(KeyCode::Enter)]);
    type_text(&mut s, "support queue back to normal");
    let sent = appends(&press(&mut s, vec![ctrl('s')]));
    committed(&mut s, 9, at(12, 0), "alice", sent[0].clone());
    // X, down to C2 (unmet first is not the picker's order: C1, C2), enter ticks it.
    let fx = press(
        &mut s,
        vec![
            key(KeyCode::Char('X')),
            key(KeyCode::Down),
            key(KeyCode::Down),
            key(KeyCode::Enter),
        ],
    );
    let ticked = Event::ExitCriterionMet {
        criterion: 2,
        since: None,
        value: None,
    };
    assert_eq!(appends(&fx), vec![ticked.clone()]);
    committed(&mut s, 10, at(12, 0), "alice", ticked);
    // R: C1 is unmet, so the question first, then the summary must say why.
    press(&mut s, vec![key(KeyCode::Char('R'))]);
    let Some(Modal::ConfirmResolve { wrong, .. }) = &s.modal else {
        panic!("{:?}", s.modal);
    };
    assert!(
        wrong.contains(&"exit criterion C1 not met: checkout errors < 0.01 for 5m".to_string()),
        "{wrong:?}"
    );
    press(&mut s, vec![key(KeyCode::Char('y'))]);
    assert!(appends(&press(&mut s, vec![ctrl('s')])).is_empty());
    assert!(
        s.flash
            .as_ref()
            .is_some_and(|f| f.text.contains("must say why")),
        "{:?}",
        s.flash
    );
    type_text(&mut s, "errors are gone; the ratio lags behind");
    let sent = appends(&press(&mut s, vec![ctrl('s')]));
    assert_eq!(
        sent.first(),
        Some(&Event::ExitCriteriaWaived {
            reason: "errors are gone; the ratio lags behind".into(),
            unmet: vec![1],
        })
    );
    assert!(
        matches!(sent.last(), Some(Event::Resolved { summary: Some(s) }) if s == "errors are gone; the ratio lags behind"),
        "{sent:?}"
    );
}

fn with_checklists(s: &mut State) {
    s.practice.checklists = warroom::config::parse_checklists(
        std::path::Path::new("checklists.toml"),
        warroom::config::DEFAULT_CHECKLISTS,
    )
    .unwrap();
}

#[test]
fn checklist_items_per_phase_each_brought_up_once() {
    let mut s = leading();
    with_checklists(&mut s);
    let i = incident(&s).clone();
    let items = |now| -> Vec<(ChecklistPhase, String)> {
        s.practice
            .checklists
            .open_items(&i, now)
            .into_iter()
            .map(|(p, it)| (p, it.text.clone()))
            .collect()
    };
    // Twelve minutes in, after a raise to SEV1: start, during and escalation; not yet the
    // items before resolving.
    let phases: Vec<ChecklistPhase> = {
        let mut p: Vec<_> = items(at(12, 0)).into_iter().map(|(p, _)| p).collect();
        p.dedup();
        p
    };
    assert_eq!(
        phases,
        vec![
            ChecklistPhase::Start,
            ChecklistPhase::During,
            ChecklistPhase::Escalation
        ]
    );
    // Five minutes in: the start and the escalation (SEV2 → SEV1 at 2:10), not yet the
    // items during the incident.
    assert!(
        items(at(5, 0))
            .iter()
            .all(|(p, _)| *p != ChecklistPhase::During)
    );
    assert!(
        items(at(1, 0))
            .iter()
            .all(|(p, _)| *p == ChecklistPhase::Start)
    );
    // Brought up once: the first tick flashes them, later ticks do not again.
    update(&mut s, Action::Tick, at(12, 0));
    let first = s.flash.clone().expect("the checklist is brought up");
    assert!(first.text.contains("start: assign a scribe"), "{first:?}");
    s.flash = None;
    update(&mut s, Action::Tick, at(12, 1));
    update(&mut s, Action::Tick, at(12, 2));
    assert_eq!(s.flash, None);
    // v: enter ticks the first item, x dismisses the next.
    let fx = press(&mut s, vec![key(KeyCode::Char('v')), key(KeyCode::Enter)]);
    let done = Event::ChecklistItem {
        phase: ChecklistPhase::Start,
        item: "assign a scribe".into(),
        outcome: ChecklistOutcome::Done,
    };
    assert_eq!(appends(&fx), vec![done.clone()]);
    committed(&mut s, 8, at(12, 3), "alice", done);
    let fx = press(
        &mut s,
        vec![key(KeyCode::Char('v')), key(KeyCode::Char('x'))],
    );
    let skipped = Event::ChecklistItem {
        phase: ChecklistPhase::Start,
        item: "set the severity".into(),
        outcome: ChecklistOutcome::Dismissed,
    };
    assert_eq!(appends(&fx), vec![skipped.clone()]);
    committed(&mut s, 9, at(12, 4), "alice", skipped);
    let shown = text_of(&screen_at(
        &mut s,
        120,
        40,
        at(12, 5),
        &Theme::built_in("default").unwrap(),
    ));
    assert!(
        shown.contains("☐ start: first status update within 10 minutes (+3 later) — v"),
        "{shown}"
    );
    // Moving to monitoring brings up the items before resolving, once.
    others(
        &mut s,
        10,
        at(13, 0),
        "alice",
        Event::StatusChanged {
            from: warroom::domain::Status::Investigating,
            to: warroom::domain::Status::Monitoring,
        },
    );
    update(&mut s, Action::Tick, at(13, 0));
    let text = s.flash.clone().map(|f| f.text).unwrap_or_default();
    assert!(
        text.contains("before resolving: exit criteria hold"),
        "{text}"
    );
    assert!(!text.contains("assign a scribe"), "{text}");
}

#[test]
fn the_executive_summary_prompts_once_per_due_time_on_its_own_clock() {
    let mut s = leading();
    s.practice.executive_every = Some(chrono::Duration::minutes(30));
    s.practice.executive_channels = vec!["execs".into()];
    let theme = Theme::built_in("default").unwrap();
    let shown = text_of(&screen_at(&mut s, 120, 40, at(12, 0), &theme));
    assert!(shown.contains("exec summary in 18:00"), "{shown}");
    update(&mut s, Action::Tick, at(29, 59));
    assert!(!matches!(
        &s.modal,
        Some(Modal::Editor {
            purpose: Purpose::ExecutiveSummary,
            ..
        })
    ));
    // The status update's prompt (its own clock, due since 14:00) is put aside.
    s.modal = None;
    update(&mut s, Action::Tick, at(30, 0));
    assert!(
        matches!(
            &s.modal,
            Some(Modal::Editor {
                purpose: Purpose::ExecutiveSummary,
                ..
            })
        ),
        "{:?}",
        s.modal
    );
    // Dismissed: not again for the same due time.
    press(&mut s, vec![key(KeyCode::Esc)]);
    update(&mut s, Action::Tick, at(30, 2));
    update(&mut s, Action::Tick, at(31, 0));
    assert!(
        !matches!(
            &s.modal,
            Some(Modal::Editor {
                purpose: Purpose::ExecutiveSummary,
                ..
            })
        ),
        "{:?}",
        s.modal
    );
    let shown = text_of(&screen_at(&mut s, 120, 40, at(31, 0), &theme));
    assert!(shown.contains("EXEC SUMMARY OVERDUE 01:00 (U)"), "{shown}");
    // U, written and committed: delivered to its own channels, not as a status update.
    press(&mut s, vec![key(KeyCode::Char('U'))]);
    type_text(&mut s, "checkout down for 30% of users; fix in 20 min");
    let sent = appends(&press(&mut s, vec![ctrl('s')]));
    let fx = committed(&mut s, 8, at(31, 0), "alice", sent[0].clone());
    assert!(
        matches!(&fx[..], [Effect::DeliverExecutive { message, .. }] if message.text.starts_with("Executive summary: checkout down") && message.pagerduty.is_empty()),
        "{fx:?}"
    );
    let shown = text_of(&screen_at(&mut s, 120, 40, at(31, 0), &theme));
    assert!(shown.contains("exec summary in 30:00"), "{shown}");
}

#[test]
fn when_every_criterion_holds_the_console_offers_to_move_on_once() {
    let mut s = leading();
    with_metric_criterion(&mut s);
    others(
        &mut s,
        9,
        at(20, 0),
        "alice",
        Event::ExitCriterionMet {
            criterion: 1,
            since: Some(at(15, 0)),
            value: Some(0.001),
        },
    );
    update(&mut s, Action::Tick, at(20, 1));
    let text = s.flash.clone().map(|f| f.text).unwrap_or_default();
    assert!(
        text.contains("every exit criterion holds: S to move INC-1 to monitoring, R to resolve"),
        "{text}"
    );
    s.flash = None;
    update(&mut s, Action::Tick, at(20, 2));
    assert_eq!(s.flash, None);
}

#[test]
fn the_decision_countdown_and_the_exit_criteria_panel_in_every_theme() {
    let mut s = leading();
    proposed(&mut s);
    others(
        &mut s,
        9,
        at(12, 10),
        "bob",
        Event::DecisionObjected {
            decision: 1,
            reason: "v41 has the tax bug".into(),
        },
    );
    for (n, text) in [
        (
            10,
            "checkout errors: promql sum(rate(errors[1m])) < 1% for 5m",
        ),
        (11, "support queue back to normal"),
    ] {
        others(
            &mut s,
            n,
            at(12, 10),
            "alice",
            Event::ExitCriterionSet {
                criterion: n as u32 - 9,
                check: warroom::domain::practice::parse_criterion(text).unwrap(),
            },
        );
    }
    others(
        &mut s,
        12,
        at(12, 15),
        "carol",
        Event::ExitCriterionMet {
            criterion: 2,
            since: None,
            value: None,
        },
    );
    read(&mut s, at(12, 15), Ok(Some(0.004)));
    for (name, _) in BUILT_IN {
        let theme = Theme::built_in(name).unwrap();
        for (w, h) in [(80, 24), (120, 40)] {
            let b = screen_at(&mut s, w, h, at(12, 20), &theme);
            let shown = text_of(&b);
            assert!(shown.contains("00:40 left"), "{name} {w}x{h}\n{shown}");
            assert!(shown.contains("C1"), "{name} {w}x{h}\n{shown}");
            insta::assert_snapshot!(
                format!("practice_{name}_{w}x{h}"),
                format!(
                    "{shown}\n--- styles ---\n{}",
                    styled_rows(&b, &["PROPOSED", "✋", "Exit criteria", "✓ C", "✗ C"])
                )
            );
        }
    }
}

#[test]
fn anyone_who_can_write_may_object_from_a_console_that_does_not_lead() {
    let mut s = on_list();
    update(
        &mut s,
        Action::Opened {
            id: "INC-1".into(),
            entries: checkout_entries(),
            lead: warroom::console::action::Lead::ReadOnly {
                holder: "bob".into(),
            },
            draft: None,
        },
        at(12, 0),
    );
    others(
        &mut s,
        8,
        at(12, 0),
        "bob",
        Event::DecisionProposed {
            decision: 1,
            proposal: "roll back pricing to v41".into(),
            alternatives: vec![],
            closes_at: at(13, 0),
        },
    );
    press(&mut s, vec![key(KeyCode::Char('o'))]);
    type_text(&mut s, "v41 has the tax bug");
    let sent = appends(&press(&mut s, vec![ctrl('s')]));
    assert_eq!(
        sent,
        vec![Event::DecisionObjected {
            decision: 1,
            reason: "v41 has the tax bug".into()
        }]
    );
    // Proposing and closing stay the leader's.
    s.modal = None;
    assert!(appends(&press(&mut s, vec![key(KeyCode::Char('D'))])).is_empty());
    assert!(s.modal.is_none(), "{:?}", s.modal);
}
