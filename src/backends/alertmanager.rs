//! Alertmanager API v2: alerts, alert groups, silences, status.
//!
//! Reads Alertmanager 0.25 and newer shapes alike: unknown fields are ignored and every
//! optional field (`receivers`, `mutedBy`, silence `annotations`, …) may be absent or `null`.
//! The base URL may carry a path prefix (Grafana serves its Alertmanager-compatible API under
//! `/api/alertmanager/grafana`).

use super::http::{BackendError, Endpoint, encode_segment, null_default};
use super::matcher::Matcher;
use crate::domain::{
    Alert, AlertState, Interner, Labels, deserialize_shared, fingerprint_of, sharing_strings,
};
use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Which alerts `GET /api/v2/alerts` returns. `Default` is everything (as the API's own
/// defaults): active, silenced, inhibited and unprocessed, no matchers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertFilter {
    /// All must match (`filter=` query parameters).
    pub matchers: Vec<Matcher>,
    pub active: bool,
    pub silenced: bool,
    pub inhibited: bool,
    pub unprocessed: bool,
}

/// An alert as `POST /api/v2/alerts` takes it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostableAlert {
    pub labels: std::collections::BTreeMap<String, String>,
    pub annotations: std::collections::BTreeMap<String, String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

impl Default for AlertFilter {
    fn default() -> Self {
        AlertFilter {
            matchers: Vec::new(),
            active: true,
            silenced: true,
            inhibited: true,
            unprocessed: true,
        }
    }
}

impl AlertFilter {
    /// Every alert whose labels match all of `matchers`.
    pub fn matching(matchers: &[Matcher]) -> AlertFilter {
        AlertFilter {
            matchers: matchers.to_vec(),
            ..AlertFilter::default()
        }
    }

    fn query(&self, with_unprocessed: bool) -> Vec<(&'static str, String)> {
        let mut q = vec![
            ("active", self.active.to_string()),
            ("silenced", self.silenced.to_string()),
            ("inhibited", self.inhibited.to_string()),
        ];
        if with_unprocessed {
            q.push(("unprocessed", self.unprocessed.to_string()));
        }
        q.extend(self.matchers.iter().map(|m| ("filter", m.to_string())));
        q
    }
}

/// One group as Alertmanager's routing tree formed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertGroup {
    /// The `group_by` labels of the route.
    pub labels: BTreeMap<String, String>,
    pub receiver: String,
    pub alerts: Vec<Alert>,
}

/// A silence as listed by `GET /api/v2/silences`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Silence {
    #[serde(default, deserialize_with = "null_default")]
    pub id: String,
    #[serde(default, deserialize_with = "null_default")]
    pub matchers: Vec<Matcher>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "null_default")]
    pub created_by: String,
    #[serde(default, deserialize_with = "null_default")]
    pub comment: String,
    #[serde(default, deserialize_with = "null_default")]
    pub status: SilenceStatus,
    /// Newer Alertmanagers only.
    #[serde(default, deserialize_with = "null_default")]
    pub annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct SilenceStatus {
    /// `active`, `pending` or `expired`.
    #[serde(default, deserialize_with = "null_default")]
    pub state: String,
}

impl Silence {
    pub fn is_active(&self) -> bool {
        self.status.state == "active"
    }
}

/// What `GET /api/v2/status` says, reduced to what a probe shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmStatus {
    pub version: String,
    /// `ready`, `settling` or `disabled` (running alone).
    pub cluster: String,
    pub uptime: Option<DateTime<Utc>>,
}

/// An Alertmanager (or an API-compatible one: Grafana, Mimir) at a base URL.
#[derive(Debug, Clone)]
pub struct Alertmanager {
    endpoint: Endpoint,
    /// Kept across polls: each answer's labels share those of the alerts already shown.
    decoder: AlertDecoder,
}

