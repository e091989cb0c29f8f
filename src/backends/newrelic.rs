//! New Relic through NerdGraph, its GraphQL API (`POST /graphql`, `API-Key: <user key>`):
//! the account's active issues (`ACTIVATED` or `CREATED`) as alerts, read page by page
//! (bounded); acknowledging one (`aiIssuesAckIssue`); and NRQL `TIMESERIES` as a metrics
//! source. Every value (the account, a cursor, an issue id, the NRQL text) travels as a
//! GraphQL variable, never spliced into the query. GraphQL `errors` in a 200 answer are a
//! failure carrying their messages; the key is remembered as a secret, so no message shows it.

use super::http::{BackendError, Endpoint, RetryPolicy, check_status, decode, one_line};
use super::listing::Listing;
use crate::config::NewRelicConfig;
use crate::domain::{Alert, AlertState, Labels, MetricPoints, fingerprint_of};
use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

/// At most this many pages of issues are read in one poll (a cursor that never ends, or an
/// account drowning in issues, cannot keep the poller asking).
pub const MAX_PAGES: usize = 20;
/// NRQL answers at most 366 buckets in a `TIMESERIES`.
const MAX_BUCKETS: i64 = 360;
/// Answers are small: a page of issues or one time series.
const MAX_BODY: usize = 8 << 20;

const ISSUES: &str = "query($accountId: Int!, $cursor: String) { actor { account(id: $accountId) { aiIssues { issues(cursor: $cursor, filter: {states: [ACTIVATED, CREATED]}) { issues { issueId title priority state entityNames entityGuids activatedAt createdAt acknowledgedAt description deepLinkUrl } nextCursor } } } } }";
const ACK: &str = "mutation($accountId: Int!, $issueId: ID!) { aiIssuesAckIssue(accountId: $accountId, issueId: $issueId) { result { issueId action } error } }";
const NRQL: &str = "query($accountId: Int!, $nrql: Nrql!) { actor { account(id: $accountId) { nrql(query: $nrql) { results } } } }";

/// The annotation that carries an alert's New Relic issue id (what acknowledging needs).
pub const ISSUE_ANNOTATION: &str = "newrelic_issue";

/// One New Relic account.
#[derive(Debug, Clone)]
pub struct NewRelic {
    /// NerdGraph's host, with the key as a sensitive `API-Key` header (never in `Debug`).
    endpoint: Endpoint,
    account_id: i64,
    /// Entity name → catalog service.
    services: BTreeMap<String, String>,
    /// How a 429 is waited out (NerdGraph says how long in `Retry-After`).
    retry: RetryPolicy,
}

#[derive(Deserialize)]
struct GraphqlReply<T> {
    data: Option<T>,
    #[serde(default, deserialize_with = "super::http::null_default")]
    errors: Vec<GraphqlError>,
}

#[derive(Deserialize)]
struct GraphqlError {
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
struct ActorData<T> {
    actor: Option<ActorAccount<T>>,
}

#[derive(Deserialize)]
struct ActorAccount<T> {
    account: Option<T>,
}

#[derive(Deserialize)]
struct IssuesAccount {
    #[serde(rename = "aiIssues")]
    ai_issues: Option<IssuesStitched>,
}

#[derive(Deserialize)]
struct IssuesStitched {
    issues: Option<IssueData>,
}

#[derive(Deserialize)]
struct IssueData {
    #[serde(default, deserialize_with = "super::http::null_default")]
    issues: Vec<Issue>,
    #[serde(rename = "nextCursor")]
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
struct Issue {
    #[serde(rename = "issueId")]
    issue_id: String,
    #[serde(default, deserialize_with = "super::http::null_default")]
    title: Vec<String>,
    #[serde(default, deserialize_with = "super::http::null_default")]
    priority: String,
    #[serde(default, deserialize_with = "super::http::null_default")]
    state: String,
    #[serde(
        rename = "entityNames",
        default,
        deserialize_with = "super::http::null_default"
    )]
    entity_names: Vec<String>,
    #[serde(
        rename = "entityGuids",
        default,
        deserialize_with = "super::http::null_default"
    )]
    entity_guids: Vec<String>,
    #[serde(rename = "activatedAt")]
    activated_at: Option<i64>,
    #[serde(rename = "createdAt")]
    created_at: Option<i64>,
    #[serde(rename = "acknowledgedAt")]
    acknowledged_at: Option<i64>,
    #[serde(default, deserialize_with = "super::http::null_default")]
    description: Vec<String>,
    #[serde(
        rename = "deepLinkUrl",
        default,
        deserialize_with = "super::http::null_default"
    )]
    deep_link_url: Vec<String>,
}

