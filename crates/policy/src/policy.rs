//! Parsing and validating policy documents into their compiled form.
//!
//! Validation follows AWS "IAM JSON policy elements reference" and what IAM checks on write:
//! `Version` is `2012-10-17` or `2008-10-17` (absent means 2008-10-17, without policy variables);
//! `Statement` is an object or a non-empty array; each statement has `Effect` `Allow`/`Deny`,
//! exactly one of `Action`/`NotAction` and, depending on the [`PolicyKind`], `Principal` and
//! `Resource` requirements; unknown elements, unknown condition operators and duplicate `Sid`s are
//! errors.

use crate::condition::{Condition, parse_block};
use crate::error::PolicyError;
use crate::json::Json;
use crate::key::KeyName;
use crate::principal::PrincipalSet;
use crate::variables::Syntax;
use crate::wildcard::Pattern;
use std::collections::HashSet;

/// The kind of policy, which decides which elements are required or forbidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// An identity-based policy (user, group or role; inline or managed): no `Principal`,
    /// `Resource` or `NotResource` required.
    Identity,
    /// A resource-based policy (bucket, queue, key, ...): `Principal` or `NotPrincipal` required,
    /// `Resource` optional (it defaults to the resource the policy is attached to).
    Resource,
    /// A role trust policy: `Principal` required, only `sts:` actions, no `Resource` or
    /// `NotPrincipal`.
    Trust,
    /// A permissions boundary: validated like an identity-based policy.
    Boundary,
    /// A session policy passed to `AssumeRole*` or `GetFederationToken`: validated like an
    /// identity-based policy.
    Session,
}

impl PolicyKind {
    fn is_identity_like(self) -> bool {
        matches!(self, Self::Identity | Self::Boundary | Self::Session)
    }
}

/// The policy-language version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyVersion {
    /// `2008-10-17` (also the meaning of an absent `Version`): no policy variables.
    V2008_10_17,
    /// `2012-10-17`: policy variables are substituted.
    V2012_10_17,
}

impl PolicyVersion {
    /// The version string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V2008_10_17 => "2008-10-17",
            Self::V2012_10_17 => "2012-10-17",
        }
    }
}

/// A statement's effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    /// `"Effect": "Allow"`.
    Allow,
    /// `"Effect": "Deny"`.
    Deny,
}

/// `Action` or `NotAction`: lower-cased patterns (actions match case-insensitively).
#[derive(Debug, Clone)]
pub(crate) struct ActionClause {
    pub(crate) negated: bool,
    pub(crate) patterns: Vec<Pattern>,
}

/// `Resource` or `NotResource`.
#[derive(Debug, Clone)]
pub(crate) struct ResourceClause {
    pub(crate) negated: bool,
    pub(crate) patterns: Vec<Pattern>,
}

/// `Principal` or `NotPrincipal`.
#[derive(Debug, Clone)]
pub(crate) struct PrincipalClause {
    pub(crate) negated: bool,
    pub(crate) set: PrincipalSet,
}

/// One compiled statement.
#[derive(Debug, Clone)]
pub struct Statement {
    pub(crate) sid: Option<String>,
    pub(crate) effect: Effect,
    pub(crate) principal: Option<PrincipalClause>,
    pub(crate) action: ActionClause,
    /// `None` when the policy kind does not use `Resource` (trust policies, or a resource-based
    /// policy that omits it): the statement then applies to any resource.
    pub(crate) resource: Option<ResourceClause>,
    pub(crate) conditions: Vec<Condition>,
}

impl Statement {
    /// The statement's `Sid`, if it has one.
    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }

    /// The statement's effect.
    pub fn effect(&self) -> Effect {
        self.effect
    }
}

/// A parsed, validated and compiled policy document. Parse once, evaluate many times.
#[derive(Debug, Clone)]
pub struct Policy {
    name: String,
    kind: PolicyKind,
    version: PolicyVersion,
    id: Option<String>,
    statements: Vec<Statement>,
    /// Every context key evaluating the policy can read (see [`crate::KeysRead`]).
    keys_read: Vec<KeyName>,
}

impl Policy {
    /// Parses an identity-based policy (the kind IAM's `CreatePolicy`/`Put*Policy` take).
    pub fn parse(json: &str) -> Result<Policy, PolicyError> {
        Policy::parse_as(json, PolicyKind::Identity)
    }

