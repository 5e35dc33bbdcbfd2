"""The policy simulator decides what enforcement decides, family by family of AWS's evaluation
logic (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
reference_policies_evaluation-logic-cross-account.html, API_SimulateCustomPolicy.html)."""

import json

import pytest

from iamhelp import allow, deny, doc, error_code, unique

ALLOW_ALL = doc(allow("*"))
NOTHING = doc(allow("none:none"))
BUCKET = "arn:aws:s3:::bucket"


def grant(principal, action="*"):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": action, "Resource": "*"}]})


def decide(iam, policies, action, resource=None, **kw):
    args = {"PolicyInputList": policies, "ActionNames": [action]}
    if resource:
        args["ResourceArns"] = [resource]
    args.update(kw)
    return iam.simulate_custom_policy(**args)["EvaluationResults"][0]["EvalDecision"]


def test_resource_owner_from_arn_then_parameter_then_caller(iam, account):
    caller = f"arn:aws:iam::{account}:user/alice"
    assert decide(iam, [ALLOW_ALL], "kms:Decrypt", "arn:aws:kms:us-east-1:444455556666:key/k") == "implicitDeny"
    assert decide(iam, [ALLOW_ALL], "s3:GetObject", BUCKET, ResourceOwner="444455556666") == "implicitDeny"
    assert decide(iam, [ALLOW_ALL], "s3:GetObject", BUCKET) == "allowed"
    # ResourceOwner as an ARN names its account (AWS: "an ARN representing the AWS account ID").
    assert decide(iam, [ALLOW_ALL], "s3:GetObject", BUCKET, ResourceOwner=f"arn:aws:iam::{account}:root") == "allowed"
    assert decide(iam, [ALLOW_ALL], "s3:GetObject", BUCKET,
                  ResourceOwner="arn:aws:iam::444455556666:root") == "implicitDeny"
    # Cross-account: identity and resource policy both needed.
    assert decide(iam, [ALLOW_ALL], "s3:GetObject", BUCKET, ResourceOwner="444455556666",
                  ResourcePolicy=grant(caller), CallerArn=caller) == "allowed"
    assert decide(iam, [NOTHING], "s3:GetObject", BUCKET, ResourceOwner="444455556666",
                  ResourcePolicy=grant(caller), CallerArn=caller) == "implicitDeny"


def test_same_account_resource_policy_alone(iam, account):
    caller = f"arn:aws:iam::{account}:user/alice"
    session = f"arn:aws:sts::{account}:assumed-role/Dev/s1"
    assert decide(iam, [NOTHING], "s3:GetObject", BUCKET, ResourcePolicy=grant(caller), CallerArn=caller) == "allowed"
    assert decide(iam, [NOTHING], "s3:GetObject", BUCKET, ResourcePolicy=grant(session), CallerArn=session) == "allowed"
    assert decide(iam, [NOTHING], "s3:GetObject", BUCKET, ResourcePolicy=grant(f"arn:aws:iam::{account}:root"),
                  CallerArn=caller) == "implicitDeny"
    # A KMS key policy must allow even within the account.
    key = f"arn:aws:kms:us-east-1:{account}:key/k"
    assert decide(iam, [ALLOW_ALL], "kms:Decrypt", key, ResourcePolicy=grant(f"arn:aws:iam::{account}:user/bob"),
                  CallerArn=caller) == "implicitDeny"
    assert decide(iam, [ALLOW_ALL], "kms:Decrypt", key, ResourcePolicy=grant(account), CallerArn=caller) == "allowed"


def test_get_caller_identity_always_allowed(iam):
    assert decide(iam, [doc(deny("*"))], "sts:GetCallerIdentity") == "allowed"


def test_resource_policy_principals_not_checked_for_existence(iam):
    caller = "arn:aws:iam::999988887777:user/ghost"
    assert decide(iam, [ALLOW_ALL], "s3:GetObject", BUCKET, ResourceOwner="999988887777",
                  ResourcePolicy=grant([caller, "arn:aws:iam::999988887777:role/path/NoSuchRole"]),
                  CallerArn=caller) == "allowed"


def test_boundaries_with_resource_policies(iam, account):
    user = f"arn:aws:iam::{account}:user/alice"
    session = f"arn:aws:sts::{account}:assumed-role/Dev/s1"
    role = f"arn:aws:iam::{account}:role/Dev"
    b = {"PermissionsBoundaryPolicyInputList": [NOTHING]}
    assert decide(iam, [NOTHING], "s3:GetObject", BUCKET, ResourcePolicy=grant(user), CallerArn=user, **b) == "allowed"
    assert decide(iam, [NOTHING], "s3:GetObject", BUCKET, ResourcePolicy=grant(session), CallerArn=session,
                  **b) == "allowed"
    assert decide(iam, [NOTHING], "s3:GetObject", BUCKET, ResourcePolicy=grant(role), CallerArn=session,
                  **b) == "implicitDeny"


