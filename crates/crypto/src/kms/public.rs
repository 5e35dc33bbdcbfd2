//! Operations that need no secret: signature verification, RSA encryption with a public key,
//! and generation of key pairs handed out whole (data key pairs, import wrapping keys).

use super::{EncryptionAlgorithm, KeySpec, SignInput, SigningAlgorithm, VaultError};
use aws_lc_rs::digest::Digest;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeySize, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepAlgorithm, OaepPublicEncryptingKey};
use aws_lc_rs::signature::{self, EcdsaKeyPair, EcdsaSigningAlgorithm, KeyPair, UnparsedPublicKey};
use zeroize::Zeroizing;

/// A key pair: the private key as PKCS#8 DER (zeroized on drop) and the public key as DER
/// `SubjectPublicKeyInfo`.
pub struct GeneratedPair {
    /// PKCS#8 `PrivateKeyInfo`, DER.
    pub private_pkcs8: Zeroizing<Vec<u8>>,
    /// X.509 `SubjectPublicKeyInfo`, DER.
    pub public_spki: Vec<u8>,
}

pub(crate) fn ecdsa_signing(spec: KeySpec) -> Option<&'static EcdsaSigningAlgorithm> {
    Some(match spec {
        KeySpec::EccNistP256 => &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        KeySpec::EccNistP384 => &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
        KeySpec::EccNistP521 => &signature::ECDSA_P521_SHA512_ASN1_SIGNING,
        KeySpec::EccSecgP256k1 => &signature::ECDSA_P256K1_SHA256_ASN1_SIGNING,
        _ => return None,
    })
}

pub(crate) fn rsa_size(spec: KeySpec) -> Option<KeySize> {
    Some(match spec {
        KeySpec::Rsa2048 => KeySize::Rsa2048,
        KeySpec::Rsa3072 => KeySize::Rsa3072,
        KeySpec::Rsa4096 => KeySize::Rsa4096,
        _ => return None,
    })
}

fn failed(what: &str) -> VaultError {
    VaultError::Unavailable(format!("{what} failed"))
}

/// Generates an RSA or ECC key pair of `spec`.
pub fn generate_pair(spec: KeySpec) -> Result<GeneratedPair, VaultError> {
    if let Some(size) = rsa_size(spec) {
        let kp = aws_lc_rs::rsa::KeyPair::generate(size).map_err(|_| failed("RSA key generation"))?;
        let pkcs8 = kp.as_der().map_err(|_| failed("RSA key encoding"))?;
        let spki = kp.public_key().as_der().map_err(|_| failed("RSA key encoding"))?;
        return Ok(GeneratedPair {
            private_pkcs8: Zeroizing::new(pkcs8.as_ref().to_vec()),
            public_spki: spki.as_ref().to_vec(),
        });
    }
    if let Some(alg) = ecdsa_signing(spec) {
        let kp = EcdsaKeyPair::generate(alg).map_err(|_| failed("EC key generation"))?;
        let pkcs8 = kp.to_pkcs8v1().map_err(|_| failed("EC key encoding"))?;
        let spki = kp.public_key().as_der().map_err(|_| failed("EC key encoding"))?;
        return Ok(GeneratedPair {
            private_pkcs8: Zeroizing::new(pkcs8.as_ref().to_vec()),
            public_spki: spki.as_ref().to_vec(),
        });
    }
    Err(VaultError::Unsupported(format!("{spec} is not an asymmetric key spec")))
}

/// The public key (DER `SubjectPublicKeyInfo`) of a PKCS#8 private key, checked to be of `spec`.
pub fn public_key_of(spec: KeySpec, pkcs8: &[u8]) -> Result<Vec<u8>, VaultError> {
    let bad = || VaultError::Invalid(format!("the key material is not a {spec} private key"));
    if let Some(size) = rsa_size(spec) {
        let kp = aws_lc_rs::rsa::KeyPair::from_pkcs8(pkcs8).map_err(|_| bad())?;
        if kp.public_modulus_len() != size.len() {
            return Err(bad());
        }
        return Ok(kp.public_key().as_der().map_err(|_| bad())?.as_ref().to_vec());
    }
    if let Some(alg) = ecdsa_signing(spec) {
        let kp = EcdsaKeyPair::from_pkcs8(alg, pkcs8).map_err(|_| bad())?;
        return Ok(kp.public_key().as_der().map_err(|_| bad())?.as_ref().to_vec());
    }
    Err(bad())
}

pub(crate) fn oaep(alg: EncryptionAlgorithm) -> Result<&'static OaepAlgorithm, VaultError> {
    match alg {
        EncryptionAlgorithm::RsaesOaepSha1 => Ok(&OAEP_SHA1_MGF1SHA1),
        EncryptionAlgorithm::RsaesOaepSha256 => Ok(&OAEP_SHA256_MGF1SHA256),
        EncryptionAlgorithm::SymmetricDefault => {
            Err(VaultError::Invalid("SYMMETRIC_DEFAULT is not an RSA encryption algorithm".into()))
        }
    }
}

