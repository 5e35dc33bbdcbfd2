//! The declaration of every KMS operation: name, IAM action, what it targets for
//! authorization, and its handler.

use crate::Kms;
use crate::shapes::kms as s;
use rampart_core::AwsError;
use rampart_wire::model::Shaped;
use rampart_wire::{Call, Operation, Service};
use serde_json::Value;
use std::sync::Arc;

/// A handler: takes the checked, typed input, checks state, does the work, returns typed
/// output (serialized by the pipeline from the model).
pub(crate) type Handler<S> = fn(&Kms, &Call, <S as Shaped>::Input) -> Result<<S as Shaped>::Output, AwsError>;
/// Operation-specific condition keys, from the request's checked value tree.
pub(crate) type Extra = fn(&Value) -> Vec<(String, Vec<String>)>;

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

/// One operation being declared: the modeled operation, what it targets and its condition keys.
struct Decl {
    op: Operation,
    scope: Scope,
    extra: Option<Extra>,
}

/// Declares the modeled operation `S` (a marker of [`crate::shapes::kms`]), authorized as
/// `action` on `scope`; the operations of [`BLOCKING`] run on the blocking pool.
fn d<S: Shaped>(kms: &Arc<Kms>, action: &'static str, scope: Scope, handler: Handler<S>) -> Decl {
    let k = Arc::clone(kms);
    let blocking = BLOCKING.contains(&S::NAME);
    let op = Operation::modeled::<S, _, _>(action, move |call: Call, input: S::Input| {
        let k = Arc::clone(&k);
        async move {
            if blocking {
                tokio::task::spawn_blocking(move || handler(&k, &call, input)).await.map_err(crate::error::internal)?
            } else {
                handler(&k, &call, input)
            }
        }
    });
    Decl { op, scope, extra: None }
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
    fn ro(mut self) -> Self {
        self.op = self.op.read_only();
        self
    }
    fn extra(mut self, f: Extra) -> Self {
        self.extra = Some(f);
        self
    }
}

