//! Aliases: `CreateAlias`, `UpdateAlias`, `DeleteAlias`, `ListAliases`. An alias names a key of
//! its account wherever a key id is accepted (`alias/name` or the alias ARN).

use crate::Kms;
use crate::error::{already_exists, not_found, validation};
use crate::input::{limit_or, timestamp};
use crate::model::{AliasRecord, TABLE, alias_key};
use crate::shapes::kms::{
    AliasListEntry, CreateAliasRequest, DeleteAliasRequest, ListAliasesRequest, ListAliasesResponse, UpdateAliasRequest,
};
use rampart_core::AwsError;
use rampart_store::{TxnExt, decode};
use rampart_wire::Call;
use rampart_wire::model::Empty;

/// Checks an alias name beyond its length and characters (which the model checks): it starts
/// with `alias/` and is not reserved.
pub(crate) fn validate_alias_name(name: &str) -> Result<(), AwsError> {
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

/// An alias as `ListAliases` describes it.
fn alias_entry(kms: &Kms, account: &str, a: &AliasRecord) -> AliasListEntry {
    AliasListEntry {
        alias_name: Some(a.name.clone()),
        alias_arn: Some(kms.alias_arn(account, &a.name)),
        target_key_id: Some(a.target_key_id.clone()),
        creation_date: Some(timestamp(a.created)),
        last_updated_date: Some(timestamp(a.updated)),
    }
}

/// `CreateAlias`.
pub(crate) fn create_alias(kms: &Kms, call: &Call, input: CreateAliasRequest) -> Result<Empty, AwsError> {
    let caller = call.caller()?;
    let account = caller.account_id.as_str();
    let name = input.alias_name.as_str();
    validate_alias_name(name)?;
    let target = input.target_key_id.as_str();
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
    Ok(Empty {})
}

/// `UpdateAlias`: the new key must be of the same type and usage as the current one.
pub(crate) fn update_alias(kms: &Kms, call: &Call, input: UpdateAliasRequest) -> Result<Empty, AwsError> {
    let caller = call.caller()?;
    let account = caller.account_id.as_str();
    let name = input.alias_name.as_str();
    validate_alias_name(name)?;
    let target = input.target_key_id.as_str();
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
    Ok(Empty {})
}

/// `DeleteAlias`.
pub(crate) fn delete_alias(kms: &Kms, call: &Call, input: DeleteAliasRequest) -> Result<Empty, AwsError> {
    let caller = call.caller()?;
    let account = caller.account_id.as_str();
    let name = input.alias_name.as_str();
    validate_alias_name(name)?;
    let deleted = kms.write(|t| Ok(t.delete(TABLE, &alias_key(account, name))?))?;
    if !deleted {
        return Err(not_found(format!("Alias {} is not found.", kms.alias_arn(account, name))));
    }
    Ok(Empty {})
}

/// `ListAliases`, of the account or of one key.
pub(crate) fn list_aliases(kms: &Kms, call: &Call, input: ListAliasesRequest) -> Result<ListAliasesResponse, AwsError> {
    let caller = call.caller()?;
    let account = caller.account_id.as_str();
    let limit = limit_or(input.limit, 50);
    let filter = match input.key_id.as_deref() {
        Some(k) => Some(kms.resolve(account, k)?.key_id),
        None => None,
    };
    let prefix = format!("alias/{account}/");
    let mut after = input.marker.map(|m| format!("{prefix}{m}"));
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
            out.push(alias_entry(kms, account, &a));
        }
        after = page.last().map(|(k, _)| k.clone());
        if done {
            break;
        }
    }
    Ok(ListAliasesResponse {
        aliases: Some(out),
        next_marker: if truncated { last } else { None },
        truncated: Some(truncated),
    })
}
