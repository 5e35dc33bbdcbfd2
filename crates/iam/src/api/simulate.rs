//! Policy simulation: `SimulatePrincipalPolicy` and `SimulateCustomPolicy` answer from the same
//! engine that enforces calls, and say which statements decided.

use super::{On, op};
use crate::identity::IdentityPolicies;
use crate::state::Iam;
use crate::util::{invalid_input, malformed_policy};
use rampart_core::AwsError;
use rampart_policy::{
    AuthzContext, ConditionContext, Decision, MatchedStatement, Policy, PolicyKind, PolicyLayer, PolicySet,
    PrincipalInfo, ResourcePolicy,
};
use rampart_wire::query::QueryParams;
use rampart_wire::xml::XmlWriter;
use rampart_wire::{Call, Operation};
use std::sync::Arc;

pub(super) fn operations(iam: &Arc<Iam>) -> Vec<Operation> {
    vec![
        op(iam, "SimulatePrincipalPolicy", On::User("PolicySourceArn"), true, simulate_principal),
        op(iam, "SimulateCustomPolicy", On::Nothing, true, simulate_custom),
    ]
}

fn numbered(q: &QueryParams, name: &str) -> Result<Vec<String>, AwsError> {
    Ok(q.list(name)?.into_iter().map(str::to_owned).collect())
}

fn parse_list(q: &QueryParams, name: &str, kind: PolicyKind, label: &str) -> Result<Vec<Policy>, AwsError> {
    numbered(q, name)?
        .iter()
        .enumerate()
        .map(|(i, doc)| {
            Policy::parse_as(doc, kind)
                .map(|p| p.with_name(format!("{label}{}", i + 1)))
                .map_err(|e| malformed_policy(e.aws_message()))
        })
        .collect()
}

/// `ContextEntries.member.N.{ContextKeyName, ContextKeyValues.member.M, ContextKeyType}`.
///
/// IAM's model marks no member of `ContextEntry` required, but an entry without a key name can
/// only be a mistake: it is refused ("Value null at 'contextEntries.N.member.contextKeyName'")
/// rather than skipped.
fn context_entries(q: &QueryParams, ctx: &mut ConditionContext) -> Result<(), AwsError> {
    for entry in q.structures("ContextEntries")? {
        let name = entry.require("ContextKeyName")?;
        let values = entry.list("ContextKeyValues")?;
        if values.is_empty() {
            return Err(invalid_input(format!("Context key {name} has no values.")));
        }
        ctx.insert_multi(name, values.into_iter().map(str::to_owned));
    }
    Ok(())
}

fn source_type(m: &MatchedStatement<'_>) -> &'static str {
    match m.layer {
        PolicyLayer::Resource => "resource",
        PolicyLayer::Boundary => "none",
        _ if m.policy_name.starts_with("user/") => "user",
        _ if m.policy_name.starts_with("group/") => "group",
        _ if m.policy_name.starts_with("role/") => "role",
        _ if m.policy_name.starts_with("PolicyInputList.") => "none",
        _ => "user-managed",
    }
}

struct Inputs<'a> {
    principal: PrincipalInfo,
    identity: Vec<&'a Policy>,
    boundary: Option<&'a Policy>,
    resource: Option<&'a Policy>,
    resource_owner: Option<String>,
    context: ConditionContext,
}

