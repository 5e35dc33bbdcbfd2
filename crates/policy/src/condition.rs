//! The `Condition` element: operators, compiled values and their evaluation.
//!
//! Semantics (AWS "IAM JSON policy elements: Condition operators" and "Conditions with multiple
//! context keys or values"):
//! * several operators in a block, and several keys under one operator, are ANDed;
//! * several values for one key are ORed; for a negated operator (`StringNotEquals`, ...) they are
//!   NORed: the request value must match none of them;
//! * a key absent from the request makes the condition false, *except* that a negated operator is
//!   then true ("If the policy condition requires that the key is not matched, such as
//!   StringNotLike or ArnNotLike, and the right key is not present, the condition is true. This
//!   logic applies to all condition operators except ...IfExists and Null check"), an
//!   `...IfExists` operator is true, and `Null` tests presence itself;
//! * `ForAllValues:` is true when every request value matches some policy value (per value, a
//!   negated operator requires matching none), and true for an absent key or an empty data set;
//!   `ForAnyValue:` needs one such request value and is false for an absent key or empty set.
//! * Without a set qualifier a multi-valued key is treated like `ForAnyValue` for positive
//!   operators and as "no request value matches any policy value" for negated ones.

use crate::arn::ArnPattern;
use crate::context::{ConditionContext, ContextValue};
use crate::error::PolicyError;
use crate::json::Json;
use crate::key::KeyName;
use crate::values::{Number, decode_base64, parse_bool, parse_date};
use crate::variables::{Resolve, Syntax};
use crate::wildcard::Pattern;
use ipnet::IpNet;
use std::cmp::Ordering;
use std::net::IpAddr;

/// A comparison for the numeric and date families.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn holds(self, request_vs_policy: Ordering) -> bool {
        match self {
            Cmp::Eq => request_vs_policy == Ordering::Equal,
            Cmp::Lt => request_vs_policy == Ordering::Less,
            Cmp::Le => request_vs_policy != Ordering::Greater,
            Cmp::Gt => request_vs_policy == Ordering::Greater,
            Cmp::Ge => request_vs_policy != Ordering::Less,
        }
    }
}

/// The comparison an operator performs, before negation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    Numeric(Cmp),
    Date(Cmp),
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

impl Family {
    /// Rough evaluation cost, for ordering the conditions of a statement.
    fn cost(self) -> u8 {
        match self {
            Family::Null | Family::Bool => 0,
            Family::Numeric(_) | Family::Date(_) | Family::Ip | Family::Binary => 1,
            Family::StringEquals | Family::StringEqualsIgnoreCase => 2,
            Family::StringLike => 3,
            Family::Arn => 4,
        }
    }
}

/// Base operator names: (name, family, negated).
const OPERATORS: &[(&str, Family, bool)] = &[
    ("StringEquals", Family::StringEquals, false),
    ("StringNotEquals", Family::StringEquals, true),
    ("StringEqualsIgnoreCase", Family::StringEqualsIgnoreCase, false),
    ("StringNotEqualsIgnoreCase", Family::StringEqualsIgnoreCase, true),
    ("StringLike", Family::StringLike, false),
    ("StringNotLike", Family::StringLike, true),
    ("NumericEquals", Family::Numeric(Cmp::Eq), false),
    ("NumericNotEquals", Family::Numeric(Cmp::Eq), true),
    ("NumericLessThan", Family::Numeric(Cmp::Lt), false),
    ("NumericLessThanEquals", Family::Numeric(Cmp::Le), false),
    ("NumericGreaterThan", Family::Numeric(Cmp::Gt), false),
    ("NumericGreaterThanEquals", Family::Numeric(Cmp::Ge), false),
    ("DateEquals", Family::Date(Cmp::Eq), false),
    ("DateNotEquals", Family::Date(Cmp::Eq), true),
    ("DateLessThan", Family::Date(Cmp::Lt), false),
    ("DateLessThanEquals", Family::Date(Cmp::Le), false),
    ("DateGreaterThan", Family::Date(Cmp::Gt), false),
    ("DateGreaterThanEquals", Family::Date(Cmp::Ge), false),
    ("Bool", Family::Bool, false),
    ("BinaryEquals", Family::Binary, false),
    ("IpAddress", Family::Ip, false),
    ("NotIpAddress", Family::Ip, true),
    ("ArnEquals", Family::Arn, false),
    ("ArnLike", Family::Arn, false),
    ("ArnNotEquals", Family::Arn, true),
    ("ArnNotLike", Family::Arn, true),
    ("Null", Family::Null, false),
];

