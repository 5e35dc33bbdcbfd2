"""KMS authorization: key policies as resource policies (which must grant even within the
account), grants with encryption-context constraints, KMS condition keys, cross-account use."""

import json

import pytest

from iamhelp import allow, client_for, create_account, deny, doc, new_user
from kms_fixtures import kms_error, new_key

DENIED = "AccessDeniedException"


@pytest.fixture(scope="module")
def kms(server):
    return server.client("kms")


def key_policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def grant_to(principal, actions="kms:*", **extra):
    return {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": actions, "Resource": "*", **extra}


def user_arn(account, name):
    return f"arn:aws:iam::{account}:user/{name}"


def test_default_policy_delegates_to_iam(server, kms, iam):
    key = new_key(kms)["KeyId"]
    _, allowed = new_user(server, iam, inline=doc(allow("kms:Encrypt"), allow("kms:Decrypt")))
    _, nothing = new_user(server, iam)
    as_allowed = client_for(server, "kms", allowed)
    blob = as_allowed.encrypt(KeyId=key, Plaintext=b"x")["CiphertextBlob"]
    assert as_allowed.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
    assert kms_error(lambda: as_allowed.describe_key(KeyId=key)) == DENIED
    as_nothing = client_for(server, "kms", nothing)
    assert kms_error(lambda: as_nothing.encrypt(KeyId=key, Plaintext=b"x")) == DENIED
    assert kms_error(lambda: as_nothing.decrypt(CiphertextBlob=blob)) == DENIED


def test_key_policy_alone_can_grant_a_user(server, kms, iam, account):
    name, creds = new_user(server, iam)
    policy = key_policy(grant_to(f"arn:aws:iam::{account}:root"), grant_to(user_arn(account, name), ["kms:Encrypt", "kms:DescribeKey"]))
    key = new_key(kms, Policy=policy)["KeyId"]
    as_user = client_for(server, "kms", creds)
    as_user.encrypt(KeyId=key, Plaintext=b"x")
    as_user.describe_key(KeyId=key)
    assert kms_error(lambda: as_user.disable_key(KeyId=key)) == DENIED


def test_key_policy_that_omits_the_account_denies_even_root(server, kms, iam, account):
    name, creds = new_user(server, iam, inline=doc(allow("kms:*")))
    other_name, _ = new_user(server, iam)
    policy = key_policy(grant_to(user_arn(account, other_name)))
    key = new_key(kms, Policy=policy, BypassPolicyLockoutSafetyCheck=True)["KeyId"]
    assert kms_error(lambda: kms.encrypt(KeyId=key, Plaintext=b"x")) == DENIED
    assert kms_error(lambda: kms.put_key_policy(KeyId=key, PolicyName="default", Policy=policy)) == DENIED
    assert kms_error(lambda: client_for(server, "kms", creds).encrypt(KeyId=key, Plaintext=b"x")) == DENIED
    # Creating it without the bypass is the lockout the safety check prevents.
    assert kms_error(lambda: kms.create_key(Policy=policy)) == "MalformedPolicyDocumentException"


def test_explicit_deny_in_key_policy_wins(server, kms, iam, account):
    name, creds = new_user(server, iam, inline=doc(allow("kms:*")))
    policy = key_policy(grant_to(f"arn:aws:iam::{account}:root"),
                        {"Effect": "Deny", "Principal": {"AWS": user_arn(account, name)}, "Action": "kms:Decrypt", "Resource": "*"})
    key = new_key(kms, Policy=policy)["KeyId"]
    as_user = client_for(server, "kms", creds)
    blob = as_user.encrypt(KeyId=key, Plaintext=b"x")["CiphertextBlob"]
    assert kms_error(lambda: as_user.decrypt(CiphertextBlob=blob)) == DENIED
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"


def test_identity_deny_wins(server, kms, iam):
    key = new_key(kms)["KeyId"]
    _, creds = new_user(server, iam, inline=doc(allow("kms:*"), deny("kms:Encrypt")))
    assert kms_error(lambda: client_for(server, "kms", creds).encrypt(KeyId=key, Plaintext=b"x")) == DENIED


def test_encryption_context_and_other_condition_keys(server, kms, iam, account):
    name, creds = new_user(server, iam)
    policy = key_policy(
        grant_to(f"arn:aws:iam::{account}:root"),
        grant_to(user_arn(account, name), ["kms:Encrypt", "kms:Decrypt"],
                 Condition={"StringEquals": {"kms:EncryptionContext:dept": "finance", "kms:CallerAccount": account}}),
        grant_to(user_arn(account, name), "kms:GenerateDataKey",
                 Condition={"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["app"]},
                            "Null": {"kms:EncryptionContextKeys": "false"}}),
        grant_to(user_arn(account, name), "kms:DescribeKey", Condition={"StringEquals": {"kms:KeySpec": "RSA_2048"}}),
    )
    key = new_key(kms, Policy=policy)["KeyId"]
    as_user = client_for(server, "kms", creds)
    blob = as_user.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"dept": "finance"})["CiphertextBlob"]
    assert as_user.decrypt(CiphertextBlob=blob, EncryptionContext={"dept": "finance"})["Plaintext"] == b"x"
    assert kms_error(lambda: as_user.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"dept": "hr"})) == DENIED
    assert kms_error(lambda: as_user.encrypt(KeyId=key, Plaintext=b"x")) == DENIED
    as_user.generate_data_key(KeyId=key, KeySpec="AES_256", EncryptionContext={"app": "1"})
    assert kms_error(lambda: as_user.generate_data_key(KeyId=key, KeySpec="AES_256", EncryptionContext={"app": "1", "x": "2"})) == DENIED
    assert kms_error(lambda: as_user.generate_data_key(KeyId=key, KeySpec="AES_256")) == DENIED
    assert kms_error(lambda: as_user.describe_key(KeyId=key)) == DENIED  # kms:KeySpec is SYMMETRIC_DEFAULT


