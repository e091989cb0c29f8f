//! The post-mortem draft of the checkout outage: every computed duration asserted exactly, the
//! Markdown and JSON pinned by golden snapshots, and the Markdown parsed back to check that it
//! renders as the sections and the timeline table it means to be.

use crate::postmortem_fixture;

use postmortem_fixture::*;
use pulldown_cmark::{Event as Md, HeadingLevel, Options, Parser, Tag, TagEnd};
use warroom::domain::{ExportFormat, ServiceState, Severity};
use warroom::postmortem::{self, Report};

/// The report borrows from the entries; each test gets its own copy, kept for the test run.
fn report() -> Report<'static> {
    Report::build(Vec::leak(entries()), &incident(), now())
}

fn markdown() -> String {
    postmortem::render(ExportFormat::Markdown, &entries(), &incident(), now()).0
}

fn json() -> String {
    postmortem::render(ExportFormat::Json, &entries(), &incident(), now()).0
}

#[test]
fn detection_engagement_mitigation_and_resolution_are_timed_from_the_log() {
    let r = report();
    // HighErrorRate started firing at 08:57:30; the incident was opened at 09:00:00.
    assert_eq!(r.detection.time_to_detect_seconds, Some(150));
    assert_eq!(
        r.detection.first_alert.as_ref().map(|a| a.name.as_str()),
        Some("HighErrorRate")
    );
    // alice became commander at 09:00:45.
    assert_eq!(r.detection.engaged_at, Some(t(9, 0, 45)));
    assert_eq!(r.detection.time_to_engage_seconds, Some(45));
    assert_eq!(
        r.detection.engaged_by.as_deref(),
        Some("alice assigned commander")
    );
    // R1 failed; R2 (flag-off) finished at 09:12:05 and was verified effective, before the
    // move to monitoring at 09:18:00.
    assert_eq!(r.response.mitigated_at, Some(t(9, 12, 5)));
    assert_eq!(r.response.time_to_mitigate_seconds, Some(12 * 60 + 5));
    assert_eq!(
        r.response.mitigated_by.as_deref(),
        Some("R2 flag-off (flag=checkout-tax-v2) verified effective")
    );
    assert_eq!(r.response.time_to_resolve_seconds, Some(40 * 60));
    assert_eq!(r.impact.duration_seconds, 40 * 60);
    let effective: Vec<(&str, bool)> = r
        .response
        .actions
        .iter()
        .map(|a| (a.run_id.as_str(), a.effective))
        .collect();
    assert_eq!(effective, vec![("R1", false), ("R2", true)]);
    assert_eq!(r.response.actions[0].outcome.as_deref(), Some("failed"));
    assert_eq!(r.response.actions[0].exit_code, Some(2));
}

#[test]
fn time_in_each_severity_adds_up_to_the_duration() {
    let r = report();
    let times: Vec<(Severity, i64)> = r
        .impact
        .time_in_severity
        .iter()
        .map(|t| (t.severity, t.seconds))
        .collect();
    // SEV2 09:00–09:02, SEV1 09:02–09:16, SEV2 09:16–09:40.
    assert_eq!(
        times,
        vec![
            (Severity::Sev1, 14 * 60),
            (Severity::Sev2, 2 * 60 + 24 * 60)
        ]
    );
    assert_eq!(r.impact.severity_periods.len(), 3);
    assert_eq!(r.highest_severity, Severity::Sev1);
    assert_eq!(r.opened_severity, Severity::Sev2);
    assert_eq!(r.severity, Severity::Sev2);
}

#[test]
fn each_service_is_affected_from_its_first_change_to_its_recovery() {
    let r = report();
    let services: Vec<(&str, bool, ServiceState, i64)> = r
        .impact
        .services
        .iter()
        .map(|s| {
            (
                s.service.as_str(),
                s.customer_facing,
                s.worst_state,
                s.affected_seconds,
            )
        })
        .collect();
    assert_eq!(
        services,
        vec![
            // down 09:02:30–09:13:00 (630 s), degraded 09:13:00–09:20:00 (420 s).
            ("checkout", true, ServiceState::Down, 630 + 420),
            // degraded 09:02:30–09:13:00.
            ("pricing", false, ServiceState::Degraded, 630),
        ]
    );
    assert_eq!(r.impact.services[0].recovered_at, Some(t(9, 20, 0)));
    let checkout: Vec<(ServiceState, i64)> = r.impact.services[0]
        .periods
        .iter()
        .map(|p| (p.state, p.seconds))
        .collect();
    assert_eq!(
        checkout,
        vec![(ServiceState::Down, 630), (ServiceState::Degraded, 420)]
    );
}

