//! Reading a request's checked value tree where authorization needs it (target functions and
//! condition keys, which run before the handler gets its typed input), and the small
//! conversions handlers share.
//!
//! The model layer has already checked the tree (required members, JSON types, lengths, ranges,
//! patterns, enums) when these run; what is left here is reading it.

use crate::error::serialization;
use base64::Engine;
use rampart_core::AwsError;
use rampart_wire::model::Timestamp;
use serde_json::Value;
use std::collections::BTreeMap;

/// The encryption context of a request: sorted pairs.
pub type EncryptionContext = BTreeMap<String, String>;

/// An optional string field.
pub fn opt_str<'a>(v: &'a Value, field: &str) -> Result<Option<&'a str>, AwsError> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(serialization(format!("Field {field} must be a string."))),
    }
}

/// An optional boolean field.
pub fn opt_bool(v: &Value, field: &str) -> Result<Option<bool>, AwsError> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(serialization(format!("Field {field} must be a boolean."))),
    }
}

/// An optional timestamp field (epoch seconds, or ISO 8601 text), as Unix seconds.
pub fn opt_time(v: &Value, field: &str) -> Result<Option<f64>, AwsError> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(t) => serde_json::from_value::<Timestamp>(t.clone())
            .map(|t| Some(t.secs_f64()))
            .map_err(|_| serialization(format!("Field {field} must be a timestamp."))),
    }
}

/// An optional list of strings.
pub fn opt_str_list(v: &Value, field: &str) -> Result<Option<Vec<String>>, AwsError> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| serialization(format!("Field {field} must be a list of strings.")))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(serialization(format!("Field {field} must be a list."))),
    }
}

/// An encryption context field (a map of strings), absent meaning empty.
pub fn encryption_context(v: &Value, field: &str) -> Result<EncryptionContext, AwsError> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(EncryptionContext::new()),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, x)| match x {
                Value::String(s) => Ok((k.clone(), s.clone())),
                _ => Err(serialization(format!("Field {field} must map strings to strings."))),
            })
            .collect(),
        Some(_) => Err(serialization(format!("Field {field} must be a map."))),
    }
}

/// Base64 of `bytes`, as this crate stores blobs.
pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes base64 stored by this crate.
pub fn unb64(s: &str) -> Result<Vec<u8>, AwsError> {
    base64::engine::general_purpose::STANDARD.decode(s).map_err(crate::error::internal)
}

/// A stored instant (Unix seconds, with milliseconds as a fraction) as a response timestamp.
pub fn timestamp(secs: f64) -> Timestamp {
    Timestamp::from_millis((secs * 1000.0).round() as i64)
}

/// A list request's `Limit` (the model bounds it to 1..=1000), or `default`.
pub fn limit_or(limit: Option<i32>, default: usize) -> usize {
    limit.and_then(|l| usize::try_from(l).ok()).unwrap_or(default)
}

/// The position a list request's `Marker` names, for lists paged by index.
pub fn index_marker(marker: Option<&str>) -> Result<usize, AwsError> {
    match marker {
        Some(m) => m.parse::<usize>().map_err(|_| crate::error::invalid_marker()),
        None => Ok(0),
    }
}
