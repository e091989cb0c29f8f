//! Alerts and the blast radius in the console: selecting, linking, silencing, and asking the
//! journal worker to record what changed.

use super::*;

/// The alert under the cursor in the alerts pane, when it has the focus.
pub(super) fn selected_alert(state: &State) -> Option<crate::domain::Alert> {
    let c = state.current.as_ref().filter(|c| c.focus == Pane::Alerts)?;
    state
        .alert_rows()
        .get(c.alert_cursor)
        .map(|a| crate::domain::Alert::clone(a))
}

/// `alert`, or none after saying how to select one.
pub(super) fn alert_or_say(
    state: &mut State,
    alert: Option<crate::domain::Alert>,
    now: DateTime<Utc>,
) -> Option<crate::domain::Alert> {
    if alert.is_none() {
        flash(
            state,
            now,
            "select an alert first (tab moves to the alerts)".into(),
            false,
        );
    }
    alert
}

/// After new alert reports: if a linked alert fired or resolved, ask the journal worker to
/// record it (it decides again under the lock, so a change is recorded once).
pub(super) fn observe_alerts(state: &State, now: DateTime<Utc>) -> Vec<Effect> {
    let Some(c) = state.current.as_ref().filter(|c| c.leading()) else {
        return vec![];
    };
    let Some(i) = c.incident.as_ref() else {
        return vec![];
    };
    if i.linked_alerts.is_empty() || !state.alerts_complete() {
        return vec![];
    }
    let alerts = state.alert_rows().to_vec();
    match i.alert_changes(&alerts, now) {
        Some(_) => vec![Effect::ObserveAlerts {
            id: c.id.clone(),
            alerts,
        }],
        None => vec![],
    }
}

/// Links `alert` (the selected one, or the one whose details are open), or unlinks it.
pub(super) fn link_alert(
    state: &mut State,
    alert: Option<crate::domain::Alert>,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    let Some(a) = alert_or_say(state, alert, now) else {
        return vec![];
    };
    let linked = state
        .current
        .as_ref()
        .and_then(|c| c.incident.as_ref())
        .is_some_and(|i| {
            i.linked_alerts
                .iter()
                .any(|l| l.alert.fingerprint == a.fingerprint)
        });
    let event = if linked {
        Event::AlertUnlinked {
            fingerprint: a.fingerprint.clone(),
        }
    } else {
        Event::AlertLinked {
            alert: crate::domain::AlertRef::of(&a),
            firing: a.is_firing(),
        }
    };
    append(state, event, false)
}

/// Opens the silence form for `alert` (the selected one, or the one whose details are open).
pub(super) fn open_silence(
    state: &mut State,
    alert: Option<crate::domain::Alert>,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    let Some(a) = alert_or_say(state, alert, now) else {
        return vec![];
    };
    // A source whose silence is a write-back (Sensu: check and entity, a reason, a length
    // set in config) takes it through the write-back form: confirmed, journaled either way.
    if !super::write_back::sources_taking(state, &a, crate::domain::WriteBack::Silence).is_empty() {
        return super::write_back::open(state, Some(a), crate::domain::WriteBack::Silence, now);
    }
    let silenceable: Vec<String> = a
        .sources
        .iter()
        .filter(|s| !s.starts_with("prometheus"))
        .cloned()
        .collect();
    if silenceable.is_empty() {
        flash(
            state,
            now,
            "this alert comes only from Prometheus, which has no silences".into(),
            true,
        );
        return vec![];
    }
    // Prefilled with what identifies this alert, not every label: a silence that matches
    // only this one instance of the problem is rarely what the leader means.
    let keys = [
        "alertname",
        "service",
        "job",
        "instance",
        "cluster",
        "namespace",
    ];
    let matchers: Vec<String> = keys
        .iter()
        .filter_map(|k| a.label(k).map(|v| format!("{k}=\"{v}\"")))
        .collect();
    let (id, title) = match state.current.as_ref().and_then(|c| c.incident.as_ref()) {
        Some(i) => (i.id.clone(), i.title.clone()),
        None => return vec![],
    };
    state.modal = Some(Modal::Silence(Box::new(SilenceForm {
        sources: silenceable,
        matchers: text_input(&matchers.join(", "), "alertname=\"…\""),
        duration: text_input("1h", ""),
        comment: text_input(&format!("{id}: {title} (silenced by {})", state.me), ""),
        field: 0,
    })));
    vec![]
}

pub(super) fn submit_silence(
    state: &mut State,
    form: Box<SilenceForm>,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    let matchers: Vec<String> = text_of(&form.matchers)
        .split(',')
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty())
        .collect();
    let duration = crate::domain::parse_duration(&text_of(&form.duration));
    let comment = text_of(&form.comment).trim().to_string();
    let problem = if matchers.is_empty() {
        Some("a silence needs at least one matcher".to_string())
    } else if comment.is_empty() {
        Some("a silence needs a comment".to_string())
    } else {
        match &duration {
            Ok(d) if *d > chrono::Duration::zero() => None,
            Ok(_) => Some("duration must be more than zero".to_string()),
            Err(e) => Some(format!("duration: {e}")),
        }
    };
    if let Some(p) = problem {
        flash(state, now, p, true);
        state.modal = Some(Modal::Silence(form));
        return vec![];
    }
    let Some(c) = state.current.as_ref() else {
        return vec![];
    };
    vec![Effect::CreateSilence {
        id: c.id.clone(),
        sources: form.sources.clone(),
        matchers,
        ends_at: now + duration.unwrap_or_default(),
        comment,
    }]
}

/// After new alerts or metrics: if a service's state changed since the incident last
/// recorded it, ask the journal worker to record it (decided again under the lock).
pub(super) fn observe_blast(state: &State) -> Vec<Effect> {
    let Some(c) = state.current.as_ref().filter(|c| c.leading()) else {
        return vec![];
    };
    let Some(i) = c.incident.as_ref() else {
        return vec![];
    };
    if !state.blast_ready() || i.blast_changes(&state.blast).is_none() {
        return vec![];
    }
    vec![Effect::ObserveBlast {
        id: c.id.clone(),
        blast: state.blast.clone(),
    }]
}

/// `y` / `N` on an alert (selected, or in its details): records the review's verdict on it.
/// Only an alert linked to the incident can be reviewed; otherwise it says so.
pub(super) fn review(
    state: &mut State,
    alert: Option<crate::domain::Alert>,
    cmd: Command,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    let Some(a) = alert_or_say(state, alert, now) else {
        return vec![];
    };
    let verdict = if cmd == Command::ReviewNoise {
        crate::domain::AlertVerdict::Noise
    } else {
        crate::domain::AlertVerdict::Actionable
    };
    let Some(i) = state.current.as_ref().and_then(|c| c.incident.as_ref()) else {
        return vec![];
    };
    let event = crate::domain::review_event(i, &a.fingerprint, verdict);
    if let Err(r) = i.check(&event) {
        flash(state, now, format!("{} (l links it)", r.0), true);
        return vec![];
    }
    flash(
        state,
        now,
        format!("{} reviewed: {}", a.name(), verdict.as_str()),
        false,
    );
    append(state, event, false)
}
