//! Policies: customer-managed policies and their versions, attaching managed policies to users,
//! groups and roles, and inline policies.

use super::{On, account, op};
use crate::accounts::iso_now;
use crate::model::{
    Attachment, GroupRecord, IAM, Kind, ManagedPolicyRecord, Permissions, PolicyVersionRecord, RoleRecord, UserRecord,
};
use crate::state::{Iam, parse_policy_arn};
use crate::util::*;
use rampart_core::AwsError;
use rampart_core::ids::AccountId;
use rampart_policy::{Policy, PolicyKind, limits};
use rampart_store::{Txn, TxnExt};
use rampart_wire::xml::XmlWriter;
use rampart_wire::{Call, Operation};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// AWS's default quota of managed policies attached to one user, group or role.
const ATTACHED_PER_ENTITY: usize = 10;
/// AWS's limit of versions per managed policy.
const VERSIONS_PER_POLICY: usize = 5;

pub(super) fn operations(iam: &Arc<Iam>) -> Vec<Operation> {
    vec![
        op(iam, "CreatePolicy", On::NewPolicy, false, create_policy),
        op(iam, "GetPolicy", On::PolicyArn("PolicyArn"), true, get_policy),
        op(iam, "DeletePolicy", On::PolicyArn("PolicyArn"), false, delete_policy),
        op(iam, "ListPolicies", On::Nothing, true, list_policies),
        op(iam, "CreatePolicyVersion", On::PolicyArn("PolicyArn"), false, create_version),
        op(iam, "GetPolicyVersion", On::PolicyArn("PolicyArn"), true, get_version),
        op(iam, "ListPolicyVersions", On::PolicyArn("PolicyArn"), true, list_versions),
        op(iam, "DeletePolicyVersion", On::PolicyArn("PolicyArn"), false, delete_version),
        op(iam, "SetDefaultPolicyVersion", On::PolicyArn("PolicyArn"), false, set_default_version),
        op(iam, "ListEntitiesForPolicy", On::PolicyArn("PolicyArn"), true, list_entities),
        op(iam, "AttachUserPolicy", On::User("UserName"), false, |i, c| attach::<UserRecord>(i, c, true)),
        op(iam, "DetachUserPolicy", On::User("UserName"), false, |i, c| attach::<UserRecord>(i, c, false)),
        op(iam, "AttachGroupPolicy", On::Group("GroupName"), false, |i, c| attach::<GroupRecord>(i, c, true)),
        op(iam, "DetachGroupPolicy", On::Group("GroupName"), false, |i, c| attach::<GroupRecord>(i, c, false)),
        op(iam, "AttachRolePolicy", On::Role("RoleName"), false, |i, c| attach::<RoleRecord>(i, c, true)),
        op(iam, "DetachRolePolicy", On::Role("RoleName"), false, |i, c| attach::<RoleRecord>(i, c, false)),
        op(iam, "ListAttachedUserPolicies", On::User("UserName"), true, list_attached::<UserRecord>),
        op(iam, "ListAttachedGroupPolicies", On::Group("GroupName"), true, list_attached::<GroupRecord>),
        op(iam, "ListAttachedRolePolicies", On::Role("RoleName"), true, list_attached::<RoleRecord>),
        op(iam, "PutUserPolicy", On::User("UserName"), false, put_inline::<UserRecord>),
        op(iam, "GetUserPolicy", On::User("UserName"), true, get_inline::<UserRecord>),
        op(iam, "DeleteUserPolicy", On::User("UserName"), false, delete_inline::<UserRecord>),
        op(iam, "ListUserPolicies", On::User("UserName"), true, list_inline::<UserRecord>),
        op(iam, "PutGroupPolicy", On::Group("GroupName"), false, put_inline::<GroupRecord>),
        op(iam, "GetGroupPolicy", On::Group("GroupName"), true, get_inline::<GroupRecord>),
        op(iam, "DeleteGroupPolicy", On::Group("GroupName"), false, delete_inline::<GroupRecord>),
        op(iam, "ListGroupPolicies", On::Group("GroupName"), true, list_inline::<GroupRecord>),
        op(iam, "PutRolePolicy", On::Role("RoleName"), false, put_inline::<RoleRecord>),
        op(iam, "GetRolePolicy", On::Role("RoleName"), true, get_inline::<RoleRecord>),
        op(iam, "DeleteRolePolicy", On::Role("RoleName"), false, delete_inline::<RoleRecord>),
        op(iam, "ListRolePolicies", On::Role("RoleName"), true, list_inline::<RoleRecord>),
    ]
}

