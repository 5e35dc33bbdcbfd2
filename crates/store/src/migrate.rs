//! Copying an embedded (SQLite) store into PostgreSQL: `rampart store migrate`.
//!
//! The copy runs in batches, each committed together with a cursor in `store_migrations`, so an
//! interrupted run resumes where it stopped. State rows are copied as stored (secrets stay sealed
//! under the master key, which never goes to the database); audit events keep their sequence
//! numbers. At the end every row of both sides is compared; the run succeeds only if they match.
//! The source is read in one read transaction, a consistent snapshot even if a node still runs
//! on it (stop it first, or its later writes are not copied).

use crate::StoreError;
use crate::postgres::connect::{Connector, PostgresOptions, backend, wait};
use crate::postgres::schema;
use rusqlite::{Connection, OpenFlags, params};
use std::path::Path;
use tokio_postgres::Client;

/// Rows per committed batch.
const BATCH: usize = 500;

/// What the migration is doing, for a progress display.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// `state`, `audit`, `verify state` or `verify audit`.
    pub phase: &'static str,
    /// Rows done in this phase.
    pub done: u64,
    /// Rows in this phase.
    pub total: u64,
}

/// The outcome of a migration.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// State rows copied by this run.
    pub state_copied: u64,
    /// Audit events copied by this run.
    pub audit_copied: u64,
    /// State rows verified equal.
    pub state_verified: u64,
    /// Audit events verified equal.
    pub audit_verified: u64,
    /// Whether an earlier run had already finished.
    pub already_finished: bool,
}

fn sqlite(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(format!("reading the embedded store: {e}"))
}

fn open_source(path: &Path) -> Result<Connection, StoreError> {
    if !path.exists() {
        return Err(StoreError::Backend(format!("{} does not exist", path.display())));
    }
    Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(sqlite)
}

/// Rows that live outside `state.db` on the embedded store (the keystore's slot file) and in a
/// table of the shared store on PostgreSQL.
#[derive(Debug, Clone, Default)]
pub struct ExtraTable {
    /// The table they go to.
    pub table: String,
    /// Key and value of each row.
    pub rows: Vec<(String, Vec<u8>)>,
}

