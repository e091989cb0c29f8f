//! The journal worker's side of a correction across two incidents (moving a note, merging a
//! duplicate): the same two appends as the CLI's (`journal::corrections`), then the console
//! is shown what changed.

use super::JournalWorker;
use crate::console::action::{Across, Action};
use crate::journal::corrections::{self, TwoStepError};
use crate::journal::{BoxJournal, JournalError};
use chrono::Utc;

impl JournalWorker {
    /// The journal of `id`: the handle this worker holds, or a new one.
    fn take_journal(&mut self, id: &str) -> Result<BoxJournal, JournalError> {
        match self.journals.remove(id) {
            Some(j) => Ok(j),
            None => self.store.open(id),
        }
    }

    pub(super) fn correct_across(&mut self, across: Across) {
        let (a, b, reason) = match &across {
            Across::Move { id, to, reason, .. } => (id.clone(), to.clone(), reason.clone()),
            Across::Merge { dup, into, reason } => (dup.clone(), into.clone(), reason.clone()),
        };
        let mut first = match self.take_journal(&a) {
            Ok(j) => j,
            Err(e) => return self.say(e.to_string(), true),
        };
        let mut second = match self.take_journal(&b) {
            Ok(j) => j,
            Err(e) => {
                self.journals.insert(a, first);
                return self.say(e.to_string(), true);
            }
        };
        let now = Utc::now();
        let result = match &across {
            Across::Move { seq, .. } => {
                corrections::move_note(&mut *first, &mut *second, &self.me, now, *seq, &reason)
                    .map(|to_seq| format!("#{seq} moved to {b} #{to_seq}"))
            }
            Across::Merge { .. } => {
                corrections::merge(&mut *first, &mut *second, &self.me, now, &reason)
                    .map(|(_, n)| format!("{a} merged into {b} ({n} entries)"))
            }
        };
        for w in first
            .take_warnings()
            .into_iter()
            .chain(second.take_warnings())
        {
            self.problem(w);
        }
        self.journals.insert(a, first);
        self.journals.insert(b, second);
        match result {
            Ok(m) => self.say(m, false),
            Err(TwoStepError::Refused(e)) => self.say(e.to_string(), true),
            Err(TwoStepError::Halfway(m)) => self.say(m, true),
        }
        // The entries just written, and the list, as other processes' appends are shown.
        self.watch(false);
        self.send_list();
    }

    fn say(&self, message: String, error: bool) {
        self.send(Action::Corrected { message, error });
    }
}

impl JournalWorker {
    /// Redacts entry `seq` of the incident this console leads (the lead is the authority).
    pub(super) fn redact(&mut self, id: &str, seq: u64, reason: &str) {
        let leading = self
            .current
            .as_ref()
            .is_some_and(|(c, lock)| c == id && lock.is_some());
        let Some(journal) = self.journals.get_mut(id).filter(|_| leading) else {
            return self.say(format!("this console does not lead {id}"), true);
        };
        let request = crate::journal::Redaction {
            seq,
            reason,
            authority: crate::domain::Authority::Lead,
            allowed: &[],
        };
        let result = journal.redact(&self.me, Utc::now(), &request);
        for w in journal.take_warnings() {
            self.problem(w);
        }
        match result {
            Ok(r) => self.say(
                format!("#{seq} redacted (recorded as #{})", r.entry.seq),
                false,
            ),
            Err(e) => self.say(e.to_string(), true),
        }
        self.watch(false);
    }
}
