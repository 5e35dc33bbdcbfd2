//! The authorization decision: AWS "Policy evaluation logic", "Cross-account policy evaluation
//! logic", "Permissions boundaries for IAM entities" and "Session policies".
//!
//! 1. Deny evaluation: an applicable `Deny` statement in any policy (identity-based, resource-based,
//!    permissions boundary, session) is final.
//! 2. Same account, resource-based policy: a statement that names the caller itself (user ARN,
//!    role-session ARN, federated-user ARN, or everyone) allows the request even if identity
//!    policies, the boundary or session policies implicitly deny it. One that names the *role*
//!    behind a session (or the IAM user behind a federated user) is still limited by the boundary
//!    and session policies. One that names the account delegates to the identity policies.
//! 3. Identity-based policies must allow; then the permissions boundary, when present; then the
//!    session policies, for session principals. A federated-user session without a session policy
//!    has no permissions; a role session without one keeps its role's.
//! 4. Cross-account (principal account ≠ resource owner): the resource-based policy must allow,
//!    and the identity side (step 3) must allow too, whatever the resource policy names. A
//!    resource of another account without a resource-based policy (see
//!    [`PolicySet::resource_owner`]) is therefore out of reach.
//! 5. Role trust policies (and resource policies marked `grant_required`, such as KMS key
//!    policies) must allow even within the account; naming the account delegates to identity
//!    policies as in step 2.
//!
//! The root user is not subject to identity policies: its identity side always allows.

use crate::context::{ConditionContext, PrincipalInfo, PrincipalKind};
use crate::policy::{Effect, Policy, PolicyKind, Statement};
use crate::principal::Grant;
use std::fmt;

/// The outcome of an evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// An applicable policy allows the request and none denies it.
    Allow,
    /// An applicable statement denies the request.
    ExplicitDeny,
    /// Nothing (or not every required policy) allows the request.
    ImplicitDeny,
}

impl Decision {
    /// Whether the request may proceed.
    pub fn is_allowed(self) -> bool {
        self == Self::Allow
    }

    /// The name `SimulatePrincipalPolicy` uses (`allowed`, `explicitDeny`, `implicitDeny`).
    pub fn as_simulation_str(self) -> &'static str {
        match self {
            Self::Allow => "allowed",
            Self::ExplicitDeny => "explicitDeny",
            Self::ImplicitDeny => "implicitDeny",
        }
    }
}

/// Which kind of policy a statement came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyLayer {
    /// An identity-based policy (user, group or role; inline or managed).
    Identity,
    /// The resource-based policy (or role trust policy).
    Resource,
    /// The permissions boundary.
    Boundary,
    /// A session policy.
    Session,
}

impl PolicyLayer {
    /// How AWS's AccessDenied messages name this kind of policy.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Identity => "identity-based policy",
            Self::Resource => "resource-based policy",
            Self::Boundary => "permissions boundary",
            Self::Session => "session policy",
        }
    }
}

/// Why a request was denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DenyReason {
    /// A `Deny` statement in a policy of this layer applies.
    ExplicitDeny(PolicyLayer),
    /// No policy of this layer allows the request (and it had to).
    NoAllow(PolicyLayer),
}

impl DenyReason {
    /// The clause AWS appends to an AccessDenied message, e.g. `with an explicit deny in an
    /// identity-based policy` or `because no session policy allows the s3:GetObject action`.
    pub fn describe(self, action: &str) -> String {
        match self {
            Self::ExplicitDeny(layer) => {
                let article = if layer == PolicyLayer::Identity { "an" } else { "a" };
                format!("with an explicit deny in {article} {}", layer.describe())
            }
            Self::NoAllow(layer) => format!("because no {} allows the {action} action", layer.describe()),
        }
    }
}

/// A statement that applied to the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchedStatement<'a> {
    /// The kind of policy it belongs to.
    pub layer: PolicyLayer,
    /// The policy's index within its layer's slice (0 for the resource policy and boundary).
    pub policy_index: usize,
    /// The policy's name (see [`Policy::with_name`]).
    pub policy_name: &'a str,
    /// Zero-based index of the statement in the policy.
    pub statement_index: usize,
    /// The statement's `Sid`.
    pub sid: Option<&'a str>,
    /// The statement's effect.
    pub effect: Effect,
}

/// The result of an evaluation: the decision, why, and every statement that applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalResult<'a> {
    /// The decision.
    pub decision: Decision,
    /// Why the request was denied; `None` when allowed.
    pub reason: Option<DenyReason>,
    /// Every statement (Allow or Deny) whose action, resource, principal and conditions matched,
    /// in evaluation order: identity, resource, boundary, session.
    pub matched: Vec<MatchedStatement<'a>>,
}