/// A user, group or role: the entities policies attach to.
pub(crate) trait Principalish: Serialize + DeserializeOwned {
    /// The store kind.
    const KIND: Kind;
    /// `user`, `group`, `role`.
    const WORD: &'static str;
    /// The request parameter naming it.
    const PARAM: &'static str;
    /// Longest name.
    const MAX_NAME: usize;
    /// Inline policy quota (aggregate characters).
    const INLINE_LIMIT: usize;
    /// The entity's name.
    fn name(&self) -> &str;
    /// Its policies.
    fn permissions(&self) -> &Permissions;
    /// Its policies, to change.
    fn permissions_mut(&mut self) -> &mut Permissions;
}

impl Principalish for UserRecord {
    const KIND: Kind = Kind::User;
    const WORD: &'static str = "user";
    const PARAM: &'static str = "UserName";
    const MAX_NAME: usize = 64;
    const INLINE_LIMIT: usize = limits::USER_INLINE;
    fn name(&self) -> &str {
        &self.name
    }
    fn permissions(&self) -> &Permissions {
        &self.permissions
    }
    fn permissions_mut(&mut self) -> &mut Permissions {
        &mut self.permissions
    }
}

impl Principalish for GroupRecord {
    const KIND: Kind = Kind::Group;
    const WORD: &'static str = "group";
    const PARAM: &'static str = "GroupName";
    const MAX_NAME: usize = 128;
    const INLINE_LIMIT: usize = limits::GROUP_INLINE;
    fn name(&self) -> &str {
        &self.name
    }
    fn permissions(&self) -> &Permissions {
        &self.permissions
    }
    fn permissions_mut(&mut self) -> &mut Permissions {
        &mut self.permissions
    }
}

impl Principalish for RoleRecord {
    const KIND: Kind = Kind::Role;
    const WORD: &'static str = "role";
    const PARAM: &'static str = "RoleName";
    const MAX_NAME: usize = 64;
    const INLINE_LIMIT: usize = limits::ROLE_INLINE;
    fn name(&self) -> &str {
        &self.name
    }
    fn permissions(&self) -> &Permissions {
        &self.permissions
    }
    fn permissions_mut(&mut self) -> &mut Permissions {
        &mut self.permissions
    }
}

pub(crate) fn load<T: Principalish>(t: &mut dyn Txn, acct: &AccountId, name: &str) -> Result<T, AwsError> {
    t.get_json::<T>(IAM, &T::KIND.key(acct, name))?.ok_or_else(|| no_such_entity(T::WORD, name))
}

/// Tags from a modeled request, with the rules IAM's model cannot express: keys beginning with
/// `aws:` are reserved, and keys are unique (ignoring case). The model layer checked their count,
/// lengths, characters and presence. Same messages as [`tags_param`].
pub(crate) fn checked_tags(tags: Option<Vec<crate::shapes::iam::Tag>>) -> Result<Vec<crate::model::Tag>, AwsError> {
    let tags = tags_from(tags);
    for (i, t) in tags.iter().enumerate() {
        if t.key.to_ascii_lowercase().starts_with("aws:") {
            return Err(invalid_input("tag keys beginning with `aws:` are reserved for AWS use"));
        }
        if tags[..i].iter().any(|x| x.key.eq_ignore_ascii_case(&t.key)) {
            return Err(invalid_input(format!("duplicate tag key `{}`: tag keys must be unique", t.key)));
        }
    }
    Ok(tags)
}

/// Validates `doc` as a policy of `kind`, with AWS's size quota `limit` and error messages.
pub(crate) fn validate_document(doc: &str, kind: PolicyKind, limit: usize, quota_name: &str) -> Result<(), AwsError> {
    if limits::policy_size(doc) > limit {
        return Err(limit_exceeded(format!("Cannot exceed quota for {quota_name}: {limit}")));
    }
    Policy::parse_as(doc, kind).map_err(|e| malformed_policy(e.aws_message()))?;
    Ok(())
}

