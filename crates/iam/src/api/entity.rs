//! What users and roles share beyond policies: tags and permissions boundaries, one
//! implementation for both. Each operation's typed input is unpacked by a small wrapper where it
//! is declared (`users.rs`, `roles.rs`); these take the entity's name and the operation's members.

use super::account;
use crate::api::policies::{Principalish, check_attachable, load, note_attachment};
use crate::model::{IAM, RoleRecord, Tag, UserRecord};
use crate::shapes::iam as shapes;
use crate::state::Iam;
use crate::util::{merge_tags, no_such_entity, tag_shapes, tags_from, untag as remove_tags};
use rampart_core::AwsError;
use rampart_store::TxnExt;
use rampart_wire::Call;
use rampart_wire::model::Empty;

/// A user or a role: tagged, and optionally bounded by a managed policy.
pub(crate) trait Bounded: Principalish {
    /// Its tags.
    fn tags(&self) -> &[Tag];
    /// Its tags, to change.
    fn tags_mut(&mut self) -> &mut Vec<Tag>;
    /// Its permissions boundary, to change.
    fn boundary_mut(&mut self) -> &mut Option<String>;
}

impl Bounded for UserRecord {
    fn tags(&self) -> &[Tag] {
        &self.tags
    }
    fn tags_mut(&mut self) -> &mut Vec<Tag> {
        &mut self.tags
    }
    fn boundary_mut(&mut self) -> &mut Option<String> {
        &mut self.boundary
    }
}

impl Bounded for RoleRecord {
    fn tags(&self) -> &[Tag] {
        &self.tags
    }
    fn tags_mut(&mut self) -> &mut Vec<Tag> {
        &mut self.tags
    }
    fn boundary_mut(&mut self) -> &mut Option<String> {
        &mut self.boundary
    }
}

/// Loads the entity `name`, lets `change` alter it, and stores it.
fn update<T: Bounded>(
    iam: &Iam,
    call: &Call,
    name: &str,
    mut change: impl FnMut(&mut dyn rampart_store::Txn, &mut T) -> Result<(), AwsError>,
) -> Result<Empty, AwsError> {
    let acct = account(call)?;
    iam.write(|t| {
        let mut e: T = load(t, acct, name)?;
        change(t, &mut e)?;
        t.put_json(IAM, &T::KIND.key(acct, name), &e)?;
        Ok(())
    })?;
    Ok(Empty {})
}

/// `TagUser` / `TagRole` of the entity `name` (the model checked the tags' count and shape).
pub(super) fn tag<T: Bounded>(iam: &Iam, call: &Call, name: &str, tags: Vec<shapes::Tag>) -> Result<Empty, AwsError> {
    let tags = tags_from(Some(tags))?;
    update::<T>(iam, call, name, |_, e| merge_tags(e.tags_mut(), tags.clone()))
}

/// `UntagUser` / `UntagRole` of the entity `name`.
pub(super) fn untag<T: Bounded>(iam: &Iam, call: &Call, name: &str, keys: &[String]) -> Result<Empty, AwsError> {
    update::<T>(iam, call, name, |_, e| {
        remove_tags(e.tags_mut(), keys);
        Ok(())
    })
}

/// `ListUserTags` / `ListRoleTags` of the entity `name`: all its tags, on one page.
pub(super) fn list_tags<T: Bounded>(iam: &Iam, call: &Call, name: &str) -> Result<Vec<shapes::Tag>, AwsError> {
    let acct = account(call)?;
    let e: T = iam.get(T::KIND, acct, name)?.ok_or_else(|| no_such_entity(T::WORD, name))?;
    Ok(tag_shapes(e.tags()))
}

/// `PutUserPermissionsBoundary` / `PutRolePermissionsBoundary` of the entity `name`.
pub(super) fn put_boundary<T: Bounded>(iam: &Iam, call: &Call, name: &str, arn: &str) -> Result<Empty, AwsError> {
    let acct = account(call)?;
    check_attachable(iam, acct, arn)?;
    update::<T>(iam, call, name, |t, e| {
        let name = e.name().to_owned();
        if let Some(old) = e.boundary_mut().replace(arn.to_owned()) {
            note_attachment(t, acct, &old, T::WORD, &name, true, false)?;
        }
        note_attachment(t, acct, arn, T::WORD, &name, true, true)
    })
}

/// `DeleteUserPermissionsBoundary` / `DeleteRolePermissionsBoundary` of the entity `name`.
pub(super) fn delete_boundary<T: Bounded>(iam: &Iam, call: &Call, name: &str) -> Result<Empty, AwsError> {
    let acct = account(call)?;
    update::<T>(iam, call, name, |t, e| {
        let name = e.name().to_owned();
        match e.boundary_mut().take() {
            Some(old) => note_attachment(t, acct, &old, T::WORD, &name, true, false),
            None => Ok(()),
        }
    })
}
