//! Roll call, as a fold of the journal: who is on the incident (role holders, anyone who
//! wrote, anyone the leader added, anyone handed a task or put in a sub-team), each one's last
//! check-in in the CAN form (Conditions, Actions, Needs), the last roll call, the sub-teams,
//! and the practice notices dismissed. The work board and the notices themselves are
//! [`super::board`]'s: they need the whole incident.

use super::incident::{check_line, check_text};
use super::{Entry, Event, Incident, Rejected};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeSet;

/// A check-in as recorded: Conditions (what I see), Actions (what I am doing), Needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckIn {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub conditions: String,
    pub actions: Option<String>,
    pub needs: Option<String>,
}

impl CheckIn {
    /// `C: lag 40s · A: failing over · N: a DBA`, on one line.
    pub fn summary(&self) -> String {
        can_summary(
            &self.conditions,
            self.actions.as_deref(),
            self.needs.as_deref(),
        )
    }
}

fn can_summary(conditions: &str, actions: Option<&str>, needs: Option<&str>) -> String {
    let mut parts = vec![format!("C: {conditions}")];
    if let Some(a) = actions {
        parts.push(format!("A: {a}"));
    }
    if let Some(n) = needs {
        parts.push(format!("N: {n}"));
    }
    parts.join(" · ")
}

/// One person on the roll.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    pub person: String,
    /// When they first appeared in the journal: wrote, took a role, got a task, were added.
    pub since: DateTime<Utc>,
    /// Put on the roll by the leader (`roll_added`).
    pub added: bool,
    pub check_in: Option<CheckIn>,
}

/// The last roll call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RollCall {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub by: String,
}

/// A sub-team working on its own goal until its time-box ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Team {
    pub name: String,
    pub lead: String,
    pub goal: String,
    pub members: Vec<String>,
    pub formed_at: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

impl Team {
    /// Whether `person` reports to this team's lead (the lead reports to the call leader).
    pub fn reports_here(&self, person: &str) -> bool {
        self.lead != person && self.members.iter().any(|m| m == person)
    }
}

/// The roll and what the practice remembers about the call.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Roll {
    /// In the order they joined.
    pub members: Vec<Member>,
    pub called: Option<RollCall>,
    /// Sub-teams not disbanded, in the order formed.
    pub teams: Vec<Team>,
    /// Keys of the notices dismissed ([`super::Notice::key`]).
    pub dismissed: BTreeSet<String>,
    /// When the call leader first tracked more than [`super::SPAN_OF_CONTROL`] workstreams
    /// directly, and how many: derived, so it is the same after a restart and for followers.
    pub span_crossed: Option<(DateTime<Utc>, usize)>,
    /// Call leaders who ran a runbook action themselves, with when they first did.
    pub resolvers: Vec<(String, DateTime<Utc>)>,
}

impl Roll {
    pub fn member(&self, person: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.person == person)
    }

    /// The active team `person` reports to (as a member, not its lead).
    pub fn team_of(&self, person: &str) -> Option<&Team> {
        self.teams.iter().find(|t| t.reports_here(person))
    }

    /// Whether `person` checked in since the last roll call; `None` when no roll was called.
    pub fn answered(&self, person: &str) -> Option<bool> {
        let call = self.called.as_ref()?;
        Some(
            self.member(person)
                .and_then(|m| m.check_in.as_ref())
                .is_some_and(|c| c.seq > call.seq),
        )
    }

    /// The NATO name the next sub-team would take: Alpha, Bravo, …
    pub fn next_team_name(&self) -> String {
        const NAMES: [&str; 8] = [
            "Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel",
        ];
        NAMES
            .iter()
            .find(|n| !self.teams.iter().any(|t| t.name.eq_ignore_ascii_case(n)))
            .map_or_else(
                || format!("Team {}", self.teams.len() + 1),
                |n| n.to_string(),
            )
    }

    fn join(&mut self, person: &str, at: DateTime<Utc>) -> bool {
        if person.trim().is_empty() || self.member(person).is_some() {
            return false;
        }
        self.members.push(Member {
            person: person.to_string(),
            since: at,
            added: false,
            check_in: None,
        });
        true
    }

    /// Applies one entry; true when the roll or the teams changed in a way that may change
    /// the count of workstreams.
    pub fn apply(&mut self, entry: &Entry) -> bool {
        let mut changed = self.join(&entry.by, entry.at);
        match &entry.event {
            Event::RoleAssigned { person, .. } | Event::TaskAssigned { person, .. } => {
                changed |= self.join(person, entry.at);
            }
            Event::Handoff { to, .. } => changed |= self.join(to, entry.at),
            Event::CheckIn {
                conditions,
                actions,
                needs,
            } => {
                if let Some(m) = self.members.iter_mut().find(|m| m.person == entry.by) {
                    m.check_in = Some(CheckIn {
                        seq: entry.seq,
                        at: entry.at,
                        conditions: conditions.clone(),
                        actions: actions.clone(),
                        needs: needs.clone(),
                    });
                }
            }
            Event::RollCalled {} => {
                self.called = Some(RollCall {
                    seq: entry.seq,
                    at: entry.at,
                    by: entry.by.clone(),
                })
            }
            Event::RollAdded { person } => {
                changed |= self.join(person, entry.at);
                if let Some(m) = self.members.iter_mut().find(|m| m.person == *person) {
                    m.added = true;
                }
            }
            Event::TeamFormed {
                team,
                lead,
                goal,
                members,
                until,
            } => {
                for p in std::iter::once(lead).chain(members) {
                    self.join(p, entry.at);
                }
                self.teams.retain(|t| t.name != *team);
                self.teams.push(Team {
                    name: team.clone(),
                    lead: lead.clone(),
                    goal: goal.clone(),
                    members: members.clone(),
                    formed_at: entry.at,
                    until: *until,
                });
                changed = true;
            }
            Event::TeamDisbanded { team } => {
                self.teams.retain(|t| t.name != *team);
                changed = true;
            }
            Event::NoticeDismissed { notice } => {
                self.dismissed.insert(notice.clone());
            }
            _ => {}
        }
        changed
    }
}

