"""Policy simulation at scale: answers paged as AWS pages them (MaxItems, Marker, IsTruncated),
only the page asked for computed, and AWS's input limits applied."""

import json
import time

import boto3
import botocore.config
import botocore.exceptions
import pytest

from iamhelp import allow, deny, doc, new_user

ACTIONS = [f"s3:GetObject{i}" for i in range(25)] + ["s3:PutObject", "s3:DeleteObject", "iam:GetUser"]
RESOURCES = ["arn:aws:s3:::bucket/a", "arn:aws:s3:::bucket/b", "arn:aws:s3:::other/c"]
POLICY = doc(allow("s3:GetObject1*", "arn:aws:s3:::bucket/*"), deny("s3:DeleteObject"), allow("iam:GetUser"))


@pytest.fixture(scope="module")
def raw_iam(server):
    """An IAM client that sends what it is given: botocore's own checks of lengths and ranges off,
    so that the server's are what answers."""
    key, secret = server.credentials()
    return boto3.session.Session().client(
        "iam", endpoint_url=server.endpoint, verify=server.ca_bundle, region_name="us-east-1",
        aws_access_key_id=key, aws_secret_access_key=secret,
        config=botocore.config.Config(retries={"max_attempts": 1}, parameter_validation=False))


@pytest.fixture(scope="module")
def user_arn(server, iam):
    name, _ = new_user(server, iam, inline=POLICY)
    return iam.get_user(UserName=name)["User"]["Arn"]


def key(r):
    return (r["EvalActionName"], r["EvalResourceName"], r["EvalDecision"],
            [m["SourcePolicyId"] for m in r["MatchedStatements"]])


def refused(fn):
    """The error code, message and HTTP status of a call that must fail."""
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        fn()
    r = exc.value.response
    return r["Error"]["Code"], r["Error"].get("Message", ""), r["ResponseMetadata"]["HTTPStatusCode"]


def follow(call, **kw):
    """Every result of a simulation, page by page through its markers; and the page sizes."""
    results, sizes, marker = [], [], None
    while True:
        page = call(**kw, **({"Marker": marker} if marker else {}))
        results += page["EvaluationResults"]
        sizes.append(len(page["EvaluationResults"]))
        assert page["IsTruncated"] == ("Marker" in page)
        if not page["IsTruncated"]:
            return results, sizes
        marker = page["Marker"]


# --- paging ------------------------------------------------------------------------------------

def test_principal_pages_concatenated_equal_one_unpaged_call(iam, user_arn):
    args = dict(PolicySourceArn=user_arn, ActionNames=ACTIONS, ResourceArns=RESOURCES)
    whole = iam.simulate_principal_policy(**args, MaxItems=1000)
    assert whole["IsTruncated"] is False and "Marker" not in whole
    everything = [key(r) for r in whole["EvaluationResults"]]
    # One result per action and resource: actions in the order given, each with every resource.
    assert [(a, r) for a, r, _, _ in everything] == [(a, r) for a in ACTIONS for r in RESOURCES]
    decisions = {(a, r): d for a, r, d, _ in everything}
    assert decisions[("s3:GetObject12", "arn:aws:s3:::bucket/b")] == "allowed"
    assert decisions[("s3:GetObject12", "arn:aws:s3:::other/c")] == "implicitDeny"
    assert decisions[("s3:DeleteObject", "arn:aws:s3:::bucket/a")] == "explicitDeny"
    for max_items in (1, 7, 50, 83, 84):
        results, sizes = follow(iam.simulate_principal_policy, **args, MaxItems=max_items)
        assert [key(r) for r in results] == everything
        assert all(s == max_items for s in sizes[:-1]) and 0 < sizes[-1] <= max_items


def test_default_page_is_100(iam, user_arn):
    actions = [f"s3:GetObject{i}" for i in range(40)]
    page = iam.simulate_principal_policy(PolicySourceArn=user_arn, ActionNames=actions, ResourceArns=RESOURCES)
    assert len(page["EvaluationResults"]) == 100 and page["IsTruncated"] is True
    rest = iam.simulate_principal_policy(PolicySourceArn=user_arn, ActionNames=actions, ResourceArns=RESOURCES,
                                         Marker=page["Marker"])
    assert len(rest["EvaluationResults"]) == 20 and rest["IsTruncated"] is False


def test_boto3_paginators_work_end_to_end(iam, user_arn):
    args = dict(PolicySourceArn=user_arn, ActionNames=ACTIONS, ResourceArns=RESOURCES)
    everything = [key(r) for r in iam.simulate_principal_policy(**args, MaxItems=1000)["EvaluationResults"]]
    pages = list(iam.get_paginator("simulate_principal_policy").paginate(**args, PaginationConfig={"PageSize": 10}))
    assert len(pages) == 9
    assert [key(r) for p in pages for r in p["EvaluationResults"]] == everything
    full = iam.get_paginator("simulate_principal_policy").paginate(**args, PaginationConfig={"PageSize": 4}).build_full_result()
    assert [key(r) for r in full["EvaluationResults"]] == everything

    custom = dict(PolicyInputList=[POLICY], ActionNames=ACTIONS, ResourceArns=RESOURCES)
    whole = iam.simulate_custom_policy(**custom, MaxItems=1000)["EvaluationResults"]
    assert len(whole) == len(ACTIONS) * len(RESOURCES)
    paged = iam.get_paginator("simulate_custom_policy").paginate(**custom, PaginationConfig={"PageSize": 13}).build_full_result()
    assert [key(r) for r in paged["EvaluationResults"]] == [key(r) for r in whole]
    # The decisions are those of the principal's own policy, the same document.
    principal = [(a, r, d) for a, r, d, _ in everything]
    assert [(r["EvalActionName"], r["EvalResourceName"], r["EvalDecision"]) for r in whole] == principal