/// Encrypts `plaintext` with RSA-OAEP under the public key `spki`.
pub fn rsa_encrypt(spki: &[u8], alg: EncryptionAlgorithm, plaintext: &[u8]) -> Result<Vec<u8>, VaultError> {
    let oaep = oaep(alg)?;
    let bad = || VaultError::Invalid("the public key is not an RSA key".into());
    let key = aws_lc_rs::rsa::PublicEncryptingKey::from_der(spki).map_err(|_| bad())?;
    let key = OaepPublicEncryptingKey::new(key).map_err(|_| bad())?;
    let max = key.max_plaintext_size(oaep);
    if plaintext.len() > max {
        return Err(VaultError::Invalid(format!(
            "Plaintext is too long for {alg} with this key: at most {max} bytes, got {}.",
            plaintext.len()
        )));
    }
    let mut out = vec![0u8; key.ciphertext_size()];
    let n = key.encrypt(oaep, plaintext, &mut out, None).map_err(|_| failed("RSA encryption"))?.len();
    out.truncate(n);
    Ok(out)
}

fn verification(spec: KeySpec, alg: SigningAlgorithm) -> Option<&'static dyn signature::VerificationAlgorithm> {
    use SigningAlgorithm::*;
    Some(match (spec, alg) {
        (s, RsassaPssSha256) if s.is_rsa() => &signature::RSA_PSS_2048_8192_SHA256,
        (s, RsassaPssSha384) if s.is_rsa() => &signature::RSA_PSS_2048_8192_SHA384,
        (s, RsassaPssSha512) if s.is_rsa() => &signature::RSA_PSS_2048_8192_SHA512,
        (s, RsassaPkcs1V15Sha256) if s.is_rsa() => &signature::RSA_PKCS1_2048_8192_SHA256,
        (s, RsassaPkcs1V15Sha384) if s.is_rsa() => &signature::RSA_PKCS1_2048_8192_SHA384,
        (s, RsassaPkcs1V15Sha512) if s.is_rsa() => &signature::RSA_PKCS1_2048_8192_SHA512,
        (KeySpec::EccNistP256, EcdsaSha256) => &signature::ECDSA_P256_SHA256_ASN1,
        (KeySpec::EccSecgP256k1, EcdsaSha256) => &signature::ECDSA_P256K1_SHA256_ASN1,
        (KeySpec::EccNistP384, EcdsaSha384) => &signature::ECDSA_P384_SHA384_ASN1,
        (KeySpec::EccNistP521, EcdsaSha512) => &signature::ECDSA_P521_SHA512_ASN1,
        _ => return None,
    })
}

/// The digest of a `DIGEST` message, checked to have the algorithm's length.
pub(crate) fn imported_digest(alg: SigningAlgorithm, digest: &[u8]) -> Result<Digest, VaultError> {
    Digest::import_less_safe(digest, alg.digest())
        .map_err(|_| VaultError::Invalid(format!("Digest is invalid length for algorithm {alg}.")))
}

/// Whether `sig` is a valid signature by the public key `spki` (of `spec`) over `input`.
pub fn verify(
    spec: KeySpec,
    spki: &[u8],
    alg: SigningAlgorithm,
    input: SignInput<'_>,
    sig: &[u8],
) -> Result<bool, VaultError> {
    let v = verification(spec, alg)
        .ok_or_else(|| VaultError::Invalid(format!("Algorithm {alg} is incompatible with key spec {spec}.")))?;
    let key = UnparsedPublicKey::new(v, spki);
    Ok(match input {
        SignInput::Raw(m) => key.verify(m, sig).is_ok(),
        SignInput::Digest(d) => key.verify_digest(&imported_digest(alg, d)?, sig).is_ok(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_pairs_round_trip() {
        for spec in [KeySpec::EccNistP256, KeySpec::EccNistP384, KeySpec::EccNistP521, KeySpec::EccSecgP256k1] {
            let pair = generate_pair(spec).unwrap();
            assert_eq!(public_key_of(spec, &pair.private_pkcs8).unwrap(), pair.public_spki);
        }
        let pair = generate_pair(KeySpec::Rsa2048).unwrap();
        assert_eq!(public_key_of(KeySpec::Rsa2048, &pair.private_pkcs8).unwrap(), pair.public_spki);
        assert!(public_key_of(KeySpec::Rsa3072, &pair.private_pkcs8).is_err());
        assert!(public_key_of(KeySpec::EccNistP256, &pair.private_pkcs8).is_err());
    }
}
