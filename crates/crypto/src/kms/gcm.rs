//! AES-256-GCM with caller-chosen nonces (always fresh random ones) and associated data.

use crate::KeystoreError;
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use zeroize::Zeroizing;

/// Length of the authentication tag.
pub const TAG_LEN: usize = 16;
/// Length of the nonce.
pub const NONCE_LEN: usize = 12;

fn key(k: &[u8]) -> Result<LessSafeKey, KeystoreError> {
    UnboundKey::new(&AES_256_GCM, k)
        .map(LessSafeKey::new)
        .map_err(|_| KeystoreError::Unavailable("invalid AES-256 key".into()))
}

/// Encrypts `plaintext` under the 256-bit key `k`; returns ciphertext followed by the tag.
pub fn seal(k: &[u8], nonce: &[u8; NONCE_LEN], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, KeystoreError> {
    seal_with(&key(k)?, nonce, aad, plaintext)
}

/// [`seal`] with a prepared key.
pub fn seal_with(
    k: &LessSafeKey,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, KeystoreError> {
    let mut buf = Vec::with_capacity(plaintext.len() + TAG_LEN);
    buf.extend_from_slice(plaintext);
    k.seal_in_place_append_tag(Nonce::assume_unique_for_key(*nonce), Aad::from(aad), &mut buf)
        .map_err(|_| KeystoreError::Unavailable("encryption failed".into()))?;
    Ok(buf)
}

/// Decrypts ciphertext-and-tag made by [`seal`].
pub fn open(k: &[u8], nonce: &[u8; NONCE_LEN], aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeystoreError> {
    open_with(&key(k)?, nonce, aad, sealed)
}

/// [`open`] with a prepared key.
pub fn open_with(
    k: &LessSafeKey,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, KeystoreError> {
    if sealed.len() < TAG_LEN {
        return Err(KeystoreError::Unauthentic);
    }
    let mut buf = Zeroizing::new(sealed.to_vec());
    let len = k
        .open_in_place(Nonce::assume_unique_for_key(*nonce), Aad::from(aad), &mut buf)
        .map_err(|_| KeystoreError::Unauthentic)?
        .len();
    buf.truncate(len);
    Ok(buf)
}
