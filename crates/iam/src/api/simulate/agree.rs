//! Table tests per family of AWS's evaluation rules, each citing the AWS page it follows, and a
//! property test that the simulator decides what enforcement decides.

use super::*;
use proptest::prelude::*;
use rampart_wire::query::QueryParams;

/// AWS "Policy evaluation logic".
const LOGIC: &str = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html";
/// AWS "Cross-account policy evaluation logic".
const CROSS: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html";
/// AWS IAM API reference, `SimulateCustomPolicy`.
const SIMULATE: &str = "https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulateCustomPolicy.html";
/// AWS "Permissions boundaries for IAM entities".
const BOUNDARIES: &str = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html";
/// AWS STS API reference, `GetCallerIdentity`.
const WHOAMI: &str = "https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html";
/// AWS "Service-linked roles", "AWS managed policies", KMS "Aliases".
const RESERVED: &str = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html";

const ME: &str = "arn:aws:iam::111122223333:user/alice";
const ROLE: &str = "arn:aws:iam::111122223333:role/Dev";
const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/Dev/s1";
const BUCKET: &str = "arn:aws:s3:::bucket";
const ALLOW_ALL: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
const DENY_ALL: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}"#;
const NOTHING: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"none:none","Resource":"*"}}"#;

fn grant(principal: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"*","Resource":"*"}}}}"#
    )
}

/// One case: caller, identity policies, boundary, resource policy, `ResourceOwner`, action,
/// resource, the expected decision, and the documentation it follows.
struct Case<'a> {
    caller: &'a str,
    identity: &'a [&'a str],
    boundary: Option<&'a str>,
    resource_policy: Option<String>,
    owner: Option<&'a str>,
    action: &'a str,
    resource: &'a str,
    expect: &'a str,
    doc: &'a str,
}

fn run(c: &Case<'_>) -> &'static str {
    let identity: Vec<Policy> = c.identity.iter().map(|d| Policy::parse(d).unwrap()).collect();
    let boundary = c.boundary.map(|d| Policy::parse_as(d, PolicyKind::Boundary).unwrap());
    let resource = c.resource_policy.as_deref().map(|d| Policy::parse_as(d, PolicyKind::Resource).unwrap());
    let inputs = Inputs {
        principal: caller_principal(c.caller),
        identity: identity.iter().collect(),
        boundary: boundary.as_ref(),
        resource: resource.as_ref(),
        resource_owner: c.owner.map(owner_account),
        context: ConditionContext::new(),
        context_bytes: 0,
    };
    inputs.decide(c.action, c.resource).decision.as_simulation_str()
}

fn check(cases: &[Case<'_>]) {
    for (i, c) in cases.iter().enumerate() {
        assert_eq!(run(c), c.expect, "case {i} ({}): {} {} {}", c.doc, c.caller, c.action, c.resource);
    }
}

fn case<'a>(caller: &'a str, identity: &'a [&'a str], action: &'a str, resource: &'a str) -> Case<'a> {
    Case {
        caller,
        identity,
        boundary: None,
        resource_policy: None,
        owner: None,
        action,
        resource,
        expect: "allowed",
        doc: LOGIC,
    }
}

