//! Roles: trust policies, session duration, boundaries, tags.

use super::{On, account, entity, op};
use crate::accounts::iso_now;
use crate::api::policies::{check_attachable, note_attachment, validate_document};
use crate::api::users::scan_kind;
use crate::model::{IAM, InstanceProfileRecord, Kind, RoleRecord};
use crate::state::Iam;
use crate::util::*;
use rampart_core::AwsError;
use rampart_core::ids::AccountId;
use rampart_policy::{PolicyKind, limits};
use rampart_store::{Txn, TxnExt};
use rampart_wire::xml::XmlWriter;
use rampart_wire::{Call, Operation};
use std::sync::Arc;

pub(super) fn operations(iam: &Arc<Iam>) -> Vec<Operation> {
    vec![
        op(iam, "CreateRole", On::Role("RoleName"), false, create_role),
        op(iam, "GetRole", On::Role("RoleName"), true, get_role),
        op(iam, "ListRoles", On::Nothing, true, list_roles),
        op(iam, "UpdateRole", On::Role("RoleName"), false, update_role),
        op(iam, "UpdateRoleDescription", On::Role("RoleName"), false, update_role),
        op(iam, "UpdateAssumeRolePolicy", On::Role("RoleName"), false, update_trust),
        op(iam, "DeleteRole", On::Role("RoleName"), false, delete_role),
        op(iam, "TagRole", On::Role("RoleName"), false, entity::tag::<RoleRecord>),
        op(iam, "UntagRole", On::Role("RoleName"), false, entity::untag::<RoleRecord>),
        op(iam, "ListRoleTags", On::Role("RoleName"), true, entity::list_tags::<RoleRecord>),
        op(iam, "PutRolePermissionsBoundary", On::Role("RoleName"), false, entity::put_boundary::<RoleRecord>),
        op(iam, "DeleteRolePermissionsBoundary", On::Role("RoleName"), false, entity::delete_boundary::<RoleRecord>),
    ]
}

/// Writes `<{tag}>` with a role's fields.
pub(crate) fn write_role(w: &mut XmlWriter, tag: &str, r: &RoleRecord, full: bool) {
    w.open(tag)
        .element("Path", &r.path)
        .element("RoleName", &r.name)
        .element("RoleId", &r.role_id)
        .element("Arn", &r.arn)
        .element("CreateDate", &r.create_date)
        .element("AssumeRolePolicyDocument", &encode_document(&r.trust_policy));
    w.optional("Description", r.description.as_deref());
    w.element("MaxSessionDuration", &r.max_session_duration.to_string());
    if full {
        if let Some(b) = &r.boundary {
            w.open("PermissionsBoundary")
                .element("PermissionsBoundaryType", "PermissionsBoundaryPolicy")
                .element("PermissionsBoundaryArn", b)
                .close("PermissionsBoundary");
        }
        write_tags(w, &r.tags, true);
    }
    w.close(tag);
}

/// The role `name` inside a transaction, or `NoSuchEntity`.
pub(crate) fn load_role(t: &mut dyn Txn, acct: &AccountId, name: &str) -> Result<RoleRecord, AwsError> {
    t.get_json::<RoleRecord>(IAM, &Kind::Role.key(acct, name))?.ok_or_else(|| no_such_entity("role", name))
}

fn max_session(q: &rampart_wire::query::QueryParams) -> Result<Option<u32>, AwsError> {
    match q.get("MaxSessionDuration") {
        None => Ok(None),
        Some(v) => match v.parse::<u32>() {
            Ok(n) if (3600..=43200).contains(&n) => Ok(Some(n)),
            _ => Err(AwsError::validation(format!(
                "1 validation error detected: Value '{v}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200"
            ))),
        },
    }
}

fn create_role(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let name = name_param(q, "RoleName", 64)?;
    let path = path_param(q, "Path")?;
    // The path of service-linked roles, which only AWS services create (as AWS answers).
    if path.starts_with("/aws-service-role/") {
        return Err(crate::util::invalid_input(
            "Path prefix '/aws-service-role/' can only be used for AWS Service linked Roles",
        ));
    }
    let trust = q.require("AssumeRolePolicyDocument")?;
    validate_document(trust, PolicyKind::Trust, limits::TRUST_POLICY, "ACLSizePerRole")?;
    let tags = tags_param(q, "Tags")?;
    let boundary = q.get("PermissionsBoundary").map(str::to_owned);
    if let Some(b) = &boundary {
        check_attachable(iam, acct, b)?;
    }
    let description = q.get("Description").map(str::to_owned);
    if description.as_deref().is_some_and(|d| d.chars().count() > 1000) {
        return Err(AwsError::validation(
            "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000",
        ));
    }
    let role = RoleRecord {
        name: name.to_owned(),
        role_id: new_unique_id("AROA"),
        arn: entity_arn(acct, "role", &path, name),
        path,
        create_date: iso_now(),
        trust_policy: trust.to_owned(),
        description,
        max_session_duration: max_session(q)?.unwrap_or(3600),
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
    let mut w = XmlWriter::new();
    write_role(&mut w, "Role", &role, true);
    Ok(w.finish())
}

fn get_role(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let name = name_param(q, "RoleName", 64)?;
    let r: RoleRecord = iam.get(Kind::Role, acct, name)?.ok_or_else(|| no_such_entity("role", name))?;
    let mut w = XmlWriter::new();
    write_role(&mut w, "Role", &r, true);
    Ok(w.finish())
}

fn list_roles(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let (max, marker) = paging(q)?;
    let prefix = path_prefix_param(q)?;
    let items = scan_kind::<RoleRecord>(iam, Kind::Role, acct, marker.as_deref(), |r| r.path.starts_with(prefix), max)?;
    let mut tail = XmlWriter::new();
    let roles = page(items, max, &mut tail);
    let mut w = XmlWriter::new();
    w.open("Roles");
    for r in &roles {
        write_role(&mut w, "member", r, false);
    }
    w.close("Roles");
    Ok(w.finish() + &tail.finish())
}

fn update_role(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let name = name_param(q, "RoleName", 64)?;
    let max = max_session(q)?;
    let description = q.get("Description").map(str::to_owned);
    let role = iam.write(|t| {
        let mut r = load_role(t, acct, name)?;
        if let Some(m) = max {
            r.max_session_duration = m;
        }
        if description.is_some() {
            r.description.clone_from(&description);
        }
        t.put_json(IAM, &Kind::Role.key(acct, name), &r)?;
        Ok(r)
    })?;
    if call.query().action() == Some("UpdateRoleDescription") {
        let mut w = XmlWriter::new();
        write_role(&mut w, "Role", &role, true);
        return Ok(w.finish());
    }
    Ok(String::new())
}

fn update_trust(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let name = name_param(q, "RoleName", 64)?;
    let doc = q.require("PolicyDocument")?.to_owned();
    validate_document(&doc, PolicyKind::Trust, limits::TRUST_POLICY, "ACLSizePerRole")?;
    iam.write(|t| {
        let mut r = load_role(t, acct, name)?;
        r.trust_policy.clone_from(&doc);
        r.trust_version += 1;
        t.put_json(IAM, &Kind::Role.key(acct, name), &r)?;
        Ok(())
    })?;
    Ok(String::new())
}

fn delete_role(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let name = name_param(q, "RoleName", 64)?;
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
    Ok(String::new())
}
