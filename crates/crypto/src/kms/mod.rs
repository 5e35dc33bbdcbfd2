//! KMS key material behind the keystore boundary.
//!
//! [`SoftwareVault`] keeps each KMS key's material sealed under a destroyable key-encryption key
//! of the [`crate::Keystore`] (itself sealed under the master key) and performs every operation
//! that needs the material here, zeroizing it afterwards. [`pkcs11::Pkcs11Token`] does the same
//! inside an HSM, where keys are generated sensitive and non-extractable. Public-key operations
//! (verification, RSA encryption) need no secret and are plain functions in [`public`].

pub mod gcm;
pub mod import;
pub mod pkcs11;
pub mod public;
mod software;
mod specs;

pub use software::{NewKey, SoftwareVault};
pub use specs::{EncryptionAlgorithm, KeySpec, KeyUsage, MacAlgorithm, MessageType, SigningAlgorithm};

use crate::KeystoreError;

/// Why a KMS key operation failed.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// Ciphertext, signature input or sealed material did not authenticate.
    #[error("ciphertext failed authentication")]
    Unauthentic,
    /// The key material was destroyed.
    #[error("key material was destroyed")]
    Destroyed,
    /// The keystore or HSM cannot be reached.
    #[error("keystore unavailable: {0}")]
    Unavailable(String),
    /// The input is not acceptable for this key or algorithm (AWS: ValidationException).
    #[error("{0}")]
    Invalid(String),
    /// The key spec or algorithm is not supported here.
    #[error("{0}")]
    Unsupported(String),
}

impl From<KeystoreError> for VaultError {
    fn from(e: KeystoreError) -> Self {
        match e {
            KeystoreError::Unauthentic => Self::Unauthentic,
            KeystoreError::Destroyed => Self::Destroyed,
            KeystoreError::Unavailable(m) => Self::Unavailable(m),
        }
    }
}

/// A message to sign or verify: the message itself, or its digest.
#[derive(Debug, Clone, Copy)]
pub enum SignInput<'a> {
    /// The message; it is hashed with the algorithm's hash.
    Raw(&'a [u8]),
    /// The message's digest, computed by the caller with the algorithm's hash.
    Digest(&'a [u8]),
}

/// Fresh random bytes from the operating system's generator.
pub fn random_bytes(n: usize) -> Result<zeroize::Zeroizing<Vec<u8>>, VaultError> {
    use aws_lc_rs::rand::{SecureRandom, SystemRandom};
    let mut out = zeroize::Zeroizing::new(vec![0u8; n]);
    SystemRandom::new().fill(&mut out).map_err(|_| VaultError::Unavailable("random number generator failed".into()))?;
    Ok(out)
}