#[test]
fn resource_ownership() {
    let other_key = "arn:aws:kms:us-east-1:444455556666:key/k";
    check(&[
        // The ARN's account is the owner: identity policy alone cannot reach another account.
        Case { expect: "implicitDeny", doc: CROSS, ..case(ME, &[ALLOW_ALL], "kms:Decrypt", other_key) },
        // No account in the ARN: ResourceOwner decides.
        Case {
            owner: Some("444455556666"),
            expect: "implicitDeny",
            doc: SIMULATE,
            ..case(ME, &[ALLOW_ALL], "s3:GetObject", BUCKET)
        },
        Case {
            owner: Some("arn:aws:iam::444455556666:root"),
            expect: "implicitDeny",
            doc: SIMULATE,
            ..case(ME, &[ALLOW_ALL], "s3:GetObject", BUCKET)
        },
        // ResourceOwner as an account root ARN names its account.
        Case {
            owner: Some("arn:aws:iam::111122223333:root"),
            doc: SIMULATE,
            ..case(ME, &[ALLOW_ALL], "s3:GetObject", BUCKET)
        },
        // Neither: the caller's account.
        Case { doc: SIMULATE, ..case(ME, &[ALLOW_ALL], "s3:GetObject", BUCKET) },
        Case { owner: Some("111122223333"), doc: SIMULATE, ..case(ME, &[ALLOW_ALL], "s3:GetObject", BUCKET) },
        // The ARN's account wins over ResourceOwner.
        Case {
            owner: Some("111122223333"),
            expect: "implicitDeny",
            doc: SIMULATE,
            ..case(ME, &[ALLOW_ALL], "kms:Decrypt", other_key)
        },
        // Cross-account: both the identity and the resource policy must allow.
        Case {
            resource_policy: Some(grant(ME)),
            owner: Some("444455556666"),
            doc: CROSS,
            ..case(ME, &[ALLOW_ALL], "s3:GetObject", BUCKET)
        },
        Case {
            resource_policy: Some(grant(ME)),
            owner: Some("444455556666"),
            expect: "implicitDeny",
            doc: CROSS,
            ..case(ME, &[NOTHING], "s3:GetObject", BUCKET)
        },
        Case {
            resource_policy: Some(grant("444455556666")),
            owner: Some("444455556666"),
            expect: "implicitDeny",
            doc: CROSS,
            ..case(ME, &[ALLOW_ALL], "s3:GetObject", BUCKET)
        },
    ]);
}

#[test]
fn same_account_resource_policy_alone() {
    check(&[
        Case { resource_policy: Some(grant(ME)), ..case(ME, &[NOTHING], "s3:GetObject", BUCKET) },
        Case { resource_policy: Some(grant(SESSION)), ..case(SESSION, &[NOTHING], "s3:GetObject", BUCKET) },
        Case { resource_policy: Some(grant(ROLE)), ..case(SESSION, &[NOTHING], "s3:GetObject", BUCKET) },
        // Naming the account delegates to identity policies.
        Case {
            resource_policy: Some(grant("arn:aws:iam::111122223333:root")),
            expect: "implicitDeny",
            ..case(ME, &[NOTHING], "s3:GetObject", BUCKET)
        },
        Case {
            resource_policy: Some(grant("111122223333")),
            expect: "implicitDeny",
            ..case(SESSION, &[NOTHING], "s3:GetObject", BUCKET)
        },
        Case { resource_policy: Some(grant("111122223333")), ..case(ME, &[ALLOW_ALL], "s3:GetObject", BUCKET) },
        // KMS: the key policy must allow even within the account.
        Case {
            resource_policy: Some(grant("111122223333")),
            ..case(ME, &[ALLOW_ALL], "kms:Decrypt", "arn:aws:kms:us-east-1:111122223333:key/k")
        },
        Case {
            resource_policy: Some(grant("arn:aws:iam::111122223333:user/bob")),
            expect: "implicitDeny",
            ..case(ME, &[ALLOW_ALL], "kms:Decrypt", "arn:aws:kms:us-east-1:111122223333:key/k")
        },
        Case {
            resource_policy: Some(grant(ME)),
            ..case(ME, &[NOTHING], "kms:Decrypt", "arn:aws:kms:us-east-1:111122223333:key/k")
        },
    ]);
}

#[test]
fn get_caller_identity_is_always_allowed() {
    check(&[
        Case { doc: WHOAMI, ..case(ME, &[DENY_ALL], "sts:GetCallerIdentity", "*") },
        Case { doc: WHOAMI, ..case(SESSION, &[NOTHING], "sts:GetCallerIdentity", "*") },
        Case { boundary: Some(DENY_ALL), doc: WHOAMI, ..case(ME, &[DENY_ALL], "sts:getcalleridentity", "*") },
        Case { expect: "explicitDeny", doc: WHOAMI, ..case(ME, &[DENY_ALL], "sts:GetSessionToken", "*") },
    ]);
}

