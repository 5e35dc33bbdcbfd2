//! Unit tests of paging, limits and parameter reading.

use super::*;

fn query(pairs: &[(&str, String)]) -> QueryParams {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())))
        .finish();
    QueryParams::parse("", body.as_bytes()).unwrap()
}

fn members(name: &str, values: &[String]) -> Vec<(String, String)> {
    values.iter().enumerate().map(|(i, v)| (format!("{name}.member.{}", i + 1), v.clone())).collect()
}

/// A request of `actions` × `resources`, with extra parameters.
fn request(actions: usize, resources: usize, extra: &[(&str, String)]) -> QueryParams {
    let actions: Vec<String> = (0..actions).map(|i| format!("s3:Action{i}")).collect();
    let resources: Vec<String> = (0..resources).map(|i| format!("arn:aws:s3:::bucket/{i}")).collect();
    let mut pairs: Vec<(String, String)> = members("ActionNames", &actions);
    pairs.extend(members("ResourceArns", &resources));
    pairs.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    let refs: Vec<(&str, String)> = pairs.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    query(&refs)
}

fn inputs(policy: &Policy) -> Inputs<'_> {
    Inputs {
        principal: PrincipalInfo::user("arn:aws:iam::111122223333:user/alice"),
        identity: vec![policy],
        boundary: None,
        resource: None,
        resource_owner: None,
        context: ConditionContext::new(),
        context_bytes: 0,
    }
}

/// A page read back: the (action, resource) of every result, `IsTruncated`, and the marker.
type Page = (Vec<(String, String)>, bool, Option<String>);

fn results(xml: &str) -> Page {
    let texts = |tag: &str| -> Vec<String> {
        let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
        xml.split(&open).skip(1).filter_map(|s| s.split(&close).next()).map(str::to_owned).collect()
    };
    let pairs = texts("EvalActionName").into_iter().zip(texts("EvalResourceName")).collect();
    (pairs, texts("IsTruncated") == ["true"], texts("Marker").pop())
}

/// Simulates the page `q` asks for with `policy` as the only identity policy.
fn run(q: &QueryParams, policy: &Policy) -> Result<Page, AwsError> {
    let p = Params::new(q);
    let req = Request::parse(q, &p)?;
    Ok(results(&simulate(&req, &inputs(policy))))
}

fn allow_s3() -> Policy {
    Policy::parse(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:Action1*","Resource":"*"}}"#)
        .expect("policy")
}

#[test]
fn params_read_lists_as_query_params_do() {
    let q =
        query(&[("A.member.2", "b".into()), ("A.member.1", "a".into()), ("C", "first".into()), ("C", "second".into())]);
    let p = Params::new(&q);
    assert_eq!(p.list("A").unwrap(), q.list("A").unwrap());
    assert_eq!(p.list("A").unwrap(), ["a", "b"]);
    assert_eq!(p.get("C"), q.get("C"));
    assert!(p.list("B").unwrap().is_empty());
    // Malformed lists are refused, as QueryParams refuses them.
    let gap = query(&[("A.member.1", "a".into()), ("A.member.3", "c".into())]);
    assert_eq!(Params::new(&gap).list("A").unwrap_err().code(), "ValidationError");
}

#[test]
fn pages_concatenated_are_the_whole_answer_in_action_major_order() {
    let policy = allow_s3();
    let (all, truncated, marker) = run(&request(7, 3, &[("MaxItems", "1000".into())]), &policy).unwrap();
    assert_eq!(all.len(), 21);
    assert!(!truncated && marker.is_none());
    assert_eq!(all[0], ("s3:Action0".into(), "arn:aws:s3:::bucket/0".into()));
    assert_eq!(all[4], ("s3:Action1".into(), "arn:aws:s3:::bucket/1".into()));
    for max in [1, 2, 5, 20, 21] {
        let mut paged = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let mut extra = vec![("MaxItems", max.to_string())];
            extra.extend(marker.iter().map(|m| ("Marker", m.clone())));
            let (page, truncated, next) = run(&request(7, 3, &extra), &policy).unwrap();
            assert!(page.len() <= max && !page.is_empty());
            paged.extend(page);
            assert_eq!(truncated, next.is_some());
            marker = next;
            if marker.is_none() {
                break;
            }
        }
        assert_eq!(paged, all, "MaxItems {max}");
    }
}

#[test]
fn default_page_is_100_and_only_the_page_is_answered() {
    let (page, truncated, marker) = run(&request(1000, 100, &[]), &allow_s3()).unwrap();
    assert_eq!(page.len(), 100);
    assert!(truncated && marker.is_some());
    assert_eq!(page[99], ("s3:Action0".into(), "arn:aws:s3:::bucket/99".into()));
}

#[test]
fn markers_are_checked() {
    let fp = fingerprint(&["s3:A", "s3:B"], &["*"]);
    assert_eq!(decode_marker(&encode_marker(1, &fp), &fp, 2).unwrap(), 1);
    let invalid = |m: &str, total: usize| decode_marker(m, &fp, total).unwrap_err();
    for e in [
        invalid(&encode_marker(0, &fp), 2),
        invalid(&encode_marker(2, &fp), 2),
        invalid(&encode_marker(usize::MAX, &fp), 2),
        invalid(&encode_marker(1, &fingerprint(&["s3:A", "s3:C"], &["*"])), 2),
        invalid("not a marker", 2),
        invalid("", 2),
        invalid(&encode_marker(1, &fp)[1..], 2),
    ] {
        assert_eq!((e.code(), e.status(), e.message()), ("ValidationError", 400, "Invalid Marker."));
    }
    // A marker of another request (other actions) is refused, even if in range.
    let q = request(4, 1, &[("MaxItems", "2".into())]);
    let (_, _, marker) = run(&q, &allow_s3()).unwrap();
    let other = request(5, 1, &[("Marker", marker.unwrap())]);
    assert_eq!(run(&other, &allow_s3()).unwrap_err().message(), "Invalid Marker.");
    let long = request(1, 1, &[("Marker", "x".repeat(321))]);
    assert!(run(&long, &allow_s3()).unwrap_err().message().contains("less than or equal to 320"));
}

