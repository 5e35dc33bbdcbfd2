//! Users: create, read, list, rename, delete, tags, permissions boundaries.

use super::{On, account, caller_user_name, entity, mop, op};
use crate::accounts::iso_now;
use crate::api::policies::{check_attachable, note_attachment};
use crate::model::{GroupRecord, IAM, Kind, ManagedPolicyRecord, MfaDeviceRecord, UserRecord};
use crate::shapes::iam as shapes;
use crate::state::Iam;
use crate::util::*;
use rampart_core::AwsError;
use rampart_store::{Txn, TxnExt};
use rampart_wire::model::Timestamp;
use rampart_wire::xml::XmlWriter;
use rampart_wire::{Call, Operation};
use std::sync::Arc;

pub(super) fn operations(iam: &Arc<Iam>) -> Vec<Operation> {
    vec![
        mop::<shapes::CreateUser>(iam, On::User("UserName"), false, create_user),
        mop::<shapes::GetUser>(iam, On::User("UserName"), true, get_user),
        mop::<shapes::ListUsers>(iam, On::Nothing, true, list_users),
        op(iam, "UpdateUser", On::User("UserName"), false, update_user),
        op(iam, "DeleteUser", On::User("UserName"), false, delete_user),
        op(iam, "TagUser", On::User("UserName"), false, entity::tag::<UserRecord>),
        op(iam, "UntagUser", On::User("UserName"), false, entity::untag::<UserRecord>),
        op(iam, "ListUserTags", On::User("UserName"), true, entity::list_tags::<UserRecord>),
        op(iam, "PutUserPermissionsBoundary", On::User("UserName"), false, entity::put_boundary::<UserRecord>),
        op(iam, "DeleteUserPermissionsBoundary", On::User("UserName"), false, entity::delete_boundary::<UserRecord>),
    ]
}

/// Writes `<{tag}>` with a user's fields; `full` adds the boundary and tags (GetUser/CreateUser).
pub(crate) fn write_user(w: &mut XmlWriter, tag: &str, u: &UserRecord, full: bool) {
    w.open(tag)
        .element("Path", &u.path)
        .element("UserName", &u.name)
        .element("UserId", &u.user_id)
        .element("Arn", &u.arn)
        .element("CreateDate", &u.create_date);
    if full {
        if let Some(b) = &u.boundary {
            w.open("PermissionsBoundary")
                .element("PermissionsBoundaryType", "PermissionsBoundaryPolicy")
                .element("PermissionsBoundaryArn", b)
                .close("PermissionsBoundary");
        }
        write_tags(w, &u.tags, true);
    }
    w.close(tag);
}

/// A user as IAM's API shows it; `full` adds the boundary and tags (GetUser/CreateUser).
pub(crate) fn user_shape(u: &UserRecord, full: bool) -> shapes::User {
    shapes::User {
        path: u.path.clone(),
        user_name: u.name.clone(),
        user_id: u.user_id.clone(),
        arn: u.arn.clone(),
        create_date: Timestamp::parse_iso8601(&u.create_date).unwrap_or_default(),
        password_last_used: None,
        permissions_boundary: u.boundary.as_ref().filter(|_| full).map(|b| shapes::AttachedPermissionsBoundary {
            permissions_boundary_type: Some("PermissionsBoundaryPolicy".to_owned()),
            permissions_boundary_arn: Some(b.clone()),
        }),
        tags: (full && !u.tags.is_empty()).then(|| tag_shapes(&u.tags)),
    }
}

/// The user named `name` inside a transaction, or `NoSuchEntity`.
pub(crate) fn load_user(
    t: &mut dyn Txn,
    acct: &rampart_core::ids::AccountId,
    name: &str,
) -> Result<UserRecord, AwsError> {
    t.get_json::<UserRecord>(IAM, &Kind::User.key(acct, name))?.ok_or_else(|| no_such_entity("user", name))
}

fn create_user(
    iam: &Iam,
    call: &Call,
    input: shapes::CreateUserRequest,
) -> Result<shapes::CreateUserResponse, AwsError> {
    let acct = account(call)?;
    let name = input.user_name;
    let path = input.path.unwrap_or_else(|| "/".to_owned());
    let tags = tags_from(input.tags);
    let boundary = input.permissions_boundary;
    if let Some(b) = &boundary {
        check_attachable(iam, acct, b)?;
    }
    let user = UserRecord {
        name: name.clone(),
        user_id: new_unique_id("AIDA"),
        arn: entity_arn(acct, "user", &path, &name),
        path,
        create_date: iso_now(),
        tags,
        boundary: boundary.clone(),
        permissions: Default::default(),
        groups: Vec::new(),
    };
    iam.write(|t| {
        if !t.insert_json(IAM, &Kind::User.key(acct, &name), &user)? {
            return Err(already_exists("User", &name));
        }
        if let Some(b) = &boundary {
            note_attachment(t, acct, b, "user", &name, true, true)?;
        }
        Ok(())
    })?;
    Ok(shapes::CreateUserResponse { user: Some(user_shape(&user, true)) })
}

fn get_user(iam: &Iam, call: &Call, input: shapes::GetUserRequest) -> Result<shapes::GetUserResponse, AwsError> {
    let acct = account(call)?;
    let name = match input.user_name {
        Some(n) => n,
        None => caller_user_name(call.caller()?)?.to_owned(),
    };
    let user: UserRecord = iam.get(Kind::User, acct, &name)?.ok_or_else(|| no_such_entity("user", &name))?;
    Ok(shapes::GetUserResponse { user: user_shape(&user, true) })
}

