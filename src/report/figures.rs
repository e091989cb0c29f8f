//! The fold itself: counts, medians and 90th percentiles (nearest rank, so every figure is
//! some incident's own value and can be named), shares in whole percents.

use super::{FORMAT_NAME, FORMAT_VERSION, Facts, Figures, Filter};
use crate::domain::{AlertVerdict, Severity};
use chrono::{DateTime, Datelike, SecondsFormat, Utc};
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeverityCount {
    pub severity: Severity,
    pub incidents: usize,
}

/// Incidents opened in one month (`2026-03`), by worst severity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthCount {
    pub month: String,
    pub total: usize,
    pub sev1: usize,
    pub sev2: usize,
    pub sev3: usize,
    pub sev4: usize,
}

/// How long the incidents opened in one month took to resolve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthResolve {
    pub month: String,
    pub resolved: usize,
    pub median_seconds: Option<i64>,
    pub p90_seconds: Option<i64>,
}

/// One incident's value, named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Worst {
    pub incident: String,
    pub seconds: i64,
}

/// A distribution of one measure over the incidents that have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stat {
    /// Incidents with a value (an open incident has no time to resolve).
    pub incidents: usize,
    pub median_seconds: i64,
    pub p90_seconds: i64,
    pub fastest: Worst,
    pub slowest: Worst,
}

/// Time to detect, engage, mitigate, resolve for the incidents of one worst severity; a
/// measure no incident has is none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResponseFigure {
    pub severity: Severity,
    pub incidents: usize,
    pub detect: Option<Stat>,
    pub engage: Option<Stat>,
    pub mitigate: Option<Stat>,
    pub resolve: Option<Stat>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeverityTime {
    pub severity: Severity,
    pub seconds: i64,
    /// Incidents that spent any time at it.
    pub incidents: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuspectCount {
    pub service: String,
    pub incidents: usize,
}

/// A service and the incidents that affected it, with the root suspects of those incidents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceFigure {
    pub service: String,
    pub incidents: usize,
    /// Incidents in which it was itself the root suspect.
    pub root_suspect_in: usize,
    pub root_suspects: Vec<SuspectCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommanderFigure {
    /// `(no commander)` for updates due while nobody held the role.
    pub commander: String,
    pub due: usize,
    pub on_time: usize,
    pub on_time_percent: u32,
    pub median_late_seconds: Option<i64>,
    pub worst_late: Option<Worst>,
}

/// Whether the status-update cadence was kept: every update that fell due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Punctuality {
    pub due: usize,
    pub on_time: usize,
    pub late: usize,
    /// Of those late, none was posted before the incident resolved (or the window ended).
    pub missed: usize,
    pub on_time_percent: Option<u32>,
    /// Over the late ones.
    pub median_late_seconds: Option<i64>,
    pub worst_late: Option<Worst>,
    pub per_commander: Vec<CommanderFigure>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenFollowUp {
    pub incident: String,
    pub seq: u64,
    pub kind: crate::domain::FollowUpKind,
    pub text: String,
    pub owner: Option<String>,
    pub age_seconds: i64,
}

/// Follow-up action items captured in the incidents counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FollowUpFigures {
    pub total: usize,
    pub open: usize,
    pub closed: usize,
    pub median_open_age_seconds: Option<i64>,
    /// How long the closed ones took, from capture to closing.
    pub median_closed_age_seconds: Option<i64>,
    /// The oldest open ones, oldest first (at most five).
    pub oldest_open: Vec<OpenFollowUp>,
}

/// An alert (by name and service) across the incidents it fired in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertFigure {
    pub alert: String,
    pub incidents: usize,
    pub firings: u32,
    /// Incidents where it led to action: reviewed actionable, or not reviewed and the
    /// incident recorded action.
    pub actionable: usize,
    /// Reviewed noise, or not reviewed and nothing was done.
    pub noise: usize,
    /// How many of those verdicts the review gave (the rest are read off the incident).
    pub reviewed: usize,
    pub signal_percent: u32,
}

/// One week (Monday to Sunday, UTC) of the window, for the sparklines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WeekFigure {
    /// The Monday it starts on, `2026-03-02`.
    pub week: String,
    pub incidents: usize,
    /// Of the incidents opened that week and resolved.
    pub median_resolve_seconds: Option<i64>,
}

