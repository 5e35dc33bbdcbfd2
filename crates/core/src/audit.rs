//! Audit records: one per call, allowed, denied or failed, in CloudTrail's event shape.

use crate::AwsError;
use crate::principal::Principal;
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::sync::Arc;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Who made a call, as far as the pipeline got in finding out.
#[derive(Debug, Clone)]
pub enum CallerIdentity {
    /// An authenticated principal.
    Principal(Arc<Principal>),
    /// Not authenticated: unsigned, or the signature failed (with the key id it claimed).
    Unknown {
        /// The access key id the request named, if any.
        access_key_id: Option<String>,
    },
}

/// One CloudTrail-shaped event describing one API call.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    /// Unique id of the event.
    pub event_id: String,
    /// When the call was received.
    pub event_time: OffsetDateTime,
    /// `sts.amazonaws.com`, `kms.amazonaws.com`, ...
    pub event_source: Cow<'static, str>,
    /// The operation name, or `Unknown` when the request never got that far.
    pub event_name: Cow<'static, str>,
    /// The region the request was addressed to.
    pub aws_region: String,
    /// The client's address.
    pub source_ip: String,
    /// The client's `User-Agent`.
    pub user_agent: String,
    /// CloudTrail `userIdentity`.
    pub caller: CallerIdentity,
    /// Request parameters with secrets removed; `null` when the call had none.
    pub request_parameters: Value,
    /// The error code, when the call failed.
    pub error_code: Option<String>,
    /// The error message, when the call failed.
    pub error_message: Option<String>,
    /// The request id returned to the client.
    pub request_id: String,
    /// Whether the call only reads.
    pub read_only: bool,
}

/// The longest `userAgent` a record keeps, in bytes; a longer one is cut there.
pub const MAX_USER_AGENT: usize = 1024;
/// The longest `errorMessage` a record keeps, in bytes (the client's answer is not cut).
pub const MAX_ERROR_MESSAGE: usize = 1024;
/// The longest `awsRegion` a record keeps, in bytes.
pub const MAX_REGION: usize = 64;
/// The longest access key id an unauthenticated record keeps, in bytes (real ids are at most 128
/// characters).
pub const MAX_ACCESS_KEY_ID: usize = 128;
/// The largest `requestParameters` a record keeps, in bytes of JSON; larger ones are left out
/// (`null`).
pub const MAX_REQUEST_PARAMETERS: usize = 100 * 1024;

/// `text` cut to at most `max` bytes on a character boundary; notes in `cut` that it was.
fn bounded<'a>(text: &'a str, max: usize, cut: &mut bool) -> &'a str {
    if text.len() <= max {
        return text;
    }
    *cut = true;
    let mut at = max;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    &text[..at]
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UnknownIdentity<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_key_id: Option<&'a str>,
}

impl AuditRecord {
    /// Sets the error fields from `err`.
    pub fn set_error(&mut self, err: &AwsError) {
        self.error_code = Some(err.code().to_owned());
        self.error_message = Some(err.message().to_owned());
    }

