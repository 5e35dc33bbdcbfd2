//! What KMS keeps in the store: keys, aliases, grants, custom key stores, import parameters.
//!
//! Everything lives in one table, [`TABLE`], under these keys:
//!
//! | key | value |
//! |---|---|
//! | `key/<key id>` | [`KeyRecord`] |
//! | `acct/<account>/<key id>` | empty: the account's keys, for `ListKeys` |
//! | `alias/<account>/<alias name>` | [`AliasRecord`] |
//! | `grant/<key id>/<grant id>` | [`GrantRecord`] |
//! | `retiring/<principal>/<grant id>` | the grant's key id, for `ListRetirableGrants` |
//! | `cks/<id>` | [`CustomKeyStoreRecord`] |
//! | `import/<key id>` | [`ImportParams`] |
//!
//! Key material is never stored in plaintext: software keys as material sealed under the key's
//! own destroyable key-encryption key, HSM keys only as the name of an object in the token.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The store table of KMS.
pub const TABLE: &str = "kms";

/// A key's lifecycle state (`KeyState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyState {
    /// Usable.
    Enabled,
    /// Disabled by `DisableKey` (or after `CancelKeyDeletion`).
    Disabled,
    /// Scheduled for deletion.
    PendingDeletion,
    /// Created with `Origin=EXTERNAL` and waiting for (or having lost) its material.
    PendingImport,
}

impl KeyState {
    /// The AWS name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "Enabled",
            Self::Disabled => "Disabled",
            Self::PendingDeletion => "PendingDeletion",
            Self::PendingImport => "PendingImport",
        }
    }
}

/// One version of a key's material.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Material {
    /// The key material id: 64 hex characters.
    pub id: String,
    /// Software keys: the material sealed under the key's KEK (base64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed: Option<String>,
    /// HSM keys: the name of the token object that holds the material.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hsm_object: Option<String>,
    /// When it was created (Unix seconds).
    pub created: f64,
    /// How it came to be: `None` for the key's first material, else `AUTOMATIC` or `ON_DEMAND`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation_type: Option<String>,
}

/// Automatic rotation settings and state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Rotation {
    /// Whether automatic rotation is on.
    pub enabled: bool,
    /// The period, in days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_days: Option<i64>,
    /// When it next rotates (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<f64>,
    /// When the last on-demand rotation started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_demand_start: Option<f64>,
    /// How many on-demand rotations were made.
    #[serde(default)]
    pub on_demand_count: u32,
}

/// Imported material's terms.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImportedTerms {
    /// `KEY_MATERIAL_EXPIRES` or `KEY_MATERIAL_DOES_NOT_EXPIRE`.
    pub expiration_model: String,
    /// When it expires (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<f64>,
}

/// A KMS key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyRecord {
    /// The key id (a UUID).
    pub key_id: String,
    /// The owning account.
    pub account: String,
    /// The key ARN.
    pub arn: String,
    /// The description.
    pub description: String,
    /// `KeyUsage`.
    pub key_usage: String,
    /// `KeySpec`.
    pub key_spec: String,
    /// `Origin`: `AWS_KMS`, `EXTERNAL` or `AWS_CLOUDHSM`.
    pub origin: String,
    /// The lifecycle state.
    pub state: KeyState,
    /// Creation time (Unix seconds).
    pub created: f64,
    /// When it will be deleted, when pending deletion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_date: Option<f64>,
    /// The waiting period it was scheduled with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_window_days: Option<i64>,
    /// The custom key store (HSM) holding its material.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_key_store_id: Option<String>,
    /// The key policy (JSON).
    pub policy: String,
    /// Incremented whenever the policy changes (cache key of its parsed form).
    pub policy_version: u64,
    /// Tags, in the order they were added.
    #[serde(default)]
    pub tags: Vec<(String, String)>,
    /// Software keys: the destroyable key-encryption key all its material is sealed under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kek: Option<u64>,
    /// Every version of its material, oldest first.
    #[serde(default)]
    pub materials: Vec<Material>,
    /// The id of the material new ciphertexts use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_material: Option<String>,
    /// Asymmetric keys: the public key (base64 DER `SubjectPublicKeyInfo`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    /// Rotation settings.
    #[serde(default)]
    pub rotation: Rotation,
    /// Imported keys: the terms of the current material.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported: Option<ImportedTerms>,
    /// Imported keys: the fingerprint of the material first imported (a re-import must match).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import_fingerprint: Option<String>,
}