    /// Parses a policy of the given kind.
    pub fn parse_as(json: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        let doc = Json::parse(json).map_err(|message| PolicyError::Json { message })?;
        let Json::Object(top) = doc else { return Err(PolicyError::NotAnObject) };
        let mut version = PolicyVersion::V2008_10_17;
        let mut id = None;
        let mut statement = None;
        let wrong = |e: &str| PolicyError::InvalidElementType { element: e.into(), location: "policy".into() };
        for (key, value) in &top {
            match (key.as_str(), value) {
                ("Version", Json::String(v)) => {
                    version = match v.as_str() {
                        "2012-10-17" => PolicyVersion::V2012_10_17,
                        "2008-10-17" => PolicyVersion::V2008_10_17,
                        _ => return Err(PolicyError::InvalidVersion { version: v.clone() }),
                    }
                }
                ("Version", other) => return Err(PolicyError::InvalidVersion { version: json_text(other) }),
                ("Id", Json::String(s)) => id = Some(s.clone()),
                ("Id", _) => return Err(wrong("Id")),
                ("Statement", v) => statement = Some(v),
                _ => return Err(PolicyError::UnknownElement { element: key.clone(), location: "policy".into() }),
            }
        }
        let raw: Vec<&Json> = match statement {
            Some(Json::Array(items)) if !items.is_empty() => items.iter().collect(),
            Some(obj @ Json::Object(_)) => vec![obj],
            Some(Json::Array(_)) | None => return Err(PolicyError::MissingStatement),
            Some(_) => return Err(wrong("Statement")),
        };
        let mut statements = Vec::with_capacity(raw.len());
        let mut sids = HashSet::new();
        for (i, s) in raw.into_iter().enumerate() {
            let st = parse_statement(s, i, kind, version)?;
            if let Some(sid) = st.sid.as_deref().filter(|s| !s.is_empty())
                && !sids.insert(sid.to_owned())
            {
                return Err(PolicyError::DuplicateSid { sid: sid.into() });
            }
            statements.push(st);
        }
        let keys_read = keys_read(&statements);
        Ok(Policy { name: String::new(), kind, version, id, statements, keys_read })
    }

    /// Sets the name reported in evaluation results (a policy ARN, or an inline policy's name).
    pub fn with_name(mut self, name: impl Into<String>) -> Policy {
        self.name = name.into();
        self
    }

    /// The name set with [`Policy::with_name`] (empty by default).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The kind the policy was parsed as.
    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    /// The policy-language version.
    pub fn version(&self) -> PolicyVersion {
        self.version
    }

    /// The `Id` element, if present.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The compiled statements, in document order.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// A measure of the work one evaluation of this policy can take: one per statement, plus its
    /// action, resource and principal patterns and its condition values. Callers that evaluate
    /// many requests in one call (the policy simulator) bound their work with it.
    pub fn weight(&self) -> usize {
        self.statements
            .iter()
            .map(|st| {
                1 + st.action.patterns.len()
                    + st.resource.as_ref().map_or(0, |r| r.patterns.len())
                    + st.principal.as_ref().map_or(0, |p| p.set.weight())
                    + st.conditions.iter().map(Condition::weight).sum::<usize>()
            })
            .sum()
    }

    /// The length in bytes of the policy's action, resource and condition patterns. Matching a
    /// pattern against a text can take time proportional to both lengths (a `*` followed by a
    /// literal is retried at each position of the text), so callers bounding their work charge
    /// this times the length of what is matched.
    pub fn pattern_bytes(&self) -> usize {
        self.statements
            .iter()
            .map(|st| {
                st.action.patterns.iter().map(Pattern::bytes).sum::<usize>()
                    + st.resource.as_ref().map_or(0, |r| r.patterns.iter().map(Pattern::bytes).sum())
                    + st.conditions.iter().map(Condition::pattern_bytes).sum::<usize>()
            })
            .sum()
    }

    /// Every context key evaluating the policy can read, each once.
    pub(crate) fn keys_read(&self) -> &[KeyName] {
        &self.keys_read
    }
}

/// The context keys `statements` can read: their condition keys and the keys of the policy
/// variables in their actions, resources and condition values. Evaluation looks up no others.
fn keys_read(statements: &[Statement]) -> Vec<KeyName> {
    let mut keys: Vec<KeyName> = Vec::new();
    for st in statements {
        let patterns = st.action.patterns.iter().chain(st.resource.iter().flat_map(|r| r.patterns.iter()));
        let read = patterns.flat_map(Pattern::variables).chain(st.conditions.iter().flat_map(Condition::keys_read));
        for key in read {
            if !keys.contains(key) {
                keys.push(key.clone());
            }
        }
    }
    keys
}

fn json_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Number(n) => n.to_string(),
        Json::Bool(b) => b.to_string(),
        Json::Null => "null".into(),
        Json::Array(_) => "[...]".into(),
        Json::Object(_) => "{...}".into(),
    }
}