/// Copies the embedded store in `data_dir` (`state.db`, `audit.db`) and the `extra` rows into
/// the database `target`, resuming an interrupted run, then verifies every row.
pub fn sqlite_to_postgres(
    data_dir: &Path,
    target: &PostgresOptions,
    extra: &ExtraTable,
    progress: &mut dyn FnMut(Progress),
) -> Result<Report, StoreError> {
    let state = open_source(&data_dir.join("state.db"))?;
    state.execute_batch("BEGIN").map_err(sqlite)?;
    let audit_path = data_dir.join("audit.db");
    let audit = if audit_path.exists() { Some(open_source(&audit_path)?) } else { None };
    if let Some(a) = &audit {
        a.execute_batch("BEGIN").map_err(sqlite)?;
    }
    // The source's identity: its account and the value sealed under its master key on its first
    // start (random, so two deployments given the same account id still differ).
    let meta = |key: &str| -> Option<String> {
        state
            .query_row("SELECT v FROM kv WHERE tbl = 'meta' AND k = ?1", params![key], |r| r.get::<_, Vec<u8>>(0))
            .map(|v| String::from_utf8_lossy(&v).trim_matches('"').to_owned())
            .ok()
    };
    let Some(account) = meta("root_account") else {
        return Err(StoreError::Backend(format!("{} holds no Rampart account", data_dir.display())));
    };
    let Some(check) = meta("master_key_check") else {
        return Err(StoreError::Backend(format!(
            "{} was last served by an older Rampart; start `rampart serve` on it once, stop it, then migrate",
            data_dir.display()
        )));
    };
    let source = format!("sqlite:{account}:{check}");

    let connector = Connector::new(target)?;
    let mut client = connector.connect()?;
    schema::migrate(&mut client)?;
    let mut report = Report::default();

    let row = wait(client.query_opt(
        "SELECT kv_after_tbl, kv_after_k, audit_after_seq, finished FROM store_migrations WHERE source = $1",
        &[&source],
    ))
    .map_err(backend)?;
    let (mut cursor, mut audit_after, finished) = match row {
        Some(r) => {
            let cursor = match (r.get::<_, Option<String>>(0), r.get::<_, Option<String>>(1)) {
                (Some(t), Some(k)) => Some((t, k)),
                _ => None,
            };
            (cursor, r.get::<_, i64>(2), r.get::<_, bool>(3))
        }
        None => {
            let kv: i64 = wait(client.query_one("SELECT count(*) FROM kv", &[])).map_err(backend)?.get(0);
            let events: i64 =
                wait(client.query_one("SELECT count(*) FROM audit_batches", &[])).map_err(backend)?.get(0);
            if kv != 0 || events != 0 {
                return Err(StoreError::Backend(
                    "the target database already holds Rampart state that did not come from this data directory; \
                     migrate into an empty database"
                        .into(),
                ));
            }
            wait(client.execute("INSERT INTO store_migrations (source) VALUES ($1)", &[&source])).map_err(backend)?;
            (None, 0, false)
        }
    };
    report.already_finished = finished;

    let state_total: u64 =
        state.query_row("SELECT count(*) FROM kv", [], |r| r.get::<_, i64>(0)).map_err(sqlite)?.try_into().unwrap_or(0);
    let audit_total: u64 = match &audit {
        Some(a) => a
            .query_row("SELECT count(*) FROM events", [], |r| r.get::<_, i64>(0))
            .map_err(sqlite)?
            .try_into()
            .unwrap_or(0),
        None => 0,
    };

    if !finished {
        // State rows, in key order from the cursor.
        let mut done: u64 = match &cursor {
            Some((t, k)) => state
                .query_row("SELECT count(*) FROM kv WHERE (tbl, k) <= (?1, ?2)", params![t, k], |r| r.get::<_, i64>(0))
                .map_err(sqlite)?
                .try_into()
                .unwrap_or(0),
            None => 0,
        };
        progress(Progress { phase: "state", done, total: state_total });
        loop {
            let rows = state_page(&state, cursor.as_ref(), BATCH)?;
            let Some(last) = rows.last() else { break };
            let next = (last.0.clone(), last.1.clone());
            let tx = wait(client.transaction()).map_err(backend)?;
            let (tbls, ks, vs): (Vec<&str>, Vec<&str>, Vec<&[u8]>) = rows
                .iter()
                .map(|(t, k, v)| (t.as_str(), k.as_str(), v.as_slice()))
                .fold((Vec::new(), Vec::new(), Vec::new()), |(mut a, mut b, mut c), (t, k, v)| {
                    a.push(t);
                    b.push(k);
                    c.push(v);
                    (a, b, c)
                });
            wait(tx.execute(
                "INSERT INTO kv (tbl, k, v) SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[])
                 ON CONFLICT (tbl, k) DO UPDATE SET v = excluded.v",
                &[&tbls, &ks, &vs],
            ))
            .map_err(backend)?;
            wait(tx.execute(
                "UPDATE store_migrations SET kv_after_tbl = $2, kv_after_k = $3 WHERE source = $1",
                &[&source, &next.0, &next.1],
            ))
            .map_err(backend)?;
            wait(tx.commit()).map_err(backend)?;
            done += rows.len() as u64;
            report.state_copied += rows.len() as u64;
            cursor = Some(next);
            progress(Progress { phase: "state", done, total: state_total });
        }

        // The rows kept outside state.db: few, so one transaction, idempotent.
        if !extra.rows.is_empty() {
            let keys: Vec<&str> = extra.rows.iter().map(|(k, _)| k.as_str()).collect();
            let values: Vec<&[u8]> = extra.rows.iter().map(|(_, v)| v.as_slice()).collect();
            wait(client.execute(
                "INSERT INTO kv (tbl, k, v) SELECT $1, k, v FROM unnest($2::text[], $3::bytea[]) AS x(k, v)
                 ON CONFLICT (tbl, k) DO UPDATE SET v = excluded.v",
                &[&extra.table, &keys, &values],
            ))
            .map_err(backend)?;
            report.state_copied += extra.rows.len() as u64;
        }

        // Audit events, with their sequence numbers.
        if let Some(a) = &audit {
            let mut done: u64 = a
                .query_row("SELECT count(*) FROM events WHERE seq <= ?1", params![audit_after], |r| r.get::<_, i64>(0))
                .map_err(sqlite)?
                .try_into()
                .unwrap_or(0);
            progress(Progress { phase: "audit", done, total: audit_total });
            loop {
                let events = audit_page(a, audit_after, BATCH)?;
                let Some(last) = events.last() else { break };
                let last_seq = last.0;
                let tx = wait(client.transaction()).map_err(backend)?;
                // The head row's lock keeps sequencers of nodes out while this batch is written;
                // a head past what this migration wrote means a node is already numbering records
                // of its own here, whose numbers the copied ones would collide with.
                let head: i64 = wait(tx.query_one("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE", &[]))
                    .map_err(backend)?
                    .get(0);
                if head != audit_after {
                    return Err(StoreError::Backend(
                        "a Rampart node is already writing audit records to the target database; stop every node \
                         on it, then run the migration again"
                            .into(),
                    ));
                }
                // One batch row per run of consecutive numbers (the log has no gaps, so one per
                // page), numbered as on the source.
                for run in events.chunk_by(|a, b| b.0 == a.0 + 1) {
                    let records = i32::try_from(run.len()).unwrap_or(i32::MAX);
                    let first_time = run.iter().map(|e| e.1).min().unwrap_or(0);
                    let last_time = run.iter().map(|e| e.1).max().unwrap_or(0);
                    let bodies: Vec<&str> = run.iter().map(|e| e.2.as_str()).collect();
                    let batch_id = format!("sqlite:{}", run[0].0);
                    wait(tx.execute(
                        "INSERT INTO audit_batches (batch_id, node, records, first_time, last_time, bodies, first_seq)
                         VALUES ($1, 'migrated', $2, $3, $4, $5, $6)",
                        &[&batch_id, &records, &first_time, &last_time, &bodies, &run[0].0],
                    ))
                    .map_err(backend)?;
                }
                wait(tx.execute("UPDATE audit_head SET seq = $1 WHERE id = 1", &[&last_seq])).map_err(backend)?;
                wait(tx.execute(
                    "UPDATE store_migrations SET audit_after_seq = $2 WHERE source = $1",
                    &[&source, &last_seq],
                ))
                .map_err(backend)?;
                wait(tx.commit()).map_err(backend)?;
                done += events.len() as u64;
                report.audit_copied += events.len() as u64;
                audit_after = last_seq;
                progress(Progress { phase: "audit", done, total: audit_total });
            }
        }
    }

    // Verification: both sides, row by row, in order.
    report.state_verified = verify_state(&state, &client, &extra.table, state_total, progress)?;
    report.state_verified += verify_extra(&client, extra)?;
    if let Some(a) = &audit {
        report.audit_verified = verify_audit(a, &client, audit_total, progress)?;
    }
    wait(client.execute("UPDATE store_migrations SET finished = true WHERE source = $1", &[&source]))
        .map_err(backend)?;
    Ok(report)
}

