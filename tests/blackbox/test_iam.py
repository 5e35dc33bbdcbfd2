"""IAM through real clients: entities, policies, and AWS's evaluation logic enforced on every call."""

import json
import subprocess

import botocore.exceptions
import pytest

import rawsign as rs
from iamhelp import (ALLOW_ALL, allow, client_for, create_account, deny, denied, doc, error_code, new_user, unique)


# --- default deny and grants -------------------------------------------------------------

def test_user_without_policy_is_denied_everything(server, iam):
    _, creds = new_user(server, iam)
    as_user = client_for(server, "iam", creds)
    err = denied(lambda: as_user.list_users())
    assert "is not authorized to perform: iam:ListUsers" in err["Message"]
    assert "because no identity-based policy allows" in err["Message"]
    denied(lambda: as_user.get_user())
    denied(lambda: as_user.create_user(UserName=unique("x")))
    # AWS always allows GetCallerIdentity.
    ident = client_for(server, "sts", creds).get_caller_identity()
    assert ident["Arn"].endswith(":user/" + ident["Arn"].rsplit("/", 1)[1])


def test_grant_by_inline_user_policy(server, iam):
    name, creds = new_user(server, iam, inline=doc(allow("iam:GetUser")))
    as_user = client_for(server, "iam", creds)
    assert as_user.get_user()["User"]["UserName"] == name
    denied(lambda: as_user.list_users())


def test_grant_by_group_managed_policy(server, iam):
    group = unique("group")
    iam.create_group(GroupName=group)
    iam.attach_group_policy(GroupName=group, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    name, creds = new_user(server, iam, groups=[group])
    as_user = client_for(server, "iam", creds)
    assert any(u["UserName"] == name for u in as_user.list_users(MaxItems=1000)["Users"])
    denied(lambda: as_user.create_group(GroupName=unique("g")))
    # Leaving the group takes the permission away at once.
    iam.remove_user_from_group(GroupName=group, UserName=name)
    denied(lambda: as_user.list_users())


def test_grant_by_customer_managed_policy_and_versions(server, iam):
    arn = iam.create_policy(PolicyName=unique("p"), PolicyDocument=doc(allow("iam:ListUsers")))["Policy"]["Arn"]
    _, creds = new_user(server, iam, managed=[arn])
    as_user = client_for(server, "iam", creds)
    as_user.list_users()
    denied(lambda: as_user.list_groups())
    # A new default version changes what is allowed; an older version can be restored.
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(allow("iam:ListGroups")), SetAsDefault=True)
    as_user.list_groups()
    denied(lambda: as_user.list_users())
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    as_user.list_users()
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert {v["VersionId"] for v in versions} == {"v1", "v2"}
    assert iam.get_policy_version(PolicyArn=arn, VersionId="v2")["PolicyVersion"]["Document"]["Statement"][0]["Action"] == "iam:ListGroups"
    assert error_code(lambda: iam.delete_policy_version(PolicyArn=arn, VersionId="v1")) == "DeleteConflict"
    assert error_code(lambda: iam.delete_policy(PolicyArn=arn)) == "DeleteConflict"


def test_explicit_deny_beats_allow(server, iam):
    _, creds = new_user(server, iam, managed=["arn:aws:iam::aws:policy/AdministratorAccess"],
                        inline=doc(deny("iam:ListUsers")))
    as_user = client_for(server, "iam", creds)
    as_user.list_groups()
    err = denied(lambda: as_user.list_users())
    assert "with an explicit deny in an identity-based policy" in err["Message"]


def test_permissions_boundary_limits_an_admin(server, iam):
    boundary = iam.create_policy(PolicyName=unique("boundary"),
                                 PolicyDocument=doc(allow(["iam:Get*", "iam:List*"])))["Policy"]["Arn"]
    name, creds = new_user(server, iam, managed=["arn:aws:iam::aws:policy/AdministratorAccess"], boundary=boundary)
    as_user = client_for(server, "iam", creds)
    as_user.list_users()
    err = denied(lambda: as_user.create_user(UserName=unique("x")))
    assert "permissions boundary" in err["Message"]
    # The boundary grants nothing by itself.
    _, plain = new_user(server, iam, boundary=boundary)
    denied(lambda: client_for(server, "iam", plain).list_users())
    # Removing the boundary restores the admin.
    iam.delete_user_permissions_boundary(UserName=name)
    as_user.create_user(UserName=unique("x"))
    assert error_code(lambda: iam.delete_policy(PolicyArn=boundary)) == "DeleteConflict"


