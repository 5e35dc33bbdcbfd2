//! Imported key material: `GetParametersForImport`, `ImportKeyMaterial`,
//! `DeleteImportedKeyMaterial`, and expiry of imported material.

use crate::Kms;
use crate::authz::Conditions;
use crate::backend::binding;
use crate::error::{internal, invalid_ciphertext, unsupported, validation};
use crate::input::{b64, opt_str, opt_time, timestamp, unb64};
use crate::model::{ImportParams, ImportedTerms, KeyRecord, KeyState, Material, TABLE, import_key};
use crate::shapes::kms::{
    DeleteImportedKeyMaterialRequest, DeleteImportedKeyMaterialResponse, GetParametersForImportRequest,
    GetParametersForImportResponse, ImportKeyMaterialRequest, ImportKeyMaterialResponse,
};
use rampart_core::AwsError;
use rampart_crypto::kms::VaultError;
use rampart_crypto::kms::import::WrappingAlgorithm;
use rampart_store::{StoreExt, TxnExt};
use rampart_wire::Call;
use rampart_wire::model::{Blob, SecretBlob, Timestamp};
use serde_json::Value;

const TOKEN_MAGIC: &[u8; 4] = b"RIT1";
/// How long import parameters stay valid.
const PARAMETERS_VALID_SECS: f64 = 86_400.0;
/// Imported material may be set to expire at most this far ahead.
const MAX_VALID_TO_SECS: f64 = 365.0 * 86_400.0;

fn invalid_token() -> AwsError {
    AwsError::new("InvalidImportTokenException", 400, "The import token is not valid for this KMS key.")
}

fn incorrect_material(msg: impl Into<String>) -> AwsError {
    AwsError::new("IncorrectKeyMaterialException", 400, msg)
}

/// `kms:WrappingAlgorithm` and `kms:WrappingKeySpec`.
pub(crate) fn parameter_conditions(input: &Value) -> Conditions {
    let mut c = Vec::new();
    if let Some(a) = opt_str(input, "WrappingAlgorithm").ok().flatten() {
        c.push(("kms:WrappingAlgorithm".into(), vec![a.to_owned()]));
    }
    if let Some(s) = opt_str(input, "WrappingKeySpec").ok().flatten() {
        c.push(("kms:WrappingKeySpec".into(), vec![s.to_owned()]));
    }
    c
}

/// `kms:ExpirationModel` and `kms:ValidTo`.
pub(crate) fn import_conditions(input: &Value) -> Conditions {
    let mut c = Vec::new();
    let valid_to = opt_time(input, "ValidTo").ok().flatten();
    let model = opt_str(input, "ExpirationModel").ok().flatten().map(str::to_owned).unwrap_or_else(|| {
        if valid_to.is_some() { "KEY_MATERIAL_EXPIRES".into() } else { "KEY_MATERIAL_DOES_NOT_EXPIRE".into() }
    });
    c.push(("kms:ExpirationModel".into(), vec![model]));
    if let Some(v) = valid_to {
        c.push(("kms:ValidTo".into(), vec![(v as i64).to_string()]));
    }
    c
}

fn purpose(key_id: &str, token_id: &str) -> String {
    format!("rampart/kms/import/{key_id}/{token_id}")
}

fn check_external(key: &KeyRecord) -> Result<(), AwsError> {
    if key.origin != "EXTERNAL" {
        return Err(unsupported(format!(
            "{} was not created for imported key material (its origin is {}).",
            key.arn, key.origin
        )));
    }
    if key.state == KeyState::PendingDeletion {
        return Err(crate::error::invalid_state(format!("{} is pending deletion.", key.arn)));
    }
    Ok(())
}

impl Kms {
    /// Destroys `key`'s imported material (deleted by request or expired): its KEK goes, the key
    /// waits for an import again.
    pub(crate) fn destroy_imported(&self, key: &KeyRecord) -> Result<KeyRecord, AwsError> {
        if let Some(kek) = key.kek {
            self.vault.destroy_container(kek).map_err(|e| internal(e.to_string()))?;
        }
        let (key, ()) = self.update_key(&key.key_id, |k| {
            k.kek = None;
            k.materials.clear();
            k.current_material = None;
            k.imported = None;
            if k.state != KeyState::PendingDeletion {
                k.state = KeyState::PendingImport;
            }
            Ok(())
        })?;
        Ok(key)
    }

