//! Signatures: `Sign`, `Verify`, `GetPublicKey`.

use crate::Kms;
use crate::authz::Conditions;
use crate::backend::vault_error;
use crate::error::{dry_run, invalid_key_usage, unsupported};
use crate::input::{b64, opt_bool, opt_enum, opt_str, req_blob, req_str, unb64};
use crate::model::KeyRecord;
use rampart_core::AwsError;
use rampart_crypto::kms::{KeyUsage, SignInput, SigningAlgorithm, public};
use rampart_wire::Call;
use serde_json::{Value, json};
use std::borrow::Cow;

const SIGNING_ALGORITHMS: &[&str] = &[
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
    "ECDSA_SHA_256",
    "ECDSA_SHA_384",
    "ECDSA_SHA_512",
    "SM2DSA",
    "ML_DSA_SHAKE_256",
    "ED25519_SHA_512",
    "ED25519_PH_SHA_512",
];

/// `kms:SigningAlgorithm` and `kms:MessageType`.
pub(crate) fn conditions(input: &Value) -> Conditions {
    let mut c = Vec::new();
    if let Some(a) = opt_str(input, "SigningAlgorithm").ok().flatten() {
        c.push(("kms:SigningAlgorithm".into(), vec![a.to_owned()]));
    }
    let t = opt_str(input, "MessageType").ok().flatten().unwrap_or("RAW");
    c.push(("kms:MessageType".into(), vec![t.to_owned()]));
    c
}

struct Request<'c> {
    key: Cow<'c, KeyRecord>,
    alg: SigningAlgorithm,
    message: zeroize::Zeroizing<Vec<u8>>,
    digest: bool,
}

fn parse<'c>(kms: &Kms, call: &'c Call, operation: &str) -> Result<Request<'c>, AwsError> {
    let input = call.json();
    let key = kms.key_for(call, "KeyId")?;
    let message = req_blob(input, "Message", 4096)?;
    let alg_name = opt_enum(input, "SigningAlgorithm", SIGNING_ALGORITHMS)?
        .ok_or_else(|| crate::error::missing("SigningAlgorithm"))?;
    let digest = match opt_enum(input, "MessageType", &["RAW", "DIGEST", "EXTERNAL_MU"])? {
        None | Some("RAW") => false,
        Some("DIGEST") => true,
        Some(_) => return Err(unsupported("MessageType EXTERNAL_MU is supported only for ML-DSA keys.")),
    };
    crate::input::grant_tokens(input)?;
    kms.check_usable(&key)?;
    kms.check_usage(&key, "SIGN_VERIFY", operation)?;
    let spec = kms.spec(&key)?;
    let alg = SigningAlgorithm::parse(alg_name)
        .filter(|a| spec.signing_algorithms(KeyUsage::SignVerify).contains(a))
        .ok_or_else(|| {
        invalid_key_usage(format!(
            "{} does not support the signing algorithm {alg_name} (its key spec is {spec}).",
            key.arn
        ))
    })?;
    if opt_bool(input, "DryRun")?.unwrap_or(false) {
        return Err(dry_run());
    }
    Ok(Request { key, alg, message, digest })
}

/// `Sign`.
pub(crate) fn sign(kms: &Kms, call: &Call) -> Result<Value, AwsError> {
    let r = parse(kms, call, "Sign")?;
    let spec = kms.spec(&r.key)?;
    let (kek, binding, sealed) = kms.software_material(&r.key)?;
    let input = if r.digest { SignInput::Digest(&r.message) } else { SignInput::Raw(&r.message) };
    let sig = kms.vault.sign(kek, &binding, &sealed, spec, r.alg, input).map_err(|e| vault_error(&r.key, e))?;
    Ok(json!({ "KeyId": r.key.arn, "Signature": b64(&sig), "SigningAlgorithm": r.alg.as_str() }))
}

/// `Verify`: an invalid signature is `KMSInvalidSignatureException`, as in AWS.
pub(crate) fn verify(kms: &Kms, call: &Call) -> Result<Value, AwsError> {
    let signature = req_blob(call.json(), "Signature", 6144)?;
    let r = parse(kms, call, "Verify")?;
    let spec = kms.spec(&r.key)?;
    let spki = unb64(r.key.public_key.as_deref().unwrap_or_default())?;
    let input = if r.digest { SignInput::Digest(&r.message) } else { SignInput::Raw(&r.message) };
    let valid = public::verify(spec, &spki, r.alg, input, &signature).map_err(|e| vault_error(&r.key, e))?;
    if !valid {
        return Err(AwsError::new("KMSInvalidSignatureException", 400, "The signature verification failed."));
    }
    Ok(json!({ "KeyId": r.key.arn, "SignatureValid": true, "SigningAlgorithm": r.alg.as_str() }))
}

/// `GetPublicKey`: the DER `SubjectPublicKeyInfo` of an asymmetric key.
pub(crate) fn get_public_key(kms: &Kms, call: &Call) -> Result<Value, AwsError> {
    let caller = call.caller()?;
    let input = call.json();
    let key = kms.resolve(caller.account_id.as_str(), req_str(input, "KeyId", 2048)?)?;
    crate::input::grant_tokens(input)?;
    let spec = kms.spec(&key)?;
    if !spec.is_asymmetric() {
        return Err(unsupported(format!("{} is not an asymmetric KMS key; it has no public key.", key.arn)));
    }
    kms.check_usable(&key)?;
    let usage = KeyUsage::parse(&key.key_usage).unwrap_or(KeyUsage::SignVerify);
    let mut out = json!({
        "KeyId": key.arn,
        "PublicKey": key.public_key,
        "CustomerMasterKeySpec": key.key_spec,
        "KeySpec": key.key_spec,
        "KeyUsage": key.key_usage,
    });
    let enc = spec.encryption_algorithms(usage);
    if !enc.is_empty() {
        out["EncryptionAlgorithms"] = json!(enc.iter().map(|a| a.as_str()).collect::<Vec<_>>());
    }
    let sig = spec.signing_algorithms(usage);
    if !sig.is_empty() {
        out["SigningAlgorithms"] = json!(sig.iter().map(|a| a.as_str()).collect::<Vec<_>>());
    }
    Ok(out)
}
