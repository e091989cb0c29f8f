//! AWS SNS over HTTP(S). Every message (subscription confirmations too) must be for one of
//! the source's `topics` and carry a valid signature: version 1 is SHA1withRSA, version 2
//! SHA256withRSA, over the canonical string SNS documents, checked against the signing
//! certificate at `SigningCertURL`, which is fetched (once, then cached) only from an
//! `https://sns.<region>.amazonaws.com/….pem` URL, so the certificate comes from AWS by TLS.
//! A confirmation is confirmed by GETting its `SubscribeURL`, which must be on the same
//! hosts. A notification's message becomes alerts: an Alertmanager or Grafana webhook body,
//! a CloudWatch alarm (`NewStateValue` `OK` resolves it), or any other text as one alert
//! named by the subject.

use super::Refusal;
use super::payload::{self, Pushed};
use crate::domain::{Alert, AlertState, Labels, fingerprint_of};
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Signing certificates kept at most (AWS rotates them rarely).
const CACHE_MAX: usize = 32;
/// Longest signing certificate read.
const MAX_CERT_BYTES: usize = 64 * 1024;

/// Where signing certificates and subscription URLs may be, and the client that fetches them.
pub struct Trust {
    rule: HostRule,
    client: Result<reqwest::Client, String>,
}

enum HostRule {
    /// `sns.<region>.amazonaws.com` on 443, the platform's roots.
    Aws,
    /// One `host:port`, for tests.
    Exact(String),
}

impl Trust {
    /// AWS's hosts, through the system's trusted roots: what every warroom uses.
    pub fn aws() -> Trust {
        Trust {
            rule: HostRule::Aws,
            client: crate::backends::http_client(),
        }
    }

    /// One `host:port` (a test's HTTPS server on loopback) reached with `client` (trusting
    /// the test's CA). Only code linking the library can build it: no configuration key and
    /// no environment variable leads here, so a warroom binary trusts AWS's hosts alone.
    pub fn for_tests(host_port: &str, client: reqwest::Client) -> Trust {
        Trust {
            rule: HostRule::Exact(host_port.to_string()),
            client: Ok(client),
        }
    }

    /// Whether `url` is an HTTPS URL on the trusted hosts; the base URL (scheme, host, port)
    /// and the rest (path and query) when it is.
    fn allows(&self, url: &str) -> Option<(String, String)> {
        let u = reqwest::Url::parse(url).ok()?;
        if u.scheme() != "https" || !u.username().is_empty() || u.password().is_some() {
            return None;
        }
        let host = u.host_str()?;
        let ok = match &self.rule {
            HostRule::Aws => u.port().is_none() && aws_sns_host(host),
            HostRule::Exact(want) => u.port().is_some_and(|p| format!("{host}:{p}") == *want),
        };
        if !ok {
            return None;
        }
        let base = match u.port() {
            Some(p) => format!("https://{host}:{p}"),
            None => format!("https://{host}"),
        };
        let rest = match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        };
        Some((base, rest))
    }
}

