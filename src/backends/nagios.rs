//! Nagios 4 through its CGIs: problems read from `statusjson.cgi` (hosts down or
//! unreachable, services in WARNING, CRITICAL or UNKNOWN) become alerts; acknowledgements and
//! comments go to `cmd.cgi`, which hands them to the daemon's command file.
//!
//! Every alert carries the labels `host`, `service` (the Nagios service; absent for a host
//! problem), `state` (`CRITICAL`, `DOWN`, …), `severity` and `nagios` (the source's name);
//! the plugin output is its summary and `last_state_change` its start. A service of the
//! catalog takes them like any alert: `match = { host = "checkout-db" }`.

use super::http::{BackendError, Endpoint, encode_segment, one_line_cut};
use crate::domain::{Alert, AlertState, Labels, fingerprint_of};
use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::Deserialize;
use std::collections::BTreeMap;

/// A Nagios 4: the URL its CGIs are served under, with basic authentication when set.
#[derive(Debug, Clone)]
pub struct Nagios {
    cgi: Endpoint,
}

/// The head every statusjson answer carries: `type_code` 0 is success.
#[derive(Debug, Deserialize)]
struct Head {
    #[serde(default)]
    type_code: i64,
    #[serde(default)]
    type_text: String,
    #[serde(default)]
    message: String,
    /// Milliseconds since the epoch.
    #[serde(default)]
    query_time: i64,
}

#[derive(Debug, Deserialize)]
struct Answer<T> {
    result: Head,
    data: Option<T>,
}

#[derive(Debug, Deserialize)]
struct HostList {
    #[serde(default)]
    hostlist: BTreeMap<String, Status>,
}

#[derive(Debug, Deserialize)]
struct ServiceList {
    #[serde(default)]
    servicelist: BTreeMap<String, BTreeMap<String, Status>>,
}

#[derive(Debug, Deserialize)]
struct ProgramStatus {
    programstatus: Program,
}

#[derive(Debug, Deserialize)]
struct Program {
    #[serde(default)]
    version: String,
}

/// A host's or a service's details, as much of them as warroom reads.
#[derive(Debug, Deserialize)]
struct Status {
    /// A bit: hosts 1 pending, 2 up, 4 down, 8 unreachable; services 1 pending, 2 ok,
    /// 4 warning, 8 unknown, 16 critical.
    #[serde(default)]
    status: u32,
    #[serde(default)]
    plugin_output: String,
    /// Milliseconds since the epoch; 0 when it never changed.
    #[serde(default)]
    last_state_change: i64,
    #[serde(default)]
    problem_has_been_acknowledged: bool,
}

fn host_state(status: u32) -> Option<&'static str> {
    match status {
        4 => Some("DOWN"),
        8 => Some("UNREACHABLE"),
        _ => None,
    }
}

fn service_state(status: u32) -> Option<&'static str> {
    match status {
        4 => Some("WARNING"),
        8 => Some("UNKNOWN"),
        16 => Some("CRITICAL"),
        _ => None,
    }
}

fn millis(ms: i64) -> Option<DateTime<Utc>> {
    (ms > 0)
        .then(|| DateTime::from_timestamp_millis(ms))
        .flatten()
}

impl Nagios {
    /// `cgi` is where the CGIs are served (`http://host/nagios4/cgi-bin`), with its
    /// authentication.
    pub fn new(cgi: Endpoint) -> Nagios {
        Nagios { cgi }
    }

    /// The `[[nagios]]` of `config.toml`: its URL, and basic authentication when a user is
    /// configured (the password from its variable).
    pub fn from_config(
        client: &reqwest::Client,
        config: &crate::config::NagiosConfig,
        timeout: std::time::Duration,
    ) -> Result<Nagios, BackendError> {
        let e = Endpoint::new(client.clone(), config.url.get_ref(), timeout)?;
        let e = match config
            .credentials()
            .map_err(|r| BackendError::Setup(format!("{}: {r}", config.display_name())))?
        {
            Some((user, password)) => e.with_basic(&user, &password)?,
            None => e,
        };
        Ok(Nagios::new(e))
    }

    /// The CGIs' base URL.
    pub fn url(&self) -> &str {
        self.cgi.base_url()
    }

    async fn status<T: serde::de::DeserializeOwned>(
        &self,
        query: &[(&str, &str)],
    ) -> Result<(Head, T), BackendError> {
        let req = self.cgi.request(Method::GET, "statusjson.cgi").query(query);
        let answer: Answer<T> = self.cgi.json(req).await?;
        let url = self.cgi.url("statusjson.cgi");
        if answer.result.type_code != 0 {
            return Err(BackendError::Api {
                url,
                error_type: one_line_cut(&answer.result.type_text, 80),
                message: one_line_cut(&answer.result.message, 200),
            });
        }
        match answer.data {
            Some(d) => Ok((answer.result, d)),
            None => Err(BackendError::Decode {
                url,
                detail: "no \"data\" in the answer".into(),
            }),
        }
    }

