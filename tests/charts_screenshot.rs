//! The HTML report with its charts (incidents per month by severity, time to resolve per
//! month) embedded as SVG, rendered by headless Chromium: the screenshot is a real picture
//! (its size, most of it not blank, the charts' Okabe-Ito fills among its colours).

// The fixture's rules read as arithmetic on the incident number.
#![allow(clippy::manual_is_multiple_of)]

use crate::support::chromium;
use crate::support::report_fixture as fx;
use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use std::collections::BTreeMap;
use warroom::charts::{MonthCount, MonthResolve, incidents_per_month_svg, time_to_resolve_svg};
use warroom::domain::{Severity, StatusCadence};
use warroom::report::{Figures, Filter, read_store};

fn month_of(label: &str) -> NaiveDate {
    NaiveDate::parse_from_str(&format!("{label}-01"), "%Y-%m-%d")
        .unwrap_or_else(|e| panic!("month {label:?}: {e}"))
}

/// The report's charts, from its figures and the fixture's own resolution times.
fn charts(figures: &Figures) -> String {
    let counts: Vec<MonthCount> = figures
        .by_month
        .iter()
        .map(|m| MonthCount {
            month: month_of(&m.month),
            counts: BTreeMap::from([
                (Severity::Sev1, m.sev1 as u32),
                (Severity::Sev2, m.sev2 as u32),
                (Severity::Sev3, m.sev3 as u32),
                (Severity::Sev4, m.sev4 as u32),
            ]),
        })
        .collect();
    // Resolved at +(30 + i) minutes; nearest rank for the median and the 90th percentile.
    let mut minutes: BTreeMap<NaiveDate, Vec<i64>> = BTreeMap::new();
    for i in (0..fx::N).filter(|i| !fx::is_drill(*i)) {
        let opened = fx::opened_at(i);
        let month = NaiveDate::from_ymd_opt(opened.year(), opened.month(), 1).unwrap();
        let slot = minutes.entry(month).or_default();
        if fx::resolved(i) {
            slot.push(30 + i as i64);
        }
    }
    let rank = |v: &[i64], p: f64| -> Option<chrono::Duration> {
        let n = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len().max(1));
        v.get(n - 1).map(|m| chrono::Duration::minutes(*m))
    };
    let resolves: Vec<MonthResolve> = minutes
        .into_iter()
        .map(|(month, mut v)| {
            v.sort();
            MonthResolve {
                month,
                median: rank(&v, 0.5),
                p90: rank(&v, 0.9),
                resolved: v.len() as u32,
            }
        })
        .collect();
    incidents_per_month_svg(&counts).unwrap() + &time_to_resolve_svg(&resolves).unwrap()
}

#[test]
fn the_html_report_with_its_charts_renders_in_chromium_as_a_real_picture() {
    let Some(binary) = chromium::find() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = fx::build(&dir.path().join("data"));
    let mut warnings = Vec::new();
    let facts = read_store(
        &store,
        &StatusCadence::default(),
        fx::until(),
        &mut warnings,
    )
    .unwrap();
    let filter = Filter {
        since: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        until: fx::until(),
        severities: Vec::new(),
        services: Vec::new(),
        drills: false,
    };
    let figures = Figures::fold(&facts, &filter);
    assert!(figures.by_month.len() >= 3, "{:?}", figures.by_month);
    let html = warroom::report::html::render_with(&figures, Some(&charts(&figures)));
    assert_eq!(html.matches("<svg").count(), 2);
    let page = dir.path().join("report.html");
    std::fs::write(&page, &html).unwrap();
    let png = dir.path().join("report.png");

    chromium::screenshot(&binary, &page, &png, 1000, 1400);

    let bytes = std::fs::metadata(&png).unwrap().len();
    assert!(
        bytes > 20_000,
        "a screenshot of {bytes} bytes is next to empty"
    );
    let pic = chromium::look(&png);
    assert_eq!((pic.width, pic.height), (1000, 1400));
    let share = pic.not_white as f64 / f64::from(pic.width * pic.height);
    assert!(
        share > 0.05,
        "only {:.1} % of the page is not white",
        share * 100.0
    );
    assert!(pic.colours.len() > 50, "{} colours", pic.colours.len());
    // The stacked bars' fills, as drawn: SEV1 vermillion, SEV2 orange, SEV3 sky blue.
    for (name, rgb) in [
        ("vermillion", [0xD5, 0x5E, 0x00]),
        ("orange", [0xE6, 0x9F, 0x00]),
        ("sky blue", [0x56, 0xB4, 0xE9]),
    ] {
        assert!(
            pic.colours.contains(&rgb),
            "no {name} pixel in the screenshot"
        );
    }
}
