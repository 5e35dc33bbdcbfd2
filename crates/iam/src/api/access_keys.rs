//! Access keys: create (the only time a secret is shown), list, activate/deactivate, delete,
//! last used. Secrets are sealed by the keystore before they are stored.

use super::{On, account, op};
use crate::accounts::{ACCESS_KEYS, AccessKeyRecord, KeyStatus, iso_now, seal_secret};
use crate::api::users::load_user;
use crate::state::Iam;
use crate::util::*;
use rampart_core::ids::{AccountId, new_access_key_id, new_secret_access_key};
use rampart_core::{AwsError, PrincipalKind};
use rampart_store::{Txn, TxnExt};
use rampart_wire::xml::XmlWriter;
use rampart_wire::{Call, Operation};
use std::sync::Arc;

pub(crate) use crate::model::KEYS_BY_USER;

/// AWS's quota of access keys per user.
const KEYS_PER_USER: usize = 2;

pub(super) fn operations(iam: &Arc<Iam>) -> Vec<Operation> {
    vec![
        op(iam, "CreateAccessKey", On::User("UserName"), false, create),
        op(iam, "ListAccessKeys", On::User("UserName"), true, list),
        op(iam, "UpdateAccessKey", On::User("UserName"), false, update),
        op(iam, "DeleteAccessKey", On::User("UserName"), false, delete),
        op(iam, "GetAccessKeyLastUsed", On::Nothing, true, last_used),
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

/// The user a key operation is about: `UserName`, else the caller (an IAM user, or root for
/// the root user's own keys).
fn subject(call: &Call) -> Result<Option<String>, AwsError> {
    if let Some(n) = call.query().get("UserName") {
        check_name("UserName", n, 64)?;
        return Ok(Some(n.to_owned()));
    }
    let p = call.caller()?;
    match p.kind {
        PrincipalKind::IamUser => Ok(p.name.clone()),
        PrincipalKind::Root => Ok(None),
        _ => Err(invalid_input("Must specify userName when calling with non-User credentials")),
    }
}

fn write_key_meta(w: &mut XmlWriter, tag: &str, k: &AccessKeyRecord, user: Option<&str>) {
    w.open(tag);
    w.optional("UserName", user);
    w.element("AccessKeyId", &k.access_key_id)
        .element("Status", if k.status == KeyStatus::Active { "Active" } else { "Inactive" })
        .element("CreateDate", &k.create_date);
    w.close(tag);
}

fn create(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let acct = account(call)?;
    let user = subject(call)?;
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
    let mut w = XmlWriter::new();
    w.open("AccessKey");
    w.optional("UserName", record.user_name.as_deref());
    w.element("AccessKeyId", &record.access_key_id)
        .element("Status", "Active")
        .element("SecretAccessKey", &secret)
        .element("CreateDate", &record.create_date)
        .close("AccessKey");
    Ok(w.finish())
}

fn list(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let acct = account(call)?;
    let user = subject(call)?;
    let display = match &user {
        Some(n) => Some(
            iam.get::<crate::model::UserRecord>(crate::model::Kind::User, acct, n)?
                .ok_or_else(|| no_such_entity("user", n))?
                .name,
        ),
        None => None,
    };
    let prefix = owner_prefix(acct, user.as_deref());
    let mut records = Vec::new();
    for (k, _) in iam.store.scan(KEYS_BY_USER, &prefix, None, 100)? {
        if let Some(r) =
            rampart_store::StoreExt::get_json::<AccessKeyRecord>(iam.store.as_ref(), ACCESS_KEYS, &k[prefix.len()..])?
        {
            records.push(r);
        }
    }
    let mut w = XmlWriter::new();
    w.open("AccessKeyMetadata");
    for r in &records {
        write_key_meta(&mut w, "member", r, display.as_deref());
    }
    w.close("AccessKeyMetadata").element("IsTruncated", "false");
    Ok(w.finish())
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

fn update(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let user = subject(call)?;
    let key_id = q.require("AccessKeyId")?.to_owned();
    let status = match q.require("Status")? {
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
    Ok(String::new())
}

fn delete(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let user = subject(call)?;
    let key_id = q.require("AccessKeyId")?.to_owned();
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
    Ok(String::new())
}

fn last_used(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let acct = account(call)?;
    let key_id = call.query().require("AccessKeyId")?;
    let rec = rampart_store::StoreExt::get_json::<AccessKeyRecord>(iam.store.as_ref(), ACCESS_KEYS, key_id)?
        .filter(|r| r.account_id == *acct)
        .ok_or_else(|| AwsError::access_denied(format!("The access key {key_id} does not belong to your account")))?;
    let mut w = XmlWriter::new();
    w.optional("UserName", rec.user_name.as_deref());
    w.open("AccessKeyLastUsed");
    match iam.credentials.last_used(key_id)? {
        Some(u) => {
            let date = time::OffsetDateTime::from_unix_timestamp(u.at)
                .ok()
                .and_then(|d| d.format(&time::format_description::well_known::Rfc3339).ok())
                .unwrap_or_default();
            w.element("LastUsedDate", &date).element("ServiceName", &u.service).element("Region", &u.region);
        }
        None => {
            w.element("ServiceName", "N/A").element("Region", "N/A");
        }
    }
    w.close("AccessKeyLastUsed");
    Ok(w.finish())
}
