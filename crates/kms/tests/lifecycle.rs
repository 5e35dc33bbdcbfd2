//! Key lifecycle at the Rust level, with a frozen clock: deletion really destroys material
//! (even a restored copy of the key record cannot decrypt), imported material expires, and
//! automatic rotation happens on time without stranding old ciphertexts.

use base64::Engine;
use rampart_core::authz::RequestContext;
use rampart_core::clock::FixedClock;
use rampart_core::ids::AccountId;
use rampart_core::{AwsError, Principal};
use rampart_crypto::{Keystore, SoftwareKeystore};
use rampart_kms::{Kms, KmsConfig};
use rampart_store::{SqliteStore, Store};
use rampart_wire::{Call, Input, Output, Protocol, Service};
use serde_json::{Value, json};
use std::sync::Arc;

const T0: i64 = 1_800_000_000;
const DAY: i64 = 86_400;

struct Harness {
    _dir: tempfile::TempDir,
    clock: FixedClock,
    store: Arc<dyn Store>,
    kms: Arc<Kms>,
    service: Service,
    principal: Arc<Principal>,
}

fn harness() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let clock = FixedClock::at(T0);
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("state.db")).unwrap());
    let keystore: Arc<dyn Keystore> =
        Arc::new(SoftwareKeystore::open_or_create(&dir.path().join("master.key")).unwrap());
    let kms = Kms::new(
        Arc::clone(&store),
        keystore,
        Arc::new(clock.clone()),
        KmsConfig { region: "us-east-1".into(), pkcs11_module: None },
    )
    .unwrap();
    let service = kms.service();
    let principal = Arc::new(Principal::root(AccountId::parse("111122223333").unwrap(), "AKIATEST"));
    Harness { _dir: dir, clock, store, kms, service, principal }
}

impl Harness {
    fn call(&self, op: &str, input: Value) -> Result<Value, AwsError> {
        let mut call = Call {
            principal: Some(Arc::clone(&self.principal)),
            context: Arc::new(RequestContext {
                request_id: "test".into(),
                source_ip: "127.0.0.1".parse().unwrap(),
                user_agent: "test".into(),
                secure_transport: true,
                region: "us-east-1".into(),
                received_at: time::OffsetDateTime::from_unix_timestamp(T0).unwrap(),
            }),
            protocol: Protocol::Json11,
            input: Input::Json(input),
            resolved: Default::default(),
        };
        let op = self.service.get(op).expect("operation exists");
        // What the pipeline does first: parse and validate the input from the model.
        let model = rampart_kms::model();
        let op_model = model.operation(op.name()).expect("a modeled operation");
        let input = std::mem::replace(&mut call.input, Input::Model(Value::Null));
        call.input = Input::Model(rampart_wire::model::parse_input(&model, op_model, input)?);
        // What the pipeline computes before it authorizes: the target must resolve too, and
        // what it resolved goes to the handler.
        call.resolved = op.target_for(&call)?.resolved;
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        match rt.block_on(op.invoke(call))? {
            Output::Modeled(out) => Ok(serde_json::from_slice(&out.to_json()).expect("typed output is JSON")),
            _ => panic!("KMS answers typed output"),
        }
    }

    fn ok(&self, op: &str, input: Value) -> Value {
        self.call(op, input).unwrap_or_else(|e| panic!("{op}: {e}"))
    }

