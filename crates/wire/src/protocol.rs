//! The AWS protocols' response and error shapes, and how each spells an authentication
//! failure.

use crate::xml::{XmlWriter, escape_into};
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use rampart_core::AwsError;

/// Errors a body stream may carry.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// The body of every response Rampart sends: buffered or streamed.
pub type ResponseBody = BoxBody<Bytes, BoxError>;
/// The body of a request, as a REST operation receives it (streamed, never buffered whole).
pub type RequestBody = http_body_util::combinators::UnsyncBoxBody<Bytes, BoxError>;

/// A buffered response body.
pub fn full_body(bytes: impl Into<Bytes>) -> ResponseBody {
    Full::new(bytes.into()).map_err(|never| match never {}).boxed()
}

/// An AWS wire protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `Action=...` form requests, XML responses (STS, IAM).
    Query,
    /// EC2's variant of the query protocol: `queryName`s, flattened lists, its own error shape.
    Ec2,
    /// `X-Amz-Target` with `application/x-amz-json-1.0` bodies (DynamoDB-style services).
    Json10,
    /// `X-Amz-Target` with `application/x-amz-json-1.1` bodies (KMS, CloudTrail).
    Json11,
    /// Resource paths and HTTP verbs, JSON bodies (GuardDuty).
    RestJson,
    /// Resource paths and HTTP verbs, XML bodies (S3, Route 53).
    RestXml,
    /// Smithy RPC v2 with CBOR bodies (`POST /service/{Service}/operation/{Op}`; CloudWatch).
    RpcV2Cbor,
}

const JSON_CONTENT_TYPE: &str = "application/x-amz-json-1.1";

impl Protocol {
    /// Guesses the protocol of a request before its service is known, so that even a request
    /// rejected early gets an error its client can parse.
    pub fn sniff(headers: &http::HeaderMap, method: &http::Method, raw_query: &str) -> Self {
        if headers.contains_key("x-amz-target") {
            return Self::Json11;
        }
        let form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        if (form && method == http::Method::POST) || raw_query.split('&').any(|p| p.starts_with("Action=")) {
            Self::Query
        } else {
            Self::RestXml
        }
    }

    /// Whether errors and responses are JSON-family (awsJson, REST-JSON, RPC v2 CBOR): `…Exception`
    /// codes, `x-amzn-ErrorType`, authentication failures spelled as JSON services spell them.
    pub fn is_json_family(self) -> bool {
        matches!(self, Self::Json10 | Self::Json11 | Self::RestJson | Self::RpcV2Cbor)
    }

    /// Whether this is one of the query protocols (form in, XML out).
    pub fn is_query_family(self) -> bool {
        matches!(self, Self::Query | Self::Ec2)
    }

    /// The `Content-Type` of this protocol's JSON bodies.
    pub fn json_content_type(self) -> &'static str {
        match self {
            Self::Json10 => "application/x-amz-json-1.0",
            Self::RestJson => "application/json",
            _ => JSON_CONTENT_TYPE,
        }
    }

    /// The error response for `err` in this protocol's shape.
    pub fn error_response(self, err: &AwsError, request_id: &str, xmlns: &str) -> Response<ResponseBody> {
        let (content_type, body) = match self {
            Self::Ec2 => {
                let mut w = XmlWriter::new();
                w.open("Response")
                    .open("Errors")
                    .open("Error")
                    .element("Code", err.code())
                    .element("Message", err.message())
                    .close("Error")
                    .close("Errors")
                    .element("RequestID", request_id)
                    .close("Response");
                (
                    "text/xml;charset=UTF-8",
                    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}", w.finish()).into_bytes(),
                )
            }
            Self::RpcV2Cbor => ("application/cbor", crate::model::cbor::error_body(err.code(), err.message())),
            Self::Query => {
                let mut out = String::with_capacity(256);
                out.push_str("<ErrorResponse");
                if !xmlns.is_empty() {
                    out.push_str(" xmlns=\"");
                    escape_into(&mut out, xmlns);
                    out.push('"');
                }
                out.push('>');
                let mut w = XmlWriter::new();
                w.open("Error")
                    .element("Type", if err.status() >= 500 { "Receiver" } else { "Sender" })
                    .element("Code", err.code())
                    .element("Message", err.message())
                    .close("Error")
                    .element("RequestId", request_id);
                out.push_str(&w.finish());
                out.push_str("</ErrorResponse>");
                ("text/xml", out.into_bytes())
            }
            Self::Json11 | Self::Json10 | Self::RestJson => {
                let body = serde_json::json!({ "__type": err.code(), "message": err.message() }).to_string();
                (self.json_content_type(), body.into_bytes())
            }
            Self::RestXml => {
                let mut w = XmlWriter::new();
                w.open("Error")
                    .element("Code", err.code())
                    .element("Message", err.message())
                    .element("RequestId", request_id)
                    .close("Error");
                ("application/xml", format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}", w.finish()).into_bytes())
            }
        };
        let mut resp = Response::new(full_body(body));
        *resp.status_mut() = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let h = resp.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        if self.is_json_family()
            && let Ok(v) = HeaderValue::from_str(err.code())
        {
            h.insert("x-amzn-errortype", v);
        }
        if self == Self::RpcV2Cbor {
            h.insert("smithy-protocol", HeaderValue::from_static("rpc-v2-cbor"));
        }
        set_request_id(&mut resp, request_id, self);
        resp
    }

    /// The successful response of a query-protocol operation: `result_xml` wrapped in
    /// `<{Op}Response><{Op}Result>...` with the response metadata.
    pub fn query_response(operation: &str, xmlns: &str, result_xml: &str, request_id: &str) -> Response<ResponseBody> {
        let mut out = String::with_capacity(160 + result_xml.len() + 2 * operation.len());
        out.push('<');
        out.push_str(operation);
        out.push_str("Response xmlns=\"");
        escape_into(&mut out, xmlns);
        out.push_str("\">");
        if !result_xml.is_empty() {
            out.push('<');
            out.push_str(operation);
            out.push_str("Result>");
            out.push_str(result_xml);
            out.push_str("</");
            out.push_str(operation);
            out.push_str("Result>");
        }
        out.push_str("<ResponseMetadata><RequestId>");
        out.push_str(request_id);
        out.push_str("</RequestId></ResponseMetadata></");
        out.push_str(operation);
        out.push_str("Response>");
        let mut resp = Response::new(full_body(out));
        resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
        set_request_id(&mut resp, request_id, Self::Query);
        resp
    }

    /// The successful response of a JSON 1.1 operation.
    pub fn json_response(body: &serde_json::Value, request_id: &str) -> Response<ResponseBody> {
        Self::json_text_response(serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec()), request_id)
    }

    /// A JSON 1.1 success response whose body is already serialized.
    pub fn json_text_response(body: Vec<u8>, request_id: &str) -> Response<ResponseBody> {
        let mut resp = Response::new(full_body(body));
        resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
        set_request_id(&mut resp, request_id, Self::Json11);
        resp
    }
}