fn decls(k: &Arc<Kms>) -> Vec<Decl> {
    use crate::{aliases, custom_key_stores as cks, data_keys, grants, import, keys, mac, policy, rotation, signing};
    use crate::{symmetric, tags};
    use s::*;
    vec![
        // Keys.
        d::<CreateKey>(k, "kms:CreateKey", Scope::Account, keys::create_key).extra(keys::create_key_conditions),
        d::<DescribeKey>(k, "kms:DescribeKey", granted("DescribeKey"), keys::describe_key).ro(),
        d::<ListKeys>(k, "kms:ListKeys", Scope::Account, keys::list_keys).ro(),
        d::<EnableKey>(k, "kms:EnableKey", key("KeyId"), keys::enable_key),
        d::<DisableKey>(k, "kms:DisableKey", key("KeyId"), keys::disable_key),
        d::<UpdateKeyDescription>(k, "kms:UpdateKeyDescription", key("KeyId"), keys::update_key_description),
        d::<ScheduleKeyDeletion>(k, "kms:ScheduleKeyDeletion", key("KeyId"), keys::schedule_key_deletion)
            .extra(keys::deletion_conditions),
        d::<CancelKeyDeletion>(k, "kms:CancelKeyDeletion", key("KeyId"), keys::cancel_key_deletion),
        d::<TagResource>(k, "kms:TagResource", key("KeyId"), tags::tag_resource).extra(tags::request_tag_conditions),
        d::<UntagResource>(k, "kms:UntagResource", key("KeyId"), tags::untag_resource).extra(tags::tag_keys_conditions),
        d::<ListResourceTags>(k, "kms:ListResourceTags", key("KeyId"), tags::list_resource_tags).ro(),
        // Aliases.
        d::<CreateAlias>(
            k,
            "kms:CreateAlias",
            Scope::Alias { key_param: Some("TargetKeyId"), update: false },
            aliases::create_alias,
        ),
        d::<UpdateAlias>(
            k,
            "kms:UpdateAlias",
            Scope::Alias { key_param: Some("TargetKeyId"), update: true },
            aliases::update_alias,
        ),
        d::<DeleteAlias>(k, "kms:DeleteAlias", Scope::Alias { key_param: None, update: false }, aliases::delete_alias),
        d::<ListAliases>(k, "kms:ListAliases", Scope::Account, aliases::list_aliases).ro(),
        // Symmetric cryptography.
        d::<Encrypt>(k, "kms:Encrypt", granted_ec("Encrypt"), symmetric::encrypt)
            .extra(symmetric::algorithm_conditions),
        d::<Decrypt>(k, "kms:Decrypt", Scope::Decrypt, symmetric::decrypt).extra(symmetric::algorithm_conditions),
        d::<ReEncrypt>(k, "kms:ReEncryptFrom", Scope::ReEncrypt, symmetric::re_encrypt)
            .extra(symmetric::re_encrypt_conditions),
        d::<GenerateDataKey>(k, "kms:GenerateDataKey", granted_ec("GenerateDataKey"), data_keys::generate_data_key),
        d::<GenerateDataKeyWithoutPlaintext>(
            k,
            "kms:GenerateDataKeyWithoutPlaintext",
            granted_ec("GenerateDataKeyWithoutPlaintext"),
            data_keys::generate_data_key_without_plaintext,
        ),
        d::<GenerateDataKeyPair>(
            k,
            "kms:GenerateDataKeyPair",
            granted_ec("GenerateDataKeyPair"),
            data_keys::generate_data_key_pair,
        )
        .extra(data_keys::pair_conditions),
        d::<GenerateDataKeyPairWithoutPlaintext>(
            k,
            "kms:GenerateDataKeyPairWithoutPlaintext",
            granted_ec("GenerateDataKeyPairWithoutPlaintext"),
            data_keys::generate_data_key_pair_without_plaintext,
        )
        .extra(data_keys::pair_conditions),
        d::<GenerateRandom>(k, "kms:GenerateRandom", Scope::Account, data_keys::generate_random),
        // Asymmetric and HMAC.
        d::<Sign>(k, "kms:Sign", granted("Sign"), signing::sign).extra(signing::conditions),
        d::<Verify>(k, "kms:Verify", granted("Verify"), signing::verify).extra(signing::conditions),
        d::<GetPublicKey>(k, "kms:GetPublicKey", granted("GetPublicKey"), signing::get_public_key).ro(),
        d::<GenerateMac>(k, "kms:GenerateMac", granted("GenerateMac"), mac::generate_mac).extra(mac::conditions),
        d::<VerifyMac>(k, "kms:VerifyMac", granted("VerifyMac"), mac::verify_mac).extra(mac::conditions),
        // Policies.
        d::<PutKeyPolicy>(k, "kms:PutKeyPolicy", key("KeyId"), policy::put_key_policy).extra(policy::bypass_conditions),
        d::<GetKeyPolicy>(k, "kms:GetKeyPolicy", key("KeyId"), policy::get_key_policy).ro(),
        d::<ListKeyPolicies>(k, "kms:ListKeyPolicies", key("KeyId"), policy::list_key_policies).ro(),
        // Grants.
        d::<CreateGrant>(k, "kms:CreateGrant", Scope::CreateGrant, grants::create_grant)
            .extra(grants::create_conditions),
        d::<ListGrants>(k, "kms:ListGrants", key("KeyId"), grants::list_grants).ro(),
        d::<ListRetirableGrants>(k, "kms:ListRetirableGrants", Scope::Account, grants::list_retirable_grants).ro(),
        d::<RetireGrant>(k, "kms:RetireGrant", Scope::RetireGrant, grants::retire_grant),
        d::<RevokeGrant>(k, "kms:RevokeGrant", key("KeyId"), grants::revoke_grant),
        // Rotation.
        d::<EnableKeyRotation>(k, "kms:EnableKeyRotation", key("KeyId"), rotation::enable_key_rotation)
            .extra(rotation::conditions),
        d::<DisableKeyRotation>(k, "kms:DisableKeyRotation", key("KeyId"), rotation::disable_key_rotation),
        d::<GetKeyRotationStatus>(k, "kms:GetKeyRotationStatus", key("KeyId"), rotation::get_key_rotation_status).ro(),
        d::<RotateKeyOnDemand>(k, "kms:RotateKeyOnDemand", key("KeyId"), rotation::rotate_key_on_demand),
        d::<ListKeyRotations>(k, "kms:ListKeyRotations", key("KeyId"), rotation::list_key_rotations).ro(),
        // Import.
        d::<GetParametersForImport>(k, "kms:GetParametersForImport", key("KeyId"), import::get_parameters_for_import)
            .extra(import::parameter_conditions),
        d::<ImportKeyMaterial>(k, "kms:ImportKeyMaterial", key("KeyId"), import::import_key_material)
            .extra(import::import_conditions),
        d::<DeleteImportedKeyMaterial>(
            k,
            "kms:DeleteImportedKeyMaterial",
            key("KeyId"),
            import::delete_imported_key_material,
        ),
        // Custom key stores.
        d::<CreateCustomKeyStore>(k, "kms:CreateCustomKeyStore", Scope::Account, cks::create_custom_key_store),
        d::<ConnectCustomKeyStore>(k, "kms:ConnectCustomKeyStore", Scope::Account, cks::connect_custom_key_store),
        d::<DisconnectCustomKeyStore>(
            k,
            "kms:DisconnectCustomKeyStore",
            Scope::Account,
            cks::disconnect_custom_key_store,
        ),
        d::<DescribeCustomKeyStores>(k, "kms:DescribeCustomKeyStores", Scope::Account, cks::describe_custom_key_stores)
            .ro(),
        d::<UpdateCustomKeyStore>(k, "kms:UpdateCustomKeyStore", Scope::Account, cks::update_custom_key_store),
        d::<DeleteCustomKeyStore>(k, "kms:DeleteCustomKeyStore", Scope::Account, cks::delete_custom_key_store),
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
    for Decl { op, scope, extra } in decls(kms) {
        let k = Arc::clone(kms);
        service = service.operation(op.target(move |call| k.target(call, scope, extra)));
    }
    service
}
