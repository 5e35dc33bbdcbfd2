//! The durable audit log: one row per API call, committed with group commit.
//!
//! A single writer thread takes every record waiting in its queue, inserts them in one
//! transaction and makes it durable with one fsync, then tells each caller its sequence number.
//! Under load many records share one fsync; a lone call waits for one fsync. A call is answered
//! only after its record is durable.

use crate::StoreError;
use crate::sqlite::open_connection;
use rampart_core::audit::{AuditError, AuditReceipt, AuditRecord, AuditSink};
use rusqlite::{Connection, params};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use tokio::sync::oneshot;

/// Most records in one commit; bounds the latency a single commit adds.
pub(crate) const MAX_BATCH: usize = 1024;

/// A record waiting for its writer, and whom to tell when it is durable. Shared by both
/// backends' writers.
pub(crate) struct Pending {
    pub(crate) event_id: String,
    pub(crate) event_time_ms: i64,
    pub(crate) event_source: std::borrow::Cow<'static, str>,
    pub(crate) event_name: std::borrow::Cow<'static, str>,
    pub(crate) body: String,
    pub(crate) done: oneshot::Sender<Result<(), AuditError>>,
}

/// Queues `record` for the writer behind `queue`; the receipt resolves once it is durable.
pub(crate) fn enqueue(queue: &mpsc::Sender<Pending>, record: &AuditRecord) -> AuditReceipt {
    let (done, receipt) = oneshot::channel();
    let pending = Pending {
        event_id: record.event_id.clone(),
        event_time_ms: i64::try_from(record.event_time.unix_timestamp_nanos() / 1_000_000).unwrap_or(0),
        event_source: record.event_source.clone(),
        event_name: record.event_name.clone(),
        body: record.to_json_string(),
        done,
    };
    if let Err(mpsc::SendError(p)) = queue.send(pending) {
        let _ = p.done.send(Err(AuditError("audit writer has stopped".into())));
    }
    receipt
}

/// The next batch for a writer: waits for one record, then takes whatever else is queued, up
/// to [`MAX_BATCH`]. False when the log is closed.
pub(crate) fn next_batch(rx: &mpsc::Receiver<Pending>, batch: &mut Vec<Pending>) -> bool {
    let Ok(first) = rx.recv() else { return false };
    batch.push(first);
    while batch.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(p) => batch.push(p),
            Err(_) => break,
        }
    }
    true
}

/// The audit log on SQLite (its own database file, so audit commits never wait for state writes).
pub struct SqliteAuditLog {
    queue: mpsc::Sender<Pending>,
    path: PathBuf,
}

/// One stored audit event.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    /// Position in the log, starting at 1, strictly increasing.
    pub seq: u64,
    /// The CloudTrail event JSON.
    pub body: String,
}

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS events (
        seq          INTEGER PRIMARY KEY,
        event_id     TEXT NOT NULL,
        event_time   INTEGER NOT NULL,
        event_source TEXT NOT NULL,
        event_name   TEXT NOT NULL,
        body         TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS events_by_time ON events (event_time);";

impl SqliteAuditLog {
    /// Opens (creating if needed) the log at `path` and starts its writer thread.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = open_connection(path)?;
        conn.execute_batch(SCHEMA).map_err(|e| StoreError::Backend(e.to_string()))?;
        let (queue, rx) = mpsc::channel::<Pending>();
        std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || writer(conn, rx))
            .map_err(|e| StoreError::Backend(format!("cannot start audit writer: {e}")))?;
        Ok(Self { queue, path: path.to_owned() })
    }

    /// Events with `seq > after`, oldest first, at most `limit`. Reads through its own
    /// connection, so it works while a server is writing (also from another process).
    pub fn read(path: &Path, after: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let mut stmt = conn
            .prepare("SELECT seq, body FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2")
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let rows = stmt
            .query_map(
                params![i64::try_from(after).unwrap_or(i64::MAX), i64::try_from(limit).unwrap_or(i64::MAX)],
                |r| Ok(StoredEvent { seq: r.get::<_, i64>(0)?.try_into().unwrap_or(0), body: r.get(1)? }),
            )
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        rows.collect::<Result<_, _>>().map_err(|e| StoreError::Backend(e.to_string()))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl AuditSink for SqliteAuditLog {
    fn append(&self, record: &AuditRecord) -> AuditReceipt {
        enqueue(&self.queue, record)
    }
}

fn writer(mut conn: Connection, rx: mpsc::Receiver<Pending>) {
    let mut batch: Vec<Pending> = Vec::with_capacity(64);
    while next_batch(&rx, &mut batch) {
        match commit(&mut conn, &batch) {
            Ok(()) => {
                for p in batch.drain(..) {
                    let _ = p.done.send(Ok(()));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, records = batch.len(), "audit commit failed; the calls are refused");
                for p in batch.drain(..) {
                    let _ = p.done.send(Err(AuditError(e.to_string())));
                }
            }
        }
    }
}

fn commit(conn: &mut Connection, batch: &[Pending]) -> Result<(), rusqlite::Error> {
    let tx = conn.transaction()?;
    {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO events (event_id, event_time, event_source, event_name, body) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for p in batch {
            stmt.execute(params![p.event_id, p.event_time_ms, &*p.event_source, &*p.event_name, p.body])?;
        }
    }
    tx.commit()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A plain record named `name`, for tests of either backend.
    pub(crate) fn record(name: &str) -> AuditRecord {
        AuditRecord {
            event_id: rampart_core::ids::new_request_id(),
            event_time: time::OffsetDateTime::now_utc(),
            event_source: "sts.amazonaws.com".into(),
            event_name: name.to_owned().into(),
            aws_region: "us-east-1".into(),
            source_ip: "127.0.0.1".into(),
            user_agent: "test".into(),
            caller: rampart_core::audit::CallerIdentity::Unknown { access_key_id: None },
            request_parameters: serde_json::Value::Null,
            error_code: None,
            error_message: None,
            request_id: "r".into(),
            read_only: true,
        }
    }

    #[tokio::test]
    async fn records_are_durable_and_ordered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.db");
        let log = SqliteAuditLog::open(&path).unwrap();
        let receipts: Vec<_> = (0..100).map(|i| log.append(&record(&format!("Op{i}")))).collect();
        for r in receipts {
            r.await.unwrap().unwrap();
        }
        let events = SqliteAuditLog::read(&path, 0, 1000).unwrap();
        assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=100).collect::<Vec<u64>>());
        for (i, e) in events.iter().enumerate() {
            assert!(e.body.contains(&format!("\"eventName\":\"Op{i}\"")), "queued order is log order");
        }
    }
}
