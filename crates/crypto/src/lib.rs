//! The keystore boundary: the only place root key material exists in plaintext.
//!
//! Everything Rampart keeps secret at rest (secret access keys, KMS key material) is sealed by a
//! [`Keystore`] before it reaches the store, and opened only for the length of the operation
//! that needs it. The software keystore keeps its master key in a file of its own (mode 0600)
//! beside the data; an HSM keystore (PKCS#11) keeps keys in the token.
//!
//! KMS key material never leaves this crate: [`kms::SoftwareVault`] seals it under a destroyable
//! key-encryption key of the keystore and runs every operation on it here, and
//! [`kms::pkcs11::Pkcs11Token`] keeps it inside an HSM where it is generated non-extractable.
//! Callers above hand in opaque handles and get back ciphertexts, signatures and MACs; only data
//! keys (which the caller asked for) come out in plaintext.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod kms;
mod slots;
mod software;

pub use slots::SlotTable;
pub use software::SoftwareKeystore;

use zeroize::Zeroizing;

/// Why sealing or opening failed.
#[derive(Debug, thiserror::Error)]
pub enum KeystoreError {
    /// The sealed blob is not one this keystore made, was altered, or was sealed for another
    /// purpose.
    #[error("sealed data failed authentication (tampered, truncated, or sealed for another purpose)")]
    Unauthentic,
    /// The keystore cannot be used (file unreadable, wrong permissions, HSM unreachable).
    #[error("keystore unavailable: {0}")]
    Unavailable(String),
    /// The key-encryption key was destroyed: what it sealed can never be opened again.
    #[error("the key-encryption key was destroyed")]
    Destroyed,
}

/// Identifies a destroyable key-encryption key held by a [`Keystore`].
pub type KekId = u64;

/// Seals and opens secrets under a key that never leaves the keystore.
pub trait Keystore: Send + Sync + 'static {
    /// Encrypts `plaintext`, bound to `purpose` (authenticated but not encrypted): a blob sealed
    /// for one purpose cannot be opened for another, so stored secrets cannot be swapped.
    fn seal(&self, purpose: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, KeystoreError>;

    /// Decrypts a blob made by [`Keystore::seal`] for the same `purpose`.
    fn open(&self, purpose: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeystoreError>;

    /// Creates a fresh, random key-encryption key (KEK) that lives only inside the keystore and
    /// can be destroyed with [`Keystore::destroy_kek`] (crypto-shredding: once it is gone, every
    /// copy of what it sealed, in the store, its journal or a backup, is unreadable).
    fn create_kek(&self) -> Result<KekId, KeystoreError> {
        Err(KeystoreError::Unavailable("this keystore has no destroyable keys".into()))
    }

    /// Like [`Keystore::seal`], under the key-encryption key `kek`.
    fn seal_with_kek(&self, kek: KekId, purpose: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, KeystoreError> {
        let _ = (kek, purpose, plaintext);
        Err(KeystoreError::Unavailable("this keystore has no destroyable keys".into()))
    }

    /// Opens a blob made by [`Keystore::seal_with_kek`] with the same `kek` and `purpose`.
    fn open_with_kek(&self, kek: KekId, purpose: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeystoreError> {
        let _ = (kek, purpose, sealed);
        Err(KeystoreError::Unavailable("this keystore has no destroyable keys".into()))
    }

    /// Destroys `kek` for good. Idempotent.
    fn destroy_kek(&self, kek: KekId) -> Result<(), KeystoreError> {
        let _ = kek;
        Err(KeystoreError::Unavailable("this keystore has no destroyable keys".into()))
    }
}
