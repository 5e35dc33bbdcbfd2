//! IAM entities as stored: one JSON record per entity in the `iam` table, keyed
//! `{account}/{kind}/{lower-case name}` (IAM names are unique regardless of case).

use rampart_core::ids::AccountId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The table of IAM entities.
pub const IAM: &str = "iam";
/// The table of temporary credentials issued by STS, keyed by access key id.
pub const SESSIONS: &str = "sts_sessions";

/// Index of access keys by owner: `{account}/{lower-case user name or "#root"}/{key id}`.
pub(crate) const KEYS_BY_USER: &str = "access_keys_by_user";

/// The tables that credentials and authorization are decided from. Their change counters tell
/// the caches of opened credentials and identity policies when to reload; STS sessions are not
/// among them, since a session never changes once issued.
pub(crate) const AUTHZ_TABLES: &[&str] =
    &[IAM, crate::accounts::ACCESS_KEYS, KEYS_BY_USER, crate::accounts::META, crate::accounts::ACCOUNTS];

/// A key/value tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// Tag key.
    pub key: String,
    /// Tag value.
    pub value: String,
}

/// The kinds of entity in the `iam` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// IAM users.
    User,
    /// IAM groups.
    Group,
    /// IAM roles.
    Role,
    /// Customer-managed policies.
    Policy,
    /// Instance profiles.
    InstanceProfile,
    /// Virtual MFA devices.
    Mfa,
    /// OpenID Connect providers.
    Oidc,
}

impl Kind {
    fn segment(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Group => "group",
            Self::Role => "role",
            Self::Policy => "policy",
            Self::InstanceProfile => "instance-profile",
            Self::Mfa => "mfa",
            Self::Oidc => "oidc",
        }
    }

    /// The store key of entity `name` of this kind in `account`.
    pub fn key(self, account: &AccountId, name: &str) -> String {
        format!("{account}/{}/{}", self.segment(), name.to_lowercase())
    }

    /// The key prefix of all entities of this kind in `account`.
    pub fn prefix(self, account: &AccountId) -> String {
        format!("{account}/{}/", self.segment())
    }
}

/// Inline policies by name, and attached managed policy ARNs: what users, groups and roles share.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Permissions {
    /// Inline policy documents by name.
    pub inline: BTreeMap<String, String>,
    /// ARNs of attached managed policies, in attachment order.
    pub attached: Vec<String>,
}

/// An IAM user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserRecord {
    /// Name as created (case preserved).
    pub name: String,
    /// `AIDA...` unique id.
    pub user_id: String,
    /// Path, `/` by default.
    pub path: String,
    /// ARN.
    pub arn: String,
    /// Creation time (RFC 3339).
    pub create_date: String,
    /// Tags.
    pub tags: Vec<Tag>,
    /// Permissions boundary (managed policy ARN).
    pub boundary: Option<String>,
    /// Inline and attached policies.
    pub permissions: Permissions,
    /// Names of the groups the user belongs to.
    pub groups: Vec<String>,
}

/// An IAM group.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupRecord {
    /// Name as created.
    pub name: String,
    /// `AGPA...` unique id.
    pub group_id: String,
    /// Path.
    pub path: String,
    /// ARN.
    pub arn: String,
    /// Creation time.
    pub create_date: String,
    /// Inline and attached policies.
    pub permissions: Permissions,
    /// Names of member users.
    pub members: Vec<String>,
}

/// An IAM role.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoleRecord {
    /// Name as created.
    pub name: String,
    /// `AROA...` unique id.
    pub role_id: String,
    /// Path.
    pub path: String,
    /// ARN.
    pub arn: String,
    /// Creation time.
    pub create_date: String,
    /// The trust policy (who may assume the role).
    pub trust_policy: String,
    /// Description.
    pub description: Option<String>,
    /// Longest session, in seconds (3600 to 43200).
    pub max_session_duration: u32,
    /// Tags.
    pub tags: Vec<Tag>,
    /// Permissions boundary.
    pub boundary: Option<String>,
    /// Inline and attached policies.
    pub permissions: Permissions,
    /// Bumped whenever the trust policy changes (for the parsed-policy cache).
    #[serde(default)]
    pub trust_version: u64,
}

/// One version of a managed policy.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicyVersionRecord {
    /// `v1`, `v2`, ...
    pub version_id: String,
    /// The document.
    pub document: String,
    /// Creation time.
    pub create_date: String,
}

