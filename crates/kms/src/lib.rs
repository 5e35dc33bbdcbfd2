//! AWS Key Management Service (JSON 1.1, `TrentService`): real cryptography, key policies and
//! grants enforced by the pipeline, a software keystore and HSMs reached through PKCS#11.
//!
//! Every operation is declared in [`Kms::service`] with its IAM action and a *target*: the key
//! it acts on, that key's policy, the KMS condition keys of the request and whether a grant
//! allows it. The pipeline authorizes from that declaration before any handler runs; handlers
//! only validate, check key state and do the work.
//!
//! Key material never leaves `rampart-crypto`: software keys are sealed under a destroyable
//! per-key key-encryption key held by the keystore ([`rampart_crypto::kms::SoftwareVault`]),
//! HSM keys live in the token ([`rampart_crypto::kms::pkcs11::Pkcs11Token`]). Symmetric
//! ciphertexts are self-describing ([`ciphertext`]) so rotation never strands old ones.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod aliases;
mod authz;
mod backend;
mod cache;
pub mod ciphertext;
mod custom_key_stores;
mod data_keys;
mod deletion;
mod error;
mod grants;
mod import;
mod input;
mod keys;
mod mac;
pub mod model;
mod operations;
mod policy;
mod resolve;
mod rotation;
pub mod shapes;
mod signing;
mod symmetric;
mod tags;

use rampart_core::clock::Clock;
use rampart_crypto::Keystore;
use rampart_crypto::kms::SoftwareVault;
use rampart_crypto::kms::pkcs11::Pkcs11Token;
use rampart_store::Store;
use rampart_wire::Service;
use rampart_wire::model::Model;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex};

/// KMS's model (botocore's, trimmed by `scripts/models`), read once.
pub fn model() -> Arc<Model> {
    static MODEL: LazyLock<Arc<Model>> =
        LazyLock::new(|| Arc::new(Model::from_json(shapes::kms::MODEL).expect("the committed KMS model reads")));
    Arc::clone(&MODEL)
}

/// Settings of the KMS service.
#[derive(Debug, Clone, Default)]
pub struct KmsConfig {
    /// The region keys are created in (key ARNs).
    pub region: String,
    /// The PKCS#11 module custom key stores (HSMs) are reached through.
    pub pkcs11_module: Option<PathBuf>,
}

/// The KMS service and its state.
pub struct Kms {
    store: Arc<dyn Store>,
    keystore: Arc<dyn Keystore>,
    vault: SoftwareVault,
    clock: Arc<dyn Clock>,
    config: KmsConfig,
    /// Open connections to the tokens of connected custom key stores, by key store id, with the
    /// KMS generation at which the key store record last said it is connected.
    tokens: Mutex<HashMap<String, (u64, Arc<Pkcs11Token>)>>,
    /// Decoded keys, alias lists and grant lists as of a generation of KMS state; every write
    /// bumps the generation, so a cached entry is used only while nothing has changed.
    cache: cache::Cache,
}

impl Kms {
    /// Runs `f` in a store transaction; once it commits, the store's change counter of the KMS
    /// table has moved, so every cached decoded value is stale. All KMS writes go through here.
    pub(crate) fn write<T>(
        &self,
        f: impl FnMut(&mut dyn rampart_store::Txn) -> Result<T, rampart_core::AwsError>,
    ) -> Result<T, rampart_core::AwsError> {
        rampart_store::StoreExt::transact(self.store.as_ref(), f)
    }

    /// Opens KMS over the shared store and keystore.
    pub fn new(
        store: Arc<dyn Store>,
        keystore: Arc<dyn Keystore>,
        clock: Arc<dyn Clock>,
        config: KmsConfig,
    ) -> Result<Arc<Self>, String> {
        let mut config = config;
        if config.region.is_empty() {
            config.region = "us-east-1".into();
        }
        Ok(Arc::new(Self {
            vault: SoftwareVault::new(Arc::clone(&keystore)),
            keystore,
            clock,
            config,
            tokens: Mutex::default(),
            cache: cache::Cache::new(Arc::clone(&store)),
            store,
        }))
    }

    /// The service definition the pipeline serves.
    ///
    /// Every operation is served from KMS's model: input parsed and validated before
    /// authorization, typed output serialized by the pipeline. Audit records (CloudTrail's
    /// `requestParameters`) leave out the data a call works on: ciphertexts, messages,
    /// signatures, MACs, and the import token and wrapped key material of `ImportKeyMaterial`
    /// (which the model does not mark sensitive); the model's `sensitive` trait hides secrets
    /// (plaintexts, passwords).
    pub fn service(self: &Arc<Self>) -> Service {
        let service = Service::from_model("kms", model()).omitted_from_audit(&[
            "CiphertextBlob",
            "Message",
            "Signature",
            "Mac",
            "ImportToken",
            "EncryptedKeyMaterial",
        ]);
        operations::declare(self, service)
    }

    /// Unix seconds now, with millisecond precision (as KMS reports dates).
    pub(crate) fn now(&self) -> f64 {
        let t = self.clock.now();
        (t.unix_timestamp_nanos() / 1_000_000) as f64 / 1000.0
    }

    /// Spawns the maintenance task on the current Tokio runtime: once a minute it destroys the
    /// material of keys whose deletion waiting period ended, expires imported material past its
    /// `ValidTo`, and rotates keys whose rotation date came. The same checks also run whenever a
    /// key is looked up, so nothing waits for the task to be correct.
    pub fn spawn_maintenance(self: &Arc<Self>) {
        let kms = Arc::clone(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                tick.tick().await;
                let k = Arc::clone(&kms);
                match tokio::task::spawn_blocking(move || k.sweep()).await {
                    Ok(Ok(n)) if n > 0 => tracing::info!(keys = n, "KMS maintenance changed keys"),
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => tracing::warn!(error = %e, "KMS maintenance failed; retrying next round"),
                    Err(e) => tracing::error!(error = %e, "KMS maintenance task panicked"),
                }
            }
        });
    }
}
