//! Compiled wildcard patterns.
//!
//! A pattern is tokenized once when the policy is parsed; matching walks the tokens with the
//! classic single-backtrack glob algorithm, so it is linear in practice and never allocates unless
//! the pattern holds policy variables. `*` matches any run of characters (including `:` and `/`,
//! as in AWS `Resource` matching) and `?` exactly one character. Matching is case-sensitive;
//! callers that need case-insensitive matching (actions) lower-case both sides first.

use crate::key::KeyName;
use crate::variables::{Resolve, Syntax, Token, tokenize};
use std::borrow::Cow;

/// A compiled pattern, with a fast path for the common shapes.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    tokens: Vec<Token>,
    shape: Shape,
    vars: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// `*`
    Any,
    /// A literal with no wildcard and no variable.
    Exact,
    /// `literal*`
    Prefix,
    /// Anything else.
    General,
}

impl Pattern {
    /// The pattern's length: its literal text in bytes, and one for each wildcard or variable.
    pub(crate) fn bytes(&self) -> usize {
        self.tokens.iter().map(|t| if let Token::Lit(s) = t { s.len() } else { 1 }).sum()
    }

    /// Compiles `text` with the given syntax.
    pub(crate) fn compile(text: &str, syntax: Syntax) -> Pattern {
        Pattern::from_tokens(tokenize(text, syntax))
    }

    /// Builds a pattern from tokens, renumbering its variables.
    pub(crate) fn from_tokens(mut tokens: Vec<Token>) -> Pattern {
        let mut vars = 0;
        for t in &mut tokens {
            if let Token::Var(v) = t {
                v.index = vars;
                vars += 1;
            }
        }
        let shape = match tokens.as_slice() {
            [Token::Star] => Shape::Any,
            [] | [Token::Lit(_)] => Shape::Exact,
            [Token::Lit(_), Token::Star] => Shape::Prefix,
            _ => Shape::General,
        };
        Pattern { tokens, shape, vars }
    }

    /// The context keys of the pattern's policy variables.
    pub(crate) fn variables(&self) -> impl Iterator<Item = &KeyName> {
        self.tokens.iter().filter_map(|t| match t {
            Token::Var(v) => Some(&v.key),
            _ => None,
        })
    }

    /// The text of a pattern without wildcards or variables.
    pub(crate) fn literal(&self) -> Option<&str> {
        (self.shape == Shape::Exact).then(|| self.first_lit())
    }

    /// Whether `text` matches. A variable that cannot be resolved (absent key, no default) makes
    /// the pattern match nothing.
    pub(crate) fn matches(&self, text: &str, vars: &dyn Resolve) -> bool {
        match self.shape {
            Shape::Any => true,
            Shape::Exact => text == self.first_lit(),
            Shape::Prefix => text.starts_with(self.first_lit()),
            Shape::General if self.vars == 0 => glob(&self.tokens, &[], text),
            Shape::General if self.vars <= 4 => {
                let mut buf = [""; 4];
                self.resolve_into(&mut buf[..self.vars], vars) && glob(&self.tokens, &buf[..self.vars], text)
            }
            Shape::General => {
                let mut buf = vec![""; self.vars];
                self.resolve_into(&mut buf, vars) && glob(&self.tokens, &buf, text)
            }
        }
    }

    /// The text the pattern stands for once its variables are substituted, for patterns compiled
    /// without wildcards. `None` when a variable cannot be resolved.
    pub(crate) fn resolve<'a>(&'a self, vars: &'a dyn Resolve) -> Option<Cow<'a, str>> {
        match self.tokens.as_slice() {
            [] => Some(Cow::Borrowed("")),
            [Token::Lit(s)] => Some(Cow::Borrowed(s)),
            tokens => {
                let mut out = String::new();
                for t in tokens {
                    match t {
                        Token::Lit(s) => out.push_str(s),
                        Token::Star => out.push('*'),
                        Token::One => out.push('?'),
                        Token::Var(v) => out.push_str(lookup(v, vars)?),
                    }
                }
                Some(Cow::Owned(out))
            }
        }
    }

    fn first_lit(&self) -> &str {
        match self.tokens.first() {
            Some(Token::Lit(s)) => s,
            _ => "",
        }
    }

    fn resolve_into<'a>(&'a self, buf: &mut [&'a str], vars: &'a dyn Resolve) -> bool {
        for t in &self.tokens {
            if let Token::Var(v) = t {
                match lookup(v, vars) {
                    Some(s) => buf[v.index] = s,
                    None => return false,
                }
            }
        }
        true
    }
}

