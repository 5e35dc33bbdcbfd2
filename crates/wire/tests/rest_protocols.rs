//! The REST protocols from the model: routing tables from the real (trimmed) S3, Route 53 and
//! GuardDuty models, request parsing and responses of both REST protocols, round trips of every
//! shape kind through a synthetic model, malformed input, and properties (never a panic).

use http::Response;
use http_body_util::BodyExt as _;
use proptest::prelude::*;
use rampart_wire::model::rest::{Labels, Router, respond_with_body, streaming_payload};
use rampart_wire::model::{Model, OperationModel, rest_json, rest_xml};
use rampart_wire::protocol::{ResponseBody, full_body};
use serde_json::{Value, json};
use std::future::Future as _;
use std::pin::pin;
use std::sync::LazyLock;
use std::task::{Context, Poll, Waker};

static S3: LazyLock<Model> = LazyLock::new(|| Model::from_json(include_str!("../model/s3.json")).unwrap());
static ROUTE53: LazyLock<Model> = LazyLock::new(|| Model::from_json(include_str!("../model/route53.json")).unwrap());
static GUARDDUTY: LazyLock<Model> =
    LazyLock::new(|| Model::from_json(include_str!("../model/guardduty.json")).unwrap());
static S3_ROUTER: LazyLock<Router> = LazyLock::new(|| Router::new(&S3));
static ROUTE53_ROUTER: LazyLock<Router> = LazyLock::new(|| Router::new(&ROUTE53));
static GUARDDUTY_ROUTER: LazyLock<Router> = LazyLock::new(|| Router::new(&GUARDDUTY));

/// Drains a buffered response body.
fn body_of(resp: Response<ResponseBody>) -> (http::response::Parts, Vec<u8>) {
    let (parts, mut body) = resp.into_parts();
    let mut out = Vec::new();
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        match pin!(body.frame()).poll(&mut cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    out.extend_from_slice(&data);
                }
            }
            Poll::Ready(None) => break,
            Poll::Ready(Some(Err(e))) => panic!("body error {e}"),
            Poll::Pending => panic!("a buffered body is never pending"),
        }
    }
    (parts, out)
}

fn text(resp: Response<ResponseBody>) -> (http::response::Parts, String) {
    let (parts, body) = body_of(resp);
    (parts, String::from_utf8(body).unwrap())
}

fn parts(method: &str, uri: &str, headers: &[(&str, &str)]) -> http::request::Parts {
    let mut b = http::Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(()).unwrap().into_parts().0
}

/// Routes and parses a request, as the pipeline would.
fn request(model: &Model, router: &Router, method: &str, uri: &str, headers: &[(&str, &str)], body: &[u8]) -> Value {
    try_request(model, router, method, uri, headers, body).unwrap_or_else(|e| panic!("{method} {uri}: {e}"))
}

fn try_request(
    model: &Model,
    router: &Router,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Value, rampart_core::AwsError> {
    let p = parts(method, uri, headers);
    let (op, labels) = router.route(method, p.uri.path(), p.uri.query().unwrap_or("")).expect("routed");
    match model.metadata.protocol {
        rampart_wire::Protocol::RestXml => rest_xml::parse(model, op, &p, &labels, body),
        _ => rest_json::parse(model, op, &p, &labels, body),
    }
}

fn routed(router: &Router, method: &str, target: &str) -> Option<(String, Vec<(String, String)>)> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    router.route(method, path, query).map(|(op, labels)| {
        (op.name.clone(), labels.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect::<Vec<_>>())
    })
}

/// Method, target, the operation routed (if any), its labels.
type RouteCase = (&'static str, &'static str, Option<&'static str>, &'static [(&'static str, &'static str)]);

#[test]
fn s3_routing_table() {
    let table: &[RouteCase] = &[
        ("PUT", "/bucket", Some("CreateBucket"), &[("Bucket", "bucket")]),
        ("PUT", "/bucket/", Some("CreateBucket"), &[("Bucket", "bucket")]),
        ("PUT", "/bucket/key", Some("PutObject"), &[("Bucket", "bucket"), ("Key", "key")]),
        ("PUT", "/bucket/a/b/c.txt", Some("PutObject"), &[("Bucket", "bucket"), ("Key", "a/b/c.txt")]),
        ("GET", "/bucket/dir/", Some("GetObject"), &[("Bucket", "bucket"), ("Key", "dir/")]),
        ("GET", "/bucket/a%20b%2Fc%3F", Some("GetObject"), &[("Bucket", "bucket"), ("Key", "a b/c?")]),
        ("GET", "/bucket/%E2%82%AC", Some("GetObject"), &[("Bucket", "bucket"), ("Key", "€")]),
        ("GET", "/bucket//lead", Some("GetObject"), &[("Bucket", "bucket"), ("Key", "/lead")]),
        ("GET", "/bucket/key?x-id=GetObject", Some("GetObject"), &[("Bucket", "bucket"), ("Key", "key")]),
        ("HEAD", "/bucket/key", Some("HeadObject"), &[("Bucket", "bucket"), ("Key", "key")]),
        ("GET", "/bucket?list-type=2", Some("ListObjectsV2"), &[("Bucket", "bucket")]),
        ("GET", "/bucket?prefix=a&list-type=2&max-keys=3", Some("ListObjectsV2"), &[("Bucket", "bucket")]),
        ("GET", "/bucket?tagging", Some("GetBucketTagging"), &[("Bucket", "bucket")]),
        ("GET", "/bucket?tagging=", Some("GetBucketTagging"), &[("Bucket", "bucket")]),
        ("PUT", "/bucket?tagging", Some("PutBucketTagging"), &[("Bucket", "bucket")]),
        ("PUT", "/bucket?policy", Some("PutBucketPolicy"), &[("Bucket", "bucket")]),
        ("POST", "/bucket?delete", Some("DeleteObjects"), &[("Bucket", "bucket")]),
        // ListObjects (v1) is not in the trimmed model; list-type must be exactly 2.
        ("GET", "/bucket", None, &[]),
        ("GET", "/bucket?list-type=1", None, &[]),
        ("POST", "/bucket", None, &[]),
        ("DELETE", "/bucket/key", None, &[]),
        ("GET", "/", None, &[]),
        ("GET", "", None, &[]),
        ("GET", "/bucket/%FF", None, &[]),
        ("PATCH", "/bucket/key", None, &[]),
    ];
    for (method, target, op, labels) in table {
        let got = routed(&S3_ROUTER, method, target);
        match op {
            Some(op) => {
                let (name, got_labels) = got.unwrap_or_else(|| panic!("{method} {target} not routed"));
                assert_eq!(&name, op, "{method} {target}");
                let want: Vec<(String, String)> = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
                assert_eq!(got_labels, want, "{method} {target}");
            }
            None => assert_eq!(got, None, "{method} {target}"),
        }
    }
}

