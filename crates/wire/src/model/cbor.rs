//! Smithy RPC v2 CBOR (`smithy-rpc-v2-cbor`) from the model: bodies are CBOR maps.
//!
//! Requests are `POST /service/{ServiceName}/operation/{OperationName}` ([`operation_from_path`])
//! with a `smithy-protocol: rpc-v2-cbor` header and an `application/cbor` body; responses carry
//! the same header.
//!
//! - [`parse`] reads a request body into the value tree of the operation's input shape, checking
//!   each member's CBOR type against its shape as it goes (the decoder is driven by the model, so
//!   nothing the model does not expect is ever built, except for members it does not know, which
//!   are read and dropped as AWS drops them). Text strings are strings, byte strings are blobs
//!   (base64 text in the tree), major types 0 and 1 are integers (range-checked against the
//!   shape: 32 bits for `integer`, 64 for `long`), half, single and double floats are doubles
//!   (an integer is accepted for a double too), tag 1 over an integer or a float is a timestamp
//!   (epoch seconds), `null` and `undefined` are an absent member. Definite and indefinite lengths
//!   are both read (an indefinite string's chunks must be definite strings of its own type).
//! - Anything malformed is `SerializationException` (400), never a panic: truncated items,
//!   reserved additional information, a break outside an indefinite item, a stray tag, invalid
//!   UTF-8, a non-text map key, NaN or infinite numbers (the tree is JSON and cannot hold them),
//!   bytes after the body's single item, or a duplicate key in a structure or map (refused rather
//!   than resolved first-wins or last-wins, so that no two readers of one body can disagree on what
//!   it says).
//! - Bounds: nesting deeper than [`MAX_DEPTH`] is refused; every length is checked against the
//!   bytes that remain before anything is allocated (a header claiming a 2^60-element array in a
//!   short body is refused at once), so work and memory are linear in the body's size, which the
//!   pipeline bounds.
//! - [`to_cbor`] writes a typed output (its value tree) from the model: structures as maps keyed
//!   by member name with absent (null) members omitted, blobs as byte strings, timestamps as tag 1
//!   over an integer (whole seconds) or a double, doubles as 64-bit floats, integers in their
//!   shortest form, definite lengths throughout.

use super::json::serialization;
use super::query::{timestamp_of, timestamp_value};
use super::{Kind, Model, ShapeId, Timestamp};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ciborium::Value as Cbor;
use rampart_core::AwsError;
use serde_json::{Map, Value};
use std::collections::HashSet;

/// Deeper than any AWS shape nests (structures, lists and maps each count one level).
pub const MAX_DEPTH: usize = 64;

/// The value of the `smithy-protocol` header on RPC v2 CBOR requests and responses.
pub const SMITHY_PROTOCOL: &str = "rpc-v2-cbor";

/// The `Content-Type` of RPC v2 CBOR bodies.
pub const CONTENT_TYPE: &str = "application/cbor";

/// The body of an RPC v2 CBOR error: a map of `__type` and `message`.
pub fn error_body(code: &str, message: &str) -> Vec<u8> {
    let map = Cbor::Map(vec![
        (Cbor::Text("__type".into()), Cbor::Text(code.into())),
        (Cbor::Text("message".into()), Cbor::Text(message.into())),
    ]);
    let mut out = Vec::with_capacity(32 + code.len() + message.len());
    // Writing into a Vec cannot fail.
    let _ = ciborium::into_writer(&map, &mut out);
    out
}

/// The operation an RPC v2 request path names: `/service/{ServiceName}/operation/{OperationName}`,
/// where the service name is the model's service shape name (botocore's `targetPrefix`, e.g.
/// `GraniteServiceVersion20100801` for CloudWatch). `None` when the path is not of that form,
/// names another service, or names an operation the model does not have.
pub fn operation_from_path<'m>(path: &str, model: &'m Model) -> Option<&'m str> {
    let rest = path.strip_prefix("/service/")?;
    let (service, op) = rest.split_once("/operation/")?;
    if service.is_empty() || service != model.metadata.target_prefix {
        return None;
    }
    model.operation(op).map(|o| o.name.as_str())
}

/// Whether a request's headers say it is RPC v2 CBOR (`smithy-protocol: rpc-v2-cbor`), so that
/// a request can be recognized before its service is known.
pub fn is_rpc_v2_cbor(headers: &http::HeaderMap) -> bool {
    headers.get("smithy-protocol").is_some_and(|v| v.as_bytes() == SMITHY_PROTOCOL.as_bytes())
}