#[test]
fn alerts_responders_updates_and_follow_ups_are_all_there() {
    let r = report();
    let alerts: Vec<(&str, Option<String>)> = r
        .detection
        .alerts
        .iter()
        .map(|a| (a.name.as_str(), a.ends_at.map(|t| t.to_rfc3339())))
        .collect();
    assert_eq!(
        alerts,
        vec![
            ("HighErrorRate", Some("2026-11-21T09:20:00+00:00".into())),
            (
                "PricingLatencyHigh",
                Some("2026-11-21T09:14:30+00:00".into())
            ),
        ]
    );
    let commanders: Vec<(&str, Option<_>)> = r
        .responders
        .iter()
        .filter(|x| x.role == warroom::domain::Role::Commander)
        .map(|x| (x.person.as_str(), x.until))
        .collect();
    assert_eq!(
        commanders,
        vec![("alice", Some(t(9, 10, 0))), ("bob", None)]
    );
    assert_eq!(r.status_updates.len(), 2);
    assert_eq!(r.status_updates[0].deliveries.len(), 2);
    assert!(!r.status_updates[0].deliveries[1].ok);
    assert_eq!(r.follow_ups.len(), 3);
    // The earlier export and the deliveries are not timeline rows.
    assert!(
        r.timeline.iter().all(
            |row| row.type_name != "postmortem_exported" && row.type_name != "update_delivered"
        )
    );
    assert_eq!(r.timeline.len(), entries().len() - 4);
    assert!(!r.still_open);
}

#[test]
fn markdown_golden() {
    insta::assert_snapshot!("markdown", markdown());
}

#[test]
fn json_golden() {
    insta::assert_snapshot!("json", json());
}

