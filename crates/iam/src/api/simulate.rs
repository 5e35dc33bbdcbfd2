//! Policy simulation: `SimulatePrincipalPolicy` and `SimulateCustomPolicy` answer from the same
//! engine that enforces calls, and say which statements decided.
//!
//! The answer is paged as AWS pages it (`MaxItems`, `Marker`, `IsTruncated`): one
//! `EvaluationResult` per action and resource, actions in the order of `ActionNames` and, for each
//! action, resources in the order of `ResourceArns`. Only the page asked for is evaluated, and a
//! page's work is bounded (see [`PAGE_WORK`]), so what a request costs does not grow with the
//! product of its lists. Every page validates the whole request, as the first one does.

use super::{On, op};
use crate::identity::IdentityPolicies;
use crate::state::Iam;
use crate::util::{constraint, invalid_input, malformed_policy, paging};
use aws_lc_rs::digest;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rampart_core::AwsError;
use rampart_policy::{
    ConditionContext, Decision, Effect, MatchedStatement, Policy, PolicyKind, PolicyLayer, PrincipalInfo,
};
use rampart_wire::query::QueryParams;
use rampart_wire::xml::XmlWriter;
use rampart_wire::{Call, Operation};
use std::collections::HashMap;
use std::sync::Arc;

// Input limits of both operations, as AWS's IAM API reference gives them for
// SimulatePrincipalPolicy and SimulateCustomPolicy (the same constraints as AWS's service model,
// `iam/2010-05-08`, that the SDKs ship): (minimum, maximum) length in characters.

/// `ActionNames` members (`ActionNameType`).
const ACTION_NAME: (usize, usize) = (3, 128);
/// `ResourceArns` members, `ResourceOwner` and `CallerArn` (`ResourceNameType`).
const RESOURCE_NAME: (usize, usize) = (1, 2048);
/// `PolicySourceArn` (`arnType`).
const SOURCE_ARN: (usize, usize) = (20, 2048);
/// `PolicyInputList` and `PermissionsBoundaryPolicyInputList` members and `ResourcePolicy`
/// (`policyDocumentType`, also limited to tab, LF, CR and U+0020 to U+00FF).
const POLICY_DOCUMENT: (usize, usize) = (1, 131_072);
/// `ContextEntries.member.N.ContextKeyName` (`ContextKeyNameType`).
const CONTEXT_KEY_NAME: (usize, usize) = (5, 256);
/// `ResourceHandlingOption` (`ResourceHandlingOptionType`).
const RESOURCE_HANDLING_OPTION: (usize, usize) = (1, 64);
/// `Marker` (`markerType`).
const MARKER: (usize, usize) = (1, 320);
/// `ContextEntries.member.N.ContextKeyType` (`ContextKeyTypeEnum`).
const CONTEXT_KEY_TYPES: [&str; 12] = [
    "string",
    "stringList",
    "numeric",
    "numericList",
    "boolean",
    "booleanList",
    "ip",
    "ipList",
    "binary",
    "binaryList",
    "date",
    "dateList",
];

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
        op(iam, "SimulatePrincipalPolicy", On::User("PolicySourceArn"), true, simulate_principal),
        op(iam, "SimulateCustomPolicy", On::Nothing, true, simulate_custom),
    ]
}

/// The request's parameters, indexed once. [`QueryParams::get`] scans every pair, so reading each
/// of thousands of parameters through it would cost the square of the request's size.
struct Params<'q> {
    q: &'q QueryParams,
    first: HashMap<&'q str, &'q str>,
}

impl<'q> Params<'q> {
    fn new(q: &'q QueryParams) -> Self {
        let mut first = HashMap::with_capacity(q.pairs().len());
        for (k, v) in q.pairs() {
            first.entry(k.as_str()).or_insert(v.as_str());
        }
        Self { q, first }
    }

    /// The first value of `name`.
    fn get(&self, name: &str) -> Option<&'q str> {
        self.first.get(name).copied()
    }

    /// `name.member.N`, read strictly by [`QueryParams::list`] (one pass over the parameters).
    fn list(&self, name: &str) -> Result<Vec<&'q str>, AwsError> {
        self.q.list(name)
    }
}

/// `value` as an error message shows it: long values (policy documents) cut short.
fn shown(value: &str) -> String {
    const MAX: usize = 64;
    match value.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}...", &value[..cut]),
        None => value.to_owned(),
    }
}

/// Checks the length of a single-valued parameter.
fn check_len(param: &str, value: &str, (min, max): (usize, usize)) -> Result<(), AwsError> {
    let n = value.chars().count();
    if n < min {
        return Err(constraint(
            param,
            &shown(value),
            &format!("Member must have length greater than or equal to {min}"),
        ));
    }
    if n > max {
        return Err(constraint(param, &shown(value), &format!("Member must have length less than or equal to {max}")));
    }
    Ok(())
}

