//! Condition-operator and policy-variable table. Each case is an identity policy allowing
//! everything under one condition block, evaluated against a request context; `Allow` means the
//! condition held, `Implicit(I)` that it did not.

mod common;
use common::*;

/// The condition `cond` holds.
fn holds(name: &'static str, cond: &str) -> Case {
    case(name).id(allow_if(cond)).expect(Allow)
}

/// The condition `cond` does not hold.
fn fails(name: &'static str, cond: &str) -> Case {
    case(name).id(allow_if(cond)).expect(Implicit(I))
}

/// AWS "Condition operators", String section; "Conditions with multiple context keys or values"
/// (values OR, negated operators NOR, keys AND, operators AND); the Important note: "If the key
/// that you specify in a policy condition is not present in the request context, the values do
/// not match and the condition is false. If the policy condition requires that the key is not
/// matched, such as StringNotLike or ArnNotLike, and the right key is not present, the condition
/// is true."
fn strings() -> Vec<Case> {
    let eq = r#"{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}"#;
    let ne2 = r#"{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}"#;
    vec![
        holds("StringEquals match", eq).ctx("aws:PrincipalTag/job-category", "iamuser-admin"),
        fails("StringEquals mismatch", eq).ctx("aws:PrincipalTag/job-category", "dev"),
        fails("StringEquals is case-sensitive", eq).ctx("aws:PrincipalTag/job-category", "IAMUSER-ADMIN"),
        fails("StringEquals missing key", eq),
        holds("condition key name is case-insensitive", eq).ctx("AWS:PRINCIPALTAG/JOB-CATEGORY", "iamuser-admin"),
        holds("StringEquals treats wildcard literally", r#"{"StringEquals":{"s3:prefix":"a*"}}"#)
            .ctx("s3:prefix", "a*"),
        fails("StringEquals no wildcard expansion", r#"{"StringEquals":{"s3:prefix":"a*"}}"#).ctx("s3:prefix", "abc"),
        holds("StringEquals values are ORed", r#"{"StringEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}"#)
            .ctx("aws:RequestedRegion", "eu-west-1"),
        holds("StringEquals multi-valued request any", r#"{"StringEquals":{"aws:TagKeys":"env"}}"#)
            .ctxm("aws:TagKeys", &["team", "env"]),
        holds(
            "keys under one operator are ANDed (both)",
            r#"{"StringEquals":{"aws:username":"alice","aws:RequestedRegion":"us-east-1"}}"#,
        )
        .ctx("aws:username", "alice")
        .ctx("aws:RequestedRegion", "us-east-1"),
        fails(
            "keys under one operator are ANDed (one)",
            r#"{"StringEquals":{"aws:username":"alice","aws:RequestedRegion":"us-east-1"}}"#,
        )
        .ctx("aws:username", "alice")
        .ctx("aws:RequestedRegion", "us-west-2"),
        fails(
            "operators are ANDed",
            r#"{"StringEquals":{"aws:username":"alice"},"Bool":{"aws:SecureTransport":"true"}}"#,
        )
        .ctx("aws:username", "alice")
        .ctx("aws:SecureTransport", "false"),
        holds("StringNotEquals different value", ne2).ctx("aws:RequestedRegion", "ap-south-1"),
        fails("StringNotEquals values are NORed", ne2).ctx("aws:RequestedRegion", "eu-west-1"),
        holds("StringNotEquals missing key is true", ne2),
        holds("StringEqualsIgnoreCase", r#"{"StringEqualsIgnoreCase":{"aws:PrincipalTag/role":"ADMIN"}}"#)
            .ctx("aws:PrincipalTag/role", "admin"),
        fails("StringEqualsIgnoreCase mismatch", r#"{"StringEqualsIgnoreCase":{"aws:PrincipalTag/role":"ADMIN"}}"#)
            .ctx("aws:PrincipalTag/role", "admins"),
        fails(
            "StringNotEqualsIgnoreCase same modulo case",
            r#"{"StringNotEqualsIgnoreCase":{"aws:PrincipalTag/role":"ADMIN"}}"#,
        )
        .ctx("aws:PrincipalTag/role", "Admin"),
        holds(
            "StringNotEqualsIgnoreCase differs",
            r#"{"StringNotEqualsIgnoreCase":{"aws:PrincipalTag/role":"ADMIN"}}"#,
        )
        .ctx("aws:PrincipalTag/role", "dev"),
        holds("StringLike star", r#"{"StringLike":{"s3:prefix":"home/*"}}"#).ctx("s3:prefix", "home/alice/docs"),
        fails("StringLike is case-sensitive", r#"{"StringLike":{"s3:prefix":"home/*"}}"#)
            .ctx("s3:prefix", "HOME/alice"),
        holds("StringLike question mark", r#"{"StringLike":{"ec2:InstanceType":"t?.micro"}}"#)
            .ctx("ec2:InstanceType", "t3.micro"),
        holds("StringLike empty value matches empty prefix", r#"{"StringLike":{"s3:prefix":["","home/"]}}"#)
            .ctx("s3:prefix", ""),
        fails("StringLike missing key", r#"{"StringLike":{"s3:prefix":"*"}}"#),
        fails("StringNotLike matching value", r#"{"StringNotLike":{"s3:prefix":"private/*"}}"#)
            .ctx("s3:prefix", "private/x"),
        holds("StringNotLike non-matching value", r#"{"StringNotLike":{"s3:prefix":"private/*"}}"#)
            .ctx("s3:prefix", "public/x"),
        holds("StringNotLike missing key is true", r#"{"StringNotLike":{"s3:prefix":"private/*"}}"#),
        holds("number in policy compared as string", r#"{"StringEquals":{"s3:max-keys":10}}"#).ctx("s3:max-keys", "10"),
        holds("boolean in policy compared as string", r#"{"StringEquals":{"aws:SecureTransport":true}}"#)
            .ctx("aws:SecureTransport", "true"),
    ]
}

/// AWS "Condition operators", "...IfExists condition operators": "If the key is not present,
/// evaluate the condition element as true"; the ec2:InstanceType example; "If you are using an
/// "Effect": "Deny" element with a negated condition operator like StringNotEqualsIfExists, the
/// request is still denied even if the tag is missing."
fn if_exists() -> Vec<Case> {
    let like = r#"{"StringLikeIfExists":{"ec2:InstanceType":["t1.*","t2.*","m3.*"]}}"#;
    let deny_ne = pol(r#"{"Effect":"Allow","Action":"*","Resource":"*"},
        {"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:ResourceTag/team":"blue"}}}"#);
    vec![
        holds("IfExists: key missing", like),
        holds("IfExists: key present and matching", like).ctx("ec2:InstanceType", "t2.micro"),
        fails("IfExists: key present, not matching", like).ctx("ec2:InstanceType", "m5.large"),
        case("IfExists: deny with negated operator applies when key missing").id(deny_ne.clone()).expect(Explicit(I)),
        case("IfExists: deny with negated operator applies on other value")
            .id(deny_ne.clone())
            .ctx("aws:ResourceTag/team", "red")
            .expect(Explicit(I)),
        case("IfExists: deny with negated operator spares equal value")
            .id(deny_ne)
            .ctx("aws:ResourceTag/team", "blue")
            .expect(Allow),
        holds("NumericLessThanIfExists missing", r#"{"NumericLessThanIfExists":{"s3:max-keys":"10"}}"#),
        fails("NumericLessThanIfExists present too big", r#"{"NumericLessThanIfExists":{"s3:max-keys":"10"}}"#)
            .ctx("s3:max-keys", "11"),
        holds(
            "DateLessThanIfExists missing",
            r#"{"DateLessThanIfExists":{"aws:TokenIssueTime":"2020-01-01T00:00:00Z"}}"#,
        ),
        holds("BoolIfExists missing", r#"{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}"#),
        fails("BoolIfExists present false", r#"{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}"#)
            .ctx("aws:MultiFactorAuthPresent", "false"),
        holds("IpAddressIfExists missing", r#"{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}"#),
        holds("ArnLikeIfExists missing", r#"{"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:sns:*:111122223333:*"}}"#),
        holds("BinaryEqualsIfExists missing", r#"{"BinaryEqualsIfExists":{"test:bin":"QmluYXJ5"}}"#),
    ]
}

/// AWS "Condition operators", Numeric section (s3:max-keys example); integers and decimals.
fn numeric() -> Vec<Case> {
    let le10 = r#"{"NumericLessThanEquals":{"s3:max-keys":"10"}}"#;
    vec![
        holds("NumericLessThanEquals equal", le10).ctx("s3:max-keys", "10"),
        holds("NumericLessThanEquals below", le10).ctx("s3:max-keys", "3"),
        fails("NumericLessThanEquals above", le10).ctx("s3:max-keys", "11"),
        fails("NumericLessThanEquals missing key", le10),
        fails("Numeric non-numeric request value", le10).ctx("s3:max-keys", "ten"),
        holds("NumericEquals", r#"{"NumericEquals":{"s3:max-keys":"10"}}"#).ctx("s3:max-keys", "10"),
        holds("NumericEquals int vs decimal", r#"{"NumericEquals":{"s3:max-keys":"10.0"}}"#).ctx("s3:max-keys", "10"),
        fails("NumericEquals different", r#"{"NumericEquals":{"s3:max-keys":"10"}}"#).ctx("s3:max-keys", "100"),
        holds("NumericNotEquals different", r#"{"NumericNotEquals":{"s3:max-keys":"10"}}"#).ctx("s3:max-keys", "11"),
        fails("NumericNotEquals equal", r#"{"NumericNotEquals":{"s3:max-keys":["10","20"]}}"#).ctx("s3:max-keys", "20"),
        holds("NumericNotEquals missing key is true", r#"{"NumericNotEquals":{"s3:max-keys":"10"}}"#),
        holds("NumericLessThan", r#"{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}"#)
            .ctx("aws:MultiFactorAuthAge", "3599"),
        fails("NumericLessThan boundary", r#"{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}"#)
            .ctx("aws:MultiFactorAuthAge", "3600"),
        holds("NumericGreaterThan", r#"{"NumericGreaterThan":{"test:n":"1.5"}}"#).ctx("test:n", "1.75"),
        fails("NumericGreaterThan boundary", r#"{"NumericGreaterThan":{"test:n":"2"}}"#).ctx("test:n", "2"),
        holds("NumericGreaterThanEquals boundary", r#"{"NumericGreaterThanEquals":{"test:n":"2"}}"#).ctx("test:n", "2"),
        holds("Numeric negative numbers", r#"{"NumericLessThan":{"test:n":"-1"}}"#).ctx("test:n", "-5"),
        holds("Numeric JSON number value", r#"{"NumericEquals":{"test:n":42}}"#).ctx("test:n", "42"),
    ]
}

/// AWS "Condition operators", Date section: W3C ISO 8601 formats or epoch seconds; the
/// aws:TokenIssueTime and aws:CurrentTime examples.
fn dates() -> Vec<Case> {
    let before_2025 = r#"{"DateLessThan":{"aws:CurrentTime":"2025-01-01T00:00:00Z"}}"#;
    vec![
        holds("DateLessThan before", before_2025).ctx("aws:CurrentTime", "2024-12-31T23:59:59Z"),
        fails("DateLessThan equal", before_2025).ctx("aws:CurrentTime", "2025-01-01T00:00:00Z"),
        fails("DateLessThan after", before_2025).ctx("aws:CurrentTime", "2025-06-01T00:00:00Z"),
        fails("DateLessThan missing key", before_2025),
        holds("DateLessThan with epoch request value", before_2025).ctx("aws:CurrentTime", "1700000000"),
        holds("DateLessThan epoch policy value", r#"{"DateLessThan":{"aws:EpochTime":"1735689600"}}"#).ctx("aws:EpochTime", "1735689599"),
        holds("DateLessThanEquals equal", r#"{"DateLessThanEquals":{"aws:EpochTime":"1735689600"}}"#).ctx("aws:EpochTime", "1735689600"),
        holds("DateGreaterThan token issue time", r#"{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}}"#).ctx("aws:TokenIssueTime", "2020-06-01T00:00:00Z"),
        fails("DateGreaterThan token issue missing", r#"{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}}"#),
        holds("DateGreaterThanEquals equal", r#"{"DateGreaterThanEquals":{"aws:CurrentTime":"2024-01-01"}}"#).ctx("aws:CurrentTime", "2024-01-01T00:00:00Z"),
        holds("DateEquals across time zones", r#"{"DateEquals":{"aws:CurrentTime":"2024-01-01T12:00:00+02:00"}}"#).ctx("aws:CurrentTime", "2024-01-01T10:00:00Z"),
        fails("DateEquals different", r#"{"DateEquals":{"aws:CurrentTime":"2024-01-01T12:00:00Z"}}"#).ctx("aws:CurrentTime", "2024-01-01T12:00:01Z"),
        holds("DateNotEquals different", r#"{"DateNotEquals":{"aws:CurrentTime":"2024-01-01T12:00:00Z"}}"#).ctx("aws:CurrentTime", "2024-01-02T12:00:00Z"),
        holds("DateNotEquals missing key is true", r#"{"DateNotEquals":{"aws:CurrentTime":"2024-01-01T12:00:00Z"}}"#),
        fails("Date unparseable request value", before_2025).ctx("aws:CurrentTime", "tomorrow"),
        holds("Date fractional seconds", r#"{"DateLessThan":{"aws:CurrentTime":"2024-01-01T00:00:00.500Z"}}"#).ctx("aws:CurrentTime", "2024-01-01T00:00:00.250Z"),
        holds("Date window (two operators)", r#"{"DateGreaterThan":{"aws:CurrentTime":"2024-01-01T00:00:00Z"},"DateLessThan":{"aws:CurrentTime":"2024-12-31T23:59:59Z"}}"#)
            .ctx("aws:CurrentTime", "2024-07-01T00:00:00Z"),
    ]
}

/// AWS "Condition operators", Boolean section (aws:SecureTransport deny example) and Binary
/// section (BinaryEquals compares against a base-64 value).
fn bool_and_binary() -> Vec<Case> {
    let tls_guard = pol(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"},
        {"Sid":"BooleanExample","Effect":"Deny","Action":"s3:*","Resource":["arn:aws:s3:::bucket","arn:aws:s3:::bucket/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#);
    vec![
        case("Bool deny over plain http").id(tls_guard.clone()).ctx("aws:SecureTransport", "false").expect(Explicit(I)),
        case("Bool deny not over tls").id(tls_guard.clone()).ctx("aws:SecureTransport", "true").expect(Allow),
        case("Bool deny not when key missing").id(tls_guard).expect(Allow),
        holds("Bool true", r#"{"Bool":{"aws:MultiFactorAuthPresent":"true"}}"#)
            .ctx("aws:MultiFactorAuthPresent", "true"),
        holds("Bool json boolean", r#"{"Bool":{"aws:MultiFactorAuthPresent":true}}"#)
            .ctx("aws:MultiFactorAuthPresent", "true"),
        holds("Bool value case-insensitive", r#"{"Bool":{"aws:MultiFactorAuthPresent":"true"}}"#)
            .ctx("aws:MultiFactorAuthPresent", "TRUE"),
        fails("Bool mismatch", r#"{"Bool":{"aws:MultiFactorAuthPresent":"true"}}"#)
            .ctx("aws:MultiFactorAuthPresent", "false"),
        fails("Bool non-boolean request value", r#"{"Bool":{"aws:MultiFactorAuthPresent":"true"}}"#)
            .ctx("aws:MultiFactorAuthPresent", "yes"),
        fails("Bool missing key", r#"{"Bool":{"aws:ViaAWSService":"false"}}"#),
        holds("BinaryEquals match", r#"{"BinaryEquals":{"test:bin":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}"#)
            .ctx("test:bin", "QmluYXJ5VmFsdWVJbkJhc2U2NA=="),
        holds("BinaryEquals compares bytes, not padding", r#"{"BinaryEquals":{"test:bin":"YQ=="}}"#)
            .ctx("test:bin", "YQ"),
        fails("BinaryEquals mismatch", r#"{"BinaryEquals":{"test:bin":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}"#)
            .ctx("test:bin", "b3RoZXI="),
    ]
}

/// AWS "Condition operators", IP address section: CIDR or plain address (/32), IPv4 and IPv6,
/// mixed lists; NotIpAddress; aws:SourceIp absent (VPC endpoint) makes IpAddress false.
fn ip_addresses() -> Vec<Case> {
    let corp = r#"{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8:1234:5678::/64"]}}"#;
    let not_corp = pol(r#"{"Effect":"Allow","Action":"*","Resource":"*"},
        {"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]}}}"#);
    vec![
        holds("IpAddress v4 in range", corp).ctx("aws:SourceIp", "203.0.113.77"),
        fails("IpAddress v4 out of range", corp).ctx("aws:SourceIp", "203.0.114.1"),
        holds("IpAddress v6 in range", corp).ctx("aws:SourceIp", "2001:db8:1234:5678::1"),
        holds("IpAddress v6 in range, expanded form", corp)
            .ctx("aws:SourceIp", "2001:0db8:1234:5678:0000:0000:0000:abcd"),
        fails("IpAddress v6 out of range", corp).ctx("aws:SourceIp", "2001:db8:1234:5679::1"),
        fails("IpAddress v4 address against v6 block", r#"{"IpAddress":{"aws:SourceIp":"::/0"}}"#)
            .ctx("aws:SourceIp", "10.0.0.1"),
        holds("IpAddress plain address means /32", r#"{"IpAddress":{"aws:SourceIp":"198.51.100.7"}}"#)
            .ctx("aws:SourceIp", "198.51.100.7"),
        fails("IpAddress plain address is exact", r#"{"IpAddress":{"aws:SourceIp":"198.51.100.7"}}"#)
            .ctx("aws:SourceIp", "198.51.100.8"),
        holds("IpAddress v6 plain address", r#"{"IpAddress":{"aws:SourceIp":"2001:db8::1"}}"#)
            .ctx("aws:SourceIp", "2001:db8::1"),
        holds("IpAddress all v4", r#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}"#).ctx("aws:SourceIp", "8.8.8.8"),
        fails("IpAddress missing key (VPC endpoint)", corp),
        fails("IpAddress malformed request value", corp).ctx("aws:SourceIp", "not-an-ip"),
        case("NotIpAddress deny outside corp")
            .id(not_corp.clone())
            .ctx("aws:SourceIp", "198.51.100.1")
            .expect(Explicit(I)),
        case("NotIpAddress deny spares corp").id(not_corp.clone()).ctx("aws:SourceIp", "192.0.2.10").expect(Allow),
        case("NotIpAddress missing key is true (deny applies)").id(not_corp).expect(Explicit(I)),
    ]
}

/// AWS "Condition operators", ARN section: component-wise matching, ArnEquals and ArnLike
/// behave identically, the `someservice` example where StringLike matches and ArnLike does not.
fn arns() -> Vec<Case> {
    let topic = r#"{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:111122223333:topic"}}"#;
    let finance = "arn:aws:someservice:*:111122223333:finance/*";
    vec![
        holds("ArnEquals exact", topic).ctx("aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:topic"),
        fails("ArnEquals different", topic).ctx("aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:other"),
        fails("ArnEquals is case-sensitive", topic).ctx("aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:TOPIC"),
        holds(
            "ArnEquals accepts wildcards like ArnLike",
            r#"{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:*:111122223333:*"}}"#,
        )
        .ctx("aws:SourceArn", "arn:aws:sns:eu-west-1:111122223333:t"),
        holds(
            "ArnLike region wildcard",
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}"#,
        )
        .ctx("aws:SourceArn", "arn:aws:someservice:us-east-2:111122223333:finance/document.txt"),
        fails(
            "ArnLike does not let * cross components",
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}"#,
        )
        .ctx("aws:SourceArn", "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"),
        holds(
            "StringLike lets * cross components (same example)",
            &format!(r#"{{"StringLike":{{"aws:SourceArn":"{finance}"}}}}"#),
        )
        .ctx("aws:SourceArn", "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"),
        holds(
            "ArnLike resource part keeps colons",
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:logs:*:*:log-group:app-*"}}"#,
        )
        .ctx("aws:SourceArn", "arn:aws:logs:us-east-1:111122223333:log-group:app-web"),
        fails("ArnLike non-arn request value", r#"{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}"#)
            .ctx("aws:SourceArn", "topic"),
        fails("ArnLike missing key", r#"{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}"#),
        holds(
            "ArnNotEquals different",
            r#"{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/Admin"}}"#,
        )
        .ctx("aws:PrincipalArn", ALICE),
        fails("ArnNotEquals equal", r#"{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/Admin"}}"#)
            .ctx("aws:PrincipalArn", "arn:aws:iam::111122223333:role/Admin"),
        holds("ArnNotLike missing key is true", r#"{"ArnNotLike":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}"#),
        fails("ArnNotLike matching", r#"{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/Admin*"}}"#)
            .ctx("aws:PrincipalArn", "arn:aws:iam::111122223333:role/AdminX"),
    ]
}

/// AWS "Condition operators", Null section: `true` means the key is absent, `false` present
/// (the aws:TokenIssueTime example).
fn null_checks() -> Vec<Case> {
    vec![
        holds("Null true, key absent", r#"{"Null":{"aws:TokenIssueTime":"true"}}"#),
        fails("Null true, key present", r#"{"Null":{"aws:TokenIssueTime":"true"}}"#)
            .ctx("aws:TokenIssueTime", "2024-01-01T00:00:00Z"),
        holds("Null false, key present", r#"{"Null":{"aws:RequestTag/team":"false"}}"#)
            .ctx("aws:RequestTag/team", "blue"),
        fails("Null false, key absent", r#"{"Null":{"aws:RequestTag/team":"false"}}"#),
        holds("Null json boolean", r#"{"Null":{"aws:TokenIssueTime":true}}"#),
        holds("Null empty value list counts as absent", r#"{"Null":{"aws:TagKeys":"true"}}"#).ctxm("aws:TagKeys", &[]),
        holds("Null key name case-insensitive", r#"{"Null":{"AWS:TOKENISSUETIME":"false"}}"#)
            .ctx("aws:TokenIssueTime", "x"),
    ]
}

/// AWS "Conditions with multiple context keys or values" / "Set operators for multivalued
/// context keys": ForAllValues (every request value matches some policy value; true for a
/// missing key or empty data set), ForAnyValue (some request value matches; false when missing),
/// the DynamoDB requestedAttributes examples, and negated operators per value.
fn set_operators() -> Vec<Case> {
    let all = r#"{"ForAllValues:StringLike":{"dynamodb:requestedAttributes":["PostDateTime","Message","Tags"]}}"#;
    let any = r#"{"ForAnyValue:StringLike":{"dynamodb:requestedAttributes":["ID","PostDateTime"]}}"#;
    let tags_all = r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}"#;
    let tags_any = r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}}"#;
    vec![
        holds("ForAllValues subset", all).ctxm("dynamodb:requestedAttributes", &["PostDateTime", "Message"]),
        fails("ForAllValues extra value", all).ctxm("dynamodb:requestedAttributes", &["PostDateTime", "UserName"]),
        holds("ForAllValues missing key is true", all),
        holds("ForAllValues empty set is true", tags_all).ctxm("aws:TagKeys", &[]),
        holds("ForAllValues empty string is a null data set", tags_all).ctx("aws:TagKeys", ""),
        holds("ForAllValues single value", tags_all).ctxm("aws:TagKeys", &["team"]),
        fails("ForAllValues is case-sensitive", tags_all).ctxm("aws:TagKeys", &["Team"]),
        holds("ForAnyValue one match", any)
            .ctxm("dynamodb:requestedAttributes", &["UserName", "Message", "PostDateTime"]),
        fails("ForAnyValue no match", any).ctxm("dynamodb:requestedAttributes", &["UserName"]),
        fails("ForAnyValue missing key is false", tags_any),
        fails("ForAnyValue empty set is false", tags_any).ctxm("aws:TagKeys", &[]),
        fails("ForAnyValue empty string is false", tags_any).ctx("aws:TagKeys", ""),
        holds("ForAnyValue IfExists missing key", r#"{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":["env"]}}"#),
        holds(
            "ForAllValues:StringNotEquals none listed",
            r#"{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret","owner"]}}"#,
        )
        .ctxm("aws:TagKeys", &["env", "team"]),
        fails(
            "ForAllValues:StringNotEquals one listed",
            r#"{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret","owner"]}}"#,
        )
        .ctxm("aws:TagKeys", &["env", "owner"]),
        holds(
            "ForAnyValue:StringNotEquals one unlisted",
            r#"{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["env","team"]}}"#,
        )
        .ctxm("aws:TagKeys", &["env", "cost"]),
        fails(
            "ForAnyValue:StringNotEquals all listed",
            r#"{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["env","team"]}}"#,
        )
        .ctxm("aws:TagKeys", &["env", "team"]),
        holds(
            "ForAllValues:StringNotEquals missing key is true",
            r#"{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}"#,
        ),
        fails(
            "ForAnyValue:StringNotEquals missing key is false",
            r#"{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["secret"]}}"#,
        ),
        holds("ForAnyValue:StringLike wildcard", r#"{"ForAnyValue:StringLike":{"aws:TagKeys":["cost-*"]}}"#)
            .ctxm("aws:TagKeys", &["env", "cost-center"]),
        holds("ForAnyValue:NumericGreaterThan", r#"{"ForAnyValue:NumericGreaterThan":{"test:sizes":"100"}}"#)
            .ctxm("test:sizes", &["5", "500"]),
        fails("ForAllValues:NumericLessThan", r#"{"ForAllValues:NumericLessThan":{"test:sizes":"100"}}"#)
            .ctxm("test:sizes", &["5", "500"]),
        holds("ForAnyValue:IpAddress", r#"{"ForAnyValue:IpAddress":{"test:ips":"10.0.0.0/8"}}"#)
            .ctxm("test:ips", &["192.168.0.1", "10.1.2.3"]),
        holds("ForAllValues:ArnLike", r#"{"ForAllValues:ArnLike":{"test:arns":"arn:aws:s3:::logs-*"}}"#)
            .ctxm("test:arns", &["arn:aws:s3:::logs-a", "arn:aws:s3:::logs-b"]),
        holds(
            "unqualified StringNotEquals on multi-valued key: none equal",
            r#"{"StringNotEquals":{"aws:TagKeys":"secret"}}"#,
        )
        .ctxm("aws:TagKeys", &["env", "team"]),
        fails(
            "unqualified StringNotEquals on multi-valued key: one equal",
            r#"{"StringNotEquals":{"aws:TagKeys":"secret"}}"#,
        )
        .ctxm("aws:TagKeys", &["env", "secret"]),
        holds("unqualified StringLike on multi-valued key: any", r#"{"StringLike":{"aws:TagKeys":"te*"}}"#)
            .ctxm("aws:TagKeys", &["env", "team"]),
    ]
}

/// AWS "IAM policy elements: Variables and tags": substitution in Resource and in string/ARN
/// condition values for Version 2012-10-17 only; `${*}`, `${?}`, `${$}`; defaults in single
/// quotes; an unresolvable variable makes the value not match.
fn variables() -> Vec<Case> {
    let home = pol(r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket/home/${aws:username}/*"}"#);
    let home_2008 = r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket/home/${aws:username}/*"}}"#;
    let home_noversion =
        r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket/home/${aws:username}/*"}}"#;
    let team = pol(
        r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket/${aws:PrincipalTag/team, 'shared'}/*"}"#,
    );
    let tagged = pol(r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket/${aws:PrincipalTag/p}"}"#);
    vec![
        case("variable in resource: own home").id(home.clone()).res("arn:aws:s3:::bucket/home/alice/f").ctx("aws:username", "alice").expect(Allow),
        case("variable in resource: other home").id(home.clone()).res("arn:aws:s3:::bucket/home/bob/f").ctx("aws:username", "alice").expect(Implicit(I)),
        case("variable in resource: key missing").id(home.clone()).res("arn:aws:s3:::bucket/home/alice/f").expect(Implicit(I)),
        case("variable key is case-insensitive").id(pol(r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket/home/${AWS:UserName}/*"}"#))
            .res("arn:aws:s3:::bucket/home/alice/f").ctx("aws:username", "alice").expect(Allow),
        case("variable not substituted in 2008-10-17").id(home_2008).res("arn:aws:s3:::bucket/home/alice/f").ctx("aws:username", "alice").expect(Implicit(I)),
        case("2008-10-17 variable is literal text").id(home_2008).res("arn:aws:s3:::bucket/home/${aws:username}/f").ctx("aws:username", "alice").expect(Allow),
        case("absent version means 2008-10-17").id(home_noversion).res("arn:aws:s3:::bucket/home/alice/f").ctx("aws:username", "alice").expect(Implicit(I)),
        case("default value used when key missing").id(team.clone()).res("arn:aws:s3:::bucket/shared/x").expect(Allow),
        case("default value ignored when key present").id(team.clone()).res("arn:aws:s3:::bucket/shared/x").ctx("aws:PrincipalTag/team", "blue").expect(Implicit(I)),
        case("tag variable in resource").id(team).res("arn:aws:s3:::bucket/blue/x").ctx("aws:PrincipalTag/team", "blue").expect(Allow),
        case("substituted value is literal, not a wildcard").id(tagged.clone()).res("arn:aws:s3:::bucket/xyz").ctx("aws:PrincipalTag/p", "x*").expect(Implicit(I)),
        case("substituted value with star matches itself").id(tagged.clone()).res("arn:aws:s3:::bucket/x*").ctx("aws:PrincipalTag/p", "x*").expect(Allow),
        case("multi-valued key does not resolve").id(tagged).res("arn:aws:s3:::bucket/a").ctxm("aws:PrincipalTag/p", &["a", "b"]).expect(Implicit(I)),
        case("escape ${*} is a literal star").id(pol(r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket/${*}"}"#)).res("arn:aws:s3:::bucket/*").expect(Allow),
        case("escape ${*} does not act as wildcard").id(pol(r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket/${*}"}"#)).res("arn:aws:s3:::bucket/x").expect(Implicit(I)),
        case("escape ${?} and ${$}").id(pol(r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket/what${?}${$}"}"#)).res("arn:aws:s3:::bucket/what?$").expect(Allow),
        holds("variable in StringLike condition", r#"{"StringLike":{"s3:prefix":["","home/","home/${aws:username}/*"]}}"#).ctx("aws:username", "alice").ctx("s3:prefix", "home/alice/docs"),
        fails("variable in StringLike condition, other user", r#"{"StringLike":{"s3:prefix":["home/${aws:username}/*"]}}"#).ctx("aws:username", "alice").ctx("s3:prefix", "home/bob/docs"),
        holds("unresolved variable leaves other values", r#"{"StringLike":{"s3:prefix":["","home/${aws:username}/"]}}"#).ctx("s3:prefix", ""),
        holds("variable in StringEquals with principal tag", r#"{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}"#)
            .ctx("aws:ResourceTag/team", "blue").ctx("aws:PrincipalTag/team", "blue"),
        fails("variable in StringEquals with principal tag mismatch", r#"{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}"#)
            .ctx("aws:ResourceTag/team", "red").ctx("aws:PrincipalTag/team", "blue"),
        holds("variable in StringEqualsIgnoreCase", r#"{"StringEqualsIgnoreCase":{"aws:ResourceTag/owner":"${aws:username}"}}"#)
            .ctx("aws:ResourceTag/owner", "ALICE").ctx("aws:username", "alice"),
        holds("variable in ArnLike", r#"{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::${aws:username}-*"}}"#).ctx("aws:username", "alice").ctx("aws:SourceArn", "arn:aws:s3:::alice-data"),
        holds("variable default in condition", r#"{"StringEquals":{"s3:prefix":"${aws:userid, 'anonymous'}"}}"#).ctx("s3:prefix", "anonymous"),
        holds("variable in Bool", r#"{"Bool":{"aws:SecureTransport":"${test:expected}"}}"#).ctx("test:expected", "true").ctx("aws:SecureTransport", "true"),
        case("2008-10-17 condition values are literal")
            .id(r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"s3:prefix":"${aws:username}"}}}}"#)
            .ctx("s3:prefix", "${aws:username}").ctx("aws:username", "alice").expect(Allow),
        case("2008-10-17 condition values are not substituted")
            .id(r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"s3:prefix":"${aws:username}"}}}}"#)
            .ctx("s3:prefix", "alice").ctx("aws:username", "alice").expect(Implicit(I)),
        holds("unresolved variable never equals: StringNotEquals holds", r#"{"StringNotEquals":{"s3:prefix":"${aws:username}"}}"#).ctx("s3:prefix", "x"),
    ]
}

#[test]
fn condition_table() {
    let groups: Vec<(&str, Vec<Case>)> = vec![
        ("strings", strings()),
        ("if_exists", if_exists()),
        ("numeric", numeric()),
        ("dates", dates()),
        ("bool_and_binary", bool_and_binary()),
        ("ip_addresses", ip_addresses()),
        ("arns", arns()),
        ("null_checks", null_checks()),
        ("set_operators", set_operators()),
        ("variables", variables()),
    ];
    let mut total = 0;
    for (name, cases) in groups {
        let n = run_table(cases);
        println!("{name}: {n} cases");
        total += n;
    }
    println!("condition total: {total} cases");
    assert!(total >= 150, "table shrank: {total}");
}
