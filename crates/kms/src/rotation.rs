//! Rotation: `EnableKeyRotation`, `DisableKeyRotation`, `GetKeyRotationStatus`,
//! `RotateKeyOnDemand`, `ListKeyRotations`, and automatic rotation. Each rotation adds material;
//! none is ever removed while the key lives, so every old ciphertext still decrypts.

use crate::Kms;
use crate::authz::Conditions;
use crate::error::{limit_exceeded, unsupported};
use crate::input::{index_marker, limit_or, timestamp};
use crate::model::{KeyRecord, KeyState};
use crate::shapes::kms::{
    DisableKeyRotationRequest, EnableKeyRotationRequest, GetKeyRotationStatusRequest, GetKeyRotationStatusResponse,
    ListKeyRotationsRequest, ListKeyRotationsResponse, RotateKeyOnDemandRequest, RotateKeyOnDemandResponse,
    RotationsListEntry,
};
use rampart_core::AwsError;
use rampart_wire::Call;
use rampart_wire::model::Empty;
use serde_json::Value;

const DEFAULT_PERIOD_DAYS: i64 = 365;
const MAX_ON_DEMAND: u32 = 25;

/// `kms:RotationPeriodInDays`.
pub(crate) fn conditions(input: &Value) -> Conditions {
    let days = input.get("RotationPeriodInDays").and_then(Value::as_i64).unwrap_or(DEFAULT_PERIOD_DAYS);
    vec![("kms:RotationPeriodInDays".into(), vec![days.to_string()])]
}

fn check_rotatable(key: &KeyRecord) -> Result<(), AwsError> {
    if key.key_spec != "SYMMETRIC_DEFAULT" {
        return Err(unsupported(format!(
            "{} has key spec {}; only symmetric encryption keys rotate.",
            key.arn, key.key_spec
        )));
    }
    if key.custom_key_store_id.is_some() {
        return Err(unsupported(format!("{} is in a custom key store; its keys do not rotate.", key.arn)));
    }
    if key.origin == "EXTERNAL" {
        return Err(unsupported(format!("{} has imported key material, which KMS does not rotate.", key.arn)));
    }
    Ok(())
}

fn check_state(key: &KeyRecord) -> Result<(), AwsError> {
    match key.state {
        KeyState::Disabled => Err(crate::error::disabled(&key.arn)),
        KeyState::PendingDeletion => Err(crate::error::invalid_state(format!("{} is pending deletion.", key.arn))),
        KeyState::PendingImport => Err(crate::error::invalid_state(format!("{} is pending import.", key.arn))),
        KeyState::Enabled => Ok(()),
    }
}

impl Kms {
    /// Adds new material to `key` and makes it current.
    pub(crate) fn rotate(&self, key: &KeyRecord, rotation_type: &'static str) -> Result<KeyRecord, AwsError> {
        let (material, _) = self.new_material(key, Some(rotation_type))?;
        let now = self.now();
        let (key, rotated) = self.update_key(&key.key_id, |k| {
            if rotation_type == "ON_DEMAND" {
                if k.rotation.on_demand_count >= MAX_ON_DEMAND {
                    return Err(limit_exceeded(format!(
                        "{} has reached the limit of {MAX_ON_DEMAND} on-demand rotations.",
                        k.arn
                    )));
                }
                k.rotation.on_demand_count += 1;
                k.rotation.on_demand_start = Some(now);
            } else if !(k.rotation.enabled && k.rotation.next.is_some_and(|n| n <= now)) {
                // Another node (or call) rotated it since this one saw it due, or rotation was
                // turned off meanwhile: decided inside the transaction, so one rotation per period.
                return Ok(false);
            } else if let Some(days) = k.rotation.period_days {
                k.rotation.next = Some(now + (days * 86_400) as f64);
            }
            k.current_material = Some(material.id.clone());
            k.materials.push(material.clone());
            Ok(true)
        })?;
        if rotated {
            tracing::info!(key = %key.arn, rotation_type, "rotated key material");
        }
        Ok(key)
    }

    /// Rotates `key` if automatic rotation is due.
    pub(crate) fn rotate_if_due(&self, key: KeyRecord) -> Result<KeyRecord, AwsError> {
        let due = key.rotation.enabled
            && key.state == KeyState::Enabled
            && key.rotation.next.is_some_and(|n| n <= self.now());
        if due { self.rotate(&key, "AUTOMATIC") } else { Ok(key) }
    }
}