impl Alertmanager {
    /// `endpoint`'s base URL is the one the UI is served at (`http://am:9093`, or with a
    /// prefix); `/api/v2/...` is appended.
    pub fn new(endpoint: Endpoint) -> Alertmanager {
        Alertmanager {
            endpoint,
            decoder: AlertDecoder::default(),
        }
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// `GET /api/v2/alerts`, mapped to [`Alert`]s (without `sources`; the board adds them).
    pub async fn alerts(&self, filter: &AlertFilter) -> Result<Vec<Alert>, BackendError> {
        let req = self
            .endpoint
            .request(Method::GET, "api/v2/alerts")
            .query(&filter.query(true));
        let reply = self.endpoint.send_ok(req).await?;
        self.decoder
            .parse(&reply.body)
            .map_err(|detail| BackendError::Decode {
                url: reply.url,
                detail,
            })
    }

    /// `GET /api/v2/alerts/groups` (the `unprocessed` flag does not apply there).
    pub async fn alert_groups(
        &self,
        filter: &AlertFilter,
    ) -> Result<Vec<AlertGroup>, BackendError> {
        let req = self
            .endpoint
            .request(Method::GET, "api/v2/alerts/groups")
            .query(&filter.query(false));
        let groups: Vec<WireGroup> = self.endpoint.json(req).await?;
        Ok(groups
            .into_iter()
            .map(|g| AlertGroup {
                labels: g.labels,
                receiver: g.receiver.name,
                alerts: g.alerts.into_iter().map(WireAlert::into_alert).collect(),
            })
            .collect())
    }

    /// `POST /api/v2/alerts`: alerts as a Prometheus sends them (a live drill's synthetic
    /// ones; the same again with `ends_at` now expires them).
    pub async fn post_alerts(&self, alerts: &[PostableAlert]) -> Result<(), BackendError> {
        let req = self
            .endpoint
            .request(Method::POST, "api/v2/alerts")
            .json(alerts);
        self.endpoint.send_ok(req).await.map(|_| ())
    }

    /// `POST /api/v2/silences`; returns the new silence's ID.
    pub async fn create_silence(
        &self,
        matchers: &[Matcher],
        starts: DateTime<Utc>,
        ends: DateTime<Utc>,
        created_by: &str,
        comment: &str,
    ) -> Result<String, BackendError> {
        if matchers.is_empty() {
            return Err(BackendError::Setup(
                "a silence needs at least one matcher".into(),
            ));
        }
        let body = PostableSilence {
            matchers,
            starts_at: starts,
            ends_at: ends,
            created_by,
            comment,
        };
        let req = self
            .endpoint
            .request(Method::POST, "api/v2/silences")
            .json(&body);
        let reply = self.endpoint.send_ok(req).await?;
        let created: Created = super::http::decode(&reply.url, &reply.body)?;
        if created.silence_id.is_empty() {
            return Err(BackendError::Decode {
                url: reply.url,
                detail: "no silenceID in the answer".into(),
            });
        }
        Ok(created.silence_id)
    }

    /// `DELETE /api/v2/silence/{id}`: the silence expires now.
    pub async fn expire_silence(&self, id: &str) -> Result<(), BackendError> {
        let path = format!("api/v2/silence/{}", encode_segment(id));
        let req = self.endpoint.request(Method::DELETE, &path);
        self.endpoint.send_ok(req).await.map(|_| ())
    }

    /// `GET /api/v2/silences`: every silence, expired ones included.
    pub async fn silences(&self) -> Result<Vec<Silence>, BackendError> {
        let req = self.endpoint.request(Method::GET, "api/v2/silences");
        self.endpoint.json(req).await
    }

    /// `GET /api/v2/status`: version and cluster state, for probing.
    pub async fn status(&self) -> Result<AmStatus, BackendError> {
        let req = self.endpoint.request(Method::GET, "api/v2/status");
        let s: WireStatus = self.endpoint.json(req).await?;
        Ok(AmStatus {
            version: s.version_info.version,
            cluster: s.cluster.status,
            uptime: s.uptime,
        })
    }
}

/// Decodes a `GET /api/v2/alerts` body into [`Alert`]s. The error is serde's message (with
/// line and column).
///
/// Each alert is mapped as soon as it is read, and label names and values repeated across
/// alerts are held once: 100,000 alerts take tens of megabytes, not hundreds. Nothing is
/// shared with an earlier answer; a poller uses an [`AlertDecoder`] for that.
pub fn parse_alerts(body: &[u8]) -> Result<Vec<Alert>, String> {
    AlertDecoder::default().parse(body)
}

/// Decodes one source's successive `GET /api/v2/alerts` answers, keeping the label strings
/// and label sets it decoded last time: an alert still firing at the next poll gets the very
/// labels and annotations the one on screen holds, so while a poll is decoded its 100,000
/// alerts do not need a second copy of them. What no alert holds any more is forgotten at the
/// next decode. Clones share the same memory of earlier answers.
#[derive(Debug, Clone, Default)]
pub struct AlertDecoder {
    interner: Arc<Mutex<Interner>>,
}

impl AlertDecoder {
    /// As [`parse_alerts`], sharing strings with this decoder's earlier answers.
    pub fn parse(&self, body: &[u8]) -> Result<Vec<Alert>, String> {
        // A decode that panicked left a valid interner behind: nothing to repair.
        let mut interner = self
            .interner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        interner.forget_unused();
        sharing_strings(&mut interner, || {
            let mut de = serde_json::Deserializer::from_slice(body);
            let alerts = serde::Deserializer::deserialize_seq(&mut de, AlertsVisitor)
                .and_then(|a| de.end().map(|()| a));
            alerts.map_err(|e| e.to_string())
        })
    }
}

/// A JSON array of alerts, each mapped to an [`Alert`] as it is read.
struct AlertsVisitor;

impl<'de> serde::de::Visitor<'de> for AlertsVisitor {
    type Value = Vec<Alert>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a sequence")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Alert>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(w) = seq.next_element::<WireAlert>()? {
            out.push(w.into_alert());
        }
        out.shrink_to_fit();
        Ok(out)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireAlert {
    #[serde(default, deserialize_with = "deserialize_shared")]
    labels: Labels,
    #[serde(default, deserialize_with = "deserialize_shared")]
    annotations: Labels,
    #[serde(default, deserialize_with = "null_default")]
    fingerprint: String,
    #[serde(default)]
    starts_at: Option<DateTime<Utc>>,
    #[serde(default)]
    updated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    ends_at: Option<DateTime<Utc>>,
    #[serde(default, rename = "generatorURL")]
    generator_url: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    status: WireStatusOfAlert,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireStatusOfAlert {
    #[serde(default, deserialize_with = "null_default")]
    state: String,
    #[serde(default, deserialize_with = "null_default")]
    silenced_by: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    inhibited_by: Vec<String>,
    /// Newer Alertmanagers: names of the time intervals muting it.
    #[serde(default, deserialize_with = "null_default")]
    muted_by: Vec<String>,
}

impl WireAlert {
    fn into_alert(self) -> Alert {
        let s = self.status;
        let state = match s.state.as_str() {
            "suppressed" => AlertState::Suppressed,
            "unprocessed" => AlertState::Unprocessed,
            // "active", and whatever a future version adds: show it as firing, never hide it.
            _ if !s.silenced_by.is_empty()
                || !s.inhibited_by.is_empty()
                || !s.muted_by.is_empty() =>
            {
                AlertState::Suppressed
            }
            _ => AlertState::Active,
        };
        let fingerprint = if self.fingerprint.is_empty() {
            fingerprint_of(&self.labels)
        } else {
            self.fingerprint
        };
        Alert {
            fingerprint,
            labels: self.labels,
            annotations: self.annotations,
            starts_at: self
                .starts_at
                .or(self.updated_at)
                .unwrap_or(DateTime::UNIX_EPOCH),
            ends_at: self.ends_at,
            generator_url: self.generator_url.filter(|u| !u.is_empty()),
            state,
            silenced_by: s.silenced_by,
            inhibited_by: s.inhibited_by,
            sources: Vec::new(),
        }
    }
}

#[derive(Deserialize)]
struct WireGroup {
    #[serde(default, deserialize_with = "null_default")]
    labels: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "null_default")]
    receiver: WireReceiver,
    #[serde(default, deserialize_with = "null_default")]
    alerts: Vec<WireAlert>,
}

