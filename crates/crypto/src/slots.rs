//! Destroyable key-encryption keys: one random 256-bit key per slot of a file beside the master
//! key, each sealed under the master key. Destroying a slot overwrites it with zeros and syncs
//! the file, so whatever that KEK sealed (wherever copies of it went: store pages, journal,
//! backups) can never be opened again.

use crate::KeystoreError;
use crate::kms::gcm;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::Path;
use std::sync::{Mutex, RwLock};
use zeroize::Zeroizing;

const SLOT_LEN: u64 = 64;
const MAGIC: &[u8; 4] = b"RKS1";

/// A table of sealed slot records kept outside this crate (for example in a database that
/// several nodes share). Records are sealed under the master key before they get here; a
/// removed record is gone for every node.
pub trait SlotTable: Send + Sync + 'static {
    /// Stores `record` under `index` if that index is free; returns whether it was stored.
    fn insert(&self, index: u64, record: &[u8]) -> Result<bool, KeystoreError>;
    /// The record under `index`.
    fn get(&self, index: u64) -> Result<Option<Vec<u8>>, KeystoreError>;
    /// Removes the record under `index` (idempotent).
    fn remove(&self, index: u64) -> Result<(), KeystoreError>;
}

/// Where the slots live.
enum Backing {
    /// An external table; slot indexes are random, so nodes sharing the table never collide.
    Table(std::sync::Arc<dyn SlotTable>),
    /// A file, one 64-byte record per slot: magic, nonce, sealed key and tag; all zeros once
    /// destroyed.
    File(Mutex<File>),
    /// Memory only (keystores made from raw key bytes, for tests): sealed records by index.
    Memory(Mutex<Vec<[u8; SLOT_LEN as usize]>>),
}

/// The slots of one keystore.
pub(crate) struct Slots {
    backing: Backing,
    /// Opened KEKs, zeroized when dropped (on destroy or shutdown).
    cache: RwLock<HashMap<u64, Zeroizing<[u8; 32]>>>,
    rng: SystemRandom,
}

fn unavailable(what: &str, e: std::io::Error) -> KeystoreError {
    KeystoreError::Unavailable(format!("{what}: {e}"))
}

fn purpose(index: u64) -> Vec<u8> {
    let mut p = b"rampart/keystore/kek-slot/".to_vec();
    p.extend_from_slice(&index.to_be_bytes());
    p
}