/// A set qualifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Qualifier {
    None,
    ForAllValues,
    ForAnyValue,
}

/// A parsed operator name such as `ForAnyValue:StringLikeIfExists`.
#[derive(Debug, Clone, Copy)]
struct Operator {
    family: Family,
    negated: bool,
    qualifier: Qualifier,
    if_exists: bool,
}

impl Operator {
    fn parse(name: &str) -> Option<Operator> {
        let (qualifier, rest) = if let Some(r) = name.strip_prefix("ForAllValues:") {
            (Qualifier::ForAllValues, r)
        } else if let Some(r) = name.strip_prefix("ForAnyValue:") {
            (Qualifier::ForAnyValue, r)
        } else {
            (Qualifier::None, name)
        };
        let (base, if_exists) = match rest.strip_suffix("IfExists") {
            Some(base) => (base, true),
            None => (rest, false),
        };
        let &(_, family, negated) = OPERATORS.iter().find(|(n, _, _)| *n == base)?;
        if family == Family::Null && (if_exists || qualifier != Qualifier::None) {
            return None;
        }
        Some(Operator { family, negated, qualifier, if_exists })
    }
}

/// The policy-side values of one condition, compiled for its operator family.
#[derive(Debug, Clone)]
enum Values {
    /// String operators: patterns (wildcards only for `StringLike`).
    Text(Vec<Pattern>),
    /// Bool: a literal, or a value holding a policy variable (parsed once resolved).
    Bool(Vec<Result<bool, Pattern>>),
    Number(Vec<Number>),
    Date(Vec<i128>),
    Binary(Vec<Vec<u8>>),
    Ip(Vec<IpNet>),
    Arn(Vec<ArnPattern>),
    Null(Vec<bool>),
}

/// One `"Operator": {"key": values}` entry.
#[derive(Debug, Clone)]
pub(crate) struct Condition {
    op: Operator,
    key: KeyName,
    values: Values,
}

impl Condition {
    /// How many policy-side values evaluating the condition may compare (see [`crate::Policy::weight`]).
    pub(crate) fn weight(&self) -> usize {
        match &self.values {
            Values::Text(v) => v.len(),
            Values::Bool(v) => v.len(),
            Values::Number(v) => v.len(),
            Values::Date(v) => v.len(),
            Values::Binary(v) => v.len(),
            Values::Ip(v) => v.len(),
            Values::Arn(v) => v.len(),
            Values::Null(v) => v.len(),
        }
    }

    /// The length in bytes of the condition's text and ARN patterns.
    pub(crate) fn pattern_bytes(&self) -> usize {
        match &self.values {
            Values::Text(v) => v.iter().map(Pattern::bytes).sum(),
            Values::Bool(v) => v.iter().map(|b| b.as_ref().map_or_else(Pattern::bytes, |_| 0)).sum(),
            Values::Arn(v) => v.iter().map(ArnPattern::bytes).sum(),
            _ => 0,
        }
    }
}

/// Parses a `Condition` element. `variables` is true for `Version` 2012-10-17.
pub(crate) fn parse_block(block: &Json, variables: bool, location: &str) -> Result<Vec<Condition>, PolicyError> {
    let wrong_type = || PolicyError::InvalidElementType { element: "Condition".into(), location: location.into() };
    let Json::Object(ops) = block else { return Err(wrong_type()) };
    let mut out = Vec::new();
    for (op_name, keys) in ops {
        let op = Operator::parse(op_name)
            .ok_or_else(|| PolicyError::UnknownConditionOperator { operator: op_name.clone() })?;
        let Json::Object(keys) = keys else { return Err(wrong_type()) };
        for (key, raw) in keys {
            validate_key(key)?;
            let texts = value_texts(raw).ok_or_else(wrong_type)?;
            let values = compile_values(op, op_name, &texts, variables)?;
            out.push(Condition { op, key: KeyName::new(key), values });
        }
    }
    // Conditions are ANDed and pure, so their order is free: cheap tests first lets a failing
    // statement stop early.
    out.sort_by_key(|c| c.op.family.cost());
    Ok(out)
}

