//! Data keys: `GenerateDataKey`, `GenerateDataKeyWithoutPlaintext`, `GenerateDataKeyPair`,
//! `GenerateDataKeyPairWithoutPlaintext`, and `GenerateRandom`.

use crate::Kms;
use crate::authz::Conditions;
use crate::error::{dry_run, invalid_key_usage, unsupported, validation};
use crate::input::{b64, encryption_context, opt_bool, opt_enum, opt_int, opt_str};
use crate::model::KeyRecord;
use crate::reply::JsonObject;
use rampart_core::AwsError;
use rampart_crypto::kms::{KeySpec, public};
use rampart_wire::Call;
use serde_json::{Value, json};
use std::borrow::Cow;

const PAIR_SPECS: &[&str] = &[
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "SM2",
    "ECC_NIST_EDWARDS25519",
];

/// `kms:DataKeyPairSpec`.
pub(crate) fn pair_conditions(input: &Value) -> Conditions {
    match opt_str(input, "KeyPairSpec").ok().flatten() {
        Some(s) => vec![("kms:DataKeyPairSpec".into(), vec![s.to_owned()])],
        None => vec![],
    }
}

/// The symmetric encryption key a data-key request names, checked usable.
fn wrapping_key<'c>(kms: &Kms, call: &'c Call, operation: &str) -> Result<Cow<'c, KeyRecord>, AwsError> {
    let input = call.json();
    let key = kms.key_for(call, "KeyId")?;
    crate::input::grant_tokens(input)?;
    if input.get("Recipient").is_some_and(|r| !r.is_null()) {
        return Err(validation("Recipient (Nitro Enclaves attestation) is not supported."));
    }
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

fn data_key_len(input: &Value) -> Result<usize, AwsError> {
    let bytes = opt_int(input, "NumberOfBytes", 1, 1024)?;
    let spec = opt_enum(input, "KeySpec", &["AES_256", "AES_128"])?;
    match (bytes, spec) {
        (Some(_), Some(_)) => Err(validation("Please specify either number of bytes or key spec, not both.")),
        (Some(n), None) => Ok(usize::try_from(n).unwrap_or(32)),
        (None, Some("AES_128")) => Ok(16),
        (None, Some(_)) => Ok(32),
        (None, None) => Err(validation("Please specify either number of bytes or key spec.")),
    }
}

fn generate(kms: &Kms, call: &Call, operation: &str, with_plaintext: bool) -> Result<Vec<u8>, AwsError> {
    let input = call.json();
    let key = wrapping_key(kms, call, operation)?;
    let context = encryption_context(input, "EncryptionContext")?;
    let len = data_key_len(input)?;
    if opt_bool(input, "DryRun")?.unwrap_or(false) {
        return Err(dry_run());
    }
    let plaintext = kms.random(None, len)?;
    let blob = kms.seal_blob(&key, &context, &plaintext)?;
    let out = JsonObject::with_capacity(256 + (blob.len() + plaintext.len()) * 4 / 3)
        .blob("CiphertextBlob", &blob)
        .str("KeyId", &key.arn)
        .opt_str("KeyMaterialId", key.current_material.as_deref());
    Ok(if with_plaintext { out.blob("Plaintext", &plaintext) } else { out }.finish())
}

/// `GenerateDataKey`.
pub(crate) fn generate_data_key(kms: &Kms, call: &Call) -> Result<Vec<u8>, AwsError> {
    generate(kms, call, "GenerateDataKey", true)
}

/// `GenerateDataKeyWithoutPlaintext`.
pub(crate) fn generate_data_key_without_plaintext(kms: &Kms, call: &Call) -> Result<Vec<u8>, AwsError> {
    generate(kms, call, "GenerateDataKeyWithoutPlaintext", false)
}

fn generate_pair(kms: &Kms, call: &Call, operation: &str, with_plaintext: bool) -> Result<Value, AwsError> {
    let input = call.json();
    let key = wrapping_key(kms, call, operation)?;
    let context = encryption_context(input, "EncryptionContext")?;
    let spec_name = opt_enum(input, "KeyPairSpec", PAIR_SPECS)?.ok_or_else(|| crate::error::missing("KeyPairSpec"))?;
    let spec = KeySpec::parse(spec_name)
        .filter(|s| s.is_asymmetric())
        .ok_or_else(|| unsupported(format!("KeyPairSpec {spec_name} is not supported.")))?;
    if opt_bool(input, "DryRun")?.unwrap_or(false) {
        return Err(dry_run());
    }
    let pair = public::generate_pair(spec).map_err(|e| crate::error::internal(e.to_string()))?;
    let blob = kms.seal_blob(&key, &context, &pair.private_pkcs8)?;
    let mut out = json!({
        "PrivateKeyCiphertextBlob": b64(&blob),
        "PublicKey": b64(&pair.public_spki),
        "KeyId": key.arn,
        "KeyPairSpec": spec_name,
    });
    if with_plaintext {
        out["PrivateKeyPlaintext"] = json!(b64(&pair.private_pkcs8));
    }
    if let Some(m) = &key.current_material {
        out["KeyMaterialId"] = json!(m);
    }
    Ok(out)
}

/// `GenerateDataKeyPair`.
pub(crate) fn generate_data_key_pair(kms: &Kms, call: &Call) -> Result<Value, AwsError> {
    generate_pair(kms, call, "GenerateDataKeyPair", true)
}

/// `GenerateDataKeyPairWithoutPlaintext`.
pub(crate) fn generate_data_key_pair_without_plaintext(kms: &Kms, call: &Call) -> Result<Value, AwsError> {
    generate_pair(kms, call, "GenerateDataKeyPairWithoutPlaintext", false)
}

/// `GenerateRandom`, from the token of a custom key store when one is named.
pub(crate) fn generate_random(kms: &Kms, call: &Call) -> Result<Value, AwsError> {
    let input = call.json();
    let n = opt_int(input, "NumberOfBytes", 1, 1024)?.ok_or_else(|| crate::error::missing("NumberOfBytes"))?;
    if input.get("Recipient").is_some_and(|r| !r.is_null()) {
        return Err(validation("Recipient (Nitro Enclaves attestation) is not supported."));
    }
    let cks = opt_str(input, "CustomKeyStoreId")?;
    if let Some(id) = cks {
        let caller = call.caller()?;
        kms.load_cks(id)?.filter(|c| c.account == caller.account_id.as_str()).ok_or_else(|| {
            AwsError::new("CustomKeyStoreNotFoundException", 400, format!("Custom key store {id} does not exist."))
        })?;
    }
    let bytes = kms.random(cks, usize::try_from(n).unwrap_or(32))?;
    Ok(json!({ "Plaintext": b64(&bytes) }))
}
