//! `I` on the incident screen shows the impact chart in the terminal (ratatui's `Chart`) in
//! place of the log, and any key, `I` again among them, closes it: what a user sees on a
//! `TestBackend`.

use crate::charts_export::{MILESTONES, incident_with_readings, t};
use crate::support::console::{key, on_list, press, screen};
use crossterm::event::KeyCode;
use warroom::console::action::{Action, Lead};
use warroom::console::state::State;
use warroom::console::update::update;
use warroom::domain::Entry;
use warroom::journal::{FileStore, Journal};

fn leading_checkout(data: &std::path::Path) -> State {
    let id = incident_with_readings(data);
    let j = FileStore::new(data).open(&id).unwrap();
    let entries: Vec<Entry> = j.records().iter().map(|r| r.entry.clone()).collect();
    let mut s = on_list();
    update(
        &mut s,
        Action::Opened {
            id,
            entries,
            lead: Lead::Leading,
            draft: None,
        },
        t(12, 0),
    );
    s
}

#[test]
fn capital_i_shows_the_metric_with_its_milestones_and_any_key_closes_it() {
    let data = tempfile::tempdir().unwrap();
    let mut s = leading_checkout(data.path());
    let before = screen(&mut s, 120, 40);
    assert!(!before.contains("Impact:"), "{before}");

    press(&mut s, vec![key(KeyCode::Char('I'))]);
    // The legend keeps each milestone's words together with no-break spaces.
    let shown = screen(&mut s, 120, 40).replace('\u{a0}', " ");
    assert!(
        shown.contains("Impact: checkout — error ratio (any key closes)"),
        "{shown}"
    );
    // The axes: the window's start, middle and end (10:00 less 2¼ min to 10:45 plus it),
    // and the values up to above the 0.42 peak.
    for label in ["09:57", "10:22", "10:47", "0.483", "0"] {
        assert!(
            shown.contains(label),
            "axis label {label} missing:\n{shown}"
        );
    }
    // Each milestone explained under the chart, numbered in time order.
    for (n, ((h, m), label)) in MILESTONES.iter().enumerate() {
        let line = format!("{} {h:02}:{m:02} {label}", n + 1);
        assert!(shown.contains(&line), "{line:?} missing:\n{shown}");
    }
    // Each number on the row above the chart, over a vertical line of braille dots.
    let rows: Vec<Vec<char>> = shown.lines().map(|l| l.chars().collect()).collect();
    let ruler = rows
        .iter()
        .position(|r| {
            r.iter()
                .collect::<String>()
                .trim_start_matches(['│', ' '])
                .starts_with('1')
        })
        .expect("the ruler row");
    let braille = |c: char| ('\u{2801}'..='\u{28FF}').contains(&c);
    for n in 1..=MILESTONES.len() {
        let digit = char::from_digit(n as u32, 10).unwrap();
        let col = rows[ruler]
            .iter()
            .position(|c| *c == digit)
            .unwrap_or_else(|| panic!("milestone {n} not on the ruler:\n{shown}"));
        let dotted = (ruler + 1..ruler + 20)
            .filter(|y| rows[*y].get(col).copied().is_some_and(braille))
            .count();
        assert!(
            dotted >= 15,
            "milestone {n}'s line at column {col}:\n{shown}"
        );
    }

    press(&mut s, vec![key(KeyCode::Char('I'))]);
    let closed = screen(&mut s, 120, 40);
    assert!(!closed.contains("Impact:"), "{closed}");
    assert_eq!(closed, before);
}

#[test]
fn without_a_reading_the_chart_says_what_it_needs() {
    let mut s = crate::support::console::leading();
    press(&mut s, vec![key(KeyCode::Char('I'))]);
    let shown = screen(&mut s, 100, 30);
    assert!(shown.contains("Impact (any key closes)"), "{shown}");
    assert!(
        shown.contains("holds no reading of an affected service's metric"),
        "{shown}"
    );
}
