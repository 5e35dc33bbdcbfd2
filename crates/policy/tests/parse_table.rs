//! Parser table: documents IAM rejects (AWS "IAM JSON policy elements reference", "IAM JSON
//! policy grammar", `MalformedPolicyDocument` messages), and documents it accepts.

use rampart_policy::{Policy, PolicyError, PolicyKind, PolicyVersion};

const ALLOW: &str = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#;

fn doc(statement: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":{statement}}}"#)
}

type Check = fn(&PolicyError) -> bool;

/// (name, kind, document, expected error, expected AWS message).
fn rejections() -> Vec<(&'static str, PolicyKind, String, Check, &'static str)> {
    use PolicyKind::*;
    vec![
        (
            "malformed json",
            Identity,
            "{\"Version\":".into(),
            |e| matches!(e, PolicyError::Json { .. }),
            "Syntax errors in policy.",
        ),
        (
            "trailing garbage",
            Identity,
            format!("{} x", doc(ALLOW)),
            |e| matches!(e, PolicyError::Json { .. }),
            "Syntax errors in policy.",
        ),
        ("not an object", Identity, "[]".into(), |e| matches!(e, PolicyError::NotAnObject), "Syntax errors in policy."),
        (
            "string document",
            Identity,
            "\"policy\"".into(),
            |e| matches!(e, PolicyError::NotAnObject),
            "Syntax errors in policy.",
        ),
        ("empty document", Identity, "".into(), |e| matches!(e, PolicyError::Json { .. }), "Syntax errors in policy."),
        (
            "bad version",
            Identity,
            r#"{"Version":"2012-10-18","Statement":[]}"#.into(),
            |e| matches!(e, PolicyError::InvalidVersion { .. }),
            "The policy must contain a valid version string",
        ),
        (
            "numeric version",
            Identity,
            r#"{"Version":2012,"Statement":[]}"#.into(),
            |e| matches!(e, PolicyError::InvalidVersion { .. }),
            "The policy must contain a valid version string",
        ),
        (
            "missing statement",
            Identity,
            r#"{"Version":"2012-10-17"}"#.into(),
            |e| matches!(e, PolicyError::MissingStatement),
            "Syntax errors in policy.",
        ),
        (
            "empty statement array",
            Identity,
            doc("[]"),
            |e| matches!(e, PolicyError::MissingStatement),
            "Syntax errors in policy.",
        ),
        (
            "statement is a string",
            Identity,
            doc("\"x\""),
            |e| matches!(e, PolicyError::InvalidElementType { .. }),
            "Syntax errors in policy.",
        ),
        (
            "statement entry is a number",
            Identity,
            doc("[1]"),
            |e| matches!(e, PolicyError::InvalidElementType { .. }),
            "Syntax errors in policy.",
        ),
        (
            "unknown top-level element",
            Identity,
            format!(r#"{{"Version":"2012-10-17","Statment":[{ALLOW}]}}"#),
            |e| matches!(e, PolicyError::UnknownElement { .. }),
            "Syntax errors in policy.",
        ),
        (
            "unknown statement element",
            Identity,
            doc(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Resources":"*"}"#),
            |e| matches!(e, PolicyError::UnknownElement { .. }),
            "Syntax errors in policy.",
        ),
        (
            "element names are case-sensitive",
            Identity,
            doc(r#"{"effect":"Allow","Action":"s3:*","Resource":"*"}"#),
            |e| matches!(e, PolicyError::UnknownElement { .. }),
            "Syntax errors in policy.",
        ),
        (
            "duplicate key",
            Identity,
            doc(r#"{"Effect":"Deny","Effect":"Allow","Action":"s3:*","Resource":"*"}"#),
            |e| matches!(e, PolicyError::Json { .. }),
            "Syntax errors in policy.",
        ),
        (
            "id must be a string",
            Identity,
            format!(r#"{{"Version":"2012-10-17","Id":5,"Statement":{ALLOW}}}"#),
            |e| matches!(e, PolicyError::InvalidElementType { .. }),
            "Syntax errors in policy.",
        ),
        (
            "missing effect",
            Identity,
            doc(r#"{"Action":"s3:*","Resource":"*"}"#),
            |e| matches!(e, PolicyError::MissingEffect { statement: 0 }),
            "Missing required field Effect",
        ),
        (
            "bad effect",
            Identity,
            doc(r#"{"Effect":"Permit","Action":"s3:*","Resource":"*"}"#),
            |e| matches!(e, PolicyError::InvalidEffect { .. }),
            "Syntax errors in policy.",
        ),
        (
            "effect is case-sensitive",
            Identity,
            doc(r#"{"Effect":"allow","Action":"s3:*","Resource":"*"}"#),
            |e| matches!(e, PolicyError::InvalidEffect { .. }),
            "Syntax errors in policy.",
        ),
        (
            "effect not a string",
            Identity,
            doc(r#"{"Effect":true,"Action":"s3:*","Resource":"*"}"#),
            |e| matches!(e, PolicyError::InvalidEffect { .. }),
            "Syntax errors in policy.",
        ),
        (
            "missing action",
            Identity,
            doc(r#"{"Effect":"Allow","Resource":"*"}"#),
            |e| matches!(e, PolicyError::MissingAction { .. }),
            "Missing required field Action",
        ),
        (
            "empty action list",
            Identity,
            doc(r#"{"Effect":"Allow","Action":[],"Resource":"*"}"#),
            |e| matches!(e, PolicyError::MissingAction { .. }),
            "Missing required field Action",
        ),
        (
            "action and notaction",
            Identity,
            doc(r#"{"Effect":"Allow","Action":"s3:*","NotAction":"iam:*","Resource":"*"}"#),
            |e| matches!(e, PolicyError::ConflictingElements { first: "Action", .. }),
            "Syntax errors in policy.",
        ),
        (
            "non-string action",
            Identity,
            doc(r#"{"Effect":"Allow","Action":5,"Resource":"*"}"#),
            |e| matches!(e, PolicyError::InvalidElementType { .. }),
            "Syntax errors in policy.",
        ),
        (
            "non-string in action list",
            Identity,
            doc(r#"{"Effect":"Allow","Action":["s3:*",null],"Resource":"*"}"#),
            |e| matches!(e, PolicyError::InvalidElementType { .. }),
            "Syntax errors in policy.",
        ),
        (
            "action without vendor",
            Identity,
            doc(r#"{"Effect":"Allow","Action":"GetObject","Resource":"*"}"#),
            |e| matches!(e, PolicyError::InvalidAction { .. }),
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        ),
        (
            "action with empty name",
            Identity,
            doc(r#"{"Effect":"Allow","Action":"s3:","Resource":"*"}"#),
            |e| matches!(e, PolicyError::InvalidAction { .. }),
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        ),
        (
            "action with space",
            Identity,
            doc(r#"{"Effect":"Allow","Action":"s3:Get Object","Resource":"*"}"#),
            |e| matches!(e, PolicyError::InvalidAction { .. }),
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        ),
        (
            "missing resource",
            Identity,
            doc(r#"{"Effect":"Allow","Action":"s3:*"}"#),
            |e| matches!(e, PolicyError::MissingResource { .. }),
            "Policy statement must contain resources.",
        ),
        (
            "resource and notresource",
            Identity,
            doc(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","NotResource":"*"}"#),
            |e| matches!(e, PolicyError::ConflictingElements { first: "Resource", .. }),
            "Syntax errors in policy.",
        ),
        (
            "resource not an arn",
            Identity,
            doc(r#"{"Effect":"Allow","Action":"s3:*","Resource":"vpc-123"}"#),
            |e| matches!(e, PolicyError::InvalidResource { .. }),
            "Resource vpc-123 must be in ARN format or \"*\".",
        ),
        (
            "resource too short",
            Identity,
            doc(r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3"}"#),
            |e| matches!(e, PolicyError::InvalidResource { .. }),
            "Resource arn:aws:s3 must be in ARN format or \"*\".",
        ),
        (
            "principal in identity policy",
            Identity,
            doc(r#"{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}"#),
            |e| matches!(e, PolicyError::PrincipalNotAllowed { .. }),
            "Policy document should not specify a principal.",
        ),
        (
            "notprincipal in identity policy",
            Identity,
            doc(r#"{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"s3:*","Resource":"*"}"#),
            |e| matches!(e, PolicyError::PrincipalNotAllowed { element: "NotPrincipal", .. }),
            "Policy document should not specify a principal.",
        ),
        (
            "principal in boundary",
            Boundary,
            doc(r#"{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}"#),
            |e| matches!(e, PolicyError::PrincipalNotAllowed { .. }),
            "Policy document should not specify a principal.",
        ),
        (
            "principal in session policy",
            Session,
            doc(r#"{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}"#),
            |e| matches!(e, PolicyError::PrincipalNotAllowed { .. }),
            "Policy document should not specify a principal.",
        ),
        (
            "missing resource in session policy",
            Session,
            doc(r#"{"Effect":"Allow","Action":"s3:*"}"#),
            |e| matches!(e, PolicyError::MissingResource { .. }),
            "Policy statement must contain resources.",
        ),
        (
            "missing principal in resource policy",
            Resource,
            doc(ALLOW),
            |e| matches!(e, PolicyError::MissingPrincipal { .. }),
            "Missing required field Principal",
        ),
        (
            "missing principal in trust policy",
            Trust,
            doc(r#"{"Effect":"Allow","Action":"sts:AssumeRole"}"#),
            |e| matches!(e, PolicyError::MissingPrincipal { .. }),
            "Missing required field Principal",
        ),
        (
            "principal and notprincipal",
            Resource,
            doc(r#"{"Effect":"Deny","Principal":"*","NotPrincipal":"*","Action":"s3:*"}"#),
            |e| matches!(e, PolicyError::ConflictingElements { first: "Principal", .. }),
            "Syntax errors in policy.",
        ),
        (
            "notprincipal with allow",
            Resource,
            doc(r#"{"Effect":"Allow","NotPrincipal":{"AWS":"111122223333"},"Action":"s3:*"}"#),
            |e| matches!(e, PolicyError::NotPrincipalWithAllow { .. }),
            "NotPrincipal must be used with Deny",
        ),
        (
            "notprincipal in trust policy",
            Trust,
            doc(r#"{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}"#),
            |e| matches!(e, PolicyError::ProhibitedElement { element: "NotPrincipal", .. }),
            "Has prohibited field NotPrincipal",
        ),
        (
            "resource in trust policy",
            Trust,
            doc(r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Resource":"*"}"#),
            |e| matches!(e, PolicyError::ProhibitedElement { element: "Resource", .. }),
            "Has prohibited field Resource",
        ),
        (
            "non-sts action in trust policy",
            Trust,
            doc(r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject"}"#),
            |e| matches!(e, PolicyError::TrustPolicyAction { .. }),
            "AssumeRole policy may only specify STS AssumeRole actions.",
        ),
        (
            "invalid principal string",
            Resource,
            doc(r#"{"Effect":"Allow","Principal":"bob","Action":"s3:*"}"#),
            |e| matches!(e, PolicyError::InvalidPrincipal { .. }),
            "Invalid principal in policy: \"Principal\":\"bob\"",
        ),
        (
            "invalid aws principal",
            Resource,
            doc(r#"{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"s3:*"}"#),
            |e| matches!(e, PolicyError::InvalidPrincipal { .. }),
            "Invalid principal in policy: \"AWS\":\"bob\"",
        ),
        (
            "wildcard in principal arn",
            Resource,
            doc(r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/*"},"Action":"s3:*"}"#),
            |e| matches!(e, PolicyError::InvalidPrincipal { .. }),
            "Invalid principal in policy: \"AWS\":\"arn:aws:iam::111122223333:role/*\"",
        ),
        (
            "unknown principal type",
            Resource,
            doc(r#"{"Effect":"Allow","Principal":{"Group":"x"},"Action":"s3:*"}"#),
            |e| matches!(e, PolicyError::InvalidPrincipal { .. }),
            "Invalid principal in policy: \"Group\":\"x\"",
        ),
        (
            "empty principal object",
            Resource,
            doc(r#"{"Effect":"Allow","Principal":{},"Action":"s3:*"}"#),
            |e| matches!(e, PolicyError::InvalidPrincipal { .. }),
            "Invalid principal in policy: \"Principal\":\"{...}\"",
        ),
        (
            "unknown condition operator",
            Identity,
            doc(
                r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqualz":{"aws:username":"a"}}}"#,
            ),
            |e| matches!(e, PolicyError::UnknownConditionOperator { operator } if operator == "StringEqualz"),
            "Invalid Condition type : StringEqualz",
        ),
        (
            "Null with IfExists",
            Identity,
            doc(
                r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NullIfExists":{"aws:username":"true"}}}"#,
            ),
            |e| matches!(e, PolicyError::UnknownConditionOperator { .. }),
            "Invalid Condition type : NullIfExists",
        ),
        (
            "unknown set qualifier",
            Identity,
            doc(
                r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForSomeValues:StringEquals":{"aws:TagKeys":"a"}}}"#,
            ),
            |e| matches!(e, PolicyError::UnknownConditionOperator { .. }),
            "Invalid Condition type : ForSomeValues:StringEquals",
        ),
        (
            "condition key without vendor",
            Identity,
            doc(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"username":"a"}}}"#),
            |e| matches!(e, PolicyError::InvalidConditionKey { .. }),
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        ),
        (
            "condition value object",
            Identity,
            doc(
                r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:username":{"a":1}}}}"#,
            ),
            |e| matches!(e, PolicyError::InvalidElementType { .. }),
            "Syntax errors in policy.",
        ),
        (
            "condition value null",
            Identity,
            doc(
                r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:username":null}}}"#,
            ),
            |e| matches!(e, PolicyError::InvalidElementType { .. }),
            "Syntax errors in policy.",
        ),
        (
            "condition value nested array",
            Identity,
            doc(
                r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:username":[["a"]]}}}"#,
            ),
            |e| matches!(e, PolicyError::InvalidElementType { .. }),
            "Syntax errors in policy.",
        ),
        (
            "condition block not an object",
            Identity,
            doc(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":"x"}"#),
            |e| matches!(e, PolicyError::InvalidElementType { .. }),
            "Syntax errors in policy.",
        ),
        (
            "operator block not an object",
            Identity,
            doc(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":"x"}}"#),
            |e| matches!(e, PolicyError::InvalidElementType { .. }),
            "Syntax errors in policy.",
        ),
        (
            "bad cidr",
            Identity,
            doc(
                r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}}"#,
            ),
            |e| matches!(e, PolicyError::InvalidConditionValue { .. }),
            "Syntax errors in policy. Invalid value 10.0.0.0/33 for condition IpAddress",
        ),
        (
            "bad date",
            Identity,
            doc(
                r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"soon"}}}"#,
            ),
            |e| matches!(e, PolicyError::InvalidConditionValue { .. }),
            "Syntax errors in policy. Invalid value soon for condition DateLessThan",
        ),
        (
            "bad number",
            Identity,
            doc(
                r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":"ten"}}}"#,
            ),
            |e| matches!(e, PolicyError::InvalidConditionValue { .. }),
            "Syntax errors in policy. Invalid value ten for condition NumericLessThan",
        ),
        (
            "bad bool",
            Identity,
            doc(
                r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"yes"}}}"#,
            ),
            |e| matches!(e, PolicyError::InvalidConditionValue { .. }),
            "Syntax errors in policy. Invalid value yes for condition Bool",
        ),
        (
            "bad null value",
            Identity,
            doc(
                r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Null":{"aws:TokenIssueTime":"maybe"}}}"#,
            ),
            |e| matches!(e, PolicyError::InvalidConditionValue { .. }),
            "Syntax errors in policy. Invalid value maybe for condition Null",
        ),
        (
            "bad base64",
            Identity,
            doc(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"BinaryEquals":{"test:bin":"!!"}}}"#),
            |e| matches!(e, PolicyError::InvalidConditionValue { .. }),
            "Syntax errors in policy. Invalid value !! for condition BinaryEquals",
        ),
        (
            "duplicate sid",
            Identity,
            doc(
                r#"[{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"s3:*","Resource":"*"}]"#,
            ),
            |e| matches!(e, PolicyError::DuplicateSid { sid } if sid == "A"),
            "Statement IDs (SID) in a single policy must be unique.",
        ),
        (
            "non-alphanumeric sid in iam policy",
            Identity,
            doc(r#"{"Sid":"my sid","Effect":"Allow","Action":"s3:*","Resource":"*"}"#),
            |e| matches!(e, PolicyError::InvalidSid { .. }),
            "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
        ),
        (
            "sid not a string",
            Identity,
            doc(r#"{"Sid":1,"Effect":"Allow","Action":"s3:*","Resource":"*"}"#),
            |e| matches!(e, PolicyError::InvalidElementType { .. }),
            "Syntax errors in policy.",
        ),
        (
            "resource list with number",
            Identity,
            doc(r#"{"Effect":"Allow","Action":"s3:*","Resource":["*",1]}"#),
            |e| matches!(e, PolicyError::InvalidElementType { .. }),
            "Syntax errors in policy.",
        ),
    ]
}

#[test]
fn rejection_table() {
    let cases = rejections();
    let mut failures = Vec::new();
    for (name, kind, json, check, aws) in &cases {
        match Policy::parse_as(json, *kind) {
            Ok(_) => failures.push(format!("{name}: accepted")),
            Err(e) if !check(&e) => failures.push(format!("{name}: wrong error {e:?}")),
            Err(e) if e.aws_message() != *aws => failures.push(format!("{name}: aws message {:?}", e.aws_message())),
            Err(e) => {
                let display = e.to_string();
                if display.chars().next().is_some_and(char::is_uppercase) {
                    failures.push(format!("{name}: display not lower-case: {display}"));
                }
            }
        }
    }
    println!("parser rejections: {} cases", cases.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Documents IAM accepts, including AWS's own examples.
fn acceptances() -> Vec<(&'static str, PolicyKind, String)> {
    use PolicyKind::*;
    vec![
        ("single statement object", Identity, doc(ALLOW)),
        ("no version", Identity, format!(r#"{{"Statement":{ALLOW}}}"#)),
        ("2008 version", Identity, format!(r#"{{"Version":"2008-10-17","Statement":{ALLOW}}}"#)),
        (
            "id element",
            Identity,
            format!(r#"{{"Version":"2012-10-17","Id":"cd3ad3d9-2776-4ef1-a904-4c229d1642ee","Statement":{ALLOW}}}"#),
        ),
        (
            "notaction notresource",
            Identity,
            doc(r#"{"Effect":"Deny","NotAction":"iam:*","NotResource":"arn:aws:iam::*:user/*"}"#),
        ),
        (
            "all operators",
            Identity,
            doc(r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{
            "StringEquals":{"aws:username":"a"},"StringNotEquals":{"aws:username":"b"},"StringEqualsIgnoreCase":{"aws:username":"a"},
            "StringNotEqualsIgnoreCase":{"aws:username":"b"},"StringLike":{"aws:username":"a*"},"StringNotLike":{"aws:username":"b*"},
            "NumericEquals":{"s3:max-keys":1},"NumericNotEquals":{"s3:max-keys":2},"NumericLessThan":{"s3:max-keys":3},
            "NumericLessThanEquals":{"s3:max-keys":3},"NumericGreaterThan":{"s3:max-keys":0},"NumericGreaterThanEquals":{"s3:max-keys":1},
            "DateEquals":{"aws:CurrentTime":"2024-01-01"},"DateNotEquals":{"aws:CurrentTime":"1700000000"},"DateLessThan":{"aws:CurrentTime":"2024-01-01T00:00:00Z"},
            "DateLessThanEquals":{"aws:CurrentTime":"2024-01-01T00:00Z"},"DateGreaterThan":{"aws:CurrentTime":"2024"},"DateGreaterThanEquals":{"aws:CurrentTime":"2024-01"},
            "Bool":{"aws:SecureTransport":true},"BinaryEquals":{"test:b":"QmluYXJ5"},"IpAddress":{"aws:SourceIp":["10.0.0.0/8","::1"]},
            "NotIpAddress":{"aws:SourceIp":"2001:db8::/32"},"ArnEquals":{"aws:SourceArn":"arn:aws:sns:*:*:*"},"ArnLike":{"aws:SourceArn":"*"},
            "ArnNotEquals":{"aws:SourceArn":"arn:aws:s3:::x"},"ArnNotLike":{"aws:SourceArn":"arn:aws:s3:::y*"},"Null":{"aws:TokenIssueTime":"true"},
            "StringEqualsIfExists":{"aws:username":"a"},"ForAllValues:StringLike":{"aws:TagKeys":"a*"},"ForAnyValue:NumericLessThanIfExists":{"test:n":5}}}"#),
        ),
        (
            "web identity condition keys",
            Trust,
            doc(
                r#"{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"us-east-1:abc"},"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}}"#,
            ),
        ),
        (
            "trust with tag session",
            Trust,
            doc(
                r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":["sts:AssumeRole","sts:TagSession"]}"#,
            ),
        ),
        (
            "resource policy without resource",
            Resource,
            doc(r#"{"Effect":"Allow","Principal":{"AWS":"999999999999"},"Action":"sns:*"}"#),
        ),
        (
            "resource policy sids are free text",
            Resource,
            doc(
                r#"{"Sid":"Allow public read 1","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#,
            ),
        ),
        (
            "principal forms",
            Resource,
            doc(
                r#"{"Effect":"Allow","Principal":{"AWS":["*","111122223333","arn:aws:iam::111122223333:root","arn:aws:iam::111122223333:user/a","arn:aws:iam::111122223333:role/path/r","arn:aws:sts::111122223333:assumed-role/r/s","arn:aws:sts::111122223333:federated-user/f","AIDACKCEVSQ6C2EXAMPLE"],"Service":["ec2.amazonaws.com"],"Federated":"arn:aws:iam::111122223333:saml-provider/idp","CanonicalUser":"79a59df900b949e55d96a1e698fbaced"},"Action":"s3:*"}"#,
            ),
        ),
        (
            "policy variables",
            Identity,
            doc(
                r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/${*}","Condition":{"StringLike":{"s3:prefix":"${aws:PrincipalTag/team, 'x'}/*"}}}"#,
            ),
        ),
        (
            "unique sids",
            Identity,
            doc(
                r#"[{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"B","Effect":"Deny","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"ec2:*","Resource":"*"}]"#,
            ),
        ),
        ("empty condition block", Identity, doc(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{}}"#)),
    ]
}

#[test]
fn acceptance_table() {
    let cases = acceptances();
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(name, kind, json)| Policy::parse_as(json, *kind).err().map(|e| format!("{name}: {e}")))
        .collect();
    println!("parser acceptances: {} cases", cases.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn parsed_metadata() {
    let p = Policy::parse(&format!(r#"{{"Version":"2012-10-17","Id":"x","Statement":[{ALLOW}]}}"#))
        .unwrap()
        .with_name("arn:p");
    assert_eq!(p.version(), PolicyVersion::V2012_10_17);
    assert_eq!(p.id(), Some("x"));
    assert_eq!(p.name(), "arn:p");
    assert_eq!(p.kind(), PolicyKind::Identity);
    assert_eq!(p.statements().len(), 1);
    let p = Policy::parse(&format!(r#"{{"Statement":{ALLOW}}}"#)).unwrap();
    assert_eq!(p.version(), PolicyVersion::V2008_10_17);
    assert_eq!(p.name(), "");
}
