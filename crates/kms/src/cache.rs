//! Decoded KMS state kept in memory between writes.
//!
//! Every KMS call resolves its key, the key's aliases and grants at least once (for the
//! authorization target, then for the handler). Reading and decoding those from the store on
//! each call dominated a call's cost. Entries carry the generation of KMS state they were read
//! at; every write bumps the generation (see [`crate::Kms::write`]), so a cached entry is only
//! used while nothing in KMS has changed.

use crate::model::{AliasRecord, GrantRecord, KeyRecord};
use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// Entries past this count are dropped wholesale rather than tracked.
const MAX_ENTRIES: usize = 50_000;

/// One cached value per id, with the generation it was read at.
struct Map<T>(RwLock<HashMap<String, (u64, T)>>);

impl<T> Default for Map<T> {
    fn default() -> Self {
        Self(RwLock::new(HashMap::new()))
    }
}

impl<T: Clone> Map<T> {
    fn get(&self, id: &str, generation: u64) -> Option<T> {
        let map = self.0.read().unwrap_or_else(|p| p.into_inner());
        map.get(id).filter(|(g, _)| *g == generation).map(|(_, v)| v.clone())
    }

    fn put(&self, id: &str, generation: u64, value: T) {
        let mut map = self.0.write().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(id.to_owned(), (generation, value));
    }
}

/// The cache of decoded keys, alias lists and grant lists.
#[derive(Default)]
pub(crate) struct Cache {
    generation: AtomicU64,
    keys: Map<KeyRecord>,
    aliases: Map<Vec<AliasRecord>>,
    grants: Map<Vec<GrantRecord>>,
}

impl Cache {
    /// The current generation; read it before reading the store, so that a value read while a
    /// write commits is cached under the older generation and never served after it.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Invalidates everything cached so far.
    pub(crate) fn bump(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn key(&self, id: &str, generation: u64) -> Option<KeyRecord> {
        self.keys.get(id, generation)
    }

    pub(crate) fn put_key(&self, id: &str, generation: u64, key: KeyRecord) {
        self.keys.put(id, generation, key);
    }

    pub(crate) fn aliases(&self, id: &str, generation: u64) -> Option<Vec<AliasRecord>> {
        self.aliases.get(id, generation)
    }

    pub(crate) fn put_aliases(&self, id: &str, generation: u64, aliases: Vec<AliasRecord>) {
        self.aliases.put(id, generation, aliases);
    }

    pub(crate) fn grants(&self, id: &str, generation: u64) -> Option<Vec<GrantRecord>> {
        self.grants.get(id, generation)
    }

    pub(crate) fn put_grants(&self, id: &str, generation: u64, grants: Vec<GrantRecord>) {
        self.grants.put(id, generation, grants);
    }
}
