//! The report as plain-text sections (a heading, sentences, a table), built once from
//! [`Figures`]; Markdown and HTML only escape and lay them out, so they say the same thing.

use super::{Figures, Stat, Worst};
use crate::postmortem::markdown::human;

pub struct Table {
    pub head: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

pub struct Section {
    pub title: &'static str,
    pub lines: Vec<String>,
    pub table: Option<Table>,
}

fn section(title: &'static str, lines: Vec<String>, table: Option<Table>) -> Section {
    Section {
        title,
        lines,
        table,
    }
}

fn named(w: &Worst) -> String {
    format!("{} ({})", human(w.seconds), w.incident)
}

fn stat_cells(s: &Option<Stat>) -> [String; 3] {
    match s {
        Some(s) => [
            human(s.median_seconds),
            human(s.p90_seconds),
            format!("{} – {}", named(&s.fastest), named(&s.slowest)),
        ],
        None => ["—".into(), "—".into(), "—".into()],
    }
}

/// The title line: `Incident report, 2026-01-01 to 2026-04-01`.
pub fn title(f: &Figures) -> String {
    format!(
        "Incident report, {} to {}",
        f.filter.since.format("%Y-%m-%d %H:%M UTC"),
        f.filter.until.format("%Y-%m-%d %H:%M UTC")
    )
}

/// What was counted, in one sentence.
pub fn scope(f: &Figures) -> String {
    let mut s = format!(
        "{} incident{} counted",
        f.incidents,
        if f.incidents == 1 { "" } else { "s" }
    );
    if !f.filter.severities.is_empty() {
        let sev: Vec<&str> = f.filter.severities.iter().map(|s| s.label()).collect();
        s.push_str(&format!(", worst severity {}", sev.join(" or ")));
    }
    if !f.filter.services.is_empty() {
        s.push_str(&format!(", touching {}", f.filter.services.join(" or ")));
    }
    if f.filter.drills {
        s.push_str(", drills included");
    } else if f.drills_left_out > 0 {
        s.push_str(&format!(", {} drill(s) left out", f.drills_left_out));
    }
    s.push('.');
    s
}

pub fn sections(f: &Figures) -> Vec<Section> {
    let mut out = Vec::new();
    out.push(section(
        "Incidents by severity",
        Vec::new(),
        Some(Table {
            head: vec!["Severity", "Incidents"],
            rows: f
                .by_severity
                .iter()
                .map(|c| vec![c.severity.label().to_string(), c.incidents.to_string()])
                .collect(),
        }),
    ));
    out.push(section(
        "Incidents by month",
        Vec::new(),
        (!f.by_month.is_empty()).then(|| Table {
            head: vec!["Month", "Total", "SEV1", "SEV2", "SEV3", "SEV4"],
            rows: f
                .by_month
                .iter()
                .map(|m| {
                    vec![
                        m.month.clone(),
                        m.total.to_string(),
                        m.sev1.to_string(),
                        m.sev2.to_string(),
                        m.sev3.to_string(),
                        m.sev4.to_string(),
                    ]
                })
                .collect(),
        }),
    ));
    let mut rows = Vec::new();
    for r in &f.response {
        for (what, s) in [
            ("detect", &r.detect),
            ("engage", &r.engage),
            ("mitigate", &r.mitigate),
            ("resolve", &r.resolve),
        ] {
            let [median, p90, range] = stat_cells(s);
            let n = s.as_ref().map_or(0, |s| s.incidents);
            rows.push(vec![
                r.severity.label().to_string(),
                what.to_string(),
                format!("{n} of {}", r.incidents),
                median,
                p90,
                range,
            ]);
        }
    }
    out.push(section(
        "Time to detect, engage, mitigate, resolve",
        vec![
            "By worst severity; from the first alert to the opening (detect) and from the \
             opening to the first commander (engage), the first effective action or \
             monitoring (mitigate), resolution (resolve). Fastest – slowest name their \
             incidents."
                .to_string(),
        ],
        (!rows.is_empty()).then(|| Table {
            head: vec![
                "Severity",
                "Time to",
                "Measured",
                "Median",
                "p90",
                "Fastest – slowest",
            ],
            rows,
        }),
    ));
    out.push(section(
        "Time in each severity",
        Vec::new(),
        (!f.time_in_severity.is_empty()).then(|| Table {
            head: vec!["Severity", "Time", "Incidents"],
            rows: f
                .time_in_severity
                .iter()
                .map(|t| {
                    vec![
                        t.severity.label().to_string(),
                        human(t.seconds),
                        t.incidents.to_string(),
                    ]
                })
                .collect(),
        }),
    ));
    out.push(section(
        "Services most often affected",
        if f.services.is_empty() {
            vec!["No service impact was recorded.".to_string()]
        } else {
            vec!["Root suspects: the services failing first in those incidents.".to_string()]
        },
        (!f.services.is_empty()).then(|| Table {
            head: vec!["Service", "Incidents", "Root suspect in", "Root suspects"],
            rows: f
                .services
                .iter()
                .map(|s| {
                    let suspects: Vec<String> = s
                        .root_suspects
                        .iter()
                        .map(|r| format!("{} ×{}", r.service, r.incidents))
                        .collect();
                    vec![
                        s.service.clone(),
                        s.incidents.to_string(),
                        s.root_suspect_in.to_string(),
                        suspects.join(", "),
                    ]
                })
                .collect(),
        }),
    ));
    let p = &f.punctuality;
    let mut lines = Vec::new();
    match p.on_time_percent {
        None => lines.push("No status update fell due.".to_string()),
        Some(pct) => {
            lines.push(format!(
                "{} of {} status updates due were on time ({pct}%); {} late, {} of them never \
                 posted before resolution.",
                p.on_time, p.due, p.late, p.missed
            ));
            if let (Some(m), Some(w)) = (p.median_late_seconds, &p.worst_late) {
                lines.push(format!(
                    "Lateness: median {}, worst {}.",
                    human(m),
                    named(w)
                ));
            }
        }
    }
    out.push(section(
        "Status-update punctuality",
        lines,
        (!p.per_commander.is_empty()).then(|| Table {
            head: vec!["Commander", "Due", "On time", "Median late", "Worst late"],
            rows: p
                .per_commander
                .iter()
                .map(|c| {
                    vec![
                        c.commander.clone(),
                        c.due.to_string(),
                        format!("{} ({}%)", c.on_time, c.on_time_percent),
                        c.median_late_seconds.map_or("—".into(), human),
                        c.worst_late.as_ref().map_or("—".into(), named),
                    ]
                })
                .collect(),
        }),
    ));
    let fu = &f.follow_ups;
    out.push(section(
        "Follow-ups",
        vec![format!(
            "{} follow-ups: {} open, {} closed{}.",
            fu.total,
            fu.open,
            fu.closed,
            fu.median_open_age_seconds
                .map_or(String::new(), |a| format!(
                    "; open ones median age {}",
                    human(a)
                ))
                + &fu
                    .median_closed_age_seconds
                    .map_or(String::new(), |a| format!(
                        "; closed ones closed after {} (median)",
                        human(a)
                    ))
        )],
        (!fu.oldest_open.is_empty()).then(|| Table {
            head: vec!["Oldest open", "Kind", "Owner", "Age", "Follow-up"],
            rows: fu
                .oldest_open
                .iter()
                .map(|o| {
                    vec![
                        format!("{} #{}", o.incident, o.seq),
                        o.kind.to_string(),
                        o.owner.clone().unwrap_or_else(|| "—".into()),
                        human(o.age_seconds),
                        o.text.clone(),
                    ]
                })
                .collect(),
        }),
    ));
    out.push(section(
        "Alerts: signal and noise",
        if f.alerts.is_empty() {
            vec!["No alert fired in these incidents.".to_string()]
        } else {
            vec![
                "Actionable: the review said so, or (not reviewed) the incident recorded action. \
                 Noise: the review said so, or nothing was done."
                    .to_string(),
            ]
        },
        (!f.alerts.is_empty()).then(|| Table {
            head: vec![
                "Alert",
                "Incidents",
                "Firings",
                "Actionable",
                "Noise",
                "Reviewed",
                "Signal",
            ],
            rows: f
                .alerts
                .iter()
                .map(|a| {
                    vec![
                        a.alert.clone(),
                        a.incidents.to_string(),
                        a.firings.to_string(),
                        a.actionable.to_string(),
                        a.noise.to_string(),
                        a.reviewed.to_string(),
                        format!("{}%", a.signal_percent),
                    ]
                })
                .collect(),
        }),
    ));
    if !f.missing_alerts.is_empty() {
        out.push(section(
            "Missing alerts",
            vec!["Alerts that should have fired and did not.".to_string()],
            Some(Table {
                head: vec!["Incident", "What should have fired"],
                rows: f
                    .missing_alerts
                    .iter()
                    .map(|m| vec![m.incident.clone(), m.text.clone()])
                    .collect(),
            }),
        ));
    }
    out
}
