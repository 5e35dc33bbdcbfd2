//! Roles: trust policies, session duration, boundaries, tags.

use super::{On, account, entity, mop};
use crate::accounts::iso_now;
use crate::api::policies::{check_attachable, note_attachment, validate_document};
use crate::api::users::scan_kind;
use crate::model::{IAM, InstanceProfileRecord, Kind, RoleRecord};
use crate::shapes::iam as shapes;
use crate::state::Iam;
use crate::util::*;
use rampart_core::AwsError;
use rampart_core::ids::AccountId;
use rampart_policy::{PolicyKind, limits};
use rampart_store::{Txn, TxnExt};
use rampart_wire::model::{Empty, Timestamp};
use rampart_wire::{Call, Operation};
use std::sync::Arc;

pub(super) fn operations(iam: &Arc<Iam>) -> Vec<Operation> {
    vec![
        mop::<shapes::CreateRole>(iam, On::Role("RoleName"), false, create_role),
        mop::<shapes::GetRole>(iam, On::Role("RoleName"), true, get_role),
        mop::<shapes::ListRoles>(iam, On::Nothing, true, list_roles),
        mop::<shapes::UpdateRole>(iam, On::Role("RoleName"), false, |iam, call, i| {
            update_role(iam, call, &i.role_name, i.max_session_duration, i.description)?;
            Ok(shapes::UpdateRoleResponse {})
        }),
        mop::<shapes::UpdateRoleDescription>(iam, On::Role("RoleName"), false, |iam, call, i| {
            let role = update_role(iam, call, &i.role_name, None, Some(i.description))?;
            Ok(shapes::UpdateRoleDescriptionResponse { role: Some(role_shape(&role, true)) })
        }),
        mop::<shapes::UpdateAssumeRolePolicy>(iam, On::Role("RoleName"), false, update_trust),
        mop::<shapes::DeleteRole>(iam, On::Role("RoleName"), false, delete_role),
        mop::<shapes::TagRole>(iam, On::Role("RoleName"), false, |iam, call, i| {
            entity::tag::<RoleRecord>(iam, call, &i.role_name, i.tags)
        }),
        mop::<shapes::UntagRole>(iam, On::Role("RoleName"), false, |iam, call, i| {
            entity::untag::<RoleRecord>(iam, call, &i.role_name, &i.tag_keys)
        }),
        mop::<shapes::ListRoleTags>(iam, On::Role("RoleName"), true, |iam, call, i| {
            let tags = entity::list_tags::<RoleRecord>(iam, call, &i.role_name)?;
            Ok(shapes::ListRoleTagsResponse { tags, is_truncated: Some(false), marker: None })
        }),
        mop::<shapes::PutRolePermissionsBoundary>(iam, On::Role("RoleName"), false, |iam, call, i| {
            entity::put_boundary::<RoleRecord>(iam, call, &i.role_name, &i.permissions_boundary)
        }),
        mop::<shapes::DeleteRolePermissionsBoundary>(iam, On::Role("RoleName"), false, |iam, call, i| {
            entity::delete_boundary::<RoleRecord>(iam, call, &i.role_name)
        }),
    ]
}

/// A role as IAM's API shows it; `full` adds the boundary and tags (GetRole/CreateRole).
pub(crate) fn role_shape(r: &RoleRecord, full: bool) -> shapes::Role {
    shapes::Role {
        path: r.path.clone(),
        role_name: r.name.clone(),
        role_id: r.role_id.clone(),
        arn: r.arn.clone(),
        create_date: Timestamp::parse_iso8601(&r.create_date).unwrap_or_default(),
        assume_role_policy_document: Some(encode_document(&r.trust_policy)),
        description: r.description.clone(),
        max_session_duration: i32::try_from(r.max_session_duration).ok(),
        permissions_boundary: r.boundary.as_ref().filter(|_| full).map(|b| shapes::AttachedPermissionsBoundary {
            permissions_boundary_type: Some("PermissionsBoundaryPolicy".to_owned()),
            permissions_boundary_arn: Some(b.clone()),
        }),
        tags: (full && !r.tags.is_empty()).then(|| tag_shapes(&r.tags)),
        role_last_used: None,
    }
}

/// The role `name` inside a transaction, or `NoSuchEntity`.
pub(crate) fn load_role(t: &mut dyn Txn, acct: &AccountId, name: &str) -> Result<RoleRecord, AwsError> {
    t.get_json::<RoleRecord>(IAM, &Kind::Role.key(acct, name))?.ok_or_else(|| no_such_entity("role", name))
}

