//! The PostgreSQL backend: several stateless nodes share one database.
//!
//! - Values live in one `kv` table (bytea, up to 1 GiB each) with byte-ordered keys, so prefix
//!   scans and pagination order exactly as on SQLite, and a node needs no shared filesystem.
//! - Transactions run at SERIALIZABLE isolation and are retried on serialization failures, so
//!   "insert if absent" and read-then-write logic stay correct with nodes racing each other: of
//!   two nodes creating the same name, one commits and the other re-runs and sees it.
//! - Every committing transaction that wrote reports the tables it touched with `NOTIFY`
//!   (delivered only if it commits); each node LISTENs and moves its [`Changes`] counters, which
//!   its caches check. While a node's listener is disconnected its caches are bypassed.
//! - The audit trail is one table of batches, committed by each node without waiting for the
//!   others and numbered afterwards by a sequencer, so all nodes' records form one gap-free
//!   sequence (see [`PostgresAuditLog`]).

pub(crate) mod audit;
pub(crate) mod connect;
mod listen;
pub(crate) mod schema;

pub use audit::PostgresAuditLog;
pub use connect::{PostgresOptions, is_postgres_url};

use crate::read_cache::ReadCache;
use crate::sqlite::{prefix_end, scan_start};
use crate::{Changes, StoreError, Txn};
use connect::{Connector, backend, wait};
use rampart_core::AwsError;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Statement};

/// Connections for reads outside transactions (queries on one connection are pipelined).
const READERS: usize = 4;
/// Connections for transactions (one transaction at a time each).
const WRITERS: usize = 4;
/// Attempts of a transaction that keeps losing serialization conflicts.
const MAX_ATTEMPTS: u32 = 20;
/// The channel on which committed writes are announced.
pub(crate) const CHANNEL: &str = "rampart_changes";

/// One connection and its prepared statements.
pub(crate) struct Conn {
    pub(crate) client: Client,
    get: Statement,
    put: Statement,
    insert_new: Statement,
    delete: Statement,
    notify: Statement,
    scan_from: Statement,
    scan_after: Statement,
    scan_from_open: Statement,
    scan_after_open: Statement,
}

impl Conn {
    fn open(connector: &Arc<Connector>) -> Result<Self, StoreError> {
        let client = connector.connect()?;
        let prepare = |sql: &str| wait(client.prepare(sql)).map_err(backend);
        Ok(Self {
            get: prepare("SELECT v FROM kv WHERE tbl = $1 AND k = $2")?,
            put: prepare(
                "INSERT INTO kv (tbl, k, v) VALUES ($1, $2, $3) ON CONFLICT (tbl, k) DO UPDATE SET v = excluded.v",
            )?,
            insert_new: prepare("INSERT INTO kv (tbl, k, v) VALUES ($1, $2, $3) ON CONFLICT (tbl, k) DO NOTHING")?,
            delete: prepare("DELETE FROM kv WHERE tbl = $1 AND k = $2")?,
            notify: prepare("SELECT pg_notify($1, $2)")?,
            scan_from: prepare("SELECT k, v FROM kv WHERE tbl = $1 AND k >= $2 AND k < $3 ORDER BY k LIMIT $4")?,
            scan_after: prepare("SELECT k, v FROM kv WHERE tbl = $1 AND k > $2 AND k < $3 ORDER BY k LIMIT $4")?,
            scan_from_open: prepare("SELECT k, v FROM kv WHERE tbl = $1 AND k >= $2 ORDER BY k LIMIT $3")?,
            scan_after_open: prepare("SELECT k, v FROM kv WHERE tbl = $1 AND k > $2 ORDER BY k LIMIT $3")?,
            client,
        })
    }

    fn get(&self, table: &str, key: &str) -> Result<Option<Vec<u8>>, tokio_postgres::Error> {
        Ok(wait(self.client.query_opt(&self.get, &[&table, &key]))?.map(|r| r.get(0)))
    }

