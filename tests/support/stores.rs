//! One harness over both stores: the checks that matter for the file journal and the
//! PostgreSQL journal are written once against [`TestStore`] and run on each.
#![allow(dead_code)]

use chrono::{DateTime, Utc};
use warroom::domain::Severity;
use warroom::journal::{
    FileJournal, FileStore, Journal, JournalError, PgJournal, PgStore, StoreOptions, VerifyReport,
};

/// What the shared checks need of a store.
pub trait TestStore {
    type J: Journal;
    fn name(&self) -> &'static str;
    fn create(&self, by: &str, at: DateTime<Utc>, title: &str) -> Result<Self::J, JournalError>;
    fn open(&self, id: &str) -> Result<Self::J, JournalError>;
    fn verify(&self, id: &str) -> Result<VerifyReport, JournalError>;
    fn ids(&self) -> Result<Vec<String>, JournalError>;
}

impl TestStore for FileStore {
    type J = FileJournal;
    fn name(&self) -> &'static str {
        "files"
    }
    fn create(
        &self,
        by: &str,
        at: DateTime<Utc>,
        title: &str,
    ) -> Result<FileJournal, JournalError> {
        FileStore::create(self, by, at, title, Severity::Sev2, None)
    }
    fn open(&self, id: &str) -> Result<FileJournal, JournalError> {
        FileStore::open(self, id)
    }
    fn verify(&self, id: &str) -> Result<VerifyReport, JournalError> {
        FileStore::verify(self, id)
    }
    fn ids(&self) -> Result<Vec<String>, JournalError> {
        FileStore::ids(self)
    }
}

impl TestStore for PgStore {
    type J = PgJournal;
    fn name(&self) -> &'static str {
        "postgres"
    }
    fn create(&self, by: &str, at: DateTime<Utc>, title: &str) -> Result<PgJournal, JournalError> {
        PgStore::create(self, by, at, title, Severity::Sev2, None)
    }
    fn open(&self, id: &str) -> Result<PgJournal, JournalError> {
        PgStore::open(self, id)
    }
    fn verify(&self, id: &str) -> Result<VerifyReport, JournalError> {
        PgStore::verify(self, id)
    }
    fn ids(&self) -> Result<Vec<String>, JournalError> {
        PgStore::ids(self)
    }
}

/// A PgStore on `url`.
pub fn pg(url: &str) -> PgStore {
    PgStore::connect(&StoreOptions {
        url: url.to_string(),
        ..StoreOptions::default()
    })
    .unwrap_or_else(|e| panic!("connect: {e}"))
}
