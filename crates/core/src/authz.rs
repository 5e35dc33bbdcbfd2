//! The authorization interface between the pipeline and the policy engine.

use crate::principal::Principal;
use std::net::IpAddr;
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

/// Decides authorization. Implemented by IAM; called by the pipeline for every authenticated call
/// before any handler runs.
pub trait Authorizer: Send + Sync + 'static {
    /// The decision for `request`.
    fn authorize(&self, request: &AuthzRequest<'_>) -> Decision;
}
