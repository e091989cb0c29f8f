//! warroom's tables in PostgreSQL, and how they get there: numbered migrations applied in order
//! under an advisory lock, each recorded in `warroom_schema`. A database whose schema is newer
//! than this binary knows is refused and never altered.

use tokio_postgres::Client;

/// The schema version this binary writes and reads.
pub const LATEST: i32 = 4;

/// Migration `n` takes the schema from version `n - 1` to `n`. Never edit one that has shipped:
/// add the next.
const MIGRATIONS: &[(i32, &str)] = &[
    (
        1,
        "CREATE TABLE warroom_ids (
         name text PRIMARY KEY,
         last bigint NOT NULL
     );
     INSERT INTO warroom_ids (name, last) VALUES ('incident', 0);
     CREATE TABLE warroom_incidents (
         id text PRIMARY KEY,
         number bigint NOT NULL UNIQUE,
         head_seq bigint NOT NULL,
         head_hash text NOT NULL
     );
     CREATE TABLE warroom_events (
         incident text NOT NULL REFERENCES warroom_incidents (id),
         seq bigint NOT NULL CHECK (seq > 0),
         event_id text NOT NULL UNIQUE,
         line text NOT NULL,
         PRIMARY KEY (incident, seq)
     );",
    ),
    (
        2,
        // Who leads each incident: a lease renewed by its holder's heartbeat, free once
        // `renewed_at` is older than the lease's length (times are the database's own).
        "CREATE TABLE warroom_leases (
             incident text PRIMARY KEY REFERENCES warroom_incidents (id),
             holder text NOT NULL,
             username text NOT NULL,
             host text NOT NULL,
             pid integer NOT NULL,
             since text NOT NULL,
             renewed_at timestamptz NOT NULL
         );",
    ),
    (
        3,
        // Each shared incident's share token, as its SHA-256 only: every share server on the
        // store honours it, whichever machine issued it.
        "CREATE TABLE warroom_shares (
             incident text PRIMARY KEY REFERENCES warroom_incidents (id),
             token_sha256 text NOT NULL,
             created_at text NOT NULL,
             created_by text NOT NULL
         );",
    ),
    (
        4,
        // The lines of journals `warroom upgrade` moved to a newer format, as they were: the
        // old chain, kept (a redaction takes its entry's line out of it too).
        "CREATE TABLE warroom_upgraded_lines (
             incident text NOT NULL REFERENCES warroom_incidents (id),
             format integer NOT NULL,
             seq bigint NOT NULL CHECK (seq > 0),
             line text NOT NULL,
             PRIMARY KEY (incident, format, seq)
         );",
    ),
];

/// Any key, as long as every warroom uses the same: serialises concurrent first uses.
const MIGRATION_LOCK: i64 = 0x7761_7272_6f6f_6d31; // "warroom1"

/// What went wrong, for the store to word.
pub enum SchemaError {
    Newer(i32),
    NotUtf8(String),
    Sql(tokio_postgres::Error),
}

impl From<tokio_postgres::Error> for SchemaError {
    fn from(e: tokio_postgres::Error) -> SchemaError {
        SchemaError::Sql(e)
    }
}

/// The schema version the database has (0: none yet).
pub async fn version(client: &Client) -> Result<i32, tokio_postgres::Error> {
    let row = client
        .query_one("SELECT to_regclass('warroom_schema') IS NOT NULL", &[])
        .await?;
    if !row.get::<_, bool>(0) {
        return Ok(0);
    }
    let row = client
        .query_one("SELECT coalesce(max(version), 0) FROM warroom_schema", &[])
        .await?;
    Ok(row.get(0))
}

/// Brings the schema to [`LATEST`], or refuses a newer one; returns the version found before.
pub async fn ensure(client: &mut Client) -> Result<i32, SchemaError> {
    let encoding: String = client
        .query_one("SELECT current_setting('server_encoding')", &[])
        .await?
        .get(0);
    if encoding != "UTF8" {
        return Err(SchemaError::NotUtf8(encoding));
    }
    let found = version(client).await?;
    if found > LATEST {
        return Err(SchemaError::Newer(found));
    }
    if found == LATEST {
        return Ok(found);
    }
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS warroom_schema (
             version integer PRIMARY KEY,
             applied_at timestamptz NOT NULL DEFAULT now(),
             applied_by text NOT NULL
         )",
    )
    .await?;
    // Another warroom may have migrated while this one waited for the lock.
    let now: i32 = tx
        .query_one("SELECT coalesce(max(version), 0) FROM warroom_schema", &[])
        .await?
        .get(0);
    if now > LATEST {
        return Err(SchemaError::Newer(now));
    }
    let by = concat!("warroom ", env!("CARGO_PKG_VERSION"));
    for (n, sql) in MIGRATIONS.iter().filter(|(n, _)| *n > now) {
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO warroom_schema (version, applied_by) VALUES ($1, $2)",
            &[n, &by],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(found)
}
