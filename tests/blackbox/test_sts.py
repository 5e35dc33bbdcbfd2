"""STS through real clients: AssumeRole (same and cross account), session policies and tags,
GetSessionToken, and temporary credentials that are really checked."""

import json


from iamhelp import allow, client_for, create_account, deny, denied, doc, error_code, new_user, unique
import rawsign as rs


def trust(principal, **extra):
    return doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra})


def make_role(iam, trust_doc, managed=(), inline=None, **kw):
    name = unique("role")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_doc, **kw)["Role"]["Arn"]
    for m in managed:
        iam.attach_role_policy(RoleName=name, PolicyArn=m)
    if inline:
        iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=inline)
    return name, arn


def test_assume_role_in_same_account(server, iam, account):
    role, role_arn = make_role(iam, trust({"AWS": f"arn:aws:iam::{account}:root"}), inline=doc(allow("iam:ListRoles")))
    _, creds = new_user(server, iam, inline=doc(allow("sts:AssumeRole", role_arn)))
    out = client_for(server, "sts", creds).assume_role(RoleArn=role_arn, RoleSessionName="ci-session")
    c = out["Credentials"]
    assert c["AccessKeyId"].startswith("ASIA") and c["SessionToken"]
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/{role}/ci-session"
    ident = client_for(server, "sts", c).get_caller_identity()
    assert ident["Arn"] == out["AssumedRoleUser"]["Arn"]
    assert ident["UserId"] == out["AssumedRoleUser"]["AssumedRoleId"]
    as_role = client_for(server, "iam", c)
    as_role.list_roles()
    denied(lambda: as_role.list_users())
    # The audit trail shows the session and who issued it.
    events = [e for e in server.audit_events() if e["userIdentity"].get("accessKeyId") == c["AccessKeyId"]]
    assert events and events[-1]["userIdentity"]["type"] == "AssumedRole"
    assert events[-1]["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] == role_arn


def test_trust_policy_naming_the_user_needs_no_identity_policy(server, iam, account):
    name, creds = new_user(server, iam)
    user_arn = iam.get_user(UserName=name)["User"]["Arn"]
    _, role_arn = make_role(iam, trust({"AWS": user_arn}))
    client_for(server, "sts", creds).assume_role(RoleArn=role_arn, RoleSessionName="direct")
    # Another user, even with an identity allow, is not trusted.
    _, other = new_user(server, iam, inline=doc(allow("sts:AssumeRole", "*")))
    denied(lambda: client_for(server, "sts", other).assume_role(RoleArn=role_arn, RoleSessionName="nope"))


def test_account_trust_needs_identity_allow(server, iam, account):
    _, role_arn = make_role(iam, trust({"AWS": f"arn:aws:iam::{account}:root"}))
    _, creds = new_user(server, iam)
    denied(lambda: client_for(server, "sts", creds).assume_role(RoleArn=role_arn, RoleSessionName="ss-session"))


def test_unknown_role_is_denied_like_untrusted(server, iam, account):
    _, creds = new_user(server, iam, inline=doc(allow("sts:AssumeRole")))
    denied(lambda: client_for(server, "sts", creds).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{unique('ghost')}", RoleSessionName="ss-session"))


def test_external_id(server, iam, account):
    _, role_arn = make_role(iam, trust({"AWS": f"arn:aws:iam::{account}:root"},
                                       Condition={"StringEquals": {"sts:ExternalId": "s3cret-ext"}}))
    _, creds = new_user(server, iam, inline=doc(allow("sts:AssumeRole")))
    sts = client_for(server, "sts", creds)
    denied(lambda: sts.assume_role(RoleArn=role_arn, RoleSessionName="ss-session"))
    denied(lambda: sts.assume_role(RoleArn=role_arn, RoleSessionName="ss-session", ExternalId="wrong-ext"))
    sts.assume_role(RoleArn=role_arn, RoleSessionName="ss-session", ExternalId="s3cret-ext")


def test_session_policy_narrows_the_role(server, iam, account):
    _, role_arn = make_role(iam, trust({"AWS": f"arn:aws:iam::{account}:root"}),
                            managed=["arn:aws:iam::aws:policy/IAMReadOnlyAccess"])
    sts = server.client("sts")
    full = sts.assume_role(RoleArn=role_arn, RoleSessionName="full")["Credentials"]
    narrow = sts.assume_role(RoleArn=role_arn, RoleSessionName="narrow", Policy=doc(allow("iam:ListUsers")))["Credentials"]
    managed_narrow = sts.assume_role(RoleArn=role_arn, RoleSessionName="mm-session",
                                     PolicyArns=[{"arn": "arn:aws:iam::aws:policy/AdministratorAccess"}])["Credentials"]
    client_for(server, "iam", full).list_roles()
    client_for(server, "iam", narrow).list_users()
    err = denied(lambda: client_for(server, "iam", narrow).list_roles())
    assert "session policy" in err["Message"]
    # A session policy never grants more than the role has.
    denied(lambda: client_for(server, "iam", narrow).create_user(UserName=unique("x")))
    denied(lambda: client_for(server, "iam", managed_narrow).create_user(UserName=unique("x")))
    client_for(server, "iam", managed_narrow).list_roles()


def test_duration_limits_and_role_chaining(server, iam, account):
    _, role_arn = make_role(iam, trust({"AWS": f"arn:aws:iam::{account}:root"}), inline=doc(allow("sts:AssumeRole")),
                            MaxSessionDuration=7200)
    sts = server.client("sts")
    assert error_code(lambda: sts.assume_role(RoleArn=role_arn, RoleSessionName="ss-session", DurationSeconds=7201)) == "ValidationError"
    c = sts.assume_role(RoleArn=role_arn, RoleSessionName="ss-session", DurationSeconds=7200)["Credentials"]
    chained = client_for(server, "sts", c)
    assert error_code(lambda: chained.assume_role(RoleArn=role_arn, RoleSessionName="cc-session", DurationSeconds=7200)) == "ValidationError"
    chained.assume_role(RoleArn=role_arn, RoleSessionName="cc-session", DurationSeconds=3600)


def test_session_tags_become_principal_tags_and_transit(server, iam, account):
    _, role_arn = make_role(
        iam,
        doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}),
        inline=doc(allow("iam:ListUsers", Condition={"StringEquals": {"aws:PrincipalTag/project": "apollo"}}),
                   allow(["sts:AssumeRole", "sts:TagSession"])),
    )
    sts = server.client("sts")
    tagged = sts.assume_role(RoleArn=role_arn, RoleSessionName="tt-session", Tags=[{"Key": "project", "Value": "apollo"}],
                             TransitiveTagKeys=["project"])["Credentials"]
    other = sts.assume_role(RoleArn=role_arn, RoleSessionName="oo-session", Tags=[{"Key": "project", "Value": "gemini"}])["Credentials"]
    client_for(server, "iam", tagged).list_users()
    denied(lambda: client_for(server, "iam", other).list_users())
    # Chained from the tagged session, the transitive tag carries over and cannot be changed.
    chained = client_for(server, "sts", tagged).assume_role(RoleArn=role_arn, RoleSessionName="chain")["Credentials"]
    client_for(server, "iam", chained).list_users()
    assert error_code(lambda: client_for(server, "sts", tagged).assume_role(
        RoleArn=role_arn, RoleSessionName="chain2", Tags=[{"Key": "project", "Value": "gemini"}])) == "InvalidInput"


