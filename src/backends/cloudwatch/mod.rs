//! Amazon CloudWatch through its Query API (`Version=2010-08-01`, form POSTs answered in
//! XML), every request signed with Signature Version 4 ([`sign`]): alarms in `ALARM`
//! (DescribeAlarms) as alerts, and GetMetricData as a metrics source. Credentials come from
//! [`credentials`]; the HTTP plumbing (timeouts, body caps, errors) is [`super::http`]'s.

pub mod credentials;
pub mod sign;
mod xml;

use super::http::{BackendError, Endpoint, Reply, check_status, encode_segment, one_line};
use super::listing::Listing;
use crate::domain::{Alert, AlertState, CloudWatchQuery, Labels, fingerprint_of};
use chrono::{DateTime, SecondsFormat, Utc};
pub use credentials::AwsCredentials;
use reqwest::Method;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// CloudWatch's signing name.
pub const SERVICE: &str = "monitoring";
/// The Query API version warroom speaks.
pub const API_VERSION: &str = "2010-08-01";
/// Pages of one answer read at most (DescribeAlarms gives 100 alarms a page).
const MAX_PAGES: usize = 100;
/// The largest page read: 100 alarms, or 100,800 datapoints (GetMetricData's page), are a
/// few megabytes.
pub const MAX_PAGE_BYTES: usize = 16 << 20;

/// CloudWatch's regional endpoint.
pub fn default_endpoint(region: &str) -> String {
    format!("https://monitoring.{region}.amazonaws.com")
}

/// A CloudWatch client for one region.
#[derive(Debug, Clone)]
pub struct CloudWatch {
    endpoint: Endpoint,
    region: String,
    credentials: Arc<AwsCredentials>,
    alarm_prefix: Option<String>,
}

impl CloudWatch {
    /// `endpoint` overrides the regional one (a test server, a VPC endpoint).
    pub fn new(
        client: reqwest::Client,
        region: &str,
        endpoint: Option<&str>,
        credentials: AwsCredentials,
        timeout: Duration,
    ) -> Result<CloudWatch, BackendError> {
        let url = endpoint.map_or_else(|| default_endpoint(region), str::to_string);
        Ok(CloudWatch {
            endpoint: Endpoint::new(client, &url, timeout)?.with_max_body(MAX_PAGE_BYTES),
            region: region.to_string(),
            credentials: Arc::new(credentials),
            alarm_prefix: None,
        })
    }

    /// Only alarms whose name starts with `prefix`.
    pub fn with_alarm_prefix(mut self, prefix: Option<&str>) -> CloudWatch {
        self.alarm_prefix = prefix.filter(|p| !p.is_empty()).map(str::to_string);
        self
    }

    pub fn base_url(&self) -> &str {
        self.endpoint.base_url()
    }

    /// One signed Query API call: `Action=action&Version=…` and `params`, the answer's body
    /// when it is a success. An AWS error document becomes a one-line error with its code.
    pub async fn call(
        &self,
        action: &str,
        params: &[(String, String)],
    ) -> Result<Vec<u8>, BackendError> {
        let mut body = format!("Action={}&Version={API_VERSION}", encode_segment(action));
        for (k, v) in params {
            body.push('&');
            body.push_str(&encode_segment(k));
            body.push('=');
            body.push_str(&encode_segment(v));
        }
        let url = self.endpoint.url("");
        let content_type = "application/x-www-form-urlencoded; charset=utf-8";
        let signed = sign::signature_headers(
            "POST",
            &url,
            &[("content-type", content_type)],
            body.as_bytes(),
            sign::Scope {
                service: SERVICE,
                region: &self.region,
                credentials: &self.credentials,
                time: SystemTime::now(),
            },
        )
        .map_err(BackendError::Setup)?;
        let mut req = self
            .endpoint
            .request(Method::POST, "")
            .header(reqwest::header::CONTENT_TYPE, content_type);
        for (name, value) in signed {
            let mut v = reqwest::header::HeaderValue::from_str(&value).map_err(|_| {
                BackendError::Setup("the AWS credentials have characters HTTP cannot carry".into())
            })?;
            v.set_sensitive(true);
            req = req.header(name, v);
        }
        let reply = self.endpoint.send(req.body(body)).await?;
        aws_status(&reply)?;
        Ok(reply.body)
    }

    /// Every alarm in `ALARM` (metric and composite alarms), as alerts.
    pub async fn alarms(&self) -> Result<Vec<Alert>, BackendError> {
        self.alarm_listing().await.map(|l| l.alerts)
    }

