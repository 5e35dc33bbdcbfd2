//! Who is calling: the authenticated principal and its CloudTrail `userIdentity` form.

use crate::ids::AccountId;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use std::sync::OnceLock;

/// The kind of principal, as CloudTrail's `userIdentity.type` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    /// The account's root user.
    Root,
    /// An IAM user.
    IamUser,
    /// A session of an assumed role.
    AssumedRole,
    /// A federated user (`GetFederationToken`).
    FederatedUser,
}

impl PrincipalKind {
    /// CloudTrail's name for the kind.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Root => "Root",
            Self::IamUser => "IAMUser",
            Self::AssumedRole => "AssumedRole",
            Self::FederatedUser => "FederatedUser",
        }
    }
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    /// What kind of principal this is.
    pub kind: PrincipalKind,
    /// The account the principal belongs to.
    pub account_id: AccountId,
    /// The principal's ARN as `GetCallerIdentity` reports it.
    pub arn: String,
    /// The unique id as `GetCallerIdentity` reports it (`UserId`).
    pub user_id: String,
    /// The friendly name (user name, role session name), when there is one.
    pub name: Option<String>,
    /// The access key the request was signed with.
    pub access_key_id: String,
    /// Details of temporary credentials, when the key is a session key.
    pub session: Option<SessionContext>,
    /// `user_identity()` serialized once, on first use: a principal is shared by every call
    /// it makes, so its audit identity is built once, not per call.
    user_identity_json: OnceLock<Box<RawValue>>,
}

/// What temporary credentials carry beyond the principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionContext {
    /// Whether the session was created with a valid MFA code.
    pub mfa_authenticated: bool,
    /// When the session's credentials were issued (RFC 3339).
    pub creation_date: String,
    /// The ARN of the role or user that issued the session.
    pub issuer_arn: Option<String>,
}

impl Principal {
    /// The root user of `account_id`, signing with `access_key_id`.
    pub fn root(account_id: AccountId, access_key_id: impl Into<String>) -> Self {
        Self {
            kind: PrincipalKind::Root,
            arn: format!("arn:aws:iam::{account_id}:root"),
            user_id: account_id.to_string(),
            account_id,
            name: None,
            access_key_id: access_key_id.into(),
            session: None,
            user_identity_json: OnceLock::new(),
        }
    }

    /// A principal of any kind.
    pub fn new(
        kind: PrincipalKind,
        account_id: AccountId,
        arn: String,
        user_id: String,
        name: Option<String>,
        access_key_id: String,
        session: Option<SessionContext>,
    ) -> Self {
        Self { kind, account_id, arn, user_id, name, access_key_id, session, user_identity_json: OnceLock::new() }
    }

    /// [`Principal::user_identity`] as serialized JSON, computed once per principal.
    pub fn user_identity_json(&self) -> &RawValue {
        self.user_identity_json.get_or_init(|| {
            serde_json::value::to_raw_value(&self.user_identity()).expect("a JSON value always serializes")
        })
    }

    /// Whether this is the account's root user.
    pub fn is_root(&self) -> bool {
        self.kind == PrincipalKind::Root
    }

    /// CloudTrail's `userIdentity` object for this principal.
    pub fn user_identity(&self) -> Value {
        let mut v = json!({
            "type": self.kind.as_str(),
            "principalId": self.user_id,
            "arn": self.arn,
            "accountId": self.account_id.as_str(),
            "accessKeyId": self.access_key_id,
        });
        if let (PrincipalKind::IamUser, Some(name)) = (self.kind, &self.name) {
            v["userName"] = Value::String(name.clone());
        }
        if let Some(s) = &self.session {
            v["sessionContext"] = json!({
                "attributes": {
                    "creationDate": s.creation_date,
                    "mfaAuthenticated": if s.mfa_authenticated { "true" } else { "false" },
                }
            });
            if let Some(issuer) = &s.issuer_arn {
                v["sessionContext"]["sessionIssuer"] = json!({ "arn": issuer });
            }
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_identity_matches_aws() {
        let p = Principal::root(AccountId::parse("123456789012").unwrap(), "AKIAEXAMPLE");
        assert_eq!(p.arn, "arn:aws:iam::123456789012:root");
        assert_eq!(p.user_id, "123456789012");
        let ui = p.user_identity();
        assert_eq!(ui["type"], "Root");
        assert_eq!(ui["accountId"], "123456789012");
    }
}
