//! The Alertmanager v2 subset: alerts (with `filter=` matchers and the state flags), alert
//! groups (by service, as the demo's route would group them), silences and status.

use super::{Params, Shared, json_response, param, plain, refused, ts};
use crate::backends::matcher::{LabelFilter, Matcher};
use crate::demo::simulator::{Refused, Silence};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::sync::Arc;

/// `active`, `silenced`, `inhibited` flags (default true) and `filter=` matchers.
struct AmQuery {
    active: bool,
    silenced: bool,
    filter: LabelFilter,
}

fn am_query(q: &[(String, String)]) -> Result<AmQuery, Box<Response>> {
    let flag = |key: &str| -> Result<bool, Box<Response>> {
        match param(q, key) {
            None => Ok(true),
            Some(v) => v.parse::<bool>().map_err(|_| {
                Box::new(plain(
                    StatusCode::BAD_REQUEST,
                    &format!("{key} in query must be of type boolean: \"{v}\""),
                ))
            }),
        }
    };
    let matchers = q
        .iter()
        .filter(|(k, _)| k == "filter")
        .map(|(_, v)| Matcher::parse(v))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            Box::new(plain(
                StatusCode::BAD_REQUEST,
                &format!("bad matcher format: {e}"),
            ))
        })?;
    let filter =
        LabelFilter::new(&matchers).map_err(|e| Box::new(plain(StatusCode::BAD_REQUEST, &e)))?;
    let (active, silenced) = (flag("active")?, flag("silenced")?);
    flag("inhibited")?;
    flag("unprocessed")?;
    Ok(AmQuery {
        active,
        silenced,
        filter,
    })
}

fn am_alert_json(a: &crate::demo::simulator::AmAlert, now: DateTime<Utc>) -> Value {
    let started = a.alert.fired_at.unwrap_or(a.alert.active_at);
    let state = if a.silenced_by.is_empty() {
        "active"
    } else {
        "suppressed"
    };
    json!({
        "labels": a.alert.labels,
        "annotations": a.alert.annotations,
        "startsAt": ts(started),
        "updatedAt": ts(now),
        "endsAt": ts(now + chrono::Duration::minutes(4)),
        "fingerprint": a.fingerprint,
        "receivers": [{"name": "oncall"}],
        "status": {"state": state, "silencedBy": a.silenced_by, "inhibitedBy": [], "mutedBy": []},
        "generatorURL": "",
    })
}

fn am_selected(shared: &Shared, q: &[(String, String)]) -> Result<Vec<Value>, Box<Response>> {
    let q = am_query(q)?;
    shared.with(|sim, now| {
        sim.am_alerts(now)
            .iter()
            .filter(|a| q.filter.matches(&a.alert.labels))
            .filter(|a| {
                if a.silenced_by.is_empty() {
                    q.active
                } else {
                    q.silenced
                }
            })
            .map(|a| am_alert_json(a, now))
            .collect()
    })
}

pub(super) async fn am_alerts(State(shared): State<Arc<Shared>>, Query(q): Params) -> Response {
    match am_selected(&shared, &q) {
        Ok(alerts) => json_response(StatusCode::OK, &Value::Array(alerts)),
        Err(r) => *r,
    }
}

pub(super) async fn am_groups(State(shared): State<Arc<Shared>>, Query(q): Params) -> Response {
    let alerts = match am_selected(&shared, &q) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    // The route groups by service, as the demo's Alertmanager config would.
    let mut groups: std::collections::BTreeMap<String, Vec<Value>> = Default::default();
    for a in alerts {
        let service = a["labels"]["service"].as_str().unwrap_or("").to_string();
        groups.entry(service).or_default().push(a);
    }
    let body: Vec<Value> = groups
        .into_iter()
        .map(|(service, alerts)| {
            let labels = if service.is_empty() {
                json!({})
            } else {
                json!({"service": service})
            };
            json!({"labels": labels, "receiver": {"name": "oncall"}, "alerts": alerts})
        })
        .collect();
    json_response(StatusCode::OK, &Value::Array(body))
}

fn silence_json(s: &Silence, now: DateTime<Utc>) -> Value {
    json!({
        "id": s.id,
        "matchers": s.matchers,
        "startsAt": ts(s.starts_at),
        "endsAt": ts(s.ends_at),
        "updatedAt": ts(s.updated_at),
        "createdBy": s.created_by,
        "comment": s.comment,
        "status": {"state": s.state(now)},
    })
}

pub(super) async fn am_silences(State(shared): State<Arc<Shared>>) -> Response {
    match shared.with(|sim, now| {
        sim.silences()
            .iter()
            .map(|s| silence_json(s, now))
            .collect::<Vec<_>>()
    }) {
        Ok(list) => json_response(StatusCode::OK, &Value::Array(list)),
        Err(r) => *r,
    }
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostableSilence {
    #[serde(default)]
    id: Option<String>,
    matchers: Vec<Matcher>,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    created_by: String,
    comment: String,
}

pub(super) async fn am_post_silence(State(shared): State<Arc<Shared>>, body: String) -> Response {
    let p: PostableSilence = match serde_json::from_str(&body) {
        Ok(p) => p,
        Err(e) => return plain(StatusCode::BAD_REQUEST, &format!("bad silence: {e}")),
    };
    if p.created_by.trim().is_empty() || p.comment.trim().is_empty() {
        return plain(
            StatusCode::BAD_REQUEST,
            "silence invalid: createdBy and comment are required",
        );
    }
    let result = shared.with(|sim, now| {
        sim.add_silence(
            now,
            Silence {
                id: p.id.unwrap_or_default(),
                matchers: p.matchers,
                starts_at: p.starts_at,
                ends_at: p.ends_at,
                updated_at: now,
                created_by: p.created_by,
                comment: p.comment,
            },
        )
    });
    match result {
        Ok(Ok(id)) => json_response(StatusCode::OK, &json!({"silenceID": id})),
        Ok(Err(e)) => refused(e),
        Err(r) => *r,
    }
}

pub(super) async fn am_get_silence(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Response {
    match shared.with(|sim, now| sim.silence(&id).map(|s| silence_json(s, now))) {
        Ok(Some(s)) => json_response(StatusCode::OK, &s),
        Ok(None) => plain(StatusCode::NOT_FOUND, &format!("silence {id} not found")),
        Err(r) => *r,
    }
}

pub(super) async fn am_delete_silence(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Response {
    match shared.with(|sim, now| sim.expire_silence(now, &id)) {
        Ok(Ok(())) => (StatusCode::OK, "").into_response(),
        Ok(Err(Refused::Invalid(m))) => plain(StatusCode::INTERNAL_SERVER_ERROR, &m),
        Ok(Err(e)) => refused(e),
        Err(r) => *r,
    }
}

pub(super) async fn am_status(State(shared): State<Arc<Shared>>) -> Response {
    json_response(
        StatusCode::OK,
        &json!({
            "cluster": {"status": "disabled", "peers": [], "name": ""},
            "versionInfo": {
                "version": concat!("warroom-demo-", env!("CARGO_PKG_VERSION")),
                "revision": "", "branch": "", "buildUser": "", "buildDate": "", "goVersion": "",
            },
            "config": {"original": "route:\n  receiver: oncall\n  group_by: [service]\nreceivers:\n  - name: oncall\n"},
            "uptime": ts(shared.started),
        }),
    )
}
