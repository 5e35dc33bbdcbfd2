//! The software vault: KMS key material sealed under a destroyable key-encryption key of the
//! keystore, opened only inside the operation that needs it and zeroized afterwards.

use super::gcm::{self, NONCE_LEN};
use super::public::{self, ecdsa_signing, imported_digest, oaep};
use super::{KeySpec, MacAlgorithm, SignInput, SigningAlgorithm, VaultError, random_bytes};
use crate::{KekId, Keystore};
use aws_lc_rs::rsa::{OaepPrivateDecryptingKey, PrivateDecryptingKey};
use aws_lc_rs::signature::{self, EcdsaKeyPair, RsaKeyPair};
use std::sync::Arc;
use zeroize::Zeroizing;

/// Key material just created or imported: sealed, and its public key when asymmetric.
pub struct NewKey {
    /// The material sealed under the key's KEK, bound to its binding; safe to store.
    pub sealed: Vec<u8>,
    /// The DER `SubjectPublicKeyInfo` of an asymmetric key.
    pub public_key: Option<Vec<u8>>,
}

/// KMS key operations over material sealed by a [`Keystore`].
///
/// Every KMS key gets its own key-encryption key ([`SoftwareVault::create_container`]); each
/// version of its material is sealed under it with a *binding* (the key's ARN and the material
/// id) as associated data, so sealed material copied onto another key does not open, and
/// destroying the KEK ([`SoftwareVault::destroy_container`]) destroys every version at once.
#[derive(Clone)]
pub struct SoftwareVault {
    keystore: Arc<dyn Keystore>,
}

impl SoftwareVault {
    /// A vault over `keystore`.
    pub fn new(keystore: Arc<dyn Keystore>) -> Self {
        Self { keystore }
    }

    /// A new key-encryption key for one KMS key.
    pub fn create_container(&self) -> Result<KekId, VaultError> {
        Ok(self.keystore.create_kek()?)
    }

    /// Destroys a KMS key's KEK and with it every version of its material. Idempotent.
    pub fn destroy_container(&self, kek: KekId) -> Result<(), VaultError> {
        Ok(self.keystore.destroy_kek(kek)?)
    }

    fn open(&self, kek: KekId, binding: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        self.keystore.open_with_kek(kek, binding, sealed).map_err(|e| match e {
            // Sealed material that does not open is corruption or tampering, not a bad ciphertext.
            crate::KeystoreError::Unauthentic => VaultError::Unavailable("sealed key material is corrupt".into()),
            other => other.into(),
        })
    }

    /// Generates new material of `spec` and seals it.
    pub fn generate(&self, kek: KekId, binding: &[u8], spec: KeySpec) -> Result<NewKey, VaultError> {
        if let Some(len) = spec.secret_len() {
            let material = random_bytes(len)?;
            return Ok(NewKey { sealed: self.keystore.seal_with_kek(kek, binding, &material)?, public_key: None });
        }
        let pair = public::generate_pair(spec)?;
        Ok(NewKey {
            sealed: self.keystore.seal_with_kek(kek, binding, &pair.private_pkcs8)?,
            public_key: Some(pair.public_spki),
        })
    }

    /// Checks imported `material` for `spec` and seals it.
    ///
    /// Symmetric keys take exactly 32 bytes; HMAC keys the lengths AWS accepts for the spec;
    /// asymmetric keys a PKCS#8 DER private key of the spec.
    pub fn import(&self, kek: KekId, binding: &[u8], spec: KeySpec, material: &[u8]) -> Result<NewKey, VaultError> {
        let ok_len = match spec {
            KeySpec::SymmetricDefault => material.len() == 32,
            KeySpec::Hmac224 => (28..=64).contains(&material.len()),
            KeySpec::Hmac256 => (32..=64).contains(&material.len()),
            KeySpec::Hmac384 => (48..=128).contains(&material.len()),
            KeySpec::Hmac512 => (64..=128).contains(&material.len()),
            _ => true,
        };
        if !ok_len {
            return Err(VaultError::Invalid(format!("The key material is not valid for a {spec} key.")));
        }
        let public_key = if spec.is_asymmetric() { Some(public::public_key_of(spec, material)?) } else { None };
        Ok(NewKey { sealed: self.keystore.seal_with_kek(kek, binding, material)?, public_key })
    }

    /// Encrypts with a symmetric key under a fresh random nonce; returns the nonce and the
    /// ciphertext followed by its tag.
    pub fn encrypt(
        &self,
        kek: KekId,
        binding: &[u8],
        sealed: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<([u8; NONCE_LEN], Vec<u8>), VaultError> {
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&random_bytes(NONCE_LEN)?);
        Ok((nonce, self.encrypt_with_nonce(kek, binding, sealed, &nonce, aad, plaintext)?))
    }

