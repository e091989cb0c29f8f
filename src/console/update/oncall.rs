//! `W`: who is on call for the most affected service of the blast radius (the one the blast
//! pane shows first, or the first the on-call source knows), and paging one of them: the
//! console asks the on-call source ([`Effect::ListOnCall`]), offers who is on call, asks
//! "page them?" and pages ([`Effect::Page`]); the outcome is recorded as `paged`, as
//! `warroom page` would.

use super::*;
use crate::backends::oncall::OnCallPerson;

/// The service to ask about: the affected service the blast pane shows first, else the most
/// affected one the on-call source knows.
fn service(state: &State) -> Option<String> {
    let known = |name: &str| state.oncall_services.iter().any(|s| s == name);
    let affected: Vec<&str> = state.blast.affected().map(|s| s.name.as_str()).collect();
    affected
        .get(state.current.as_ref().map_or(0, |c| c.blast_scroll))
        .filter(|s| known(s))
        .or_else(|| affected.iter().find(|s| known(s)))
        .map(|s| s.to_string())
}

/// `W`: ask who is on call, or say why it cannot be asked.
pub(super) fn ask(state: &mut State, now: DateTime<Utc>) -> Vec<Effect> {
    let Some(id) = state.current.as_ref().map(|c| c.id.clone()) else {
        return vec![];
    };
    if state.oncall_services.is_empty() {
        let text = format!(
            "{}: see docs/configuration.md",
            crate::backends::oncall::NOT_CONFIGURED
        );
        flash(state, now, text, true);
        return vec![];
    }
    let Some(service) = service(state) else {
        let text = format!(
            "no affected service with an on-call mapping (known: {})",
            state.oncall_services.join(", ")
        );
        flash(state, now, text, true);
        return vec![];
    };
    flash(
        state,
        now,
        format!("asking who is on call for {service}…"),
        false,
    );
    vec![Effect::ListOnCall { id, service }]
}

/// The on-call source answered: the picker of who is on call.
pub(super) fn listed(
    state: &mut State,
    id: &str,
    service: String,
    result: Result<Vec<OnCallPerson>, String>,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    if !state
        .current
        .as_ref()
        .is_some_and(|c| c.id == id && c.leading())
    {
        return vec![];
    }
    let people = match result {
        Ok(p) => p,
        Err(reason) => {
            flash(state, now, reason, true);
            return vec![];
        }
    };
    if people.is_empty() {
        flash(
            state,
            now,
            format!("nobody is on call for {service}"),
            false,
        );
        return vec![];
    }
    if state.modal.is_some() {
        flash(state, now, "on-call answered: press W again".into(), false);
        return vec![];
    }
    let options = people
        .iter()
        .map(|p| format!("{service}: {}", p.line()))
        .collect();
    state.oncall_choices = people;
    state.oncall_service = service;
    state.modal = Some(Modal::Picker(Picker {
        kind: PickerKind::OnCall,
        options,
        selected: 0,
    }));
    vec![]
}

/// Enter on a person: "page them?".
pub(super) fn chosen(state: &mut State, selected: usize) -> Vec<Effect> {
    if let Some(p) = state.oncall_choices.get(selected).cloned() {
        state.modal = Some(Modal::ConfirmPage {
            service: state.oncall_service.clone(),
            person: Box::new(p),
        });
    }
    vec![]
}

/// `y` pages; any other key does not.
pub(super) fn on_confirm(
    state: &mut State,
    service: String,
    person: OnCallPerson,
    key: KeyEvent,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    if key.code != KeyCode::Char('y') {
        return vec![];
    }
    let Some(c) = state.current.as_ref().filter(|c| c.leading()) else {
        return vec![];
    };
    let Some(i) = c.incident.as_ref() else {
        return vec![];
    };
    let id = c.id.clone();
    if i.drill.as_ref().is_some_and(|d| !d.write_backs) {
        let text = format!("{id} is a drill whose scenario keeps write-backs off: nobody is paged");
        flash(state, now, text, true);
        return vec![];
    }
    let message = format!(
        "{id} {}: {} — please join the incident (paged by {})",
        i.severity.label(),
        i.title,
        state.me
    );
    let linked = i.pagerduty.iter().map(|l| l.id.clone()).collect();
    flash(state, now, format!("paging {}…", person.name), false);
    vec![Effect::Page {
        id,
        service,
        person: Box::new(person),
        message,
        linked,
    }]
}
