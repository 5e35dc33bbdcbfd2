//! The embedded SQLite backend: one WAL-mode database, synchronous commits.

use crate::{Changes, StoreError, Txn};
use rampart_core::AwsError;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::path::Path;
use std::sync::Mutex;

/// How many read connections serve reads in parallel with the writer.
const READERS: usize = 4;

/// The state store on SQLite.
pub struct SqliteStore {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    changes: Changes,
}

fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// Opens `path` with the pragmas every Rampart database uses: WAL, full fsync on commit.
pub(crate) fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(backend)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 10000;",
    )
    .map_err(backend)?;
    // Keep one query plan per statement. Without this, SQLite (built with STAT4) re-prepares a
    // cached statement whenever a bound range value changes, which every prefix scan does: a
    // full SQL parse per scan.
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true).map_err(backend)?;
    Ok(conn)
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let writer = open_connection(path)?;
        writer
            .execute_batch(
                "CREATE TABLE IF NOT EXISTS kv (
                    tbl TEXT NOT NULL,
                    k   TEXT NOT NULL,
                    v   BLOB NOT NULL,
                    PRIMARY KEY (tbl, k)
                 ) WITHOUT ROWID;
                 CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
                 INSERT INTO schema_version (version) SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM schema_version);",
            )
            .map_err(backend)?;
        let readers = (0..READERS).map(|_| open_connection(path).map(Mutex::new)).collect::<Result<_, _>>()?;
        Ok(Self { writer: Mutex::new(writer), readers, changes: Changes::new() })
    }

    fn with_reader<T>(&self, f: impl FnOnce(&Connection) -> Result<T, StoreError>) -> Result<T, StoreError> {
        // Take the first free reader; if all are busy, wait on one chosen by thread.
        for r in &self.readers {
            if let Ok(conn) = r.try_lock() {
                return f(&conn);
            }
        }
        let conn = self.readers[0].lock().unwrap_or_else(|p| p.into_inner());
        f(&conn)
    }
}

fn get(conn: &Connection, table: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
    conn.prepare_cached("SELECT v FROM kv WHERE tbl = ?1 AND k = ?2")
        .and_then(|mut s| s.query_row(params![table, key], |r| r.get(0)).optional())
        .map_err(backend)
}

/// Where a prefix scan starts: after `start_after` when it is inside the range, else at the
/// prefix itself (inclusive). Shared by both backends.
pub(crate) fn scan_start<'a>(prefix: &'a str, start_after: Option<&'a str>) -> (&'a str, bool) {
    match start_after {
        Some(s) if s >= prefix => (s, false),
        _ => (prefix, true),
    }
}

/// The smallest string greater than every string that starts with `prefix`: the prefix with its
/// last character incremented (`None` for an empty prefix, or one made only of `char::MAX`).
pub(crate) fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        // Skip the surrogate gap; char::from_u32 refuses it.
        if let Some(n) = (u32::from(last) + 1..=0x10_FFFF).find_map(char::from_u32) {
            chars.push(n);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

fn scan(
    conn: &Connection,
    table: &str,
    prefix: &str,
    start_after: Option<&str>,
    limit: usize,
) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
    let (lower, inclusive) = scan_start(prefix, start_after);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let map = |r: &rusqlite::Row<'_>| Ok((r.get(0)?, r.get(1)?));
    // A range on the primary key (tbl, k): SQLite reads exactly the matching rows.
    match prefix_end(prefix) {
        Some(upper) => {
            let sql = if inclusive {
                "SELECT k, v FROM kv WHERE tbl = ?1 AND k >= ?2 AND k < ?3 ORDER BY k LIMIT ?4"
            } else {
                "SELECT k, v FROM kv WHERE tbl = ?1 AND k > ?2 AND k < ?3 ORDER BY k LIMIT ?4"
            };
            let mut stmt = conn.prepare_cached(sql).map_err(backend)?;
            let rows = stmt.query_map(params![table, lower, upper, limit], map).map_err(backend)?;
            rows.collect::<Result<_, _>>().map_err(backend)
        }
        None => {
            let sql = if inclusive {
                "SELECT k, v FROM kv WHERE tbl = ?1 AND k >= ?2 ORDER BY k LIMIT ?3"
            } else {
                "SELECT k, v FROM kv WHERE tbl = ?1 AND k > ?2 ORDER BY k LIMIT ?3"
            };
            let mut stmt = conn.prepare_cached(sql).map_err(backend)?;
            let rows = stmt.query_map(params![table, lower, limit], map).map_err(backend)?;
            rows.collect::<Result<_, _>>().map_err(backend)
        }
    }
}

/// A transaction, and the change counters of the tables it wrote.
struct SqliteTxn<'a> {
    tx: &'a rusqlite::Transaction<'a>,
    written: u32,
}

