//! Wake-ups when incidents get new entries: [`Watch`], what [`super::Store::watch`] returns.
//! A wake-up says only where to look; the reader then reads everything after the last entry it
//! has (`Journal::refresh`), so a wake-up lost or repeated loses or repeats nothing.

use super::JournalError;
use std::time::Duration;

/// What a [`Watch`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wake {
    /// Incident `id` has entries up to `seq` at least (a reader that has them need not read).
    Entry { id: String, seq: u64 },
    /// Wake-ups may have been missed (the subscription has just started or was made again
    /// after the store went away): any incident may have new entries.
    Resync,
}

/// A subscription to new entries in a store. Dropping it ends the subscription.
pub trait Watch: Send {
    /// The next wake-up, waiting at most `timeout` (`Ok(None)`: none came). An error says why
    /// nothing can be heard just now (the store is out of reach); the watch keeps trying, and
    /// reports [`Wake::Resync`] once it hears again.
    fn next(&mut self, timeout: Duration) -> Result<Option<Wake>, JournalError>;
}

/// How often a store that cannot tell when something changed is looked at.
pub const POLL_EVERY: Duration = Duration::from_millis(50);

/// A store with no way to be told: every [`POLL_EVERY`] anything may have changed.
#[derive(Debug, Default)]
pub struct Poll {
    started: bool,
}

impl Watch for Poll {
    fn next(&mut self, timeout: Duration) -> Result<Option<Wake>, JournalError> {
        if !self.started {
            self.started = true;
            return Ok(Some(Wake::Resync));
        }
        std::thread::sleep(timeout.min(POLL_EVERY));
        Ok((timeout >= POLL_EVERY).then_some(Wake::Resync))
    }
}

/// `INCIDENT:SEQ`, as the PostgreSQL journal announces each entry.
pub(crate) fn parse_payload(payload: &str) -> Option<Wake> {
    let (id, seq) = payload.rsplit_once(':')?;
    Some(Wake::Entry {
        id: super::normalize_id(id)?,
        seq: seq.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_names_the_incident_and_its_seq_and_garbage_is_ignored() {
        assert_eq!(
            parse_payload("INC-7:42"),
            Some(Wake::Entry {
                id: "INC-7".into(),
                seq: 42
            })
        );
        assert_eq!(parse_payload("INC-7"), None);
        assert_eq!(parse_payload("INC-7:x"), None);
        assert_eq!(parse_payload("../x:1"), None);
    }
}
