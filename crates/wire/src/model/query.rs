//! The query protocols from the model: form parameters in (`query` and `ec2`), XML out.
//!
//! Input names follow the model: a member is named by its `locationName` (EC2: `queryName`, else
//! its `locationName` capitalized, else its name); a list is `Name.member.N` (or
//! `Name.{locationName}.N`), or `Name.N` when flattened and always in EC2; a map is
//! `Name.entry.N.key` / `.value` (`Name.N.key` when flattened). `Name=` with an empty value is an
//! empty list, as botocore sends one. Parsing is as strict as [`crate::query`]: malformed list
//! members (index 0, gaps, repeats, missing fields) are refused with AWS's `ValidationError`
//! wording, never read approximately. Parameters the model does not know are ignored, as AWS
//! ignores them.

use super::{Kind, Member, Model, ShapeId, Timestamp, TimestampFormat};
use crate::protocol::Protocol;
use crate::query::{QueryParams, malformed_member, member_path, must_not_be_null, parse_index};
use crate::xml::escape_into;
use base64::Engine as _;
use rampart_core::AwsError;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Which query dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// The query protocol (IAM, STS, SNS, CloudWatch's older one).
    Query,
    /// EC2's variant: `queryName`, lists always flattened.
    Ec2,
}

/// One parameter below some prefix: what follows the prefix, the whole name, the value.
#[derive(Debug, Clone, Copy)]
struct Param<'q> {
    rest: &'q str,
    key: &'q str,
    value: &'q str,
}

/// Builds the value tree of the structure `shape` from the request's parameters. A parameter
/// that cannot be read is `ValidationError` (400), `InvalidParameterValue` in EC2's dialect.
pub fn parse(model: &Model, shape: ShapeId, params: &QueryParams, dialect: Dialect) -> Result<Value, AwsError> {
    let all: Vec<Param<'_>> =
        params.pairs().iter().map(|(k, v)| Param { rest: k.as_str(), key: k.as_str(), value: v.as_str() }).collect();
    let tree = structure(model, shape, &all, "", dialect);
    match (tree, dialect) {
        // EC2 spells a parameter it cannot read as it spells a broken constraint.
        (Err(e), Dialect::Ec2) if e.code() == "ValidationError" => {
            Err(AwsError::new("InvalidParameterValue", e.status(), e.message().to_owned()))
        }
        (tree, _) => tree,
    }
}

fn wire_name(m: &Member, dialect: Dialect) -> Cow<'_, str> {
    match dialect {
        Dialect::Query => Cow::Borrowed(m.wire_name()),
        Dialect::Ec2 => Cow::Owned(super::ec2::input_name(m)),
    }
}

/// The parameters under `name`: `rest` becomes what follows `name.`; an exact `name` has `rest`
/// empty.
fn under<'q>(params: &[Param<'q>], name: &str) -> Vec<Param<'q>> {
    params
        .iter()
        .filter_map(|p| {
            let after = p.rest.strip_prefix(name)?;
            if after.is_empty() {
                Some(Param { rest: "", ..*p })
            } else {
                after.strip_prefix('.').map(|rest| Param { rest, ..*p })
            }
        })
        .collect()
}

