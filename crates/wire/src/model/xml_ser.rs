//! Query-protocol XML written straight from a typed output, guided by the model: a serde
//! `Serializer` that knows, at each value, which shape it is writing. No value tree is built, so a
//! response costs what the hand-written writers cost.
//!
//! The generated structures serialize their members under the model's member names, in model
//! order (skipping absent options); the serializer finds each member's traits by name, writes
//! its element (`locationName`), wraps lists in `member` (or the model's member name, or `item` in
//! EC2) unless flattened, writes maps as `entry` / `key` / `value`, and timestamps (which serialize
//! as epoch seconds) as ISO 8601 unless the model says otherwise.

use super::query::Dialect;
use super::{Kind, Member, Model, ShapeId, Timestamp, TimestampFormat};
use crate::xml::escape_into;
use serde::ser::{self, Impossible, Serialize};
use std::fmt;

/// Why a value could not be written (a generated type that does not fit its model: a defect).
#[derive(Debug)]
pub struct XmlSerError(String);

impl fmt::Display for XmlSerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for XmlSerError {}

impl ser::Error for XmlSerError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self(msg.to_string())
    }
}

/// Writes the members of structure `shape` from `value` (a generated structure) into `out`.
pub fn write_members<T: Serialize + ?Sized>(
    model: &Model,
    shape: ShapeId,
    value: &T,
    dialect: Dialect,
    out: &mut String,
) -> Result<(), XmlSerError> {
    value.serialize(Element { model, shape, member: None, name: None, dialect, out, unquote: false })
}

/// Writes `t` as ISO 8601 (`2026-12-03T13:00:00Z`, `.123` only with milliseconds) without
/// formatting machinery.
pub fn push_iso8601(out: &mut String, t: Timestamp) {
    let dt = t.to_datetime();
    let (year, month, day) = (dt.year(), u8::from(dt.month()), dt.day());
    let two = |out: &mut String, n: u8| {
        out.push(char::from(b'0' + n / 10));
        out.push(char::from(b'0' + n % 10));
    };
    if (0..=9999).contains(&year) {
        let y = year as u16;
        for d in [y / 1000, y / 100 % 10, y / 10 % 10, y % 10] {
            out.push(char::from(b'0' + d as u8));
        }
    } else {
        out.push_str(&year.to_string());
    }
    out.push('-');
    two(out, month);
    out.push('-');
    two(out, day);
    out.push('T');
    two(out, dt.hour());
    out.push(':');
    two(out, dt.minute());
    out.push(':');
    two(out, dt.second());
    let ms = t.millis().rem_euclid(1000) as u16;
    if ms != 0 {
        out.push('.');
        for d in [ms / 100, ms / 10 % 10, ms % 10] {
            out.push(char::from(b'0' + d as u8));
        }
    }
    out.push('Z');
}

/// Writes one value of shape `shape`. With `name`, as the element `<name>...</name>`; without
/// (the top-level structure), only its members.
struct Element<'a> {
    model: &'a Model,
    shape: ShapeId,
    member: Option<&'a Member>,
    name: Option<&'a str>,
    dialect: Dialect,
    out: &'a mut String,
    /// The value is a JSON string literal handed over by serde_json's raw-value protocol (how
    /// blobs serialize, see `types.rs`): written without its quotes.
    unquote: bool,
}

/// The struct name under which serde_json's raw-value protocol hands over verbatim JSON.
const RAW_JSON: &str = "$serde_json::private::RawValue";

impl<'a> Element<'a> {
    fn open(&mut self) {
        if let Some(n) = self.name {
            self.out.push('<');
            self.out.push_str(n);
            self.out.push('>');
        }
    }

    fn close(&mut self) {
        if let Some(n) = self.name {
            self.out.push_str("</");
            self.out.push_str(n);
            self.out.push('>');
        }
    }

    fn text(mut self, text: &str) -> Result<(), XmlSerError> {
        self.open();
        escape_into(self.out, text);
        self.close();
        Ok(())
    }

    fn raw(mut self, text: &str) -> Result<(), XmlSerError> {
        self.open();
        self.out.push_str(text);
        self.close();
        Ok(())
    }

    fn is_timestamp(&self) -> bool {
        matches!(self.model.shape(self.shape).kind, Kind::Timestamp)
    }

