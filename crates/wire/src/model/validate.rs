//! The model's constraints on a parsed request, with AWS's messages.
//!
//! AWS (Coral) reports every member that breaks a constraint, one message each, joined by `; `
//! under "N validation error(s) detected: ". Per member it reports the first broken constraint,
//! checked in this order: present if required, length or value range, pattern, enum. A list whose
//! members break their constraints is reported at the list, with every constraint of its member
//! shape ("Member must satisfy constraint: [...]"); members of structures inside lists are
//! reported at their own path (`tags.1.member.key`).
//!
//! Values are echoed as AWS echoes them: strings quoted and cut at 64 characters, blobs as
//! `java.nio.HeapByteBuffer`, lists as `[a, b]`, absent values as `null`.

use super::{Kind, Model, ShapeId};
use crate::protocol::Protocol;
use rampart_core::AwsError;
use serde_json::Value;

/// The longest value a message echoes; longer ones are cut and end with `...`.
const SHOWN: usize = 64;

/// Checks `value` (a structure) against the structure shape `shape`, returning every violation's
/// message (without the "N validation errors detected" head).
pub fn violations(model: &Model, shape: ShapeId, value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    structure(model, shape, value, &Path::Root, &mut out);
    out
}

/// Checks `value` and answers the protocol's validation error if anything is broken.
pub fn check(model: &Model, shape: ShapeId, value: &Value, protocol: Protocol) -> Result<(), AwsError> {
    let found = violations(model, shape, value);
    if found.is_empty() { Ok(()) } else { Err(error(protocol, &found)) }
}

/// The validation error of `protocol` for `violations` (at least one).
pub fn error(protocol: Protocol, violations: &[String]) -> AwsError {
    let n = violations.len();
    let message = format!("{n} validation error{} detected: {}", if n == 1 { "" } else { "s" }, violations.join("; "));
    match protocol {
        Protocol::Query => AwsError::new("ValidationError", 400, message),
        Protocol::Ec2 => AwsError::new("InvalidParameterValue", 400, message),
        Protocol::RestXml => AwsError::new("InvalidArgument", 400, message),
        Protocol::Json10 | Protocol::Json11 | Protocol::RestJson | Protocol::RpcV2Cbor => {
            AwsError::new("ValidationException", 400, message)
        }
    }
}

/// Where a value is, rendered (`tags.1.member.key`) only when a message needs it, so a valid
/// request allocates nothing for paths.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Member(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
    Key(&'a Path<'a>, &'a str),
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Member(parent, name) => {
                if !matches!(parent, Path::Root) {
                    write!(f, "{parent}.")?;
                }
                let mut c = name.chars();
                if let Some(first) = c.next() {
                    write!(f, "{}{}", first.to_lowercase(), c.as_str())?;
                }
                Ok(())
            }
            Path::Index(parent, i) => write!(f, "{parent}.{i}.member"),
            Path::Key(parent, k) => write!(f, "{parent}.{k}"),
        }
    }
}

fn structure(model: &Model, shape: ShapeId, value: &Value, path: &Path<'_>, out: &mut Vec<String>) {
    let Kind::Structure { members, document, .. } = &model.shape(shape).kind else { return };
    if *document {
        return;
    }
    let Value::Object(fields) = value else { return };
    for m in members {
        let at = Path::Member(path, &m.name);
        match fields.get(&m.name) {
            None | Some(Value::Null) => {
                if m.required {
                    out.push(format!("Value null at '{at}' failed to satisfy constraint: Member must not be null"));
                }
            }
            // Names that say secret are not echoed even where the model forgot `sensitive`
            // (IAM's and STS's MFA codes).
            Some(v) => member(model, m.shape, v, &at, m.sensitive || crate::redact::is_sensitive(&m.name), out),
        }
    }
}