    /// [`CloudWatch::alarms`], cut short when [`MAX_PAGES`] pages were read and another
    /// `NextToken` was offered.
    pub async fn alarm_listing(&self) -> Result<Listing, BackendError> {
        let mut out = Vec::new();
        let mut next: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut params = vec![
                ("StateValue".to_string(), "ALARM".to_string()),
                ("MaxRecords".to_string(), "100".to_string()),
                ("AlarmTypes.member.1".to_string(), "MetricAlarm".to_string()),
                (
                    "AlarmTypes.member.2".to_string(),
                    "CompositeAlarm".to_string(),
                ),
            ];
            if let Some(p) = &self.alarm_prefix {
                params.push(("AlarmNamePrefix".into(), p.clone()));
            }
            if let Some(t) = next.take() {
                params.push(("NextToken".into(), t));
            }
            let body = self.call("DescribeAlarms", &params).await?;
            let answer: xml::DescribeAlarmsResponse =
                xml::decode(&body).map_err(|detail| self.decode_error("DescribeAlarms", detail))?;
            let r = answer.describe_alarms_result;
            out.extend(
                r.metric_alarms
                    .member
                    .into_iter()
                    .chain(r.composite_alarms.member)
                    .filter(|a| a.state_value == "ALARM")
                    .filter(|a| {
                        self.alarm_prefix
                            .as_ref()
                            .is_none_or(|p| a.alarm_name.starts_with(p.as_str()))
                    })
                    .map(|a| alarm_to_alert(a, &self.region)),
            );
            match r.next_token.filter(|t| !t.is_empty()) {
                Some(t) => next = Some(t),
                None => return Ok(Listing::whole(out)),
            }
        }
        Ok(Listing {
            alerts: out,
            cut_short: true,
        })
    }

    /// The datapoints of `query` between `from` and `to`, one every `period` (at least 1s),
    /// oldest first.
    pub async fn get_metric_data(
        &self,
        query: &CloudWatchQuery,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        period: Duration,
    ) -> Result<Vec<(DateTime<Utc>, f64)>, BackendError> {
        let at = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
        let q = "MetricDataQueries.member.1";
        let mut params = vec![
            ("StartTime".to_string(), at(from)),
            ("EndTime".to_string(), at(to)),
            ("ScanBy".to_string(), "TimestampAscending".to_string()),
            (format!("{q}.Id"), "m1".to_string()),
            (format!("{q}.ReturnData"), "true".to_string()),
            (
                format!("{q}.MetricStat.Metric.Namespace"),
                query.namespace.clone(),
            ),
            (
                format!("{q}.MetricStat.Metric.MetricName"),
                query.metric.clone(),
            ),
            (
                format!("{q}.MetricStat.Period"),
                period.as_secs().max(1).to_string(),
            ),
            (format!("{q}.MetricStat.Stat"), query.stat.clone()),
        ];
        for (n, (name, value)) in query.dimensions.iter().enumerate() {
            let d = format!("{q}.MetricStat.Metric.Dimensions.member.{}", n + 1);
            params.push((format!("{d}.Name"), name.clone()));
            params.push((format!("{d}.Value"), value.clone()));
        }
        let mut points = Vec::new();
        let mut next: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut page = params.clone();
            if let Some(t) = next.take() {
                page.push(("NextToken".into(), t));
            }
            let body = self.call("GetMetricData", &page).await?;
            let answer: xml::GetMetricDataResponse =
                xml::decode(&body).map_err(|detail| self.decode_error("GetMetricData", detail))?;
            let r = answer.get_metric_data_result;
            for result in r.metric_data_results.member {
                if result.timestamps.member.len() != result.values.member.len() {
                    return Err(self.decode_error(
                        "GetMetricData",
                        format!(
                            "{} timestamps for {} values",
                            result.timestamps.member.len(),
                            result.values.member.len()
                        ),
                    ));
                }
                if result.status_code.as_deref() == Some("Forbidden") {
                    return Err(BackendError::Unauthorized {
                        url: self.base_url().to_string(),
                        status: 200,
                        detail: format!("GetMetricData {}: Forbidden", result.id),
                    });
                }
                points.extend(
                    result
                        .timestamps
                        .member
                        .into_iter()
                        .zip(result.values.member)
                        .filter(|(_, v)| v.is_finite()),
                );
            }
            match r.next_token.filter(|t| !t.is_empty()) {
                Some(t) => next = Some(t),
                None => break,
            }
        }
        points.sort_by_key(|(t, _)| *t);
        points.dedup_by_key(|(t, _)| *t);
        Ok(points)
    }

    fn decode_error(&self, action: &str, detail: String) -> BackendError {
        BackendError::Decode {
            url: self.base_url().to_string(),
            detail: format!("{action}: {}", one_line(&detail)),
        }
    }
}