fn create_role(
    iam: &Iam,
    call: &Call,
    input: shapes::CreateRoleRequest,
) -> Result<shapes::CreateRoleResponse, AwsError> {
    let acct = account(call)?;
    let name = input.role_name.as_str();
    let path = input.path.unwrap_or_else(|| "/".to_owned());
    // The path of service-linked roles, which only AWS services create (as AWS answers).
    if path.starts_with("/aws-service-role/") {
        return Err(crate::util::invalid_input(
            "Path prefix '/aws-service-role/' can only be used for AWS Service linked Roles",
        ));
    }
    let trust = input.assume_role_policy_document;
    validate_document(&trust, PolicyKind::Trust, limits::TRUST_POLICY, "ACLSizePerRole")?;
    let tags = tags_from(input.tags)?;
    let boundary = input.permissions_boundary;
    if let Some(b) = &boundary {
        check_attachable(iam, acct, b)?;
    }
    let role = RoleRecord {
        name: name.to_owned(),
        role_id: new_unique_id("AROA"),
        arn: entity_arn(acct, "role", &path, name),
        path,
        create_date: iso_now(),
        trust_policy: trust,
        description: input.description,
        // The model checked the range (3600 to 43200).
        max_session_duration: input.max_session_duration.and_then(|n| u32::try_from(n).ok()).unwrap_or(3600),
        tags,
        boundary: boundary.clone(),
        permissions: Default::default(),
        trust_version: 1,
    };
    iam.write(|t| {
        if !t.insert_json(IAM, &Kind::Role.key(acct, name), &role)? {
            return Err(already_exists("Role", name));
        }
        if let Some(b) = &boundary {
            note_attachment(t, acct, b, "role", name, true, true)?;
        }
        Ok(())
    })?;
    Ok(shapes::CreateRoleResponse { role: role_shape(&role, true) })
}

fn get_role(iam: &Iam, call: &Call, input: shapes::GetRoleRequest) -> Result<shapes::GetRoleResponse, AwsError> {
    let acct = account(call)?;
    let name = input.role_name.as_str();
    let r: RoleRecord = iam.get(Kind::Role, acct, name)?.ok_or_else(|| no_such_entity("role", name))?;
    Ok(shapes::GetRoleResponse { role: role_shape(&r, true) })
}

fn list_roles(iam: &Iam, call: &Call, input: shapes::ListRolesRequest) -> Result<shapes::ListRolesResponse, AwsError> {
    let acct = account(call)?;
    let max = input.max_items.map_or(100, |n| n as usize);
    let prefix = input.path_prefix.as_deref().unwrap_or("/");
    let items =
        scan_kind::<RoleRecord>(iam, Kind::Role, acct, input.marker.as_deref(), |r| r.path.starts_with(prefix), max)?;
    let (roles, is_truncated, marker) = page_of(items, max);
    Ok(shapes::ListRolesResponse {
        roles: roles.iter().map(|r| role_shape(r, false)).collect(),
        is_truncated: Some(is_truncated),
        marker,
    })
}

/// `UpdateRole` / `UpdateRoleDescription`: the role `name` with its new maximum session duration
/// (checked by the model) and description, as stored.
fn update_role(
    iam: &Iam,
    call: &Call,
    name: &str,
    max: Option<i32>,
    description: Option<String>,
) -> Result<RoleRecord, AwsError> {
    let acct = account(call)?;
    let max = max.and_then(|n| u32::try_from(n).ok());
    iam.write(|t| {
        let mut r = load_role(t, acct, name)?;
        if let Some(m) = max {
            r.max_session_duration = m;
        }
        if description.is_some() {
            r.description.clone_from(&description);
        }
        t.put_json(IAM, &Kind::Role.key(acct, name), &r)?;
        Ok(r)
    })
}

fn update_trust(iam: &Iam, call: &Call, input: shapes::UpdateAssumeRolePolicyRequest) -> Result<Empty, AwsError> {
    let acct = account(call)?;
    let name = input.role_name.as_str();
    let doc = input.policy_document;
    validate_document(&doc, PolicyKind::Trust, limits::TRUST_POLICY, "ACLSizePerRole")?;
    iam.write(|t| {
        let mut r = load_role(t, acct, name)?;
        r.trust_policy.clone_from(&doc);
        r.trust_version += 1;
        t.put_json(IAM, &Kind::Role.key(acct, name), &r)?;
        Ok(())
    })?;
    Ok(Empty {})
}

fn delete_role(iam: &Iam, call: &Call, input: shapes::DeleteRoleRequest) -> Result<Empty, AwsError> {
    let acct = account(call)?;
    let name = input.role_name.as_str();
    iam.write(|t| {
        let r = load_role(t, acct, name)?;
        if !r.permissions.inline.is_empty() || !r.permissions.attached.is_empty() {
            return Err(delete_conflict("Cannot delete entity, must detach all policies first."));
        }
        for (key, bytes) in t.scan(IAM, &Kind::InstanceProfile.prefix(acct), None, usize::MAX)? {
            let p: InstanceProfileRecord = rampart_store::decode(IAM, &key, &bytes)?;
            if p.roles.iter().any(|x| x.eq_ignore_ascii_case(&r.name)) {
                return Err(delete_conflict("Cannot delete entity, must remove roles from instance profile first."));
            }
        }
        if let Some(b) = &r.boundary {
            note_attachment(t, acct, b, "role", &r.name, true, false)?;
        }
        t.delete(IAM, &Kind::Role.key(acct, name))?;
        Ok(())
    })?;
    Ok(Empty {})
}