/// Adds the request id header(s) every response carries.
pub fn set_request_id<B>(resp: &mut Response<B>, request_id: &str, protocol: Protocol) {
    if let Ok(v) = HeaderValue::from_str(request_id) {
        let h = resp.headers_mut();
        if matches!(protocol, Protocol::RestXml) {
            h.insert("x-amz-request-id", v.clone());
            h.insert("x-amz-id-2", v.clone());
        }
        h.insert("x-amzn-requestid", v);
    }
}

/// Why authentication failed, independent of how each protocol spells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthFailure {
    /// No signature at all on an operation that needs one.
    Missing,
    /// The signature is missing parts or malformed.
    Incomplete(String),
    /// No active credential has that access key id.
    UnknownAccessKey,
    /// The signature does not match.
    Mismatch(String),
    /// The request time is outside the allowed window (message says which way).
    Skewed(String),
    /// A presigned URL past its expiry.
    PresignedExpired(String),
    /// Temporary credentials past their expiry.
    TokenExpired,
    /// Temporary credentials without, or with the wrong, session token.
    InvalidToken,
}

const BAD_TOKEN: &str = "The security token included in the request is invalid.";

impl AuthFailure {
    /// The failure as an AWS error in `protocol`'s vocabulary, matching what AWS itself answers.
    pub fn to_error(&self, protocol: Protocol) -> AwsError {
        use Protocol::*;
        // EC2 spells these as the query protocol does; every JSON-family protocol as JSON 1.1.
        let protocol = match protocol {
            Ec2 => Query,
            p if p.is_json_family() => Json11,
            p => p,
        };
        match (self, protocol) {
            (Self::Missing, Query) => {
                AwsError::new("MissingAuthenticationToken", 403, "Request is missing Authentication Token")
            }
            (Self::Missing, Json11) => {
                AwsError::new("MissingAuthenticationTokenException", 400, "Request is missing Authentication Token")
            }
            (Self::Missing, RestXml) => AwsError::new("AccessDenied", 403, "Access Denied"),
            (Self::Incomplete(m), Query) => AwsError::new("IncompleteSignature", 400, m.clone()),
            (Self::Incomplete(m), Json11) => AwsError::new("IncompleteSignatureException", 400, m.clone()),
            (Self::Incomplete(m), RestXml) => AwsError::new("AuthorizationHeaderMalformed", 400, m.clone()),
            (Self::UnknownAccessKey, Query) => AwsError::new("InvalidClientTokenId", 403, BAD_TOKEN),
            (Self::UnknownAccessKey, Json11) => AwsError::new("UnrecognizedClientException", 400, BAD_TOKEN),
            (Self::UnknownAccessKey, RestXml) => AwsError::new(
                "InvalidAccessKeyId",
                403,
                "The AWS Access Key Id you provided does not exist in our records.",
            ),
            (Self::Mismatch(m) | Self::Skewed(m), Query) => AwsError::new("SignatureDoesNotMatch", 403, m.clone()),
            (Self::Mismatch(m) | Self::Skewed(m), Json11) => AwsError::new("InvalidSignatureException", 400, m.clone()),
            (Self::Mismatch(m), RestXml) => AwsError::new("SignatureDoesNotMatch", 403, m.clone()),
            (Self::Skewed(_), RestXml) => AwsError::new(
                "RequestTimeTooSkewed",
                403,
                "The difference between the request time and the current time is too large.",
            ),
            (Self::PresignedExpired(m), Query) => AwsError::new("SignatureDoesNotMatch", 403, m.clone()),
            (Self::PresignedExpired(m), Json11) => AwsError::new("InvalidSignatureException", 400, m.clone()),
            (Self::PresignedExpired(_), RestXml) => AwsError::new("AccessDenied", 403, "Request has expired"),
            (Self::TokenExpired, Query) => {
                AwsError::new("ExpiredToken", 400, "The security token included in the request is expired")
            }
            (Self::TokenExpired, Json11) => {
                AwsError::new("ExpiredTokenException", 400, "The security token included in the request is expired")
            }
            (Self::TokenExpired, RestXml) => AwsError::new("ExpiredToken", 400, "The provided token has expired."),
            (Self::InvalidToken, Query) => AwsError::new("InvalidClientTokenId", 403, BAD_TOKEN),
            (Self::InvalidToken, Json11) => AwsError::new("UnrecognizedClientException", 400, BAD_TOKEN),
            (Self::InvalidToken, RestXml) => {
                AwsError::new("InvalidToken", 400, "The provided token is malformed or otherwise invalid.")
            }
            (_, Ec2 | Json10 | RestJson | RpcV2Cbor) => unreachable!("normalized above"),
        }
    }
}

