//! `warroom report`: the figures over fifty incidents written through the real journal with a
//! fixed clock, each checked against the fixture's own rules (`support::report_fixture`), the
//! JSON and Markdown golden, empty and one-incident windows, the formats through the binary,
//! bad flags.

// The fixture's rules read as arithmetic on the incident number.
#![allow(clippy::manual_is_multiple_of)]

use crate::support::cli::{stderr, warroom};
use crate::support::report_fixture as fx;
use chrono::{DateTime, Duration, TimeZone, Utc};
use std::collections::BTreeMap;
use warroom::domain::{Severity, StatusCadence};
use warroom::report::{Facts, Figures, Filter, read_store};

fn since() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

fn filter() -> Filter {
    Filter {
        since: since(),
        until: fx::until(),
        severities: Vec::new(),
        services: Vec::new(),
        drills: false,
    }
}

fn facts(dir: &std::path::Path) -> Vec<Facts> {
    let store = fx::build(dir);
    let mut warnings = Vec::new();
    let facts = read_store(
        &store,
        &StatusCadence::default(),
        fx::until(),
        &mut warnings,
    )
    .unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    facts
}

fn counted() -> Vec<usize> {
    (0..fx::N).filter(|i| !fx::is_drill(*i)).collect()
}

fn worst(i: usize) -> Severity {
    if fx::escalates(i) {
        Severity::Sev1
    } else {
        fx::SEVERITIES[i % 4]
    }
}

fn id(i: usize) -> String {
    format!("INC-{}", i + 1)
}

/// Nearest rank, as a person computes it from a sorted list.
fn nearest(sorted: &[i64], p: usize) -> i64 {
    let r = (p * sorted.len()).div_ceil(100).max(1);
    sorted[r - 1]
}

fn end(i: usize) -> DateTime<Utc> {
    if fx::resolved(i) {
        fx::opened_at(i) + Duration::minutes(30 + i as i64)
    } else {
        fx::until()
    }
}

