//! The pipeline serving a modeled Smithy RPC v2 CBOR service (CloudWatch, from its trimmed model)
//! end to end: routing by `/service/{targetPrefix}/operation/{Op}`, CBOR input parsed and checked
//! by the model before any handler runs, typed output written back as CBOR, errors in the
//! protocol's CBOR shape, the anonymous/authenticated split, and one audit record per call.

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use rampart_core::AwsError;
use rampart_core::audit::{AuditReceipt, AuditRecord, AuditSink, CallerIdentity};
use rampart_core::authz::{Authorizer, AuthzRequest, Decision, Denial};
use rampart_core::clock::FixedClock;
use rampart_core::credentials::{Credential, CredentialProvider};
use rampart_server::{ConnectionLimits, ListenerConfig, Pipeline, PipelineConfig};
use rampart_wire::model::{Model, Shaped};
use rampart_wire::{Access, Operation, Service};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

const CLOUDWATCH_PATH: &str = "/service/GraniteServiceVersion20100801/operation/";
const EVENT_SOURCE: &str = "monitoring.amazonaws.com";

// ---------------------------------------------------------------------------------------------
// Fakes.

/// No access key exists: every signed call is unknown (only unsigned calls are made here).
struct NoCredentials;

impl CredentialProvider for NoCredentials {
    fn lookup(&self, _access_key_id: &str) -> Result<Option<Arc<Credential>>, AwsError> {
        Ok(None)
    }
}

/// Refuses everything: no call here may reach the policy engine (they are all unsigned).
struct DenyAll;

impl Authorizer for DenyAll {
    fn authorize(&self, request: &AuthzRequest<'_>) -> Result<(), Denial> {
        Err(Denial { decision: Decision::ImplicitDeny, message: format!("not authorized: {}", request.action) })
    }
}

/// Keeps every record and acknowledges it at once.
#[derive(Default)]
struct RecordingAudit(Mutex<Vec<AuditRecord>>);

impl AuditSink for RecordingAudit {
    fn append(&self, record: &AuditRecord) -> AuditReceipt {
        self.0.lock().unwrap().push(record.clone());
        let (tx, rx) = tokio::sync::oneshot::channel();
        tx.send(Ok(())).expect("the receiver is alive");
        rx
    }
}

// ---------------------------------------------------------------------------------------------
// The service.

/// `ListMetrics`, typed as its value tree.
struct ListMetrics;

impl Shaped for ListMetrics {
    const NAME: &'static str = "ListMetrics";
    type Input = Value;
    type Output = Value;
}

/// `PutMetricData`, typed as its value tree.
struct PutMetricData;

impl Shaped for PutMetricData {
    const NAME: &'static str = "PutMetricData";
    type Input = Value;
    type Output = Value;
}

