//! OpenID Connect, as `AssumeRoleWithWebIdentity` needs it: issuer URLs as IAM names providers,
//! fetching an issuer's discovery document and signing keys, and verifying its ID tokens.

pub(crate) mod fetch;
pub(crate) mod issuer;
pub(crate) mod keys;
pub(crate) mod token;
