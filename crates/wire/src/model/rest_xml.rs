//! The REST-XML protocol (S3, Route 53, CloudFront) from the model.
//!
//! Requests: the members bound to the URI, query string and headers are read by [`super::rest`];
//! the body is either the input's `payload` member (a structure as one XML document whose root
//! is the member's `locationName`; a blob or string as the raw bytes; a `streaming` payload is
//! left out of the tree, see [`super::rest`]) or, without a payload, the input's body members
//! under one root element (Route 53's `CreateHostedZoneRequest`, named by the operation's
//! `input.locationName`). Elements are matched by local name (`locationName`, else the member's
//! name), attributes for `xmlAttribute` members, wrapped lists (`<Name><member>...`, or the
//! list's member `locationName`) and flattened ones (repeated `<Name>` elements), maps
//! (`<entry><key/><value/></entry>`, or flattened). Timestamps are ISO 8601 unless the model
//! says otherwise; blobs are base64. Elements the model does not know are ignored.
//!
//! The body is read by a small strict XML reader (no DTDs, no external entities, the five
//! predefined entities and character references only, nesting bounded): anything malformed,
//! and any value of the wrong type, is AWS's `MalformedXML` (400), never a panic.
//!
//! Responses: status (`http.responseCode` or a `statusCode` member) and header members by
//! [`super::rest`], then the payload member or the body members under a root element named by
//! the output shape's `locationName` (else its name), with the service's namespace on the root
//! (`xmlns="http://s3.amazonaws.com/doc/2006-03-01/"`).

use super::rest::{self, Flavor, Labels, MAX_DEPTH};
use super::{Kind, Location, Member, Model, OperationModel, ShapeId, TimestampFormat};
use crate::protocol::{ResponseBody, full_body};
use crate::xml::escape_into;
use http::Response;
use rampart_core::AwsError;
use serde_json::{Map, Value};

/// `MalformedXML` (400), as S3 words it.
pub fn malformed_xml() -> AwsError {
    AwsError::new(
        "MalformedXML",
        400,
        "The XML you provided was not well-formed or did not validate against our published schema",
    )
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
    let mut out = rest::bind_request(model, shape, op, parts, labels, Flavor::Xml)?;
    if let Some(m) = rest::payload_member(model, shape) {
        if m.streaming {
            return Ok(Value::Object(out));
        }
        let value = match &model.shape(m.shape).kind {
            Kind::Structure { .. } => match document(body)? {
                Some(root) => {
                    let expected = m.location_name.as_deref().or(model.shape(m.shape).location_name.as_deref());
                    if expected.is_some_and(|e| local(&root.name) != local(e)) {
                        return Err(malformed_xml());
                    }
                    Some(value_of(model, m, m.shape, &root, 0)?)
                }
                None => None,
            },
            _ => rest::raw_payload_value(model, m, body, Flavor::Xml)?,
        };
        if let Some(v) = value {
            out.insert(m.name.clone(), v);
        }
        return Ok(Value::Object(out));
    }
    let has_body_members = model.members(shape).iter().any(|m| m.location == Location::Body);
    if has_body_members && let Some(root) = document(body)? {
        if op.input_location_name.as_deref().is_some_and(|e| local(&root.name) != local(e)) {
            return Err(malformed_xml());
        }
        if let Value::Object(fields) = structure(model, shape, &root, 0, true)? {
            out.extend(fields);
        }
    }
    Ok(Value::Object(out))
}

/// The body of a request as a document; `None` when it is empty (or only whitespace).
fn document(body: &[u8]) -> Result<Option<Element>, AwsError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    read_document(body).map(Some).map_err(|_| malformed_xml())
}

fn local(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, l)| l)
}

/// The element name of a flattened list member: the list member's `locationName`, else the
/// member's wire name (botocore's rule).
fn flat_name<'a>(model: &'a Model, m: &'a Member) -> &'a str {
    match &model.shape(m.shape).kind {
        Kind::List { member_name: Some(n), .. } => n,
        _ => m.wire_name(),
    }
}