/// Checks that `arn` names a managed policy the account may attach (its own or AWS's).
pub(crate) fn check_attachable(iam: &Iam, acct: &AccountId, arn: &str) -> Result<(), AwsError> {
    let ok = iam.managed.get(arn).is_some()
        || (parse_policy_arn(arn).is_some_and(|(a, _)| a == *acct) && iam.customer_policy(arn)?.is_some());
    if ok {
        Ok(())
    } else {
        Err(AwsError::new("NoSuchEntity", 404, format!("Policy {arn} does not exist or is not attachable.")))
    }
}

/// Adds (`attach`) or removes an attachment record on a customer-managed policy.
pub(crate) fn note_attachment(
    t: &mut dyn Txn,
    acct: &AccountId,
    arn: &str,
    kind: &str,
    name: &str,
    boundary: bool,
    attach: bool,
) -> Result<(), AwsError> {
    let Some((pacct, pname)) = parse_policy_arn(arn) else { return Ok(()) };
    if pacct != *acct {
        return Ok(());
    }
    let key = Kind::Policy.key(&pacct, pname);
    let Some(mut p) = t.get_json::<ManagedPolicyRecord>(IAM, &key)? else { return Ok(()) };
    let entry = Attachment { kind: kind.to_owned(), name: name.to_owned(), boundary };
    p.attachments.retain(|a| !(a.kind == entry.kind && a.name.eq_ignore_ascii_case(name) && a.boundary == boundary));
    if attach {
        p.attachments.push(entry);
    }
    t.put_json(IAM, &key, &p)?;
    Ok(())
}

fn write_policy(w: &mut XmlWriter, tag: &str, p: &ManagedPolicyRecord) {
    let attached = p.attachments.iter().filter(|a| !a.boundary).count().to_string();
    let boundary = p.attachments.iter().filter(|a| a.boundary).count().to_string();
    w.open(tag)
        .element("PolicyName", &p.name)
        .element("PolicyId", &p.policy_id)
        .element("Arn", &p.arn)
        .element("Path", &p.path)
        .element("DefaultVersionId", &p.default_version)
        .element("AttachmentCount", &attached)
        .element("PermissionsBoundaryUsageCount", &boundary)
        .element("IsAttachable", "true");
    w.optional("Description", p.description.as_deref());
    w.element("CreateDate", &p.create_date).element("UpdateDate", &p.update_date);
    write_tags(w, &p.tags, true);
    w.close(tag);
}

fn write_aws_policy(w: &mut XmlWriter, tag: &str, p: &crate::managed::AwsManagedPolicy) {
    w.open(tag)
        .element("PolicyName", &p.name)
        .element("PolicyId", &format!("ANPA{}", &hex::encode(&p.name.as_bytes()[..p.name.len().min(8)]).to_uppercase()))
        .element("Arn", &p.arn)
        .element("Path", &p.path)
        .element("DefaultVersionId", &p.version_id)
        .element("AttachmentCount", "0")
        .element("PermissionsBoundaryUsageCount", "0")
        .element("IsAttachable", "true")
        .element("Description", &p.description)
        .element("CreateDate", &p.create_date)
        .element("UpdateDate", &p.update_date)
        .close(tag);
}

fn create_policy(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let name = name_param(q, "PolicyName", 128)?;
    let path = q.get("Path").unwrap_or("/").to_owned();
    check_policy_path("Path", &path)?;
    let doc = q.require("PolicyDocument")?;
    validate_document(doc, PolicyKind::Identity, limits::MANAGED_POLICY, "PolicySize")?;
    let tags = tags_param(q, "Tags")?;
    let now = iso_now();
    let record = ManagedPolicyRecord {
        name: name.to_owned(),
        policy_id: new_unique_id("ANPA"),
        arn: entity_arn(acct, "policy", &path, name),
        path,
        description: q.get("Description").map(str::to_owned),
        create_date: now.clone(),
        update_date: now.clone(),
        default_version: "v1".to_owned(),
        versions: vec![PolicyVersionRecord { version_id: "v1".into(), document: doc.to_owned(), create_date: now }],
        next_version: 2,
        attachments: Vec::new(),
        tags,
    };
    iam.write(|t| {
        if !t.insert_json(IAM, &Kind::Policy.key(acct, name), &record)? {
            return Err(already_exists("A policy called", name).with_code("EntityAlreadyExists"));
        }
        Ok(())
    })?;
    let mut w = XmlWriter::new();
    write_policy(&mut w, "Policy", &record);
    Ok(w.finish())
}