    fn timestamp(mut self, t: Timestamp) -> Result<(), XmlSerError> {
        let s = self.model.shape(self.shape);
        let format =
            self.member.and_then(|m| m.timestamp_format).or(s.timestamp_format).unwrap_or(TimestampFormat::Iso8601);
        self.open();
        match format {
            TimestampFormat::Iso8601 => push_iso8601(self.out, t),
            TimestampFormat::Rfc822 => self.out.push_str(&t.to_http_date()),
            TimestampFormat::EpochSeconds => {
                let v = super::query::timestamp_value(t);
                self.out.push_str(&v.to_string());
            }
        }
        self.close();
        Ok(())
    }

    fn number(self, text: &str, secs: f64) -> Result<(), XmlSerError> {
        if self.is_timestamp() {
            let t = Timestamp::from_epoch_f64(secs).ok_or_else(|| XmlSerError("timestamp out of range".into()))?;
            self.timestamp(t)
        } else {
            self.raw(text)
        }
    }
}

fn unsupported(what: &str) -> XmlSerError {
    XmlSerError(format!("{what} has no query-protocol XML form"))
}

impl<'a> ser::Serializer for Element<'a> {
    type Ok = ();
    type Error = XmlSerError;
    type SerializeSeq = List<'a>;
    type SerializeTuple = Impossible<(), XmlSerError>;
    type SerializeTupleStruct = Impossible<(), XmlSerError>;
    type SerializeTupleVariant = Impossible<(), XmlSerError>;
    type SerializeMap = MapWriter<'a>;
    type SerializeStruct = Structure<'a>;
    type SerializeStructVariant = Impossible<(), XmlSerError>;

    fn serialize_bool(self, v: bool) -> Result<(), XmlSerError> {
        self.raw(if v { "true" } else { "false" })
    }
    fn serialize_i8(self, v: i8) -> Result<(), XmlSerError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<(), XmlSerError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<(), XmlSerError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<(), XmlSerError> {
        if self.is_timestamp() {
            return self.timestamp(Timestamp::from_secs(v));
        }
        let mut buf = itoa_buffer();
        self.raw(format_i64(&mut buf, v))
    }
    fn serialize_u8(self, v: u8) -> Result<(), XmlSerError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<(), XmlSerError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<(), XmlSerError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<(), XmlSerError> {
        match i64::try_from(v) {
            Ok(v) => self.serialize_i64(v),
            Err(_) => self.raw(&v.to_string()),
        }
    }
    fn serialize_f32(self, v: f32) -> Result<(), XmlSerError> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), XmlSerError> {
        self.number(&v.to_string(), v)
    }
    fn serialize_char(self, v: char) -> Result<(), XmlSerError> {
        self.text(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), XmlSerError> {
        if self.unquote {
            let inner = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(v);
            return self.text(inner);
        }
        if self.is_timestamp() {
            let t = Timestamp::parse_iso8601(v).ok_or_else(|| XmlSerError(format!("`{v}` is not a timestamp")))?;
            return self.timestamp(t);
        }
        self.text(v)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), XmlSerError> {
        Err(unsupported("raw bytes"))
    }
    fn serialize_none(self) -> Result<(), XmlSerError> {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), XmlSerError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), XmlSerError> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), XmlSerError> {
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<(), XmlSerError> {
        self.text(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result<(), XmlSerError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), XmlSerError> {
        Err(unsupported("an enum variant"))
    }
    fn serialize_seq(mut self, _: Option<usize>) -> Result<List<'a>, XmlSerError> {
        let Kind::List { member, member_name, flattened } = &self.model.shape(self.shape).kind else {
            return Err(unsupported("a list where the model has no list"));
        };
        let flat = *flattened || self.member.is_some_and(|m| m.flattened);
        let element: &'a str = match (flat, member_name.as_deref()) {
            (_, Some(n)) => n,
            (true, None) => self.name.unwrap_or("member"),
            (false, None) if self.dialect == Dialect::Ec2 => "item",
            (false, None) => "member",
        };
        if !flat {
            self.open();
        }
        Ok(List { parent: self, element_shape: *member, element, flat })
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, XmlSerError> {
        Err(unsupported("a tuple"))
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, XmlSerError> {
        Err(unsupported("a tuple struct"))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, XmlSerError> {
        Err(unsupported("a tuple variant"))
    }
    fn serialize_map(mut self, _: Option<usize>) -> Result<MapWriter<'a>, XmlSerError> {
        let Kind::Map { key, value, key_name, value_name, flattened } = &self.model.shape(self.shape).kind else {
            return Err(unsupported("a map where the model has no map"));
        };
        let flat = *flattened || self.member.is_some_and(|m| m.flattened);
        if !flat {
            self.open();
        }
        Ok(MapWriter {
            parent: self,
            key_shape: *key,
            value_shape: *value,
            key_name: key_name.as_deref().unwrap_or("key"),
            value_name: value_name.as_deref().unwrap_or("value"),
            flat,
        })
    }
    fn serialize_struct(mut self, name: &'static str, _: usize) -> Result<Structure<'a>, XmlSerError> {
        let members = self.model.members(self.shape);
        self.open();
        Ok(Structure { parent: self, members, cursor: 0, raw: name == RAW_JSON })
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, XmlSerError> {
        Err(unsupported("a struct variant"))
    }
}

/// A structure's members being written.
struct Structure<'a> {
    parent: Element<'a>,
    members: &'a [Member],
    /// Where the last member was found: the generated fields follow model order, so the next one
    /// is almost always at or after it.
    cursor: usize,
    /// serde_json's raw-value protocol: the one field is the value's text.
    raw: bool,
}

impl ser::SerializeStruct for Structure<'_> {
    type Ok = ();
    type Error = XmlSerError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), XmlSerError> {
        if self.raw {
            return value.serialize(Element {
                model: self.parent.model,
                shape: self.parent.shape,
                member: self.parent.member,
                name: None,
                dialect: self.parent.dialect,
                out: self.parent.out,
                unquote: true,
            });
        }
        let n = self.members.len();
        let found = (0..n).map(|i| (self.cursor + i) % n).find(|&i| self.members[i].name == key);
        let Some(i) = found else {
            return Err(XmlSerError(format!("`{key}` is not a member of the model's structure")));
        };
        self.cursor = i;
        let m = &self.members[i];
        value.serialize(Element {
            model: self.parent.model,
            shape: m.shape,
            member: Some(m),
            name: Some(m.wire_name()),
            dialect: self.parent.dialect,
            out: self.parent.out,
            unquote: false,
        })
    }

    fn end(mut self) -> Result<(), XmlSerError> {
        self.parent.close();
        Ok(())
    }
}