def test_grants_with_constraints_tokens_retire_and_revoke(server, kms, iam, account):
    key = new_key(kms)["KeyId"]
    grantee, creds = new_user(server, iam)
    retirer, retirer_creds = new_user(server, iam)
    as_grantee = client_for(server, "kms", creds)
    assert kms_error(lambda: as_grantee.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"app": "a"})) == DENIED
    g = kms.create_grant(KeyId=key, GranteePrincipal=user_arn(account, grantee), RetiringPrincipal=user_arn(account, retirer),
                         Operations=["Encrypt", "Decrypt"], Constraints={"EncryptionContextSubset": {"app": "a"}}, Name="g1")
    assert len(g["GrantId"]) == 64
    # Same name and grant: the same grant (idempotent).
    again = kms.create_grant(KeyId=key, GranteePrincipal=user_arn(account, grantee), RetiringPrincipal=user_arn(account, retirer),
                             Operations=["Encrypt", "Decrypt"], Constraints={"EncryptionContextSubset": {"app": "a"}}, Name="g1")
    assert again["GrantId"] == g["GrantId"]
    blob = as_grantee.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"app": "a", "more": "ok"},
                              GrantTokens=[g["GrantToken"]])["CiphertextBlob"]
    assert as_grantee.decrypt(CiphertextBlob=blob, EncryptionContext={"app": "a", "more": "ok"})["Plaintext"] == b"x"
    assert kms_error(lambda: as_grantee.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"app": "b"})) == DENIED
    assert kms_error(lambda: as_grantee.encrypt(KeyId=key, Plaintext=b"x")) == DENIED
    assert kms_error(lambda: as_grantee.describe_key(KeyId=key)) == DENIED
    assert kms_error(lambda: kms.encrypt(KeyId=key, Plaintext=b"x", GrantTokens=["not-a-token"])) == "InvalidGrantTokenException"
    grants = kms.list_grants(KeyId=key)["Grants"]
    assert [x["GrantId"] for x in grants] == [g["GrantId"]]
    assert grants[0]["Constraints"] == {"EncryptionContextSubset": {"app": "a"}}
    assert grants[0]["IssuingAccount"] == f"arn:aws:iam::{account}:root"
    assert kms.list_retirable_grants(RetiringPrincipal=user_arn(account, retirer))["Grants"][0]["GrantId"] == g["GrantId"]
    # Only the retiring principal (or a grantee with RetireGrant) retires it.
    assert kms_error(lambda: as_grantee.retire_grant(GrantToken=g["GrantToken"])) == DENIED
    client_for(server, "kms", retirer_creds).retire_grant(GrantToken=g["GrantToken"])
    assert kms.list_grants(KeyId=key)["Grants"] == []
    assert kms_error(lambda: as_grantee.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"app": "a"})) == DENIED
    # Revoke by the key's administrator.
    g2 = kms.create_grant(KeyId=key, GranteePrincipal=user_arn(account, grantee), Operations=["Encrypt"])
    as_grantee.encrypt(KeyId=key, Plaintext=b"x")
    kms.revoke_grant(KeyId=key, GrantId=g2["GrantId"])
    assert kms_error(lambda: as_grantee.encrypt(KeyId=key, Plaintext=b"x")) == DENIED
    assert kms_error(lambda: kms.revoke_grant(KeyId=key, GrantId=g2["GrantId"])) == "NotFoundException"
    assert kms_error(lambda: kms.revoke_grant(KeyId=key, GrantId="bad")) == "InvalidGrantIdException"
    # Constraints are only for operations with an encryption context.
    assert kms_error(lambda: kms.create_grant(KeyId=key, GranteePrincipal=user_arn(account, grantee), Operations=["DescribeKey"],
                                              Constraints={"EncryptionContextEquals": {"a": "b"}})) == "ValidationException"
    assert kms_error(lambda: kms.create_grant(KeyId=key, GranteePrincipal=user_arn(account, grantee), Operations=["Sign"])) == "ValidationException"


