//! The one seam between warroom and where incidents are kept: [`Store`], implemented by
//! [`FileStore`] (the data directory, the embedded default) and [`PgStore`] (a shared
//! PostgreSQL database). The CLI and the share server hold a `dyn Store` chosen once
//! ([`StoreChoice`]); nothing outside the journal's modules asks which store it is.

use super::{
    FileStore, GENESIS, Journal, JournalError, LeaderLock, LockHolder, PgLease, PgStore,
    StoreOptions, Upgrade, VerifyReport,
};
use crate::domain::{Event, Rejected, Severity, check_opening};
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// One incident's journal, from whichever store holds it.
pub type BoxJournal = Box<dyn Journal + Send>;

/// What a new incident is opened with.
#[derive(Debug, Clone, Copy)]
pub struct Opening<'a> {
    pub title: &'a str,
    pub severity: Severity,
    pub summary: Option<&'a str>,
}

/// Where incidents are kept.
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Where the store is, for messages: the data directory, or the URL without its password.
    fn shown(&self) -> String;
    /// IDs of every incident, oldest first.
    fn ids(&self) -> Result<Vec<String>, JournalError>;
    /// Opens a new incident: the store allocates its ID and durably records its `opened`
    /// entry.
    fn create(
        &self,
        by: &str,
        at: DateTime<Utc>,
        opening: Opening<'_>,
    ) -> Result<BoxJournal, JournalError>;
    /// Reads an incident's journal, checking its whole chain (taking no lead).
    fn open(&self, id: &str) -> Result<BoxJournal, JournalError>;
    /// Takes the lead of an incident (refused with [`JournalError::Led`], naming the holder,
    /// while someone else has it): the lock file of the data directory, or a lease in the
    /// database that a holder who dies or loses the network gives up within seconds.
    fn lead(
        &self,
        id: &str,
        user: &str,
        now: DateTime<Utc>,
    ) -> Result<(BoxJournal, Box<dyn Lead>), JournalError>;
    /// Who leads incident `id` now, if anyone, taking nothing (a read-only console keeps
    /// its header true with it).
    fn leader(&self, id: &str) -> Result<Option<LockHolder>, JournalError>;
    /// A subscription to new entries, from now on: wake-ups naming the incident that has new
    /// entries (`LISTEN` in the database), or [`super::Wake::Resync`] whenever any incident
    /// may have (at the start, after the store was out of reach, or every poll where the store
    /// cannot tell).
    fn watch(&self) -> Result<Box<dyn super::Watch>, JournalError>;
    /// Where share records are kept: beside the journals, so that every share server on the
    /// store honours a token whichever machine issued it.
    fn shares(&self) -> Arc<dyn super::Shares>;
    /// Checks the whole hash chain of an incident without changing anything.
    fn verify(&self, id: &str) -> Result<VerifyReport, JournalError> {
        Ok(report(self.open(id)?.as_mut()))
    }
    /// What `warroom list` shows of an incident, with the warnings met reading it: folded
    /// from the journal read whole, or (the data directory) from the summary kept beside it
    /// while that is the journal's as it stands.
    /// Its whole JSON too when `json` (`warroom list --json`).
    fn summary(&self, id: &str, json: bool) -> Result<super::Listed, JournalError> {
        let mut journal = self.open(id)?;
        let warnings = journal.take_warnings();
        let incident = journal.incident();
        Ok(super::Listed {
            summary: incident.map(super::Summary::of),
            json: match incident {
                Some(i) if json => Some(super::incident_json(i)?),
                _ => None,
            },
            warnings,
            stamp: None,
        })
    }
    /// [`Store::summary`] of each of `ids`, in the same order (the data directory reads them
    /// on every core).
    fn summaries(&self, ids: &[String], json: bool) -> Vec<Result<super::Listed, JournalError>> {
        ids.iter().map(|id| self.summary(id, json)).collect()
    }
    /// Whether [`Store::summary`] reads a summary kept beside the journal (with a
    /// [`super::Listed::stamp`]) rather than the journal whole.
    fn keeps_summaries(&self) -> bool {
        false
    }
    /// Whether incident `id` may have changed since [`super::Listed::stamp`] said where it
    /// stood (a store that gives no stamp is never asked).
    fn changed(&self, id: &str, stamp: &super::Stamp) -> bool {
        let _ = (id, stamp);
        true
    }
    /// A fold of incident `id` a caller above the journal keeps ([`super::KeptFold`]): the
    /// data directory keeps it beside the journal, keyed like the summary, and folds again
    /// only when the journal changed or the kept value's tag is not asked for; this default
    /// (PostgreSQL) folds the journal read whole every time.
    fn kept(
        &self,
        id: &str,
        fold: &super::KeptFold<'_>,
    ) -> Result<super::KeptValue<String>, JournalError> {
        let mut journal = self.open(id)?;
        let warnings = journal.take_warnings();
        Ok((fold.fold_whole(journal.as_ref()), warnings))
    }

    /// Whether the store answers now, tried once: a console checks this while the store is
    /// gone rather than wait the seconds a retried operation keeps trying.
    fn ping(&self) -> Result<(), JournalError> {
        Ok(())
    }
    /// Moves incident `id`'s journal to the newest format, keeping the old one beside it and
    /// verifying both; nothing is done to a journal in the newest format already.
    fn upgrade(&self, id: &str, user: &str, now: DateTime<Utc>) -> Result<Upgrade, JournalError> {
        let _ = (user, now);
        let journal = self.open(id)?;
        if journal.folded().format() == super::FORMAT {
            let head = report(&mut { journal }).head;
            return Ok(Upgrade {
                id: id.to_string(),
                events: 0,
                from: super::FORMAT,
                to: super::FORMAT,
                old_head: head.clone(),
                new_head: head,
                kept: None,
            });
        }
        Err(Rejected(format!(
            "{} cannot upgrade a journal in place yet: `warroom store pull {id}`, upgrade it in \
             the data directory, and keep using it there",
            self.shown()
        ))
        .into())
    }
}