    /// Encrypts with a symmetric key under `nonce`, which the caller must draw fresh from a
    /// CSPRNG for every call (it may need the nonce first, to authenticate a header holding it).
    pub fn encrypt_with_nonce(
        &self,
        kek: KekId,
        binding: &[u8],
        sealed: &[u8],
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, VaultError> {
        let key = self.open(kek, binding, sealed)?;
        Ok(gcm::seal(&key, nonce, aad, plaintext)?)
    }

    /// Decrypts what [`SoftwareVault::encrypt`] made. Fails with [`VaultError::Unauthentic`]
    /// when the ciphertext, nonce or associated data differ.
    pub fn decrypt(
        &self,
        kek: KekId,
        binding: &[u8],
        sealed: &[u8],
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let key = self.open(kek, binding, sealed)?;
        Ok(gcm::open(&key, nonce, aad, ciphertext)?)
    }

    /// Signs with an asymmetric key.
    #[allow(clippy::too_many_arguments)]
    pub fn sign(
        &self,
        kek: KekId,
        binding: &[u8],
        sealed: &[u8],
        spec: KeySpec,
        alg: SigningAlgorithm,
        input: SignInput<'_>,
    ) -> Result<Vec<u8>, VaultError> {
        if !spec.signing_algorithms(super::KeyUsage::SignVerify).contains(&alg) {
            return Err(VaultError::Invalid(format!("Algorithm {alg} is incompatible with key spec {spec}.")));
        }
        let pkcs8 = self.open(kek, binding, sealed)?;
        let corrupt = || VaultError::Unavailable("stored key material does not parse".into());
        if spec.is_rsa() {
            let kp = RsaKeyPair::from_pkcs8(&pkcs8).map_err(|_| corrupt())?;
            let encoding: &'static dyn signature::RsaEncoding = match alg {
                SigningAlgorithm::RsassaPssSha256 => &signature::RSA_PSS_SHA256,
                SigningAlgorithm::RsassaPssSha384 => &signature::RSA_PSS_SHA384,
                SigningAlgorithm::RsassaPssSha512 => &signature::RSA_PSS_SHA512,
                SigningAlgorithm::RsassaPkcs1V15Sha256 => &signature::RSA_PKCS1_SHA256,
                SigningAlgorithm::RsassaPkcs1V15Sha384 => &signature::RSA_PKCS1_SHA384,
                SigningAlgorithm::RsassaPkcs1V15Sha512 => &signature::RSA_PKCS1_SHA512,
                _ => return Err(VaultError::Invalid(format!("Algorithm {alg} is incompatible with key spec {spec}."))),
            };
            let mut sig = vec![0u8; kp.public_modulus_len()];
            let rng = aws_lc_rs::rand::SystemRandom::new();
            match input {
                SignInput::Raw(m) => kp.sign(encoding, &rng, m, &mut sig),
                SignInput::Digest(d) => kp.sign_digest(encoding, &imported_digest(alg, d)?, &mut sig),
            }
            .map_err(|_| VaultError::Unavailable("RSA signing failed".into()))?;
            return Ok(sig);
        }
        let ecdsa = ecdsa_signing(spec).ok_or_else(|| VaultError::Unsupported(format!("{spec} cannot sign")))?;
        let kp = EcdsaKeyPair::from_pkcs8(ecdsa, &pkcs8).map_err(|_| corrupt())?;
        let sig = match input {
            SignInput::Raw(m) => kp.sign(&aws_lc_rs::rand::SystemRandom::new(), m),
            SignInput::Digest(d) => kp.sign_digest(&imported_digest(alg, d)?),
        }
        .map_err(|_| VaultError::Unavailable("ECDSA signing failed".into()))?;
        Ok(sig.as_ref().to_vec())
    }

    /// Decrypts an RSA-OAEP ciphertext with an RSA key.
    pub fn rsa_decrypt(
        &self,
        kek: KekId,
        binding: &[u8],
        sealed: &[u8],
        alg: super::EncryptionAlgorithm,
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let oaep = oaep(alg)?;
        let pkcs8 = self.open(kek, binding, sealed)?;
        let key = PrivateDecryptingKey::from_pkcs8(&pkcs8)
            .map_err(|_| VaultError::Unavailable("stored key material does not parse".into()))?;
        let key = OaepPrivateDecryptingKey::new(key).map_err(|_| VaultError::Unavailable("RSA key rejected".into()))?;
        if ciphertext.len() != key.key_size_bytes() {
            return Err(VaultError::Unauthentic);
        }
        let mut out = Zeroizing::new(vec![0u8; key.min_output_size()]);
        let n = key.decrypt(oaep, ciphertext, &mut out, None).map_err(|_| VaultError::Unauthentic)?.len();
        out.truncate(n);
        Ok(out)
    }

    /// The HMAC of `message` with an HMAC key.
    pub fn mac(
        &self,
        kek: KekId,
        binding: &[u8],
        sealed: &[u8],
        alg: MacAlgorithm,
        message: &[u8],
    ) -> Result<Vec<u8>, VaultError> {
        let key = self.open(kek, binding, sealed)?;
        let k = aws_lc_rs::hmac::Key::new(alg.hmac(), &key);
        Ok(aws_lc_rs::hmac::sign(&k, message).as_ref().to_vec())
    }

