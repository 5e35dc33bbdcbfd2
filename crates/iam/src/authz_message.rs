//! Encoded authorization failure messages: why a call was denied, sealed by the keystore so that
//! only a caller allowed `sts:DecodeAuthorizationMessage` can read it (the request context can
//! hold details the denied caller should not see).

use crate::state::Iam;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use rampart_core::AwsError;
use rampart_policy::{ConditionContext, EvalResult, PolicyLayer};
use serde_json::{Value, json};

const PURPOSE: &[u8] = b"rampart/sts/authorization-message";

fn layer(l: PolicyLayer) -> &'static str {
    match l {
        PolicyLayer::Identity => "identity-based policy",
        PolicyLayer::Resource => "resource-based policy",
        PolicyLayer::Boundary => "permissions boundary",
        PolicyLayer::Session => "session policy",
    }
}

/// The decoded form, in the shape AWS's `DecodeAuthorizationMessage` returns.
pub(crate) fn explain(
    principal_arn: &str,
    principal_id: &str,
    action: &str,
    resource: &str,
    result: &EvalResult<'_>,
    ctx: &ConditionContext,
) -> Value {
    let statements: Vec<Value> = result
        .matched
        .iter()
        .map(|m| {
            json!({
                "statementId": m.sid.unwrap_or(""),
                "effect": format!("{:?}", m.effect),
                "policyType": layer(m.layer),
                "policyName": m.policy_name,
                "statementIndex": m.statement_index,
            })
        })
        .collect();
    let conditions: Vec<Value> = ctx
        .iter()
        .map(|(k, vs)| json!({"key": k, "values": {"items": vs.iter().map(|v| json!({"value": v.as_str()})).collect::<Vec<_>>()}}))
        .collect();
    json!({
        "allowed": false,
        "explicitDeny": result.decision == rampart_policy::Decision::ExplicitDeny,
        "matchedStatements": {"items": statements},
        "failures": {"items": []},
        "context": {
            "principal": {"id": principal_id, "arn": principal_arn},
            "action": action,
            "resource": resource,
            "conditions": {"items": conditions},
        },
    })
}

/// Seals `explanation` into the text appended to an AccessDenied message.
pub(crate) fn encode(iam: &Iam, explanation: &Value) -> Option<String> {
    let sealed = iam.keystore.seal(PURPOSE, explanation.to_string().as_bytes()).ok()?;
    Some(B64URL.encode(sealed))
}

/// Opens an encoded message.
pub(crate) fn decode(iam: &Iam, encoded: &str) -> Result<String, AwsError> {
    let invalid = || {
        AwsError::new(
            "InvalidAuthorizationMessageException",
            400,
            "The error message is invalid or has been tampered with.",
        )
    };
    let sealed = B64URL.decode(encoded.trim()).map_err(|_| invalid())?;
    let plain = iam.keystore.open(PURPOSE, &sealed).map_err(|_| invalid())?;
    String::from_utf8(plain.to_vec()).map_err(|_| invalid())
}