fn structure(model: &Model, shape: ShapeId, params: &[Param<'_>], prefix: &str, d: Dialect) -> Result<Value, AwsError> {
    let mut out = Map::new();
    for m in model.members(shape) {
        let name = wire_name(m, d);
        let mine = under(params, &name);
        if mine.is_empty() {
            continue;
        }
        let full = format!("{prefix}{name}");
        if let Some(v) = value(model, m.shape, m, &mine, &full, d)? {
            out.insert(m.name.clone(), v);
        }
    }
    Ok(Value::Object(out))
}

/// The value of one member from its parameters (`rest` relative to the member's name).
fn value(
    model: &Model,
    shape: ShapeId,
    m: &Member,
    params: &[Param<'_>],
    full: &str,
    d: Dialect,
) -> Result<Option<Value>, AwsError> {
    match &model.shape(shape).kind {
        Kind::Structure { document: true, .. } => Ok(None),
        Kind::Structure { .. } => {
            let inner: Vec<Param<'_>> = params.iter().filter(|p| !p.rest.is_empty()).copied().collect();
            if inner.is_empty() {
                return Ok(None);
            }
            structure(model, shape, &inner, &format!("{full}."), d).map(Some)
        }
        Kind::List { member, member_name, flattened } => {
            if d == Dialect::Ec2
                && let Some(p) = params.iter().find(|p| p.rest.is_empty() && !p.value.is_empty())
            {
                // EC2 lists are always `Name.N`; a bare `Name=value` is not one.
                return Err(malformed_member(p.key, full, "Member must be named Name.N"));
            }
            if params.iter().all(|p| p.rest.is_empty()) {
                // `Name=`: botocore's empty list.
                return Ok(Some(Value::Array(Vec::new())));
            }
            let flat = *flattened || m.flattened || d == Dialect::Ec2;
            let (head, list_params) = if flat {
                (full.to_owned(), params.iter().filter(|p| !p.rest.is_empty()).copied().collect::<Vec<_>>())
            } else {
                let element = member_name.as_deref().unwrap_or("member");
                let inner = under(params, element);
                if let Some(stray) = params.iter().find(|p| !p.rest.is_empty() && under(&[**p], element).is_empty()) {
                    return Err(malformed_member(stray.key, full, "Member must be named Name.member.N"));
                }
                (format!("{full}.{element}"), inner)
            };
            let scalar =
                !matches!(model.shape(*member).kind, Kind::Structure { .. } | Kind::List { .. } | Kind::Map { .. });
            let groups = group(&list_params, full, &head, scalar)?;
            let mut items = Vec::with_capacity(groups.len());
            for (i, fields) in groups.into_iter().enumerate() {
                let element_name = format!("{head}.{}", i + 1);
                match value(model, *member, m, &fields, &element_name, d)? {
                    Some(v) => items.push(v),
                    None => items.push(Value::Object(Map::new())),
                }
            }
            Ok(Some(Value::Array(items)))
        }
        Kind::Map { key, value: value_shape, key_name, value_name, flattened } => {
            let flat = *flattened || m.flattened;
            let inner: Vec<Param<'_>> = if flat {
                params.iter().filter(|p| !p.rest.is_empty()).copied().collect()
            } else {
                under(params, "entry")
            };
            let head = if flat { full.to_owned() } else { format!("{full}.entry") };
            let groups = group(&inner, full, &head, false)?;
            // EC2 capitalizes these names as it does members' (botocore's `EC2Serializer`).
            let (key_name, value_name) = match d {
                Dialect::Query => (
                    key_name.as_deref().unwrap_or("key").to_owned(),
                    value_name.as_deref().unwrap_or("value").to_owned(),
                ),
                Dialect::Ec2 => (
                    key_name.as_deref().map_or_else(|| "key".to_owned(), crate::query::upper_first),
                    value_name.as_deref().map_or_else(|| "value".to_owned(), crate::query::upper_first),
                ),
            };
            let (key_name, value_name) = (key_name.as_str(), value_name.as_str());
            let mut out = Map::new();
            for (i, fields) in groups.into_iter().enumerate() {
                let entry = format!("{head}.{}", i + 1);
                let k = fields
                    .iter()
                    .find(|p| p.rest == key_name)
                    .ok_or_else(|| must_not_be_null(&format!("{entry}.{key_name}")))?;
                let _ = key;
                let vparams = under(&fields, value_name);
                if vparams.is_empty() {
                    return Err(must_not_be_null(&format!("{entry}.{value_name}")));
                }
                if let Some(v) = value(model, *value_shape, m, &vparams, &format!("{entry}.{value_name}"), d)? {
                    out.insert(k.value.to_owned(), v);
                }
            }
            Ok(Some(Value::Object(out)))
        }
        _ => {
            let Some(p) = params.iter().find(|p| p.rest.is_empty()) else { return Ok(None) };
            scalar(model, shape, m, p.value, full).map(Some)
        }
    }
}

/// Groups list (or map entry) parameters by index, in index order, refusing malformed names.
/// Each group's `rest` becomes what follows the index (`""` for a scalar member).
fn group<'q>(params: &[Param<'q>], list: &str, head: &str, scalar: bool) -> Result<Vec<Vec<Param<'q>>>, AwsError> {
    let mut by_index: BTreeMap<usize, Vec<Param<'q>>> = BTreeMap::new();
    for p in params {
        let (index_text, field) = match p.rest.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (p.rest, None),
        };
        let index = parse_index(index_text).ok_or_else(|| {
            malformed_member(p.key, list, "Member index must be a decimal number from 1, without sign or leading zeros")
        })?;
        let rest = match (scalar, field) {
            (true, None) => "",
            (false, Some(f)) if f.split('.').all(|s| !s.is_empty()) => f,
            (true, Some(_)) => {
                return Err(malformed_member(p.key, list, "Member must be named Name.member.N, with nothing after N"));
            }
            (false, _) => {
                return Err(malformed_member(
                    p.key,
                    list,
                    "Member must be named Name.member.N.Field, with no empty segments",
                ));
            }
        };
        let fields = by_index.entry(index).or_default();
        if fields.iter().any(|e| e.rest == rest) {
            return Err(malformed_member(p.key, list, "Member must not be given more than once"));
        }
        fields.push(Param { rest, ..*p });
    }
    let mut out = Vec::with_capacity(by_index.len());
    for (expected, (index, fields)) in (1..).zip(by_index) {
        if index != expected {
            let key = fields.first().map_or(list, |p| p.key);
            return Err(malformed_member(
                key,
                list,
                &format!("Member indexes must run from 1 without gaps ({head}.{expected} is missing)"),
            ));
        }
        out.push(fields);
    }
    Ok(out)
}