#[derive(Default, Deserialize)]
struct WireReceiver {
    #[serde(default, deserialize_with = "null_default")]
    name: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PostableSilence<'a> {
    matchers: &'a [Matcher],
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    created_by: &'a str,
    comment: &'a str,
}

#[derive(Deserialize)]
struct Created {
    #[serde(default, rename = "silenceID", deserialize_with = "null_default")]
    silence_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireStatus {
    #[serde(default, deserialize_with = "null_default")]
    version_info: WireVersion,
    #[serde(default, deserialize_with = "null_default")]
    cluster: WireCluster,
    #[serde(default)]
    uptime: Option<DateTime<Utc>>,
}

#[derive(Default, Deserialize)]
struct WireVersion {
    #[serde(default, deserialize_with = "null_default")]
    version: String,
}

#[derive(Default, Deserialize)]
struct WireCluster {
    #[serde(default, deserialize_with = "null_default")]
    status: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_query_repeats_filter_and_keeps_flags() {
        let f = AlertFilter::matching(&[
            Matcher::equal("service", "checkout"),
            Matcher::regex("env", "prod|staging"),
        ]);
        let q = f.query(true);
        assert_eq!(q.iter().filter(|(k, _)| *k == "filter").count(), 2);
        assert!(q.contains(&("filter", "service=\"checkout\"".into())));
        assert!(q.contains(&("unprocessed", "true".into())));
        assert!(!f.query(false).iter().any(|(k, _)| *k == "unprocessed"));
    }