def test_a_large_request_answers_its_first_page_quickly(iam, user_arn):
    actions = [f"s3:GetObject{i}" for i in range(1000)]
    resources = [f"arn:aws:s3:::bucket/object-{i}" for i in range(100)]
    args = dict(PolicySourceArn=user_arn, ActionNames=actions, ResourceArns=resources)
    # A hang guard, not a benchmark (bench/simulate.py measures): the whole simulation is 100,000
    # evaluations, seconds of work; a page is 100, or MaxItems.
    for max_items, expected in ((None, 100), (1000, 1000), (3, 3)):
        started = time.monotonic()
        page = iam.simulate_principal_policy(**args, **({"MaxItems": max_items} if max_items else {}))
        assert time.monotonic() - started < 2.0
        assert len(page["EvaluationResults"]) == expected and page["IsTruncated"] is True
    # A later page costs the same, and holds the results that follow.
    started = time.monotonic()
    page = iam.simulate_principal_policy(**args, MaxItems=3, Marker=page["Marker"])
    assert time.monotonic() - started < 2.0
    assert [(r["EvalActionName"], r["EvalResourceName"]) for r in page["EvaluationResults"]] == \
        [("s3:GetObject0", f"arn:aws:s3:::bucket/object-{i}") for i in (3, 4, 5)]
    custom = iam.simulate_custom_policy(PolicyInputList=[POLICY], ActionNames=actions, ResourceArns=resources)
    assert len(custom["EvaluationResults"]) == 100 and custom["IsTruncated"] is True


def test_a_page_stops_at_its_work_budget_and_paging_still_returns_everything(iam):
    # A 2,000-action statement makes each evaluation heavy: a page holds fewer than MaxItems
    # results (AWS: "IAM might return fewer results, even when there are more results
    # available"), IsTruncated is true, and following the markers still yields every result.
    heavy = doc(allow([f"s3:GetObject{i}" for i in range(2000)]))
    actions = [f"s3:GetObject{i}" for i in range(0, 2400, 2)]
    args = dict(PolicyInputList=[heavy], ActionNames=actions)
    first = iam.simulate_custom_policy(**args, MaxItems=1000)
    assert 0 < len(first["EvaluationResults"]) < 1000 and first["IsTruncated"] is True
    results, sizes = follow(iam.simulate_custom_policy, **args, MaxItems=1000)
    assert [r["EvalActionName"] for r in results] == actions
    assert [r["EvalDecision"] for r in results] == ["allowed"] * 1000 + ["implicitDeny"] * 200
    assert len(sizes) > 1


# --- refusals ----------------------------------------------------------------------------------

@pytest.mark.parametrize("max_items", [0, 1001, -1])
def test_max_items_out_of_range_is_refused(raw_iam, user_arn, max_items):
    code, message, status = refused(lambda: raw_iam.simulate_principal_policy(
        PolicySourceArn=user_arn, ActionNames=["s3:GetObject"], MaxItems=max_items))
    assert (code, status) == ("ValidationError", 400)
    # The model's range (1 to 1000), in AWS's words for a broken bound.
    bound = "less than or equal to 1000" if max_items > 1000 else "greater than or equal to 1"
    assert f"Value '{max_items}' at 'maxItems' failed to satisfy constraint: Member must have value {bound}" in message
    code, _, status = refused(lambda: raw_iam.simulate_custom_policy(
        PolicyInputList=[POLICY], ActionNames=["s3:GetObject"], MaxItems=max_items))
    assert (code, status) == ("ValidationError", 400)


def test_markers_are_opaque_and_checked(iam, raw_iam, user_arn):
    args = dict(PolicySourceArn=user_arn, ActionNames=ACTIONS, ResourceArns=RESOURCES)
    marker = iam.simulate_principal_policy(**args, MaxItems=5)["Marker"]
    assert not marker.isdigit()
    bad = ["0", "5", "garbage", marker[:-2], marker + "A", "A" * 28]
    # A marker issued for other actions does not page this simulation.
    bad.append(iam.simulate_principal_policy(PolicySourceArn=user_arn, ActionNames=ACTIONS[:-1], MaxItems=5)["Marker"])
    for m in bad:
        assert refused(lambda: iam.simulate_principal_policy(**args, Marker=m)) == ("ValidationError", "Invalid Marker.", 400), m
    code, message, status = refused(lambda: raw_iam.simulate_principal_policy(**args, Marker="x" * 321))
    assert (code, status) == ("ValidationError", 400) and "at 'marker'" in message
    # The page after the last is not a page: the last marker points inside the results.
    results, _ = follow(iam.simulate_principal_policy, **args, MaxItems=83)
    assert len(results) == 84


