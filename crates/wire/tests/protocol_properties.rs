//! Property tests of the model-driven protocol layer (`rampart_wire::model`):
//! - the RPC v2 CBOR parser, the JSON type checker and the query parser (both dialects, with the
//!   IAM and EC2 models) never panic, whatever the body: arbitrary bytes, arbitrary JSON, forms
//!   built from the models' own member names, and mutations of well-formed CBOR bodies;
//! - a CBOR header claiming more items or bytes than the body holds (up to 2^64 - 1) is refused
//!   at once, at any depth and for every major type, without allocating for the claim;
//! - well-formed values generated from the models round-trip: CBOR (`to_cbor` then `parse`) for
//!   every input and output of the CloudWatch model and a model with every shape kind, and EC2
//!   (botocore's `EC2Serializer` rules, ported below, then `query::parse`) for every input of the
//!   EC2 model.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use rampart_wire::model::query::{self, Dialect};
use rampart_wire::model::{Kind, Location, Model, ShapeId, Timestamp, cbor, json};
use rampart_wire::query::QueryParams;
use serde_json::{Map, Value};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

/// `cases` cases (unless `PROPTEST_CASES` says otherwise); a failing case is saved next to this
/// file, in `protocol_properties.regressions`.
fn config(cases: u32) -> ProptestConfig {
    let default = ProptestConfig::default();
    let cases = if std::env::var_os("PROPTEST_CASES").is_some() { default.cases } else { cases };
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..default
    }
}

/// Every shape kind, recursive (`Sub`, `Subs`).
const KITCHEN: &str = r#"{
  "version": "2.0",
  "metadata": {"protocol": "smithy-rpc-v2-cbor", "targetPrefix": "Kitchen", "apiVersion": "2020-01-01"},
  "operations": {
    "Sink": {"name": "Sink", "http": {"method": "POST", "requestUri": "/"},
             "input": {"shape": "All"}, "output": {"shape": "All"}}
  },
  "shapes": {
    "All": {"type": "structure", "members": {
      "S": {"shape": "Str"}, "I": {"shape": "Int"}, "L": {"shape": "Long"}, "D": {"shape": "Dbl"},
      "B": {"shape": "Bool"}, "T": {"shape": "Ts"}, "Bl": {"shape": "Blb"},
      "Ls": {"shape": "StrList"}, "Nested": {"shape": "NestedList"}, "M": {"shape": "BlobMap"},
      "Tm": {"shape": "TsMap"}, "Sub": {"shape": "All"}, "Subs": {"shape": "AllList"}}},
    "Str": {"type": "string"}, "Int": {"type": "integer"}, "Long": {"type": "long"},
    "Dbl": {"type": "double"}, "Bool": {"type": "boolean"}, "Ts": {"type": "timestamp"}, "Blb": {"type": "blob"},
    "StrList": {"type": "list", "member": {"shape": "Str"}},
    "NestedList": {"type": "list", "member": {"shape": "StrList"}},
    "BlobMap": {"type": "map", "key": {"shape": "Str"}, "value": {"shape": "Blb"}},
    "TsMap": {"type": "map", "key": {"shape": "Str"}, "value": {"shape": "Ts"}},
    "AllList": {"type": "list", "member": {"shape": "All"}}
  }
}"#;

static KITCHEN_MODEL: LazyLock<Model> = LazyLock::new(|| Model::from_json(KITCHEN).unwrap());
static MONITORING: LazyLock<Model> =
    LazyLock::new(|| Model::from_json(include_str!("../model/monitoring.json")).unwrap());
static EC2: LazyLock<Model> = LazyLock::new(|| Model::from_json(include_str!("../model/ec2.json")).unwrap());
static IAM: LazyLock<Model> = LazyLock::new(|| Model::from_json(include_str!("../../iam/model/iam.json")).unwrap());
static KMS: LazyLock<Model> = LazyLock::new(|| Model::from_json(include_str!("../../kms/model/kms.json")).unwrap());

/// The input and output structures of every operation of `model`.
fn io_shapes(model: &Model) -> Vec<ShapeId> {
    let mut ops: Vec<_> = model.operations().collect();
    ops.sort_by(|a, b| a.name.cmp(&b.name));
    ops.iter().flat_map(|o| [o.input, o.output]).flatten().collect()
}

fn input_shapes(model: &Model) -> Vec<ShapeId> {
    let mut ops: Vec<_> = model.operations().collect();
    ops.sort_by(|a, b| a.name.cmp(&b.name));
    ops.iter().filter_map(|o| o.input).collect()
}

// ---------------------------------------------------------------------------------------------
// Values generated from the model.
// ---------------------------------------------------------------------------------------------

/// What the generated values must satisfy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// Anything the type allows (CBOR carries it all).
    Any,
    /// What an EC2 form can carry: no empty lists or structures (botocore sends nothing for
    /// them, so they read back absent), no maps of empty values.
    Ec2,
}