impl EvalResult<'_> {
    /// Whether the request is allowed.
    pub fn is_allowed(&self) -> bool {
        self.decision.is_allowed()
    }

    /// AWS's AccessDenied message: `User: ARN is not authorized to perform: ACTION on resource:
    /// RESOURCE because ...`. For an allowed result the message has no reason clause.
    pub fn access_denied_message(&self, principal_arn: &str, action: &str, resource: &str) -> String {
        let mut msg = format!("User: {principal_arn} is not authorized to perform: {action} on resource: {resource}");
        if let Some(r) = self.reason {
            msg.push(' ');
            msg.push_str(&r.describe(action));
        }
        msg
    }
}

/// A resource-based policy and the account that owns the resource.
#[derive(Debug, Clone, Copy)]
pub struct ResourcePolicy<'a> {
    /// The policy (parsed as [`PolicyKind::Resource`] or [`PolicyKind::Trust`]).
    pub policy: &'a Policy,
    /// The account that owns the resource.
    pub owner_account: &'a str,
    /// The policy must allow the principal even within the account (AWS: role trust policies and
    /// KMS key policies). Always true for trust policies.
    pub grant_required: bool,
}

impl<'a> ResourcePolicy<'a> {
    /// A resource-based policy of a resource owned by `owner_account`.
    pub fn new(policy: &'a Policy, owner_account: &'a str) -> Self {
        Self { policy, owner_account, grant_required: policy.kind() == PolicyKind::Trust }
    }
}

/// The policies that apply to a request.
#[derive(Debug, Clone, Copy, Default)]
pub struct PolicySet<'a> {
    /// Identity-based policies: the user's inline and managed policies and those of its groups,
    /// or the role's policies for a role session.
    pub identity: &'a [&'a Policy],
    /// The resource-based policy of the resource, if it has one.
    pub resource: Option<ResourcePolicy<'a>>,
    /// The account that owns the resource, when it has no resource-based policy: a request from
    /// another account is then implicitly denied. `None` (with no `resource`) means the resource
    /// is in the caller's account (or has no owner, as for `iam:ListUsers`-style actions).
    pub resource_owner: Option<&'a str>,
    /// The permissions boundary of the user or role, if set.
    pub boundary: Option<&'a Policy>,
    /// Session policies (inline and managed) passed when the session was created.
    pub session: &'a [&'a Policy],
}

/// One authorization question.
#[derive(Debug, Clone, Copy)]
pub struct AuthzContext<'a> {
    /// Who is asking.
    pub principal: &'a PrincipalInfo,
    /// The action, `service:Operation` (compared case-insensitively).
    pub action: &'a str,
    /// The resource ARN (`*` for actions without a resource).
    pub resource: &'a str,
    /// The condition-key context.
    pub context: &'a ConditionContext,
    /// The applicable policies.
    pub policies: PolicySet<'a>,
}

impl<'a> AuthzContext<'a> {
    /// Evaluates this request; see [`evaluate`].
    pub fn evaluate(&self) -> EvalResult<'a> {
        evaluate(self)
    }
}

/// The request as statements see it.
struct Request<'r> {
    action_lc: &'r str,
    resource: &'r str,
    principal: &'r PrincipalInfo,
    ctx: &'r ConditionContext,
    has_boundary: bool,
}

/// What one layer of policies said.
#[derive(Default)]
struct LayerOutcome {
    deny: bool,
    allow: Option<Grant>,
}

