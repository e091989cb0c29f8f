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
    /// The database of the cluster this store's incidents are kept in ("" for files).
    pub db: String,
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

/// The data directory alone.
pub fn files() -> CliStore {
    CliStore {
        name: "files",
        db: String::new(),
        cluster: None,
        env: Vec::new(),
    }
}

/// The file journal, then PostgreSQL on a new database `db` of this file's cluster (unless
/// PostgreSQL is not installed: then a loud SKIPPED, or a panic under `CI=true`).
pub fn cli_stores(db: &str) -> Vec<CliStore> {
    let mut stores = vec![files()];
    if let Some(cluster) = super::postgres::shared() {
        let url = cluster.database(db);
        stores.push(CliStore {
            name: "postgres",
            db: db.to_string(),
            cluster: Some(cluster),
            env: vec![("WARROOM_STORE_URL".to_string(), url)],
        });
    }
    stores
}

/// What a CLI test keeps: the data directory's files, and with PostgreSQL every incident's
/// lines in the database, to prove a command changed nothing anywhere.
#[derive(Debug, PartialEq)]
pub struct Kept {
    pub files: std::collections::BTreeMap<std::path::PathBuf, Option<Vec<u8>>>,
    pub rows: Vec<(String, Vec<String>)>,
}

impl CliStore {
    /// The binary pointed at `data` as `user`, on this store.
    pub fn warroom(&self, data: &std::path::Path, user: &str) -> assert_cmd::Command {
        let mut c = crate::common::warroom(data, user);
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    /// The same for `std::process::Command` (for spawning many at once).
    pub fn warroom_std(&self, data: &std::path::Path, user: &str) -> std::process::Command {
        let mut c = crate::common::warroom_std(data, user);
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    /// `warroom open TITLE --severity SEV` on this store → the new ID.
    pub fn open_incident(
        &self,
        data: &std::path::Path,
        user: &str,
        title: &str,
        severity: &str,
    ) -> String {
        let ran = crate::common::run({
            let mut c = self.warroom(data, user);
            c.args(["open", title, "--severity", severity]);
            c
        });
        assert_eq!(
            ran.code,
            Some(0),
            "{}: open failed: {}",
            self.name,
            ran.stderr
        );
        ran.stdout.trim().to_string()
    }

    /// The incident's journal as kept, byte for byte: the file, or the database's lines.
    pub fn journal_bytes(&self, data: &std::path::Path, id: &str) -> Vec<u8> {
        match self.pg() {
            Some(store) => {
                let j = store.open(id).unwrap_or_else(|e| panic!("open {id}: {e}"));
                j.records()
                    .iter()
                    .flat_map(|r| format!("{}\n", r.line()).into_bytes())
                    .collect()
            }
            None => std::fs::read(crate::common::journal_path(data, id)).unwrap(),
        }
    }

    /// Damages entry `seq` of incident `id` where it is kept, as a bad disk or a stray
    /// `UPDATE` would: `from` becomes `to` (the same length) in its line.
    pub fn damage(&self, data: &std::path::Path, id: &str, seq: u64, from: &str, to: &str) {
        match &self.cluster {
            Some(cluster) => {
                cluster.admin_on(
                    &self.db,
                    &format!(
                        "UPDATE warroom_events SET line = replace(line, '{from}', '{to}') \
                         WHERE seq = {seq}"
                    ),
                );
            }
            None => {
                let path = crate::common::journal_path(data, id);
                let text = std::fs::read_to_string(&path).unwrap();
                let lines: Vec<String> = text
                    .lines()
                    .enumerate()
                    .map(|(n, l)| {
                        if n as u64 + 1 == seq {
                            l.replace(from, to)
                        } else {
                            l.to_string()
                        }
                    })
                    .collect();
                std::fs::write(&path, lines.join("\n") + "\n").unwrap();
            }
        }
    }

    /// Everything kept, on disk and in the database (the rows as they are, read by the
    /// superuser: damaged ones too).
    pub fn kept(&self, data: &std::path::Path) -> Kept {
        let rows = match &self.cluster {
            Some(cluster) => cluster
                .admin_on(
                    &self.db,
                    "SELECT incident, seq::text, event_id, line FROM warroom_events \
                     ORDER BY incident, seq",
                )
                .into_iter()
                .map(|row| {
                    let row: Vec<String> = row.into_iter().map(Option::unwrap_or_default).collect();
                    (row[0].clone(), row[1..].to_vec())
                })
                .collect(),
            None => Vec::new(),
        };
        Kept {
            files: crate::common::snapshot(data),
            rows,
        }
    }
}
