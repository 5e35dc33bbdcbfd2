//! What the two REST protocols (`rest-xml`, `rest-json`) share: routing a request to its
//! operation from the model's `http.method` + `http.requestUri`, and the HTTP bindings of members
//! outside the body (URI labels, query-string parameters, headers, prefixed-header maps, the
//! status code), in both directions.
//!
//! # Routing
//!
//! [`Router::new`] compiles every operation's `requestUri` once: literal segments, `{Label}`
//! labels (one non-empty segment) and greedy `{Key+}` labels (one or more segments, `/` kept),
//! plus the query literals after `?` (`?tagging` requires the parameter, `?list-type=2` requires
//! it with that value). [`Router::route`] answers the most specific operation of the method that
//! matches: compared segment by segment, a literal beats a label and a label beats a greedy
//! label; then the route with more required query literals wins. So `GET /{Bucket}?tagging` is
//! S3's GetBucketTagging, `GET /{Bucket}?list-type=2` ListObjectsV2 and `GET /{Bucket}/{Key+}`
//! GetObject. Labels are percent-decoded (a label that is not UTF-8 once decoded does not
//! match). A trailing `/` is not significant except inside a greedy label (Route 53's
//! ChangeResourceRecordSets is `.../rrset/`, its ListResourceRecordSets `.../rrset`).
//!
//! S3 is routed path-style (`/{Bucket}/{Key+}` on the service host); virtual-host addressing
//! (`bucket.s3.amazonaws.com/key`) is out of scope here: a front end would have to move the
//! bucket from the `Host` header into the path before routing.
//!
//! # In the pipeline
//!
//! Once per service: [`Router::new`] (and, for REST-XML, [`super::rest_xml::service_namespace`]
//! for [`super::rest_xml::respond_in`]). Per request: [`Router::route`]; `None` is the
//! protocol's unknown-operation error. Then [`parse`] (the protocol's parser, then the model's
//! constraints) gives the value tree for `Input::Model`, and [`respond`] writes the handler's
//! output tree back. Errors stay with `Protocol::error_response`.
//!
//! # Streaming payloads
//!
//! A member marked `streaming` (S3 PutObject's `Body`) is never read into the value tree: the
//! pipeline asks [`streaming_payload`] and, when it answers a member, leaves the request body
//! unbuffered (`Input::Rest(parts, RequestBody)`), parses the other members with an empty body,
//! and hands the stream to the handler. A streaming output (GetObject's `Body`) is answered by
//! [`respond_with_body`]: status and headers from the tree, the body the handler streams.

use super::query::{timestamp_of, timestamp_value};
use super::{Kind, Location, Member, Model, OperationModel, ShapeId, Timestamp, TimestampFormat};
use crate::protocol::{Protocol, ResponseBody, malformed_body, set_request_id};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use http::{HeaderMap, HeaderName, HeaderValue, Response, StatusCode};
use percent_encoding::percent_decode_str;
use rampart_core::AwsError;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// The URI labels of a routed request, percent-decoded, by label name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Labels(Vec<(String, String)>);

impl Labels {
    /// Labels from `(name, value)` pairs (values already decoded).
    pub fn new(pairs: Vec<(String, String)>) -> Self {
        Self(pairs)
    }

    /// The value of label `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Every `(name, value)`, in the order of the request URI.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

/// One segment of a request URI template.
#[derive(Debug, Clone)]
enum Segment {
    Literal(String),
    Label { prefix: String, name: String, suffix: String, greedy: bool },
}

impl Segment {
    /// 0 literal, 1 label, 2 greedy label: lower is more specific.
    fn rank(&self) -> u8 {
        match self {
            Self::Literal(_) => 0,
            Self::Label { greedy: false, .. } => 1,
            Self::Label { greedy: true, .. } => 2,
        }
    }
}

#[derive(Debug)]
struct Route {
    op: OperationModel,
    segments: Vec<Segment>,
    /// Required query literals: `(name, Some(value))` or `(name, None)` for presence only.
    query: Vec<(String, Option<String>)>,
    greedy: bool,
}

/// Every operation of a REST model, matched by method, path and query literals.
#[derive(Debug)]
pub struct Router {
    routes: Vec<Route>,
}

/// The query literals of a request URI template (`tagging`, `list-type=2`).
pub fn query_literals(request_uri: &str) -> Vec<(String, Option<String>)> {
    let Some((_, q)) = request_uri.split_once('?') else { return Vec::new() };
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
            None => (p.to_owned(), None),
        })
        .collect()
}