#[test]
fn a_page_ends_at_the_work_budget_but_always_progresses() {
    assert_eq!(page_end(0, 10, 100, |_| 1), 10);
    assert_eq!(page_end(4, 10, 3, |_| 1), 7);
    assert_eq!(page_end(0, 10_000, 1000, |_| PAGE_WORK / 10), 10);
    assert_eq!(page_end(5, 10_000, 1000, |_| PAGE_WORK * 2), 6);
    assert_eq!(page_end(9, 10, 1000, |_| usize::MAX), 10);
    assert_eq!(page_end(0, 10, 1000, |i| if i < 3 { 1 } else { PAGE_WORK }), 3);
    assert_eq!(page_end(10, 10, 1000, |_| 1), 10);
    // A policy heavy enough that 1000 results do not fit in one page's work.
    let actions: Vec<String> = (0..2_000).map(|i| format!("\"s3:Get{i}\"")).collect();
    let heavy = Policy::parse(&format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":[{}],"Resource":"*"}}}}"#,
        actions.join(",")
    ))
    .unwrap();
    let charge = inputs(&heavy).charge();
    let expected = PAGE_WORK / charge.of("s3:Action0", "arn:aws:s3:::bucket/0");
    assert!(expected < 1000);
    let (page, truncated, _) = run(&request(1000, 2, &[("MaxItems", "1000".into())]), &heavy).unwrap();
    // Action0 and bucket/0 are the shortest names, so the cheapest evaluation.
    assert!(truncated && page.len() <= expected && page.len() >= expected * 9 / 10, "{} of {expected}", page.len());
}

#[test]
fn aws_input_limits_are_applied() {
    let code = |q: QueryParams| run(&q, &allow_s3()).map(|_| ()).unwrap_err();
    let e = code(request(0, 1, &[]));
    assert_eq!((e.code(), e.status()), ("ValidationError", 400));
    let e = code(query(&[("ActionNames.member.1", "s3".into())]));
    assert!(e.message().contains("'actionNames'") && e.message().contains("greater than or equal to 3"));
    let e = code(query(&[("ActionNames.member.1", format!("s3:{}", "x".repeat(127)))]));
    assert_eq!(e.code(), "ValidationError");
    let e = code(request(1, 0, &[("ResourceArns.member.1", "x".repeat(2049))]));
    assert!(e.message().contains("'resourceArns'"));
    for (param, value) in [("CallerArn", String::new()), ("ResourceOwner", "x".repeat(2049))] {
        assert!(code(request(1, 1, &[(param, value)])).message().contains("validation error"));
    }
    assert_eq!(code(request(1, 1, &[("ResourceHandlingOption", "x".repeat(65))])).code(), "ValidationError");
    for max in ["0", "1001", "-1", "x"] {
        assert!(code(request(1, 1, &[("MaxItems", max.into())])).message().contains("between 1 and 1000"));
    }
    assert!(run(&request(1, 1, &[("MaxItems", "1000".into())]), &allow_s3()).is_ok());
    assert!(run(&request(1, 0, &[("ResourceArns.member.1", "x".repeat(2048))]), &allow_s3()).is_ok());

    assert!(check_document("PolicyInputList", &"x".repeat(131_072)).is_ok());
    let e = check_document("PolicyInputList", &"x".repeat(131_073)).unwrap_err();
    assert!(e.message().contains("131072") && e.message().len() < 300, "{}", e.message());
    assert!(check_document("ResourcePolicy", "{\"\u{0100}\": 1}").unwrap_err().message().contains("pattern"));
    assert!(check_document("ResourcePolicy", "").is_err());

    let entries = |name: &str, kind: &str| {
        query(&[
            ("ContextEntries.member.1.ContextKeyName", name.into()),
            ("ContextEntries.member.1.ContextKeyType", kind.into()),
            ("ContextEntries.member.1.ContextKeyValues.member.1", "v".into()),
        ])
    };
    let context = |q: QueryParams| context_entries(&Params::new(&q), &mut ConditionContext::new());
    assert!(context(entries("aws:username", "string")).is_ok());
    assert!(context(entries("a:b", "string")).unwrap_err().message().contains("greater than or equal to 5"));
    assert!(context(entries(&format!("aws:{}", "k".repeat(253)), "string")).is_err());
    assert!(context(entries("aws:username", "text")).unwrap_err().message().contains("enum value set"));
}

#[test]
fn one_permissions_boundary_at_most() {
    let doc = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
    let q = query(&[
        ("PermissionsBoundaryPolicyInputList.member.1", doc.into()),
        ("PermissionsBoundaryPolicyInputList.member.2", doc.into()),
    ]);
    let e = boundary_and_resource_inputs(&Params::new(&q)).unwrap_err();
    assert_eq!((e.code(), e.status()), ("InvalidInput", 400));
    let q = query(&[("PermissionsBoundaryPolicyInputList.member.1", doc.into())]);
    assert!(boundary_and_resource_inputs(&Params::new(&q)).unwrap().0.is_some());
}