/// Deeper than this, structures generate only their scalar members (the kitchen model recurses).
const GEN_DEPTH: u32 = 3;

fn is_scalar(model: &Model, shape: ShapeId) -> bool {
    !matches!(model.shape(shape).kind, Kind::Structure { .. } | Kind::List { .. } | Kind::Map { .. })
}

fn timestamp_value(t: Timestamp) -> Value {
    t.whole_secs().map_or_else(|| Value::from(t.secs_f64()), Value::from)
}

fn arb_value(model: &'static Model, shape: ShapeId, depth: u32, form: Form) -> BoxedStrategy<Value> {
    let min_items = if form == Form::Ec2 { 1 } else { 0 };
    match &model.shape(shape).kind {
        Kind::Structure { members, .. } => {
            let fields: Vec<BoxedStrategy<Option<(String, Value)>>> = members
                .iter()
                .filter(|m| m.location == Location::Body && (depth < GEN_DEPTH || is_scalar(model, m.shape)))
                .map(|m| {
                    let name = m.name.clone();
                    prop::option::of(arb_value(model, m.shape, depth + 1, form).prop_map(move |v| (name.clone(), v)))
                        .boxed()
                })
                .collect();
            fields
                .prop_map(|fs| Value::Object(fs.into_iter().flatten().collect::<Map<String, Value>>()))
                .prop_filter("EC2 cannot send an empty structure", move |v| {
                    form == Form::Any || v.as_object().is_some_and(|o| !o.is_empty())
                })
                .boxed()
        }
        Kind::List { member, .. } => prop::collection::vec(arb_value(model, *member, depth + 1, form), min_items..4)
            .prop_map(Value::Array)
            .boxed(),
        Kind::Map { value, .. } => {
            prop::collection::btree_map(".{0,8}", arb_value(model, *value, depth + 1, form), min_items..4)
                .prop_map(|m| Value::Object(m.into_iter().collect()))
                .boxed()
        }
        Kind::String => ".{0,12}".prop_map(Value::String).boxed(),
        Kind::Integer => any::<i32>().prop_map(Value::from).boxed(),
        Kind::Long => any::<i64>().prop_map(Value::from).boxed(),
        Kind::Boolean => any::<bool>().prop_map(Value::Bool).boxed(),
        Kind::Double => any::<f64>().prop_filter("finite", |n| n.is_finite()).prop_map(Value::from).boxed(),
        Kind::Timestamp => {
            // ISO 8601 (the query protocols) writes years 1 to 9999; epoch numbers (CBOR) go
            // further.
            let (lo, hi) = match form {
                Form::Any => (-(1i64 << 50), 1i64 << 50),
                Form::Ec2 => (-62_135_596_800_000, 253_402_300_799_999),
            };
            prop_oneof![
                (lo / 1000..hi / 1000).prop_map(|s| timestamp_value(Timestamp::from_secs(s))),
                (lo..hi).prop_map(|ms| timestamp_value(Timestamp::from_millis(ms))),
            ]
            .boxed()
        }
        Kind::Blob => prop::collection::vec(any::<u8>(), 0..16).prop_map(|b| Value::String(B64.encode(b))).boxed(),
    }
}

/// A structure shape of `model` and a well-formed value of it.
fn arb_input(model: &'static Model, shapes: Vec<ShapeId>, form: Form) -> BoxedStrategy<(ShapeId, Value)> {
    prop::sample::select(shapes).prop_flat_map(move |s| arb_value(model, s, 0, form).prop_map(move |v| (s, v))).boxed()
}

// ---------------------------------------------------------------------------------------------
// botocore's EC2Serializer, for the EC2 round trip.
// ---------------------------------------------------------------------------------------------

fn ec2_form(model: &Model, shape: ShapeId, v: &Value, prefix: &str, out: &mut Vec<(String, String)>) {
    match (&model.shape(shape).kind, v) {
        (Kind::Structure { members, .. }, Value::Object(fields)) => {
            for m in members {
                let Some(field) = fields.get(&m.name) else { continue };
                let name = rampart_wire::model::ec2::input_name(m);
                let full = if prefix.is_empty() { name } else { format!("{prefix}.{name}") };
                ec2_form(model, m.shape, field, &full, out);
            }
        }
        (Kind::List { member, .. }, Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                ec2_form(model, *member, item, &format!("{prefix}.{}", i + 1), out);
            }
        }
        (Kind::Map { value, .. }, Value::Object(entries)) => {
            for (i, (k, item)) in entries.iter().enumerate() {
                out.push((format!("{prefix}.entry.{}.key", i + 1), k.clone()));
                ec2_form(model, *value, item, &format!("{prefix}.entry.{}.value", i + 1), out);
            }
        }
        (Kind::Timestamp, v) => {
            let t = match v {
                Value::Number(n) => n
                    .as_i64()
                    .map(Timestamp::from_secs)
                    .or_else(|| n.as_f64().and_then(Timestamp::from_epoch_f64))
                    .unwrap(),
                _ => unreachable!("generated timestamps are numbers"),
            };
            out.push((prefix.to_owned(), t.to_iso8601()));
        }
        (_, Value::String(s)) => out.push((prefix.to_owned(), s.clone())),
        (_, Value::Bool(b)) => out.push((prefix.to_owned(), b.to_string())),
        (_, Value::Number(n)) => out.push((prefix.to_owned(), n.to_string())),
        _ => {}
    }
}

