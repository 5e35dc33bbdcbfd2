//! Key policies: `PutKeyPolicy`, `GetKeyPolicy`, `ListKeyPolicies`, the default key policy and
//! the policy lockout safety check.

use crate::Kms;
use crate::authz::Conditions;
use crate::error::{limit_exceeded, not_found};
use crate::input::opt_bool;
use crate::shapes::kms::{
    GetKeyPolicyRequest, GetKeyPolicyResponse, ListKeyPoliciesRequest, ListKeyPoliciesResponse, PutKeyPolicyRequest,
};
use rampart_core::{AwsError, Principal, PrincipalKind};
use rampart_policy::{AuthzContext, ConditionContext, Policy, PolicyKind, PolicySet, PrincipalInfo, ResourcePolicy};
use rampart_wire::Call;
use rampart_wire::model::Empty;
use serde_json::Value;

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

/// Refuses a policy name other than `default`, the only one KMS keys have.
fn check_name(name: Option<&str>) -> Result<(), AwsError> {
    match name {
        None | Some(POLICY_NAME) => Ok(()),
        Some(other) => Err(not_found(format!("No such policy exists: {other}"))),
    }
}

/// `PutKeyPolicy`.
pub(crate) fn put_key_policy(kms: &Kms, call: &Call, input: PutKeyPolicyRequest) -> Result<Empty, AwsError> {
    let caller = call.caller()?;
    let key = kms.resolve(caller.account_id.as_str(), &input.key_id)?;
    check_name(input.policy_name.as_deref())?;
    let doc = input.policy;
    let bypass = input.bypass_policy_lockout_safety_check.unwrap_or(false);
    validate_policy(&doc, &key.arn, caller, bypass)?;
    kms.update_key(&key.key_id, |k| {
        kms.check_not_pending_deletion(k)?;
        k.policy = doc.clone();
        k.policy_version += 1;
        Ok(())
    })?;
    Ok(Empty {})
}

/// `GetKeyPolicy`.
pub(crate) fn get_key_policy(
    kms: &Kms,
    call: &Call,
    input: GetKeyPolicyRequest,
) -> Result<GetKeyPolicyResponse, AwsError> {
    let caller = call.caller()?;
    let key = kms.resolve(caller.account_id.as_str(), &input.key_id)?;
    check_name(input.policy_name.as_deref())?;
    Ok(GetKeyPolicyResponse { policy: Some(key.policy), policy_name: Some(POLICY_NAME.to_owned()) })
}

/// `ListKeyPolicies`: every key has the one policy, `default`.
pub(crate) fn list_key_policies(
    kms: &Kms,
    call: &Call,
    input: ListKeyPoliciesRequest,
) -> Result<ListKeyPoliciesResponse, AwsError> {
    let caller = call.caller()?;
    kms.resolve(caller.account_id.as_str(), &input.key_id)?;
    Ok(ListKeyPoliciesResponse {
        policy_names: Some(vec![POLICY_NAME.to_owned()]),
        next_marker: None,
        truncated: Some(false),
    })
}
