//! The worst value a service's key metric reached: what a post-mortem's impact needs ("errors
//! peaked at 30 %"), which the state changes alone do not keep (a service goes down at the
//! threshold, then gets worse without changing state). The console attaches it to the blast
//! radius from the metrics it reads, and the journal records it with a service's change to a
//! better state: the peak of the period that change ends.

use super::BlastRadius;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The highest value of a service's key metric in a window, and when it was read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricPeak {
    pub metric: String,
    pub value: f64,
    pub at: DateTime<Utc>,
}

// Values come from the metrics readers, which drop NaN before it reaches here, so equality is an equivalence.
impl Eq for MetricPeak {}

impl MetricPeak {
    /// `error ratio peaked at 0.301 at 10:03:40 UTC`.
    pub fn describe(&self) -> String {
        format!(
            "{} peaked at {} at {} UTC",
            self.metric,
            super::human_number(self.value),
            self.at.format("%H:%M:%S")
        )
    }
}

/// Sets each service's [`super::ServiceImpact::key_metric_peak`]: the highest of its key
/// metric's recent history (the last 30 minutes the console reads) and its value now.
pub fn attach_peaks(
    blast: &mut BlastRadius,
    history: &BTreeMap<String, super::MetricPoints>,
    now: DateTime<Utc>,
) {
    for s in &mut blast.services {
        let Some((metric, value)) = &s.key_metric else {
            s.key_metric_peak = None;
            continue;
        };
        let points = history
            .get(&s.name)
            .into_iter()
            .flatten()
            .filter_map(|(t, v)| v.map(|v| (*t, v)));
        s.key_metric_peak = points
            .chain([(now, *value)])
            .filter(|(_, v)| v.is_finite())
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
            .map(|(at, value)| MetricPeak {
                metric: metric.clone(),
                value,
                at,
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ServiceImpact, ServiceState};
    use chrono::TimeZone;

    #[test]
    fn the_peak_is_the_highest_of_the_history_and_now() {
        let t = |s| Utc.with_ymd_and_hms(2026, 3, 14, 10, 0, s).unwrap();
        let mut blast = BlastRadius {
            services: vec![ServiceImpact {
                name: "checkout".into(),
                state: ServiceState::Degraded,
                evidence: vec![],
                tier: 1,
                customer_facing: true,
                public_name: None,
                team: None,
                root_suspect: false,
                key_metric: Some(("error ratio".into(), 0.05)),
                key_metric_peak: None,
            }],
            unmapped: vec![],
        };
        let history = BTreeMap::from([(
            "checkout".to_string(),
            vec![
                (t(0), Some(0.1)),
                (t(15), None),
                (t(30), Some(0.30123)),
                (t(45), Some(0.2)),
            ],
        )]);
        attach_peaks(&mut blast, &history, t(59));
        let peak = blast.services[0].key_metric_peak.clone().unwrap();
        assert_eq!((peak.value, peak.at), (0.30123, t(30)));
        assert_eq!(
            peak.describe(),
            "error ratio peaked at 0.301 at 10:00:30 UTC"
        );
    }
}