fn no_such_policy(arn: &str) -> AwsError {
    AwsError::new("NoSuchEntity", 404, format!("Policy {arn} does not exist or is not attachable."))
}

/// The account's own policy `arn`, for operations that change it.
fn own_policy(t: &mut dyn Txn, acct: &AccountId, arn: &str) -> Result<(String, ManagedPolicyRecord), AwsError> {
    if arn.starts_with("arn:aws:iam::aws:policy/") {
        return Err(AwsError::access_denied(format!("AWS managed policy {arn} cannot be changed.")));
    }
    let (pacct, name) = parse_policy_arn(arn).ok_or_else(|| invalid_input(format!("ARN {arn} is not valid.")))?;
    if pacct != *acct {
        return Err(no_such_policy(arn));
    }
    let key = Kind::Policy.key(&pacct, name);
    let rec =
        t.get_json::<ManagedPolicyRecord>(IAM, &key)?.filter(|p| p.arn == arn).ok_or_else(|| no_such_policy(arn))?;
    Ok((key, rec))
}

fn get_policy(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let arn = call.query().require("PolicyArn")?;
    let acct = account(call)?;
    let mut w = XmlWriter::new();
    if let Some(p) = iam.managed.get(arn) {
        write_aws_policy(&mut w, "Policy", p);
        return Ok(w.finish());
    }
    let p = iam.customer_policy(arn)?.filter(|p| p.arn.contains(acct.as_str())).ok_or_else(|| no_such_policy(arn))?;
    write_policy(&mut w, "Policy", &p);
    Ok(w.finish())
}

fn delete_policy(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let arn = call.query().require("PolicyArn")?.to_owned();
    let acct = account(call)?;
    iam.write(|t| {
        let (key, p) = own_policy(t, acct, &arn)?;
        if !p.attachments.is_empty() {
            return Err(delete_conflict("Cannot delete a policy attached to entities."));
        }
        if p.versions.len() > 1 {
            return Err(delete_conflict(
                "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
            ));
        }
        t.delete(IAM, &key)?;
        Ok(())
    })?;
    Ok(String::new())
}

fn list_policies(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let (max, marker) = paging(q)?;
    let scope = q.get("Scope").unwrap_or("All");
    if !["All", "AWS", "Local"].contains(&scope) {
        return Err(AwsError::validation(format!(
            "1 validation error detected: Value '{scope}' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]"
        )));
    }
    let only_attached = q.get("OnlyAttached") == Some("true");
    let prefix = policy_path_prefix_param(q)?;
    // One ordered list: AWS-managed first (`aws/NAME`), then the account's (`local/NAME`).
    let mut items: Vec<(String, String)> = Vec::new();
    let after = marker.unwrap_or_default();
    if scope != "Local" && !only_attached {
        for p in iam.managed.all() {
            let key = format!("aws/{}", p.name.to_lowercase());
            if key > after && p.path.starts_with(prefix) {
                let mut w = XmlWriter::new();
                write_aws_policy(&mut w, "member", p);
                items.push((key, w.finish()));
            }
        }
    }
    if scope != "AWS" {
        let local_marker = after.strip_prefix("local/");
        let skip_all_local = after.starts_with("local/") && local_marker.is_none();
        if !skip_all_local {
            let recs = crate::api::users::scan_kind::<ManagedPolicyRecord>(
                iam,
                Kind::Policy,
                acct,
                local_marker,
                |p| p.path.starts_with(prefix) && (!only_attached || p.attachments.iter().any(|a| !a.boundary)),
                max,
            )?;
            for (k, p) in recs {
                let mut w = XmlWriter::new();
                write_policy(&mut w, "member", &p);
                items.push((format!("local/{k}"), w.finish()));
            }
        }
    }
    let mut tail = XmlWriter::new();
    let page = page(items, max, &mut tail);
    Ok(format!("<Policies>{}</Policies>{}", page.concat(), tail.finish()))
}