    /// The event as CloudTrail's JSON text.
    ///
    /// Fields the client controls are bounded as CloudTrail bounds them: a field over its limit
    /// ([`MAX_USER_AGENT`], [`MAX_ERROR_MESSAGE`], [`MAX_REGION`], [`MAX_ACCESS_KEY_ID`],
    /// [`MAX_REQUEST_PARAMETERS`]) is
    /// cut or left out, and the record then carries `"omitted": true`.
    ///
    /// Written directly rather than through `serde`: it runs for every call, and its strings
    /// (ids, ARNs, base64 blobs among the request parameters) almost never need escaping, which
    /// is checked here in one pass that the compiler vectorizes. The text is exactly what
    /// `serde_json` writes for the same event.
    pub fn to_json_string(&self) -> String {
        let mut omitted = false;
        let unknown;
        let (user_identity, account): (&RawValue, Option<&str>) = match &self.caller {
            CallerIdentity::Principal(p) => (p.user_identity_json(), Some(p.account_id.as_str())),
            CallerIdentity::Unknown { access_key_id } => {
                unknown = serde_json::value::to_raw_value(&UnknownIdentity {
                    kind: "Unknown",
                    access_key_id: access_key_id.as_deref().map(|id| bounded(id, MAX_ACCESS_KEY_ID, &mut omitted)),
                })
                .expect("plain data serializes");
                (&*unknown, None)
            }
        };
        let time =
            self.event_time.replace_nanosecond(0).unwrap_or(self.event_time).format(&Rfc3339).unwrap_or_default();
        let region = bounded(&self.aws_region, MAX_REGION, &mut omitted);
        let user_agent = bounded(&self.user_agent, MAX_USER_AGENT, &mut omitted);
        let error_message = self.error_message.as_deref().map(|m| bounded(m, MAX_ERROR_MESSAGE, &mut omitted));
        let mut out = String::with_capacity(512 + user_identity.get().len());
        out.push_str(r#"{"eventVersion":"1.08","userIdentity":"#);
        out.push_str(user_identity.get());
        for (name, value) in [
            ("eventTime", Some(time.as_str())),
            ("eventSource", Some(&*self.event_source)),
            ("eventName", Some(&*self.event_name)),
            ("awsRegion", Some(region)),
            ("sourceIPAddress", Some(self.source_ip.as_str())),
            ("userAgent", Some(user_agent)),
            ("errorCode", self.error_code.as_deref()),
            ("errorMessage", error_message),
        ] {
            if let Some(value) = value {
                out.push_str(",\"");
                out.push_str(name);
                out.push_str("\":");
                push_json_str(&mut out, value);
            }
        }
        out.push_str(r#","requestParameters":"#);
        let at = out.len();
        push_json_value(&mut out, &self.request_parameters);
        if out.len() - at > MAX_REQUEST_PARAMETERS {
            out.truncate(at);
            out.push_str("null");
            omitted = true;
        }
        out.push_str(r#","responseElements":null,"requestID":"#);
        push_json_str(&mut out, &self.request_id);
        out.push_str(r#","eventID":"#);
        push_json_str(&mut out, &self.event_id);
        out.push_str(if self.read_only { r#","readOnly":true"# } else { r#","readOnly":false"# });
        out.push_str(r#","eventType":"AwsApiCall","managementEvent":true"#);
        if let Some(account) = account {
            out.push_str(r#","recipientAccountId":"#);
            push_json_str(&mut out, account);
        }
        if omitted {
            out.push_str(r#","omitted":true"#);
        }
        out.push('}');
        out
    }
}

/// Appends `text` as a JSON string, escaped exactly as `serde_json` escapes it.
fn push_json_str(out: &mut String, text: &str) {
    // Without short-circuiting, so that it vectorizes: what serde_json escapes is control
    // characters, the quote and the backslash.
    let needs_escape = text.bytes().fold(false, |found, b| found | (b < 0x20) | (b == b'"') | (b == b'\\'));
    if needs_escape {
        out.push_str(&serde_json::to_string(text).expect("a string serializes"));
    } else {
        out.push('"');
        out.push_str(text);
        out.push('"');
    }
}

/// Appends `value` as `serde_json` writes it (compact; object keys in the map's order).
fn push_json_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&serde_json::to_string(n).expect("a number serializes")),
        Value::String(s) => push_json_str(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json_str(out, k);
                out.push(':');
                push_json_value(out, v);
            }
            out.push('}');
        }
    }
}

/// Why an audit record could not be made durable.
#[derive(Debug, Clone, thiserror::Error)]
#[error("audit log unavailable: {0}")]
pub struct AuditError(pub String);

/// A pending append: resolves once the record is durable (or failed to become so).
pub type AuditReceipt = tokio::sync::oneshot::Receiver<Result<(), AuditError>>;

/// Where audit records go. The pipeline waits for the receipt before it answers the client.
pub trait AuditSink: Send + Sync + 'static {
    /// Queues `record` for durable storage; the receipt resolves once it is durable.
    fn append(&self, record: &AuditRecord) -> AuditReceipt;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::AccountId;
    use serde_json::json;

    /// The event as `serde` writes it: what [`AuditRecord::to_json_string`] must match.
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Event<'a> {
        event_version: &'static str,
        user_identity: &'a RawValue,
        event_time: &'a str,
        event_source: &'a str,
        event_name: &'a str,
        aws_region: &'a str,
        #[serde(rename = "sourceIPAddress")]
        source_ip_address: &'a str,
        user_agent: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        error_code: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        error_message: Option<&'a str>,
        request_parameters: &'a Value,
        response_elements: Option<()>,
        #[serde(rename = "requestID")]
        request_id: &'a str,
        #[serde(rename = "eventID")]
        event_id: &'a str,
        read_only: bool,
        event_type: &'static str,
        management_event: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        recipient_account_id: Option<&'a str>,
    }

    fn with_serde(r: &AuditRecord) -> String {
        let unknown;
        let (user_identity, account): (&RawValue, Option<&str>) = match &r.caller {
            CallerIdentity::Principal(p) => (p.user_identity_json(), Some(p.account_id.as_str())),
            CallerIdentity::Unknown { access_key_id } => {
                unknown = serde_json::value::to_raw_value(&UnknownIdentity {
                    kind: "Unknown",
                    access_key_id: access_key_id.as_deref(),
                })
                .unwrap();
                (&*unknown, None)
            }
        };
        let time = r.event_time.replace_nanosecond(0).unwrap_or(r.event_time).format(&Rfc3339).unwrap();
        serde_json::to_string(&Event {
            event_version: "1.08",
            user_identity,
            event_time: &time,
            event_source: &r.event_source,
            event_name: &r.event_name,
            aws_region: &r.aws_region,
            source_ip_address: &r.source_ip,
            user_agent: &r.user_agent,
            error_code: r.error_code.as_deref(),
            error_message: r.error_message.as_deref(),
            request_parameters: &r.request_parameters,
            response_elements: None,
            request_id: &r.request_id,
            event_id: &r.event_id,
            read_only: r.read_only,
            event_type: "AwsApiCall",
            management_event: true,
            recipient_account_id: account,
        })
        .unwrap()
    }

    fn record(caller: CallerIdentity, params: Value) -> AuditRecord {
        AuditRecord {
            event_id: "0f6e7a3c-2b1d-4e5f-8a9b-0c1d2e3f4a5b".into(),
            event_time: time::macros::datetime!(2025-03-04 05:06:07.891 UTC),
            event_source: "kms.amazonaws.com".into(),
            event_name: "Decrypt".into(),
            aws_region: "us-east-1".into(),
            source_ip: "127.0.0.1".into(),
            user_agent: "Boto3/1.43 md/Botocore#1.43 ua/2.1 os/linux".into(),
            caller,
            request_parameters: params,
            error_code: None,
            error_message: None,
            request_id: "a1b2c3d4-0000-4000-8000-123456789abc".into(),
            read_only: false,
        }
    }

    #[test]
    fn written_exactly_as_serde_writes_it() {
        let every_ascii: String = (0u8..0x80).map(char::from).collect();
        let root = Arc::new(Principal::root(AccountId::parse("111122223333").unwrap(), "AKIAEXAMPLE"));
        let params = json!({
            "ciphertextBlob": "UktDAST".repeat(300) + "==",
            "keyId": "alias/with \"quotes\" and \\ backslash",
            "encryptionContext": {"tab\there": "new\nline", "unicode é 🔑": "\u{1}\u{1f}\u{7f}"},
            "every": every_ascii,
            "numbers": [0, -1, 1.5, 1e300, u64::MAX, i64::MIN],
            "flags": [true, false, null],
            "empty": {"object": {}, "array": [], "string": ""},
        });
        let mut failed = record(CallerIdentity::Unknown { access_key_id: Some("AKIA\"odd".into()) }, params.clone());
        failed.set_error(&AwsError::new("AccessDeniedException", 400, "User: x is not \"authorized\"\n"));
        failed.read_only = true;
        for r in [
            record(CallerIdentity::Principal(root), params),
            failed,
            record(CallerIdentity::Unknown { access_key_id: None }, Value::Null),
        ] {
            assert_eq!(r.to_json_string(), with_serde(&r));
        }
    }

    #[test]
    fn client_controlled_fields_are_bounded() {
        let mut r = record(
            CallerIdentity::Unknown { access_key_id: Some("AKIA".repeat(10_000)) },
            json!({"policyDocument": "x".repeat(MAX_REQUEST_PARAMETERS)}),
        );
        r.user_agent = "é".repeat(100_000);
        r.aws_region = "zz-".repeat(70_000);
        r.set_error(&AwsError::new("InvalidClientTokenId", 403, "m".repeat(50_000)));
        let text = r.to_json_string();
        assert!(text.len() < 4 * 1024, "a record of {} bytes", text.len());
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["omitted"], json!(true));
        assert_eq!(v["requestParameters"], Value::Null);
        assert_eq!(v["userAgent"].as_str().unwrap().len(), MAX_USER_AGENT);
        assert_eq!(v["errorMessage"].as_str().unwrap().len(), MAX_ERROR_MESSAGE);
        assert!(v["awsRegion"].as_str().unwrap().len() <= MAX_REGION);
        assert_eq!(v["userIdentity"]["accessKeyId"].as_str().unwrap().len(), MAX_ACCESS_KEY_ID);
        // Within every bound, nothing is cut and no `omitted` appears.
        let small = record(CallerIdentity::Unknown { access_key_id: None }, json!({"userName": "alice"}));
        let v: Value = serde_json::from_str(&small.to_json_string()).unwrap();
        assert!(v.get("omitted").is_none());
        assert_eq!(v["requestParameters"], json!({"userName": "alice"}));
    }
}
