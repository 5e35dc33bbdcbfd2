//! Typed shapes generated from the service models by `scripts/models`.

pub mod kms;
