//! Policy simulation: `SimulatePrincipalPolicy` and `SimulateCustomPolicy` answer from the same
//! engine that enforces calls, and say which statements decided.
//!
//! The answer is paged as AWS pages it (`MaxItems`, `Marker`, `IsTruncated`): one
//! `EvaluationResult` per action and resource, actions in the order of `ActionNames` and, for each
//! action, resources in the order of `ResourceArns`. Only the page asked for is evaluated, and a
//! page's work is bounded (see [`PAGE_WORK`]), so what a request costs does not grow with the
//! product of its lists. Every page validates the whole request, as the first one does.

use super::{On, mop};
use crate::identity::IdentityPolicies;
use crate::shapes::iam as shapes;
use crate::state::Iam;
use crate::util::{invalid_input, malformed_policy};
use aws_lc_rs::digest;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rampart_core::AwsError;
use rampart_policy::{
    ConditionContext, Decision, Effect, MatchedStatement, Policy, PolicyKind, PolicyLayer, PrincipalInfo,
};
use rampart_wire::{Call, Operation};
use std::sync::Arc;

// AWS's input limits of both operations (lengths of action names, resource names, policy
// documents, context key names, markers; `MaxItems`' range; the context key types) are the
// constraints of IAM's model, applied by the model layer before authorization. What the model
// cannot say is checked here: an empty `ActionNames` (or `PolicyInputList` of
// `SimulateCustomPolicy`), a context entry without a key name or values, more than one
// permissions boundary, the markers, and the work of a page.

/// The work one page may do, in units of about 10 ns of a release build's time.
///
/// AWS limits neither the number of actions nor of resources, so a page's work cannot be bounded
/// by `MaxItems` alone: one evaluation compares the request with every statement in play, the
/// simulated policies can be as large as the request body allows, and matching a pattern can take
/// time proportional to its length times the length of the text it is matched against (a
/// resource ARN of up to 2,048 characters, context values of any length). Each evaluation is
/// therefore charged (see [`Charge`]) [`RESULT_WEIGHT`], plus the [`Policy::weight`] of every
/// policy in play (statements, patterns and condition values: about 7 ns each in the engine's
/// `authorize` benchmark), plus their [`Policy::pattern_bytes`] times the bytes of the action,
/// the resource and the context values, over [`TEXT_BYTES_PER_UNIT`] (measured on patterns built
/// to make matching retry at every position of a 2 KiB ARN: about 10 ns per unit).
///
/// A page ends before the evaluation that would pass this budget; it always holds at least one,
/// so paging makes progress. As AWS documents for these operations, a page may then hold fewer
/// results than `MaxItems` while `IsTruncated` is true, and clients (the SDKs' paginators) follow
/// the `Marker`. A page thus costs on the order of 10 ms of evaluation at most (a single
/// evaluation of the largest policies a request can carry may cost more: that bound is the
/// request body's). With ordinary policies (a weight in the tens, patterns of tens of bytes),
/// `MaxItems` is the only limit.
const PAGE_WORK: usize = 1_000_000;

/// Bytes of pattern times bytes of text matched that are charged one unit of [`PAGE_WORK`].
const TEXT_BYTES_PER_UNIT: usize = 512;

/// What each context value is charged besides its bytes, as text matched by patterns.
const CONTEXT_VALUE_BYTES: usize = 16;

/// What each evaluation is charged besides the policies it reads: writing its result (action and
/// resource names of up to 2 KiB).
const RESULT_WEIGHT: usize = 16;

/// The version byte at the start of every marker this module writes.
const MARKER_VERSION: u8 = 1;

pub(super) fn operations(iam: &Arc<Iam>) -> Vec<Operation> {
    vec![
        mop::<shapes::SimulatePrincipalPolicy>(iam, On::User("PolicySourceArn"), true, simulate_principal),
        mop::<shapes::SimulateCustomPolicy>(iam, On::Nothing, true, simulate_custom),
    ]
}

