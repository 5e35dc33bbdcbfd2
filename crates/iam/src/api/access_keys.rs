//! Access keys: create (the only time a secret is shown), list, activate/deactivate, delete,
//! last used. Secrets are sealed by the keystore before they are stored.

use super::{On, account, mop};
use crate::accounts::{ACCESS_KEYS, AccessKeyRecord, KeyStatus, iso_now, seal_secret};
use crate::api::users::load_user;
use crate::shapes::iam as shapes;
use crate::state::Iam;
use crate::util::*;
use rampart_core::ids::{AccountId, new_access_key_id, new_secret_access_key};
use rampart_core::{AwsError, PrincipalKind};
use rampart_store::{Txn, TxnExt};
use rampart_wire::model::{Empty, SecretString, Timestamp};
use rampart_wire::{Call, Operation};
use std::sync::Arc;

pub(crate) use crate::model::KEYS_BY_USER;

/// AWS's quota of access keys per user.
const KEYS_PER_USER: usize = 2;

pub(super) fn operations(iam: &Arc<Iam>) -> Vec<Operation> {
    vec![
        mop::<shapes::CreateAccessKey>(iam, On::User("UserName"), false, create),
        mop::<shapes::ListAccessKeys>(iam, On::User("UserName"), true, list),
        mop::<shapes::UpdateAccessKey>(iam, On::User("UserName"), false, update),
        mop::<shapes::DeleteAccessKey>(iam, On::User("UserName"), false, delete),
        mop::<shapes::GetAccessKeyLastUsed>(iam, On::Nothing, true, last_used),
    ]
}

/// The owner segment of the index: the user's lower-case name, or `#root`.
fn owner(user: Option<&str>) -> String {
    user.map_or_else(|| "#root".to_owned(), str::to_lowercase)
}

/// The index prefix of `user`'s keys (`None`: the root user's).
pub(crate) fn owner_prefix(acct: &AccountId, user: Option<&str>) -> String {
    format!("{acct}/{}/", owner(user))
}

/// Key ids of `user`'s access keys.
pub(crate) fn keys_of(t: &mut dyn Txn, acct: &AccountId, user: Option<&str>) -> Result<Vec<String>, AwsError> {
    let prefix = owner_prefix(acct, user);
    Ok(t.scan(KEYS_BY_USER, &prefix, None, 100)?.into_iter().map(|(k, _)| k[prefix.len()..].to_owned()).collect())
}

/// Records a new key in the index (used by root bootstrap too).
pub(crate) fn index_key(t: &mut dyn Txn, acct: &AccountId, user: Option<&str>, key_id: &str) -> Result<(), AwsError> {
    t.put(KEYS_BY_USER, &format!("{}{key_id}", owner_prefix(acct, user)), b"")?;
    Ok(())
}

/// Moves `old` user's keys to `new` (rename); returns the key ids moved.
pub(crate) fn rename_owner(t: &mut dyn Txn, acct: &AccountId, old: &str, new: &str) -> Result<Vec<String>, AwsError> {
    let ids = keys_of(t, acct, Some(old))?;
    for id in &ids {
        t.delete(KEYS_BY_USER, &format!("{}{id}", owner_prefix(acct, Some(old))))?;
        index_key(t, acct, Some(new), id)?;
        if let Some(mut rec) = t.get_json::<AccessKeyRecord>(ACCESS_KEYS, id)? {
            rec.user_name = Some(new.to_owned());
            t.put_json(ACCESS_KEYS, id, &rec)?;
        }
    }
    Ok(ids)
}

/// The user a key operation is about: `UserName` (checked by the model), else the caller (an IAM
/// user, or root for the root user's own keys).
fn subject(call: &Call, user_name: Option<String>) -> Result<Option<String>, AwsError> {
    if user_name.is_some() {
        return Ok(user_name);
    }
    let p = call.caller()?;
    match p.kind {
        PrincipalKind::IamUser => Ok(p.name.clone()),
        PrincipalKind::Root => Ok(None),
        _ => Err(invalid_input("Must specify userName when calling with non-User credentials")),
    }
}

fn status_name(status: KeyStatus) -> &'static str {
    if status == KeyStatus::Active { "Active" } else { "Inactive" }
}

fn create(
    iam: &Iam,
    call: &Call,
    input: shapes::CreateAccessKeyRequest,
) -> Result<shapes::CreateAccessKeyResponse, AwsError> {
    let acct = account(call)?;
    let user = subject(call, input.user_name)?;
    let key_id = new_access_key_id();
    let secret = new_secret_access_key();
    let sealed = seal_secret(iam.keystore.as_ref(), &key_id, &secret)?;
    let record = iam.write(|t| {
        let display = match &user {
            Some(n) => Some(load_user(t, acct, n)?.name),
            None => None,
        };
        if keys_of(t, acct, user.as_deref())?.len() >= KEYS_PER_USER {
            return Err(limit_exceeded(format!("Cannot exceed quota for AccessKeysPerUser: {KEYS_PER_USER}")));
        }
        let record = AccessKeyRecord {
            access_key_id: key_id.clone(),
            account_id: acct.clone(),
            user_name: display,
            status: KeyStatus::Active,
            create_date: iso_now(),
            sealed_secret: sealed.clone(),
        };
        if !t.insert_json(ACCESS_KEYS, &key_id, &record)? {
            return Err(AwsError::internal());
        }
        index_key(t, acct, user.as_deref(), &key_id)?;
        Ok(record)
    })?;
    Ok(shapes::CreateAccessKeyResponse {
        access_key: shapes::AccessKey {
            // The model requires a user name; the root user's own keys have none (empty).
            user_name: record.user_name.unwrap_or_default(),
            access_key_id: record.access_key_id,
            status: "Active".to_owned(),
            secret_access_key: SecretString(secret),
            create_date: Timestamp::parse_iso8601(&record.create_date),
        },
    })
}

