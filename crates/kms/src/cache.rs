//! Decoded KMS state kept in memory between writes.
//!
//! Every KMS call resolves its key, the key's aliases and grants at least once (for the
//! authorization target, then for the handler). Reading and decoding those from the store on
//! each call dominated a call's cost. Entries carry the generation of KMS state they were read
//! at: the store's change counter of the KMS table, which moves after every committed KMS write
//! on this node or (with a shared store) any other, so a cached entry is only used while nothing
//! in KMS has changed.

use crate::model::{AliasRecord, GrantRecord, KeyRecord, TABLE};
use rampart_store::Store;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

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
pub(crate) struct Cache {
    store: Arc<dyn Store>,
    keys: Map<KeyRecord>,
    aliases: Map<Vec<AliasRecord>>,
    grants: Map<Vec<GrantRecord>>,
}

impl Cache {
    /// The current generation; read it before reading the store, so that a value read while a
    /// write commits is cached under the older generation and never served after it.
    pub(crate) fn generation(&self) -> u64 {
        self.store.changes().version(&[TABLE])
    }

    /// An empty cache of the KMS state in `store`.
    pub(crate) fn new(store: Arc<dyn Store>) -> Self {
        Self { store, keys: Map::default(), aliases: Map::default(), grants: Map::default() }
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
