//! Importing key material (`GetParametersForImport` / `ImportKeyMaterial`): RSA wrapping keys
//! whose private half is sealed by the keystore, and unwrapping straight into sealed material.

use super::public::{self, oaep};
use super::{EncryptionAlgorithm, KeySpec, NewKey, SoftwareVault, VaultError};
use crate::KekId;
use aws_lc_rs::key_wrap::{AES_256, KeyEncryptionKey, KeyWrapPadded};
use aws_lc_rs::rsa::{OaepPrivateDecryptingKey, PrivateDecryptingKey};
use zeroize::Zeroizing;

/// How imported key material is wrapped (`AlgorithmSpec` of `GetParametersForImport`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrappingAlgorithm {
    /// RSA-OAEP with SHA-1 over the material.
    RsaesOaepSha1,
    /// RSA-OAEP with SHA-256 over the material.
    RsaesOaepSha256,
    /// An ephemeral AES-256 key under RSA-OAEP with SHA-1, then the material under AES key wrap
    /// with padding (RFC 5649).
    RsaAesKeyWrapSha1,
    /// As [`WrappingAlgorithm::RsaAesKeyWrapSha1`] with SHA-256.
    RsaAesKeyWrapSha256,
}

impl WrappingAlgorithm {
    /// Parses the AWS name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "RSAES_OAEP_SHA_1" => Self::RsaesOaepSha1,
            "RSAES_OAEP_SHA_256" => Self::RsaesOaepSha256,
            "RSA_AES_KEY_WRAP_SHA_1" => Self::RsaAesKeyWrapSha1,
            "RSA_AES_KEY_WRAP_SHA_256" => Self::RsaAesKeyWrapSha256,
            _ => return None,
        })
    }

    /// The AWS name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RsaesOaepSha1 => "RSAES_OAEP_SHA_1",
            Self::RsaesOaepSha256 => "RSAES_OAEP_SHA_256",
            Self::RsaAesKeyWrapSha1 => "RSA_AES_KEY_WRAP_SHA_1",
            Self::RsaAesKeyWrapSha256 => "RSA_AES_KEY_WRAP_SHA_256",
        }
    }

    fn oaep(self) -> EncryptionAlgorithm {
        match self {
            Self::RsaesOaepSha1 | Self::RsaAesKeyWrapSha1 => EncryptionAlgorithm::RsaesOaepSha1,
            Self::RsaesOaepSha256 | Self::RsaAesKeyWrapSha256 => EncryptionAlgorithm::RsaesOaepSha256,
        }
    }
}

/// Imported material, sealed, with its fingerprint (the same material always gives the same
/// fingerprint for the same key, so a re-import can be recognized).
pub struct Imported {
    /// The sealed material and its public key.
    pub key: NewKey,
    /// SHA-256 over a domain tag, the key's identity and the material.
    pub fingerprint: [u8; 32],
}

fn rsa_oaep_decrypt(pkcs8: &[u8], alg: EncryptionAlgorithm, ct: &[u8]) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    let bad = || VaultError::Unavailable("the wrapping key does not parse".into());
    let key = PrivateDecryptingKey::from_pkcs8(pkcs8).map_err(|_| bad())?;
    let key = OaepPrivateDecryptingKey::new(key).map_err(|_| bad())?;
    if ct.len() != key.key_size_bytes() {
        return Err(VaultError::Unauthentic);
    }
    let mut out = Zeroizing::new(vec![0u8; key.min_output_size()]);
    let n = key.decrypt(oaep(alg)?, ct, &mut out, None).map_err(|_| VaultError::Unauthentic)?.len();
    out.truncate(n);
    Ok(out)
}

/// Unwraps `encrypted` with the PKCS#8 RSA private key `pkcs8`.
fn unwrap(pkcs8: &[u8], alg: WrappingAlgorithm, encrypted: &[u8]) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    match alg {
        WrappingAlgorithm::RsaesOaepSha1 | WrappingAlgorithm::RsaesOaepSha256 => {
            rsa_oaep_decrypt(pkcs8, alg.oaep(), encrypted)
        }
        WrappingAlgorithm::RsaAesKeyWrapSha1 | WrappingAlgorithm::RsaAesKeyWrapSha256 => {
            let rsa_len = PrivateDecryptingKey::from_pkcs8(pkcs8)
                .map_err(|_| VaultError::Unavailable("the wrapping key does not parse".into()))?
                .key_size_bytes();
            if encrypted.len() <= rsa_len + 8 {
                return Err(VaultError::Unauthentic);
            }
            let aes = rsa_oaep_decrypt(pkcs8, alg.oaep(), &encrypted[..rsa_len])?;
            if aes.len() != 32 {
                return Err(VaultError::Unauthentic);
            }
            let kek = KeyEncryptionKey::new(&AES_256, &aes).map_err(|_| VaultError::Unauthentic)?;
            let wrapped = &encrypted[rsa_len..];
            let mut out = Zeroizing::new(vec![0u8; wrapped.len()]);
            let n = kek.unwrap_with_padding(wrapped, &mut out).map_err(|_| VaultError::Unauthentic)?.len();
            out.truncate(n);
            Ok(out)
        }
    }
}