#[test]
fn resource_policy_principals_are_not_checked_for_existence() {
    // The simulator evaluates the text it is given (SimulateCustomPolicy "ResourcePolicy").
    let q = query(&[
        ("ActionNames.member.1", "s3:GetObject".into()),
        (
            "ResourcePolicy",
            grant("arn:aws:iam::999988887777:role/path/NoSuchRole")
                .replace("\"*\",\"Resource\"", "\"s3:*\",\"Resource\""),
        ),
    ]);
    let input = checked(&q).unwrap();
    let (_, resource) = boundary_and_resource_inputs(&Simulation::from(&input)).unwrap();
    assert!(resource.is_some(), "{SIMULATE}");
    check(&[Case {
        resource_policy: Some(grant("arn:aws:iam::999988887777:user/ghost")),
        owner: Some("999988887777"),
        doc: SIMULATE,
        ..case("arn:aws:iam::999988887777:user/ghost", &[ALLOW_ALL], "s3:GetObject", BUCKET)
    }]);
}

fn query(pairs: &[(&str, String)]) -> QueryParams {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())))
        .finish();
    QueryParams::parse("", body.as_bytes()).unwrap()
}

#[test]
fn boundaries_with_resource_policies() {
    let limited = Some(NOTHING);
    check(&[
        // Naming the user: not limited by the boundary's implicit deny.
        Case {
            boundary: limited,
            resource_policy: Some(grant(ME)),
            doc: BOUNDARIES,
            ..case(ME, &[NOTHING], "s3:GetObject", BUCKET)
        },
        // Naming the role session: not limited either.
        Case {
            boundary: limited,
            resource_policy: Some(grant(SESSION)),
            doc: BOUNDARIES,
            ..case(SESSION, &[NOTHING], "s3:GetObject", BUCKET)
        },
        // Naming the role: limited.
        Case {
            boundary: limited,
            resource_policy: Some(grant(ROLE)),
            expect: "implicitDeny",
            doc: BOUNDARIES,
            ..case(SESSION, &[NOTHING], "s3:GetObject", BUCKET)
        },
        Case {
            boundary: Some(ALLOW_ALL),
            resource_policy: Some(grant(ROLE)),
            doc: BOUNDARIES,
            ..case(SESSION, &[NOTHING], "s3:GetObject", BUCKET)
        },
        // An explicit deny in the boundary always wins.
        Case {
            boundary: Some(DENY_ALL),
            resource_policy: Some(grant(ME)),
            expect: "explicitDeny",
            doc: BOUNDARIES,
            ..case(ME, &[NOTHING], "s3:GetObject", BUCKET)
        },
        // Without a resource policy, the boundary limits the identity policies.
        Case {
            boundary: limited,
            expect: "implicitDeny",
            doc: BOUNDARIES,
            ..case(ME, &[ALLOW_ALL], "s3:GetObject", BUCKET)
        },
    ]);
}

#[test]
fn service_principals_and_reserved_resources() {
    let service = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"*","Resource":"*"}}"#;
    check(&[
        Case {
            resource_policy: Some(service.into()),
            doc: LOGIC,
            ..case("ec2.amazonaws.com", &[NOTHING], "sts:AssumeRole", ROLE)
        },
        Case {
            resource_policy: Some(service.into()),
            expect: "implicitDeny",
            doc: LOGIC,
            ..case("lambda.amazonaws.com", &[ALLOW_ALL], "sts:AssumeRole", ROLE)
        },
        Case {
            expect: "implicitDeny",
            doc: RESERVED,
            ..case(ME, &[ALLOW_ALL], "iam:CreatePolicyVersion", "arn:aws:iam::aws:policy/ReadOnlyAccess")
        },
        Case { doc: RESERVED, ..case(ME, &[ALLOW_ALL], "iam:GetPolicy", "arn:aws:iam::aws:policy/ReadOnlyAccess") },
        Case {
            expect: "implicitDeny",
            doc: RESERVED,
            ..case(
                ME,
                &[ALLOW_ALL],
                "iam:PutRolePolicy",
                "arn:aws:iam::111122223333:role/aws-service-role/x.amazonaws.com/R",
            )
        },
        Case {
            doc: RESERVED,
            ..case(
                ME,
                &[ALLOW_ALL],
                "iam:DeleteServiceLinkedRole",
                "arn:aws:iam::111122223333:role/aws-service-role/x.amazonaws.com/R",
            )
        },
        Case {
            expect: "implicitDeny",
            doc: RESERVED,
            ..case(ME, &[ALLOW_ALL], "kms:DeleteAlias", "arn:aws:kms:us-east-1:111122223333:alias/aws/s3")
        },
        Case {
            doc: RESERVED,
            ..case(ME, &[ALLOW_ALL], "kms:DeleteAlias", "arn:aws:kms:us-east-1:111122223333:alias/mine")
        },
    ]);
}

