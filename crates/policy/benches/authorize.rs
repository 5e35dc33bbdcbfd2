//! One authorization decision for a principal with 10 attached policies of 10 statements each,
//! every statement carrying conditions (StringLike, IpAddress, Bool, DateLessThan, ArnLike).
//! Criterion reports the time per decision; the median is the figure to watch (target < 10 µs).

use criterion::{Criterion, criterion_group, criterion_main};
use rampart_policy::{AuthzContext, ConditionContext, Decision, Policy, PolicyKind, PolicySet, PrincipalInfo};
use std::hint::black_box;

/// Statement `s` of policy `p`: a realistic mix where most statements concern S3 so that action
/// and resource match often and the conditions are actually evaluated.
fn statement(p: usize, s: usize) -> String {
    let (effect, action, resource) = match s % 5 {
        0 => ("Allow", "s3:Get*", format!("arn:aws:s3:::bucket-{p}/*")),
        1 => ("Allow", "s3:*Object", "arn:aws:s3:::bucket-*/${aws:username}/*".to_string()),
        2 => ("Allow", "ec2:Describe*", "*".to_string()),
        3 => ("Deny", "s3:Delete*", "arn:aws:s3:::*".to_string()),
        _ => ("Allow", "s3:GetObject", format!("arn:aws:s3:::bucket-{p}/home/*")),
    };
    format!(
        r#"{{"Sid":"S{p}x{s}","Effect":"{effect}","Action":["{action}","sqs:SendMessage"],"Resource":"{resource}",
        "Condition":{{
            "StringLike":{{"aws:PrincipalTag/team":["blue*","green*"],"s3:prefix":["home/${{aws:username}}/*",""]}},
            "IpAddress":{{"aws:SourceIp":["10.0.0.0/8","192.0.2.0/24","2001:db8::/32"]}},
            "Bool":{{"aws:SecureTransport":"true"}},
            "DateLessThan":{{"aws:CurrentTime":"2030-01-01T00:00:00Z"}},
            "ArnLike":{{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/*"}}
        }}}}"#
    )
}

fn policies() -> Vec<Policy> {
    (0..10)
        .map(|p| {
            let statements: Vec<String> = (0..10).map(|s| statement(p, s)).collect();
            let json = format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, statements.join(","));
            Policy::parse_as(&json, PolicyKind::Identity).expect("bench policy parses").with_name(format!("p{p}"))
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let policies = policies();
    let refs: Vec<&Policy> = policies.iter().collect();
    let alice = PrincipalInfo::user("arn:aws:iam::111122223333:user/alice");
    let mut ctx = ConditionContext::new();
    ctx.set_principal(&alice)
        .set_principal_tags([("team", "blue-squad")])
        .set_source_ip("10.20.30.40".parse().expect("ip"))
        .set_secure_transport(true)
        .set_current_time(time::macros::datetime!(2025-06-01 12:00:00 UTC));
    ctx.insert("aws:username", "alice").insert("s3:prefix", "home/alice/docs");
    let request = AuthzContext {
        principal: &alice,
        action: "s3:GetObject",
        resource: "arn:aws:s3:::bucket-7/home/alice/report.pdf",
        context: &ctx,
        policies: PolicySet { identity: &refs, ..PolicySet::default() },
    };
    assert_eq!(request.evaluate().decision, Decision::Allow);

    c.bench_function("authorize/10 policies x 10 statements", |b| {
        b.iter(|| black_box(black_box(&request).evaluate().decision))
    });
    let denied = AuthzContext { action: "s3:DeleteObject", ..request };
    assert_eq!(denied.evaluate().decision, Decision::ExplicitDeny);
    c.bench_function("authorize/explicit deny", |b| b.iter(|| black_box(black_box(&denied).evaluate().decision)));
    let json: Vec<String> = (0..10).map(|s| statement(0, s)).collect();
    let doc = format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, json.join(","));
    c.bench_function("parse/10 statements", |b| b.iter(|| Policy::parse(black_box(&doc)).expect("parses")));
}

criterion_group!(benches, bench);
criterion_main!(benches);