    fn scan(
        &self,
        table: &str,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Vec<u8>)>, tokio_postgres::Error> {
        let (lower, inclusive) = scan_start(prefix, start_after);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = match prefix_end(prefix) {
            Some(upper) => {
                let stmt = if inclusive { &self.scan_from } else { &self.scan_after };
                wait(self.client.query(stmt, &[&table, &lower, &upper, &limit]))?
            }
            None => {
                let stmt = if inclusive { &self.scan_from_open } else { &self.scan_after_open };
                wait(self.client.query(stmt, &[&table, &lower, &limit]))?
            }
        };
        Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
    }
}

/// Whether `e` means "run the transaction again".
fn is_conflict(e: &tokio_postgres::Error) -> bool {
    matches!(e.code(), Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED)
}

/// The state store on PostgreSQL.
pub struct PostgresStore {
    connector: Arc<Connector>,
    readers: Vec<RwLock<Option<Arc<Conn>>>>,
    next_reader: AtomicUsize,
    writers: Vec<Mutex<Option<Conn>>>,
    next_writer: AtomicUsize,
    changes: Arc<Changes>,
    cache: ReadCache,
}

impl PostgresStore {
    /// Connects, creates or migrates the schema, and starts listening for other nodes' changes.
    /// Waits (up to ten seconds) until the listener is in place, so caches work from the start.
    pub fn open(opts: &PostgresOptions) -> Result<Self, StoreError> {
        let connector = Connector::new(opts)?;
        let mut client = connector.connect()?;
        schema::migrate(&mut client)?;
        drop(client);
        let first = Conn::open(&connector)?;
        let changes = Arc::new(Changes::new());
        changes.set_in_sync(false);
        listen::spawn(&connector, Arc::clone(&changes));
        let store = Self {
            readers: (0..READERS).map(|_| RwLock::new(None)).collect(),
            next_reader: AtomicUsize::new(0),
            writers: (0..WRITERS).map(|_| Mutex::new(None)).collect(),
            next_writer: AtomicUsize::new(0),
            changes,
            cache: ReadCache::default(),
            connector,
        };
        *store.writers[0].lock().unwrap_or_else(|p| p.into_inner()) = Some(first);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !store.changes.in_sync() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        if !store.changes.in_sync() {
            tracing::warn!("not yet listening for other nodes' changes; caches stay off until then");
        }
        Ok(store)
    }

    /// A reader connection, (re)connecting when needed.
    fn reader(&self) -> Result<Arc<Conn>, StoreError> {
        let slot = &self.readers[self.next_reader.fetch_add(1, Ordering::Relaxed) % READERS];
        if let Some(c) = slot.read().unwrap_or_else(|p| p.into_inner()).as_ref().filter(|c| !c.client.is_closed()) {
            return Ok(Arc::clone(c));
        }
        let mut w = slot.write().unwrap_or_else(|p| p.into_inner());
        match w.as_ref().filter(|c| !c.client.is_closed()) {
            Some(c) => Ok(Arc::clone(c)),
            None => {
                let c = Arc::new(Conn::open(&self.connector)?);
                *w = Some(Arc::clone(&c));
                Ok(c)
            }
        }
    }

    fn read<T>(&self, f: impl Fn(&Conn) -> Result<T, tokio_postgres::Error>) -> Result<T, StoreError> {
        let conn = self.reader()?;
        match f(&conn) {
            Ok(v) => Ok(v),
            // A connection lost since it was handed out: once more on a fresh one.
            Err(_) if conn.client.is_closed() => f(&*self.reader()?).map_err(backend),
            Err(e) => Err(backend(e)),
        }
    }

    /// A writer connection, locked for one transaction.
    fn writer(&self) -> std::sync::MutexGuard<'_, Option<Conn>> {
        for w in &self.writers {
            if let Ok(g) = w.try_lock() {
                return g;
            }
        }
        let i = self.next_writer.fetch_add(1, Ordering::Relaxed) % WRITERS;
        self.writers[i].lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One attempt of a transaction on `conn`.
    fn attempt(
        &self,
        conn: &Conn,
        f: &mut dyn FnMut(&mut dyn Txn) -> Result<(), AwsError>,
    ) -> Result<Result<u32, AwsError>, Failure> {
        wait(conn.client.batch_execute("BEGIN ISOLATION LEVEL SERIALIZABLE")).map_err(Failure::from)?;
        let mut txn = PgTxn { conn, written: 0, failure: None };
        let result = f(&mut txn);
        let written = txn.written;
        if let Some(failure) = txn.failure {
            let _ = wait(conn.client.batch_execute("ROLLBACK"));
            return Err(failure);
        }
        if let Err(e) = result {
            let _ = wait(conn.client.batch_execute("ROLLBACK"));
            return Ok(Err(e));
        }
        if written != 0 {
            let payload = written.to_string();
            if let Err(e) = wait(conn.client.execute(&conn.notify, &[&CHANNEL, &payload])) {
                let _ = wait(conn.client.batch_execute("ROLLBACK"));
                return Err(Failure::from(e));
            }
        }
        wait(conn.client.batch_execute("COMMIT")).map_err(Failure::from)?;
        Ok(Ok(written))
    }
}