fn not_a(full: &str, value: &str, what: &str) -> AwsError {
    AwsError::validation(format!(
        "1 validation error detected: Value '{}' at '{}' failed to satisfy constraint: Member must be {what}",
        crate::protocol::echo(value),
        member_path(full)
    ))
}

fn scalar(model: &Model, shape: ShapeId, m: &Member, text: &str, full: &str) -> Result<Value, AwsError> {
    Ok(match model.shape(shape).kind {
        Kind::String => Value::String(text.to_owned()),
        Kind::Integer => Value::from(text.parse::<i32>().map_err(|_| not_a(full, text, "an integer"))?),
        Kind::Long => Value::from(text.parse::<i64>().map_err(|_| not_a(full, text, "an integer"))?),
        Kind::Double => {
            let n = text.parse::<f64>().ok().filter(|n| n.is_finite()).ok_or_else(|| not_a(full, text, "a number"))?;
            Value::from(n)
        }
        Kind::Boolean => match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(not_a(full, text, "true or false")),
        },
        Kind::Timestamp => {
            let t = Timestamp::parse_text(text).ok_or_else(|| not_a(full, text, "a timestamp"))?;
            timestamp_value(t)
        }
        Kind::Blob => {
            base64::engine::general_purpose::STANDARD.decode(text).map_err(|_| not_a(full, text, "base64"))?;
            Value::String(text.to_owned())
        }
        _ => {
            let _ = m;
            Value::Null
        }
    })
}

/// A timestamp as the value tree holds it: seconds since the epoch.
pub(crate) fn timestamp_value(t: Timestamp) -> Value {
    t.whole_secs().map_or_else(|| Value::from(t.secs_f64()), Value::from)
}

/// Reads a timestamp from the value tree (a number of seconds, or ISO 8601 text).
pub(crate) fn timestamp_of(v: &Value) -> Option<Timestamp> {
    match v {
        Value::Number(n) => {
            n.as_i64().map(Timestamp::from_secs).or_else(|| n.as_f64().and_then(Timestamp::from_epoch_f64))
        }
        Value::String(s) => Timestamp::parse_text(s),
        _ => None,
    }
}

/// Writes the members of structure `shape` from `value` as query-protocol XML elements.
pub fn write_xml(model: &Model, shape: ShapeId, value: &Value, dialect: Dialect, out: &mut String) {
    let Value::Object(fields) = value else { return };
    for m in model.members(shape) {
        if let Some(v) = fields.get(&m.name)
            && !v.is_null()
        {
            write_member(model, m.shape, m, m.wire_name(), v, dialect, out);
        }
    }
}

fn open(out: &mut String, name: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
}

