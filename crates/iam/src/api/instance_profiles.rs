//! Instance profiles: containers that pass one role to compute instances.

use super::{On, account, op};
use crate::accounts::iso_now;
use crate::api::roles::{load_role, write_role};
use crate::api::users::scan_kind;
use crate::model::{IAM, InstanceProfileRecord, Kind, RoleRecord};
use crate::state::Iam;
use crate::util::*;
use rampart_core::AwsError;
use rampart_core::ids::AccountId;
use rampart_store::{Txn, TxnExt};
use rampart_wire::xml::XmlWriter;
use rampart_wire::{Call, Operation};
use std::sync::Arc;

pub(super) fn operations(iam: &Arc<Iam>) -> Vec<Operation> {
    vec![
        op(iam, "CreateInstanceProfile", On::InstanceProfile("InstanceProfileName"), false, create),
        op(iam, "GetInstanceProfile", On::InstanceProfile("InstanceProfileName"), true, get),
        op(iam, "DeleteInstanceProfile", On::InstanceProfile("InstanceProfileName"), false, delete),
        op(iam, "ListInstanceProfiles", On::Nothing, true, list),
        op(iam, "AddRoleToInstanceProfile", On::InstanceProfile("InstanceProfileName"), false, |i, c| role(i, c, true)),
        op(iam, "RemoveRoleFromInstanceProfile", On::InstanceProfile("InstanceProfileName"), false, |i, c| {
            role(i, c, false)
        }),
        op(iam, "ListInstanceProfilesForRole", On::Role("RoleName"), true, list_for_role),
    ]
}

fn write_profile(
    iam: &Iam,
    acct: &AccountId,
    w: &mut XmlWriter,
    tag: &str,
    p: &InstanceProfileRecord,
) -> Result<(), AwsError> {
    w.open(tag)
        .element("Path", &p.path)
        .element("InstanceProfileName", &p.name)
        .element("InstanceProfileId", &p.id)
        .element("Arn", &p.arn)
        .element("CreateDate", &p.create_date);
    w.open("Roles");
    for r in &p.roles {
        if let Some(role) = iam.get::<RoleRecord>(Kind::Role, acct, r)? {
            write_role(w, "member", &role, false);
        }
    }
    w.close("Roles");
    write_tags(w, &p.tags, true);
    w.close(tag);
    Ok(())
}

fn load(t: &mut dyn Txn, acct: &AccountId, name: &str) -> Result<InstanceProfileRecord, AwsError> {
    t.get_json::<InstanceProfileRecord>(IAM, &Kind::InstanceProfile.key(acct, name))?
        .ok_or_else(|| no_such_entity("instance profile", name))
}

fn create(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let name = name_param(q, "InstanceProfileName", 128)?;
    let path = path_param(q, "Path")?;
    let p = InstanceProfileRecord {
        name: name.to_owned(),
        id: new_unique_id("AIPA"),
        arn: entity_arn(acct, "instance-profile", &path, name),
        path,
        create_date: iso_now(),
        roles: Vec::new(),
        tags: tags_param(q, "Tags")?,
    };
    iam.write(|t| {
        if !t.insert_json(IAM, &Kind::InstanceProfile.key(acct, name), &p)? {
            return Err(already_exists("Instance Profile", name));
        }
        Ok(())
    })?;
    let mut w = XmlWriter::new();
    write_profile(iam, acct, &mut w, "InstanceProfile", &p)?;
    Ok(w.finish())
}

fn get(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let name = name_param(q, "InstanceProfileName", 128)?;
    let p: InstanceProfileRecord =
        iam.get(Kind::InstanceProfile, acct, name)?.ok_or_else(|| no_such_entity("instance profile", name))?;
    let mut w = XmlWriter::new();
    write_profile(iam, acct, &mut w, "InstanceProfile", &p)?;
    Ok(w.finish())
}

fn delete(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let name = name_param(q, "InstanceProfileName", 128)?;
    iam.write(|t| {
        let p = load(t, acct, name)?;
        if !p.roles.is_empty() {
            return Err(delete_conflict("Cannot delete entity, must remove roles from instance profile first."));
        }
        t.delete(IAM, &Kind::InstanceProfile.key(acct, name))?;
        Ok(())
    })?;
    Ok(String::new())
}

fn list(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let (max, marker) = paging(q)?;
    let prefix = path_prefix_param(q)?;
    let items = scan_kind::<InstanceProfileRecord>(
        iam,
        Kind::InstanceProfile,
        acct,
        marker.as_deref(),
        |p| p.path.starts_with(prefix),
        max,
    )?;
    let mut tail = XmlWriter::new();
    let profiles = page(items, max, &mut tail);
    let mut w = XmlWriter::new();
    w.open("InstanceProfiles");
    for p in &profiles {
        write_profile(iam, acct, &mut w, "member", p)?;
    }
    w.close("InstanceProfiles");
    Ok(w.finish() + &tail.finish())
}

fn role(iam: &Iam, call: &Call, add: bool) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let name = name_param(q, "InstanceProfileName", 128)?;
    let role_name = name_param(q, "RoleName", 64)?;
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
    Ok(String::new())
}

fn list_for_role(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let role_name = name_param(q, "RoleName", 64)?;
    iam.get::<RoleRecord>(Kind::Role, acct, role_name)?.ok_or_else(|| no_such_entity("role", role_name))?;
    let items = scan_kind::<InstanceProfileRecord>(
        iam,
        Kind::InstanceProfile,
        acct,
        None,
        |p| p.roles.iter().any(|r| r.eq_ignore_ascii_case(role_name)),
        1000,
    )?;
    let mut w = XmlWriter::new();
    w.open("InstanceProfiles");
    for (_, p) in &items {
        write_profile(iam, acct, &mut w, "member", p)?;
    }
    w.close("InstanceProfiles").element("IsTruncated", "false");
    Ok(w.finish())
}
