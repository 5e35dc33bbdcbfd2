//! Data keys: `GenerateDataKey`, `GenerateDataKeyWithoutPlaintext`, `GenerateDataKeyPair`,
//! `GenerateDataKeyPairWithoutPlaintext`, and `GenerateRandom`.

use crate::Kms;
use crate::authz::Conditions;
use crate::error::{invalid_key_usage, unsupported, validation};
use crate::input::{EncryptionContext, opt_str};
use crate::model::KeyRecord;
use crate::shapes::kms::{
    GenerateDataKeyPairRequest, GenerateDataKeyPairResponse, GenerateDataKeyPairWithoutPlaintextRequest,
    GenerateDataKeyPairWithoutPlaintextResponse, GenerateDataKeyRequest, GenerateDataKeyResponse,
    GenerateDataKeyWithoutPlaintextRequest, GenerateDataKeyWithoutPlaintextResponse, GenerateRandomRequest,
    GenerateRandomResponse, RecipientInfo,
};
use crate::symmetric::{check_dry_run, check_recipient};
use rampart_core::AwsError;
use rampart_crypto::kms::{KeySpec, public};
use rampart_wire::Call;
use rampart_wire::model::{Blob, SecretBlob};
use serde_json::Value;
use std::borrow::Cow;

/// `kms:DataKeyPairSpec`.
pub(crate) fn pair_conditions(input: &Value) -> Conditions {
    match opt_str(input, "KeyPairSpec").ok().flatten() {
        Some(s) => vec![("kms:DataKeyPairSpec".into(), vec![s.to_owned()])],
        None => vec![],
    }
}

/// The symmetric encryption key a data-key request names, checked usable.
fn wrapping_key<'c>(
    kms: &Kms,
    call: &'c Call,
    key_id: &str,
    grant_tokens: Option<&[String]>,
    recipient: Option<&RecipientInfo>,
    operation: &str,
) -> Result<Cow<'c, KeyRecord>, AwsError> {
    let key = kms.key_for(call, "KeyId", key_id)?;
    crate::grants::check_tokens(grant_tokens)?;
    check_recipient(recipient)?;
    kms.check_usable(&key)?;
    kms.check_usage(&key, "ENCRYPT_DECRYPT", operation)?;
    if key.key_spec != "SYMMETRIC_DEFAULT" {
        return Err(invalid_key_usage(format!(
            "{} key spec is {}, which is not valid for {operation}; use a symmetric encryption KMS key.",
            key.arn, key.key_spec
        )));
    }
    Ok(key)
}

/// The length of the data key a request asks for: `NumberOfBytes` or `KeySpec`, exactly one.
fn data_key_len(bytes: Option<i32>, spec: Option<&str>) -> Result<usize, AwsError> {
    match (bytes, spec) {
        (Some(_), Some(_)) => Err(validation("Please specify either number of bytes or key spec, not both.")),
        (Some(n), None) => Ok(usize::try_from(n).unwrap_or(32)),
        (None, Some("AES_128")) => Ok(16),
        (None, Some(_)) => Ok(32),
        (None, None) => Err(validation("Please specify either number of bytes or key spec.")),
    }
}

/// A new data key under `key`: its plaintext and its ciphertext.
fn generate(
    kms: &Kms,
    key: &KeyRecord,
    context: &EncryptionContext,
    len: usize,
    dry_run: Option<bool>,
) -> Result<(SecretBlob, Blob), AwsError> {
    check_dry_run(dry_run)?;
    let plaintext = kms.random(None, len)?;
    let blob = kms.seal_blob(key, context, &plaintext)?;
    Ok((SecretBlob(plaintext), Blob(blob)))
}

/// `GenerateDataKey`.
pub(crate) fn generate_data_key(
    kms: &Kms,
    call: &Call,
    input: GenerateDataKeyRequest,
) -> Result<GenerateDataKeyResponse, AwsError> {
    let op = "GenerateDataKey";
    let key = wrapping_key(kms, call, &input.key_id, input.grant_tokens.as_deref(), input.recipient.as_ref(), op)?;
    let context = input.encryption_context.unwrap_or_default();
    let len = data_key_len(input.number_of_bytes, input.key_spec.as_deref())?;
    let (plaintext, blob) = generate(kms, &key, &context, len, input.dry_run)?;
    Ok(GenerateDataKeyResponse {
        ciphertext_blob: Some(blob),
        key_id: Some(key.arn.clone()),
        key_material_id: key.current_material.clone(),
        plaintext: Some(plaintext),
        ciphertext_for_recipient: None,
    })
}

