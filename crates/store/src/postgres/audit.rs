//! The audit trail on PostgreSQL, shared by every node.
//!
//! Writing and numbering are two steps, so that nodes never wait for each other on the path of
//! a call:
//!
//! 1. **Commit.** Each node's writer threads group-commit records as on SQLite, one row of
//!    `audit_batches` per batch. The insert takes no lock another node could hold, so the
//!    database group-commits all nodes' batches together. A call is answered only after its
//!    batch has committed (`synchronous_commit` as the database is configured).
//! 2. **Sequence.** A sequencer numbers committed batches: under the lock of the single
//!    `audit_head` row it gives every batch not yet numbered the next consecutive range of
//!    sequence numbers. Each node runs a sequencing pass after its batches commit (and once a
//!    second, which also numbers the batches of a node that died in between), and a reader runs
//!    one before it reads. Numbers are assigned by one transaction at a time, so they have no gaps
//!    and a reader that has seen `seq = n` has seen every record numbered before it. The head row
//!    is also the one place where a single writer at a time is guaranteed (the CloudTrail
//!    digest chain will hang off it).
//!
//! Order: batches are numbered in the order they reached the database among those committed at
//! the time of a pass. A call is answered after its batch committed, so a record acknowledged
//! before another call began is always numbered before that call's record, whichever nodes the
//! two went through; records of calls that overlapped in time have no order but the one given.
//!
//! Readers see numbered records only; a record is numbered within milliseconds of its commit.

use super::connect::{Connector, PostgresOptions, backend, wait};
use crate::audit::{MAX_BATCH, Pending, enqueue, next_batch};
use crate::{StoreError, StoredEvent};
use rampart_core::audit::{AuditError, AuditReceipt, AuditRecord, AuditSink};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_postgres::{Client, Statement};

/// Writer threads (connections) per node: while one batch commits, the next is already at the
/// database, so no round trip is idle.
const WRITERS: usize = 2;

/// How often a node's sequencer looks for batches nobody numbered (a node that died between its
/// commit and its sequencing pass), when it has had nothing else to do.
const IDLE_PASS: Duration = Duration::from_secs(1);

/// The least time between the starts of two passes of one node's sequencer. A pass is a
/// transaction of its own that the database must make durable; at most this often per node, it
/// stays a small share of the database's commits however many batches arrive.
const PASS_INTERVAL: Duration = Duration::from_millis(20);

/// Most batches one sequencing transaction numbers.
const SEQUENCE_LIMIT: i64 = 10_000;

/// The audit log on PostgreSQL.
pub struct PostgresAuditLog {
    queue: mpsc::Sender<Pending>,
}

impl PostgresAuditLog {
    /// Connects (the schema must exist: open a [`super::PostgresStore`] first) and starts the
    /// writer and sequencer threads.
    pub fn open(opts: &PostgresOptions) -> Result<Self, StoreError> {
        let connector = Connector::new(opts)?;
        let (queue, rx) = mpsc::channel::<Pending>();
        let rx = Arc::new(Mutex::new(rx));
        let (committed, sequencer_rx) = mpsc::channel::<()>();
        let sequencer_client = connector.connect()?;
        let sequencer_connector = Arc::clone(&connector);
        std::thread::Builder::new()
            .name("audit-sequencer".into())
            .spawn(move || sequencer(sequencer_connector, sequencer_client, &sequencer_rx))
            .map_err(|e| StoreError::Backend(format!("cannot start audit sequencer: {e}")))?;
        for _ in 0..WRITERS {
            let client = connector.connect()?;
            let node = opts.node.clone();
            let writer_connector = Arc::clone(&connector);
            let rx = Arc::clone(&rx);
            let committed = committed.clone();
            std::thread::Builder::new()
                .name("audit-writer".into())
                .spawn(move || writer(writer_connector, client, node, &rx, &committed))
                .map_err(|e| StoreError::Backend(format!("cannot start audit writer: {e}")))?;
        }
        Ok(Self { queue })
    }

    /// Numbers every committed record, then reads up to `limit` events with `seq > after`,
    /// oldest first, through a connection of its own (for `rampart audit lookup-events`).
    pub fn read_from(opts: &PostgresOptions, after: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        let connector = Connector::new(opts)?;
        let mut client = connector.connect()?;
        while sequence(&mut client).map_err(backend)? == Pass::Full {}
        read(&client, after, limit)
    }
}

impl AuditSink for PostgresAuditLog {
    fn append(&self, record: &AuditRecord) -> AuditReceipt {
        enqueue(&self.queue, record)
    }
}