def test_service_principals_and_reserved_resources(iam, account):
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    role = f"arn:aws:iam::{account}:role/Dev"
    assert decide(iam, [NOTHING], "sts:AssumeRole", role, ResourcePolicy=trust, CallerArn="ec2.amazonaws.com") == "allowed"
    assert decide(iam, [ALLOW_ALL], "sts:AssumeRole", role, ResourcePolicy=trust,
                  CallerArn="lambda.amazonaws.com") == "implicitDeny"
    assert decide(iam, [ALLOW_ALL], "iam:CreatePolicyVersion", "arn:aws:iam::aws:policy/ReadOnlyAccess") == "implicitDeny"
    assert decide(iam, [ALLOW_ALL], "iam:DeleteRole",
                  f"arn:aws:iam::{account}:role/aws-service-role/x.amazonaws.com/R") == "implicitDeny"
    assert decide(iam, [ALLOW_ALL], "kms:DeleteAlias", f"arn:aws:kms:us-east-1:{account}:alias/aws/s3") == "implicitDeny"


def test_create_role_refuses_the_service_linked_path(iam):
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    assert error_code(lambda: iam.create_role(RoleName=unique("slr"), Path="/aws-service-role/ec2.amazonaws.com/",
                                              AssumeRolePolicyDocument=trust)) == "InvalidInput"


def test_simulate_principal_policy_agrees_with_enforcement(server, iam, account):
    """Random identity policies and boundaries on real users: SimulatePrincipalPolicy's decision
    for each call equals whether the pipeline's authorizer let the same call through."""
    import random

    from iamhelp import client_for, new_user

    rng = random.Random(23)
    managed_ro = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    actions = ["iam:GetUser", "iam:ListRoles", "iam:GetPolicy", "kms:ListKeys", "sts:GetCallerIdentity"]
    resources = ["*", f"arn:aws:iam::{account}:user/*", "arn:aws:iam::aws:policy/*", "arn:aws:iam::*:*"]

    def statement():
        return {"Effect": rng.choice(["Allow", "Allow", "Deny"]), "Action": rng.choice(actions + ["iam:*", "*"]),
                "Resource": rng.choice(resources)}

    boundary_arns = [None]
    for _ in range(2):
        boundary_arns.append(iam.create_policy(PolicyName=unique("bnd"), PolicyDocument=doc(
            *[statement() for _ in range(rng.randint(1, 3))]))["Policy"]["Arn"])
    for _ in range(8):
        policy = doc(*[statement() for _ in range(rng.randint(1, 3))])
        name, creds = new_user(server, iam, inline=policy, boundary=rng.choice(boundary_arns))
        arn = f"arn:aws:iam::{account}:user/{name}"
        calls = {
            ("iam:GetUser", arn): lambda c: client_for(server, "iam", c).get_user(UserName=name),
            ("iam:ListRoles", "*"): lambda c: client_for(server, "iam", c).list_roles(),
            ("iam:GetPolicy", managed_ro): lambda c: client_for(server, "iam", c).get_policy(PolicyArn=managed_ro),
            ("kms:ListKeys", "*"): lambda c: client_for(server, "kms", c).list_keys(),
            ("sts:GetCallerIdentity", "*"): lambda c: client_for(server, "sts", c).get_caller_identity(),
        }
        for (action, resource), call in calls.items():
            code = error_code(lambda: call(creds))
            assert code in (None, "AccessDenied", "AccessDeniedException"), code
            enforced = code is None
            simulated = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=[action],
                                                      ResourceArns=[resource])["EvaluationResults"][0]
            assert (simulated["EvalDecision"] == "allowed") == enforced, (policy, action, resource, simulated)


def test_trust_policy_simulation_agrees_with_assume_role(server, iam, account):
    """A same-account trust policy naming the user allows AssumeRole alone; one naming the account
    delegates to the identity policy: the simulator (ResourcePolicy = the trust policy) agrees."""
    from iamhelp import client_for, new_user

    for names_user in (True, False):
        for identity_allows in (True, False):
            inline = doc(allow("sts:AssumeRole")) if identity_allows else NOTHING
            name, creds = new_user(server, iam, inline=inline)
            user_arn = f"arn:aws:iam::{account}:user/{name}"
            principal = user_arn if names_user else f"arn:aws:iam::{account}:root"
            trust = json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}]})
            role = iam.create_role(RoleName=unique("trust"), AssumeRolePolicyDocument=trust)["Role"]["Arn"]
            code = error_code(lambda: client_for(server, "sts", creds).assume_role(RoleArn=role, RoleSessionName="s1"))
            assert code in (None, "AccessDenied"), code
            simulated = iam.simulate_principal_policy(PolicySourceArn=user_arn, ActionNames=["sts:AssumeRole"],
                                                      ResourceArns=[role], ResourcePolicy=trust)
            decision = simulated["EvaluationResults"][0]["EvalDecision"]
            assert (decision == "allowed") == (code is None), (names_user, identity_allows, decision, code)
            assert (code is None) == (names_user or identity_allows)
