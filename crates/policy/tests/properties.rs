//! Property tests over randomly generated policy sets and requests.

use proptest::prelude::*;
use rampart_policy::{
    AuthzContext, ConditionContext, Decision, KeysRead, Policy, PolicyKind, PolicySet, PrincipalInfo, ResourcePolicy,
    wildcard_match,
};

const ACTIONS: &[&str] = &["*", "s3:*", "s3:Get*", "s3:GetObject", "S3:putobject", "ec2:*", "iam:*", "s3:?etObject"];
const RESOURCES: &[&str] =
    &["*", "arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/key", "arn:aws:s3:::other/*", "arn:aws:s3:::${aws:username}*"];
const CONDITIONS: &[&str] = &[
    r#"{"Bool":{"aws:SecureTransport":"true"}}"#,
    r#"{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]}}"#,
    r#"{"StringNotEquals":{"aws:username":"bob"}}"#,
    r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}}"#,
    r#"{"Null":{"aws:TokenIssueTime":"true"}}"#,
    r#"{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}"#,
    r#"{"StringLike":{"aws:UserAgent":"${aws:username}*"}}"#,
    r#"{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/${aws:username}"}}"#,
    r#"{"StringEquals":{"test:never-set":"x"}}"#,
];
const PRINCIPALS: &[&str] = &[
    r#""*""#,
    r#"{"AWS":"111122223333"}"#,
    r#"{"AWS":"arn:aws:iam::111122223333:user/alice"}"#,
    r#"{"AWS":"arn:aws:iam::111122223333:role/Dev"}"#,
    r#"{"AWS":"arn:aws:sts::111122223333:assumed-role/Dev/s"}"#,
    r#"{"AWS":"444455556666"}"#,
];
const REQ_ACTIONS: &[&str] = &["s3:GetObject", "s3:PutObject", "ec2:RunInstances", "iam:CreateUser"];
const REQ_RESOURCES: &[&str] = &["arn:aws:s3:::bucket/key", "arn:aws:s3:::other/x", "arn:aws:s3:::alice-data"];

#[derive(Debug, Clone)]
struct GenStatement {
    deny: bool,
    not_action: bool,
    actions: Vec<usize>,
    not_resource: bool,
    resources: Vec<usize>,
    condition: Option<usize>,
    principal: usize,
    not_principal: bool,
}