def test_grant_with_create_grant_can_only_narrow(server, kms, iam, account):
    key = new_key(kms)["KeyId"]
    admin, admin_creds = new_user(server, iam)
    other, other_creds = new_user(server, iam)
    kms.create_grant(KeyId=key, GranteePrincipal=user_arn(account, admin), Operations=["Encrypt", "CreateGrant"])
    as_admin = client_for(server, "kms", admin_creds)
    as_admin.create_grant(KeyId=key, GranteePrincipal=user_arn(account, other), Operations=["Encrypt"])
    client_for(server, "kms", other_creds).encrypt(KeyId=key, Plaintext=b"x")
    assert kms_error(lambda: as_admin.create_grant(KeyId=key, GranteePrincipal=user_arn(account, other), Operations=["Decrypt"])) == DENIED


def test_cross_account_needs_both_sides(server, kms, account):
    other = create_account(server)
    b_iam = server.client("iam", access_key=other["AccessKeyId"], secret=other["SecretAccessKey"])
    b = other["AccountId"]
    shared = new_key(kms, Policy=key_policy(grant_to(f"arn:aws:iam::{account}:root"),
                                           grant_to(f"arn:aws:iam::{b}:root", ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"])))
    private = new_key(kms)
    _, with_policy = new_user(server, b_iam, inline=doc(allow("kms:*")))
    _, without = new_user(server, b_iam)
    as_b = client_for(server, "kms", with_policy)
    blob = as_b.encrypt(KeyId=shared["Arn"], Plaintext=b"from b")["CiphertextBlob"]
    assert as_b.decrypt(CiphertextBlob=blob)["Plaintext"] == b"from b"
    assert as_b.describe_key(KeyId=shared["Arn"])["KeyMetadata"]["AWSAccountId"] == account
    # The key policy trusts B, but B's user has no identity allow.
    assert kms_error(lambda: client_for(server, "kms", without).encrypt(KeyId=shared["Arn"], Plaintext=b"x")) == DENIED
    # B's user is allowed by its identity policy, but the key policy does not trust B.
    assert kms_error(lambda: as_b.encrypt(KeyId=private["Arn"], Plaintext=b"x")) == DENIED
    # A bare key id means a key of the caller's own account.
    assert kms_error(lambda: as_b.encrypt(KeyId=shared["KeyId"], Plaintext=b"x")) == "NotFoundException"


def test_re_encrypt_needs_permission_on_both_keys(server, kms, iam, account):
    source = new_key(kms)["KeyId"]
    # The destination key's policy grants this user nothing, and neither does IAM.
    name, creds = new_user(server, iam, inline=doc(allow(["kms:Encrypt", "kms:ReEncryptFrom"], f"arn:aws:kms:*:{account}:key/{source}")))
    locked = new_key(kms, Policy=key_policy(grant_to(f"arn:aws:iam::{account}:root")))["KeyId"]
    open_dest = new_key(kms)["KeyId"]
    as_user = client_for(server, "kms", creds)
    blob = as_user.encrypt(KeyId=source, Plaintext=b"payload")["CiphertextBlob"]
    assert kms_error(lambda: as_user.re_encrypt(CiphertextBlob=blob, DestinationKeyId=locked)) == DENIED
    assert kms_error(lambda: as_user.re_encrypt(CiphertextBlob=blob, DestinationKeyId=open_dest)) == DENIED
    # With kms:ReEncryptTo on the destination (IAM, delegated by its default policy) it works.
    iam.put_user_policy(UserName=name, PolicyName="to", PolicyDocument=doc(allow("kms:ReEncryptTo", f"arn:aws:kms:*:{account}:key/{open_dest}")))
    out = as_user.re_encrypt(CiphertextBlob=blob, DestinationKeyId=open_dest)
    assert out["KeyId"].endswith(open_dest)
    assert kms.decrypt(CiphertextBlob=out["CiphertextBlob"])["Plaintext"] == b"payload"


def test_update_alias_needs_permission_on_the_current_key(server, kms, iam, account):
    old = new_key(kms)["KeyId"]
    new = new_key(kms)["KeyId"]
    alias = f"alias/moving-{old[:8]}"
    kms.create_alias(AliasName=alias, TargetKeyId=old)
    alias_arn = f"arn:aws:kms:us-east-1:{account}:{alias}"
    _, creds = new_user(server, iam, inline=doc(allow("kms:UpdateAlias", [alias_arn, f"arn:aws:kms:*:{account}:key/{new}"])))
    as_user = client_for(server, "kms", creds)
    assert kms_error(lambda: as_user.update_alias(AliasName=alias, TargetKeyId=new)) == DENIED
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == old
    _, both = new_user(server, iam, inline=doc(allow("kms:UpdateAlias", [alias_arn, f"arn:aws:kms:*:{account}:key/{new}", f"arn:aws:kms:*:{account}:key/{old}"])))
    client_for(server, "kms", both).update_alias(AliasName=alias, TargetKeyId=new)
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == new