/// Why an attempt did not commit, when it was not the transaction's own decision.
struct Failure {
    conflict: bool,
    error: StoreError,
}

impl From<tokio_postgres::Error> for Failure {
    fn from(e: tokio_postgres::Error) -> Self {
        Self { conflict: is_conflict(&e), error: backend(e) }
    }
}

struct PgTxn<'a> {
    conn: &'a Conn,
    written: u32,
    /// The first database error: the transaction is aborted and must not be reported committed
    /// even if the closure chose to carry on.
    failure: Option<Failure>,
}

impl PgTxn<'_> {
    fn check<T>(&mut self, r: Result<T, tokio_postgres::Error>) -> Result<T, StoreError> {
        r.map_err(|e| {
            let failure = Failure::from(e);
            let err = StoreError::Backend(failure.error.to_string());
            self.failure.get_or_insert(failure);
            err
        })
    }
}

impl Txn for PgTxn<'_> {
    fn get(&mut self, table: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let r = self.conn.get(table, key);
        self.check(r)
    }

    fn put(&mut self, table: &str, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.written |= Changes::mask(table);
        let r = wait(self.conn.client.execute(&self.conn.put, &[&table, &key, &value]));
        self.check(r).map(drop)
    }

    fn insert_new(&mut self, table: &str, key: &str, value: &[u8]) -> Result<bool, StoreError> {
        self.written |= Changes::mask(table);
        let r = wait(self.conn.client.execute(&self.conn.insert_new, &[&table, &key, &value]));
        self.check(r).map(|n| n == 1)
    }

    fn delete(&mut self, table: &str, key: &str) -> Result<bool, StoreError> {
        self.written |= Changes::mask(table);
        let r = wait(self.conn.client.execute(&self.conn.delete, &[&table, &key]));
        self.check(r).map(|n| n == 1)
    }

    fn scan(
        &mut self,
        table: &str,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let r = self.conn.scan(table, prefix, start_after, limit);
        self.check(r)
    }
}

/// A pause before retrying a conflicted transaction: exponential, with jitter so racing nodes
/// spread out.
fn backoff(attempt: u32) -> Duration {
    let ceiling_us = 500u64 << attempt.min(6);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    Duration::from_micros(u64::from(nanos) % ceiling_us + 100)
}

impl crate::Store for PostgresStore {
    fn get(&self, table: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(|c| c.get(table, key))
    }

    fn get_cached(&self, table: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.cache.get(&self.changes, table, key, || self.read(|c| c.get(table, key)))
    }

    fn scan(
        &self,
        table: &str,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.read(|c| c.scan(table, prefix, start_after, limit))
    }

    fn transact_dyn(&self, f: &mut dyn FnMut(&mut dyn Txn) -> Result<(), AwsError>) -> Result<(), AwsError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut guard = self.writer();
            if guard.as_ref().is_none_or(|c| c.client.is_closed()) {
                *guard = Some(Conn::open(&self.connector)?);
            }
            let conn = guard.as_ref().ok_or_else(AwsError::internal)?;
            match self.attempt(conn, f) {
                Ok(Ok(written)) => {
                    self.changes.bump_mask(written);
                    return Ok(());
                }
                Ok(Err(e)) => return Err(e),
                Err(failure) if failure.conflict && attempt < MAX_ATTEMPTS => {
                    drop(guard);
                    std::thread::sleep(backoff(attempt));
                }
                Err(failure) => {
                    if conn.client.is_closed() {
                        *guard = None;
                    }
                    return Err(failure.error.into());
                }
            }
        }
    }

    fn changes(&self) -> &Changes {
        &self.changes
    }
}

