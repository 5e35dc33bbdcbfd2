//! Opening Rampart's state as configured: the store (embedded SQLite in the data directory, or
//! a PostgreSQL database shared by several nodes), its audit log, and the master-key keystore.

use rampart_core::audit::AuditSink;
use rampart_crypto::{Keystore, KeystoreError, SlotTable, SoftwareKeystore};
use rampart_store::{
    PostgresAuditLog, PostgresOptions, PostgresStore, SqliteAuditLog, SqliteStore, Store, StoreExt, TxnExt,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the state lives.
#[derive(Debug, Clone)]
pub enum StoreLocation {
    /// `state.db` and `audit.db` in a data directory.
    Embedded(PathBuf),
    /// A PostgreSQL database.
    Postgres(PostgresOptions),
}

impl StoreLocation {
    /// The location named by `--store` (a `postgres://` URL, or `sqlite`/absent for the data
    /// directory's embedded store).
    pub fn parse(store: Option<&str>, ca_cert: Option<&Path>, data_dir: &Path, node: &str) -> Result<Self, String> {
        match store.map(str::trim).filter(|s| !s.is_empty()) {
            None | Some("sqlite") => {
                if ca_cert.is_some() {
                    return Err("--store-ca-cert applies only to a postgres:// store".into());
                }
                Ok(Self::Embedded(data_dir.to_owned()))
            }
            Some(url) if rampart_store::is_postgres_url(url) => Ok(Self::Postgres(PostgresOptions {
                url: url.to_owned(),
                ca_cert: ca_cert.map(Path::to_owned),
                node: node.to_owned(),
            })),
            Some(other) => Err(format!(
                "unknown store `{}`: use `sqlite` (the data directory) or postgres://USER:PASSWORD@HOST:PORT/DATABASE",
                redact_url(other)
            )),
        }
    }

    /// A description safe to log (no password).
    pub fn describe(&self) -> String {
        match self {
            Self::Embedded(dir) => format!("sqlite:{}", dir.join("state.db").display()),
            Self::Postgres(o) => redact_url(&o.url),
        }
    }
}

/// `url` with any password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let (authority, tail) = rest.split_once('/').map_or((rest, ""), |(a, t)| (a, t));
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => authority.to_owned(),
    };
    let tail = tail.split_once('?').map_or(tail, |(path, _)| path);
    if tail.is_empty() { format!("{scheme}://{authority}") } else { format!("{scheme}://{authority}/{tail}") }
}

/// The opened state.
pub struct State {
    /// Services' tables.
    pub store: Arc<dyn Store>,
    /// The audit log.
    pub audit: Arc<dyn AuditSink>,
    /// The master-key keystore.
    pub keystore: Arc<dyn Keystore>,
}

/// Opens the store at `location` (creating or migrating it) and the master key at `master_key`
/// (created when missing). Refuses a master key other than the one the store was sealed under.
pub fn open(location: &StoreLocation, master_key: &Path, with_audit: bool) -> Result<State, String> {
    let (store, keystore): (Arc<dyn Store>, Arc<dyn Keystore>) = match location {
        StoreLocation::Embedded(dir) => {
            let keystore = SoftwareKeystore::open_or_create(master_key).map_err(|e| e.to_string())?;
            let store = SqliteStore::open(&dir.join("state.db")).map_err(|e| e.to_string())?;
            (Arc::new(store), Arc::new(keystore))
        }
        StoreLocation::Postgres(opts) => {
            let store: Arc<dyn Store> = Arc::new(PostgresStore::open(opts).map_err(|e| e.to_string())?);
            let slots = Arc::new(StoreSlots(Arc::clone(&store)));
            let keystore = SoftwareKeystore::open_with_slot_table(master_key, slots).map_err(|e| e.to_string())?;
            (store, Arc::new(keystore))
        }
    };
    check_master_key(store.as_ref(), keystore.as_ref(), master_key)?;
    let audit: Arc<dyn AuditSink> = match (with_audit, location) {
        (false, _) => Arc::new(NoAudit),
        (true, StoreLocation::Embedded(dir)) => {
            Arc::new(SqliteAuditLog::open(&dir.join("audit.db")).map_err(|e| e.to_string())?)
        }
        (true, StoreLocation::Postgres(opts)) => Arc::new(PostgresAuditLog::open(opts).map_err(|e| e.to_string())?),
    };
    Ok(State { store, audit, keystore })
}

