"""The query protocol (IAM, STS) refuses what it cannot read exactly: malformed list members,
values that are not UTF-8 once percent-decoded, and paths outside IAM's patterns. Every such
request is answered 400 ValidationError and changes nothing.

Requests are signed by botocore but built by hand (`rawsign`), since the SDKs never send these
shapes. Each test runs against the TLS server and the plain-HTTP one.
"""

import xml.etree.ElementTree as ET
from urllib.parse import quote

import botocore.exceptions
import pytest

import rawsign as rs
from iamhelp import allow, client_for, doc, new_user, unique

IAM_VERSION = "2010-05-08"
STS_VERSION = "2011-06-15"
PATH_PATTERN = r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)"


@pytest.fixture(params=["server", "http_server"])
def srv(request):
    return request.getfixturevalue(request.param)


@pytest.fixture
def iam(srv):
    return srv.client("iam")


def error_of(resp):
    """(status, code, message) of a query-protocol error response."""
    root = ET.fromstring(resp.body)
    fields = {el.tag.split("}")[-1]: el.text for el in root.iter()}
    return resp.status, fields.get("Code"), fields.get("Message")


def call(srv, action, pairs, service="iam", creds=None):
    """Sends `Action=action` with `pairs` ((name, value) already percent-encoded as wanted)."""
    version = IAM_VERSION if service == "iam" else STS_VERSION
    body = "&".join([f"Action={action}", f"Version={version}"] + [f"{k}={v}" for k, v in pairs])
    kw = {"key": creds["AccessKeyId"], "secret": creds["SecretAccessKey"]} if creds else {}
    return rs.send(srv, rs.sign(srv, body=body, service=service, **kw))


def assert_validation_error(resp, message=None):
    status, code, text = error_of(resp)
    assert (status, code) == (400, "ValidationError"), resp
    assert text.startswith("1 validation error detected: "), text
    if message is not None:
        assert text == message
    return text


def rs_quote(text):
    """`text` percent-encoded as a form value."""
    return quote(text, safe="")


def tags(*members):
    """`Tags.member.N.Key/Value` pairs for (index, key, value) triples; None leaves a field out."""
    out = []
    for index, key, value in members:
        if key is not None:
            out.append((f"Tags.member.{index}.Key", key))
        if value is not None:
            out.append((f"Tags.member.{index}.Value", value))
    return out


MISSING_KEY = (
    "1 validation error detected: Value null at 'tags.1.member.key' failed to satisfy constraint: "
    "Member must not be null"
)

# Malformed `Tags` lists: each is refused as a whole (id, pairs, exact message or None).
MALFORMED_TAGS = [
    ("index-zero", tags(("0", "k", "v")), None),
    ("index-negative", tags(("-1", "k", "v")), None),
    ("index-plus-sign", tags(("+1", "k", "v")), None),
    ("index-leading-zero", tags(("01", "k", "v")), None),
    ("index-overflow", tags(("18446744073709551616", "k", "v")), None),
    ("index-empty", [("Tags.member..Key", "k"), ("Tags.member..Value", "v")], None),
    ("no-field", [("Tags.member.1", "k")], None),
    ("value-without-key", tags(("1", None, "v")), MISSING_KEY),
    ("gap", tags(("1", "a", "1"), ("3", "c", "3")), None),
    ("index-zero-beside-valid", tags(("1", "a", "1"), ("0", "z", "0")), None),
    ("duplicate-member", tags(("1", "a", "1")) + [("Tags.member.1.Key", "b")], None),
]


@pytest.mark.parametrize("pairs,message", [(p, m) for _, p, m in MALFORMED_TAGS],
                         ids=[i for i, _, _ in MALFORMED_TAGS])