    fn err(&self, op: &str, input: Value) -> String {
        self.call(op, input).expect_err(op).code().to_owned()
    }
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

#[test]
fn deletion_destroys_material_for_good() {
    let h = harness();
    let key = h.ok("CreateKey", json!({}))["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    let ct = h.ok("Encrypt", json!({"KeyId": key, "Plaintext": b64(b"secret"), "EncryptionContext": {"a": "b"}}))
        ["CiphertextBlob"]
        .clone();
    let saved = h.store.get("kms", &format!("key/{key}")).unwrap().unwrap();

    let scheduled = h.ok("ScheduleKeyDeletion", json!({"KeyId": key, "PendingWindowInDays": 7}));
    assert_eq!(scheduled["KeyState"], "PendingDeletion");
    assert_eq!(scheduled["DeletionDate"].as_f64().unwrap() as i64, T0 + 7 * DAY);
    assert_eq!(
        h.err("Decrypt", json!({"CiphertextBlob": ct, "EncryptionContext": {"a": "b"}})),
        "KMSInvalidStateException"
    );
    assert_eq!(h.err("ScheduleKeyDeletion", json!({"KeyId": key, "PendingWindowInDays": 6})), "ValidationException");

    // One second before the end of the waiting period nothing happens.
    h.clock.set(T0 + 7 * DAY - 1);
    assert_eq!(h.kms.sweep().unwrap(), 0);
    assert_eq!(h.ok("DescribeKey", json!({"KeyId": key}))["KeyMetadata"]["KeyState"], "PendingDeletion");

    h.clock.set(T0 + 7 * DAY);
    assert_eq!(h.kms.sweep().unwrap(), 1);
    assert_eq!(h.err("DescribeKey", json!({"KeyId": key})), "NotFoundException");
    assert!(h.ok("ListKeys", json!({}))["Keys"].as_array().unwrap().is_empty());

    // Restoring the key record from a backup does not bring the material back: its
    // key-encryption key is gone from the keystore.
    h.store.transact_dyn(&mut |t| Ok(t.put("kms", &format!("key/{key}"), &saved)?)).unwrap();
    h.store.transact_dyn(&mut |t| Ok(t.put("kms", &format!("acct/111122223333/{key}"), b"")?)).unwrap();
    let e = h.call("Decrypt", json!({"CiphertextBlob": ct, "EncryptionContext": {"a": "b"}})).unwrap_err();
    assert_eq!(e.code(), "KMSInvalidStateException", "{e}");
    assert!(e.message().contains("destroyed"), "{e}");
}

#[test]
fn deletion_also_happens_on_access_and_can_be_cancelled() {
    let h = harness();
    let a = h.ok("CreateKey", json!({}))["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    let b = h.ok("CreateKey", json!({}))["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    h.ok("CreateAlias", json!({"AliasName": "alias/a", "TargetKeyId": a}));
    h.ok("ScheduleKeyDeletion", json!({"KeyId": a, "PendingWindowInDays": 30}));
    h.ok("ScheduleKeyDeletion", json!({"KeyId": b, "PendingWindowInDays": 30}));
    assert_eq!(
        h.ok("CancelKeyDeletion", json!({"KeyId": b}))["KeyId"].as_str().unwrap(),
        format!("arn:aws:kms:us-east-1:111122223333:key/{b}")
    );
    assert_eq!(h.ok("DescribeKey", json!({"KeyId": b}))["KeyMetadata"]["KeyState"], "Disabled");
    h.clock.set(T0 + 30 * DAY + 1);
    // No sweep: looking the key up applies the deletion.
    assert_eq!(h.err("DescribeKey", json!({"KeyId": a})), "NotFoundException");
    assert_eq!(h.err("DescribeKey", json!({"KeyId": "alias/a"})), "NotFoundException");
    assert!(h.ok("ListAliases", json!({}))["Aliases"].as_array().unwrap().is_empty());
    assert_eq!(h.ok("DescribeKey", json!({"KeyId": b}))["KeyMetadata"]["KeyState"], "Disabled");
}

#[test]
fn automatic_rotation_keeps_old_ciphertexts() {
    let h = harness();
    let key = h.ok("CreateKey", json!({}))["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    let first = h.ok("Encrypt", json!({"KeyId": key, "Plaintext": b64(b"one")}))["CiphertextBlob"].clone();
    h.ok("EnableKeyRotation", json!({"KeyId": key, "RotationPeriodInDays": 90}));
    let status = h.ok("GetKeyRotationStatus", json!({"KeyId": key}));
    assert_eq!(status["KeyRotationEnabled"], true);
    assert_eq!(status["NextRotationDate"].as_f64().unwrap() as i64, T0 + 90 * DAY);
    let mut blobs = vec![(first, b"one".to_vec())];
    for round in 1..=3 {
        h.clock.set(T0 + round * 90 * DAY);
        assert_eq!(h.kms.sweep().unwrap(), 1, "round {round}");
        let pt = format!("round {round}").into_bytes();
        blobs.push((h.ok("Encrypt", json!({"KeyId": key, "Plaintext": b64(&pt)}))["CiphertextBlob"].clone(), pt));
    }
    let rotations = h.ok("ListKeyRotations", json!({"KeyId": key}));
    assert_eq!(rotations["Rotations"].as_array().unwrap().len(), 3);
    assert!(rotations["Rotations"].as_array().unwrap().iter().all(|r| r["RotationType"] == "AUTOMATIC"));
    let mut materials = std::collections::HashSet::new();
    for (blob, pt) in blobs {
        let out = h.ok("Decrypt", json!({"CiphertextBlob": blob}));
        assert_eq!(out["Plaintext"], b64(&pt));
        materials.insert(out["KeyMaterialId"].as_str().unwrap().to_owned());
    }
    assert_eq!(materials.len(), 4, "each rotation used new material");
}

#[test]
fn imported_material_expires() {
    let h = harness();
    let key = h.ok("CreateKey", json!({"Origin": "EXTERNAL"}))["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    assert_eq!(h.ok("DescribeKey", json!({"KeyId": key}))["KeyMetadata"]["KeyState"], "PendingImport");
    assert_eq!(h.err("Encrypt", json!({"KeyId": key, "Plaintext": b64(b"x")})), "KMSInvalidStateException");
    let params = h.ok(
        "GetParametersForImport",
        json!({"KeyId": key, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"}),
    );
    let spki = base64::engine::general_purpose::STANDARD.decode(params["PublicKey"].as_str().unwrap()).unwrap();
    let material = [0x5au8; 32];
    let wrapped = rampart_crypto::kms::public::rsa_encrypt(
        &spki,
        rampart_crypto::kms::EncryptionAlgorithm::RsaesOaepSha256,
        &material,
    )
    .unwrap();
    h.ok(
        "ImportKeyMaterial",
        json!({
            "KeyId": key,
            "ImportToken": params["ImportToken"],
            "EncryptedKeyMaterial": b64(&wrapped),
            "ExpirationModel": "KEY_MATERIAL_EXPIRES",
            "ValidTo": T0 + DAY,
        }),
    );
    let ct = h.ok("Encrypt", json!({"KeyId": key, "Plaintext": b64(b"x")}))["CiphertextBlob"].clone();
    assert_eq!(h.ok("Decrypt", json!({"CiphertextBlob": ct}))["Plaintext"], b64(b"x"));
    h.clock.set(T0 + DAY);
    assert_eq!(h.kms.sweep().unwrap(), 1);
    assert_eq!(h.ok("DescribeKey", json!({"KeyId": key}))["KeyMetadata"]["KeyState"], "PendingImport");
    assert_eq!(h.err("Decrypt", json!({"CiphertextBlob": ct})), "KMSInvalidStateException");
}

#[test]
fn a_due_rotation_seen_by_racing_sweeps_and_lookups_happens_once() {
    let h = harness();
    let key = h.ok("CreateKey", json!({}))["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    h.ok("EnableKeyRotation", json!({"KeyId": key, "RotationPeriodInDays": 90}));
    h.clock.set(T0 + 90 * DAY);
    // Sweeps and calls that look the key up (each rotates a due key) all see it due at once;
    // the check inside the rotation's transaction lets exactly one of them rotate.
    std::thread::scope(|s| {
        for i in 0..8 {
            let (h, key) = (&h, &key);
            s.spawn(move || {
                if i % 2 == 0 {
                    h.kms.sweep().unwrap();
                } else {
                    h.ok("Encrypt", json!({"KeyId": key, "Plaintext": b64(b"x")}));
                }
            });
        }
    });
    let rotations = h.ok("ListKeyRotations", json!({"KeyId": key}));
    assert_eq!(rotations["Rotations"].as_array().unwrap().len(), 1, "{rotations}");
    let status = h.ok("GetKeyRotationStatus", json!({"KeyId": key}));
    assert_eq!(status["NextRotationDate"].as_f64().unwrap() as i64, T0 + 180 * DAY);
}
