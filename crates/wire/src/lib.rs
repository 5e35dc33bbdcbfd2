//! The AWS wire: SigV4 verification, the protocols (query, JSON 1.1, REST-XML) with their error
//! shapes, and the declarations services use to register operations.

pub mod protocol;
pub mod query;
pub mod redact;
pub mod service;
pub mod sigv4;
pub mod xml;

pub use protocol::{AuthFailure, Protocol};
pub use service::{Access, Call, Input, Operation, Output, Service};
