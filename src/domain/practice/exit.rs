//! Exit criteria: what "resolved" means, set by the leader at opening or later. A metric
//! condition held for a duration ("checkout error ratio < 1 % for 15 min"), checked live by
//! the console, or a manual check ("support queue back to normal") ticked by a person. Each
//! criterion turning met or broken is an event; so is resolving with some unmet (a waiver,
//! with the reason).

use super::super::incident::{check_line, check_text};
use super::super::{Entry, Event, MetricQuery, Rejected, parse_duration, short_duration};
use super::Practice;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// How a metric's value is compared with the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// `<`
    Below,
    /// `<=`
    AtMost,
    /// `>`
    Above,
    /// `>=`
    AtLeast,
}

impl Comparison {
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Below => "<",
            Comparison::AtMost => "<=",
            Comparison::Above => ">",
            Comparison::AtLeast => ">=",
        }
    }

    pub fn from_symbol(s: &str) -> Option<Comparison> {
        [
            Comparison::Below,
            Comparison::AtMost,
            Comparison::Above,
            Comparison::AtLeast,
        ]
        .into_iter()
        .find(|c| c.symbol() == s)
    }

    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::Below => value < threshold,
            Comparison::AtMost => value <= threshold,
            Comparison::Above => value > threshold,
            Comparison::AtLeast => value >= threshold,
        }
    }
}

/// What one criterion asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExitCheck {
    /// A metric's value compared with a threshold, holding for `hold_secs` in a row.
    Metric {
        name: String,
        query: MetricQuery,
        op: Comparison,
        threshold: f64,
        hold_secs: u64,
    },
    /// Something a person checks and ticks.
    Manual { text: String },
}

impl ExitCheck {
    /// How long a metric condition must hold; none for a manual check.
    pub fn hold(&self) -> Option<chrono::Duration> {
        match self {
            ExitCheck::Metric { hold_secs, .. } => Some(chrono::Duration::seconds(
                i64::try_from(*hold_secs).unwrap_or(i64::MAX / 1000),
            )),
            ExitCheck::Manual { .. } => None,
        }
    }

    /// Whether `value` satisfies a metric condition (a manual check: never by a value).
    pub fn holds(&self, value: f64) -> bool {
        match self {
            ExitCheck::Metric { op, threshold, .. } => {
                value.is_finite() && op.holds(value, *threshold)
            }
            ExitCheck::Manual { .. } => false,
        }
    }
}

impl fmt::Display for ExitCheck {
    /// `checkout error ratio < 0.01 for 15m` or the manual check's text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitCheck::Metric {
                name,
                op,
                threshold,
                ..
            } => write!(
                f,
                "{name} {} {} for {}",
                op.symbol(),
                super::super::human_number(*threshold),
                short_duration(self.hold().unwrap_or_default())
            ),
            ExitCheck::Manual { text } => f.write_str(text),
        }
    }
}

/// One criterion and its state as the journal says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Criterion {
    pub id: u32,
    pub set_at: DateTime<Utc>,
    pub set_by: String,
    pub check: ExitCheck,
    /// When it was last recorded met (the condition started holding at `holding_since`).
    pub met_at: Option<DateTime<Utc>>,
    pub holding_since: Option<DateTime<Utc>>,
    /// Who ticked a manual check.
    pub met_by: Option<String>,
    /// Every time it was recorded met, then broken again.
    pub broken: Vec<DateTime<Utc>>,
    /// When it was first met (kept when broken later), for the post-mortem.
    pub first_met_at: Option<DateTime<Utc>>,
}

impl Criterion {
    pub fn is_met(&self) -> bool {
        self.met_at.is_some()
    }
}

/// A resolution called with criteria unmet, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Waiver {
    pub at: DateTime<Utc>,
    pub by: String,
    pub reason: String,
    pub unmet: Vec<u32>,
}

pub(super) fn apply(p: &mut Practice, entry: &Entry) {
    match &entry.event {
        Event::ExitCriterionSet { criterion, check } => p.criteria.push(Criterion {
            id: *criterion,
            set_at: entry.at,
            set_by: entry.by.clone(),
            check: check.clone(),
            met_at: None,
            holding_since: None,
            met_by: None,
            broken: Vec::new(),
            first_met_at: None,
        }),
        Event::ExitCriterionMet {
            criterion, since, ..
        } => {
            if let Some(c) = p.criteria.iter_mut().find(|c| c.id == *criterion) {
                c.met_at = Some(entry.at);
                c.holding_since = *since;
                c.met_by = Some(entry.by.clone());
                c.first_met_at.get_or_insert(entry.at);
            }
        }
        Event::ExitCriterionBroken { criterion, .. } => {
            if let Some(c) = p.criteria.iter_mut().find(|c| c.id == *criterion) {
                c.met_at = None;
                c.holding_since = None;
                c.met_by = None;
                c.broken.push(entry.at);
            }
        }
        Event::ExitCriteriaWaived { reason, unmet } => p.waivers.push(Waiver {
            at: entry.at,
            by: entry.by.clone(),
            reason: reason.clone(),
            unmet: unmet.clone(),
        }),
        _ => {}
    }
}

