//! Did it help? After a successful run, the runbook's query (PromQL or a Graphite target,
//! through [`MetricReaders`]) is asked every few seconds until
//! the expectation holds (effective), the time allowed runs out (not effective yet), or the
//! query cannot be run at all (failed to verify). Each reading is reported as it comes.

use super::runbook::{Template, VerifySpec};
use super::{OutputLine, Stream};
use crate::backends::metrics::MetricReaders;
use crate::domain::{MetricQuery, VerifyResult};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;

/// What verification concluded, and a line saying why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub result: VerifyResult,
    pub detail: String,
}

/// Polls the source the query is for (none configured: failed to verify) with the
/// filled-in query.
pub async fn verify(
    readers: &MetricReaders,
    spec: &VerifySpec,
    params: &BTreeMap<String, String>,
    out: &UnboundedSender<OutputLine>,
) -> Verification {
    let say = |text: String| {
        let _ = out.send(OutputLine {
            stream: Stream::Warroom,
            text,
        });
    };
    let query = fill(spec, params);
    let promql = query.to_string();
    if !readers.answers(&query) {
        let detail = format!("no [{}] url in config.toml to ask", query.source());
        say(format!("verify: {detail}"));
        return Verification {
            result: VerifyResult::Failed,
            detail,
        };
    }
    say(format!(
        "verify: waiting up to {} for {promql} {}",
        super::exec::secs(spec.within),
        spec.expect
    ));
    let started = Instant::now();
    let mut last_reading: Option<String> = None;
    let mut last_error: Option<String>;
    loop {
        match readers.values(&query, None).await {
            Ok(values) => {
                last_error = None;
                let reading = if values.is_empty() {
                    "no data".to_string()
                } else {
                    values
                        .iter()
                        .map(|v| crate::domain::human_number(*v))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let holds = !values.is_empty() && values.iter().all(|v| spec.expect.holds(*v));
                say(format!(
                    "verify: {reading} ({}wanted {})",
                    if holds { "" } else { "not yet; " },
                    spec.expect
                ));
                if holds {
                    return Verification {
                        result: VerifyResult::Effective,
                        detail: format!(
                            "{promql} = {reading}, {} as wanted, after {}",
                            spec.expect,
                            super::exec::secs(started.elapsed())
                        ),
                    };
                }
                last_reading = Some(reading);
            }
            Err(e) if !e.is_transient() => {
                let detail = format!("{promql}: {e}");
                say(format!("verify: cannot run the query: {e}"));
                return Verification {
                    result: VerifyResult::Failed,
                    detail,
                };
            }
            Err(e) => {
                say(format!("verify: {e} (will retry)"));
                last_error = Some(e.to_string());
            }
        }
        let elapsed = started.elapsed();
        if elapsed >= spec.within {
            let within = super::exec::secs(spec.within);
            return match (last_error, last_reading) {
                (Some(e), _) => Verification {
                    result: VerifyResult::Failed,
                    detail: format!("{promql}: no answer within {within}: {e}"),
                },
                (None, reading) => Verification {
                    result: VerifyResult::NotEffective,
                    detail: format!(
                        "{promql} = {} after {within}, wanted {}",
                        reading.unwrap_or_else(|| "no data".into()),
                        spec.expect
                    ),
                },
            };
        }
        let wait = spec
            .every
            .min(spec.within - elapsed)
            .max(Duration::from_millis(50));
        tokio::time::sleep(wait).await;
    }
}

/// The query with the run's parameters in it.
pub fn fill(spec: &VerifySpec, params: &BTreeMap<String, String>) -> MetricQuery {
    // A value filled into NRQL is escaped for the string literal it stands in.
    let escaped;
    let params = if matches!(spec.query, MetricQuery::Nrql(_)) {
        escaped = params
            .iter()
            .map(|(k, v)| (k.clone(), crate::domain::nrql_string(v)))
            .collect::<BTreeMap<_, _>>();
        &escaped
    } else {
        params
    };
    let mut templates = spec.templates.iter();
    spec.query.map_texts(|text| match templates.next() {
        Some(t) => fill_template(t, params),
        None => text.to_string(),
    })
}

fn fill_template(template: &Template, params: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    for p in &template.pieces {
        match p {
            super::runbook::Piece::Text(t) => out.push_str(t),
            super::runbook::Piece::Param(n) => {
                out.push_str(params.get(n).map_or("", String::as_str))
            }
            super::runbook::Piece::Env(_) => out.push_str(super::REDACTED),
        }
    }
    out
}