/// A list's members being written.
struct List<'a> {
    parent: Element<'a>,
    element_shape: ShapeId,
    element: &'a str,
    flat: bool,
}

impl ser::SerializeSeq for List<'_> {
    type Ok = ();
    type Error = XmlSerError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), XmlSerError> {
        value.serialize(Element {
            model: self.parent.model,
            shape: self.element_shape,
            member: None,
            name: Some(self.element),
            dialect: self.parent.dialect,
            out: self.parent.out,
            unquote: false,
        })
    }

    fn end(mut self) -> Result<(), XmlSerError> {
        if !self.flat {
            self.parent.close();
        }
        Ok(())
    }
}

/// A map's entries being written.
struct MapWriter<'a> {
    parent: Element<'a>,
    key_shape: ShapeId,
    value_shape: ShapeId,
    key_name: &'a str,
    value_name: &'a str,
    flat: bool,
}

impl ser::SerializeMap for MapWriter<'_> {
    type Ok = ();
    type Error = XmlSerError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), XmlSerError> {
        let entry = if self.flat { self.parent.name.unwrap_or("entry") } else { "entry" };
        self.parent.out.push('<');
        self.parent.out.push_str(entry);
        self.parent.out.push('>');
        key.serialize(Element {
            model: self.parent.model,
            shape: self.key_shape,
            member: None,
            name: Some(self.key_name),
            dialect: self.parent.dialect,
            out: self.parent.out,
            unquote: false,
        })
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), XmlSerError> {
        value.serialize(Element {
            model: self.parent.model,
            shape: self.value_shape,
            member: None,
            name: Some(self.value_name),
            dialect: self.parent.dialect,
            out: self.parent.out,
            unquote: false,
        })?;
        let entry = if self.flat { self.parent.name.unwrap_or("entry") } else { "entry" };
        self.parent.out.push_str("</");
        self.parent.out.push_str(entry);
        self.parent.out.push('>');
        Ok(())
    }

    fn end(mut self) -> Result<(), XmlSerError> {
        if !self.flat {
            self.parent.close();
        }
        Ok(())
    }
}

fn itoa_buffer() -> [u8; 20] {
    [0; 20]
}

