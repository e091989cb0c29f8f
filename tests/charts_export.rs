//! `warroom export ID -o pm.md` writes the impact chart beside the draft (`pm-impact.svg`) and
//! links it, from the journal alone: the SVG parses, each milestone's label stands at the x
//! the chart's time axis gives its time, and a stretch without a reading is a gap.

use crate::common::{Ran, run, warroom};
use chrono::{DateTime, TimeZone, Utc};
use std::collections::BTreeMap;
use std::path::Path;
use warroom::domain::{
    ActionOutcome, Event, MetricPeak, ServiceChange, ServiceState, Severity, VerifyResult,
};
use warroom::journal::{FileStore, Journal};

pub(crate) fn t(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 14, h, m, 0).unwrap()
}

fn change(
    service: &str,
    from: ServiceState,
    to: ServiceState,
    why: &[&str],
    peak: Option<(f64, DateTime<Utc>)>,
) -> ServiceChange {
    ServiceChange {
        service: service.into(),
        from,
        to,
        customer_facing: service == "checkout",
        public_name: None,
        why: why.iter().map(|w| w.to_string()).collect(),
        peak: peak.map(|(value, at)| MetricPeak {
            metric: "error ratio".into(),
            value,
            at,
        }),
    }
}

/// The milestones the chart must mark, as (time, label).
pub(crate) const MILESTONES: [((u32, u32), &str); 6] = [
    ((10, 0), "opened SEV2"),
    ((10, 5), "SEV2 → SEV1"),
    ((10, 10), "ran restart-api"),
    ((10, 13), "restart-api effective"),
    ((10, 20), "status update"),
    ((10, 45), "resolved"),
];

/// An incident through the real journal with a fixed clock: checkout degraded then down
/// (its error ratio read at each change, a peak recorded when it got better), back to ok at
/// 10:25 with no reading, degraded again at 10:35; cart affected only through checkout, with
/// no reading; an action run and verified, a status update, resolved at 10:45.
pub(crate) fn incident_with_readings(data: &Path) -> String {
    use ServiceState::{Degraded, Down, Ok};
    let store = FileStore::new(data);
    let mut j = store
        .create("alice", t(10, 0), "Checkout errors", Severity::Sev2, None)
        .unwrap();
    let events = [
        (
            t(10, 3),
            Event::BlastRadiusChanged {
                changes: vec![
                    change(
                        "checkout",
                        Ok,
                        Degraded,
                        &["error ratio 0.0800 > 0.0500 (degraded)"],
                        None,
                    ),
                    change(
                        "cart",
                        Ok,
                        Degraded,
                        &["depends on checkout (degraded)"],
                        None,
                    ),
                ],
            },
        ),
        (
            t(10, 5),
            Event::SeverityChanged {
                from: Severity::Sev2,
                to: Severity::Sev1,
            },
        ),
        (
            t(10, 8),
            Event::BlastRadiusChanged {
                changes: vec![change(
                    "checkout",
                    Degraded,
                    Down,
                    &[
                        "alert HighErrorRate (critical)",
                        "error ratio 0.3100 > 0.2000 (down)",
                    ],
                    None,
                )],
            },
        ),
        (
            t(10, 10),
            Event::ActionStarted {
                run_id: "r1".into(),
                action: "restart-api".into(),
                params: BTreeMap::new(),
                dry_run: false,
                command: "systemctl restart api".into(),
            },
        ),
        (
            t(10, 11),
            Event::ActionFinished {
                run_id: "r1".into(),
                action: "restart-api".into(),
                outcome: ActionOutcome::Succeeded,
                exit_code: Some(0),
                http_status: None,
                duration_ms: 900,
                output_tail: String::new(),
            },
        ),
        (
            t(10, 13),
            Event::ActionVerified {
                run_id: "r1".into(),
                action: "restart-api".into(),
                result: VerifyResult::Effective,
                detail: "error ratio under 0.05".into(),
            },
        ),
        (
            t(10, 15),
            Event::BlastRadiusChanged {
                changes: vec![change(
                    "checkout",
                    Down,
                    Degraded,
                    &["error ratio 0.1200 > 0.0500 (degraded)"],
                    Some((0.42, t(10, 9))),
                )],
            },
        ),
        (
            t(10, 20),
            Event::StatusUpdate {
                text: "Checkout recovering after a restart".into(),
            },
        ),
        (
            t(10, 25),
            Event::BlastRadiusChanged {
                changes: vec![
                    change("checkout", Degraded, Ok, &[], Some((0.15, t(10, 16)))),
                    change("cart", Degraded, Ok, &[], None),
                ],
            },
        ),
        (
            t(10, 35),
            Event::BlastRadiusChanged {
                changes: vec![change(
                    "checkout",
                    Ok,
                    Degraded,
                    &["error ratio 0.0900 > 0.0500 (degraded)"],
                    None,
                )],
            },
        ),
        (
            t(10, 40),
            Event::BlastRadiusChanged {
                changes: vec![change("checkout", Degraded, Ok, &[], None)],
            },
        ),
        (
            t(10, 45),
            Event::Resolved {
                summary: Some("restarted".into()),
            },
        ),
    ];
    for (at, event) in events {
        j.append("alice", at, event).unwrap();
    }
    j.id().to_string()
}

/// The chart the library draws for the incident, from the same journal: its time axis is
/// what the exported file's x positions must follow.
pub(crate) fn library_chart(data: &Path, id: &str) -> warroom::charts::ImpactSvg {
    let j = FileStore::new(data).open(id).unwrap();
    let chart =
        warroom::postmortem::impact::impact_chart(j.records(), j.incident().unwrap(), t(12, 0))
            .expect("the journal holds readings");
    warroom::charts::impact_svg(&chart).unwrap()
}