#[derive(Deserialize)]
struct AckData {
    #[serde(rename = "aiIssuesAckIssue")]
    ack: Option<AckResponse>,
}

#[derive(Deserialize)]
struct AckResponse {
    error: Option<String>,
    result: Option<AckResult>,
}

#[derive(Deserialize)]
struct AckResult {
    #[serde(rename = "issueId")]
    issue_id: Option<String>,
}

#[derive(Deserialize)]
struct NrqlAccount {
    nrql: Option<NrqlContainer>,
}

#[derive(Deserialize)]
struct NrqlContainer {
    #[serde(default, deserialize_with = "super::http::null_default")]
    results: Vec<Value>,
}

impl NewRelic {
    /// The client `[[newrelic]]` describes, its key read from the environment now.
    pub fn from_config(
        c: &NewRelicConfig,
        client: &reqwest::Client,
        timeout: Duration,
    ) -> Result<NewRelic, BackendError> {
        let key = c
            .api_key()
            .map_err(|e| BackendError::Setup(format!("{}: {e}", c.display_name())))?;
        NewRelic::new(
            client.clone(),
            &c.url(),
            &key,
            c.account_id(),
            c.services.clone(),
            timeout,
        )
    }

    /// `base_url` is NerdGraph's host (`https://api.newrelic.com`); `/graphql` is asked under it.
    pub fn new(
        client: reqwest::Client,
        base_url: &str,
        key: &str,
        account_id: i64,
        services: BTreeMap<String, String>,
        timeout: Duration,
    ) -> Result<NewRelic, BackendError> {
        let endpoint = Endpoint::new(client, base_url, timeout)?
            .with_max_body(MAX_BODY)
            .with_secret_header("API-Key", key.trim())?;
        Ok(NewRelic {
            endpoint,
            account_id,
            services,
            retry: RetryPolicy {
                tries: 3,
                max_wait: Duration::from_secs(10),
                ..RetryPolicy::default()
            },
        })
    }

    /// Replaces how a 429 is waited out.
    pub fn with_retry(mut self, retry: RetryPolicy) -> NewRelic {
        self.retry = retry;
        self
    }

    pub fn base_url(&self) -> &str {
        self.endpoint.base_url()
    }

    /// Sends one GraphQL request and returns its `data`: a 429 is waited out as `Retry-After`
    /// says (a few tries, then a rate-limit failure), a 401/403 is a rejected key, and
    /// `errors` in the answer (even with a 200) a failure saying their messages.
    async fn graphql<T: DeserializeOwned>(
        &self,
        query: &str,
        variables: Value,
    ) -> Result<T, BackendError> {
        let body = json!({ "query": query, "variables": variables });
        let build = || self.endpoint.request(Method::POST, "graphql").json(&body);
        let reply = self.endpoint.send_retrying(build, self.retry).await?;
        check_status(&reply)?;
        let answer: GraphqlReply<T> = decode(&reply.url, &reply.body)?;
        if !answer.errors.is_empty() {
            let message = answer
                .errors
                .iter()
                .map(|e| one_line(&e.message))
                .collect::<Vec<_>>()
                .join("; ");
            return Err(BackendError::Api {
                url: reply.url,
                error_type: "NerdGraph error".into(),
                message,
            });
        }
        answer.data.ok_or_else(|| BackendError::Decode {
            url: reply.url,
            detail: "no data and no errors".into(),
        })
    }

    /// The account's active issues (`ACTIVATED`, `CREATED`), every page up to [`MAX_PAGES`],
    /// as alerts.
    pub async fn issues(&self) -> Result<Vec<Alert>, BackendError> {
        self.issue_listing().await.map(|l| l.alerts)
    }