/// What a handler saw: the operation, the input it was handed, and whether the call was signed.
type Seen = Arc<Mutex<Vec<(&'static str, Value, bool)>>>;

fn list_metrics_output() -> Value {
    json!({
        "Metrics": [{
            "Namespace": "AWS/EC2",
            "MetricName": "CPUUtilization",
            "Dimensions": [{"Name": "InstanceId", "Value": "i-1"}]
        }],
        "NextToken": "t"
    })
}

/// A server on a loopback port (plain HTTP), the pipeline behind it, and what it recorded.
///
/// Calls go over TCP through [`rampart_server::serve`]: `Pipeline::handle` is public, but its
/// `Peer` argument is not exported from the crate, so nothing outside it can call `handle`.
struct Harness {
    addr: SocketAddr,
    audit: Arc<RecordingAudit>,
    seen: Seen,
}

/// A pipeline serving CloudWatch with `ListMetrics` (anonymous, read-only) and `PutMetricData`
/// declared with `put_access`.
async fn harness(put_access: Access) -> Harness {
    let model = Arc::new(Model::from_json(include_str!("../../wire/model/monitoring.json")).expect("model reads"));
    let seen: Seen = Arc::default();
    let list_seen = Arc::clone(&seen);
    let put_seen = Arc::clone(&seen);
    let service = Service::from_model("monitoring", model)
        .operation(
            Operation::modeled::<ListMetrics, _, _>("cloudwatch:ListMetrics", move |call, input: Value| {
                list_seen.lock().unwrap().push(("ListMetrics", input, call.principal.is_some()));
                async move { Ok(list_metrics_output()) }
            })
            .access(Access::Anonymous)
            .read_only(),
        )
        .operation(
            Operation::modeled::<PutMetricData, _, _>("cloudwatch:PutMetricData", move |call, input: Value| {
                put_seen.lock().unwrap().push(("PutMetricData", input, call.principal.is_some()));
                async move { Ok(json!({})) }
            })
            .access(put_access),
        );
    let audit = Arc::new(RecordingAudit::default());
    let pipeline = Pipeline::new(
        vec![service],
        Arc::new(NoCredentials),
        Arc::new(DenyAll),
        Arc::clone(&audit) as Arc<dyn AuditSink>,
        Arc::new(FixedClock::at(1_780_000_000)),
        PipelineConfig::default(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
    let addr = listener.local_addr().expect("its address");
    let config =
        ListenerConfig { tls: None, limits: ConnectionLimits::default(), drain_timeout: Duration::from_secs(1) };
    tokio::spawn(rampart_server::serve(listener, Arc::new(pipeline), config, std::future::pending()));
    Harness { addr, audit, seen }
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Answer {
    /// The body, decoded from CBOR.
    fn cbor(&self) -> Value {
        ciborium::from_reader(&self.body[..])
            .unwrap_or_else(|e| panic!("the body is not CBOR ({e}): {:02x?}", &self.body[..]))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().expect("an ASCII header"))
    }

    /// Asserts an RPC v2 CBOR error answer with `code` and `status`.
    fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.cbor());
        assert_eq!(self.header("smithy-protocol"), Some("rpc-v2-cbor"));
        assert_eq!(self.header("content-type"), Some("application/cbor"));
        assert_eq!(self.header("x-amzn-errortype"), Some(code));
        assert!(self.header("x-amzn-requestid").is_some_and(|id| !id.is_empty()));
        let body = self.cbor();
        assert_eq!(body["__type"], json!(code), "body: {body}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "body: {body}");
    }
}

fn cbor(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).expect("a JSON value writes as CBOR");
    out
}

impl Harness {
    /// An unsigned RPC v2 CBOR request to `path`.
    async fn post(&self, path: &str, body: Vec<u8>) -> Answer {
        self.post_with(path, body, &[]).await
    }

    async fn post_with(&self, path: &str, body: Vec<u8>, headers: &[(&str, &str)]) -> Answer {
        let mut req = Request::builder()
            .method("POST")
            .uri(path)
            .header("host", self.addr.to_string())
            .header("smithy-protocol", "rpc-v2-cbor")
            .header("content-type", "application/cbor")
            .header("accept", "application/cbor")
            .header("user-agent", "modeled-protocols-test")
            .header("content-length", body.len().to_string());
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let req = req.body(Full::new(Bytes::from(body))).expect("a valid request");
        let stream = TcpStream::connect(self.addr).await.expect("the server accepts");
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.expect("an HTTP/1.1 connection");
        tokio::spawn(conn);
        let resp = sender.send_request(req).await.expect("an answer");
        let (parts, body) = resp.into_parts();
        let body = body.collect().await.expect("a buffered body").to_bytes();
        Answer { status: parts.status, headers: parts.headers, body }
    }

    /// The one audit record of the one call made so far.
    fn only_record(&self) -> AuditRecord {
        let records = self.audit.0.lock().unwrap();
        assert_eq!(records.len(), 1, "one call, one record: {records:#?}");
        records[0].clone()
    }

    fn records(&self) -> Vec<AuditRecord> {
        self.audit.0.lock().unwrap().clone()
    }

    fn handler_calls(&self) -> Vec<(&'static str, Value, bool)> {
        self.seen.lock().unwrap().clone()
    }
}

/// Asserts what every record of an unsigned call carries.
fn assert_unsigned_record(r: &AuditRecord, event_source: &str, event_name: &str, error: Option<&str>) {
    assert_eq!(r.event_source, event_source, "{r:#?}");
    assert_eq!(r.event_name, event_name, "{r:#?}");
    assert_eq!(r.error_code.as_deref(), error, "{r:#?}");
    assert_eq!(r.error_message.is_some(), error.is_some(), "{r:#?}");
    assert_eq!(r.source_ip, "127.0.0.1");
    assert_eq!(r.user_agent, "modeled-protocols-test");
    assert_eq!(r.aws_region, "us-east-1");
    assert!(matches!(r.caller, CallerIdentity::Unknown { access_key_id: None }), "{r:#?}");
    assert!(!r.request_id.is_empty() && !r.event_id.is_empty());
}

// ---------------------------------------------------------------------------------------------
// 1. A well-formed anonymous call.

#[tokio::test]
async fn an_unsigned_cbor_list_metrics_is_answered_in_cbor_from_the_model() {
    let h = harness(Access::Authorized).await;
    let input = json!({"Namespace": "AWS/EC2", "Dimensions": [{"Name": "InstanceId", "Value": "i-1"}]});
    let answer = h.post(&format!("{CLOUDWATCH_PATH}ListMetrics"), cbor(&input)).await;

    assert_eq!(answer.status, StatusCode::OK, "body: {:02x?}", &answer.body[..]);
    assert_eq!(answer.header("smithy-protocol"), Some("rpc-v2-cbor"));
    assert_eq!(answer.header("content-type"), Some("application/cbor"));
    assert!(answer.header("x-amzn-errortype").is_none());
    let request_id = answer.header("x-amzn-requestid").expect("a request id").to_owned();
    assert_eq!(answer.cbor(), list_metrics_output());

    // The handler got exactly the typed input sent, unsigned.
    assert_eq!(h.handler_calls(), vec![("ListMetrics", input, false)]);

    let r = h.only_record();
    assert_unsigned_record(&r, EVENT_SOURCE, "ListMetrics", None);
    assert_eq!(r.request_id, request_id);
    assert!(r.read_only);
    assert_eq!(
        r.request_parameters,
        json!({"namespace": "AWS/EC2", "dimensions": [{"name": "InstanceId", "value": "i-1"}]})
    );
}

#[tokio::test]
async fn an_empty_body_is_an_empty_input() {
    let h = harness(Access::Authorized).await;
    let answer = h.post(&format!("{CLOUDWATCH_PATH}ListMetrics"), Vec::new()).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.cbor(), list_metrics_output());
    assert_eq!(h.handler_calls(), vec![("ListMetrics", json!({}), false)]);
    let r = h.only_record();
    assert_unsigned_record(&r, EVENT_SOURCE, "ListMetrics", None);
    assert_eq!(r.request_parameters, Value::Null);
}