fn compile(template: &str) -> Vec<Segment> {
    let path = template.split_once('?').map_or(template, |(p, _)| p);
    let mut segments: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
    if segments.last() == Some(&"") {
        segments.pop();
    }
    segments
        .into_iter()
        .map(|s| match (s.find('{'), s.rfind('}')) {
            (Some(open), Some(close)) if open < close => {
                let inner = &s[open + 1..close];
                let (name, greedy) = match inner.strip_suffix('+') {
                    Some(n) => (n, true),
                    None => (inner, false),
                };
                Segment::Label {
                    prefix: s[..open].to_owned(),
                    name: name.to_owned(),
                    suffix: s[close + 1..].to_owned(),
                    greedy,
                }
            }
            _ => Segment::Literal(s.to_owned()),
        })
        .collect()
}

fn decode(raw: &str) -> Option<String> {
    percent_decode_str(raw).decode_utf8().ok().map(Cow::into_owned)
}

impl Router {
    /// Compiles the routes of every operation of `model`, most specific first.
    pub fn new(model: &Model) -> Self {
        let mut routes: Vec<Route> = model
            .operations()
            .map(|op| {
                let segments = compile(&op.request_uri);
                let greedy = segments.iter().any(|s| matches!(s, Segment::Label { greedy: true, .. }));
                Route { query: query_literals(&op.request_uri), segments, greedy, op: op.clone() }
            })
            .collect();
        routes.sort_by(|a, b| {
            let ra: Vec<u8> = a.segments.iter().map(Segment::rank).collect();
            let rb: Vec<u8> = b.segments.iter().map(Segment::rank).collect();
            ra.cmp(&rb).then(b.query.len().cmp(&a.query.len())).then_with(|| a.op.name.cmp(&b.op.name))
        });
        Self { routes }
    }

    /// The operation `method path?raw_query` calls, with its URI labels; `None` when no
    /// operation of the model matches.
    pub fn route(&self, method: &str, path: &str, raw_query: &str) -> Option<(&OperationModel, Labels)> {
        let path = path.strip_prefix('/')?;
        let raw: Vec<&str> = path.split('/').collect();
        let params: Vec<(Cow<'_, str>, Cow<'_, str>)> = form_urlencoded::parse(raw_query.as_bytes()).collect();
        self.routes.iter().filter(|r| r.op.method.eq_ignore_ascii_case(method)).find_map(|r| {
            let query_ok = r
                .query
                .iter()
                .all(|(k, v)| params.iter().any(|(pk, pv)| pk == k && v.as_deref().is_none_or(|v| v == pv.as_ref())));
            if !query_ok {
                return None;
            }
            let mut segs = raw.as_slice();
            if !r.greedy && segs.last() == Some(&"") {
                segs = &segs[..segs.len() - 1];
            }
            let mut labels = Vec::new();
            matches(&r.segments, segs, &mut labels).then_some((&r.op, Labels(labels)))
        })
    }

    /// The operation named `name` (as compiled into this router).
    pub fn operation(&self, name: &str) -> Option<&OperationModel> {
        self.routes.iter().map(|r| &r.op).find(|op| op.name == name)
    }
}