    #[test]
    fn a_decoder_shares_the_labels_of_its_last_answer_and_forgets_what_is_gone() {
        let body = br#"[{"labels":{"alertname":"Down","instance":"10.0.0.1:9100"},
            "annotations":{"summary":"instance 1 is down"},"fingerprint":"01"}]"#;
        let decoder = AlertDecoder::default();
        let shown = decoder.parse(body).unwrap();
        let next = decoder.parse(body).unwrap();
        assert_eq!(shown, next);
        let (a, b) = (&shown[0], &next[0]);
        assert!(
            std::ptr::eq(
                a.labels.iter().next().unwrap().1,
                b.labels.iter().next().unwrap().1
            ),
            "the next answer's labels are the ones on screen"
        );
        assert!(
            std::ptr::eq(a.summary(), b.summary()),
            "and its annotations"
        );
        // Once neither answer is held, the next decode keeps nothing of them.
        drop((shown, next));
        let other = decoder
            .parse(br#"[{"labels":{"alertname":"Up"},"fingerprint":"02"}]"#)
            .unwrap();
        assert_eq!(other[0].name(), "Up");
        let held = decoder.interner.lock().unwrap().held();
        assert_eq!(held, (2, 1), "`alertname`, `Up` and their set");
        // Separate decoders share nothing.
        let apart = AlertDecoder::default().parse(body).unwrap();
        assert!(!std::ptr::eq(
            apart[0].summary(),
            AlertDecoder::default().parse(body).unwrap()[0].summary()
        ));
    }

    #[test]
    fn unknown_states_show_as_firing() {
        let a = parse_alerts(br#"[{"labels":{"alertname":"X"},"status":{"state":"new-thing"}}]"#)
            .unwrap();
        assert_eq!(a[0].state, AlertState::Active);
        assert_eq!(a[0].fingerprint, fingerprint_of(&a[0].labels));
    }
}