fn close(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

fn write_member(model: &Model, shape: ShapeId, m: &Member, name: &str, v: &Value, d: Dialect, out: &mut String) {
    let s = model.shape(shape);
    match &s.kind {
        Kind::Structure { document: false, .. } => {
            open(out, name);
            write_xml(model, shape, v, d, out);
            close(out, name);
        }
        Kind::List { member, member_name, flattened } => {
            let Value::Array(items) = v else { return };
            if *flattened || m.flattened {
                let element = member_name.as_deref().unwrap_or(name);
                for item in items {
                    write_member(model, *member, m, element, item, d, out);
                }
            } else {
                let element = member_name.as_deref().unwrap_or(if d == Dialect::Ec2 { "item" } else { "member" });
                open(out, name);
                for item in items {
                    write_member(model, *member, m, element, item, d, out);
                }
                close(out, name);
            }
        }
        Kind::Map { key, value, key_name, value_name, flattened } => {
            let Value::Object(entries) = v else { return };
            let key_name = key_name.as_deref().unwrap_or("key");
            let value_name = value_name.as_deref().unwrap_or("value");
            let flat = *flattened || m.flattened;
            if !flat {
                open(out, name);
            }
            for (k, item) in entries {
                open(out, if flat { name } else { "entry" });
                write_member(model, *key, m, key_name, &Value::String(k.clone()), d, out);
                write_member(model, *value, m, value_name, item, d, out);
                close(out, if flat { name } else { "entry" });
            }
            if !flat {
                close(out, name);
            }
        }
        _ => {
            open(out, name);
            write_scalar(s, m, v, out);
            close(out, name);
        }
    }
}

fn write_scalar(s: &super::Shape, m: &Member, v: &Value, out: &mut String) {
    match (&s.kind, v) {
        (Kind::Timestamp, v) => {
            let format = m.timestamp_format.or(s.timestamp_format).unwrap_or(TimestampFormat::Iso8601);
            match (timestamp_of(v), format) {
                (Some(t), TimestampFormat::Iso8601) => out.push_str(&t.to_iso8601()),
                (Some(t), TimestampFormat::Rfc822) => out.push_str(&t.to_http_date()),
                (Some(t), TimestampFormat::EpochSeconds) => out.push_str(&timestamp_value(t).to_string()),
                (None, _) => {}
            }
        }
        (_, Value::String(text)) => escape_into(out, text),
        (_, Value::Bool(b)) => out.push_str(if *b { "true" } else { "false" }),
        (_, Value::Number(n)) => out.push_str(&n.to_string()),
        _ => {}
    }
}

/// The protocol a dialect answers in.
pub fn protocol(dialect: Dialect) -> Protocol {
    match dialect {
        Dialect::Query => Protocol::Query,
        Dialect::Ec2 => Protocol::Ec2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn iam() -> Model {
        Model::from_json(include_str!("../../../iam/model/iam.json")).unwrap()
    }

    fn parse_op(m: &Model, op: &str, form: &str) -> Result<Value, AwsError> {
        let q = QueryParams::parse("", form.as_bytes()).unwrap();
        parse(m, m.operation(op).unwrap().input.unwrap(), &q, Dialect::Query)
    }

    #[test]
    fn lists_of_structures_and_scalars() {
        let m = iam();
        let v = parse_op(
            &m,
            "CreateUser",
            "Action=CreateUser&UserName=bob&Tags.member.1.Key=a&Tags.member.1.Value=1&Tags.member.2.Key=b&Tags.member.2.Value=2",
        )
        .unwrap();
        assert_eq!(v, json!({"UserName": "bob", "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]}));
        let v = parse_op(&m, "UntagUser", "UserName=bob&TagKeys.member.1=a&TagKeys.member.2=b").unwrap();
        assert_eq!(v, json!({"UserName": "bob", "TagKeys": ["a", "b"]}));
        let v = parse_op(&m, "UntagUser", "UserName=bob&TagKeys=").unwrap();
        assert_eq!(v, json!({"UserName": "bob", "TagKeys": []}));
        let v = parse_op(&m, "ListUsers", "MaxItems=10&Marker=x").unwrap();
        assert_eq!(v, json!({"MaxItems": 10, "Marker": "x"}));
    }

    #[test]
    fn malformed_members_are_refused() {
        let m = iam();
        for form in [
            "UserName=bob&TagKeys.member.0=a",
            "UserName=bob&TagKeys.member.1=a&TagKeys.member.3=c",
            "UserName=bob&TagKeys.member.1.Key=a",
            "UserName=bob&TagKeys.member.01=a",
            "UserName=bob&TagKeys.1=a",
        ] {
            let e = parse_op(&m, "UntagUser", form).unwrap_err();
            assert_eq!(e.code(), "ValidationError", "{form}");
            assert!(e.message().contains("at 'tagKeys'"), "{form}: {}", e.message());
        }
        let e = parse_op(&m, "ListUsers", "MaxItems=ten").unwrap_err();
        assert!(e.message().contains("at 'maxItems'"), "{}", e.message());
    }

    /// An index that is not `1..` in plain decimal.
    fn malformed_index() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            "0[0-9]{0,5}",
            "[-+][0-9]{1,5}",
            "[0-9]{0,3}[^0-9.&=%+][0-9]{0,3}",
            "[1-9][0-9]{20,30}",
        ]
    }

    proptest! {
        /// A list's members are read in index order, whatever order they were sent in.
        #[test]
        fn any_order_of_a_well_formed_list_reads_back(values in prop::collection::vec("[a-z0-9]{1,8}", 1..30), seed in any::<u64>()) {
            let m = iam();
            let mut pairs: Vec<String> = values.iter().enumerate().map(|(i, v)| format!("TagKeys.member.{}={v}", i + 1)).collect();
            let mut state = seed;
            for i in (1..pairs.len()).rev() {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let j = usize::try_from(state >> 33).unwrap_or(0) % (i + 1);
                pairs.swap(i, j);
            }
            let tree = parse_op(&m, "UntagUser", &format!("UserName=u&{}", pairs.join("&"))).unwrap();
            prop_assert_eq!(tree["TagKeys"].clone(), json!(values));
        }

        /// A malformed index anywhere in a list (of strings or of structures) refuses the request.
        #[test]
        fn any_malformed_index_is_refused(index in malformed_index(), valid in 0usize..4, structure in any::<bool>()) {
            let m = iam();
            let (op, list) = if structure { ("TagUser", "Tags") } else { ("UntagUser", "TagKeys") };
            let member = |i: &str, v: &str| if structure {
                format!("{list}.member.{i}.Key={v}&{list}.member.{i}.Value={v}")
            } else {
                format!("{list}.member.{i}={v}")
            };
            let mut pairs: Vec<String> = (1..=valid).map(|i| member(&i.to_string(), "v")).collect();
            pairs.push(member(&index, "x"));
            let form = format!("UserName=u&{}", pairs.join("&"));
            // A form the index made undecodable is refused too, just earlier.
            if let Ok(q) = QueryParams::parse("", form.as_bytes()) {
                let refused = parse(&m, m.operation(op).unwrap().input.unwrap(), &q, Dialect::Query).err();
                prop_assert_eq!(refused.map(|e| e.code().to_owned()), Some("ValidationError".to_owned()));
            }
        }

        /// A gap in a list's indexes refuses the request.
        #[test]
        fn any_gap_is_refused(len in 2usize..20, missing in 1usize..19) {
            prop_assume!(missing < len);
            let m = iam();
            let pairs: Vec<String> = (1..=len).filter(|i| *i != missing).map(|i| format!("TagKeys.member.{i}=v{i}")).collect();
            let form = format!("UserName=u&{}", pairs.join("&"));
            prop_assert!(parse_op(&m, "UntagUser", &form).is_err());
        }
    }

    #[test]
    fn xml_output_follows_the_model() {
        let m = iam();
        let out_shape = m.operation("ListUserTags").unwrap().output.unwrap();
        let mut xml = String::new();
        write_xml(
            &m,
            out_shape,
            &json!({"Tags": [{"Key": "a<", "Value": "1"}], "IsTruncated": false}),
            Dialect::Query,
            &mut xml,
        );
        assert_eq!(
            xml,
            "<Tags><member><Key>a&lt;</Key><Value>1</Value></member></Tags><IsTruncated>false</IsTruncated>"
        );
        let get_user = m.operation("GetUser").unwrap().output.unwrap();
        let mut xml = String::new();
        write_xml(
            &m,
            get_user,
            &json!({"User": {"Path": "/", "UserName": "u", "UserId": "AIDA", "Arn": "arn", "CreateDate": 1764766800}}),
            Dialect::Query,
            &mut xml,
        );
        assert!(xml.contains("<CreateDate>2025-12-03T13:00:00Z</CreateDate>"), "{xml}");
    }
}
