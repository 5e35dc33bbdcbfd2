//! Component-wise ARN matching for the `Arn*` condition operators.
//!
//! AWS "Condition operators", ARN section: "Each of the six colon-delimited components of the ARN
//! is checked separately and each can include multi-character match wildcards (*) or
//! single-character match wildcards (?)", so `*` does not cross a `:` before the resource part.
//! The sixth component (the resource) keeps any further colons.

use crate::context::ContextValue;
use crate::key::KeyName;
use crate::variables::{Resolve, Syntax, Token, tokenize};
use crate::wildcard::Pattern;

/// Six component patterns. The leading components that are plain literals are also kept joined
/// as one prefix (`arn:aws:iam::111122223333:`), compared in a single step: a text that starts
/// with it has exactly those first components.
#[derive(Debug, Clone)]
pub(crate) struct ArnParts {
    parts: [Pattern; 6],
    literal: usize,
    prefix: Box<str>,
}

/// A compiled ARN pattern.
#[derive(Debug, Clone)]
pub(crate) enum ArnPattern {
    /// Six component patterns.
    Parts(Box<ArnParts>),
    /// A value with fewer than six components (such as `*`): matched as a whole string.
    Whole(Pattern),
}

impl ArnPattern {
    /// The pattern's length in bytes (see [`Pattern::bytes`]).
    pub(crate) fn bytes(&self) -> usize {
        match self {
            ArnPattern::Parts(p) => p.parts.iter().map(Pattern::bytes).sum::<usize>() + 5,
            ArnPattern::Whole(p) => p.bytes(),
        }
    }

    /// Compiles `text`. Colons inside `${...}` variables do not split components.
    pub(crate) fn compile(text: &str, variables: bool) -> ArnPattern {
        let tokens = tokenize(text, Syntax { wildcards: true, variables });
        let mut parts: Vec<Vec<Token>> = vec![Vec::new()];
        for token in tokens {
            match token {
                Token::Lit(s) if parts.len() < 6 && s.contains(':') => {
                    let mut pieces = s.split(':').peekable();
                    while let Some(piece) = pieces.next() {
                        if !piece.is_empty() {
                            parts.last_mut().expect("non-empty").push(Token::Lit(piece.into()));
                        }
                        if pieces.peek().is_some() {
                            if parts.len() < 6 {
                                parts.push(Vec::new());
                            } else {
                                parts.last_mut().expect("non-empty").push(Token::Lit(":".into()));
                            }
                        }
                    }
                }
                other => parts.last_mut().expect("non-empty").push(other),
            }
        }
        if parts.len() < 6 {
            return ArnPattern::Whole(Pattern::compile(text, Syntax { wildcards: true, variables }));
        }
        let mut compiled = parts.into_iter().map(|p| Pattern::from_tokens(merge_literals(p)));
        let parts: [Pattern; 6] = std::array::from_fn(|_| compiled.next().expect("six parts"));
        let literals: Vec<&str> = parts.iter().map_while(Pattern::literal).collect();
        let literal = literals.len();
        let mut prefix = literals.join(":");
        if literal < 6 {
            prefix.push(':');
        }
        ArnPattern::Parts(Box::new(ArnParts { parts, literal, prefix: prefix.into() }))
    }

    /// The context keys of the pattern's policy variables.
    pub(crate) fn variables(&self) -> Box<dyn Iterator<Item = &KeyName> + '_> {
        match self {
            ArnPattern::Whole(p) => Box::new(p.variables()),
            ArnPattern::Parts(arn) => Box::new(arn.parts.iter().flat_map(Pattern::variables)),
        }
    }

    /// Whether the ARN `text` matches.
    #[cfg(test)]
    pub(crate) fn matches(&self, text: &str, vars: &dyn Resolve) -> bool {
        self.matches_value(&ContextValue::new(text), vars)
    }

    /// Whether the context value `v` (an ARN) matches; its components are split once per value.
    pub(crate) fn matches_value(&self, v: &ContextValue, vars: &dyn Resolve) -> bool {
        match self {
            ArnPattern::Whole(p) => p.matches(v.as_str(), vars),
            ArnPattern::Parts(arn) => {
                let text = v.as_str();
                if arn.literal == 6 {
                    return text == &*arn.prefix;
                }
                if arn.literal > 0 && !text.starts_with(&*arn.prefix) {
                    return false;
                }
                let Some(components) = v.arn_components() else { return false };
                arn.parts[arn.literal..].iter().zip(&components[arn.literal..]).all(|(p, c)| p.matches(c, vars))
            }
        }
    }
}

fn merge_literals(tokens: Vec<Token>) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    for t in tokens {
        match (out.last_mut(), t) {
            (Some(Token::Lit(prev)), Token::Lit(s)) => *prev = format!("{prev}{s}").into(),
            (_, t) => out.push(t),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::variables::NoVars;

    fn m(p: &str, t: &str) -> bool {
        ArnPattern::compile(p, true).matches(t, &NoVars)
    }

    #[test]
    fn component_wise() {
        // The example from the AWS docs: StringLike would match, ArnLike must not.
        let p = "arn:aws:someservice:*:111122223333:finance/*";
        assert!(!m(p, "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"));
        assert!(m(p, "arn:aws:someservice:us-east-2:111122223333:finance/document.txt"));
        assert!(m("arn:aws:logs:*:*:log-group:my-*", "arn:aws:logs:us-east-1:111122223333:log-group:my-group"));
        assert!(!m("arn:aws:s3:::b", "arn:aws:s3:::b:extra:x"));
        assert!(m("arn:aws:s3:::b*", "arn:aws:s3:::b:extra:x"));
        assert!(!m("arn:aws:s3:::b", "not-an-arn"));
    }

    #[test]
    fn literal_prefix_is_component_exact() {
        assert!(m("arn:aws:iam::111122223333:user/*", "arn:aws:iam::111122223333:user/a"));
        assert!(!m("arn:aws:iam::111122223333:user/*", "arn:aws:iam::1111222233334:user/a"));
        assert!(!m("arn:aws:iam::111122223333:user/*", "arn:aws:iam::111122223333"));
        assert!(m("arn:aws:logs:us-east-1:1:log-group:a", "arn:aws:logs:us-east-1:1:log-group:a"));
        assert!(!m("arn:aws:logs:us-east-1:1:log-group:a", "arn:aws:logs:us-east-1:1:log-group:ab"));
        // An unresolved variable matches nothing, not even its own text.
        assert!(!m("arn:aws:s3:::b/${aws:username}", "arn:aws:s3:::b/${aws:username}"));
    }

    #[test]
    fn whole_string_fallback() {
        assert!(m("*", "arn:aws:iam::1:user/x"));
        assert!(m("arn:aws:iam::*", "arn:aws:iam::1:user/x"));
    }
}