/// `Store` for a type whose own `ids`, `create` and `open` do the work, plus `extra` items.
macro_rules! store_by_own_methods {
    ($store:ty, { $($extra:item)* }) => {
        impl Store for $store {
            fn ids(&self) -> Result<Vec<String>, JournalError> {
                <$store>::ids(self)
            }
            fn create(
                &self,
                by: &str,
                at: DateTime<Utc>,
                o: Opening<'_>,
            ) -> Result<BoxJournal, JournalError> {
                let journal = <$store>::create(self, by, at, o.title, o.severity, o.summary)?;
                Ok(Box::new(journal))
            }
            fn open(&self, id: &str) -> Result<BoxJournal, JournalError> {
                Ok(Box::new(<$store>::open(self, id)?))
            }
            fn lead(
                &self,
                id: &str,
                user: &str,
                now: DateTime<Utc>,
            ) -> Result<(BoxJournal, Box<dyn Lead>), JournalError> {
                let (journal, lead) = <$store>::lead(self, id, user, now)?;
                Ok((Box::new(journal), Box::new(lead)))
            }
            fn leader(&self, id: &str) -> Result<Option<LockHolder>, JournalError> {
                <$store>::leader(self, id)
            }
            $($extra)*
        }
    };
}

store_by_own_methods!(FileStore, {
    fn shown(&self) -> String {
        self.data_dir().display().to_string()
    }
    fn watch(&self) -> Result<Box<dyn super::Watch>, JournalError> {
        Ok(Box::new(super::watch::FileWatch::new(self.incidents_dir())))
    }
    fn shares(&self) -> Arc<dyn super::Shares> {
        Arc::new(super::FileShares::new(self.incidents_dir()))
    }
    fn upgrade(&self, id: &str, user: &str, now: DateTime<Utc>) -> Result<Upgrade, JournalError> {
        FileStore::upgrade(self, id, user, now)
    }
    fn summary(&self, id: &str, json: bool) -> Result<super::Listed, JournalError> {
        FileStore::summary(self, id, json)
    }
    fn summaries(&self, ids: &[String], json: bool) -> Vec<Result<super::Listed, JournalError>> {
        FileStore::summaries(self, ids, json)
    }
    fn keeps_summaries(&self) -> bool {
        true
    }
    fn verify(&self, id: &str) -> Result<VerifyReport, JournalError> {
        FileStore::verify(self, id)
    }
    fn changed(&self, id: &str, stamp: &super::Stamp) -> bool {
        FileStore::changed(self, id, stamp)
    }
    fn kept(
        &self,
        id: &str,
        fold: &super::KeptFold<'_>,
    ) -> Result<super::KeptValue<String>, JournalError> {
        FileStore::kept(self, id, fold)
    }
});

store_by_own_methods!(PgStore, {
    fn shown(&self) -> String {
        PgStore::shown(self).to_string()
    }
    fn ping(&self) -> Result<(), JournalError> {
        PgStore::ping(self)
    }
    fn watch(&self) -> Result<Box<dyn super::Watch>, JournalError> {
        Ok(Box::new(PgStore::watch(self)?))
    }
    fn shares(&self) -> Arc<dyn super::Shares> {
        Arc::new(self.clone())
    }
    fn upgrade(&self, id: &str, user: &str, now: DateTime<Utc>) -> Result<Upgrade, JournalError> {
        PgStore::upgrade(self, id, user, now)
    }
});

