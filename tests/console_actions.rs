//! Runbook actions in the console, as pure reducer steps with a fixed clock: `A` opens the
//! picker, typing filters it, the form offers the services of the blast radius, the
//! confirmation shows the exact command and needs `y` (or the typed name for a dangerous
//! action); only then is a start asked for; output streams into the run; `x` cancels it; a
//! read-only console offers none of it.

use crate::support;

use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use support::console::*;
use warroom::actions::{OutputLine, Stream};
use warroom::console::action::{Action, Effect, Lead};
use warroom::console::runs::ActionModal;
use warroom::console::state::{Modal, State};
use warroom::console::theme::Theme;
use warroom::console::update::update;
use warroom::console::views::render;
use warroom::domain::{ActionOutcome, Event};

const RUNBOOK: &str = r#"
[[action]]
name = "flag-off"
description = "Turn a feature flag off"
kind = "exec"
argv = ["flagctl", "set", "{flag}", "off"]
confirm = true
[[action.param]]
name = "flag"
choices = ["checkout-v2", "new-pricing"]

[[action]]
name = "rollback"
description = "Roll back to the previous version"
kind = "exec"
argv = ["kubectl", "rollout", "undo", "deployment/{service}"]
dangerous = true
[[action.param]]
name = "service"
from = "blast_radius"

[[action]]
name = "shed-load"
description = "Shed 10% of traffic"
kind = "exec"
argv = ["shedctl", "10"]
"#;

fn with_runbook(mut s: State) -> State {
    s.actions.runbook =
        warroom::actions::parse_runbook(std::path::Path::new("runbook.toml"), RUNBOOK).unwrap();
    s
}

fn modal(s: &State) -> &ActionModal {
    match &s.modal {
        Some(Modal::Action(m)) => m,
        other => panic!("expected an action modal, got {other:?}"),
    }
}

fn starts(effects: &[Effect]) -> Vec<(String, Vec<(String, String)>)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::StartRun { action, params, .. } => Some((
                action.clone(),
                params.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            )),
            _ => None,
        })
        .collect()
}

