//! A node-local cache of single-key reads, kept current by the store's change counters.
//!
//! An entry remembers the version of its table (see [`Changes::version`]) read *before* the value
//! was loaded; it is served only while that version is unchanged. This node's own commits move the
//! counters before the commit returns, so its own writes are never hidden; another node's commits
//! move them when their notification arrives (the documented propagation bound). While a node may
//! be missing notifications every lookup loads.

use crate::{Changes, StoreError};
use std::collections::HashMap;
use std::sync::Mutex;

/// Values larger than this are not cached (they are rare and would crowd out the rest).
const MAX_VALUE: usize = 64 * 1024;
/// Bytes of values held before the cache starts over.
const MAX_BYTES: usize = 32 * 1024 * 1024;

struct Entry {
    version: u64,
    value: Option<Vec<u8>>,
}

#[derive(Default)]
struct Entries {
    map: HashMap<String, Entry>,
    /// Bytes of keys and values in `map`.
    bytes: usize,
}

/// Cached reads of `(table, key)`.
#[derive(Default)]
pub(crate) struct ReadCache {
    entries: Mutex<Entries>,
}

impl ReadCache {
    /// The value under `table/key`: from the cache while current, else from `load`.
    pub(crate) fn get(
        &self,
        changes: &Changes,
        table: &str,
        key: &str,
        load: impl FnOnce() -> Result<Option<Vec<u8>>, StoreError>,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        if !changes.in_sync() {
            return load();
        }
        let version = changes.version(&[table]);
        let mut id = String::with_capacity(table.len() + 1 + key.len());
        id.push_str(table);
        id.push('\0');
        id.push_str(key);
        if let Some(e) = self.lock().map.get(&id).filter(|e| e.version == version) {
            return Ok(e.value.clone());
        }
        let value = load()?;
        let size = value.as_ref().map_or(0, Vec::len);
        if size <= MAX_VALUE {
            let mut entries = self.lock();
            if entries.bytes + size + id.len() > MAX_BYTES {
                entries.map.clear();
                entries.bytes = 0;
            }
            let id_len = id.len();
            entries.bytes += size + id_len;
            if let Some(old) = entries.map.insert(id, Entry { version, value: value.clone() }) {
                entries.bytes -= old.value.as_ref().map_or(0, Vec::len) + id_len;
            }
        }
        Ok(value)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn serves_while_current_and_reloads_after_a_change_to_its_table() {
        let changes = Changes::new();
        let cache = ReadCache::default();
        let loads = Cell::new(0);
        let load = |v: &'static [u8]| {
            let loads = &loads;
            move || {
                loads.set(loads.get() + 1);
                Ok(Some(v.to_vec()))
            }
        };
        assert_eq!(cache.get(&changes, "iam", "u", load(b"1")).unwrap().unwrap(), b"1");
        assert_eq!(cache.get(&changes, "iam", "u", load(b"2")).unwrap().unwrap(), b"1");
        assert_eq!(loads.get(), 1);
        // Another table's change leaves the entry current (unless the two share a counter).
        if Changes::mask("kms") != Changes::mask("iam") {
            changes.bump_mask(Changes::mask("kms"));
            assert_eq!(cache.get(&changes, "iam", "u", load(b"2")).unwrap().unwrap(), b"1");
        }
        changes.bump_mask(Changes::mask("iam"));
        assert_eq!(cache.get(&changes, "iam", "u", load(b"2")).unwrap().unwrap(), b"2");
        // Out of sync: every lookup loads.
        changes.set_in_sync(false);
        let before = loads.get();
        cache.get(&changes, "iam", "u", load(b"3")).unwrap();
        cache.get(&changes, "iam", "u", load(b"3")).unwrap();
        assert_eq!(loads.get(), before + 2);
        // Back in sync, what was loaded meanwhile is not trusted.
        changes.set_in_sync(true);
        assert_eq!(cache.get(&changes, "iam", "u", load(b"4")).unwrap().unwrap(), b"4");
        // Absent keys are cached too, and errors are not.
        assert!(cache.get(&changes, "iam", "none", || Ok(None)).unwrap().is_none());
        assert!(cache.get(&changes, "iam", "none", load(b"5")).unwrap().is_none());
        assert!(cache.get(&changes, "iam", "bad", || Err(StoreError::Backend("x".into()))).is_err());
        assert_eq!(cache.get(&changes, "iam", "bad", load(b"6")).unwrap().unwrap(), b"6");
    }

    #[test]
    fn replacing_an_entry_keeps_the_byte_count_exact() {
        let changes = Changes::new();
        let cache = ReadCache::default();
        for _ in 0..100 {
            changes.bump_mask(Changes::mask("iam"));
            cache.get(&changes, "iam", "u", || Ok(Some(vec![0; 10]))).unwrap();
        }
        assert_eq!(cache.lock().bytes, "iam\0u".len() + 10);
    }

    #[test]
    fn a_load_that_overlaps_a_change_is_not_served_after_it() {
        let changes = Changes::new();
        let cache = ReadCache::default();
        // The change commits while the load is under way: the entry carries the version from
        // before, so the next lookup loads again.
        let v = cache
            .get(&changes, "iam", "u", || {
                changes.bump_mask(Changes::mask("iam"));
                Ok(Some(b"old".to_vec()))
            })
            .unwrap();
        assert_eq!(v.unwrap(), b"old");
        assert_eq!(cache.get(&changes, "iam", "u", || Ok(Some(b"new".to_vec()))).unwrap().unwrap(), b"new");
    }
}
