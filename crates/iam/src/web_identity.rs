//! `AssumeRoleWithWebIdentity`: OIDC tokens exchanged for role credentials.

use crate::state::Iam;
use rampart_wire::Operation;
use std::sync::Arc;

pub(crate) fn operations(_iam: &Arc<Iam>) -> Vec<Operation> {
    Vec::new()
}