/// Checks the length of every member of a list parameter.
fn check_members(param: &str, values: &[&str], (min, max): (usize, usize)) -> Result<(), AwsError> {
    match values.iter().find(|v| !(min..=max).contains(&v.chars().count())) {
        Some(bad) => Err(constraint(
            param,
            &shown(bad),
            &format!(
                "Member must satisfy constraint: [Member must have length less than or equal to {max}, \
                 Member must have length greater than or equal to {min}]"
            ),
        )),
        None => Ok(()),
    }
}

/// Checks a policy document's length and characters (`policyDocumentType`).
fn check_document(param: &str, doc: &str) -> Result<(), AwsError> {
    check_len(param, doc, POLICY_DOCUMENT)?;
    if !doc.chars().all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}')) {
        return Err(constraint(
            param,
            &shown(doc),
            "Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
        ));
    }
    Ok(())
}

/// The policy documents of a list parameter, checked and parsed, named `{label}{N}`.
fn parse_list(p: &Params<'_>, name: &str, kind: PolicyKind, label: &str) -> Result<Vec<Policy>, AwsError> {
    let docs = p.list(name)?;
    for doc in &docs {
        check_document(name, doc)?;
    }
    docs.iter()
        .enumerate()
        .map(|(i, doc)| {
            Policy::parse_as(doc, kind)
                .map(|p| p.with_name(format!("{label}{}", i + 1)))
                .map_err(|e| malformed_policy(e.aws_message()))
        })
        .collect()
}