#[test]
fn route53_and_guardduty_routing_tables() {
    let r53: &[(&str, &str, Option<&str>)] = &[
        ("POST", "/2013-04-01/hostedzone", Some("CreateHostedZone")),
        ("GET", "/2013-04-01/hostedzone", Some("ListHostedZones")),
        ("GET", "/2013-04-01/hostedzone?maxitems=5", Some("ListHostedZones")),
        ("GET", "/2013-04-01/hostedzone/Z1", Some("GetHostedZone")),
        ("GET", "/2013-04-01/hostedzone/Z1/rrset", Some("ListResourceRecordSets")),
        ("POST", "/2013-04-01/hostedzone/Z1/rrset/", Some("ChangeResourceRecordSets")),
        ("POST", "/2013-04-01/hostedzone/Z1/rrset", Some("ChangeResourceRecordSets")),
        ("GET", "/2013-04-01/hostedzone/Z1/other", None),
        ("GET", "/2013-04-02/hostedzone", None),
        ("DELETE", "/2013-04-01/hostedzone/Z1", None),
        ("GET", "/2013-04-01/hostedzone//rrset", None),
    ];
    for (method, target, op) in r53 {
        assert_eq!(routed(&ROUTE53_ROUTER, method, target).map(|r| r.0).as_deref(), *op, "{method} {target}");
    }
    let (_, labels) = routed(&ROUTE53_ROUTER, "GET", "/2013-04-01/hostedzone/Z1%2Fx/rrset").unwrap();
    assert_eq!(labels, [("Id".to_owned(), "Z1/x".to_owned())], "a label's %2F is decoded, the label stays one segment");
    let gd: &[(&str, &str, Option<&str>)] = &[
        ("POST", "/detector", Some("CreateDetector")),
        ("GET", "/detector", Some("ListDetectors")),
        ("GET", "/detector?maxResults=3", Some("ListDetectors")),
        ("GET", "/detector/abc", Some("GetDetector")),
        ("POST", "/detector/abc", Some("UpdateDetector")),
        ("POST", "/detector/abc/findings", Some("ListFindings")),
        ("GET", "/detector/abc/findings", None),
        ("DELETE", "/detector/abc", None),
        ("GET", "/detectors", None),
    ];
    for (method, target, op) in gd {
        assert_eq!(routed(&GUARDDUTY_ROUTER, method, target).map(|r| r.0).as_deref(), *op, "{method} {target}");
    }
}

/// A synthetic model whose routes overlap: the most specific wins.
#[test]
fn ambiguous_routes_resolve_most_specific_first() {
    let op = |name: &str, method: &str, uri: &str| json!({"name": name, "http": {"method": method, "requestUri": uri}, "input": {"shape": "In"}});
    let model = json!({
        "metadata": {"protocol": "rest-xml", "apiVersion": "1"},
        "operations": {
            "ListObjects": op("ListObjects", "GET", "/{Bucket}"),
            "ListObjectsV2": op("ListObjectsV2", "GET", "/{Bucket}?list-type=2"),
            "GetBucketTagging": op("GetBucketTagging", "GET", "/{Bucket}?tagging"),
            "GetObject": op("GetObject", "GET", "/{Bucket}/{Key+}"),
            "GetObjectTagging": op("GetObjectTagging", "GET", "/{Bucket}/{Key+}?tagging"),
            "ListParts": op("ListParts", "GET", "/{Bucket}/{Key+}?uploadId"),
            "Literal": op("Literal", "GET", "/v1/things/special"),
            "Label": op("Label", "GET", "/v1/things/{Id}"),
            "Affixed": op("Affixed", "GET", "/v2/item-{Id}.json"),
            "GreedyMiddle": op("GreedyMiddle", "GET", "/v3/{Path+}/end"),
        },
        "shapes": {"In": {"type": "structure", "members": {}}}
    });
    let model = Model::from_json(&model.to_string()).unwrap();
    let router = Router::new(&model);
    for (target, want, labels) in [
        ("/b", Some("ListObjects"), vec![("Bucket", "b")]),
        ("/b?list-type=2", Some("ListObjectsV2"), vec![("Bucket", "b")]),
        ("/b?list-type=3", Some("ListObjects"), vec![("Bucket", "b")]),
        ("/b?tagging", Some("GetBucketTagging"), vec![("Bucket", "b")]),
        ("/b/k", Some("GetObject"), vec![("Bucket", "b"), ("Key", "k")]),
        ("/b/k/l?tagging", Some("GetObjectTagging"), vec![("Bucket", "b"), ("Key", "k/l")]),
        ("/b/k?uploadId=7", Some("ListParts"), vec![("Bucket", "b"), ("Key", "k")]),
        ("/v1/things/special", Some("Literal"), vec![]),
        ("/v1/things/other", Some("Label"), vec![("Id", "other")]),
        ("/v1/things", Some("GetObject"), vec![("Bucket", "v1"), ("Key", "things")]),
        ("/v2/item-7.json", Some("Affixed"), vec![("Id", "7")]),
        ("/v3/a/b/end", Some("GreedyMiddle"), vec![("Path", "a/b")]),
        ("/v3/end", Some("GetObject"), vec![("Bucket", "v3"), ("Key", "end")]),
    ] {
        let got = routed(&router, "GET", target);
        let want = want
            .map(|w| (w.to_owned(), labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>()));
        assert_eq!(got, want, "{target}");
    }
}