/// `hidden`: the member is `sensitive` (on the member or its shape), so its value is not echoed
/// ("Value at 'x' failed to ..."), as AWS does not echo passwords and tokens (blobs are echoed as
/// their type name only, sensitive or not).
fn member(model: &Model, shape: ShapeId, value: &Value, at: &Path<'_>, hidden: bool, out: &mut Vec<String>) {
    let s = model.shape(shape);
    let hidden = hidden || s.sensitive;
    let shown = |text: String| if hidden { String::new() } else { format!(" '{text}'") };
    match &s.kind {
        Kind::Structure { .. } => structure(model, shape, value, at, out),
        Kind::List { member: element, .. } => {
            let items = value.as_array().map(Vec::as_slice).unwrap_or_default();
            if let Some(rule) = length_rule(s.min, s.max, items.len()) {
                out.push(format!("Value{} at '{at}' failed to satisfy constraint: {rule}", shown(show_list(items))));
                return;
            }
            let element_shape = model.shape(*element);
            match element_shape.kind {
                Kind::Structure { .. } | Kind::List { .. } | Kind::Map { .. } => {
                    for (i, item) in items.iter().enumerate() {
                        member(model, *element, item, &Path::Index(at, i + 1), hidden, out);
                    }
                }
                _ => {
                    if items.iter().any(|item| scalar_rule(model, *element, item).is_some()) {
                        let all = every_rule(model, *element);
                        out.push(format!(
                            "Value{} at '{at}' failed to satisfy constraint: Member must satisfy constraint: [{}]",
                            shown(show_list(items)),
                            all.join(", ")
                        ));
                    }
                }
            }
        }
        Kind::Map { key, value: value_shape, .. } => {
            let Value::Object(entries) = value else { return };
            if let Some(rule) = length_rule(s.min, s.max, entries.len()) {
                out.push(format!("Value{} at '{at}' failed to satisfy constraint: {rule}", shown(show_map(value))));
                return;
            }
            let bad_key = entries.keys().any(|k| scalar_rule(model, *key, &Value::String(k.clone())).is_some());
            let bad_value = entries.values().any(|v| scalar_rule(model, *value_shape, v).is_some());
            if bad_key || bad_value {
                let mut rules = Vec::new();
                if bad_key {
                    rules.push(format!("Map keys must satisfy constraint: [{}]", every_rule(model, *key).join(", ")));
                }
                if bad_value {
                    rules.push(format!(
                        "Map value must satisfy constraint: [{}]",
                        every_rule(model, *value_shape).join(", ")
                    ));
                }
                out.push(format!(
                    "Value{} at '{at}' failed to satisfy constraint: {}",
                    shown(show_map(value)),
                    rules.join(", ")
                ));
            }
            for (k, v) in entries {
                if matches!(model.shape(*value_shape).kind, Kind::Structure { .. } | Kind::List { .. }) {
                    member(model, *value_shape, v, &Path::Key(at, k), hidden, out);
                }
            }
        }
        _ => {
            if let Some(rule) = scalar_rule(model, shape, value) {
                // A blob is echoed as its type name, never its bytes: shown even when sensitive.
                let secret = hidden && !matches!(s.kind, Kind::Blob);
                let shown = if secret { String::new() } else { format!(" {}", show(model, shape, value)) };
                out.push(format!("Value{shown} at '{at}' failed to satisfy constraint: {rule}"));
            }
        }
    }
}

/// The first constraint a scalar breaks, in Coral's order: length or range, pattern, enum.
fn scalar_rule(model: &Model, shape: ShapeId, value: &Value) -> Option<String> {
    let s = model.shape(shape);
    match s.kind {
        Kind::String => {
            let text = value.as_str()?;
            if let Some(rule) = length_rule(s.min, s.max, text.chars().count()) {
                return Some(rule);
            }
            if let Some(re) = s.regex()
                && !re.is_match(text)
            {
                return Some(format!(
                    "Member must satisfy regular expression pattern: {}",
                    s.pattern.as_deref().unwrap_or("")
                ));
            }
            if !s.enum_values.is_empty() && !s.enum_values.iter().any(|e| e == text) {
                return Some(format!("Member must satisfy enum value set: [{}]", s.enum_values.join(", ")));
            }
            None
        }
        Kind::Blob => {
            let len = value.as_str().map_or(0, base64_len);
            length_rule(s.min, s.max, len)
        }
        Kind::Integer | Kind::Long | Kind::Double => {
            let n = value.as_f64()?;
            if let Some(min) = s.min
                && n < min
            {
                return Some(format!("Member must have value greater than or equal to {min}"));
            }
            if let Some(max) = s.max
                && n > max
            {
                return Some(format!("Member must have value less than or equal to {max}"));
            }
            None
        }
        _ => None,
    }
}