/// What both simulations take, read from either operation's typed input (checked against IAM's
/// model by the model layer).
struct Simulation<'a> {
    /// `PolicyInputList`.
    policies: &'a [String],
    /// `PermissionsBoundaryPolicyInputList`.
    boundaries: &'a [String],
    actions: &'a [String],
    resources: &'a [String],
    resource_policy: Option<&'a str>,
    resource_owner: Option<&'a str>,
    caller_arn: Option<&'a str>,
    context_entries: &'a [shapes::ContextEntry],
    max_items: Option<i32>,
    marker: Option<&'a str>,
}

fn listed(v: &Option<Vec<String>>) -> &[String] {
    v.as_deref().unwrap_or_default()
}

impl<'a> From<&'a shapes::SimulatePrincipalPolicyRequest> for Simulation<'a> {
    fn from(r: &'a shapes::SimulatePrincipalPolicyRequest) -> Self {
        Self {
            policies: listed(&r.policy_input_list),
            boundaries: listed(&r.permissions_boundary_policy_input_list),
            actions: &r.action_names,
            resources: listed(&r.resource_arns),
            resource_policy: r.resource_policy.as_deref(),
            resource_owner: r.resource_owner.as_deref(),
            caller_arn: r.caller_arn.as_deref(),
            context_entries: r.context_entries.as_deref().unwrap_or_default(),
            max_items: r.max_items,
            marker: r.marker.as_deref(),
        }
    }
}

impl<'a> From<&'a shapes::SimulateCustomPolicyRequest> for Simulation<'a> {
    fn from(r: &'a shapes::SimulateCustomPolicyRequest) -> Self {
        Self {
            policies: &r.policy_input_list,
            boundaries: listed(&r.permissions_boundary_policy_input_list),
            actions: &r.action_names,
            resources: listed(&r.resource_arns),
            resource_policy: r.resource_policy.as_deref(),
            resource_owner: r.resource_owner.as_deref(),
            caller_arn: r.caller_arn.as_deref(),
            context_entries: r.context_entries.as_deref().unwrap_or_default(),
            max_items: r.max_items,
            marker: r.marker.as_deref(),
        }
    }
}

/// AWS's error for a required member that is absent (or, for a list, empty: botocore sends an
/// empty list as `Name=`, which the model reads as present).
fn null_at(path: &str) -> AwsError {
    AwsError::validation(format!(
        "1 validation error detected: Value null at '{path}' failed to satisfy constraint: Member must not be null"
    ))
}

/// The policy documents of a list parameter, parsed, named `{label}{N}` (their lengths and
/// characters were checked by the model layer).
fn parse_list(docs: &[String], kind: PolicyKind, label: &str) -> Result<Vec<Policy>, AwsError> {
    docs.iter()
        .enumerate()
        .map(|(i, doc)| {
            Policy::parse_as(doc, kind)
                .map(|p| p.with_name(format!("{label}{}", i + 1)))
                .map_err(|e| malformed_policy(e.aws_message()))
        })
        .collect()
}

/// `ContextEntries`, added to `ctx`; returns the bytes of the values, plus
/// [`CONTEXT_VALUE_BYTES`] for each.
///
/// IAM's model marks no member of `ContextEntry` required, but an entry without a key name can
/// only be a mistake: it is refused ("Value null at 'contextEntries.N.member.contextKeyName'")
/// rather than skipped; so is one without values.
fn context_entries(entries: &[shapes::ContextEntry], ctx: &mut ConditionContext) -> Result<usize, AwsError> {
    let mut bytes = 0usize;
    for (i, entry) in entries.iter().enumerate() {
        let name = entry
            .context_key_name
            .as_deref()
            .ok_or_else(|| null_at(&format!("contextEntries.{}.member.contextKeyName", i + 1)))?;
        let values = listed(&entry.context_key_values);
        if values.is_empty() {
            return Err(invalid_input(format!("Context key {name} has no values.")));
        }
        bytes = values.iter().fold(bytes, |b, v| b.saturating_add(v.len() + CONTEXT_VALUE_BYTES));
        ctx.insert_multi(name, values.iter().cloned());
    }
    Ok(bytes)
}

