//! What users and roles share beyond policies: tags and permissions boundaries, one
//! implementation for both.

use super::account;
use crate::api::policies::{Principalish, check_attachable, load, note_attachment};
use crate::model::{IAM, RoleRecord, Tag, UserRecord};
use crate::state::Iam;
use crate::util::{
    merge_tags, name_param, no_such_entity, tag_keys_param, tags_param, untag as remove_tags, write_tags,
};
use rampart_core::AwsError;
use rampart_store::TxnExt;
use rampart_wire::Call;
use rampart_wire::xml::XmlWriter;

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

/// Loads the entity named by the call, lets `change` alter it, and stores it.
fn update<T: Bounded>(
    iam: &Iam,
    call: &Call,
    mut change: impl FnMut(&mut dyn rampart_store::Txn, &mut T) -> Result<(), AwsError>,
) -> Result<String, AwsError> {
    let acct = account(call)?;
    let name = name_param(call.query(), T::PARAM, T::MAX_NAME)?;
    iam.write(|t| {
        let mut e: T = load(t, acct, name)?;
        change(t, &mut e)?;
        t.put_json(IAM, &T::KIND.key(acct, name), &e)?;
        Ok(())
    })?;
    Ok(String::new())
}

/// `TagUser` / `TagRole`.
pub(super) fn tag<T: Bounded>(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let tags = tags_param(call.query(), "Tags")?;
    update::<T>(iam, call, |_, e| merge_tags(e.tags_mut(), tags.clone()))
}

/// `UntagUser` / `UntagRole`.
pub(super) fn untag<T: Bounded>(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let keys = tag_keys_param(call.query())?;
    update::<T>(iam, call, |_, e| {
        remove_tags(e.tags_mut(), &keys);
        Ok(())
    })
}

/// `ListUserTags` / `ListRoleTags`.
pub(super) fn list_tags<T: Bounded>(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let acct = account(call)?;
    let name = name_param(call.query(), T::PARAM, T::MAX_NAME)?;
    let e: T = iam.get(T::KIND, acct, name)?.ok_or_else(|| no_such_entity(T::WORD, name))?;
    let mut w = XmlWriter::new();
    write_tags(&mut w, e.tags(), false);
    w.element("IsTruncated", "false");
    Ok(w.finish())
}

/// `PutUserPermissionsBoundary` / `PutRolePermissionsBoundary`.
pub(super) fn put_boundary<T: Bounded>(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let acct = account(call)?;
    let arn = call.query().require("PermissionsBoundary")?.to_owned();
    check_attachable(iam, acct, &arn)?;
    update::<T>(iam, call, |t, e| {
        let name = e.name().to_owned();
        if let Some(old) = e.boundary_mut().replace(arn.clone()) {
            note_attachment(t, acct, &old, T::WORD, &name, true, false)?;
        }
        note_attachment(t, acct, &arn, T::WORD, &name, true, true)
    })
}

/// `DeleteUserPermissionsBoundary` / `DeleteRolePermissionsBoundary`.
pub(super) fn delete_boundary<T: Bounded>(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let acct = account(call)?;
    update::<T>(iam, call, |t, e| {
        let name = e.name().to_owned();
        match e.boundary_mut().take() {
            Some(old) => note_attachment(t, acct, &old, T::WORD, &name, true, false),
            None => Ok(()),
        }
    })
}