/// Up to `limit` numbered events with `seq > after`, oldest first.
pub(crate) fn read(client: &Client, after: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
    let mut events = Vec::new();
    let mut after = i64::try_from(after).unwrap_or(i64::MAX);
    while events.len() < limit {
        // Every batch holds at least one record, so no more batches than records are needed.
        let batches = i64::try_from((limit - events.len()).min(64)).unwrap_or(64);
        let rows = wait(client.query(
            "SELECT first_seq, bodies FROM audit_batches WHERE last_seq > $1 ORDER BY last_seq LIMIT $2",
            &[&after, &batches],
        ))
        .map_err(backend)?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let first: i64 = row.get(0);
            let bodies: Vec<String> = row.get(1);
            for (seq, body) in (first..).zip(bodies) {
                if seq > after && events.len() < limit {
                    events.push(StoredEvent { seq: u64::try_from(seq).unwrap_or(0), body });
                    after = seq;
                }
            }
        }
    }
    Ok(events)
}

/// How much a sequencing pass found.
#[derive(Debug, PartialEq, Eq)]
enum Pass {
    /// Nothing was waiting.
    Idle,
    /// It numbered everything that was waiting when it began.
    Done,
    /// It stopped at [`SEQUENCE_LIMIT`] batches; run another.
    Full,
}

/// Numbers the batches with no numbers yet, in one transaction under the head row's lock.
fn sequence(client: &mut Client) -> Result<Pass, tokio_postgres::Error> {
    // Cheap and lock-free when there is nothing to do, which is the common case of a timer pass.
    let waiting: bool =
        wait(client.query_one("SELECT EXISTS (SELECT 1 FROM audit_batches WHERE first_seq IS NULL)", &[]))?.get(0);
    if !waiting {
        return Ok(Pass::Idle);
    }
    let result = wait(client.simple_query(SEQUENCE_PASS));
    if result.is_err() {
        // The pass stopped at its failed statement, inside its transaction: end it.
        let _ = wait(client.batch_execute("ROLLBACK"));
    }
    let numbered = result?
        .iter()
        .find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).and_then(|v| v.parse::<i64>().ok()),
            _ => None,
        })
        .unwrap_or(0);
    Ok(if numbered >= SEQUENCE_LIMIT { Pass::Full } else { Pass::Done })
}

/// One pass, sent as one message so the database runs it start to finish without waiting on this
/// node: the head row's lock is never held across a round trip, so a node that freezes or loses
/// its network mid-pass cannot stall the others. READ COMMITTED is spelled out, because the
/// numbering statement must see, in a snapshot of its own, every batch committed and every number
/// given before the lock was taken; the numbering reads the head in that same snapshot. It gives
/// the waiting batches (oldest arrival first) consecutive ranges after the head, moves the head
/// past them and returns how many batches it numbered.
/// Its `LIMIT` is [`SEQUENCE_LIMIT`] (a test checks the two agree).
const SEQUENCE_PASS: &str = "
    BEGIN ISOLATION LEVEL READ COMMITTED;
    SELECT 1 FROM audit_head WHERE id = 1 FOR UPDATE;
    WITH waiting AS (
        SELECT arrival, records FROM audit_batches WHERE first_seq IS NULL ORDER BY arrival LIMIT 10000
    ), ranges AS (
        SELECT arrival, (SELECT seq FROM audit_head WHERE id = 1) + sum(records) OVER (ORDER BY arrival)
               - records + 1 AS first
        FROM waiting
    ), numbered AS (
        UPDATE audit_batches b SET first_seq = r.first FROM ranges r WHERE b.arrival = r.arrival
        RETURNING b.last_seq
    ), head AS (
        UPDATE audit_head SET seq = (SELECT max(last_seq) FROM numbered)
        WHERE id = 1 AND EXISTS (SELECT 1 FROM numbered)
    )
    SELECT count(*) FROM numbered;
    COMMIT;";

