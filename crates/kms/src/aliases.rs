//! Aliases: `CreateAlias`, `UpdateAlias`, `DeleteAlias`, `ListAliases`. An alias names a key of
//! its account wherever a key id is accepted (`alias/name` or the alias ARN).

use crate::Kms;
use crate::error::{already_exists, not_found, validation};
use crate::input::{opt_str, paging, req_str};
use crate::model::{AliasRecord, TABLE, alias_key};
use rampart_core::AwsError;
use rampart_store::{TxnExt, decode};
use rampart_wire::Call;
use serde_json::{Value, json};

/// Checks an alias name: `alias/` and then letters, digits, `/`, `_`, `-`, `:`; not reserved.
pub(crate) fn validate_alias_name(name: &str) -> Result<(), AwsError> {
    crate::input::check_len(name, "AliasName", 1, 256)?;
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'/' | b'_' | b'-')) {
        return Err(crate::error::constraint(
            name,
            "AliasName",
            "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
        ));
    }
    if !name.starts_with("alias/") || name.len() == "alias/".len() {
        return Err(validation(
            "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html",
        ));
    }
    if name.starts_with("alias/aws/") {
        return Err(AwsError::new(
            "InvalidAliasNameException",
            400,
            "Alias names cannot begin with alias/aws/. That prefix is reserved for AWS managed keys.",
        ));
    }
    Ok(())
}

/// An alias must point at a key, not at another alias.
pub(crate) fn check_target_is_key(target: &str) -> Result<(), AwsError> {
    if target.starts_with("alias/") || (target.starts_with("arn:") && target.contains(":alias/")) {
        return Err(validation("Aliases must refer to keys. Not aliases"));
    }
    Ok(())
}

fn alias_json(kms: &Kms, account: &str, a: &AliasRecord) -> Value {
    json!({
        "AliasName": a.name,
        "AliasArn": kms.alias_arn(account, &a.name),
        "TargetKeyId": a.target_key_id,
        "CreationDate": a.created,
        "LastUpdatedDate": a.updated,
    })
}

/// `CreateAlias`.
pub(crate) fn create_alias(kms: &Kms, call: &Call) -> Result<Value, AwsError> {
    let caller = call.caller()?;
    let input = call.json();
    let account = caller.account_id.as_str();
    let name = req_str(input, "AliasName", 256)?;
    validate_alias_name(name)?;
    let target = req_str(input, "TargetKeyId", 2048)?;
    check_target_is_key(target)?;
    let key = kms.resolve(account, target)?;
    kms.check_not_pending_deletion(&key)?;
    if key.account != account {
        return Err(not_found(format!("Key '{}' does not exist", key.arn)));
    }
    let now = kms.now();
    let record = AliasRecord { name: name.to_owned(), target_key_id: key.key_id.clone(), created: now, updated: now };
    let inserted = kms.write(|t| Ok(t.insert_json(TABLE, &alias_key(account, name), &record)?))?;
    if !inserted {
        return Err(already_exists(format!("An alias with the name {} already exists", kms.alias_arn(account, name))));
    }
    Ok(json!({}))
}

/// `UpdateAlias`: points an alias at another key of the same type and usage.
pub(crate) fn update_alias(kms: &Kms, call: &Call) -> Result<Value, AwsError> {
    let caller = call.caller()?;
    let input = call.json();
    let account = caller.account_id.as_str();
    let name = req_str(input, "AliasName", 256)?;
    validate_alias_name(name)?;
    let target = req_str(input, "TargetKeyId", 2048)?;
    check_target_is_key(target)?;
    let key = kms.resolve(account, target)?;
    kms.check_not_pending_deletion(&key)?;
    let now = kms.now();
    kms.write(|t| {
        let mut a: AliasRecord = t
            .get_json(TABLE, &alias_key(account, name))?
            .ok_or_else(|| not_found(format!("Alias {} is not found.", kms.alias_arn(account, name))))?;
        if let Some(old) = t.get_json::<crate::model::KeyRecord>(TABLE, &crate::model::key_key(&a.target_key_id))?
            && (old.key_usage != key.key_usage
                || old.key_spec.starts_with("HMAC") != key.key_spec.starts_with("HMAC")
                || (old.key_spec == "SYMMETRIC_DEFAULT") != (key.key_spec == "SYMMETRIC_DEFAULT"))
        {
            return Err(validation(
                "The current and new KMS keys of an alias must be of the same type and have the same key usage.",
            ));
        }
        a.target_key_id = key.key_id.clone();
        a.updated = now;
        t.put_json(TABLE, &alias_key(account, name), &a)?;
        Ok(())
    })?;
    Ok(json!({}))
}

/// `DeleteAlias`.
pub(crate) fn delete_alias(kms: &Kms, call: &Call) -> Result<Value, AwsError> {
    let caller = call.caller()?;
    let account = caller.account_id.as_str();
    let name = req_str(call.json(), "AliasName", 256)?;
    validate_alias_name(name)?;
    let deleted = kms.write(|t| Ok(t.delete(TABLE, &alias_key(account, name))?))?;
    if !deleted {
        return Err(not_found(format!("Alias {} is not found.", kms.alias_arn(account, name))));
    }
    Ok(json!({}))
}

/// `ListAliases`, optionally of one key.
pub(crate) fn list_aliases(kms: &Kms, call: &Call) -> Result<Value, AwsError> {
    let caller = call.caller()?;
    let input = call.json();
    let account = caller.account_id.as_str();
    let (limit, marker) = paging(input, 50)?;
    let filter = match opt_str(input, "KeyId")? {
        Some(k) => Some(kms.resolve(account, k)?.key_id),
        None => None,
    };
    let prefix = format!("alias/{account}/");
    let mut after = marker.map(|m| format!("{prefix}{m}"));
    let mut out = Vec::new();
    let mut last = None;
    let mut truncated = false;
    'scan: loop {
        let page = kms.store.scan(TABLE, &prefix, after.as_deref(), 500)?;
        let done = page.len() < 500;
        for (k, v) in &page {
            let a: AliasRecord = decode(TABLE, k, v)?;
            if filter.as_ref().is_some_and(|f| *f != a.target_key_id) {
                continue;
            }
            if out.len() == limit {
                truncated = true;
                break 'scan;
            }
            last = Some(a.name.clone());
            out.push(alias_json(kms, account, &a));
        }
        after = page.last().map(|(k, _)| k.clone());
        if done {
            break;
        }
    }
    let mut resp = json!({ "Aliases": out, "Truncated": truncated });
    if truncated && let Some(l) = last {
        resp["NextMarker"] = json!(l);
    }
    Ok(resp)
}
