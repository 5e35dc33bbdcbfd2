//! Evaluation-logic table: default deny, allow, explicit deny, Action/NotAction,
//! Resource/NotResource, boundaries, session policies, resource-based policies (same account and
//! cross-account), trust policies and NotPrincipal. Conditions and policy variables are in
//! `condition_table.rs`.

mod common;
use common::*;
use rampart_policy::PrincipalInfo;

fn session_principal() -> PrincipalInfo {
    PrincipalInfo::assumed_role(SESSION, ROLE)
}

fn fed_principal() -> PrincipalInfo {
    PrincipalInfo::federated_user(FED, "arn:aws:iam::111122223333:user/carol")
}

/// AWS "How AWS enforcement code logic evaluates requests": "By default, all requests are
/// implicitly denied with the exception of the AWS account root user"; "An explicit deny
/// overrides an explicit allow". Examples from "Policy evaluation for requests within a single
/// account" (carlossalazar) and "The difference between explicit and implicit denies".
fn basics() -> Vec<Case> {
    let carlos = pol(r#"
        {"Sid":"AllowS3ListRead","Effect":"Allow","Action":["s3:GetBucketLocation","s3:ListAllMyBuckets"],"Resource":"arn:aws:s3:::*"},
        {"Sid":"AllowS3Self","Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::carlossalazar/*","arn:aws:s3:::carlossalazar"]},
        {"Sid":"DenyS3Logs","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::*log*"}"#);
    let get_list = pol(r#"
        {"Sid":"AllowGetList","Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"},
        {"Sid":"DenyReports","Effect":"Deny","Action":"iam:*Report","Resource":"*"}"#);
    vec![
        case("no policies: implicit deny").expect(Implicit(I)),
        case("matching allow").id(allow("s3:GetObject", OBJ)).expect(Allow),
        case("allow for another action").id(allow("s3:PutObject", OBJ)).expect(Implicit(I)),
        case("allow for another resource").id(allow("s3:GetObject", "arn:aws:s3:::other/*")).expect(Implicit(I)),
        case("deny beats allow in the same policy")
            .id(pol(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}"#))
            .expect(Explicit(I)),
        case("deny in another policy beats allow").id(allow("*", "*")).id(deny("s3:*", "*")).expect(Explicit(I)),
        case("deny without any allow").id(deny("s3:GetObject", OBJ)).expect(Explicit(I)),
        case("deny for another action leaves allow").id(allow("s3:*", "*")).id(deny("s3:PutObject", "*")).expect(Allow),
        case("allow everything").id(allow("*", "*")).expect(Allow),
        case("second statement allows")
            .id(pol(r#"{"Effect":"Allow","Action":"ec2:*","Resource":"*"},{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#))
            .expect(Allow),
        case("carlos: put to the logs bucket is explicitly denied")
            .id(carlos.clone())
            .act("s3:PutObject")
            .res("arn:aws:s3:::carlossalazar-logs/file")
            .expect(Explicit(I)),
        case("carlos: put to his own bucket is allowed")
            .id(carlos.clone())
            .act("s3:PutObject")
            .res("arn:aws:s3:::carlossalazar/file")
            .expect(Allow),
        case("carlos: list all buckets allowed").id(carlos.clone()).act("s3:ListAllMyBuckets").res("arn:aws:s3:::x").expect(Allow),
        case("carlos: other bucket implicitly denied").id(carlos).act("s3:PutObject").res("arn:aws:s3:::else/f").expect(Implicit(I)),
        case("get/list: iam:GetUser allowed").id(get_list.clone()).act("iam:GetUser").res("*").expect(Allow),
        case("get/list: iam:CreatePolicy implicitly denied").id(get_list.clone()).act("iam:CreatePolicy").res("*").expect(Implicit(I)),
        case("get/list: report explicitly denied despite another allow")
            .id(get_list)
            .id(allow("iam:GenerateCredentialReport", "*"))
            .act("iam:GenerateCredentialReport")
            .res("*")
            .expect(Explicit(I)),
        case("root user has full access without policies").who(PrincipalInfo::root(ACCT)).expect(Allow),
        case("root user is still bound by an explicit deny in a resource policy")
            .who(PrincipalInfo::root(ACCT))
            .rp(rp_deny(r#""*""#, "s3:*"), ACCT)
            .expect(Explicit(R)),
        case("anonymous caller without a resource policy").who(PrincipalInfo::anonymous()).id(allow("*", "*")).expect(Implicit(R)),
        case("service principal without a resource policy").who(PrincipalInfo::service("ec2.amazonaws.com")).expect(Implicit(R)),
    ]
}

/// AWS "IAM JSON policy elements: Action": action names are case-insensitive; wildcards `*`
/// and `?` may appear anywhere in the action name.
fn actions() -> Vec<Case> {
    vec![
        case("action wildcard suffix").id(allow("s3:Get*", "*")).expect(Allow),
        case("action match is case-insensitive (policy upper)").id(allow("S3:GETOBJECT", "*")).expect(Allow),
        case("action match is case-insensitive (request lower)")
            .id(allow("s3:GetObject", "*"))
            .act("s3:getobject")
            .expect(Allow),
        case("action question mark").id(allow("s3:Get?bject", "*")).expect(Allow),
        case("action question mark needs one char").id(allow("s3:Get?Object", "*")).expect(Implicit(I)),
        case("action wildcard prefix").id(allow("s3:*Object", "*")).act("s3:PutObject").expect(Allow),
        case("action wildcard infix")
            .id(allow("iam:*AccessKey*", "*"))
            .act("iam:CreateAccessKey")
            .res("*")
            .expect(Allow),
        case("action wildcard infix no match")
            .id(allow("iam:*AccessKey*", "*"))
            .act("iam:ListUsers")
            .res("*")
            .expect(Implicit(I)),
        case("action list")
            .id(pol(r#"{"Effect":"Allow","Action":["ec2:*","s3:GetObject"],"Resource":"*"}"#))
            .expect(Allow),
        case("get wildcard does not match list").id(allow("s3:Get*", "*")).act("s3:ListBucket").expect(Implicit(I)),
        case("service prefix must match whole")
            .id(allow("s3:*", "*"))
            .act("s3express:CreateSession")
            .expect(Implicit(I)),
        case("other service").id(allow("s3:*", "*")).act("sqs:SendMessage").expect(Implicit(I)),
        case("star action").id(allow("*", "*")).act("dynamodb:PutItem").expect(Allow),
        case("service wildcard").id(allow("s3:*", "*")).act("s3:DeleteBucket").expect(Allow),
    ]
}

/// AWS "IAM JSON policy elements: NotAction": the statement matches every action except those
/// listed; with Allow it grants, with Deny it denies everything else.
fn not_action() -> Vec<Case> {
    let allow_but_iam = pol(r#"{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}"#);
    let deny_but_iam = pol(r#"{"Effect":"Deny","NotAction":["iam:*","sts:GetCallerIdentity"],"Resource":"*"}"#);
    let mfa = pol(r#"{"Effect":"Allow","Action":"*","Resource":"*"},
           {"Effect":"Deny","NotAction":"iam:*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}"#);
    vec![
        case("notaction allow grants other services").id(allow_but_iam.clone()).expect(Allow),
        case("notaction allow excludes listed")
            .id(allow_but_iam.clone())
            .act("iam:CreateUser")
            .res("*")
            .expect(Implicit(I)),
        case("notaction exclusion is case-insensitive")
            .id(allow_but_iam)
            .act("IAM:createuser")
            .res("*")
            .expect(Implicit(I)),
        case("notaction deny hits other services").id(allow("*", "*")).id(deny_but_iam.clone()).expect(Explicit(I)),
        case("notaction deny spares listed")
            .id(allow("*", "*"))
            .id(deny_but_iam.clone())
            .act("iam:ListUsers")
            .res("*")
            .expect(Allow),
        case("notaction deny spares second listed")
            .id(allow("*", "*"))
            .id(deny_but_iam)
            .act("sts:GetCallerIdentity")
            .res("*")
            .expect(Allow),
        case("mfa guard: no mfa key denies s3").id(mfa.clone()).expect(Explicit(I)),
        case("mfa guard: mfa false denies s3")
            .id(mfa.clone())
            .ctx("aws:MultiFactorAuthPresent", "false")
            .expect(Explicit(I)),
        case("mfa guard: mfa true allows s3").id(mfa.clone()).ctx("aws:MultiFactorAuthPresent", "true").expect(Allow),
        case("mfa guard: iam allowed without mfa").id(mfa).act("iam:ChangePassword").res("*").expect(Allow),
    ]
}

/// AWS "IAM JSON policy elements: Resource" / "NotResource": ARNs match case-sensitively with
/// `*` and `?` wildcards; NotResource matches every resource except those listed.
fn resources() -> Vec<Case> {
    let not_secret =
        pol(r#"{"Effect":"Allow","Action":"s3:*","NotResource":["arn:aws:s3:::secret","arn:aws:s3:::secret/*"]}"#);
    let deny_outside = pol(r#"{"Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::bucket/*"}"#);
    vec![
        case("exact resource").id(allow("s3:GetObject", OBJ)).expect(Allow),
        case("resource is case-sensitive").id(allow("s3:GetObject", "arn:aws:s3:::Bucket/key")).expect(Implicit(I)),
        case("resource star spans slashes")
            .id(allow("s3:GetObject", "arn:aws:s3:::bucket/*"))
            .res("arn:aws:s3:::bucket/a/b/c")
            .expect(Allow),
        case("resource star spans colons").id(allow("s3:GetObject", "arn:aws:*")).expect(Allow),
        case("resource infix wildcard")
            .id(allow("s3:*", "arn:aws:s3:::*log*"))
            .res("arn:aws:s3:::my-logs/x")
            .expect(Allow),
        case("resource question mark")
            .id(allow("s3:*", "arn:aws:s3:::bucket/file?.txt"))
            .res("arn:aws:s3:::bucket/file1.txt")
            .expect(Allow),
        case("resource question mark is one char")
            .id(allow("s3:*", "arn:aws:s3:::bucket/file?.txt"))
            .res("arn:aws:s3:::bucket/file10.txt")
            .expect(Implicit(I)),
        case("resource list")
            .id(pol(r#"{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::a","arn:aws:s3:::bucket/*"]}"#))
            .expect(Allow),
        case("bucket arn does not match object").id(allow("s3:*", "arn:aws:s3:::bucket")).expect(Implicit(I)),
        case("user path wildcard")
            .id(allow("iam:GetUser", "arn:aws:iam::111122223333:user/*"))
            .act("iam:GetUser")
            .res("arn:aws:iam::111122223333:user/division/alice")
            .expect(Allow),
        case("resource star matches star").id(allow("iam:ListUsers", "*")).act("iam:ListUsers").res("*").expect(Allow),
        case("notresource allows outside the list").id(not_secret.clone()).expect(Allow),
        case("notresource excludes listed object")
            .id(not_secret.clone())
            .res("arn:aws:s3:::secret/x")
            .expect(Implicit(I)),
        case("notresource excludes listed bucket")
            .id(not_secret)
            .act("s3:ListBucket")
            .res("arn:aws:s3:::secret")
            .expect(Implicit(I)),
        case("deny notresource denies elsewhere")
            .id(allow("s3:*", "*"))
            .id(deny_outside.clone())
            .res("arn:aws:s3:::elsewhere/k")
            .expect(Explicit(I)),
        case("deny notresource spares listed").id(allow("s3:*", "*")).id(deny_outside).expect(Allow),
    ]
}

/// AWS "Permissions boundaries for IAM entities": effective permissions are the intersection of
/// identity policies and the boundary; a boundary alone grants nothing; an explicit deny in it
/// wins; a resource policy naming the user (or the role session) is not limited by the boundary,
/// one naming the role is ("Policy evaluation logic", resource-based policies step).
fn boundaries() -> Vec<Case> {
    let s3_only = allow("s3:*", "*");
    vec![
        case("boundary and identity allow").id(allow("*", "*")).boundary(s3_only.clone()).expect(Allow),
        case("identity allows, boundary does not").id(allow("*", "*")).boundary(allow("ec2:*", "*")).expect(Implicit(B)),
        case("boundary alone grants nothing").boundary(s3_only.clone()).expect(Implicit(I)),
        case("explicit deny in boundary").id(allow("*", "*")).boundary(pol(r#"{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}"#)).expect(Explicit(B)),
        case("boundary limits action outside it").id(allow("*", "*")).boundary(s3_only.clone()).act("iam:CreateUser").res("*").expect(Implicit(B)),
        case("resource policy naming the user ignores boundary")
            .boundary(allow("ec2:*", "*"))
            .rp(rp_allow(&format!(r#"{{"AWS":"{ALICE}"}}"#), "s3:GetObject"), ACCT)
            .expect(Allow),
        case("resource policy naming the role is limited by boundary")
            .who(session_principal())
            .boundary(allow("ec2:*", "*"))
            .rp(rp_allow(&format!(r#"{{"AWS":"{ROLE}"}}"#), "s3:GetObject"), ACCT)
            .expect(Implicit(B)),
        case("resource policy naming the role session ignores boundary")
            .who(session_principal())
            .boundary(allow("ec2:*", "*"))
            .rp(rp_allow(&format!(r#"{{"AWS":"{SESSION}"}}"#), "s3:GetObject"), ACCT)
            .expect(Allow),
        case("resource policy naming the role replaces identity allow within the boundary")
            .who(session_principal())
            .boundary(s3_only.clone())
            .rp(rp_allow(&format!(r#"{{"AWS":"{ROLE}"}}"#), "s3:GetObject"), ACCT)
            .expect(Allow),
        case("resource policy naming the account needs identity within boundary")
            .boundary(s3_only)
            .rp(rp_allow(&format!(r#"{{"AWS":"{ACCT}"}}"#), "s3:GetObject"), ACCT)
            .expect(Implicit(I)),
        case("explicit deny in boundary beats resource policy naming the user")
            .boundary(deny("s3:*", "*"))
            .rp(rp_allow(&format!(r#"{{"AWS":"{ALICE}"}}"#), "s3:GetObject"), ACCT)
            .expect(Explicit(B)),
    ]
}

/// AWS "Session policies" and the session-policy step of "Policy evaluation logic": a session's
/// permissions are the intersection of its identity policies and its session policies; a role
/// session without a session policy keeps its role's permissions; a federated-user session
/// without one has none; resource policies naming the session are not limited, those naming the
/// role or the federating IAM user are.
fn sessions() -> Vec<Case> {
    let named = |arn: &str| rp_allow(&format!(r#"{{"AWS":"{arn}"}}"#), "s3:GetObject");
    vec![
        case("role session without session policy").who(session_principal()).id(allow("s3:*", "*")).expect(Allow),
        case("session policy and identity allow")
            .who(session_principal())
            .id(allow("s3:*", "*"))
            .session(allow("s3:GetObject", "*"))
            .expect(Allow),
        case("session policy does not allow")
            .who(session_principal())
            .id(allow("s3:*", "*"))
            .session(allow("ec2:*", "*"))
            .expect(Implicit(S)),
        case("session policy alone grants nothing")
            .who(session_principal())
            .session(allow("s3:*", "*"))
            .expect(Implicit(I)),
        case("explicit deny in session policy")
            .who(session_principal())
            .id(allow("*", "*"))
            .session(deny("s3:*", "*"))
            .expect(Explicit(S)),
        case("session policies are a union")
            .who(session_principal())
            .id(allow("*", "*"))
            .session(allow("ec2:*", "*"))
            .session(allow("s3:*", "*"))
            .expect(Allow),
        case("federated user without session policy has nothing")
            .who(fed_principal())
            .id(allow("*", "*"))
            .expect(Implicit(S)),
        case("federated user with session policy")
            .who(fed_principal())
            .id(allow("*", "*"))
            .session(allow("s3:*", "*"))
            .expect(Allow),
        case("resource policy naming federated user ignores session")
            .who(fed_principal())
            .rp(named(FED), ACCT)
            .expect(Allow),
        case("resource policy naming the federating user is limited by session policy")
            .who(fed_principal())
            .session(allow("ec2:*", "*"))
            .rp(named("arn:aws:iam::111122223333:user/carol"), ACCT)
            .expect(Implicit(S)),
        case("resource policy naming the federating user within session policy")
            .who(fed_principal())
            .session(allow("s3:*", "*"))
            .rp(named("arn:aws:iam::111122223333:user/carol"), ACCT)
            .expect(Allow),
        case("resource policy naming role is limited by session policy")
            .who(session_principal())
            .session(allow("ec2:*", "*"))
            .rp(named(ROLE), ACCT)
            .expect(Implicit(S)),
        case("resource policy naming role session ignores session policy")
            .who(session_principal())
            .session(allow("ec2:*", "*"))
            .rp(named(SESSION), ACCT)
            .expect(Allow),
        case("session policies do not apply to iam users").id(allow("s3:*", "*")).session(deny("*", "*")).expect(Allow),
    ]
}

/// AWS "Policy evaluation logic" (identity-based with resource-based policies) and "Principal":
/// within one account either an identity policy or a resource policy naming the principal
/// suffices; naming the account delegates to identity policies; `"*"` and `{"AWS":"*"}` include
/// anonymous callers.
fn same_account_resource_policies() -> Vec<Case> {
    vec![
        case("resource policy names user, no identity policy").rp(rp_allow(&format!(r#"{{"AWS":"{ALICE}"}}"#), "s3:GetObject"), ACCT).expect(Allow),
        case("resource policy names account root only").rp(rp_allow(r#"{"AWS":"arn:aws:iam::111122223333:root"}"#, "s3:*"), ACCT).expect(Implicit(I)),
        case("resource policy names account root, identity allows").id(allow("s3:*", "*")).rp(rp_allow(r#"{"AWS":"arn:aws:iam::111122223333:root"}"#, "s3:*"), ACCT).expect(Allow),
        case("resource policy names account id, identity allows").id(allow("s3:*", "*")).rp(rp_allow(r#"{"AWS":"111122223333"}"#, "s3:*"), ACCT).expect(Allow),
        case("resource policy star allows user").rp(rp_allow(r#""*""#, "s3:GetObject"), ACCT).expect(Allow),
        case("resource policy star allows anonymous").who(PrincipalInfo::anonymous()).rp(rp_allow(r#""*""#, "s3:GetObject"), ACCT).expect(Allow),
        case("resource policy aws star allows anonymous").who(PrincipalInfo::anonymous()).rp(rp_allow(r#"{"AWS":"*"}"#, "s3:GetObject"), ACCT).expect(Allow),
        case("anonymous not allowed by a named user").who(PrincipalInfo::anonymous()).rp(rp_allow(&format!(r#"{{"AWS":"{ALICE}"}}"#), "s3:*"), ACCT).expect(Implicit(R)),
        case("resource policy deny beats identity allow").id(allow("s3:*", "*")).rp(rp_deny(&format!(r#"{{"AWS":"{ALICE}"}}"#), "s3:GetObject"), ACCT).expect(Explicit(R)),
        case("resource policy deny to the account applies to its users").id(allow("s3:*", "*")).rp(rp_deny(r#"{"AWS":"111122223333"}"#, "s3:*"), ACCT).expect(Explicit(R)),
        case("resource policy deny to another user does not apply").id(allow("s3:*", "*")).rp(rp_deny(&format!(r#"{{"AWS":"{BOB}"}}"#), "s3:*"), ACCT).expect(Allow),
        case("resource policy names another user: identity decides").id(allow("s3:*", "*")).rp(rp_allow(&format!(r#"{{"AWS":"{BOB}"}}"#), "s3:*"), ACCT).expect(Allow),
        case("resource policy names another user, no identity").rp(rp_allow(&format!(r#"{{"AWS":"{BOB}"}}"#), "s3:*"), ACCT).expect(Implicit(I)),
        case("resource policy resource element mismatch")
            .rp(pol(&format!(r#"{{"Effect":"Allow","Principal":{{"AWS":"{ALICE}"}},"Action":"s3:*","Resource":"arn:aws:s3:::other/*"}}"#)), ACCT)
            .expect(Implicit(I)),
        case("resource policy without resource element applies")
            .rp(pol(&format!(r#"{{"Effect":"Allow","Principal":{{"AWS":"{ALICE}"}},"Action":"s3:*"}}"#)), ACCT)
            .expect(Allow),
        case("resource policy with condition met")
            .rp(pol(&format!(r#"{{"Effect":"Allow","Principal":{{"AWS":"{ALICE}"}},"Action":"s3:*","Condition":{{"Bool":{{"aws:SecureTransport":"true"}}}}}}"#)), ACCT)
            .ctx("aws:SecureTransport", "true")
            .expect(Allow),
        case("resource policy with condition unmet")
            .rp(pol(&format!(r#"{{"Effect":"Allow","Principal":{{"AWS":"{ALICE}"}},"Action":"s3:*","Condition":{{"Bool":{{"aws:SecureTransport":"true"}}}}}}"#)), ACCT)
            .ctx("aws:SecureTransport", "false")
            .expect(Implicit(I)),
        case("service principal allowed").who(PrincipalInfo::service("cloudtrail.amazonaws.com")).rp(rp_allow(r#"{"Service":"cloudtrail.amazonaws.com"}"#, "s3:PutObject"), ACCT).act("s3:PutObject").expect(Allow),
        case("service principal list").who(PrincipalInfo::service("cloudtrail.amazonaws.com")).rp(rp_allow(r#"{"Service":["config.amazonaws.com","cloudtrail.amazonaws.com"]}"#, "s3:PutObject"), ACCT).act("s3:PutObject").expect(Allow),
        case("aws star is the same as star, even for a service").who(PrincipalInfo::service("ec2.amazonaws.com")).rp(rp_allow(r#"{"AWS":"*"}"#, "s3:PutObject"), ACCT).act("s3:PutObject").expect(Allow),
        case("other service principal not allowed").who(PrincipalInfo::service("ec2.amazonaws.com")).rp(rp_allow(r#"{"Service":"cloudtrail.amazonaws.com"}"#, "s3:PutObject"), ACCT).act("s3:PutObject").expect(Implicit(R)),
        case("service principal does not match an aws principal").rp(rp_allow(r#"{"Service":"cloudtrail.amazonaws.com"}"#, "s3:*"), ACCT).expect(Implicit(I)),
        case("role session matched via role arn, identity denies implicitly").who(session_principal()).rp(rp_allow(&format!(r#"{{"AWS":"{ROLE}"}}"#), "s3:*"), ACCT).expect(Allow),
        case("canonical user principal").who(PrincipalInfo { canonical_user_id: Some("79a59df900b949e55d96a1e698fbaced".into()), ..PrincipalInfo::user(ALICE) })
            .rp(rp_allow(r#"{"CanonicalUser":"79a59df900b949e55d96a1e698fbaced"}"#, "s3:*"), ACCT)
            .expect(Allow),
    ]
}

/// AWS "Cross-account policy evaluation logic": the identity-based policy in the trusted account
/// and the resource-based policy in the trusting account must both allow.
fn cross_account() -> Vec<Case> {
    let x_user = || PrincipalInfo::user(X_USER);
    let to_account = rp_allow(r#"{"AWS":"444455556666"}"#, "s3:GetObject");
    vec![
        case("cross: account named and identity allows").who(x_user()).id(allow("s3:*", "*")).rp(to_account.clone(), ACCT).expect(Allow),
        case("cross: account named, identity silent").who(x_user()).rp(to_account.clone(), ACCT).expect(Implicit(I)),
        case("cross: identity allows, resource policy silent").who(x_user()).id(allow("s3:*", "*")).rp(rp_allow(r#"{"AWS":"999988887777"}"#, "s3:*"), ACCT).expect(Implicit(R)),
        case("cross: user named directly still needs identity").who(x_user()).rp(rp_allow(&format!(r#"{{"AWS":"{X_USER}"}}"#), "s3:*"), ACCT).expect(Implicit(I)),
        case("cross: user named directly and identity allows").who(x_user()).id(allow("s3:*", "*")).rp(rp_allow(&format!(r#"{{"AWS":"{X_USER}"}}"#), "s3:*"), ACCT).expect(Allow),
        case("cross: root arn of account named").who(x_user()).id(allow("s3:*", "*")).rp(rp_allow(r#"{"AWS":"arn:aws:iam::444455556666:root"}"#, "s3:*"), ACCT).expect(Allow),
        case("cross: boundary limits").who(x_user()).id(allow("s3:*", "*")).boundary(allow("ec2:*", "*")).rp(to_account.clone(), ACCT).expect(Implicit(B)),
        case("cross: role session via role arn").who(PrincipalInfo::assumed_role(X_SESSION, X_ROLE)).id(allow("s3:*", "*")).rp(rp_allow(&format!(r#"{{"AWS":"{X_ROLE}"}}"#), "s3:*"), ACCT).expect(Allow),
        case("cross: role session limited by session policy").who(PrincipalInfo::assumed_role(X_SESSION, X_ROLE)).id(allow("s3:*", "*")).session(allow("ec2:*", "*")).rp(rp_allow(&format!(r#"{{"AWS":"{X_SESSION}"}}"#), "s3:*"), ACCT).expect(Implicit(S)),
        case("cross: public resource still needs identity").who(x_user()).rp(rp_allow(r#""*""#, "s3:GetObject"), ACCT).expect(Implicit(I)),
        case("cross: public resource with identity").who(x_user()).id(allow("s3:GetObject", "*")).rp(rp_allow(r#""*""#, "s3:GetObject"), ACCT).expect(Allow),
        case("cross: resource deny").who(x_user()).id(allow("s3:*", "*")).rp(pol(r#"{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:*"},{"Effect":"Deny","Principal":"*","Action":"s3:GetObject"}"#), ACCT).expect(Explicit(R)),
        case("cross: identity deny").who(x_user()).id(allow("s3:*", "*")).id(deny("s3:GetObject", "*")).rp(to_account.clone(), ACCT).expect(Explicit(I)),
        case("cross: resource without a resource policy").who(x_user()).id(allow("s3:*", "*")).owner(ACCT).expect(Implicit(R)),
        case("same account: resource without a resource policy").id(allow("s3:*", "*")).owner(ACCT).expect(Allow),
        case("cross: root without a resource policy").who(PrincipalInfo::root(OTHER)).owner(ACCT).expect(Implicit(R)),
        case("cross: root of the other account").who(PrincipalInfo::root(OTHER)).rp(to_account, ACCT).expect(Allow),
        case("cross: root of the other account without grant").who(PrincipalInfo::root(OTHER)).rp(rp_allow(r#"{"AWS":"999988887777"}"#, "s3:*"), ACCT).expect(Implicit(R)),
    ]
}

/// AWS "Policy evaluation logic": "IAM role trust policies and KMS key policies are exceptions to
/// this logic, because they must explicitly allow access for principals." Trust policy examples
/// from "Creating a role to delegate permissions" and "How to use an external ID".
fn trust_policies() -> Vec<Case> {
    let assume = |c: Case| c.act("sts:AssumeRole").res("arn:aws:iam::111122223333:role/Target");
    let trust_to = |who: &str| pol(&format!(r#"{{"Effect":"Allow","Principal":{who},"Action":"sts:AssumeRole"}}"#));
    vec![
        assume(case("trust names user: no identity needed")).trust(trust_to(&format!(r#"{{"AWS":"{ALICE}"}}"#)), ACCT).expect(Allow),
        assume(case("trust names account: identity allows")).id(allow("sts:AssumeRole", "*")).trust(trust_to(r#"{"AWS":"arn:aws:iam::111122223333:root"}"#), ACCT).expect(Allow),
        assume(case("trust names account: identity silent")).trust(trust_to(r#"{"AWS":"111122223333"}"#), ACCT).expect(Implicit(I)),
        assume(case("trust silent: identity allow is not enough")).id(allow("sts:AssumeRole", "*")).trust(trust_to(&format!(r#"{{"AWS":"{BOB}"}}"#)), ACCT).expect(Implicit(R)),
        assume(case("trust cross-account: account named and identity allows")).who(PrincipalInfo::user(X_USER)).id(allow("sts:AssumeRole", "*")).trust(trust_to(r#"{"AWS":"444455556666"}"#), ACCT).expect(Allow),
        assume(case("trust cross-account: user named, identity silent")).who(PrincipalInfo::user(X_USER)).trust(trust_to(&format!(r#"{{"AWS":"{X_USER}"}}"#)), ACCT).expect(Implicit(I)),
        assume(case("trust service principal")).who(PrincipalInfo::service("ec2.amazonaws.com")).trust(trust_to(r#"{"Service":"ec2.amazonaws.com"}"#), ACCT).expect(Allow),
        assume(case("trust other service")).who(PrincipalInfo::service("lambda.amazonaws.com")).trust(trust_to(r#"{"Service":"ec2.amazonaws.com"}"#), ACCT).expect(Implicit(R)),
        case("trust web identity with audience")
            .who(PrincipalInfo::web_identity("accounts.google.com"))
            .act("sts:AssumeRoleWithWebIdentity")
            .res("arn:aws:iam::111122223333:role/Target")
            .trust(pol(r#"{"Effect":"Allow","Principal":{"Federated":"accounts.google.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"accounts.google.com:aud":"my-app"}}}"#), ACCT)
            .ctx("accounts.google.com:aud", "my-app")
            .expect(Allow),
        case("trust web identity with wrong audience")
            .who(PrincipalInfo::web_identity("accounts.google.com"))
            .act("sts:AssumeRoleWithWebIdentity")
            .res("arn:aws:iam::111122223333:role/Target")
            .trust(pol(r#"{"Effect":"Allow","Principal":{"Federated":"accounts.google.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"accounts.google.com:aud":"my-app"}}}"#), ACCT)
            .ctx("accounts.google.com:aud", "other-app")
            .expect(Implicit(R)),
        assume(case("trust external id present")).who(PrincipalInfo::user(X_USER)).id(allow("sts:AssumeRole", "*"))
            .trust(pol(r#"{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"Unique1234"}}}"#), ACCT)
            .ctx("sts:ExternalId", "Unique1234")
            .expect(Allow),
        assume(case("trust external id missing")).who(PrincipalInfo::user(X_USER)).id(allow("sts:AssumeRole", "*"))
            .trust(pol(r#"{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"Unique1234"}}}"#), ACCT)
            .expect(Implicit(R)),
        assume(case("role chaining: trust names the calling role")).who(session_principal()).trust(trust_to(&format!(r#"{{"AWS":"{ROLE}"}}"#)), ACCT).expect(Allow),
        case("key policy: account named, identity allows").id(allow("kms:Decrypt", "*")).act("kms:Decrypt").res("arn:aws:kms:us-east-1:111122223333:key/k")
            .rp_required(rp_allow(r#"{"AWS":"arn:aws:iam::111122223333:root"}"#, "kms:*"), ACCT).expect(Allow),
        case("key policy: account named, identity silent").act("kms:Decrypt").res("arn:aws:kms:us-east-1:111122223333:key/k")
            .rp_required(rp_allow(r#"{"AWS":"arn:aws:iam::111122223333:root"}"#, "kms:*"), ACCT).expect(Implicit(I)),
        case("key policy: not named, identity allow is not enough").id(allow("kms:*", "*")).act("kms:Decrypt").res("arn:aws:kms:us-east-1:111122223333:key/k")
            .rp_required(rp_allow(&format!(r#"{{"AWS":"{BOB}"}}"#), "kms:*"), ACCT).expect(Implicit(R)),
        case("key policy: user named directly").act("kms:Decrypt").res("arn:aws:kms:us-east-1:111122223333:key/k")
            .rp_required(rp_allow(&format!(r#"{{"AWS":"{ALICE}"}}"#), "kms:*"), ACCT).expect(Allow),
    ]
}

/// AWS "AWS JSON policy elements: NotPrincipal": a Deny applies to every principal except those
/// listed; AWS checks the account, then the user (or role, then session), so the account ARN (and
/// the role ARN for sessions) must be listed too; a principal with a permissions boundary is
/// always denied.
fn not_principal() -> Vec<Case> {
    let deny_except = |listed: &str| {
        pol(&format!(
            r#"{{"Effect":"Allow","Principal":"*","Action":"s3:*"}},{{"Effect":"Deny","NotPrincipal":{{"AWS":[{listed}]}},"Action":"s3:*"}}"#
        ))
    };
    let bob_and_account = deny_except(r#""arn:aws:iam::111122223333:user/bob","arn:aws:iam::111122223333:root""#);
    vec![
        case("notprincipal denies unlisted user").rp(bob_and_account.clone(), ACCT).expect(Explicit(R)),
        case("notprincipal spares listed user")
            .who(PrincipalInfo::user(BOB))
            .rp(bob_and_account.clone(), ACCT)
            .expect(Allow),
        case("notprincipal without the account denies listed user")
            .who(PrincipalInfo::user(BOB))
            .rp(deny_except(r#""arn:aws:iam::111122223333:user/bob""#), ACCT)
            .expect(Explicit(R)),
        case("notprincipal spares role session when role, session and account listed")
            .who(session_principal())
            .rp(deny_except(&format!(r#""{ROLE}","{SESSION}","{ACCT}""#)), ACCT)
            .expect(Allow),
        case("notprincipal denies role session when the role is missing")
            .who(session_principal())
            .rp(deny_except(&format!(r#""{SESSION}","{ACCT}""#)), ACCT)
            .expect(Explicit(R)),
        case("notprincipal spares root when account listed")
            .who(PrincipalInfo::root(ACCT))
            .rp(deny_except(r#""111122223333""#), ACCT)
            .expect(Allow),
        case("notprincipal denies anonymous")
            .who(PrincipalInfo::anonymous())
            .rp(bob_and_account.clone(), ACCT)
            .expect(Explicit(R)),
        case("notprincipal always denies a principal with a boundary")
            .who(PrincipalInfo::user(BOB))
            .boundary(allow("*", "*"))
            .id(allow("*", "*"))
            .rp(bob_and_account, ACCT)
            .expect(Explicit(R)),
    ]
}

#[test]
fn evaluation_logic_table() {
    let groups: Vec<(&str, Vec<Case>)> = vec![
        ("basics", basics()),
        ("actions", actions()),
        ("not_action", not_action()),
        ("resources", resources()),
        ("boundaries", boundaries()),
        ("sessions", sessions()),
        ("same_account_resource_policies", same_account_resource_policies()),
        ("cross_account", cross_account()),
        ("trust_policies", trust_policies()),
        ("not_principal", not_principal()),
    ];
    let mut total = 0;
    for (name, cases) in groups {
        let n = run_table(cases);
        println!("{name}: {n} cases");
        total += n;
    }
    println!("evaluation logic total: {total} cases");
    assert!(total >= 130, "table shrank: {total}");
}