/// `ContextEntries.member.N.{ContextKeyName, ContextKeyValues.member.M, ContextKeyType}`, added
/// to `ctx`; returns the bytes of the values, plus [`CONTEXT_VALUE_BYTES`] for each.
///
/// IAM's model marks no member of `ContextEntry` required, but an entry without a key name can
/// only be a mistake: it is refused ("Value null at 'contextEntries.N.member.contextKeyName'")
/// rather than skipped.
fn context_entries(p: &Params<'_>, ctx: &mut ConditionContext) -> Result<usize, AwsError> {
    let mut bytes = 0usize;
    for entry in p.q.structures("ContextEntries")? {
        let name = entry.require("ContextKeyName")?;
        check_len("ContextKeyName", name, CONTEXT_KEY_NAME)?;
        if let Some(kind) = entry.get("ContextKeyType")
            && !CONTEXT_KEY_TYPES.contains(&kind)
        {
            return Err(constraint(
                "ContextKeyType",
                &shown(kind),
                &format!("Member must satisfy enum value set: [{}]", CONTEXT_KEY_TYPES.join(", ")),
            ));
        }
        let values = entry.list("ContextKeyValues")?;
        if values.is_empty() {
            return Err(invalid_input(format!("Context key {name} has no values.")));
        }
        bytes = values.iter().fold(bytes, |b, v| b.saturating_add(v.len() + CONTEXT_VALUE_BYTES));
        ctx.insert_multi(name, values.into_iter().map(str::to_owned));
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
    /// Reads and checks `ActionNames`, `ResourceArns`, the scalar parameters both operations take,
    /// `MaxItems` and `Marker`: everything AWS limits, before anything costly is done.
    fn parse(q: &QueryParams, p: &Params<'q>) -> Result<Self, AwsError> {
        let actions = p.list("ActionNames")?;
        if actions.is_empty() {
            return Err(AwsError::validation(
                "1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null",
            ));
        }
        check_members("ActionNames", &actions, ACTION_NAME)?;
        let mut resources = p.list("ResourceArns")?;
        check_members("ResourceArns", &resources, RESOURCE_NAME)?;
        if resources.is_empty() {
            resources.push("*");
        }
        for name in ["ResourceOwner", "CallerArn"] {
            if let Some(v) = p.get(name) {
                check_len(name, v, RESOURCE_NAME)?;
            }
        }
        if let Some(v) = p.get("ResourceHandlingOption") {
            check_len("ResourceHandlingOption", v, RESOURCE_HANDLING_OPTION)?;
        }
        let (max_items, marker) = paging(q)?;
        let fingerprint = fingerprint(&actions, &resources);
        let total = actions.len().saturating_mul(resources.len());
        let start = match marker {
            None => 0,
            Some(m) => {
                check_len("Marker", &m, MARKER)?;
                decode_marker(&m, &fingerprint, total)?
            }
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

/// Evaluates the page `req` asks for and writes the response.
fn simulate(req: &Request<'_>, inputs: &Inputs<'_>) -> String {
    let total = req.total();
    let charge = inputs.charge();
    let end = page_end(req.start, total, req.max_items, |i| {
        let (action, resource) = req.pair(i);
        charge.of(action, resource)
    });
    let mut w = XmlWriter::new();
    w.open("EvaluationResults");
    for index in req.start..end {
        let (action, resource) = req.pair(index);
        let result = inputs.decide(action, resource);
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
        if inputs.boundary.is_some() {
            let boundary = || result.matched.iter().filter(|m| m.layer == PolicyLayer::Boundary);
            let allowed = boundary().next().is_some() && !boundary().any(|m| m.effect == Effect::Deny);
            w.open("PermissionsBoundaryDecisionDetail")
                .element("AllowedByPermissionsBoundary", if allowed { "true" } else { "false" })
                .close("PermissionsBoundaryDecisionDetail");
        }
        w.close("member");
    }
    w.close("EvaluationResults");
    let truncated = end < total;
    w.element("IsTruncated", if truncated { "true" } else { "false" });
    if truncated {
        w.element("Marker", &encode_marker(end, &req.fingerprint));
    }
    w.finish()
}

/// The condition context of a simulation, and its values' bytes (see [`Inputs::context_bytes`]).
fn base_context(
    call: &Call,
    p: &Params<'_>,
    extra: &[(String, Vec<String>)],
) -> Result<(ConditionContext, usize), AwsError> {
    let mut ctx = ConditionContext::new();
    ctx.set_current_time(call.context.received_at);
    let mut bytes = 0usize;
    for (k, v) in extra {
        bytes = v.iter().fold(bytes, |b, v| b.saturating_add(v.len() + CONTEXT_VALUE_BYTES));
        ctx.insert_multi(k, v.iter().cloned());
    }
    bytes = bytes.saturating_add(context_entries(p, &mut ctx)?);
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
fn resource_owner(p: &Params<'_>) -> Option<String> {
    p.get("ResourceOwner").map(owner_account)
}

/// The account `ResourceOwner` names.
fn owner_account(o: &str) -> String {
    match o.strip_prefix("arn:") {
        Some(rest) => rest.split(':').nth(3).unwrap_or_default().to_owned(),
        None => o.to_owned(),
    }
}

fn simulate_principal(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let p = Params::new(q);
    let source = q.require("PolicySourceArn")?;
    check_len("PolicySourceArn", source, SOURCE_ARN)?;
    let req = Request::parse(q, &p)?;
    let entity: IdentityPolicies = iam.entity_policies(source)?;
    let extra = parse_list(&p, "PolicyInputList", PolicyKind::Identity, "PolicyInputList.")?;
    let (boundary_input, resource) = boundary_and_resource_inputs(&p)?;
    let mut identity: Vec<&Policy> = entity.identity.iter().map(Arc::as_ref).collect();
    identity.extend(extra.iter());
    let (context, context_bytes) = base_context(call, &p, &entity.keys)?;
    let mut principal = entity.info.clone();
    if let Some(caller) = p.get("CallerArn") {
        principal = caller_principal(caller);
    }
    let inputs = Inputs {
        principal,
        identity,
        boundary: boundary_input.as_ref().or(entity.boundary.as_deref()),
        resource: resource.as_ref(),
        resource_owner: resource_owner(&p),
        context,
        context_bytes,
    };
    Ok(simulate(&req, &inputs))
}

/// The `PermissionsBoundaryPolicyInputList` and `ResourcePolicy` parameters, checked and parsed:
/// the same for both simulations. AWS takes one permissions boundary at most.
fn boundary_and_resource_inputs(p: &Params<'_>) -> Result<(Option<Policy>, Option<Policy>), AwsError> {
    let mut boundary = parse_list(
        p,
        "PermissionsBoundaryPolicyInputList",
        PolicyKind::Boundary,
        "PermissionsBoundaryPolicyInputList.",
    )?;
    if boundary.len() > 1 {
        return Err(invalid_input(
            "You can input only one permissions boundary in PermissionsBoundaryPolicyInputList: an entity has one \
             permissions boundary at most.",
        ));
    }
    let resource = match p.get("ResourcePolicy") {
        Some(doc) => {
            check_document("ResourcePolicy", doc)?;
            Some(Policy::parse_as(doc, PolicyKind::Resource).map_err(|e| malformed_policy(e.aws_message()))?)
        }
        None => None,
    };
    Ok((boundary.pop(), resource))
}

fn simulate_custom(_iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let p = Params::new(q);
    if p.list("PolicyInputList")?.is_empty() {
        return Err(AwsError::validation(
            "1 validation error detected: Value null at 'policyInputList' failed to satisfy constraint: Member must not be null",
        ));
    }
    let req = Request::parse(q, &p)?;
    let policies = parse_list(&p, "PolicyInputList", PolicyKind::Identity, "PolicyInputList.")?;
    let (boundary, resource) = boundary_and_resource_inputs(&p)?;
    let (context, context_bytes) = base_context(call, &p, &[])?;
    let caller = call.caller()?;
    let principal = match p.get("CallerArn") {
        Some(arn) => caller_principal(arn),
        None => PrincipalInfo::user(&format!("arn:aws:iam::{}:user/simulated", caller.account_id)),
    };
    let inputs = Inputs {
        principal,
        identity: policies.iter().collect(),
        boundary: boundary.as_ref(),
        resource: resource.as_ref(),
        resource_owner: resource_owner(&p),
        context,
        context_bytes,
    };
    Ok(simulate(&req, &inputs))
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod agree;