/// Runs a pass after a writer reports a commit, at most once per [`PASS_INTERVAL`] (one pass
/// covers every report that came in meanwhile), and every [`IDLE_PASS`] otherwise.
fn sequencer(connector: Arc<Connector>, client: Client, committed: &mpsc::Receiver<()>) {
    let mut client = Some(client);
    let mut last_pass = std::time::Instant::now();
    loop {
        match committed.recv_timeout(IDLE_PASS) {
            Ok(()) => std::thread::sleep(PASS_INTERVAL.saturating_sub(last_pass.elapsed())),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
        // Every commit reported so far is visible to the pass below; later reports wake the next.
        while committed.try_recv().is_ok() {}
        last_pass = std::time::Instant::now();
        loop {
            if client.as_ref().is_none_or(Client::is_closed) {
                client = connector
                    .connect()
                    .map_err(|e| tracing::warn!(error = %e, "audit sequencer cannot reconnect"))
                    .ok();
            }
            let Some(c) = client.as_mut() else {
                // The idle pass tries again.
                break;
            };
            match sequence(c) {
                Ok(Pass::Full) => continue,
                Ok(_) => break,
                Err(e) => {
                    // Numbers not given now are given by the next pass (here or on any node).
                    tracing::warn!(error = %super::connect::explain(&e), "audit sequencing pass failed");
                    std::thread::sleep(Duration::from_millis(100));
                    break;
                }
            }
        }
    }
}

/// A connection with the insert prepared.
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

fn writer(
    connector: Arc<Connector>,
    client: Client,
    node: String,
    rx: &Mutex<mpsc::Receiver<Pending>>,
    committed: &mpsc::Sender<()>,
) {
    let mut client = prepared(&connector, Some(client))
        .map_err(|e| tracing::error!(error = %e, "audit writer cannot prepare its statement"))
        .ok();
    let mut batch: Vec<Pending> = Vec::with_capacity(64);
    while take_batch(rx, &mut batch) {
        let result = commit_with_retries(&connector, &mut client, &node, &batch);
        if result.is_ok() {
            let _ = committed.send(());
        }
        for p in batch.drain(..) {
            let _ = p.done.send(result.clone().map_err(AuditError));
        }
        if let Err(e) = result {
            tracing::error!(error = %e, "audit commit failed; the calls were refused");
        }
    }
}

/// How long a batch is retried (reconnecting as needed) before its calls are refused. The
/// calls have already taken effect when their records get here, so a lost connection must not
/// lose their records: a batch is retried through connection failures and database restarts of
/// up to this long. A retried batch carries the same id, so if its first attempt committed (and
/// only the acknowledgement was lost) it is not written twice.
const RETRY_FOR: Duration = Duration::from_secs(10);

fn commit_with_retries(
    connector: &Arc<Connector>,
    client: &mut Option<(Client, Statement)>,
    node: &str,
    batch: &[Pending],
) -> Result<(), String> {
    let started = std::time::Instant::now();
    let mut pause = Duration::from_millis(10);
    loop {
        if client.as_ref().is_none_or(|(c, _)| c.is_closed()) {
            *client =
                prepared(connector, None).map_err(|e| tracing::warn!(error = %e, "audit writer cannot reconnect")).ok();
        }
        let result = match client.as_ref() {
            Some((c, stmt)) => commit(c, stmt, node, batch).map_err(|e| super::connect::explain(&e)),
            None => Err("no connection to PostgreSQL".to_owned()),
        };
        match result {
            Ok(()) => return Ok(()),
            Err(e) if started.elapsed() < RETRY_FOR => {
                tracing::warn!(error = %e, records = batch.len(), "audit commit failed; retrying");
                if client.as_ref().is_some_and(|(c, _)| c.is_closed()) {
                    *client = None;
                }
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(500));
            }
            Err(e) => return Err(e),
        }
    }
}

/// One batch, one row, one statement committed on its own. The batch's id is its first record's
/// event id (unique), which makes a retry of a committed batch a no-op.
const INSERT_BATCH: &str = "
    INSERT INTO audit_batches (batch_id, node, records, first_time, last_time, bodies)
    VALUES ($1, $2, $3, $4, $5, $6)
    ON CONFLICT (batch_id) DO NOTHING";

fn commit(client: &Client, stmt: &Statement, node: &str, batch: &[Pending]) -> Result<(), tokio_postgres::Error> {
    debug_assert!(!batch.is_empty() && batch.len() <= MAX_BATCH);
    let Some(first) = batch.first() else { return Ok(()) };
    let records = i32::try_from(batch.len()).unwrap_or(i32::MAX);
    let first_time = batch.iter().map(|p| p.event_time_ms).min().unwrap_or(0);
    let last_time = batch.iter().map(|p| p.event_time_ms).max().unwrap_or(0);
    let bodies: Vec<&str> = batch.iter().map(|p| p.body.as_str()).collect();
    wait(client.execute(stmt, &[&first.event_id, &node, &records, &first_time, &last_time, &bodies]))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pass_numbers_at_most_its_declared_limit() {
        assert!(SEQUENCE_PASS.contains(&format!("LIMIT {SEQUENCE_LIMIT}\n")));
    }
}