fn validate_key(key: &str) -> Result<(), PolicyError> {
    // Vendors include web-identity providers (`accounts.google.com:aud`,
    // `oidc.eks.us-east-1.amazonaws.com/id/ABC:sub`), so only emptiness and whitespace are refused.
    let ok = key
        .split_once(':')
        .is_some_and(|(vendor, name)| !vendor.is_empty() && !name.is_empty() && !key.chars().any(char::is_whitespace));
    if ok { Ok(()) } else { Err(PolicyError::InvalidConditionKey { key: key.into() }) }
}

/// A condition value is a string, boolean or number, or an array of those.
fn value_texts(raw: &Json) -> Option<Vec<String>> {
    fn one(v: &Json) -> Option<String> {
        match v {
            Json::String(s) => Some(s.clone()),
            Json::Bool(b) => Some(b.to_string()),
            Json::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
    match raw {
        Json::Array(items) => items.iter().map(one).collect(),
        v => one(v).map(|s| vec![s]),
    }
}

fn compile_values(op: Operator, name: &str, texts: &[String], variables: bool) -> Result<Values, PolicyError> {
    let invalid = |v: &str| PolicyError::InvalidConditionValue { operator: name.into(), value: v.into() };
    let each = |f: &dyn Fn(&str) -> Option<()>| texts.iter().try_for_each(|t| f(t).ok_or_else(|| invalid(t)));
    let plain = Syntax { wildcards: false, variables };
    Ok(match op.family {
        Family::StringEquals | Family::StringEqualsIgnoreCase => {
            Values::Text(texts.iter().map(|t| Pattern::compile(t, plain)).collect())
        }
        Family::StringLike => {
            Values::Text(texts.iter().map(|t| Pattern::compile(t, Syntax { wildcards: true, variables })).collect())
        }
        Family::Bool => {
            // A literal must be a boolean; a value holding a variable is checked when resolved.
            each(&|t| (parse_bool(t).is_some() || (variables && t.contains("${"))).then_some(()))?;
            Values::Bool(texts.iter().map(|t| parse_bool(t).ok_or_else(|| Pattern::compile(t, plain))).collect())
        }
        Family::Numeric(_) => {
            Values::Number(texts.iter().map(|t| Number::parse(t).ok_or_else(|| invalid(t))).collect::<Result<_, _>>()?)
        }
        Family::Date(_) => {
            Values::Date(texts.iter().map(|t| parse_date(t).ok_or_else(|| invalid(t))).collect::<Result<_, _>>()?)
        }
        Family::Binary => {
            Values::Binary(texts.iter().map(|t| decode_base64(t).ok_or_else(|| invalid(t))).collect::<Result<_, _>>()?)
        }
        Family::Ip => {
            Values::Ip(texts.iter().map(|t| parse_cidr(t).ok_or_else(|| invalid(t))).collect::<Result<_, _>>()?)
        }
        Family::Arn => Values::Arn(texts.iter().map(|t| ArnPattern::compile(t, variables)).collect()),
        Family::Null => {
            Values::Null(texts.iter().map(|t| parse_bool(t).ok_or_else(|| invalid(t))).collect::<Result<_, _>>()?)
        }
    })
}

/// A CIDR block, or a plain address meaning `/32` (IPv4) or `/128` (IPv6).
pub(crate) fn parse_cidr(text: &str) -> Option<IpNet> {
    if text.contains('/') { text.parse::<IpNet>().ok() } else { text.parse::<IpAddr>().ok().map(IpNet::from) }
}

impl Condition {
    /// Every context key evaluating this condition can read: its key and the keys of the
    /// policy variables in its values.
    pub(crate) fn keys_read(&self) -> Vec<&KeyName> {
        let mut keys = vec![&self.key];
        match &self.values {
            Values::Text(ps) => keys.extend(ps.iter().flat_map(Pattern::variables)),
            Values::Bool(bs) => keys.extend(bs.iter().filter_map(|b| b.as_ref().err()).flat_map(Pattern::variables)),
            Values::Arn(ps) => keys.extend(ps.iter().flat_map(ArnPattern::variables)),
            Values::Number(_) | Values::Date(_) | Values::Binary(_) | Values::Ip(_) | Values::Null(_) => {}
        }
        keys
    }

    /// Whether this condition holds for `ctx`.
    pub(crate) fn evaluate(&self, ctx: &ConditionContext) -> bool {
        let op = self.op;
        if let Values::Null(expect_null) = &self.values {
            let absent = ctx.lookup(&self.key).is_none_or(<[ContextValue]>::is_empty);
            return expect_null.contains(&absent);
        }
        let request = ctx.lookup(&self.key).unwrap_or_default();
        // "ForAllValues ... also returns true if ... the context key value resolves to a null data
        // set, such as an empty string"; ForAnyValue is then false.
        let empty_set = request.is_empty() || (request.len() == 1 && request[0].as_str().is_empty());
        match op.qualifier {
            Qualifier::ForAllValues => empty_set || request.iter().all(|v| self.per_value(v, ctx)),
            Qualifier::ForAnyValue if empty_set => op.if_exists && request.is_empty(),
            Qualifier::ForAnyValue => request.iter().any(|v| self.per_value(v, ctx)),
            Qualifier::None if request.is_empty() => op.if_exists || op.negated,
            Qualifier::None => {
                let any = request.iter().any(|v| self.matches_any(v, ctx));
                any != op.negated
            }
        }
    }

    /// The per-request-value test under a set qualifier.
    fn per_value(&self, v: &ContextValue, ctx: &ConditionContext) -> bool {
        self.matches_any(v, ctx) != self.op.negated
    }

    /// Whether the request value `v` matches any policy value (before negation).
    fn matches_any(&self, v: &ContextValue, vars: &ConditionContext) -> bool {
        let text = v.as_str();
        match (&self.values, self.op.family) {
            (Values::Text(ps), Family::StringEqualsIgnoreCase) => {
                ps.iter().any(|p| p.resolve(vars as &dyn Resolve).is_some_and(|s| eq_ignore_case(&s, text)))
            }
            (Values::Bool(bs), _) => {
                let Some(b) = v.bool() else { return false };
                bs.iter().any(|p| match p {
                    Ok(literal) => *literal == b,
                    Err(p) => p.resolve(vars as &dyn Resolve).and_then(|s| parse_bool(&s)) == Some(b),
                })
            }
            (Values::Text(ps), _) => ps.iter().any(|p| p.matches(text, vars)),
            (Values::Number(ns), Family::Numeric(cmp)) => {
                let Some(x) = v.number() else { return false };
                ns.iter().any(|n| x.compare(*n).is_some_and(|o| cmp.holds(o)))
            }
            (Values::Date(ds), Family::Date(cmp)) => {
                let Some(x) = v.date() else { return false };
                ds.iter().any(|d| cmp.holds(x.cmp(d)))
            }
            (Values::Binary(bs), _) => {
                let decoded = decode_base64(text);
                let bytes = decoded.as_deref().unwrap_or(text.as_bytes());
                bs.iter().any(|b| b == bytes)
            }
            (Values::Ip(nets), _) => v.ip().is_some_and(|ip| nets.iter().any(|n| n.contains(&ip))),
            (Values::Arn(ps), _) => ps.iter().any(|p| p.matches_value(v, vars)),
            _ => false,
        }
    }
}

/// Case-insensitive equality (full Unicode lower-casing, ASCII fast path).
fn eq_ignore_case(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    a.chars().flat_map(char::to_lowercase).eq(b.chars().flat_map(char::to_lowercase))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_names() {
        assert!(Operator::parse("StringEquals").is_some());
        assert!(Operator::parse("ForAnyValue:StringLikeIfExists").is_some());
        assert!(Operator::parse("NullIfExists").is_none());
        assert!(Operator::parse("ForAllValues:Null").is_none());
        assert!(Operator::parse("stringequals").is_none());
        assert!(Operator::parse("StringEqualz").is_none());
        let op = Operator::parse("NumericNotEquals").unwrap();
        assert!(op.negated);
    }

    #[test]
    fn cidrs() {
        assert!(parse_cidr("203.0.113.0/24").is_some());
        assert!(parse_cidr("2001:DB8:1234:5678::/64").is_some());
        assert_eq!(parse_cidr("10.0.0.1").unwrap().prefix_len(), 32);
        assert_eq!(parse_cidr("::1").unwrap().prefix_len(), 128);
        assert!(parse_cidr("10.0.0.0/33").is_none());
        assert!(parse_cidr("nope").is_none());
    }

    #[test]
    fn ignore_case() {
        assert!(eq_ignore_case("ÄBC", "äbc"));
        assert!(eq_ignore_case("Admin", "ADMIN"));
        assert!(!eq_ignore_case("a", "b"));
    }
}
