//! The AWS error every operation and pipeline stage returns.
//!
//! An [`AwsError`] carries what every AWS protocol needs to render an error: the code clients
//! switch on, a human message, the HTTP status, and whether the fault is the caller's or ours.
//! The protocol layer (`rampart-wire`) turns it into the wire shape; nothing here knows about XML
//! or JSON.

use std::borrow::Cow;
use std::fmt;

/// Whose fault an error is, as the query protocol's `<Type>` element reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The request was wrong (4xx).
    Sender,
    /// Rampart failed to serve a valid request (5xx).
    Receiver,
}

/// An error in AWS terms: code, message and HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    code: Cow<'static, str>,
    message: String,
    status: u16,
}

impl AwsError {
    /// An error with an explicit code, HTTP status and message.
    pub fn new(code: impl Into<Cow<'static, str>>, status: u16, message: impl Into<String>) -> Self {
        Self { code: code.into(), message: message.into(), status }
    }

    /// The AWS error code (`AccessDenied`, `SignatureDoesNotMatch`, ...).
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// `Sender` for 4xx, `Receiver` for 5xx.
    pub fn fault(&self) -> Fault {
        if self.status >= 500 { Fault::Receiver } else { Fault::Sender }
    }

    /// Replaces the code, keeping message and status (for protocol-specific spellings).
    pub fn with_code(mut self, code: impl Into<Cow<'static, str>>) -> Self {
        self.code = code.into();
        self
    }

    /// Replaces the status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// `InternalFailure` (500). The message given to the client is generic; log the cause.
    pub fn internal() -> Self {
        Self::new(
            "InternalFailure",
            500,
            "The request processing has failed because of an unknown error, exception or failure.",
        )
    }

    /// `ServiceUnavailable` (503): a dependency (store, audit log) cannot take the call now.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new("ServiceUnavailable", 503, message)
    }

    /// `ValidationError` (400), the query protocol's name for a bad parameter.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new("ValidationError", 400, message)
    }

    /// `InvalidParameterValue` (400).
    pub fn invalid_parameter_value(message: impl Into<String>) -> Self {
        Self::new("InvalidParameterValue", 400, message)
    }

    /// `MissingParameter` (400).
    pub fn missing_parameter(name: &str) -> Self {
        Self::new("MissingParameter", 400, format!("The request must contain the parameter {name}"))
    }

    /// `AccessDenied` (403).
    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::new("AccessDenied", 403, message)
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for AwsError {}
