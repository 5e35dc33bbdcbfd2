//! IAM and STS: accounts and their access keys, the credential provider and authorizer the
//! pipeline consults on every call, and the IAM/STS APIs.

pub mod accounts;
pub mod authorizer;
pub mod credentials;
pub mod sts;

pub use accounts::{BootstrapOptions, RootAccount, bootstrap};
pub use authorizer::IamAuthorizer;
pub use credentials::IamCredentials;
