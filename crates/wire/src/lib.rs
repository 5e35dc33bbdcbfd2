//! The AWS wire: SigV4 verification, the protocols with their error shapes, the model-driven
//! layer that parses, checks and answers requests from a service's published model, and the
//! declarations services use to register operations.

pub mod model;
pub mod protocol;
pub mod query;
pub mod redact;
pub mod service;
pub mod sigv4;
pub mod xml;

pub use protocol::{AuthFailure, Protocol};
pub use service::{Access, Call, Input, Operation, Output, Service};