#[test]
fn s3_requests_parse_from_labels_query_headers_and_xml() {
    let tagging = br#"<?xml version="1.0" encoding="UTF-8"?>
<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>a</Key><Value>1 &amp; 2</Value></Tag><Tag><Key>b</Key><Value></Value></Tag></TagSet></Tagging>"#;
    let v = request(&S3, &S3_ROUTER, "PUT", "/bkt?tagging", &[("Content-MD5", "abc==")], tagging);
    assert_eq!(
        v,
        json!({"Bucket": "bkt", "ContentMD5": "abc==", "Tagging": {"TagSet": [{"Key": "a", "Value": "1 & 2"}, {"Key": "b", "Value": ""}]}})
    );

    let delete = br#"<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a</Key></Object><Object><Key>b/c</Key><VersionId>v1</VersionId><LastModifiedTime>Wed, 03 Dec 2025 13:00:00 GMT</LastModifiedTime><Size>12</Size></Object><Quiet>true</Quiet></Delete>"#;
    let v = request(&S3, &S3_ROUTER, "POST", "/bkt?delete", &[], delete);
    assert_eq!(
        v,
        json!({"Bucket": "bkt", "Delete": {"Objects": [{"Key": "a"}, {"Key": "b/c", "VersionId": "v1", "LastModifiedTime": 1764766800, "Size": 12}], "Quiet": true}})
    );

    // CreateBucket: the configuration payload is optional.
    assert_eq!(
        request(&S3, &S3_ROUTER, "PUT", "/bkt", &[("x-amz-acl", "private")], b""),
        json!({"Bucket": "bkt", "ACL": "private"})
    );
    let config =
        b"<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>";
    assert_eq!(
        request(&S3, &S3_ROUTER, "PUT", "/bkt", &[], config),
        json!({"Bucket": "bkt", "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"}})
    );

    // A string payload is the raw body.
    let policy = br#"{"Version":"2012-10-17","Statement":[]}"#;
    assert_eq!(
        request(&S3, &S3_ROUTER, "PUT", "/bkt?policy", &[], policy),
        json!({"Bucket": "bkt", "Policy": r#"{"Version":"2012-10-17","Statement":[]}"#})
    );

    // PutObject: headers of every kind; the streaming body stays out of the tree.
    let op = S3.operation("PutObject").unwrap();
    assert_eq!(streaming_payload(&S3, op).map(|m| m.name.as_str()), Some("Body"));
    assert!(streaming_payload(&S3, S3.operation("PutBucketTagging").unwrap()).is_none());
    let v = request(
        &S3,
        &S3_ROUTER,
        "PUT",
        "/bkt/photos/2025/a%20b.jpg",
        &[
            ("Content-Type", "image/jpeg"),
            ("Content-Length", "1024"),
            ("x-amz-meta-color", "blue"),
            ("x-amz-meta-Owner", "me"),
            ("x-amz-object-lock-retain-until-date", "2025-12-03T13:00:00Z"),
            ("x-amz-server-side-encryption-bucket-key-enabled", "true"),
        ],
        b"streamed bytes the handler reads",
    );
    assert_eq!(
        v,
        json!({
            "Bucket": "bkt", "Key": "photos/2025/a b.jpg", "ContentType": "image/jpeg", "ContentLength": 1024,
            "Metadata": {"color": "blue", "owner": "me"}, "ObjectLockRetainUntilDate": 1764766800,
            "BucketKeyEnabled": true
        })
    );

    // ListObjectsV2: query members of several kinds and a header list; query literals are not members.
    let v = request(
        &S3,
        &S3_ROUTER,
        "GET",
        "/bkt?list-type=2&prefix=photos%2F&max-keys=10&fetch-owner=true&start-after=a+b",
        &[("x-amz-optional-object-attributes", "RestoreStatus")],
        b"",
    );
    assert_eq!(
        v,
        json!({"Bucket": "bkt", "Prefix": "photos/", "MaxKeys": 10, "FetchOwner": true, "StartAfter": "a b", "OptionalObjectAttributes": ["RestoreStatus"]})
    );

    // GetObject: HTTP-date headers, an rfc822 query timestamp.
    let v = request(
        &S3,
        &S3_ROUTER,
        "GET",
        "/bkt/k?response-expires=Wed%2C%2003%20Dec%202025%2013%3A00%3A00%20GMT&response-content-type=text%2Fplain",
        &[("If-Modified-Since", "Wed, 03 Dec 2025 13:00:00 GMT"), ("Range", "bytes=0-9")],
        b"",
    );
    assert_eq!(
        v,
        json!({"Bucket": "bkt", "Key": "k", "ResponseExpires": 1764766800, "ResponseContentType": "text/plain", "IfModifiedSince": 1764766800, "Range": "bytes=0-9"})
    );
}

#[test]
fn s3_responses_are_aws_shaped_xml() {
    let op = S3.operation("ListObjectsV2").unwrap();
    let out = json!({
        "IsTruncated": false, "Name": "bkt", "Prefix": "", "MaxKeys": 1000, "KeyCount": 2,
        "Contents": [
            {"Key": "a<b", "LastModified": 1764766800, "ETag": "\"e1\"", "Size": 3, "StorageClass": "STANDARD", "ChecksumAlgorithm": ["CRC32"]},
            {"Key": "c", "LastModified": 1764766800.25, "Size": 0, "Owner": {"ID": "o", "DisplayName": "d"}}
        ],
        "CommonPrefixes": [{"Prefix": "p/"}],
        "RequestCharged": "requester"
    });
    let (parts, body) = text(rest_xml::respond(&S3, op, &out, "req-1"));
    assert_eq!(parts.status, 200);
    assert_eq!(parts.headers["x-amz-request-charged"], "requester");
    assert_eq!(parts.headers["x-amz-request-id"], "req-1");
    assert_eq!(parts.headers["content-type"], "application/xml");
    assert_eq!(
        body,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListObjectsV2Output xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
<IsTruncated>false</IsTruncated>\
<Contents><Key>a&lt;b</Key><LastModified>2025-12-03T13:00:00Z</LastModified><ETag>&quot;e1&quot;</ETag><ChecksumAlgorithm>CRC32</ChecksumAlgorithm><Size>3</Size><StorageClass>STANDARD</StorageClass></Contents>\
<Contents><Key>c</Key><LastModified>2025-12-03T13:00:00.250Z</LastModified><Size>0</Size><Owner><DisplayName>d</DisplayName><ID>o</ID></Owner></Contents>\
<Name>bkt</Name><Prefix></Prefix><MaxKeys>1000</MaxKeys><CommonPrefixes><Prefix>p/</Prefix></CommonPrefixes><KeyCount>2</KeyCount>\
</ListObjectsV2Output>"
    );

    // Tagging: a wrapped list with its member's locationName.
    let op = S3.operation("GetBucketTagging").unwrap();
    let (_, body) = text(rest_xml::respond(&S3, op, &json!({"TagSet": [{"Key": "k", "Value": "v"}]}), "r"));
    assert!(
        body.ends_with("<TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></GetBucketTaggingOutput>"),
        "{body}"
    );

    // DeleteObjects: flattened lists named by the member's locationName (`Error`).
    let op = S3.operation("DeleteObjects").unwrap();
    let out = json!({"Deleted": [{"Key": "a"}], "Errors": [{"Key": "b", "Code": "AccessDenied", "Message": "no"}]});
    let (_, body) = text(rest_xml::respond(&S3, op, &out, "r"));
    assert!(
        body.contains(
            "<Deleted><Key>a</Key></Deleted><Error><Key>b</Key><Code>AccessDenied</Code><Message>no</Message></Error>"
        ),
        "{body}"
    );

    // Header-only outputs have no body; HTTP dates in headers; prefixed metadata headers.
    let op = S3.operation("HeadObject").unwrap();
    let out = json!({"LastModified": 1764766800, "ContentLength": 5, "ETag": "\"x\"", "Metadata": {"color": "blue"}, "DeleteMarker": false});
    let (parts, body) = body_of(rest_xml::respond(&S3, op, &out, "r"));
    assert!(body.is_empty());
    assert_eq!(parts.headers["last-modified"], "Wed, 03 Dec 2025 13:00:00 GMT");
    assert_eq!(parts.headers["content-length"], "5");
    assert_eq!(parts.headers["x-amz-meta-color"], "blue");
    assert_eq!(parts.headers["x-amz-delete-marker"], "false");

    // A streaming output: headers from the tree, the body as the handler streams it.
    let op = S3.operation("GetObject").unwrap();
    let (parts, body) =
        body_of(respond_with_body(&S3, op, &json!({"ContentType": "text/plain"}), "r", full_body(&b"hello"[..])));
    assert_eq!(parts.headers["content-type"], "text/plain");
    assert_eq!(body, b"hello");
    // ... or written whole from the tree's base64.
    let (_, body) = body_of(rest_xml::respond(&S3, op, &json!({"Body": "aGk="}), "r"));
    assert_eq!(body, b"hi");

    // Header-only output with its Location header.
    let op = S3.operation("CreateBucket").unwrap();
    let (parts, body) = body_of(rest_xml::respond(&S3, op, &json!({"Location": "/bkt"}), "r"));
    assert_eq!((parts.status.as_u16(), parts.headers["location"].to_str().unwrap(), body.len()), (200, "/bkt", 0));
}

#[test]
fn route53_requests_and_responses() {
    let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<CreateHostedZoneRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Name>example.com</Name><CallerReference>ref-1</CallerReference><HostedZoneConfig><Comment>c</Comment><PrivateZone>false</PrivateZone></HostedZoneConfig></CreateHostedZoneRequest>"#;
    let v = request(&ROUTE53, &ROUTE53_ROUTER, "POST", "/2013-04-01/hostedzone", &[], body);
    assert_eq!(
        v,
        json!({"Name": "example.com", "CallerReference": "ref-1", "HostedZoneConfig": {"Comment": "c", "PrivateZone": false}})
    );
    let wrong_root = b"<ListHostedZonesRequest><Name>x</Name></ListHostedZonesRequest>";
    let e = try_request(&ROUTE53, &ROUTE53_ROUTER, "POST", "/2013-04-01/hostedzone", &[], wrong_root).unwrap_err();
    assert_eq!((e.code(), e.status()), ("MalformedXML", 400));

    let change = br#"<ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeBatch><Changes><Change><Action>UPSERT</Action><ResourceRecordSet><Name>www.example.com</Name><Type>A</Type><TTL>300</TTL><ResourceRecords><ResourceRecord><Value>192.0.2.1</Value></ResourceRecord><ResourceRecord><Value>192.0.2.2</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>"#;
    let v = request(&ROUTE53, &ROUTE53_ROUTER, "POST", "/2013-04-01/hostedzone/Z123/rrset/", &[], change);
    assert_eq!(
        v,
        json!({"HostedZoneId": "Z123", "ChangeBatch": {"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
            "Name": "www.example.com", "Type": "A", "TTL": 300,
            "ResourceRecords": [{"Value": "192.0.2.1"}, {"Value": "192.0.2.2"}]}}]}})
    );
    let v = request(
        &ROUTE53,
        &ROUTE53_ROUTER,
        "GET",
        "/2013-04-01/hostedzone/Z123/rrset?name=www&type=A&maxitems=10",
        &[],
        b"",
    );
    assert_eq!(v, json!({"HostedZoneId": "Z123", "StartRecordName": "www", "StartRecordType": "A", "MaxItems": "10"}));

    assert_eq!(rest_xml::service_namespace(&ROUTE53), "https://route53.amazonaws.com/doc/2013-04-01/");
    let op = ROUTE53.operation("CreateHostedZone").unwrap();
    let out = json!({
        "HostedZone": {"Id": "/hostedzone/Z1", "Name": "example.com.", "CallerReference": "ref-1", "Config": {"PrivateZone": false}, "ResourceRecordSetCount": 2},
        "ChangeInfo": {"Id": "/change/C1", "Status": "PENDING", "SubmittedAt": 1764766800},
        "DelegationSet": {"NameServers": ["ns-1.example", "ns-2.example"]},
        "Location": "https://route53.amazonaws.com/2013-04-01/hostedzone/Z1"
    });
    let (parts, body) = text(rest_xml::respond(&ROUTE53, op, &out, "r"));
    assert_eq!(parts.status, 201);
    assert_eq!(parts.headers["location"], "https://route53.amazonaws.com/2013-04-01/hostedzone/Z1");
    assert_eq!(
        body,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CreateHostedZoneResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">\
<HostedZone><Id>/hostedzone/Z1</Id><Name>example.com.</Name><CallerReference>ref-1</CallerReference><Config><PrivateZone>false</PrivateZone></Config><ResourceRecordSetCount>2</ResourceRecordSetCount></HostedZone>\
<ChangeInfo><Id>/change/C1</Id><Status>PENDING</Status><SubmittedAt>2025-12-03T13:00:00Z</SubmittedAt></ChangeInfo>\
<DelegationSet><NameServers><NameServer>ns-1.example</NameServer><NameServer>ns-2.example</NameServer></NameServers></DelegationSet>\
</CreateHostedZoneResponse>"
    );
}