fn export(data: &Path, id: &str, out: &Path, extra: &[&str]) -> Ran {
    run({
        let mut c = warroom(data, "alice");
        c.args(["export", id, "-o", out.to_str().unwrap()])
            .args(extra);
        c
    })
}

fn attr(n: roxmltree::Node, name: &str) -> f64 {
    n.attribute(name)
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

fn points(n: roxmltree::Node) -> Vec<(f64, f64)> {
    n.attribute("points")
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| {
            let (x, y) = p.split_once(',')?;
            Some((x.parse().ok()?, y.parse().ok()?))
        })
        .collect()
}

#[test]
fn the_export_writes_the_impact_chart_beside_the_draft_with_milestones_where_they_happened() {
    let data = tempfile::tempdir().unwrap();
    let id = incident_with_readings(data.path());
    let out_dir = tempfile::tempdir().unwrap();
    let md = out_dir.path().join("pm.md");
    let ran = export(data.path(), &id, &md, &[]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);

    let draft = std::fs::read_to_string(&md).unwrap();
    assert!(
        draft.contains("](<pm-impact.svg>)"),
        "the draft links the chart: {draft}"
    );
    let svg = std::fs::read_to_string(out_dir.path().join("pm-impact.svg"))
        .expect("pm-impact.svg beside pm.md");
    let doc = roxmltree::Document::parse(&svg).expect("the chart parses as XML");
    let texts: Vec<(String, roxmltree::Node)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| Some((n.text()?.trim().to_string(), n)))
        .collect();
    assert!(
        texts
            .iter()
            .any(|(t, _)| t == "checkout — error ratio (times UTC)"),
        "the most affected service (down, longest) and its key metric"
    );

    let axis = library_chart(data.path(), &id).axis;
    let px = axis.pixels();
    let mut last_x = i32::MIN;
    for ((h, m), label) in MILESTONES {
        let x = axis.x_of(t(h, m));
        assert!(px.contains(&x) && x > last_x, "{label} at {x} in {px:?}");
        last_x = x;
        let (_, node) = texts
            .iter()
            .find(|(t, _)| t == label)
            .unwrap_or_else(|| panic!("no label {label:?}"));
        assert_eq!(attr(*node, "x"), f64::from(x), "{label}");
    }
    // Ten minutes are the same width wherever they are.
    let ten = axis.x_of(t(10, 10)) - axis.x_of(t(10, 0));
    assert!((axis.x_of(t(10, 40)) - axis.x_of(t(10, 30)) - ten).abs() <= 1);

    // The line: 10:03, 10:08, the peak at 10:09, 10:15, the peak at 10:16, then nothing
    // recorded from 10:25 (back to ok) to the reading at 10:35, a dot on its own.
    let runs: Vec<Vec<(f64, f64)>> = doc
        .descendants()
        .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke-width") == Some("2"))
        .map(points)
        .filter(|p| p.iter().any(|q| q.0 != p[0].0))
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let xs: Vec<f64> = runs[0].iter().map(|p| p.0).collect();
    let want: Vec<f64> = [t(10, 3), t(10, 8), t(10, 9), t(10, 15), t(10, 16)]
        .iter()
        .map(|w| f64::from(axis.x_of(*w)))
        .collect();
    assert_eq!(xs, want);
    let (gap_from, gap_until) = (axis.x_of(t(10, 25)), axis.x_of(t(10, 35)));
    // Nothing of the metric's ink (black, two pixels) in the gap but a milestone's line.
    let ink = |n: &roxmltree::Node| {
        n.has_tag_name("polyline")
            && n.attribute("stroke") == Some("#000000")
            && n.attribute("stroke-width") == Some("2")
    };
    for n in doc.descendants().filter(ink) {
        for (x, _) in points(n) {
            let x = x as i32;
            let milestone = MILESTONES
                .iter()
                .any(|((h, m), _)| axis.x_of(t(*h, *m)) == x);
            assert!(
                milestone || x <= gap_from || x >= gap_until,
                "something drawn at x={x}, in the gap {gap_from}..{gap_until}"
            );
        }
    }
    let lone = doc
        .descendants()
        .any(|n| n.has_tag_name("circle") && attr(n, "cx") == f64::from(axis.x_of(t(10, 35))));
    assert!(lone, "the reading at 10:35 is drawn as a dot");
}

#[test]
fn no_reading_no_chart_and_json_has_none() {
    let data = tempfile::tempdir().unwrap();
    let store = FileStore::new(data.path());
    let mut j = store
        .create("alice", t(10, 0), "Slow search", Severity::Sev3, None)
        .unwrap();
    j.append("alice", t(10, 30), Event::Resolved { summary: None })
        .unwrap();
    let id = j.id().to_string();
    let out_dir = tempfile::tempdir().unwrap();
    let md = out_dir.path().join("pm.md");
    let ran = export(data.path(), &id, &md, &[]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert!(!std::fs::read_to_string(&md).unwrap().contains(".svg"));
    assert!(!out_dir.path().join("pm-impact.svg").exists());

    let id = incident_with_readings(data.path());
    let json = out_dir.path().join("pm.json");
    let ran = export(data.path(), &id, &json, &["--format", "json"]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert!(!out_dir.path().join("pm-impact.svg").exists());
}

#[test]
fn the_chart_is_never_written_into_the_data_directory() {
    let data = tempfile::tempdir().unwrap();
    let id = incident_with_readings(data.path());
    let md = data.path().join("pm.md");
    let ran = export(data.path(), &id, &md, &[]);
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("inside the data directory"),
        "{}",
        ran.stderr
    );
    assert!(!data.path().join("pm-impact.svg").exists());
    assert!(!md.exists());
}
