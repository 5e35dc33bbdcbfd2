//! Groups and membership.

use super::{On, account, mop};
use crate::accounts::iso_now;
use crate::api::users::{load_user, scan_kind, user_shape};
use crate::model::{GroupRecord, IAM, Kind, UserRecord};
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
        mop::<shapes::CreateGroup>(iam, On::Group("GroupName"), false, create_group),
        mop::<shapes::GetGroup>(iam, On::Group("GroupName"), true, get_group),
        mop::<shapes::ListGroups>(iam, On::Nothing, true, list_groups),
        mop::<shapes::UpdateGroup>(iam, On::Group("GroupName"), false, update_group),
        mop::<shapes::DeleteGroup>(iam, On::Group("GroupName"), false, delete_group),
        mop::<shapes::AddUserToGroup>(iam, On::Group("GroupName"), false, |iam, call, i| {
            membership(iam, call, &i.group_name, &i.user_name, true)
        }),
        mop::<shapes::RemoveUserFromGroup>(iam, On::Group("GroupName"), false, |iam, call, i| {
            membership(iam, call, &i.group_name, &i.user_name, false)
        }),
        mop::<shapes::ListGroupsForUser>(iam, On::User("UserName"), true, list_groups_for_user),
    ]
}

/// A group as IAM's API shows it.
fn group_shape(g: &GroupRecord) -> shapes::Group {
    shapes::Group {
        path: g.path.clone(),
        group_name: g.name.clone(),
        group_id: g.group_id.clone(),
        arn: g.arn.clone(),
        create_date: Timestamp::parse_iso8601(&g.create_date).unwrap_or_default(),
    }
}

fn load_group(t: &mut dyn Txn, acct: &AccountId, name: &str) -> Result<GroupRecord, AwsError> {
    t.get_json::<GroupRecord>(IAM, &Kind::Group.key(acct, name))?.ok_or_else(|| no_such_entity("group", name))
}

fn create_group(
    iam: &Iam,
    call: &Call,
    input: shapes::CreateGroupRequest,
) -> Result<shapes::CreateGroupResponse, AwsError> {
    let acct = account(call)?;
    let name = input.group_name.as_str();
    let path = input.path.unwrap_or_else(|| "/".to_owned());
    let group = GroupRecord {
        name: name.to_owned(),
        group_id: new_unique_id("AGPA"),
        arn: entity_arn(acct, "group", &path, name),
        path,
        create_date: iso_now(),
        permissions: Default::default(),
        members: Vec::new(),
    };
    iam.write(|t| {
        if !t.insert_json(IAM, &Kind::Group.key(acct, name), &group)? {
            return Err(already_exists("Group", name));
        }
        Ok(())
    })?;
    Ok(shapes::CreateGroupResponse { group: group_shape(&group) })
}

fn get_group(iam: &Iam, call: &Call, input: shapes::GetGroupRequest) -> Result<shapes::GetGroupResponse, AwsError> {
    let acct = account(call)?;
    let name = input.group_name.as_str();
    let g: GroupRecord = iam.get(Kind::Group, acct, name)?.ok_or_else(|| no_such_entity("group", name))?;
    let mut users = Vec::new();
    for m in &g.members {
        if let Some(u) = iam.get::<UserRecord>(Kind::User, acct, m)? {
            users.push(user_shape(&u, false));
        }
    }
    Ok(shapes::GetGroupResponse { group: group_shape(&g), users, is_truncated: Some(false), marker: None })
}

fn list_groups(
    iam: &Iam,
    call: &Call,
    input: shapes::ListGroupsRequest,
) -> Result<shapes::ListGroupsResponse, AwsError> {
    let acct = account(call)?;
    let max = input.max_items.map_or(100, |n| n as usize);
    let prefix = input.path_prefix.as_deref().unwrap_or("/");
    let items =
        scan_kind::<GroupRecord>(iam, Kind::Group, acct, input.marker.as_deref(), |g| g.path.starts_with(prefix), max)?;
    let (groups, is_truncated, marker) = page_of(items, max);
    Ok(shapes::ListGroupsResponse {
        groups: groups.iter().map(group_shape).collect(),
        is_truncated: Some(is_truncated),
        marker,
    })
}