impl KeyRecord {
    /// The material with id `id`.
    pub fn material(&self, id: &str) -> Option<&Material> {
        self.materials.iter().find(|m| m.id == id)
    }

    /// The current material.
    pub fn current(&self) -> Option<&Material> {
        self.current_material.as_deref().and_then(|id| self.material(id))
    }
}

/// An alias.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AliasRecord {
    /// `alias/...`.
    pub name: String,
    /// The key id it points to.
    pub target_key_id: String,
    /// Creation time.
    pub created: f64,
    /// Last update.
    pub updated: f64,
}

/// Grant constraints.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Constraints {
    /// The request's context must contain all of these pairs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subset: Option<BTreeMap<String, String>>,
    /// The request's context must be exactly this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<BTreeMap<String, String>>,
}

/// A grant.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GrantRecord {
    /// 64 hex characters.
    pub grant_id: String,
    /// The key (id) it is on.
    pub key_id: String,
    /// The key's ARN.
    pub key_arn: String,
    /// Optional name (CreateGrant is idempotent on name + identical grant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Creation time.
    pub created: f64,
    /// Who may use it.
    pub grantee: String,
    /// Who may retire it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retiring: Option<String>,
    /// The account (ARN of its root) that created it.
    pub issuing_account: String,
    /// The operations it allows.
    pub operations: Vec<String>,
    /// Encryption-context constraints.
    #[serde(default)]
    pub constraints: Constraints,
}

/// A custom key store backed by a PKCS#11 token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CustomKeyStoreRecord {
    /// `cks-` and 17 hex characters.
    pub id: String,
    /// The owning account.
    pub account: String,
    /// The name (unique in the account).
    pub name: String,
    /// The token label (AWS: the CloudHSM cluster id).
    pub cluster_id: String,
    /// The trust anchor certificate given at creation.
    pub trust_anchor: String,
    /// The token user's PIN (AWS: the `kmsuser` password), sealed by the keystore (base64).
    pub pin_sealed: String,
    /// `CONNECTED`, `DISCONNECTED` or `FAILED`.
    pub state: String,
    /// Why the last connection failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Creation time.
    pub created: f64,
}

/// Parameters of a pending import.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImportParams {
    /// Identifies the import token.
    pub token_id: String,
    /// The wrapping private key, sealed by the keystore (base64).
    pub wrapping_sealed: String,
    /// The wrapping algorithm.
    pub algorithm: String,
    /// Until when the token and wrapping key may be used.
    pub valid_to: f64,
}

/// Store key of a key record.
pub fn key_key(key_id: &str) -> String {
    format!("key/{key_id}")
}

/// Store key of an account's key index entry.
pub fn account_key(account: &str, key_id: &str) -> String {
    format!("acct/{account}/{key_id}")
}

/// Store key of an alias.
pub fn alias_key(account: &str, name: &str) -> String {
    format!("alias/{account}/{name}")
}

/// Store key of a grant.
pub fn grant_key(key_id: &str, grant_id: &str) -> String {
    format!("grant/{key_id}/{grant_id}")
}

/// Store key of a retiring-principal index entry.
pub fn retiring_key(principal: &str, grant_id: &str) -> String {
    format!("retiring/{principal}/{grant_id}")
}

/// Store key of a custom key store.
pub fn cks_key(id: &str) -> String {
    format!("cks/{id}")
}

/// Store key of pending import parameters.
pub fn import_key(key_id: &str) -> String {
    format!("import/{key_id}")
}
