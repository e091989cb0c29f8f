//! The CloudWatch Query API's XML answers (`Version=2010-08-01`): DescribeAlarms,
//! GetMetricData and the error document, read with quick-xml's serde support. Unknown
//! elements are ignored; a document without the expected result element is an error, so a
//! proxy's HTML page never reads as "no alarms".

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// `<X><member>…</member>…</X>`; an empty or absent list reads as empty.
#[derive(Debug, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub(super) struct Members<T> {
    #[serde(default)]
    pub member: Vec<T>,
}

impl<T> Default for Members<T> {
    fn default() -> Self {
        Members { member: Vec::new() }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DescribeAlarmsResponse {
    pub describe_alarms_result: DescribeAlarmsResult,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DescribeAlarmsResult {
    #[serde(default)]
    pub metric_alarms: Members<WireAlarm>,
    #[serde(default)]
    pub composite_alarms: Members<WireAlarm>,
    #[serde(default)]
    pub next_token: Option<String>,
}

/// A metric alarm or a composite one (which has no metric).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct WireAlarm {
    pub alarm_name: String,
    #[serde(default)]
    pub alarm_arn: Option<String>,
    #[serde(default)]
    pub alarm_description: Option<String>,
    #[serde(default)]
    pub state_value: String,
    #[serde(default)]
    pub state_reason: Option<String>,
    #[serde(default)]
    pub state_updated_timestamp: Option<DateTime<Utc>>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub metric_name: Option<String>,
    #[serde(default)]
    pub dimensions: Members<Dimension>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Dimension {
    pub name: String,
    #[serde(default)]
    pub value: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GetMetricDataResponse {
    pub get_metric_data_result: GetMetricDataResult,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GetMetricDataResult {
    #[serde(default)]
    pub metric_data_results: Members<MetricDataResult>,
    #[serde(default)]
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct MetricDataResult {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub status_code: Option<String>,
    #[serde(default)]
    pub timestamps: Members<DateTime<Utc>>,
    #[serde(default)]
    pub values: Members<f64>,
}

/// AWS's `<ErrorResponse><Error>…` and the `<Errors><Error>…` form some servers use.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ErrorResponse {
    #[serde(default)]
    pub error: Option<WireError>,
    #[serde(default)]
    pub errors: Option<Errors>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Errors {
    #[serde(default)]
    pub error: Vec<WireError>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct WireError {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
}

impl ErrorResponse {
    /// The first error's code and message.
    pub fn first(self) -> Option<WireError> {
        self.error
            .or_else(|| self.errors.and_then(|e| e.error.into_iter().next()))
            .filter(|e| !e.code.is_empty() || !e.message.is_empty())
    }
}

/// Decodes an XML document, or says in one line why it cannot.
pub(super) fn decode<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    if body.is_empty() {
        return Err("empty body".into());
    }
    let text = std::str::from_utf8(body).map_err(|e| format!("not UTF-8: {e}"))?;
    quick_xml::de::from_str(text).map_err(|e| e.to_string())
}