impl GenStatement {
    fn json(&self, resource_policy: bool) -> String {
        let list =
            |idx: &[usize], src: &[&str]| idx.iter().map(|i| format!("\"{}\"", src[*i])).collect::<Vec<_>>().join(",");
        let mut s = format!(r#"{{"Effect":"{}""#, if self.deny { "Deny" } else { "Allow" });
        s += &format!(
            r#","{}":[{}]"#,
            if self.not_action { "NotAction" } else { "Action" },
            list(&self.actions, ACTIONS)
        );
        s += &format!(
            r#","{}":[{}]"#,
            if self.not_resource { "NotResource" } else { "Resource" },
            list(&self.resources, RESOURCES)
        );
        if resource_policy {
            let element = if self.not_principal && self.deny { "NotPrincipal" } else { "Principal" };
            s += &format!(r#","{element}":{}"#, PRINCIPALS[self.principal]);
        }
        if let Some(c) = self.condition {
            s += &format!(r#","Condition":{}"#, CONDITIONS[c]);
        }
        s + "}"
    }
}

fn statement() -> impl Strategy<Value = GenStatement> {
    (
        any::<bool>(),
        prop::bool::weighted(0.15),
        prop::collection::vec(0..ACTIONS.len(), 1..3),
        prop::bool::weighted(0.15),
        prop::collection::vec(0..RESOURCES.len(), 1..3),
        prop::option::weighted(0.4, 0..CONDITIONS.len()),
        0..PRINCIPALS.len(),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(deny, not_action, actions, not_resource, resources, condition, principal, not_principal)| {
            GenStatement { deny, not_action, actions, not_resource, resources, condition, principal, not_principal }
        })
}

type GenPolicy = Vec<GenStatement>;

fn policy() -> impl Strategy<Value = GenPolicy> {
    prop::collection::vec(statement(), 1..4)
}

#[derive(Debug, Clone)]
struct GenSet {
    identity: Vec<GenPolicy>,
    resource: Option<(GenPolicy, bool)>,
    boundary: Option<GenPolicy>,
    session: Vec<GenPolicy>,
    principal: usize,
    action: usize,
    resource_arn: usize,
    ctx: (bool, bool, bool, bool),
}

fn gen_set() -> impl Strategy<Value = GenSet> {
    (
        prop::collection::vec(policy(), 0..3),
        prop::option::of((policy(), any::<bool>())),
        prop::option::weighted(0.3, policy()),
        prop::collection::vec(policy(), 0..2),
        0..6usize,
        0..REQ_ACTIONS.len(),
        0..REQ_RESOURCES.len(),
        any::<(bool, bool, bool, bool)>(),
    )
        .prop_map(|(identity, resource, boundary, session, principal, action, resource_arn, ctx)| GenSet {
            identity,
            resource,
            boundary,
            session,
            principal,
            action,
            resource_arn,
            ctx,
        })
}

fn principal(i: usize) -> PrincipalInfo {
    match i {
        0 => PrincipalInfo::user("arn:aws:iam::111122223333:user/alice"),
        1 => PrincipalInfo::assumed_role(
            "arn:aws:sts::111122223333:assumed-role/Dev/s",
            "arn:aws:iam::111122223333:role/Dev",
        ),
        2 => PrincipalInfo::federated_user(
            "arn:aws:sts::111122223333:federated-user/f",
            "arn:aws:iam::111122223333:user/alice",
        ),
        3 => PrincipalInfo::root("111122223333"),
        4 => PrincipalInfo::user("arn:aws:iam::444455556666:user/x"),
        _ => PrincipalInfo::anonymous(),
    }
}

fn render(p: &GenPolicy, resource_policy: bool) -> String {
    let body = p.iter().map(|s| s.json(resource_policy)).collect::<Vec<_>>().join(",");
    format!(r#"{{"Version":"2012-10-17","Statement":[{body}]}}"#)
}

/// Evaluates a generated set; `extra` adds a statement (JSON) to the first policy of a layer
/// (0 identity, 1 resource, 2 boundary, 3 session); `action` overrides the requested action.
fn decide(set: &GenSet, extra: Option<(usize, &str)>, action: Option<&str>) -> Decision {
    evaluate_set(set, extra, action, false).0
}

/// Like [`decide`], with the statements that matched (as text); with `only_keys_read`, against a
/// context that keeps only the keys the set's policies read.
fn evaluate_set(
    set: &GenSet,
    extra: Option<(usize, &str)>,
    action: Option<&str>,
    only_keys_read: bool,
) -> (Decision, String) {
    let with_extra = |layer: usize, first: bool, json: String| match extra {
        Some((l, st)) if l == layer && first => json.replacen("\"Statement\":[", &format!("\"Statement\":[{st},"), 1),
        _ => json,
    };
    let parse = |json: String, kind| Policy::parse_as(&json, kind).unwrap_or_else(|e| panic!("{e}: {json}"));
    let identity: Vec<Policy> = set
        .identity
        .iter()
        .enumerate()
        .map(|(i, p)| parse(with_extra(0, i == 0, render(p, false)), PolicyKind::Identity))
        .collect();
    let resource = set
        .resource
        .as_ref()
        .map(|(p, required)| (parse(with_extra(1, true, render(p, true)), PolicyKind::Resource), *required));
    let boundary = set.boundary.as_ref().map(|p| parse(with_extra(2, true, render(p, false)), PolicyKind::Boundary));
    let session: Vec<Policy> = set
        .session
        .iter()
        .enumerate()
        .map(|(i, p)| parse(with_extra(3, i == 0, render(p, false)), PolicyKind::Session))
        .collect();
    let id_refs: Vec<&Policy> = identity.iter().collect();
    let s_refs: Vec<&Policy> = session.iter().collect();
    let who = principal(set.principal);
    let mut ctx = if only_keys_read {
        let all = id_refs.iter().copied().chain(resource.as_ref().map(|(p, _)| p)).chain(boundary.as_ref());
        ConditionContext::reading(KeysRead::of(all.chain(s_refs.iter().copied())))
    } else {
        ConditionContext::new()
    };
    let (tls, ip, name, tags) = set.ctx;
    ctx.insert("aws:SecureTransport", tls.to_string());
    if ip {
        ctx.insert("aws:SourceIp", "10.1.2.3");
    }
    if name {
        ctx.insert("aws:username", "alice");
    }
    if tags {
        ctx.insert_multi("aws:TagKeys", ["a", "c"]);
    }
    ctx.insert("aws:CurrentTime", "2025-01-01T00:00:00Z");
    ctx.insert("aws:UserAgent", "alice-cli/1.0");
    ctx.set_principal(&who);
    ctx.insert("test:unread", "never in a policy");
    let req = AuthzContext {
        principal: &who,
        action: action.unwrap_or(REQ_ACTIONS[set.action]),
        resource: REQ_RESOURCES[set.resource_arn],
        context: &ctx,
        policies: PolicySet {
            identity: &id_refs,
            resource: resource.as_ref().map(|(p, required)| ResourcePolicy {
                policy: p,
                owner_account: "111122223333",
                grant_required: *required,
            }),
            resource_owner: Some("111122223333"),
            boundary: boundary.as_ref(),
            session: &s_refs,
        },
    };
    let result = req.evaluate();
    (result.decision, format!("{:?}", result.matched))
}

/// Every Allow statement of a set, as (policy, statement) with policies numbered identity first,
/// then resource, boundary, session.
fn allow_slots(set: &GenSet) -> Vec<(usize, usize)> {
    policies_mut(&mut set.clone())
        .iter()
        .enumerate()
        .flat_map(|(pi, p)| {
            p.iter().enumerate().filter(|(_, s)| !s.deny).map(move |(si, _)| (pi, si)).collect::<Vec<_>>()
        })
        .collect()
}

fn policies_mut(set: &mut GenSet) -> Vec<&mut GenPolicy> {
    let mut out: Vec<&mut GenPolicy> = set.identity.iter_mut().collect();
    if let Some((p, _)) = &mut set.resource {
        out.push(p);
    }
    if let Some(p) = &mut set.boundary {
        out.push(p);
    }
    out.extend(set.session.iter_mut());
    out
}

/// A statement that matches no generated request: its condition key is never set.
fn never() -> GenStatement {
    GenStatement {
        deny: false,
        not_action: false,
        actions: vec![6],
        not_resource: false,
        resources: vec![3],
        condition: Some(CONDITIONS.len() - 1),
        principal: 5,
        not_principal: false,
    }
}

/// Reference glob matcher: plain recursion over characters.
fn reference_match(p: &[char], t: &[char]) -> bool {
    match (p.first(), t.first()) {
        (None, None) => true,
        (None, Some(_)) => false,
        (Some('*'), _) => reference_match(&p[1..], t) || (!t.is_empty() && reference_match(p, &t[1..])),
        (Some('?'), Some(_)) => reference_match(&p[1..], &t[1..]),
        (Some(c), Some(d)) if c == d => reference_match(&p[1..], &t[1..]),
        _ => false,
    }
}

/// JSON-ish text built from policy vocabulary, then randomly cut.
fn jsonish() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("\"Allow\"".to_string()),
        Just("\"*\"".to_string()),
        Just("\"s3:Get*\"".to_string()),
        Just("\"arn:aws:s3:::b/${aws:username}\"".to_string()),
        Just("\"2012-10-17\"".to_string()),
        Just("true".to_string()),
        Just("null".to_string()),
        Just("12".to_string()),
        "[a-zA-Z:*?${}/ .-]{0,12}".prop_map(|s| format!("{s:?}")),
    ];
    let keys = prop_oneof![
        Just("Version"),
        Just("Statement"),
        Just("Effect"),
        Just("Action"),
        Just("NotAction"),
        Just("Resource"),
        Just("NotResource"),
        Just("Principal"),
        Just("NotPrincipal"),
        Just("Condition"),
        Just("Sid"),
        Just("AWS"),
        Just("StringLike"),
        Just("ForAllValues:StringEquals"),
        Just("IpAddress"),
        Just("DateLessThan"),
        Just("Null"),
        Just("aws:SourceIp"),
        Just("bogus"),
    ];
    let tree = leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec((keys.clone(), inner), 0..5).prop_map(|v| {
                let body: Vec<String> = v.into_iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                format!("{{{}}}", body.join(","))
            }),
        ]
    });
    (tree, any::<prop::sample::Index>(), any::<bool>()).prop_map(|(s, cut, do_cut)| {
        if do_cut && !s.is_empty() {
            let mut at = cut.index(s.len());
            while !s.is_char_boundary(at) {
                at -= 1;
            }
            s[..at].to_string()
        } else {
            s
        }
    })
}