fn encode_form(pairs: &[(String, String)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

// ---------------------------------------------------------------------------------------------
// Hostile inputs.
// ---------------------------------------------------------------------------------------------

/// Every name a parameter of `model` could have, in either dialect, and the list/map words.
fn wire_words(model: &Model) -> Vec<String> {
    let mut words: Vec<String> =
        ["member", "entry", "key", "value", "Key", "Value", "item", "1", "2", "3", "0", "01", ""]
            .into_iter()
            .map(str::to_owned)
            .collect();
    for s in model.shapes() {
        if let Kind::Structure { members, .. } = &s.kind {
            for m in members {
                words.push(m.name.clone());
                words.push(m.wire_name().to_owned());
                words.push(rampart_wire::model::ec2::input_name(m));
            }
        }
    }
    words.sort();
    words.dedup();
    words
}

fn arb_form(model: &'static Model) -> impl Strategy<Value = String> {
    let words = wire_words(model);
    let key = prop::collection::vec(prop::sample::select(words), 1..6).prop_map(|w| w.join("."));
    let value = prop_oneof![
        Just(String::new()),
        Just("true".to_owned()),
        Just("-1".to_owned()),
        Just("2147483648".to_owned()),
        Just("aGk=".to_owned()),
        Just("2026-12-03T13:00:00Z".to_owned()),
        ".{0,6}",
    ];
    prop::collection::vec((key, value), 0..24).prop_map(|pairs| encode_form(&pairs))
}

/// Arbitrary JSON, keys drawn from the model's member names so that typed paths are reached.
fn arb_json(model: &'static Model) -> impl Strategy<Value = Value> {
    let words = wire_words(model);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |n| n.is_finite()).prop_map(Value::from),
        ".{0,6}".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(words.clone()), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A well-formed CBOR body, then damaged: bytes flipped, inserted, removed, or cut short.
fn arb_damaged_cbor() -> impl Strategy<Value = Vec<u8>> {
    (
        arb_input(&KITCHEN_MODEL, io_shapes(&KITCHEN_MODEL), Form::Any),
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..6),
    )
        .prop_map(|((shape, v), edits)| {
            let mut bytes = cbor::to_cbor(&KITCHEN_MODEL, shape, &v);
            for (at, byte, kind) in edits {
                if bytes.is_empty() {
                    bytes.push(byte);
                    continue;
                }
                let i = at.index(bytes.len());
                match kind {
                    0 => bytes[i] = byte,
                    1 => bytes.insert(i, byte),
                    2 => {
                        bytes.remove(i);
                    }
                    _ => bytes.truncate(i),
                }
            }
            bytes
        })
}

fn parse_cbor_everywhere(bytes: &[u8]) {
    for shape in io_shapes(&KITCHEN_MODEL) {
        let _ = cbor::parse(&KITCHEN_MODEL, shape, bytes);
    }
    for shape in io_shapes(&MONITORING) {
        let _ = cbor::parse(&MONITORING, shape, bytes);
    }
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn cbor_parser_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        parse_cbor_everywhere(&bytes);
        // And behind a map header, so that member parsing is reached more often.
        let mut framed = vec![0xbf, 0x61, b'S'];
        framed.extend_from_slice(&bytes);
        parse_cbor_everywhere(&framed);
    }

    #[test]
    fn cbor_parser_never_panics_on_damaged_bodies(bytes in arb_damaged_cbor()) {
        parse_cbor_everywhere(&bytes);
    }

    #[test]
    fn json_type_checker_never_panics(
        bytes in prop::collection::vec(any::<u8>(), 0..128),
        tree in arb_json(&KMS),
        tree2 in arb_json(&MONITORING),
    ) {
        let parsed: Vec<Value> = serde_json::from_slice(&bytes).into_iter().chain([tree, tree2]).collect();
        for v in &parsed {
            for shape in io_shapes(&KMS) {
                let _ = json::check_types(&KMS, shape, v);
            }
            for shape in io_shapes(&MONITORING) {
                let _ = json::check_types(&MONITORING, shape, v);
            }
        }
    }

    #[test]
    fn query_parser_never_panics(
        bytes in prop::collection::vec(any::<u8>(), 0..128),
        iam_form in arb_form(&IAM),
        ec2_form in arb_form(&EC2),
    ) {
        for body in [bytes.as_slice(), iam_form.as_bytes(), ec2_form.as_bytes()] {
            let Ok(params) = QueryParams::parse("", body) else { continue };
            for (model, dialect) in [(&*IAM, Dialect::Query), (&*IAM, Dialect::Ec2), (&*EC2, Dialect::Ec2), (&*EC2, Dialect::Query)] {
                for shape in input_shapes(model) {
                    let _ = query::parse(model, shape, &params, dialect);
                }
            }
        }
    }

    #[test]
    fn cbor_round_trips_generated_values(
        (shape, v) in arb_input(&KITCHEN_MODEL, io_shapes(&KITCHEN_MODEL), Form::Any),
        (mshape, mv) in arb_input(&MONITORING, io_shapes(&MONITORING), Form::Any),
    ) {
        let bytes = cbor::to_cbor(&KITCHEN_MODEL, shape, &v);
        prop_assert_eq!(cbor::parse(&KITCHEN_MODEL, shape, &bytes).unwrap(), v);
        let bytes = cbor::to_cbor(&MONITORING, mshape, &mv);
        prop_assert_eq!(cbor::parse(&MONITORING, mshape, &bytes).unwrap(), mv);
    }

    #[test]
    fn ec2_forms_round_trip_generated_values(
        (shape, v) in arb_input(&EC2, input_shapes(&EC2), Form::Ec2),
        (kshape, kv) in arb_input(&KITCHEN_MODEL, input_shapes(&KITCHEN_MODEL), Form::Ec2),
    ) {
        for (model, shape, v) in [(&*EC2, shape, v), (&*KITCHEN_MODEL, kshape, kv)] {
            let mut pairs = Vec::new();
            ec2_form(model, shape, &v, "", &mut pairs);
            let body = encode_form(&pairs);
            let params = QueryParams::parse("", body.as_bytes()).unwrap();
            let back = query::parse(model, shape, &params, Dialect::Ec2);
            prop_assert_eq!(back.as_ref().ok(), Some(&v), "{} -> {:?}", body, back.as_ref().err().map(|e| e.message()));
        }
    }
}