fn list_users(iam: &Iam, call: &Call, input: shapes::ListUsersRequest) -> Result<shapes::ListUsersResponse, AwsError> {
    let acct = account(call)?;
    let max = input.max_items.map_or(100, |n| n as usize);
    let prefix = input.path_prefix.as_deref().unwrap_or("/");
    let items =
        scan_kind::<UserRecord>(iam, Kind::User, acct, input.marker.as_deref(), |u| u.path.starts_with(prefix), max)?;
    let (users, is_truncated, marker) = page_of(items, max);
    Ok(shapes::ListUsersResponse {
        users: users.iter().map(|u| user_shape(u, false)).collect(),
        is_truncated: Some(is_truncated),
        marker,
    })
}

/// Entities of `kind` in key order after `marker` that satisfy `keep`, at most `max + 1` (so the
/// caller can tell whether the list is truncated), each with its pagination key.
pub(crate) fn scan_kind<T: serde::de::DeserializeOwned>(
    iam: &Iam,
    kind: Kind,
    acct: &rampart_core::ids::AccountId,
    marker: Option<&str>,
    keep: impl Fn(&T) -> bool,
    max: usize,
) -> Result<Vec<(String, T)>, AwsError> {
    let prefix = kind.prefix(acct);
    let mut after = marker.map(|m| format!("{prefix}{m}"));
    let mut out = Vec::new();
    loop {
        let batch = iam.store.scan(IAM, &prefix, after.as_deref(), 500)?;
        let done = batch.len() < 500;
        for (key, bytes) in batch {
            after = Some(key.clone());
            let rec: T = rampart_store::decode(IAM, &key, &bytes)?;
            if keep(&rec) {
                out.push((key[prefix.len()..].to_owned(), rec));
                if out.len() > max {
                    return Ok(out);
                }
            }
        }
        if done {
            return Ok(out);
        }
    }
}

fn update_user(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let name = name_param(q, "UserName", 64)?;
    let new_name = match q.get("NewUserName") {
        Some(n) => {
            check_name("NewUserName", n, 64)?;
            Some(n.to_owned())
        }
        None => None,
    };
    let new_path = match q.get("NewPath") {
        Some(p) => {
            check_path("NewPath", p)?;
            Some(p.to_owned())
        }
        None => None,
    };
    let mut renamed_keys = Vec::new();
    iam.write(|t| {
        renamed_keys.clear();
        let mut user = load_user(t, acct, name)?;
        let target = new_name.clone().unwrap_or_else(|| user.name.clone());
        let renaming = !target.eq_ignore_ascii_case(&user.name);
        if renaming && t.get(IAM, &Kind::User.key(acct, &target))?.is_some() {
            return Err(already_exists("User", &target));
        }
        let old_name = user.name.clone();
        if let Some(p) = &new_path {
            user.path = p.clone();
        }
        user.name = target.clone();
        user.arn = entity_arn(acct, "user", &user.path, &user.name);
        t.delete(IAM, &Kind::User.key(acct, &old_name))?;
        t.put_json(IAM, &Kind::User.key(acct, &user.name), &user)?;
        // Everything that refers to the user by name follows it.
        for g in &user.groups {
            let key = Kind::Group.key(acct, g);
            if let Some(mut group) = t.get_json::<GroupRecord>(IAM, &key)? {
                for m in group.members.iter_mut().filter(|m| m.eq_ignore_ascii_case(&old_name)) {
                    m.clone_from(&user.name);
                }
                t.put_json(IAM, &key, &group)?;
            }
        }
        for arn in user.permissions.attached.iter().chain(user.boundary.iter()) {
            if let Some((pacct, pname)) = crate::state::parse_policy_arn(arn) {
                let key = Kind::Policy.key(&pacct, pname);
                if let Some(mut p) = t.get_json::<ManagedPolicyRecord>(IAM, &key)? {
                    for a in
                        p.attachments.iter_mut().filter(|a| a.kind == "user" && a.name.eq_ignore_ascii_case(&old_name))
                    {
                        a.name.clone_from(&user.name);
                    }
                    t.put_json(IAM, &key, &p)?;
                }
            }
        }
        renamed_keys = crate::api::access_keys::rename_owner(t, acct, &old_name, &user.name)?;
        for (key, bytes) in t.scan(IAM, &Kind::Mfa.prefix(acct), None, usize::MAX)? {
            let mut d: MfaDeviceRecord = rampart_store::decode(IAM, &key, &bytes)?;
            if d.user.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(&old_name)) {
                d.user = Some(user.name.clone());
                t.put_json(IAM, &key, &d)?;
            }
        }
        Ok(())
    })?;
    for k in &renamed_keys {
        iam.credentials.invalidate(k);
    }
    Ok(String::new())
}

fn delete_user(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let name = name_param(q, "UserName", 64)?;
    iam.write(|t| {
        let user = load_user(t, acct, name)?;
        if !user.permissions.inline.is_empty() || !user.permissions.attached.is_empty() {
            return Err(delete_conflict("Cannot delete entity, must delete policies first."));
        }
        if !user.groups.is_empty() {
            return Err(delete_conflict("Cannot delete entity, must remove users from group first."));
        }
        if !crate::api::access_keys::keys_of(t, acct, Some(&user.name))?.is_empty() {
            return Err(delete_conflict("Cannot delete entity, must delete access keys first."));
        }
        for (key, bytes) in t.scan(IAM, &Kind::Mfa.prefix(acct), None, usize::MAX)? {
            let d: MfaDeviceRecord = rampart_store::decode(IAM, &key, &bytes)?;
            if d.user.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(&user.name)) {
                return Err(delete_conflict("Cannot delete entity, must remove MFA device first."));
            }
        }
        if let Some(b) = &user.boundary {
            note_attachment(t, acct, b, "user", &user.name, true, false)?;
        }
        t.delete(IAM, &Kind::User.key(acct, name))?;
        Ok(())
    })?;
    Ok(String::new())
}
