//! Virtual MFA devices.

use crate::state::Iam;
use rampart_wire::Operation;
use std::sync::Arc;

pub(super) fn operations(_iam: &Arc<Iam>) -> Vec<Operation> {
    Vec::new()
}