def test_cross_account_needs_both_sides(server, iam, account):
    other = create_account(server)
    b_iam = server.client("iam", access_key=other["AccessKeyId"], secret=other["SecretAccessKey"])
    # Account B's role trusts account A.
    _, role_arn = make_role(b_iam, trust({"AWS": f"arn:aws:iam::{account}:root"}), inline=doc(allow("iam:ListRoles")))
    assert f":{other['AccountId']}:" in role_arn
    # A's user allowed by its own policy: works; its session acts in B.
    _, allowed = new_user(server, iam, inline=doc(allow("sts:AssumeRole", role_arn)))
    c = client_for(server, "sts", allowed).assume_role(RoleArn=role_arn, RoleSessionName="xx-session")["Credentials"]
    assert client_for(server, "sts", c).get_caller_identity()["Account"] == other["AccountId"]
    client_for(server, "iam", c).list_roles()
    # A's user without an identity allow: B's trust alone is not enough.
    _, not_allowed = new_user(server, iam)
    denied(lambda: client_for(server, "sts", not_allowed).assume_role(RoleArn=role_arn, RoleSessionName="xx-session"))
    # A role in B that does not trust A: A's identity allow alone is not enough.
    _, closed_arn = make_role(b_iam, trust({"AWS": "arn:aws:iam::111122223333:root"}))
    _, wide = new_user(server, iam, inline=doc(allow("sts:AssumeRole", "*")))
    denied(lambda: client_for(server, "sts", wide).assume_role(RoleArn=closed_arn, RoleSessionName="xx-session"))
    # B's root cannot read A's users, and A's root cannot read B's.
    denied(lambda: b_iam.get_user(UserName="nobody-" + account), "NoSuchEntity")


def test_get_session_token(server, iam, account):
    name, creds = new_user(server, iam, inline=doc(allow("iam:GetUser")))
    out = client_for(server, "sts", creds).get_session_token(DurationSeconds=900)["Credentials"]
    assert out["AccessKeyId"].startswith("ASIA")
    ident = client_for(server, "sts", out).get_caller_identity()
    assert ident["Arn"].endswith(f":user/{name}")
    assert client_for(server, "iam", out).get_user()["User"]["UserName"] == name
    # Session credentials cannot mint more sessions.
    denied(lambda: client_for(server, "sts", out).get_session_token())
    assert error_code(lambda: client_for(server, "sts", creds).get_session_token(DurationSeconds=129601)) == "ValidationError"


