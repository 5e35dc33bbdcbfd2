//! The audit trail on PostgreSQL, shared by every node.
//!
//! Each node has writer threads with group commit, as on SQLite. A batch takes its sequence
//! numbers from the single `audit_head` row inside its transaction; the row lock orders batches
//! of different nodes, so sequence order is commit order, with no gaps: a reader that has seen
//! `seq = n` has seen every record before it. That row is also the one place where a single
//! writer at a time is guaranteed (the CloudTrail digest chain will hang off it).

use super::connect::{Connector, PostgresOptions, backend, wait};
use crate::audit::{Pending, enqueue, next_batch};
use crate::{StoreError, StoredEvent};
use rampart_core::audit::{AuditError, AuditReceipt, AuditRecord, AuditSink};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use tokio_postgres::{Client, Statement};

/// Writer threads (connections) per node. While one batch waits for the head row or its commit,
/// the next is already at the database, so no round trip is idle; the head row still orders them.
const WRITERS: usize = 2;

/// The audit log on PostgreSQL.
pub struct PostgresAuditLog {
    queue: mpsc::Sender<Pending>,
}

impl PostgresAuditLog {
    /// Connects (the schema must exist: open a [`super::PostgresStore`] first) and starts the
    /// writer thread.
    pub fn open(opts: &PostgresOptions) -> Result<Self, StoreError> {
        let connector = Connector::new(opts)?;
        let (queue, rx) = mpsc::channel::<Pending>();
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..WRITERS {
            let client = connector.connect()?;
            let node = opts.node.clone();
            let writer_connector = Arc::clone(&connector);
            let rx = Arc::clone(&rx);
            std::thread::Builder::new()
                .name("audit-writer".into())
                .spawn(move || writer(writer_connector, client, node, &rx))
                .map_err(|e| StoreError::Backend(format!("cannot start audit writer: {e}")))?;
        }
        Ok(Self { queue })
    }

    /// Reads events through a connection of its own (for `rampart audit lookup-events`).
    pub fn read_from(opts: &PostgresOptions, after: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        let connector = Connector::new(opts)?;
        read(&connector.connect()?, after, limit)
    }
}

fn read(client: &Client, after: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
    let rows = wait(client.query(
        "SELECT seq, body FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2",
        &[&i64::try_from(after).unwrap_or(i64::MAX), &i64::try_from(limit).unwrap_or(i64::MAX)],
    ))
    .map_err(backend)?;
    Ok(rows
        .into_iter()
        .map(|r| StoredEvent { seq: u64::try_from(r.get::<_, i64>(0)).unwrap_or(0), body: r.get(1) })
        .collect())
}

impl AuditSink for PostgresAuditLog {
    fn append(&self, record: &AuditRecord) -> AuditReceipt {
        enqueue(&self.queue, record)
    }
}

/// A connection with the batch statement prepared.
fn prepared(connector: &Arc<Connector>, client: Option<Client>) -> Result<(Client, Statement), StoreError> {
    let client = match client {
        Some(c) => c,
        None => connector.connect()?,
    };
    let stmt = wait(client.prepare(INSERT_BATCH)).map_err(backend)?;
    Ok((client, stmt))
}

/// The next batch of the writers sharing `rx` (one at a time takes from the queue).
fn take_batch(rx: &Mutex<mpsc::Receiver<Pending>>, batch: &mut Vec<Pending>) -> bool {
    next_batch(&rx.lock().unwrap_or_else(|p| p.into_inner()), batch)
}

fn writer(connector: Arc<Connector>, client: Client, node: String, rx: &Mutex<mpsc::Receiver<Pending>>) {
    let mut client = prepared(&connector, Some(client))
        .map_err(|e| tracing::error!(error = %e, "audit writer cannot prepare its statement"))
        .ok();
    let mut batch: Vec<Pending> = Vec::with_capacity(64);
    while take_batch(rx, &mut batch) {
        let result = commit_with_retries(&connector, &mut client, &node, &batch);
        match result {
            Ok(first_seq) => {
                for (p, seq) in batch.drain(..).zip(first_seq..) {
                    let _ = p.done.send(Ok(seq));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, records = batch.len(), "audit commit failed; the calls are refused");
                for p in batch.drain(..) {
                    let _ = p.done.send(Err(AuditError(e.clone())));
                }
            }
        }
    }
}

