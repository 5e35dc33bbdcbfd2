//! Instance profiles: containers that pass one role to compute instances.

use super::{On, account, mop};
use crate::accounts::iso_now;
use crate::api::roles::{load_role, role_shape};
use crate::api::users::scan_kind;
use crate::model::{IAM, InstanceProfileRecord, Kind, RoleRecord};
use crate::shapes::iam as shapes;
use crate::state::Iam;
use crate::util::*;
use rampart_core::AwsError;
use rampart_core::ids::AccountId;
use rampart_store::{Txn, TxnExt};
use rampart_wire::model::{Empty, Timestamp};
use rampart_wire::{Call, Operation};
use std::sync::Arc;

pub(super) fn operations(iam: &Arc<Iam>) -> Vec<Operation> {
    vec![
        mop::<shapes::CreateInstanceProfile>(iam, On::InstanceProfile("InstanceProfileName"), false, create),
        mop::<shapes::GetInstanceProfile>(iam, On::InstanceProfile("InstanceProfileName"), true, get),
        mop::<shapes::DeleteInstanceProfile>(iam, On::InstanceProfile("InstanceProfileName"), false, delete),
        mop::<shapes::ListInstanceProfiles>(iam, On::Nothing, true, list),
        mop::<shapes::AddRoleToInstanceProfile>(
            iam,
            On::InstanceProfile("InstanceProfileName"),
            false,
            |iam, call, i| role(iam, call, &i.instance_profile_name, &i.role_name, true),
        ),
        mop::<shapes::RemoveRoleFromInstanceProfile>(
            iam,
            On::InstanceProfile("InstanceProfileName"),
            false,
            |iam, call, i| role(iam, call, &i.instance_profile_name, &i.role_name, false),
        ),
        mop::<shapes::ListInstanceProfilesForRole>(iam, On::Role("RoleName"), true, list_for_role),
    ]
}

/// An instance profile as IAM's API shows it, with its role (if it still exists).
fn profile_shape(iam: &Iam, acct: &AccountId, p: &InstanceProfileRecord) -> Result<shapes::InstanceProfile, AwsError> {
    let mut roles = Vec::new();
    for r in &p.roles {
        if let Some(role) = iam.get::<RoleRecord>(Kind::Role, acct, r)? {
            roles.push(role_shape(&role, false));
        }
    }
    Ok(shapes::InstanceProfile {
        path: p.path.clone(),
        instance_profile_name: p.name.clone(),
        instance_profile_id: p.id.clone(),
        arn: p.arn.clone(),
        create_date: Timestamp::parse_iso8601(&p.create_date).unwrap_or_default(),
        roles,
        tags: (!p.tags.is_empty()).then(|| tag_shapes(&p.tags)),
    })
}

fn load(t: &mut dyn Txn, acct: &AccountId, name: &str) -> Result<InstanceProfileRecord, AwsError> {
    t.get_json::<InstanceProfileRecord>(IAM, &Kind::InstanceProfile.key(acct, name))?
        .ok_or_else(|| no_such_entity("instance profile", name))
}

fn create(
    iam: &Iam,
    call: &Call,
    input: shapes::CreateInstanceProfileRequest,
) -> Result<shapes::CreateInstanceProfileResponse, AwsError> {
    let acct = account(call)?;
    let name = input.instance_profile_name.as_str();
    let path = input.path.unwrap_or_else(|| "/".to_owned());
    let p = InstanceProfileRecord {
        name: name.to_owned(),
        id: new_unique_id("AIPA"),
        arn: entity_arn(acct, "instance-profile", &path, name),
        path,
        create_date: iso_now(),
        roles: Vec::new(),
        tags: tags_from(input.tags)?,
    };
    iam.write(|t| {
        if !t.insert_json(IAM, &Kind::InstanceProfile.key(acct, name), &p)? {
            return Err(already_exists("Instance Profile", name));
        }
        Ok(())
    })?;
    Ok(shapes::CreateInstanceProfileResponse { instance_profile: profile_shape(iam, acct, &p)? })
}