/// Every week from `since` to `until`, empty ones included (the last 60 at most).
fn weeks(counted: &[&Facts], since: DateTime<Utc>, until: DateTime<Utc>) -> Vec<WeekFigure> {
    let monday = |t: DateTime<Utc>| {
        let d = t.date_naive();
        d - chrono::Duration::days(i64::from(d.weekday().num_days_from_monday()))
    };
    let mut out = Vec::new();
    let last = monday(until - chrono::Duration::seconds(1));
    // The 60 weeks nearest `until` when the window is longer.
    let mut w = monday(since).max(last - chrono::Duration::days(7 * 59));
    while w <= last {
        let mut resolve: Vec<i64> = counted
            .iter()
            .filter(|f| monday(f.opened_at) == w)
            .filter_map(|f| f.resolve)
            .collect();
        resolve.sort_unstable();
        out.push(WeekFigure {
            week: w.format("%Y-%m-%d").to_string(),
            incidents: counted.iter().filter(|f| monday(f.opened_at) == w).count(),
            median_resolve_seconds: (!resolve.is_empty()).then(|| rank(&resolve, 50)),
        });
        w += chrono::Duration::days(7);
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Missing {
    pub incident: String,
    pub text: String,
}

pub(super) fn time<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

/// The value at rank ⌈p·n⌉ (1-based) of `sorted`, never empty.
fn rank<T: Clone>(sorted: &[T], percent: usize) -> T {
    let n = sorted.len();
    let r = (percent * n).div_ceil(100).clamp(1, n);
    sorted[r - 1].clone()
}

fn percent(part: usize, whole: usize) -> u32 {
    if whole == 0 {
        return 0;
    }
    // Rounded half up, in integers.
    ((part * 200 + whole) / (whole * 2)) as u32
}

/// Median, p90 and the extremes of `(incident, seconds)` values; none without values.
fn stat(mut values: Vec<(&str, i64)>) -> Option<Stat> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(|a, b| (a.1, a.0).cmp(&(b.1, b.0)));
    let worst = |(id, s): (&str, i64)| Worst {
        incident: id.to_string(),
        seconds: s,
    };
    Some(Stat {
        incidents: values.len(),
        median_seconds: rank(&values, 50).1,
        p90_seconds: rank(&values, 90).1,
        fastest: worst(values[0]),
        slowest: worst(values[values.len() - 1]),
    })
}

pub(super) fn fold(counted: &[&Facts], filter: Filter, drills: usize) -> Figures {
    let n = counted.len();
    let note = match n {
        0 => Some("No incidents in this window: there is nothing to measure.".to_string()),
        1 => Some(
            "One incident in this window: each median and 90th percentile is its own value."
                .to_string(),
        ),
        _ => None,
    };
    let sev_index = |s: Severity| s as usize;
    let by_severity = Severity::ALL
        .iter()
        .map(|s| SeverityCount {
            severity: *s,
            incidents: counted.iter().filter(|f| f.severity == *s).count(),
        })
        .collect();
    let mut months: BTreeMap<String, [usize; 4]> = BTreeMap::new();
    for f in counted {
        let key = format!("{:04}-{:02}", f.opened_at.year(), f.opened_at.month());
        months.entry(key).or_default()[sev_index(f.severity)] += 1;
    }
    let mut resolves: BTreeMap<String, Vec<i64>> =
        months.keys().map(|m| (m.clone(), Vec::new())).collect();
    for f in counted {
        let key = format!("{:04}-{:02}", f.opened_at.year(), f.opened_at.month());
        if let (Some(r), Some(v)) = (f.resolve, resolves.get_mut(&key)) {
            v.push(r);
        }
    }
    let resolve_by_month = resolves
        .into_iter()
        .map(|(month, mut v)| {
            v.sort_unstable();
            MonthResolve {
                month,
                resolved: v.len(),
                median_seconds: (!v.is_empty()).then(|| rank(&v, 50)),
                p90_seconds: (!v.is_empty()).then(|| rank(&v, 90)),
            }
        })
        .collect();
    let by_month = months
        .into_iter()
        .map(|(month, c)| MonthCount {
            month,
            total: c.iter().sum(),
            sev1: c[0],
            sev2: c[1],
            sev3: c[2],
            sev4: c[3],
        })
        .collect();
    let response = Severity::ALL
        .iter()
        .filter_map(|s| {
            let of: Vec<&&Facts> = counted.iter().filter(|f| f.severity == *s).collect();
            if of.is_empty() {
                return None;
            }
            let pick = |m: fn(&Facts) -> Option<i64>| {
                stat(
                    of.iter()
                        .filter_map(|f| Some((f.id.as_str(), m(f)?)))
                        .collect(),
                )
            };
            Some(ResponseFigure {
                severity: *s,
                incidents: of.len(),
                detect: pick(|f| f.detect),
                engage: pick(|f| f.engage),
                mitigate: pick(|f| f.mitigate),
                resolve: pick(|f| f.resolve),
            })
        })
        .collect();
    let mut sev_time: BTreeMap<Severity, (i64, usize)> = BTreeMap::new();
    for f in counted {
        for (s, secs) in &f.time_in_severity {
            let t = sev_time.entry(*s).or_default();
            t.0 += secs;
            t.1 += 1;
        }
    }
    let time_in_severity = sev_time
        .into_iter()
        .map(|(severity, (seconds, incidents))| SeverityTime {
            severity,
            seconds,
            incidents,
        })
        .collect();
    let follow_ups = follow_ups(counted, filter.until);
    let weekly = weeks(counted, filter.since, filter.until);
    Figures {
        format: FORMAT_NAME,
        version: FORMAT_VERSION,
        filter,
        incidents: n,
        drills_left_out: drills,
        note,
        by_severity,
        by_month,
        resolve_by_month,
        response,
        time_in_severity,
        services: services(counted),
        punctuality: punctuality(counted),
        follow_ups,
        weekly,
        alerts: alerts(counted),
        missing_alerts: counted
            .iter()
            .flat_map(|f| {
                f.missing.iter().map(|t| Missing {
                    incident: f.id.clone(),
                    text: t.clone(),
                })
            })
            .collect(),
    }
}

/// Most often affected first (then by name).
fn services(counted: &[&Facts]) -> Vec<ServiceFigure> {
    let mut by: BTreeMap<&str, (usize, usize, BTreeMap<&str, usize>)> = BTreeMap::new();
    for f in counted {
        for s in &f.services {
            let e = by.entry(s.as_str()).or_default();
            e.0 += 1;
            if f.root_suspects.contains(s) {
                e.1 += 1;
            }
            for r in &f.root_suspects {
                *e.2.entry(r.as_str()).or_default() += 1;
            }
        }
    }
    let mut out: Vec<ServiceFigure> = by
        .into_iter()
        .map(|(service, (incidents, own, suspects))| {
            let mut root_suspects: Vec<SuspectCount> = suspects
                .into_iter()
                .map(|(s, n)| SuspectCount {
                    service: s.to_string(),
                    incidents: n,
                })
                .collect();
            root_suspects.sort_by(|a, b| {
                b.incidents
                    .cmp(&a.incidents)
                    .then(a.service.cmp(&b.service))
            });
            ServiceFigure {
                service: service.to_string(),
                incidents,
                root_suspect_in: own,
                root_suspects,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.incidents
            .cmp(&a.incidents)
            .then(a.service.cmp(&b.service))
    });
    out
}

/// Median and worst lateness of the late ones among `due` (`(incident, on time, late)`).
fn lateness(due: &[(&str, bool, i64)]) -> (Option<i64>, Option<Worst>) {
    let mut late: Vec<(&str, i64)> = due
        .iter()
        .filter(|(_, on_time, _)| !on_time)
        .map(|(id, _, s)| (*id, *s))
        .collect();
    if late.is_empty() {
        return (None, None);
    }
    late.sort_by(|a, b| (a.1, a.0).cmp(&(b.1, b.0)));
    let worst = late
        .iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
        .map(|(id, s)| Worst {
            incident: id.to_string(),
            seconds: *s,
        });
    (Some(rank(&late, 50).1), worst)
}

fn punctuality(counted: &[&Facts]) -> Punctuality {
    let mut all: Vec<(&str, bool, i64)> = Vec::new();
    let mut missed = 0;
    let mut per: BTreeMap<&str, Vec<(&str, bool, i64)>> = BTreeMap::new();
    for f in counted {
        for u in &f.updates {
            let row = (f.id.as_str(), u.on_time, u.late_seconds);
            all.push(row);
            if u.posted.is_none() {
                missed += 1;
            }
            per.entry(u.commander.as_deref().unwrap_or("(no commander)"))
                .or_default()
                .push(row);
        }
    }
    let on_time = all.iter().filter(|r| r.1).count();
    let (median_late_seconds, worst_late) = lateness(&all);
    let mut per_commander: Vec<CommanderFigure> = per
        .into_iter()
        .map(|(commander, rows)| {
            let ok = rows.iter().filter(|r| r.1).count();
            let (median, worst) = lateness(&rows);
            CommanderFigure {
                commander: commander.to_string(),
                due: rows.len(),
                on_time: ok,
                on_time_percent: percent(ok, rows.len()),
                median_late_seconds: median,
                worst_late: worst,
            }
        })
        .collect();
    per_commander.sort_by(|a, b| b.due.cmp(&a.due).then(a.commander.cmp(&b.commander)));
    Punctuality {
        due: all.len(),
        on_time,
        late: all.len() - on_time,
        missed,
        on_time_percent: (!all.is_empty()).then(|| percent(on_time, all.len())),
        median_late_seconds,
        worst_late,
        per_commander,
    }
}

/// Follow-ups and their age as of `as_of`: open unless closed (`follow_up_closed`) by then;
/// an open one's age runs to `as_of`, a closed one's to its closing.
fn follow_ups(counted: &[&Facts], as_of: DateTime<Utc>) -> FollowUpFigures {
    let mut closed_ages: Vec<i64> = Vec::new();
    let mut open: Vec<OpenFollowUp> = Vec::new();
    for f in counted {
        for u in &f.follow_ups {
            match u.closed_at.filter(|c| *c <= as_of) {
                Some(c) => closed_ages.push((c - u.at).num_seconds().max(0)),
                None => open.push(OpenFollowUp {
                    incident: f.id.clone(),
                    seq: u.seq,
                    kind: u.kind,
                    text: u.text.clone(),
                    owner: u.owner.clone(),
                    age_seconds: (as_of - u.at).num_seconds().max(0),
                }),
            }
        }
    }
    open.sort_by(|a, b| {
        b.age_seconds
            .cmp(&a.age_seconds)
            .then(a.incident.cmp(&b.incident))
            .then(a.seq.cmp(&b.seq))
    });
    let mut ages: Vec<i64> = open.iter().map(|o| o.age_seconds).collect();
    ages.sort_unstable();
    closed_ages.sort_unstable();
    FollowUpFigures {
        total: open.len() + closed_ages.len(),
        open: open.len(),
        closed: closed_ages.len(),
        median_open_age_seconds: (!ages.is_empty()).then(|| rank(&ages, 50)),
        median_closed_age_seconds: (!closed_ages.is_empty()).then(|| rank(&closed_ages, 50)),
        oldest_open: open.into_iter().take(5).collect(),
    }
}

/// Most often fired first (then by name).
fn alerts(counted: &[&Facts]) -> Vec<AlertFigure> {
    let mut by: BTreeMap<&str, AlertFigure> = BTreeMap::new();
    for f in counted {
        for a in &f.alerts {
            let e = by.entry(a.name.as_str()).or_insert_with(|| AlertFigure {
                alert: a.name.clone(),
                incidents: 0,
                firings: 0,
                actionable: 0,
                noise: 0,
                reviewed: 0,
                signal_percent: 0,
            });
            e.incidents += 1;
            e.firings += a.firings;
            let actionable = match a.verdict {
                Some(v) => {
                    e.reviewed += 1;
                    v == AlertVerdict::Actionable
                }
                None => a.acted,
            };
            if actionable {
                e.actionable += 1;
            } else {
                e.noise += 1;
            }
        }
    }
    let mut out: Vec<AlertFigure> = by
        .into_values()
        .map(|mut a| {
            a.signal_percent = percent(a.actionable, a.incidents);
            a
        })
        .collect();
    out.sort_by(|a, b| b.incidents.cmp(&a.incidents).then(a.alert.cmp(&b.alert)));
    out
}
