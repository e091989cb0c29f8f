//! The incident as a pure fold of its journal entries, and the rules that say which new
//! events make sense for it (checked before anything is appended).

use super::{
    AlertRef, Entry, Event, FollowUpKind, MAX_LINE_CHARS, MAX_TEXT_BYTES, NoteKind, Role, Severity,
    Status,
};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Who holds a role, and since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleHolder {
    pub role: Role,
    pub person: String,
    pub since: DateTime<Utc>,
}

/// A time-boxed piece of work and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Task {
    pub id: u32,
    pub person: String,
    pub what: String,
    pub assigned_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub state: TaskState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "at")]
pub enum TaskState {
    Open,
    Done(DateTime<Utc>),
    Cancelled(DateTime<Utc>),
}

impl Task {
    pub fn is_open(&self) -> bool {
        self.state == TaskState::Open
    }
    /// Open and past its time box: the call leader should chase it.
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        self.is_open() && now > self.due_at
    }
}

/// One webhook's answer to one status update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    pub update_seq: u64,
    pub target: String,
    pub ok: bool,
    pub detail: String,
    pub attempts: u32,
}

/// A PagerDuty incident tied to this one; status updates are added to it as notes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PagerDutyLink {
    pub id: String,
    pub number: Option<u64>,
    pub title: String,
    pub url: Option<String>,
    pub linked_at: DateTime<Utc>,
}

/// An alert tied to the incident, and whether it fires now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkedAlert {
    pub alert: AlertRef,
    pub firing: bool,
    pub linked_at: DateTime<Utc>,
}

/// A silence created during the incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SilenceRecord {
    pub id: String,
    pub source: String,
    pub matchers: Vec<String>,
    pub ends_at: DateTime<Utc>,
    pub expired: bool,
}

/// Something written back to an alert's source during the incident, and whether it took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WriteBackRecord {
    pub at: DateTime<Utc>,
    pub by: String,
    pub source: String,
    pub fingerprint: String,
    pub action: String,
    pub ok: bool,
}

/// Work to do after the incident, as recorded by a `follow_up` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FollowUp {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub by: String,
    pub text: String,
    pub kind: FollowUpKind,
    pub owner: Option<String>,
    /// When it was closed (`follow_up_closed`), by whom; none while it is open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_by: Option<String>,
}

/// Everything shown about an incident, derived from its entries and nothing else.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incident {
    pub id: String,
    /// A drill's mark (`drill` event): `None` for a real incident.
    pub drill: Option<super::DrillMark>,
    pub title: String,
    pub summary: Option<String>,
    pub severity: Severity,
    pub status: Status,
    pub opened_at: DateTime<Utc>,
    pub opened_by: String,
    pub roles: Vec<RoleHolder>,
    pub last_status_update: Option<DateTime<Utc>>,
    /// Seq of the last status update, to tie deliveries to it.
    pub last_status_update_seq: Option<u64>,
    /// A snooze taken since the last update pushes the next one to here.
    pub snoozed_until: Option<DateTime<Utc>>,
    pub status_updates: u32,
    pub tasks: Vec<Task>,
    /// Webhook results, per status update (by its seq).
    pub deliveries: Vec<Delivery>,
    pub linked_alerts: Vec<LinkedAlert>,
    /// PagerDuty incidents linked now, oldest first.
    pub pagerduty: Vec<PagerDutyLink>,
    pub silences: Vec<SilenceRecord>,
    /// Each service's state as last recorded, and since when.
    pub services: super::ServiceHistory,
    /// When each service was first affected during the incident.
    pub first_affected: std::collections::BTreeMap<String, DateTime<Utc>>,
    pub notes: u32,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolution: Option<String>,
    /// Severity over time, starting with the one it opened at.
    pub severity_history: Vec<(DateTime<Utc>, Severity)>,
    /// Time of the newest entry.
    pub updated_at: DateTime<Utc>,
    pub last_seq: u64,
    /// Entries of types this version does not know (kept, shown raw).
    pub unknown_events: u32,
    /// Runbook actions run (or dry-run) during the incident, oldest first.
    pub action_runs: Vec<super::ActionRun>,
    /// Follow-ups captured during the incident or after it, oldest first.
    pub follow_ups: Vec<FollowUp>,
    /// How many times a post-mortem draft was exported.
    pub postmortem_exports: u32,
    /// Acknowledgements and comments written back to alert sources, oldest first.
    pub write_backs: Vec<WriteBackRecord>,
    /// Corrections, duplicates and merges (`domain::corrections`).
    #[serde(skip_serializing_if = "super::Corrections::is_empty")]
    pub corrections: super::Corrections,
    /// Roll call, check-ins, sub-teams and the practice's notices (`roll.rs`, `board.rs`).
    pub roll: super::roll::Roll,
    /// Decisions by objection, exit criteria, executive summaries, checklist answers.
    pub practice: super::practice::Practice,
    /// Each fired alert's verdict (actionable, noise) and the alerts found missing.
    #[serde(skip_serializing_if = "super::AlertReview::is_empty")]
    pub alert_review: super::AlertReview,
    /// People paged from the incident and whether they checked in (`paging.rs`).
    pub paging: super::Paging,
}

