//! Who may record what: the leader of an incident records anything; everyone else, from
//! another console or the command line, records only what is open to all, under their own
//! name. The one rule both the console's reducer and its journal worker ask.

use super::{Event, NoteKind};

/// Whether someone who does not lead the incident may record `event`: observations and
/// hypotheses, status updates, a CAN check-in, the result of a task ("done"), and an
/// objection to a proposed decision. Severity, status, roles,
/// handoffs, decisions, tasks, resolution, alerts, silences and actions are the leader's.
pub fn non_leader_may(event: &Event) -> bool {
    match event {
        Event::Note { kind, .. } => *kind != NoteKind::Decision,
        Event::StatusUpdate { .. } | Event::TaskDone { .. } => true,
        // Everyone on the call reports their conditions, actions and needs.
        Event::CheckIn { .. } => true,
        // Anyone who can write may object to a proposed decision.
        Event::DecisionObjected { .. } => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Severity, Status};

    #[test]
    fn notes_updates_and_task_results_are_open_to_all() {
        let note = |kind| Event::Note {
            kind,
            text: "db latency up".into(),
        };
        assert!(non_leader_may(&note(NoteKind::Observation)));
        assert!(non_leader_may(&note(NoteKind::Hypothesis)));
        assert!(!non_leader_may(&note(NoteKind::Decision)));
        assert!(non_leader_may(&Event::StatusUpdate { text: "x".into() }));
        assert!(non_leader_may(&Event::TaskDone { task: 1 }));
        assert!(non_leader_may(&Event::CheckIn {
            conditions: "looking at the primary".into(),
            actions: None,
            needs: None
        }));
        assert!(!non_leader_may(&Event::TaskCancelled { task: 1 }));
        assert!(!non_leader_may(&Event::SeverityChanged {
            from: Severity::Sev2,
            to: Severity::Sev1
        }));
        assert!(!non_leader_may(&Event::StatusChanged {
            from: Status::Investigating,
            to: Status::Identified
        }));
        assert!(!non_leader_may(&Event::Handoff {
            from: None,
            to: "bob".into(),
            summary: "s".into()
        }));
    }
}
