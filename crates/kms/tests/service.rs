//! KMS's service definition: every operation served from the model, and what audit records keep
//! of its requests (secrets hidden by the model's `sensitive` trait, the data calls work on left
//! out, as CloudTrail does).

use rampart_core::clock::FixedClock;
use rampart_crypto::{Keystore, SoftwareKeystore};
use rampart_kms::{Kms, KmsConfig};
use rampart_store::{SqliteStore, Store};
use rampart_wire::Service;
use rampart_wire::model::audit::request_parameters;
use rampart_wire::redact::HIDDEN;
use serde_json::{Value, json};
use std::sync::Arc;

fn service() -> (tempfile::TempDir, Service) {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("state.db")).unwrap());
    let keystore: Arc<dyn Keystore> =
        Arc::new(SoftwareKeystore::open_or_create(&dir.path().join("master.key")).unwrap());
    let kms = Kms::new(store, keystore, Arc::new(FixedClock::at(1_800_000_000)), KmsConfig::default()).unwrap();
    (dir, kms.service())
}

fn audit(op: &str, input: Value) -> Value {
    let (_dir, service) = service();
    let model = rampart_kms::model();
    let shape = model.operation(op).unwrap().input.unwrap();
    request_parameters(&model, shape, &input, service.omitted())
}

#[test]
fn secrets_are_hidden_and_data_left_out() {
    let ctx = json!({"Dept": "a"});
    assert_eq!(
        audit("Encrypt", json!({"KeyId": "k", "Plaintext": "c2VjcmV0", "EncryptionContext": ctx})),
        json!({"keyId": "k", "plaintext": HIDDEN, "encryptionContext": ctx})
    );
    assert_eq!(
        audit("Decrypt", json!({"CiphertextBlob": "AQID", "EncryptionContext": ctx})),
        json!({"encryptionContext": ctx})
    );
    assert_eq!(
        audit("Sign", json!({"KeyId": "k", "Message": "AQID", "SigningAlgorithm": "ECDSA_SHA_256"})),
        json!({"keyId": "k", "signingAlgorithm": "ECDSA_SHA_256"})
    );
    assert_eq!(
        audit("VerifyMac", json!({"KeyId": "k", "Message": "AQID", "Mac": "AQID", "MacAlgorithm": "HMAC_SHA_256"})),
        json!({"keyId": "k", "macAlgorithm": "HMAC_SHA_256"})
    );
    assert_eq!(
        audit(
            "ImportKeyMaterial",
            json!({"KeyId": "k", "ImportToken": "AQID", "EncryptedKeyMaterial": "AQID", "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"})
        ),
        json!({"keyId": "k", "expirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"})
    );
    assert_eq!(
        audit(
            "CreateCustomKeyStore",
            json!({"CustomKeyStoreName": "n", "CloudHsmClusterId": "cluster-abcdefghijk", "KeyStorePassword": "hunter22"})
        ),
        json!({"customKeyStoreName": "n", "cloudHsmClusterId": "cluster-abcdefghijk", "keyStorePassword": HIDDEN})
    );
}

#[test]
fn every_operation_is_served_from_the_model() {
    let (_dir, service) = service();
    let model = rampart_kms::model();
    let names: Vec<&str> = service.operations().map(|op| op.name()).collect();
    assert_eq!(names.len(), 50, "{names:?}");
    for op in service.operations() {
        assert!(op.is_modeled(), "{} is not modeled", op.name());
        assert!(model.operation(op.name()).is_some(), "{} is not in the model", op.name());
    }
}