    /// Expires imported material past its `ValidTo`.
    pub(crate) fn expire_if_due(&self, key: KeyRecord) -> Result<KeyRecord, AwsError> {
        let expired = key.imported.as_ref().and_then(|t| t.valid_to).is_some_and(|v| v <= self.now())
            && !key.materials.is_empty();
        if expired {
            tracing::info!(key = %key.arn, "imported key material expired; destroyed");
            self.destroy_imported(&key)
        } else {
            Ok(key)
        }
    }
}

/// `GetParametersForImport`: a fresh wrapping key and the token that names it.
pub(crate) fn get_parameters_for_import(
    kms: &Kms,
    call: &Call,
    input: GetParametersForImportRequest,
) -> Result<GetParametersForImportResponse, AwsError> {
    let caller = call.caller()?;
    let key = kms.resolve(caller.account_id.as_str(), &input.key_id)?;
    let alg_name = input.wrapping_algorithm.as_str();
    let spec_name = input.wrapping_key_spec.as_str();
    check_external(&key)?;
    let alg = WrappingAlgorithm::parse(alg_name)
        .ok_or_else(|| unsupported(format!("Wrapping algorithm {alg_name} is not supported.")))?;
    let spec = rampart_crypto::kms::KeySpec::parse(spec_name)
        .filter(|s| s.is_rsa())
        .ok_or_else(|| unsupported(format!("Wrapping key spec {spec_name} is not supported.")))?;
    let mut tid = [0u8; 16];
    rampart_core::ids::fill_random(&mut tid);
    let token_id = hex::encode(tid);
    let (sealed, public_key) = kms
        .vault
        .new_wrapping_key(kms.keystore.as_ref(), spec, purpose(&key.key_id, &token_id).as_bytes())
        .map_err(|e| internal(e.to_string()))?;
    let valid_to = kms.now() + PARAMETERS_VALID_SECS;
    let params = ImportParams {
        token_id: token_id.clone(),
        wrapping_sealed: b64(&sealed),
        algorithm: alg.as_str().into(),
        valid_to,
    };
    kms.write(|t| Ok(t.put_json(TABLE, &import_key(&key.key_id), &params)?))?;
    let mut token = Vec::new();
    token.extend_from_slice(TOKEN_MAGIC);
    token.push(key.key_id.len() as u8);
    token.extend_from_slice(key.key_id.as_bytes());
    token.extend_from_slice(&tid);
    Ok(GetParametersForImportResponse {
        key_id: Some(key.arn.clone()),
        import_token: Some(Blob(token)),
        public_key: Some(SecretBlob::from(public_key)),
        parameters_valid_to: Some(timestamp(valid_to)),
    })
}

fn parse_token(token: &[u8]) -> Result<(String, String), AwsError> {
    if token.len() < 5 || &token[..4] != TOKEN_MAGIC {
        return Err(invalid_token());
    }
    let n = usize::from(token[4]);
    if token.len() != 5 + n + 16 {
        return Err(invalid_token());
    }
    let key_id = std::str::from_utf8(&token[5..5 + n]).map_err(|_| invalid_token())?.to_owned();
    Ok((key_id, hex::encode(&token[5 + n..])))
}