#[test]
fn guardduty_requests_and_responses() {
    let body = br#"{"enable": true, "clientToken": "t", "findingPublishingFrequency": "SIX_HOURS",
        "tags": {"team": "sec"}, "dataSources": {"s3Logs": {"enable": false}},
        "features": [{"name": "S3_DATA_EVENTS", "status": "ENABLED", "additionalConfiguration": [{"name": "EKS_ADDON_MANAGEMENT", "status": "DISABLED"}]}],
        "unknownKey": 7, "nothing": null}"#;
    let v = request(&GUARDDUTY, &GUARDDUTY_ROUTER, "POST", "/detector", &[("content-type", "application/json")], body);
    assert_eq!(
        v,
        json!({"Enable": true, "ClientToken": "t", "FindingPublishingFrequency": "SIX_HOURS", "Tags": {"team": "sec"},
            "DataSources": {"S3Logs": {"Enable": false}},
            "Features": [{"Name": "S3_DATA_EVENTS", "Status": "ENABLED", "AdditionalConfiguration": [{"Name": "EKS_ADDON_MANAGEMENT", "Status": "DISABLED"}]}]})
    );
    let v = request(&GUARDDUTY, &GUARDDUTY_ROUTER, "GET", "/detector?maxResults=5&nextToken=abc", &[], b"");
    assert_eq!(v, json!({"MaxResults": 5, "NextToken": "abc"}));
    let v = request(
        &GUARDDUTY,
        &GUARDDUTY_ROUTER,
        "POST",
        "/detector/d-1/findings",
        &[],
        br#"{"findingCriteria": {"criterion": {"severity": {"gte": 4, "eq": ["a"]}}}, "sortCriteria": {"attributeName": "x", "orderBy": "ASC"}, "maxResults": 2}"#,
    );
    assert_eq!(
        v,
        json!({"DetectorId": "d-1", "FindingCriteria": {"Criterion": {"severity": {"Gte": 4, "Eq": ["a"]}}}, "SortCriteria": {"AttributeName": "x", "OrderBy": "ASC"}, "MaxResults": 2})
    );
    // An empty body is an empty input.
    assert_eq!(request(&GUARDDUTY, &GUARDDUTY_ROUTER, "POST", "/detector/d-1", &[], b""), json!({"DetectorId": "d-1"}));

    let op = GUARDDUTY.operation("GetDetector").unwrap();
    let out = json!({"CreatedAt": "2025-12-03", "ServiceRole": "arn:role", "Status": "ENABLED",
        "Features": [{"Name": "CLOUD_TRAIL", "Status": "ENABLED", "UpdatedAt": 1764766800}], "Tags": {}});
    let (parts, body) = text(rest_json::respond(&GUARDDUTY, op, &out, "r"));
    assert_eq!(parts.status, 200);
    assert_eq!(parts.headers["content-type"], "application/json");
    assert_eq!(parts.headers["x-amzn-requestid"], "r");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body,
        json!({"createdAt": "2025-12-03", "serviceRole": "arn:role", "status": "ENABLED",
            "features": [{"name": "CLOUD_TRAIL", "status": "ENABLED", "updatedAt": 1764766800}], "tags": {}})
    );
    let op = GUARDDUTY.operation("UpdateDetector").unwrap();
    let (_, body) = text(rest_json::respond(&GUARDDUTY, op, &json!({}), "r"));
    assert_eq!(body, "{}");
}