/// What both simulations ask besides the policies: the actions and resources, and the page.
struct Request<'q> {
    actions: Vec<&'q str>,
    /// `["*"]` when `ResourceArns` is absent, as AWS simulates.
    resources: Vec<&'q str>,
    /// Index (in action-major order) of the first evaluation of the page asked for.
    start: usize,
    max_items: usize,
    /// Binds markers to these actions and resources.
    fingerprint: [u8; 12],
}

impl<'q> Request<'q> {
    /// Reads `ActionNames`, `ResourceArns`, `MaxItems` and `Marker` (their limits were applied by
    /// the model layer), before anything costly is done.
    fn parse(s: &Simulation<'q>) -> Result<Self, AwsError> {
        if s.actions.is_empty() {
            return Err(null_at("actionNames"));
        }
        let actions: Vec<&'q str> = s.actions.iter().map(String::as_str).collect();
        let mut resources: Vec<&'q str> = s.resources.iter().map(String::as_str).collect();
        if resources.is_empty() {
            resources.push("*");
        }
        // The model bounds `MaxItems` to 1..=1000.
        let max_items = s.max_items.and_then(|n| usize::try_from(n).ok()).unwrap_or(100).max(1);
        let fingerprint = fingerprint(&actions, &resources);
        let total = actions.len().saturating_mul(resources.len());
        let start = match s.marker {
            None => 0,
            Some(m) => decode_marker(m, &fingerprint, total)?,
        };
        Ok(Self { actions, resources, start, max_items, fingerprint })
    }

    /// How many evaluations the whole simulation has.
    fn total(&self) -> usize {
        self.actions.len().saturating_mul(self.resources.len())
    }

    /// The action and resource of evaluation `index`.
    fn pair(&self, index: usize) -> (&'q str, &'q str) {
        let n = self.resources.len();
        (self.actions[index / n], self.resources[index % n])
    }
}

/// A digest of the actions and resources (each length-prefixed, so no two lists share one).
fn fingerprint(actions: &[&str], resources: &[&str]) -> [u8; 12] {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(b"rampart/iam/simulate-marker\0");
    for list in [actions, resources] {
        ctx.update(&(list.len() as u64).to_be_bytes());
        for item in list {
            ctx.update(&(item.len() as u64).to_be_bytes());
            ctx.update(item.as_bytes());
        }
    }
    let mut out = [0u8; 12];
    out.copy_from_slice(&ctx.finish().as_ref()[..12]);
    out
}

/// The marker of the page that starts at evaluation `next`: opaque to clients (a version, the
/// index, and the request's fingerprint), checked by [`decode_marker`].
fn encode_marker(next: usize, fingerprint: &[u8; 12]) -> String {
    let mut raw = Vec::with_capacity(21);
    raw.push(MARKER_VERSION);
    raw.extend_from_slice(&(next as u64).to_be_bytes());
    raw.extend_from_slice(fingerprint);
    URL_SAFE_NO_PAD.encode(raw)
}

/// The index a marker points at. Refused (`ValidationError` "Invalid Marker.", as IAM answers a
/// marker it did not issue) unless it is one [`encode_marker`] wrote for these same actions and
/// resources and it points inside them.
fn decode_marker(marker: &str, fingerprint: &[u8; 12], total: usize) -> Result<usize, AwsError> {
    let invalid = || AwsError::validation("Invalid Marker.");
    let raw = URL_SAFE_NO_PAD.decode(marker).map_err(|_| invalid())?;
    if raw.len() != 21 || raw[0] != MARKER_VERSION || raw[9..] != fingerprint[..] {
        return Err(invalid());
    }
    let mut index = [0u8; 8];
    index.copy_from_slice(&raw[1..9]);
    usize::try_from(u64::from_be_bytes(index)).ok().filter(|i| (1..total).contains(i)).ok_or_else(invalid)
}

