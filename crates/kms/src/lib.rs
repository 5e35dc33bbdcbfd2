//! AWS Key Management Service (JSON 1.1, `TrentService`).

use rampart_core::clock::Clock;
use rampart_crypto::Keystore;
use rampart_store::Store;
use rampart_wire::{Protocol, Service};
use std::path::PathBuf;
use std::sync::Arc;

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
    #[allow(dead_code)]
    store: Arc<dyn Store>,
    #[allow(dead_code)]
    keystore: Arc<dyn Keystore>,
    #[allow(dead_code)]
    clock: Arc<dyn Clock>,
    #[allow(dead_code)]
    config: KmsConfig,
}

impl Kms {
    /// Opens KMS over the shared store and keystore.
    pub fn new(
        store: Arc<dyn Store>,
        keystore: Arc<dyn Keystore>,
        clock: Arc<dyn Clock>,
        config: KmsConfig,
    ) -> Result<Arc<Self>, String> {
        Ok(Arc::new(Self { store, keystore, clock, config }))
    }

    /// The service definition the pipeline serves.
    pub fn service(self: &Arc<Self>) -> Service {
        Service::new("kms", Protocol::Json11).json_target_prefix("TrentService")
    }
}
