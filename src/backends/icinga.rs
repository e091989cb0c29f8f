//! Icinga 2's REST API (`https://host:5665/v1/…`, an ApiUser with basic authentication, TLS
//! checked against Icinga's own CA): the problems — services not OK and hosts not UP — as
//! [`Alert`]s, and two write-backs, acknowledge (`/v1/actions/acknowledge-problem`) and
//! comment (`/v1/actions/add-comment`).
//!
//! Objects are listed with `POST` and `X-HTTP-Method-Override: GET`, the filter in a JSON
//! body, as Icinga's documentation advises. Unknown fields are ignored, every field may be
//! absent or `null`, and numbers may be written `2` or `2.0` (older versions).
//!
//! An alert's labels: `alertname` (the service's name, or `host down`), `host`, `service`
//! (absent for a host), `state` (`CRITICAL`, `WARNING`, `UNKNOWN`, `DOWN`), `severity`
//! (`critical` or `warning`), and every custom variable with a plain value (`vars.team`
//! becomes `team`) unless it has one of those names. So `services.toml` maps them with
//! `match = { host = "db1" }`, `{ service = "http" }` or a custom variable.

use super::http::{BackendError, Endpoint, check_status, decode, null_default, one_line_cut};
use crate::config::IcingaConfig;
use crate::domain::{Alert, AlertState, Labels, WriteBack, fingerprint_of};
use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

/// The labels warroom sets itself; a custom variable by one of these names is left out.
const OWN_LABELS: &[&str] = &["alertname", "host", "service", "state", "severity"];

/// The longest plugin output kept (the first line is the summary).
const MAX_OUTPUT: usize = 2_000;

/// An Icinga 2 API at a base URL, logged in as one ApiUser.
#[derive(Debug, Clone)]
pub struct Icinga {
    endpoint: Endpoint,
}

/// The object a write-back goes to: a host, or one service of a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Host { host: String },
    Service { host: String, service: String },
}

impl Target {
    /// The object an alert from Icinga is about, from its `host` and `service` labels.
    pub fn of(alert: &Alert) -> Option<Target> {
        let host = alert.label("host").filter(|h| !h.is_empty())?.to_string();
        Some(match alert.label("service").filter(|s| !s.is_empty()) {
            Some(service) => Target::Service {
                host,
                service: service.to_string(),
            },
            None => Target::Host { host },
        })
    }

    /// `type` and the object's full name (`web1!http`), as the actions take them.
    fn fields(&self) -> serde_json::Map<String, Value> {
        let mut m = serde_json::Map::new();
        match self {
            Target::Host { host } => {
                m.insert("type".into(), "Host".into());
                m.insert("host".into(), host.as_str().into());
            }
            Target::Service { host, service } => {
                m.insert("type".into(), "Service".into());
                m.insert("service".into(), format!("{host}!{service}").into());
            }
        }
        m
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Host { host } => write!(f, "host {host}"),
            Target::Service { host, service } => write!(f, "{service} on {host}"),
        }
    }
}

impl Icinga {
    /// `url` is the API's root (`https://icinga:5665`); `client` must trust Icinga's CA
    /// (see [`Icinga::from_config`]).
    pub fn new(
        client: reqwest::Client,
        url: &str,
        user: &str,
        password: &str,
        timeout: Duration,
    ) -> Result<Icinga, BackendError> {
        let endpoint = Endpoint::new(client, url, timeout)?
            .with_basic(user, password)?
            .with_header("Accept", "application/json")?;
        Ok(Icinga { endpoint })
    }

