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

/// Where the binary keeps incidents in a CLI test: the data directory, or a database of this
/// test file's PostgreSQL cluster named by `WARROOM_STORE_URL` (password included: the
/// variable is how a password is given, never `--store`).
pub struct CliStore {
    pub name: &'static str,
    /// Kept running while the test uses it.
    pub cluster: Option<std::sync::Arc<super::postgres::Postgres>>,
    /// Set on every command.
    pub env: Vec<(String, String)>,
}

impl CliStore {
    pub fn env(&self) -> Vec<(&str, &str)> {
        self.env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    /// The store's database itself, when there is one (to look at it behind the binary).
    pub fn pg(&self) -> Option<PgStore> {
        self.env
            .iter()
            .find(|(k, _)| k == "WARROOM_STORE_URL")
            .map(|(_, url)| pg(url))
    }

    pub fn is_shared(&self) -> bool {
        self.cluster.is_some()
    }
}

/// The file journal, then PostgreSQL on a new database `db` of this file's cluster (unless
/// PostgreSQL is not installed: then a loud SKIPPED, or a panic under `CI=true`).
pub fn cli_stores(db: &str) -> Vec<CliStore> {
    let mut stores = vec![CliStore {
        name: "files",
        cluster: None,
        env: Vec::new(),
    }];
    if let Some(cluster) = super::postgres::shared() {
        let url = cluster.database(db);
        stores.push(CliStore {
            name: "postgres",
            cluster: Some(cluster),
            env: vec![("WARROOM_STORE_URL".to_string(), url)],
        });
    }
    stores
}