def test_tag_user_refuses_malformed_members(srv, iam, pairs, message):
    name = unique("strict")
    iam.create_user(UserName=name)
    assert_validation_error(call(srv, "TagUser", [("UserName", name)] + pairs), message)
    assert iam.list_user_tags(UserName=name)["Tags"] == []
    # The same call, well formed, is applied: the refusal was about the shape alone.
    ok = call(srv, "TagUser", [("UserName", name)] + tags(("1", "a", "1"), ("2", "b", "2")))
    assert ok.status == 200, ok
    assert {t["Key"] for t in iam.list_user_tags(UserName=name)["Tags"]} == {"a", "b"}


@pytest.mark.parametrize("pairs,message", [(p, m) for _, p, m in MALFORMED_TAGS],
                         ids=[i for i, _, _ in MALFORMED_TAGS])
def test_tag_role_refuses_malformed_members(srv, iam, pairs, message):
    name = unique("strict")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}))
    assert_validation_error(call(srv, "TagRole", [("RoleName", name)] + pairs), message)
    assert iam.list_role_tags(RoleName=name)["Tags"] == []


def test_tag_without_value_is_refused(srv, iam):
    name = unique("strict")
    iam.create_user(UserName=name)
    assert_validation_error(
        call(srv, "TagUser", [("UserName", name)] + tags(("1", "k", None))),
        "1 validation error detected: Value null at 'tags.1.member.value' failed to satisfy constraint: "
        "Member must not be null",
    )
    assert iam.list_user_tags(UserName=name)["Tags"] == []


@pytest.mark.parametrize("pairs,message", [(p, m) for _, p, m in MALFORMED_TAGS],
                         ids=[i for i, _, _ in MALFORMED_TAGS])
def test_create_user_with_malformed_tags_creates_nothing(srv, iam, pairs, message):
    name = unique("strict")
    assert_validation_error(call(srv, "CreateUser", [("UserName", name)] + pairs), message)
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_user(UserName=name)


def test_untag_user_refuses_a_gap_in_tag_keys(srv, iam):
    name = unique("strict")
    iam.create_user(UserName=name, Tags=[{"Key": k, "Value": k} for k in ("a", "b", "c")])
    resp = call(srv, "UntagUser", [("UserName", name), ("TagKeys.member.1", "a"), ("TagKeys.member.3", "c")])
    text = assert_validation_error(resp)
    assert "'TagKeys.member.3' at 'tagKeys'" in text, text
    assert {t["Key"] for t in iam.list_user_tags(UserName=name)["Tags"]} == {"a", "b", "c"}
    for bad in (("TagKeys.member.0", "a"), ("TagKeys.member.1.Key", "a"), ("TagKeys.member.-1", "a")):
        assert_validation_error(call(srv, "UntagUser", [("UserName", name), bad]))
    assert {t["Key"] for t in iam.list_user_tags(UserName=name)["Tags"]} == {"a", "b", "c"}
    ok = call(srv, "UntagUser", [("UserName", name), ("TagKeys.member.2", "c"), ("TagKeys.member.1", "a")])
    assert ok.status == 200, ok
    assert [t["Key"] for t in iam.list_user_tags(UserName=name)["Tags"]] == ["b"]


@pytest.mark.parametrize("encoded", ["%FF", "%C3", "ab%C3%28", "%ED%A0%80", "%F4%90%80%80"])
def test_user_name_that_is_not_utf8_is_refused(srv, iam, encoded):
    prefix = unique("utf")
    status, code, text = error_of(call(srv, "CreateUser", [("UserName", prefix + encoded)]))
    assert (status, code) == (400, "ValidationError")
    assert "at 'userName'" in text, text
    names = [u["UserName"] for p in iam.get_paginator("list_users").paginate() for u in p["Users"]]
    assert not [n for n in names if n.startswith(prefix)]


