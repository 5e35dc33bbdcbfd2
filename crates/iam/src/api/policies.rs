//! Policies: customer-managed policies and their versions, attaching managed policies to users,
//! groups and roles, and inline policies.

use super::{On, account, mop};
use crate::accounts::iso_now;
use crate::model::{
    Attachment, GroupRecord, IAM, Kind, ManagedPolicyRecord, Permissions, PolicyVersionRecord, RoleRecord, UserRecord,
};
use crate::shapes::iam as shapes;
use crate::state::{Iam, parse_policy_arn};
use crate::util::*;
use rampart_core::AwsError;
use rampart_core::ids::AccountId;
use rampart_policy::{Policy, PolicyKind, limits};
use rampart_store::{Txn, TxnExt};
use rampart_wire::model::{Empty, Timestamp};
use rampart_wire::{Call, Operation};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// AWS's default quota of managed policies attached to one user, group or role.
const ATTACHED_PER_ENTITY: usize = 10;
/// AWS's limit of versions per managed policy.
const VERSIONS_PER_POLICY: usize = 5;

pub(super) fn operations(iam: &Arc<Iam>) -> Vec<Operation> {
    let arn = On::PolicyArn("PolicyArn");
    let (user, group, role) = (On::User("UserName"), On::Group("GroupName"), On::Role("RoleName"));
    vec![
        mop::<shapes::CreatePolicy>(iam, On::NewPolicy, false, create_policy),
        mop::<shapes::GetPolicy>(iam, arn, true, get_policy),
        mop::<shapes::DeletePolicy>(iam, arn, false, delete_policy),
        mop::<shapes::ListPolicies>(iam, On::Nothing, true, list_policies),
        mop::<shapes::CreatePolicyVersion>(iam, arn, false, create_version),
        mop::<shapes::GetPolicyVersion>(iam, arn, true, get_version),
        mop::<shapes::ListPolicyVersions>(iam, arn, true, list_versions),
        mop::<shapes::DeletePolicyVersion>(iam, arn, false, delete_version),
        mop::<shapes::SetDefaultPolicyVersion>(iam, arn, false, set_default_version),
        mop::<shapes::ListEntitiesForPolicy>(iam, arn, true, list_entities),
        mop::<shapes::AttachUserPolicy>(iam, user, false, |i, c, r| {
            attach::<UserRecord>(i, c, &r.user_name, &r.policy_arn, true)
        }),
        mop::<shapes::DetachUserPolicy>(iam, user, false, |i, c, r| {
            attach::<UserRecord>(i, c, &r.user_name, &r.policy_arn, false)
        }),
        mop::<shapes::AttachGroupPolicy>(iam, group, false, |i, c, r| {
            attach::<GroupRecord>(i, c, &r.group_name, &r.policy_arn, true)
        }),
        mop::<shapes::DetachGroupPolicy>(iam, group, false, |i, c, r| {
            attach::<GroupRecord>(i, c, &r.group_name, &r.policy_arn, false)
        }),
        mop::<shapes::AttachRolePolicy>(iam, role, false, |i, c, r| {
            attach::<RoleRecord>(i, c, &r.role_name, &r.policy_arn, true)
        }),
        mop::<shapes::DetachRolePolicy>(iam, role, false, |i, c, r| {
            attach::<RoleRecord>(i, c, &r.role_name, &r.policy_arn, false)
        }),
        mop::<shapes::ListAttachedUserPolicies>(iam, user, true, |i, c, r| {
            let attached_policies = Some(list_attached::<UserRecord>(i, c, &r.user_name, r.path_prefix.as_deref())?);
            Ok(shapes::ListAttachedUserPoliciesResponse { attached_policies, is_truncated: Some(false), marker: None })
        }),
        mop::<shapes::ListAttachedGroupPolicies>(iam, group, true, |i, c, r| {
            let attached_policies = Some(list_attached::<GroupRecord>(i, c, &r.group_name, r.path_prefix.as_deref())?);
            Ok(shapes::ListAttachedGroupPoliciesResponse { attached_policies, is_truncated: Some(false), marker: None })
        }),
        mop::<shapes::ListAttachedRolePolicies>(iam, role, true, |i, c, r| {
            let attached_policies = Some(list_attached::<RoleRecord>(i, c, &r.role_name, r.path_prefix.as_deref())?);
            Ok(shapes::ListAttachedRolePoliciesResponse { attached_policies, is_truncated: Some(false), marker: None })
        }),
        mop::<shapes::PutUserPolicy>(iam, user, false, |i, c, r| {
            put_inline::<UserRecord>(i, c, &r.user_name, r.policy_name, r.policy_document)
        }),
        mop::<shapes::GetUserPolicy>(iam, user, true, |i, c, r| {
            let (user_name, policy_name, policy_document) =
                get_inline::<UserRecord>(i, c, &r.user_name, r.policy_name)?;
            Ok(shapes::GetUserPolicyResponse { user_name, policy_name, policy_document })
        }),
        mop::<shapes::DeleteUserPolicy>(iam, user, false, |i, c, r| {
            delete_inline::<UserRecord>(i, c, &r.user_name, &r.policy_name)
        }),
        mop::<shapes::ListUserPolicies>(iam, user, true, |i, c, r| {
            let policy_names = list_inline::<UserRecord>(i, c, &r.user_name)?;
            Ok(shapes::ListUserPoliciesResponse { policy_names, is_truncated: Some(false), marker: None })
        }),
        mop::<shapes::PutGroupPolicy>(iam, group, false, |i, c, r| {
            put_inline::<GroupRecord>(i, c, &r.group_name, r.policy_name, r.policy_document)
        }),
        mop::<shapes::GetGroupPolicy>(iam, group, true, |i, c, r| {
            let (group_name, policy_name, policy_document) =
                get_inline::<GroupRecord>(i, c, &r.group_name, r.policy_name)?;
            Ok(shapes::GetGroupPolicyResponse { group_name, policy_name, policy_document })
        }),
        mop::<shapes::DeleteGroupPolicy>(iam, group, false, |i, c, r| {
            delete_inline::<GroupRecord>(i, c, &r.group_name, &r.policy_name)
        }),
        mop::<shapes::ListGroupPolicies>(iam, group, true, |i, c, r| {
            let policy_names = list_inline::<GroupRecord>(i, c, &r.group_name)?;
            Ok(shapes::ListGroupPoliciesResponse { policy_names, is_truncated: Some(false), marker: None })
        }),
        mop::<shapes::PutRolePolicy>(iam, role, false, |i, c, r| {
            put_inline::<RoleRecord>(i, c, &r.role_name, r.policy_name, r.policy_document)
        }),
        mop::<shapes::GetRolePolicy>(iam, role, true, |i, c, r| {
            let (role_name, policy_name, policy_document) =
                get_inline::<RoleRecord>(i, c, &r.role_name, r.policy_name)?;
            Ok(shapes::GetRolePolicyResponse { role_name, policy_name, policy_document })
        }),
        mop::<shapes::DeleteRolePolicy>(iam, role, false, |i, c, r| {
            delete_inline::<RoleRecord>(i, c, &r.role_name, &r.policy_name)
        }),
        mop::<shapes::ListRolePolicies>(iam, role, true, |i, c, r| {
            let policy_names = list_inline::<RoleRecord>(i, c, &r.role_name)?;
            Ok(shapes::ListRolePoliciesResponse { policy_names, is_truncated: Some(false), marker: None })
        }),
    ]
}