fn lookup<'a>(v: &'a crate::variables::Variable, vars: &'a dyn Resolve) -> Option<&'a str> {
    vars.resolve(&v.key).or(v.default.as_deref())
}

/// Byte length of the UTF-8 character that starts with `b`.
fn char_len(b: u8) -> usize {
    match b {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

/// Single-backtrack glob: on a mismatch, retry from the most recent `*` further on. Only the
/// last star ever needs revisiting, which keeps this O(pattern × text) in the worst case. When the
/// token after a star is literal text, the retry jumps straight to its next occurrence (and gives
/// up when there is none).
fn glob<'a>(tokens: &'a [Token], vars: &[&'a str], text: &str) -> bool {
    let t = text.as_bytes();
    let literal = |tok: &'a Token| -> Option<&'a [u8]> {
        match tok {
            Token::Lit(s) => Some(s.as_bytes()),
            Token::Var(v) => Some(vars[v.index].as_bytes()),
            _ => None,
        }
    };
    let (mut ti, mut pos) = (0usize, 0usize);
    let mut backtrack: Option<(usize, usize)> = None;
    loop {
        if let Some(tok) = tokens.get(ti) {
            if *tok == Token::Star {
                if ti + 1 == tokens.len() {
                    return true;
                }
                match seek(t, pos, tokens.get(ti + 1).and_then(literal)) {
                    Some(at) => pos = at,
                    None => return false,
                }
                backtrack = Some((ti + 1, pos));
                ti += 1;
                continue;
            }
            let step = match literal(tok) {
                Some(s) => t[pos..].starts_with(s).then_some(s.len()),
                None => (pos < t.len()).then(|| char_len(t[pos])),
            };
            if let Some(n) = step {
                pos += n;
                ti += 1;
                continue;
            }
        } else if pos == t.len() {
            return true;
        }
        let Some((resume, start)) = backtrack else { return false };
        if start >= t.len() {
            return false;
        }
        match seek(t, start + char_len(t[start]), tokens.get(resume).and_then(literal)) {
            Some(next) => {
                backtrack = Some((resume, next));
                ti = resume;
                pos = next;
            }
            None => return false,
        }
    }
}

/// The first position at or after `from` where `lit` occurs (`from` itself when there is no
/// literal to look for). Positions found this way start with `lit`'s first byte, so they are
/// character boundaries.
fn seek(t: &[u8], from: usize, lit: Option<&[u8]>) -> Option<usize> {
    let Some(lit) = lit.filter(|l| !l.is_empty()) else { return (from <= t.len()).then_some(from) };
    let first = lit[0];
    let mut at = from;
    while at + lit.len() <= t.len() {
        let offset = t[at..=t.len() - lit.len()].iter().position(|&b| b == first)?;
        at += offset;
        if t[at..].starts_with(lit) {
            return Some(at);
        }
        at += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::variables::NoVars;

    const GLOB: Syntax = Syntax { wildcards: true, variables: false };

    fn m(p: &str, t: &str) -> bool {
        Pattern::compile(p, GLOB).matches(t, &NoVars)
    }

    #[test]
    fn shapes() {
        assert!(m("*", ""));
        assert!(m("abc", "abc"));
        assert!(!m("abc", "abcd"));
        assert!(m("ab*", "abcd"));
        assert!(!m("ab*", "a"));
        assert!(m("", ""));
        assert!(!m("", "a"));
    }

    #[test]
    fn general() {
        assert!(m("a*c", "abbbc"));
        assert!(m("a*c", "ac"));
        assert!(!m("a*c", "acb"));
        assert!(m("*b*", "abc"));
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "ac"));
        assert!(m("a*b*c", "aXbYbZc"));
        assert!(m("*log*", "arn:aws:s3:::my-logs"));
        assert!(m("arn:aws:s3:::*", "arn:aws:s3:::bucket/key/with:colon"));
        assert!(m("??", "éß"));
        assert!(!m("???", "éß"));
        assert!(m("*ß", "aéß"));
    }

    #[test]
    fn resolve_non_wildcard() {
        let p = Pattern::compile("a*b", Syntax { wildcards: false, variables: true });
        assert_eq!(p.resolve(&NoVars).unwrap(), "a*b");
        assert!(p.matches("a*b", &NoVars));
        assert!(!p.matches("axb", &NoVars));
    }
}