/// `GenerateDataKeyWithoutPlaintext`.
pub(crate) fn generate_data_key_without_plaintext(
    kms: &Kms,
    call: &Call,
    input: GenerateDataKeyWithoutPlaintextRequest,
) -> Result<GenerateDataKeyWithoutPlaintextResponse, AwsError> {
    let op = "GenerateDataKeyWithoutPlaintext";
    let key = wrapping_key(kms, call, &input.key_id, input.grant_tokens.as_deref(), None, op)?;
    let context = input.encryption_context.unwrap_or_default();
    let len = data_key_len(input.number_of_bytes, input.key_spec.as_deref())?;
    let (_, blob) = generate(kms, &key, &context, len, input.dry_run)?;
    Ok(GenerateDataKeyWithoutPlaintextResponse {
        ciphertext_blob: Some(blob),
        key_id: Some(key.arn.clone()),
        key_material_id: key.current_material.clone(),
    })
}

/// A new data key pair of `spec_name`, its private key sealed under `key`.
fn generate_pair(
    kms: &Kms,
    key: &KeyRecord,
    context: &EncryptionContext,
    spec_name: &str,
    dry_run: Option<bool>,
) -> Result<(SecretBlob, Blob, Blob), AwsError> {
    let spec = KeySpec::parse(spec_name)
        .filter(|s| s.is_asymmetric())
        .ok_or_else(|| unsupported(format!("KeyPairSpec {spec_name} is not supported.")))?;
    check_dry_run(dry_run)?;
    let pair = public::generate_pair(spec).map_err(|e| crate::error::internal(e.to_string()))?;
    let blob = kms.seal_blob(key, context, &pair.private_pkcs8)?;
    Ok((SecretBlob(pair.private_pkcs8), Blob(blob), Blob(pair.public_spki)))
}

/// `GenerateDataKeyPair`.
pub(crate) fn generate_data_key_pair(
    kms: &Kms,
    call: &Call,
    input: GenerateDataKeyPairRequest,
) -> Result<GenerateDataKeyPairResponse, AwsError> {
    let op = "GenerateDataKeyPair";
    let key = wrapping_key(kms, call, &input.key_id, input.grant_tokens.as_deref(), input.recipient.as_ref(), op)?;
    let context = input.encryption_context.unwrap_or_default();
    let (private, blob, public) = generate_pair(kms, &key, &context, &input.key_pair_spec, input.dry_run)?;
    Ok(GenerateDataKeyPairResponse {
        private_key_ciphertext_blob: Some(blob),
        private_key_plaintext: Some(private),
        public_key: Some(public),
        key_id: Some(key.arn.clone()),
        key_pair_spec: Some(input.key_pair_spec),
        key_material_id: key.current_material.clone(),
        ciphertext_for_recipient: None,
    })
}

/// `GenerateDataKeyPairWithoutPlaintext`.
pub(crate) fn generate_data_key_pair_without_plaintext(
    kms: &Kms,
    call: &Call,
    input: GenerateDataKeyPairWithoutPlaintextRequest,
) -> Result<GenerateDataKeyPairWithoutPlaintextResponse, AwsError> {
    let op = "GenerateDataKeyPairWithoutPlaintext";
    let key = wrapping_key(kms, call, &input.key_id, input.grant_tokens.as_deref(), None, op)?;
    let context = input.encryption_context.unwrap_or_default();
    let (_, blob, public) = generate_pair(kms, &key, &context, &input.key_pair_spec, input.dry_run)?;
    Ok(GenerateDataKeyPairWithoutPlaintextResponse {
        private_key_ciphertext_blob: Some(blob),
        public_key: Some(public),
        key_id: Some(key.arn.clone()),
        key_pair_spec: Some(input.key_pair_spec),
        key_material_id: key.current_material.clone(),
    })
}

/// `GenerateRandom`, from the token of a custom key store when one is named.
pub(crate) fn generate_random(
    kms: &Kms,
    call: &Call,
    input: GenerateRandomRequest,
) -> Result<GenerateRandomResponse, AwsError> {
    let n = input.number_of_bytes.ok_or_else(|| crate::error::missing("NumberOfBytes"))?;
    check_recipient(input.recipient.as_ref())?;
    let cks = input.custom_key_store_id.as_deref();
    if let Some(id) = cks {
        let caller = call.caller()?;
        kms.load_cks(id)?.filter(|c| c.account == caller.account_id.as_str()).ok_or_else(|| {
            AwsError::new("CustomKeyStoreNotFoundException", 400, format!("Custom key store {id} does not exist."))
        })?;
    }
    let bytes = kms.random(cks, usize::try_from(n).unwrap_or(32))?;
    Ok(GenerateRandomResponse { plaintext: Some(SecretBlob(bytes)), ciphertext_for_recipient: None })
}
