//! Keys: `CreateKey`, `DescribeKey`, `ListKeys`, `EnableKey`, `DisableKey`,
//! `UpdateKeyDescription`, `ScheduleKeyDeletion`, `CancelKeyDeletion`.

use crate::Kms;
use crate::authz::Conditions;
use crate::error::{internal, invalid_state, unsupported, validation};
use crate::input::{limit_or, opt_bool, opt_str, timestamp};
use crate::model::{KeyRecord, KeyState, Rotation, TABLE, account_key, key_key};
use crate::shapes::kms::{
    CancelKeyDeletionRequest, CancelKeyDeletionResponse, CreateKeyRequest, CreateKeyResponse, DescribeKeyRequest,
    DescribeKeyResponse, DisableKeyRequest, EnableKeyRequest, KeyListEntry, KeyMetadata, ListKeysRequest,
    ListKeysResponse, ScheduleKeyDeletionRequest, ScheduleKeyDeletionResponse, UpdateKeyDescriptionRequest,
};
use crate::tags::parse_tags;
use rampart_core::AwsError;
use rampart_crypto::kms::{KeySpec, KeyUsage};
use rampart_store::TxnExt;
use rampart_wire::Call;
use rampart_wire::model::Empty;
use serde_json::Value;

/// A new key id: a random UUID (version 4).
pub(crate) fn new_key_id() -> String {
    let mut b = [0u8; 16];
    rampart_core::ids::fill_random(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

/// The key spec a `CreateKey` request names: `KeySpec` or its legacy name, not both.
fn requested_spec<'a>(spec: Option<&'a str>, legacy: Option<&'a str>) -> Result<&'a str, AwsError> {
    if spec.is_some() && legacy.is_some() {
        return Err(validation("You cannot specify both KeySpec and CustomerMasterKeySpec; use KeySpec."));
    }
    Ok(spec.or(legacy).unwrap_or("SYMMETRIC_DEFAULT"))
}

/// Condition keys of `CreateKey`.
pub(crate) fn create_key_conditions(input: &Value) -> Conditions {
    let mut c: Conditions = Vec::new();
    let named = |f| opt_str(input, f).ok().flatten();
    let spec =
        requested_spec(named("KeySpec"), named("CustomerMasterKeySpec")).unwrap_or("SYMMETRIC_DEFAULT").to_owned();
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
    pub(crate) fn metadata(&self, key: &KeyRecord) -> Result<KeyMetadata, AwsError> {
        let spec = self.spec(key)?;
        let usage = KeyUsage::parse(&key.key_usage).unwrap_or(KeyUsage::EncryptDecrypt);
        let unavailable = match &key.custom_key_store_id {
            Some(id) => !self.is_connected(id)?,
            None => false,
        };
        let state =
            if unavailable && key.state != KeyState::PendingDeletion { "Unavailable" } else { key.state.as_str() };
        let names = |v: Vec<&'static str>| (!v.is_empty()).then(|| v.into_iter().map(str::to_owned).collect());
        let mut m = KeyMetadata {
            aws_account_id: Some(key.account.clone()),
            key_id: key.key_id.clone(),
            arn: Some(key.arn.clone()),
            creation_date: Some(timestamp(key.created)),
            enabled: Some(key.state == KeyState::Enabled),
            description: Some(key.description.clone()),
            key_usage: Some(key.key_usage.clone()),
            key_state: Some(state.to_owned()),
            origin: Some(key.origin.clone()),
            key_manager: Some("CUSTOMER".to_owned()),
            customer_master_key_spec: Some(key.key_spec.clone()),
            key_spec: Some(key.key_spec.clone()),
            multi_region: Some(false),
            encryption_algorithms: names(spec.encryption_algorithms(usage).iter().map(|a| a.as_str()).collect()),
            signing_algorithms: names(spec.signing_algorithms(usage).iter().map(|a| a.as_str()).collect()),
            ..KeyMetadata::default()
        };
        if spec.is_hmac() {
            m.mac_algorithms = Some(spec.mac_algorithms().iter().map(|a| a.as_str().to_owned()).collect());
        }
        if let Some(d) = key.deletion_date {
            m.deletion_date = Some(timestamp(d));
            m.pending_deletion_window_in_days = key.pending_window_days.and_then(|d| i32::try_from(d).ok());
        }
        if let Some(cks) = &key.custom_key_store_id {
            m.custom_key_store_id = Some(cks.clone());
            if let Some(c) = self.load_cks(cks)? {
                m.cloud_hsm_cluster_id = Some(c.cluster_id);
            }
        }
        if key.origin == "EXTERNAL"
            && let Some(t) = &key.imported
        {
            m.expiration_model = Some(t.expiration_model.clone());
            m.valid_to = t.valid_to.map(timestamp);
        }
        if spec == KeySpec::SymmetricDefault
            && let Some(id) = &key.current_material
        {
            m.current_key_material_id = Some(id.clone());
        }
        Ok(m)
    }
}

fn not_found_id(key_id: &str) -> AwsError {
    crate::error::not_found(format!("Key '{key_id}' does not exist"))
}

/// `CreateKey`.
pub(crate) fn create_key(kms: &Kms, call: &Call, input: CreateKeyRequest) -> Result<CreateKeyResponse, AwsError> {
    let caller = call.caller()?;
    let account = caller.account_id.as_str().to_owned();
    let spec_name = requested_spec(input.key_spec.as_deref(), input.customer_master_key_spec.as_deref())?;
    let spec =
        KeySpec::parse(spec_name).ok_or_else(|| unsupported(format!("KeySpec {spec_name} is not supported.")))?;
    let usage_name = input.key_usage.as_deref().unwrap_or("ENCRYPT_DECRYPT");
    let usage = KeyUsage::parse(usage_name)
        .filter(|u| spec.usages().contains(u))
        .ok_or_else(|| validation(format!("KeyUsage {usage_name} is not compatible with KeySpec {spec_name}.")))?;
    let description = input.description.clone().unwrap_or_default();
    let cks_id = input.custom_key_store_id.as_deref();
    let origin = match (input.origin.as_deref(), cks_id) {
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
    if input.multi_region.unwrap_or(false) {
        return Err(unsupported("Multi-Region keys are not supported."));
    }
    let tags = parse_tags(input.tags.as_deref())?.unwrap_or_default();
    let bypass = input.bypass_policy_lockout_safety_check.unwrap_or(false);
    let key_id = new_key_id();
    let arn = kms.key_arn(&account, &key_id);
    let policy = match input.policy.as_deref() {
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
    Ok(CreateKeyResponse { key_metadata: Some(kms.metadata(&key)?) })
}

/// `DescribeKey`.
pub(crate) fn describe_key(kms: &Kms, call: &Call, input: DescribeKeyRequest) -> Result<DescribeKeyResponse, AwsError> {
    let caller = call.caller()?;
    crate::grants::check_tokens(input.grant_tokens.as_deref())?;
    let key = kms.resolve(caller.account_id.as_str(), &input.key_id)?;
    Ok(DescribeKeyResponse { key_metadata: Some(kms.metadata(&key)?) })
}

/// `ListKeys`.
pub(crate) fn list_keys(kms: &Kms, call: &Call, input: ListKeysRequest) -> Result<ListKeysResponse, AwsError> {
    let caller = call.caller()?;
    let limit = limit_or(input.limit, 100);
    let account = caller.account_id.as_str();
    let prefix = format!("acct/{account}/");
    let after = input.marker.map(|m| format!("{prefix}{m}"));
    let page = kms.store.scan(TABLE, &prefix, after.as_deref(), limit + 1)?;
    let truncated = page.len() > limit;
    let keys: Vec<KeyListEntry> = page
        .iter()
        .take(limit)
        .map(|(k, _)| {
            let id = &k[prefix.len()..];
            KeyListEntry { key_id: Some(id.to_owned()), key_arn: Some(kms.key_arn(account, id)) }
        })
        .collect();
    let next_marker = match page.get(limit.wrapping_sub(1)) {
        Some((k, _)) if truncated => Some(k[prefix.len()..].to_owned()),
        _ => None,
    };
    Ok(ListKeysResponse { keys: Some(keys), next_marker, truncated: Some(truncated) })
}

fn key_param(kms: &Kms, call: &Call, key_id: &str) -> Result<KeyRecord, AwsError> {
    let caller = call.caller()?;
    kms.resolve(caller.account_id.as_str(), key_id)
}

fn refuse_pending(key: &KeyRecord) -> Result<(), AwsError> {
    match key.state {
        KeyState::PendingDeletion => Err(invalid_state(format!("{} is pending deletion.", key.arn))),
        KeyState::PendingImport => Err(invalid_state(format!("{} is pending import.", key.arn))),
        _ => Ok(()),
    }
}

/// `EnableKey`.
pub(crate) fn enable_key(kms: &Kms, call: &Call, input: EnableKeyRequest) -> Result<Empty, AwsError> {
    let key = key_param(kms, call, &input.key_id)?;
    kms.update_key(&key.key_id, |k| {
        refuse_pending(k)?;
        k.state = KeyState::Enabled;
        Ok(())
    })?;
    Ok(Empty {})
}

/// `DisableKey`.
pub(crate) fn disable_key(kms: &Kms, call: &Call, input: DisableKeyRequest) -> Result<Empty, AwsError> {
    let key = key_param(kms, call, &input.key_id)?;
    kms.update_key(&key.key_id, |k| {
        refuse_pending(k)?;
        k.state = KeyState::Disabled;
        Ok(())
    })?;
    Ok(Empty {})
}

/// `UpdateKeyDescription`.
pub(crate) fn update_key_description(
    kms: &Kms,
    call: &Call,
    input: UpdateKeyDescriptionRequest,
) -> Result<Empty, AwsError> {
    let key = key_param(kms, call, &input.key_id)?;
    kms.update_key(&key.key_id, |k| {
        kms.check_not_pending_deletion(k)?;
        k.description = input.description.clone();
        Ok(())
    })?;
    Ok(Empty {})
}

/// `ScheduleKeyDeletion`.
pub(crate) fn schedule_key_deletion(
    kms: &Kms,
    call: &Call,
    input: ScheduleKeyDeletionRequest,
) -> Result<ScheduleKeyDeletionResponse, AwsError> {
    let key = key_param(kms, call, &input.key_id)?;
    // The model allows 1 to 365 days; KMS itself only 7 to 30.
    let days = i64::from(input.pending_window_in_days.unwrap_or(30));
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
    Ok(ScheduleKeyDeletionResponse {
        key_id: Some(key.arn),
        deletion_date: key.deletion_date.map(timestamp),
        key_state: Some("PendingDeletion".to_owned()),
        pending_window_in_days: i32::try_from(days).ok(),
    })
}

/// `CancelKeyDeletion`: the key comes back disabled, as in AWS.
pub(crate) fn cancel_key_deletion(
    kms: &Kms,
    call: &Call,
    input: CancelKeyDeletionRequest,
) -> Result<CancelKeyDeletionResponse, AwsError> {
    let key = key_param(kms, call, &input.key_id)?;
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
    Ok(CancelKeyDeletionResponse { key_id: Some(key.arn) })
}