fn write_version(w: &mut XmlWriter, tag: &str, v: &PolicyVersionRecord, default: &str, with_doc: bool) {
    w.open(tag);
    if with_doc {
        w.element("Document", &encode_document(&v.document));
    }
    w.element("VersionId", &v.version_id)
        .element("IsDefaultVersion", if v.version_id == default { "true" } else { "false" })
        .element("CreateDate", &v.create_date)
        .close(tag);
}

fn create_version(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let arn = q.require("PolicyArn")?.to_owned();
    let doc = q.require("PolicyDocument")?.to_owned();
    validate_document(&doc, PolicyKind::Identity, limits::MANAGED_POLICY, "PolicySize")?;
    let set_default = q.get("SetAsDefault") == Some("true");
    let v = iam.write(|t| {
        let (key, mut p) = own_policy(t, acct, &arn)?;
        if p.versions.len() >= VERSIONS_PER_POLICY {
            return Err(limit_exceeded(
                "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
            ));
        }
        let v = PolicyVersionRecord { version_id: format!("v{}", p.next_version), document: doc.clone(), create_date: iso_now() };
        p.next_version += 1;
        p.versions.push(v.clone());
        if set_default {
            p.default_version.clone_from(&v.version_id);
        }
        p.update_date = iso_now();
        t.put_json(IAM, &key, &p)?;
        Ok((v, p.default_version))
    })?;
    let mut w = XmlWriter::new();
    write_version(&mut w, "PolicyVersion", &v.0, &v.1, false);
    Ok(w.finish())
}

fn get_version(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let arn = q.require("PolicyArn")?;
    let version = q.require("VersionId")?;
    let mut w = XmlWriter::new();
    if let Some(p) = iam.managed.get(arn) {
        if version != p.version_id {
            return Err(AwsError::new(
                "NoSuchEntity",
                404,
                format!("Policy {arn} version {version} does not exist or is not attachable."),
            ));
        }
        let v = PolicyVersionRecord {
            version_id: p.version_id.clone(),
            document: p.document.clone(),
            create_date: p.create_date.clone(),
        };
        write_version(&mut w, "PolicyVersion", &v, &p.version_id, true);
        return Ok(w.finish());
    }
    let acct = account(call)?;
    let p = iam.customer_policy(arn)?.filter(|p| p.arn.contains(acct.as_str())).ok_or_else(|| no_such_policy(arn))?;
    let v = p.versions.iter().find(|v| v.version_id == version).ok_or_else(|| {
        AwsError::new(
            "NoSuchEntity",
            404,
            format!("Policy {arn} version {version} does not exist or is not attachable."),
        )
    })?;
    write_version(&mut w, "PolicyVersion", v, &p.default_version, true);
    Ok(w.finish())
}

fn list_versions(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let arn = call.query().require("PolicyArn")?;
    let mut w = XmlWriter::new();
    w.open("Versions");
    if let Some(p) = iam.managed.get(arn) {
        let v = PolicyVersionRecord {
            version_id: p.version_id.clone(),
            document: String::new(),
            create_date: p.create_date.clone(),
        };
        write_version(&mut w, "member", &v, &p.version_id, false);
    } else {
        let acct = account(call)?;
        let p =
            iam.customer_policy(arn)?.filter(|p| p.arn.contains(acct.as_str())).ok_or_else(|| no_such_policy(arn))?;
        for v in p.versions.iter().rev() {
            write_version(&mut w, "member", v, &p.default_version, false);
        }
    }
    w.close("Versions").element("IsTruncated", "false");
    Ok(w.finish())
}