impl SoftwareVault {
    /// A new RSA wrapping key pair of `spec` for an import: the private key sealed for
    /// `purpose`, and the public key (DER `SubjectPublicKeyInfo`) to give the importer.
    pub fn new_wrapping_key(
        &self,
        keystore: &dyn crate::Keystore,
        spec: KeySpec,
        purpose: &[u8],
    ) -> Result<(Vec<u8>, Vec<u8>), VaultError> {
        if !spec.is_rsa() {
            return Err(VaultError::Unsupported(format!("{spec} is not a wrapping key spec")));
        }
        let pair = public::generate_pair(spec)?;
        Ok((keystore.seal(purpose, &pair.private_pkcs8)?, pair.public_spki))
    }

    /// Unwraps imported material with the sealed wrapping key, checks it fits `spec`, and seals
    /// it under the KMS key's KEK with `binding`. `identity` names the KMS key in the
    /// fingerprint.
    #[allow(clippy::too_many_arguments)]
    pub fn import_wrapped(
        &self,
        keystore: &dyn crate::Keystore,
        kek: KekId,
        binding: &[u8],
        identity: &[u8],
        spec: KeySpec,
        wrapping_sealed: &[u8],
        wrapping_purpose: &[u8],
        alg: WrappingAlgorithm,
        encrypted: &[u8],
    ) -> Result<Imported, VaultError> {
        let pkcs8 = keystore.open(wrapping_purpose, wrapping_sealed)?;
        let material = unwrap(&pkcs8, alg, encrypted)?;
        let key = self.import(kek, binding, spec, &material)?;
        let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        ctx.update(b"rampart/kms/imported-material\0");
        ctx.update(identity);
        ctx.update(b"\0");
        ctx.update(&material);
        let mut fingerprint = [0u8; 32];
        fingerprint.copy_from_slice(ctx.finish().as_ref());
        Ok(Imported { key, fingerprint })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Keystore, SoftwareKeystore};
    use std::sync::Arc;

    #[test]
    fn both_wrapping_families_import() {
        let ks: Arc<dyn Keystore> = Arc::new(SoftwareKeystore::from_key_bytes(&[9u8; 32]).unwrap());
        let v = SoftwareVault::new(Arc::clone(&ks));
        let kek = v.create_container().unwrap();
        let material = [0x42u8; 32];
        for alg in [
            WrappingAlgorithm::RsaesOaepSha1,
            WrappingAlgorithm::RsaesOaepSha256,
            WrappingAlgorithm::RsaAesKeyWrapSha1,
            WrappingAlgorithm::RsaAesKeyWrapSha256,
        ] {
            let (sealed, spki) = v.new_wrapping_key(ks.as_ref(), KeySpec::Rsa2048, b"wrap").unwrap();
            let encrypted = match alg {
                WrappingAlgorithm::RsaesOaepSha1 | WrappingAlgorithm::RsaesOaepSha256 => {
                    public::rsa_encrypt(&spki, alg.oaep(), &material).unwrap()
                }
                _ => {
                    let aes = [0x17u8; 32];
                    let mut out = public::rsa_encrypt(&spki, alg.oaep(), &aes).unwrap();
                    let kek = KeyEncryptionKey::new(&AES_256, &aes).unwrap();
                    let mut buf = vec![0u8; material.len() + 16];
                    let n = kek.wrap_with_padding(&material, &mut buf).unwrap().len();
                    out.extend_from_slice(&buf[..n]);
                    out
                }
            };
            let a = v
                .import_wrapped(
                    ks.as_ref(),
                    kek,
                    b"k",
                    b"id",
                    KeySpec::SymmetricDefault,
                    &sealed,
                    b"wrap",
                    alg,
                    &encrypted,
                )
                .unwrap();
            let b = v
                .import_wrapped(
                    ks.as_ref(),
                    kek,
                    b"k",
                    b"id",
                    KeySpec::SymmetricDefault,
                    &sealed,
                    b"wrap",
                    alg,
                    &encrypted,
                )
                .unwrap();
            assert_eq!(a.fingerprint, b.fingerprint);
            let (nonce, ct) = v.encrypt(kek, b"k", &a.key.sealed, b"", b"hi").unwrap();
            assert_eq!(&v.decrypt(kek, b"k", &b.key.sealed, &nonce, b"", &ct).unwrap()[..], b"hi");
            assert!(
                v.import_wrapped(
                    ks.as_ref(),
                    kek,
                    b"k",
                    b"id",
                    KeySpec::SymmetricDefault,
                    &sealed,
                    b"other",
                    alg,
                    &encrypted
                )
                .is_err()
            );
        }
    }
}
