//! The keystore boundary: the only place root key material exists in plaintext.
//!
//! Everything Rampart keeps secret at rest (secret access keys today; KMS key material next) is
//! sealed by a [`Keystore`] before it reaches the store, and opened only for the length of the
//! operation that needs it. The software keystore keeps its master key in a file of its own
//! (mode 0600) beside the data; an HSM keystore (PKCS#11) keeps it in the token.

mod software;

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
}

/// Seals and opens secrets under a key that never leaves the keystore.
pub trait Keystore: Send + Sync + 'static {
    /// Encrypts `plaintext`, bound to `purpose` (authenticated but not encrypted): a blob sealed
    /// for one purpose cannot be opened for another, so stored secrets cannot be swapped.
    fn seal(&self, purpose: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, KeystoreError>;

    /// Decrypts a blob made by [`Keystore::seal`] for the same `purpose`.
    fn open(&self, purpose: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeystoreError>;
}
