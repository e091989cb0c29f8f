//! The drill review beyond its fold: in the console, resolving the drill's incident journals
//! the review and shows it, `:review` shows the scores so far, and an incident that is not a
//! drill gets none; `warroom drill review ID` exports the journaled review as Markdown or
//! JSON, compared score by score with the team's last earlier drill of the same scenario,
//! and refuses an incident without one (exit 2) and a path inside the data directory.

use crate::support;

use chrono::{DateTime, Duration, TimeZone, Utc};
use crossterm::event::KeyCode;
use support::console::*;
use warroom::console::action::Action;
use warroom::console::state::{Drill, Modal, State};
use warroom::console::update::update;
use warroom::domain::drill_review::{self, ScoreKind};
use warroom::domain::{DrillSpec, Event, Role, Severity, StatusCadence};
use warroom::journal::{FileStore, Journal};

fn spec() -> DrillSpec {
    DrillSpec {
        scenario: "bad-deploy".into(),
        root_suspect: Some("pricing".into()),
        fixes: vec!["flag-off".into()],
        targets: Default::default(),
    }
}

fn drilling() -> State {
    let mut s = leading();
    s.drill = Some(Drill {
        incident: "INC-1".into(),
        spec: spec(),
    });
    s
}

fn resolve(s: &mut State) -> Vec<warroom::console::action::Effect> {
    update(
        s,
        Action::Appended {
            id: "INC-1".into(),
            entries: vec![entry(
                8,
                at(14, 0),
                "alice",
                Event::Resolved { summary: None },
            )],
            cleared_draft: true,
        },
        at(14, 0),
    )
}

#[test]
fn resolving_the_drill_journals_its_review_and_shows_it() {
    let mut s = drilling();
    let fx = resolve(&mut s);
    let reviews: Vec<_> = appends(&fx)
        .into_iter()
        .filter_map(|e| match e {
            Event::DrillReviewed { review } => Some(review),
            _ => None,
        })
        .collect();
    assert_eq!(reviews.len(), 1, "{fx:?}");
    let r = &reviews[0];
    assert_eq!(r.scenario, "bad-deploy");
    // alice took command at 0:30, posted the first update at 4:00, named no scribe; carol's
    // hypothesis named pricing at 3:00; nothing was run.
    let of = |k| r.score(k).unwrap().clone();
    assert_eq!(of(ScoreKind::TakeCommand).seconds, Some(30));
    assert_eq!(of(ScoreKind::FirstUpdate).seconds, Some(240));
    assert!(!of(ScoreKind::Scribe).met);
    assert_eq!(of(ScoreKind::RootSuspect).seconds, Some(180));
    assert!(!of(ScoreKind::Fix).met);
    assert_eq!(r.ended_at, at(14, 0));
    let shown = screen(&mut s, 120, 40);
    assert!(shown.contains("DRILL REVIEW"), "{shown}");
    assert!(shown.contains("4m00s (target 5m00s)"), "{shown}");
    assert!(shown.contains("scribe named"), "{shown}");
    // Once journaled, it is not journaled again.
    update(
        &mut s,
        Action::Entries {
            id: "INC-1".into(),
            entries: vec![entry(
                9,
                at(14, 0),
                "alice",
                Event::DrillReviewed { review: r.clone() },
            )],
        },
        at(14, 0),
    );
    s.modal = None;
    let again = resolve(&mut s);
    assert!(
        !appends(&again)
            .iter()
            .any(|e| matches!(e, Event::DrillReviewed { .. })),
        "{again:?}"
    );
}

#[test]
fn resolving_an_incident_that_is_no_drill_reviews_nothing() {
    let mut s = leading();
    let fx = resolve(&mut s);
    assert!(
        !appends(&fx)
            .iter()
            .any(|e| matches!(e, Event::DrillReviewed { .. })),
        "{fx:?}"
    );
    let shown = screen(&mut s, 120, 40);
    assert!(!shown.contains("DRILL REVIEW"), "{shown}");
}

#[test]
fn the_palette_review_shows_the_scores_so_far() {
    let mut s = drilling();
    press(&mut s, vec![key(KeyCode::Char(':'))]);
    type_text(&mut s, "review");
    press(&mut s, vec![key(KeyCode::Enter)]);
    assert!(matches!(&s.modal, Some(Modal::Detail(_))), "{:?}", s.modal);
    let shown = screen(&mut s, 120, 40);
    assert!(shown.contains("command taken"), "{shown}");
    assert!(shown.contains("30s (target 2m00s)"), "{shown}");
    // On an incident that is not the drill's, it says so.
    let mut s = leading();
    press(&mut s, vec![key(KeyCode::Char(':'))]);
    type_text(&mut s, "review");
    press(&mut s, vec![key(KeyCode::Enter)]);
    let shown = screen(&mut s, 120, 40);
    assert!(shown.contains("not a drill"), "{shown}");
}