#[derive(Default)]
struct RawStatement<'a> {
    sid: Option<&'a Json>,
    effect: Option<&'a Json>,
    principal: Option<&'a Json>,
    not_principal: Option<&'a Json>,
    action: Option<&'a Json>,
    not_action: Option<&'a Json>,
    resource: Option<&'a Json>,
    not_resource: Option<&'a Json>,
    condition: Option<&'a Json>,
}

fn parse_statement(s: &Json, i: usize, kind: PolicyKind, version: PolicyVersion) -> Result<Statement, PolicyError> {
    let location = format!("statement {i}");
    let wrong = |e: &str| PolicyError::InvalidElementType { element: e.into(), location: location.clone() };
    let Json::Object(fields) = s else { return Err(wrong("Statement")) };
    let mut raw = RawStatement::default();
    for (key, value) in fields {
        let slot = match key.as_str() {
            "Sid" => &mut raw.sid,
            "Effect" => &mut raw.effect,
            "Principal" => &mut raw.principal,
            "NotPrincipal" => &mut raw.not_principal,
            "Action" => &mut raw.action,
            "NotAction" => &mut raw.not_action,
            "Resource" => &mut raw.resource,
            "NotResource" => &mut raw.not_resource,
            "Condition" => &mut raw.condition,
            _ => return Err(PolicyError::UnknownElement { element: key.clone(), location }),
        };
        *slot = Some(value);
    }

    let sid = match raw.sid {
        None => None,
        Some(Json::String(s)) => {
            if kind != PolicyKind::Resource && !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(PolicyError::InvalidSid { sid: s.clone() });
            }
            Some(s.clone())
        }
        Some(_) => return Err(wrong("Sid")),
    };
    let effect = match raw.effect {
        None => return Err(PolicyError::MissingEffect { statement: i }),
        Some(Json::String(e)) if e == "Allow" => Effect::Allow,
        Some(Json::String(e)) if e == "Deny" => Effect::Deny,
        Some(other) => return Err(PolicyError::InvalidEffect { statement: i, effect: json_text(other) }),
    };

    let principal = parse_principal(&raw, i, kind, effect)?;
    let action = parse_actions(&raw, i, kind, &location)?;
    let resource = parse_resources(&raw, i, kind, version, &location)?;
    let conditions = match raw.condition {
        None => Vec::new(),
        Some(block) => parse_block(block, version == PolicyVersion::V2012_10_17, &location)?,
    };
    Ok(Statement { sid, effect, principal, action, resource, conditions })
}

fn parse_principal(
    raw: &RawStatement<'_>,
    i: usize,
    kind: PolicyKind,
    effect: Effect,
) -> Result<Option<PrincipalClause>, PolicyError> {
    let clause = match (raw.principal, raw.not_principal) {
        (Some(_), Some(_)) => {
            return Err(PolicyError::ConflictingElements { statement: i, first: "Principal", second: "NotPrincipal" });
        }
        (Some(p), None) => Some(PrincipalClause { negated: false, set: PrincipalSet::parse(p)? }),
        (None, Some(p)) => Some(PrincipalClause { negated: true, set: PrincipalSet::parse(p)? }),
        (None, None) => None,
    };
    if kind.is_identity_like() {
        if let Some(c) = &clause {
            let element = if c.negated { "NotPrincipal" } else { "Principal" };
            return Err(PolicyError::PrincipalNotAllowed { statement: i, element });
        }
        return Ok(None);
    }
    match &clause {
        None => Err(PolicyError::MissingPrincipal { statement: i }),
        Some(c) if c.negated && kind == PolicyKind::Trust => {
            Err(PolicyError::ProhibitedElement { statement: i, element: "NotPrincipal" })
        }
        // AWS "NotPrincipal": "NotPrincipal must be used with "Effect":"Deny". Using it with
        // "Effect":"Allow" is not supported."
        Some(c) if c.negated && effect == Effect::Allow => Err(PolicyError::NotPrincipalWithAllow { statement: i }),
        Some(_) => Ok(clause),
    }
}

/// A JSON string, or a non-empty array of strings.
fn string_list<'a>(v: &'a Json, element: &str, location: &str) -> Result<Vec<&'a str>, PolicyError> {
    let wrong = || PolicyError::InvalidElementType { element: element.into(), location: location.into() };
    match v {
        Json::String(s) => Ok(vec![s.as_str()]),
        Json::Array(items) => {
            items.iter().map(|i| if let Json::String(s) = i { Ok(s.as_str()) } else { Err(wrong()) }).collect()
        }
        _ => Err(wrong()),
    }
}