def test_condition_on_source_ip(server, iam):
    _, creds = new_user(server, iam, inline=doc(
        allow("iam:ListUsers", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
        allow("iam:ListGroups", Condition={"IpAddress": {"aws:SourceIp": ["127.0.0.0/8", "::1/128"]}}),
    ))
    as_user = client_for(server, "iam", creds)
    denied(lambda: as_user.list_users())
    as_user.list_groups()


def test_condition_on_current_time(server, iam):
    _, creds = new_user(server, iam, inline=doc(
        allow("iam:ListUsers", Condition={"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}),
        allow("iam:ListGroups", Condition={"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}),
    ))
    as_user = client_for(server, "iam", creds)
    denied(lambda: as_user.list_users())
    as_user.list_groups()


def test_condition_on_principal_tags_and_policy_variables(server, iam):
    policy = doc(
        allow("iam:ListUsers", Condition={"StringEquals": {"aws:PrincipalTag/team": "red"}}),
        allow("iam:GetUser", "arn:aws:iam::*:user/${aws:username}"),
    )
    red, red_creds = new_user(server, iam, inline=policy, tags={"team": "red"})
    blue, blue_creds = new_user(server, iam, inline=policy, tags={"team": "blue"})
    client_for(server, "iam", red_creds).list_users()
    denied(lambda: client_for(server, "iam", blue_creds).list_users())
    # ${aws:username}: each user may read only itself.
    as_red = client_for(server, "iam", red_creds)
    as_red.get_user(UserName=red)
    denied(lambda: as_red.get_user(UserName=blue))
    # Retagging takes effect on the next call.
    iam.tag_user(UserName=blue, Tags=[{"Key": "team", "Value": "red"}])
    client_for(server, "iam", blue_creds).list_users()


def test_request_tag_conditions_on_create(server, iam):
    _, creds = new_user(server, iam, inline=doc(
        allow("iam:CreateUser", Condition={"StringEquals": {"aws:RequestTag/cost-center": "42"}}),
        allow("iam:TagUser"),
    ))
    as_user = client_for(server, "iam", creds)
    denied(lambda: as_user.create_user(UserName=unique("x")))
    denied(lambda: as_user.create_user(UserName=unique("x"), Tags=[{"Key": "cost-center", "Value": "7"}]))
    as_user.create_user(UserName=unique("x"), Tags=[{"Key": "cost-center", "Value": "42"}])


def test_inactive_and_deleted_keys_are_refused_at_once(server, iam):
    name, creds = new_user(server, iam, inline=doc(allow("iam:GetUser")))
    as_user = client_for(server, "iam", creds)
    as_user.get_user()
    iam.update_access_key(UserName=name, AccessKeyId=creds["AccessKeyId"], Status="Inactive")
    denied(lambda: as_user.get_user(), "InvalidClientTokenId")
    iam.update_access_key(UserName=name, AccessKeyId=creds["AccessKeyId"], Status="Active")
    as_user.get_user()
    iam.delete_access_key(UserName=name, AccessKeyId=creds["AccessKeyId"])
    denied(lambda: as_user.get_user(), "InvalidClientTokenId")


def test_access_key_lifecycle_and_quota(server, iam):
    name, creds = new_user(server, iam)
    keys = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in keys] == [creds["AccessKeyId"]]
    assert keys[0]["Status"] == "Active"
    iam.create_access_key(UserName=name)
    assert error_code(lambda: iam.create_access_key(UserName=name)) == "LimitExceeded"
    assert error_code(lambda: iam.delete_user(UserName=name)) == "DeleteConflict"
    last = iam.get_access_key_last_used(AccessKeyId=creds["AccessKeyId"])
    assert last["UserName"] == name
    client_for(server, "sts", creds).get_caller_identity()
    last = iam.get_access_key_last_used(AccessKeyId=creds["AccessKeyId"])["AccessKeyLastUsed"]
    assert last["ServiceName"] == "sts" and last["Region"] == "us-east-1" and "LastUsedDate" in last
    assert error_code(lambda: iam.delete_access_key(UserName=name, AccessKeyId="AKIANOTAKEY000000000")) == "NoSuchEntity"


def test_user_can_manage_own_keys_without_username(server, iam):
    name, creds = new_user(server, iam, inline=doc(allow(["iam:ListAccessKeys", "iam:CreateAccessKey"],
                                                          "arn:aws:iam::*:user/${aws:username}")))
    as_user = client_for(server, "iam", creds)
    assert as_user.list_access_keys()["AccessKeyMetadata"][0]["UserName"] == name
    assert as_user.create_access_key()["AccessKey"]["UserName"] == name


# --- entities, errors, pagination ----------------------------------------------------------

def test_entity_errors(server, iam):
    name = unique("dup")
    iam.create_user(UserName=name)
    assert error_code(lambda: iam.create_user(UserName=name)) == "EntityAlreadyExists"
    assert error_code(lambda: iam.create_user(UserName=name.upper())) == "EntityAlreadyExists", "names are case-insensitive"
    assert error_code(lambda: iam.get_user(UserName=unique("ghost"))) == "NoSuchEntity"
    assert error_code(lambda: iam.delete_user(UserName=unique("ghost"))) == "NoSuchEntity"
    assert error_code(lambda: iam.create_user(UserName="bad name!")) == "ValidationError"
    assert error_code(lambda: iam.create_user(UserName=unique("p"), Path="nope")) == "ValidationError"
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=doc(allow("iam:GetUser")))
    assert error_code(lambda: iam.delete_user(UserName=name)) == "DeleteConflict"
    iam.delete_user_policy(UserName=name, PolicyName="p")
    iam.delete_user(UserName=name)


def test_pagination(server, iam):
    prefix = "/" + unique("page") + "/"
    names = sorted(unique("u") for _ in range(5))
    for n in names:
        iam.create_user(UserName=n, Path=prefix)
    seen, marker = [], None
    while True:
        kw = {"PathPrefix": prefix, "MaxItems": 2}
        if marker:
            kw["Marker"] = marker
        page = iam.list_users(**kw)
        seen += [u["UserName"] for u in page["Users"]]
        assert len(page["Users"]) <= 2
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    assert seen == names
    # The paginator of the SDK follows the same markers.
    paged = [u["UserName"] for p in iam.get_paginator("list_users").paginate(PathPrefix=prefix, PaginationConfig={"PageSize": 2}) for u in p["Users"]]
    assert paged == names
    # Out-of-range MaxItems (which the SDK would refuse before sending) is refused by the server too.
    r = rs.send(server, rs.sign(server, body="Action=ListUsers&Version=2010-05-08&MaxItems=0", service="iam"))
    assert r.status == 400 and r.error_code() == "ValidationError", r


def test_rename_user_keeps_keys_groups_and_policies(server, iam):
    group = unique("g")
    iam.create_group(GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="p", PolicyDocument=doc(allow("iam:GetUser")))
    name, creds = new_user(server, iam, groups=[group])
    new = unique("renamed")
    iam.update_user(UserName=name, NewUserName=new, NewPath="/moved/")
    user = iam.get_user(UserName=new)["User"]
    assert user["Path"] == "/moved/" and user["Arn"].endswith(f":user/moved/{new}")
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=new)["Groups"]] == [group]
    assert iam.list_access_keys(UserName=new)["AccessKeyMetadata"][0]["AccessKeyId"] == creds["AccessKeyId"]
    assert client_for(server, "iam", creds).get_user()["User"]["UserName"] == new
    assert error_code(lambda: iam.get_user(UserName=name)) == "NoSuchEntity"


def test_roles_instance_profiles_and_tags(server, iam):
    role = unique("role")
    trust = doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
    r = iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust, MaxSessionDuration=7200,
                        Description="test", Tags=[{"Key": "env", "Value": "ci"}])["Role"]
    assert r["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"] == "ec2.amazonaws.com"
    assert iam.get_role(RoleName=role)["Role"]["MaxSessionDuration"] == 7200
    assert iam.list_role_tags(RoleName=role)["Tags"] == [{"Key": "env", "Value": "ci"}]
    iam.untag_role(RoleName=role, TagKeys=["env"])
    assert iam.list_role_tags(RoleName=role)["Tags"] == []
    boundary = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
    iam.put_role_permissions_boundary(RoleName=role, PermissionsBoundary=boundary)
    assert iam.get_role(RoleName=role)["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    iam.delete_role_permissions_boundary(RoleName=role)
    assert "PermissionsBoundary" not in iam.get_role(RoleName=role)["Role"]
    profile = unique("profile")
    iam.create_instance_profile(InstanceProfileName=profile)
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    assert iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]["Roles"][0]["RoleName"] == role
    assert error_code(lambda: iam.delete_role(RoleName=role)) == "DeleteConflict"
    iam.remove_role_from_instance_profile(InstanceProfileName=profile, RoleName=role)
    iam.delete_instance_profile(InstanceProfileName=profile)
    iam.attach_role_policy(RoleName=role, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert error_code(lambda: iam.delete_role(RoleName=role)) == "DeleteConflict"
    iam.detach_role_policy(RoleName=role, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.delete_role(RoleName=role)


def test_aws_managed_policies_have_real_documents(iam):
    for name in ("AdministratorAccess", "ReadOnlyAccess", "IAMFullAccess", "PowerUserAccess"):
        arn = f"arn:aws:iam::aws:policy/{name}"
        p = iam.get_policy(PolicyArn=arn)["Policy"]
        v = iam.get_policy_version(PolicyArn=arn, VersionId=p["DefaultVersionId"])["PolicyVersion"]
        statements = v["Document"]["Statement"]
        assert statements, name
    ro = iam.get_policy_version(PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess",
                                VersionId=iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")["Policy"]["DefaultVersionId"])
    actions = [a for s in ro["PolicyVersion"]["Document"]["Statement"] for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])]
    assert "kms:Describe*" in actions and "iam:Get*" in actions and len(actions) > 1000
    names = {p["PolicyName"] for p in iam.list_policies(Scope="AWS", MaxItems=1000)["Policies"]}
    assert {"AdministratorAccess", "ReadOnlyAccess", "IAMFullAccess", "PowerUserAccess"} <= names


def test_readonly_access_really_is_read_only(server, iam):
    _, creds = new_user(server, iam, managed=["arn:aws:iam::aws:policy/ReadOnlyAccess"])
    as_user = client_for(server, "iam", creds)
    as_user.list_roles()
    denied(lambda: as_user.create_role(RoleName=unique("r"), AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})))