/// Why an event was not accepted for an incident; the text is shown to the user as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Rejected(pub String);

impl Incident {
    /// Folds entries in order. Returns `None` when there is no `opened` entry yet; entries
    /// before it are ignored, because an incident only exists once opened.
    pub fn fold<'a>(id: &str, entries: impl IntoIterator<Item = &'a Entry>) -> Option<Incident> {
        let mut incident: Option<Incident> = None;
        for entry in entries {
            match incident.as_mut() {
                Some(i) => i.apply(entry),
                None => incident = Incident::start(id, entry),
            }
        }
        incident
    }

    fn start(id: &str, entry: &Entry) -> Option<Incident> {
        let Event::Opened {
            title,
            severity,
            summary,
        } = &entry.event
        else {
            return None;
        };
        Some(Incident {
            id: id.to_string(),
            drill: None,
            title: title.clone(),
            summary: summary.clone(),
            severity: *severity,
            status: Status::Investigating,
            opened_at: entry.at,
            opened_by: entry.by.clone(),
            roles: Vec::new(),
            last_status_update: None,
            last_status_update_seq: None,
            snoozed_until: None,
            status_updates: 0,
            tasks: Vec::new(),
            deliveries: Vec::new(),
            linked_alerts: Vec::new(),
            pagerduty: Vec::new(),
            silences: Vec::new(),
            services: Default::default(),
            first_affected: Default::default(),
            notes: 0,
            resolved_at: None,
            resolution: None,
            severity_history: vec![(entry.at, *severity)],
            updated_at: entry.at,
            last_seq: entry.seq,
            unknown_events: 0,
            action_runs: Vec::new(),
            follow_ups: Vec::new(),
            postmortem_exports: 0,
            write_backs: Vec::new(),
            corrections: super::Corrections::opened(entry),
            roll: super::roll::Roll::default(),
            practice: Default::default(),
            alert_review: Default::default(),
            paging: Default::default(),
        })
        .map(|mut i| {
            i.roll.apply(entry);
            i
        })
    }

    /// Applies one entry. Entries that make no sense (a second `opened`) change nothing but
    /// the bookkeeping: the journal is the record, and the fold never fails on it.
    pub fn apply(&mut self, entry: &Entry) {
        self.updated_at = self.updated_at.max(entry.at);
        self.last_seq = entry.seq;
        super::corrections::see(self, entry);
        let roll_changed = self.roll.apply(entry);
        self.paging.apply(entry);
        super::drill::apply(self, &entry.event);
        if self.practice.apply(entry) {
            return;
        }
        match &entry.event {
            Event::Opened { .. } => {}
            Event::SeverityChanged { to, .. } => {
                self.severity = *to;
                self.severity_history.push((entry.at, *to));
            }
            Event::StatusChanged { to, .. } => self.status = *to,
            Event::RoleAssigned { role, person } => {
                let holder = RoleHolder {
                    role: *role,
                    person: person.clone(),
                    since: entry.at,
                };
                if role.is_single() {
                    self.roles.retain(|h| h.role != *role);
                    self.roles.push(holder);
                } else if !self
                    .roles
                    .iter()
                    .any(|h| h.role == *role && h.person == *person)
                {
                    self.roles.push(holder);
                }
            }
            Event::Note { .. } => self.notes += 1,
            Event::StatusUpdate { .. } => {
                self.status_updates += 1;
                self.last_status_update = Some(entry.at);
                self.last_status_update_seq = Some(entry.seq);
                self.snoozed_until = None;
            }
            Event::StatusUpdateSnoozed { minutes } => {
                // Saturating: a journal may say anything, and folding it must not panic.
                self.snoozed_until = Some(
                    entry
                        .at
                        .checked_add_signed(chrono::Duration::minutes(i64::from(*minutes)))
                        .unwrap_or(DateTime::<Utc>::MAX_UTC),
                );
            }
            Event::TaskAssigned {
                task,
                person,
                what,
                due_at,
            } => self.tasks.push(Task {
                id: *task,
                person: person.clone(),
                what: what.clone(),
                assigned_at: entry.at,
                due_at: *due_at,
                state: TaskState::Open,
            }),
            Event::TaskDone { task } => self.close_task(*task, TaskState::Done(entry.at)),
            Event::TaskCancelled { task } => self.close_task(*task, TaskState::Cancelled(entry.at)),
            Event::Handoff { to, .. } => {
                self.roles.retain(|h| h.role != Role::Commander);
                self.roles.push(RoleHolder {
                    role: Role::Commander,
                    person: to.clone(),
                    since: entry.at,
                });
            }
            Event::UpdateDelivered {
                update_seq,
                target,
                ok,
                detail,
                attempts,
            } => self.deliveries.push(Delivery {
                update_seq: *update_seq,
                target: target.clone(),
                ok: *ok,
                detail: detail.clone(),
                attempts: *attempts,
            }),
            Event::Resolved { summary } => {
                self.status = Status::Resolved;
                self.resolved_at = Some(entry.at);
                self.resolution = summary.clone();
            }
            Event::PagerdutyLinked {
                incident,
                number,
                title,
                url,
            } => {
                self.pagerduty.retain(|l| l.id != *incident);
                self.pagerduty.push(PagerDutyLink {
                    id: incident.clone(),
                    number: *number,
                    title: title.clone(),
                    url: url.clone(),
                    linked_at: entry.at,
                });
            }
            Event::PagerdutyUnlinked { incident } => {
                self.pagerduty.retain(|l| l.id != *incident);
            }
            Event::AlertLinked { alert, firing } => {
                self.linked_alerts
                    .retain(|l| l.alert.fingerprint != alert.fingerprint);
                self.linked_alerts.push(LinkedAlert {
                    alert: alert.clone(),
                    firing: *firing,
                    linked_at: entry.at,
                });
            }
            Event::AlertUnlinked { fingerprint } => {
                self.linked_alerts
                    .retain(|l| l.alert.fingerprint != *fingerprint);
            }
            Event::AlertsChanged { firing, resolved } => {
                for (list, now_firing) in [(firing, true), (resolved, false)] {
                    for a in list {
                        if let Some(l) = self
                            .linked_alerts
                            .iter_mut()
                            .find(|l| l.alert.fingerprint == a.fingerprint)
                        {
                            l.firing = now_firing;
                            l.alert.ends_at = a.ends_at;
                        }
                    }
                }
            }
            Event::SilenceCreated {
                silence_id,
                source,
                matchers,
                ends_at,
                ..
            } => self.silences.push(SilenceRecord {
                id: silence_id.clone(),
                source: source.clone(),
                matchers: matchers.clone(),
                ends_at: *ends_at,
                expired: false,
            }),
            Event::SilenceExpired { silence_id, source } => {
                for s in &mut self.silences {
                    if s.id == *silence_id && s.source == *source {
                        s.expired = true;
                    }
                }
            }
            Event::BlastRadiusChanged { changes } => {
                for c in changes {
                    self.services.insert(c.service.clone(), (c.to, entry.at));
                    if c.to != super::ServiceState::Ok {
                        self.first_affected
                            .entry(c.service.clone())
                            .or_insert(entry.at);
                    }
                }
            }
            Event::FollowUp { text, kind, owner } => self.follow_ups.push(FollowUp {
                seq: entry.seq,
                at: entry.at,
                by: entry.by.clone(),
                text: text.clone(),
                kind: *kind,
                owner: owner.clone(),
                closed_at: None,
                closed_by: None,
            }),
            Event::FollowUpClosed { seq, .. } => {
                if let Some(f) = self
                    .follow_ups
                    .iter_mut()
                    .find(|f| f.seq == *seq && f.closed_at.is_none())
                {
                    f.closed_at = Some(entry.at);
                    f.closed_by = Some(entry.by.clone());
                }
            }
            Event::PostmortemExported { .. } => self.postmortem_exports += 1,
            Event::AlertWriteBack {
                source,
                fingerprint,
                action,
                ok,
                ..
            } => self.write_backs.push(WriteBackRecord {
                at: entry.at,
                by: entry.by.clone(),
                source: source.clone(),
                fingerprint: fingerprint.clone(),
                action: action.clone(),
                ok: *ok,
            }),
            Event::ActionStarted { .. }
            | Event::ActionFinished { .. }
            | Event::ActionVerified { .. } => {
                super::action_run::apply(&mut self.action_runs, entry)
            }
            Event::Amended { .. }
            | Event::Retracted { .. }
            | Event::Moved { .. }
            | Event::MovedIn { .. }
            | Event::MarkedDuplicate { .. }
            | Event::Merged { .. } => super::corrections::apply(self, entry),
            Event::CheckIn { .. }
            | Event::RollCalled {}
            | Event::RollAdded { .. }
            | Event::TeamFormed { .. }
            | Event::TeamDisbanded { .. }
            | Event::NoticeDismissed { .. } => {}
            Event::Unknown(_) => self.unknown_events += 1,
            Event::AlertReviewed { .. } | Event::AlertMissing { .. } => {
                self.alert_review.apply(entry)
            }
            // A redaction changes nothing but the entry it names (see `redaction`).
            Event::Redacted { .. } | Event::Expunged => {}
            _ => {}
        }
        super::board::after(self, entry, roll_changed);
    }

    /// The `blast_radius_changed` event that brings the recorded service states up to the
    /// blast radius now, or `None` if nothing changed (or the incident is resolved).
    pub fn blast_changes(&self, now: &super::BlastRadius) -> Option<Event> {
        if self.is_resolved() {
            return None;
        }
        let changes = super::service_changes(&self.services, now);
        (!changes.is_empty()).then_some(Event::BlastRadiusChanged { changes })
    }

    /// Silences created during the incident that have not been expired (and have not run out
    /// by `now`): offered for expiry when the incident resolves.
    pub fn live_silences(&self, now: DateTime<Utc>) -> impl Iterator<Item = &SilenceRecord> {
        self.silences
            .iter()
            .filter(move |s| !s.expired && s.ends_at > now)
    }

    /// The `alerts_changed` event that brings the linked alerts up to date with what the
    /// sources report now, or `None` if nothing changed. `alerts` is the merged view of every
    /// source; only call it once every source has answered at least once, since an alert
    /// missing from a source that never answered is not resolved.
    pub fn alert_changes<A: AsRef<crate::domain::Alert>>(
        &self,
        alerts: &[A],
        now: DateTime<Utc>,
    ) -> Option<Event> {
        if self.is_resolved() {
            return None;
        }
        let mut firing = Vec::new();
        let mut resolved = Vec::new();
        for l in &self.linked_alerts {
            let live = alerts
                .iter()
                .map(AsRef::as_ref)
                .find(|a| a.fingerprint == l.alert.fingerprint && a.is_firing());
            match (live, l.firing) {
                (Some(a), false) => firing.push(AlertRef::of(a)),
                (None, true) => {
                    let mut r = l.alert.clone();
                    r.ends_at = Some(now);
                    resolved.push(r);
                }
                _ => {}
            }
        }
        (!firing.is_empty() || !resolved.is_empty())
            .then_some(Event::AlertsChanged { firing, resolved })
    }

    fn close_task(&mut self, id: u32, state: TaskState) {
        if let Some(t) = self.tasks.iter_mut().find(|t| t.id == id && t.is_open()) {
            t.state = state;
        }
    }

    /// The number the next task gets.
    pub fn next_task_id(&self) -> u32 {
        self.tasks.iter().map(|t| t.id).max().unwrap_or(0) + 1
    }

    pub fn open_tasks(&self) -> impl Iterator<Item = &Task> {
        self.tasks.iter().filter(|t| t.is_open())
    }

    /// Since when the current commander has held the role.
    pub fn commander_since(&self) -> Option<DateTime<Utc>> {
        self.roles
            .iter()
            .find(|h| h.role == Role::Commander)
            .map(|h| h.since)
    }

    pub fn is_resolved(&self) -> bool {
        self.status == Status::Resolved
    }

    /// The person holding a single-holder role, if any.
    pub fn holder(&self, role: Role) -> Option<&str> {
        self.roles
            .iter()
            .find(|h| h.role == role)
            .map(|h| h.person.as_str())
    }

    /// Time since opening, up to resolution if resolved.
    pub fn elapsed(&self, now: DateTime<Utc>) -> chrono::Duration {
        self.resolved_at.unwrap_or(now) - self.opened_at
    }

    /// Checks that `event` makes sense as the next event of this incident. Nothing that fails
    /// here is ever appended.
    pub fn check(&self, event: &Event) -> Result<(), Rejected> {
        // Delivery results of an update posted before resolution may still arrive after it,
        // and so may the end (and verification) of an action started before it;
        // and so may the expiry of the silences its resolution offered to expire;
        // the post-mortem adds follow-ups and exports drafts of a resolved incident.
        if self.is_resolved()
            && !matches!(
                event,
                Event::Unknown(_)
                    | Event::Redacted { .. }
                    | Event::UpdateDelivered { .. }
                    | Event::SilenceExpired { .. }
                    | Event::ActionFinished { .. }
                    | Event::ActionVerified { .. }
                    | Event::FollowUp { .. }
                    | Event::FollowUpClosed { .. }
                    | Event::PostmortemExported { .. }
                    | Event::DrillReviewed { .. }
                    | Event::Amended { .. }
                    | Event::Retracted { .. }
                    | Event::Moved { .. }
                    | Event::MovedIn { .. }
                    | Event::Merged { .. }
            )
        {
            return Err(Rejected(format!(
                "{} is resolved; nothing more can be recorded on it",
                self.id
            )));
        }
        if let Some(verdict) = self.practice.check(event) {
            return verdict;
        }
        match event {
            Event::Opened { .. } => Err(Rejected(format!("{} is already open", self.id))),
            Event::SeverityChanged { from, to } => {
                if *from != self.severity {
                    Err(Rejected(format!(
                        "severity changed meanwhile: {} is now {}",
                        self.id, self.severity
                    )))
                } else if from == to {
                    Err(Rejected(format!("{} is already {}", self.id, to)))
                } else {
                    Ok(())
                }
            }
            Event::StatusChanged { from, to } => {
                if *to == Status::Resolved {
                    Err(Rejected(
                        "use resolve to resolve an incident, not a status change".into(),
                    ))
                } else if *from != self.status {
                    Err(Rejected(format!(
                        "status changed meanwhile: {} is now {}",
                        self.id, self.status
                    )))
                } else if from == to {
                    Err(Rejected(format!("{} is already {}", self.id, to)))
                } else {
                    Ok(())
                }
            }
            Event::RoleAssigned { role, person } => {
                check_line("person", person)?;
                if self
                    .roles
                    .iter()
                    .any(|h| h.role == *role && h.person == *person)
                {
                    Err(Rejected(format!(
                        "{person} is already {role} of {}",
                        self.id
                    )))
                } else {
                    Ok(())
                }
            }
            Event::Note { text, .. } => check_text("note", text),
            Event::StatusUpdate { text } => check_text("status update", text),
            Event::StatusUpdateSnoozed { minutes } => {
                if (1..=60).contains(minutes) {
                    Ok(())
                } else {
                    Err(Rejected(format!(
                        "snooze must be 1 to 60 minutes, not {minutes}"
                    )))
                }
            }
            Event::Resolved { summary } => {
                self.practice.check_resolution()?;
                match summary {
                    Some(s) => check_text("summary", s),
                    None => Ok(()),
                }
            }
            Event::TaskAssigned {
                task, person, what, ..
            } => {
                check_line("person", person)?;
                check_line("task", what)?;
                if *task != self.next_task_id() {
                    return Err(Rejected(format!(
                        "task number T{task} is taken; the next is T{}",
                        self.next_task_id()
                    )));
                }
                Ok(())
            }
            Event::TaskDone { task } | Event::TaskCancelled { task } => {
                match self.tasks.iter().find(|t| t.id == *task) {
                    None => Err(Rejected(format!("{} has no task T{task}", self.id))),
                    Some(t) if !t.is_open() => {
                        Err(Rejected(format!("task T{task} is already closed")))
                    }
                    Some(_) => Ok(()),
                }
            }
            Event::Handoff { to, summary, .. } => {
                check_line("person", to)?;
                check_text("handoff summary", summary)?;
                if self.holder(Role::Commander) == Some(to.as_str()) {
                    Err(Rejected(format!(
                        "{to} is already commander of {}",
                        self.id
                    )))
                } else {
                    Ok(())
                }
            }
            Event::UpdateDelivered { target, .. } => check_line("target", target),
            Event::PagerdutyLinked {
                incident, title, ..
            } => {
                check_pagerduty_id(incident)?;
                if title.len() > MAX_TEXT_BYTES {
                    return Err(Rejected("the PagerDuty title is too long".into()));
                }
                if self.pagerduty.iter().any(|l| l.id == *incident) {
                    Err(Rejected(format!(
                        "PagerDuty incident {incident} is already linked to {}",
                        self.id
                    )))
                } else {
                    Ok(())
                }
            }
            Event::PagerdutyUnlinked { incident } => {
                if self.pagerduty.iter().any(|l| l.id == *incident) {
                    Ok(())
                } else {
                    Err(Rejected(format!(
                        "PagerDuty incident {incident} is not linked to {}",
                        self.id
                    )))
                }
            }
            Event::AlertLinked { alert, .. } => {
                if self
                    .linked_alerts
                    .iter()
                    .any(|l| l.alert.fingerprint == alert.fingerprint)
                {
                    Err(Rejected(format!(
                        "{} is already linked to {}",
                        alert.describe(),
                        self.id
                    )))
                } else {
                    Ok(())
                }
            }
            Event::AlertUnlinked { fingerprint } => {
                if self
                    .linked_alerts
                    .iter()
                    .any(|l| l.alert.fingerprint == *fingerprint)
                {
                    Ok(())
                } else {
                    Err(Rejected(format!(
                        "alert {fingerprint} is not linked to {}",
                        self.id
                    )))
                }
            }
            Event::AlertsChanged { .. }
            | Event::SilenceCreated { .. }
            | Event::BlastRadiusChanged { .. } => Ok(()),
            Event::SilenceExpired { silence_id, .. } => {
                if self.silences.iter().any(|s| s.id == *silence_id) {
                    Ok(())
                } else {
                    Err(Rejected(format!(
                        "silence {silence_id} was not created during {}",
                        self.id
                    )))
                }
            }
            Event::FollowUp { text, owner, .. } => {
                check_text("follow-up", text)?;
                match owner {
                    Some(o) => check_line("owner", o),
                    None => Ok(()),
                }
            }
            Event::FollowUpClosed { seq, note } => {
                if let Some(n) = note {
                    check_text("note", n)?;
                }
                match self.follow_ups.iter().find(|f| f.seq == *seq) {
                    None => Err(Rejected(format!(
                        "{} has no follow-up #{seq} (`warroom log {}` shows each entry's number)",
                        self.id, self.id
                    ))),
                    Some(f) if f.closed_at.is_some() => Err(Rejected(format!(
                        "follow-up #{seq} of {} is already closed",
                        self.id
                    ))),
                    Some(_) => Ok(()),
                }
            }
            Event::PostmortemExported { .. } => Ok(()),
            Event::AlertWriteBack {
                source,
                alert,
                action,
                text,
                ..
            } => {
                check_line("source", source)?;
                check_line("alert", alert)?;
                if crate::domain::WriteBack::from_name(action).is_none() {
                    return Err(Rejected(format!(
                        "unknown write-back '{action}' (expected one of {})",
                        crate::domain::WriteBack::names()
                    )));
                }
                check_text("text", text)
            }
            Event::ActionStarted { .. }
            | Event::ActionFinished { .. }
            | Event::ActionVerified { .. } => super::action_run::check(&self.action_runs, event),
            Event::Amended { .. }
            | Event::Retracted { .. }
            | Event::Moved { .. }
            | Event::MovedIn { .. }
            | Event::MarkedDuplicate { .. }
            | Event::Merged { .. } => super::corrections::check(self, event),
            Event::CheckIn { .. }
            | Event::RollCalled {}
            | Event::RollAdded { .. }
            | Event::TeamFormed { .. }
            | Event::TeamDisbanded { .. }
            | Event::NoticeDismissed { .. } => super::roll::check(self, event),
            Event::Unknown(_) => Ok(()),
            Event::Redacted { .. } | Event::Expunged => super::redaction::check(event),
            Event::AlertReviewed { .. } | Event::AlertMissing { .. } => {
                super::alert_review::check(self, event)
            }
            Event::Paged { .. } => super::paging::check(event),
            _ => Ok(()),
        }
    }
}

