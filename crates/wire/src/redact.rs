//! Request parameters as audit records keep them: secrets replaced, as CloudTrail does.

use serde_json::{Map, Value};

/// What CloudTrail writes in place of a secret parameter.
pub const HIDDEN: &str = "HIDDEN_DUE_TO_SECURITY_REASONS";

const SENSITIVE: &[&str] = &[
    "password",
    "secret",
    "privatekey",
    "plaintext",
    "tokencode",
    "sessiontoken",
    "authenticationcode",
    "webidentitytoken",
    "samlassertion",
    "keymaterial",
    "importtoken",
];

/// Top-level JSON parameters CloudTrail leaves out of `requestParameters` altogether: data a
/// call works on rather than how it is called (ciphertexts, messages to sign or MAC, signatures,
/// MACs). Matched by exact name.
const OMITTED: &[&str] = &["CiphertextBlob", "Message", "Signature", "Mac"];

/// Whether a parameter named `name` holds a secret.
pub fn is_sensitive(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SENSITIVE.iter().any(|s| lower.contains(s))
}

/// Query parameters as an audit object (`Action` and `Version` dropped, secrets hidden, names
/// in CloudTrail's lower-camel case). `null` when nothing is left.
pub fn query_params(pairs: &[(String, String)]) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        if k == "Action" || k == "Version" {
            continue;
        }
        let value = if is_sensitive(k) { HIDDEN.to_owned() } else { v.clone() };
        m.insert(crate::query::lower_first(k), Value::String(value));
    }
    if m.is_empty() { Value::Null } else { Value::Object(m) }
}

/// A JSON request body as an audit object, secrets hidden at any depth.
pub fn json_params(body: &Value) -> Value {
    let Value::Object(o) = body else { return Value::Null };
    let kept: Map<String, Value> = o
        .iter()
        .filter(|(k, _)| !OMITTED.contains(&k.as_str()))
        .map(|(k, v)| {
            let v = if is_sensitive(k) { Value::String(HIDDEN.into()) } else { json_params_inner(v) };
            (crate::query::lower_first(k), v)
        })
        .collect();
    if kept.is_empty() { Value::Null } else { Value::Object(kept) }
}

fn json_params_inner(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| {
                    (k.clone(), if is_sensitive(k) { Value::String(HIDDEN.into()) } else { json_params_inner(v) })
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(json_params_inner).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hides_secrets() {
        let v = query_params(&[
            ("Action".into(), "CreateLoginProfile".into()),
            ("UserName".into(), "bob".into()),
            ("Password".into(), "hunter2".into()),
        ]);
        assert_eq!(v["userName"], "bob");
        assert_eq!(v["password"], HIDDEN);
        let j = json_params(
            &serde_json::json!({"KeyId": "k", "Plaintext": "c2VjcmV0", "Nested": {"SecretAccessKey": "x"}}),
        );
        assert_eq!(j["plaintext"], HIDDEN);
        assert_eq!(j["nested"]["SecretAccessKey"], HIDDEN);
        assert_eq!(j["keyId"], "k");
        // As CloudTrail: the ciphertext of a Decrypt, the message and signature of a Verify are
        // not logged at all.
        let d = json_params(&serde_json::json!({"CiphertextBlob": "AQID", "EncryptionContext": {"a": "b"}}));
        assert_eq!(d, serde_json::json!({"encryptionContext": {"a": "b"}}));
        let v = json_params(
            &serde_json::json!({"KeyId": "k", "Message": "bXNn", "Signature": "c2ln", "MessageType": "RAW"}),
        );
        assert_eq!(v, serde_json::json!({"keyId": "k", "messageType": "RAW"}));
        assert_eq!(json_params(&serde_json::json!({"CiphertextBlob": "AQID"})), Value::Null);
    }
}
