//! Encryption: `Encrypt`, `Decrypt`, `ReEncrypt` (symmetric keys and RSA keys).

use crate::Kms;
use crate::authz::Conditions;
use crate::backend::vault_error;
use crate::ciphertext;
use crate::error::{dry_run as dry_run_error, invalid_ciphertext, invalid_key_usage, missing, validation};
use crate::input::{EncryptionContext, opt_str};
use crate::model::KeyRecord;
use crate::shapes::kms::{
    DecryptRequest, DecryptResponse, EncryptRequest, EncryptResponse, ReEncryptRequest, ReEncryptResponse,
    RecipientInfo,
};
use rampart_core::AwsError;
use rampart_crypto::kms::{EncryptionAlgorithm, KeyUsage, public};
use rampart_wire::Call;
use rampart_wire::model::{Blob, SecretBlob};
use serde_json::Value;
use zeroize::Zeroizing;

/// `kms:EncryptionAlgorithm` of `Encrypt` and `Decrypt`.
pub(crate) fn algorithm_conditions(input: &Value) -> Conditions {
    let alg = opt_str(input, "EncryptionAlgorithm").ok().flatten().unwrap_or("SYMMETRIC_DEFAULT");
    vec![("kms:EncryptionAlgorithm".into(), vec![alg.to_owned()])]
}

/// `kms:EncryptionAlgorithm` of `ReEncrypt` (source algorithm).
pub(crate) fn re_encrypt_conditions(input: &Value) -> Conditions {
    let alg = opt_str(input, "SourceEncryptionAlgorithm").ok().flatten().unwrap_or("SYMMETRIC_DEFAULT");
    vec![("kms:EncryptionAlgorithm".into(), vec![alg.to_owned()])]
}

/// The algorithm a request names (`None`: the default) for `key`, checked against the key.
fn algorithm_for(kms: &Kms, key: &KeyRecord, name: Option<&str>) -> Result<EncryptionAlgorithm, AwsError> {
    let name = name.unwrap_or("SYMMETRIC_DEFAULT");
    let spec = kms.spec(key)?;
    let alg =
        EncryptionAlgorithm::parse(name).filter(|a| spec.encryption_algorithms(KeyUsage::EncryptDecrypt).contains(a));
    alg.ok_or_else(|| {
        invalid_key_usage(format!(
            "{} does not support the encryption algorithm {name} (its key spec is {spec}).",
            key.arn
        ))
    })
}

/// Refuses a Nitro Enclaves `Recipient`.
pub(crate) fn check_recipient(recipient: Option<&RecipientInfo>) -> Result<(), AwsError> {
    if recipient.is_some() {
        return Err(validation("Recipient (Nitro Enclaves attestation) is not supported."));
    }
    Ok(())
}

/// Refuses a call whose `DryRun` is set: it would have succeeded.
pub(crate) fn check_dry_run(dry_run: Option<bool>) -> Result<(), AwsError> {
    if dry_run.unwrap_or(false) { Err(dry_run_error()) } else { Ok(()) }
}

impl Kms {
    /// Encrypts `plaintext` under `key` with `alg`; returns the ciphertext and, for symmetric
    /// keys, the material id used.
    pub(crate) fn encrypt_under(
        &self,
        key: &KeyRecord,
        alg: EncryptionAlgorithm,
        context: &EncryptionContext,
        plaintext: &[u8],
    ) -> Result<(Vec<u8>, Option<String>), AwsError> {
        if alg == EncryptionAlgorithm::SymmetricDefault {
            let blob = self.seal_blob(key, context, plaintext)?;
            return Ok((blob, key.current_material.clone()));
        }
        if !context.is_empty() {
            return Err(validation("Encryption context is not supported with asymmetric KMS keys."));
        }
        let spki = crate::input::unb64(key.public_key.as_deref().unwrap_or_default())?;
        Ok((public::rsa_encrypt(&spki, alg, plaintext).map_err(|e| vault_error(key, e))?, None))
    }

    /// Decrypts `blob` with `key` and `alg`; returns the plaintext and, for symmetric keys, the
    /// material id it was made with.
    pub(crate) fn decrypt_under(
        &self,
        key: &KeyRecord,
        alg: EncryptionAlgorithm,
        context: &EncryptionContext,
        blob: &[u8],
    ) -> Result<(Zeroizing<Vec<u8>>, Option<String>), AwsError> {
        if alg == EncryptionAlgorithm::SymmetricDefault {
            let parsed = ciphertext::parse(blob)?;
            if parsed.key_id != key.key_id {
                return Err(invalid_ciphertext());
            }
            let pt = self.open_blob(key, &parsed, context)?;
            return Ok((pt, Some(parsed.material_id)));
        }
        if !context.is_empty() {
            return Err(validation("Encryption context is not supported with asymmetric KMS keys."));
        }
        let (kek, binding, sealed) = self.software_material(key)?;
        let pt = self.vault.rsa_decrypt(kek, &binding, &sealed, alg, blob).map_err(|e| vault_error(key, e))?;
        Ok((pt, None))
    }
}

