//! IAM and STS: accounts and their access keys, users, groups, roles and policies, the credential
//! provider and authorizer the pipeline consults on every call, and the IAM/STS APIs.

pub mod accounts;
mod api;
pub mod authorizer;
mod authz_message;
pub mod credentials;
mod decide;
pub mod identity;
pub mod managed;
mod mfa;
pub mod model;
mod oidc;
pub mod shapes;
pub mod state;
pub mod sts;
pub mod totp;
pub mod util;
mod web_identity;

pub use accounts::{BootstrapOptions, RootAccount, bootstrap};
pub use api::service as iam_service;
pub use authorizer::IamAuthorizer;
pub use credentials::IamCredentials;
pub use state::Iam;