fn parse_actions(
    raw: &RawStatement<'_>,
    i: usize,
    kind: PolicyKind,
    location: &str,
) -> Result<ActionClause, PolicyError> {
    let (negated, element, value) = match (raw.action, raw.not_action) {
        (Some(_), Some(_)) => {
            return Err(PolicyError::ConflictingElements { statement: i, first: "Action", second: "NotAction" });
        }
        (Some(v), None) => (false, "Action", v),
        (None, Some(v)) => (true, "NotAction", v),
        (None, None) => return Err(PolicyError::MissingAction { statement: i }),
    };
    let list = string_list(value, element, location)?;
    if list.is_empty() {
        return Err(PolicyError::MissingAction { statement: i });
    }
    let mut patterns = Vec::with_capacity(list.len());
    for action in list {
        validate_action(action)?;
        if kind == PolicyKind::Trust && (negated || !action.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("sts:"))) {
            return Err(PolicyError::TrustPolicyAction { action: action.into() });
        }
        patterns.push(Pattern::compile(&action.to_ascii_lowercase(), Syntax { wildcards: true, variables: false }));
    }
    Ok(ActionClause { negated, patterns })
}

/// `*`, or `vendor:action` where the vendor is letters, digits and hyphens (wildcards allowed)
/// and the action is non-empty letters, digits, `_`, `-` and wildcards.
fn validate_action(action: &str) -> Result<(), PolicyError> {
    if action == "*" {
        return Ok(());
    }
    let ok = action.split_once(':').is_some_and(|(vendor, name)| {
        !vendor.is_empty()
            && !name.is_empty()
            && vendor.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'*' | b'?'))
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'*' | b'?' | b'.'))
    });
    if ok { Ok(()) } else { Err(PolicyError::InvalidAction { action: action.into() }) }
}

fn parse_resources(
    raw: &RawStatement<'_>,
    i: usize,
    kind: PolicyKind,
    version: PolicyVersion,
    location: &str,
) -> Result<Option<ResourceClause>, PolicyError> {
    let (negated, element, value) = match (raw.resource, raw.not_resource) {
        (Some(_), Some(_)) => {
            return Err(PolicyError::ConflictingElements { statement: i, first: "Resource", second: "NotResource" });
        }
        (Some(v), None) => (false, "Resource", v),
        (None, Some(v)) => (true, "NotResource", v),
        (None, None) if kind.is_identity_like() => return Err(PolicyError::MissingResource { statement: i }),
        (None, None) => return Ok(None),
    };
    if kind == PolicyKind::Trust {
        return Err(PolicyError::ProhibitedElement { statement: i, element });
    }
    let list = string_list(value, element, location)?;
    if list.is_empty() {
        return Err(PolicyError::MissingResource { statement: i });
    }
    let syntax = Syntax { wildcards: true, variables: version == PolicyVersion::V2012_10_17 };
    let mut patterns = Vec::with_capacity(list.len());
    for r in list {
        validate_resource(r)?;
        patterns.push(Pattern::compile(r, syntax));
    }
    Ok(Some(ResourceClause { negated, patterns }))
}

/// `*`, or a string starting with `arn:` that has all six ARN components (or a wildcard standing
/// for the rest, as in `arn:aws:s3:*`).
fn validate_resource(r: &str) -> Result<(), PolicyError> {
    let ok = r == "*" || (r.starts_with("arn:") && (r.matches(':').count() >= 5 || r.contains('*')));
    if ok { Ok(()) } else { Err(PolicyError::InvalidResource { resource: r.into() }) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weight_counts_statements_patterns_principals_and_condition_values() {
        let doc = r#"{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*",
             "Condition": {"StringEquals": {"aws:username": ["a", "b", "c"]}}},
            {"Effect": "Deny", "NotAction": "iam:*", "NotResource": ["arn:aws:s3:::a", "arn:aws:s3:::b"]}
        ]}"#;
        assert_eq!(Policy::parse(doc).unwrap().weight(), (1 + 2 + 1 + 3) + (1 + 1 + 2));
        // Actions are lower-cased; `*` counts one.
        let bytes = ("s3:getobject".len() + "s3:putobject".len() + 1 + 3) + ("iam:".len() + 1 + 2 * 14);
        assert_eq!(Policy::parse(doc).unwrap().pattern_bytes(), bytes);
        let trust = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"AWS": ["arn:aws:iam::123456789012:root", "arn:aws:iam::111122223333:root"]}}}"#;
        assert_eq!(Policy::parse_as(trust, PolicyKind::Trust).unwrap().weight(), 1 + 1 + 2);
    }
}
