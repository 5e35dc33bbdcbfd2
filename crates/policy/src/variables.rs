//! Policy variables: `${aws:username}`, `${aws:PrincipalTag/team, 'default'}`, and the escapes
//! `${*}`, `${?}`, `${$}`.
//!
//! AWS "IAM policy elements: Variables and tags": variables are substituted only when the policy's
//! `Version` is `2012-10-17`; in older documents `${...}` is literal text. They are allowed in
//! `Resource`/`NotResource` and in the values of the string, ARN and Bool condition operators. A
//! default is written after a comma, in single quotes, and is used when the key is absent. The
//! escapes stand for the literal characters `*`, `?` and `$`, which then do not act as wildcards.

use crate::key::KeyName;

/// One piece of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token {
    /// Literal text (escapes already folded in).
    Lit(Box<str>),
    /// `*`: any run of characters, possibly empty.
    Star,
    /// `?`: exactly one character.
    One,
    /// A policy variable, substituted at evaluation time and matched literally.
    Var(Variable),
}

/// A `${key}` or `${key, 'default'}` reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Variable {
    /// The context key (keys are case-insensitive).
    pub(crate) key: KeyName,
    /// The value used when the key is absent.
    pub(crate) default: Option<Box<str>>,
    /// Position of this variable among its pattern's variables.
    pub(crate) index: usize,
}

/// What a pattern string may contain.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Syntax {
    /// `*` and `?` are wildcards (else literal).
    pub(crate) wildcards: bool,
    /// `${...}` is a policy variable (else literal).
    pub(crate) variables: bool,
}

/// Looks up the value that a policy variable stands for.
pub(crate) trait Resolve {
    /// The single value of the context key `key`, if it has exactly one.
    fn resolve(&self, key: &KeyName) -> Option<&str>;
}

/// Resolves nothing: for patterns known to have no variables.
pub(crate) struct NoVars;

impl Resolve for NoVars {
    fn resolve(&self, _key: &KeyName) -> Option<&str> {
        None
    }
}

/// Splits `text` into tokens according to `syntax`. Consecutive literals are merged and runs of
/// `*` collapse into one.
pub(crate) fn tokenize(text: &str, syntax: Syntax) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut lit = String::new();
    let mut var_count = 0;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if syntax.variables
            && rest.starts_with("${")
            && let Some(close) = rest.find('}')
        {
            let inner = &rest[2..close];
            match variable_or_escape(inner, var_count) {
                Some(Piece::Escape(ch)) => lit.push(ch),
                Some(Piece::Var(v)) => {
                    flush(&mut tokens, &mut lit);
                    var_count += 1;
                    tokens.push(Token::Var(v));
                }
                None => lit.push_str(&rest[..=close]),
            }
            rest = &rest[close + 1..];
            continue;
        }
        match c {
            '*' if syntax.wildcards => {
                flush(&mut tokens, &mut lit);
                if tokens.last() != Some(&Token::Star) {
                    tokens.push(Token::Star);
                }
            }
            '?' if syntax.wildcards => {
                flush(&mut tokens, &mut lit);
                tokens.push(Token::One);
            }
            _ => lit.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    flush(&mut tokens, &mut lit);
    tokens
}

enum Piece {
    Escape(char),
    Var(Variable),
}

fn variable_or_escape(inner: &str, index: usize) -> Option<Piece> {
    match inner {
        "*" => return Some(Piece::Escape('*')),
        "?" => return Some(Piece::Escape('?')),
        "$" => return Some(Piece::Escape('$')),
        _ => {}
    }
    let (key, default) = match inner.split_once(',') {
        Some((key, default)) => {
            let d = default.trim();
            let quoted = d.len() >= 2 && d.starts_with('\'') && d.ends_with('\'');
            if !quoted {
                return None;
            }
            (key.trim(), Some(d[1..d.len() - 1].into()))
        }
        None => (inner.trim(), None),
    };
    if key.is_empty() || key.contains(['$', '{']) {
        return None;
    }
    Some(Piece::Var(Variable { key: KeyName::new(key), default, index }))
}

fn flush(tokens: &mut Vec<Token>, lit: &mut String) {
    if lit.is_empty() {
        return;
    }
    if let Some(Token::Lit(prev)) = tokens.last_mut() {
        let mut joined = String::with_capacity(prev.len() + lit.len());
        joined.push_str(prev);
        joined.push_str(lit);
        *prev = joined.into();
    } else {
        tokens.push(Token::Lit(lit.as_str().into()));
    }
    lit.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOTH: Syntax = Syntax { wildcards: true, variables: true };

    fn lit(s: &str) -> Token {
        Token::Lit(s.into())
    }

    #[test]
    fn escapes_become_literals() {
        assert_eq!(tokenize("a${*}b${?}c${$}", BOTH), vec![lit("a*b?c$")]);
    }

    #[test]
    fn variables_and_defaults() {
        let t = tokenize("home/${aws:UserName}/${aws:PrincipalTag/team, 'none'}*", BOTH);
        assert_eq!(t.len(), 5);
        assert_eq!(t[1], Token::Var(Variable { key: KeyName::new("aws:username"), default: None, index: 0 }));
        assert_eq!(
            t[3],
            Token::Var(Variable { key: KeyName::new("aws:principaltag/team"), default: Some("none".into()), index: 1 })
        );
        assert_eq!(t[4], Token::Star);
    }

    #[test]
    fn without_variables_everything_is_literal_text() {
        let t = tokenize("${aws:username}*", Syntax { wildcards: true, variables: false });
        assert_eq!(t, vec![lit("${aws:username}"), Token::Star]);
    }

    #[test]
    fn unterminated_or_malformed_is_literal() {
        assert_eq!(tokenize("a${b", BOTH), vec![lit("a${b")]);
        assert_eq!(tokenize("${}", BOTH), vec![lit("${}")]);
        assert_eq!(tokenize("${k, noquote}", BOTH), vec![lit("${k, noquote}")]);
    }

    #[test]
    fn stars_collapse() {
        assert_eq!(tokenize("a**b", BOTH), vec![lit("a"), Token::Star, lit("b")]);
    }
}
