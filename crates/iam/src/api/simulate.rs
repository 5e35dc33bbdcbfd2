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
mod tests {
    use super::*;

    fn query(pairs: &[(&str, String)]) -> QueryParams {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())))
            .finish();
        QueryParams::parse("", body.as_bytes()).unwrap()
    }

    fn members(name: &str, values: &[String]) -> Vec<(String, String)> {
        values.iter().enumerate().map(|(i, v)| (format!("{name}.member.{}", i + 1), v.clone())).collect()
    }

    /// A request of `actions` × `resources`, with extra parameters.
    fn request(actions: usize, resources: usize, extra: &[(&str, String)]) -> QueryParams {
        let actions: Vec<String> = (0..actions).map(|i| format!("s3:Action{i}")).collect();
        let resources: Vec<String> = (0..resources).map(|i| format!("arn:aws:s3:::bucket/{i}")).collect();
        let mut pairs: Vec<(String, String)> = members("ActionNames", &actions);
        pairs.extend(members("ResourceArns", &resources));
        pairs.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        let refs: Vec<(&str, String)> = pairs.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        query(&refs)
    }

    fn inputs(policy: &Policy) -> Inputs<'_> {
        Inputs {
            principal: PrincipalInfo::user("arn:aws:iam::111122223333:user/alice"),
            identity: vec![policy],
            boundary: None,
            resource: None,
            resource_owner: None,
            context: ConditionContext::new(),
            context_bytes: 0,
        }
    }

    /// A page read back: the (action, resource) of every result, `IsTruncated`, and the marker.
    type Page = (Vec<(String, String)>, bool, Option<String>);

    fn results(xml: &str) -> Page {
        let texts = |tag: &str| -> Vec<String> {
            let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
            xml.split(&open).skip(1).filter_map(|s| s.split(&close).next()).map(str::to_owned).collect()
        };
        let pairs = texts("EvalActionName").into_iter().zip(texts("EvalResourceName")).collect();
        (pairs, texts("IsTruncated") == ["true"], texts("Marker").pop())
    }

    /// Simulates the page `q` asks for with `policy` as the only identity policy.
    fn run(q: &QueryParams, policy: &Policy) -> Result<Page, AwsError> {
        let p = Params::new(q);
        let req = Request::parse(q, &p)?;
        Ok(results(&simulate(&req, &inputs(policy))))
    }

    fn allow_s3() -> Policy {
        Policy::parse(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:Action1*","Resource":"*"}}"#,
        )
        .expect("policy")
    }

    #[test]
    fn params_read_lists_as_query_params_do() {
        let q = query(&[
            ("A.member.2", "b".into()),
            ("A.member.1", "a".into()),
            ("C", "first".into()),
            ("C", "second".into()),
        ]);
        let p = Params::new(&q);
        assert_eq!(p.list("A").unwrap(), q.list("A").unwrap());
        assert_eq!(p.list("A").unwrap(), ["a", "b"]);
        assert_eq!(p.get("C"), q.get("C"));
        assert!(p.list("B").unwrap().is_empty());
        // Malformed lists are refused, as QueryParams refuses them.
        let gap = query(&[("A.member.1", "a".into()), ("A.member.3", "c".into())]);
        assert_eq!(Params::new(&gap).list("A").unwrap_err().code(), "ValidationError");
    }

    #[test]
    fn pages_concatenated_are_the_whole_answer_in_action_major_order() {
        let policy = allow_s3();
        let (all, truncated, marker) = run(&request(7, 3, &[("MaxItems", "1000".into())]), &policy).unwrap();
        assert_eq!(all.len(), 21);
        assert!(!truncated && marker.is_none());
        assert_eq!(all[0], ("s3:Action0".into(), "arn:aws:s3:::bucket/0".into()));
        assert_eq!(all[4], ("s3:Action1".into(), "arn:aws:s3:::bucket/1".into()));
        for max in [1, 2, 5, 20, 21] {
            let mut paged = Vec::new();
            let mut marker: Option<String> = None;
            loop {
                let mut extra = vec![("MaxItems", max.to_string())];
                extra.extend(marker.iter().map(|m| ("Marker", m.clone())));
                let (page, truncated, next) = run(&request(7, 3, &extra), &policy).unwrap();
                assert!(page.len() <= max && !page.is_empty());
                paged.extend(page);
                assert_eq!(truncated, next.is_some());
                marker = next;
                if marker.is_none() {
                    break;
                }
            }
            assert_eq!(paged, all, "MaxItems {max}");
        }
    }

    #[test]
    fn default_page_is_100_and_only_the_page_is_answered() {
        let (page, truncated, marker) = run(&request(1000, 100, &[]), &allow_s3()).unwrap();
        assert_eq!(page.len(), 100);
        assert!(truncated && marker.is_some());
        assert_eq!(page[99], ("s3:Action0".into(), "arn:aws:s3:::bucket/99".into()));
    }

    #[test]
    fn markers_are_checked() {
        let fp = fingerprint(&["s3:A", "s3:B"], &["*"]);
        assert_eq!(decode_marker(&encode_marker(1, &fp), &fp, 2).unwrap(), 1);
        let invalid = |m: &str, total: usize| decode_marker(m, &fp, total).unwrap_err();
        for e in [
            invalid(&encode_marker(0, &fp), 2),
            invalid(&encode_marker(2, &fp), 2),
            invalid(&encode_marker(usize::MAX, &fp), 2),
            invalid(&encode_marker(1, &fingerprint(&["s3:A", "s3:C"], &["*"])), 2),
            invalid("not a marker", 2),
            invalid("", 2),
            invalid(&encode_marker(1, &fp)[1..], 2),
        ] {
            assert_eq!((e.code(), e.status(), e.message()), ("ValidationError", 400, "Invalid Marker."));
        }
        // A marker of another request (other actions) is refused, even if in range.
        let q = request(4, 1, &[("MaxItems", "2".into())]);
        let (_, _, marker) = run(&q, &allow_s3()).unwrap();
        let other = request(5, 1, &[("Marker", marker.unwrap())]);
        assert_eq!(run(&other, &allow_s3()).unwrap_err().message(), "Invalid Marker.");
        let long = request(1, 1, &[("Marker", "x".repeat(321))]);
        assert!(run(&long, &allow_s3()).unwrap_err().message().contains("less than or equal to 320"));
    }

    #[test]
    fn a_page_ends_at_the_work_budget_but_always_progresses() {
        assert_eq!(page_end(0, 10, 100, |_| 1), 10);
        assert_eq!(page_end(4, 10, 3, |_| 1), 7);
        assert_eq!(page_end(0, 10_000, 1000, |_| PAGE_WORK / 10), 10);
        assert_eq!(page_end(5, 10_000, 1000, |_| PAGE_WORK * 2), 6);
        assert_eq!(page_end(9, 10, 1000, |_| usize::MAX), 10);
        assert_eq!(page_end(0, 10, 1000, |i| if i < 3 { 1 } else { PAGE_WORK }), 3);
        assert_eq!(page_end(10, 10, 1000, |_| 1), 10);
        // A policy heavy enough that 1000 results do not fit in one page's work.
        let actions: Vec<String> = (0..2_000).map(|i| format!("\"s3:Get{i}\"")).collect();
        let heavy = Policy::parse(&format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":[{}],"Resource":"*"}}}}"#,
            actions.join(",")
        ))
        .unwrap();
        let charge = inputs(&heavy).charge();
        let expected = PAGE_WORK / charge.of("s3:Action0", "arn:aws:s3:::bucket/0");
        assert!(expected < 1000);
        let (page, truncated, _) = run(&request(1000, 2, &[("MaxItems", "1000".into())]), &heavy).unwrap();
        // Action0 and bucket/0 are the shortest names, so the cheapest evaluation.
        assert!(truncated && page.len() <= expected && page.len() >= expected * 9 / 10, "{} of {expected}", page.len());
    }

    #[test]
    fn aws_input_limits_are_applied() {
        let code = |q: QueryParams| run(&q, &allow_s3()).map(|_| ()).unwrap_err();
        let e = code(request(0, 1, &[]));
        assert_eq!((e.code(), e.status()), ("ValidationError", 400));
        let e = code(query(&[("ActionNames.member.1", "s3".into())]));
        assert!(e.message().contains("'actionNames'") && e.message().contains("greater than or equal to 3"));
        let e = code(query(&[("ActionNames.member.1", format!("s3:{}", "x".repeat(127)))]));
        assert_eq!(e.code(), "ValidationError");
        let e = code(request(1, 0, &[("ResourceArns.member.1", "x".repeat(2049))]));
        assert!(e.message().contains("'resourceArns'"));
        for (param, value) in [("CallerArn", String::new()), ("ResourceOwner", "x".repeat(2049))] {
            assert!(code(request(1, 1, &[(param, value)])).message().contains("validation error"));
        }
        assert_eq!(code(request(1, 1, &[("ResourceHandlingOption", "x".repeat(65))])).code(), "ValidationError");
        for max in ["0", "1001", "-1", "x"] {
            assert!(code(request(1, 1, &[("MaxItems", max.into())])).message().contains("between 1 and 1000"));
        }
        assert!(run(&request(1, 1, &[("MaxItems", "1000".into())]), &allow_s3()).is_ok());
        assert!(run(&request(1, 0, &[("ResourceArns.member.1", "x".repeat(2048))]), &allow_s3()).is_ok());

        assert!(check_document("PolicyInputList", &"x".repeat(131_072)).is_ok());
        let e = check_document("PolicyInputList", &"x".repeat(131_073)).unwrap_err();
        assert!(e.message().contains("131072") && e.message().len() < 300, "{}", e.message());
        assert!(check_document("ResourcePolicy", "{\"\u{0100}\": 1}").unwrap_err().message().contains("pattern"));
        assert!(check_document("ResourcePolicy", "").is_err());

        let entries = |name: &str, kind: &str| {
            query(&[
                ("ContextEntries.member.1.ContextKeyName", name.into()),
                ("ContextEntries.member.1.ContextKeyType", kind.into()),
                ("ContextEntries.member.1.ContextKeyValues.member.1", "v".into()),
            ])
        };
        let context = |q: QueryParams| context_entries(&Params::new(&q), &mut ConditionContext::new());
        assert!(context(entries("aws:username", "string")).is_ok());
        assert!(context(entries("a:b", "string")).unwrap_err().message().contains("greater than or equal to 5"));
        assert!(context(entries(&format!("aws:{}", "k".repeat(253)), "string")).is_err());
        assert!(context(entries("aws:username", "text")).unwrap_err().message().contains("enum value set"));
    }

    #[test]
    fn one_permissions_boundary_at_most() {
        let doc = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
        let q = query(&[
            ("PermissionsBoundaryPolicyInputList.member.1", doc.into()),
            ("PermissionsBoundaryPolicyInputList.member.2", doc.into()),
        ]);
        let e = boundary_and_resource_inputs(&Params::new(&q)).unwrap_err();
        assert_eq!((e.code(), e.status()), ("InvalidInput", 400));
        let q = query(&[("PermissionsBoundaryPolicyInputList.member.1", doc.into())]);
        assert!(boundary_and_resource_inputs(&Params::new(&q)).unwrap().0.is_some());
    }
}

