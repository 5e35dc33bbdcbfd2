//! The software keystore: AES-256-GCM under a 256-bit master key kept in a 0600 file.

use crate::kms::gcm;
use crate::slots::{SlotTable, Slots};
use crate::{KekId, Keystore, KeystoreError};
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::sync::Arc;
use zeroize::Zeroizing;

/// Format tag of blobs sealed by this keystore (version 1: AES-256-GCM, 96-bit random nonce).
const MAGIC: &[u8; 4] = b"RSK1";
/// Format tag of blobs sealed under a destroyable key-encryption key.
const KEK_MAGIC: &[u8; 4] = b"RKK1";
const TAG_LEN: usize = 16;

/// A keystore whose master key is a file on local disk.
///
/// Its destroyable key-encryption keys ([`Keystore::create_kek`]) live in a second file beside
/// the master key (`master.slots` for `master.key`), each sealed under the master key.
pub struct SoftwareKeystore {
    key: LessSafeKey,
    rng: SystemRandom,
    slots: Slots,
}

impl SoftwareKeystore {
    /// Opens the master key at `path`, creating it (mode 0600) when it does not exist.
    ///
    /// Refuses a key file that group or others can read: a leaked master key exposes every
    /// secret in the store.
    pub fn open_or_create(path: &Path) -> Result<Self, KeystoreError> {
        let mut ks = Self::open_key(path)?;
        ks.slots = Slots::open_file(&path.with_extension("slots"))?;
        Ok(ks)
    }

    /// Like [`SoftwareKeystore::open_or_create`], with the destroyable keys' sealed records in
    /// `slots` instead of a file beside the master key: for nodes that share one database and
    /// must all reach every KMS key.
    pub fn open_with_slot_table(path: &Path, slots: Arc<dyn SlotTable>) -> Result<Self, KeystoreError> {
        let mut ks = Self::open_key(path)?;
        ks.slots = Slots::in_table(slots);
        Ok(ks)
    }

    /// The sealed records of the destroyable keys kept beside the master key at `path` (its
    /// `.slots` file), by slot index, for copying into a [`SlotTable`] when a data directory
    /// moves to a shared store. Destroyed slots are left out. The records stay sealed.
    pub fn slot_file_records(path: &Path) -> Result<Vec<(KekId, Vec<u8>)>, KeystoreError> {
        Slots::read_file(&path.with_extension("slots"))
    }

    fn open_key(path: &Path) -> Result<Self, KeystoreError> {
        let unavailable =
            |what: &str, e: std::io::Error| KeystoreError::Unavailable(format!("{what} {}: {e}", path.display()));
        let bytes: Zeroizing<Vec<u8>> = match fs::metadata(path) {
            Ok(meta) => {
                let mode = meta.permissions().mode() & 0o777;
                if mode & 0o077 != 0 {
                    return Err(KeystoreError::Unavailable(format!(
                        "master key {} has mode {mode:o}; it must be readable by its owner only (chmod 600)",
                        path.display()
                    )));
                }
                Zeroizing::new(fs::read(path).map_err(|e| unavailable("cannot read master key", e))?)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = Zeroizing::new(vec![0u8; 32]);
                SystemRandom::new()
                    .fill(&mut key)
                    .map_err(|_| KeystoreError::Unavailable("system random number generator failed".into()))?;
                let mut f = fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(path)
                    .map_err(|e| unavailable("cannot create master key", e))?;
                f.write_all(&key).and_then(|()| f.sync_all()).map_err(|e| unavailable("cannot write master key", e))?;
                tracing::info!(path = %path.display(), "created master key");
                key
            }
            Err(e) => return Err(unavailable("cannot stat master key", e)),
        };
        Self::from_key_bytes(&bytes)
    }

    /// A keystore over raw key bytes (32 bytes). Its destroyable keys are kept in memory only,
    /// so they do not outlive the process: for tests.
    pub fn from_key_bytes(bytes: &[u8]) -> Result<Self, KeystoreError> {
        if bytes.len() != 32 {
            return Err(KeystoreError::Unavailable(format!("master key must be 32 bytes, found {}", bytes.len())));
        }
        let unbound = UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| KeystoreError::Unavailable("bad key".into()))?;
        Ok(Self { key: LessSafeKey::new(unbound), rng: SystemRandom::new(), slots: Slots::in_memory() })
    }
}