/// Decides `req` following AWS's evaluation logic (see the module documentation).
pub fn evaluate<'a>(req: &AuthzContext<'a>) -> EvalResult<'a> {
    let mut lowered = [0u8; 128];
    let owned;
    let action_lc: &str = if req.action.len() <= lowered.len() && req.action.is_ascii() {
        let buf = &mut lowered[..req.action.len()];
        buf.copy_from_slice(req.action.as_bytes());
        buf.make_ascii_lowercase();
        std::str::from_utf8(buf).unwrap_or_default()
    } else {
        owned = req.action.to_ascii_lowercase();
        &owned
    };
    let p = req.principal;
    let sets = &req.policies;
    let r = Request {
        action_lc,
        resource: req.resource,
        principal: p,
        ctx: req.context,
        has_boundary: sets.boundary.is_some(),
    };
    let mut matched = Vec::with_capacity(16);

    let mut identity = LayerOutcome::default();
    for (i, policy) in sets.identity.iter().enumerate() {
        scan(policy, i, PolicyLayer::Identity, &r, &mut identity, &mut matched);
    }
    let mut resource = LayerOutcome::default();
    if let Some(rp) = &sets.resource {
        scan(rp.policy, 0, PolicyLayer::Resource, &r, &mut resource, &mut matched);
    }
    let mut boundary = LayerOutcome::default();
    if let Some(b) = sets.boundary {
        scan(b, 0, PolicyLayer::Boundary, &r, &mut boundary, &mut matched);
    }
    // AWS: session policies apply only to session principals.
    let session_applies = p.kind.is_session();
    let mut session = LayerOutcome::default();
    if session_applies {
        for (i, policy) in sets.session.iter().enumerate() {
            scan(policy, i, PolicyLayer::Session, &r, &mut session, &mut matched);
        }
    }

    for (outcome, layer) in [
        (&identity, PolicyLayer::Identity),
        (&resource, PolicyLayer::Resource),
        (&boundary, PolicyLayer::Boundary),
        (&session, PolicyLayer::Session),
    ] {
        if outcome.deny {
            return finish(Decision::ExplicitDeny, Some(DenyReason::ExplicitDeny(layer)), matched);
        }
    }

    // The limits that apply after an allow: boundary, then session policies.
    let limits: Result<(), DenyReason> = if sets.boundary.is_some() && boundary.allow.is_none() {
        Err(DenyReason::NoAllow(PolicyLayer::Boundary))
    } else if session_applies
        && session.allow.is_none()
        && !(sets.session.is_empty() && p.kind == PrincipalKind::AssumedRole)
    {
        // A role session without session policies keeps its role's permissions; a federated-user
        // session without one has none (AWS "Policy evaluation logic", session policies step).
        Err(DenyReason::NoAllow(PolicyLayer::Session))
    } else {
        Ok(())
    };
    let identity_side: Result<(), DenyReason> = match p.kind {
        PrincipalKind::Root => Ok(()),
        PrincipalKind::Service | PrincipalKind::WebIdentity | PrincipalKind::Anonymous => {
            Err(DenyReason::NoAllow(PolicyLayer::Resource))
        }
        _ if identity.allow.is_none() => Err(DenyReason::NoAllow(PolicyLayer::Identity)),
        _ => limits,
    };

    let outcome = match &sets.resource {
        None => match sets.resource_owner {
            Some(owner) if p.kind.is_iam() && p.account.as_deref() != Some(owner) => {
                identity_side.and(Err(DenyReason::NoAllow(PolicyLayer::Resource)))
            }
            _ => identity_side,
        },
        Some(rp) => {
            let same_account = p.account.as_deref() == Some(rp.owner_account);
            let required = rp.grant_required || rp.policy.kind() == PolicyKind::Trust;
            match resource.allow {
                _ if !p.kind.is_iam() => {
                    if resource.allow.is_some() {
                        Ok(())
                    } else {
                        Err(DenyReason::NoAllow(PolicyLayer::Resource))
                    }
                }
                Some(Grant::Direct) if same_account => Ok(()),
                Some(Grant::Issuer) if same_account => limits,
                Some(_) => identity_side,
                None if same_account && !required => identity_side,
                None => identity_side.and(Err(DenyReason::NoAllow(PolicyLayer::Resource))),
            }
        }
    };
    match outcome {
        Ok(()) => finish(Decision::Allow, None, matched),
        Err(reason) => finish(Decision::ImplicitDeny, Some(reason), matched),
    }
}

fn finish(decision: Decision, reason: Option<DenyReason>, matched: Vec<MatchedStatement<'_>>) -> EvalResult<'_> {
    EvalResult { decision, reason, matched }
}

fn scan<'a>(
    policy: &'a Policy,
    index: usize,
    layer: PolicyLayer,
    r: &Request<'_>,
    out: &mut LayerOutcome,
    matched: &mut Vec<MatchedStatement<'a>>,
) {
    for (si, st) in policy.statements().iter().enumerate() {
        let Some(grant) = applies(st, r) else { continue };
        match st.effect {
            Effect::Deny => out.deny = true,
            Effect::Allow => out.allow = out.allow.max(Some(grant)),
        }
        matched.push(MatchedStatement {
            layer,
            policy_index: index,
            policy_name: policy.name(),
            statement_index: si,
            sid: st.sid(),
            effect: st.effect,
        });
    }
}

/// Whether `st` applies to the request and, if so, how its principal names the caller
/// (`Direct` for statements without a principal).
fn applies(st: &Statement, r: &Request<'_>) -> Option<Grant> {
    let action_hit = st.action.patterns.iter().any(|p| p.matches(r.action_lc, r.ctx));
    if action_hit == st.action.negated {
        return None;
    }
    if let Some(res) = &st.resource {
        let hit = res.patterns.iter().any(|p| p.matches(r.resource, r.ctx));
        if hit == res.negated {
            return None;
        }
    }
    let grant = match &st.principal {
        None => Grant::Direct,
        Some(c) if !c.negated => c.set.grant_for(r.principal)?,
        Some(c) => {
            // AWS "NotPrincipal": a Deny with NotPrincipal "will always deny any IAM principal
            // that has a permissions boundary policy attached, regardless of the values specified".
            let boundary_quirk =
                r.has_boundary && matches!(r.principal.kind, PrincipalKind::User | PrincipalKind::AssumedRole);
            if c.set.excludes(r.principal) && !boundary_quirk {
                return None;
            }
            Grant::Direct
        }
    };
    st.conditions.iter().all(|c| c.evaluate(r.ctx)).then_some(grant)
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_simulation_str())
    }
}