/// Where the page that starts at `start` ends (exclusive): after `max_items` evaluations, the
/// last one, or the last that fits in [`PAGE_WORK`] when evaluation `i` costs `charge(i)`,
/// whichever comes first; never before `start + 1` when `start < total`.
fn page_end(start: usize, total: usize, max_items: usize, charge: impl Fn(usize) -> usize) -> usize {
    let (mut end, mut spent) = (start, 0usize);
    while end < total && end - start < max_items {
        spent = spent.saturating_add(charge(end));
        if end > start && spent > PAGE_WORK {
            break;
        }
        end += 1;
    }
    end
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
    /// The bytes of every context value, plus [`CONTEXT_VALUE_BYTES`] for each.
    context_bytes: usize,
}

impl<'a> Inputs<'a> {
    /// The decision on `action` and `resource`, by the evaluation enforcement uses.
    fn decide(&'a self, action: &'a str, resource: &'a str) -> rampart_policy::EvalResult<'a> {
        // A key policy must allow even within the account (KMS); a trust policy is the resource
        // policy of the sts:AssumeRole* actions and is always required.
        let lower = action.to_ascii_lowercase();
        let required = lower.starts_with("kms:") || lower.starts_with("sts:assumerole");
        crate::decide::decide(&crate::decide::Question {
            principal: &self.principal,
            action,
            resource,
            context: &self.context,
            identity: &self.identity,
            boundary: self.boundary,
            session: &[],
            resource_policy: self.resource.map(|p| (p, required)),
            declared_owner: self.resource_owner.as_deref(),
        })
    }

    /// How the evaluations of these inputs are charged against [`PAGE_WORK`].
    fn charge(&self) -> Charge {
        let policies = || self.identity.iter().copied().chain(self.boundary).chain(self.resource);
        Charge {
            fixed: RESULT_WEIGHT.saturating_add(policies().map(Policy::weight).fold(0, usize::saturating_add)),
            pattern_bytes: policies().map(Policy::pattern_bytes).fold(0, usize::saturating_add),
            context_bytes: self.context_bytes,
        }
    }
}

/// The cost of one evaluation, in units of [`PAGE_WORK`].
struct Charge {
    /// [`RESULT_WEIGHT`] and the weight of the policies.
    fixed: usize,
    /// The policies' pattern bytes.
    pattern_bytes: usize,
    /// The context values' bytes.
    context_bytes: usize,
}

impl Charge {
    /// The charge for evaluating `action` on `resource`.
    fn of(&self, action: &str, resource: &str) -> usize {
        let text = action.len().saturating_add(resource.len()).saturating_add(self.context_bytes);
        self.fixed.saturating_add(self.pattern_bytes.saturating_mul(text) / TEXT_BYTES_PER_UNIT)
    }
}

/// Evaluates the page `req` asks for.
fn simulate(req: &Request<'_>, inputs: &Inputs<'_>) -> shapes::SimulatePolicyResponse {
    let total = req.total();
    let charge = inputs.charge();
    let end = page_end(req.start, total, req.max_items, |i| {
        let (action, resource) = req.pair(i);
        charge.of(action, resource)
    });
    let mut results = Vec::with_capacity(end - req.start);
    for index in req.start..end {
        let (action, resource) = req.pair(index);
        let result = inputs.decide(action, resource);
        let decision = match result.decision {
            Decision::Allow => "allowed",
            Decision::ExplicitDeny => "explicitDeny",
            Decision::ImplicitDeny => "implicitDeny",
        };
        let matched = result
            .matched
            .iter()
            .map(|m| shapes::Statement {
                source_policy_id: Some(m.policy_name.to_owned()),
                source_policy_type: Some(source_type(m).to_owned()),
                ..Default::default()
            })
            .collect();
        let boundary_detail = inputs.boundary.is_some().then(|| {
            let boundary = || result.matched.iter().filter(|m| m.layer == PolicyLayer::Boundary);
            let allowed = boundary().next().is_some() && !boundary().any(|m| m.effect == Effect::Deny);
            shapes::PermissionsBoundaryDecisionDetail { allowed_by_permissions_boundary: Some(allowed) }
        });
        results.push(shapes::EvaluationResult {
            eval_action_name: action.to_owned(),
            eval_resource_name: Some(resource.to_owned()),
            eval_decision: decision.to_owned(),
            matched_statements: Some(matched),
            missing_context_values: Some(Vec::new()),
            permissions_boundary_decision_detail: boundary_detail,
            ..Default::default()
        });
    }
    let truncated = end < total;
    shapes::SimulatePolicyResponse {
        evaluation_results: Some(results),
        is_truncated: Some(truncated),
        marker: truncated.then(|| encode_marker(end, &req.fingerprint)),
    }
}

/// The condition context of a simulation, and its values' bytes (see [`Inputs::context_bytes`]).
fn base_context(
    call: &Call,
    s: &Simulation<'_>,
    extra: &[(String, Vec<String>)],
) -> Result<(ConditionContext, usize), AwsError> {
    let mut ctx = ConditionContext::new();
    ctx.set_current_time(call.context.received_at);
    let mut bytes = 0usize;
    for (k, v) in extra {
        bytes = v.iter().fold(bytes, |b, v| b.saturating_add(v.len() + CONTEXT_VALUE_BYTES));
        ctx.insert_multi(k, v.iter().cloned());
    }
    bytes = bytes.saturating_add(context_entries(s.context_entries, &mut ctx)?);
    Ok((ctx, bytes))
}

/// The simulated caller named by `CallerArn`.
///
/// AWS's API reference accepts only an IAM user's ARN here; Rampart reads the caller's kind from
/// the ARN so that every principal a resource policy can name can be simulated: the root user
/// (`:root`), a role session (`sts` `assumed-role/ROLE/SESSION`, behind role `ROLE`), and a service principal (a name without `arn:`, such as `ec2.amazonaws.com`). Any other
/// ARN (users, and roles, which AWS never sees as callers) is simulated as an IAM user.
fn caller_principal(arn: &str) -> PrincipalInfo {
    let Some(rest) = arn.strip_prefix("arn:") else {
        return PrincipalInfo::service(arn);
    };
    let mut parts = rest.splitn(5, ':');
    let (partition, service, _region, account, resource) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next());
    match (partition, service, account, resource) {
        (Some(_), Some("iam"), Some(account), Some("root")) => PrincipalInfo::root(account),
        (Some(partition), Some("sts"), Some(account), Some(r)) => {
            if let Some(role) = r.strip_prefix("assumed-role/").and_then(|x| x.split('/').next()) {
                PrincipalInfo::assumed_role(arn, &format!("arn:{partition}:iam::{account}:role/{role}"))
            } else {
                PrincipalInfo::user(arn)
            }
        }
        _ => PrincipalInfo::user(arn),
    }
}