    /// The client for one `[[icinga]]`: the password from its variable, and, with `ca_file`,
    /// an HTTP client trusting only that CA (else `client`).
    pub fn from_config(
        config: &IcingaConfig,
        client: &reqwest::Client,
        timeout: Duration,
    ) -> Result<Icinga, BackendError> {
        let which = config.display_name();
        let password = config
            .password()
            .map_err(|e| BackendError::Setup(format!("icinga {which}: {e}")))?;
        let client = match config.ca_file() {
            Some(ca) => super::http_client_trusting(ca, "icinga.ca_file")
                .map_err(|e| BackendError::Setup(format!("icinga {which}: {e}")))?,
            None => client.clone(),
        };
        Icinga::new(
            client,
            config.url.get_ref(),
            config.user.get_ref(),
            &password,
            timeout,
        )
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Every problem: services not OK and hosts not UP that have been checked at least once.
    pub async fn problems(&self) -> Result<Vec<Alert>, BackendError> {
        let (services, hosts) = futures::future::try_join(
            self.objects("services", "service.state != 0", SERVICE_ATTRS),
            self.objects("hosts", "host.state != 0", HOST_ATTRS),
        )
        .await?;
        let mut out: Vec<Alert> = hosts.into_iter().filter_map(host_alert).collect();
        out.extend(services.into_iter().filter_map(service_alert));
        Ok(out)
    }

    /// `POST /v1/actions/acknowledge-problem`; Icinga's answer (`Successfully acknowledged
    /// problem for object 'web1!http'.`).
    pub async fn acknowledge(
        &self,
        target: &Target,
        author: &str,
        comment: &str,
    ) -> Result<String, BackendError> {
        self.action("acknowledge-problem", target, author, comment)
            .await
    }

    /// `POST /v1/actions/add-comment`; Icinga's answer.
    pub async fn comment(
        &self,
        target: &Target,
        author: &str,
        comment: &str,
    ) -> Result<String, BackendError> {
        self.action("add-comment", target, author, comment).await
    }

    /// [`Self::acknowledge`] or [`Self::comment`] for the object `alert` (one of this
    /// source's) is about, as `by`. An empty text is said for them: Icinga requires one.
    pub async fn write_back(
        &self,
        alert: &Alert,
        kind: WriteBack,
        text: &str,
        by: &str,
    ) -> Result<String, BackendError> {
        let target = Target::of(alert).ok_or_else(|| {
            BackendError::Setup(format!(
                "{}: not an Icinga problem (it has no host label)",
                alert.name()
            ))
        })?;
        let text = match text.trim() {
            "" => format!("{} in warroom by {by}", kind.done()),
            t => t.to_string(),
        };
        match kind {
            WriteBack::Acknowledge => self.acknowledge(&target, by, &text).await,
            WriteBack::Comment => self.comment(&target, by, &text).await,
            WriteBack::Silence => Err(BackendError::Setup(format!(
                "{}: Icinga takes no silence from warroom (schedule a downtime)",
                alert.name()
            ))),
            WriteBack::Close => Err(BackendError::Setup(format!(
                "{target}: Icinga takes no close (a problem ends when its check recovers)"
            ))),
        }
    }

    /// `GET /v1/status/IcingaApplication`: the version (and that the user may read).
    pub async fn version(&self) -> Result<String, BackendError> {
        let req = self
            .endpoint
            .request(Method::GET, "v1/status/IcingaApplication");
        let reply = self.endpoint.send_ok(req).await?;
        let r: Results<Value> = decode(&reply.url, &reply.body)?;
        let version = r
            .results
            .first()
            .and_then(|s| s.pointer("/status/icingaapplication/app/version"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        if version.is_empty() {
            return Err(BackendError::Decode {
                url: reply.url,
                detail: "no version in the answer".into(),
            });
        }
        Ok(one_line_cut(version, 100))
    }

    async fn objects(
        &self,
        kind: &str,
        filter: &str,
        attrs: &[&str],
    ) -> Result<Vec<Attrs>, BackendError> {
        let req = self
            .endpoint
            .request(Method::POST, &format!("v1/objects/{kind}"))
            .header("X-HTTP-Method-Override", "GET")
            .json(&json!({"filter": filter, "attrs": attrs}));
        let reply = self.endpoint.send_ok(req).await?;
        let r: Results<Object> = decode(&reply.url, &reply.body)?;
        Ok(r.results.into_iter().map(|o| o.attrs).collect())
    }

    async fn action(
        &self,
        action: &str,
        target: &Target,
        author: &str,
        comment: &str,
    ) -> Result<String, BackendError> {
        let mut body = target.fields();
        body.insert("author".into(), author.into());
        body.insert("comment".into(), comment.into());
        let req = self
            .endpoint
            .request(Method::POST, &format!("v1/actions/{action}"))
            .json(&body);
        let reply = self.endpoint.send(req).await?;
        // Icinga answers per object, a failed one with its own code (409: not a problem).
        let answers = serde_json::from_slice::<Results<ActionResult>>(&reply.body)
            .ok()
            .map(|r| r.results)
            .unwrap_or_default();
        if answers.is_empty() {
            check_status(&reply)?;
            return Err(BackendError::Decode {
                url: reply.url,
                detail: format!("no result for {target}"),
            });
        }
        if let Some(failed) = answers.iter().find(|a| !(200.0..300.0).contains(&a.code)) {
            return Err(BackendError::Api {
                url: reply.url,
                error_type: format!("code {}", failed.code),
                message: one_line_cut(&failed.status, 200),
            });
        }
        let said: Vec<String> = answers
            .iter()
            .map(|a| one_line_cut(&a.status, 200))
            .collect();
        Ok(said.join(" "))
    }
}

/// The attributes asked for (Icinga refuses the whole request for one a type lacks).
const HOST_ATTRS: &[&str] = &[
    "name",
    "state",
    "last_state_change",
    "last_check_result",
    "acknowledgement",
    "downtime_depth",
    "vars",
];
const SERVICE_ATTRS: &[&str] = &[
    "name",
    "host_name",
    "state",
    "last_state_change",
    "last_check_result",
    "acknowledgement",
    "downtime_depth",
    "vars",
];

#[derive(Deserialize)]
#[serde(bound = "T: Deserialize<'de>")]
struct Results<T> {
    /// Required: an answer without it is not Icinga's (`null` reads as none).
    #[serde(deserialize_with = "null_default")]
    results: Vec<T>,
}

#[derive(Deserialize)]
struct Object {
    #[serde(default, deserialize_with = "null_default")]
    attrs: Attrs,
}

#[derive(Default, Deserialize)]
struct Attrs {
    #[serde(default, deserialize_with = "null_default")]
    name: String,
    #[serde(default, deserialize_with = "null_default")]
    host_name: String,
    #[serde(default, deserialize_with = "null_default")]
    state: f64,
    #[serde(default, deserialize_with = "null_default")]
    last_state_change: f64,
    #[serde(default)]
    last_check_result: Option<CheckResult>,
    #[serde(default, deserialize_with = "null_default")]
    acknowledgement: f64,
    #[serde(default, deserialize_with = "null_default")]
    downtime_depth: f64,
    #[serde(default, deserialize_with = "null_default")]
    vars: BTreeMap<String, Value>,
}

#[derive(Default, Deserialize)]
struct CheckResult {
    #[serde(default, deserialize_with = "null_default")]
    output: String,
    #[serde(default, deserialize_with = "null_default")]
    execution_end: f64,
}

#[derive(Deserialize)]
struct ActionResult {
    #[serde(default, deserialize_with = "null_default")]
    code: f64,
    #[serde(default, deserialize_with = "null_default")]
    status: String,
}

fn service_alert(a: Attrs) -> Option<Alert> {
    let state = match a.state as i64 {
        1 => "WARNING",
        2 => "CRITICAL",
        _ => "UNKNOWN",
    };
    let severity = if state == "CRITICAL" {
        "critical"
    } else {
        "warning"
    };
    let (host, service) = (a.host_name.clone(), a.name.clone());
    to_alert(a, &service, &host, Some(&service), state, severity)
}

fn host_alert(a: Attrs) -> Option<Alert> {
    let host = a.name.clone();
    to_alert(a, "host down", &host, None, "DOWN", "critical")
}

/// The alert for one problem; none for an object never checked (pending) or without a name.
fn to_alert(
    a: Attrs,
    alertname: &str,
    host: &str,
    service: Option<&str>,
    state: &str,
    severity: &str,
) -> Option<Alert> {
    let check = a.last_check_result?;
    if host.is_empty() || service.is_some_and(str::is_empty) {
        return None;
    }
    let mut labels: BTreeMap<String, String> = a
        .vars
        .into_iter()
        .filter(|(k, _)| !OWN_LABELS.contains(&k.as_str()) && !k.is_empty())
        .filter_map(|(k, v)| {
            let v = match v {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return None,
            };
            Some((k, v))
        })
        .collect();
    labels.insert("alertname".into(), alertname.into());
    labels.insert("host".into(), host.into());
    if let Some(s) = service {
        labels.insert("service".into(), s.into());
    }
    labels.insert("state".into(), state.into());
    labels.insert("severity".into(), severity.into());
    let output: String = check.output.chars().take(MAX_OUTPUT).collect();
    let first = output.lines().next().unwrap_or("").trim();
    let object = match service {
        Some(s) => format!("{host}!{s}"),
        None => host.to_string(),
    };
    let mut annotations = vec![
        ("summary".to_string(), format!("{state}: {first}")),
        ("description".to_string(), output.trim().to_string()),
        ("icinga_object".to_string(), object.clone()),
    ];
    let acknowledged = a.acknowledgement > 0.0;
    if acknowledged {
        annotations.push(("acknowledged".into(), "yes".into()));
    }
    if a.downtime_depth > 0.0 {
        annotations.push(("in_downtime".into(), "yes".into()));
    }
    let since = [a.last_state_change, check.execution_end]
        .into_iter()
        .find(|t| *t > 0.0)
        .and_then(timestamp)
        .unwrap_or(DateTime::UNIX_EPOCH);
    Some(Alert {
        fingerprint: fingerprint_of([("icinga", object.as_str())]),
        labels: Labels::from(labels),
        annotations: annotations.into_iter().collect(),
        starts_at: since,
        ends_at: None,
        generator_url: None,
        state: if acknowledged || a.downtime_depth > 0.0 {
            AlertState::Suppressed
        } else {
            AlertState::Active
        },
        silenced_by: Vec::new(),
        inhibited_by: Vec::new(),
        sources: Vec::new(),
    })
}

/// Unix seconds with a fraction, as Icinga writes times.
fn timestamp(secs: f64) -> Option<DateTime<Utc>> {
    if !secs.is_finite() || !(0.0..=1e11).contains(&secs) {
        return None;
    }
    let whole = secs.trunc() as i64;
    let nanos = ((secs - secs.trunc()) * 1e9) as u32;
    DateTime::from_timestamp(whole, nanos.min(999_999_999))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Vec<Alert> {
        let r: Results<Object> = decode("test", body.as_bytes()).unwrap();
        r.results
            .into_iter()
            .filter_map(|o| {
                if o.attrs.host_name.is_empty() {
                    host_alert(o.attrs)
                } else {
                    service_alert(o.attrs)
                }
            })
            .collect()
    }

    #[test]
    fn a_service_problem_carries_host_service_state_output_and_since() {
        let a = parse(
            r#"{"results":[{"attrs":{"name":"http","host_name":"web1","state":2.0,
            "last_state_change":1796402018.5,"acknowledgement":0,"downtime_depth":0,
            "last_check_result":{"output":"HTTP CRITICAL - 500\nmore detail","execution_end":1796402019.0},
            "vars":{"team":"payments","port":8080,"tls":true,"list":[1],"state":"x"}},
            "joins":{},"meta":{},"name":"web1!http","type":"Service"}]}"#,
        );
        assert_eq!(a.len(), 1);
        let a = &a[0];
        assert_eq!(a.name(), "http");
        assert_eq!(a.label("host"), Some("web1"));
        assert_eq!(a.label("service"), Some("http"));
        assert_eq!(a.label("state"), Some("CRITICAL"));
        assert_eq!(a.label("severity"), Some("critical"));
        assert_eq!(a.label("team"), Some("payments"));
        assert_eq!(a.label("port"), Some("8080"));
        assert_eq!(a.label("tls"), Some("true"));
        assert_eq!(a.label("list"), None);
        assert_eq!(a.summary(), "CRITICAL: HTTP CRITICAL - 500");
        assert_eq!(a.starts_at.timestamp(), 1_796_402_018);
        assert_eq!(a.state, AlertState::Active);
        assert_eq!(
            Target::of(a),
            Some(Target::Service {
                host: "web1".into(),
                service: "http".into()
            })
        );
    }

    #[test]
    fn hosts_down_pending_objects_and_acknowledgements() {
        let a = parse(
            r#"{"results":[
            {"attrs":{"name":"db1","state":1,"last_state_change":0,"acknowledgement":1,
              "last_check_result":{"output":"PING CRITICAL","execution_end":1796402018},"vars":null}},
            {"attrs":{"name":"disk","host_name":"web1","state":3,"last_check_result":null}},
            {"attrs":{"name":"load","host_name":"web1","state":3,"downtime_depth":1,
              "last_check_result":{"output":null}}}]}"#,
        );
        assert_eq!(a.len(), 2, "the pending service is left out: {a:?}");
        assert_eq!(a[0].name(), "host down");
        assert_eq!(a[0].label("state"), Some("DOWN"));
        assert_eq!(a[0].label("service"), None);
        assert_eq!(a[0].state, AlertState::Suppressed, "acknowledged");
        assert_eq!(
            a[0].starts_at.timestamp(),
            1_796_402_018,
            "the check's time"
        );
        assert_eq!(Target::of(&a[0]), Some(Target::Host { host: "db1".into() }));
        assert_eq!(a[1].label("state"), Some("UNKNOWN"));
        assert_eq!(a[1].label("severity"), Some("warning"));
        assert_eq!(a[1].state, AlertState::Suppressed, "in a downtime");
        assert_ne!(a[0].fingerprint, a[1].fingerprint);
    }

    #[test]
    fn what_is_not_a_list_of_objects_is_an_error() {
        for bad in [
            "[]",
            "{}",
            "{\"results\":{}}",
            "{\"results\":[1]}",
            "<html>",
        ] {
            assert!(
                decode::<Results<Object>>("test", bad.as_bytes()).is_err(),
                "{bad}"
            );
        }
        assert!(
            decode::<Results<Object>>("test", b"{\"results\":null}")
                .unwrap()
                .results
                .is_empty()
        );
    }
}