/// Held while a console leads an incident; the lead is let go when it is dropped.
pub trait Lead: Send + std::fmt::Debug {
    /// False once the lead was lost: a lease that ran out (the holder cut off from the
    /// database for longer than the lease) and was taken by someone else.
    fn is_held(&self) -> bool {
        true
    }
}

/// The lock file: held until dropped or the process ends, never lost meanwhile.
impl Lead for LeaderLock {}

impl Lead for PgLease {
    fn is_held(&self) -> bool {
        PgLease::is_held(self)
    }
}

/// Which store to use: the data directory, or a shared database.
#[derive(Debug, Clone)]
pub enum StoreChoice {
    Files(std::path::PathBuf),
    Shared(StoreOptions),
}

impl StoreChoice {
    /// The store, connected (and its schema checked) when it is a database.
    pub fn connect(&self) -> Result<Arc<dyn Store>, JournalError> {
        Ok(match self {
            StoreChoice::Files(dir) => Arc::new(FileStore::new(dir.clone())),
            StoreChoice::Shared(options) => Arc::new(PgStore::connect(options)?),
        })
    }
}

impl StoreChoice {
    /// [`StoreChoice::connect`], or, when the database does not answer now (asked once), a
    /// store that connects on first use, with why it could not be reached: a console starts
    /// anyway and says so, and its reads succeed once the database answers. Anything else (a
    /// schema newer than this warroom, a bad URL) is an error as with `connect`. (A store
    /// started this way has not checked the schema: it finds the tables when it answers.)
    pub fn connect_or_later(&self) -> Result<(Arc<dyn Store>, Option<String>), JournalError> {
        let StoreChoice::Shared(options) = self else {
            return Ok((self.connect()?, None));
        };
        // Asked once, without the seconds a verb keeps trying: the console starts at once.
        let later = PgStore::unchecked(options)?;
        if let Err(e) = later.ping() {
            return Ok((Arc::new(later), Some(e.to_string())));
        }
        Ok((self.connect()?, None))
    }
}

/// What `verify` reports of a journal just read whole.
pub(super) fn report(journal: &mut dyn Journal) -> VerifyReport {
    VerifyReport {
        id: journal.id().to_string(),
        events: journal.records().len(),
        head: journal
            .records()
            .last()
            .map(|r| r.hash().to_string())
            .unwrap_or_else(|| GENESIS.to_string()),
        format: journal.folded().format(),
        redacted: journal
            .records()
            .iter()
            .filter(|r| r.is_redacted())
            .map(|r| r.entry.seq)
            .collect(),
        warnings: journal.take_warnings(),
    }
}

/// The `opened` event of a new incident, checked (title, summary, author) before any store
/// allocates an ID for it.
pub(super) fn opening(
    by: &str,
    title: &str,
    severity: Severity,
    summary: Option<&str>,
) -> Result<Event, Rejected> {
    check_opening(title, summary)?;
    super::check_author(by)?;
    Ok(Event::Opened {
        title: title.trim().to_string(),
        severity,
        summary: summary.map(|s| s.to_string()),
    })
}

/// A boxed journal is a journal: the verbs pass it on as they would the store's own type.
impl<J: Journal + ?Sized> Journal for Box<J> {
    fn folded(&self) -> &super::Folded {
        (**self).folded()
    }
    fn refresh(&mut self) -> Result<usize, JournalError> {
        (**self).refresh()
    }
    fn append_if(
        &mut self,
        by: &str,
        at: DateTime<Utc>,
        decide: &mut super::Decide<'_>,
    ) -> Result<Option<super::Record>, JournalError> {
        (**self).append_if(by, at, decide)
    }
    fn take_warnings(&mut self) -> Vec<String> {
        (**self).take_warnings()
    }
    fn append_once(
        &mut self,
        key: &str,
        by: &str,
        at: DateTime<Utc>,
        event: &Event,
    ) -> Result<super::Record, JournalError> {
        (**self).append_once(key, by, at, event)
    }
    fn hold_open(&mut self) -> Result<(), JournalError> {
        (**self).hold_open()
    }
    fn release(&mut self) {
        (**self).release()
    }
    fn redact(
        &mut self,
        by: &str,
        at: DateTime<Utc>,
        request: &super::Redaction<'_>,
    ) -> Result<super::Record, JournalError> {
        (**self).redact(by, at, request)
    }
}
