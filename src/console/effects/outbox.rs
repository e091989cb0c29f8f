//! The journal worker while the store cannot be reached: what the leader types goes to this
//! machine's outbox (`journal::Outbox`, synced per entry) and is shown as not yet shared; the
//! store is asked once a second whether it answers again, and then the outbox is drained in
//! order. Observations decided under the lock (alerts, blast radius) are not queued: they are
//! decided afresh against the store once it answers.

use super::JournalWorker;
use crate::console::action::Action;
use crate::domain::{Entry, Event};
use crate::journal::{JournalError, OUTBOX, Outbox};
use chrono::{DateTime, Utc};
use std::time::{Duration, Instant};

/// How often a store that could not be reached is asked again.
pub(super) const PING_EVERY: Duration = Duration::from_secs(1);

impl JournalWorker {
    /// The outbox of incident `id`, read from disk the first time.
    fn outbox(&mut self, id: &str) -> Result<&mut Outbox, JournalError> {
        if !self.outboxes.contains_key(id) {
            let mut outbox = Outbox::load(&self.data_dir.join("incidents"), id)?;
            for w in outbox.take_warnings() {
                self.problem(w);
            }
            self.outboxes.insert(id.to_string(), outbox);
        }
        self.outboxes
            .get_mut(id)
            .ok_or_else(|| JournalError::NotFound(id.to_string()))
    }

    /// Whether typed entries of `id` must go to the outbox rather than to the store: while
    /// the store is gone, and while earlier entries wait there (nothing overtakes them).
    pub(super) fn must_queue(&mut self, id: &str) -> bool {
        self.down.is_some() || self.outbox(id).is_ok_and(|o| !o.is_drained())
    }

    /// The store could not be reached (`why`): says so at once.
    pub(super) fn store_down(&mut self, why: String) {
        if self.down.is_none() {
            self.pinged = Some(Instant::now());
        }
        if self.down.as_deref() != Some(why.as_str()) {
            self.down = Some(why.clone());
            self.send(Action::StoreDown(Some(why)));
        }
    }

    /// Keeps a typed entry in the outbox under `key` (made before an append whose outcome
    /// the store did not tell, so a commit that did happen is found, not repeated).
    pub(super) fn queue(
        &mut self,
        id: &str,
        key: String,
        at: DateTime<Utc>,
        event: Event,
        clears_draft: bool,
    ) {
        let me = self.me.clone();
        let pushed = self
            .outbox(id)
            .and_then(|o| o.push_keyed(key, &me, at, event).map(|_| ()));
        match pushed {
            Ok(()) => {
                // On disk in the outbox: the draft is no longer needed to keep the text.
                if clears_draft {
                    let _ = std::fs::remove_file(self.draft_path(id));
                }
                self.send(Action::Appended {
                    id: id.into(),
                    entries: Vec::new(),
                    cleared_draft: clears_draft,
                });
                self.send_unshared(id);
            }
            Err(e) => self.send(Action::AppendFailed {
                id: id.into(),
                reason: format!("the store cannot be reached, and the outbox failed too: {e}"),
            }),
        }
    }

    /// Sends what of `id` is not shared yet, when it is on screen.
    pub(super) fn send_unshared(&mut self, id: &str) {
        if self.current.as_ref().is_none_or(|(c, _)| c != id) {
            return;
        }
        let entries: Vec<(Entry, Option<String>)> = match self.outbox(id) {
            Ok(o) => o
                .entries()
                .iter()
                .map(|q| {
                    let entry = Entry {
                        seq: 0,
                        at: q.at,
                        by: q.by.clone(),
                        event: q.event.clone(),
                    };
                    (entry, q.refused.clone())
                })
                .collect(),
            Err(e) => return self.problem(e),
        };
        self.send(Action::Unshared {
            id: id.to_string(),
            entries,
        });
    }