@pytest.mark.parametrize("field,value,where", [
    ("ActionNames", ["s3"], "'actionNames'"),
    ("ActionNames", ["s3:" + "x" * 126], "'actionNames'"),
    ("ResourceArns", [""], "'resourceArns'"),
    ("ResourceArns", ["arn:aws:s3:::" + "x" * 2036], "'resourceArns'"),
    ("CallerArn", "arn:aws:iam::123456789012:user/" + "x" * 2018, "'callerArn'"),
    ("ResourceOwner", "", "'resourceOwner'"),
    ("ResourceHandlingOption", "x" * 65, "'resourceHandlingOption'"),
    ("PolicyInputList", [" " * 131073], "'policyInputList'"),
    ("ResourcePolicy", json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Sid": "\u0100"}]}, ensure_ascii=False), "'resourcePolicy'"),
    ("ContextEntries", [{"ContextKeyName": "a:b", "ContextKeyValues": ["v"], "ContextKeyType": "string"}], "'contextEntries.1.member.contextKeyName'"),
    ("ContextEntries", [{"ContextKeyName": "aws:username", "ContextKeyValues": ["v"], "ContextKeyType": "text"}], "'contextEntries.1.member.contextKeyType'"),
])
def test_over_limit_inputs_are_refused(raw_iam, user_arn, field, value, where):
    for call in (lambda: raw_iam.simulate_principal_policy(**{"PolicySourceArn": user_arn, "ActionNames": ["s3:GetObject"], field: value}),
                 lambda: raw_iam.simulate_custom_policy(**{"PolicyInputList": [POLICY], "ActionNames": ["s3:GetObject"], field: value})):
        code, message, status = refused(call)
        assert (code, status) == ("ValidationError", 400)
        assert message.startswith("1 validation error detected: Value ") and where in message, message
        assert len(message) < 600


def test_limits_themselves_are_accepted(raw_iam, user_arn):
    page = raw_iam.simulate_principal_policy(
        PolicySourceArn=user_arn, ActionNames=["s3:" + "x" * 125, "s3:"], ResourceArns=["arn:aws:s3:::" + "x" * 2035],
        ContextEntries=[{"ContextKeyName": "aws:" + "k" * 252, "ContextKeyValues": ["v"], "ContextKeyType": "string"}],
        MaxItems=1000)
    assert len(page["EvaluationResults"]) == 2


def test_one_permissions_boundary_at_most(iam, user_arn):
    boundary = doc(allow("s3:*"))
    code, _, status = refused(lambda: iam.simulate_principal_policy(
        PolicySourceArn=user_arn, ActionNames=["s3:GetObject"], PermissionsBoundaryPolicyInputList=[boundary, boundary]))
    assert (code, status) == ("InvalidInput", 400)
    r = iam.simulate_principal_policy(PolicySourceArn=user_arn, ActionNames=["s3:GetObject12"],
                                      ResourceArns=["arn:aws:s3:::bucket/a"], PermissionsBoundaryPolicyInputList=[boundary])
    assert r["EvaluationResults"][0]["PermissionsBoundaryDecisionDetail"]["AllowedByPermissionsBoundary"] is True


def test_missing_action_names_and_short_source_arn(raw_iam):
    code, message, status = refused(lambda: raw_iam.simulate_custom_policy(PolicyInputList=[POLICY], ActionNames=[]))
    assert (code, status) == ("ValidationError", 400) and "'actionNames'" in message
    code, message, status = refused(lambda: raw_iam.simulate_principal_policy(PolicySourceArn="arn:aws:iam::1:u", ActionNames=["s3:GetObject"]))
    assert (code, status) == ("ValidationError", 400) and "'policySourceArn'" in message


def test_long_patterns_against_long_arns_cost_a_page_not_seconds(iam):
    # Each pattern is a `*` then a 1,000-byte literal that almost matches: matching retries it at
    # every position of a 2 KiB ARN. 1,000 such evaluations took 2.5 s in a release build before
    # pages were charged for pattern bytes times text bytes; now a page stops early.
    pattern = "arn:aws:s3:::*" + "a" * 1000 + "?b"
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": [pattern + str(i) for i in range(60)]}]})
    args = dict(PolicyInputList=[policy], ActionNames=[f"s3:Get{i}" for i in range(1000)],
                ResourceArns=["arn:aws:s3:::" + "a" * 2030], MaxItems=1000)
    started = time.monotonic()
    page = iam.simulate_custom_policy(**args)
    assert time.monotonic() - started < 2.0  # a hang guard; bench/simulate.py measures
    assert 0 < len(page["EvaluationResults"]) < 100 and page["IsTruncated"] is True
    assert {r["EvalDecision"] for r in page["EvaluationResults"]} == {"implicitDeny"}