/// `Encrypt`.
pub(crate) fn encrypt(kms: &Kms, call: &Call, input: EncryptRequest) -> Result<EncryptResponse, AwsError> {
    let key = kms.key_for(call, "KeyId", &input.key_id)?;
    let context = input.encryption_context.unwrap_or_default();
    crate::grants::check_tokens(input.grant_tokens.as_deref())?;
    kms.check_usable(&key)?;
    kms.check_usage(&key, "ENCRYPT_DECRYPT", "Encrypt")?;
    let alg = algorithm_for(kms, &key, input.encryption_algorithm.as_deref())?;
    check_dry_run(input.dry_run)?;
    let (blob, _) = kms.encrypt_under(&key, alg, &context, &input.plaintext)?;
    Ok(EncryptResponse {
        ciphertext_blob: Some(Blob(blob)),
        encryption_algorithm: Some(alg.as_str().to_owned()),
        key_id: Some(key.arn.clone()),
    })
}

/// `Decrypt`: the key comes from the ciphertext (symmetric) or `KeyId` (RSA).
pub(crate) fn decrypt(kms: &Kms, call: &Call, input: DecryptRequest) -> Result<DecryptResponse, AwsError> {
    let blob = input.ciphertext_blob.as_deref().ok_or_else(|| missing("CiphertextBlob"))?;
    let key = kms.ciphertext_key(call, "KeyId", blob, input.key_id.as_deref())?;
    let context = input.encryption_context.unwrap_or_default();
    crate::grants::check_tokens(input.grant_tokens.as_deref())?;
    check_recipient(input.recipient.as_ref())?;
    kms.check_usable(&key)?;
    kms.check_usage(&key, "ENCRYPT_DECRYPT", "Decrypt")?;
    let alg = algorithm_for(kms, &key, input.encryption_algorithm.as_deref())?;
    check_dry_run(input.dry_run)?;
    let (plaintext, material) = kms.decrypt_under(&key, alg, &context, blob)?;
    Ok(DecryptResponse {
        encryption_algorithm: Some(alg.as_str().to_owned()),
        key_id: Some(key.arn.clone()),
        key_material_id: material,
        plaintext: Some(SecretBlob(plaintext)),
        ..DecryptResponse::default()
    })
}

/// `ReEncrypt`: decrypts with the source key and encrypts under the destination key without
/// the plaintext leaving the service.
pub(crate) fn re_encrypt(kms: &Kms, call: &Call, input: ReEncryptRequest) -> Result<ReEncryptResponse, AwsError> {
    let caller = call.caller()?;
    let account = caller.account_id.as_str();
    let blob = input.ciphertext_blob.as_deref().ok_or_else(|| missing("CiphertextBlob"))?;
    let source = kms.ciphertext_key(call, "SourceKeyId", blob, input.source_key_id.as_deref())?;
    let source_context = input.source_encryption_context.unwrap_or_default();
    let dest_context = input.destination_encryption_context.unwrap_or_default();
    crate::grants::check_tokens(input.grant_tokens.as_deref())?;
    let dest = kms.resolve(account, &input.destination_key_id)?;
    kms.check_usable(&source)?;
    kms.check_usage(&source, "ENCRYPT_DECRYPT", "ReEncrypt")?;
    kms.check_usable(&dest)?;
    kms.check_usage(&dest, "ENCRYPT_DECRYPT", "ReEncrypt")?;
    let source_alg = algorithm_for(kms, &source, input.source_encryption_algorithm.as_deref())?;
    let dest_alg = algorithm_for(kms, &dest, input.destination_encryption_algorithm.as_deref())?;
    check_dry_run(input.dry_run)?;
    let (plaintext, source_material) = kms.decrypt_under(&source, source_alg, &source_context, blob)?;
    let (out_blob, dest_material) = kms.encrypt_under(&dest, dest_alg, &dest_context, &plaintext)?;
    Ok(ReEncryptResponse {
        ciphertext_blob: Some(Blob(out_blob)),
        source_key_id: Some(source.arn.clone()),
        key_id: Some(dest.arn),
        source_encryption_algorithm: Some(source_alg.as_str().to_owned()),
        destination_encryption_algorithm: Some(dest_alg.as_str().to_owned()),
        source_key_material_id: source_material,
        destination_key_material_id: dest_material,
    })
}