fn get(
    iam: &Iam,
    call: &Call,
    input: shapes::GetInstanceProfileRequest,
) -> Result<shapes::GetInstanceProfileResponse, AwsError> {
    let acct = account(call)?;
    let name = input.instance_profile_name.as_str();
    let p: InstanceProfileRecord =
        iam.get(Kind::InstanceProfile, acct, name)?.ok_or_else(|| no_such_entity("instance profile", name))?;
    Ok(shapes::GetInstanceProfileResponse { instance_profile: profile_shape(iam, acct, &p)? })
}

fn delete(iam: &Iam, call: &Call, input: shapes::DeleteInstanceProfileRequest) -> Result<Empty, AwsError> {
    let acct = account(call)?;
    let name = input.instance_profile_name.as_str();
    iam.write(|t| {
        let p = load(t, acct, name)?;
        if !p.roles.is_empty() {
            return Err(delete_conflict("Cannot delete entity, must remove roles from instance profile first."));
        }
        t.delete(IAM, &Kind::InstanceProfile.key(acct, name))?;
        Ok(())
    })?;
    Ok(Empty {})
}

fn list(
    iam: &Iam,
    call: &Call,
    input: shapes::ListInstanceProfilesRequest,
) -> Result<shapes::ListInstanceProfilesResponse, AwsError> {
    let acct = account(call)?;
    let max = input.max_items.map_or(100, |n| n as usize);
    let prefix = input.path_prefix.as_deref().unwrap_or("/");
    let items = scan_kind::<InstanceProfileRecord>(
        iam,
        Kind::InstanceProfile,
        acct,
        input.marker.as_deref(),
        |p| p.path.starts_with(prefix),
        max,
    )?;
    let (profiles, is_truncated, marker) = page_of(items, max);
    Ok(shapes::ListInstanceProfilesResponse {
        instance_profiles: profiles.iter().map(|p| profile_shape(iam, acct, p)).collect::<Result<_, _>>()?,
        is_truncated: Some(is_truncated),
        marker,
    })
}

fn role(iam: &Iam, call: &Call, name: &str, role_name: &str, add: bool) -> Result<Empty, AwsError> {
    let acct = account(call)?;
    iam.write(|t| {
        let mut p = load(t, acct, name)?;
        let role = load_role(t, acct, role_name)?;
        let present = p.roles.iter().any(|r| r.eq_ignore_ascii_case(&role.name));
        match (add, present) {
            (true, _) if !p.roles.is_empty() => {
                return Err(limit_exceeded("Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1"));
            }
            (true, _) => p.roles.push(role.name.clone()),
            (false, false) => return Err(no_such_entity("role", &format!("{role_name} in instance profile {name}"))),
            (false, true) => p.roles.retain(|r| !r.eq_ignore_ascii_case(&role.name)),
        }
        t.put_json(IAM, &Kind::InstanceProfile.key(acct, name), &p)?;
        Ok(())
    })?;
    Ok(Empty {})
}

fn list_for_role(
    iam: &Iam,
    call: &Call,
    input: shapes::ListInstanceProfilesForRoleRequest,
) -> Result<shapes::ListInstanceProfilesForRoleResponse, AwsError> {
    let acct = account(call)?;
    let role_name = input.role_name.as_str();
    iam.get::<RoleRecord>(Kind::Role, acct, role_name)?.ok_or_else(|| no_such_entity("role", role_name))?;
    let items = scan_kind::<InstanceProfileRecord>(
        iam,
        Kind::InstanceProfile,
        acct,
        None,
        |p| p.roles.iter().any(|r| r.eq_ignore_ascii_case(role_name)),
        1000,
    )?;
    Ok(shapes::ListInstanceProfilesForRoleResponse {
        instance_profiles: items.iter().map(|(_, p)| profile_shape(iam, acct, p)).collect::<Result<_, _>>()?,
        is_truncated: Some(false),
        marker: None,
    })
}