/// What enforcement decides ([`crate::authorizer::question`], the assembly the pipeline's
/// authorizer uses) for the caller's compiled policies and the resource's stored policy,
/// owned by `ResourceOwner` or else the caller's account.
fn enforced(c: &Case<'_>) -> Option<&'static str> {
    let identity: Vec<Arc<Policy>> = c.identity.iter().map(|d| Arc::new(Policy::parse(d).unwrap())).collect();
    let compiled = crate::identity::IdentityPolicies {
        generation: 0,
        info: caller_principal(c.caller),
        identity: identity.clone(),
        boundary: c.boundary.map(|d| Arc::new(Policy::parse_as(d, PolicyKind::Boundary).unwrap())),
        session: Vec::new(),
        keys: Vec::new(),
        temporary: false,
        mfa_unix: None,
        broken: None,
    };
    let refs: Vec<&Policy> = identity.iter().map(Arc::as_ref).collect();
    let lower = c.action.to_ascii_lowercase();
    let trust = lower.starts_with("sts:assumerole");
    let kind = if trust { PolicyKind::Trust } else { PolicyKind::Resource };
    let resource = match c.resource_policy.as_deref().map(|d| Policy::parse_as(d, kind)) {
        None => None,
        Some(Ok(p)) => Some(p),
        Some(Err(_)) => return None, // not a policy enforcement could have stored
    };
    // The owner a service would declare for the resource (`ResourceOwner`).
    let declared = c.owner.map(owner_account);
    let owner = declared.clone().or(compiled.info.account.clone());
    let stored = resource.as_ref().map(|_| rampart_core::authz::ResourcePolicyRef {
        cache_key: String::new(),
        owner_account: rampart_core::ids::AccountId::parse(owner.as_deref().unwrap_or("111122223333")).unwrap(),
        document: Arc::from(""),
        grant_required: trust || lower.starts_with("kms:"),
    });
    let context = ConditionContext::new();
    let q = crate::authorizer::question(
        &compiled,
        crate::authorizer::Layers { identity: &refs, session: &[] },
        resource.as_ref().zip(stored.as_ref()),
        stored.as_ref().map(|r| r.owner_account.as_str()).or(declared.as_deref()),
        c.action,
        c.resource,
        &context,
    );
    Some(crate::decide::decide(&q).decision.as_simulation_str())
}

/// The decision the whole simulator answers (parameters in, XML out).
fn simulated(c: &Case<'_>) -> String {
    let mut pairs: Vec<(&str, String)> =
        vec![("ActionNames.member.1", c.action.into()), ("ResourceArns.member.1", c.resource.into())];
    let names: Vec<String> = (1..=c.identity.len()).map(|i| format!("PolicyInputList.member.{i}")).collect();
    for (n, d) in names.iter().zip(c.identity) {
        pairs.push((n.as_str(), (*d).into()));
    }
    if let Some(b) = c.boundary {
        pairs.push(("PermissionsBoundaryPolicyInputList.member.1", b.into()));
    }
    if let Some(r) = &c.resource_policy {
        pairs.push(("ResourcePolicy", r.clone()));
    }
    if let Some(o) = c.owner {
        pairs.push(("ResourceOwner", o.into()));
    }
    let q = query(&pairs);
    let input = checked(&q).unwrap();
    let s = Simulation::from(&input);
    let req = Request::parse(&s).unwrap();
    let identity = parse_list(s.policies, PolicyKind::Identity, "PolicyInputList.").unwrap();
    let (boundary, resource) = boundary_and_resource_inputs(&s).unwrap();
    let inputs = Inputs {
        principal: caller_principal(c.caller),
        identity: identity.iter().collect(),
        boundary: boundary.as_ref(),
        resource: resource.as_ref(),
        resource_owner: resource_owner(&s),
        context: ConditionContext::new(),
        context_bytes: 0,
    };
    let xml = xml_of(&simulate(&req, &inputs));
    xml.split("<EvalDecision>").nth(1).and_then(|s| s.split('<').next()).unwrap_or_default().to_owned()
}

fn arb_principal() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        ME,
        ROLE,
        SESSION,
        "arn:aws:iam::444455556666:user/bob",
        "arn:aws:sts::444455556666:assumed-role/Ops/s",
        "arn:aws:iam::111122223333:root",
        "111122223333",
        "444455556666",
        "ec2.amazonaws.com",
        "*",
    ])
}

