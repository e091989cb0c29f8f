//! A CloudWatch metric as a service metric reads it (`cloudwatch = { … }` in
//! `services.toml`): which metric, which statistic over which period.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// One CloudWatch metric and how it is aggregated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudWatchQuery {
    /// `AWS/ApplicationELB`, `Checkout/Web`, …
    pub namespace: String,
    /// The metric's name.
    pub metric: String,
    /// Dimension name → value; every one must match.
    pub dimensions: BTreeMap<String, String>,
    /// `Average`, `Sum`, `Maximum`, `Minimum`, `SampleCount` or a percentile (`p99`).
    pub stat: String,
    /// The statistic's period, in seconds.
    pub period_secs: u64,
}

impl fmt::Display for CloudWatchQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.namespace, self.metric)?;
        if !self.dimensions.is_empty() {
            let dims: Vec<String> = self
                .dimensions
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            write!(f, " {{{}}}", dims.join(","))?;
        }
        write!(f, " {} {}s", self.stat, self.period_secs)
    }
}