#[cfg(test)]
pub(crate) mod tests {
    //! These run against a real PostgreSQL when `RAMPART_TEST_PG_URL` names a server whose user
    //! may create databases (scripts/test starts one); without it they do nothing.
    use super::*;
    use crate::{Store, StoreExt, TxnExt};

    pub(crate) fn fresh_database() -> Option<PostgresOptions> {
        let base = std::env::var("RAMPART_TEST_PG_URL").ok().filter(|s| !s.is_empty())?;
        let name = format!("store_test_{}", rampart_core::ids::new_request_id().replace('-', "").to_lowercase());
        let admin = PostgresOptions { url: format!("{base}/postgres"), ca_cert: ca(), node: "test".into() };
        let connector = Connector::new(&admin).unwrap();
        let client = connector.connect().unwrap();
        wait(client.batch_execute(&format!("CREATE DATABASE {name}"))).unwrap();
        Some(PostgresOptions { url: format!("{base}/{name}"), ca_cert: ca(), node: "test".into() })
    }

    fn ca() -> Option<std::path::PathBuf> {
        std::env::var("RAMPART_TEST_PG_CA").ok().filter(|s| !s.is_empty()).map(Into::into)
    }

    #[test]
    fn put_get_scan_rollback_and_byte_order() {
        let Some(opts) = fresh_database() else { return };
        let store = PostgresStore::open(&opts).unwrap();
        store
            .transact(|t| {
                for k in ["user/a", "user/b", "user/c", "role/x", "user0", "user/\u{e9}", "user/Z"] {
                    t.put_json("iam", k, &k.to_uppercase())?;
                }
                Ok(())
            })
            .unwrap();
        let keys = |rows: Vec<(String, Vec<u8>)>| rows.into_iter().map(|(k, _)| k).collect::<Vec<_>>();
        // Byte order, as on SQLite: upper case before lower case, é after z.
        assert_eq!(
            keys(store.scan("iam", "user/", None, 10).unwrap()),
            ["user/Z", "user/a", "user/b", "user/c", "user/\u{e9}"]
        );
        assert_eq!(keys(store.scan("iam", "user/", Some("user/a"), 2).unwrap()), ["user/b", "user/c"]);
        assert_eq!(store.scan("iam", "", None, 100).unwrap().len(), 7);
        let err = store.transact(|t| -> Result<(), AwsError> {
            t.put_json("iam", "user/d", &"D")?;
            Err(AwsError::validation("no"))
        });
        assert!(err.is_err());
        assert!(store.get("iam", "user/d").unwrap().is_none());
        assert!(!store.transact(|t| Ok(t.insert_json("iam", "user/a", &"again")?)).unwrap());
        assert!(store.transact(|t| Ok(t.delete("iam", "user/a")?)).unwrap());
        // A second open runs the (already applied) migrations again: idempotent.
        drop(store);
        let again = PostgresStore::open(&opts).unwrap();
        assert!(again.get("iam", "user/a").unwrap().is_none());
        assert_eq!(again.get_json::<String>("iam", "user/b").unwrap().as_deref(), Some("USER/B"));
    }

