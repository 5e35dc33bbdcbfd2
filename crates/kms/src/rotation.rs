//! Rotation: `EnableKeyRotation`, `DisableKeyRotation`, `GetKeyRotationStatus`,
//! `RotateKeyOnDemand`, `ListKeyRotations`, and automatic rotation. Each rotation adds material;
//! none is ever removed while the key lives, so every old ciphertext still decrypts.

use crate::Kms;
use crate::authz::Conditions;
use crate::error::{limit_exceeded, unsupported};
use crate::input::{opt_enum, opt_int, paging, req_str};
use crate::model::{KeyRecord, KeyState};
use rampart_core::AwsError;
use rampart_wire::Call;
use serde_json::{Value, json};

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

fn key_of(kms: &Kms, call: &Call) -> Result<KeyRecord, AwsError> {
    let caller = call.caller()?;
    kms.resolve(caller.account_id.as_str(), req_str(call.json(), "KeyId", 2048)?)
}

/// `EnableKeyRotation`.
pub(crate) fn enable_key_rotation(kms: &Kms, call: &Call) -> Result<Value, AwsError> {
    let key = key_of(kms, call)?;
    let days = opt_int(call.json(), "RotationPeriodInDays", 90, 2560)?.unwrap_or(DEFAULT_PERIOD_DAYS);
    check_state(&key)?;
    check_rotatable(&key)?;
    let now = kms.now();
    kms.update_key(&key.key_id, |k| {
        k.rotation.enabled = true;
        k.rotation.period_days = Some(days);
        k.rotation.next = Some(now + (days * 86_400) as f64);
        Ok(())
    })?;
    Ok(json!({}))
}

/// `DisableKeyRotation`.
pub(crate) fn disable_key_rotation(kms: &Kms, call: &Call) -> Result<Value, AwsError> {
    let key = key_of(kms, call)?;
    check_state(&key)?;
    check_rotatable(&key)?;
    kms.update_key(&key.key_id, |k| {
        k.rotation.enabled = false;
        k.rotation.next = None;
        Ok(())
    })?;
    Ok(json!({}))
}

/// `GetKeyRotationStatus`.
pub(crate) fn get_key_rotation_status(kms: &Kms, call: &Call) -> Result<Value, AwsError> {
    let key = key_of(kms, call)?;
    check_rotatable(&key)?;
    let mut out = json!({ "KeyRotationEnabled": key.rotation.enabled, "KeyId": key.arn });
    if key.rotation.enabled {
        out["RotationPeriodInDays"] = json!(key.rotation.period_days);
        out["NextRotationDate"] = json!(key.rotation.next);
    }
    if let Some(t) = key.rotation.on_demand_start {
        out["OnDemandRotationStartDate"] = json!(t);
    }
    Ok(out)
}

/// `RotateKeyOnDemand`.
pub(crate) fn rotate_key_on_demand(kms: &Kms, call: &Call) -> Result<Value, AwsError> {
    let key = key_of(kms, call)?;
    check_state(&key)?;
    check_rotatable(&key)?;
    let key = kms.rotate(&key, "ON_DEMAND")?;
    Ok(json!({ "KeyId": key.key_id }))
}

/// `ListKeyRotations`.
pub(crate) fn list_key_rotations(kms: &Kms, call: &Call) -> Result<Value, AwsError> {
    let key = key_of(kms, call)?;
    let input = call.json();
    check_rotatable(&key)?;
    let all =
        opt_enum(input, "IncludeKeyMaterial", &["ALL_KEY_MATERIAL", "ROTATIONS_ONLY"])? == Some("ALL_KEY_MATERIAL");
    let (limit, marker) = paging(input, 100)?;
    let start = match marker {
        Some(m) => m.parse::<usize>().map_err(|_| crate::error::invalid_marker())?,
        None => 0,
    };
    let entries: Vec<Value> = key
        .materials
        .iter()
        .filter(|m| all || m.rotation_type.is_some())
        .map(|m| {
            let mut e = json!({
                "KeyId": key.key_id,
                "KeyMaterialId": m.id,
                "KeyMaterialState": if key.current_material.as_deref() == Some(&m.id) { "CURRENT" } else { "NON_CURRENT" },
            });
            if let Some(t) = &m.rotation_type {
                e["RotationDate"] = json!(m.created);
                e["RotationType"] = json!(t);
            }
            e
        })
        .collect();
    let page: Vec<Value> = entries.iter().skip(start).take(limit).cloned().collect();
    let truncated = start + page.len() < entries.len();
    let mut out = json!({ "Rotations": page, "Truncated": truncated });
    if truncated {
        out["NextMarker"] = json!((start + limit).to_string());
    }
    Ok(out)
}