fn matches(template: &[Segment], path: &[&str], labels: &mut Vec<(String, String)>) -> bool {
    let Some((first, rest)) = template.split_first() else { return path.is_empty() };
    match first {
        Segment::Literal(lit) => match path.split_first() {
            Some((seg, tail)) if decode(seg).is_some_and(|s| &s == lit) => matches(rest, tail, labels),
            _ => false,
        },
        Segment::Label { prefix, name, suffix, greedy } => {
            let take = if *greedy {
                match path.len().checked_sub(rest.len()) {
                    Some(n) if n >= 1 => n,
                    _ => return false,
                }
            } else {
                1
            };
            if path.len() < take {
                return false;
            }
            let joined = path[..take].join("/");
            let Some(value) = joined.strip_prefix(prefix.as_str()).and_then(|v| v.strip_suffix(suffix.as_str())) else {
                return false;
            };
            let Some(value) = decode(value) else { return false };
            if value.is_empty() {
                return false;
            }
            labels.push((name.clone(), value));
            matches(rest, &path[take..], labels)
        }
    }
}

/// Parses the input of routed operation `op` in the model's REST protocol
/// ([`super::rest_xml::parse`] or [`super::rest_json::parse`]), then checks it against the
/// model's constraints ([`super::validate::check`]). `body` is the whole body, or empty when
/// `op` has a [`streaming_payload`] (the stream stays with the request).
pub fn parse(
    model: &Model,
    op: &OperationModel,
    parts: &http::request::Parts,
    labels: &Labels,
    body: &[u8],
) -> Result<Value, AwsError> {
    let protocol = model.metadata.protocol;
    let tree = match protocol {
        Protocol::RestXml => super::rest_xml::parse(model, op, parts, labels, body)?,
        Protocol::RestJson => super::rest_json::parse(model, op, parts, labels, body)?,
        other => return Err(malformed_body(other, "This service does not speak a REST protocol.")),
    };
    if let Some(shape) = op.input {
        super::validate::check(model, shape, &tree, protocol)?;
    }
    Ok(tree)
}

/// The success response of `op` carrying `output`, in the model's REST protocol
/// ([`super::rest_xml::respond`] or [`super::rest_json::respond`]).
pub fn respond(model: &Model, op: &OperationModel, output: &Value, request_id: &str) -> Response<ResponseBody> {
    match model.metadata.protocol {
        Protocol::RestXml => super::rest_xml::respond(model, op, output, request_id),
        _ => super::rest_json::respond(model, op, output, request_id),
    }
}

/// The streaming payload member of `op`'s input, if it has one: its body is never buffered into
/// the value tree (see the module documentation).
pub fn streaming_payload<'m>(model: &'m Model, op: &OperationModel) -> Option<&'m Member> {
    payload_member(model, op.input?).filter(|m| m.streaming)
}

/// The `payload` member of the structure `shape`.
pub fn payload_member(model: &Model, shape: ShapeId) -> Option<&Member> {
    match &model.shape(shape).kind {
        Kind::Structure { members, payload: Some(i), .. } => members.get(*i),
        _ => None,
    }
}

/// Which REST protocol is binding: decides the error a malformed binding gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    Xml,
    Json,
}

impl Flavor {
    pub(crate) fn bad_value(self, message: String) -> AwsError {
        match self {
            Self::Xml => AwsError::new("InvalidArgument", 400, message),
            Self::Json => AwsError::new("SerializationException", 400, message),
        }
    }
}

/// The deepest nesting a body may have: deeper than any AWS shape, small enough for the stack.
pub(crate) const MAX_DEPTH: usize = 64;

