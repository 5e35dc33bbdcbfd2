//! Policy validation errors.
//!
//! Every error has two renderings: `Display` (lower-case, quoting the offending input in
//! backticks, for logs and developers) and [`PolicyError::aws_message`], the text AWS puts in a
//! `MalformedPolicyDocument` error for the same mistake.

use thiserror::Error;

/// Why a policy document was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The document is not valid JSON (or has a duplicate key).
    #[error("invalid json: {message}")]
    Json {
        /// The parser's description of the problem.
        message: String,
    },
    /// The document is valid JSON but not an object.
    #[error("policy document must be a json object")]
    NotAnObject,
    /// `Version` is not one of the two policy-language versions.
    #[error("invalid policy version `{version}`; expected `2012-10-17` or `2008-10-17`")]
    InvalidVersion {
        /// The version as written.
        version: String,
    },
    /// The document has no `Statement`, or an empty one.
    #[error("policy has no statements")]
    MissingStatement,
    /// An element that the policy grammar does not define.
    #[error("unknown element `{element}` in {location}")]
    UnknownElement {
        /// The element name as written.
        element: String,
        /// `policy` or `statement N`.
        location: String,
    },
    /// An element whose JSON type is wrong (for example a number where a string belongs).
    #[error("element `{element}` has the wrong type in {location}")]
    InvalidElementType {
        /// The element name.
        element: String,
        /// `policy` or `statement N`.
        location: String,
    },
    /// A statement without `Effect`.
    #[error("statement {statement} is missing `Effect`")]
    MissingEffect {
        /// Zero-based statement index.
        statement: usize,
    },
    /// `Effect` is neither `Allow` nor `Deny`.
    #[error("statement {statement} has invalid effect `{effect}`; expected `Allow` or `Deny`")]
    InvalidEffect {
        /// Zero-based statement index.
        statement: usize,
        /// The effect as written.
        effect: String,
    },
    /// A statement with neither `Action` nor `NotAction`.
    #[error("statement {statement} is missing `Action` or `NotAction`")]
    MissingAction {
        /// Zero-based statement index.
        statement: usize,
    },
    /// A statement with both elements of an exclusive pair (`Action`/`NotAction`, ...).
    #[error("statement {statement} has both `{first}` and `{second}`")]
    ConflictingElements {
        /// Zero-based statement index.
        statement: usize,
        /// The first element.
        first: &'static str,
        /// The second element.
        second: &'static str,
    },
    /// An identity-type statement with neither `Resource` nor `NotResource`.
    #[error("statement {statement} is missing `Resource` or `NotResource`")]
    MissingResource {
        /// Zero-based statement index.
        statement: usize,
    },
    /// `Principal` or `NotPrincipal` in a policy kind that forbids it.
    #[error("statement {statement} specifies `{element}`, which this kind of policy does not allow")]
    PrincipalNotAllowed {
        /// Zero-based statement index.
        statement: usize,
        /// `Principal` or `NotPrincipal`.
        element: &'static str,
    },
    /// A resource-type statement with neither `Principal` nor `NotPrincipal`.
    #[error("statement {statement} is missing `Principal`")]
    MissingPrincipal {
        /// Zero-based statement index.
        statement: usize,
    },
    /// An element that this kind of policy forbids (`Resource` in a trust policy, ...).
    #[error("statement {statement} has prohibited element `{element}`")]
    ProhibitedElement {
        /// Zero-based statement index.
        statement: usize,
        /// The element name.
        element: &'static str,
    },
    /// `NotPrincipal` with `"Effect": "Allow"`, which AWS does not support.
    #[error("statement {statement} uses `NotPrincipal` with `Allow`; `NotPrincipal` requires `Deny`")]
    NotPrincipalWithAllow {
        /// Zero-based statement index.
        statement: usize,
    },
    /// A principal value that is not a valid principal.
    #[error("invalid principal `{kind}`: `{value}`")]
    InvalidPrincipal {
        /// `AWS`, `Service`, `Federated`, `CanonicalUser`, or the unknown key.
        kind: String,
        /// The value as written.
        value: String,
    },
    /// An action string that is not `service:pattern` or `*`.
    #[error("invalid action `{action}`; expected `service:action` or `*`")]
    InvalidAction {
        /// The action as written.
        action: String,
    },
    /// A trust policy action outside the `sts:AssumeRole*` family.
    #[error("trust policy action `{action}` is not an sts action")]
    TrustPolicyAction {
        /// The action as written.
        action: String,
    },
    /// A resource that is neither an ARN nor `*`.
    #[error("invalid resource `{resource}`; expected an arn or `*`")]
    InvalidResource {
        /// The resource as written.
        resource: String,
    },
    /// A condition operator name that is not defined.
    #[error("unknown condition operator `{operator}`")]
    UnknownConditionOperator {
        /// The operator as written.
        operator: String,
    },
    /// A condition key that is not `vendor:name`.
    #[error("invalid condition key `{key}`; expected `vendor:name`")]
    InvalidConditionKey {
        /// The key as written.
        key: String,
    },
    /// A condition value that the operator cannot use (a bad date, CIDR, number, ...).
    #[error("invalid value `{value}` for condition operator `{operator}`")]
    InvalidConditionValue {
        /// The operator as written.
        operator: String,
        /// The value as written.
        value: String,
    },
    /// Two statements share a `Sid`.
    #[error("duplicate statement id `{sid}`")]
    DuplicateSid {
        /// The duplicated Sid.
        sid: String,
    },
    /// A `Sid` with characters IAM does not allow.
    #[error("invalid statement id `{sid}`; iam allows only letters and digits")]
    InvalidSid {
        /// The Sid as written.
        sid: String,
    },
}