/// `sns.<region>.amazonaws.com`, the region being lower-case letters, digits and dashes.
fn aws_sns_host(host: &str) -> bool {
    host.strip_prefix("sns.")
        .and_then(|h| h.strip_suffix(".amazonaws.com"))
        .is_some_and(|region| {
            !region.is_empty()
                && region
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// What a message led to.
pub enum Outcome {
    Alerts(Vec<Pushed>),
    /// Nothing for the board; what was done.
    Said(&'static str),
}

/// Checks messages, keeping the signing certificates it fetched.
pub struct Verifier {
    trust: Trust,
    /// Certificate URL → its RSA public key (PKCS#1 DER).
    keys: Mutex<HashMap<String, Arc<[u8]>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Message {
    #[serde(rename = "Type")]
    kind: String,
    message_id: String,
    topic_arn: String,
    #[serde(default)]
    subject: Option<String>,
    message: String,
    timestamp: String,
    #[serde(default)]
    token: Option<String>,
    #[serde(default, rename = "SubscribeURL")]
    subscribe_url: Option<String>,
    signature_version: String,
    signature: String,
    #[serde(rename = "SigningCertURL")]
    signing_cert_url: String,
}

fn refuse(status: StatusCode, reason: impl Into<String>) -> Refusal {
    Refusal::new(status, reason)
}

impl Message {
    /// The string SNS signs: each field's name and value on lines of their own, in this
    /// order, the subject only when there is one.
    fn canonical(&self) -> Result<String, Refusal> {
        let mut fields: Vec<(&str, &str)> =
            vec![("Message", &self.message), ("MessageId", &self.message_id)];
        match self.kind.as_str() {
            "Notification" => {
                if let Some(s) = &self.subject {
                    fields.push(("Subject", s));
                }
                fields.push(("Timestamp", &self.timestamp));
                fields.push(("TopicArn", &self.topic_arn));
            }
            "SubscriptionConfirmation" | "UnsubscribeConfirmation" => {
                let missing = |f: &str| {
                    refuse(
                        StatusCode::BAD_REQUEST,
                        format!("{} without {f}", self.kind),
                    )
                };
                fields.push((
                    "SubscribeURL",
                    self.subscribe_url
                        .as_deref()
                        .ok_or_else(|| missing("SubscribeURL"))?,
                ));
                fields.push(("Timestamp", &self.timestamp));
                fields.push((
                    "Token",
                    self.token.as_deref().ok_or_else(|| missing("Token"))?,
                ));
                fields.push(("TopicArn", &self.topic_arn));
            }
            other => {
                return Err(refuse(
                    StatusCode::BAD_REQUEST,
                    format!("unknown SNS message Type {other:?}"),
                ));
            }
        }
        fields.push(("Type", &self.kind));
        Ok(fields.iter().map(|(k, v)| format!("{k}\n{v}\n")).collect())
    }
}

impl Verifier {
    pub fn new(trust: Trust) -> Verifier {
        Verifier {
            trust,
            keys: Mutex::new(HashMap::new()),
        }
    }

    /// Checks and acts on one SNS message (`body`) for a source taking `topics`.
    pub async fn take(
        &self,
        topics: &[String],
        _headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Outcome, Refusal> {
        let m: Message = serde_json::from_slice(body).map_err(|e| {
            refuse(
                StatusCode::BAD_REQUEST,
                format!("malformed SNS message: {e}"),
            )
        })?;
        if !topics.contains(&m.topic_arn) {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                format!("topic {} is not one of this source's topics", m.topic_arn),
            ));
        }
        self.verify(&m).await?;
        match m.kind.as_str() {
            "SubscriptionConfirmation" => {
                let url = m.subscribe_url.as_deref().unwrap_or_default();
                let (base, rest) = self.trust.allows(url).ok_or_else(|| {
                    refuse(
                        StatusCode::FORBIDDEN,
                        "SubscribeURL is not on an sns.<region>.amazonaws.com host",
                    )
                })?;
                self.get(&base, &rest, 64 * 1024).await.map_err(|e| {
                    refuse(
                        StatusCode::BAD_GATEWAY,
                        format!("the subscription could not be confirmed: {e}"),
                    )
                })?;
                Ok(Outcome::Said("subscription confirmed"))
            }
            "UnsubscribeConfirmation" => Ok(Outcome::Said("unsubscribed")),
            _ => notification(&m)
                .map(Outcome::Alerts)
                .map_err(|e| refuse(StatusCode::BAD_REQUEST, e)),
        }
    }

    async fn get(&self, base: &str, rest: &str, max: usize) -> Result<Vec<u8>, String> {
        let client = self.trust.client.clone()?;
        let endpoint = crate::backends::Endpoint::new(client, base, Duration::from_secs(5))
            .map_err(|e| e.to_string())?
            .with_max_body(max);
        let reply = endpoint
            .send_ok(endpoint.request(reqwest::Method::GET, rest))
            .await
            .map_err(|e| e.to_string())?;
        Ok(reply.body)
    }

    async fn verify(&self, m: &Message) -> Result<(), Refusal> {
        use ring::signature;
        let alg: &dyn signature::VerificationAlgorithm = match m.signature_version.as_str() {
            "1" => &signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
            "2" => &signature::RSA_PKCS1_2048_8192_SHA256,
            v => {
                return Err(refuse(
                    StatusCode::FORBIDDEN,
                    format!("SignatureVersion {v:?} is not 1 or 2"),
                ));
            }
        };
        let canonical = m.canonical()?;
        use base64::Engine;
        let sig = base64::engine::general_purpose::STANDARD
            .decode(m.signature.trim())
            .map_err(|_| refuse(StatusCode::FORBIDDEN, "the Signature is not base64"))?;
        let key = self.key(&m.signing_cert_url).await?;
        signature::UnparsedPublicKey::new(alg, &key[..])
            .verify(canonical.as_bytes(), &sig)
            .map_err(|_| refuse(StatusCode::FORBIDDEN, "the signature does not verify"))
    }

    /// The RSA public key of the certificate at `url`, fetched once from a trusted host.
    async fn key(&self, url: &str) -> Result<Arc<[u8]>, Refusal> {
        let (base, rest) = self
            .trust
            .allows(url)
            .filter(|(_, r)| r.ends_with(".pem"))
            .ok_or_else(|| {
                refuse(
                    StatusCode::FORBIDDEN,
                    "SigningCertURL is not a .pem on an sns.<region>.amazonaws.com host",
                )
            })?;
        if let Some(k) = self.keys.lock().ok().and_then(|k| k.get(url).cloned()) {
            return Ok(k);
        }
        let pem = self.get(&base, &rest, MAX_CERT_BYTES).await.map_err(|e| {
            refuse(
                StatusCode::BAD_GATEWAY,
                format!("the signing certificate could not be fetched: {e}"),
            )
        })?;
        let key: Arc<[u8]> = rsa_key_of(&pem)
            .map_err(|e| {
                refuse(
                    StatusCode::FORBIDDEN,
                    format!("the signing certificate: {e}"),
                )
            })?
            .into();
        if let Ok(mut keys) = self.keys.lock() {
            if keys.len() >= CACHE_MAX {
                keys.clear();
            }
            keys.insert(url.to_string(), key.clone());
        }
        Ok(key)
    }
}

/// The RSA public key (PKCS#1 DER) of a PEM certificate.
fn rsa_key_of(pem_text: &[u8]) -> Result<Vec<u8>, String> {
    use x509_cert::der::Decode;
    let pem = pem::parse(pem_text).map_err(|e| format!("not PEM: {e}"))?;
    let cert = x509_cert::Certificate::from_der(pem.contents())
        .map_err(|e| format!("not an X.509 certificate: {e}"))?;
    let spki = &cert.tbs_certificate.subject_public_key_info;
    if spki.algorithm.oid.to_string() != "1.2.840.113549.1.1.1" {
        return Err("its key is not RSA".into());
    }
    spki.subject_public_key
        .as_bytes()
        .map(<[u8]>::to_vec)
        .ok_or_else(|| "its key cannot be read".into())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CloudWatchAlarm {
    alarm_name: String,
    #[serde(default)]
    alarm_description: Option<String>,
    new_state_value: String,
    #[serde(default)]
    new_state_reason: Option<String>,
    #[serde(default)]
    region: Option<String>,
}

/// A notification's alerts.
fn notification(m: &Message) -> Result<Vec<Pushed>, String> {
    let text = m.message.trim_start();
    if text.starts_with('{') {
        if let Ok(alarm) = serde_json::from_str::<CloudWatchAlarm>(text) {
            let mut pairs = vec![
                ("alertname", alarm.alarm_name.clone()),
                ("topic", m.topic_arn.clone()),
            ];
            if let Some(r) = alarm.region {
                pairs.push(("region", r));
            }
            let summary = alarm
                .alarm_description
                .filter(|d| !d.is_empty())
                .or(alarm.new_state_reason);
            return Ok(vec![one(pairs, summary, alarm.new_state_value == "OK")]);
        }
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("the message: malformed JSON: {e}"))?;
        if v.get("alerts").is_some() {
            return if v.get("version").and_then(|x| x.as_str()) == Some("4") {
                payload::alertmanager(text.as_bytes())
            } else {
                payload::grafana(text.as_bytes())
            };
        }
    }
    let name = m
        .subject
        .clone()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "SNS notification".into());
    let summary: String = m.message.chars().take(1000).collect();
    Ok(vec![one(
        vec![("alertname", name), ("topic", m.topic_arn.clone())],
        Some(summary),
        false,
    )])
}

fn one(pairs: Vec<(&str, String)>, summary: Option<String>, resolved: bool) -> Pushed {
    let labels = Labels::from_pairs(
        pairs
            .into_iter()
            .map(|(k, v)| (Arc::from(k), Arc::from(v)))
            .collect(),
    );
    let annotations = Labels::from_pairs(
        summary
            .into_iter()
            .map(|s| (Arc::from("summary"), Arc::from(s)))
            .collect(),
    );
    Pushed {
        alert: Alert {
            fingerprint: fingerprint_of(labels.iter()),
            labels,
            annotations,
            starts_at: Utc::now(),
            ends_at: None::<DateTime<Utc>>,
            generator_url: None,
            state: AlertState::Active,
            silenced_by: Vec::new(),
            inhibited_by: Vec::new(),
            sources: Vec::new(),
        },
        resolved,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sns_hosts_over_https_are_trusted() {
        let t = Trust {
            rule: HostRule::Aws,
            client: Err("none".into()),
        };
        assert!(
            t.allows("https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem")
                .is_some()
        );
        for bad in [
            "http://sns.eu-west-1.amazonaws.com/x.pem",
            "https://sns.eu-west-1.amazonaws.com.evil.com/x.pem",
            "https://evil.com/sns.eu-west-1.amazonaws.com/x.pem",
            "https://sns.eu-west-1.amazonaws.com:8443/x.pem",
            "https://user@sns.eu-west-1.amazonaws.com/x.pem",
            "https://s3.amazonaws.com/x.pem",
            "https://sns..amazonaws.com/x.pem",
        ] {
            assert!(t.allows(bad).is_none(), "{bad}");
        }
    }
}