impl Txn for SqliteTxn<'_> {
    fn get(&mut self, table: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        get(self.tx, table, key)
    }

    fn put(&mut self, table: &str, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.written |= Changes::mask(table);
        self.tx
            .prepare_cached(
                "INSERT INTO kv (tbl, k, v) VALUES (?1, ?2, ?3) ON CONFLICT (tbl, k) DO UPDATE SET v = excluded.v",
            )
            .and_then(|mut s| s.execute(params![table, key, value]))
            .map(drop)
            .map_err(backend)
    }

    fn insert_new(&mut self, table: &str, key: &str, value: &[u8]) -> Result<bool, StoreError> {
        self.written |= Changes::mask(table);
        self.tx
            .prepare_cached("INSERT INTO kv (tbl, k, v) VALUES (?1, ?2, ?3) ON CONFLICT (tbl, k) DO NOTHING")
            .and_then(|mut s| s.execute(params![table, key, value]))
            .map(|n| n == 1)
            .map_err(backend)
    }

    fn delete(&mut self, table: &str, key: &str) -> Result<bool, StoreError> {
        self.written |= Changes::mask(table);
        self.tx
            .prepare_cached("DELETE FROM kv WHERE tbl = ?1 AND k = ?2")
            .and_then(|mut s| s.execute(params![table, key]))
            .map(|n| n == 1)
            .map_err(backend)
    }

    fn scan(
        &mut self,
        table: &str,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        scan(self.tx, table, prefix, start_after, limit)
    }
}

impl crate::Store for SqliteStore {
    fn get(&self, table: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.with_reader(|c| get(c, table, key))
    }

    fn scan(
        &self,
        table: &str,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.with_reader(|c| scan(c, table, prefix, start_after, limit))
    }

    fn changes(&self) -> &Changes {
        &self.changes
    }

    fn transact_dyn(&self, f: &mut dyn FnMut(&mut dyn Txn) -> Result<(), AwsError>) -> Result<(), AwsError> {
        let mut conn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        // One writer connection serializes transactions, so SQLite never reports a conflict
        // and `f` runs exactly once here.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
        let mut txn = SqliteTxn { tx: &tx, written: 0 };
        let result = f(&mut txn);
        let written = txn.written;
        match result {
            Ok(()) => {
                tx.commit().map_err(|e| AwsError::from(backend(e)))?;
                self.changes.bump_mask(written);
                Ok(())
            }
            Err(e) => {
                drop(tx); // rolls back
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_bounds_exactly_the_prefix() {
        assert_eq!(prefix_end("user/").as_deref(), Some("user0"));
        assert_eq!(prefix_end("a").as_deref(), Some("b"));
        assert_eq!(prefix_end(""), None);
        assert_eq!(prefix_end("x\u{10FFFF}").as_deref(), Some("y"));
        assert_eq!(prefix_end("\u{D7FF}").as_deref(), Some("\u{E000}"));
        for p in ["user/", "a/b", "grant/1234/", "é"] {
            let end = prefix_end(p).unwrap();
            for k in [p.to_owned(), format!("{p}zzz"), format!("{p}\u{10FFFF}")] {
                assert!(k.as_str() >= p && k < end, "{k:?} in [{p:?}, {end:?})");
            }
        }
    }
    use crate::{Store, StoreExt, TxnExt};

    #[test]
    fn put_get_scan_and_rollback() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("state.db")).unwrap();
        store
            .transact(|t| {
                for k in ["user/a", "user/b", "user/c", "role/x"] {
                    t.put_json("iam", k, &k.to_uppercase())?;
                }
                Ok(())
            })
            .unwrap();
        assert_eq!(store.get_json::<String>("iam", "user/b").unwrap().as_deref(), Some("USER/B"));
        let page = store.scan("iam", "user/", None, 2).unwrap();
        assert_eq!(page.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["user/a", "user/b"]);
        let next = store.scan("iam", "user/", Some("user/b"), 10).unwrap();
        assert_eq!(next.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["user/c"]);

        let err = store.transact(|t| -> Result<(), AwsError> {
            t.put_json("iam", "user/d", &"D")?;
            Err(AwsError::validation("no"))
        });
        assert!(err.is_err());
        assert!(store.get("iam", "user/d").unwrap().is_none(), "a failed transaction leaves nothing behind");

        let inserted = store.transact(|t| Ok(t.insert_json("iam", "user/a", &"again")?)).unwrap();
        assert!(!inserted);
        // A prefix scan stops at the prefix: `user0` is not a `user/` key.
        store.transact(|t| Ok(t.put_json("iam", "user0", &"zero")?)).unwrap();
        assert_eq!(store.scan("iam", "user/", None, 100).unwrap().len(), 3);
        assert_eq!(store.scan("iam", "", None, 100).unwrap().len(), 5);
        drop(store);
        let reopened = SqliteStore::open(&dir.path().join("state.db")).unwrap();
        assert_eq!(reopened.get_json::<String>("iam", "user/a").unwrap().as_deref(), Some("USER/A"));
    }
}
