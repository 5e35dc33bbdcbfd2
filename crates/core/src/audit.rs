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

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UnknownIdentity<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_key_id: Option<&'a str>,
}

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

impl AuditRecord {
    /// Sets the error fields from `err`.
    pub fn set_error(&mut self, err: &AwsError) {
        self.error_code = Some(err.code().to_owned());
        self.error_message = Some(err.message().to_owned());
    }

    /// The event as CloudTrail's JSON text.
    pub fn to_json_string(&self) -> String {
        let unknown;
        let (user_identity, account): (&RawValue, Option<&str>) = match &self.caller {
            CallerIdentity::Principal(p) => (p.user_identity_json(), Some(p.account_id.as_str())),
            CallerIdentity::Unknown { access_key_id } => {
                unknown = serde_json::value::to_raw_value(&UnknownIdentity {
                    kind: "Unknown",
                    access_key_id: access_key_id.as_deref(),
                })
                .expect("plain data serializes");
                (&*unknown, None)
            }
        };
        let time =
            self.event_time.replace_nanosecond(0).unwrap_or(self.event_time).format(&Rfc3339).unwrap_or_default();
        let event = Event {
            event_version: "1.08",
            user_identity,
            event_time: &time,
            event_source: &self.event_source,
            event_name: &self.event_name,
            aws_region: &self.aws_region,
            source_ip_address: &self.source_ip,
            user_agent: &self.user_agent,
            error_code: self.error_code.as_deref(),
            error_message: self.error_message.as_deref(),
            request_parameters: &self.request_parameters,
            response_elements: None,
            request_id: &self.request_id,
            event_id: &self.event_id,
            read_only: self.read_only,
            event_type: "AwsApiCall",
            management_event: true,
            recipient_account_id: account,
        };
        serde_json::to_string(&event).expect("plain data serializes")
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
