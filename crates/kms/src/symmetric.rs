//! Encryption: `Encrypt`, `Decrypt`, `ReEncrypt` (symmetric keys and RSA keys).

use crate::Kms;
use crate::authz::Conditions;
use crate::backend::vault_error;
use crate::ciphertext;
use crate::error::{dry_run, invalid_ciphertext, invalid_key_usage, validation};
use crate::input::{EncryptionContext, b64, encryption_context, opt_bool, opt_enum, opt_str, req_blob, req_str};
use crate::model::KeyRecord;
use crate::reply::JsonObject;
use rampart_core::AwsError;
use rampart_crypto::kms::{EncryptionAlgorithm, KeyUsage, public};
use rampart_wire::Call;
use serde_json::{Value, json};
use zeroize::Zeroizing;

const ALGORITHMS: &[&str] = &["SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "SM2PKE"];

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

/// The algorithm a request names for `key`, checked against the key.
fn algorithm_for(kms: &Kms, key: &KeyRecord, input: &Value, field: &str) -> Result<EncryptionAlgorithm, AwsError> {
    let name = opt_enum(input, field, ALGORITHMS)?.unwrap_or("SYMMETRIC_DEFAULT");
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

fn check_recipient(input: &Value) -> Result<(), AwsError> {
    if input.get("Recipient").is_some_and(|r| !r.is_null()) {
        return Err(validation("Recipient (Nitro Enclaves attestation) is not supported."));
    }
    Ok(())
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
pub(crate) fn encrypt(kms: &Kms, call: &Call) -> Result<Vec<u8>, AwsError> {
    let input = call.json();
    let key = kms.key_for(call, "KeyId")?;
    let plaintext = req_blob(input, "Plaintext", 4096)?;
    let context = encryption_context(input, "EncryptionContext")?;
    crate::input::grant_tokens(input)?;
    kms.check_usable(&key)?;
    kms.check_usage(&key, "ENCRYPT_DECRYPT", "Encrypt")?;
    let alg = algorithm_for(kms, &key, input, "EncryptionAlgorithm")?;
    if opt_bool(input, "DryRun")?.unwrap_or(false) {
        return Err(dry_run());
    }
    let (blob, _) = kms.encrypt_under(&key, alg, &context, &plaintext)?;
    Ok(JsonObject::with_capacity(256 + blob.len() * 4 / 3)
        .blob("CiphertextBlob", &blob)
        .str("EncryptionAlgorithm", alg.as_str())
        .str("KeyId", &key.arn)
        .finish())
}

/// `Decrypt`: the key comes from the ciphertext (symmetric) or `KeyId` (RSA).
pub(crate) fn decrypt(kms: &Kms, call: &Call) -> Result<Vec<u8>, AwsError> {
    let input = call.json();
    let (blob, key) = kms.ciphertext_and_key(call, "CiphertextBlob", "KeyId")?;
    let context = encryption_context(input, "EncryptionContext")?;
    crate::input::grant_tokens(input)?;
    check_recipient(input)?;
    kms.check_usable(&key)?;
    kms.check_usage(&key, "ENCRYPT_DECRYPT", "Decrypt")?;
    let alg = algorithm_for(kms, &key, input, "EncryptionAlgorithm")?;
    if opt_bool(input, "DryRun")?.unwrap_or(false) {
        return Err(dry_run());
    }
    let (plaintext, material) = kms.decrypt_under(&key, alg, &context, &blob)?;
    Ok(JsonObject::with_capacity(256 + plaintext.len() * 4 / 3)
        .str("EncryptionAlgorithm", alg.as_str())
        .str("KeyId", &key.arn)
        .opt_str("KeyMaterialId", material.as_deref())
        .blob("Plaintext", &plaintext)
        .finish())
}

/// `ReEncrypt`: decrypts with the source key and encrypts under the destination key without
/// the plaintext leaving the service.
pub(crate) fn re_encrypt(kms: &Kms, call: &Call) -> Result<Value, AwsError> {
    let caller = call.caller()?;
    let input = call.json();
    let account = caller.account_id.as_str();
    let (blob, source) = kms.ciphertext_and_key(call, "CiphertextBlob", "SourceKeyId")?;
    let source_context = encryption_context(input, "SourceEncryptionContext")?;
    let dest_context = encryption_context(input, "DestinationEncryptionContext")?;
    crate::input::grant_tokens(input)?;
    let dest = kms.resolve(account, req_str(input, "DestinationKeyId", 2048)?)?;
    kms.check_usable(&source)?;
    kms.check_usage(&source, "ENCRYPT_DECRYPT", "ReEncrypt")?;
    kms.check_usable(&dest)?;
    kms.check_usage(&dest, "ENCRYPT_DECRYPT", "ReEncrypt")?;
    let source_alg = algorithm_for(kms, &source, input, "SourceEncryptionAlgorithm")?;
    let dest_alg = algorithm_for(kms, &dest, input, "DestinationEncryptionAlgorithm")?;
    if opt_bool(input, "DryRun")?.unwrap_or(false) {
        return Err(dry_run());
    }
    let (plaintext, source_material) = kms.decrypt_under(&source, source_alg, &source_context, &blob)?;
    let (out_blob, dest_material) = kms.encrypt_under(&dest, dest_alg, &dest_context, &plaintext)?;
    let mut out = json!({
        "CiphertextBlob": b64(&out_blob),
        "SourceKeyId": source.arn,
        "KeyId": dest.arn,
        "SourceEncryptionAlgorithm": source_alg.as_str(),
        "DestinationEncryptionAlgorithm": dest_alg.as_str(),
    });
    if let Some(m) = source_material {
        out["SourceKeyMaterialId"] = json!(m);
    }
    if let Some(m) = dest_material {
        out["DestinationKeyMaterialId"] = json!(m);
    }
    Ok(out)
}
