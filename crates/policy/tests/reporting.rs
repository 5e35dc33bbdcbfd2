//! What an evaluation reports besides the decision: matched statements (for
//! `SimulatePrincipalPolicy`) and AccessDenied reasons (AWS "Troubleshoot access denied error
//! messages": "... with an explicit deny in a/an ... policy", "... because no ... allows the
//! ... action").

use rampart_policy::{
    AuthzContext, ConditionContext, Decision, DenyReason, Effect, MatchedStatement, Policy, PolicyKind, PolicyLayer,
    PolicySet, PrincipalInfo, ResourcePolicy,
};

const ALICE: &str = "arn:aws:iam::111122223333:user/alice";

fn parse(json: &str, kind: PolicyKind, name: &str) -> Policy {
    Policy::parse_as(json, kind).unwrap().with_name(name)
}

#[test]
fn matched_statements_name_policy_statement_and_sid() {
    let managed = parse(
        r#"{"Version":"2012-10-17","Statement":[
            {"Sid":"ReadAll","Effect":"Allow","Action":"s3:Get*","Resource":"*"},
            {"Sid":"NoEc2","Effect":"Deny","Action":"ec2:*","Resource":"*"},
            {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}]}"#,
        PolicyKind::Identity,
        "arn:aws:iam::111122223333:policy/Read",
    );
    let inline = parse(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sqs:*","Resource":"*"}}"#,
        PolicyKind::Identity,
        "inline-sqs",
    );
    let bucket = parse(
        r#"{"Version":"2012-10-17","Statement":{"Sid":"Public read","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}}"#,
        PolicyKind::Resource,
        "bucket-policy",
    );
    let alice = PrincipalInfo::user(ALICE);
    let ctx = ConditionContext::new();
    let identity = [&inline, &managed];
    let req = AuthzContext {
        principal: &alice,
        action: "s3:GetObject",
        resource: "arn:aws:s3:::bucket/k",
        context: &ctx,
        policies: PolicySet {
            identity: &identity,
            resource: Some(ResourcePolicy::new(&bucket, "111122223333")),
            ..PolicySet::default()
        },
    };
    let result = req.evaluate();
    assert_eq!(result.decision, Decision::Allow);
    assert_eq!(result.reason, None);
    let expected = vec![
        MatchedStatement {
            layer: PolicyLayer::Identity,
            policy_index: 1,
            policy_name: "arn:aws:iam::111122223333:policy/Read",
            statement_index: 0,
            sid: Some("ReadAll"),
            effect: Effect::Allow,
        },
        MatchedStatement {
            layer: PolicyLayer::Identity,
            policy_index: 1,
            policy_name: "arn:aws:iam::111122223333:policy/Read",
            statement_index: 2,
            sid: None,
            effect: Effect::Allow,
        },
        MatchedStatement {
            layer: PolicyLayer::Resource,
            policy_index: 0,
            policy_name: "bucket-policy",
            statement_index: 0,
            sid: Some("Public read"),
            effect: Effect::Allow,
        },
    ];
    assert_eq!(result.matched, expected);
}

#[test]
fn deny_messages_follow_aws_wording() {
    let deny = DenyReason::ExplicitDeny(PolicyLayer::Identity).describe("s3:GetObject");
    assert_eq!(deny, "with an explicit deny in an identity-based policy");
    assert_eq!(
        DenyReason::ExplicitDeny(PolicyLayer::Resource).describe("s3:GetObject"),
        "with an explicit deny in a resource-based policy"
    );
    assert_eq!(
        DenyReason::ExplicitDeny(PolicyLayer::Boundary).describe("s3:GetObject"),
        "with an explicit deny in a permissions boundary"
    );
    assert_eq!(
        DenyReason::NoAllow(PolicyLayer::Identity).describe("s3:GetObject"),
        "because no identity-based policy allows the s3:GetObject action"
    );
    assert_eq!(
        DenyReason::NoAllow(PolicyLayer::Session).describe("s3:GetObject"),
        "because no session policy allows the s3:GetObject action"
    );
}

#[test]
fn access_denied_message_for_an_implicit_deny() {
    let alice = PrincipalInfo::user(ALICE);
    let ctx = ConditionContext::new();
    let req = AuthzContext {
        principal: &alice,
        action: "iam:CreateUser",
        resource: "arn:aws:iam::111122223333:user/bob",
        context: &ctx,
        policies: PolicySet::default(),
    };
    let result = req.evaluate();
    assert_eq!(result.decision, Decision::ImplicitDeny);
    assert!(result.matched.is_empty());
    assert_eq!(
        result.access_denied_message(ALICE, "iam:CreateUser", "arn:aws:iam::111122223333:user/bob"),
        "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:CreateUser on resource: \
         arn:aws:iam::111122223333:user/bob because no identity-based policy allows the iam:CreateUser action"
    );
    assert_eq!(Decision::ImplicitDeny.as_simulation_str(), "implicitDeny");
    assert_eq!(Decision::ExplicitDeny.to_string(), "explicitDeny");
}

#[test]
fn explicit_deny_lists_the_denying_statement() {
    let p = parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"Stop","Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#,
        PolicyKind::Identity,
        "p",
    );
    let b = parse(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
        PolicyKind::Boundary,
        "boundary",
    );
    let alice = PrincipalInfo::user(ALICE);
    let ctx = ConditionContext::new();
    let identity = [&p];
    let req = AuthzContext {
        principal: &alice,
        action: "s3:PutObject",
        resource: "arn:aws:s3:::b/k",
        context: &ctx,
        policies: PolicySet { identity: &identity, boundary: Some(&b), ..PolicySet::default() },
    };
    let result = req.evaluate();
    assert_eq!(result.decision, Decision::ExplicitDeny);
    assert_eq!(result.reason, Some(DenyReason::ExplicitDeny(PolicyLayer::Identity)));
    let denies: Vec<_> = result.matched.iter().filter(|m| m.effect == Effect::Deny).collect();
    assert_eq!(denies.len(), 1);
    assert_eq!(denies[0].sid, Some("Stop"));
    assert!(result.matched.iter().any(|m| m.layer == PolicyLayer::Boundary));
}

#[test]
fn context_helpers_fill_global_keys() {
    let session = PrincipalInfo::assumed_role(
        "arn:aws:sts::111122223333:assumed-role/path-less/s",
        "arn:aws:iam::111122223333:role/team/Dev",
    );
    let mut ctx = ConditionContext::new();
    ctx.set_principal(&session)
        .set_principal_tags([("team", "blue")])
        .set_source_ip("2001:db8::7".parse().unwrap())
        .set_secure_transport(true)
        .set_mfa(true, Some(30));
    let one = |k: &str| ctx.get(k).unwrap()[0].as_str().to_owned();
    assert_eq!(one("aws:PrincipalArn"), "arn:aws:iam::111122223333:role/team/Dev");
    assert_eq!(one("aws:PrincipalAccount"), "111122223333");
    assert_eq!(one("aws:PrincipalType"), "AssumedRole");
    assert_eq!(one("aws:principaltag/TEAM"), "blue");
    assert_eq!(one("aws:SourceIp"), "2001:db8::7");
    assert_eq!(one("aws:SecureTransport"), "true");
    assert_eq!(one("aws:MultiFactorAuthAge"), "30");
    assert_eq!(ctx.len(), 8);
}
