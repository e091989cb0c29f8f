//! A handoff keeps the lead for the person named: once the leader who handed over lets go (or
//! its lease runs out), only that person may take the lead for [`RESERVE`]; anyone else is
//! refused with [`JournalError::Reserved`] naming them. After the window, or once they have
//! led, anyone may. Both stores ask [`check`] before they take the lead, with what they keep
//! of the last leader (the lock file's note, the lease row).

use super::{Journal, JournalError};
use crate::domain::Event;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// How long the lead is kept for the person a handoff names, from the moment it is free.
pub const RESERVE: Duration = Duration::from_secs(120);

/// The last leader of an incident: who, since when, and when the lead became free (let go,
/// or the lease ran out), when known (a process that died holding the lock file says nothing).
#[derive(Debug, Clone)]
pub(crate) struct LastLead {
    pub user: String,
    pub since: DateTime<Utc>,
    pub freed: Option<DateTime<Utc>>,
}

/// The newest handoff of the journal: to whom, and when it was recorded.
pub(crate) fn last_handoff(journal: &dyn Journal) -> Option<(String, DateTime<Utc>)> {
    journal
        .records()
        .iter()
        .rev()
        .find_map(|r| match &r.entry.event {
            Event::Handoff { to, .. } => Some((to.clone(), r.entry.at)),
            _ => None,
        })
}

/// Refuses `user` the lead of `id` while it is kept for the person the newest handoff named:
/// from the later of the handoff and the moment the last leader let go, for [`RESERVE`].
/// Nothing is kept once that person has led, or when someone took the lead after the
/// handoff was recorded (and so is not the leader who handed over).
pub(crate) fn check(
    id: &str,
    handoff: Option<&(String, DateTime<Utc>)>,
    last: Option<&LastLead>,
    user: &str,
    now: DateTime<Utc>,
) -> Result<(), JournalError> {
    let Some((person, at)) = handoff else {
        return Ok(());
    };
    if person == user {
        return Ok(());
    }
    let start = match last {
        Some(l) if l.user == *person || l.since > *at => return Ok(()),
        Some(l) => l.freed.map_or(*at, |freed| freed.max(*at)),
        None => *at,
    };
    let until = start + chrono::Duration::from_std(RESERVE).unwrap_or(chrono::Duration::zero());
    if now < until {
        return Err(JournalError::Reserved {
            id: id.to_string(),
            person: person.clone(),
            until,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + chrono::Duration::seconds(1_000_000 + secs)
    }

    fn last(user: &str, since: i64, freed: Option<i64>) -> LastLead {
        LastLead {
            user: user.into(),
            since: t(since),
            freed: freed.map(t),
        }
    }

    #[test]
    fn kept_for_the_person_named_from_the_release_for_the_window() {
        let h = ("bob".to_string(), t(100));
        let alice = last("alice", 0, Some(200));
        let refused = check("INC-1", Some(&h), Some(&alice), "carol", t(250));
        assert!(
            matches!(&refused, Err(JournalError::Reserved { person, until, .. })
                if person == "bob" && *until == t(320)),
            "{refused:?}"
        );
        assert!(check("INC-1", Some(&h), Some(&alice), "bob", t(250)).is_ok());
        assert!(check("INC-1", Some(&h), Some(&alice), "carol", t(320)).is_ok());
        // Bob led since: nothing kept.
        let bob = last("bob", 210, Some(230));
        assert!(check("INC-1", Some(&h), Some(&bob), "carol", t(240)).is_ok());
        // Someone took it after the window and let go: nothing kept.
        let carol = last("carol", 330, Some(340));
        assert!(check("INC-1", Some(&h), Some(&carol), "erin", t(341)).is_ok());
        // No handoff: nothing kept; a leader that died (no release known): from the handoff.
        assert!(check("INC-1", None, Some(&alice), "carol", t(250)).is_ok());
        let died = last("alice", 0, None);
        assert!(check("INC-1", Some(&h), Some(&died), "carol", t(219)).is_err());
        assert!(check("INC-1", Some(&h), Some(&died), "carol", t(221)).is_ok());
    }
}