/// Every constraint of a scalar shape, as a list-member message names them.
fn every_rule(model: &Model, shape: ShapeId) -> Vec<String> {
    let s = model.shape(shape);
    let mut rules = Vec::new();
    let numeric = matches!(s.kind, Kind::Integer | Kind::Long | Kind::Double);
    let what = if numeric { "value" } else { "length" };
    if let Some(max) = s.max {
        rules.push(format!("Member must have {what} less than or equal to {max}"));
    }
    if let Some(min) = s.min {
        rules.push(format!("Member must have {what} greater than or equal to {min}"));
    }
    if let Some(p) = &s.pattern {
        rules.push(format!("Member must satisfy regular expression pattern: {p}"));
    }
    if !s.enum_values.is_empty() {
        rules.push(format!("Member must satisfy enum value set: [{}]", s.enum_values.join(", ")));
    }
    rules
}

fn length_rule(min: Option<f64>, max: Option<f64>, len: usize) -> Option<String> {
    let len = len as f64;
    if let Some(min) = min
        && len < min
    {
        return Some(format!("Member must have length greater than or equal to {min}"));
    }
    if let Some(max) = max
        && len > max
    {
        return Some(format!("Member must have length less than or equal to {max}"));
    }
    None
}

/// The decoded length of base64 text (the parser or the typed input refuses text that is not
/// base64; here only the length matters).
fn base64_len(text: &str) -> usize {
    let padding = text.bytes().rev().take_while(|&b| b == b'=').count().min(2);
    (text.len() / 4 * 3
        + match text.len() % 4 {
            2 => 1,
            3 => 2,
            _ => 0,
        })
    .saturating_sub(padding)
}

fn cut(text: &str) -> String {
    match text.char_indices().nth(SHOWN) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_owned(),
    }
}

fn show(model: &Model, shape: ShapeId, value: &Value) -> String {
    if matches!(model.shape(shape).kind, Kind::Blob) {
        return "'java.nio.HeapByteBuffer'".to_owned();
    }
    match value {
        Value::String(s) => format!("'{}'", cut(s)),
        Value::Null => "null".to_owned(),
        other => format!("'{other}'"),
    }
}

fn show_list(items: &[Value]) -> String {
    let parts: Vec<String> = items
        .iter()
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    cut(&format!("[{}]", parts.join(", ")))
}