    /// The daemon's version (`query=programstatus`): reachability, authentication, and that
    /// the CGIs can read the daemon's status.
    pub async fn version(&self) -> Result<String, BackendError> {
        let (_, p): (_, ProgramStatus) = self.status(&[("query", "programstatus")]).await?;
        Ok(p.programstatus.version)
    }

    /// Every current problem as an alert of the source `source`: hosts down or unreachable,
    /// services in WARNING, CRITICAL or UNKNOWN (soft states included: Nagios shows them).
    pub async fn alerts(&self, source: &str) -> Result<Vec<Alert>, BackendError> {
        let hosts = self.status::<HostList>(&[
            ("query", "hostlist"),
            ("details", "true"),
            ("hoststatus", "down unreachable"),
        ]);
        let services = self.status::<ServiceList>(&[
            ("query", "servicelist"),
            ("details", "true"),
            ("servicestatus", "warning critical unknown"),
        ]);
        let ((head, hosts), (_, services)) = futures::future::try_join(hosts, services).await?;
        let asked = millis(head.query_time).unwrap_or_else(Utc::now);
        let mut out = Vec::new();
        for (host, s) in &hosts.hostlist {
            if let Some(state) = host_state(s.status) {
                out.push(self.alert(source, host, None, state, s, asked));
            }
        }
        for (host, list) in &services.servicelist {
            for (service, s) in list {
                if let Some(state) = service_state(s.status) {
                    out.push(self.alert(source, host, Some(service), state, s, asked));
                }
            }
        }
        Ok(out)
    }

    fn alert(
        &self,
        source: &str,
        host: &str,
        service: Option<&str>,
        state: &str,
        s: &Status,
        asked: DateTime<Utc>,
    ) -> Alert {
        let name = match service {
            Some(svc) => format!("{host}/{svc}"),
            None => host.to_string(),
        };
        let severity = if state == "WARNING" || state == "UNKNOWN" {
            "warning"
        } else {
            "critical"
        };
        let mut labels: Vec<(&str, &str)> = vec![
            ("alertname", &name),
            ("host", host),
            ("state", state),
            ("severity", severity),
            ("nagios", source),
        ];
        if let Some(svc) = service {
            labels.push(("service", svc));
        }
        let identity: Vec<(&str, &str)> = labels
            .iter()
            .copied()
            .filter(|(k, _)| matches!(*k, "nagios" | "host" | "service"))
            .collect();
        let started = millis(s.last_state_change).unwrap_or(asked);
        let mut annotations: Vec<(&str, String)> = vec![
            ("summary", s.plugin_output.clone()),
            ("last_state_change", started.to_rfc3339()),
        ];
        if s.problem_has_been_acknowledged {
            annotations.push(("acknowledged", "yes".into()));
        }
        let link = match service {
            Some(svc) => format!(
                "extinfo.cgi?type=2&host={}&service={}",
                encode_segment(host),
                encode_segment(svc)
            ),
            None => format!("extinfo.cgi?type=1&host={}", encode_segment(host)),
        };
        Alert {
            fingerprint: fingerprint_of(identity),
            labels: labels.into_iter().collect::<Labels>(),
            annotations: annotations.into_iter().collect::<Labels>(),
            starts_at: started,
            ends_at: None,
            generator_url: Some(self.cgi.url(&link)),
            state: AlertState::Active,
            silenced_by: vec![],
            inhibited_by: vec![],
            sources: vec![source.to_string()],
        }
    }

    /// Acknowledges the problem `alert` stands for (sticky, notifying its contacts), with
    /// `text` as the comment and `by` as the author.
    pub async fn acknowledge(
        &self,
        alert: &Alert,
        text: &str,
        by: &str,
    ) -> Result<String, BackendError> {
        let (host, service) = target(alert)?;
        let cmd = if service.is_some() { "34" } else { "33" };
        self.command(
            cmd,
            host,
            service,
            &[("sticky_ack", "on"), ("send_notification", "on")],
            text,
            by,
        )
        .await
    }

    /// Adds `text` as a persistent comment to the host or service of `alert`.
    pub async fn comment(
        &self,
        alert: &Alert,
        text: &str,
        by: &str,
    ) -> Result<String, BackendError> {
        let (host, service) = target(alert)?;
        let cmd = if service.is_some() { "3" } else { "1" };
        self.command(cmd, host, service, &[("persistent", "on")], text, by)
            .await
    }