#[tokio::test]
async fn members_the_model_does_not_know_are_dropped_before_the_handler() {
    let h = harness(Access::Authorized).await;
    let input = json!({"Namespace": "AWS/EC2", "Surprise": {"nested": [1, 2, 3]}});
    let answer = h.post(&format!("{CLOUDWATCH_PATH}ListMetrics"), cbor(&input)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(h.handler_calls(), vec![("ListMetrics", json!({"Namespace": "AWS/EC2"}), false)]);
    assert_eq!(h.only_record().request_parameters, json!({"namespace": "AWS/EC2"}));
}

// ---------------------------------------------------------------------------------------------
// 2. Bodies breaking the model.

#[tokio::test]
async fn a_namespace_over_the_model_maximum_is_a_validation_exception() {
    let h = harness(Access::Authorized).await;
    let input = json!({"Namespace": "N".repeat(256)});
    let answer = h.post(&format!("{CLOUDWATCH_PATH}ListMetrics"), cbor(&input)).await;
    answer.assert_error(400, "ValidationException");
    let message = answer.cbor()["message"].as_str().unwrap().to_owned();
    assert!(message.contains("namespace") || message.contains("Namespace"), "{message}");
    assert!(h.handler_calls().is_empty(), "the handler ran on an invalid input");
    let r = h.only_record();
    assert_unsigned_record(&r, EVENT_SOURCE, "ListMetrics", Some("ValidationException"));
    assert_eq!(r.error_message.as_deref(), Some(message.as_str()));
}

#[tokio::test]
async fn a_namespace_breaking_the_model_pattern_is_a_validation_exception() {
    let h = harness(Access::Authorized).await;
    let answer = h.post(&format!("{CLOUDWATCH_PATH}ListMetrics"), cbor(&json!({"Namespace": ":AWS"}))).await;
    answer.assert_error(400, "ValidationException");
    assert!(h.handler_calls().is_empty());
    assert_unsigned_record(&h.only_record(), EVENT_SOURCE, "ListMetrics", Some("ValidationException"));
}

#[tokio::test]
async fn a_member_of_the_wrong_cbor_type_is_a_serialization_exception() {
    let h = harness(Access::Authorized).await;
    for (input, about) in [
        (json!({"MetricName": 42}), "MetricName"),
        (json!({"Namespace": ["AWS/EC2"]}), "Namespace"),
        (json!({"Dimensions": {"Name": "x"}}), "Dimensions"),
        (json!({"RecentlyActive": true}), "RecentlyActive"),
    ] {
        let answer = h.post(&format!("{CLOUDWATCH_PATH}ListMetrics"), cbor(&input)).await;
        answer.assert_error(400, "SerializationException");
        let message = answer.cbor()["message"].as_str().unwrap().to_owned();
        assert!(message.contains(about), "{input}: {message}");
    }
    assert!(h.handler_calls().is_empty(), "the handler ran on an ill-typed input");
    let records = h.records();
    assert_eq!(records.len(), 4);
    for r in &records {
        assert_unsigned_record(r, EVENT_SOURCE, "ListMetrics", Some("SerializationException"));
    }
}

#[tokio::test]
async fn a_missing_required_nested_member_is_a_validation_exception() {
    let h = harness(Access::Authorized).await;
    // `DimensionFilter` requires `Name`.
    let input = json!({"Dimensions": [{"Value": "i-1"}]});
    let answer = h.post(&format!("{CLOUDWATCH_PATH}ListMetrics"), cbor(&input)).await;
    answer.assert_error(400, "ValidationException");
    assert!(h.handler_calls().is_empty());
    assert_unsigned_record(&h.only_record(), EVENT_SOURCE, "ListMetrics", Some("ValidationException"));
}

// ---------------------------------------------------------------------------------------------
// 3. Unknown operations and malformed bodies: the protocol's errors, never a 500.

#[tokio::test]
async fn an_unknown_operation_is_the_protocols_unknown_operation_error() {
    let h = harness(Access::Authorized).await;
    // Not in the model; in the model but not served; no operation name; no `/operation/`
    // segment; a name in the wrong case (operation names are exact).
    for path in [
        format!("{CLOUDWATCH_PATH}NoSuchOperation"),
        format!("{CLOUDWATCH_PATH}DescribeAlarms"),
        CLOUDWATCH_PATH.to_owned(),
        "/service/GraniteServiceVersion20100801/ListMetrics".to_owned(),
        format!("{CLOUDWATCH_PATH}listmetrics"),
    ] {
        let answer = h.post(&path, cbor(&json!({}))).await;
        answer.assert_error(400, "UnknownOperationException");
    }
    assert!(h.handler_calls().is_empty());
    let records = h.records();
    assert_eq!(records.len(), 5);
    for r in &records {
        // The service is known from the path; the operation never was.
        assert_unsigned_record(r, EVENT_SOURCE, "Unknown", Some("UnknownOperationException"));
        assert_eq!(r.request_parameters, Value::Null);
    }
}

#[tokio::test]
async fn malformed_cbor_is_a_serialization_exception() {
    let h = harness(Access::Authorized).await;
    let bodies: Vec<Vec<u8>> = vec![
        vec![0xa1, 0x69],                               // a map whose key is cut short
        vec![0xa1],                                     // a map missing its entry
        vec![0xff],                                     // a break outside any item
        vec![0x01],                                     // an integer, not a map
        b"{\"Namespace\": \"AWS/EC2\"}".to_vec(),       // JSON, not CBOR
        vec![0xa0, 0x00],                               // bytes after the item
        vec![0xbb, 0x10, 0, 0, 0, 0, 0, 0, 0],          // a map claiming 2^60 entries
        vec![0xa1, 0x62, 0xff, 0xfe, 0x61, 0x78],       // a key that is not UTF-8
        vec![0xa2, 0x61, 0x78, 0x01, 0x61, 0x78, 0x02], // a key given twice
        vec![0xa1, 0x01, 0x02],                         // an integer key
        vec![0xa1, 0x69, b'N', b'a', b'm', b'e', b's', b'p', b'a', b'c', b'e', 0x7c], // reserved info
    ];
    let n = bodies.len();
    for body in bodies {
        let shown = format!("{body:02x?}");
        let answer = h.post(&format!("{CLOUDWATCH_PATH}ListMetrics"), body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{shown}");
        answer.assert_error(400, "SerializationException");
    }
    assert!(h.handler_calls().is_empty());
    let records = h.records();
    assert_eq!(records.len(), n);
    for r in &records {
        assert_unsigned_record(r, EVENT_SOURCE, "ListMetrics", Some("SerializationException"));
    }
}

#[tokio::test]
async fn an_unsigned_call_to_another_service_name_is_a_missing_authentication_error_in_cbor() {
    let h = harness(Access::Authorized).await;
    // No service has this target prefix: unsigned, nothing identifies a service to serve it.
    let answer = h.post("/service/TrentService/operation/ListMetrics", cbor(&json!({}))).await;
    answer.assert_error(400, "MissingAuthenticationTokenException");
    assert!(h.handler_calls().is_empty());
    assert_unsigned_record(&h.only_record(), "unknown", "Unknown", Some("MissingAuthenticationTokenException"));
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_the_protocols_error() {
    let h = harness(Access::Authorized).await;
    let limit = PipelineConfig::default().max_body_bytes;
    let input = json!({"Namespace": "N".repeat(limit)});
    let answer = h.post(&format!("{CLOUDWATCH_PATH}ListMetrics"), cbor(&input)).await;
    answer.assert_error(413, "RequestEntityTooLarge");
    assert!(h.handler_calls().is_empty());
    assert_unsigned_record(&h.only_record(), EVENT_SOURCE, "Unknown", Some("RequestEntityTooLarge"));
}

// ---------------------------------------------------------------------------------------------
// 4. Authenticated operations called unsigned.

#[tokio::test]
async fn an_unsigned_call_to_an_authorized_operation_is_missing_authentication() {
    let h = harness(Access::Authorized).await;
    let input = json!({"Namespace": "App", "MetricData": [{"MetricName": "Latency", "Value": 12.5}]});
    let answer = h.post(&format!("{CLOUDWATCH_PATH}PutMetricData"), cbor(&input)).await;
    answer.assert_error(400, "MissingAuthenticationTokenException");
    assert_eq!(answer.cbor()["message"], json!("Request is missing Authentication Token"));
    assert!(h.handler_calls().is_empty(), "the handler ran unsigned");
    let r = h.only_record();
    assert_unsigned_record(&r, EVENT_SOURCE, "PutMetricData", Some("MissingAuthenticationTokenException"));
    assert!(!r.read_only);
}

#[tokio::test]
async fn an_unsigned_call_to_an_any_authenticated_operation_is_missing_authentication() {
    let h = harness(Access::AnyAuthenticated).await;
    let answer = h.post(&format!("{CLOUDWATCH_PATH}PutMetricData"), cbor(&json!({"Namespace": "App"}))).await;
    answer.assert_error(400, "MissingAuthenticationTokenException");
    assert!(h.handler_calls().is_empty());
    assert_unsigned_record(
        &h.only_record(),
        EVENT_SOURCE,
        "PutMetricData",
        Some("MissingAuthenticationTokenException"),
    );
}

/// A signed call to an anonymous operation is still verified: an unknown key (within the time
/// window of the fixed clock, 2026-05-28T20:26:40Z) and a request time out of the window are each
/// the JSON-family authentication error, in CBOR, and no handler runs.
#[tokio::test]
async fn a_signed_call_is_verified_even_on_an_anonymous_operation() {
    let h = harness(Access::Anonymous).await;
    for (date, code) in
        [("20260528T202000Z", "UnrecognizedClientException"), ("20260403T000000Z", "InvalidSignatureException")]
    {
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/{}/us-east-1/monitoring/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature={}",
            &date[..8],
            "0".repeat(64)
        );
        let answer = h
            .post_with(
                &format!("{CLOUDWATCH_PATH}PutMetricData"),
                cbor(&json!({"Namespace": "App"})),
                &[("authorization", &auth), ("x-amz-date", date)],
            )
            .await;
        answer.assert_error(400, code);
    }
    assert!(h.handler_calls().is_empty());
    let records = h.records();
    assert_eq!(records.len(), 2);
    for (r, code) in records.iter().zip(["UnrecognizedClientException", "InvalidSignatureException"]) {
        assert_eq!(r.event_source, EVENT_SOURCE, "{r:#?}");
        // Refused before the body is read, hence before the operation is known.
        assert_eq!(r.event_name, "Unknown", "{r:#?}");
        assert_eq!(r.error_code.as_deref(), Some(code));
        assert!(
            matches!(&r.caller, CallerIdentity::Unknown { access_key_id: Some(id) } if id == "AKIAIOSFODNN7EXAMPLE"),
            "{r:#?}"
        );
    }
}

/// An anonymous `PutMetricData` reaches its handler with its typed input; its response has no
/// output shape, hence no body and no `Content-Type`.
#[tokio::test]
async fn an_operation_without_output_answers_an_empty_body() {
    let h = harness(Access::Anonymous).await;
    let input = json!({"Namespace": "App", "MetricData": [{"MetricName": "Latency", "Value": 12.5}]});
    let answer = h.post(&format!("{CLOUDWATCH_PATH}PutMetricData"), cbor(&input)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.header("smithy-protocol"), Some("rpc-v2-cbor"));
    assert!(answer.body.is_empty());
    assert!(answer.header("content-type").is_none());
    assert_eq!(h.handler_calls(), vec![("PutMetricData", input, false)]);
    let r = h.only_record();
    assert_unsigned_record(&r, EVENT_SOURCE, "PutMetricData", None);
    assert_eq!(
        r.request_parameters,
        json!({"namespace": "App", "metricData": [{"metricName": "Latency", "value": 12.5}]})
    );
}

// ---------------------------------------------------------------------------------------------
// Authentication before the body; compressed request bodies.

/// AWS authenticates before it reads a body: an unsigned call to an operation that needs a
/// signature is `MissingAuthenticationTokenException` whatever its body says, so an unsigned
/// caller learns nothing of the model's constraints and leaves no parameters in the trail.
#[tokio::test]
async fn an_unsigned_call_to_an_authorized_operation_is_refused_before_its_body_is_checked() {
    let h = harness(Access::Authorized).await;
    let answer = h.post(&format!("{CLOUDWATCH_PATH}PutMetricData"), cbor(&json!({"Namespace": "N".repeat(300)}))).await;
    answer.assert_error(400, "MissingAuthenticationTokenException");
    let answer = h.post(&format!("{CLOUDWATCH_PATH}PutMetricData"), vec![0xa1]).await;
    answer.assert_error(400, "MissingAuthenticationTokenException");
    assert!(h.handler_calls().is_empty());
}

/// A gzip member holding `data` in stored (uncompressed) deflate blocks.
fn gzip_stored(data: &[u8]) -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let chunks: Vec<&[u8]> = if data.is_empty() { vec![&[][..]] } else { data.chunks(0xffff).collect() };
    let last = chunks.len() - 1;
    for (i, chunk) in chunks.into_iter().enumerate() {
        out.push(u8::from(i == last));
        let len = u16::try_from(chunk.len()).expect("a stored block holds at most 65535 bytes");
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_le_bytes());
    out
}

/// A `PutMetricData` input over botocore's default compression threshold as CBOR.
fn large_put_metric_data() -> Value {
    let data: Vec<Value> = (0..500)
        .map(|i| json!({"MetricName": format!("Metric{i:04}"), "Value": f64::from(i), "Unit": "Milliseconds"}))
        .collect();
    json!({"Namespace": "App", "MetricData": data})
}

/// CloudWatch's model marks `PutMetricData` `requestcompression: gzip`: botocore gzips its body
/// once it reaches `request_min_compression_size_bytes` (10 KiB by default) and sends
/// `Content-Encoding: gzip`; the pipeline decodes it before the model reads it.
#[tokio::test]
async fn a_gzip_encoded_put_metric_data_body_is_decoded() {
    let h = harness(Access::Anonymous).await;
    let input = large_put_metric_data();
    let raw = cbor(&input);
    assert!(raw.len() > 10 * 1024, "large enough for botocore to compress: {} bytes", raw.len());
    let answer = h
        .post_with(&format!("{CLOUDWATCH_PATH}PutMetricData"), gzip_stored(&raw), &[("content-encoding", "gzip")])
        .await;
    assert_eq!(answer.status, StatusCode::OK, "body: {:02x?}", &answer.body[..answer.body.len().min(200)]);
    assert_eq!(h.handler_calls(), vec![("PutMetricData", input, false)]);
}

/// The control for the test above: the same body, uncompressed, is served.
#[tokio::test]
async fn a_large_uncompressed_put_metric_data_body_is_served() {
    let h = harness(Access::Anonymous).await;
    let input = large_put_metric_data();
    let answer = h.post(&format!("{CLOUDWATCH_PATH}PutMetricData"), cbor(&input)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(h.handler_calls(), vec![("PutMetricData", input, false)]);
    // The gzip framing itself is checked here so that the test above fails for the right reason.
    let gz = gzip_stored(b"abc");
    assert_eq!(&gz[gz.len() - 8..gz.len() - 4], &0x3524_41c2u32.to_le_bytes());
}

/// A small gzip body that would inflate past the body limit is refused (413) without being
/// inflated further; bytes that are not gzip, or an encoding Rampart does not speak, are refused
/// too, and the handler never runs.
#[tokio::test]
async fn compressed_bodies_are_bounded_and_checked() {
    use std::io::Write as _;
    let h = harness(Access::Anonymous).await;
    let mut bomb = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    bomb.write_all(&vec![0u8; 8 << 20]).unwrap();
    let bomb = bomb.finish().unwrap();
    assert!(bomb.len() < 64 * 1024, "a small body: {} bytes", bomb.len());
    let path = format!("{CLOUDWATCH_PATH}PutMetricData");
    h.post_with(&path, bomb, &[("content-encoding", "gzip")]).await.assert_error(413, "RequestEntityTooLarge");
    h.post_with(&path, b"not gzip".to_vec(), &[("content-encoding", "gzip")])
        .await
        .assert_error(400, "SerializationException");
    h.post_with(&path, cbor(&json!({"Namespace": "App"})), &[("content-encoding", "br")])
        .await
        .assert_error(415, "UnsupportedMediaType");
    assert!(h.handler_calls().is_empty());
}
