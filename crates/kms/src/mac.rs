//! HMAC: `GenerateMac`, `VerifyMac` (compared in constant time).

use crate::Kms;
use crate::authz::Conditions;
use crate::backend::vault_error;
use crate::error::invalid_key_usage;
use crate::input::opt_str;
use crate::shapes::kms::{GenerateMacRequest, GenerateMacResponse, VerifyMacRequest, VerifyMacResponse};
use crate::symmetric::check_dry_run;
use rampart_core::AwsError;
use rampart_crypto::kms::MacAlgorithm;
use rampart_wire::Call;
use rampart_wire::model::Blob;
use serde_json::Value;

/// `kms:MacAlgorithm`.
pub(crate) fn conditions(input: &Value) -> Conditions {
    match opt_str(input, "MacAlgorithm").ok().flatten() {
        Some(a) => vec![("kms:MacAlgorithm".into(), vec![a.to_owned()])],
        None => vec![],
    }
}

/// The parameters `GenerateMac` and `VerifyMac` share.
struct Params<'a> {
    key_id: &'a str,
    mac_algorithm: &'a str,
    message: &'a [u8],
    grant_tokens: Option<&'a [String]>,
    dry_run: Option<bool>,
}

/// The MAC of the message (`expected: None`), or whether it is `expected`; returns the key ARN,
/// the algorithm, and the MAC computed.
fn mac(
    kms: &Kms,
    call: &Call,
    p: Params<'_>,
    operation: &str,
    expected: Option<&[u8]>,
) -> Result<(String, &'static str, Option<Vec<u8>>), AwsError> {
    let key = kms.key_for(call, "KeyId", p.key_id)?;
    let alg_name = p.mac_algorithm;
    crate::grants::check_tokens(p.grant_tokens)?;
    kms.check_usable(&key)?;
    kms.check_usage(&key, "GENERATE_VERIFY_MAC", operation)?;
    let spec = kms.spec(&key)?;
    let alg = MacAlgorithm::parse(alg_name).filter(|a| spec.mac_algorithms().contains(a)).ok_or_else(|| {
        invalid_key_usage(format!(
            "{} does not support the MAC algorithm {alg_name} (its key spec is {spec}).",
            key.arn
        ))
    })?;
    check_dry_run(p.dry_run)?;
    let (kek, binding, sealed) = kms.software_material(&key)?;
    match expected {
        None => {
            let tag = kms.vault.mac(kek, &binding, &sealed, alg, p.message).map_err(|e| vault_error(&key, e))?;
            Ok((key.arn.clone(), alg.as_str(), Some(tag)))
        }
        Some(tag) => {
            let ok =
                kms.vault.verify_mac(kek, &binding, &sealed, alg, p.message, tag).map_err(|e| vault_error(&key, e))?;
            if !ok {
                return Err(AwsError::new("KMSInvalidMacException", 400, "The MAC verification failed."));
            }
            Ok((key.arn.clone(), alg.as_str(), None))
        }
    }
}

/// `GenerateMac`.
pub(crate) fn generate_mac(kms: &Kms, call: &Call, input: GenerateMacRequest) -> Result<GenerateMacResponse, AwsError> {
    let p = Params {
        key_id: &input.key_id,
        mac_algorithm: &input.mac_algorithm,
        message: &input.message,
        grant_tokens: input.grant_tokens.as_deref(),
        dry_run: input.dry_run,
    };
    let (arn, alg, tag) = mac(kms, call, p, "GenerateMac", None)?;
    Ok(GenerateMacResponse { mac: tag.map(Blob), mac_algorithm: Some(alg.to_owned()), key_id: Some(arn) })
}

/// `VerifyMac`: a MAC that does not verify is an error, as in AWS.
pub(crate) fn verify_mac(kms: &Kms, call: &Call, input: VerifyMacRequest) -> Result<VerifyMacResponse, AwsError> {
    let p = Params {
        key_id: &input.key_id,
        mac_algorithm: &input.mac_algorithm,
        message: &input.message,
        grant_tokens: input.grant_tokens.as_deref(),
        dry_run: input.dry_run,
    };
    let (arn, alg, _) = mac(kms, call, p, "VerifyMac", Some(&input.mac))?;
    Ok(VerifyMacResponse { key_id: Some(arn), mac_valid: Some(true), mac_algorithm: Some(alg.to_owned()) })
}