    /// One command through `cmd.cgi`: the form is asked first for the CSRF token Nagios 4.4
    /// wants back (cookie and field), then the command is committed (`cmd_mod=2`).
    async fn command(
        &self,
        cmd_typ: &str,
        host: &str,
        service: Option<&str>,
        extra: &[(&str, &str)],
        text: &str,
        by: &str,
    ) -> Result<String, BackendError> {
        let mut target: Vec<(&str, &str)> = vec![("cmd_typ", cmd_typ), ("host", host)];
        if let Some(s) = service {
            target.push(("service", s));
        }
        let form = self
            .cgi
            .send_ok(self.cgi.request(Method::GET, "cmd.cgi").query(&target))
            .await?;
        let token = form_token(&form.headers);
        // The command file is line-based: nothing that could end the line goes through.
        let comment: String = format!("{text} ({by} via warroom)")
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let mut fields = target.clone();
        fields.extend_from_slice(&[("cmd_mod", "2"), ("com_author", by), ("com_data", &comment)]);
        fields.extend_from_slice(extra);
        if let Some(t) = &token {
            fields.push(("nagFormId", t));
        }
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", encode_segment(k), encode_segment(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut req = self
            .cgi
            .request(Method::POST, "cmd.cgi")
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body);
        if let Some(t) = &token {
            req = req.header(reqwest::header::COOKIE, format!("NagFormId={t}"));
        }
        let reply = self.cgi.send_ok(req).await?;
        let page = String::from_utf8_lossy(&reply.body);
        if page.contains("successfully submitted") {
            Ok("Nagios took the command".to_string())
        } else {
            Err(BackendError::Api {
                url: reply.url,
                error_type: "cmd.cgi".into(),
                message: page_error(&page),
            })
        }
    }
}

/// The host and service (none for a host problem) of a Nagios alert.
fn target(alert: &Alert) -> Result<(&str, Option<&str>), BackendError> {
    match alert.label("host") {
        Some(h) => Ok((h, alert.label("service"))),
        None => Err(BackendError::Setup(format!(
            "alert {} has no host label: not a Nagios problem",
            alert.name()
        ))),
    }
}

/// The `NagFormId` cookie `cmd.cgi` sets with its form (Nagios 4.4 and newer).
fn form_token(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|c| c.split(';').next())
        .filter_map(|kv| kv.trim().strip_prefix("NagFormId="))
        .map(str::to_string)
        .find(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// What an HTML page from `cmd.cgi` says went wrong: its "Error: …" line, else the start of
/// its text.
fn page_error(page: &str) -> String {
    let mut text = String::with_capacity(page.len().min(1 << 16));
    let mut in_tag = false;
    for c in page.chars().take(1 << 16) {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push('\n');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("Error:"))
        .or_else(|| text.lines().map(str::trim).find(|l| !l.is_empty()))
        .unwrap_or("no answer I can read");
    one_line_cut(line, 200)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_token_is_read_from_its_cookie_only() {
        let mut h = reqwest::header::HeaderMap::new();
        h.append(
            reqwest::header::SET_COOKIE,
            "other=1; Path=/".parse().unwrap(),
        );
        h.append(
            reqwest::header::SET_COOKIE,
            "NagFormId=238e1f2946e87ccd; SameSite=Strict; HttpOnly"
                .parse()
                .unwrap(),
        );
        assert_eq!(form_token(&h).as_deref(), Some("238e1f2946e87ccd"));
        let mut bad = reqwest::header::HeaderMap::new();
        bad.append(
            reqwest::header::SET_COOKIE,
            "NagFormId=a\u{7f}b"
                .parse()
                .unwrap_or(reqwest::header::HeaderValue::from_static("x")),
        );
        assert_eq!(form_token(&bad), None);
    }

    #[test]
    fn a_refused_command_says_why_in_one_line() {
        let page = "<html><body><div class='errorMessage'>Error: Invalid or missing CSRF cookie!</div><p>x</p></body></html>";
        assert_eq!(page_error(page), "Error: Invalid or missing CSRF cookie!");
    }

    #[test]
    fn only_problem_states_become_alerts() {
        assert_eq!(host_state(2), None);
        assert_eq!(host_state(1), None);
        assert_eq!(host_state(4), Some("DOWN"));
        assert_eq!(service_state(2), None);
        assert_eq!(service_state(16), Some("CRITICAL"));
        assert_eq!(service_state(8), Some("UNKNOWN"));
        assert_eq!(service_state(4), Some("WARNING"));
    }
}
