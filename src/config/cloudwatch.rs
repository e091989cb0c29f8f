//! A CloudWatch metric as `services.toml` (a service metric) and `runbook.toml` (an action's
//! `verify`) write it:
//!
//! ```toml
//! cloudwatch = { namespace = "AWS/ApplicationELB", metric = "HTTPCode_Target_5XX_Count",
//!                dimensions = { LoadBalancer = "app/checkout/50dc6c495c0c9188" },
//!                stat = "Sum", period = "60s" }
//! ```

use crate::domain::CloudWatchQuery;
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

type Span = std::ops::Range<usize>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudWatchEntry {
    namespace: Spanned<String>,
    metric: Spanned<String>,
    dimensions: Option<Spanned<BTreeMap<String, String>>>,
    stat: Option<Spanned<String>>,
    period: Option<Spanned<String>>,
}

/// The statistics GetMetricData computes besides percentiles and their kin (`p99`, `tm90`…).
const STATS: &[&str] = &["Average", "Sum", "Minimum", "Maximum", "SampleCount", "IQM"];

/// `Average`, `Sum`, …, or a percentile-like statistic: `p`, `tm`, `wm`, `tc`, `ts`, `pr`
/// followed by a number or a range (`p99`, `p99.9`, `tm(10%:90%)`).
fn stat_ok(s: &str) -> bool {
    if STATS.contains(&s) {
        return true;
    }
    let rest = ["tm", "wm", "tc", "ts", "pr", "p"]
        .iter()
        .find_map(|p| s.strip_prefix(p));
    rest.is_some_and(|r| {
        r.starts_with(|c: char| c.is_ascii_digit() || c == '(')
            && r.chars().all(|c| c.is_ascii_digit() || "().:%".contains(c))
    })
}

impl CloudWatchEntry {
    /// The query, or where and why not. `what` names the place (`service checkout, metric
    /// errors`).
    pub(crate) fn query(self, what: &str) -> Result<CloudWatchQuery, (Span, String)> {
        let text = |v: &Spanned<String>, key: &str| {
            let t = v.get_ref().trim();
            if t.is_empty() {
                Err((v.span(), format!("{what}: cloudwatch.{key} is empty")))
            } else {
                Ok(t.to_string())
            }
        };
        let namespace = text(&self.namespace, "namespace")?;
        let metric = text(&self.metric, "metric")?;
        if let Some(dims) = &self.dimensions
            && let Some((k, v)) = dims
                .get_ref()
                .iter()
                .find(|(k, v)| k.trim().is_empty() || v.trim().is_empty())
        {
            return Err((
                dims.span(),
                format!("{what}: cloudwatch.dimensions: {k:?} = {v:?} is empty"),
            ));
        }
        let stat = match &self.stat {
            None => "Average".to_string(),
            Some(s) if stat_ok(s.get_ref().trim()) => s.get_ref().trim().to_string(),
            Some(s) => {
                return Err((
                    s.span(),
                    format!(
                        "{what}: cloudwatch.stat: {:?} is not a statistic (Average, Sum, Minimum, Maximum, SampleCount, or a percentile like p99)",
                        s.get_ref()
                    ),
                ));
            }
        };
        let period_secs = match &self.period {
            None => 60,
            Some(p) => {
                let bad =
                    |reason: String| (p.span(), format!("{what}: cloudwatch.period: {reason}"));
                let d = crate::domain::parse_duration(p.get_ref()).map_err(bad)?;
                let secs = d.num_seconds();
                if secs < 1 || d != chrono::Duration::seconds(secs) {
                    return Err(bad(format!(
                        "'{}' is not a whole number of seconds",
                        p.get_ref()
                    )));
                }
                if !matches!(secs, 1 | 5 | 10 | 30) && secs % 60 != 0 {
                    return Err(bad(format!(
                        "'{}': CloudWatch takes 1s, 5s, 10s, 30s or a multiple of 60s",
                        p.get_ref()
                    )));
                }
                secs.unsigned_abs()
            }
        };
        Ok(CloudWatchQuery {
            namespace,
            metric,
            dimensions: self
                .dimensions
                .map(Spanned::into_inner)
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .collect(),
            stat,
            period_secs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::stat_ok;

    #[test]
    fn statistics_and_percentiles() {
        for ok in [
            "Average",
            "Sum",
            "SampleCount",
            "p99",
            "p99.9",
            "tm(10%:90%)",
            "tm90",
        ] {
            assert!(stat_ok(ok), "{ok}");
        }
        for bad in ["average", "", "p", "mean", "p99x", "Avg"] {
            assert!(!stat_ok(bad), "{bad}");
        }
    }
}