type StateRow = (String, String, Vec<u8>);
/// Sequence number, event time (ms), body.
type AuditRow = (i64, i64, String);

fn state_page(conn: &Connection, after: Option<&(String, String)>, limit: usize) -> Result<Vec<StateRow>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let map = |r: &rusqlite::Row<'_>| Ok((r.get(0)?, r.get(1)?, r.get(2)?));
    match after {
        Some((t, k)) => conn
            .prepare_cached("SELECT tbl, k, v FROM kv WHERE (tbl, k) > (?1, ?2) ORDER BY tbl, k LIMIT ?3")
            .and_then(|mut s| s.query_map(params![t, k, limit], map)?.collect())
            .map_err(sqlite),
        None => conn
            .prepare_cached("SELECT tbl, k, v FROM kv ORDER BY tbl, k LIMIT ?1")
            .and_then(|mut s| s.query_map(params![limit], map)?.collect())
            .map_err(sqlite),
    }
}

fn audit_page(conn: &Connection, after: i64, limit: usize) -> Result<Vec<AuditRow>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    conn.prepare_cached("SELECT seq, event_time, body FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2")
        .and_then(|mut s| s.query_map(params![after, limit], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect())
        .map_err(sqlite)
}

fn mismatch(what: String) -> StoreError {
    StoreError::Backend(format!(
        "verification failed: {what}. If nodes already run on the database, it has changed since the copy; \
         otherwise run the migration again"
    ))
}