/// A PagerDuty incident ID as the API writes them: letters and digits, nothing that could
/// change the path it is put in.
pub fn check_pagerduty_id(id: &str) -> Result<(), Rejected> {
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(Rejected(format!(
            "PagerDuty incident ID {id:?}: expected letters and digits, like PT4KHLK"
        )));
    }
    Ok(())
}

/// Checks the fields of a new `opened` event.
pub fn check_opening(title: &str, summary: Option<&str>) -> Result<(), Rejected> {
    check_line("title", title)?;
    if let Some(s) = summary {
        check_text("summary", s)?;
    }
    Ok(())
}

pub(super) fn check_line(field: &str, value: &str) -> Result<(), Rejected> {
    if value.trim().is_empty() {
        return Err(Rejected(format!("{field} is empty")));
    }
    if value.chars().any(char::is_control) {
        return Err(Rejected(format!(
            "{field} must be one line without control characters"
        )));
    }
    let n = value.chars().count();
    if n > MAX_LINE_CHARS {
        return Err(Rejected(format!(
            "{field} is {n} characters long; at most {MAX_LINE_CHARS} are allowed"
        )));
    }
    Ok(())
}

pub(super) fn check_text(field: &str, value: &str) -> Result<(), Rejected> {
    if value.trim().is_empty() {
        return Err(Rejected(format!("{field} is empty")));
    }
    if value.len() > MAX_TEXT_BYTES {
        return Err(Rejected(format!(
            "{field} is {} bytes long; at most {MAX_TEXT_BYTES} are allowed",
            value.len()
        )));
    }
    Ok(())
}

