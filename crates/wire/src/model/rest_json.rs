//! The REST-JSON protocol (GuardDuty, Lambda, API Gateway, ...) from the model.
//!
//! Requests: the members bound to the URI, query string and headers are read by [`super::rest`];
//! the body is the input's `payload` member (a structure as a JSON object, a document as any
//! JSON, a blob or string as the raw bytes; a `streaming` payload stays in the request, see
//! [`super::rest`]) or, without a payload, a JSON object of the body members named by
//! `jsonName`, else `locationName`, else the member's name. Every value is type-checked as it
//! is read (`SerializationException`, 400, as AWS's JSON services answer): strings and base64
//! blobs are strings, numbers numbers, timestamps epoch seconds (or the text of the member's
//! `timestampFormat`). Keys the model does not know are ignored; `null` is absent. The value
//! tree is keyed by the members' model names, as every other protocol's tree.
//!
//! Responses: status and header members by [`super::rest`], then the payload member or a JSON
//! object of the body members (always an object, `{}` when empty), timestamps as epoch
//! seconds unless the model says otherwise, `Content-Type: application/json`.

use super::query::{timestamp_of, timestamp_value};
use super::rest::{self, Flavor, Labels, MAX_DEPTH};
use super::{Kind, Location, Member, Model, OperationModel, ShapeId, TimestampFormat};
use crate::protocol::{ResponseBody, full_body};
use http::Response;
use rampart_core::AwsError;
use serde_json::{Map, Value};

/// `SerializationException` (400).
pub fn serialization(message: impl Into<String>) -> AwsError {
    AwsError::new("SerializationException", 400, message)
}

/// A member's key in a JSON body: `jsonName`, else `locationName`, else its name.
pub fn json_key(m: &Member) -> &str {
    m.json_name.as_deref().or(m.location_name.as_deref()).unwrap_or(&m.name)
}

/// Parses the input of `op` from a routed request: labels, query string, headers and `body`
/// (empty for a streaming payload, which stays in the request).
pub fn parse(
    model: &Model,
    op: &OperationModel,
    parts: &http::request::Parts,
    labels: &Labels,
    body: &[u8],
) -> Result<Value, AwsError> {
    let Some(shape) = op.input else { return Ok(Value::Object(Map::new())) };
    let mut out = rest::bind_request(model, shape, op, parts, labels, Flavor::Json)?;
    let empty = body.iter().all(u8::is_ascii_whitespace);
    if let Some(m) = rest::payload_member(model, shape) {
        if m.streaming {
            return Ok(Value::Object(out));
        }
        let value = match &model.shape(m.shape).kind {
            Kind::Structure { document: true, .. } if !empty => Some(json_body(body)?),
            Kind::Structure { .. } if !empty => {
                let v = json_body(body)?;
                if !v.is_object() {
                    return Err(serialization("The request body must be a JSON object."));
                }
                Some(read(model, m, m.shape, &v, json_key(m), 0)?)
            }
            Kind::Structure { .. } => None,
            _ => rest::raw_payload_value(model, m, body, Flavor::Json)?,
        };
        if let Some(v) = value.filter(|v| !v.is_null()) {
            out.insert(m.name.clone(), v);
        }
        return Ok(Value::Object(out));
    }
    if empty || !model.members(shape).iter().any(|m| m.location == Location::Body) {
        return Ok(Value::Object(out));
    }
    let v = json_body(body)?;
    let Value::Object(fields) = &v else { return Err(serialization("The request body must be a JSON object.")) };
    for m in model.members(shape).iter().filter(|m| m.location == Location::Body) {
        if let Some(item) = fields.get(json_key(m)).filter(|v| !v.is_null()) {
            out.insert(m.name.clone(), read(model, m, m.shape, item, json_key(m), 1)?);
        }
    }
    Ok(Value::Object(out))
}

fn json_body(body: &[u8]) -> Result<Value, AwsError> {
    serde_json::from_slice(body).map_err(|_| serialization("The request body is not valid JSON."))
}