/// A user, group or role: the entities policies attach to.
pub(crate) trait Principalish: Serialize + DeserializeOwned {
    /// The store kind.
    const KIND: Kind;
    /// `user`, `group`, `role`.
    const WORD: &'static str;
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

/// Tags from a modeled request, with the rules IAM's model cannot express (reserved `aws:` keys,
/// unique keys): [`tags_from`].
pub(crate) fn checked_tags(tags: Option<Vec<crate::shapes::iam::Tag>>) -> Result<Vec<crate::model::Tag>, AwsError> {
    tags_from(tags)
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

/// A date as records keep it (ISO 8601), as IAM's API shapes it.
fn date(text: &str) -> Option<Timestamp> {
    Some(Timestamp::parse_iso8601(text).unwrap_or_default())
}

/// A customer-managed policy as IAM's API shows it.
fn policy_shape(p: &ManagedPolicyRecord) -> shapes::Policy {
    let count = |boundary: bool| p.attachments.iter().filter(|a| a.boundary == boundary).count();
    shapes::Policy {
        policy_name: Some(p.name.clone()),
        policy_id: Some(p.policy_id.clone()),
        arn: Some(p.arn.clone()),
        path: Some(p.path.clone()),
        default_version_id: Some(p.default_version.clone()),
        attachment_count: Some(i32::try_from(count(false)).unwrap_or(i32::MAX)),
        permissions_boundary_usage_count: Some(i32::try_from(count(true)).unwrap_or(i32::MAX)),
        is_attachable: Some(true),
        description: p.description.clone(),
        create_date: date(&p.create_date),
        update_date: date(&p.update_date),
        tags: (!p.tags.is_empty()).then(|| tag_shapes(&p.tags)),
    }
}

/// An AWS-managed policy as IAM's API shows it.
fn aws_policy_shape(p: &crate::managed::AwsManagedPolicy) -> shapes::Policy {
    shapes::Policy {
        policy_name: Some(p.name.clone()),
        policy_id: Some(format!("ANPA{}", &hex::encode(&p.name.as_bytes()[..p.name.len().min(8)]).to_uppercase())),
        arn: Some(p.arn.clone()),
        path: Some(p.path.clone()),
        default_version_id: Some(p.version_id.clone()),
        attachment_count: Some(0),
        permissions_boundary_usage_count: Some(0),
        is_attachable: Some(true),
        description: Some(p.description.clone()),
        create_date: date(&p.create_date),
        update_date: date(&p.update_date),
        tags: None,
    }
}

fn create_policy(
    iam: &Iam,
    call: &Call,
    input: shapes::CreatePolicyRequest,
) -> Result<shapes::CreatePolicyResponse, AwsError> {
    let acct = account(call)?;
    let name = input.policy_name;
    let path = input.path.unwrap_or_else(|| "/".to_owned());
    let doc = input.policy_document;
    validate_document(&doc, PolicyKind::Identity, limits::MANAGED_POLICY, "PolicySize")?;
    let tags = checked_tags(input.tags)?;
    let now = iso_now();
    let record = ManagedPolicyRecord {
        name: name.clone(),
        policy_id: new_unique_id("ANPA"),
        arn: entity_arn(acct, "policy", &path, &name),
        path,
        description: input.description,
        create_date: now.clone(),
        update_date: now.clone(),
        default_version: "v1".to_owned(),
        versions: vec![PolicyVersionRecord { version_id: "v1".into(), document: doc, create_date: now }],
        next_version: 2,
        attachments: Vec::new(),
        tags,
    };
    iam.write(|t| {
        if !t.insert_json(IAM, &Kind::Policy.key(acct, &name), &record)? {
            return Err(already_exists("A policy called", &name).with_code("EntityAlreadyExists"));
        }
        Ok(())
    })?;
    Ok(shapes::CreatePolicyResponse { policy: Some(policy_shape(&record)) })
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

fn get_policy(iam: &Iam, call: &Call, input: shapes::GetPolicyRequest) -> Result<shapes::GetPolicyResponse, AwsError> {
    let arn = &input.policy_arn;
    let acct = account(call)?;
    if let Some(p) = iam.managed.get(arn) {
        return Ok(shapes::GetPolicyResponse { policy: Some(aws_policy_shape(p)) });
    }
    let p = iam.customer_policy(arn)?.filter(|p| p.arn.contains(acct.as_str())).ok_or_else(|| no_such_policy(arn))?;
    Ok(shapes::GetPolicyResponse { policy: Some(policy_shape(&p)) })
}

fn delete_policy(iam: &Iam, call: &Call, input: shapes::DeletePolicyRequest) -> Result<Empty, AwsError> {
    let arn = input.policy_arn;
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
    Ok(Empty::default())
}

fn list_policies(
    iam: &Iam,
    call: &Call,
    input: shapes::ListPoliciesRequest,
) -> Result<shapes::ListPoliciesResponse, AwsError> {
    let acct = account(call)?;
    let max = input.max_items.map_or(100, |n| n as usize);
    // The model allows `All`, `AWS` and `Local`.
    let scope = input.scope.as_deref().unwrap_or("All");
    let only_attached = input.only_attached == Some(true);
    let prefix = input.path_prefix.as_deref().unwrap_or("/");
    // One ordered list: AWS-managed first (`aws/NAME`), then the account's (`local/NAME`).
    let mut items: Vec<(String, shapes::Policy)> = Vec::new();
    let after = input.marker.unwrap_or_default();
    if scope != "Local" && !only_attached {
        for p in iam.managed.all() {
            let key = format!("aws/{}", p.name.to_lowercase());
            if key > after && p.path.starts_with(prefix) {
                items.push((key, aws_policy_shape(p)));
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
                items.push((format!("local/{k}"), policy_shape(&p)));
            }
        }
    }
    let (policies, is_truncated, marker) = page_of(items, max);
    Ok(shapes::ListPoliciesResponse { policies: Some(policies), is_truncated: Some(is_truncated), marker })
}

/// A policy version as IAM's API shows it; `with_doc` adds its document (URL-encoded).
fn version_shape(v: &PolicyVersionRecord, default: &str, with_doc: bool) -> shapes::PolicyVersion {
    shapes::PolicyVersion {
        document: with_doc.then(|| encode_document(&v.document)),
        version_id: Some(v.version_id.clone()),
        is_default_version: Some(v.version_id == default),
        create_date: date(&v.create_date),
    }
}

fn create_version(
    iam: &Iam,
    call: &Call,
    input: shapes::CreatePolicyVersionRequest,
) -> Result<shapes::CreatePolicyVersionResponse, AwsError> {
    let acct = account(call)?;
    let arn = input.policy_arn;
    let doc = input.policy_document;
    validate_document(&doc, PolicyKind::Identity, limits::MANAGED_POLICY, "PolicySize")?;
    let set_default = input.set_as_default == Some(true);
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
    Ok(shapes::CreatePolicyVersionResponse { policy_version: Some(version_shape(&v.0, &v.1, false)) })
}

fn no_such_version(arn: &str, version: &str) -> AwsError {
    AwsError::new("NoSuchEntity", 404, format!("Policy {arn} version {version} does not exist or is not attachable."))
}

fn get_version(
    iam: &Iam,
    call: &Call,
    input: shapes::GetPolicyVersionRequest,
) -> Result<shapes::GetPolicyVersionResponse, AwsError> {
    let (arn, version) = (&input.policy_arn, &input.version_id);
    if let Some(p) = iam.managed.get(arn) {
        if *version != p.version_id {
            return Err(no_such_version(arn, version));
        }
        let v = PolicyVersionRecord {
            version_id: p.version_id.clone(),
            document: p.document.clone(),
            create_date: p.create_date.clone(),
        };
        return Ok(shapes::GetPolicyVersionResponse { policy_version: Some(version_shape(&v, &p.version_id, true)) });
    }
    let acct = account(call)?;
    let p = iam.customer_policy(arn)?.filter(|p| p.arn.contains(acct.as_str())).ok_or_else(|| no_such_policy(arn))?;
    let v = p.versions.iter().find(|v| v.version_id == *version).ok_or_else(|| no_such_version(arn, version))?;
    Ok(shapes::GetPolicyVersionResponse { policy_version: Some(version_shape(v, &p.default_version, true)) })
}

fn list_versions(
    iam: &Iam,
    call: &Call,
    input: shapes::ListPolicyVersionsRequest,
) -> Result<shapes::ListPolicyVersionsResponse, AwsError> {
    let arn = &input.policy_arn;
    let versions = if let Some(p) = iam.managed.get(arn) {
        let v = PolicyVersionRecord {
            version_id: p.version_id.clone(),
            document: String::new(),
            create_date: p.create_date.clone(),
        };
        vec![version_shape(&v, &p.version_id, false)]
    } else {
        let acct = account(call)?;
        let p =
            iam.customer_policy(arn)?.filter(|p| p.arn.contains(acct.as_str())).ok_or_else(|| no_such_policy(arn))?;
        p.versions.iter().rev().map(|v| version_shape(v, &p.default_version, false)).collect()
    };
    Ok(shapes::ListPolicyVersionsResponse { versions: Some(versions), is_truncated: Some(false), marker: None })
}

fn delete_version(iam: &Iam, call: &Call, input: shapes::DeletePolicyVersionRequest) -> Result<Empty, AwsError> {
    let acct = account(call)?;
    let (arn, version) = (input.policy_arn, input.version_id);
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
    Ok(Empty::default())
}

fn set_default_version(
    iam: &Iam,
    call: &Call,
    input: shapes::SetDefaultPolicyVersionRequest,
) -> Result<Empty, AwsError> {
    let acct = account(call)?;
    let (arn, version) = (input.policy_arn, input.version_id);
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
    Ok(Empty::default())
}

fn list_entities(
    iam: &Iam,
    call: &Call,
    input: shapes::ListEntitiesForPolicyRequest,
) -> Result<shapes::ListEntitiesForPolicyResponse, AwsError> {
    let arn = &input.policy_arn;
    let acct = account(call)?;
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
    let named = |kind: &'static str| attachments.iter().filter(move |a| a.kind == kind && !a.boundary);
    let mut out = shapes::ListEntitiesForPolicyResponse { is_truncated: Some(false), ..Default::default() };
    let mut groups = Vec::new();
    for a in named("group") {
        let group_id = iam.get::<GroupRecord>(Kind::Group, acct, &a.name)?.map(|g| g.group_id);
        groups.push(shapes::PolicyGroup { group_name: Some(a.name.clone()), group_id });
    }
    let mut users = Vec::new();
    for a in named("user") {
        let user_id = iam.get::<UserRecord>(Kind::User, acct, &a.name)?.map(|u| u.user_id);
        users.push(shapes::PolicyUser { user_name: Some(a.name.clone()), user_id });
    }
    let mut roles = Vec::new();
    for a in named("role") {
        let role_id = iam.get::<RoleRecord>(Kind::Role, acct, &a.name)?.map(|r| r.role_id);
        roles.push(shapes::PolicyRole { role_name: Some(a.name.clone()), role_id });
    }
    out.policy_groups = Some(groups);
    out.policy_users = Some(users);
    out.policy_roles = Some(roles);
    Ok(out)
}

fn attach<T: Principalish>(iam: &Iam, call: &Call, name: &str, arn: &str, attach: bool) -> Result<Empty, AwsError> {
    let acct = account(call)?;
    let arn = arn.to_owned();
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
                        rampart_wire::query::upper_first(T::WORD)
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
    Ok(Empty::default())
}

/// The managed policies attached to entity `name` whose path starts with `prefix`.
fn list_attached<T: Principalish>(
    iam: &Iam,
    call: &Call,
    name: &str,
    prefix: Option<&str>,
) -> Result<Vec<shapes::AttachedPolicy>, AwsError> {
    let acct = account(call)?;
    let e: T = iam.get(T::KIND, acct, name)?.ok_or_else(|| no_such_entity(T::WORD, name))?;
    let prefix = prefix.unwrap_or("/");
    Ok(e.permissions()
        .attached
        .iter()
        .filter(|arn| arn.split(":policy").nth(1).is_some_and(|p| p.starts_with(prefix)))
        .map(|arn| shapes::AttachedPolicy {
            policy_name: Some(arn.rsplit('/').next().unwrap_or(arn).to_owned()),
            policy_arn: Some(arn.clone()),
        })
        .collect())
}

fn put_inline<T: Principalish>(
    iam: &Iam,
    call: &Call,
    name: &str,
    policy_name: String,
    doc: String,
) -> Result<Empty, AwsError> {
    let acct = account(call)?;
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
    Ok(Empty::default())
}

fn no_such_inline<T: Principalish>(policy_name: &str) -> AwsError {
    AwsError::new("NoSuchEntity", 404, format!("The {} policy with name {policy_name} cannot be found.", T::WORD))
}

/// Inline policy `policy_name` of entity `name`: the entity's name, the policy's, its document
/// (URL-encoded).
fn get_inline<T: Principalish>(
    iam: &Iam,
    call: &Call,
    name: &str,
    policy_name: String,
) -> Result<(String, String, String), AwsError> {
    let acct = account(call)?;
    let e: T = iam.get(T::KIND, acct, name)?.ok_or_else(|| no_such_entity(T::WORD, name))?;
    let doc = e.permissions().inline.get(&policy_name).ok_or_else(|| no_such_inline::<T>(&policy_name))?;
    Ok((e.name().to_owned(), policy_name.clone(), encode_document(doc)))
}

fn delete_inline<T: Principalish>(iam: &Iam, call: &Call, name: &str, policy_name: &str) -> Result<Empty, AwsError> {
    let acct = account(call)?;
    iam.write(|t| {
        let mut e: T = load(t, acct, name)?;
        if e.permissions_mut().inline.remove(policy_name).is_none() {
            return Err(no_such_inline::<T>(policy_name));
        }
        t.put_json(IAM, &T::KIND.key(acct, name), &e)?;
        Ok(())
    })?;
    Ok(Empty::default())
}

/// The names of entity `name`'s inline policies.
fn list_inline<T: Principalish>(iam: &Iam, call: &Call, name: &str) -> Result<Vec<String>, AwsError> {
    let acct = account(call)?;
    let e: T = iam.get(T::KIND, acct, name)?.ok_or_else(|| no_such_entity(T::WORD, name))?;
    Ok(e.permissions().inline.keys().cloned().collect())
}