#[test]
fn json_has_stable_snake_case_fields_seconds_and_utc_times() {
    let v: serde_json::Value = serde_json::from_str(&json()).unwrap();
    assert_eq!(v["format"], "warroom-postmortem");
    assert_eq!(v["version"], 1);
    assert_eq!(v["document_status"], "draft");
    assert_eq!(v["opened_at"], "2026-11-21T09:00:00Z");
    assert_eq!(v["detection"]["time_to_detect_seconds"], 150);
    assert_eq!(v["detection"]["time_to_engage_seconds"], 45);
    assert_eq!(v["response"]["time_to_mitigate_seconds"], 725);
    assert_eq!(v["response"]["time_to_resolve_seconds"], 2400);
    assert_eq!(v["impact"]["time_in_severity"][0]["severity"], "sev1");
    assert_eq!(v["impact"]["time_in_severity"][0]["seconds"], 840);
    assert_eq!(v["impact"]["services"][0]["affected_seconds"], 1050);
    assert_eq!(v["review"][0]["rule"], "person_failed");
    assert_eq!(v["review"][0]["seq"], 17);
    // Every key, however deep, is snake_case.
    fn keys(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    out.push(k.clone());
                    keys(v, out);
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|v| keys(v, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    keys(&v, &mut all);
    for k in all {
        // Parameter names inside `params` and alert labels are data, not fields.
        if ["version", "flag", "alertname", "service"].contains(&k.as_str()) {
            continue;
        }
        assert!(
            k.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "{k}"
        );
    }
}

/// Headings: (level, text).
type Headings = Vec<(HeadingLevel, String)>;
/// Tables: (header cells, cells in each body row).
type Tables = Vec<(Vec<String>, Vec<usize>)>;

/// Headings and tables as a CommonMark + tables parser sees them.
fn structure(md: &str) -> (Headings, Tables) {
    let mut headings = Vec::new();
    let mut tables = Vec::new();
    let mut heading: Option<(HeadingLevel, String)> = None;
    let mut header: Option<Vec<String>> = None;
    let mut in_head = false;
    let mut cell = String::new();
    let mut row_cells = 0;
    let mut rows: Vec<usize> = Vec::new();
    for ev in Parser::new_ext(md, Options::ENABLE_TABLES) {
        match ev {
            Md::Start(Tag::Heading { level, .. }) => heading = Some((level, String::new())),
            Md::End(TagEnd::Heading(_)) => headings.extend(heading.take()),
            Md::Start(Tag::Table(_)) => {
                header = Some(Vec::new());
                rows = Vec::new();
            }
            Md::Start(Tag::TableHead) => in_head = true,
            Md::End(TagEnd::TableHead) => in_head = false,
            Md::Start(Tag::TableRow) => row_cells = 0,
            Md::End(TagEnd::TableRow) => rows.push(row_cells),
            Md::Start(Tag::TableCell) => cell.clear(),
            Md::End(TagEnd::TableCell) => {
                row_cells += 1;
                if in_head && let Some(h) = header.as_mut() {
                    h.push(cell.trim().to_string());
                }
            }
            Md::End(TagEnd::Table) => {
                tables.push((header.take().unwrap_or_default(), rows.clone()))
            }
            Md::Text(t) | Md::Code(t) => {
                if let Some((_, h)) = heading.as_mut() {
                    h.push_str(&t);
                }
                cell.push_str(&t);
            }
            _ => {}
        }
    }
    (headings, tables)
}

#[test]
fn the_markdown_parses_into_the_template_sections_and_a_timeline_table() {
    let (headings, tables) = structure(&markdown());
    let h2: Vec<&str> = headings
        .iter()
        .filter(|(l, _)| *l == HeadingLevel::H2)
        .map(|(_, t)| t.as_str())
        .collect();
    assert_eq!(
        h2,
        vec![
            "Summary",
            "Impact",
            "Detection",
            "Response and recovery",
            "Timeline",
            "Status updates",
            "Decisions and hypotheses",
            "Trigger and root cause",
            "Contributing factors",
            "What went well",
            "What didn't go well",
            "Where we got lucky",
            "Action items",
            "Messaging drafts",
            "Review before sharing",
        ]
    );
    assert_eq!(
        headings[0],
        (
            HeadingLevel::H1,
            "INC-7 post-mortem: Checkout 500s".to_string()
        )
    );
    let timeline = tables
        .iter()
        .find(|(h, _)| h.first().map(String::as_str) == Some("Time (UTC)"))
        .expect("a timeline table");
    assert_eq!(timeline.0, vec!["Time (UTC)", "Event", "By"]);
    // Every row keeps three cells: the `|` in carol's hypothesis did not split one.
    assert!(timeline.1.iter().all(|n| *n == 3), "{:?}", timeline.1);
    assert_eq!(timeline.1.len(), report().timeline.len());
    for (header, rows) in &tables {
        assert!(
            rows.iter().all(|n| *n == header.len()),
            "{header:?}: {rows:?}"
        );
    }
}

#[test]
fn an_open_incident_is_a_draft_with_a_banner_and_durations_up_to_now() {
    // The first 20 entries: SEV1, identified, handoff to bob; nothing resolved yet.
    let open: Vec<_> = entries().into_iter().take(20).collect();
    let incident = warroom::domain::Incident::fold("INC-7", &open).unwrap();
    let now = t(9, 10, 30);
    let r = Report::build(&open, &incident, now);
    assert!(r.still_open);
    assert_eq!(r.impact.duration_seconds, 10 * 60 + 30);
    assert_eq!(r.response.time_to_resolve_seconds, None);
    assert_eq!(r.response.time_to_mitigate_seconds, None);
    // checkout and pricing have been affected since 09:02:30.
    assert_eq!(r.impact.services[0].affected_seconds, 8 * 60);
    let (md, _) = postmortem::render(ExportFormat::Markdown, &open, &incident, now);
    assert!(md.contains("**DRAFT — incident still open**"), "{md}");
    let (headings, _) = structure(&md);
    assert_eq!(headings[0].1, "INC-7 post-mortem: Checkout 500s");
}

#[test]
fn typed_text_cannot_break_the_document() {
    use warroom::domain::{Entry, Event, Incident, NoteKind, Severity};
    let nasty = "## not a heading\n| a | b |\n- not a list\n1. nor this\n<script>x</script> [link](javascript:x) `code` *em*";
    let entries = vec![
        Entry {
            seq: 1,
            at: t(9, 0, 0),
            by: "alice".into(),
            event: Event::Opened {
                title: "# Title | with pipes".into(),
                severity: Severity::Sev3,
                summary: None,
            },
        },
        Entry {
            seq: 2,
            at: t(9, 1, 0),
            by: "bob|<b>".into(),
            event: Event::Note {
                kind: NoteKind::Decision,
                text: nasty.into(),
            },
        },
        Entry {
            seq: 3,
            at: t(9, 2, 0),
            by: "alice".into(),
            event: Event::StatusUpdate { text: nasty.into() },
        },
    ];
    let incident = Incident::fold("INC-9", &entries).unwrap();
    let (md, _) = postmortem::render(ExportFormat::Markdown, &entries, &incident, t(9, 5, 0));
    let (headings, tables) = structure(&md);
    assert!(
        headings.iter().all(|(_, h)| h != "not a heading"),
        "{headings:?}"
    );
    for (header, rows) in &tables {
        assert!(
            rows.iter().all(|n| *n == header.len()),
            "{header:?}: {rows:?}\n{md}"
        );
    }
    // The typed text made no HTML, link, code span or list item of its own.
    for e in Parser::new_ext(&md, Options::ENABLE_TABLES) {
        match e {
            Md::Html(h) => panic!("HTML block {h:?}"),
            Md::InlineHtml(h) => assert_eq!(h.as_ref(), "<br>"),
            Md::Start(Tag::Link { dest_url, .. }) => panic!("link to {dest_url}"),
            Md::Code(c) => panic!("code span {c:?}"),
            _ => {}
        }
    }
    // Shown as typed, escaped: "1. nor this" keeps its number and dot, "- not a list" its dash.
    assert!(md.contains("1\\. nor this"), "{md}");
    assert!(md.contains("\\- not a list"), "{md}");
}

/// An outage as a real Alertmanager setup records it: `cart` (customer-facing, public name
/// "the shopping cart") and `ledger-db` (customer-facing, no public name) go down and are
/// still recorded down when the incident is resolved; `pricing` is internal.
#[test]
fn the_external_message_names_what_customers_know_and_ends_at_resolution() {
    use warroom::domain::{Entry, Event, Incident, ServiceChange};
    let change = |service: &str, to, facing, public: Option<&str>| ServiceChange {
        service: service.into(),
        from: ServiceState::Ok,
        to,
        customer_facing: facing,
        public_name: public.map(str::to_string),
        why: vec![],
        peak: None,
    };
    let events = vec![
        (
            t(13, 20, 0),
            Event::Opened {
                title: "ledger-db replication lag".into(),
                severity: Severity::Sev2,
                summary: None,
            },
        ),
        (
            t(13, 24, 0),
            Event::BlastRadiusChanged {
                changes: vec![
                    change("cart", ServiceState::Down, true, Some("the shopping cart")),
                    change("ledger-db", ServiceState::Degraded, true, None),
                    change("pricing", ServiceState::Down, false, None),
                ],
            },
        ),
        (
            t(13, 50, 0),
            Event::Resolved {
                summary: Some("ledger-db failed over.".into()),
            },
        ),
    ];
    let entries: Vec<Entry> = events
        .into_iter()
        .enumerate()
        .map(|(n, (at, event))| Entry {
            seq: n as u64 + 1,
            at,
            by: "alice".into(),
            event,
        })
        .collect();
    let incident = Incident::fold("INC-9", &entries).unwrap();
    let r = Report::build(&entries, &incident, t(14, 0, 0));
    let external = &r.messaging.external;
    assert_eq!(
        external,
        "Between 13:24 and 13:50 UTC on 2026-11-21, some customers could not use the shopping \
         cart; others saw errors or slow responses [where, in customers' words]. The issue is \
         resolved."
    );
    for internal in ["ledger-db", "pricing"] {
        assert!(!external.contains(internal), "{internal}: {external}");
    }
}
