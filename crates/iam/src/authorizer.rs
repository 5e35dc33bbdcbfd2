//! The authorizer the pipeline consults for every call.

use rampart_core::authz::{Authorizer, AuthzRequest, Decision, Denial};

/// Decides calls by AWS's rules.
///
/// The root user of an account is allowed everything in its own account. Every other principal
/// is decided by the IAM policy engine; until IAM users and roles exist, any other principal is
/// denied (fail closed).
#[derive(Debug, Default)]
pub struct IamAuthorizer;

impl Authorizer for IamAuthorizer {
    fn authorize(&self, request: &AuthzRequest<'_>) -> Result<(), Denial> {
        if request.principal.is_root() {
            return Ok(());
        }
        Err(Denial {
            decision: Decision::ImplicitDeny,
            message: format!(
                "User: {} is not authorized to perform: {} on resource: {} because no identity-based policy allows the {} action",
                request.principal.arn,
                request.action,
                request.resources.first().map_or("*", String::as_str),
                request.action
            ),
        })
    }
}