/// Reads `v` as shape `shape` into the tree: keys renamed to model names, types checked,
/// timestamps normalized to epoch seconds.
fn read(model: &Model, m: &Member, shape: ShapeId, v: &Value, name: &str, depth: usize) -> Result<Value, AwsError> {
    if depth > MAX_DEPTH {
        return Err(serialization("The request nests deeper than the model allows."));
    }
    let wrong = |what: &str| serialization(format!("Field {} must be {what}.", crate::protocol::echo(name)));
    Ok(match &model.shape(shape).kind {
        Kind::Structure { document: true, .. } => v.clone(),
        Kind::Structure { members, .. } => {
            let Value::Object(fields) = v else { return Err(wrong("an object")) };
            let mut out = Map::new();
            for member in members {
                if let Some(item) = fields.get(json_key(member)).filter(|v| !v.is_null()) {
                    out.insert(
                        member.name.clone(),
                        read(model, member, member.shape, item, json_key(member), depth + 1)?,
                    );
                }
            }
            Value::Object(out)
        }
        Kind::List { member, .. } => {
            let Value::Array(items) = v else { return Err(wrong("a list")) };
            items
                .iter()
                .map(|item| {
                    if item.is_null() {
                        return Err(serialization(format!(
                            "Field {} must not contain null.",
                            crate::protocol::echo(name)
                        )));
                    }
                    read(model, m, *member, item, name, depth + 1)
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)?
        }
        Kind::Map { value, .. } => {
            let Value::Object(entries) = v else { return Err(wrong("an object")) };
            let mut out = Map::new();
            for (k, item) in entries.iter().filter(|(_, v)| !v.is_null()) {
                out.insert(k.clone(), read(model, m, *value, item, name, depth + 1)?);
            }
            Value::Object(out)
        }
        Kind::String => v.is_string().then(|| v.clone()).ok_or_else(|| wrong("a string"))?,
        Kind::Blob => match v.as_str() {
            Some(t) => {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD.decode(t).map_err(|_| wrong("base64"))?;
                v.clone()
            }
            None => return Err(wrong("a string")),
        },
        Kind::Boolean => v.is_boolean().then(|| v.clone()).ok_or_else(|| wrong("a boolean"))?,
        Kind::Integer => {
            v.as_i64().filter(|n| i32::try_from(*n).is_ok()).map(Value::from).ok_or_else(|| wrong("an integer"))?
        }
        Kind::Long => v.as_i64().map(Value::from).ok_or_else(|| wrong("an integer"))?,
        Kind::Double => v.as_f64().map(Value::from).ok_or_else(|| wrong("a number"))?,
        Kind::Timestamp => {
            let t = match v {
                Value::Number(_) => timestamp_of(v),
                Value::String(s) => {
                    rest::parse_timestamp(s, rest::timestamp_format(model, m, shape, TimestampFormat::EpochSeconds))
                }
                _ => None,
            };
            timestamp_value(t.ok_or_else(|| wrong("a timestamp"))?)
        }
    })
}

/// Writes the tree value `v` of shape `shape` as the protocol's JSON.
fn write(model: &Model, m: &Member, shape: ShapeId, v: &Value, depth: usize) -> Option<Value> {
    if depth > MAX_DEPTH || v.is_null() {
        return None;
    }
    Some(match (&model.shape(shape).kind, v) {
        (Kind::Structure { document: true, .. }, v) => v.clone(),
        (Kind::Structure { members, .. }, Value::Object(fields)) => {
            let mut out = Map::new();
            for member in members {
                if let Some(item) =
                    fields.get(&member.name).and_then(|v| write(model, member, member.shape, v, depth + 1))
                {
                    out.insert(json_key(member).to_owned(), item);
                }
            }
            Value::Object(out)
        }
        (Kind::List { member, .. }, Value::Array(items)) => {
            Value::Array(items.iter().filter_map(|i| write(model, m, *member, i, depth + 1)).collect())
        }
        (Kind::Map { value, .. }, Value::Object(entries)) => Value::Object(
            entries.iter().filter_map(|(k, i)| Some((k.clone(), write(model, m, *value, i, depth + 1)?))).collect(),
        ),
        (Kind::Timestamp, v) => match rest::timestamp_format(model, m, shape, TimestampFormat::EpochSeconds) {
            TimestampFormat::EpochSeconds => timestamp_value(timestamp_of(v)?),
            format => Value::String(rest::format_timestamp(v, format)?),
        },
        (Kind::Structure { .. } | Kind::List { .. } | Kind::Map { .. }, _) => return None,
        (_, v) => v.clone(),
    })
}

/// The JSON body of the structure `shape`'s body members in the tree `output`.
pub fn body_json(model: &Model, shape: ShapeId, output: &Value) -> Value {
    let mut out = Map::new();
    if let Value::Object(fields) = output {
        for m in model.members(shape).iter().filter(|m| m.location == Location::Body) {
            if let Some(item) = fields.get(&m.name).and_then(|v| write(model, m, m.shape, v, 1)) {
                out.insert(json_key(m).to_owned(), item);
            }
        }
    }
    Value::Object(out)
}

/// The success response of `op` carrying `output` (a value tree of its output shape).
///
/// A streaming payload present in the tree is written whole from its base64; a handler that
/// streams uses [`rest::respond_with_body`] instead.
pub fn respond(model: &Model, op: &OperationModel, output: &Value, request_id: &str) -> Response<ResponseBody> {
    const JSON: Option<&str> = Some("application/json");
    let Some(shape) = op.output else {
        return rest::build_response(model, op, output, request_id, full_body(&b"{}"[..]), JSON);
    };
    if let Some(m) = rest::payload_member(model, shape) {
        let v = output.get(&m.name).filter(|v| !v.is_null());
        return match (&model.shape(m.shape).kind, v) {
            (Kind::Structure { .. }, Some(v)) => {
                let body = write(model, m, m.shape, v, 1).unwrap_or(Value::Null);
                rest::build_response(model, op, output, request_id, full_body(body.to_string()), JSON)
            }
            (_, Some(v)) => {
                let bytes = rest::raw_payload(model, m, v).unwrap_or_default();
                let ct = if matches!(model.shape(m.shape).kind, Kind::Blob) {
                    Some("application/octet-stream")
                } else {
                    Some("text/plain")
                };
                rest::build_response(model, op, output, request_id, full_body(bytes), ct)
            }
            (_, None) => rest::build_response(model, op, output, request_id, full_body(Vec::new()), None),
        };
    }
    let body = body_json(model, shape, output).to_string();
    rest::build_response(model, op, output, request_id, full_body(body), JSON)
}
