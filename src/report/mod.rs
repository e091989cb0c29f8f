//! The report across incidents (`warroom report`, the console's `:report`): a pure fold of
//! many incidents' facts ([`facts::Facts`], read with the post-mortem's measures) into the
//! figures a review of the last months needs. Time is a parameter (`until`, the window's
//! end, stands for now), so the same incidents give the same report. [`markdown`], [`html`]
//! and [`json`] render one [`Figures`] value.

pub mod facts;
mod figures;
pub mod html;
pub mod markdown;
mod sections;

pub use facts::{AlertFact, Facts, FollowUpFact, is_drill};
pub use figures::{
    AlertFigure, CommanderFigure, FollowUpFigures, MonthCount, OpenFollowUp, Punctuality,
    ResponseFigure, ServiceFigure, SeverityCount, Stat, SuspectCount, WeekFigure, Worst,
};

use crate::domain::Severity;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Names the document in JSON.
pub const FORMAT_NAME: &str = "warroom-report";
/// Bumped only when a field changes meaning or goes away.
pub const FORMAT_VERSION: u32 = 1;

/// Which incidents the report counts: opened in `[since, until)`, of these worst severities
/// (none: all), touching one of these services (none: all); drills only when asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Filter {
    #[serde(serialize_with = "figures::time")]
    pub since: DateTime<Utc>,
    #[serde(serialize_with = "figures::time")]
    pub until: DateTime<Utc>,
    pub severities: Vec<Severity>,
    pub services: Vec<String>,
    pub drills: bool,
}

impl Filter {
    /// The last `days` days up to `now`, every severity and service, no drills.
    pub fn last_days(now: DateTime<Utc>, days: i64) -> Filter {
        Filter {
            since: now - chrono::Duration::days(days),
            until: now,
            severities: Vec::new(),
            services: Vec::new(),
            drills: false,
        }
    }

    /// Whether `f` is counted; drills left out are told apart by the caller.
    fn window(&self, f: &Facts) -> bool {
        f.opened_at >= self.since
            && f.opened_at < self.until
            && (self.severities.is_empty() || self.severities.contains(&f.severity))
            && (self.services.is_empty() || self.services.iter().any(|s| f.touches(s)))
    }
}

/// Everything the report says. Field names are the JSON contract: snake_case, durations in
/// whole seconds, times RFC 3339 in UTC, shares as whole percents.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    pub format: &'static str,
    pub version: u32,
    pub filter: Filter,
    /// Incidents counted.
    pub incidents: usize,
    /// Drills in the window left out (0 with `--drills`).
    pub drills_left_out: usize,
    /// What the numbers can and cannot say: no incidents, or only one.
    pub note: Option<String>,
    pub by_severity: Vec<SeverityCount>,
    pub by_month: Vec<MonthCount>,
    /// Time to resolve (median, p90) of the incidents opened each month.
    pub resolve_by_month: Vec<figures::MonthResolve>,
    /// Time to detect, engage, mitigate, resolve, per worst severity.
    pub response: Vec<ResponseFigure>,
    /// Total time spent at each severity.
    pub time_in_severity: Vec<figures::SeverityTime>,
    /// Services most often affected, with the root suspects of those incidents.
    pub services: Vec<ServiceFigure>,
    pub punctuality: Punctuality,
    pub follow_ups: FollowUpFigures,
    /// Incidents and the median time to resolve, week by week (at most 60 weeks).
    pub weekly: Vec<figures::WeekFigure>,
    /// Alerts that fired, most often first, and how often each led to action or was noise.
    pub alerts: Vec<AlertFigure>,
    /// Alerts that should have fired and did not, by incident.
    pub missing_alerts: Vec<figures::Missing>,
}

impl Figures {
    /// The report over `facts` (any order), for `filter`.
    pub fn fold<'a>(facts: impl IntoIterator<Item = &'a Facts>, filter: &Filter) -> Figures {
        let mut counted: Vec<&Facts> = Vec::new();
        let mut drills = 0;
        for f in facts {
            if !filter.window(f) {
                continue;
            }
            if f.drill && !filter.drills {
                drills += 1;
                continue;
            }
            counted.push(f);
        }
        counted.sort_by(|a, b| (a.opened_at, &a.id).cmp(&(b.opened_at, &b.id)));
        figures::fold(&counted, filter.clone(), drills)
    }

    pub fn json(&self) -> String {
        // A derived Serialize over strings, numbers and enums cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_string())
    }
}

