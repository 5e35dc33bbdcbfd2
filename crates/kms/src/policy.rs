//! Key policies: `PutKeyPolicy`, `GetKeyPolicy`, `ListKeyPolicies`, the default key policy and
//! the policy lockout safety check.

use crate::Kms;
use crate::authz::Conditions;
use crate::error::{limit_exceeded, not_found};
use crate::input::{opt_bool, opt_str, req_str};
use rampart_core::{AwsError, Principal, PrincipalKind};
use rampart_policy::{AuthzContext, ConditionContext, Policy, PolicyKind, PolicySet, PrincipalInfo, ResourcePolicy};
use rampart_wire::Call;
use serde_json::{Value, json};

/// The only policy name a key has.
const POLICY_NAME: &str = "default";
/// The largest key policy, in bytes.
const MAX_POLICY: usize = 32 * 1024;

fn malformed(msg: impl Into<String>) -> AwsError {
    AwsError::new("MalformedPolicyDocumentException", 400, msg)
}

/// AWS's default key policy: the account (through IAM policies) may do anything with the key.
pub(crate) fn default_policy(account: &str) -> String {
    format!(
        "{{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {{\n    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {{\n      \"AWS\" : \"arn:aws:iam::{account}:root\"\n    }},\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  }} ]\n}}"
    )
}

fn principal_info(p: &Principal) -> PrincipalInfo {
    match p.kind {
        PrincipalKind::Root => PrincipalInfo::root(p.account_id.as_str()),
        PrincipalKind::IamUser => PrincipalInfo::user(&p.arn),
        PrincipalKind::AssumedRole => {
            let issuer = p.session.as_ref().and_then(|s| s.issuer_arn.clone()).unwrap_or_default();
            PrincipalInfo::assumed_role(&p.arn, &issuer)
        }
        PrincipalKind::FederatedUser => {
            let issuer = p.session.as_ref().and_then(|s| s.issuer_arn.clone()).unwrap_or_default();
            PrincipalInfo::federated_user(&p.arn, &issuer)
        }
    }
}

/// Validates a key policy document; unless `bypass`, also checks that it leaves `caller` able to
/// change it again (AWS's policy lockout safety check), assuming the caller's IAM policies
/// allow whatever the key policy delegates to the account.
pub(crate) fn validate_policy(doc: &str, key_arn: &str, caller: &Principal, bypass: bool) -> Result<(), AwsError> {
    if doc.len() > MAX_POLICY {
        return Err(limit_exceeded(format!("The key policy exceeds the limit of {MAX_POLICY} bytes.")));
    }
    if doc.trim().is_empty() {
        return Err(malformed("The key policy is empty."));
    }
    let policy = Policy::parse_as(doc, PolicyKind::Resource).map_err(|e| malformed(e.aws_message()))?;
    if bypass {
        return Ok(());
    }
    let allow_all =
        Policy::parse(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#)
            .map_err(|e| crate::error::internal(e.aws_message()))?;
    let identity = [&allow_all];
    let account = key_arn.split(':').nth(4).unwrap_or_default();
    let info = principal_info(caller);
    let ctx = ConditionContext::new();
    let result = AuthzContext {
        principal: &info,
        action: "kms:PutKeyPolicy",
        resource: key_arn,
        context: &ctx,
        policies: PolicySet {
            identity: &identity,
            resource: Some(ResourcePolicy { policy: &policy, owner_account: account, grant_required: true }),
            ..PolicySet::default()
        },
    }
    .evaluate();
    if !result.is_allowed() {
        return Err(malformed("The new key policy will not allow you to update the key policy in the future."));
    }
    Ok(())
}

/// `kms:BypassPolicyLockoutSafetyCheck` of `PutKeyPolicy`.
pub(crate) fn bypass_conditions(input: &Value) -> Conditions {
    let b = opt_bool(input, "BypassPolicyLockoutSafetyCheck").ok().flatten().unwrap_or(false);
    vec![("kms:BypassPolicyLockoutSafetyCheck".into(), vec![b.to_string()])]
}

fn check_name(input: &Value) -> Result<(), AwsError> {
    match opt_str(input, "PolicyName")? {
        None | Some(POLICY_NAME) => Ok(()),
        Some(other) => Err(not_found(format!("No such policy exists: {other}"))),
    }
}

/// `PutKeyPolicy`.
pub(crate) fn put_key_policy(kms: &Kms, call: &Call) -> Result<Value, AwsError> {
    let caller = call.caller()?;
    let input = call.json();
    let key = kms.resolve(caller.account_id.as_str(), req_str(input, "KeyId", 2048)?)?;
    check_name(input)?;
    let doc = req_str(input, "Policy", 131_072)?.to_owned();
    let bypass = opt_bool(input, "BypassPolicyLockoutSafetyCheck")?.unwrap_or(false);
    validate_policy(&doc, &key.arn, caller, bypass)?;
    kms.update_key(&key.key_id, |k| {
        kms.check_not_pending_deletion(k)?;
        k.policy = doc.clone();
        k.policy_version += 1;
        Ok(())
    })?;
    Ok(json!({}))
}

/// `GetKeyPolicy`.
pub(crate) fn get_key_policy(kms: &Kms, call: &Call) -> Result<Value, AwsError> {
    let caller = call.caller()?;
    let input = call.json();
    let key = kms.resolve(caller.account_id.as_str(), req_str(input, "KeyId", 2048)?)?;
    check_name(input)?;
    Ok(json!({ "Policy": key.policy, "PolicyName": POLICY_NAME }))
}

/// `ListKeyPolicies`.
pub(crate) fn list_key_policies(kms: &Kms, call: &Call) -> Result<Value, AwsError> {
    let caller = call.caller()?;
    let input = call.json();
    kms.resolve(caller.account_id.as_str(), req_str(input, "KeyId", 2048)?)?;
    crate::input::paging(input, 100)?;
    Ok(json!({ "PolicyNames": [POLICY_NAME], "Truncated": false }))
}
