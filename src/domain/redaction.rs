//! Redacting an entry: who may take an entry's event out of the journal, which entries can be,
//! and the `redacted` event that records it (who, why, which entry — never the text). The
//! journal does the rewriting; this decides, against the incident as of the newest entry.
//! (Not to be confused with [`super::redact`], which keeps secrets out of what actions print.)

use super::{Entry, Event, Incident, Rejected, Role};

/// At most this many characters of reason.
const MAX_REASON: usize = 500;

/// On what authority an entry is redacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authority {
    /// The caller holds the incident's lead (a console leading it).
    Lead,
    /// The author as the incident's commander (the one who opened it while nobody is).
    Commander,
    /// The author in a role they hold in the incident, which configuration allows to redact.
    Role(Role),
}

/// The `redacted` event for taking `target`'s event out of `incident`'s journal, by `by` on
/// `authority`; `allowed` are the roles configuration lets redact besides the leader.
pub fn redaction(
    incident: &Incident,
    target: &Entry,
    by: &str,
    reason: &str,
    authority: Authority,
    allowed: &[Role],
) -> Result<Event, Rejected> {
    let role = match authority {
        Authority::Lead => None,
        Authority::Commander => {
            let leader = incident
                .holder(Role::Commander)
                .unwrap_or(&incident.opened_by);
            if leader != by {
                return Err(Rejected(format!(
                    "only the leader of {} ({leader}) can redact an entry; {by} is not \
                     (or name a role allowed to redact with --role)",
                    incident.id
                )));
            }
            None
        }
        Authority::Role(role) => {
            if !allowed.contains(&role) {
                let allowed: Vec<String> = allowed.iter().map(|r| r.to_string()).collect();
                return Err(Rejected(format!(
                    "the {role} may not redact: [journal] redact_roles allows {}",
                    if allowed.is_empty() {
                        "no role (only the leader)".to_string()
                    } else {
                        allowed.join(", ")
                    }
                )));
            }
            if !incident
                .roles
                .iter()
                .any(|h| h.role == role && h.person == by)
            {
                return Err(Rejected(format!(
                    "{by} is not the {role} of {}; only its holder can redact as the {role}",
                    incident.id
                )));
            }
            Some(role)
        }
    };
    match &target.event {
        Event::Opened { .. } => Err(Rejected(format!(
            "entry #{} opens the incident and cannot be redacted",
            target.seq
        ))),
        Event::Drill { .. } => Err(Rejected(format!(
            "entry #{} marks the incident as a drill and cannot be redacted",
            target.seq
        ))),
        Event::Redacted { .. } => Err(Rejected(format!(
            "entry #{} records a redaction and cannot be redacted",
            target.seq
        ))),
        Event::Expunged => Err(Rejected(format!(
            "entry #{} is redacted already",
            target.seq
        ))),
        event => {
            let redacted = Event::Redacted {
                entry: target.seq,
                of: event.type_name().to_string(),
                reason: reason.trim().to_string(),
                role,
            };
            check(&redacted)?;
            Ok(redacted)
        }
    }
}

/// Checks a `redacted` event's own fields (an `expunged` placeholder is never appended).
pub(super) fn check(event: &Event) -> Result<(), Rejected> {
    match event {
        Event::Redacted { reason, of, .. } => {
            if reason.trim().is_empty() {
                return Err(Rejected("a redaction needs a reason (--reason)".into()));
            }
            if reason.chars().any(char::is_control) || reason.chars().count() > MAX_REASON {
                return Err(Rejected(format!(
                    "the reason must be one line of at most {MAX_REASON} characters"
                )));
            }
            if of.is_empty() {
                return Err(Rejected("a redaction names the type it redacted".into()));
            }
            Ok(())
        }
        Event::Expunged => Err(Rejected(
            "a redacted entry's placeholder is not an event to record".into(),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{NoteKind, Severity};
    use chrono::{TimeZone, Utc};

    fn entry(seq: u64, by: &str, event: Event) -> Entry {
        Entry {
            seq,
            at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, seq as u32).unwrap(),
            by: by.into(),
            event,
        }
    }

    fn incident() -> (Incident, Entry) {
        let opened = entry(
            1,
            "alice",
            Event::Opened {
                title: "t".into(),
                severity: Severity::Sev2,
                summary: None,
            },
        );
        let mut i = Incident::fold("INC-1", [&opened]).unwrap();
        i.apply(&entry(
            2,
            "alice",
            Event::RoleAssigned {
                role: Role::Scribe,
                person: "bob".into(),
            },
        ));
        let note = entry(
            3,
            "bob",
            Event::Note {
                kind: NoteKind::Observation,
                text: "password=hunter2".into(),
            },
        );
        i.apply(&note);
        (i, note)
    }

    #[test]
    fn the_opener_leads_while_there_is_no_commander() {
        let (i, note) = incident();
        let e = redaction(&i, &note, "alice", "a password", Authority::Commander, &[]).unwrap();
        assert_eq!(
            e,
            Event::Redacted {
                entry: 3,
                of: "note".into(),
                reason: "a password".into(),
                role: None
            }
        );
        assert!(!e.to_json().contains("hunter2"));
        let refused = redaction(&i, &note, "bob", "x", Authority::Commander, &[]).unwrap_err();
        assert!(
            refused.0.contains("only the leader of INC-1 (alice)"),
            "{refused}"
        );
    }

    #[test]
    fn a_role_redacts_only_when_configured_and_held() {
        let (i, note) = incident();
        let as_scribe = Authority::Role(Role::Scribe);
        let refused = redaction(&i, &note, "bob", "x", as_scribe, &[]).unwrap_err();
        assert!(refused.0.contains("redact_roles"), "{refused}");
        assert!(redaction(&i, &note, "bob", "x", as_scribe, &[Role::Scribe]).is_ok());
        let refused = redaction(&i, &note, "carol", "x", as_scribe, &[Role::Scribe]).unwrap_err();
        assert!(refused.0.contains("carol is not the scribe"), "{refused}");
    }

    #[test]
    fn the_opening_a_redaction_and_a_placeholder_stay() {
        let (i, _) = incident();
        for (seq, event) in [
            (
                1,
                Event::Opened {
                    title: "t".into(),
                    severity: Severity::Sev2,
                    summary: None,
                },
            ),
            (
                4,
                Event::Redacted {
                    entry: 3,
                    of: "note".into(),
                    reason: "r".into(),
                    role: None,
                },
            ),
            (3, Event::Expunged),
        ] {
            let target = entry(seq, "alice", event);
            assert!(redaction(&i, &target, "alice", "r", Authority::Lead, &[]).is_err());
        }
    }

    #[test]
    fn a_reason_is_required_and_one_line() {
        let (i, note) = incident();
        for reason in ["", "  ", "two\nlines"] {
            assert!(redaction(&i, &note, "alice", reason, Authority::Lead, &[]).is_err());
        }
    }
}
