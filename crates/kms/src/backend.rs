//! Where a key's material lives and how an operation reaches it: the software vault or the
//! token of the key's custom key store.

use crate::Kms;
use crate::ciphertext::{self, Blob};
use crate::error::{internal, invalid_ciphertext, invalid_state, unsupported, validation};
use crate::input::{EncryptionContext, b64, unb64};
use crate::model::{CustomKeyStoreRecord, KeyRecord, Material, TABLE, cks_key};
use rampart_core::AwsError;
use rampart_crypto::kms::pkcs11::Pkcs11Token;
use rampart_crypto::kms::{KeySpec, VaultError};
use rampart_store::StoreExt;
use std::sync::Arc;
use zeroize::Zeroizing;

/// What binds sealed material to its key and version.
pub(crate) fn binding(key: &KeyRecord, material_id: &str) -> Vec<u8> {
    format!("rampart/kms/{}/{material_id}", key.arn).into_bytes()
}

/// A new random material id: 64 hex characters.
pub(crate) fn new_material_id() -> String {
    let mut b = [0u8; 32];
    rampart_core::ids::fill_random(&mut b);
    hex::encode(b)
}

/// Maps a vault failure of an operation on `key` to AWS's error.
pub(crate) fn vault_error(key: &KeyRecord, e: VaultError) -> AwsError {
    match e {
        VaultError::Unauthentic => invalid_ciphertext(),
        VaultError::Destroyed => invalid_state(format!("The key material of {} was destroyed.", key.arn)),
        VaultError::Unavailable(m) if key.custom_key_store_id.is_some() => {
            tracing::warn!(key = %key.arn, error = %m, "HSM operation failed");
            invalid_state(format!(
                "{} is unavailable. You cannot perform this operation on an unavailable KMS key.",
                key.arn
            ))
        }
        VaultError::Unavailable(m) => internal(m),
        VaultError::Invalid(m) => validation(m),
        VaultError::Unsupported(m) => unsupported(m),
    }
}

impl Kms {
    /// The key spec of `key`.
    pub(crate) fn spec(&self, key: &KeyRecord) -> Result<KeySpec, AwsError> {
        KeySpec::parse(&key.key_spec).ok_or_else(|| internal(format!("stored key spec {}", key.key_spec)))
    }

    /// The custom key store `id`.
    pub(crate) fn load_cks(&self, id: &str) -> Result<Option<CustomKeyStoreRecord>, AwsError> {
        Ok(self.store.get_json(TABLE, &cks_key(id))?)
    }

    /// Whether custom key store `id` is connected (reconnecting after a restart a store that
    /// was left connected).
    pub(crate) fn is_connected(&self, id: &str) -> Result<bool, AwsError> {
        Ok(self.token(id)?.is_some())
    }

    /// The open token of custom key store `id`, when it is connected. The store's record decides:
    /// a token opened here is used while the KMS state is unchanged, and re-checked against the
    /// record after any change, so a key store disconnected through another node is disconnected
    /// here too, and one connected elsewhere (or before a restart) is connected here on first use.
    pub(crate) fn token(&self, id: &str) -> Result<Option<Arc<Pkcs11Token>>, AwsError> {
        let generation = self.cache.generation();
        if let Some((g, t)) = self.tokens.lock().unwrap_or_else(|p| p.into_inner()).get(id)
            && *g == generation
        {
            return Ok(Some(Arc::clone(t)));
        }
        let connected = self.load_cks(id)?.filter(|cks| cks.state == "CONNECTED");
        let Some(cks) = connected else {
            if let Some((_, t)) = self.tokens.lock().unwrap_or_else(|p| p.into_inner()).remove(id) {
                t.disconnect();
            }
            return Ok(None);
        };
        if let Some((g, t)) = self.tokens.lock().unwrap_or_else(|p| p.into_inner()).get_mut(id) {
            *g = generation;
            return Ok(Some(Arc::clone(t)));
        }
        match self.open_token(&cks) {
            Ok(t) => {
                let t = Arc::new(t);
                self.tokens
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(id.to_owned(), (generation, Arc::clone(&t)));
                Ok(Some(t))
            }
            Err(e) => {
                tracing::warn!(custom_key_store = id, error = %e, "cannot connect custom key store");
                Ok(None)
            }
        }
    }

    /// Connects to the token of `cks`.
    pub(crate) fn open_token(
        &self,
        cks: &CustomKeyStoreRecord,
    ) -> Result<Pkcs11Token, rampart_crypto::kms::pkcs11::ConnectError> {
        use rampart_crypto::kms::pkcs11::ConnectError;
        let module = self
            .config
            .pkcs11_module
            .as_ref()
            .ok_or_else(|| ConnectError::Module("no PKCS#11 module is configured (--pkcs11-module)".into()))?;
        let sealed = unb64(&cks.pin_sealed).map_err(|_| ConnectError::Other("stored PIN is corrupt".into()))?;
        let pin = self
            .keystore
            .open(pin_purpose(&cks.id).as_bytes(), &sealed)
            .map_err(|e| ConnectError::Other(format!("cannot open the stored PIN: {e}")))?;
        let pin = std::str::from_utf8(&pin).map_err(|_| ConnectError::InvalidCredentials)?;
        Pkcs11Token::connect(module, &cks.cluster_id, pin)
    }