def test_tag_value_that_is_not_utf8_is_refused(srv, iam):
    name = unique("utf")
    resp = call(srv, "CreateUser", [("UserName", name)] + tags(("1", "k", "%FF")))
    text = assert_validation_error(resp)
    assert "at 'tags.1.member.value'" in text, text
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_user(UserName=name)
    iam.create_user(UserName=name)
    assert_validation_error(call(srv, "TagUser", [("UserName", name)] + tags(("1", "%FF", "v"))))
    assert iam.list_user_tags(UserName=name)["Tags"] == []
    # Well-formed UTF-8, percent-encoded, is read exactly.
    ok = call(srv, "TagUser", [("UserName", name)] + tags(("1", "k", "%C3%A9t%C3%A9")))
    assert ok.status == 200, ok
    assert iam.list_user_tags(UserName=name)["Tags"] == [{"Key": "k", "Value": "\u00e9t\u00e9"}]


def path_error(value, param="path", pattern=PATH_PATTERN):
    return (f"1 validation error detected: Value '{value}' at '{param}' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {pattern}")


def test_create_user_path_must_match_iams_pattern(srv, iam):
    name = unique("path")
    assert_validation_error(call(srv, "CreateUser", [("UserName", name), ("Path", "%2F%2F")]), path_error("//"))
    for bad in ("a%2F", "%2Fa", "%2Fa+b%2F", "", "%2F" + "a" * 511 + "%2F"):
        assert_validation_error(call(srv, "CreateUser", [("UserName", name), ("Path", bad)]))
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_user(UserName=name)
    # `/` and `/a/` are paths.
    assert iam.create_user(UserName=name, Path="/a/")["User"]["Path"] == "/a/"
    assert iam.create_user(UserName=unique("path"), Path="/")["User"]["Path"] == "/"


def test_every_path_parameter_is_checked(srv, iam):
    name = unique("path")
    iam.create_user(UserName=name, Path="/keep/")
    group = unique("path")
    iam.create_group(GroupName=group)
    trust = doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
    refused = [
        ("UpdateUser", [("UserName", name), ("NewPath", "%2F%2F")], path_error("//", "newPath")),
        ("UpdateGroup", [("GroupName", group), ("NewPath", "%2F%2F")], path_error("//", "newPath")),
        ("CreateGroup", [("GroupName", unique("g")), ("Path", "%2F%2F")], path_error("//")),
        ("CreateRole", [("RoleName", unique("r")), ("AssumeRolePolicyDocument", rs_quote(trust)),
                        ("Path", "%2F%2F")], path_error("//")),
        ("CreateInstanceProfile", [("InstanceProfileName", unique("ip")), ("Path", "%2F%2F")], path_error("//")),
        ("CreateVirtualMFADevice", [("VirtualMFADeviceName", unique("mfa")), ("Path", "%2F%2F")], path_error("//")),
        ("CreatePolicy", [("PolicyName", unique("p")), ("PolicyDocument", rs_quote(doc(allow("iam:GetUser")))),
                          ("Path", "%2F%2F")], path_error("//", pattern=r"((/[A-Za-z0-9\.,\+@=_-]+)*)/")),
        ("ListUsers", [("PathPrefix", "keep%2F")], path_error("keep/", "pathPrefix", r"\u002F[\u0021-\u007F]*")),
        ("ListRoles", [("PathPrefix", "")], None),
        ("ListGroups", [("PathPrefix", "%2Fa+b")], None),
        ("ListInstanceProfiles", [("PathPrefix", "x")], None),
        ("ListPolicies", [("PathPrefix", "%2F%2F")], None),
        ("ListAttachedUserPolicies", [("UserName", name), ("PathPrefix", "%2Fa")], None),
    ]
    for action, pairs, message in refused:
        resp = call(srv, action, pairs)
        assert error_of(resp)[:2] == (400, "ValidationError"), (action, resp)
        assert_validation_error(resp, message)
    assert iam.get_user(UserName=name)["User"]["Path"] == "/keep/"
    assert iam.get_group(GroupName=group)["Group"]["Path"] == "/"
    # Prefixes that match the pattern are accepted, even `//` (it starts with `/`).
    assert call(srv, "ListUsers", [("PathPrefix", "%2F%2F")]).status == 200
    assert [u["UserName"] for u in iam.list_users(PathPrefix="/keep/")["Users"]] == [name]