def test_session_token_is_bound_to_its_key(server, iam, account):
    _, role_arn = make_role(iam, trust({"AWS": f"arn:aws:iam::{account}:root"}))
    c = server.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="bind")["Credentials"]
    other = server.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="bind2")["Credentials"]
    # Missing token, tampered token, another session's token: all refused.
    for token in (None, c["SessionToken"][:-4] + "AAAA", other["SessionToken"]):
        req = rs.sign(server, key=c["AccessKeyId"], secret=c["SecretAccessKey"], token=token)
        r = rs.send(server, req)
        assert r.status == 403 and r.error_code() == "InvalidClientTokenId", r
    ok = rs.send(server, rs.sign(server, key=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"]))
    assert ok.status == 200


def test_deleted_role_ends_its_sessions(server, iam, account):
    name, role_arn = make_role(iam, trust({"AWS": f"arn:aws:iam::{account}:root"}), inline=doc(allow("iam:ListRoles")))
    c = server.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="ss-session")["Credentials"]
    client_for(server, "iam", c).list_roles()
    iam.delete_role_policy(RoleName=name, PolicyName="inline")
    iam.delete_role(RoleName=name)
    make_role_again = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{account}:root"}))
    iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=doc(allow("iam:ListRoles")))
    assert make_role_again["Role"]["RoleId"]
    denied(lambda: client_for(server, "iam", c).list_roles())


def test_get_access_key_info(server, iam, account):
    _, creds = new_user(server, iam, inline=doc(allow("sts:GetAccessKeyInfo")))
    assert client_for(server, "sts", creds).get_access_key_info(AccessKeyId=creds["AccessKeyId"])["Account"] == account


def test_aws_cli_assume_role(server, iam, account):
    import subprocess
    _, role_arn = make_role(iam, trust({"AWS": f"arn:aws:iam::{account}:root"}))
    env = server.env()
    out = subprocess.run(["aws", "sts", "assume-role", "--role-arn", role_arn, "--role-session-name", "cli",
                          "--output", "json"], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    creds = json.loads(out.stdout)["Credentials"]
    env2 = dict(env, AWS_ACCESS_KEY_ID=creds["AccessKeyId"], AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"],
                AWS_SESSION_TOKEN=creds["SessionToken"])
    out = subprocess.run(["aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text"], env=env2,
                         capture_output=True, text=True)
    assert out.stdout.strip().endswith("/cli"), out.stderr


def test_decode_authorization_message(server, iam, account):
    _, creds = new_user(server, iam, inline=doc(deny("iam:ListUsers")))
    err = denied(lambda: client_for(server, "iam", creds).list_users())
    assert "Encoded authorization failure message: " in err["Message"]
    encoded = err["Message"].split("Encoded authorization failure message: ", 1)[1]
    # The denied user may not read it; an administrator may.
    denied(lambda: client_for(server, "sts", creds).decode_authorization_message(EncodedMessage=encoded))
    decoded = json.loads(server.client("sts").decode_authorization_message(EncodedMessage=encoded)["DecodedMessage"])
    assert decoded["allowed"] is False and decoded["explicitDeny"] is True
    assert decoded["context"]["action"] == "iam:ListUsers"
    assert decoded["matchedStatements"]["items"][0]["effect"] == "Deny"
    keys = {c["key"] for c in decoded["context"]["conditions"]["items"]}
    assert "aws:sourceip" in keys and "aws:username" in keys
    assert error_code(lambda: server.client("sts").decode_authorization_message(EncodedMessage=encoded[:-4] + "AAAA")) == "InvalidAuthorizationMessageException"


def test_session_tags_and_source_identity_need_their_own_permission(server, iam, account):
    # The trust policy allows sts:AssumeRole only: no tags, no source identity.
    _, role_arn = make_role(iam, trust({"AWS": f"arn:aws:iam::{account}:root"}))
    sts = server.client("sts")
    sts.assume_role(RoleArn=role_arn, RoleSessionName="plain")
    err = denied(lambda: sts.assume_role(RoleArn=role_arn, RoleSessionName="tagged", Tags=[{"Key": "k", "Value": "v"}]))
    assert "sts:TagSession" in err["Message"]
    err = denied(lambda: sts.assume_role(RoleArn=role_arn, RoleSessionName="si", SourceIdentity="alice"))
    assert "sts:SetSourceIdentity" in err["Message"]
    # Allowed once the trust policy grants them.
    iam.update_assume_role_policy(RoleName=role_arn.rsplit("/", 1)[1], PolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
         "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]}))
    out = sts.assume_role(RoleArn=role_arn, RoleSessionName="both", Tags=[{"Key": "k", "Value": "v"}], SourceIdentity="alice")
    assert out["SourceIdentity"] == "alice"