impl NoteKind {
    /// One-letter tag for compact log views.
    pub fn letter(self) -> char {
        match self {
            NoteKind::Observation => 'O',
            NoteKind::Hypothesis => 'H',
            NoteKind::Decision => 'D',
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap() + chrono::Duration::minutes(min)
    }

    fn entries(events: Vec<(i64, Event)>) -> Vec<Entry> {
        events
            .into_iter()
            .enumerate()
            .map(|(i, (m, event))| Entry {
                seq: i as u64 + 1,
                at: at(m),
                by: "alice".into(),
                event,
            })
            .collect()
    }

    fn opened() -> Event {
        Event::Opened {
            title: "Checkout 500s".into(),
            severity: Severity::Sev2,
            summary: None,
        }
    }

    #[test]
    fn checkout_outage_folds_to_its_current_picture() {
        let log = entries(vec![
            (0, opened()),
            (
                1,
                Event::RoleAssigned {
                    role: Role::Commander,
                    person: "alice".into(),
                },
            ),
            (
                2,
                Event::SeverityChanged {
                    from: Severity::Sev2,
                    to: Severity::Sev1,
                },
            ),
            (
                3,
                Event::StatusUpdate {
                    text: "checkout failing".into(),
                },
            ),
            (
                5,
                Event::RoleAssigned {
                    role: Role::Commander,
                    person: "bob".into(),
                },
            ),
            (
                40,
                Event::Resolved {
                    summary: Some("rolled back".into()),
                },
            ),
        ]);
        let i = Incident::fold("INC-1", &log).unwrap();
        assert_eq!(i.severity, Severity::Sev1);
        assert_eq!(i.holder(Role::Commander), Some("bob"));
        assert_eq!(i.roles.len(), 1);
        assert_eq!(i.last_status_update, Some(at(3)));
        assert_eq!(i.status, Status::Resolved);
        assert_eq!(i.elapsed(at(500)), chrono::Duration::minutes(40));
        assert_eq!(
            i.severity_history,
            vec![(at(0), Severity::Sev2), (at(2), Severity::Sev1)]
        );
    }

    #[test]
    fn nothing_more_is_recorded_on_a_resolved_incident() {
        let log = entries(vec![(0, opened()), (1, Event::Resolved { summary: None })]);
        let i = Incident::fold("INC-1", &log).unwrap();
        let err = i
            .check(&Event::Note {
                kind: NoteKind::Observation,
                text: "late".into(),
            })
            .unwrap_err();
        assert_eq!(
            err.0,
            "INC-1 is resolved; nothing more can be recorded on it"
        );
    }

    #[test]
    fn a_stale_severity_change_is_refused() {
        let i = Incident::fold("INC-1", &entries(vec![(0, opened())])).unwrap();
        assert!(
            i.check(&Event::SeverityChanged {
                from: Severity::Sev3,
                to: Severity::Sev1
            })
            .is_err()
        );
        assert!(
            i.check(&Event::SeverityChanged {
                from: Severity::Sev2,
                to: Severity::Sev2
            })
            .is_err()
        );
    }

    #[test]
    fn empty_and_multiline_titles_are_refused() {
        assert!(check_opening("  ", None).is_err());
        assert!(check_opening("a\nb", None).is_err());
        assert!(check_opening("Checkout 500s", Some("")).is_err());
        assert!(check_opening("Checkout 500s", None).is_ok());
    }

    #[test]
    fn follow_ups_are_kept_and_may_be_added_after_resolution() {
        let follow_up = |text: &str| Event::FollowUp {
            text: text.into(),
            kind: FollowUpKind::Prevent,
            owner: Some("bob".into()),
        };
        let log = entries(vec![
            (0, opened()),
            (5, follow_up("alert on pricing deploys")),
            (9, Event::Resolved { summary: None }),
        ]);
        let i = Incident::fold("INC-1", &log).unwrap();
        assert_eq!(i.follow_ups.len(), 1);
        assert_eq!(i.follow_ups[0].seq, 2);
        assert_eq!(i.follow_ups[0].owner.as_deref(), Some("bob"));
        assert_eq!(i.check(&follow_up("canary the pricing service")), Ok(()));
        assert_eq!(
            i.check(&Event::PostmortemExported {
                format: crate::domain::ExportFormat::Markdown,
                path: None
            }),
            Ok(())
        );
        assert_eq!(
            i.check(&follow_up("  ")).unwrap_err().0,
            "follow-up is empty"
        );
    }

    #[test]
    fn smes_accumulate_and_single_roles_replace() {
        let log = entries(vec![
            (0, opened()),
            (
                1,
                Event::RoleAssigned {
                    role: Role::Sme,
                    person: "db".into(),
                },
            ),
            (
                2,
                Event::RoleAssigned {
                    role: Role::Sme,
                    person: "net".into(),
                },
            ),
        ]);
        let i = Incident::fold("INC-1", &log).unwrap();
        assert_eq!(i.roles.len(), 2);
    }
}