    /// While the store is gone, asks it once a second whether it answers; when it does, says
    /// so and drains every outbox. Returns whether the store answers.
    pub(super) fn check_store(&mut self) -> bool {
        if self.down.is_none() {
            return true;
        }
        if self.pinged.is_some_and(|t| t.elapsed() < PING_EVERY) {
            return false;
        }
        self.pinged = Some(Instant::now());
        if let Err(e) = self.store.ping() {
            self.store_down(e.to_string());
            return false;
        }
        self.down = None;
        self.send(Action::StoreDown(None));
        let waiting: Vec<String> = self
            .outboxes
            .iter()
            .filter(|(_, o)| !o.is_drained())
            .map(|(id, _)| id.clone())
            .collect();
        for id in waiting {
            self.drain(&id);
            if self.down.is_some() {
                return false;
            }
        }
        true
    }

    /// Commits what waits in `id`'s outbox, in order.
    pub(super) fn drain(&mut self, id: &str) {
        if !self.journals.contains_key(id) {
            match self.store.open(id) {
                Ok(j) => {
                    self.journals.insert(id.to_string(), j);
                }
                Err(JournalError::Store(why)) => return self.store_down(why),
                Err(e) => return self.problem(format!("{id}: outbox not drained: {e}")),
            }
        }
        let (Some(journal), Some(outbox)) = (self.journals.get_mut(id), self.outboxes.get_mut(id))
        else {
            return;
        };
        let drained = outbox.drain(&mut **journal);
        let mut problems = outbox.take_warnings();
        problems.extend(journal.take_warnings());
        for p in problems {
            self.problem(p);
        }
        for q in &drained.refused {
            self.problem(format!(
                "{id}: not shared: {} refused because {}",
                q.event.describe(),
                q.refused.as_deref().unwrap_or("?")
            ));
        }
        match drained.stopped {
            Some(JournalError::Store(why)) => self.store_down(why),
            Some(e) => self.problem(format!("{id}: outbox not drained: {e}")),
            None => {}
        }
        if self.current.as_ref().is_some_and(|(c, _)| c == id) {
            let ours: Vec<u64> = drained.committed.iter().map(|r| r.entry.seq).collect();
            let entries = self.unsent(id);
            if !entries.is_empty() {
                self.send(Action::Drained {
                    id: id.to_string(),
                    entries,
                    ours,
                });
            }
            self.send_unshared(id);
        }
        self.send_list();
    }
}

impl JournalWorker {
    /// Reads every outbox on this machine (entries typed while the store was gone, perhaps by
    /// an earlier console), so they are listed and drained once the store answers.
    pub(super) fn load_outboxes(&mut self) {
        let Ok(dirs) = std::fs::read_dir(self.data_dir.join("incidents")) else {
            return;
        };
        let mut ids: Vec<String> = dirs
            .filter_map(|d| d.ok())
            .filter(|d| d.path().join(OUTBOX).is_file())
            .filter_map(|d| d.file_name().into_string().ok())
            .collect();
        ids.sort();
        for id in ids {
            if let Err(e) = self.outbox(&id) {
                self.problem(e);
            }
        }
    }

    /// An incident this console has not read from the store, listed for what waits in its
    /// outbox: its title says how many entries are not yet shared and why. The severity is the
    /// last one typed into the outbox, else the highest (an incident being typed into during
    /// an outage of the store is treated as serious until the store says otherwise).
    pub(super) fn waiting_incidents(&self) -> Vec<crate::domain::Incident> {
        self.outboxes
            .iter()
            .filter(|(id, o)| !o.is_drained() && !self.journals.contains_key(*id))
            .filter_map(|(id, o)| {
                let waiting: Vec<_> = o.waiting().collect();
                let first = waiting.first()?;
                let severity = waiting
                    .iter()
                    .rev()
                    .find_map(|q| match q.event {
                        Event::SeverityChanged { to, .. } => Some(to),
                        _ => None,
                    })
                    .unwrap_or(crate::domain::Severity::Sev1);
                let n = waiting.len();
                let title = format!(
                    "{n} {} not yet shared (store unreachable)",
                    if n == 1 { "entry" } else { "entries" }
                );
                let opened = Entry {
                    seq: 0,
                    at: first.at,
                    by: first.by.clone(),
                    event: Event::Opened {
                        title,
                        severity,
                        summary: None,
                    },
                };
                let mut incident = crate::domain::Incident::fold(id, [&opened])?;
                incident.updated_at = waiting.iter().map(|q| q.at).max().unwrap_or(first.at);
                Some(incident)
            })
            .collect()
    }
}
