//! Shared vocabulary of Rampart: AWS errors, identifiers and ARNs, principals, the request
//! context, audit records, and the narrow interfaces (credentials, authorization, audit) through
//! which the request pipeline and the services meet without knowing each other's internals.

pub mod audit;
pub mod authz;
pub mod clock;
pub mod credentials;
pub mod error;
pub mod ids;
pub mod principal;

pub use error::{AwsError, Fault};
pub use principal::{Principal, PrincipalKind};