pub(super) fn check(p: &Practice, event: &Event) -> Result<(), Rejected> {
    let find = |id: u32| {
        p.criteria
            .iter()
            .find(|c| c.id == id)
            .ok_or_else(|| Rejected(format!("there is no exit criterion C{id}")))
    };
    match event {
        Event::ExitCriterionSet { criterion, check } => {
            if *criterion != p.next_criterion_id() {
                return Err(Rejected(format!(
                    "criterion number C{criterion} is taken; the next is C{}",
                    p.next_criterion_id()
                )));
            }
            match check {
                ExitCheck::Manual { text } => check_line("exit criterion", text),
                ExitCheck::Metric {
                    name,
                    query,
                    threshold,
                    hold_secs,
                    ..
                } => {
                    check_line("criterion name", name)?;
                    for t in query.texts() {
                        check_line("metric query", t)?;
                    }
                    if !threshold.is_finite() {
                        return Err(Rejected("the threshold must be a number".into()));
                    }
                    let max = u64::try_from(super::super::MAX_DURATION.num_seconds()).unwrap_or(0);
                    if *hold_secs > max {
                        return Err(Rejected("the duration is longer than 30 days".into()));
                    }
                    Ok(())
                }
            }
        }
        Event::ExitCriterionMet { criterion, .. } => {
            let c = find(*criterion)?;
            if c.is_met() {
                Err(Rejected(format!(
                    "exit criterion C{criterion} is already met"
                )))
            } else {
                Ok(())
            }
        }
        Event::ExitCriterionBroken { criterion, .. } => {
            let c = find(*criterion)?;
            if c.is_met() {
                Ok(())
            } else {
                Err(Rejected(format!("exit criterion C{criterion} is not met")))
            }
        }
        Event::ExitCriteriaWaived { reason, unmet } => {
            check_text("reason", reason)?;
            for id in unmet {
                find(*id)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Reads a criterion as a call leader writes it: `NAME: promql EXPR OP NUMBER for DURATION`
/// (or `graphite TARGET …`; the name is optional, the query stands for it), where OP is one
/// of `<`, `<=`, `>`, `>=`; anything else is a manual check. Errors say what is missing.
pub fn parse_criterion(text: &str) -> Result<ExitCheck, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("the criterion is empty".into());
    }
    let found = ["promql", "graphite"].iter().find_map(|kw| {
        let mut from = 0;
        while let Some(i) = t[from..].find(kw).map(|i| i + from) {
            let before_ok = i == 0 || t[..i].ends_with(char::is_whitespace);
            let after_ok = t[i + kw.len()..].starts_with(char::is_whitespace);
            if before_ok && after_ok {
                return Some((i, *kw));
            }
            from = i + kw.len();
        }
        None
    });
    let Some((at, kw)) = found else {
        return Ok(ExitCheck::Manual {
            text: t.to_string(),
        });
    };
    let name = t[..at].trim().trim_end_matches(':').trim();
    let rest = t[at + kw.len()..].trim();
    let example = "e.g. checkout errors: promql sum(rate(errors[5m])) < 0.01 for 15m";
    let (cond, dur) = rest
        .rsplit_once(" for ")
        .ok_or_else(|| format!("a metric criterion needs 'for DURATION' at the end ({example})"))?;
    let hold = parse_duration(dur).map_err(|e| format!("for: {e}"))?;
    let mut words: Vec<&str> = cond.split_whitespace().collect();
    let number = words
        .pop()
        .ok_or_else(|| format!("no threshold ({example})"))?;
    let threshold: f64 = number
        .trim_end_matches('%')
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| format!("'{number}' is not a number ({example})"))?;
    let threshold = if number.ends_with('%') {
        threshold / 100.0
    } else {
        threshold
    };
    let op_word = words.pop().unwrap_or_default();
    let op = Comparison::from_symbol(op_word).ok_or_else(|| {
        format!("'{op_word}' is not a comparison: write <, <=, > or >= ({example})")
    })?;
    let query_text = words.join(" ");
    if query_text.is_empty() {
        return Err(format!("the {kw} query is empty ({example})"));
    }
    let query = match kw {
        "promql" => MetricQuery::Promql(query_text.clone()),
        _ => MetricQuery::Graphite(query_text.clone()),
    };
    Ok(ExitCheck::Metric {
        name: if name.is_empty() {
            query_text
        } else {
            name.to_string()
        },
        query,
        op,
        threshold,
        hold_secs: u64::try_from(hold.num_seconds()).unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_metric_criterion_reads_from_one_line() {
        let c = parse_criterion(
            "checkout error ratio: promql sum(rate(e{job=\"a:b\"}[5m])) < 1% for 15m",
        )
        .unwrap();
        assert_eq!(
            c,
            ExitCheck::Metric {
                name: "checkout error ratio".into(),
                query: MetricQuery::Promql("sum(rate(e{job=\"a:b\"}[5m]))".into()),
                op: Comparison::Below,
                threshold: 0.01,
                hold_secs: 900,
            }
        );
        assert_eq!(c.to_string(), "checkout error ratio < 0.01 for 15m");
        assert!(c.holds(0.005) && !c.holds(0.01) && !c.holds(f64::NAN));
    }

    #[test]
    fn anything_else_is_a_manual_check_and_bad_metric_lines_say_why() {
        assert_eq!(
            parse_criterion("support queue back to normal").unwrap(),
            ExitCheck::Manual {
                text: "support queue back to normal".into()
            }
        );
        assert!(
            parse_criterion("promql up < 1")
                .unwrap_err()
                .contains("for DURATION")
        );
        assert!(
            parse_criterion("promql up ~ 1 for 5s")
                .unwrap_err()
                .contains("not a comparison")
        );
        assert!(
            parse_criterion("graphite a.b >= x for 5s")
                .unwrap_err()
                .contains("not a number")
        );
    }
}