    /// Whether `mac` is the HMAC of `message`, compared in constant time.
    pub fn verify_mac(
        &self,
        kek: KekId,
        binding: &[u8],
        sealed: &[u8],
        alg: MacAlgorithm,
        message: &[u8],
        mac: &[u8],
    ) -> Result<bool, VaultError> {
        let key = self.open(kek, binding, sealed)?;
        let k = aws_lc_rs::hmac::Key::new(alg.hmac(), &key);
        Ok(aws_lc_rs::hmac::verify(&k, message, mac).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SoftwareKeystore;
    use crate::kms::EncryptionAlgorithm;

    fn vault() -> SoftwareVault {
        SoftwareVault::new(Arc::new(SoftwareKeystore::from_key_bytes(&[7u8; 32]).unwrap()))
    }

    #[test]
    fn symmetric_round_trip_binding_and_destruction() {
        let v = vault();
        let kek = v.create_container().unwrap();
        let k = v.generate(kek, b"key-a/1", KeySpec::SymmetricDefault).unwrap();
        let (nonce, ct) = v.encrypt(kek, b"key-a/1", &k.sealed, b"ctx", b"hello").unwrap();
        assert_eq!(&v.decrypt(kek, b"key-a/1", &k.sealed, &nonce, b"ctx", &ct).unwrap()[..], b"hello");
        assert!(matches!(v.decrypt(kek, b"key-a/1", &k.sealed, &nonce, b"other", &ct), Err(VaultError::Unauthentic)));
        assert!(matches!(v.decrypt(kek, b"key-b/1", &k.sealed, &nonce, b"ctx", &ct), Err(VaultError::Unavailable(_))));
        let (nonce2, _) = v.encrypt(kek, b"key-a/1", &k.sealed, b"ctx", b"hello").unwrap();
        assert_ne!(nonce, nonce2, "fresh nonce per encryption");
        v.destroy_container(kek).unwrap();
        assert!(matches!(v.decrypt(kek, b"key-a/1", &k.sealed, &nonce, b"ctx", &ct), Err(VaultError::Destroyed)));
    }

    #[test]
    fn every_signing_algorithm_verifies() {
        let v = vault();
        let kek = v.create_container().unwrap();
        for spec in
            [KeySpec::Rsa2048, KeySpec::EccNistP256, KeySpec::EccNistP384, KeySpec::EccNistP521, KeySpec::EccSecgP256k1]
        {
            let k = v.generate(kek, spec.as_str().as_bytes(), spec).unwrap();
            let spki = k.public_key.clone().unwrap();
            for &alg in spec.signing_algorithms(crate::kms::KeyUsage::SignVerify) {
                let sig = v.sign(kek, spec.as_str().as_bytes(), &k.sealed, spec, alg, SignInput::Raw(b"msg")).unwrap();
                assert!(public::verify(spec, &spki, alg, SignInput::Raw(b"msg"), &sig).unwrap(), "{spec} {alg}");
                assert!(!public::verify(spec, &spki, alg, SignInput::Raw(b"msh"), &sig).unwrap());
                let d = aws_lc_rs::digest::digest(alg.digest(), b"msg");
                assert!(public::verify(spec, &spki, alg, SignInput::Digest(d.as_ref()), &sig).unwrap());
                let sig2 =
                    v.sign(kek, spec.as_str().as_bytes(), &k.sealed, spec, alg, SignInput::Digest(d.as_ref())).unwrap();
                assert!(public::verify(spec, &spki, alg, SignInput::Raw(b"msg"), &sig2).unwrap());
                assert!(matches!(
                    v.sign(kek, spec.as_str().as_bytes(), &k.sealed, spec, alg, SignInput::Digest(b"short")),
                    Err(VaultError::Invalid(_))
                ));
            }
        }
    }

    #[test]
    fn rsa_oaep_and_hmac() {
        let v = vault();
        let kek = v.create_container().unwrap();
        let k = v.generate(kek, b"r", KeySpec::Rsa2048).unwrap();
        for alg in [EncryptionAlgorithm::RsaesOaepSha1, EncryptionAlgorithm::RsaesOaepSha256] {
            let ct = public::rsa_encrypt(k.public_key.as_ref().unwrap(), alg, b"secret").unwrap();
            assert_eq!(&v.rsa_decrypt(kek, b"r", &k.sealed, alg, &ct).unwrap()[..], b"secret");
        }
        let ct = public::rsa_encrypt(k.public_key.as_ref().unwrap(), EncryptionAlgorithm::RsaesOaepSha1, b"x").unwrap();
        assert!(v.rsa_decrypt(kek, b"r", &k.sealed, EncryptionAlgorithm::RsaesOaepSha256, &ct).is_err());
        let h = v.generate(kek, b"h", KeySpec::Hmac384).unwrap();
        let mac = v.mac(kek, b"h", &h.sealed, MacAlgorithm::HmacSha384, b"m").unwrap();
        assert_eq!(mac.len(), 48);
        assert!(v.verify_mac(kek, b"h", &h.sealed, MacAlgorithm::HmacSha384, b"m", &mac).unwrap());
        assert!(!v.verify_mac(kek, b"h", &h.sealed, MacAlgorithm::HmacSha384, b"n", &mac).unwrap());
    }
}
