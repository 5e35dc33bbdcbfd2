//! `rampart-policy`: a pure AWS IAM policy-evaluation engine.
//!
//! Parse policies once ([`Policy::parse`], [`Policy::parse_as`]) into a compiled form (wildcards
//! tokenized, condition values typed, keys lower-cased), then evaluate authorization questions
//! ([`evaluate`]) against them as often as needed. Nothing here performs I/O or reads a clock: the
//! time, the caller's address and every other fact come in the [`ConditionContext`].
//!
//! ```
//! use rampart_policy::{AuthzContext, ConditionContext, Decision, Policy, PolicySet, PrincipalInfo};
//!
//! let policy = Policy::parse(r#"{
//!     "Version": "2012-10-17",
//!     "Statement": [{
//!         "Effect": "Allow",
//!         "Action": "s3:GetObject",
//!         "Resource": "arn:aws:s3:::home/${aws:username}/*"
//!     }]
//! }"#).unwrap();
//! let alice = PrincipalInfo::user("arn:aws:iam::111122223333:user/alice");
//! let ctx = ConditionContext::new().with("aws:username", "alice");
//! let policies = [&policy];
//! let request = AuthzContext {
//!     principal: &alice,
//!     action: "s3:GetObject",
//!     resource: "arn:aws:s3:::home/alice/notes.txt",
//!     context: &ctx,
//!     policies: PolicySet { identity: &policies, ..PolicySet::default() },
//! };
//! assert_eq!(request.evaluate().decision, Decision::Allow);
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod arn;
mod condition;
mod context;
mod error;
mod evaluate;
mod json;
mod key;
pub mod limits;
mod policy;
mod principal;
mod values;
mod variables;
mod wildcard;

pub use context::{ConditionContext, ContextValue, KeysRead, PrincipalInfo, PrincipalKind};
pub use error::PolicyError;
pub use evaluate::{
    AuthzContext, Decision, DenyReason, EvalResult, MatchedStatement, PolicyLayer, PolicySet, ResourcePolicy, evaluate,
};
pub use policy::{Effect, Policy, PolicyKind, PolicyVersion, Statement};

/// Matches `text` against an AWS wildcard pattern (`*` any run, `?` one character), exactly as
/// `Resource` and `StringLike` do (case-sensitive, no policy variables). Compiles the pattern on
/// every call: for repeated use, put the pattern in a policy.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let syntax = variables::Syntax { wildcards: true, variables: false };
    wildcard::Pattern::compile(pattern, syntax).matches(text, &variables::NoVars)
}