/// `ImportKeyMaterial`.
pub(crate) fn import_key_material(
    kms: &Kms,
    call: &Call,
    input: ImportKeyMaterialRequest,
) -> Result<ImportKeyMaterialResponse, AwsError> {
    let caller = call.caller()?;
    let key = kms.resolve(caller.account_id.as_str(), &input.key_id)?;
    let token = &input.import_token;
    let encrypted = &input.encrypted_key_material;
    let valid_to = input.valid_to.map(Timestamp::secs_f64);
    let model = match input.expiration_model.as_deref() {
        Some(m) => m,
        None if valid_to.is_some() => "KEY_MATERIAL_EXPIRES",
        None => "KEY_MATERIAL_DOES_NOT_EXPIRE",
    };
    if input.import_type.as_deref() == Some("NEW_KEY_MATERIAL") && key.import_fingerprint.is_some() {
        return Err(unsupported(
            "Importing new key material into a key that already has key material is not supported.",
        ));
    }
    let now = kms.now();
    match (model, valid_to) {
        ("KEY_MATERIAL_EXPIRES", None) => {
            return Err(validation("A ValidTo date is required when the ExpirationModel is KEY_MATERIAL_EXPIRES."));
        }
        ("KEY_MATERIAL_DOES_NOT_EXPIRE", Some(_)) => {
            return Err(validation(
                "ValidTo must not be set when the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE.",
            ));
        }
        (_, Some(v)) if v <= now || v > now + MAX_VALID_TO_SECS => {
            return Err(validation("ValidTo must be in the future and at most 365 days from now."));
        }
        _ => {}
    }
    check_external(&key)?;
    let (token_key, token_id) = parse_token(token)?;
    if token_key != key.key_id {
        return Err(invalid_token());
    }
    let params: ImportParams = kms.store.get_json(TABLE, &import_key(&key.key_id))?.ok_or_else(invalid_token)?;
    if params.token_id != token_id {
        return Err(invalid_token());
    }
    if params.valid_to <= now {
        return Err(AwsError::new(
            "ExpiredImportTokenException",
            400,
            "The import token has expired; call GetParametersForImport again.",
        ));
    }
    let alg = WrappingAlgorithm::parse(&params.algorithm).ok_or_else(|| internal("stored wrapping algorithm"))?;
    let spec = kms.spec(&key)?;
    // A fresh KEK when the key has none (first import, or after its material was deleted).
    let kek = match key.kek {
        Some(k) => k,
        None => kms.vault.create_container().map_err(|e| internal(e.to_string()))?,
    };
    // The material id is derived from the material, so that the binding is known before
    // sealing: seal under a provisional binding, learn the fingerprint, then seal for real.
    let sealed_wrapping = unb64(&params.wrapping_sealed)?;
    let wrap_purpose = purpose(&key.key_id, &token_id);
    let import = |bind: &[u8]| {
        kms.vault.import_wrapped(
            kms.keystore.as_ref(),
            kek,
            bind,
            key.arn.as_bytes(),
            spec,
            &sealed_wrapping,
            wrap_purpose.as_bytes(),
            alg,
            encrypted,
        )
    };
    let map = |e: VaultError| match e {
        VaultError::Unauthentic => invalid_ciphertext(),
        VaultError::Invalid(m) => incorrect_material(m),
        other => internal(other.to_string()),
    };
    let probe = import(b"rampart/kms/import-probe").map_err(map)?;
    let material_id = hex::encode(probe.fingerprint);
    drop(probe);
    if key.import_fingerprint.as_deref().is_some_and(|f| f != material_id) {
        return Err(incorrect_material(
            "The key material does not match the key material previously imported into this KMS key.",
        ));
    }
    let imported = import(&binding(&key, &material_id)).map_err(map)?;
    let terms = ImportedTerms { expiration_model: model.to_owned(), valid_to };
    let public_key = imported.key.public_key.as_deref().map(b64);
    let material = Material {
        id: material_id.clone(),
        sealed: Some(b64(&imported.key.sealed)),
        hsm_object: None,
        created: now,
        rotation_type: None,
    };
    let key_id = key.key_id.clone();
    kms.write(|t| {
        let mut k: KeyRecord =
            t.get_json(TABLE, &crate::model::key_key(&key_id))?.ok_or_else(|| crate::error::key_not_found(&key.arn))?;
        k.kek = Some(kek);
        k.materials = vec![material.clone()];
        k.current_material = Some(material_id.clone());
        k.imported = Some(terms.clone());
        k.import_fingerprint = Some(material_id.clone());
        if public_key.is_some() {
            k.public_key = public_key.clone();
        }
        if k.state == KeyState::PendingImport {
            k.state = KeyState::Enabled;
        }
        t.put_json(TABLE, &crate::model::key_key(&key_id), &k)?;
        t.delete(TABLE, &import_key(&key_id))?;
        Ok(())
    })?;
    Ok(ImportKeyMaterialResponse { key_id: Some(key.arn.clone()), key_material_id: Some(material_id) })
}

/// `DeleteImportedKeyMaterial`.
pub(crate) fn delete_imported_key_material(
    kms: &Kms,
    call: &Call,
    input: DeleteImportedKeyMaterialRequest,
) -> Result<DeleteImportedKeyMaterialResponse, AwsError> {
    let caller = call.caller()?;
    let key = kms.resolve(caller.account_id.as_str(), &input.key_id)?;
    check_external(&key)?;
    let material = key.current_material.clone().unwrap_or_default();
    kms.destroy_imported(&key)?;
    Ok(DeleteImportedKeyMaterialResponse { key_id: Some(key.arn), key_material_id: Some(material) })
}