/// Errors about the request's shape, spelled per protocol.
pub fn unknown_operation(protocol: Protocol, name: &str, version: Option<&str>) -> AwsError {
    match protocol {
        Protocol::Query | Protocol::Ec2 => AwsError::new(
            "InvalidAction",
            400,
            format!("Could not find operation {name} for version {}", version.unwrap_or("NO_VERSION_SPECIFIED")),
        ),
        Protocol::Json10 | Protocol::Json11 | Protocol::RpcV2Cbor => {
            AwsError::new("UnknownOperationException", 400, format!("Unknown operation `{name}`"))
        }
        Protocol::RestJson => AwsError::new("UnknownOperationException", 404, "The requested resource was not found."),
        Protocol::RestXml => {
            AwsError::new("NotImplemented", 501, "A header you provided implies functionality that is not implemented.")
        }
    }
}

/// A value the client sent, as an error message echoes it: its first 64 characters, and `…` when
/// there was more.
pub fn echo(value: &str) -> String {
    match value.char_indices().nth(64) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_owned(),
    }
}

/// A signed request for a service Rampart does not serve, in the protocol's shape. The name is
/// the client's (from its credential scope), echoed by [`echo`].
pub fn unknown_service(protocol: Protocol, service: &str) -> AwsError {
    let message = format!("Rampart does not serve the service `{}`.", echo(service));
    match protocol {
        Protocol::Query | Protocol::Ec2 => AwsError::new("InvalidAction", 400, message),
        Protocol::Json10 | Protocol::Json11 | Protocol::RestJson | Protocol::RpcV2Cbor => {
            AwsError::new("UnknownOperationException", 400, message)
        }
        Protocol::RestXml => AwsError::new("NotImplemented", 501, message),
    }
}

/// A request body that stopped arriving, or arrived below the minimum rate: spelled as S3
/// spells it (`RequestTimeout`, 400) for every protocol.
pub fn body_timeout() -> AwsError {
    AwsError::new(
        "RequestTimeout",
        400,
        "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.",
    )
}

/// The body is larger than the protocol's limit.
pub fn body_too_large(limit: usize) -> AwsError {
    AwsError::new("RequestEntityTooLarge", 413, format!("Request body is larger than the limit of {limit} bytes."))
}

/// The body is not what the protocol requires (malformed JSON, bad form).
pub fn malformed_body(protocol: Protocol, detail: &str) -> AwsError {
    match protocol {
        Protocol::Json10 | Protocol::Json11 | Protocol::RestJson | Protocol::RpcV2Cbor => {
            AwsError::new("SerializationException", 400, detail.to_owned())
        }
        Protocol::Query | Protocol::Ec2 => AwsError::new("MalformedQueryString", 400, detail.to_owned()),
        Protocol::RestXml => AwsError::new("MalformedXML", 400, detail.to_owned()),
    }
}

/// The denial every protocol reports when policy evaluation refuses a call.
pub fn access_denied(protocol: Protocol, message: String) -> AwsError {
    match protocol {
        Protocol::Json10 | Protocol::Json11 | Protocol::RpcV2Cbor => {
            AwsError::new("AccessDeniedException", 400, message)
        }
        Protocol::RestJson => AwsError::new("AccessDeniedException", 403, message),
        Protocol::Ec2 => AwsError::new("UnauthorizedOperation", 403, message),
        Protocol::Query | Protocol::RestXml => AwsError::new("AccessDenied", 403, message),
    }
}