fn list(
    iam: &Iam,
    call: &Call,
    input: shapes::ListAccessKeysRequest,
) -> Result<shapes::ListAccessKeysResponse, AwsError> {
    let acct = account(call)?;
    let user = subject(call, input.user_name)?;
    let display = match &user {
        Some(n) => Some(
            iam.get::<crate::model::UserRecord>(crate::model::Kind::User, acct, n)?
                .ok_or_else(|| no_such_entity("user", n))?
                .name,
        ),
        None => None,
    };
    let prefix = owner_prefix(acct, user.as_deref());
    let mut metadata = Vec::new();
    for (k, _) in iam.store.scan(KEYS_BY_USER, &prefix, None, 100)? {
        if let Some(r) =
            rampart_store::StoreExt::get_json::<AccessKeyRecord>(iam.store.as_ref(), ACCESS_KEYS, &k[prefix.len()..])?
        {
            metadata.push(shapes::AccessKeyMetadata {
                user_name: display.clone(),
                access_key_id: Some(r.access_key_id),
                status: Some(status_name(r.status).to_owned()),
                create_date: Timestamp::parse_iso8601(&r.create_date),
            });
        }
    }
    Ok(shapes::ListAccessKeysResponse { access_key_metadata: metadata, is_truncated: Some(false), marker: None })
}

fn owned_key(t: &mut dyn Txn, acct: &AccountId, user: Option<&str>, key_id: &str) -> Result<AccessKeyRecord, AwsError> {
    let not_found = || AwsError::new("NoSuchEntity", 404, format!("The Access Key with id {key_id} cannot be found."));
    let rec = t.get_json::<AccessKeyRecord>(ACCESS_KEYS, key_id)?.ok_or_else(not_found)?;
    let same_owner = match (user, rec.user_name.as_deref()) {
        (None, None) => true,
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => false,
    };
    if rec.account_id != *acct || !same_owner {
        return Err(not_found());
    }
    Ok(rec)
}

fn update(iam: &Iam, call: &Call, input: shapes::UpdateAccessKeyRequest) -> Result<Empty, AwsError> {
    let acct = account(call)?;
    let user = subject(call, input.user_name)?;
    let key_id = input.access_key_id;
    // The model also lists `Expired`, which a caller cannot set.
    let status = match input.status.as_str() {
        "Active" => KeyStatus::Active,
        "Inactive" => KeyStatus::Inactive,
        other => {
            return Err(AwsError::validation(format!(
                "1 validation error detected: Value '{other}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]"
            )));
        }
    };
    iam.write(|t| {
        if let Some(n) = &user {
            load_user(t, acct, n)?;
        }
        let mut rec = owned_key(t, acct, user.as_deref(), &key_id)?;
        rec.status = status;
        t.put_json(ACCESS_KEYS, &key_id, &rec)?;
        Ok(())
    })?;
    iam.credentials.invalidate(&key_id);
    Ok(Empty {})
}

fn delete(iam: &Iam, call: &Call, input: shapes::DeleteAccessKeyRequest) -> Result<Empty, AwsError> {
    let acct = account(call)?;
    let user = subject(call, input.user_name)?;
    let key_id = input.access_key_id;
    iam.write(|t| {
        if let Some(n) = &user {
            load_user(t, acct, n)?;
        }
        owned_key(t, acct, user.as_deref(), &key_id)?;
        t.delete(ACCESS_KEYS, &key_id)?;
        t.delete(crate::credentials::LAST_USED, &key_id)?;
        t.delete(KEYS_BY_USER, &format!("{}{key_id}", owner_prefix(acct, user.as_deref())))?;
        Ok(())
    })?;
    iam.credentials.invalidate(&key_id);
    Ok(Empty {})
}

fn last_used(
    iam: &Iam,
    call: &Call,
    input: shapes::GetAccessKeyLastUsedRequest,
) -> Result<shapes::GetAccessKeyLastUsedResponse, AwsError> {
    let acct = account(call)?;
    let key_id = input.access_key_id.as_str();
    let rec = rampart_store::StoreExt::get_json::<AccessKeyRecord>(iam.store.as_ref(), ACCESS_KEYS, key_id)?
        .filter(|r| r.account_id == *acct)
        .ok_or_else(|| AwsError::access_denied(format!("The access key {key_id} does not belong to your account")))?;
    let used = match iam.credentials.last_used(key_id)? {
        Some(u) => shapes::AccessKeyLastUsed {
            last_used_date: Some(Timestamp::from_secs(u.at)),
            service_name: u.service,
            region: u.region,
        },
        None => {
            shapes::AccessKeyLastUsed { last_used_date: None, service_name: "N/A".to_owned(), region: "N/A".to_owned() }
        }
    };
    Ok(shapes::GetAccessKeyLastUsedResponse { user_name: rec.user_name, access_key_last_used: Some(used) })
}