/// Codes AWS gives (with 400 or 403) when the credentials or the signature are refused.
const AUTH_CODES: &[&str] = &[
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
    "ExpiredToken",
    "ExpiredTokenException",
    "AccessDenied",
    "AccessDeniedException",
    "IncompleteSignature",
    "MissingAuthenticationToken",
    "InvalidSignatureException",
];

/// 2xx passes; an AWS error document names its code (a refused key or signature is
/// [`BackendError::Unauthorized`]); anything else is as [`check_status`] says.
fn aws_status(reply: &Reply) -> Result<(), BackendError> {
    if reply.status.is_success() {
        return Ok(());
    }
    let Some(err) = xml::decode::<xml::ErrorResponse>(&reply.body)
        .ok()
        .and_then(xml::ErrorResponse::first)
    else {
        return check_status(reply);
    };
    let status = reply.status.as_u16();
    let detail = one_line(&format!("{}: {}", err.code, err.message));
    if status == 401 || status == 403 || AUTH_CODES.contains(&err.code.as_str()) {
        return Err(BackendError::Unauthorized {
            url: reply.url.clone(),
            status,
            detail,
        });
    }
    Err(BackendError::Http {
        url: reply.url.clone(),
        status,
        body: detail,
    })
}

/// An alarm as an alert: `alertname` (the alarm's name), `namespace`, `metric`, `region` and
/// each dimension as labels; its state reason as the summary, its description as the
/// description; since when it is in `ALARM`.
fn alarm_to_alert(a: xml::WireAlarm, region: &str) -> Alert {
    let mut pairs: Vec<(Arc<str>, Arc<str>)> = a
        .dimensions
        .member
        .into_iter()
        .filter(|d| !d.name.is_empty())
        .map(|d| (Arc::from(d.name), Arc::from(d.value)))
        .collect();
    let mut own = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            pairs.push((Arc::from(k), Arc::from(v)));
        }
    };
    own("namespace", a.namespace);
    own("metric", a.metric_name);
    own("region", Some(region.to_string()));
    own("alertname", Some(a.alarm_name));
    let labels = Labels::from_pairs(pairs);
    let mut notes: Vec<(Arc<str>, Arc<str>)> = Vec::new();
    if let Some(r) = a.state_reason.filter(|r| !r.is_empty()) {
        notes.push((Arc::from("summary"), Arc::from(r)));
    }
    if let Some(d) = a.alarm_description.filter(|d| !d.is_empty()) {
        notes.push((Arc::from("description"), Arc::from(d)));
    }
    let fingerprint = match a.alarm_arn.as_deref().filter(|a| !a.is_empty()) {
        Some(arn) => fingerprint_of([("arn", arn)]),
        None => fingerprint_of(labels.iter()),
    };
    Alert {
        fingerprint,
        labels,
        annotations: Labels::from_pairs(notes),
        starts_at: a.state_updated_timestamp.unwrap_or(DateTime::UNIX_EPOCH),
        ends_at: None,
        generator_url: None,
        state: AlertState::Active,
        silenced_by: Vec::new(),
        inhibited_by: Vec::new(),
        sources: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALARMS: &str = r#"<DescribeAlarmsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">
  <DescribeAlarmsResult>
    <MetricAlarms>
      <member>
        <AlarmName>checkout-5xx</AlarmName>
        <AlarmArn>arn:aws:cloudwatch:eu-west-1:123456789012:alarm:checkout-5xx</AlarmArn>
        <AlarmDescription>Too many 5xx &amp; timeouts</AlarmDescription>
        <StateValue>ALARM</StateValue>
        <StateReason>Threshold Crossed: 1 datapoint [12.0] was greater than 5.0</StateReason>
        <StateUpdatedTimestamp>2026-12-04T16:00:00.123Z</StateUpdatedTimestamp>
        <MetricName>HTTPCode_Target_5XX_Count</MetricName>
        <Namespace>AWS/ApplicationELB</Namespace>
        <Dimensions>
          <member><Name>service</Name><Value>checkout</Value></member>
          <member><Name>alertname</Name><Value>not the name</Value></member>
        </Dimensions>
        <Unknown><Nested>1</Nested></Unknown>
      </member>
      <member>
        <AlarmName>ok-one</AlarmName>
        <StateValue>OK</StateValue>
        <Dimensions/>
      </member>
    </MetricAlarms>
    <CompositeAlarms>
      <member><AlarmName>site-down</AlarmName><StateValue>ALARM</StateValue></member>
    </CompositeAlarms>
  </DescribeAlarmsResult>
  <ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata>
</DescribeAlarmsResponse>"#;

    #[test]
    fn alarms_in_alarm_become_alerts_with_their_dimensions_as_labels() {
        let r: xml::DescribeAlarmsResponse = xml::decode(ALARMS.as_bytes()).unwrap();
        let r = r.describe_alarms_result;
        assert_eq!(r.next_token, None);
        let alerts: Vec<Alert> = r
            .metric_alarms
            .member
            .into_iter()
            .chain(r.composite_alarms.member)
            .filter(|a| a.state_value == "ALARM")
            .map(|a| alarm_to_alert(a, "eu-west-1"))
            .collect();
        assert_eq!(alerts.len(), 2);
        let a = &alerts[0];
        assert_eq!(
            a.name(),
            "checkout-5xx",
            "a dimension never renames the alarm"
        );
        assert_eq!(a.labels.get("service"), Some("checkout"));
        assert_eq!(a.labels.get("namespace"), Some("AWS/ApplicationELB"));
        assert_eq!(a.labels.get("metric"), Some("HTTPCode_Target_5XX_Count"));
        assert_eq!(a.labels.get("region"), Some("eu-west-1"));
        assert_eq!(
            a.summary(),
            "Threshold Crossed: 1 datapoint [12.0] was greater than 5.0"
        );
        assert_eq!(
            a.annotations.get("description"),
            Some("Too many 5xx & timeouts")
        );
        assert_eq!(a.starts_at.to_rfc3339(), "2026-12-04T16:00:00.123+00:00");
        assert_eq!(a.state, AlertState::Active);
        assert_eq!(alerts[1].name(), "site-down");
        assert_eq!(alerts[1].labels.get("metric"), None);
        assert_ne!(a.fingerprint, alerts[1].fingerprint);
    }

    #[test]
    fn not_an_answer_is_an_error_never_an_empty_list() {
        for bad in [
            "",
            "<html><body>Sign in</body></html>",
            &ALARMS[..ALARMS.len() / 2],
            "{\"MetricAlarms\":[]}",
        ] {
            assert!(
                xml::decode::<xml::DescribeAlarmsResponse>(bad.as_bytes()).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn metric_data_and_error_documents_read() {
        let body = r#"<GetMetricDataResponse><GetMetricDataResult><MetricDataResults>
          <member><Id>m1</Id><StatusCode>Complete</StatusCode>
            <Timestamps><member>2026-12-04T16:01:00Z</member><member>2026-12-04T16:00:00Z</member></Timestamps>
            <Values><member>2.5</member><member>1</member></Values></member>
        </MetricDataResults><NextToken>abc</NextToken></GetMetricDataResult></GetMetricDataResponse>"#;
        let r: xml::GetMetricDataResponse = xml::decode(body.as_bytes()).unwrap();
        let r = r.get_metric_data_result;
        assert_eq!(r.next_token.as_deref(), Some("abc"));
        let m = &r.metric_data_results.member[0];
        assert_eq!(m.values.member, [2.5, 1.0]);
        assert_eq!(
            m.timestamps.member[1].to_rfc3339(),
            "2026-12-04T16:00:00+00:00"
        );

        let aws = r#"<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>
          <Message>The security token included in the request is invalid.</Message></Error></ErrorResponse>"#;
        let e = xml::decode::<xml::ErrorResponse>(aws.as_bytes())
            .unwrap()
            .first()
            .unwrap();
        assert_eq!(e.code, "InvalidClientTokenId");
        let other = r#"<ErrorResponse><Errors><Error><Code>ValidationError</Code><Message>bad</Message></Error></Errors></ErrorResponse>"#;
        let e = xml::decode::<xml::ErrorResponse>(other.as_bytes())
            .unwrap()
            .first()
            .unwrap();
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("ValidationError", "bad")
        );
    }
}