/// Reads the members of `op`'s input bound to the URI, the query string and headers.
pub(crate) fn bind_request(
    model: &Model,
    shape: ShapeId,
    op: &OperationModel,
    parts: &http::request::Parts,
    labels: &Labels,
    flavor: Flavor,
) -> Result<Map<String, Value>, AwsError> {
    let mut out = Map::new();
    let raw_query = parts.uri.query().unwrap_or("");
    let params: Vec<(String, String)> =
        form_urlencoded::parse(raw_query.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let literals = query_literals(&op.request_uri);
    let members = model.members(shape);
    for m in members {
        let value = match m.location {
            Location::Uri => match labels.get(m.wire_name()) {
                Some(text) => Some(text_value(model, m, m.shape, text, TimestampFormat::Iso8601, flavor)?),
                None => None,
            },
            Location::Query => query_member(model, m, &params, &literals, members, flavor)?,
            Location::Header => header_member(model, m, &parts.headers, flavor)?,
            Location::Headers => prefix_headers(model, m, &parts.headers, flavor)?,
            Location::Body | Location::StatusCode => None,
        };
        if let Some(v) = value {
            out.insert(m.name.clone(), v);
        }
    }
    Ok(out)
}

fn query_member(
    model: &Model,
    m: &Member,
    params: &[(String, String)],
    literals: &[(String, Option<String>)],
    members: &[Member],
    flavor: Flavor,
) -> Result<Option<Value>, AwsError> {
    match &model.shape(m.shape).kind {
        Kind::List { member, .. } => {
            let items: Vec<Value> = params
                .iter()
                .filter(|(k, _)| k == m.wire_name())
                .map(|(_, v)| text_value(model, m, *member, v, TimestampFormat::Iso8601, flavor))
                .collect::<Result<_, _>>()?;
            Ok((!items.is_empty()).then_some(Value::Array(items)))
        }
        Kind::Map { value, .. } => {
            // Every parameter no other member and no query literal claims.
            let claimed = |k: &str| {
                literals.iter().any(|(l, _)| l == k)
                    || members.iter().any(|o| o.location == Location::Query && o.name != m.name && o.wire_name() == k)
            };
            let mut map = Map::new();
            for (k, v) in params.iter().filter(|(k, _)| !claimed(k)) {
                let entry = match &model.shape(*value).kind {
                    Kind::List { member, .. } => {
                        let item = text_value(model, m, *member, v, TimestampFormat::Iso8601, flavor)?;
                        match map.remove(k) {
                            Some(Value::Array(mut items)) => {
                                items.push(item);
                                Value::Array(items)
                            }
                            _ => Value::Array(vec![item]),
                        }
                    }
                    _ if map.contains_key(k) => continue,
                    _ => text_value(model, m, *value, v, TimestampFormat::Iso8601, flavor)?,
                };
                map.insert(k.clone(), entry);
            }
            Ok((!map.is_empty()).then_some(Value::Object(map)))
        }
        _ => match params.iter().find(|(k, _)| k == m.wire_name()) {
            Some((_, v)) => text_value(model, m, m.shape, v, TimestampFormat::Iso8601, flavor).map(Some),
            None => Ok(None),
        },
    }
}

fn header_text(headers: &HeaderMap, name: &str, flavor: Flavor) -> Result<Option<String>, AwsError> {
    let mut joined: Option<String> = None;
    for v in headers.get_all(name) {
        let text = std::str::from_utf8(v.as_bytes())
            .map_err(|_| flavor.bad_value(format!("Header {} is not valid UTF-8.", crate::protocol::echo(name))))?;
        match &mut joined {
            Some(j) => {
                j.push(',');
                j.push_str(text);
            }
            None => joined = Some(text.to_owned()),
        }
    }
    Ok(joined)
}

fn header_member(model: &Model, m: &Member, headers: &HeaderMap, flavor: Flavor) -> Result<Option<Value>, AwsError> {
    let Some(text) = header_text(headers, m.wire_name(), flavor)? else { return Ok(None) };
    match &model.shape(m.shape).kind {
        Kind::List { member, .. } => {
            let http_dates = matches!(model.shape(*member).kind, Kind::Timestamp)
                && timestamp_format(model, m, *member, TimestampFormat::Rfc822) == TimestampFormat::Rfc822;
            let items = split_header_list(&text, http_dates);
            items
                .iter()
                .map(|item| text_value(model, m, *member, item, TimestampFormat::Rfc822, flavor))
                .collect::<Result<Vec<_>, _>>()
                .map(|v| Some(Value::Array(v)))
        }
        _ => {
            let trimmed = match model.shape(m.shape).kind {
                Kind::String => text.as_str(),
                _ => text.trim(),
            };
            text_value(model, m, m.shape, trimmed, TimestampFormat::Rfc822, flavor).map(Some)
        }
    }
}

/// Splits a header list: comma-separated, elements optionally double-quoted (`"a,b", c`); HTTP
/// dates contain a comma themselves, so with `http_dates` every second comma separates.
pub(crate) fn split_header_list(text: &str, http_dates: bool) -> Vec<String> {
    let mut items = Vec::new();
    if http_dates {
        let parts: Vec<&str> = text.split(',').collect();
        for pair in parts.chunks(2) {
            items.push(pair.join(",").trim().to_owned());
        }
        return items;
    }
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
            chars.next();
        }
        let mut item = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => item.extend(chars.next()),
                    '"' => break,
                    c => item.push(c),
                }
            }
            // Anything between the closing quote and the comma is dropped.
            for c in chars.by_ref() {
                if c == ',' {
                    break;
                }
            }
            items.push(item);
        } else {
            let mut ended = true;
            for c in chars.by_ref() {
                if c == ',' {
                    ended = false;
                    break;
                }
                item.push(c);
            }
            items.push(item.trim().to_owned());
            if ended {
                break;
            }
            continue;
        }
        if chars.peek().is_none() {
            break;
        }
    }
    items
}

