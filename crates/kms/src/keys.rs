//! Keys: `CreateKey`, `DescribeKey`, `ListKeys`, `EnableKey`, `DisableKey`,
//! `UpdateKeyDescription`, `ScheduleKeyDeletion`, `CancelKeyDeletion`.

use crate::Kms;
use crate::authz::Conditions;
use crate::error::{internal, invalid_state, unsupported, validation};
use crate::input::{check_len, opt_bool, opt_enum, opt_int, opt_str, paging, req_str};
use crate::model::{KeyRecord, KeyState, Rotation, TABLE, account_key, key_key};
use crate::tags::parse_tags;
use rampart_core::AwsError;
use rampart_crypto::kms::{KeySpec, KeyUsage};
use rampart_store::TxnExt;
use rampart_wire::Call;
use serde_json::{Value, json};

const KEY_SPECS: &[&str] = &[
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "SYMMETRIC_DEFAULT",
    "HMAC_224",
    "HMAC_256",
    "HMAC_384",
    "HMAC_512",
    "SM2",
    "ML_DSA_44",
    "ML_DSA_65",
    "ML_DSA_87",
    "ECC_NIST_EDWARDS25519",
];
const KEY_USAGES: &[&str] = &["SIGN_VERIFY", "ENCRYPT_DECRYPT", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT"];
const ORIGINS: &[&str] = &["AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"];

/// A new key id: a random UUID (version 4).
pub(crate) fn new_key_id() -> String {
    let mut b = [0u8; 16];
    rampart_core::ids::fill_random(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

fn requested_spec(input: &Value) -> Result<&str, AwsError> {
    let spec = opt_enum(input, "KeySpec", KEY_SPECS)?;
    let legacy = opt_enum(input, "CustomerMasterKeySpec", KEY_SPECS)?;
    if spec.is_some() && legacy.is_some() {
        return Err(validation("You cannot specify both KeySpec and CustomerMasterKeySpec; use KeySpec."));
    }
    Ok(spec.or(legacy).unwrap_or("SYMMETRIC_DEFAULT"))
}

/// Condition keys of `CreateKey`.
pub(crate) fn create_key_conditions(input: &Value) -> Conditions {
    let mut c: Conditions = Vec::new();
    let spec = requested_spec(input).unwrap_or("SYMMETRIC_DEFAULT").to_owned();
    c.push(("kms:KeySpec".into(), vec![spec.clone()]));
    c.push(("kms:CustomerMasterKeySpec".into(), vec![spec]));
    let usage = opt_str(input, "KeyUsage").ok().flatten().unwrap_or("ENCRYPT_DECRYPT").to_owned();
    c.push(("kms:KeyUsage".into(), vec![usage.clone()]));
    c.push(("kms:CustomerMasterKeyUsage".into(), vec![usage]));
    let origin = opt_str(input, "Origin").ok().flatten().unwrap_or("AWS_KMS").to_owned();
    c.push(("kms:KeyOrigin".into(), vec![origin]));
    c.push((
        "kms:MultiRegion".into(),
        vec![opt_bool(input, "MultiRegion").ok().flatten().unwrap_or(false).to_string()],
    ));
    c.push((
        "kms:BypassPolicyLockoutSafetyCheck".into(),
        vec![opt_bool(input, "BypassPolicyLockoutSafetyCheck").ok().flatten().unwrap_or(false).to_string()],
    ));
    c.extend(crate::tags::request_tag_conditions(input));
    c
}

/// Condition keys of `ScheduleKeyDeletion`.
pub(crate) fn deletion_conditions(input: &Value) -> Conditions {
    match input.get("PendingWindowInDays").and_then(Value::as_i64) {
        Some(d) => vec![("kms:ScheduleKeyDeletionPendingWindowInDays".into(), vec![d.to_string()])],
        None => vec![],
    }
}

impl Kms {
    /// Runs `f` on the stored key `key_id` in a transaction and stores the result.
    pub(crate) fn update_key<T>(
        &self,
        key_id: &str,
        mut f: impl FnMut(&mut KeyRecord) -> Result<T, AwsError>,
    ) -> Result<(KeyRecord, T), AwsError> {
        self.write(|t| {
            let mut key: KeyRecord = t.get_json(TABLE, &key_key(key_id))?.ok_or_else(|| not_found_id(key_id))?;
            let out = f(&mut key)?;
            t.put_json(TABLE, &key_key(key_id), &key)?;
            Ok((key, out))
        })
    }

    /// `KeyMetadata` of `key`.
    pub(crate) fn metadata(&self, key: &KeyRecord) -> Result<Value, AwsError> {
        let spec = self.spec(key)?;
        let usage = KeyUsage::parse(&key.key_usage).unwrap_or(KeyUsage::EncryptDecrypt);
        let unavailable = match &key.custom_key_store_id {
            Some(id) => !self.is_connected(id)?,
            None => false,
        };
        let state =
            if unavailable && key.state != KeyState::PendingDeletion { "Unavailable" } else { key.state.as_str() };
        let mut m = json!({
            "AWSAccountId": key.account,
            "KeyId": key.key_id,
            "Arn": key.arn,
            "CreationDate": key.created,
            "Enabled": key.state == KeyState::Enabled,
            "Description": key.description,
            "KeyUsage": key.key_usage,
            "KeyState": state,
            "Origin": key.origin,
            "KeyManager": "CUSTOMER",
            "CustomerMasterKeySpec": key.key_spec,
            "KeySpec": key.key_spec,
            "MultiRegion": false,
        });
        let encryption = spec.encryption_algorithms(usage);
        if !encryption.is_empty() {
            m["EncryptionAlgorithms"] = json!(encryption.iter().map(|a| a.as_str()).collect::<Vec<_>>());
        }
        let signing = spec.signing_algorithms(usage);
        if !signing.is_empty() {
            m["SigningAlgorithms"] = json!(signing.iter().map(|a| a.as_str()).collect::<Vec<_>>());
        }
        if spec.is_hmac() {
            m["MacAlgorithms"] = json!(spec.mac_algorithms().iter().map(|a| a.as_str()).collect::<Vec<_>>());
        }
        if let Some(d) = key.deletion_date {
            m["DeletionDate"] = json!(d);
            m["PendingDeletionWindowInDays"] = json!(key.pending_window_days);
        }
        if let Some(cks) = &key.custom_key_store_id {
            m["CustomKeyStoreId"] = json!(cks);
            if let Some(c) = self.load_cks(cks)? {
                m["CloudHsmClusterId"] = json!(c.cluster_id);
            }
        }
        if key.origin == "EXTERNAL"
            && let Some(t) = &key.imported
        {
            m["ExpirationModel"] = json!(t.expiration_model);
            if let Some(v) = t.valid_to {
                m["ValidTo"] = json!(v);
            }
        }
        if spec == KeySpec::SymmetricDefault
            && let Some(id) = &key.current_material
        {
            m["CurrentKeyMaterialId"] = json!(id);
        }
        Ok(m)
    }
}

fn not_found_id(key_id: &str) -> AwsError {
    crate::error::not_found(format!("Key '{key_id}' does not exist"))
}

/// `CreateKey`.
pub(crate) fn create_key(kms: &Kms, call: &Call) -> Result<Value, AwsError> {
    let caller = call.caller()?;
    let input = call.json();
    let account = caller.account_id.as_str().to_owned();
    let spec_name = requested_spec(input)?;
    let spec =
        KeySpec::parse(spec_name).ok_or_else(|| unsupported(format!("KeySpec {spec_name} is not supported.")))?;
    let usage_name = opt_enum(input, "KeyUsage", KEY_USAGES)?.unwrap_or("ENCRYPT_DECRYPT");
    let usage = KeyUsage::parse(usage_name)
        .filter(|u| spec.usages().contains(u))
        .ok_or_else(|| validation(format!("KeyUsage {usage_name} is not compatible with KeySpec {spec_name}.")))?;
    let description = opt_str(input, "Description")?.unwrap_or("").to_owned();
    check_len(&description, "Description", 0, 8192)?;
    let cks_id = opt_str(input, "CustomKeyStoreId")?;
    if let Some(id) = cks_id {
        check_len(id, "CustomKeyStoreId", 1, 64)?;
    }
    let origin = match (opt_enum(input, "Origin", ORIGINS)?, cks_id) {
        (None | Some("AWS_CLOUDHSM"), Some(_)) => "AWS_CLOUDHSM",
        (Some("AWS_CLOUDHSM"), None) => {
            return Err(validation("You must specify a CustomKeyStoreId when the Origin is AWS_CLOUDHSM."));
        }
        (Some("EXTERNAL_KEY_STORE"), _) => return Err(unsupported("External key stores are not supported.")),
        (Some(o), Some(_)) => {
            return Err(validation(format!("Origin {o} cannot be used with a CustomKeyStoreId; use AWS_CLOUDHSM.")));
        }
        (o, None) => o.unwrap_or("AWS_KMS"),
    };
    if opt_bool(input, "MultiRegion")?.unwrap_or(false) {
        return Err(unsupported("Multi-Region keys are not supported."));
    }
    let tags = parse_tags(input, "Tags")?.unwrap_or_default();
    let bypass = opt_bool(input, "BypassPolicyLockoutSafetyCheck")?.unwrap_or(false);
    let key_id = new_key_id();
    let arn = kms.key_arn(&account, &key_id);
    let policy = match opt_str(input, "Policy")? {
        Some(p) => {
            crate::policy::validate_policy(p, &arn, caller, bypass)?;
            p.to_owned()
        }
        None => crate::policy::default_policy(&account),
    };
    if let Some(id) = cks_id {
        let cks = kms.load_cks(id)?.filter(|c| c.account == account).ok_or_else(|| {
            AwsError::new("CustomKeyStoreNotFoundException", 400, format!("Custom key store {id} does not exist."))
        })?;
        if spec != KeySpec::SymmetricDefault || usage != KeyUsage::EncryptDecrypt {
            return Err(unsupported(
                "Custom key stores support only symmetric encryption KMS keys (SYMMETRIC_DEFAULT).",
            ));
        }
        if !kms.is_connected(&cks.id)? {
            return Err(AwsError::new(
                "CustomKeyStoreInvalidStateException",
                400,
                format!("Custom key store {id} is not connected."),
            ));
        }
    }
    let now = kms.now();
    let mut key = KeyRecord {
        key_id: key_id.clone(),
        account: account.clone(),
        arn: arn.clone(),
        description,
        key_usage: usage.as_str().to_owned(),
        key_spec: spec.as_str().to_owned(),
        origin: origin.to_owned(),
        state: if origin == "EXTERNAL" { KeyState::PendingImport } else { KeyState::Enabled },
        created: now,
        deletion_date: None,
        pending_window_days: None,
        custom_key_store_id: cks_id.map(str::to_owned),
        policy,
        policy_version: 1,
        tags,
        kek: None,
        materials: Vec::new(),
        current_material: None,
        public_key: None,
        rotation: Rotation::default(),
        imported: None,
        import_fingerprint: None,
    };
    if cks_id.is_none() {
        key.kek = Some(kms.vault.create_container().map_err(|e| internal(e.to_string()))?);
    }
    if origin != "EXTERNAL" {
        let (material, public_key) = kms.new_material(&key, None)?;
        key.current_material = Some(material.id.clone());
        key.materials.push(material);
        key.public_key = public_key.map(|p| crate::input::b64(&p));
    }
    kms.write(|t| {
        t.put_json(TABLE, &key_key(&key_id), &key)?;
        t.put(TABLE, &account_key(&account, &key_id), b"")?;
        Ok(())
    })?;
    Ok(json!({ "KeyMetadata": kms.metadata(&key)? }))
}

/// `DescribeKey`.
pub(crate) fn describe_key(kms: &Kms, call: &Call) -> Result<Value, AwsError> {
    let caller = call.caller()?;
    let input = call.json();
    crate::input::grant_tokens(input)?;
    let key = kms.resolve(caller.account_id.as_str(), req_str(input, "KeyId", 2048)?)?;
    Ok(json!({ "KeyMetadata": kms.metadata(&key)? }))
}

/// `ListKeys`.
pub(crate) fn list_keys(kms: &Kms, call: &Call) -> Result<Value, AwsError> {
    let caller = call.caller()?;
    let (limit, marker) = paging(call.json(), 100)?;
    let account = caller.account_id.as_str();
    let prefix = format!("acct/{account}/");
    let after = marker.map(|m| format!("{prefix}{m}"));
    let page = kms.store.scan(TABLE, &prefix, after.as_deref(), limit + 1)?;
    let truncated = page.len() > limit;
    let keys: Vec<Value> = page
        .iter()
        .take(limit)
        .map(|(k, _)| {
            let id = &k[prefix.len()..];
            json!({ "KeyId": id, "KeyArn": kms.key_arn(account, id) })
        })
        .collect();
    let mut out = json!({ "Keys": keys, "Truncated": truncated });
    if truncated && let Some((k, _)) = page.get(limit - 1) {
        out["NextMarker"] = json!(&k[prefix.len()..]);
    }
    Ok(out)
}

fn key_param(kms: &Kms, call: &Call) -> Result<KeyRecord, AwsError> {
    let caller = call.caller()?;
    kms.resolve(caller.account_id.as_str(), req_str(call.json(), "KeyId", 2048)?)
}

fn refuse_pending(key: &KeyRecord) -> Result<(), AwsError> {
    match key.state {
        KeyState::PendingDeletion => Err(invalid_state(format!("{} is pending deletion.", key.arn))),
        KeyState::PendingImport => Err(invalid_state(format!("{} is pending import.", key.arn))),
        _ => Ok(()),
    }
}

/// `EnableKey`.
pub(crate) fn enable_key(kms: &Kms, call: &Call) -> Result<Value, AwsError> {
    let key = key_param(kms, call)?;
    kms.update_key(&key.key_id, |k| {
        refuse_pending(k)?;
        k.state = KeyState::Enabled;
        Ok(())
    })?;
    Ok(json!({}))
}

/// `DisableKey`.
pub(crate) fn disable_key(kms: &Kms, call: &Call) -> Result<Value, AwsError> {
    let key = key_param(kms, call)?;
    kms.update_key(&key.key_id, |k| {
        refuse_pending(k)?;
        k.state = KeyState::Disabled;
        Ok(())
    })?;
    Ok(json!({}))
}

/// `UpdateKeyDescription`.
pub(crate) fn update_key_description(kms: &Kms, call: &Call) -> Result<Value, AwsError> {
    let key = key_param(kms, call)?;
    let input = call.json();
    let description = opt_str(input, "Description")?.ok_or_else(|| crate::error::missing("Description"))?.to_owned();
    check_len(&description, "Description", 0, 8192)?;
    kms.update_key(&key.key_id, |k| {
        kms.check_not_pending_deletion(k)?;
        k.description = description.clone();
        Ok(())
    })?;
    Ok(json!({}))
}

/// `ScheduleKeyDeletion`.
pub(crate) fn schedule_key_deletion(kms: &Kms, call: &Call) -> Result<Value, AwsError> {
    let key = key_param(kms, call)?;
    let days = opt_int(call.json(), "PendingWindowInDays", 1, 365)?.unwrap_or(30);
    if !(7..=30).contains(&days) {
        return Err(validation(format!(
            "1 validation error detected: Value '{days}' at 'pendingWindowInDays' failed to satisfy constraint: \
             Member must have value greater than or equal to 7 and less than or equal to 30"
        )));
    }
    let now = kms.now();
    let (key, ()) = kms.update_key(&key.key_id, |k| {
        if k.state == KeyState::PendingDeletion {
            return Err(invalid_state(format!("{} is pending deletion.", k.arn)));
        }
        k.state = KeyState::PendingDeletion;
        k.deletion_date = Some(now + (days * 86_400) as f64);
        k.pending_window_days = Some(days);
        Ok(())
    })?;
    Ok(json!({
        "KeyId": key.arn,
        "DeletionDate": key.deletion_date,
        "KeyState": "PendingDeletion",
        "PendingWindowInDays": days,
    }))
}

/// `CancelKeyDeletion`: the key comes back disabled, as in AWS.
pub(crate) fn cancel_key_deletion(kms: &Kms, call: &Call) -> Result<Value, AwsError> {
    let key = key_param(kms, call)?;
    let (key, ()) = kms.update_key(&key.key_id, |k| {
        if k.state != KeyState::PendingDeletion {
            return Err(invalid_state(format!("{} is not pending deletion.", k.arn)));
        }
        k.state = if k.origin == "EXTERNAL" && k.current_material.is_none() {
            KeyState::PendingImport
        } else {
            KeyState::Disabled
        };
        k.deletion_date = None;
        k.pending_window_days = None;
        Ok(())
    })?;
    Ok(json!({ "KeyId": key.arn }))
}