/// A customer-managed policy.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManagedPolicyRecord {
    /// Name.
    pub name: String,
    /// `ANPA...` unique id.
    pub policy_id: String,
    /// Path.
    pub path: String,
    /// ARN.
    pub arn: String,
    /// Description.
    pub description: Option<String>,
    /// Creation time.
    pub create_date: String,
    /// Last change.
    pub update_date: String,
    /// The default version's id.
    pub default_version: String,
    /// Every version (at most 5).
    pub versions: Vec<PolicyVersionRecord>,
    /// Number the next version gets.
    pub next_version: u32,
    /// Entities the policy is attached to, as (kind, name) with kind `user`/`group`/`role`,
    /// and whether each uses it as a permissions boundary.
    pub attachments: Vec<Attachment>,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// Where a managed policy is used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// `user`, `group` or `role`.
    pub kind: String,
    /// The entity's name.
    pub name: String,
    /// Whether it is used as a permissions boundary rather than attached.
    pub boundary: bool,
}

impl ManagedPolicyRecord {
    /// The default version's document.
    pub fn default_document(&self) -> &str {
        self.versions.iter().find(|v| v.version_id == self.default_version).map_or("", |v| v.document.as_str())
    }
}

/// An instance profile.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstanceProfileRecord {
    /// Name.
    pub name: String,
    /// `AIPA...` unique id.
    pub id: String,
    /// Path.
    pub path: String,
    /// ARN.
    pub arn: String,
    /// Creation time.
    pub create_date: String,
    /// Role names (at most one, as in AWS).
    pub roles: Vec<String>,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// A virtual MFA device.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MfaDeviceRecord {
    /// The device's ARN, which is its serial number.
    pub serial: String,
    /// The name given at creation.
    pub name: String,
    /// Path.
    pub path: String,
    /// The TOTP seed, sealed by the keystore (base64).
    pub sealed_seed: String,
    /// The user it is enabled for, once enabled.
    pub user: Option<String>,
    /// When it was enabled.
    pub enable_date: Option<String>,
    /// The last TOTP time step accepted: a code is never accepted twice.
    pub last_step: u64,
    /// How many 30-second steps the device's clock is ahead of Rampart's (negative: behind), as
    /// measured by `ResyncMFADevice`; codes are checked around now plus this drift.
    #[serde(default)]
    pub drift_steps: i64,
    /// Creation time.
    pub create_date: String,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// An OpenID Connect identity provider.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OidcProviderRecord {
    /// ARN: `arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH`.
    pub arn: String,
    /// Issuer URL (`https://...`).
    pub url: String,
    /// Accepted audiences.
    pub client_ids: Vec<String>,
    /// Server certificate thumbprints.
    pub thumbprints: Vec<String>,
    /// Creation time.
    pub create_date: String,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// What kind of temporary credentials a session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionKind {
    /// `AssumeRole` / `AssumeRoleWithWebIdentity`: the principal is the role session.
    AssumedRole,
    /// `GetSessionToken`: the principal is the IAM user (or root) itself.
    UserSession,
}

/// Temporary credentials issued by STS.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionRecord {
    /// `ASIA...` access key id.
    pub access_key_id: String,
    /// The secret, sealed by the keystore for this key id (base64).
    pub sealed_secret: String,
    /// SHA-256 (hex) of the session token; the token itself is never stored.
    pub token_sha256: String,
    /// What kind of session.
    pub kind: SessionKind,
    /// The account.
    pub account_id: AccountId,
    /// The principal's ARN (assumed-role session ARN, or the user's ARN).
    pub arn: String,
    /// `GetCallerIdentity`'s `UserId` (`AROA...:session` or the user's id).
    pub user_id: String,
    /// For role sessions: the role's ARN (with path) and name; for user sessions: the user name
    /// (`None` for the root user).
    pub role_arn: Option<String>,
    /// The role name, or the user name.
    pub subject_name: Option<String>,
    /// Role session name.
    pub session_name: Option<String>,
    /// Issue time (RFC 3339).
    pub creation: String,
    /// Expiry, unix seconds.
    pub expires_unix: i64,
    /// Whether MFA was checked when the session was created, and when (unix seconds).
    pub mfa_unix: Option<i64>,
    /// `SourceIdentity`.
    pub source_identity: Option<String>,
    /// Session tags (become `aws:PrincipalTag/*`).
    pub tags: Vec<Tag>,
    /// Keys of session tags that pass on to role chaining.
    pub transitive_tag_keys: Vec<String>,
    /// Session policy documents (inline and the default versions of managed ones at issue time).
    pub session_policies: Vec<String>,
    /// For web identity: the provider ARN and the token's claims used as condition keys.
    pub web_identity: Option<WebIdentityClaims>,
}

/// Claims of a web identity token that become condition keys (`host/path:sub`, `:aud`, ...).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WebIdentityClaims {
    /// Provider ARN.
    pub provider_arn: String,
    /// Provider URL without scheme (`host/path`), the prefix of its condition keys.
    pub provider: String,
    /// `sub`.
    pub sub: String,
    /// `aud`.
    pub aud: String,
}
