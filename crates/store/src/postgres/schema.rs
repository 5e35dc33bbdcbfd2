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
    // 2: find a record by its event id (an audit batch retried after a lost acknowledgement
    // checks whether it was already committed).
    r#"
    CREATE INDEX audit_events_by_event_id ON audit_events (event_id);
    "#,
    // 3: the audit trail in batches. A node's commit takes no lock shared with other nodes; a
    // sequencer numbers committed batches afterwards (see `postgres::audit`). Earlier events
    // become one-record batches that keep their numbers; their ids come from their numbers, since
    // version 2 could store one event id twice (a retry racing its own first attempt).
    r#"
    CREATE TABLE audit_batches (
        arrival    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        batch_id   text NOT NULL UNIQUE,
        node       text NOT NULL,
        records    integer NOT NULL CHECK (records > 0),
        first_time bigint NOT NULL,
        last_time  bigint NOT NULL,
        bodies     text[] NOT NULL CHECK (cardinality(bodies) = records),
        first_seq  bigint,
        last_seq   bigint GENERATED ALWAYS AS (first_seq + records - 1) STORED
    );
    CREATE UNIQUE INDEX audit_batches_by_last_seq ON audit_batches (last_seq);
    CREATE INDEX audit_batches_unsequenced ON audit_batches (arrival) WHERE first_seq IS NULL;
    INSERT INTO audit_batches (batch_id, node, records, first_time, last_time, bodies, first_seq)
        SELECT 'v2:' || seq, node, 1, event_time, event_time, ARRAY[body], seq FROM audit_events ORDER BY seq;
    DROP TABLE audit_events;
    "#,
];

/// The schema version this build writes.
pub(crate) const LATEST: i32 = MIGRATIONS.len() as i32;

/// Brings the database to [`LATEST`]; idempotent.
pub(crate) fn migrate(client: &mut Client) -> Result<(), StoreError> {
    migrate_to(client, LATEST)
}

/// Brings the database to `target` (tests start from older versions).
fn migrate_to(client: &mut Client, target: i32) -> Result<(), StoreError> {
    wait(client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])).map_err(backend)?;
    let result = apply(client, target);
    let unlock = wait(client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])).map_err(backend);
    result.and(unlock.map(drop))
}

fn apply(client: &mut Client, target: i32) -> Result<(), StoreError> {
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
    let pending = MIGRATIONS.iter().enumerate().take(usize::try_from(target).unwrap_or(0));
    for (i, sql) in pending.skip(usize::try_from(current).unwrap_or(0)) {
        let version = i32::try_from(i + 1).unwrap_or(i32::MAX);
        let tx = wait(client.transaction()).map_err(backend)?;
        wait(tx.batch_execute(sql)).map_err(backend)?;
        wait(tx.execute("INSERT INTO rampart_schema (version) VALUES ($1)", &[&version])).map_err(backend)?;
        wait(tx.commit()).map_err(backend)?;
        tracing::info!(version, "applied database schema migration");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::postgres::connect::Connector;
    use crate::postgres::tests::fresh_database;

    #[test]
    fn audit_events_of_version_2_become_numbered_batches_even_with_a_repeated_event_id() {
        let Some(opts) = fresh_database() else { return };
        let connector = Connector::new(&opts).unwrap();
        let mut client = connector.connect().unwrap();
        migrate_to(&mut client, 2).unwrap();
        wait(client.batch_execute(
            "INSERT INTO audit_events (seq, event_id, event_time, event_source, event_name, node, body) VALUES
                (1, 'e1', 10, 's', 'A', 'n', '{\"a\":1}'), (2, 'e2', 11, 's', 'B', 'n', '{\"b\":2}'),
                (3, 'e1', 10, 's', 'A', 'n', '{\"a\":1}');
             UPDATE audit_head SET seq = 3",
        ))
        .unwrap();
        migrate(&mut client).unwrap();
        migrate(&mut client).unwrap();
        let events = crate::postgres::audit::read(&client, 0, 10).unwrap();
        let got: Vec<_> = events.iter().map(|e| (e.seq, e.body.as_str())).collect();
        assert_eq!(got, [(1, r#"{"a":1}"#), (2, r#"{"b":2}"#), (3, r#"{"a":1}"#)], "a duplicated event id is kept");
        let version: i32 = wait(client.query_one("SELECT max(version) FROM rampart_schema", &[])).unwrap().get(0);
        assert_eq!(version, LATEST);
    }
}