    /// [`NewRelic::issues`], cut short when [`MAX_PAGES`] pages were read and another cursor
    /// was offered.
    pub async fn issue_listing(&self) -> Result<Listing, BackendError> {
        let mut alerts = Vec::new();
        let mut cursor: Option<String> = None;
        let mut cut_short = false;
        for page in 0..MAX_PAGES {
            let data: ActorData<IssuesAccount> = self
                .graphql(
                    ISSUES,
                    json!({ "accountId": self.account_id, "cursor": cursor }),
                )
                .await?;
            let listed = data
                .actor
                .and_then(|a| a.account)
                .and_then(|a| a.ai_issues)
                .and_then(|a| a.issues)
                .ok_or_else(|| BackendError::Decode {
                    url: self.endpoint.url("graphql"),
                    detail: format!("no issues for account {}", self.account_id),
                })?;
            alerts.extend(listed.issues.iter().map(|i| self.alert(i)));
            match listed.next_cursor.filter(|c| !c.is_empty()) {
                Some(next) if Some(&next) != cursor.as_ref() => cursor = Some(next),
                _ => break,
            }
            cut_short = page + 1 == MAX_PAGES;
        }
        Ok(Listing { alerts, cut_short })
    }

    /// An issue as an alert: named by its title, mapped to a catalog service by its entities
    /// (the configured mapping first, else the entity's own name).
    fn alert(&self, i: &Issue) -> Alert {
        let title = i
            .title
            .first()
            .map(|t| one_line(t))
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| format!("New Relic issue {}", i.issue_id));
        let service = i
            .entity_names
            .iter()
            .find_map(|e| self.services.get(e))
            .cloned()
            .or_else(|| i.entity_names.first().cloned());
        let severity = match i.priority.as_str() {
            "CRITICAL" | "HIGH" => "critical",
            "MEDIUM" => "warning",
            _ => "info",
        };
        let mut labels = vec![
            ("alertname".to_string(), title.clone()),
            ("severity".to_string(), severity.to_string()),
            ("priority".to_string(), i.priority.to_ascii_lowercase()),
            ("state".to_string(), i.state.to_ascii_lowercase()),
        ];
        if let Some(s) = &service {
            labels.push(("service".into(), s.clone()));
        }
        if let Some(e) = i.entity_names.first() {
            labels.push(("entity".into(), e.clone()));
        }
        let mut annotations = vec![
            ("summary".to_string(), title),
            (ISSUE_ANNOTATION.to_string(), i.issue_id.clone()),
        ];
        let description = i.description.join("\n");
        if !description.trim().is_empty() {
            annotations.push(("description".into(), description));
        }
        if !i.entity_guids.is_empty() {
            annotations.push(("entity_guids".into(), i.entity_guids.join(",")));
        }
        if i.acknowledged_at.is_some() {
            annotations.push(("acknowledged".into(), "yes".into()));
        }
        let starts_at = i
            .activated_at
            .or(i.created_at)
            .and_then(DateTime::from_timestamp_millis)
            .unwrap_or(DateTime::UNIX_EPOCH);
        Alert {
            fingerprint: fingerprint_of([
                ("newrelic_account", self.account_id.to_string().as_str()),
                ("issue", i.issue_id.as_str()),
            ]),
            labels: labels.into_iter().collect::<Labels>(),
            annotations: annotations.into_iter().collect(),
            starts_at,
            ends_at: None,
            generator_url: i
                .deep_link_url
                .first()
                .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
                .cloned(),
            state: if i.acknowledged_at.is_some() {
                AlertState::Suppressed
            } else {
                AlertState::Active
            },
            silenced_by: Vec::new(),
            inhibited_by: Vec::new(),
            sources: Vec::new(),
        }
    }

    /// Acknowledges the issue behind `alert`; `Ok` says what New Relic answered.
    pub async fn acknowledge(&self, alert: &Alert) -> Result<String, BackendError> {
        let issue = alert
            .annotations
            .get(ISSUE_ANNOTATION)
            .filter(|i| !i.is_empty())
            .ok_or_else(|| {
                BackendError::Setup(format!("{}: not a New Relic issue", alert.name()))
            })?;
        let data: AckData = self
            .graphql(
                ACK,
                json!({ "accountId": self.account_id, "issueId": issue }),
            )
            .await?;
        let ack = data.ack.ok_or_else(|| BackendError::Decode {
            url: self.endpoint.url("graphql"),
            detail: "no aiIssuesAckIssue in the answer".into(),
        })?;
        if let Some(e) = ack.error.filter(|e| !e.trim().is_empty()) {
            return Err(BackendError::Api {
                url: self.endpoint.url("graphql"),
                error_type: "aiIssuesAckIssue".into(),
                message: one_line(&e),
            });
        }
        let id = ack
            .result
            .and_then(|r| r.issue_id)
            .unwrap_or_else(|| issue.to_string());
        Ok(format!("New Relic acknowledged issue {}", one_line(&id)))
    }

    /// Runs `nrql` (a `SELECT … FROM … WHERE …`) between `from` and `to` as a `TIMESERIES`
    /// at `step` (coarser when more than NRQL's buckets would be needed): each bucket's
    /// worst value at its start, `None` where the bucket has no value.
    pub async fn timeseries(
        &self,
        nrql: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        step: Duration,
    ) -> Result<MetricPoints, BackendError> {
        let span = (to - from).num_seconds().max(1);
        let step = i64::try_from(step.as_secs())
            .unwrap_or(i64::MAX)
            .max(1)
            .max((span + MAX_BUCKETS - 1) / MAX_BUCKETS);
        let query = format!(
            "{} SINCE {} UNTIL {} TIMESERIES {step} seconds",
            nrql.trim(),
            from.timestamp_millis(),
            to.timestamp_millis()
        );
        let data: ActorData<NrqlAccount> = self
            .graphql(NRQL, json!({ "accountId": self.account_id, "nrql": query }))
            .await?;
        let results = data
            .actor
            .and_then(|a| a.account)
            .and_then(|a| a.nrql)
            .map(|n| n.results)
            .ok_or_else(|| BackendError::Decode {
                url: self.endpoint.url("graphql"),
                detail: "no nrql results in the answer".into(),
            })?;
        let mut points: BTreeMap<DateTime<Utc>, Option<f64>> = BTreeMap::new();
        for row in &results {
            let Some(at) = row["beginTimeSeconds"]
                .as_f64()
                .and_then(|s| DateTime::from_timestamp_millis((s * 1000.0) as i64))
            else {
                continue;
            };
            let value = bucket_value(row);
            let e = points.entry(at).or_insert(value);
            *e = match (*e, value) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
        }
        Ok(points.into_iter().collect())
    }
}