fn is_flat(model: &Model, m: &Member) -> bool {
    m.flattened
        || matches!(model.shape(m.shape).kind, Kind::List { flattened: true, .. } | Kind::Map { flattened: true, .. })
}

/// The members of structure `shape` read from `el`; `top` limits them to body members.
fn structure(model: &Model, shape: ShapeId, el: &Element, depth: usize, top: bool) -> Result<Value, AwsError> {
    if depth > MAX_DEPTH {
        return Err(malformed_xml());
    }
    if !el.text.trim().is_empty() {
        return Err(malformed_xml());
    }
    let mut out = Map::new();
    for m in model.members(shape) {
        if top && m.location != Location::Body {
            continue;
        }
        if m.xml_attribute {
            let name = m.wire_name();
            let declaration = |k: &str| k == "xmlns" || k.starts_with("xmlns:");
            if let Some((_, text)) =
                el.attrs.iter().find(|(k, _)| !declaration(k) && (k == name || local(k) == local(name)))
            {
                out.insert(m.name.clone(), scalar(model, m, m.shape, text)?);
            }
            continue;
        }
        let flat = is_flat(model, m);
        let value = match &model.shape(m.shape).kind {
            Kind::List { member, .. } if flat => {
                let names = [flat_name(model, m), m.wire_name()];
                let items: Vec<Value> = el
                    .children
                    .iter()
                    .filter(|c| names.contains(&local(&c.name)))
                    .map(|c| value_of(model, m, *member, c, depth + 1))
                    .collect::<Result<_, _>>()?;
                (!items.is_empty()).then_some(Value::Array(items))
            }
            Kind::Map { .. } if flat => {
                let entries: Vec<&Element> = el.children.iter().filter(|c| local(&c.name) == m.wire_name()).collect();
                if entries.is_empty() { None } else { Some(map_entries(model, m, m.shape, &entries, depth + 1)?) }
            }
            _ => match el.children.iter().find(|c| local(&c.name) == m.wire_name()) {
                Some(child) => Some(value_of(model, m, m.shape, child, depth + 1)?),
                None => None,
            },
        };
        if let Some(v) = value {
            out.insert(m.name.clone(), v);
        }
    }
    Ok(Value::Object(out))
}

fn map_entries(
    model: &Model,
    m: &Member,
    shape: ShapeId,
    entries: &[&Element],
    depth: usize,
) -> Result<Value, AwsError> {
    let Kind::Map { value, key_name, value_name, .. } = &model.shape(shape).kind else { return Err(malformed_xml()) };
    let key_name = key_name.as_deref().unwrap_or("key");
    let value_name = value_name.as_deref().unwrap_or("value");
    let mut out = Map::new();
    for entry in entries {
        let k = entry.children.iter().find(|c| local(&c.name) == key_name).ok_or_else(malformed_xml)?;
        if !k.children.is_empty() {
            return Err(malformed_xml());
        }
        let v = entry.children.iter().find(|c| local(&c.name) == value_name).ok_or_else(malformed_xml)?;
        out.insert(k.text.clone(), value_of(model, m, *value, v, depth + 1)?);
    }
    Ok(Value::Object(out))
}