impl Slots {
    /// Slots in the file at `path` (created 0600 when missing).
    pub(crate) fn open_file(path: &Path) -> Result<Self, KeystoreError> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(|e| unavailable(&format!("cannot open key slots {}", path.display()), e))?;
        Ok(Self { backing: Backing::File(Mutex::new(file)), cache: RwLock::default(), rng: SystemRandom::new() })
    }

    /// The live (not destroyed) sealed records of the slot file at `path`, by index: for
    /// moving a file-backed keystore's slots into a [`SlotTable`].
    pub(crate) fn read_file(path: &Path) -> Result<Vec<(u64, Vec<u8>)>, KeystoreError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => Zeroizing::new(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(unavailable(&format!("cannot read key slots {}", path.display()), e)),
        };
        Ok(bytes
            .chunks_exact(SLOT_LEN as usize)
            .enumerate()
            .filter(|(_, r)| &r[..4] == MAGIC)
            .map(|(i, r)| (i as u64, r.to_vec()))
            .collect())
    }

    /// Slots in an external table.
    pub(crate) fn in_table(table: std::sync::Arc<dyn SlotTable>) -> Self {
        Self { backing: Backing::Table(table), cache: RwLock::default(), rng: SystemRandom::new() }
    }

    /// Slots kept in memory only.
    pub(crate) fn in_memory() -> Self {
        Self { backing: Backing::Memory(Mutex::default()), cache: RwLock::default(), rng: SystemRandom::new() }
    }

    /// A new slot holding a fresh random KEK, sealed with `master`.
    pub(crate) fn create(&self, master: &aws_lc_rs::aead::LessSafeKey) -> Result<u64, KeystoreError> {
        let mut kek = Zeroizing::new([0u8; 32]);
        self.rng.fill(kek.as_mut()).map_err(|_| KeystoreError::Unavailable("random number generator failed".into()))?;
        let mut record = [0u8; SLOT_LEN as usize];
        let index = match &self.backing {
            Backing::File(f) => {
                let file = f.lock().unwrap_or_else(|p| p.into_inner());
                let len = file.metadata().map_err(|e| unavailable("cannot stat key slots", e))?.len();
                let index = len.div_ceil(SLOT_LEN);
                self.fill_record(master, index, &kek, &mut record)?;
                file.write_all_at(&record, index * SLOT_LEN)
                    .and_then(|()| file.sync_data())
                    .map_err(|e| unavailable("cannot write key slot", e))?;
                index
            }
            Backing::Table(table) => loop {
                let mut bytes = [0u8; 8];
                self.rng
                    .fill(&mut bytes)
                    .map_err(|_| KeystoreError::Unavailable("random number generator failed".into()))?;
                // 53 bits: exact in every JSON number, far from colliding.
                let index = u64::from_be_bytes(bytes) & ((1 << 53) - 1);
                self.fill_record(master, index, &kek, &mut record)?;
                if table.insert(index, &record)? {
                    break index;
                }
            },
            Backing::Memory(m) => {
                let mut v = m.lock().unwrap_or_else(|p| p.into_inner());
                let index = v.len() as u64;
                self.fill_record(master, index, &kek, &mut record)?;
                v.push(record);
                index
            }
        };
        self.cache.write().unwrap_or_else(|p| p.into_inner()).insert(index, kek);
        Ok(index)
    }

    fn fill_record(
        &self,
        master: &aws_lc_rs::aead::LessSafeKey,
        index: u64,
        kek: &[u8; 32],
        record: &mut [u8; SLOT_LEN as usize],
    ) -> Result<(), KeystoreError> {
        let mut nonce = [0u8; 12];
        self.rng.fill(&mut nonce).map_err(|_| KeystoreError::Unavailable("random number generator failed".into()))?;
        let sealed = gcm::seal_with(master, &nonce, &purpose(index), kek)?;
        record[..4].copy_from_slice(MAGIC);
        record[4..16].copy_from_slice(&nonce);
        record[16..].copy_from_slice(&sealed);
        Ok(())
    }

    /// Runs `f` with the KEK of slot `index`.
    pub(crate) fn with_kek<T>(
        &self,
        master: &aws_lc_rs::aead::LessSafeKey,
        index: u64,
        f: impl FnOnce(&[u8; 32]) -> Result<T, KeystoreError>,
    ) -> Result<T, KeystoreError> {
        if let Some(k) = self.cache.read().unwrap_or_else(|p| p.into_inner()).get(&index) {
            return f(k);
        }
        let mut record = [0u8; SLOT_LEN as usize];
        match &self.backing {
            Backing::File(file) => {
                let file = file.lock().unwrap_or_else(|p| p.into_inner());
                let len = file.metadata().map_err(|e| unavailable("cannot stat key slots", e))?.len();
                if (index + 1) * SLOT_LEN > len {
                    return Err(KeystoreError::Destroyed);
                }
                file.read_exact_at(&mut record, index * SLOT_LEN)
                    .map_err(|e| unavailable("cannot read key slot", e))?;
            }
            Backing::Table(table) => {
                let stored = table.get(index)?.ok_or(KeystoreError::Destroyed)?;
                record = stored.as_slice().try_into().map_err(|_| KeystoreError::Unauthentic)?;
            }
            Backing::Memory(m) => {
                let v = m.lock().unwrap_or_else(|p| p.into_inner());
                record = *v.get(usize::try_from(index).unwrap_or(usize::MAX)).ok_or(KeystoreError::Destroyed)?;
            }
        }
        if &record[..4] != MAGIC {
            return Err(KeystoreError::Destroyed);
        }
        let nonce: [u8; 12] = record[4..16].try_into().map_err(|_| KeystoreError::Unauthentic)?;
        let opened = gcm::open_with(master, &nonce, &purpose(index), &record[16..])?;
        let mut kek = Zeroizing::new([0u8; 32]);
        if opened.len() != 32 {
            return Err(KeystoreError::Unauthentic);
        }
        kek.copy_from_slice(&opened);
        let out = f(&kek);
        self.cache.write().unwrap_or_else(|p| p.into_inner()).insert(index, kek);
        out
    }

    /// Overwrites slot `index` with zeros and forgets its KEK.
    pub(crate) fn destroy(&self, index: u64) -> Result<(), KeystoreError> {
        let zeros = [0u8; SLOT_LEN as usize];
        match &self.backing {
            Backing::File(file) => {
                let file = file.lock().unwrap_or_else(|p| p.into_inner());
                let len = file.metadata().map_err(|e| unavailable("cannot stat key slots", e))?.len();
                if (index + 1) * SLOT_LEN <= len {
                    file.write_all_at(&zeros, index * SLOT_LEN)
                        .and_then(|()| file.sync_data())
                        .map_err(|e| unavailable("cannot destroy key slot", e))?;
                }
            }
            Backing::Table(table) => table.remove(index)?,
            Backing::Memory(m) => {
                let mut v = m.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(r) = v.get_mut(usize::try_from(index).unwrap_or(usize::MAX)) {
                    *r = zeros;
                }
            }
        }
        self.cache.write().unwrap_or_else(|p| p.into_inner()).remove(&index);
        Ok(())
    }
}
