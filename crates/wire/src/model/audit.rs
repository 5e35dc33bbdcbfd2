//! CloudTrail's `requestParameters` from a parsed request: member names in lower camel case at
//! every depth (map keys as sent), every member the model marks `sensitive` (or whose shape it
//! marks so) replaced by `HIDDEN_DUE_TO_SECURITY_REASONS`, and the members a service names as
//! data rather than parameters (ciphertexts, messages, signatures) left out, as CloudTrail does.

use super::{Kind, Model, ShapeId};
use crate::redact::HIDDEN;
use serde_json::{Map, Value};

/// The audit form of `value`, a parsed input of structure `shape`; `null` when nothing is left.
/// `omitted` names top-level members never recorded.
pub fn request_parameters(model: &Model, shape: ShapeId, value: &Value, omitted: &[&str]) -> Value {
    match structure(model, shape, value, omitted) {
        Value::Object(m) if m.is_empty() => Value::Null,
        other => other,
    }
}

fn structure(model: &Model, shape: ShapeId, value: &Value, omitted: &[&str]) -> Value {
    let Value::Object(fields) = value else { return Value::Null };
    let mut out = Map::new();
    for m in model.members(shape) {
        if omitted.contains(&m.name.as_str()) {
            continue;
        }
        let Some(v) = fields.get(&m.name).filter(|v| !v.is_null()) else { continue };
        let kept = if m.sensitive { Value::String(HIDDEN.into()) } else { member(model, m.shape, v) };
        out.insert(m.camel.clone(), kept);
    }
    Value::Object(out)
}

fn member(model: &Model, shape: ShapeId, value: &Value) -> Value {
    let s = model.shape(shape);
    if s.sensitive {
        return Value::String(HIDDEN.into());
    }
    match &s.kind {
        Kind::Structure { document: false, .. } => structure(model, shape, value, &[]),
        Kind::List { member: element, .. } => match value {
            Value::Array(items) => Value::Array(items.iter().map(|i| member(model, *element, i)).collect()),
            other => other.clone(),
        },
        Kind::Map { value: v, .. } => match value {
            Value::Object(entries) => {
                Value::Object(entries.iter().map(|(k, item)| (k.clone(), member(model, *v, item))).collect())
            }
            other => other.clone(),
        },
        _ => value.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sensitive_members_are_hidden_by_the_model() {
        let kms = Model::from_json(include_str!("../../../kms/model/kms.json")).unwrap();
        let encrypt = kms.operation("Encrypt").unwrap().input.unwrap();
        let v = request_parameters(
            &kms,
            encrypt,
            &json!({"KeyId": "k", "Plaintext": "c2VjcmV0", "EncryptionContext": {"Dept": "a"}}),
            &[],
        );
        assert_eq!(v, json!({"keyId": "k", "plaintext": HIDDEN, "encryptionContext": {"Dept": "a"}}));
        let decrypt = kms.operation("Decrypt").unwrap().input.unwrap();
        assert_eq!(
            request_parameters(&kms, decrypt, &json!({"CiphertextBlob": "AQID"}), &["CiphertextBlob"]),
            Value::Null
        );
        let iam = Model::from_json(include_str!("../../../iam/model/iam.json")).unwrap();
        let sts = Model::from_json(include_str!("../../../iam/model/sts.json")).unwrap();
        let web = sts.operation("AssumeRoleWithWebIdentity").unwrap().input.unwrap();
        let v = request_parameters(&sts, web, &json!({"RoleArn": "arn", "WebIdentityToken": "eyJ..."}), &[]);
        assert_eq!(v, json!({"roleArn": "arn", "webIdentityToken": HIDDEN}));
        let create = iam.operation("CreateUser").unwrap().input.unwrap();
        let v =
            request_parameters(&iam, create, &json!({"UserName": "bob", "Tags": [{"Key": "a", "Value": "1"}]}), &[]);
        assert_eq!(v, json!({"userName": "bob", "tags": [{"key": "a", "value": "1"}]}));
    }
}