impl Keystore for SoftwareKeystore {
    fn seal(&self, purpose: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, KeystoreError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).map_err(|_| KeystoreError::Unavailable("random number generator failed".into()))?;
        let mut out = Vec::with_capacity(MAGIC.len() + NONCE_LEN + plaintext.len() + TAG_LEN);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&nonce);
        let mut buf = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(purpose), &mut buf)
            .map_err(|_| KeystoreError::Unavailable("encryption failed".into()))?;
        out.extend_from_slice(&buf);
        buf.iter_mut().for_each(|b| *b = 0);
        Ok(out)
    }

    fn open(&self, purpose: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeystoreError> {
        if sealed.len() < MAGIC.len() + NONCE_LEN + TAG_LEN || &sealed[..MAGIC.len()] != MAGIC {
            return Err(KeystoreError::Unauthentic);
        }
        let nonce: [u8; NONCE_LEN] =
            sealed[MAGIC.len()..MAGIC.len() + NONCE_LEN].try_into().map_err(|_| KeystoreError::Unauthentic)?;
        let mut buf = Zeroizing::new(sealed[MAGIC.len() + NONCE_LEN..].to_vec());
        let len = self
            .key
            .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(purpose), &mut buf)
            .map_err(|_| KeystoreError::Unauthentic)?
            .len();
        buf.truncate(len);
        Ok(buf)
    }

    fn create_kek(&self) -> Result<KekId, KeystoreError> {
        self.slots.create(&self.key)
    }

    fn seal_with_kek(&self, kek: KekId, purpose: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, KeystoreError> {
        self.slots.with_kek(&self.key, kek, |k| {
            let mut nonce = [0u8; NONCE_LEN];
            self.rng
                .fill(&mut nonce)
                .map_err(|_| KeystoreError::Unavailable("random number generator failed".into()))?;
            let mut out = Vec::with_capacity(KEK_MAGIC.len() + NONCE_LEN + plaintext.len() + TAG_LEN);
            out.extend_from_slice(KEK_MAGIC);
            out.extend_from_slice(&nonce);
            out.extend_from_slice(&gcm::seal(k, &nonce, purpose, plaintext)?);
            Ok(out)
        })
    }

    fn open_with_kek(&self, kek: KekId, purpose: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeystoreError> {
        if sealed.len() < KEK_MAGIC.len() + NONCE_LEN + TAG_LEN || &sealed[..KEK_MAGIC.len()] != KEK_MAGIC {
            return Err(KeystoreError::Unauthentic);
        }
        let nonce: [u8; NONCE_LEN] =
            sealed[KEK_MAGIC.len()..KEK_MAGIC.len() + NONCE_LEN].try_into().map_err(|_| KeystoreError::Unauthentic)?;
        self.slots.with_kek(&self.key, kek, |k| gcm::open(k, &nonce, purpose, &sealed[KEK_MAGIC.len() + NONCE_LEN..]))
    }

    fn destroy_kek(&self, kek: KekId) -> Result<(), KeystoreError> {
        self.slots.destroy(kek)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_purpose_binding() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let ks = SoftwareKeystore::open_or_create(&path).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        let sealed = ks.seal(b"iam/access-key/AKIA1", b"secret").unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"secret"));
        assert_eq!(&ks.open(b"iam/access-key/AKIA1", &sealed).unwrap()[..], b"secret");
        assert!(matches!(ks.open(b"iam/access-key/AKIA2", &sealed), Err(KeystoreError::Unauthentic)));
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(matches!(ks.open(b"iam/access-key/AKIA1", &tampered), Err(KeystoreError::Unauthentic)));
        // The same file opens again with the same key.
        let again = SoftwareKeystore::open_or_create(&path).unwrap();
        assert_eq!(&again.open(b"iam/access-key/AKIA1", &sealed).unwrap()[..], b"secret");
    }

    #[test]
    fn destroyed_kek_never_opens_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let ks = SoftwareKeystore::open_or_create(&path).unwrap();
        let a = ks.create_kek().unwrap();
        let b = ks.create_kek().unwrap();
        assert_ne!(a, b);
        let sealed = ks.seal_with_kek(a, b"kms/key/1", b"material").unwrap();
        assert_eq!(&ks.open_with_kek(a, b"kms/key/1", &sealed).unwrap()[..], b"material");
        assert!(matches!(ks.open_with_kek(b, b"kms/key/1", &sealed), Err(KeystoreError::Unauthentic)));
        assert!(matches!(ks.open_with_kek(a, b"kms/key/2", &sealed), Err(KeystoreError::Unauthentic)));
        // Survives a restart.
        drop(ks);
        let ks = SoftwareKeystore::open_or_create(&path).unwrap();
        assert_eq!(&ks.open_with_kek(a, b"kms/key/1", &sealed).unwrap()[..], b"material");
        assert_eq!(fs::metadata(path.with_extension("slots")).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(SoftwareKeystore::slot_file_records(&path).unwrap().len(), 2);
        ks.destroy_kek(a).unwrap();
        assert!(matches!(ks.open_with_kek(a, b"kms/key/1", &sealed), Err(KeystoreError::Destroyed)));
        let live = SoftwareKeystore::slot_file_records(&path).unwrap();
        assert_eq!(live.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [b], "destroyed slots are not exported");
        drop(ks);
        let ks = SoftwareKeystore::open_or_create(&path).unwrap();
        assert!(matches!(ks.open_with_kek(a, b"kms/key/1", &sealed), Err(KeystoreError::Destroyed)));
        // The other slot is untouched.
        let s2 = ks.seal_with_kek(b, b"p", b"x").unwrap();
        assert_eq!(&ks.open_with_kek(b, b"p", &s2).unwrap()[..], b"x");
        ks.destroy_kek(a).unwrap();
    }

    /// A shared table, as a database would hold it.
    #[derive(Default)]
    struct MemoryTable(std::sync::Mutex<std::collections::HashMap<u64, Vec<u8>>>);

    impl SlotTable for MemoryTable {
        fn insert(&self, index: u64, record: &[u8]) -> Result<bool, KeystoreError> {
            let mut m = self.0.lock().unwrap();
            if m.contains_key(&index) {
                return Ok(false);
            }
            m.insert(index, record.to_vec());
            Ok(true)
        }
        fn get(&self, index: u64) -> Result<Option<Vec<u8>>, KeystoreError> {
            Ok(self.0.lock().unwrap().get(&index).cloned())
        }
        fn remove(&self, index: u64) -> Result<(), KeystoreError> {
            self.0.lock().unwrap().remove(&index);
            Ok(())
        }
    }

    #[test]
    fn nodes_sharing_a_slot_table_and_master_key_open_each_others_keks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let table: Arc<MemoryTable> = Arc::default();
        let a = SoftwareKeystore::open_with_slot_table(&path, table.clone()).unwrap();
        let b = SoftwareKeystore::open_with_slot_table(&path, table.clone()).unwrap();
        let kek = a.create_kek().unwrap();
        let sealed = a.seal_with_kek(kek, b"kms/key/1", b"material").unwrap();
        assert_eq!(&b.open_with_kek(kek, b"kms/key/1", &sealed).unwrap()[..], b"material");
        // The table holds only the KEK sealed under the master key.
        let record = table.get(kek).unwrap().unwrap();
        assert_eq!(record.len(), 64);
        assert!(!path.with_extension("slots").exists(), "no slot file beside the key");
        // Destroyed through one node, gone for a node that never opened it.
        a.destroy_kek(kek).unwrap();
        let c = SoftwareKeystore::open_with_slot_table(&path, table.clone()).unwrap();
        assert!(matches!(c.open_with_kek(kek, b"kms/key/1", &sealed), Err(KeystoreError::Destroyed)));
        // Another master key cannot open the records.
        let other = SoftwareKeystore::open_with_slot_table(&dir.path().join("other.key"), table.clone()).unwrap();
        let kek2 = a.create_kek().unwrap();
        assert!(matches!(
            other.open_with_kek(kek2, b"p", &a.seal_with_kek(kek2, b"p", b"x").unwrap()),
            Err(KeystoreError::Unauthentic)
        ));
    }

    #[test]
    fn refuses_world_readable_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        SoftwareKeystore::open_or_create(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(SoftwareKeystore::open_or_create(&path), Err(KeystoreError::Unavailable(_))));
    }
}