/// Table and purpose of the value that proves which master key the store was sealed under.
const META: &str = "meta";
const CHECK_KEY: &str = "master_key_check";
const CHECK_PURPOSE: &[u8] = b"rampart/master-key-check";

/// Seals a known value under the master key on first start; on later starts (and on every other
/// node) opens it, so a node given a different master key stops at once with a clear message
/// instead of failing every call that touches a secret.
fn check_master_key(store: &dyn Store, keystore: &dyn Keystore, path: &Path) -> Result<(), String> {
    let sealed = keystore.seal(CHECK_PURPOSE, b"rampart").map_err(|e| e.to_string())?;
    let stored: Vec<u8> = store
        .transact(|t| {
            let current: Option<String> = t.get_json(META, CHECK_KEY)?;
            match current {
                Some(hex) => Ok(hex::decode(hex).unwrap_or_default()),
                None => {
                    t.put_json(META, CHECK_KEY, &hex::encode(&sealed))?;
                    Ok(sealed.clone())
                }
            }
        })
        .map_err(|e| e.message().to_owned())?;
    match keystore.open(CHECK_PURPOSE, &stored) {
        Ok(_) => Ok(()),
        Err(_) => Err(format!(
            "the store's secrets are sealed under a different master key than {}; every node of one store must use \
             a copy of the same master key file (--master-key)",
            path.display()
        )),
    }
}

/// Keystore slots in the store's `keystore_slots` table (sealed under the master key), so that
/// every node sharing the database reaches every destroyable key.
struct StoreSlots(Arc<dyn Store>);

/// The table of keystore slots on a shared store.
pub const SLOTS: &str = "keystore_slots";

/// The key of slot `index` in [`SLOTS`].
pub fn slot_key(index: u64) -> String {
    format!("{index:016x}")
}

fn unavailable(e: impl std::fmt::Display) -> KeystoreError {
    KeystoreError::Unavailable(e.to_string())
}

impl SlotTable for StoreSlots {
    fn insert(&self, index: u64, record: &[u8]) -> Result<bool, KeystoreError> {
        self.0.transact(|t| Ok(t.insert_new(SLOTS, &slot_key(index), record)?)).map_err(|e| unavailable(e.message()))
    }

    fn get(&self, index: u64) -> Result<Option<Vec<u8>>, KeystoreError> {
        self.0.get(SLOTS, &slot_key(index)).map_err(unavailable)
    }

    fn remove(&self, index: u64) -> Result<(), KeystoreError> {
        self.0.transact(|t| Ok(t.delete(SLOTS, &slot_key(index)).map(drop)?)).map_err(|e| unavailable(e.message()))
    }
}

/// For commands that open the state without serving calls.
struct NoAudit;

impl AuditSink for NoAudit {
    fn append(&self, _record: &rampart_core::audit::AuditRecord) -> rampart_core::audit::AuditReceipt {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let _ = tx.send(Err(rampart_core::audit::AuditError("this command keeps no audit log".into())));
        rx
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_logged_without_passwords() {
        assert_eq!(
            redact_url("postgres://rampart:s3cret@db:5432/rampart?sslmode=require"),
            "postgres://rampart:***@db:5432/rampart"
        );
        assert_eq!(redact_url("postgres://rampart@db/rampart"), "postgres://rampart@db/rampart");
        assert_eq!(redact_url("postgresql://u:p@h"), "postgresql://u:***@h");
    }

    #[test]
    fn store_locations() {
        let dir = Path::new("/tmp/x");
        assert!(matches!(StoreLocation::parse(None, None, dir, "n"), Ok(StoreLocation::Embedded(_))));
        assert!(matches!(StoreLocation::parse(Some("sqlite"), None, dir, "n"), Ok(StoreLocation::Embedded(_))));
        assert!(matches!(
            StoreLocation::parse(Some("postgres://u@h/d"), None, dir, "n"),
            Ok(StoreLocation::Postgres(_))
        ));
        let err = StoreLocation::parse(Some("mysql://u:pw@h/d"), None, dir, "n").unwrap_err();
        assert!(err.contains("mysql://u:***@h/d") && !err.contains("pw"), "{err}");
        assert!(StoreLocation::parse(None, Some(Path::new("ca.pem")), dir, "n").is_err());
    }
}