    fn token_for(&self, key: &KeyRecord) -> Result<Arc<Pkcs11Token>, AwsError> {
        let id = key.custom_key_store_id.as_deref().ok_or_else(|| internal("not an HSM key"))?;
        self.token(id)?.ok_or_else(|| {
            invalid_state(format!(
                "{} is unavailable. You cannot perform this operation on an unavailable KMS key.",
                key.arn
            ))
        })
    }

    /// New material for `key` (software: sealed under its KEK; HSM: generated in the token).
    pub(crate) fn new_material(
        &self,
        key: &KeyRecord,
        rotation_type: Option<&str>,
    ) -> Result<(Material, Option<Vec<u8>>), AwsError> {
        let id = new_material_id();
        let spec = self.spec(key)?;
        let now = self.now();
        let mut m = Material {
            id: id.clone(),
            sealed: None,
            hsm_object: None,
            created: now,
            rotation_type: rotation_type.map(str::to_owned),
        };
        if key.custom_key_store_id.is_some() {
            let name = format!("rampart-kms-{}-{}", key.key_id, &id[..16]);
            self.token_for(key)?.generate_aes_key(&name).map_err(|e| vault_error(key, e))?;
            m.hsm_object = Some(name);
            return Ok((m, None));
        }
        let kek = key.kek.ok_or_else(|| internal("software key without a KEK"))?;
        let new = self.vault.generate(kek, &binding(key, &id), spec).map_err(|e| vault_error(key, e))?;
        m.sealed = Some(b64(&new.sealed));
        Ok((m, new.public_key))
    }

    /// Encrypts `plaintext` with `key`'s current material into a ciphertext blob bound to
    /// `context`.
    pub(crate) fn seal_blob(
        &self,
        key: &KeyRecord,
        context: &EncryptionContext,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, AwsError> {
        let m = key.current().ok_or_else(|| invalid_state(format!("{} is pending import.", key.arn)))?;
        // The authenticated header holds the nonce, so it is drawn (fresh, from the OS CSPRNG)
        // before the backend encrypts.
        let mut nonce = [0u8; 12];
        rampart_core::ids::fill_random(&mut nonce);
        let header = ciphertext::header(&key.key_id, &m.id, &nonce)?;
        let aad = ciphertext::aad(&header, context);
        let sealed = if let Some(obj) = &m.hsm_object {
            self.token_for(key)?.encrypt_with_nonce(obj, &nonce, &aad, plaintext).map_err(|e| vault_error(key, e))?
        } else {
            let kek = key.kek.ok_or_else(|| internal("software key without a KEK"))?;
            let sealed_material = unb64(m.sealed.as_deref().unwrap_or_default())?;
            self.vault
                .encrypt_with_nonce(kek, &binding(key, &m.id), &sealed_material, &nonce, &aad, plaintext)
                .map_err(|e| vault_error(key, e))?
        };
        let mut out = header;
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Decrypts a parsed blob made by `key`.
    pub(crate) fn open_blob(
        &self,
        key: &KeyRecord,
        blob: &Blob<'_>,
        context: &EncryptionContext,
    ) -> Result<Zeroizing<Vec<u8>>, AwsError> {
        let m = key.material(&blob.material_id).ok_or_else(invalid_ciphertext)?;
        let aad = ciphertext::aad(blob.header, context);
        if let Some(obj) = &m.hsm_object {
            return self.token_for(key)?.decrypt(obj, &blob.nonce, &aad, blob.sealed).map_err(|e| vault_error(key, e));
        }
        let kek = key.kek.ok_or_else(|| internal("software key without a KEK"))?;
        let sealed_material = unb64(m.sealed.as_deref().unwrap_or_default())?;
        self.vault
            .decrypt(kek, &binding(key, &m.id), &sealed_material, &blob.nonce, &aad, blob.sealed)
            .map_err(|e| vault_error(key, e))
    }

    /// The sealed current material and KEK of a software key, for asymmetric and HMAC work.
    pub(crate) fn software_material(&self, key: &KeyRecord) -> Result<(u64, Vec<u8>, Vec<u8>), AwsError> {
        let m = key.current().ok_or_else(|| invalid_state(format!("{} is pending import.", key.arn)))?;
        let kek =
            key.kek.ok_or_else(|| unsupported("This operation is not supported for keys in a custom key store."))?;
        let sealed = unb64(m.sealed.as_deref().ok_or_else(|| internal("material without sealed bytes"))?)?;
        Ok((kek, binding(key, &m.id), sealed))
    }

    /// Random bytes, from the token of custom key store `cks` when given.
    pub(crate) fn random(&self, cks: Option<&str>, n: usize) -> Result<Zeroizing<Vec<u8>>, AwsError> {
        if let Some(id) = cks {
            let t = self.token(id)?.ok_or_else(|| {
                AwsError::new(
                    "CustomKeyStoreInvalidStateException",
                    400,
                    format!("Custom key store {id} is not connected."),
                )
            })?;
            return t.random(n).map_err(|e| internal(e.to_string()));
        }
        rampart_crypto::kms::random_bytes(n).map_err(|e| internal(e.to_string()))
    }
}

/// The keystore purpose the PIN of custom key store `id` is sealed for.
pub(crate) fn pin_purpose(id: &str) -> String {
    format!("rampart/kms/custom-key-store/{id}/pin")
}
