//! Change counters that tell caches when what they hold may be stale.
//!
//! Each table hashes to one of a fixed set of counters. A backend bumps a table's counter after
//! it commits a write to it; a shared backend also bumps it when another node reports a commit.
//! A cache reads [`Changes::version`] of the tables it depends on *before* reading the store and
//! keeps the value with what it read: the entry is current exactly while the version is the same.
//! Two tables sharing a counter only cause an extra reload, never a stale answer.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

const COUNTERS: usize = 32;
/// Versions handed out while out of sync live above every in-sync version.
const UNSYNCED_BASE: u64 = 1 << 62;

/// Per-table change counters of one store.
pub struct Changes {
    counters: [AtomicU64; COUNTERS],
    in_sync: AtomicBool,
    unsynced: AtomicU64,
}

impl Default for Changes {
    fn default() -> Self {
        Self::new()
    }
}

fn counter_of(table: &str) -> usize {
    // FNV-1a: stable and cheap for short table names.
    let mut h: u32 = 0x811c_9dc5;
    for b in table.bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    h as usize % COUNTERS
}

impl Changes {
    /// Counters that start in sync (a store no other node writes to).
    pub fn new() -> Self {
        Self {
            counters: std::array::from_fn(|_| AtomicU64::new(1)),
            in_sync: AtomicBool::new(true),
            unsynced: AtomicU64::new(0),
        }
    }

    /// A version of `tables`: a later call returns the same value only if none of them changed
    /// in between. While this node may be missing other nodes' changes (see
    /// [`Changes::set_in_sync`]) every call returns a value never returned before, so no cache
    /// entry is ever current.
    pub fn version(&self, tables: &[&str]) -> u64 {
        if !self.in_sync.load(Ordering::Acquire) {
            return UNSYNCED_BASE + self.unsynced.fetch_add(1, Ordering::Relaxed);
        }
        // Every counter only grows, so the sum is unchanged only if each counter is.
        tables.iter().map(|t| self.counters[counter_of(t)].load(Ordering::Acquire)).sum()
    }

    /// The set of counters `table` moves, as a bit mask (for [`Changes::bump_mask`]). Stable
    /// across processes, so nodes can report changes to each other as masks.
    pub fn mask(table: &str) -> u32 {
        1 << counter_of(table)
    }

    /// Records committed changes to the tables of `mask` (a union of [`Changes::mask`]s).
    pub fn bump_mask(&self, mask: u32) {
        for (i, c) in self.counters.iter().enumerate() {
            if mask & (1 << i) != 0 {
                c.fetch_add(1, Ordering::AcqRel);
            }
        }
    }

    /// Records that any table may have changed.
    pub fn bump_all(&self) {
        for c in &self.counters {
            c.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Marks whether this node is receiving every other node's change reports. Going back in
    /// sync first invalidates everything, since changes may have been missed meanwhile.
    pub fn set_in_sync(&self, in_sync: bool) {
        if in_sync {
            self.bump_all();
        }
        self.in_sync.store(in_sync, Ordering::Release);
    }

    /// Whether this node is receiving every other node's change reports.
    pub fn in_sync(&self) -> bool {
        self.in_sync.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_moves_with_its_tables_only_and_never_repeats_out_of_sync() {
        let c = Changes::new();
        let iam = c.version(&["iam", "access_keys"]);
        assert_eq!(c.version(&["iam", "access_keys"]), iam);
        c.bump_mask(Changes::mask("access_keys"));
        let after = c.version(&["iam", "access_keys"]);
        assert!(after > iam);
        let kms = c.version(&["kms"]);
        c.bump_mask(Changes::mask("kms"));
        assert_ne!(c.version(&["kms"]), kms);
        c.set_in_sync(false);
        let a = c.version(&["iam"]);
        let b = c.version(&["iam"]);
        assert_ne!(a, b);
        c.set_in_sync(true);
        let back = c.version(&["iam", "access_keys"]);
        assert!(back != a && back != b && back != after, "going back in sync invalidates everything");
    }
}
