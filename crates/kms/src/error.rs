//! AWS KMS's error codes, with AWS's messages.

use rampart_core::AwsError;

/// `NotFoundException` for a key.
pub fn key_not_found(arn: &str) -> AwsError {
    AwsError::new("NotFoundException", 400, format!("Key '{arn}' does not exist"))
}

/// `NotFoundException` with a message.
pub fn not_found(msg: impl Into<String>) -> AwsError {
    AwsError::new("NotFoundException", 400, msg)
}

/// `DisabledException`.
pub fn disabled(arn: &str) -> AwsError {
    AwsError::new("DisabledException", 400, format!("{arn} is disabled."))
}

/// `KMSInvalidStateException`.
pub fn invalid_state(msg: impl Into<String>) -> AwsError {
    AwsError::new("KMSInvalidStateException", 400, msg)
}

/// `InvalidCiphertextException`.
pub fn invalid_ciphertext() -> AwsError {
    AwsError::new(
        "InvalidCiphertextException",
        400,
        "The ciphertext is invalid, was altered, or does not match the encryption context or key.",
    )
}

/// `IncorrectKeyException`.
pub fn incorrect_key() -> AwsError {
    AwsError::new(
        "IncorrectKeyException",
        400,
        "The key ID in the request does not identify a CMK that can perform this operation.",
    )
}

/// `InvalidKeyUsageException`.
pub fn invalid_key_usage(msg: impl Into<String>) -> AwsError {
    AwsError::new("InvalidKeyUsageException", 400, msg)
}

/// `ValidationException`.
pub fn validation(msg: impl Into<String>) -> AwsError {
    AwsError::new("ValidationException", 400, msg)
}

/// `ValidationException` for a missing required field.
pub fn missing(field: &str) -> AwsError {
    validation(format!(
        "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
        rampart_wire::query::lower_first(field)
    ))
}

/// `SerializationException` (a field of the wrong JSON type, a blob that is not base64).
pub fn serialization(msg: impl Into<String>) -> AwsError {
    AwsError::new("SerializationException", 400, msg)
}

/// `UnsupportedOperationException`.
pub fn unsupported(msg: impl Into<String>) -> AwsError {
    AwsError::new("UnsupportedOperationException", 400, msg)
}

/// `AlreadyExistsException`.
pub fn already_exists(msg: impl Into<String>) -> AwsError {
    AwsError::new("AlreadyExistsException", 400, msg)
}

/// `LimitExceededException`.
pub fn limit_exceeded(msg: impl Into<String>) -> AwsError {
    AwsError::new("LimitExceededException", 400, msg)
}

/// `InvalidMarkerException`.
pub fn invalid_marker() -> AwsError {
    AwsError::new("InvalidMarkerException", 400, "The marker is not valid.")
}

/// `KMSInternalException`: logs the cause, tells the client nothing more.
pub fn internal(cause: impl std::fmt::Display) -> AwsError {
    tracing::error!(error = %cause, "KMS internal failure");
    AwsError::new("KMSInternalException", 500, "The request was rejected because an internal exception occurred.")
}

/// `DryRunOperationException`: the call would have succeeded.
pub fn dry_run() -> AwsError {
    AwsError::new("DryRunOperationException", 412, "The request would have succeeded, but the DryRun option is set.")
}