/// The facts of every incident in `store` (one that cannot be read is skipped, with a
/// warning naming it), as of `until`.
///
/// Each incident's facts are kept beside its journal (`Store::kept`: the data directory's
/// `kept-report.json`, keyed like `list`'s summary by the journal's file and head) and read
/// from there while the journal stands as it was, so a report does not read the journals of
/// incidents that did not change. Beyond the journal, facts depend on the status-update
/// cadence and, for an incident still open, on `until`: both are the kept value's tag, so a
/// resolved incident's facts answer every report with the same cadence, an open one's only
/// the same `until`. PostgreSQL folds every journal read whole.
pub fn read_store(
    store: &dyn crate::journal::Store,
    cadence: &crate::domain::StatusCadence,
    until: DateTime<Utc>,
    warnings: &mut Vec<String>,
) -> Result<Vec<Facts>, crate::journal::JournalError> {
    let settled = format!(
        "facts {} cadence {:?}",
        facts::FACTS_FORMAT,
        cadence
            .per_severity
            .map(|d| d.map(|d| (d.num_seconds(), d.subsec_nanos())))
    );
    let tags = [
        settled.clone(),
        format!("{settled} until {}", until.to_rfc3339()),
    ];
    let fold = |records: &[crate::journal::Record], i: &crate::domain::Incident| {
        let facts = Facts::of(records, i, cadence, until);
        let tag = if i.resolved_at.is_some() {
            &tags[0]
        } else {
            &tags[1]
        };
        Some((tag.clone(), serde_json::to_string(&facts).ok()?))
    };
    let kept = crate::journal::KeptFold {
        name: "report",
        tags: &tags,
        fold: &fold,
    };
    let mut out = Vec::new();
    for id in store.ids()? {
        match store.kept(&id, &kept) {
            Ok((value, w)) => {
                warnings.extend(w);
                let Some(value) = value else { continue };
                match serde_json::from_str(&value) {
                    Ok(facts) => out.push(facts),
                    // Only a value this build wrote answers, so this is not met; were it,
                    // the journal read whole still gives the facts.
                    Err(_) => match store.open(&id) {
                        Ok(mut j) => {
                            warnings.extend(j.take_warnings());
                            if let Some(i) = j.incident() {
                                out.push(Facts::of(j.records(), i, cadence, until));
                            }
                        }
                        Err(e) => warnings.push(format!("{id}: {e}")),
                    },
                }
            }
            Err(e) => warnings.push(format!("{id}: {e}")),
        }
    }
    Ok(out)
}

/// The report's two charts as SVG (`crate::charts`): incidents per month by severity and
/// time to resolve per month; none without a month to draw, or when drawing failed.
pub fn charts_svg(f: &Figures) -> Option<String> {
    use crate::charts;
    let first_day =
        |m: &str| chrono::NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").ok();
    if f.by_month.is_empty() {
        return None;
    }
    let counts: Vec<charts::MonthCount> = f
        .by_month
        .iter()
        .filter_map(|m| {
            let counts = [
                (Severity::Sev1, m.sev1),
                (Severity::Sev2, m.sev2),
                (Severity::Sev3, m.sev3),
                (Severity::Sev4, m.sev4),
            ]
            .into_iter()
            .map(|(s, n)| (s, u32::try_from(n).unwrap_or(u32::MAX)))
            .collect();
            Some(charts::MonthCount {
                month: first_day(&m.month)?,
                counts,
            })
        })
        .collect();
    let resolves: Vec<charts::MonthResolve> = f
        .resolve_by_month
        .iter()
        .filter_map(|m| {
            Some(charts::MonthResolve {
                month: first_day(&m.month)?,
                median: m.median_seconds.map(chrono::Duration::seconds),
                p90: m.p90_seconds.map(chrono::Duration::seconds),
                resolved: u32::try_from(m.resolved).unwrap_or(u32::MAX),
            })
        })
        .collect();
    let a = charts::incidents_per_month_svg(&counts).ok()?;
    let b = charts::time_to_resolve_svg(&resolves).ok()?;
    Some(format!(
        "<figure>{a}<figcaption>Incidents per month, by severity</figcaption></figure>\n\
         <figure>{b}<figcaption>Time to resolve per month</figcaption></figure>\n"
    ))
}