fn screen(s: &mut State) -> String {
    update(
        s,
        Action::Resize {
            width: 120,
            height: 40,
        },
        at(12, 0),
    );
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let theme = Theme::built_in("default").unwrap();
    t.draw(|f| render(s, &theme, at(12, 0), f)).unwrap();
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

#[test]
fn turning_a_flag_off_takes_a_pick_a_choice_a_look_at_the_command_and_a_yes() {
    let mut s = with_runbook(leading());
    press(&mut s, vec![key(KeyCode::Char('A'))]);
    type_text(&mut s, "flg");
    match modal(&s) {
        ActionModal::Picker { query, .. } => assert_eq!(query, "flg"),
        m => panic!("{m:?}"),
    }
    let shown = screen(&mut s);
    // Descriptions show only in the picker (the Actions pane behind lists names).
    assert!(shown.contains("Turn a feature flag off"), "{shown}");
    assert!(
        !shown.contains("Shed 10% of traffic"),
        "the filter keeps only matches:\n{shown}"
    );

    press(&mut s, vec![key(KeyCode::Enter)]);
    assert!(matches!(modal(&s), ActionModal::Form(_)));
    press(&mut s, vec![key(KeyCode::Right), key(KeyCode::Enter)]);
    match modal(&s) {
        ActionModal::Confirm(c) => assert_eq!(c.preview[0], "flagctl set new-pricing off"),
        m => panic!("{m:?}"),
    }
    let shown = screen(&mut s);
    assert!(shown.contains("$ flagctl set new-pricing off"), "{shown}");
    // Enter is not a yes for an action that asks.
    let fx = press(&mut s, vec![key(KeyCode::Enter)]);
    assert!(starts(&fx).is_empty());
    let fx = press(&mut s, vec![key(KeyCode::Char('y'))]);
    assert_eq!(
        starts(&fx),
        [(
            "flag-off".to_string(),
            vec![("flag".to_string(), "new-pricing".to_string())]
        )]
    );
    assert!(s.modal.is_none());
}

#[test]
fn a_rollback_offers_the_affected_services_and_needs_its_name_typed() {
    let mut s = with_runbook(leading_with_blast());
    press(&mut s, vec![key(KeyCode::Char('A'))]);
    type_text(&mut s, "rollback\n");
    let options = match modal(&s) {
        ActionModal::Form(f) => f.fields[0].options.clone(),
        m => panic!("{m:?}"),
    };
    let affected: Vec<String> = s.blast.affected().map(|x| x.name.clone()).collect();
    assert_eq!(options, affected);
    assert!(options.contains(&"checkout".to_string()), "{options:?}");
    let first = options[0].clone();
    press(&mut s, vec![key(KeyCode::Enter)]);
    // y is not enough, nor a wrong name.
    let fx = press(&mut s, vec![key(KeyCode::Char('y')), key(KeyCode::Enter)]);
    assert!(starts(&fx).is_empty());
    assert!(matches!(modal(&s), ActionModal::Confirm(_)));
    press(&mut s, vec![key(KeyCode::Backspace)]);
    let fx = type_text(&mut s, "rollback\n");
    assert_eq!(
        starts(&fx),
        [("rollback".to_string(), vec![("service".to_string(), first)])]
    );
}

#[test]
fn a_committed_run_streams_its_output_and_x_cancels_it() {
    let mut s = with_runbook(leading());
    let started = entry(
        8,
        at(11, 0),
        "alice",
        Event::ActionStarted {
            run_id: "R1".into(),
            action: "shed-load".into(),
            params: Default::default(),
            dry_run: false,
            command: "shedctl 10".into(),
        },
    );
    let fx = update(
        &mut s,
        Action::RunCommitted {
            id: "INC-1".into(),
            local: 0,
            run_id: "R1".into(),
            entries: vec![started],
        },
        at(11, 0),
    );
    assert_eq!(
        fx,
        vec![Effect::SpawnRun {
            id: "INC-1".into(),
            local: 0,
            run_id: "R1".into()
        }]
    );
    for n in 1..=3 {
        update(
            &mut s,
            Action::RunOutput {
                run_id: "R1".into(),
                line: OutputLine {
                    stream: Stream::Stdout,
                    text: format!("shedding step {n}"),
                },
            },
            at(11, 30),
        );
    }
    let shown = screen(&mut s);
    assert!(shown.contains("R1 shed-load — running 01:00"), "{shown}");
    assert!(shown.contains("shedding step 3"), "{shown}");
    assert!(shown.contains("$ shedctl 10"), "{shown}");
    let fx = press(&mut s, vec![key(KeyCode::Char('x'))]);
    assert_eq!(
        fx,
        vec![Effect::CancelRun {
            run_id: "R1".into()
        }]
    );
    update(
        &mut s,
        Action::RunEnded {
            run_id: "R1".into(),
            outcome: ActionOutcome::Cancelled,
            verifying: false,
        },
        at(12, 0),
    );
    assert!(screen(&mut s).contains("R1 shed-load — cancelled"));
    // Closed, the pane says what runs and how the last one ended (from the journal).
    press(&mut s, vec![key(KeyCode::Esc)]);
    let shown = screen(&mut s);
    assert!(shown.contains("Actions — 1 running"), "{shown}");
    assert!(shown.contains("R1 shed-load"), "{shown}");
}

#[test]
fn a_read_only_console_runs_nothing() {
    let mut s = with_runbook(on_list());
    update(
        &mut s,
        Action::Opened {
            id: "INC-1".into(),
            entries: checkout_entries(),
            lead: Lead::ReadOnly {
                holder: "bob".into(),
            },
            draft: None,
        },
        at(12, 0),
    );
    press(&mut s, vec![key(KeyCode::Char('A'))]);
    assert!(s.modal.is_none());
    assert!(s.flash.as_ref().unwrap().text.contains("read-only"));
}

#[test]
fn without_a_runbook_the_pane_says_how_to_add_one() {
    let mut s = leading();
    press(&mut s, vec![key(KeyCode::Char('A'))]);
    assert!(s.modal.is_none());
    assert!(s.flash.as_ref().unwrap().text.starts_with("no runbook"));
    s.flash = None;
    let shown = screen(&mut s);
    assert!(shown.contains("no runbook — add runbook.toml"), "{shown}");
}

#[test]
fn a_run_committed_after_the_leader_left_the_incident_does_not_pop_up_over_the_list() {
    let mut s = with_runbook(leading());
    press(&mut s, vec![key(KeyCode::Esc)]);
    assert!(s.current.is_none());
    let started = entry(
        8,
        at(12, 0),
        "alice",
        Event::ActionStarted {
            run_id: "R1".into(),
            action: "shed-load".into(),
            params: Default::default(),
            dry_run: false,
            command: "shedctl 10".into(),
        },
    );
    let fx = update(
        &mut s,
        Action::RunCommitted {
            id: "INC-1".into(),
            local: 0,
            run_id: "R1".into(),
            entries: vec![started],
        },
        at(12, 0),
    );
    assert!(matches!(fx[..], [Effect::SpawnRun { .. }]));
    assert!(s.modal.is_none());
    let run = s.actions.run("R1").unwrap();
    assert_eq!(
        (run.action.as_str(), run.command.as_str()),
        ("shed-load", "shedctl 10")
    );
}