fn show_map(value: &Value) -> String {
    let Value::Object(m) = value else { return String::new() };
    let parts: Vec<String> = m
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect();
    cut(&format!("{{{}}}", parts.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn iam() -> Model {
        Model::from_json(include_str!("../../../iam/model/iam.json")).unwrap()
    }

    fn kms() -> Model {
        Model::from_json(include_str!("../../../kms/model/kms.json")).unwrap()
    }

    fn input(model: &Model, op: &str) -> ShapeId {
        model.operation(op).unwrap().input.unwrap()
    }

    #[test]
    fn sensitive_values_are_not_echoed() {
        let m = Model::from_json(include_str!("../../../iam/model/sts.json")).unwrap();
        let shape = input(&m, "AssumeRoleWithWebIdentity");
        let value = json!({
            "RoleArn": "arn:aws:iam::111122223333:role/deploy",
            "RoleSessionName": "run-1",
            "WebIdentityToken": "abc",
        });
        assert_eq!(
            violations(&m, shape, &value),
            vec![
                "Value at 'webIdentityToken' failed to satisfy constraint: Member must have length greater than or equal to 4"
            ]
        );
        let value = json!({"RoleArn": "arn:aws:iam::111122223333:role/deploy", "RoleSessionName": "a"});
        let found = violations(&m, shape, &value);
        assert!(found.iter().any(|v| v.starts_with("Value 'a' at 'roleSessionName'")), "{found:?}");
    }

    #[test]
    fn every_constraint_kind_has_awss_message() {
        let m = iam();
        let create = input(&m, "CreateUser");
        let table: Vec<(Value, &str)> = vec![
            (json!({}), "Value null at 'userName' failed to satisfy constraint: Member must not be null"),
            (
                json!({"UserName": ""}),
                "Value '' at 'userName' failed to satisfy constraint: Member must have length greater than or equal to 1",
            ),
            (
                json!({"UserName": "a".repeat(65)}),
                "failed to satisfy constraint: Member must have length less than or equal to 64",
            ),
            (
                json!({"UserName": "a b"}),
                "Value 'a b' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+",
            ),
            (
                json!({"UserName": "ok", "Tags": [{"Key": "k"}]}),
                "Value null at 'tags.1.member.value' failed to satisfy constraint: Member must not be null",
            ),
            (
                json!({"UserName": "ok", "Tags": (0..51).map(|i| json!({"Key": format!("k{i}"), "Value": "v"})).collect::<Vec<_>>()}),
                "at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50",
            ),
        ];
        for (value, expected) in table {
            let found = violations(&m, create, &value);
            assert_eq!(found.len(), 1, "{value}: {found:?}");
            assert!(found[0].ends_with(expected) || found[0].contains(expected), "{value}: {found:?}");
        }
        let list = input(&m, "ListUsers");
        let found = violations(&m, list, &json!({"MaxItems": 0}));
        assert_eq!(
            found,
            ["Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1"]
        );
    }

    #[test]
    fn enums_blobs_and_list_members_as_coral_reports_them() {
        let k = kms();
        let encrypt = input(&k, "Encrypt");
        let found = violations(&k, encrypt, &json!({"KeyId": "k", "Plaintext": "", "EncryptionAlgorithm": "ROT13"}));
        assert_eq!(
            found,
            [
                "Value 'java.nio.HeapByteBuffer' at 'plaintext' failed to satisfy constraint: Member must have length greater than or equal to 1",
                "Value 'ROT13' at 'encryptionAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, SM2PKE]",
            ]
        );
        let err = error(Protocol::Json11, &found);
        assert_eq!(err.code(), "ValidationException");
        assert!(err.message().starts_with("2 validation errors detected: Value 'java.nio"));
        let grants = violations(&k, encrypt, &json!({"KeyId": "k", "Plaintext": "AA==", "GrantTokens": [""]}));
        assert_eq!(
            grants,
            [
                "Value '[]' at 'grantTokens' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 8192, Member must have length greater than or equal to 1]"
            ]
        );
    }

    #[test]
    fn secrets_are_never_echoed() {
        let m = iam();
        let enable = input(&m, "EnableMFADevice");
        let found = violations(
            &m,
            enable,
            &json!({"UserName": "bob", "SerialNumber": "arn:aws:iam::111122223333:mfa/bob", "AuthenticationCode1": "12345", "AuthenticationCode2": "12345a"}),
        );
        assert_eq!(
            found,
            [
                "Value at 'authenticationCode1' failed to satisfy constraint: Member must have length greater than or equal to 6",
                "Value at 'authenticationCode2' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\d]+",
            ]
        );
        // Other members are still echoed.
        let found = violations(
            &m,
            enable,
            &json!({"UserName": "a b", "SerialNumber": "arn:aws:iam::111122223333:mfa/bob", "AuthenticationCode1": "123456", "AuthenticationCode2": "123456"}),
        );
        assert_eq!(found.len(), 1);
        assert!(found[0].starts_with("Value 'a b' at 'userName'"), "{found:?}");
    }

    #[test]
    fn sensitive_kms_values_are_not_echoed() {
        let k = kms();
        let create = input(&k, "CreateCustomKeyStore");
        let found = violations(&k, create, &json!({"CustomKeyStoreName": "n", "KeyStorePassword": "secret"}));
        assert_eq!(
            found,
            [
                "Value at 'keyStorePassword' failed to satisfy constraint: Member must have length greater than or equal to 7"
            ]
        );
        let found = violations(
            &k,
            create,
            &json!({"CustomKeyStoreName": "n", "XksProxyAuthenticationCredential": {"AccessKeyId": "short", "RawSecretAccessKey": "short"}}),
        );
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found.iter().all(|m| m.starts_with("Value at 'xksProxyAuthenticationCredential.") && !m.contains("short")),
            "{found:?}"
        );
    }

    #[test]
    fn every_pattern_of_the_served_models_compiles() {
        for text in [include_str!("../../../iam/model/iam.json"), include_str!("../../../kms/model/kms.json")] {
            let m = Model::from_json(text).unwrap();
            for s in m.shapes() {
                if let Some(p) = &s.pattern {
                    assert!(s.regex().is_some(), "{}: pattern {p} does not compile", s.name);
                }
            }
        }
    }

    #[test]
    fn base64_lengths() {
        assert_eq!(base64_len(""), 0);
        assert_eq!(base64_len("AA=="), 1);
        assert_eq!(base64_len("AAA="), 2);
        assert_eq!(base64_len("AAAA"), 3);
    }
}