/// The `extra` rows, and only those, are in their table.
fn verify_extra(client: &Client, extra: &ExtraTable) -> Result<u64, StoreError> {
    let rows = wait(client.query("SELECT k, v FROM kv WHERE tbl = $1 ORDER BY k", &[&extra.table])).map_err(backend)?;
    let mut ours = extra.rows.clone();
    ours.sort();
    if rows.len() != ours.len() {
        return Err(mismatch(format!("table {} has {} rows, expected {}", extra.table, rows.len(), ours.len())));
    }
    for (row, (k, v)) in rows.iter().zip(&ours) {
        if row.get::<_, String>(0) != *k || row.get::<_, Vec<u8>>(1) != *v {
            return Err(mismatch(format!("row {}/{k} differs", extra.table)));
        }
    }
    Ok(ours.len() as u64)
}

fn verify_state(
    state: &Connection,
    client: &Client,
    extra_table: &str,
    total: u64,
    progress: &mut dyn FnMut(Progress),
) -> Result<u64, StoreError> {
    let mut after: Option<(String, String)> = None;
    let mut done = 0u64;
    loop {
        let ours = state_page(state, after.as_ref(), BATCH)?;
        let limit = i64::try_from(BATCH).unwrap_or(i64::MAX);
        let theirs =
            match &after {
                Some((t, k)) => wait(client.query(
                    "SELECT tbl, k, v FROM kv WHERE (tbl, k) > ($1, $2) AND tbl <> $4 ORDER BY tbl, k LIMIT $3",
                    &[t, k, &limit, &extra_table],
                )),
                None => wait(client.query(
                    "SELECT tbl, k, v FROM kv WHERE tbl <> $2 ORDER BY tbl, k LIMIT $1",
                    &[&limit, &extra_table],
                )),
            }
            .map_err(backend)?;
        for (i, (t, k, v)) in ours.iter().enumerate() {
            let Some(row) = theirs.get(i) else {
                return Err(mismatch(format!("row {t}/{k} is missing in PostgreSQL")));
            };
            let (pt, pk, pv): (String, String, Vec<u8>) = (row.get(0), row.get(1), row.get(2));
            if (&pt, &pk) != (t, k) {
                return Err(mismatch(format!("PostgreSQL has {pt}/{pk} where the embedded store has {t}/{k}")));
            }
            if &pv != v {
                return Err(mismatch(format!("row {t}/{k} differs")));
            }
        }
        if theirs.len() > ours.len() {
            let row = &theirs[ours.len()];
            return Err(mismatch(format!(
                "PostgreSQL has row {}/{} that the embedded store does not",
                row.get::<_, String>(0),
                row.get::<_, String>(1)
            )));
        }
        let Some(last) = ours.last() else { break };
        after = Some((last.0.clone(), last.1.clone()));
        done += ours.len() as u64;
        progress(Progress { phase: "verify state", done, total });
    }
    Ok(done)
}

fn verify_audit(
    audit: &Connection,
    client: &Client,
    total: u64,
    progress: &mut dyn FnMut(Progress),
) -> Result<u64, StoreError> {
    let mut after = 0i64;
    let mut done = 0u64;
    loop {
        let ours = audit_page(audit, after, BATCH)?;
        let Some(last) = ours.last() else { break };
        let last_seq = last.0;
        let theirs = crate::postgres::audit::read(client, u64::try_from(after).unwrap_or(0), ours.len())?;
        let theirs: Vec<_> =
            theirs.into_iter().take_while(|t| i64::try_from(t.seq).is_ok_and(|s| s <= last_seq)).collect();
        if theirs.len() != ours.len() {
            return Err(mismatch(format!("audit events {}..={last_seq} differ in number", after + 1)));
        }
        for (o, t) in ours.iter().zip(&theirs) {
            if i64::try_from(t.seq).ok() != Some(o.0) || t.body != o.2 {
                return Err(mismatch(format!("audit event {} differs", o.0)));
            }
        }
        after = last_seq;
        done += ours.len() as u64;
        progress(Progress { phase: "verify audit", done, total });
    }
    Ok(done)
}