fn prefix_headers(model: &Model, m: &Member, headers: &HeaderMap, flavor: Flavor) -> Result<Option<Value>, AwsError> {
    let prefix = m.wire_name().to_ascii_lowercase();
    let value_shape = match &model.shape(m.shape).kind {
        Kind::Map { value, .. } => *value,
        _ => return Ok(None),
    };
    let mut map = Map::new();
    for name in headers.keys() {
        let Some(key) = name.as_str().strip_prefix(prefix.as_str()) else { continue };
        if key.is_empty() || map.contains_key(key) {
            continue;
        }
        if let Some(text) = header_text(headers, name.as_str(), flavor)? {
            map.insert(key.to_owned(), text_value(model, m, value_shape, &text, TimestampFormat::Rfc822, flavor)?);
        }
    }
    Ok((!map.is_empty()).then_some(Value::Object(map)))
}

/// The format a timestamp member is written in: the member's, else its shape's, else the
/// location's default.
pub(crate) fn timestamp_format(model: &Model, m: &Member, shape: ShapeId, default: TimestampFormat) -> TimestampFormat {
    m.timestamp_format.or(model.shape(shape).timestamp_format).unwrap_or(default)
}

/// Reads a timestamp in `format`, accepting the other two forms as well.
pub(crate) fn parse_timestamp(text: &str, format: TimestampFormat) -> Option<Timestamp> {
    let iso = || Timestamp::parse_iso8601(text);
    let http = || Timestamp::parse_http_date(text);
    let epoch = || Timestamp::parse_epoch_text(text);
    match format {
        TimestampFormat::Iso8601 => iso().or_else(http).or_else(epoch),
        TimestampFormat::Rfc822 => http().or_else(iso).or_else(epoch),
        TimestampFormat::EpochSeconds => epoch().or_else(iso).or_else(http),
    }
}

/// Writes a tree timestamp in `format` as text.
pub(crate) fn format_timestamp(v: &Value, format: TimestampFormat) -> Option<String> {
    let t = timestamp_of(v)?;
    Some(match format {
        TimestampFormat::Iso8601 => t.to_iso8601(),
        TimestampFormat::Rfc822 => t.to_http_date(),
        TimestampFormat::EpochSeconds => timestamp_value(t).to_string(),
    })
}