fn update_group(iam: &Iam, call: &Call, input: shapes::UpdateGroupRequest) -> Result<Empty, AwsError> {
    let acct = account(call)?;
    let name = input.group_name.as_str();
    let new_name = input.new_group_name;
    let new_path = input.new_path;
    iam.write(|t| {
        let mut g = load_group(t, acct, name)?;
        let old = g.name.clone();
        let target = new_name.clone().unwrap_or_else(|| old.clone());
        if !target.eq_ignore_ascii_case(&old) && t.get(IAM, &Kind::Group.key(acct, &target))?.is_some() {
            return Err(already_exists("Group", &target));
        }
        if let Some(p) = &new_path {
            g.path = p.clone();
        }
        g.name = target;
        g.arn = entity_arn(acct, "group", &g.path, &g.name);
        for m in &g.members {
            let key = Kind::User.key(acct, m);
            if let Some(mut u) = t.get_json::<UserRecord>(IAM, &key)? {
                for x in u.groups.iter_mut().filter(|x| x.eq_ignore_ascii_case(&old)) {
                    x.clone_from(&g.name);
                }
                t.put_json(IAM, &key, &u)?;
            }
        }
        t.delete(IAM, &Kind::Group.key(acct, &old))?;
        t.put_json(IAM, &Kind::Group.key(acct, &g.name), &g)?;
        Ok(())
    })?;
    Ok(Empty {})
}

fn delete_group(iam: &Iam, call: &Call, input: shapes::DeleteGroupRequest) -> Result<Empty, AwsError> {
    let acct = account(call)?;
    let name = input.group_name.as_str();
    iam.write(|t| {
        let g = load_group(t, acct, name)?;
        if !g.members.is_empty() {
            return Err(delete_conflict("Cannot delete entity, must remove users from group first."));
        }
        if !g.permissions.inline.is_empty() || !g.permissions.attached.is_empty() {
            return Err(delete_conflict("Cannot delete entity, must delete policies first."));
        }
        t.delete(IAM, &Kind::Group.key(acct, name))?;
        Ok(())
    })?;
    Ok(Empty {})
}

fn membership(iam: &Iam, call: &Call, group_name: &str, user_name: &str, add: bool) -> Result<Empty, AwsError> {
    let acct = account(call)?;
    iam.write(|t| {
        let mut g = load_group(t, acct, group_name)?;
        let mut u = load_user(t, acct, user_name)?;
        let member = g.members.iter().any(|m| m.eq_ignore_ascii_case(&u.name));
        match (add, member) {
            (true, true) => return Ok(()),
            (true, false) => {
                if u.groups.len() >= 10 {
                    return Err(limit_exceeded("Cannot exceed quota for GroupsPerUser: 10"));
                }
                g.members.push(u.name.clone());
                u.groups.push(g.name.clone());
            }
            (false, false) => {
                return Err(no_such_entity("user", &format!("{user_name} in group {group_name}")));
            }
            (false, true) => {
                g.members.retain(|m| !m.eq_ignore_ascii_case(&u.name));
                u.groups.retain(|x| !x.eq_ignore_ascii_case(&g.name));
            }
        }
        t.put_json(IAM, &Kind::Group.key(acct, &g.name), &g)?;
        t.put_json(IAM, &Kind::User.key(acct, &u.name), &u)?;
        Ok(())
    })?;
    Ok(Empty {})
}

fn list_groups_for_user(
    iam: &Iam,
    call: &Call,
    input: shapes::ListGroupsForUserRequest,
) -> Result<shapes::ListGroupsForUserResponse, AwsError> {
    let acct = account(call)?;
    let user_name = input.user_name.as_str();
    let u: UserRecord = iam.get(Kind::User, acct, user_name)?.ok_or_else(|| no_such_entity("user", user_name))?;
    let mut groups = Vec::new();
    for g in &u.groups {
        if let Some(g) = iam.get::<GroupRecord>(Kind::Group, acct, g)? {
            groups.push(group_shape(&g));
        }
    }
    Ok(shapes::ListGroupsForUserResponse { groups, is_truncated: Some(false), marker: None })
}