/// The `ResourceOwner` parameter as an account id: the account field of an ARN (AWS documents
/// the parameter as "an ARN representing the AWS account ID", such as
/// `arn:aws:iam::112233445566:root`), or the value itself (a bare account id).
fn resource_owner(s: &Simulation<'_>) -> Option<String> {
    s.resource_owner.map(owner_account)
}

/// The account `ResourceOwner` names.
fn owner_account(o: &str) -> String {
    match o.strip_prefix("arn:") {
        Some(rest) => rest.split(':').nth(3).unwrap_or_default().to_owned(),
        None => o.to_owned(),
    }
}

fn simulate_principal(
    iam: &Iam,
    call: &Call,
    input: shapes::SimulatePrincipalPolicyRequest,
) -> Result<shapes::SimulatePolicyResponse, AwsError> {
    let s = Simulation::from(&input);
    let req = Request::parse(&s)?;
    let entity: IdentityPolicies = iam.entity_policies(&input.policy_source_arn)?;
    let extra = parse_list(s.policies, PolicyKind::Identity, "PolicyInputList.")?;
    let (boundary_input, resource) = boundary_and_resource_inputs(&s)?;
    let mut identity: Vec<&Policy> = entity.identity.iter().map(Arc::as_ref).collect();
    identity.extend(extra.iter());
    let (context, context_bytes) = base_context(call, &s, &entity.keys)?;
    let mut principal = entity.info.clone();
    if let Some(caller) = s.caller_arn {
        principal = caller_principal(caller);
    }
    let inputs = Inputs {
        principal,
        identity,
        boundary: boundary_input.as_ref().or(entity.boundary.as_deref()),
        resource: resource.as_ref(),
        resource_owner: resource_owner(&s),
        context,
        context_bytes,
    };
    Ok(simulate(&req, &inputs))
}