// ------------------------------------------------------------------------------------------------
// Reading.

fn malformed(what: &str) -> AwsError {
    serialization(format!("The request body is not well-formed CBOR: {what}."))
}

fn wrong(name: &str, what: &str) -> AwsError {
    if name.is_empty() {
        serialization(format!("The request body must be {what}."))
    } else {
        serialization(format!("Field {} must be {what}.", crate::protocol::echo(name)))
    }
}

/// A data item's initial byte and argument.
#[derive(Debug, Clone, Copy)]
struct Head {
    major: u8,
    info: u8,
    /// The argument (a length, count, integer, tag number, or float bits); `None` for an
    /// indefinite length.
    arg: Option<u64>,
}

/// The length of an array or map: counted down, or until a break.
#[derive(Debug, Clone, Copy)]
enum Items {
    Definite(u64),
    Indefinite,
}

const BREAK: u8 = 0xff;

struct Reader<'b> {
    buf: &'b [u8],
    pos: usize,
}

impl<'b> Reader<'b> {
    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    fn take(&mut self, n: u64) -> Result<&'b [u8], AwsError> {
        if n > self.remaining() as u64 {
            return Err(malformed("an item runs past the end of the body"));
        }
        let n = n as usize;
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn head(&mut self) -> Result<Head, AwsError> {
        let initial = self.take(1)?[0];
        let major = initial >> 5;
        let info = initial & 0x1f;
        let arg = match info {
            0..=23 => Some(u64::from(info)),
            24..=27 => {
                let bytes = self.take(1 << (info - 24))?;
                Some(bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
            }
            28..=30 => return Err(malformed("reserved additional information")),
            _ => None,
        };
        if arg.is_none() && !matches!(major, 2..=5 | 7) {
            return Err(malformed("an indefinite length on an item that cannot have one"));
        }
        if major == 7 && arg.is_none() {
            return Err(malformed("a break outside an indefinite-length item"));
        }
        Ok(Head { major, info, arg })
    }

    /// Whether an array or map has another item (consuming the break that ends an indefinite
    /// one).
    fn more(&mut self, items: &mut Items) -> Result<bool, AwsError> {
        match items {
            Items::Definite(0) => Ok(false),
            Items::Definite(n) => {
                *n -= 1;
                Ok(true)
            }
            Items::Indefinite => match self.peek() {
                Some(BREAK) => {
                    self.pos += 1;
                    Ok(false)
                }
                Some(_) => Ok(true),
                None => Err(malformed("an indefinite-length item has no break")),
            },
        }
    }

    /// The items of an array (`per_item` 1) or map (`per_item` 2) whose head was read: a count
    /// claiming more items than bytes remain is refused before anything is read.
    fn items(&self, head: Head, per_item: u64) -> Result<Items, AwsError> {
        match head.arg {
            None => Ok(Items::Indefinite),
            Some(n) if n.checked_mul(per_item).is_some_and(|need| need <= self.remaining() as u64) => {
                Ok(Items::Definite(n))
            }
            Some(_) => Err(malformed("a length longer than the body")),
        }
    }

    /// The content of a byte string (major 2) or text string (major 3) whose head was read.
    fn string_bytes(&mut self, head: Head) -> Result<Vec<u8>, AwsError> {
        match head.arg {
            Some(n) => {
                let bytes = self.take(n)?;
                if head.major == 3 && std::str::from_utf8(bytes).is_err() {
                    return Err(malformed("a text string is not UTF-8"));
                }
                Ok(bytes.to_vec())
            }
            None => {
                let mut out = Vec::new();
                let mut items = Items::Indefinite;
                while self.more(&mut items)? {
                    let chunk = self.head()?;
                    if chunk.major != head.major || chunk.arg.is_none() {
                        return Err(malformed("an indefinite-length string has a chunk of another type"));
                    }
                    out.extend_from_slice(&self.string_bytes(chunk)?);
                }
                Ok(out)
            }
        }
    }

    fn text(&mut self, head: Head) -> Result<String, AwsError> {
        // Each chunk was checked to be UTF-8 on its own; their concatenation is too.
        String::from_utf8(self.string_bytes(head)?).map_err(|_| malformed("a text string is not UTF-8"))
    }

    /// A map key: a text string.
    fn key(&mut self) -> Result<String, AwsError> {
        let head = self.head()?;
        if head.major != 3 {
            return Err(serialization("Map keys must be text strings."));
        }
        self.text(head)
    }

    /// Whether the next item is `null` or `undefined` (consumed if so).
    fn null(&mut self) -> bool {
        if matches!(self.peek(), Some(0xf6 | 0xf7)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
}

/// An integer item (major 0 or 1) as an `i64`; `None` when it does not fit.
fn integer(head: Head) -> Option<i64> {
    let arg = head.arg?;
    match head.major {
        0 => i64::try_from(arg).ok(),
        1 => i64::try_from(arg).ok().map(|n| -1 - n),
        _ => None,
    }
}

/// A float item (major 7 with 2, 4 or 8 bytes) as an `f64`.
fn float(head: Head) -> Option<f64> {
    let bits = head.arg?;
    match (head.major, head.info) {
        (7, 25) => Some(half(bits as u16)),
        (7, 26) => Some(f64::from(f32::from_bits(bits as u32))),
        (7, 27) => Some(f64::from_bits(bits)),
        _ => None,
    }
}

/// IEEE 754 half precision to double.
fn half(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((bits >> 10) & 0x1f);
    let mant = f64::from(bits & 0x3ff);
    let magnitude = match exp {
        0 => mant * 2f64.powi(-24),
        31 if mant == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        e => (1.0 + mant / 1024.0) * 2f64.powi(e - 15),
    };
    sign * magnitude
}

/// Reads the request body of an operation whose input is the structure `shape` into its value
/// tree. An empty body is an empty structure.
pub fn parse(model: &Model, shape: ShapeId, body: &[u8]) -> Result<Value, AwsError> {
    if body.is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    let mut r = Reader { buf: body, pos: 0 };
    if r.peek().is_some_and(|b| b >> 5 != 5) {
        return Err(serialization("The request body must be a CBOR map."));
    }
    let tree = typed(&mut r, model, shape, "", 0)?.unwrap_or_else(|| Value::Object(Map::new()));
    if r.remaining() != 0 {
        return Err(malformed("bytes follow the body's item"));
    }
    Ok(tree)
}

/// One item read as the shape `shape` expects; `None` for `null` / `undefined`.
fn typed(
    r: &mut Reader<'_>,
    model: &Model,
    shape: ShapeId,
    name: &str,
    depth: usize,
) -> Result<Option<Value>, AwsError> {
    if r.null() {
        return Ok(None);
    }
    if depth > MAX_DEPTH {
        return Err(serialization("The request nests deeper than the model allows."));
    }
    let head = r.head()?;
    let value = match &model.shape(shape).kind {
        Kind::Structure { document: true, .. } => any(r, head, depth)?,
        Kind::Structure { members, .. } => {
            if head.major != 5 {
                return Err(wrong(name, "a map"));
            }
            let mut items = r.items(head, 2)?;
            let mut out = Map::new();
            let mut seen = HashSet::new();
            while r.more(&mut items)? {
                let key = r.key()?;
                if !seen.insert(key.clone()) {
                    return Err(serialization(format!(
                        "The key {} is given more than once.",
                        crate::protocol::echo(&key)
                    )));
                }
                match members.iter().find(|m| m.name == key) {
                    Some(m) => {
                        if let Some(v) = typed(r, model, m.shape, &m.name, depth + 1)? {
                            out.insert(m.name.clone(), v);
                        }
                    }
                    None => {
                        let h = r.head()?;
                        any(r, h, depth + 1)?;
                    }
                }
            }
            Value::Object(out)
        }
        Kind::List { member, .. } => {
            if head.major != 4 {
                return Err(wrong(name, "an array"));
            }
            let mut items = r.items(head, 1)?;
            let mut out = Vec::new();
            while r.more(&mut items)? {
                match typed(r, model, *member, name, depth + 1)? {
                    Some(v) => out.push(v),
                    None => {
                        return Err(serialization(format!(
                            "Field {} must not contain null.",
                            crate::protocol::echo(name)
                        )));
                    }
                }
            }
            Value::Array(out)
        }
        Kind::Map { value, .. } => {
            if head.major != 5 {
                return Err(wrong(name, "a map"));
            }
            let mut items = r.items(head, 2)?;
            let mut out = Map::new();
            while r.more(&mut items)? {
                let key = r.key()?;
                if out.contains_key(&key) {
                    return Err(serialization(format!(
                        "The key {} is given more than once.",
                        crate::protocol::echo(&key)
                    )));
                }
                if let Some(v) = typed(r, model, *value, name, depth + 1)? {
                    out.insert(key, v);
                }
            }
            Value::Object(out)
        }
        Kind::String => match head.major {
            3 => Value::String(r.text(head)?),
            _ => return Err(wrong(name, "a text string")),
        },
        Kind::Blob => match head.major {
            2 => Value::String(B64.encode(r.string_bytes(head)?)),
            _ => return Err(wrong(name, "a byte string")),
        },
        Kind::Boolean => match (head.major, head.info) {
            (7, 20) => Value::Bool(false),
            (7, 21) => Value::Bool(true),
            _ => return Err(wrong(name, "a boolean")),
        },
        Kind::Integer => integer(head)
            .and_then(|n| i32::try_from(n).ok())
            .map(Value::from)
            .ok_or_else(|| wrong(name, "an integer"))?,
        Kind::Long => integer(head).map(Value::from).ok_or_else(|| wrong(name, "an integer"))?,
        Kind::Double => {
            let n = float(head).or_else(|| integer(head).map(|n| n as f64)).ok_or_else(|| wrong(name, "a number"))?;
            if !n.is_finite() {
                return Err(wrong(name, "a finite number"));
            }
            Value::from(n)
        }
        Kind::Timestamp => {
            if head.major != 6 || head.arg != Some(1) {
                return Err(wrong(name, "a timestamp (tag 1)"));
            }
            let inner = r.head()?;
            let t = match integer(inner) {
                Some(secs) if secs.unsigned_abs() < 100_000_000_000_000 => Some(Timestamp::from_secs(secs)),
                Some(_) => None,
                None => float(inner).and_then(Timestamp::from_epoch_f64),
            };
            timestamp_value(t.ok_or_else(|| wrong(name, "a timestamp (tag 1)"))?)
        }
    };
    Ok(Some(value))
}

/// Any item whose head was read, as JSON: for documents, and for members the model does not
/// know (read, checked and dropped).
fn any(r: &mut Reader<'_>, head: Head, depth: usize) -> Result<Value, AwsError> {
    if depth > MAX_DEPTH {
        return Err(serialization("The request nests deeper than the model allows."));
    }
    Ok(match head.major {
        0 | 1 => integer(head).map(Value::from).ok_or_else(|| malformed("an integer out of range"))?,
        2 => Value::String(B64.encode(r.string_bytes(head)?)),
        3 => Value::String(r.text(head)?),
        4 => {
            let mut items = r.items(head, 1)?;
            let mut out = Vec::new();
            while r.more(&mut items)? {
                let h = r.head()?;
                out.push(any(r, h, depth + 1)?);
            }
            Value::Array(out)
        }
        5 => {
            let mut items = r.items(head, 2)?;
            let mut out = Map::new();
            while r.more(&mut items)? {
                let key = r.key()?;
                let h = r.head()?;
                let v = any(r, h, depth + 1)?;
                if out.insert(key, v).is_some() {
                    return Err(serialization("A key is given more than once."));
                }
            }
            Value::Object(out)
        }
        6 => {
            let h = r.head()?;
            any(r, h, depth + 1)?
        }
        _ => match head.info {
            20 => Value::Bool(false),
            21 => Value::Bool(true),
            22 | 23 => Value::Null,
            25..=27 => float(head)
                .filter(|n| n.is_finite())
                .map(Value::from)
                .ok_or_else(|| malformed("a number that is not finite"))?,
            _ => return Err(malformed("an unassigned simple value")),
        },
    })
}

// ------------------------------------------------------------------------------------------------
// Writing.

fn write_head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    if n < 24 {
        out.push(m | n as u8);
    } else if n <= u64::from(u8::MAX) {
        out.extend_from_slice(&[m | 24, n as u8]);
    } else if n <= u64::from(u16::MAX) {
        out.push(m | 25);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else if n <= u64::from(u32::MAX) {
        out.push(m | 26);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn write_int(out: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        write_head(out, 0, n as u64);
    } else {
        write_head(out, 1, (-1 - n) as u64);
    }
}

fn write_f64(out: &mut Vec<u8>, n: f64) {
    out.push(0xfb);
    out.extend_from_slice(&n.to_bits().to_be_bytes());
}

fn write_text(out: &mut Vec<u8>, text: &str) {
    write_head(out, 3, text.len() as u64);
    out.extend_from_slice(text.as_bytes());
}

/// Serializes the structure `value` (a typed output's value tree) as the shape `shape`.
pub fn to_cbor(model: &Model, shape: ShapeId, value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    if !write(model, shape, value, &mut out, 0) {
        out.clear();
        out.push(0xa0);
    }
    out
}

/// Writes `v` as `shape`; `false` (and nothing meaningful written) when `v` is absent or does not
/// have the shape's type, so that the caller leaves the member out.
fn write(model: &Model, shape: ShapeId, v: &Value, out: &mut Vec<u8>, depth: usize) -> bool {
    if v.is_null() || depth > MAX_DEPTH {
        return false;
    }
    match (&model.shape(shape).kind, v) {
        (Kind::Structure { document: true, .. }, v) => write_any(v, out, depth),
        (Kind::Structure { members, .. }, Value::Object(fields)) => {
            let mut body = Vec::new();
            let mut count = 0u64;
            for m in members {
                let Some(field) = fields.get(&m.name) else { continue };
                let mark = body.len();
                write_text(&mut body, &m.name);
                if write(model, m.shape, field, &mut body, depth + 1) {
                    count += 1;
                } else {
                    body.truncate(mark);
                }
            }
            write_head(out, 5, count);
            out.extend_from_slice(&body);
            true
        }
        (Kind::List { member, .. }, Value::Array(items)) => {
            let mut body = Vec::new();
            let mut count = 0u64;
            for item in items {
                let mark = body.len();
                if write(model, *member, item, &mut body, depth + 1) {
                    count += 1;
                } else {
                    body.truncate(mark);
                }
            }
            write_head(out, 4, count);
            out.extend_from_slice(&body);
            true
        }
        (Kind::Map { value, .. }, Value::Object(entries)) => {
            let mut body = Vec::new();
            let mut count = 0u64;
            for (k, item) in entries {
                let mark = body.len();
                write_text(&mut body, k);
                if write(model, *value, item, &mut body, depth + 1) {
                    count += 1;
                } else {
                    body.truncate(mark);
                }
            }
            write_head(out, 5, count);
            out.extend_from_slice(&body);
            true
        }
        (Kind::String, Value::String(s)) => {
            write_text(out, s);
            true
        }
        (Kind::Blob, Value::String(s)) => match B64.decode(s) {
            Ok(bytes) => {
                write_head(out, 2, bytes.len() as u64);
                out.extend_from_slice(&bytes);
                true
            }
            Err(_) => false,
        },
        (Kind::Boolean, Value::Bool(b)) => {
            out.push(if *b { 0xf5 } else { 0xf4 });
            true
        }
        (Kind::Integer | Kind::Long, Value::Number(n)) => match n.as_i64() {
            Some(n) => {
                write_int(out, n);
                true
            }
            None => false,
        },
        (Kind::Double, Value::Number(n)) => match n.as_f64() {
            Some(n) => {
                write_f64(out, n);
                true
            }
            None => false,
        },
        (Kind::Timestamp, v) => match timestamp_of(v) {
            Some(t) => {
                write_head(out, 6, 1);
                if t.millis() % 1000 == 0 {
                    write_int(out, t.millis() / 1000);
                } else {
                    write_f64(out, t.secs_f64());
                }
                true
            }
            None => false,
        },
        _ => false,
    }
}

/// A document (free-form JSON) as CBOR.
fn write_any(v: &Value, out: &mut Vec<u8>, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    match v {
        Value::Null => out.push(0xf6),
        Value::Bool(b) => out.push(if *b { 0xf5 } else { 0xf4 }),
        Value::Number(n) => match n.as_i64() {
            Some(i) => write_int(out, i),
            None => write_f64(out, n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => write_text(out, s),
        Value::Array(items) => {
            write_head(out, 4, items.len() as u64);
            for item in items {
                if !write_any(item, out, depth + 1) {
                    out.push(0xf6);
                }
            }
        }
        Value::Object(entries) => {
            write_head(out, 5, entries.len() as u64);
            for (k, item) in entries {
                write_text(out, k);
                if !write_any(item, out, depth + 1) {
                    out.push(0xf6);
                }
            }
        }
    }
    true
}