@pytest.fixture
def assumer(srv, iam):
    """A role trusting the account (with session tags) and a user allowed to assume it."""
    account = srv.client("sts").get_caller_identity()["Account"]
    role = unique("strict")
    trust = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                 "Action": ["sts:AssumeRole", "sts:TagSession"]})
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    _, creds = new_user(srv, iam, inline=doc(allow(["sts:AssumeRole", "sts:TagSession"], role_arn)))
    return role_arn, creds


MALFORMED_SESSION = [
    ("tags-index-zero", tags(("0", "k", "v"))),
    ("tags-index-overflow", tags(("18446744073709551616", "k", "v"))),
    ("tags-index-empty", [("Tags.member..Key", "k"), ("Tags.member..Value", "v")]),
    ("tags-value-without-key", tags(("1", None, "v"))),
    ("tags-gap", tags(("1", "a", "1"), ("3", "c", "3"))),
    ("transitive-gap", tags(("1", "a", "1"), ("2", "b", "2"))
     + [("TransitiveTagKeys.member.1", "a"), ("TransitiveTagKeys.member.3", "b")]),
    ("transitive-index-zero", tags(("1", "a", "1")) + [("TransitiveTagKeys.member.0", "a")]),
    ("transitive-index-negative", tags(("1", "a", "1")) + [("TransitiveTagKeys.member.-1", "a")]),
    ("transitive-with-field", tags(("1", "a", "1")) + [("TransitiveTagKeys.member.1.Key", "a")]),
    ("policy-arns-without-arn", [("PolicyArns.member.1.Arn", "arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess")]),
    ("policy-arns-index-zero", [("PolicyArns.member.0.arn", "arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess")]),
    ("tag-value-not-utf8", tags(("1", "k", "%FF"))),
]


@pytest.mark.parametrize("pairs", [p for _, p in MALFORMED_SESSION], ids=[i for i, _ in MALFORMED_SESSION])
def test_assume_role_refuses_malformed_session_parameters(srv, assumer, pairs):
    role_arn, creds = assumer
    base = [("RoleArn", rs_quote(role_arn)), ("RoleSessionName", "strict")]
    resp = call(srv, "AssumeRole", base + pairs, service="sts", creds=creds)
    assert_validation_error(resp)
    assert b"<Credentials>" not in resp.body
    # The well-formed call is allowed: the refusal was about the shape alone.
    ok = call(srv, "AssumeRole", base + tags(("1", "a", "1"), ("2", "b", "2"))
              + [("TransitiveTagKeys.member.1", "a")], service="sts", creds=creds)
    assert ok.status == 200, ok
    assert b"<Credentials>" in ok.body


def test_assume_role_with_missing_tag_key_names_the_member(srv, assumer):
    role_arn, creds = assumer
    resp = call(srv, "AssumeRole", [("RoleArn", rs_quote(role_arn)), ("RoleSessionName", "strict")]
                + tags(("1", None, "v")), service="sts", creds=creds)
    assert_validation_error(resp, MISSING_KEY)


def test_sdk_calls_still_work(srv, iam, assumer):
    """What the SDKs send (lists from 1, no gaps) is unaffected."""
    name = unique("sdk")
    iam.create_user(UserName=name, Path="/team/", Tags=[{"Key": f"k{i}", "Value": str(i)} for i in range(1, 13)])
    assert len(iam.list_user_tags(UserName=name)["Tags"]) == 12
    iam.untag_user(UserName=name, TagKeys=[f"k{i}" for i in range(1, 11)])
    assert [t["Key"] for t in iam.list_user_tags(UserName=name)["Tags"]] == ["k11", "k12"]
    role_arn, creds = assumer
    out = client_for(srv, "sts", creds).assume_role(
        RoleArn=role_arn, RoleSessionName="sdk", Tags=[{"Key": "a", "Value": "1"}], TransitiveTagKeys=["a"])
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        iam.create_user(UserName=unique("sdk"), Path="//")
    assert exc.value.response["Error"]["Code"] == "ValidationError"
