//! HMAC: `GenerateMac`, `VerifyMac` (compared in constant time).

use crate::Kms;
use crate::authz::Conditions;
use crate::backend::vault_error;
use crate::error::{dry_run, invalid_key_usage};
use crate::input::{b64, opt_bool, opt_enum, opt_str, req_blob};
use rampart_core::AwsError;
use rampart_crypto::kms::MacAlgorithm;
use rampart_wire::Call;
use serde_json::{Value, json};

const MAC_ALGORITHMS: &[&str] = &["HMAC_SHA_224", "HMAC_SHA_256", "HMAC_SHA_384", "HMAC_SHA_512"];

/// `kms:MacAlgorithm`.
pub(crate) fn conditions(input: &Value) -> Conditions {
    match opt_str(input, "MacAlgorithm").ok().flatten() {
        Some(a) => vec![("kms:MacAlgorithm".into(), vec![a.to_owned()])],
        None => vec![],
    }
}

fn mac(kms: &Kms, call: &Call, operation: &str, expected: Option<&[u8]>) -> Result<Value, AwsError> {
    let input = call.json();
    let message = req_blob(input, "Message", 4096)?;
    let key = kms.key_for(call, "KeyId")?;
    let alg_name =
        opt_enum(input, "MacAlgorithm", MAC_ALGORITHMS)?.ok_or_else(|| crate::error::missing("MacAlgorithm"))?;
    crate::input::grant_tokens(input)?;
    kms.check_usable(&key)?;
    kms.check_usage(&key, "GENERATE_VERIFY_MAC", operation)?;
    let spec = kms.spec(&key)?;
    let alg = MacAlgorithm::parse(alg_name).filter(|a| spec.mac_algorithms().contains(a)).ok_or_else(|| {
        invalid_key_usage(format!(
            "{} does not support the MAC algorithm {alg_name} (its key spec is {spec}).",
            key.arn
        ))
    })?;
    if opt_bool(input, "DryRun")?.unwrap_or(false) {
        return Err(dry_run());
    }
    let (kek, binding, sealed) = kms.software_material(&key)?;
    match expected {
        None => {
            let tag = kms.vault.mac(kek, &binding, &sealed, alg, &message).map_err(|e| vault_error(&key, e))?;
            Ok(json!({ "Mac": b64(&tag), "MacAlgorithm": alg.as_str(), "KeyId": key.arn }))
        }
        Some(tag) => {
            let ok =
                kms.vault.verify_mac(kek, &binding, &sealed, alg, &message, tag).map_err(|e| vault_error(&key, e))?;
            if !ok {
                return Err(AwsError::new("KMSInvalidMacException", 400, "The MAC verification failed."));
            }
            Ok(json!({ "KeyId": key.arn, "MacValid": true, "MacAlgorithm": alg.as_str() }))
        }
    }
}

/// `GenerateMac`.
pub(crate) fn generate_mac(kms: &Kms, call: &Call) -> Result<Value, AwsError> {
    mac(kms, call, "GenerateMac", None)
}

/// `VerifyMac`.
pub(crate) fn verify_mac(kms: &Kms, call: &Call) -> Result<Value, AwsError> {
    let tag = req_blob(call.json(), "Mac", 6144)?;
    mac(kms, call, "VerifyMac", Some(&tag))
}