    #[test]
    fn racing_read_then_write_transactions_serialize() {
        let Some(opts) = fresh_database() else { return };
        let a = Arc::new(PostgresStore::open(&opts).unwrap());
        let b = Arc::new(PostgresStore::open(&opts).unwrap());
        // Each transaction reads a counter and writes it back incremented: without serializable
        // isolation and retries, increments would be lost.
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let s = Arc::clone(if i % 2 == 0 { &a } else { &b });
                std::thread::spawn(move || {
                    for _ in 0..10 {
                        s.transact(|t| {
                            let n: u64 = t.get_json("c", "n")?.unwrap_or(0);
                            t.put_json("c", "n", &(n + 1))?;
                            Ok(())
                        })
                        .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(a.get_json::<u64>("c", "n").unwrap(), Some(80));
    }

    #[test]
    fn another_nodes_commit_moves_this_nodes_counters() {
        let Some(opts) = fresh_database() else { return };
        let a = PostgresStore::open(&opts).unwrap();
        let b = PostgresStore::open(&opts).unwrap();
        assert!(b.changes().in_sync());
        let before = b.changes().version(&["iam"]);
        let kms_before = b.changes().version(&["kms"]);
        a.transact(|t| Ok(t.put_json("iam", "user/x", &1)?)).unwrap();
        let started = std::time::Instant::now();
        while b.changes().version(&["iam"]) == before {
            assert!(started.elapsed() < Duration::from_secs(2), "no notification within 2 s");
            std::thread::sleep(Duration::from_millis(2));
        }
        if Changes::mask("iam") != Changes::mask("kms") {
            assert_eq!(b.changes().version(&["kms"]), kms_before, "other tables' caches stay valid");
        }
    }

    fn event_name(body: &str) -> String {
        serde_json::from_str::<serde_json::Value>(body).unwrap()["eventName"].as_str().unwrap().to_owned()
    }

    #[tokio::test]
    async fn two_nodes_audit_into_one_gap_free_ordered_trail() {
        use crate::audit::tests::record;
        use rampart_core::audit::AuditSink;
        let Some(opts) = fresh_database() else { return };
        let _schema = PostgresStore::open(&opts).unwrap();
        let a = PostgresAuditLog::open(&PostgresOptions { node: "a".into(), ..opts.clone() }).unwrap();
        let b = PostgresAuditLog::open(&PostgresOptions { node: "b".into(), ..opts.clone() }).unwrap();
        let receipts: Vec<_> = (0..300)
            .map(|i| if i % 2 == 0 { a.append(&record(&format!("A{i}"))) } else { b.append(&record(&format!("B{i}"))) })
            .collect();
        for r in receipts {
            r.await.unwrap().unwrap();
        }
        // Every acknowledged record is in the trail once, numbered 1..=300 with no gap.
        let events = PostgresAuditLog::read_from(&opts, 0, 1000).unwrap();
        assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=300).collect::<Vec<u64>>());
        let mut names: Vec<String> = events.iter().map(|e| event_name(&e.body)).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 300);
        // A record acknowledged before another call began is numbered before it, whichever
        // nodes the two went through.
        for i in 0..20 {
            let log = if i % 2 == 0 { &a } else { &b };
            log.append(&record(&format!("Chain{i}"))).await.unwrap().unwrap();
        }
        let events = PostgresAuditLog::read_from(&opts, 300, 1000).unwrap();
        let chain: Vec<String> = events.iter().map(|e| event_name(&e.body)).collect();
        assert_eq!(chain, (0..20).map(|i| format!("Chain{i}")).collect::<Vec<_>>());
        let events = PostgresAuditLog::read_from(&opts, 0, 1000).unwrap();
        // Paging from the middle of a batch.
        let page = PostgresAuditLog::read_from(&opts, 7, 5).unwrap();
        assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), [8, 9, 10, 11, 12]);
        assert_eq!(page[0].body, events[7].body);
        assert_eq!(events.iter().filter(|e| e.body.contains("\"eventName\":\"A")).count(), 150);
    }

    #[test]
    fn a_node_numbers_the_batches_a_dead_node_left_unnumbered() {
        let Some(opts) = fresh_database() else { return };
        let _schema = PostgresStore::open(&opts).unwrap();
        // A batch committed by a node that died before its sequencing pass.
        let connector = Connector::new(&opts).unwrap();
        let client = connector.connect().unwrap();
        wait(client.batch_execute(
            "INSERT INTO audit_batches (batch_id, node, records, first_time, last_time, bodies)
             VALUES ('orphan', 'dead', 2, 1, 1, ARRAY['{}', '{}'])",
        ))
        .unwrap();
        // A live node's sequencer numbers it on its idle pass, with nothing of its own to write.
        let _live = PostgresAuditLog::open(&opts).unwrap();
        let started = std::time::Instant::now();
        loop {
            let seq: Option<i64> =
                wait(client.query_one("SELECT first_seq FROM audit_batches WHERE batch_id = 'orphan'", &[]))
                    .unwrap()
                    .get(0);
            if seq.is_some() {
                assert_eq!(seq, Some(1));
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(5), "not numbered within 5 s");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