#[test]
fn fifty_incidents_give_every_figure_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let facts = facts(dir.path());
    assert_eq!(facts.len(), fx::N);
    let f = Figures::fold(&facts, &filter());
    let counted = counted();
    assert_eq!(f.incidents, 49);
    assert_eq!(f.drills_left_out, 1);
    assert_eq!(f.note, None);

    // Counts by severity and month.
    for c in &f.by_severity {
        let want = counted.iter().filter(|i| worst(**i) == c.severity).count();
        assert_eq!(c.incidents, want, "{:?}", c.severity);
    }
    let mut months: BTreeMap<String, usize> = BTreeMap::new();
    for i in &counted {
        *months
            .entry(fx::opened_at(*i).format("%Y-%m").to_string())
            .or_default() += 1;
    }
    let got: BTreeMap<String, usize> = f
        .by_month
        .iter()
        .map(|m| (m.month.clone(), m.total))
        .collect();
    assert_eq!(got, months);
    for m in &f.by_month {
        assert_eq!(m.sev1 + m.sev2 + m.sev3 + m.sev4, m.total);
    }

    // Response times per worst severity: median, p90 and the incidents at the extremes.
    for r in &f.response {
        let of: Vec<usize> = counted
            .iter()
            .copied()
            .filter(|i| worst(*i) == r.severity)
            .collect();
        assert_eq!(r.incidents, of.len());
        let check =
            |name: &str, got: &Option<warroom::report::Stat>, m: &dyn Fn(usize) -> Option<i64>| {
                let mut v: Vec<(i64, String)> =
                    of.iter().filter_map(|i| Some((m(*i)?, id(*i)))).collect();
                v.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
                let Some(s) = got else {
                    assert!(v.is_empty(), "{name} {:?}", r.severity);
                    return;
                };
                let secs: Vec<i64> = v.iter().map(|x| x.0).collect();
                assert_eq!(s.incidents, v.len(), "{name}");
                assert_eq!(
                    s.median_seconds,
                    nearest(&secs, 50),
                    "{name} {:?}",
                    r.severity
                );
                assert_eq!(s.p90_seconds, nearest(&secs, 90), "{name} {:?}", r.severity);
                assert_eq!(
                    (s.fastest.seconds, &s.fastest.incident),
                    (v[0].0, &v[0].1),
                    "{name}"
                );
                let last = v.last().unwrap();
                assert_eq!(
                    (s.slowest.seconds, &s.slowest.incident),
                    (last.0, &last.1),
                    "{name}"
                );
            };
        check("detect", &r.detect, &|i| {
            fx::has_alert(i).then(|| (i as i64 % 3 + 1) * 60)
        });
        check("engage", &r.engage, &|i| Some((i as i64 % 4 + 1) * 60));
        check("mitigate", &r.mitigate, &|i| {
            (i % 2 == 0).then(|| (20 + i as i64 % 7) * 60)
        });
        check("resolve", &r.resolve, &|i| {
            fx::resolved(i).then(|| (30 + i as i64) * 60)
        });
    }
    assert_eq!(f.response.len(), 4);

    // Time in each severity.
    let mut time: BTreeMap<Severity, i64> = BTreeMap::new();
    for i in &counted {
        let total = (end(*i) - fx::opened_at(*i)).num_seconds();
        if fx::escalates(*i) {
            *time.entry(fx::SEVERITIES[i % 4]).or_default() += 300;
            *time.entry(Severity::Sev1).or_default() += total - 300;
        } else {
            *time.entry(fx::SEVERITIES[i % 4]).or_default() += total;
        }
    }
    let got: BTreeMap<Severity, i64> = f
        .time_in_severity
        .iter()
        .map(|t| (t.severity, t.seconds))
        .collect();
    assert_eq!(got, time);

    // Services and root suspects: each incident's own service is its root suspect; web is
    // only ever at risk behind it.
    let web = f.services.iter().find(|s| s.service == "web").unwrap();
    assert_eq!(
        web.incidents,
        counted.iter().filter(|i| *i % 2 == 0).count()
    );
    assert_eq!(web.root_suspect_in, 0);
    for (k, name) in fx::SERVICES.iter().enumerate() {
        let s = f.services.iter().find(|s| s.service == *name).unwrap();
        let n = counted.iter().filter(|i| *i % 3 == k).count();
        assert_eq!((s.incidents, s.root_suspect_in), (n, n), "{name}");
        assert_eq!(s.root_suspects.len(), 1);
        assert_eq!(s.root_suspects[0].service, *name);
    }
    assert_eq!(f.services[0].service, "web", "most often affected first");

    // Status-update punctuality.
    let mut dues: Vec<(usize, bool, i64)> = Vec::new();
    for i in &counted {
        let t0 = fx::opened_at(*i);
        dues.push((*i, true, 0));
        let last = if i % 4 == 0 {
            dues.push((*i, false, 180));
            21
        } else {
            dues.push((*i, true, 0));
            17
        };
        let due = t0 + Duration::minutes(last + 10);
        if end(*i) > due {
            dues.push((*i, false, (end(*i) - due).num_seconds()));
        }
    }
    let p = &f.punctuality;
    let on_time = dues.iter().filter(|d| d.1).count();
    assert_eq!(
        (p.due, p.on_time, p.late),
        (dues.len(), on_time, dues.len() - on_time)
    );
    assert_eq!(
        p.on_time_percent,
        Some(((on_time * 200 + dues.len()) / (dues.len() * 2)) as u32)
    );
    let mut late: Vec<i64> = dues.iter().filter(|d| !d.1).map(|d| d.2).collect();
    late.sort();
    assert_eq!(p.median_late_seconds, Some(nearest(&late, 50)));
    let w = dues
        .iter()
        .filter(|d| !d.1)
        .max_by_key(|d| (d.2, std::cmp::Reverse(d.0)))
        .unwrap();
    let got = p.worst_late.as_ref().unwrap();
    assert_eq!((got.seconds, got.incident.clone()), (w.2, id(w.0)));
    assert_eq!(got.incident, "INC-49", "the open incident left overdue");
    for (k, name) in fx::COMMANDERS.iter().enumerate() {
        let c = p
            .per_commander
            .iter()
            .find(|c| c.commander == *name)
            .unwrap();
        let mine: Vec<&(usize, bool, i64)> = dues.iter().filter(|d| d.0 % 3 == k).collect();
        assert_eq!(c.due, mine.len(), "{name}");
        assert_eq!(c.on_time, mine.iter().filter(|d| d.1).count(), "{name}");
    }

    // Follow-ups: all open, oldest first, aged to the window's end.
    let fu = &f.follow_ups;
    let with: Vec<usize> = counted.iter().copied().filter(|i| i % 7 == 0).collect();
    assert_eq!((fu.total, fu.open, fu.closed), (with.len(), with.len(), 0));
    assert_eq!(fu.oldest_open.len(), 5);
    assert_eq!(fu.oldest_open[0].incident, "INC-1");
    assert_eq!(
        fu.oldest_open[0].age_seconds,
        (fx::until() - fx::opened_at(0) - Duration::minutes(29)).num_seconds()
    );

    // Alerts: the review where given, else whether the incident recorded action.
    for (k, name) in fx::ALERTS.iter().enumerate() {
        let a = f
            .alerts
            .iter()
            .find(|a| a.alert == format!("{name}{{service={}}}", fx::SERVICES[k]))
            .unwrap();
        let fired: Vec<usize> = counted
            .iter()
            .copied()
            .filter(|i| i % 3 == k && fx::has_alert(*i))
            .collect();
        let noise = fired
            .iter()
            .filter(|i| *i % 6 == 2 || (*i % 6 != 5 && *i % 2 == 1))
            .count();
        let reviewed = fired.iter().filter(|i| *i % 6 == 2 || *i % 6 == 5).count();
        assert_eq!(a.incidents, fired.len(), "{name}");
        assert_eq!(a.firings as usize, fired.len(), "{name}");
        assert_eq!(
            (a.actionable, a.noise, a.reviewed),
            (fired.len() - noise, noise, reviewed),
            "{name}"
        );
    }
    assert_eq!(f.missing_alerts.len(), 1);
    assert_eq!(f.missing_alerts[0].incident, "INC-11");

    insta::assert_snapshot!("report_fifty_json", f.json());
    insta::assert_snapshot!(
        "report_fifty_markdown",
        warroom::report::markdown::render(&f)
    );
}