# --- bad input never changes anything -------------------------------------------------------

@pytest.mark.parametrize("document,code", [
    ("{not json", "MalformedPolicyDocument"),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser"}]}), "MalformedPolicyDocument"),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]}), "MalformedPolicyDocument"),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEqualsMaybe": {"aws:username": "x"}}}]}), "MalformedPolicyDocument"),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": "*"}]}), "MalformedPolicyDocument"),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": 42, "Resource": "*"}]}), "MalformedPolicyDocument"),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Sneaky": 1}]}), "MalformedPolicyDocument"),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Sid": "a", "Effect": "Allow", "Action": [f"iam:Get{'x' * 40}{i}" for i in range(200)], "Resource": "*"}]}), "LimitExceeded"),
])
def test_bad_policies_are_rejected_and_change_nothing(server, iam, document, code):
    name = unique("victim")
    iam.create_user(UserName=name)
    assert error_code(lambda: iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=document)) == code
    assert iam.list_user_policies(UserName=name)["PolicyNames"] == []
    assert error_code(lambda: iam.create_policy(PolicyName=unique("bad"), PolicyDocument=document)) in (code, "MalformedPolicyDocument", "LimitExceeded")


def test_bad_arns_and_types(server, iam):
    name = unique("victim")
    iam.create_user(UserName=name)
    assert error_code(lambda: iam.attach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicy")) == "NoSuchEntity"
    assert error_code(lambda: iam.attach_user_policy(UserName=name, PolicyArn="not-an-arn-but-long-enough")) == "NoSuchEntity"
    assert iam.list_attached_user_policies(UserName=name)["AttachedPolicies"] == []
    account = server.client("sts").get_caller_identity()["Account"]
    assert error_code(lambda: iam.get_policy(PolicyArn=f"arn:aws:iam::{account}:policy/none")) == "NoSuchEntity"
    # Another account's policy is refused as cross-account access, without revealing existence.
    assert error_code(lambda: iam.get_policy(PolicyArn="arn:aws:iam::123456789012:policy/none")) == "AccessDenied"


# --- simulation -------------------------------------------------------------------------------

def test_simulate_principal_policy_uses_the_enforcing_engine(server, iam):
    name, _ = new_user(server, iam, inline=doc(allow("iam:GetUser"), deny("iam:DeleteUser")))
    arn = iam.get_user(UserName=name)["User"]["Arn"]
    results = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["iam:GetUser", "iam:DeleteUser", "iam:ListUsers"])["EvaluationResults"]
    by_action = {r["EvalActionName"]: r for r in results}
    assert by_action["iam:GetUser"]["EvalDecision"] == "allowed"
    assert by_action["iam:DeleteUser"]["EvalDecision"] == "explicitDeny"
    assert by_action["iam:ListUsers"]["EvalDecision"] == "implicitDeny"
    assert by_action["iam:GetUser"]["MatchedStatements"][0]["SourcePolicyId"].endswith("/inline")


def test_simulate_custom_policy_with_context(iam):
    policy = doc(allow("s3:GetObject", "arn:aws:s3:::bucket/*", Condition={"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}))
    def decide(ip):
        r = iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["s3:GetObject"], ResourceArns=["arn:aws:s3:::bucket/key"],
                                       ContextEntries=[{"ContextKeyName": "aws:SourceIp", "ContextKeyValues": [ip], "ContextKeyType": "ip"}])
        return r["EvaluationResults"][0]["EvalDecision"]
    assert decide("192.0.2.7") == "allowed"
    assert decide("198.51.100.1") == "implicitDeny"


def test_aws_cli_iam_roundtrip(server):
    env = server.env()
    name = unique("cli")
    out = subprocess.run(["aws", "iam", "create-user", "--user-name", name], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    out = subprocess.run(["aws", "iam", "list-users", "--query", f"Users[?UserName=='{name}'].UserName", "--output", "text"],
                         env=env, capture_output=True, text=True)
    assert out.stdout.strip() == name
    out = subprocess.run(["aws", "iam", "get-user", "--user-name", unique("none")], env=env, capture_output=True, text=True)
    assert out.returncode != 0 and "NoSuchEntity" in out.stderr
