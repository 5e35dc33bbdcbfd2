//! The one evaluation both enforcement ([`crate::authorizer::IamAuthorizer`]) and the policy
//! simulator (`SimulatePrincipalPolicy`, `SimulateCustomPolicy`) use: they assemble the engine's
//! inputs here, so they cannot decide differently on the same request.
//!
//! What this adds to the engine (`rampart_policy::evaluate`), each from AWS's documentation:
//! - the resource owner: the account of the resource ARN when it carries one, else the owner the
//!   caller declares (`ResourceOwner`, or the account of a stored resource policy), else the
//!   caller's account ("Cross-account policy evaluation logic"; `SimulateCustomPolicy`
//!   `ResourceOwner`);
//! - `sts:GetCallerIdentity` is always allowed, even against an explicit deny (STS API
//!   reference: "No permissions are required to perform this operation");
//! - resources AWS reserves to itself cannot be changed by customers: AWS-managed policies,
//!   service-linked roles (`/aws-service-role/` path) and AWS-managed KMS aliases (`alias/aws/*`)
//!   are implicitly denied to the actions that would change them.

use rampart_policy::{
    AuthzContext, ConditionContext, Decision, DenyReason, EvalResult, Policy, PolicyLayer, PolicySet, PrincipalInfo,
    ResourcePolicy,
};

/// One request, as both enforcement and simulation state it.
#[derive(Clone, Copy)]
pub(crate) struct Question<'a> {
    /// Who asks.
    pub principal: &'a PrincipalInfo,
    /// `service:Operation`.
    pub action: &'a str,
    /// The resource ARN, or `*`.
    pub resource: &'a str,
    /// The condition keys.
    pub context: &'a ConditionContext,
    /// Identity-based policies.
    pub identity: &'a [&'a Policy],
    /// The permissions boundary.
    pub boundary: Option<&'a Policy>,
    /// Session policies.
    pub session: &'a [&'a Policy],
    /// The resource-based policy, and whether it must allow even within the account (role
    /// trust policies, KMS key policies).
    pub resource_policy: Option<(&'a Policy, bool)>,
    /// The owner declared for resources whose ARN names no account.
    pub declared_owner: Option<&'a str>,
}

/// The account that owns `resource`: the ARN's account field when present (and not `aws`, the
/// owner of AWS-managed resources), else `declared`, else the caller's account (`None`).
pub(crate) fn resource_owner<'a>(resource: &'a str, declared: Option<&'a str>) -> Option<&'a str> {
    let from_arn =
        resource.strip_prefix("arn:").and_then(|r| r.split(':').nth(3)).filter(|a| !a.is_empty() && *a != "aws");
    from_arn.or(declared).filter(|a| !a.is_empty())
}

/// Whether `action` on `resource` would change something AWS reserves to itself.
pub(crate) fn reserved(action: &str, resource: &str) -> bool {
    let (service, op) = action.split_once(':').unwrap_or((action, ""));
    let reads = ["Get", "List", "Describe", "Simulate", "Generate"].iter().any(|p| op.starts_with(p));
    if reads {
        return false;
    }
    if service.eq_ignore_ascii_case("iam") {
        if resource.starts_with("arn:aws:iam::aws:policy/") {
            return true;
        }
        // Service-linked roles are changed only through their own actions. `CreateRole` is left to
        // its handler, which refuses the path with AWS's own error (`InvalidInput`).
        let slr =
            resource.split_once(":role/aws-service-role/").is_some_and(|(head, _)| head.starts_with("arn:aws:iam::"));
        return slr
            && !op.eq_ignore_ascii_case("CreateRole")
            && !op.eq_ignore_ascii_case("DeleteServiceLinkedRole")
            && !op.eq_ignore_ascii_case("UpdateRoleDescription")
            && !op.eq_ignore_ascii_case("GetServiceLinkedRoleDeletionStatus");
    }
    if service.eq_ignore_ascii_case("kms") {
        // `CreateAlias` is left to its handler, which refuses the name with AWS's own error
        // (`InvalidAliasNameException`).
        return resource.starts_with("arn:aws:kms:")
            && resource.contains(":alias/aws/")
            && !op.eq_ignore_ascii_case("CreateAlias");
    }
    false
}

/// Decides `q` by AWS's evaluation logic; see the module documentation.
pub(crate) fn decide<'a>(q: &Question<'a>) -> EvalResult<'a> {
    let owner = resource_owner(q.resource, q.declared_owner).or(q.principal.account.as_deref()).unwrap_or_default();
    let policies = PolicySet {
        identity: q.identity,
        resource: q.resource_policy.map(|(policy, required)| {
            let mut rp = ResourcePolicy::new(policy, owner);
            rp.grant_required |= required;
            rp
        }),
        resource_owner: if q.resource_policy.is_none() { Some(owner) } else { None },
        boundary: q.boundary,
        session: q.session,
    };
    let mut result =
        AuthzContext { principal: q.principal, action: q.action, resource: q.resource, context: q.context, policies }
            .evaluate();
    if q.action.eq_ignore_ascii_case("sts:GetCallerIdentity") {
        result.decision = Decision::Allow;
        result.reason = None;
    } else if reserved(q.action, q.resource) && result.decision == Decision::Allow {
        result.decision = Decision::ImplicitDeny;
        result.reason = Some(DenyReason::NoAllow(PolicyLayer::Resource));
    }
    result
}