impl PolicyError {
    /// The message AWS returns in its `MalformedPolicyDocument` error for this mistake.
    pub fn aws_message(&self) -> String {
        match self {
            Self::Json { .. }
            | Self::NotAnObject
            | Self::MissingStatement
            | Self::UnknownElement { .. }
            | Self::InvalidElementType { .. }
            | Self::InvalidEffect { .. }
            | Self::ConflictingElements { .. } => "Syntax errors in policy.".into(),
            Self::InvalidVersion { .. } => "The policy must contain a valid version string".into(),
            Self::MissingEffect { .. } => "Missing required field Effect".into(),
            Self::MissingAction { .. } => "Missing required field Action".into(),
            Self::MissingResource { .. } => "Policy statement must contain resources.".into(),
            Self::PrincipalNotAllowed { .. } => "Policy document should not specify a principal.".into(),
            Self::MissingPrincipal { .. } => "Missing required field Principal".into(),
            Self::ProhibitedElement { element, .. } => format!("Has prohibited field {element}"),
            Self::NotPrincipalWithAllow { .. } => "NotPrincipal must be used with Deny".into(),
            Self::InvalidPrincipal { kind, value } => format!("Invalid principal in policy: \"{kind}\":\"{value}\""),
            Self::InvalidAction { .. } | Self::InvalidConditionKey { .. } => {
                "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.".into()
            }
            Self::TrustPolicyAction { .. } => "AssumeRole policy may only specify STS AssumeRole actions.".into(),
            Self::InvalidResource { resource } => format!("Resource {resource} must be in ARN format or \"*\"."),
            Self::UnknownConditionOperator { operator } => format!("Invalid Condition type : {operator}"),
            Self::InvalidConditionValue { operator, value } => {
                format!("Syntax errors in policy. Invalid value {value} for condition {operator}")
            }
            Self::DuplicateSid { .. } => "Statement IDs (SID) in a single policy must be unique.".into(),
            Self::InvalidSid { .. } => {
                "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression \
                 [0-9A-Za-z]*"
                    .into()
            }
        }
    }
}
