//! The declaration of every KMS operation: name, IAM action, what it targets for
//! authorization, and its handler.

use crate::Kms;
use rampart_core::AwsError;
use rampart_wire::{Call, Operation, Output, Service};
use serde_json::Value;
use std::sync::Arc;

/// A handler: validates, checks state, does the work.
pub(crate) type Handler = fn(&Kms, &Call) -> Result<Value, AwsError>;
/// A handler on the hot path that writes its JSON response itself ([`crate::reply`]).
pub(crate) type WritingHandler = fn(&Kms, &Call) -> Result<Vec<u8>, AwsError>;
/// Operation-specific condition keys, from the request.
pub(crate) type Extra = fn(&Value) -> Vec<(String, Vec<String>)>;

/// How an operation's handler answers.
#[derive(Clone, Copy)]
enum Work {
    /// With a `serde_json::Value`.
    Value(Handler),
    /// With its response already serialized.
    Written(WritingHandler),
}

impl Work {
    fn run(self, kms: &Kms, call: &Call) -> Result<Output, AwsError> {
        match self {
            Work::Value(h) => h(kms, call).map(Output::Json),
            Work::Written(h) => h(kms, call).map(Output::JsonText),
        }
    }
}

/// What an operation acts on, for authorization.
#[derive(Clone, Copy)]
pub(crate) enum Scope {
    /// No key: the resource is `*` and only identity policies apply.
    Account,
    /// The key named by request field `param`; `grant` is the grant operation that allows the
    /// call; `context` the request field holding the encryption context.
    Key { param: &'static str, grant: Option<&'static str>, context: Option<&'static str> },
    /// `Decrypt`: the key in the ciphertext (or `KeyId`).
    Decrypt,
    /// `ReEncrypt`: the source key, as `kms:ReEncryptFrom`.
    ReEncrypt,
    /// `CreateGrant`: the key, and whether one of the caller's grants allows creating this one.
    CreateGrant,
    /// `RetireGrant`: the grant's key; its retiring principal (or grantee) is allowed.
    RetireGrant,
    /// Alias operations: the alias and the key it (will) point to.
    Alias {
        /// The parameter naming the key the alias (will) point to.
        key_param: Option<&'static str>,
        /// Whether the alias is being moved from one key to another (UpdateAlias).
        update: bool,
    },
}

struct Decl {
    name: &'static str,
    action: &'static str,
    scope: Scope,
    extra: Option<Extra>,
    read_only: bool,
    work: Work,
}

const fn d(name: &'static str, action: &'static str, scope: Scope, handler: Handler) -> Decl {
    Decl { name, action, scope, extra: None, read_only: false, work: Work::Value(handler) }
}

/// [`d`] for a handler that writes its response itself.
const fn written(name: &'static str, action: &'static str, scope: Scope, handler: WritingHandler) -> Decl {
    Decl { name, action, scope, extra: None, read_only: false, work: Work::Written(handler) }
}

const fn key(param: &'static str) -> Scope {
    Scope::Key { param, grant: None, context: None }
}

const fn granted(op: &'static str) -> Scope {
    Scope::Key { param: "KeyId", grant: Some(op), context: None }
}

const fn granted_ec(op: &'static str) -> Scope {
    Scope::Key { param: "KeyId", grant: Some(op), context: Some("EncryptionContext") }
}

impl Decl {
    const fn ro(mut self) -> Self {
        self.read_only = true;
        self
    }
    const fn extra(mut self, f: Extra) -> Self {
        self.extra = Some(f);
        self
    }
}

fn decls() -> Vec<Decl> {
    use crate::{aliases, custom_key_stores as cks, data_keys, grants, import, keys, mac, policy, rotation, signing};
    use crate::{symmetric, tags};
    vec![
        // Keys.
        d("CreateKey", "kms:CreateKey", Scope::Account, keys::create_key).extra(keys::create_key_conditions),
        d("DescribeKey", "kms:DescribeKey", granted("DescribeKey"), keys::describe_key).ro(),
        d("ListKeys", "kms:ListKeys", Scope::Account, keys::list_keys).ro(),
        d("EnableKey", "kms:EnableKey", key("KeyId"), keys::enable_key),
        d("DisableKey", "kms:DisableKey", key("KeyId"), keys::disable_key),
        d("UpdateKeyDescription", "kms:UpdateKeyDescription", key("KeyId"), keys::update_key_description),
        d("ScheduleKeyDeletion", "kms:ScheduleKeyDeletion", key("KeyId"), keys::schedule_key_deletion)
            .extra(keys::deletion_conditions),
        d("CancelKeyDeletion", "kms:CancelKeyDeletion", key("KeyId"), keys::cancel_key_deletion),
        d("TagResource", "kms:TagResource", key("KeyId"), tags::tag_resource).extra(tags::request_tag_conditions),
        d("UntagResource", "kms:UntagResource", key("KeyId"), tags::untag_resource).extra(tags::tag_keys_conditions),
        d("ListResourceTags", "kms:ListResourceTags", key("KeyId"), tags::list_resource_tags).ro(),
        // Aliases.
        d(
            "CreateAlias",
            "kms:CreateAlias",
            Scope::Alias { key_param: Some("TargetKeyId"), update: false },
            aliases::create_alias,
        ),
        d(
            "UpdateAlias",
            "kms:UpdateAlias",
            Scope::Alias { key_param: Some("TargetKeyId"), update: true },
            aliases::update_alias,
        ),
        d("DeleteAlias", "kms:DeleteAlias", Scope::Alias { key_param: None, update: false }, aliases::delete_alias),
        d("ListAliases", "kms:ListAliases", Scope::Account, aliases::list_aliases).ro(),
        // Symmetric cryptography.
        written("Encrypt", "kms:Encrypt", granted_ec("Encrypt"), symmetric::encrypt)
            .extra(symmetric::algorithm_conditions),
        written("Decrypt", "kms:Decrypt", Scope::Decrypt, symmetric::decrypt).extra(symmetric::algorithm_conditions),
        d("ReEncrypt", "kms:ReEncryptFrom", Scope::ReEncrypt, symmetric::re_encrypt)
            .extra(symmetric::re_encrypt_conditions),
        written("GenerateDataKey", "kms:GenerateDataKey", granted_ec("GenerateDataKey"), data_keys::generate_data_key),
        written(
            "GenerateDataKeyWithoutPlaintext",
            "kms:GenerateDataKeyWithoutPlaintext",
            granted_ec("GenerateDataKeyWithoutPlaintext"),
            data_keys::generate_data_key_without_plaintext,
        ),
        d(
            "GenerateDataKeyPair",
            "kms:GenerateDataKeyPair",
            granted_ec("GenerateDataKeyPair"),
            data_keys::generate_data_key_pair,
        )
        .extra(data_keys::pair_conditions),
        d(
            "GenerateDataKeyPairWithoutPlaintext",
            "kms:GenerateDataKeyPairWithoutPlaintext",
            granted_ec("GenerateDataKeyPairWithoutPlaintext"),
            data_keys::generate_data_key_pair_without_plaintext,
        )
        .extra(data_keys::pair_conditions),
        d("GenerateRandom", "kms:GenerateRandom", Scope::Account, data_keys::generate_random),
        // Asymmetric and HMAC.
        d("Sign", "kms:Sign", granted("Sign"), signing::sign).extra(signing::conditions),
        d("Verify", "kms:Verify", granted("Verify"), signing::verify).extra(signing::conditions),
        d("GetPublicKey", "kms:GetPublicKey", granted("GetPublicKey"), signing::get_public_key).ro(),
        d("GenerateMac", "kms:GenerateMac", granted("GenerateMac"), mac::generate_mac).extra(mac::conditions),
        d("VerifyMac", "kms:VerifyMac", granted("VerifyMac"), mac::verify_mac).extra(mac::conditions),
        // Policies.
        d("PutKeyPolicy", "kms:PutKeyPolicy", key("KeyId"), policy::put_key_policy).extra(policy::bypass_conditions),
        d("GetKeyPolicy", "kms:GetKeyPolicy", key("KeyId"), policy::get_key_policy).ro(),
        d("ListKeyPolicies", "kms:ListKeyPolicies", key("KeyId"), policy::list_key_policies).ro(),
        // Grants.
        d("CreateGrant", "kms:CreateGrant", Scope::CreateGrant, grants::create_grant).extra(grants::create_conditions),
        d("ListGrants", "kms:ListGrants", key("KeyId"), grants::list_grants).ro(),
        d("ListRetirableGrants", "kms:ListRetirableGrants", Scope::Account, grants::list_retirable_grants).ro(),
        d("RetireGrant", "kms:RetireGrant", Scope::RetireGrant, grants::retire_grant),
        d("RevokeGrant", "kms:RevokeGrant", key("KeyId"), grants::revoke_grant),
        // Rotation.
        d("EnableKeyRotation", "kms:EnableKeyRotation", key("KeyId"), rotation::enable_key_rotation)
            .extra(rotation::conditions),
        d("DisableKeyRotation", "kms:DisableKeyRotation", key("KeyId"), rotation::disable_key_rotation),
        d("GetKeyRotationStatus", "kms:GetKeyRotationStatus", key("KeyId"), rotation::get_key_rotation_status).ro(),
        d("RotateKeyOnDemand", "kms:RotateKeyOnDemand", key("KeyId"), rotation::rotate_key_on_demand),
        d("ListKeyRotations", "kms:ListKeyRotations", key("KeyId"), rotation::list_key_rotations).ro(),
        // Import.
        d("GetParametersForImport", "kms:GetParametersForImport", key("KeyId"), import::get_parameters_for_import)
            .extra(import::parameter_conditions),
        d("ImportKeyMaterial", "kms:ImportKeyMaterial", key("KeyId"), import::import_key_material)
            .extra(import::import_conditions),
        d(
            "DeleteImportedKeyMaterial",
            "kms:DeleteImportedKeyMaterial",
            key("KeyId"),
            import::delete_imported_key_material,
        ),
        // Custom key stores.
        d("CreateCustomKeyStore", "kms:CreateCustomKeyStore", Scope::Account, cks::create_custom_key_store),
        d("ConnectCustomKeyStore", "kms:ConnectCustomKeyStore", Scope::Account, cks::connect_custom_key_store),
        d("DisconnectCustomKeyStore", "kms:DisconnectCustomKeyStore", Scope::Account, cks::disconnect_custom_key_store),
        d("DescribeCustomKeyStores", "kms:DescribeCustomKeyStores", Scope::Account, cks::describe_custom_key_stores)
            .ro(),
        d("UpdateCustomKeyStore", "kms:UpdateCustomKeyStore", Scope::Account, cks::update_custom_key_store),
        d("DeleteCustomKeyStore", "kms:DeleteCustomKeyStore", Scope::Account, cks::delete_custom_key_store),
    ]
}

/// Operations whose work may take long (key generation, HSM round trips): run on the blocking
/// pool so that they do not hold a runtime worker.
const BLOCKING: &[&str] = &[
    "CreateKey",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GetParametersForImport",
    "CreateCustomKeyStore",
    "ConnectCustomKeyStore",
    "DisconnectCustomKeyStore",
    "RotateKeyOnDemand",
];

/// Registers every operation of `kms` on `service`.
pub(crate) fn declare(kms: &Arc<Kms>, mut service: Service) -> Service {
    for decl in decls() {
        let Decl { name, action, scope, extra, read_only, work } = decl;
        let k = Arc::clone(kms);
        let blocking = BLOCKING.contains(&name);
        let mut op = Operation::new(name, action, move |call: Call| {
            let k = Arc::clone(&k);
            async move {
                if blocking {
                    tokio::task::spawn_blocking(move || work.run(&k, &call)).await.map_err(crate::error::internal)?
                } else {
                    work.run(&k, &call)
                }
            }
        });
        let k = Arc::clone(kms);
        op = op.target(move |call| k.target(call, scope, extra));
        if read_only {
            op = op.read_only();
        }
        service = service.operation(op);
    }
    service
}