fn key_of(kms: &Kms, call: &Call, key_id: &str) -> Result<KeyRecord, AwsError> {
    let caller = call.caller()?;
    kms.resolve(caller.account_id.as_str(), key_id)
}

/// `EnableKeyRotation` (the model bounds the period to 90..=2560 days).
pub(crate) fn enable_key_rotation(kms: &Kms, call: &Call, input: EnableKeyRotationRequest) -> Result<Empty, AwsError> {
    let key = key_of(kms, call, &input.key_id)?;
    let days = input.rotation_period_in_days.map_or(DEFAULT_PERIOD_DAYS, i64::from);
    check_state(&key)?;
    check_rotatable(&key)?;
    let now = kms.now();
    kms.update_key(&key.key_id, |k| {
        k.rotation.enabled = true;
        k.rotation.period_days = Some(days);
        k.rotation.next = Some(now + (days * 86_400) as f64);
        Ok(())
    })?;
    Ok(Empty {})
}

/// `DisableKeyRotation`.
pub(crate) fn disable_key_rotation(
    kms: &Kms,
    call: &Call,
    input: DisableKeyRotationRequest,
) -> Result<Empty, AwsError> {
    let key = key_of(kms, call, &input.key_id)?;
    check_state(&key)?;
    check_rotatable(&key)?;
    kms.update_key(&key.key_id, |k| {
        k.rotation.enabled = false;
        k.rotation.next = None;
        Ok(())
    })?;
    Ok(Empty {})
}

/// `GetKeyRotationStatus`.
pub(crate) fn get_key_rotation_status(
    kms: &Kms,
    call: &Call,
    input: GetKeyRotationStatusRequest,
) -> Result<GetKeyRotationStatusResponse, AwsError> {
    let key = key_of(kms, call, &input.key_id)?;
    check_rotatable(&key)?;
    let enabled = key.rotation.enabled;
    Ok(GetKeyRotationStatusResponse {
        key_rotation_enabled: Some(enabled),
        key_id: Some(key.arn.clone()),
        rotation_period_in_days: key.rotation.period_days.filter(|_| enabled).and_then(|d| i32::try_from(d).ok()),
        next_rotation_date: key.rotation.next.filter(|_| enabled).map(timestamp),
        on_demand_rotation_start_date: key.rotation.on_demand_start.map(timestamp),
    })
}

/// `RotateKeyOnDemand`.
pub(crate) fn rotate_key_on_demand(
    kms: &Kms,
    call: &Call,
    input: RotateKeyOnDemandRequest,
) -> Result<RotateKeyOnDemandResponse, AwsError> {
    let key = key_of(kms, call, &input.key_id)?;
    check_state(&key)?;
    check_rotatable(&key)?;
    let key = kms.rotate(&key, "ON_DEMAND")?;
    Ok(RotateKeyOnDemandResponse { key_id: Some(key.key_id) })
}

/// `ListKeyRotations`: the rotations (or, with `ALL_KEY_MATERIAL`, every material) of a key.
pub(crate) fn list_key_rotations(
    kms: &Kms,
    call: &Call,
    input: ListKeyRotationsRequest,
) -> Result<ListKeyRotationsResponse, AwsError> {
    let key = key_of(kms, call, &input.key_id)?;
    check_rotatable(&key)?;
    let all = input.include_key_material.as_deref() == Some("ALL_KEY_MATERIAL");
    let limit = limit_or(input.limit, 100);
    let start = index_marker(input.marker.as_deref())?;
    let entries: Vec<&crate::model::Material> =
        key.materials.iter().filter(|m| all || m.rotation_type.is_some()).collect();
    let page: Vec<RotationsListEntry> = entries
        .iter()
        .skip(start)
        .take(limit)
        .map(|m| {
            let current = key.current_material.as_deref() == Some(&m.id);
            RotationsListEntry {
                key_id: Some(key.key_id.clone()),
                key_material_id: Some(m.id.clone()),
                key_material_state: Some(if current { "CURRENT" } else { "NON_CURRENT" }.to_owned()),
                rotation_date: m.rotation_type.as_ref().map(|_| timestamp(m.created)),
                rotation_type: m.rotation_type.clone(),
                ..RotationsListEntry::default()
            }
        })
        .collect();
    let truncated = start + page.len() < entries.len();
    Ok(ListKeyRotationsResponse {
        rotations: Some(page),
        next_marker: truncated.then(|| (start + limit).to_string()),
        truncated: Some(truncated),
    })
}