/// How long a batch is retried (reconnecting as needed) before its calls are refused. The
/// calls have already taken effect when their records get here, so a lost connection must not
/// lose their records: a batch is retried through connection failures and database restarts of
/// up to this long. A retry first looks for the batch's first record: a batch is one atomic
/// statement, so if that record is there the whole batch committed (its acknowledgement was
/// lost) and is not written again.
const RETRY_FOR: std::time::Duration = std::time::Duration::from_secs(10);

fn commit_with_retries(
    connector: &Arc<Connector>,
    client: &mut Option<(Client, Statement)>,
    node: &str,
    batch: &[Pending],
) -> Result<u64, String> {
    let started = std::time::Instant::now();
    let mut pause = std::time::Duration::from_millis(10);
    let mut retry = false;
    loop {
        if client.as_ref().is_none_or(|(c, _)| c.is_closed()) {
            *client =
                prepared(connector, None).map_err(|e| tracing::warn!(error = %e, "audit writer cannot reconnect")).ok();
        }
        let result = match client.as_ref() {
            Some((c, stmt)) => {
                let committed = if retry { already_committed(c, batch) } else { Ok(None) };
                match committed {
                    Ok(Some(first)) => Ok(first),
                    Ok(None) => commit(c, stmt, node, batch),
                    Err(e) => Err(e),
                }
                .map_err(|e| super::connect::explain(&e))
            }
            None => Err("no connection to PostgreSQL".to_owned()),
        };
        match result {
            Ok(first) => return Ok(first),
            Err(e) if started.elapsed() < RETRY_FOR => {
                tracing::warn!(error = %e, records = batch.len(), "audit commit failed; retrying");
                retry = true;
                if client.as_ref().is_some_and(|(c, _)| c.is_closed()) {
                    *client = None;
                }
                std::thread::sleep(pause);
                pause = (pause * 2).min(std::time::Duration::from_millis(500));
            }
            Err(e) => return Err(e),
        }
    }
}

/// The sequence number of `batch`'s first record if the batch is already in the trail.
fn already_committed(client: &Client, batch: &[Pending]) -> Result<Option<u64>, tokio_postgres::Error> {
    let Some(first) = batch.first() else { return Ok(None) };
    let row = wait(client.query_opt("SELECT seq FROM audit_events WHERE event_id = $1", &[&first.event_id]))?;
    Ok(row.map(|r| u64::try_from(r.get::<_, i64>(0)).unwrap_or(0)))
}

/// Takes the batch's sequence numbers from the head row and inserts its records, in one statement
/// (one round trip, committed on its own); returns the sequence number of its first record.
const INSERT_BATCH: &str = "
    WITH head AS (UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq)
    INSERT INTO audit_events (seq, event_id, event_time, event_source, event_name, node, body)
    SELECT head.seq - $1 + x.o, x.i, x.t, x.src, x.nm, $2, x.b
    FROM head, unnest($3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[])
               WITH ORDINALITY AS x(i, t, src, nm, b, o)
    RETURNING seq";

fn commit(client: &Client, stmt: &Statement, node: &str, batch: &[Pending]) -> Result<u64, tokio_postgres::Error> {
    let n = i64::try_from(batch.len()).unwrap_or(i64::MAX);
    let ids: Vec<&str> = batch.iter().map(|p| p.event_id.as_str()).collect();
    let times: Vec<i64> = batch.iter().map(|p| p.event_time_ms).collect();
    let sources: Vec<&str> = batch.iter().map(|p| &*p.event_source).collect();
    let names: Vec<&str> = batch.iter().map(|p| &*p.event_name).collect();
    let bodies: Vec<&str> = batch.iter().map(|p| p.body.as_str()).collect();
    let rows = wait(client.query(stmt, &[&n, &node, &ids, &times, &sources, &names, &bodies]))?;
    let first = rows.iter().map(|r| r.get::<_, i64>(0)).min().unwrap_or(0);
    Ok(u64::try_from(first).unwrap_or(0))
}
