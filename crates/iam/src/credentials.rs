//! The credential provider: access key id -> secret and principal, for the root user, IAM users
//! and STS sessions, cached in memory.

use crate::accounts::{ACCESS_KEYS, AccessKeyRecord, KeyStatus, open_secret};
use crate::model::{IAM, Kind, SESSIONS, SessionKind, SessionRecord, UserRecord};
use rampart_core::clock::Clock;
use rampart_core::credentials::{Credential, CredentialProvider};
use rampart_core::principal::{PrincipalKind, SessionContext};
use rampart_core::{AwsError, Principal};
use rampart_crypto::Keystore;
use rampart_store::{Store, StoreExt};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use time::OffsetDateTime;

/// When and where an access key was last used.
#[derive(Debug, Clone)]
pub struct LastUsed {
    /// Unix seconds.
    pub at: i64,
    /// Service signing name.
    pub service: String,
    /// Region.
    pub region: String,
}

/// Resolves access keys from the store, keeping opened credentials in memory.
///
/// Each opened credential is kept with the generation of IAM state it was read at (see
/// [`crate::model::AUTHZ_TABLES`]); any committed change to keys, users or accounts, on this
/// node or another sharing the store, makes it stale, so a deactivated or deleted key is refused
/// on the very next call. IAM also calls [`IamCredentials::invalidate`] for the key it changed.
pub struct IamCredentials {
    store: Arc<dyn Store>,
    keystore: Arc<dyn Keystore>,
    clock: Arc<dyn Clock>,
    cache: RwLock<HashMap<String, (u64, Arc<Credential>)>>,
    last_used: Mutex<HashMap<String, LastUsed>>,
}

impl IamCredentials {
    /// A provider over `store`, opening secrets with `keystore`.
    pub fn new(store: Arc<dyn Store>, keystore: Arc<dyn Keystore>, clock: Arc<dyn Clock>) -> Self {
        Self { store, keystore, clock, cache: RwLock::new(HashMap::new()), last_used: Mutex::new(HashMap::new()) }
    }

    /// Forgets `access_key_id`; the next lookup reads the store again.
    pub fn invalidate(&self, access_key_id: &str) {
        self.cache.write().unwrap_or_else(|p| p.into_inner()).remove(access_key_id);
    }

    /// When `access_key_id` was last used since this process started.
    pub fn last_used(&self, access_key_id: &str) -> Option<LastUsed> {
        self.last_used.lock().unwrap_or_else(|p| p.into_inner()).get(access_key_id).cloned()
    }

    fn load(&self, access_key_id: &str) -> Result<Option<Arc<Credential>>, AwsError> {
        if access_key_id.starts_with("ASIA") {
            return self.load_session(access_key_id);
        }
        let Some(record) = self.store.get_json::<AccessKeyRecord>(ACCESS_KEYS, access_key_id)? else {
            return Ok(None);
        };
        if record.status != KeyStatus::Active {
            return Ok(None);
        }
        let principal = match &record.user_name {
            None => Principal::root(record.account_id.clone(), access_key_id),
            Some(name) => {
                let Some(user) = self.store.get_json::<UserRecord>(IAM, &Kind::User.key(&record.account_id, name))?
                else {
                    return Ok(None);
                };
                Principal::new(
                    PrincipalKind::IamUser,
                    record.account_id.clone(),
                    user.arn,
                    user.user_id,
                    Some(user.name),
                    access_key_id.to_owned(),
                    None,
                )
            }
        };
        let secret = open_secret(self.keystore.as_ref(), &record.access_key_id, &record.sealed_secret)?;
        Ok(Some(Arc::new(Credential::new(Arc::new(principal), secret, None, None))))
    }

    fn load_session(&self, access_key_id: &str) -> Result<Option<Arc<Credential>>, AwsError> {
        let Some(s) = self.store.get_json::<SessionRecord>(SESSIONS, access_key_id)? else {
            return Ok(None);
        };
        let expires = OffsetDateTime::from_unix_timestamp(s.expires_unix).map_err(|_| AwsError::internal())?;
        // Long expired sessions are not worth caching; the pipeline answers ExpiredToken.
        let kind = match (s.kind, &s.subject_name) {
            (SessionKind::AssumedRole, _) => PrincipalKind::AssumedRole,
            (SessionKind::UserSession, Some(_)) => PrincipalKind::IamUser,
            (SessionKind::UserSession, None) => PrincipalKind::Root,
        };
        let name = match s.kind {
            SessionKind::AssumedRole => s.session_name.clone(),
            SessionKind::UserSession => s.subject_name.clone(),
        };
        let principal = Principal::new(
            kind,
            s.account_id.clone(),
            s.arn.clone(),
            s.user_id.clone(),
            name,
            access_key_id.to_owned(),
            Some(SessionContext {
                mfa_authenticated: s.mfa_unix.is_some(),
                creation_date: s.creation.clone(),
                issuer_arn: s.role_arn.clone(),
            }),
        );
        let mut hash = [0u8; 32];
        hex::decode_to_slice(&s.token_sha256, &mut hash).map_err(|_| AwsError::internal())?;
        let secret = open_secret(self.keystore.as_ref(), &s.access_key_id, &s.sealed_secret)?;
        Ok(Some(Arc::new(Credential::new(Arc::new(principal), secret, Some(hash), Some(expires)))))
    }
}

impl CredentialProvider for IamCredentials {
    fn lookup(&self, access_key_id: &str) -> Result<Option<Arc<Credential>>, AwsError> {
        let generation = self.store.changes().version(crate::model::AUTHZ_TABLES);
        if let Some((_, c)) =
            self.cache.read().unwrap_or_else(|p| p.into_inner()).get(access_key_id).filter(|(g, _)| *g == generation)
        {
            return Ok(Some(Arc::clone(c)));
        }
        let loaded = self.load(access_key_id)?;
        if let Some(c) = &loaded {
            let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
            if cache.len() > 100_000 {
                cache.clear();
            }
            cache.insert(access_key_id.to_owned(), (generation, Arc::clone(c)));
        }
        Ok(loaded)
    }

    fn record_use(&self, access_key_id: &str, service: &str, region: &str) {
        let now = self.clock.now().unix_timestamp();
        let mut map = self.last_used.lock().unwrap_or_else(|p| p.into_inner());
        match map.get_mut(access_key_id) {
            // Minute resolution is what AWS reports; skip the allocation otherwise.
            Some(u) if now - u.at < 60 && u.service == service && u.region == region => {}
            Some(u) => *u = LastUsed { at: now, service: service.to_owned(), region: region.to_owned() },
            None => {
                map.insert(
                    access_key_id.to_owned(),
                    LastUsed { at: now, service: service.to_owned(), region: region.to_owned() },
                );
            }
        }
    }
}