#[test]
fn malformed_input_is_refused_with_aws_errors() {
    for bad in [
        &b"<Tagging><TagSet>"[..],
        b"<Tagging><TagSet></Tagging></TagSet>",
        b"not xml",
        b"<Other/>",
        b"<Tagging>stray text<TagSet/></Tagging>",
        b"<!DOCTYPE x [<!ENTITY a 'b'>]><Tagging/>",
        b"<Tagging><TagSet><Tag><Key><b/></Key></Tag></TagSet></Tagging>",
        b"\xff\xfe<Tagging/>",
    ] {
        let e = try_request(&S3, &S3_ROUTER, "PUT", "/b?tagging", &[], bad).unwrap_err();
        assert_eq!((e.code(), e.status()), ("MalformedXML", 400), "{:?}", String::from_utf8_lossy(bad));
    }
    let e =
        try_request(&S3, &S3_ROUTER, "POST", "/b?delete", &[], b"<Delete><Quiet>maybe</Quiet></Delete>").unwrap_err();
    assert_eq!(e.code(), "MalformedXML");
    let e =
        try_request(&S3, &S3_ROUTER, "POST", "/b?delete", &[], b"<Delete><Object><Size>big</Size></Object></Delete>")
            .unwrap_err();
    assert_eq!(e.code(), "MalformedXML");
    let e = try_request(&S3, &S3_ROUTER, "PUT", "/b/k", &[("Content-Length", "lots")], b"").unwrap_err();
    assert_eq!((e.code(), e.status()), ("InvalidArgument", 400));
    let e = try_request(&S3, &S3_ROUTER, "GET", "/b/k", &[("If-Modified-Since", "yesterday")], b"").unwrap_err();
    assert_eq!(e.code(), "InvalidArgument");
    let e = try_request(&S3, &S3_ROUTER, "GET", "/b?list-type=2&max-keys=many", &[], b"").unwrap_err();
    assert_eq!(e.code(), "InvalidArgument");
    let e = try_request(&S3, &S3_ROUTER, "PUT", "/b?policy", &[], b"\xff").unwrap_err();
    assert_eq!(e.code(), "InvalidArgument");

    for bad in [
        &br#"{"enable": "yes"}"#[..],
        br#"{"enable": true, "tags": {"a": 1}}"#,
        br#"{"enable": true, "tags": []}"#,
        br#"{"enable": true, "features": {}}"#,
        br#"{"enable": true, "features": [null]}"#,
        br#"{"enable": true, "features": [{"name": 5}]}"#,
        br#"{"enable": true, "dataSources": {"s3Logs": {"enable": 1}}}"#,
        br#"[]"#,
        br#"{"enable": true"#,
        b"\xff",
    ] {
        let e = try_request(&GUARDDUTY, &GUARDDUTY_ROUTER, "POST", "/detector", &[], bad).unwrap_err();
        assert_eq!((e.code(), e.status()), ("SerializationException", 400), "{:?}", String::from_utf8_lossy(bad));
    }
    let e = try_request(&GUARDDUTY, &GUARDDUTY_ROUTER, "GET", "/detector?maxResults=ten", &[], b"").unwrap_err();
    assert_eq!(e.code(), "SerializationException");
    let e = try_request(&GUARDDUTY, &GUARDDUTY_ROUTER, "POST", "/detector/d/findings", &[], br#"{"maxResults": 1e99}"#)
        .unwrap_err();
    assert_eq!(e.code(), "SerializationException");
    let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
    let body = format!(r#"{{"findingCriteria": {{"criterion": {{"a": {{"eq": {deep}}}}}}}}}"#);
    let e =
        try_request(&GUARDDUTY, &GUARDDUTY_ROUTER, "POST", "/detector/d/findings", &[], body.as_bytes()).unwrap_err();
    assert_eq!(e.code(), "SerializationException");
}

/// One shape of every kind, bound to every location, in either REST protocol.
fn echo_model(protocol: &str) -> Model {
    let m = |shape: &str, extra: Value| {
        let mut v = json!({"shape": shape});
        v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        v
    };
    let model = json!({
        "metadata": {"protocol": protocol, "apiVersion": "2025-01-01", "xmlNamespace": "urn:echo"},
        "operations": {
            "Echo": {"name": "Echo", "http": {"method": "POST", "requestUri": "/things/{Name}/{Path+}?echo", "responseCode": 202},
                "input": {"shape": "Echo"}, "output": {"shape": "Echo"}},
            "Blob": {"name": "Blob", "http": {"method": "PUT", "requestUri": "/blob/{Name}"},
                "input": {"shape": "BlobIn"}, "output": {"shape": "BlobIn"}},
            "Doc": {"name": "Doc", "http": {"method": "PUT", "requestUri": "/doc"},
                "input": {"shape": "DocIn"}, "output": {"shape": "DocIn"}}
        },
        "shapes": {
            "Echo": {"type": "structure", "required": ["Name"], "members": {
                "Name": m("String", json!({"location": "uri", "locationName": "Name"})),
                "Path": m("String", json!({"location": "uri", "locationName": "Path"})),
                "Count": m("Integer", json!({"location": "querystring", "locationName": "count"})),
                "Ids": m("StringList", json!({"location": "querystring", "locationName": "id"})),
                "When": m("Timestamp", json!({"location": "querystring", "locationName": "when"})),
                "Extra": m("QueryMap", json!({"location": "querystring"})),
                "Token": m("String", json!({"location": "header", "locationName": "x-token"})),
                "Size": m("Long", json!({"location": "header", "locationName": "x-size"})),
                "Flag": m("Boolean", json!({"location": "header", "locationName": "x-flag"})),
                "Since": m("Timestamp", json!({"location": "header", "locationName": "x-since"})),
                "Tags": m("StringList", json!({"location": "header", "locationName": "x-tags"})),
                "Dates": m("TimestampList", json!({"location": "header", "locationName": "x-dates"})),
                "Meta": m("StringMap", json!({"location": "headers", "locationName": "x-meta-"})),
                "Ratio": m("Double", json!({"location": "header", "locationName": "x-ratio"})),
                "Data": m("Blob", json!({"location": "header", "locationName": "x-data"})),
                "Status": m("Integer", json!({"location": "statusCode"})),
                "Kind": m("String", json!({"xmlAttribute": true, "locationName": "kind"})),
                "Title": m("String", json!({"locationName": "TitleEl", "jsonName": "title"})),
                "Items": m("ItemList", json!({})),
                "Flat": m("StringList", json!({"flattened": true})),
                "Numbers": m("IntList", json!({})),
                "Labels": m("StringMap", json!({})),
                "FlatMap": m("FlatMap", json!({})),
                "Created": m("Timestamp", json!({})),
                "Stamp": m("Timestamp", json!({"timestampFormat": "iso8601"})),
                "Raw": m("Blob", json!({})),
                "Nested": m("Item", json!({})),
                "Score": m("Double", json!({})),
                "On": m("Boolean", json!({})),
                "Lists": m("ListOfLists", json!({})),
                "Big": m("Long", json!({}))
            }},
            "Item": {"type": "structure", "members": {
                "Key": {"shape": "String"},
                "Value": {"shape": "Integer"},
                "Tag": {"shape": "String", "xmlAttribute": true, "locationName": "tag"}
            }},
            "BlobIn": {"type": "structure", "members": {
                "Name": {"shape": "String", "location": "uri", "locationName": "Name"},
                "Content": {"shape": "Blob"}
            }, "payload": "Content"},
            "DocIn": {"type": "structure", "members": {"Item": {"shape": "Item", "locationName": "TheItem"}}, "payload": "Item"},
            "ItemList": {"type": "list", "member": {"shape": "Item", "locationName": "Item"}},
            "StringList": {"type": "list", "member": {"shape": "String"}},
            "TimestampList": {"type": "list", "member": {"shape": "Timestamp"}},
            "IntList": {"type": "list", "member": {"shape": "Integer"}},
            "ListOfLists": {"type": "list", "member": {"shape": "StringList"}},
            "StringMap": {"type": "map", "key": {"shape": "String"}, "value": {"shape": "String"}},
            "QueryMap": {"type": "map", "key": {"shape": "String"}, "value": {"shape": "StringList"}},
            "FlatMap": {"type": "map", "key": {"shape": "String", "locationName": "k"}, "value": {"shape": "String", "locationName": "v"}, "flattened": true},
            "String": {"type": "string"},
            "Integer": {"type": "integer"},
            "Long": {"type": "long"},
            "Double": {"type": "double"},
            "Boolean": {"type": "boolean"},
            "Timestamp": {"type": "timestamp"},
            "Blob": {"type": "blob"}
        }
    });
    Model::from_json(&model.to_string()).unwrap()
}

const ECHO_HEADERS: &[(&str, &str)] = &[
    ("x-token", "tok"),
    ("x-size", "9007199254740993"),
    ("x-flag", "false"),
    ("x-since", "Wed, 03 Dec 2025 13:00:00 GMT"),
    ("x-tags", "a, \"b,c\", d"),
    ("x-dates", "Wed, 03 Dec 2025 13:00:00 GMT, Thu, 04 Dec 2025 13:00:00 GMT"),
    ("x-meta-one", "1"),
    ("x-meta-two", "2"),
    ("x-ratio", "0.5"),
    ("x-data", "aGk="),
];

const ECHO_URI: &str = "/things/n%201/a/b%2Fc?echo&count=3&id=x&id=y&when=2025-12-03T13:00:00Z&free=1&free=2&other=z";

fn echo_non_body() -> Value {
    json!({
        "Name": "n 1", "Path": "a/b/c", "Count": 3, "Ids": ["x", "y"], "When": 1764766800,
        "Extra": {"free": ["1", "2"], "other": ["z"]},
        "Token": "tok", "Size": 9_007_199_254_740_993_i64, "Flag": false, "Since": 1764766800,
        "Tags": ["a", "b,c", "d"], "Dates": [1764766800, 1764853200], "Meta": {"one": "1", "two": "2"},
        "Ratio": 0.5, "Data": "aGk="
    })
}

fn echo_body_tree() -> Value {
    json!({
        "Kind": "k1", "Title": "t & u <v>", "Items": [{"Key": "a", "Value": 1, "Tag": "x"}, {"Key": "b"}],
        "Flat": ["f1", "f2"], "Numbers": [1, -2], "Labels": {"a": "b"}, "FlatMap": {"x": "y", "z": "w"},
        "Created": 1764766800, "Stamp": 1764766800.25, "Raw": "aGk=", "Nested": {"Key": "n"},
        "Score": 1.5, "On": true, "Lists": [["a"], []], "Big": -9_007_199_254_740_993_i64
    })
}

fn merged(a: &Value, b: &Value) -> Value {
    let mut out = a.as_object().unwrap().clone();
    out.extend(b.as_object().unwrap().clone());
    Value::Object(out)
}

/// A REST protocol's request parser.
type ParseFn =
    fn(&Model, &OperationModel, &http::request::Parts, &Labels, &[u8]) -> Result<Value, rampart_core::AwsError>;

/// Responds with `tree`, then reads the response back as a request of the same operation (the
/// headers and body it carries): header and body members must survive unchanged.
fn round_trip(
    model: &Model,
    op: &OperationModel,
    tree: &Value,
    respond: fn(&Model, &OperationModel, &Value, &str) -> Response<ResponseBody>,
    parse: ParseFn,
) -> (http::response::Parts, Vec<u8>, Value) {
    let (resp, body) = body_of(respond(model, op, tree, "r"));
    let mut req = http::Request::builder().method("POST").uri("/x");
    for (k, v) in &resp.headers {
        req = req.header(k, v);
    }
    let p = req.body(()).unwrap().into_parts().0;
    let back = parse(model, op, &p, &Labels::default(), &body).unwrap();
    (resp, body, back)
}

#[test]
fn every_shape_kind_round_trips_in_rest_xml() {
    let model = echo_model("rest-xml");
    let router = Router::new(&model);
    let body = br#"<Echo xmlns="urn:echo" kind="k1"><TitleEl>t &amp; u &lt;v&gt;</TitleEl><Items><Item tag="x"><Key>a</Key><Value>1</Value></Item><Item><Key>b</Key></Item></Items><Flat>f1</Flat><Unknown>ignored</Unknown><Flat>f2</Flat><Numbers><member>1</member><member> -2 </member></Numbers><Labels><entry><key>a</key><value>b</value></entry></Labels><FlatMap><k>x</k><v>y</v></FlatMap><FlatMap><k>z</k><v>w</v></FlatMap><Created>2025-12-03T13:00:00Z</Created><Stamp>2025-12-03T13:00:00.250Z</Stamp><Raw>aGk=</Raw><Nested><Key>n</Key></Nested><Score>1.5</Score><On>true</On><Lists><member><member>a</member></member><member></member></Lists><Big>-9007199254740993</Big></Echo>"#;
    let v = request(&model, &router, "POST", ECHO_URI, ECHO_HEADERS, body);
    assert_eq!(v, merged(&echo_non_body(), &echo_body_tree()));

    let op = model.operation("Echo").unwrap();
    let mut out = v.clone();
    out["Status"] = json!(201);
    let (resp, xml, back) = round_trip(&model, op, &out, rest_xml::respond, rest_xml::parse);
    assert_eq!(resp.status, 201, "a statusCode member overrides responseCode");
    assert_eq!(resp.headers["x-tags"], "a, \"b,c\", d");
    assert_eq!(resp.headers["x-since"], "Wed, 03 Dec 2025 13:00:00 GMT");
    let xml = String::from_utf8(xml).unwrap();
    // The synthetic model's members are in alphabetical order (serde_json sorts the keys).
    assert!(
        xml.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Echo xmlns=\"urn:echo\" kind=\"k1\"><Big>-9007199254740993</Big>\
<Created>2025-12-03T13:00:00Z</Created><Flat>f1</Flat><Flat>f2</Flat><FlatMap><k>x</k><v>y</v></FlatMap><FlatMap><k>z</k><v>w</v></FlatMap>\
<Items><Item tag=\"x\"><Key>a</Key><Value>1</Value></Item><Item><Key>b</Key></Item></Items>\
<Labels><entry><key>a</key><value>b</value></entry></Labels><Lists><member><member>a</member></member><member></member></Lists>"
        ),
        "{xml}"
    );
    assert!(xml.contains("<Stamp>2025-12-03T13:00:00.250Z</Stamp>"), "{xml}");
    let mut want = v.clone();
    for k in ["Name", "Path", "Count", "Ids", "When", "Extra"] {
        want.as_object_mut().unwrap().remove(k);
    }
    assert_eq!(back, want);

    // Without the statusCode member the operation's responseCode.
    let (resp, _) = body_of(rest_xml::respond(&model, op, &v, "r"));
    assert_eq!(resp.status, 202);

    // A blob payload is the raw body, both ways; a structure payload is its own document.
    let blob = model.operation("Blob").unwrap();
    let v = request(&model, &router, "PUT", "/blob/b", &[], b"\x00\x01binary");
    assert_eq!(v, json!({"Name": "b", "Content": "AAFiaW5hcnk="}));
    let (_, raw) = body_of(rest_xml::respond(&model, blob, &v, "r"));
    assert_eq!(raw, b"\x00\x01binary");
    let doc = model.operation("Doc").unwrap();
    let v = request(&model, &router, "PUT", "/doc", &[], br#"<TheItem tag="t"><Key>k</Key></TheItem>"#);
    assert_eq!(v, json!({"Item": {"Key": "k", "Tag": "t"}}));
    let (_, xml, back) = round_trip(&model, doc, &v, rest_xml::respond, rest_xml::parse);
    assert_eq!(
        String::from_utf8(xml).unwrap(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<TheItem xmlns=\"urn:echo\" tag=\"t\"><Key>k</Key></TheItem>"
    );
    assert_eq!(back, v);
}

#[test]
fn every_shape_kind_round_trips_in_rest_json() {
    let model = echo_model("rest-json");
    let router = Router::new(&model);
    let body = br#"{"kind": "k1", "title": "t & u <v>", "Items": [{"Key": "a", "Value": 1, "tag": "x"}, {"Key": "b"}],
        "Flat": ["f1", "f2"], "Numbers": [1, -2], "Labels": {"a": "b"}, "FlatMap": {"x": "y", "z": "w"},
        "Created": 1764766800, "Stamp": "2025-12-03T13:00:00.250Z", "Raw": "aGk=", "Nested": {"Key": "n"},
        "Score": 1.5, "On": true, "Lists": [["a"], []], "Big": -9007199254740993, "TitleEl": "not the json key"}"#;
    let v = request(&model, &router, "POST", ECHO_URI, ECHO_HEADERS, body);
    assert_eq!(v, merged(&echo_non_body(), &echo_body_tree()));

    let op = model.operation("Echo").unwrap();
    let (resp, json_body, back) = round_trip(&model, op, &v, rest_json::respond, rest_json::parse);
    assert_eq!(resp.status, 202);
    assert_eq!(resp.headers["x-dates"], "Wed, 03 Dec 2025 13:00:00 GMT, Thu, 04 Dec 2025 13:00:00 GMT");
    let written: Value = serde_json::from_slice(&json_body).unwrap();
    assert_eq!(written["title"], "t & u <v>");
    assert_eq!(written["Stamp"], "2025-12-03T13:00:00.250Z", "a member's timestampFormat");
    assert_eq!(written["Created"], 1764766800, "epoch seconds by default");
    assert_eq!(written["Items"][0]["tag"], "x");
    let mut want = v.clone();
    for k in ["Name", "Path", "Count", "Ids", "When", "Extra"] {
        want.as_object_mut().unwrap().remove(k);
    }
    assert_eq!(back, want);

    let blob = model.operation("Blob").unwrap();
    let v = request(&model, &router, "PUT", "/blob/b", &[], b"\x00\x01binary");
    assert_eq!(v, json!({"Name": "b", "Content": "AAFiaW5hcnk="}));
    let (_, raw) = body_of(rest_json::respond(&model, blob, &v, "r"));
    assert_eq!(raw, b"\x00\x01binary");
    let doc = model.operation("Doc").unwrap();
    let v = request(&model, &router, "PUT", "/doc", &[], br#"{"Key": "k", "tag": "t"}"#);
    assert_eq!(v, json!({"Item": {"Key": "k", "Tag": "t"}}));
    let (_, body, back) = round_trip(&model, doc, &v, rest_json::respond, rest_json::parse);
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap(), json!({"Key": "k", "tag": "t"}));
    assert_eq!(back, v);
}

fn any_method() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["GET", "PUT", "POST", "HEAD", "DELETE", "get", "PATCH", ""]).prop_map(str::to_owned)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_routers_never_panic(method in any_method(), path in "(/[a-z0-9%{}+?=&.-]{0,8}){0,6}/?", query in "[a-z0-9%&=+-]{0,24}") {
        for router in [&*S3_ROUTER, &*ROUTE53_ROUTER, &*GUARDDUTY_ROUTER] {
            if let Some((op, labels)) = router.route(&method, &path, &query) {
                prop_assert!(op.method.eq_ignore_ascii_case(&method));
                prop_assert!(labels.iter().all(|(_, v)| !v.is_empty()));
            }
        }
    }

    #[test]
    fn the_xml_parser_never_panics(body in prop::collection::vec(any::<u8>(), 0..256)) {
        for (method, uri) in [("PUT", "/b?tagging"), ("POST", "/b?delete"), ("PUT", "/b")] {
            let _ = try_request(&S3, &S3_ROUTER, method, uri, &[], &body);
        }
        let _ = try_request(&ROUTE53, &ROUTE53_ROUTER, "POST", "/2013-04-01/hostedzone", &[], &body);
        let _ = rest_xml::read_document(&body);
    }

    #[test]
    fn xml_like_bodies_never_panic(body in "(<|>|/|Tagging|TagSet|Tag|Key|Value|Delete|Object|Quiet|&amp;|&#|x|;|=|'|\"| |!--|\\?|\\[CDATA\\[|\\]\\]|1|true){0,40}") {
        let _ = try_request(&S3, &S3_ROUTER, "PUT", "/b?tagging", &[], body.as_bytes());
        let _ = try_request(&S3, &S3_ROUTER, "POST", "/b?delete", &[], body.as_bytes());
    }

    #[test]
    fn the_json_parser_never_panics(body in prop::collection::vec(any::<u8>(), 0..256), json in "(\\{|\\}|\\[|\\]|\"enable\"|\"tags\"|\"features\"|\"name\"|:|,|true|1|null|\"x\"){0,40}") {
        let _ = try_request(&GUARDDUTY, &GUARDDUTY_ROUTER, "POST", "/detector", &[], &body);
        let _ = try_request(&GUARDDUTY, &GUARDDUTY_ROUTER, "POST", "/detector", &[], json.as_bytes());
        let _ = try_request(&GUARDDUTY, &GUARDDUTY_ROUTER, "POST", "/detector/d/findings", &[], json.as_bytes());
    }

    #[test]
    fn header_and_query_values_never_panic(value in "[ -~]{0,40}", query in "[a-z0-9%&=+-]{0,40}") {
        let headers = [("Content-Length", value.as_str()), ("If-Modified-Since", value.as_str()), ("x-amz-meta-a", value.as_str()), ("x-amz-optional-object-attributes", value.as_str())];
        let uri = format!("/b/k?{query}");
        if let Ok(p) = http::Request::builder().method("GET").uri(uri.as_str()).body(()) {
            let p = p.into_parts().0;
            let _ = p;
            let _ = try_request(&S3, &S3_ROUTER, "GET", &uri, &headers, b"");
            let _ = try_request(&S3, &S3_ROUTER, "PUT", &uri, &headers, b"");
        }
    }
}

