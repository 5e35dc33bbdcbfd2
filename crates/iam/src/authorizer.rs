//! The authorizer the pipeline consults for every call: AWS's policy evaluation over the
//! caller's identity policies, the resource's policy, boundaries and session policies.

use crate::identity::IdentityPolicies;
use crate::state::Iam;
use rampart_core::authz::ResourcePolicyRef;
use rampart_core::authz::{Authorizer, AuthzRequest, Decision, Denial};
use rampart_policy::{ConditionContext, EvalResult, KeysRead, Policy, PolicyKind};
use std::sync::Arc;

/// Decides calls by AWS's rules, fail-closed.
pub struct IamAuthorizer {
    iam: Arc<Iam>,
}

impl IamAuthorizer {
    /// An authorizer over `iam`'s policies.
    pub fn new(iam: Arc<Iam>) -> Self {
        Self { iam }
    }
}

/// The condition keys of one request: request facts, the principal's keys and the operation's,
/// filled into `c` (which may keep only the keys the policies read, see [`KeysRead`]).
pub(crate) fn condition_context(
    request: &AuthzRequest<'_>,
    identity: &IdentityPolicies,
    mut c: ConditionContext,
) -> ConditionContext {
    let ctx = request.context;
    c.set_current_time(ctx.received_at);
    c.set_source_ip(ctx.source_ip);
    c.set_secure_transport(ctx.secure_transport);
    c.insert("aws:UserAgent", ctx.user_agent.as_str());
    c.insert("aws:RequestedRegion", ctx.region.as_str());
    c.insert("aws:ViaAWSService", "false");
    c.insert("aws:PrincipalIsAWSService", "false");
    c.set_principal(&identity.info);
    if identity.temporary {
        let age = identity.mfa_unix.map(|t| u64::try_from(ctx.received_at.unix_timestamp() - t).unwrap_or(0));
        c.set_mfa(identity.mfa_unix.is_some(), age);
    }
    for (k, v) in &identity.keys {
        c.insert_multi(k, v.iter().map(String::as_str));
    }
    for (k, v) in request.condition_keys {
        c.insert_multi(k, v.iter().map(String::as_str));
    }
    c
}

/// The identity and session policies of a caller, as the engine reads them.
#[derive(Clone, Copy)]
pub(crate) struct Layers<'a> {
    /// Identity-based policies.
    pub identity: &'a [&'a Policy],
    /// Session policies.
    pub session: &'a [&'a Policy],
}

/// The question enforcement asks the engine about one resource of a call: the caller's compiled
/// policies, the resource's stored policy, the owner the service declares (the stored policy's
/// owner; it applies to resources whose ARN names no account), and the request's context.
pub(crate) fn question<'a>(
    identity: &'a IdentityPolicies,
    layers: Layers<'a>,
    resource_policy: Option<(&'a Policy, &'a ResourcePolicyRef)>,
    declared_owner: Option<&'a str>,
    action: &'a str,
    resource: &'a str,
    context: &'a ConditionContext,
) -> crate::decide::Question<'a> {
    crate::decide::Question {
        principal: &identity.info,
        action,
        resource,
        context,
        identity: layers.identity,
        boundary: identity.boundary.as_deref(),
        session: layers.session,
        resource_policy: resource_policy.map(|(p, r)| (p, r.grant_required)),
        declared_owner,
    }
}

/// Actions whose resource policy is a role's trust policy.
fn is_trust_action(action: &str) -> bool {
    action.starts_with("sts:AssumeRole") || action == "sts:TagSession" || action == "sts:SetSourceIdentity"
}

impl Authorizer for IamAuthorizer {
    fn authorize(&self, request: &AuthzRequest<'_>) -> Result<(), Denial> {
        let principal = request.principal;
        let deny = |decision, message: String| Err(Denial { decision, message });
        let identity = match self.iam.identity_for(principal) {
            Ok(i) => i,
            Err(e) => {
                tracing::error!(error = %e, "cannot load the caller's policies; denying");
                return deny(
                    Decision::ImplicitDeny,
                    format!(
                        "User: {} is not authorized to perform: {} because its policies could not be loaded",
                        principal.arn, request.action
                    ),
                );
            }
        };
        if let Some(why) = &identity.broken {
            tracing::warn!(principal = %principal.arn, why, "denying every call of a principal whose policies are broken");
            return deny(
                Decision::ImplicitDeny,
                format!("User: {} is not authorized to perform: {} because {why}", principal.arn, request.action),
            );
        }
        let resource_policy = match request.resource_policy {
            None => None,
            // A role's trust policy is the resource policy of the sts:AssumeRole* actions.
            Some(r) => match self.iam.parse_cached(
                &r.cache_key,
                &r.document,
                if is_trust_action(request.action) { PolicyKind::Trust } else { PolicyKind::Resource },
                "resource-policy",
            ) {
                Ok(p) => Some((p, r)),
                Err(e) => {
                    tracing::error!(cache_key = %r.cache_key, error = %e, "stored resource policy does not parse; denying");
                    return deny(
                        Decision::ImplicitDeny,
                        format!(
                            "User: {} is not authorized to perform: {} because the resource policy is invalid",
                            principal.arn, request.action
                        ),
                    );
                }
            },
        };
        let identity_refs: Vec<&Policy> = identity.identity.iter().map(Arc::as_ref).collect();
        let session_refs: Vec<&Policy> = identity.session.iter().map(Arc::as_ref).collect();
        // Only the keys these policies can read: the decision is the same, and a request whose
        // policies have no conditions (the common case) builds no context at all.
        let keys_read = KeysRead::of(
            identity_refs
                .iter()
                .copied()
                .chain(resource_policy.as_ref().map(|(p, _)| p.as_ref()))
                .chain(identity.boundary.as_deref())
                .chain(session_refs.iter().copied()),
        );
        let context = condition_context(request, &identity, ConditionContext::reading(keys_read));
        let action = request.action;
        for resource in request.resources {
            let result: EvalResult<'_> = crate::decide::decide(&question(
                &identity,
                Layers { identity: &identity_refs, session: &session_refs },
                resource_policy.as_ref().map(|(p, r)| (p.as_ref(), *r)),
                request.resource_policy.map(|r| r.owner_account.as_str()),
                action,
                resource,
                &context,
            ));
            let decision = match result.decision {
                rampart_policy::Decision::Allow => continue,
                rampart_policy::Decision::ExplicitDeny => Decision::ExplicitDeny,
                _ if request.granted => continue,
                _ => Decision::ImplicitDeny,
            };
            let mut message = result.access_denied_message(&principal.arn, action, resource);
            // The encoded explanation lists the whole request context, not only the keys read.
            let full_context = condition_context(request, &identity, ConditionContext::new());
            let why = crate::authz_message::explain(
                &principal.arn,
                &principal.user_id,
                action,
                resource,
                &result,
                &full_context,
            );
            if let Some(encoded) = crate::authz_message::encode(&self.iam, &why) {
                message.push_str(". Encoded authorization failure message: ");
                message.push_str(&encoded);
            }
            return deny(decision, message);
        }
        Ok(())
    }
}