/// The `PermissionsBoundaryPolicyInputList` and `ResourcePolicy` parameters, parsed: the same for
/// both simulations. AWS takes one permissions boundary at most.
fn boundary_and_resource_inputs(s: &Simulation<'_>) -> Result<(Option<Policy>, Option<Policy>), AwsError> {
    let mut boundary = parse_list(s.boundaries, PolicyKind::Boundary, "PermissionsBoundaryPolicyInputList.")?;
    if boundary.len() > 1 {
        return Err(invalid_input(
            "You can input only one permissions boundary in PermissionsBoundaryPolicyInputList: an entity has one \
             permissions boundary at most.",
        ));
    }
    let resource = match s.resource_policy {
        Some(doc) => Some(Policy::parse_as(doc, PolicyKind::Resource).map_err(|e| malformed_policy(e.aws_message()))?),
        None => None,
    };
    Ok((boundary.pop(), resource))
}

fn simulate_custom(
    _iam: &Iam,
    call: &Call,
    input: shapes::SimulateCustomPolicyRequest,
) -> Result<shapes::SimulatePolicyResponse, AwsError> {
    let s = Simulation::from(&input);
    if s.policies.is_empty() {
        return Err(null_at("policyInputList"));
    }
    let req = Request::parse(&s)?;
    let policies = parse_list(s.policies, PolicyKind::Identity, "PolicyInputList.")?;
    let (boundary, resource) = boundary_and_resource_inputs(&s)?;
    let (context, context_bytes) = base_context(call, &s, &[])?;
    let caller = call.caller()?;
    let principal = match s.caller_arn {
        Some(arn) => caller_principal(arn),
        None => PrincipalInfo::user(&format!("arn:aws:iam::{}:user/simulated", caller.account_id)),
    };
    let inputs = Inputs {
        principal,
        identity: policies.iter().collect(),
        boundary: boundary.as_ref(),
        resource: resource.as_ref(),
        resource_owner: resource_owner(&s),
        context,
        context_bytes,
    };
    Ok(simulate(&req, &inputs))
}

/// Test support: `q` read and checked by the model layer as the pipeline reads a
/// `SimulatePrincipalPolicy` request (with a `PolicySourceArn` when `q` has none), typed.
#[cfg(test)]
fn checked(q: &rampart_wire::query::QueryParams) -> Result<shapes::SimulatePrincipalPolicyRequest, AwsError> {
    let mut pairs = q.pairs().to_vec();
    if !pairs.iter().any(|(k, _)| k == "PolicySourceArn") {
        pairs.push(("PolicySourceArn".into(), "arn:aws:iam::111122223333:user/alice".into()));
    }
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .finish();
    let q = rampart_wire::query::QueryParams::parse("", body.as_bytes()).expect("form");
    let model = super::model();
    let op = model.operation("SimulatePrincipalPolicy").expect("modeled");
    let tree = rampart_wire::model::parse_input(&model, op, rampart_wire::Input::Query(q))?;
    Ok(serde_json::from_value(tree).expect("a checked tree reads as the typed input"))
}

/// Test support: a simulation's response as the query protocol writes it (the inner XML of
/// `<SimulatePrincipalPolicyResult>`).
#[cfg(test)]
fn xml_of(r: &shapes::SimulatePolicyResponse) -> String {
    let model = super::model();
    let shape = model.operation("SimulatePrincipalPolicy").and_then(|o| o.output).expect("output");
    let mut out = String::new();
    let value = serde_json::to_value(r).expect("serializable");
    rampart_wire::model::query::write_xml(&model, shape, &value, rampart_wire::model::query::Dialect::Query, &mut out);
    out
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod agree;
