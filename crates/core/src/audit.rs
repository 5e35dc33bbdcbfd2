//! Audit records: one per call, allowed, denied or failed, in CloudTrail's event shape.

use crate::AwsError;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// One CloudTrail-shaped event describing one API call.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    /// Unique id of the event.
    pub event_id: String,
    /// When the call was received.
    pub event_time: OffsetDateTime,
    /// `sts.amazonaws.com`, `kms.amazonaws.com`, ...
    pub event_source: String,
    /// The operation name, or `Unknown` when the request never got that far.
    pub event_name: String,
    /// The region the request was addressed to.
    pub aws_region: String,
    /// The client's address.
    pub source_ip: String,
    /// The client's `User-Agent`.
    pub user_agent: String,
    /// CloudTrail `userIdentity`.
    pub user_identity: Value,
    /// Request parameters with secrets removed; `null` when the call had none.
    pub request_parameters: Value,
    /// The error code, when the call failed.
    pub error_code: Option<String>,
    /// The error message, when the call failed.
    pub error_message: Option<String>,
    /// The request id returned to the client.
    pub request_id: String,
    /// The account whose resources were involved.
    pub recipient_account_id: Option<String>,
    /// Whether the call only reads.
    pub read_only: bool,
}

impl AuditRecord {
    /// Sets the error fields from `err`.
    pub fn set_error(&mut self, err: &AwsError) {
        self.error_code = Some(err.code().to_owned());
        self.error_message = Some(err.message().to_owned());
    }

    /// The event as CloudTrail's JSON.
    pub fn to_json(&self) -> Value {
        let mut m = Map::with_capacity(16);
        m.insert("eventVersion".into(), json!("1.08"));
        m.insert("userIdentity".into(), self.user_identity.clone());
        m.insert(
            "eventTime".into(),
            json!(
                self.event_time.replace_nanosecond(0).unwrap_or(self.event_time).format(&Rfc3339).unwrap_or_default()
            ),
        );
        m.insert("eventSource".into(), json!(self.event_source));
        m.insert("eventName".into(), json!(self.event_name));
        m.insert("awsRegion".into(), json!(self.aws_region));
        m.insert("sourceIPAddress".into(), json!(self.source_ip));
        m.insert("userAgent".into(), json!(self.user_agent));
        if let Some(code) = &self.error_code {
            m.insert("errorCode".into(), json!(code));
        }
        if let Some(msg) = &self.error_message {
            m.insert("errorMessage".into(), json!(msg));
        }
        m.insert("requestParameters".into(), self.request_parameters.clone());
        m.insert("responseElements".into(), Value::Null);
        m.insert("requestID".into(), json!(self.request_id));
        m.insert("eventID".into(), json!(self.event_id));
        m.insert("readOnly".into(), json!(self.read_only));
        m.insert("eventType".into(), json!("AwsApiCall"));
        m.insert("managementEvent".into(), json!(true));
        if let Some(acct) = &self.recipient_account_id {
            m.insert("recipientAccountId".into(), json!(acct));
        }
        Value::Object(m)
    }
}

/// Why an audit record could not be made durable.
#[derive(Debug, Clone, thiserror::Error)]
#[error("audit log unavailable: {0}")]
pub struct AuditError(pub String);

/// A pending append: resolves once the record is durable (or failed to become so).
pub type AuditReceipt = tokio::sync::oneshot::Receiver<Result<u64, AuditError>>;

/// Where audit records go. The pipeline waits for the receipt before it answers the client.
pub trait AuditSink: Send + Sync + 'static {
    /// Queues `record` for durable storage; the receipt resolves with its sequence number.
    fn append(&self, record: &AuditRecord) -> AuditReceipt;
}
