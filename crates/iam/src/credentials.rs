//! The credential provider: access key id -> secret and principal, cached in memory.

use crate::accounts::{ACCESS_KEYS, AccessKeyRecord, KeyStatus, open_secret};
use rampart_core::credentials::{Credential, CredentialProvider};
use rampart_core::{AwsError, Principal};
use rampart_crypto::Keystore;
use rampart_store::{Store, StoreExt};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Resolves access keys from the store, keeping opened credentials in memory.
///
/// Only active keys are cached; IAM calls [`IamCredentials::invalidate`] whenever a key changes,
/// so a deactivated or deleted key is refused on the next call.
pub struct IamCredentials {
    store: Arc<dyn Store>,
    keystore: Arc<dyn Keystore>,
    cache: RwLock<HashMap<String, Arc<Credential>>>,
}

impl IamCredentials {
    /// A provider over `store`, opening secrets with `keystore`.
    pub fn new(store: Arc<dyn Store>, keystore: Arc<dyn Keystore>) -> Self {
        Self { store, keystore, cache: RwLock::new(HashMap::new()) }
    }

    /// Forgets `access_key_id`; the next lookup reads the store again.
    pub fn invalidate(&self, access_key_id: &str) {
        self.cache.write().unwrap_or_else(|p| p.into_inner()).remove(access_key_id);
    }

    fn load(&self, access_key_id: &str) -> Result<Option<Arc<Credential>>, AwsError> {
        let Some(record) = self.store.get_json::<AccessKeyRecord>(ACCESS_KEYS, access_key_id)? else {
            return Ok(None);
        };
        if record.status != KeyStatus::Active {
            return Ok(None);
        }
        let principal = match &record.user_name {
            None => Principal::root(record.account_id.clone(), access_key_id),
            // IAM users arrive with the IAM API; until then no stored key names one.
            Some(_) => return Ok(None),
        };
        let secret = open_secret(self.keystore.as_ref(), &record)?;
        Ok(Some(Arc::new(Credential::new(Arc::new(principal), secret, None, None))))
    }
}

impl CredentialProvider for IamCredentials {
    fn lookup(&self, access_key_id: &str) -> Result<Option<Arc<Credential>>, AwsError> {
        if let Some(c) = self.cache.read().unwrap_or_else(|p| p.into_inner()).get(access_key_id) {
            return Ok(Some(Arc::clone(c)));
        }
        let loaded = self.load(access_key_id)?;
        if let Some(c) = &loaded {
            self.cache.write().unwrap_or_else(|p| p.into_inner()).insert(access_key_id.to_owned(), Arc::clone(c));
        }
        Ok(loaded)
    }
}
