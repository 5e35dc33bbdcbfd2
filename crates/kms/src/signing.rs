//! Signatures: `Sign`, `Verify`, `GetPublicKey`.

use crate::Kms;
use crate::authz::Conditions;
use crate::backend::vault_error;
use crate::error::{invalid_key_usage, unsupported};
use crate::input::{opt_str, unb64};
use crate::model::KeyRecord;
use crate::shapes::kms::{
    GetPublicKeyRequest, GetPublicKeyResponse, SignRequest, SignResponse, VerifyRequest, VerifyResponse,
};
use crate::symmetric::check_dry_run;
use rampart_core::AwsError;
use rampart_crypto::kms::{KeyUsage, SignInput, SigningAlgorithm, public};
use rampart_wire::Call;
use rampart_wire::model::Blob;
use serde_json::Value;
use std::borrow::Cow;

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

/// What `Sign` and `Verify` share, checked against the key.
struct Request<'c> {
    key: Cow<'c, KeyRecord>,
    alg: SigningAlgorithm,
    digest: bool,
}

/// The parameters `Sign` and `Verify` share.
struct Params<'a> {
    key_id: &'a str,
    signing_algorithm: &'a str,
    message_type: Option<&'a str>,
    grant_tokens: Option<&'a [String]>,
    dry_run: Option<bool>,
}

fn parse<'c>(kms: &Kms, call: &'c Call, p: Params<'_>, operation: &str) -> Result<Request<'c>, AwsError> {
    let key = kms.key_for(call, "KeyId", p.key_id)?;
    let alg_name = p.signing_algorithm;
    let digest = match p.message_type {
        None | Some("RAW") => false,
        Some("DIGEST") => true,
        Some(_) => return Err(unsupported("MessageType EXTERNAL_MU is supported only for ML-DSA keys.")),
    };
    crate::grants::check_tokens(p.grant_tokens)?;
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
    check_dry_run(p.dry_run)?;
    Ok(Request { key, alg, digest })
}

/// `Sign`.
pub(crate) fn sign(kms: &Kms, call: &Call, input: SignRequest) -> Result<SignResponse, AwsError> {
    let p = Params {
        key_id: &input.key_id,
        signing_algorithm: &input.signing_algorithm,
        message_type: input.message_type.as_deref(),
        grant_tokens: input.grant_tokens.as_deref(),
        dry_run: input.dry_run,
    };
    let r = parse(kms, call, p, "Sign")?;
    let spec = kms.spec(&r.key)?;
    let (kek, binding, sealed) = kms.software_material(&r.key)?;
    let message = if r.digest { SignInput::Digest(&input.message) } else { SignInput::Raw(&input.message) };
    let sig = kms.vault.sign(kek, &binding, &sealed, spec, r.alg, message).map_err(|e| vault_error(&r.key, e))?;
    Ok(SignResponse {
        key_id: Some(r.key.arn.clone()),
        signature: Some(Blob(sig)),
        signing_algorithm: Some(r.alg.as_str().to_owned()),
    })
}

/// `Verify`: a signature that does not verify is an error, as in AWS.
pub(crate) fn verify(kms: &Kms, call: &Call, input: VerifyRequest) -> Result<VerifyResponse, AwsError> {
    let p = Params {
        key_id: &input.key_id,
        signing_algorithm: &input.signing_algorithm,
        message_type: input.message_type.as_deref(),
        grant_tokens: input.grant_tokens.as_deref(),
        dry_run: input.dry_run,
    };
    let r = parse(kms, call, p, "Verify")?;
    let spec = kms.spec(&r.key)?;
    let spki = unb64(r.key.public_key.as_deref().unwrap_or_default())?;
    let message = if r.digest { SignInput::Digest(&input.message) } else { SignInput::Raw(&input.message) };
    let valid = public::verify(spec, &spki, r.alg, message, &input.signature).map_err(|e| vault_error(&r.key, e))?;
    if !valid {
        return Err(AwsError::new("KMSInvalidSignatureException", 400, "The signature verification failed."));
    }
    Ok(VerifyResponse {
        key_id: Some(r.key.arn.clone()),
        signature_valid: Some(true),
        signing_algorithm: Some(r.alg.as_str().to_owned()),
    })
}

/// `GetPublicKey`.
pub(crate) fn get_public_key(
    kms: &Kms,
    call: &Call,
    input: GetPublicKeyRequest,
) -> Result<GetPublicKeyResponse, AwsError> {
    let caller = call.caller()?;
    let key = kms.resolve(caller.account_id.as_str(), &input.key_id)?;
    crate::grants::check_tokens(input.grant_tokens.as_deref())?;
    let spec = kms.spec(&key)?;
    if !spec.is_asymmetric() {
        return Err(unsupported(format!("{} is not an asymmetric KMS key; it has no public key.", key.arn)));
    }
    kms.check_usable(&key)?;
    let usage = KeyUsage::parse(&key.key_usage).unwrap_or(KeyUsage::SignVerify);
    let names = |v: Vec<&'static str>| (!v.is_empty()).then(|| v.into_iter().map(str::to_owned).collect());
    let public_key = key.public_key.as_deref().map(unb64).transpose()?.map(Blob);
    Ok(GetPublicKeyResponse {
        key_id: Some(key.arn.clone()),
        public_key,
        customer_master_key_spec: Some(key.key_spec.clone()),
        key_spec: Some(key.key_spec.clone()),
        key_usage: Some(key.key_usage.clone()),
        encryption_algorithms: names(spec.encryption_algorithms(usage).iter().map(|a| a.as_str()).collect()),
        signing_algorithms: names(spec.signing_algorithms(usage).iter().map(|a| a.as_str()).collect()),
        key_agreement_algorithms: None,
    })
}