fn day(d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, d, 15, 0, 0).unwrap()
}

/// A drill of `scenario` on `day`: command taken after `command` seconds, updates at the
/// given seconds, resolved after 25 minutes and reviewed.
fn drill(
    store: &FileStore,
    scenario: &str,
    start: DateTime<Utc>,
    command: i64,
    updates: &[i64],
) -> String {
    let mut j = store
        .create("sam", start, "Checkout errors", Severity::Sev2, None)
        .unwrap();
    j.append(
        "ann",
        start + Duration::seconds(command),
        Event::RoleAssigned {
            role: Role::Commander,
            person: "ann".into(),
        },
    )
    .unwrap();
    for u in updates {
        j.append(
            "ann",
            start + Duration::seconds(*u),
            Event::StatusUpdate {
                text: "Pricing | <b>rolling back</b>".into(),
            },
        )
        .unwrap();
    }
    let end = start + Duration::minutes(25);
    j.append("ann", end, Event::Resolved { summary: None })
        .unwrap();
    let entries: Vec<_> = j.records().iter().map(|r| r.entry.clone()).collect();
    let cadence = StatusCadence {
        per_severity: [Some(Duration::minutes(5)); 4],
    };
    let review = drill_review::review(
        &DrillSpec {
            scenario: scenario.into(),
            ..spec()
        },
        &cadence,
        &entries,
        end,
    );
    j.append("ann", end, Event::DrillReviewed { review })
        .unwrap();
    j.id().to_string()
}

#[test]
fn drill_review_exports_json_and_markdown_compared_with_the_last_drill_of_the_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "").unwrap();
    let store = FileStore::new(data.clone());
    // Two earlier drills of the scenario, one of another; then this one.
    drill(&store, "bad-deploy", day(2), 300, &[60, 360, 660, 960]);
    let last = drill(&store, "bad-deploy", day(9), 200, &[400, 700, 1000, 1300]);
    drill(&store, "dns-cache", day(10), 10, &[20]);
    let id = drill(&store, "bad-deploy", day(16), 60, &[240, 540, 840, 1320]);
    let run = |args: &[&str]| {
        support::cli::warroom(&data, &config, &[])
            .args(args)
            .output()
            .unwrap()
    };

    let out = run(&["drill", "review", &id, "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["incident"], id.as_str());
    assert_eq!(v["scenario"], "bad-deploy");
    let score = |k: &str| {
        v["scores"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["score"] == k)
            .unwrap()
            .clone()
    };
    assert_eq!(score("take_command")["seconds"], 60);
    assert_eq!(score("take_command")["vs_last_drill"], "better");
    assert_eq!(score("first_update")["seconds"], 240);
    assert_eq!(score("first_update")["vs_last_drill"], "better");
    assert_eq!(score("cadence")["kept"], 2);
    assert_eq!(score("cadence")["due"], 3);
    assert_eq!(score("cadence")["vs_last_drill"], "worse");
    assert_eq!(score("scribe")["met"], false);
    assert_eq!(score("scribe")["vs_last_drill"], "same");
    let previous: Vec<&str> = v["previous"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["incident"].as_str().unwrap())
        .collect();
    assert_eq!(
        previous.len(),
        2,
        "{previous:?}: the other scenario is left out"
    );
    assert_eq!(previous[1], last);

    let out = run(&["drill", "review", &id]);
    assert!(out.status.success());
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.starts_with("# Drill review: bad-deploy"), "{md}");
    assert!(
        md.contains("| ✓ | first status update | 4m00s (target 5m00s) |"),
        "{md}"
    );
    assert!(md.contains("kept 2 of 3"), "{md}");
    assert!(md.contains("## Earlier drills of bad-deploy"), "{md}");

    // To a file, and never into the data directory.
    let file = dir.path().join("review.json");
    let out = run(&[
        "drill",
        "review",
        &id,
        "--format",
        "json",
        "-o",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(written, v);
    let inside = data.join("review.md");
    let out = run(&["drill", "review", &id, "-o", inside.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("inside the data directory"));
    assert!(!inside.exists());
}

#[test]
fn drill_review_of_an_incident_without_one_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "").unwrap();
    let store = FileStore::new(data.clone());
    let j = store
        .create("sam", day(2), "Checkout errors", Severity::Sev2, None)
        .unwrap();
    let id = j.id().to_string();
    let out = support::cli::warroom(&data, &config, &[])
        .args(["drill", "review", &id])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{id} has no drill review")), "{err}");
    assert!(out.stdout.is_empty());
}