/// Table tests per family of AWS's evaluation rules, and a property test that the simulator
/// decides what enforcement decides.
#[cfg(test)]
mod agree {
    use super::*;
    use proptest::prelude::*;

    /// AWS "Policy evaluation logic".
    const LOGIC: &str = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html";
    /// AWS "Cross-account policy evaluation logic".
    const CROSS: &str =
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html";
    /// AWS IAM API reference, `SimulateCustomPolicy`.
    const SIMULATE: &str = "https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulateCustomPolicy.html";
    /// AWS "Permissions boundaries for IAM entities".
    const BOUNDARIES: &str = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html";
    /// AWS STS API reference, `GetCallerIdentity`.
    const WHOAMI: &str = "https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html";
    /// AWS "Service-linked roles", "AWS managed policies", KMS "Aliases".
    const RESERVED: &str = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html";

    const ME: &str = "arn:aws:iam::111122223333:user/alice";
    const ROLE: &str = "arn:aws:iam::111122223333:role/Dev";
    const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/Dev/s1";
    const BUCKET: &str = "arn:aws:s3:::bucket";
    const ALLOW_ALL: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
    const DENY_ALL: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}"#;
    const NOTHING: &str =
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"none:none","Resource":"*"}}"#;

    fn grant(principal: &str) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"*","Resource":"*"}}}}"#
        )
    }

    /// One case: caller, identity policies, boundary, resource policy, `ResourceOwner`, action,
    /// resource, the expected decision, and the documentation it follows.
    struct Case<'a> {
        caller: &'a str,
        identity: &'a [&'a str],
        boundary: Option<&'a str>,
        resource_policy: Option<String>,
        owner: Option<&'a str>,
        action: &'a str,
        resource: &'a str,
        expect: &'a str,
        doc: &'a str,
    }

    fn run(c: &Case<'_>) -> &'static str {
        let identity: Vec<Policy> = c.identity.iter().map(|d| Policy::parse(d).unwrap()).collect();
        let boundary = c.boundary.map(|d| Policy::parse_as(d, PolicyKind::Boundary).unwrap());
        let resource = c.resource_policy.as_deref().map(|d| Policy::parse_as(d, PolicyKind::Resource).unwrap());
        let inputs = Inputs {
            principal: caller_principal(c.caller),
            identity: identity.iter().collect(),
            boundary: boundary.as_ref(),
            resource: resource.as_ref(),
            resource_owner: c.owner.map(owner_account),
            context: ConditionContext::new(),
            context_bytes: 0,
        };
        inputs.decide(c.action, c.resource).decision.as_simulation_str()
    }

    fn check(cases: &[Case<'_>]) {
        for (i, c) in cases.iter().enumerate() {
            assert_eq!(run(c), c.expect, "case {i} ({}): {} {} {}", c.doc, c.caller, c.action, c.resource);
        }
    }

    fn case<'a>(caller: &'a str, identity: &'a [&'a str], action: &'a str, resource: &'a str) -> Case<'a> {
        Case {
            caller,
            identity,
            boundary: None,
            resource_policy: None,
            owner: None,
            action,
            resource,
            expect: "allowed",
            doc: LOGIC,
        }
    }

    #[test]
    fn resource_ownership() {
        let other_key = "arn:aws:kms:us-east-1:444455556666:key/k";
        check(&[
            // The ARN's account is the owner: identity policy alone cannot reach another account.
            Case { expect: "implicitDeny", doc: CROSS, ..case(ME, &[ALLOW_ALL], "kms:Decrypt", other_key) },
            // No account in the ARN: ResourceOwner decides.
            Case {
                owner: Some("444455556666"),
                expect: "implicitDeny",
                doc: SIMULATE,
                ..case(ME, &[ALLOW_ALL], "s3:GetObject", BUCKET)
            },
            Case {
                owner: Some("arn:aws:iam::444455556666:root"),
                expect: "implicitDeny",
                doc: SIMULATE,
                ..case(ME, &[ALLOW_ALL], "s3:GetObject", BUCKET)
            },
            // ResourceOwner as an account root ARN names its account.
            Case {
                owner: Some("arn:aws:iam::111122223333:root"),
                doc: SIMULATE,
                ..case(ME, &[ALLOW_ALL], "s3:GetObject", BUCKET)
            },
            // Neither: the caller's account.
            Case { doc: SIMULATE, ..case(ME, &[ALLOW_ALL], "s3:GetObject", BUCKET) },
            Case { owner: Some("111122223333"), doc: SIMULATE, ..case(ME, &[ALLOW_ALL], "s3:GetObject", BUCKET) },
            // The ARN's account wins over ResourceOwner.
            Case {
                owner: Some("111122223333"),
                expect: "implicitDeny",
                doc: SIMULATE,
                ..case(ME, &[ALLOW_ALL], "kms:Decrypt", other_key)
            },
            // Cross-account: both the identity and the resource policy must allow.
            Case {
                resource_policy: Some(grant(ME)),
                owner: Some("444455556666"),
                doc: CROSS,
                ..case(ME, &[ALLOW_ALL], "s3:GetObject", BUCKET)
            },
            Case {
                resource_policy: Some(grant(ME)),
                owner: Some("444455556666"),
                expect: "implicitDeny",
                doc: CROSS,
                ..case(ME, &[NOTHING], "s3:GetObject", BUCKET)
            },
            Case {
                resource_policy: Some(grant("444455556666")),
                owner: Some("444455556666"),
                expect: "implicitDeny",
                doc: CROSS,
                ..case(ME, &[ALLOW_ALL], "s3:GetObject", BUCKET)
            },
        ]);
    }

    #[test]
    fn same_account_resource_policy_alone() {
        check(&[
            Case { resource_policy: Some(grant(ME)), ..case(ME, &[NOTHING], "s3:GetObject", BUCKET) },
            Case { resource_policy: Some(grant(SESSION)), ..case(SESSION, &[NOTHING], "s3:GetObject", BUCKET) },
            Case { resource_policy: Some(grant(ROLE)), ..case(SESSION, &[NOTHING], "s3:GetObject", BUCKET) },
            // Naming the account delegates to identity policies.
            Case {
                resource_policy: Some(grant("arn:aws:iam::111122223333:root")),
                expect: "implicitDeny",
                ..case(ME, &[NOTHING], "s3:GetObject", BUCKET)
            },
            Case {
                resource_policy: Some(grant("111122223333")),
                expect: "implicitDeny",
                ..case(SESSION, &[NOTHING], "s3:GetObject", BUCKET)
            },
            Case { resource_policy: Some(grant("111122223333")), ..case(ME, &[ALLOW_ALL], "s3:GetObject", BUCKET) },
            // KMS: the key policy must allow even within the account.
            Case {
                resource_policy: Some(grant("111122223333")),
                ..case(ME, &[ALLOW_ALL], "kms:Decrypt", "arn:aws:kms:us-east-1:111122223333:key/k")
            },
            Case {
                resource_policy: Some(grant("arn:aws:iam::111122223333:user/bob")),
                expect: "implicitDeny",
                ..case(ME, &[ALLOW_ALL], "kms:Decrypt", "arn:aws:kms:us-east-1:111122223333:key/k")
            },
            Case {
                resource_policy: Some(grant(ME)),
                ..case(ME, &[NOTHING], "kms:Decrypt", "arn:aws:kms:us-east-1:111122223333:key/k")
            },
        ]);
    }

    #[test]
    fn get_caller_identity_is_always_allowed() {
        check(&[
            Case { doc: WHOAMI, ..case(ME, &[DENY_ALL], "sts:GetCallerIdentity", "*") },
            Case { doc: WHOAMI, ..case(SESSION, &[NOTHING], "sts:GetCallerIdentity", "*") },
            Case { boundary: Some(DENY_ALL), doc: WHOAMI, ..case(ME, &[DENY_ALL], "sts:getcalleridentity", "*") },
            Case { expect: "explicitDeny", doc: WHOAMI, ..case(ME, &[DENY_ALL], "sts:GetSessionToken", "*") },
        ]);
    }

    #[test]
    fn resource_policy_principals_are_not_checked_for_existence() {
        // The simulator evaluates the text it is given (SimulateCustomPolicy "ResourcePolicy").
        let q = query(&[(
            "ResourcePolicy",
            grant("arn:aws:iam::999988887777:role/path/NoSuchRole")
                .replace("\"*\",\"Resource\"", "\"s3:*\",\"Resource\""),
        )]);
        let (_, resource) = boundary_and_resource_inputs(&Params::new(&q)).unwrap();
        assert!(resource.is_some(), "{SIMULATE}");
        check(&[Case {
            resource_policy: Some(grant("arn:aws:iam::999988887777:user/ghost")),
            owner: Some("999988887777"),
            doc: SIMULATE,
            ..case("arn:aws:iam::999988887777:user/ghost", &[ALLOW_ALL], "s3:GetObject", BUCKET)
        }]);
    }

    fn query(pairs: &[(&str, String)]) -> QueryParams {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())))
            .finish();
        QueryParams::parse("", body.as_bytes()).unwrap()
    }

    #[test]
    fn boundaries_with_resource_policies() {
        let limited = Some(NOTHING);
        check(&[
            // Naming the user: not limited by the boundary's implicit deny.
            Case {
                boundary: limited,
                resource_policy: Some(grant(ME)),
                doc: BOUNDARIES,
                ..case(ME, &[NOTHING], "s3:GetObject", BUCKET)
            },
            // Naming the role session: not limited either.
            Case {
                boundary: limited,
                resource_policy: Some(grant(SESSION)),
                doc: BOUNDARIES,
                ..case(SESSION, &[NOTHING], "s3:GetObject", BUCKET)
            },
            // Naming the role: limited.
            Case {
                boundary: limited,
                resource_policy: Some(grant(ROLE)),
                expect: "implicitDeny",
                doc: BOUNDARIES,
                ..case(SESSION, &[NOTHING], "s3:GetObject", BUCKET)
            },
            Case {
                boundary: Some(ALLOW_ALL),
                resource_policy: Some(grant(ROLE)),
                doc: BOUNDARIES,
                ..case(SESSION, &[NOTHING], "s3:GetObject", BUCKET)
            },
            // An explicit deny in the boundary always wins.
            Case {
                boundary: Some(DENY_ALL),
                resource_policy: Some(grant(ME)),
                expect: "explicitDeny",
                doc: BOUNDARIES,
                ..case(ME, &[NOTHING], "s3:GetObject", BUCKET)
            },
            // Without a resource policy, the boundary limits the identity policies.
            Case {
                boundary: limited,
                expect: "implicitDeny",
                doc: BOUNDARIES,
                ..case(ME, &[ALLOW_ALL], "s3:GetObject", BUCKET)
            },
        ]);
    }

    #[test]
    fn service_principals_and_reserved_resources() {
        let service = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"*","Resource":"*"}}"#;
        check(&[
            Case {
                resource_policy: Some(service.into()),
                doc: LOGIC,
                ..case("ec2.amazonaws.com", &[NOTHING], "sts:AssumeRole", ROLE)
            },
            Case {
                resource_policy: Some(service.into()),
                expect: "implicitDeny",
                doc: LOGIC,
                ..case("lambda.amazonaws.com", &[ALLOW_ALL], "sts:AssumeRole", ROLE)
            },
            Case {
                expect: "implicitDeny",
                doc: RESERVED,
                ..case(ME, &[ALLOW_ALL], "iam:CreatePolicyVersion", "arn:aws:iam::aws:policy/ReadOnlyAccess")
            },
            Case { doc: RESERVED, ..case(ME, &[ALLOW_ALL], "iam:GetPolicy", "arn:aws:iam::aws:policy/ReadOnlyAccess") },
            Case {
                expect: "implicitDeny",
                doc: RESERVED,
                ..case(
                    ME,
                    &[ALLOW_ALL],
                    "iam:PutRolePolicy",
                    "arn:aws:iam::111122223333:role/aws-service-role/x.amazonaws.com/R",
                )
            },
            Case {
                doc: RESERVED,
                ..case(
                    ME,
                    &[ALLOW_ALL],
                    "iam:DeleteServiceLinkedRole",
                    "arn:aws:iam::111122223333:role/aws-service-role/x.amazonaws.com/R",
                )
            },
            Case {
                expect: "implicitDeny",
                doc: RESERVED,
                ..case(ME, &[ALLOW_ALL], "kms:DeleteAlias", "arn:aws:kms:us-east-1:111122223333:alias/aws/s3")
            },
            Case {
                doc: RESERVED,
                ..case(ME, &[ALLOW_ALL], "kms:DeleteAlias", "arn:aws:kms:us-east-1:111122223333:alias/mine")
            },
        ]);
    }

    /// What enforcement decides ([`crate::authorizer::question`], the assembly the pipeline's
    /// authorizer uses) for the caller's compiled policies and the resource's stored policy,
    /// owned by `ResourceOwner` or else the caller's account.
    fn enforced(c: &Case<'_>) -> Option<&'static str> {
        let identity: Vec<Arc<Policy>> = c.identity.iter().map(|d| Arc::new(Policy::parse(d).unwrap())).collect();
        let compiled = crate::identity::IdentityPolicies {
            generation: 0,
            info: caller_principal(c.caller),
            identity: identity.clone(),
            boundary: c.boundary.map(|d| Arc::new(Policy::parse_as(d, PolicyKind::Boundary).unwrap())),
            session: Vec::new(),
            keys: Vec::new(),
            temporary: false,
            mfa_unix: None,
            broken: None,
        };
        let refs: Vec<&Policy> = identity.iter().map(Arc::as_ref).collect();
        let lower = c.action.to_ascii_lowercase();
        let trust = lower.starts_with("sts:assumerole");
        let kind = if trust { PolicyKind::Trust } else { PolicyKind::Resource };
        let resource = match c.resource_policy.as_deref().map(|d| Policy::parse_as(d, kind)) {
            None => None,
            Some(Ok(p)) => Some(p),
            Some(Err(_)) => return None, // not a policy enforcement could have stored
        };
        // The owner a service would declare for the resource (`ResourceOwner`).
        let declared = c.owner.map(owner_account);
        let owner = declared.clone().or(compiled.info.account.clone());
        let stored = resource.as_ref().map(|_| rampart_core::authz::ResourcePolicyRef {
            cache_key: String::new(),
            owner_account: rampart_core::ids::AccountId::parse(owner.as_deref().unwrap_or("111122223333")).unwrap(),
            document: Arc::from(""),
            grant_required: trust || lower.starts_with("kms:"),
        });
        let context = ConditionContext::new();
        let q = crate::authorizer::question(
            &compiled,
            crate::authorizer::Layers { identity: &refs, session: &[] },
            resource.as_ref().zip(stored.as_ref()),
            stored.as_ref().map(|r| r.owner_account.as_str()).or(declared.as_deref()),
            c.action,
            c.resource,
            &context,
        );
        Some(crate::decide::decide(&q).decision.as_simulation_str())
    }

    /// The decision the whole simulator answers (parameters in, XML out).
    fn simulated(c: &Case<'_>) -> String {
        let mut pairs: Vec<(&str, String)> =
            vec![("ActionNames.member.1", c.action.into()), ("ResourceArns.member.1", c.resource.into())];
        let names: Vec<String> = (1..=c.identity.len()).map(|i| format!("PolicyInputList.member.{i}")).collect();
        for (n, d) in names.iter().zip(c.identity) {
            pairs.push((n.as_str(), (*d).into()));
        }
        if let Some(b) = c.boundary {
            pairs.push(("PermissionsBoundaryPolicyInputList.member.1", b.into()));
        }
        if let Some(r) = &c.resource_policy {
            pairs.push(("ResourcePolicy", r.clone()));
        }
        if let Some(o) = c.owner {
            pairs.push(("ResourceOwner", o.into()));
        }
        let q = query(&pairs);
        let p = Params::new(&q);
        let req = Request::parse(&q, &p).unwrap();
        let identity = parse_list(&p, "PolicyInputList", PolicyKind::Identity, "PolicyInputList.").unwrap();
        let (boundary, resource) = boundary_and_resource_inputs(&p).unwrap();
        let inputs = Inputs {
            principal: caller_principal(c.caller),
            identity: identity.iter().collect(),
            boundary: boundary.as_ref(),
            resource: resource.as_ref(),
            resource_owner: resource_owner(&p),
            context: ConditionContext::new(),
            context_bytes: 0,
        };
        let xml = simulate(&req, &inputs);
        xml.split("<EvalDecision>").nth(1).and_then(|s| s.split('<').next()).unwrap_or_default().to_owned()
    }

    fn arb_principal() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            ME,
            ROLE,
            SESSION,
            "arn:aws:iam::444455556666:user/bob",
            "arn:aws:sts::444455556666:assumed-role/Ops/s",
            "arn:aws:iam::111122223333:root",
            "111122223333",
            "444455556666",
            "ec2.amazonaws.com",
            "*",
        ])
    }

    fn arb_policy(
        principal: Option<&'static str>,
        effect: &'static str,
        action: &'static str,
        resource: &'static str,
    ) -> String {
        let p = match principal {
            None => String::new(),
            Some("ec2.amazonaws.com") => r#""Principal":{"Service":"ec2.amazonaws.com"},"#.into(),
            Some("*") => r#""Principal":"*","#.into(),
            Some(p) => format!(r#""Principal":{{"AWS":"{p}"}},"#),
        };
        format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"{effect}",{p}"Action":"{action}","Resource":"{resource}"}}}}"#
        )
    }

    fn arb_statement() -> impl Strategy<Value = (&'static str, &'static str, &'static str)> {
        (
            prop::sample::select(vec!["Allow", "Allow", "Deny"]),
            prop::sample::select(vec!["*", "s3:*", "kms:Decrypt", "sts:*", "iam:*", "none:none"]),
            prop::sample::select(vec!["*", "arn:aws:s3:::bucket", "arn:aws:kms:*:*:key/*", "arn:aws:iam::*:*"]),
        )
    }

    proptest! {
        /// The simulator decides exactly what enforcement's assembly decides, for generated
        /// callers, policies, boundaries, resource policies, owners, actions and resources.
        #[test]
        fn simulator_agrees_with_enforcement(
            caller in prop::sample::select(vec![ME, SESSION, "arn:aws:iam::444455556666:user/bob", "arn:aws:iam::111122223333:root", "ec2.amazonaws.com"]),
            identity in prop::collection::vec(arb_statement(), 1..3),
            boundary in prop::option::of(arb_statement()),
            resource_policy in prop::option::of((arb_principal(), arb_statement())),
            owner in prop::option::of(prop::sample::select(vec!["111122223333", "444455556666", "arn:aws:iam::444455556666:root"])),
            action in prop::sample::select(vec!["s3:GetObject", "kms:Decrypt", "sts:AssumeRole", "sts:GetCallerIdentity", "iam:CreatePolicyVersion", "kms:DeleteAlias"]),
            resource in prop::sample::select(vec!["*", BUCKET, "arn:aws:kms:us-east-1:111122223333:key/k", "arn:aws:kms:us-east-1:444455556666:key/k", ROLE, "arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:kms:us-east-1:111122223333:alias/aws/s3"]),
        ) {
            let identity: Vec<String> = identity.into_iter().map(|(e, a, r)| arb_policy(None, e, a, r)).collect();
            let identity_refs: Vec<&str> = identity.iter().map(String::as_str).collect();
            let boundary = boundary.map(|(e, a, r)| arb_policy(None, e, a, r));
            let c = Case {
                caller,
                identity: &identity_refs,
                boundary: boundary.as_deref(),
                resource_policy: resource_policy.map(|(p, (e, a, r))| arb_policy(Some(p), e, a, r)),
                owner,
                action,
                resource,
                expect: "",
                doc: LOGIC,
            };
            if let Some(enforced) = enforced(&c) {
                prop_assert_eq!(simulated(&c), enforced);
            }
        }
    }
}