fn delete_version(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let arn = q.require("PolicyArn")?.to_owned();
    let version = q.require("VersionId")?.to_owned();
    iam.write(|t| {
        let (key, mut p) = own_policy(t, acct, &arn)?;
        if p.default_version == version {
            return Err(delete_conflict("Cannot delete the default version of a policy."));
        }
        let before = p.versions.len();
        p.versions.retain(|v| v.version_id != version);
        if p.versions.len() == before {
            return Err(AwsError::new("NoSuchEntity", 404, format!("Policy {arn} version {version} does not exist.")));
        }
        t.put_json(IAM, &key, &p)?;
        Ok(())
    })?;
    Ok(String::new())
}

fn set_default_version(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let arn = q.require("PolicyArn")?.to_owned();
    let version = q.require("VersionId")?.to_owned();
    iam.write(|t| {
        let (key, mut p) = own_policy(t, acct, &arn)?;
        if !p.versions.iter().any(|v| v.version_id == version) {
            return Err(AwsError::new("NoSuchEntity", 404, format!("Policy {arn} version {version} does not exist.")));
        }
        p.default_version.clone_from(&version);
        p.update_date = iso_now();
        t.put_json(IAM, &key, &p)?;
        Ok(())
    })?;
    Ok(String::new())
}

fn list_entities(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let arn = call.query().require("PolicyArn")?;
    let acct = account(call)?;
    let mut w = XmlWriter::new();
    let attachments = if iam.managed.get(arn).is_some() {
        // AWS-managed policies: find the account's entities that attach it.
        let mut found = Vec::new();
        for (kind, word) in [(Kind::User, "user"), (Kind::Group, "group"), (Kind::Role, "role")] {
            for (key, bytes) in iam.store.scan(IAM, &kind.prefix(acct), None, usize::MAX)? {
                let v: serde_json::Value = rampart_store::decode(IAM, &key, &bytes)?;
                let attached = v["permissions"]["attached"].as_array().is_some_and(|a| a.iter().any(|x| x == arn));
                if attached {
                    found.push(Attachment {
                        kind: word.into(),
                        name: v["name"].as_str().unwrap_or_default().into(),
                        boundary: false,
                    });
                }
            }
        }
        found
    } else {
        iam.customer_policy(arn)?
            .filter(|p| p.arn.contains(acct.as_str()))
            .ok_or_else(|| no_such_policy(arn))?
            .attachments
    };
    for (tag, kind, field) in [
        ("PolicyGroups", "group", "GroupName"),
        ("PolicyUsers", "user", "UserName"),
        ("PolicyRoles", "role", "RoleName"),
    ] {
        w.open(tag);
        for a in attachments.iter().filter(|a| a.kind == kind && !a.boundary) {
            let id = match kind {
                "user" => iam.get::<UserRecord>(Kind::User, acct, &a.name)?.map(|u| u.user_id),
                "group" => iam.get::<GroupRecord>(Kind::Group, acct, &a.name)?.map(|g| g.group_id),
                _ => iam.get::<RoleRecord>(Kind::Role, acct, &a.name)?.map(|r| r.role_id),
            };
            w.open("member").element(field, &a.name);
            w.optional(&field.replace("Name", "Id"), id.as_deref());
            w.close("member");
        }
        w.close(tag);
    }
    w.element("IsTruncated", "false");
    Ok(w.finish())
}

fn attach<T: Principalish>(iam: &Iam, call: &Call, attach: bool) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let name = name_param(q, T::PARAM, T::MAX_NAME)?;
    let arn = q.require("PolicyArn")?.to_owned();
    if attach {
        check_attachable(iam, acct, &arn)?;
    }
    iam.write(|t| {
        let mut e: T = load(t, acct, name)?;
        let perms = e.permissions_mut();
        let present = perms.attached.iter().any(|a| a == &arn);
        match (attach, present) {
            (true, true) => return Ok(()),
            (true, false) => {
                if perms.attached.len() >= ATTACHED_PER_ENTITY {
                    return Err(limit_exceeded(format!(
                        "Cannot exceed quota for PoliciesPer{}: {ATTACHED_PER_ENTITY}",
                        capitalize(T::WORD)
                    )));
                }
                perms.attached.push(arn.clone());
            }
            (false, false) => {
                return Err(AwsError::new("NoSuchEntity", 404, format!("Policy {arn} was not found.")));
            }
            (false, true) => perms.attached.retain(|a| a != &arn),
        }
        let entity_name = e.name().to_owned();
        t.put_json(IAM, &T::KIND.key(acct, name), &e)?;
        note_attachment(t, acct, &arn, T::WORD, &entity_name, false, attach)?;
        Ok(())
    })?;
    Ok(String::new())
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