/// Headers claiming 2^60 (and 2^64 - 1) items or bytes, for every major type that has a length,
/// top-level and nested in known and unknown members: refused, and quickly.
#[test]
fn huge_length_claims_are_refused_at_once() {
    let claims: [&[u8]; 2] =
        [&[0x1b, 0x10, 0, 0, 0, 0, 0, 0, 0], &[0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]];
    let prefixes: [&[u8]; 6] = [
        b"",
        b"\xa1\x61S",                  // the string member
        b"\xa1\x62Ls",                 // the list member
        b"\xa1\x61M",                  // the map member
        b"\xa1\x65Extra",              // a member the model does not know
        b"\xa1\x64Subs\x81\xa1\x62Bl", // a blob in a structure in a list
    ];
    let started = Instant::now();
    for prefix in prefixes {
        for claim in claims {
            for major in [2u8, 3, 4, 5] {
                let mut body = prefix.to_vec();
                body.push((major << 5) | (claim[0] & 0x1f));
                body.extend_from_slice(&claim[1..]);
                body.extend_from_slice(&[0; 16]);
                let shape = KITCHEN_MODEL.shape_id("All").unwrap();
                let e = cbor::parse(&KITCHEN_MODEL, shape, &body).unwrap_err();
                assert_eq!(e.code(), "SerializationException");
            }
        }
    }
    assert!(started.elapsed() < Duration::from_secs(1), "took {:?}", started.elapsed());
}

/// A body of many small items, indefinite or not, costs time linear in its size.
#[test]
fn large_bodies_are_read_in_linear_time() {
    let shape = KITCHEN_MODEL.shape_id("All").unwrap();
    let mut body = vec![0xa1, 0x62, b'L', b's', 0x9f];
    for _ in 0..200_000 {
        body.extend_from_slice(&[0x61, b'a']);
    }
    body.push(0xff);
    let started = Instant::now();
    let v = cbor::parse(&KITCHEN_MODEL, shape, &body).unwrap();
    assert_eq!(v["Ls"].as_array().unwrap().len(), 200_000);
    // A map of 100,000 distinct unknown keys: the duplicate check is hashed, not quadratic.
    let mut body = vec![0xbf];
    for i in 0..100_000u32 {
        let key = format!("k{i}");
        body.push(0x60 | key.len() as u8);
        body.extend_from_slice(key.as_bytes());
        body.push(0x00);
    }
    body.push(0xff);
    assert_eq!(cbor::parse(&KITCHEN_MODEL, shape, &body).unwrap(), serde_json::json!({}));
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
}