const DENY_ALL: &str = r#"{"Effect":"Deny","Action":"*","Resource":"*"}"#;
const DENY_ALL_RP: &str = r#"{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}"#;

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// (0) A context that keeps only the keys the policies read decides exactly as a full one,
    /// with the same statements matched.
    #[test]
    fn context_of_keys_read_decides_the_same(set in gen_set()) {
        prop_assert_eq!(evaluate_set(&set, None, None, true), evaluate_set(&set, None, None, false));
    }

    /// (1) An applicable Deny statement that matches the request means the result is never Allow.
    #[test]
    fn matching_deny_is_never_allowed(set in gen_set(), layer in 0..4usize, specific in any::<bool>()) {
        let session_principal = matches!(set.principal, 1 | 2);
        let layer = match layer {
            1 if set.resource.is_none() => 0,
            2 if set.boundary.is_none() => 0,
            3 if set.session.is_empty() || !session_principal => 0,
            l => l,
        };
        let statement = match (layer, specific) {
            (1, false) => DENY_ALL_RP.to_string(),
            (1, true) => format!(
                r#"{{"Effect":"Deny","Principal":{{"AWS":"*"}},"Action":"{}","Resource":"{}"}}"#,
                REQ_ACTIONS[set.action].to_uppercase(), REQ_RESOURCES[set.resource_arn]
            ),
            (_, false) => DENY_ALL.to_string(),
            (_, true) => format!(
                r#"{{"Effect":"Deny","Action":"{}","Resource":"{}"}}"#,
                REQ_ACTIONS[set.action], REQ_RESOURCES[set.resource_arn]
            ),
        };
        let mut set = set;
        if layer == 0 && set.identity.is_empty() {
            set.identity.push(vec![never()]);
        }
        prop_assert_eq!(decide(&set, Some((layer, &statement)), None), Decision::ExplicitDeny);
    }

    /// (2) Removing an Allow statement never turns a denial (explicit or implicit) into Allow.
    #[test]
    fn removing_an_allow_never_grants(set in gen_set(), pick in any::<prop::sample::Index>()) {
        let before = decide(&set, None, None);
        let slots = allow_slots(&set);
        if slots.is_empty() {
            return Ok(());
        }
        let (pi, si) = slots[pick.index(slots.len())];
        let mut smaller = set.clone();
        policies_mut(&mut smaller)[pi][si] = never();
        let after = decide(&smaller, None, None);
        if before != Decision::Allow {
            prop_assert_ne!(after, Decision::Allow, "removing an allow granted access");
        }
        if before == Decision::ExplicitDeny {
            prop_assert_eq!(after, Decision::ExplicitDeny);
        }
    }

    /// (3) Parsing never panics, whatever the input and policy kind.
    #[test]
    fn parse_never_panics(text in jsonish()) {
        for kind in [PolicyKind::Identity, PolicyKind::Resource, PolicyKind::Trust, PolicyKind::Boundary, PolicyKind::Session] {
            let _ = Policy::parse_as(&text, kind);
        }
    }

    /// (3b) Nor on arbitrary strings.
    #[test]
    fn parse_never_panics_on_noise(text in ".{0,200}") {
        let _ = Policy::parse(&text);
    }

    /// (4) The compiled wildcard matcher agrees with a plain recursive reference.
    #[test]
    fn wildcard_matches_reference(pattern in "[ab*?:/é]{0,10}", text in "[ab:/é]{0,12}") {
        let p: Vec<char> = pattern.chars().collect();
        let t: Vec<char> = text.chars().collect();
        prop_assert_eq!(wildcard_match(&pattern, &text), reference_match(&p, &t), "pattern {:?} text {:?}", pattern, text);
    }

    /// (5) Decisions do not depend on the case of the requested action.
    #[test]
    fn action_case_does_not_matter(set in gen_set()) {
        let plain = decide(&set, None, None);
        let upper = REQ_ACTIONS[set.action].to_uppercase();
        let lower = REQ_ACTIONS[set.action].to_lowercase();
        prop_assert_eq!(plain, decide(&set, None, Some(&upper)));
        prop_assert_eq!(plain, decide(&set, None, Some(&lower)));
    }
}

#[test]
fn reference_matcher_sanity() {
    let m = |p: &str, t: &str| reference_match(&p.chars().collect::<Vec<_>>(), &t.chars().collect::<Vec<_>>());
    assert!(m("a*b", "axxb"));
    assert!(!m("a?b", "ab"));
    assert!(m("*", ""));
}