/// Whether one of roll call's events makes sense as the next event of `i`.
pub(super) fn check(i: &Incident, event: &Event) -> Result<(), Rejected> {
    let roll = &i.roll;
    match event {
        Event::CheckIn {
            conditions,
            actions,
            needs,
        } => {
            check_text("conditions", conditions)?;
            if let Some(a) = actions {
                check_text("actions", a)?;
            }
            if let Some(n) = needs {
                check_text("needs", n)?;
            }
            Ok(())
        }
        Event::RollCalled {} => Ok(()),
        Event::RollAdded { person } => {
            check_line("person", person)?;
            if roll.member(person).is_some() {
                Err(Rejected(format!(
                    "{person} is already on the roll of {}",
                    i.id
                )))
            } else {
                Ok(())
            }
        }
        Event::TeamFormed {
            team,
            lead,
            goal,
            members,
            until,
        } => {
            check_line("team", team)?;
            check_line("lead", lead)?;
            check_text("goal", goal)?;
            for m in members {
                check_line("member", m)?;
            }
            if *until <= i.updated_at {
                return Err(Rejected("the time-box must end in the future".into()));
            }
            if let Some(t) = roll
                .teams
                .iter()
                .find(|t| t.name.eq_ignore_ascii_case(team))
            {
                return Err(Rejected(format!(
                    "team {} already works on {}",
                    t.name, i.id
                )));
            }
            if let Some(t) = roll
                .teams
                .iter()
                .find(|t| t.lead == *lead || members.iter().any(|m| t.reports_here(m)))
            {
                return Err(Rejected(format!(
                    "{} is already in team {}; disband it first",
                    if t.lead == *lead {
                        lead.as_str()
                    } else {
                        members
                            .iter()
                            .find(|m| t.reports_here(m))
                            .map_or("someone", String::as_str)
                    },
                    t.name
                )));
            }
            Ok(())
        }
        Event::TeamDisbanded { team } => {
            if roll.teams.iter().any(|t| t.name == *team) {
                Ok(())
            } else {
                Err(Rejected(format!("{} has no team {team}", i.id)))
            }
        }
        Event::NoticeDismissed { notice } => {
            check_line("notice", notice)?;
            if roll.dismissed.contains(notice) {
                Err(Rejected(format!("notice {notice} is already dismissed")))
            } else {
                Ok(())
            }
        }
        _ => Ok(()),
    }
}

/// One line for the outage log.
pub(super) fn describe(event: &Event) -> String {
    match event {
        Event::CheckIn {
            conditions,
            actions,
            needs,
        } => format!(
            "check-in: {}",
            can_summary(conditions, actions.as_deref(), needs.as_deref())
        ),
        Event::RollCalled {} => "roll called: everyone checks in".to_string(),
        Event::RollAdded { person } => format!("{person} added to the roll"),
        Event::TeamFormed {
            team,
            lead,
            goal,
            members,
            until,
        } => {
            let members = if members.is_empty() {
                String::new()
            } else {
                format!(" with {}", members.join(", "))
            };
            format!(
                "team {team} formed, led by {lead}{members}: {goal} (until {})",
                until.format("%H:%MZ")
            )
        }
        Event::TeamDisbanded { team } => format!("team {team} disbanded"),
        Event::NoticeDismissed { notice } => format!("notice dismissed: {notice}"),
        _ => String::new(),
    }
}