/// The worst number in one `TIMESERIES` bucket: every member but the bucket's times and
/// facet, a number or (for functions such as `percentile`) an object of numbers; `None` when
/// the bucket holds none (no data then).
fn bucket_value(row: &Value) -> Option<f64> {
    let Value::Object(members) = row else {
        return None;
    };
    let mut worst: Option<f64> = None;
    let mut take = |v: &Value| {
        if let Some(n) = v.as_f64().filter(|n| n.is_finite()) {
            worst = Some(worst.map_or(n, |w| w.max(n)));
        }
    };
    for (k, v) in members {
        if matches!(
            k.as_str(),
            "beginTimeSeconds" | "endTimeSeconds" | "facet" | "inspectedCount"
        ) {
            continue;
        }
        match v {
            Value::Object(inner) => inner.values().for_each(&mut take),
            v => take(v),
        }
    }
    worst
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_without_data_is_a_gap_and_the_worst_number_wins() {
        assert_eq!(
            bucket_value(
                &json!({"beginTimeSeconds": 1, "endTimeSeconds": 2, "average.duration": null})
            ),
            None
        );
        assert_eq!(
            bucket_value(
                &json!({"beginTimeSeconds": 1, "endTimeSeconds": 2, "count": 3, "max.x": 7.5})
            ),
            Some(7.5)
        );
        assert_eq!(
            bucket_value(
                &json!({"beginTimeSeconds": 1, "percentile.duration": {"95": 0.4, "99": 1.2}})
            ),
            Some(1.2)
        );
    }
}
