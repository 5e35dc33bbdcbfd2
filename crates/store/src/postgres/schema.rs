//! The database schema, created and migrated by Rampart itself.
//!
//! Migrations are numbered and applied in order, each in its own transaction together with the
//! row that records it, under an advisory lock so that nodes starting at once never race. A
//! database migrated by a newer Rampart is refused rather than misread.

use super::connect::{backend, wait};
use crate::StoreError;
use tokio_postgres::Client;

/// Advisory lock key held while migrating ("rampart" in ASCII).
const MIGRATION_LOCK: i64 = 0x72_616d_7061_7274;

/// Each migration's SQL, by version (index + 1).
const MIGRATIONS: &[&str] = &[
    // 1: the key-value tables of every service, the audit trail, the migration bookkeeping.
    r#"
    CREATE TABLE kv (
        tbl text COLLATE "C" NOT NULL,
        k   text COLLATE "C" NOT NULL,
        v   bytea NOT NULL,
        PRIMARY KEY (tbl, k)
    );
    CREATE TABLE audit_head (
        id  integer PRIMARY KEY CHECK (id = 1),
        seq bigint NOT NULL
    );
    INSERT INTO audit_head (id, seq) VALUES (1, 0);
    CREATE TABLE audit_events (
        seq          bigint PRIMARY KEY,
        event_id     text NOT NULL,
        event_time   bigint NOT NULL,
        event_source text NOT NULL,
        event_name   text NOT NULL,
        node         text NOT NULL,
        body         text NOT NULL
    );
    CREATE INDEX audit_events_by_time ON audit_events (event_time);
    CREATE TABLE store_migrations (
        source          text PRIMARY KEY,
        kv_after_tbl    text COLLATE "C",
        kv_after_k      text COLLATE "C",
        audit_after_seq bigint NOT NULL DEFAULT 0,
        finished        boolean NOT NULL DEFAULT false
    );
    "#,
];

/// The schema version this build writes.
pub(crate) const LATEST: i32 = MIGRATIONS.len() as i32;

/// Brings the database to [`LATEST`]; idempotent.
pub(crate) fn migrate(client: &mut Client) -> Result<(), StoreError> {
    wait(client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])).map_err(backend)?;
    let result = apply(client);
    let unlock = wait(client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])).map_err(backend);
    result.and(unlock.map(drop))
}

fn apply(client: &mut Client) -> Result<(), StoreError> {
    wait(client.batch_execute(
        "SET client_min_messages = warning;
         CREATE TABLE IF NOT EXISTS rampart_schema (
            version    integer PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now()
        )",
    ))
    .map_err(backend)?;
    let current: i32 =
        wait(client.query_one("SELECT coalesce(max(version), 0) FROM rampart_schema", &[])).map_err(backend)?.get(0);
    if current > LATEST {
        return Err(StoreError::Backend(format!(
            "the database has schema version {current}, newer than this Rampart understands ({LATEST}); upgrade Rampart"
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(usize::try_from(current).unwrap_or(0)) {
        let version = i32::try_from(i + 1).unwrap_or(i32::MAX);
        let tx = wait(client.transaction()).map_err(backend)?;
        wait(tx.batch_execute(sql)).map_err(backend)?;
        wait(tx.execute("INSERT INTO rampart_schema (version) VALUES ($1)", &[&version])).map_err(backend)?;
        wait(tx.commit()).map_err(backend)?;
        tracing::info!(version, "applied database schema migration");
    }
    Ok(())
}