/// The value of shape `shape` held by element `el`.
fn value_of(model: &Model, m: &Member, shape: ShapeId, el: &Element, depth: usize) -> Result<Value, AwsError> {
    if depth > MAX_DEPTH {
        return Err(malformed_xml());
    }
    match &model.shape(shape).kind {
        Kind::Structure { document: true, .. } => Err(malformed_xml()),
        Kind::Structure { .. } => structure(model, shape, el, depth, false),
        Kind::List { member, member_name, .. } => {
            if !el.text.trim().is_empty() {
                return Err(malformed_xml());
            }
            let name = member_name.as_deref().unwrap_or("member");
            el.children
                .iter()
                .filter(|c| local(&c.name) == name)
                .map(|c| value_of(model, m, *member, c, depth + 1))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        Kind::Map { .. } => {
            let entries: Vec<&Element> = el.children.iter().filter(|c| local(&c.name) == "entry").collect();
            map_entries(model, m, shape, &entries, depth + 1)
        }
        _ => {
            if !el.children.is_empty() {
                return Err(malformed_xml());
            }
            scalar(model, m, shape, &el.text)
        }
    }
}

fn scalar(model: &Model, m: &Member, shape: ShapeId, text: &str) -> Result<Value, AwsError> {
    rest::text_value(model, m, shape, text, TimestampFormat::Iso8601, Flavor::Xml).map_err(|_| malformed_xml())
}

/// The namespace REST-XML bodies of this model are written in: the model's `xmlNamespace`, else
/// the one its operations' inputs or members declare (S3 and Route 53 declare it only there).
pub fn service_namespace(model: &Model) -> String {
    if !model.metadata.xml_namespace.is_empty() {
        return model.metadata.xml_namespace.clone();
    }
    let mut ops: Vec<&OperationModel> = model.operations().collect();
    ops.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some(ns) = ops.iter().find_map(|op| op.input_xml_namespace.clone()) {
        return ns;
    }
    for op in ops {
        let Some(input) = op.input else { continue };
        if let Some((uri, None)) = model.members(input).iter().find_map(|m| m.xml_namespace.clone()) {
            return uri;
        }
    }
    String::new()
}

/// The success response of `op` carrying `output` (a value tree of its output shape).
///
/// A streaming payload present in the tree is written whole from its base64; a handler that
/// streams uses [`rest::respond_with_body`] instead.
pub fn respond(model: &Model, op: &OperationModel, output: &Value, request_id: &str) -> Response<ResponseBody> {
    respond_in(model, op, output, request_id, &service_namespace(model))
}

/// [`respond`] with the namespace already known (computed once per service by
/// [`service_namespace`]).
pub fn respond_in(
    model: &Model,
    op: &OperationModel,
    output: &Value,
    request_id: &str,
    namespace: &str,
) -> Response<ResponseBody> {
    let Some(shape) = op.output else {
        return rest::build_response(model, op, output, request_id, full_body(Vec::new()), None);
    };
    let fields = output.as_object();
    if let Some(m) = rest::payload_member(model, shape) {
        let v = fields.and_then(|f| f.get(&m.name)).filter(|v| !v.is_null());
        return match (&model.shape(m.shape).kind, v) {
            (Kind::Structure { .. }, Some(v)) => {
                let name =
                    m.location_name.as_deref().or(model.shape(m.shape).location_name.as_deref()).unwrap_or(&m.name);
                let ns = m.xml_namespace.as_ref().map_or(namespace, |(uri, _)| uri.as_str());
                let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
                write_structure(model, m.shape, name, Some(ns), v, &mut xml, 0);
                rest::build_response(model, op, output, request_id, full_body(xml), Some("application/xml"))
            }
            (_, Some(v)) => {
                let bytes = rest::raw_payload(model, m, v).unwrap_or_default();
                let ct = if matches!(model.shape(m.shape).kind, Kind::Blob) { None } else { Some("text/plain") };
                rest::build_response(model, op, output, request_id, full_body(bytes), ct)
            }
            (_, None) => rest::build_response(model, op, output, request_id, full_body(Vec::new()), None),
        };
    }
    if !model.members(shape).iter().any(|m| m.location == Location::Body) {
        return rest::build_response(model, op, output, request_id, full_body(Vec::new()), None);
    }
    let s = model.shape(shape);
    let name = s.location_name.as_deref().unwrap_or(&s.name);
    let ns = s.xml_namespace.as_deref().unwrap_or(namespace);
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let empty = Value::Object(Map::new());
    write_structure(model, shape, name, Some(ns), fields.map_or(&empty, |_| output), &mut xml, 0);
    rest::build_response(model, op, output, request_id, full_body(xml), Some("application/xml"))
}

/// Writes `<name attrs xmlns>members</name>` for the structure `shape` (body members only).
fn write_structure(
    model: &Model,
    shape: ShapeId,
    name: &str,
    ns: Option<&str>,
    v: &Value,
    out: &mut String,
    depth: usize,
) {
    write_structure_ns(model, shape, name, ns.filter(|n| !n.is_empty()).map(|n| (n, None)), v, out, depth);
}

fn write_structure_ns(
    model: &Model,
    shape: ShapeId,
    name: &str,
    ns: Option<(&str, Option<&str>)>,
    v: &Value,
    out: &mut String,
    depth: usize,
) {
    let Value::Object(fields) = v else { return };
    if depth > MAX_DEPTH {
        return;
    }
    let members = model.members(shape);
    out.push('<');
    out.push_str(name);
    write_ns(ns, out);
    for m in members.iter().filter(|m| m.xml_attribute && m.location == Location::Body) {
        if let Some(text) = fields.get(&m.name).and_then(|v| scalar_text(model, m, m.shape, v)) {
            out.push(' ');
            out.push_str(m.wire_name());
            out.push_str("=\"");
            escape_into(out, &text);
            out.push('"');
        }
    }
    out.push('>');
    for m in members.iter().filter(|m| !m.xml_attribute && m.location == Location::Body) {
        if let Some(v) = fields.get(&m.name).filter(|v| !v.is_null()) {
            write_member(model, m, m.shape, m.wire_name(), v, out, depth + 1, true);
        }
    }
    close(out, name);
}

fn write_ns(ns: Option<(&str, Option<&str>)>, out: &mut String) {
    if let Some((uri, prefix)) = ns {
        match prefix {
            Some(p) => {
                out.push_str(" xmlns:");
                out.push_str(p);
            }
            None => out.push_str(" xmlns"),
        }
        out.push_str("=\"");
        escape_into(out, uri);
        out.push('"');
    }
}

fn close(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

#[allow(clippy::too_many_arguments)]
fn write_member(
    model: &Model,
    m: &Member,
    shape: ShapeId,
    name: &str,
    v: &Value,
    out: &mut String,
    depth: usize,
    own: bool,
) {
    if depth > MAX_DEPTH {
        return;
    }
    // The member's own namespace goes on its element (not on list items).
    let ns = if own { m.xml_namespace.as_ref().map(|(u, p)| (u.as_str(), p.as_deref())) } else { None };
    match &model.shape(shape).kind {
        Kind::Structure { document: true, .. } => {}
        Kind::Structure { .. } => write_structure_ns(model, shape, name, ns, v, out, depth),
        Kind::List { member, member_name, flattened } => {
            let Value::Array(items) = v else { return };
            if own && (*flattened || m.flattened) {
                let element = member_name.as_deref().unwrap_or(name);
                for item in items {
                    write_member(model, m, *member, element, item, out, depth + 1, false);
                }
            } else {
                let element = member_name.as_deref().unwrap_or("member");
                out.push('<');
                out.push_str(name);
                write_ns(ns, out);
                out.push('>');
                for item in items {
                    write_member(model, m, *member, element, item, out, depth + 1, false);
                }
                close(out, name);
            }
        }
        Kind::Map { key, value, key_name, value_name, flattened } => {
            let Value::Object(entries) = v else { return };
            let key_name = key_name.as_deref().unwrap_or("key");
            let value_name = value_name.as_deref().unwrap_or("value");
            let flat = own && (*flattened || m.flattened);
            if !flat {
                out.push('<');
                out.push_str(name);
                write_ns(ns, out);
                out.push('>');
            }
            for (k, item) in entries {
                let entry = if flat { name } else { "entry" };
                out.push('<');
                out.push_str(entry);
                out.push('>');
                write_member(model, m, *key, key_name, &Value::String(k.clone()), out, depth + 1, false);
                write_member(model, m, *value, value_name, item, out, depth + 1, false);
                close(out, entry);
            }
            if !flat {
                close(out, name);
            }
        }
        _ => {
            let Some(text) = scalar_text(model, m, shape, v) else { return };
            out.push('<');
            out.push_str(name);
            write_ns(ns, out);
            out.push('>');
            escape_into(out, &text);
            close(out, name);
        }
    }
}

fn scalar_text(model: &Model, m: &Member, shape: ShapeId, v: &Value) -> Option<String> {
    match (&model.shape(shape).kind, v) {
        (Kind::Timestamp, v) => {
            rest::format_timestamp(v, rest::timestamp_format(model, m, shape, TimestampFormat::Iso8601))
        }
        (Kind::Structure { .. } | Kind::List { .. } | Kind::Map { .. }, _) => None,
        (_, Value::String(s)) => Some(s.clone()),
        (_, Value::Bool(b)) => Some(b.to_string()),
        (_, Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// A small strict XML reader.

/// One element of a parsed document: its qualified name, attributes (qualified names; namespace
/// declarations included), child elements and its character data (concatenated).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    /// The qualified name (`prefix:local` or `local`).
    pub name: String,
    /// Attributes, in document order.
    pub attrs: Vec<(String, String)>,
    /// Child elements, in document order.
    pub children: Vec<Element>,
    /// The element's own character data (entities decoded, CDATA included).
    pub text: String,
}

/// Why a document was refused (the caller answers `MalformedXML`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError(&'static str);

/// Reads one XML document strictly: UTF-8, one root element, matching tags, quoted unique
/// attributes, the predefined entities and character references only, no DTD, at most
/// `MAX_DEPTH` levels.
pub fn read_document(bytes: &[u8]) -> Result<Element, XmlError> {
    let text = std::str::from_utf8(bytes).map_err(|_| XmlError("not UTF-8"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut r = Reader { s: text.as_bytes(), src: text, pos: 0 };
    r.misc()?;
    if r.peek() != Some(b'<') {
        return Err(XmlError("no root element"));
    }
    let root = r.element(0)?;
    r.misc()?;
    if r.pos != r.s.len() {
        return Err(XmlError("content after the root element"));
    }
    Ok(root)
}

struct Reader<'a> {
    s: &'a [u8],
    src: &'a str,
    pos: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn starts(&self, lit: &str) -> bool {
        self.s[self.pos..].starts_with(lit.as_bytes())
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n')) {
            self.pos += 1;
        }
    }

    /// Skips past `end`, failing if it never comes.
    fn skip_past(&mut self, end: &str) -> Result<usize, XmlError> {
        let from = self.pos;
        let found = self.src[from..].find(end).ok_or(XmlError("unterminated construct"))?;
        self.pos = from + found + end.len();
        Ok(from + found)
    }

    /// Whitespace, comments and processing instructions (the XML declaration included) around
    /// the root; a DTD is refused.
    fn misc(&mut self) -> Result<(), XmlError> {
        loop {
            self.skip_ws();
            if self.starts("<?") {
                self.pos += 2;
                self.skip_past("?>")?;
            } else if self.starts("<!--") {
                self.pos += 4;
                self.skip_past("-->")?;
            } else if self.starts("<!") {
                return Err(XmlError("DTDs are not accepted"));
            } else {
                return Ok(());
            }
        }
    }

    fn name(&mut self) -> Result<String, XmlError> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            let ok = c.is_ascii_alphanumeric() || matches!(c, b'_' | b':' | b'-' | b'.') || c >= 0x80;
            if !ok {
                break;
            }
            self.pos += 1;
        }
        let name = &self.src[start..self.pos];
        match name.bytes().next() {
            None => Err(XmlError("expected a name")),
            Some(c) if c.is_ascii_digit() || c == b'-' || c == b'.' => Err(XmlError("bad name")),
            Some(_) => Ok(name.to_owned()),
        }
    }

    fn element(&mut self, depth: usize) -> Result<Element, XmlError> {
        if depth > MAX_DEPTH {
            return Err(XmlError("nested too deeply"));
        }
        self.pos += 1; // '<'
        let name = self.name()?;
        let mut el = Element { name, ..Element::default() };
        loop {
            let before = self.pos;
            self.skip_ws();
            match self.peek() {
                Some(b'/') => {
                    self.pos += 1;
                    if self.peek() != Some(b'>') {
                        return Err(XmlError("bad empty-element tag"));
                    }
                    self.pos += 1;
                    return Ok(el);
                }
                Some(b'>') => {
                    self.pos += 1;
                    break;
                }
                Some(_) if self.pos > before => {
                    let key = self.name()?;
                    self.skip_ws();
                    if self.peek() != Some(b'=') {
                        return Err(XmlError("attribute without value"));
                    }
                    self.pos += 1;
                    self.skip_ws();
                    let quote = self.peek().filter(|q| *q == b'"' || *q == b'\'').ok_or(XmlError("unquoted value"))?;
                    self.pos += 1;
                    let start = self.pos;
                    let end =
                        start + self.src[start..].find(quote as char).ok_or(XmlError("unterminated attribute"))?;
                    let raw = &self.src[start..end];
                    if raw.contains('<') {
                        return Err(XmlError("'<' in attribute"));
                    }
                    self.pos = end + 1;
                    if el.attrs.iter().any(|(k, _)| *k == key) {
                        return Err(XmlError("duplicate attribute"));
                    }
                    el.attrs.push((key, unescape(raw)?));
                }
                _ => return Err(XmlError("bad tag")),
            }
        }
        // Content.
        loop {
            let start = self.pos;
            while self.peek().is_some_and(|c| c != b'<') {
                self.pos += 1;
            }
            if self.pos > start {
                el.text.push_str(&unescape(&self.src[start..self.pos])?);
            }
            if self.peek().is_none() {
                return Err(XmlError("unclosed element"));
            }
            if self.starts("</") {
                self.pos += 2;
                let end = self.name()?;
                self.skip_ws();
                if end != el.name || self.peek() != Some(b'>') {
                    return Err(XmlError("mismatched end tag"));
                }
                self.pos += 1;
                return Ok(el);
            } else if self.starts("<!--") {
                self.pos += 4;
                self.skip_past("-->")?;
            } else if self.starts("<![CDATA[") {
                self.pos += 9;
                let from = self.pos;
                let end = self.skip_past("]]>")?;
                el.text.push_str(&self.src[from..end]);
            } else if self.starts("<?") {
                self.pos += 2;
                self.skip_past("?>")?;
            } else if self.starts("<!") {
                return Err(XmlError("declarations are not accepted"));
            } else {
                let child = self.element(depth + 1)?;
                el.children.push(child);
            }
        }
    }
}

/// Decodes the predefined entities and character references.
fn unescape(raw: &str) -> Result<String, XmlError> {
    if !raw.contains('&') {
        return Ok(raw.to_owned());
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let end = after.find(';').ok_or(XmlError("unterminated entity"))?;
        let entity = &after[..end];
        let c = match entity {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = if let Some(hex) = entity.strip_prefix("#x") {
                    u32::from_str_radix(hex, 16).ok()
                } else if let Some(dec) = entity.strip_prefix('#') {
                    dec.parse::<u32>().ok()
                } else {
                    None
                };
                code.filter(|c| *c != 0).and_then(char::from_u32).ok_or(XmlError("unknown entity"))?
            }
        };
        out.push(c);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_accepts_well_formed_documents() {
        let d = read_document(
            b"<?xml version=\"1.0\"?>\n<!-- c --><a xmlns=\"urn:x\" k='v &amp; w'><b>1 &lt; 2</b><b/><c><![CDATA[<raw>]]></c></a>\n",
        )
        .unwrap();
        assert_eq!(d.name, "a");
        assert_eq!(d.attrs, [("xmlns".to_owned(), "urn:x".to_owned()), ("k".to_owned(), "v & w".to_owned())]);
        assert_eq!(d.children.len(), 3);
        assert_eq!(d.children[0].text, "1 < 2");
        assert_eq!(d.children[2].text, "<raw>");
        assert_eq!(read_document(b"<a>&#65;&#x42;</a>").unwrap().text, "AB");
    }

    #[test]
    fn reader_refuses_malformed_documents() {
        for bad in [
            &b""[..],
            b"<a>",
            b"<a></b>",
            b"<a><b></a></b>",
            b"<a x=1/>",
            b"<a x='1' x='2'/>",
            b"<a>&bogus;</a>",
            b"<a>&#0;</a>",
            b"<a/><b/>",
            b"text",
            b"<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>",
            b"<a><!DOCTYPE x></a>",
            b"<a>\xff</a>",
            b"<1a/>",
            b"<a><![CDATA[x</a>",
        ] {
            assert!(read_document(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        let deep = format!("{}{}", "<a>".repeat(200), "</a>".repeat(200));
        assert!(read_document(deep.as_bytes()).is_err());
    }
}