/// A scalar read from text (a label, a query parameter, a header, XML character data).
pub(crate) fn text_value(
    model: &Model,
    m: &Member,
    shape: ShapeId,
    text: &str,
    default_format: TimestampFormat,
    flavor: Flavor,
) -> Result<Value, AwsError> {
    let bad = |what: &str| {
        flavor.bad_value(format!(
            "Value '{}' for {} must be {what}.",
            crate::protocol::echo(text),
            crate::protocol::echo(m.wire_name())
        ))
    };
    Ok(match model.shape(shape).kind {
        Kind::String => Value::String(text.to_owned()),
        Kind::Integer => Value::from(text.trim().parse::<i32>().map_err(|_| bad("an integer"))?),
        Kind::Long => Value::from(text.trim().parse::<i64>().map_err(|_| bad("an integer"))?),
        Kind::Double => {
            let n = text.trim().parse::<f64>().ok().filter(|n| n.is_finite()).ok_or_else(|| bad("a number"))?;
            Value::from(n)
        }
        Kind::Boolean => match text.trim() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(bad("true or false")),
        },
        Kind::Timestamp => {
            let format = timestamp_format(model, m, shape, default_format);
            timestamp_value(parse_timestamp(text.trim(), format).ok_or_else(|| bad("a timestamp"))?)
        }
        Kind::Blob => {
            let t = text.trim();
            B64.decode(t).map_err(|_| bad("base64"))?;
            Value::String(t.to_owned())
        }
        Kind::Structure { .. } | Kind::List { .. } | Kind::Map { .. } => return Err(bad("a scalar")),
    })
}

