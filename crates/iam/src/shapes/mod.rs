//! Typed shapes generated from the service models by `scripts/models`.

pub mod iam;
pub mod sts;