#[test]
fn parse_dispatches_on_the_protocol_and_validates() {
    let p = parts("POST", "/detector", &[]);
    let (op, labels) = GUARDDUTY_ROUTER.route("POST", "/detector", "").unwrap();
    let e = rampart_wire::model::rest::parse(&GUARDDUTY, op, &p, &labels, br#"{"clientToken": "t"}"#).unwrap_err();
    assert_eq!((e.code(), e.status()), ("ValidationException", 400));
    assert!(e.message().contains("enable"), "{}", e.message());
    let v = rampart_wire::model::rest::parse(&GUARDDUTY, op, &p, &labels, br#"{"enable": true}"#).unwrap();
    assert_eq!(v, json!({"Enable": true}));
    let p = parts("GET", "/detector?maxResults=500", &[]);
    let (op, labels) = GUARDDUTY_ROUTER.route("GET", "/detector", "maxResults=500").unwrap();
    let e = rampart_wire::model::rest::parse(&GUARDDUTY, op, &p, &labels, b"").unwrap_err();
    assert_eq!(e.code(), "ValidationException");

    let p = parts("PUT", "/b?tagging", &[]);
    let (op, labels) = S3_ROUTER.route("PUT", "/b", "tagging").unwrap();
    let v = rampart_wire::model::rest::parse(&S3, op, &p, &labels, b"<Tagging><TagSet/></Tagging>").unwrap();
    assert_eq!(v, json!({"Bucket": "b", "Tagging": {"TagSet": []}}));
    let e = rampart_wire::model::rest::parse(&S3, op, &p, &labels, b"").unwrap_err();
    assert_eq!((e.code(), e.status()), ("InvalidArgument", 400), "the required payload is missing");

    let (_, body) = text(rampart_wire::model::rest::respond(
        &GUARDDUTY,
        GUARDDUTY.operation("ListDetectors").unwrap(),
        &json!({"DetectorIds": ["d"]}),
        "r",
    ));
    assert_eq!(body, r#"{"detectorIds":["d"]}"#);
}

#[test]
fn namespace_declarations_are_not_attributes_and_modeled_headers_win() {
    let model = echo_model("rest-xml");
    let router = Router::new(&model);
    let v = request(&model, &router, "PUT", "/doc", &[], br#"<TheItem xmlns:tag="urn:x"><Key>k</Key></TheItem>"#);
    assert_eq!(v, json!({"Item": {"Key": "k"}}));
    let op = S3.operation("GetObject").unwrap();
    let (parts, body) = body_of(rest_xml::respond(&S3, op, &json!({"Body": "aGk=", "ContentType": "text/csv"}), "r"));
    assert_eq!(parts.headers.get_all("content-type").iter().collect::<Vec<_>>(), ["text/csv"]);
    assert_eq!(body, b"hi");
}