fn simulate(q: &QueryParams, inputs: &Inputs<'_>) -> Result<String, AwsError> {
    let actions = numbered(q, "ActionNames")?;
    if actions.is_empty() {
        return Err(AwsError::validation(
            "1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null",
        ));
    }
    let mut resources = numbered(q, "ResourceArns")?;
    if resources.is_empty() {
        resources.push("*".to_owned());
    }
    let owner = inputs.resource_owner.clone().or_else(|| inputs.principal.account.clone()).unwrap_or_default();
    let mut w = XmlWriter::new();
    w.open("EvaluationResults");
    for action in &actions {
        for resource in &resources {
            let policies = PolicySet {
                identity: &inputs.identity,
                resource: inputs.resource.map(|p| ResourcePolicy::new(p, &owner)),
                resource_owner: None,
                boundary: inputs.boundary,
                session: &[],
            };
            let result =
                AuthzContext { principal: &inputs.principal, action, resource, context: &inputs.context, policies }
                    .evaluate();
            let decision = match result.decision {
                Decision::Allow => "allowed",
                Decision::ExplicitDeny => "explicitDeny",
                Decision::ImplicitDeny => "implicitDeny",
            };
            w.open("member")
                .element("EvalActionName", action)
                .element("EvalResourceName", resource)
                .element("EvalDecision", decision);
            w.open("MatchedStatements");
            for m in &result.matched {
                w.open("member")
                    .element("SourcePolicyId", m.policy_name)
                    .element("SourcePolicyType", source_type(m))
                    .close("member");
            }
            w.close("MatchedStatements");
            w.open("MissingContextValues").close("MissingContextValues");
            if let Some(b) = inputs.boundary {
                let allowed = !result
                    .matched
                    .iter()
                    .any(|m| m.layer == PolicyLayer::Boundary && m.effect == rampart_policy::Effect::Deny)
                    && result.matched.iter().any(|m| m.layer == PolicyLayer::Boundary);
                let _ = b;
                w.open("PermissionsBoundaryDecisionDetail")
                    .element("AllowedByPermissionsBoundary", if allowed { "true" } else { "false" })
                    .close("PermissionsBoundaryDecisionDetail");
            }
            w.close("member");
        }
    }
    w.close("EvaluationResults").element("IsTruncated", "false");
    Ok(w.finish())
}

fn base_context(call: &Call, extra: &[(String, Vec<String>)]) -> Result<ConditionContext, AwsError> {
    let mut ctx = ConditionContext::new();
    ctx.set_current_time(call.context.received_at);
    for (k, v) in extra {
        ctx.insert_multi(k, v.iter().cloned());
    }
    context_entries(call.query(), &mut ctx)?;
    Ok(ctx)
}

fn simulate_principal(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let source = q.require("PolicySourceArn")?;
    let entity: IdentityPolicies = iam.entity_policies(source)?;
    let extra = parse_list(q, "PolicyInputList", PolicyKind::Identity, "PolicyInputList.")?;
    let (boundary_input, resource) = boundary_and_resource_inputs(q)?;
    let mut identity: Vec<&Policy> = entity.identity.iter().map(Arc::as_ref).collect();
    identity.extend(extra.iter());
    let mut principal = entity.info.clone();
    if let Some(caller) = q.get("CallerArn") {
        principal = PrincipalInfo::user(caller);
    }
    let inputs = Inputs {
        principal,
        identity,
        boundary: boundary_input.first().or(entity.boundary.as_deref()),
        resource: resource.as_ref(),
        resource_owner: q.get("ResourceOwner").map(|o| o.rsplit(':').next().unwrap_or(o).to_owned()),
        context: base_context(call, &entity.keys)?,
    };
    simulate(q, &inputs)
}

/// The `PermissionsBoundaryPolicyInputList` and `ResourcePolicy` parameters, parsed: the same for
/// both simulations.
fn boundary_and_resource_inputs(q: &QueryParams) -> Result<(Vec<Policy>, Option<Policy>), AwsError> {
    let boundary = parse_list(
        q,
        "PermissionsBoundaryPolicyInputList",
        PolicyKind::Boundary,
        "PermissionsBoundaryPolicyInputList.",
    )?;
    let resource = q
        .get("ResourcePolicy")
        .map(|d| Policy::parse_as(d, PolicyKind::Resource).map_err(|e| malformed_policy(e.aws_message())))
        .transpose()?;
    Ok((boundary, resource))
}

fn simulate_custom(_iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let policies = parse_list(q, "PolicyInputList", PolicyKind::Identity, "PolicyInputList.")?;
    if policies.is_empty() {
        return Err(AwsError::validation(
            "1 validation error detected: Value null at 'policyInputList' failed to satisfy constraint: Member must not be null",
        ));
    }
    let (boundary, resource) = boundary_and_resource_inputs(q)?;
    let caller = call.caller()?;
    let principal = match q.get("CallerArn") {
        Some(arn) => PrincipalInfo::user(arn),
        None => PrincipalInfo::user(&format!("arn:aws:iam::{}:user/simulated", caller.account_id)),
    };
    let inputs = Inputs {
        principal,
        identity: policies.iter().collect(),
        boundary: boundary.first(),
        resource: resource.as_ref(),
        resource_owner: q.get("ResourceOwner").map(|o| o.rsplit(':').next().unwrap_or(o).to_owned()),
        context: base_context(call, &[])?,
    };
    simulate(q, &inputs)
}