fn arb_policy(
    principal: Option<&'static str>,
    effect: &'static str,
    action: &'static str,
    resource: &'static str,
) -> String {
    let p = match principal {
        None => String::new(),
        Some("ec2.amazonaws.com") => r#""Principal":{"Service":"ec2.amazonaws.com"},"#.into(),
        Some("*") => r#""Principal":"*","#.into(),
        Some(p) => format!(r#""Principal":{{"AWS":"{p}"}},"#),
    };
    format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"{effect}",{p}"Action":"{action}","Resource":"{resource}"}}}}"#
    )
}

fn arb_statement() -> impl Strategy<Value = (&'static str, &'static str, &'static str)> {
    (
        prop::sample::select(vec!["Allow", "Allow", "Deny"]),
        prop::sample::select(vec!["*", "s3:*", "kms:Decrypt", "sts:*", "iam:*", "none:none"]),
        prop::sample::select(vec!["*", "arn:aws:s3:::bucket", "arn:aws:kms:*:*:key/*", "arn:aws:iam::*:*"]),
    )
}

proptest! {
    /// The simulator decides exactly what enforcement's assembly decides, for generated
    /// callers, policies, boundaries, resource policies, owners, actions and resources.
    #[test]
    fn simulator_agrees_with_enforcement(
        caller in prop::sample::select(vec![ME, SESSION, "arn:aws:iam::444455556666:user/bob", "arn:aws:iam::111122223333:root", "ec2.amazonaws.com"]),
        identity in prop::collection::vec(arb_statement(), 1..3),
        boundary in prop::option::of(arb_statement()),
        resource_policy in prop::option::of((arb_principal(), arb_statement())),
        owner in prop::option::of(prop::sample::select(vec!["111122223333", "444455556666", "arn:aws:iam::444455556666:root"])),
        action in prop::sample::select(vec!["s3:GetObject", "kms:Decrypt", "sts:AssumeRole", "sts:GetCallerIdentity", "iam:CreatePolicyVersion", "kms:DeleteAlias"]),
        resource in prop::sample::select(vec!["*", BUCKET, "arn:aws:kms:us-east-1:111122223333:key/k", "arn:aws:kms:us-east-1:444455556666:key/k", ROLE, "arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:kms:us-east-1:111122223333:alias/aws/s3"]),
    ) {
        let identity: Vec<String> = identity.into_iter().map(|(e, a, r)| arb_policy(None, e, a, r)).collect();
        let identity_refs: Vec<&str> = identity.iter().map(String::as_str).collect();
        let boundary = boundary.map(|(e, a, r)| arb_policy(None, e, a, r));
        let c = Case {
            caller,
            identity: &identity_refs,
            boundary: boundary.as_deref(),
            resource_policy: resource_policy.map(|(p, (e, a, r))| arb_policy(Some(p), e, a, r)),
            owner,
            action,
            resource,
            expect: "",
            doc: LOGIC,
        };
        if let Some(enforced) = enforced(&c) {
            prop_assert_eq!(simulated(&c), enforced);
        }
    }
}