/// A scalar of the tree as header or query text.
fn scalar_text(model: &Model, m: &Member, shape: ShapeId, v: &Value) -> Option<String> {
    match (&model.shape(shape).kind, v) {
        (Kind::Timestamp, v) => format_timestamp(v, timestamp_format(model, m, shape, TimestampFormat::Rfc822)),
        (_, Value::String(s)) => Some(s.clone()),
        (_, Value::Bool(b)) => Some(b.to_string()),
        (_, Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

fn quote_if_needed(s: &str) -> String {
    if s.contains(',') || s.contains('"') || s.starts_with(' ') || s.ends_with(' ') {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        s.to_owned()
    }
}

/// The status and headers of a response from the output tree's non-body members.
pub fn response_head(model: &Model, op: &OperationModel, output: &Value) -> (StatusCode, HeaderMap) {
    let mut status = op.response_code;
    let mut headers = HeaderMap::new();
    let (Some(shape), Value::Object(fields)) = (op.output, output) else {
        return (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), headers);
    };
    for m in model.members(shape) {
        let Some(v) = fields.get(&m.name).filter(|v| !v.is_null()) else { continue };
        match m.location {
            Location::StatusCode => {
                if let Some(code) = v.as_u64().and_then(|c| u16::try_from(c).ok()) {
                    status = code;
                }
            }
            Location::Header => {
                let text = match (&model.shape(m.shape).kind, v) {
                    (Kind::List { member, .. }, Value::Array(items)) => {
                        let is_ts = matches!(model.shape(*member).kind, Kind::Timestamp);
                        let texts: Vec<String> = items
                            .iter()
                            .filter_map(|i| scalar_text(model, m, *member, i))
                            .map(|t| if is_ts { t } else { quote_if_needed(&t) })
                            .collect();
                        Some(texts.join(", "))
                    }
                    _ => scalar_text(model, m, m.shape, v),
                };
                if let (Some(text), Ok(name)) = (text, HeaderName::from_bytes(m.wire_name().as_bytes()))
                    && let Ok(value) = HeaderValue::from_bytes(text.as_bytes())
                {
                    headers.append(name, value);
                }
            }
            Location::Headers => {
                let (Kind::Map { value, .. }, Value::Object(entries)) = (&model.shape(m.shape).kind, v) else {
                    continue;
                };
                for (k, item) in entries {
                    let name = format!("{}{k}", m.wire_name());
                    if let (Some(text), Ok(name)) =
                        (scalar_text(model, m, *value, item), HeaderName::from_bytes(name.as_bytes()))
                        && let Ok(value) = HeaderValue::from_bytes(text.as_bytes())
                    {
                        headers.append(name, value);
                    }
                }
            }
            Location::Body | Location::Query | Location::Uri => {}
        }
    }
    (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), headers)
}

/// Builds the response: status and modeled headers from the tree, then `body`, its content type
/// (when there is a body) and the request id headers.
pub(crate) fn build_response(
    model: &Model,
    op: &OperationModel,
    output: &Value,
    request_id: &str,
    body: ResponseBody,
    content_type: Option<&str>,
) -> Response<ResponseBody> {
    let (status, headers) = response_head(model, op, output);
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    if let Some(ct) = content_type
        && let Ok(v) = HeaderValue::from_str(ct)
    {
        h.insert(http::header::CONTENT_TYPE, v);
    }
    // A modeled header (S3's `Content-Type` of an object) replaces the protocol's default.
    for name in headers.keys() {
        h.remove(name);
    }
    for (name, value) in &headers {
        h.append(name.clone(), value.clone());
    }
    set_request_id(&mut resp, request_id, model.metadata.protocol);
    resp
}

/// The response of an operation whose output payload streams (S3 GetObject): status and headers
/// from `output`, the body as the handler streams it.
pub fn respond_with_body(
    model: &Model,
    op: &OperationModel,
    output: &Value,
    request_id: &str,
    body: ResponseBody,
) -> Response<ResponseBody> {
    build_response(model, op, output, request_id, body, None)
}

/// The bytes of a blob or string payload from the tree (base64 text for a blob).
pub(crate) fn raw_payload(model: &Model, m: &Member, v: &Value) -> Option<Vec<u8>> {
    match (&model.shape(m.shape).kind, v) {
        (Kind::Blob, Value::String(b64)) => B64.decode(b64).ok(),
        (_, Value::String(s)) => Some(s.clone().into_bytes()),
        _ => None,
    }
}

/// A blob or string payload read from the raw body; `None` when the body is empty.
pub(crate) fn raw_payload_value(
    model: &Model,
    m: &Member,
    body: &[u8],
    flavor: Flavor,
) -> Result<Option<Value>, AwsError> {
    if body.is_empty() {
        return Ok(None);
    }
    match model.shape(m.shape).kind {
        Kind::Blob => Ok(Some(Value::String(B64.encode(body)))),
        _ => std::str::from_utf8(body)
            .map(|s| Some(Value::String(s.to_owned())))
            .map_err(|_| flavor.bad_value("The request body is not valid UTF-8.".to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lists_split_on_commas_outside_quotes() {
        assert_eq!(split_header_list("a, b,c", false), ["a", "b", "c"]);
        assert_eq!(split_header_list("\"a,b\", c", false), ["a,b", "c"]);
        assert_eq!(split_header_list("\"a\\\"b\"", false), ["a\"b"]);
        assert_eq!(
            split_header_list("Thu, 03 Dec 2026 13:00:00 GMT, Fri, 04 Dec 2026 13:00:00 GMT", true),
            ["Thu, 03 Dec 2026 13:00:00 GMT", "Fri, 04 Dec 2026 13:00:00 GMT"]
        );
    }

    #[test]
    fn templates_compile() {
        let segs = compile("/{Bucket}/{Key+}?uploads");
        assert_eq!(segs.len(), 2);
        assert!(matches!(&segs[1], Segment::Label { greedy: true, name, .. } if name == "Key"));
        assert_eq!(query_literals("/{Bucket}?list-type=2"), [("list-type".to_owned(), Some("2".to_owned()))]);
        assert_eq!(query_literals("/{Bucket}?tagging"), [("tagging".to_owned(), None)]);
    }
}