fn list_attached<T: Principalish>(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let name = name_param(q, T::PARAM, T::MAX_NAME)?;
    let e: T = iam.get(T::KIND, acct, name)?.ok_or_else(|| no_such_entity(T::WORD, name))?;
    let prefix = policy_path_prefix_param(q)?;
    let mut w = XmlWriter::new();
    w.open("AttachedPolicies");
    for arn in &e.permissions().attached {
        let path_ok = arn.split(":policy").nth(1).is_some_and(|p| p.starts_with(prefix));
        if path_ok {
            let pname = arn.rsplit('/').next().unwrap_or(arn);
            w.open("member").element("PolicyName", pname).element("PolicyArn", arn).close("member");
        }
    }
    w.close("AttachedPolicies").element("IsTruncated", "false");
    Ok(w.finish())
}

fn put_inline<T: Principalish>(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let name = name_param(q, T::PARAM, T::MAX_NAME)?;
    let policy_name = name_param(q, "PolicyName", 128)?.to_owned();
    let doc = q.require("PolicyDocument")?.to_owned();
    Policy::parse(&doc).map_err(|e| malformed_policy(e.aws_message()))?;
    iam.write(|t| {
        let mut e: T = load(t, acct, name)?;
        let entity_name = e.name().to_owned();
        let perms = e.permissions_mut();
        perms.inline.insert(policy_name.clone(), doc.clone());
        let total: usize = perms.inline.values().map(|d| limits::policy_size(d)).sum();
        if total > T::INLINE_LIMIT {
            return Err(limit_exceeded(format!(
                "Maximum policy size of {} bytes exceeded for {} {entity_name}",
                T::INLINE_LIMIT,
                T::WORD
            )));
        }
        t.put_json(IAM, &T::KIND.key(acct, name), &e)?;
        Ok(())
    })?;
    Ok(String::new())
}

fn get_inline<T: Principalish>(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let name = name_param(q, T::PARAM, T::MAX_NAME)?;
    let policy_name = q.require("PolicyName")?;
    let e: T = iam.get(T::KIND, acct, name)?.ok_or_else(|| no_such_entity(T::WORD, name))?;
    let doc = e.permissions().inline.get(policy_name).ok_or_else(|| {
        AwsError::new("NoSuchEntity", 404, format!("The {} policy with name {policy_name} cannot be found.", T::WORD))
    })?;
    let mut w = XmlWriter::new();
    w.element(T::PARAM, e.name()).element("PolicyName", policy_name).element("PolicyDocument", &encode_document(doc));
    Ok(w.finish())
}

fn delete_inline<T: Principalish>(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let name = name_param(q, T::PARAM, T::MAX_NAME)?;
    let policy_name = q.require("PolicyName")?.to_owned();
    iam.write(|t| {
        let mut e: T = load(t, acct, name)?;
        if e.permissions_mut().inline.remove(&policy_name).is_none() {
            return Err(AwsError::new(
                "NoSuchEntity",
                404,
                format!("The {} policy with name {policy_name} cannot be found.", T::WORD),
            ));
        }
        t.put_json(IAM, &T::KIND.key(acct, name), &e)?;
        Ok(())
    })?;
    Ok(String::new())
}

fn list_inline<T: Principalish>(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let name = name_param(q, T::PARAM, T::MAX_NAME)?;
    let e: T = iam.get(T::KIND, acct, name)?.ok_or_else(|| no_such_entity(T::WORD, name))?;
    let mut w = XmlWriter::new();
    w.open("PolicyNames");
    for n in e.permissions().inline.keys() {
        w.element("member", n);
    }
    w.close("PolicyNames").element("IsTruncated", "false");
    Ok(w.finish())
}