#[test]
fn filters_drills_severity_and_service() {
    let dir = tempfile::tempdir().unwrap();
    let facts = facts(dir.path());
    let mut with_drills = filter();
    with_drills.drills = true;
    let f = Figures::fold(&facts, &with_drills);
    assert_eq!((f.incidents, f.drills_left_out), (50, 0));

    let mut sev1 = filter();
    sev1.severities = vec![Severity::Sev1];
    let f = Figures::fold(&facts, &sev1);
    assert_eq!(
        f.incidents,
        counted()
            .iter()
            .filter(|i| worst(**i) == Severity::Sev1)
            .count()
    );

    let mut db = filter();
    db.services = vec!["db".into()];
    let f = Figures::fold(&facts, &db);
    assert_eq!(
        f.incidents,
        counted().iter().filter(|i| *i % 3 == 2).count()
    );

    let mut window = filter();
    window.since = fx::opened_at(10);
    window.until = fx::opened_at(11);
    let f = Figures::fold(&facts, &window);
    assert_eq!(f.incidents, 1, "the window is [since, until)");
}

#[test]
fn empty_and_one_incident_windows_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let facts = facts(dir.path());
    let mut none = filter();
    none.since = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    none.until = Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap();
    let f = Figures::fold(&facts, &none);
    assert_eq!(f.incidents, 0);
    assert!(f.note.as_deref().unwrap().starts_with("No incidents"));
    assert!(f.response.is_empty());
    assert_eq!(f.punctuality.on_time_percent, None);
    let md = warroom::report::markdown::render(&f);
    assert!(md.contains("No incidents in this window"), "{md}");
    assert!(md.contains("No status update fell due."), "{md}");

    let mut one = filter();
    one.since = fx::opened_at(3);
    one.until = fx::opened_at(4);
    let f = Figures::fold(&facts, &one);
    assert_eq!(f.incidents, 1);
    assert!(f.note.as_deref().unwrap().starts_with("One incident"));
    let r = &f.response[0];
    let resolve = r.resolve.as_ref().unwrap();
    assert_eq!(
        (resolve.median_seconds, resolve.p90_seconds),
        (33 * 60, 33 * 60)
    );
    assert_eq!(resolve.slowest.incident, "INC-4");
}

fn run(data: &std::path::Path, args: &[&str]) -> std::process::Output {
    let config = data.parent().unwrap().join("config.toml");
    if !config.exists() {
        std::fs::write(&config, "").unwrap();
    }
    warroom(data, &config, &[])
        .arg("report")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_binary_writes_json_markdown_and_one_self_contained_html_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let facts = facts(&data);
    let window = ["--since", "2026-01-01", "--until", "2026-05-01"];
    let out = run(&data, &[&window[..], &["--format", "json"]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let want = Figures::fold(&facts, &filter()).json();
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim_end(), want);

    let out = run(&data, &window);
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(
        md.contains(r"alert on queue depth \<0> \| \*soon\*"),
        "{md}"
    );

    let html_path = dir.path().join("report.html");
    let out = run(
        &data,
        &[
            &window[..],
            &["--format", "html", "-o", html_path.to_str().unwrap()],
        ]
        .concat(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(
        html.contains(r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#)
    );
    assert!(
        html.contains("alert on queue depth &lt;0&gt; | *soon*"),
        "escaped for HTML"
    );
    assert!(!html.contains("<0>"));
    for outside in ["<script", "http://", "https://", "<link", "@import", "url("] {
        assert!(!html.contains(outside), "{outside} in the HTML");
    }
    assert!(html.contains("<!-- charts:"));

    // Never into the data directory.
    let inside = data.join("report.html");
    let out = run(&data, &["--format", "html", "-o", inside.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("inside the data directory"));
    assert!(!inside.exists());
}

#[test]
fn bad_flags_exit_2_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    for (args, flag) in [
        (&["--since", "yesterday"][..], "--since"),
        (&["--since", "5y"][..], "--since"),
        (&["--until", "2026-13-01"][..], "--until"),
        (
            &["--since", "2026-02-01", "--until", "2026-01-01"][..],
            "--since",
        ),
        (&["--format", "pdf"][..], "--format"),
        (&["--severity", "sev9"][..], "--severity"),
        (&["--service", ""][..], "--service"),
    ] {
        let out = run(&data, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(flag), "{args:?}: {}", stderr(&out));
    }
    let out = run(&data, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("No incidents in this window")
    );
}
