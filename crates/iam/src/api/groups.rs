//! Groups and membership.

use super::{On, account, op};
use crate::accounts::iso_now;
use crate::api::users::{load_user, scan_kind, write_user};
use crate::model::{GroupRecord, IAM, Kind, UserRecord};
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
        op(iam, "CreateGroup", On::Group("GroupName"), false, create_group),
        op(iam, "GetGroup", On::Group("GroupName"), true, get_group),
        op(iam, "ListGroups", On::Nothing, true, list_groups),
        op(iam, "UpdateGroup", On::Group("GroupName"), false, update_group),
        op(iam, "DeleteGroup", On::Group("GroupName"), false, delete_group),
        op(iam, "AddUserToGroup", On::Group("GroupName"), false, |i, c| membership(i, c, true)),
        op(iam, "RemoveUserFromGroup", On::Group("GroupName"), false, |i, c| membership(i, c, false)),
        op(iam, "ListGroupsForUser", On::User("UserName"), true, list_groups_for_user),
    ]
}

fn write_group(w: &mut XmlWriter, tag: &str, g: &GroupRecord) {
    w.open(tag)
        .element("Path", &g.path)
        .element("GroupName", &g.name)
        .element("GroupId", &g.group_id)
        .element("Arn", &g.arn)
        .element("CreateDate", &g.create_date)
        .close(tag);
}

fn load_group(t: &mut dyn Txn, acct: &AccountId, name: &str) -> Result<GroupRecord, AwsError> {
    t.get_json::<GroupRecord>(IAM, &Kind::Group.key(acct, name))?.ok_or_else(|| no_such_entity("group", name))
}

fn create_group(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let name = name_param(q, "GroupName", 128)?;
    let path = path_param(q, "Path")?;
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
    let mut w = XmlWriter::new();
    write_group(&mut w, "Group", &group);
    Ok(w.finish())
}

fn get_group(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let name = name_param(q, "GroupName", 128)?;
    let g: GroupRecord = iam.get(Kind::Group, acct, name)?.ok_or_else(|| no_such_entity("group", name))?;
    let mut w = XmlWriter::new();
    write_group(&mut w, "Group", &g);
    w.open("Users");
    for m in &g.members {
        if let Some(u) = iam.get::<UserRecord>(Kind::User, acct, m)? {
            write_user(&mut w, "member", &u, false);
        }
    }
    w.close("Users").element("IsTruncated", "false");
    Ok(w.finish())
}

fn list_groups(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let (max, marker) = paging(q)?;
    let prefix = path_prefix_param(q)?;
    let items =
        scan_kind::<GroupRecord>(iam, Kind::Group, acct, marker.as_deref(), |g| g.path.starts_with(prefix), max)?;
    let mut tail = XmlWriter::new();
    let groups = page(items, max, &mut tail);
    let mut w = XmlWriter::new();
    w.open("Groups");
    for g in &groups {
        write_group(&mut w, "member", g);
    }
    w.close("Groups");
    Ok(w.finish() + &tail.finish())
}

fn update_group(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let name = name_param(q, "GroupName", 128)?;
    let new_name =
        q.get("NewGroupName").map(|n| check_name("NewGroupName", n, 128).map(|()| n.to_owned())).transpose()?;
    let new_path = q.get("NewPath").map(|p| check_path("NewPath", p).map(|()| p.to_owned())).transpose()?;
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
    Ok(String::new())
}

fn delete_group(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let name = name_param(q, "GroupName", 128)?;
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
    Ok(String::new())
}

fn membership(iam: &Iam, call: &Call, add: bool) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let group_name = name_param(q, "GroupName", 128)?;
    let user_name = name_param(q, "UserName", 64)?;
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
    Ok(String::new())
}

fn list_groups_for_user(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let user_name = name_param(q, "UserName", 64)?;
    let u: UserRecord = iam.get(Kind::User, acct, user_name)?.ok_or_else(|| no_such_entity("user", user_name))?;
    let mut w = XmlWriter::new();
    w.open("Groups");
    for g in &u.groups {
        if let Some(g) = iam.get::<GroupRecord>(Kind::Group, acct, g)? {
            write_group(&mut w, "member", &g);
        }
    }
    w.close("Groups").element("IsTruncated", "false");
    Ok(w.finish())
}
