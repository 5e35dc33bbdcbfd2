//! The JSON protocols (`json` 1.0 and 1.1) from the model.
//!
//! The request body is already a JSON object; this checks that every member the model knows has
//! the JSON type its shape needs (a string for strings, enums and base64 blobs, a number for
//! numbers and epoch timestamps, ...) and answers `SerializationException` otherwise, as AWS's
//! JSON services do. Members the model does not know are ignored; `null` is absent. Output needs
//! no model: the typed output's serde form is exactly the protocol's JSON (member names, base64
//! blobs, epoch-second timestamps).

use super::{Kind, Model, ShapeId};
use rampart_core::AwsError;
use serde_json::Value;

/// `SerializationException` (400).
pub fn serialization(message: impl Into<String>) -> AwsError {
    AwsError::new("SerializationException", 400, message)
}

/// Checks the JSON types of `value` against the structure `shape`.
pub fn check_types(model: &Model, shape: ShapeId, value: &Value) -> Result<(), AwsError> {
    if !value.is_object() {
        return Err(serialization("The request body must be a JSON object."));
    }
    check(model, shape, value, "", 0)
}

/// Deeper than any AWS shape nests: a hostile body cannot make the walk recurse without bound
/// (serde_json itself stops at 128 levels).
const MAX_DEPTH: usize = 64;

fn check(model: &Model, shape: ShapeId, value: &Value, name: &str, depth: usize) -> Result<(), AwsError> {
    if value.is_null() {
        return Ok(());
    }
    if depth > MAX_DEPTH {
        return Err(serialization("The request nests deeper than the model allows."));
    }
    let s = model.shape(shape);
    let wrong = |what: &str| serialization(format!("Field {name} must be {what}."));
    match &s.kind {
        Kind::Structure { document: true, .. } => Ok(()),
        Kind::Structure { members, .. } => {
            let Value::Object(fields) = value else { return Err(wrong("an object")) };
            for m in members {
                if let Some(v) = fields.get(&m.name) {
                    check(model, m.shape, v, &m.name, depth + 1)?;
                }
            }
            Ok(())
        }
        Kind::List { member, .. } => {
            let Value::Array(items) = value else { return Err(wrong("a list")) };
            items.iter().try_for_each(|item| {
                if item.is_null() {
                    return Err(serialization(format!("Field {name} must not contain null.")));
                }
                check(model, *member, item, name, depth + 1)
            })
        }
        Kind::Map { value: v, .. } => {
            let Value::Object(entries) = value else { return Err(wrong("an object")) };
            entries.values().try_for_each(|item| check(model, *v, item, name, depth + 1))
        }
        Kind::String | Kind::Blob => value.is_string().then_some(()).ok_or_else(|| wrong("a string")),
        Kind::Boolean => value.is_boolean().then_some(()).ok_or_else(|| wrong("a boolean")),
        Kind::Integer => {
            value.as_i64().filter(|n| i32::try_from(*n).is_ok()).map(|_| ()).ok_or_else(|| wrong("an integer"))
        }
        Kind::Long => value.as_i64().map(|_| ()).ok_or_else(|| wrong("an integer")),
        Kind::Double => value.as_f64().map(|_| ()).ok_or_else(|| wrong("a number")),
        Kind::Timestamp => {
            if value.is_number() || value.as_str().and_then(super::Timestamp::parse_text).is_some() {
                Ok(())
            } else {
                Err(wrong("a timestamp"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wrong_json_types_are_serialization_errors() {
        let m = Model::from_json(include_str!("../../../kms/model/kms.json")).unwrap();
        let encrypt = m.operation("Encrypt").unwrap().input.unwrap();
        assert!(check_types(&m, encrypt, &json!({"KeyId": "k", "Plaintext": "AA=="})).is_ok());
        for bad in [
            json!({"KeyId": 1}),
            json!({"KeyId": "k", "EncryptionContext": {"a": 1}}),
            json!({"KeyId": "k", "GrantTokens": "t"}),
            json!({"KeyId": "k", "GrantTokens": [null]}),
            json!({"KeyId": "k", "DryRun": "yes"}),
            json!([]),
        ] {
            let e = check_types(&m, encrypt, &bad).unwrap_err();
            assert_eq!(e.code(), "SerializationException", "{bad}");
        }
        let list = m.operation("ListKeys").unwrap().input.unwrap();
        assert!(check_types(&m, list, &json!({"Limit": 4_294_967_296_i64})).is_err(), "an integer is 32 bits");
    }
}
