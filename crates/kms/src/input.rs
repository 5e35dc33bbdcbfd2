//! Reading request fields with AWS's validation: types, lengths, patterns and enums.

use crate::error::{constraint, missing, serialization};
use base64::Engine;
use rampart_core::AwsError;
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

/// A required string field of 1 to `max` characters.
pub fn req_str<'a>(v: &'a Value, field: &str, max: usize) -> Result<&'a str, AwsError> {
    let s = opt_str(v, field)?.ok_or_else(|| missing(field))?;
    check_len(s, field, 1, max)?;
    Ok(s)
}

/// Checks a string's length (in characters).
pub fn check_len(s: &str, field: &str, min: usize, max: usize) -> Result<(), AwsError> {
    let n = s.chars().count();
    if n < min {
        return Err(constraint(s, field, &format!("Member must have length greater than or equal to {min}")));
    }
    if n > max {
        return Err(constraint(s, field, &format!("Member must have length less than or equal to {max}")));
    }
    Ok(())
}

/// An optional string field that must be one of `allowed`.
pub fn opt_enum<'a>(v: &'a Value, field: &str, allowed: &[&str]) -> Result<Option<&'a str>, AwsError> {
    match opt_str(v, field)? {
        None => Ok(None),
        Some(s) if allowed.contains(&s) => Ok(Some(s)),
        Some(s) => Err(constraint(s, field, &format!("Member must satisfy enum value set: [{}]", allowed.join(", ")))),
    }
}

/// An optional integer field within `min..=max`.
pub fn opt_int(v: &Value, field: &str, min: i64, max: i64) -> Result<Option<i64>, AwsError> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            let i = n.as_i64().ok_or_else(|| serialization(format!("Field {field} must be an integer.")))?;
            if i < min {
                return Err(constraint(
                    &i.to_string(),
                    field,
                    &format!("Member must have value greater than or equal to {min}"),
                ));
            }
            if i > max {
                return Err(constraint(
                    &i.to_string(),
                    field,
                    &format!("Member must have value less than or equal to {max}"),
                ));
            }
            Ok(Some(i))
        }
        Some(_) => Err(serialization(format!("Field {field} must be a number."))),
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

/// An optional timestamp field (epoch seconds), as Unix seconds.
pub fn opt_time(v: &Value, field: &str) -> Result<Option<f64>, AwsError> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(Value::String(s)) => {
            if let Ok(f) = s.parse::<f64>() {
                return Ok(Some(f));
            }
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .map(|t| t.unix_timestamp_nanos() as f64 / 1e9)
                .map(Some)
                .map_err(|_| serialization(format!("Field {field} must be a timestamp.")))
        }
        Some(_) => Err(serialization(format!("Field {field} must be a timestamp."))),
    }
}

/// An optional blob field (base64 in JSON), with its length checked.
pub fn opt_blob(
    v: &Value,
    field: &str,
    min: usize,
    max: usize,
) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>, AwsError> {
    let Some(s) = opt_str(v, field)? else { return Ok(None) };
    let bytes = zeroize::Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .map_err(|_| serialization(format!("Field {field} is not valid base64.")))?,
    );
    if bytes.len() < min {
        return Err(constraint(
            "java.nio.HeapByteBuffer",
            field,
            &format!("Member must have length greater than or equal to {min}"),
        ));
    }
    if bytes.len() > max {
        return Err(constraint(
            "java.nio.HeapByteBuffer",
            field,
            &format!("Member must have length less than or equal to {max}"),
        ));
    }
    Ok(Some(bytes))
}

/// A required blob field.
pub fn req_blob(v: &Value, field: &str, max: usize) -> Result<zeroize::Zeroizing<Vec<u8>>, AwsError> {
    opt_blob(v, field, 1, max)?.ok_or_else(|| missing(field))
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

/// Base64 of `bytes`, as JSON blobs are sent.
pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes base64 stored by this crate.
pub fn unb64(s: &str) -> Result<Vec<u8>, AwsError> {
    base64::engine::general_purpose::STANDARD.decode(s).map_err(crate::error::internal)
}

/// `Limit` and `Marker` of a list request.
pub fn paging(v: &Value, default_limit: i64) -> Result<(usize, Option<String>), AwsError> {
    let limit = opt_int(v, "Limit", 1, 1000)?.unwrap_or(default_limit);
    let marker = opt_str(v, "Marker")?.map(str::to_owned);
    Ok((usize::try_from(limit).unwrap_or(100), marker))
}

/// Validates the `GrantTokens` field (each must be a token this service issued).
pub fn grant_tokens(v: &Value) -> Result<(), AwsError> {
    if let Some(tokens) = opt_str_list(v, "GrantTokens")? {
        if tokens.len() > 10 {
            return Err(constraint("[...]", "GrantTokens", "Member must have length less than or equal to 10"));
        }
        for t in &tokens {
            crate::grants::parse_token(t)?;
        }
    }
    Ok(())
}