/// `v` in decimal, written into `buf` without allocating.
fn format_i64(buf: &mut [u8; 20], v: i64) -> &str {
    let negative = v < 0;
    let mut n = v.unsigned_abs();
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if negative {
        // i64::MIN has 19 digits, so there is always room for the sign.
        i -= 1;
        buf[i] = b'-';
    }
    std::str::from_utf8(&buf[i..]).unwrap_or("0")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(serde::Serialize)]
    struct Tag {
        #[serde(rename = "Key")]
        key: String,
        #[serde(rename = "Value")]
        value: String,
    }

    #[derive(serde::Serialize)]
    struct User {
        #[serde(rename = "Path")]
        path: String,
        #[serde(rename = "UserName")]
        user_name: String,
        #[serde(rename = "UserId")]
        user_id: String,
        #[serde(rename = "Arn")]
        arn: String,
        #[serde(rename = "CreateDate")]
        create_date: Timestamp,
        #[serde(rename = "Tags", skip_serializing_if = "Option::is_none")]
        tags: Option<Vec<Tag>>,
    }

    #[derive(serde::Serialize)]
    struct ListUsersResponse {
        #[serde(rename = "Users")]
        users: Vec<User>,
        #[serde(rename = "IsTruncated")]
        is_truncated: Option<bool>,
        #[serde(rename = "Marker", skip_serializing_if = "Option::is_none")]
        marker: Option<String>,
    }

    #[test]
    fn writes_what_the_tree_writer_writes() {
        let m = Model::from_json(include_str!("../../../iam/model/iam.json")).unwrap();
        let typed = ListUsersResponse {
            users: vec![
                User {
                    path: "/".into(),
                    user_name: "u&<".into(),
                    user_id: "AIDA".into(),
                    arn: "arn".into(),
                    create_date: Timestamp::from_secs(1_764_766_800),
                    tags: Some(vec![Tag { key: "a".into(), value: "1".into() }]),
                },
                User {
                    path: "/p/".into(),
                    user_name: "v".into(),
                    user_id: "AIDB".into(),
                    arn: "arn2".into(),
                    create_date: Timestamp::from_millis(1_764_766_800_250),
                    tags: None,
                },
            ],
            is_truncated: Some(true),
            marker: Some("m".into()),
        };
        let shape = m.operation("ListUsers").unwrap().output.unwrap();
        let mut tree = String::new();
        super::super::query::write_xml(&m, shape, &serde_json::to_value(&typed).unwrap(), Dialect::Query, &mut tree);
        let mut direct = String::new();
        write_members(&m, shape, &typed, Dialect::Query, &mut direct).unwrap();
        assert_eq!(direct, tree);
        assert!(direct.contains("<CreateDate>2025-12-03T13:00:00.250Z</CreateDate>"), "{direct}");
        assert!(direct.starts_with("<Users><member><Path>/</Path><UserName>u&amp;&lt;</UserName>"), "{direct}");
        let _ = json!({});
    }

    #[derive(serde::Serialize)]
    struct VirtualMfaDevice {
        #[serde(rename = "SerialNumber")]
        serial_number: String,
        #[serde(rename = "Base32StringSeed")]
        base32_string_seed: Option<super::super::SecretBlob>,
    }

    #[derive(serde::Serialize)]
    struct CreateVirtualMfaDeviceResponse {
        #[serde(rename = "VirtualMFADevice")]
        device: VirtualMfaDevice,
    }

    /// Blobs reach serializers through serde_json's raw-value protocol (see `types.rs`): written
    /// here as their base64 text, as the tree writer writes them.
    #[test]
    fn blobs_are_written_as_base64() {
        let m = Model::from_json(include_str!("../../../iam/model/iam.json")).unwrap();
        let typed = CreateVirtualMfaDeviceResponse {
            device: VirtualMfaDevice {
                serial_number: "arn:aws:iam::123456789012:mfa/d".into(),
                base32_string_seed: Some(b"seed".to_vec().into()),
            },
        };
        let shape = m.operation("CreateVirtualMFADevice").unwrap().output.unwrap();
        let mut direct = String::new();
        write_members(&m, shape, &typed, Dialect::Query, &mut direct).unwrap();
        let mut tree = String::new();
        super::super::query::write_xml(&m, shape, &serde_json::to_value(&typed).unwrap(), Dialect::Query, &mut tree);
        assert_eq!(direct, tree);
        assert!(direct.contains("<Base32StringSeed>c2VlZA==</Base32StringSeed>"), "{direct}");
    }

    #[test]
    fn iso8601_and_integers_without_format() {
        let mut s = String::new();
        push_iso8601(&mut s, Timestamp::parse_iso8601("2026-01-02T03:04:05.067Z").unwrap());
        assert_eq!(s, "2026-01-02T03:04:05.067Z");
        let mut buf = itoa_buffer();
        assert_eq!(format_i64(&mut buf, i64::MIN), i64::MIN.to_string());
        assert_eq!(format_i64(&mut buf, 0), "0");
        assert_eq!(format_i64(&mut buf, 1234), "1234");
    }
}
