//! The authorization interface between the pipeline and the policy engine.

use crate::ids::AccountId;
use crate::principal::Principal;
use std::any::Any;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use time::OffsetDateTime;

/// Facts about the request that are not the principal's: where and how it arrived.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The request id given to the client.
    pub request_id: String,
    /// The client's IP address (`aws:SourceIp`).
    pub source_ip: IpAddr,
    /// The `User-Agent` header (`aws:UserAgent`).
    pub user_agent: String,
    /// Whether the request arrived over TLS (`aws:SecureTransport`).
    pub secure_transport: bool,
    /// The region the request was signed for (`aws:RequestedRegion`).
    pub region: String,
    /// When Rampart received the request (`aws:CurrentTime`).
    pub received_at: OffsetDateTime,
}

/// A resource-based policy supplied by the service that owns the resource (a KMS key policy,
/// an S3 bucket policy, a role's trust policy).
#[derive(Debug, Clone)]
pub struct ResourcePolicyRef {
    /// Identifies this exact document for caching its parsed form: the resource ARN plus
    /// something that changes whenever the document does (a version counter or a hash).
    pub cache_key: String,
    /// The account that owns the resource.
    pub owner_account: AccountId,
    /// The policy document (JSON).
    pub document: Arc<str>,
    /// Whether this policy must grant access even to principals of the owning account (true
    /// for KMS key policies and role trust policies; false for S3 bucket policies).
    pub grant_required: bool,
}

/// What an operation acts on, computed from its input before authorization.
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// The resource ARNs (`*` when the operation has none). Every one must be allowed.
    pub resources: Vec<String>,
    /// The resource's own policy, when it has one.
    pub resource_policy: Option<ResourcePolicyRef>,
    /// Service-specific condition keys (`kms:EncryptionContext:...`, `s3:prefix`, ...).
    pub condition_keys: Vec<(String, Vec<String>)>,
    /// A grant of the owning service allows this call (KMS grants): it is allowed unless a
    /// policy explicitly denies it.
    pub granted: bool,
    /// Further actions on other resources the same call needs, each decided on its own, every
    /// one required (KMS `ReEncrypt` needs `kms:ReEncryptTo` on the destination key, under that
    /// key's policy; `UpdateAlias` needs the permission on the alias's current key too).
    pub also: Vec<(&'static str, Target)>,
    /// What the service looked up to compute this target (a decoded KMS key), handed by the
    /// pipeline to the handler: the handler then acts on exactly what was authorized, without
    /// looking it up a second time.
    pub resolved: Resolved,
}

/// A value a service's target function resolved for one call, passed through the pipeline to
/// the same service's handler. Opaque to everything in between.
#[derive(Clone, Default)]
pub struct Resolved(Option<Arc<dyn Any + Send + Sync>>);

impl Resolved {
    /// Wraps `value`.
    pub fn new<T: Any + Send + Sync>(value: T) -> Self {
        Self(Some(Arc::new(value)))
    }

    /// The value, when there is one and it is a `T`.
    pub fn get<T: Any>(&self) -> Option<&T> {
        self.0.as_deref().and_then(|v| v.downcast_ref())
    }
}

impl fmt::Debug for Resolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() { "Resolved(..)" } else { "Resolved(None)" })
    }
}

/// One authorization question: may `principal` perform `action` on `resources`?
#[derive(Debug)]
pub struct AuthzRequest<'a> {
    /// The authenticated caller.
    pub principal: &'a Principal,
    /// The IAM action, `service:Operation`.
    pub action: &'a str,
    /// The resource ARNs the operation touches (`*` when it has none).
    pub resources: &'a [String],
    /// How the request arrived.
    pub context: &'a RequestContext,
    /// Service-specific condition keys declared by the operation.
    pub condition_keys: &'a [(String, Vec<String>)],
    /// The resource's own policy, when it has one.
    pub resource_policy: Option<&'a ResourcePolicyRef>,
    /// A service grant allows the call unless a policy explicitly denies it.
    pub granted: bool,
}

/// The outcome of policy evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// An applicable policy allows the request and none denies it.
    Allow,
    /// A statement explicitly denies the request.
    ExplicitDeny,
    /// Nothing allows the request.
    ImplicitDeny,
}

impl Decision {
    /// Whether the request may proceed.
    pub fn is_allowed(self) -> bool {
        self == Self::Allow
    }
}

/// A refused call: the decision and AWS's message explaining it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// Why: explicit or implicit deny.
    pub decision: Decision,
    /// The `AccessDenied` message, in AWS's words ("User: ... is not authorized to perform: ...").
    pub message: String,
}

/// Decides authorization. Implemented by IAM; called by the pipeline for every authenticated call
/// before any handler runs.
pub trait Authorizer: Send + Sync + 'static {
    /// `Ok` when `request` is allowed.
    fn authorize(&self, request: &AuthzRequest<'_>) -> Result<(), Denial>;
}
