//! Unit tests of paging, limits and parameter reading.

use super::*;
use rampart_wire::query::QueryParams;

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

/// Simulates the page `q` asks for with `policy` as the only identity policy: `q` read and
/// checked by the model layer as the pipeline reads it, then by the simulator.
fn run(q: &QueryParams, policy: &Policy) -> Result<Page, AwsError> {
    let input = checked(q)?;
    let req = Request::parse(&Simulation::from(&input))?;
    Ok(results(&xml_of(&simulate(&req, &inputs(policy)))))
}

fn allow_s3() -> Policy {
    Policy::parse(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:Action1*","Resource":"*"}}"#)
        .expect("policy")
}

#[test]
fn lists_are_read_in_order_and_strictly() {
    let q = query(&[("ActionNames.member.2", "s3:B".into()), ("ActionNames.member.1", "s3:A".into())]);
    assert_eq!(checked(&q).unwrap().action_names, ["s3:A", "s3:B"]);
    // Malformed lists are refused, not read approximately.
    let gap = query(&[("ActionNames.member.1", "s3:A".into()), ("ActionNames.member.3", "s3:C".into())]);
    assert_eq!(checked(&gap).unwrap_err().code(), "ValidationError");
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
    assert!(e.message().contains("Value null at 'actionNames'"), "{}", e.message());
    // An empty list (botocore's `ActionNames=`) is refused as absent.
    let e = code(query(&[("ActionNames", String::new())]));
    assert!(e.message().contains("Value null at 'actionNames'"), "{}", e.message());
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
    for (max, rule) in [
        ("0", "Member must have value greater than or equal to 1"),
        ("1001", "Member must have value less than or equal to 1000"),
        ("-1", "Member must have value greater than or equal to 1"),
        ("x", "Member must be an integer"),
    ] {
        let e = code(request(1, 1, &[("MaxItems", max.into())]));
        assert!(
            e.message().contains(&format!("Value '{max}' at 'maxItems' failed to satisfy constraint: {rule}")),
            "{}",
            e.message()
        );
    }
    assert!(run(&request(1, 1, &[("MaxItems", "1000".into())]), &allow_s3()).is_ok());
    assert!(run(&request(1, 0, &[("ResourceArns.member.1", "x".repeat(2048))]), &allow_s3()).is_ok());
    let e = code(request(1, 1, &[("PolicySourceArn", "arn:aws:iam::1:u".into())]));
    assert!(e.message().contains("'policySourceArn'"), "{}", e.message());

    let document = |param: &str, doc: String| checked(&request(1, 1, &[(param, doc)])).map(|_| ());
    assert!(document("PolicyInputList.member.1", "x".repeat(131_072)).is_ok());
    let e = document("PolicyInputList.member.1", "x".repeat(131_073)).unwrap_err();
    // The document is not echoed whole: the message stays short.
    assert!(e.message().contains("131072") && e.message().len() < 600, "{}", e.message());
    assert!(document("ResourcePolicy", "{\"\u{0100}\": 1}".into()).unwrap_err().message().contains("pattern"));
    assert!(document("ResourcePolicy", String::new()).is_err());

    let entries = |name: &str, kind: &str| {
        request(
            1,
            1,
            &[
                ("ContextEntries.member.1.ContextKeyName", name.into()),
                ("ContextEntries.member.1.ContextKeyType", kind.into()),
                ("ContextEntries.member.1.ContextKeyValues.member.1", "v".into()),
            ],
        )
    };
    let context = |q: QueryParams| {
        let input = checked(&q)?;
        context_entries(input.context_entries.as_deref().unwrap_or_default(), &mut ConditionContext::new())
    };
    assert!(context(entries("aws:username", "string")).is_ok());
    let e = context(entries("a:b", "string")).unwrap_err();
    assert!(e.message().contains("'contextEntries.1.member.contextKeyName'"), "{}", e.message());
    assert!(e.message().contains("greater than or equal to 5"));
    assert!(context(entries(&format!("aws:{}", "k".repeat(253)), "string")).is_err());
    assert!(context(entries("aws:username", "text")).unwrap_err().message().contains("enum value set"));
    // What the model cannot say: an entry needs a key name and values.
    let nameless = request(1, 1, &[("ContextEntries.member.1.ContextKeyValues.member.1", "v".into())]);
    assert_eq!(
        context(nameless).unwrap_err().message(),
        "1 validation error detected: Value null at 'contextEntries.1.member.contextKeyName' failed to satisfy \
         constraint: Member must not be null"
    );
    let valueless = request(1, 1, &[("ContextEntries.member.1.ContextKeyName", "aws:username".into())]);
    assert_eq!(context(valueless).unwrap_err().code(), "InvalidInput");
}

#[test]
fn one_permissions_boundary_at_most() {
    let doc = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
    let q = request(
        1,
        1,
        &[
            ("PermissionsBoundaryPolicyInputList.member.1", doc.into()),
            ("PermissionsBoundaryPolicyInputList.member.2", doc.into()),
        ],
    );
    let input = checked(&q).unwrap();
    let e = boundary_and_resource_inputs(&Simulation::from(&input)).unwrap_err();
    assert_eq!((e.code(), e.status()), ("InvalidInput", 400));
    let q = request(1, 1, &[("PermissionsBoundaryPolicyInputList.member.1", doc.into())]);
    let input = checked(&q).unwrap();
    assert!(boundary_and_resource_inputs(&Simulation::from(&input)).unwrap().0.is_some());
}
