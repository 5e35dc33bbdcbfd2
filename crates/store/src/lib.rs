//! State: ordered key-value tables with transactions, and the durable audit log.
//!
//! Services see only the [`Store`] and [`rampart_core::audit::AuditSink`] interfaces; which
//! backend holds the bytes (embedded SQLite for one node, PostgreSQL for several nodes sharing
//! one database) is chosen once, at start-up.
//!
//! The shape is deliberately small: named tables of string keys (ordered, so prefixes list and
//! paginate) and opaque byte values, read directly or inside a serializable transaction that the
//! backend may retry. That is what the SQL backends do well and all that services need.

mod audit;
mod changes;
pub mod migrate;
mod postgres;
mod read_cache;
mod sqlite;

pub use audit::{SqliteAuditLog, StoredEvent};
pub use changes::Changes;
pub use postgres::{PostgresAuditLog, PostgresOptions, PostgresStore, is_postgres_url};
pub use sqlite::SqliteStore;

use rampart_core::AwsError;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A failure of the storage backend.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend failed (disk full, corruption, connection lost).
    #[error("store backend error: {0}")]
    Backend(String),
    /// A stored value could not be decoded.
    #[error("stored value under `{table}/{key}` is corrupt: {detail}")]
    Corrupt {
        /// The table.
        table: String,
        /// The key.
        key: String,
        /// What was wrong.
        detail: String,
    },
}

impl From<StoreError> for AwsError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "store failure");
        AwsError::unavailable("The service is temporarily unable to reach its state store; retry the request.")
    }
}

/// Reads and writes inside one transaction.
pub trait Txn {
    /// The value under `key`.
    fn get(&mut self, table: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Stores `value` under `key`, replacing any value.
    fn put(&mut self, table: &str, key: &str, value: &[u8]) -> Result<(), StoreError>;
    /// Stores `value` under `key` if the key is absent; returns whether it was stored.
    fn insert_new(&mut self, table: &str, key: &str, value: &[u8]) -> Result<bool, StoreError>;
    /// Deletes `key`; returns whether it existed.
    fn delete(&mut self, table: &str, key: &str) -> Result<bool, StoreError>;
    /// Up to `limit` entries whose key starts with `prefix` and sorts after `start_after`, in key order.
    fn scan(
        &mut self,
        table: &str,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError>;
}

/// The state store.
pub trait Store: Send + Sync + 'static {
    /// The value under `key`, read outside any transaction.
    fn get(&self, table: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// The value under `key`, possibly from this node's cache: never older than this node's own
    /// committed writes, but a write committed on another node may be missed for up to the
    /// propagation bound of the backend (documented in `docs/architecture.md`). For state that
    /// AWS itself documents as eventually consistent (IAM entities), read on the hot path.
    fn get_cached(&self, table: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.get(table, key)
    }

    /// Up to `limit` entries whose key starts with `prefix` and sorts after `start_after`.
    fn scan(
        &self,
        table: &str,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError>;

    /// Runs `f` in a serializable transaction and commits durably when it returns `Ok`.
    ///
    /// `f` may run more than once (backends retry serialization conflicts), so it must have no
    /// effects outside the transaction. An `Err` from `f` rolls back and is returned as is.
    fn transact_dyn(&self, f: &mut dyn FnMut(&mut dyn Txn) -> Result<(), AwsError>) -> Result<(), AwsError>;

    /// The change counters of this store: they move after every committed write to a table, made
    /// on this node or (with a shared backend) on any other. Caches of decoded state check them.
    fn changes(&self) -> &Changes;
}

/// Typed conveniences over any [`Store`].
pub trait StoreExt: Store {
    /// Runs `f` in a transaction and returns its value.
    fn transact<T>(&self, mut f: impl FnMut(&mut dyn Txn) -> Result<T, AwsError>) -> Result<T, AwsError> {
        let mut out = None;
        self.transact_dyn(&mut |txn| {
            out = Some(f(txn)?);
            Ok(())
        })?;
        out.ok_or_else(AwsError::internal)
    }

    /// The JSON value under `key`.
    fn get_json<T: DeserializeOwned>(&self, table: &str, key: &str) -> Result<Option<T>, StoreError> {
        self.get(table, key)?.map(|bytes| decode(table, key, &bytes)).transpose()
    }

    /// The JSON value under `key`, possibly from this node's cache (see [`Store::get_cached`]).
    fn get_json_cached<T: DeserializeOwned>(&self, table: &str, key: &str) -> Result<Option<T>, StoreError> {
        self.get_cached(table, key)?.map(|bytes| decode(table, key, &bytes)).transpose()
    }
}

impl<S: Store + ?Sized> StoreExt for S {}

/// Decodes a JSON value read from `table/key`.
pub fn decode<T: DeserializeOwned>(table: &str, key: &str, bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        table: table.into(),
        key: key.into(),
        detail: e.to_string(),
    })
}

/// Encodes a value for storage.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("serializing plain data cannot fail")
}

/// Typed conveniences inside a transaction.
pub trait TxnExt: Txn {
    /// The JSON value under `key`.
    fn get_json<T: DeserializeOwned>(&mut self, table: &str, key: &str) -> Result<Option<T>, StoreError> {
        self.get(table, key)?.map(|bytes| decode(table, key, &bytes)).transpose()
    }
    /// Stores a JSON value under `key`.
    fn put_json<T: Serialize>(&mut self, table: &str, key: &str, value: &T) -> Result<(), StoreError> {
        self.put(table, key, &encode(value))
    }
    /// Stores a JSON value under `key` if absent; returns whether it was stored.
    fn insert_json<T: Serialize>(&mut self, table: &str, key: &str, value: &T) -> Result<bool, StoreError> {
        self.insert_new(table, key, &encode(value))
    }
}

impl<T: Txn + ?Sized> TxnExt for T {}
