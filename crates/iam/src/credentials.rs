//! The credential provider: access key id -> secret and principal, for the root user, IAM users
//! and STS sessions, cached in memory.

use crate::accounts::{ACCESS_KEYS, AccessKeyRecord, KeyStatus, open_secret};
use crate::model::{IAM, Kind, SESSIONS, SessionKind, SessionRecord, UserRecord};
use rampart_core::clock::Clock;
use rampart_core::credentials::{Credential, CredentialProvider};
use rampart_core::principal::{PrincipalKind, SessionContext};
use rampart_core::{AwsError, Principal};
use rampart_crypto::Keystore;
use rampart_store::{Store, StoreExt, TxnExt};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use time::OffsetDateTime;

/// The table of access keys' last uses (not an authorization input: writing it leaves every
/// cache valid).
pub const LAST_USED: &str = "access_key_last_used";

/// When and where an access key was last used.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
    /// Uses seen by this node, and whether each is newer than what it last wrote to the store.
    last_used: Mutex<HashMap<String, (LastUsed, bool)>>,
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

    /// When `access_key_id` was last used: the latest of what any node has written to the store
    /// and what this node saw since its last [`IamCredentials::flush_last_used`].
    pub fn last_used(&self, access_key_id: &str) -> Result<Option<LastUsed>, AwsError> {
        let stored = self.store.get_json::<LastUsed>(LAST_USED, access_key_id)?;
        let here = self.last_used.lock().unwrap_or_else(|p| p.into_inner()).get(access_key_id).map(|(u, _)| u.clone());
        Ok(match (stored, here) {
            (Some(s), Some(h)) => Some(if h.at > s.at { h } else { s }),
            (s, h) => s.or(h),
        })
    }

    /// Writes the uses this node saw since the last flush to the store, in one transaction, so
    /// that every node (and this one after a restart) reports them. A stored use is replaced only
    /// by one at least as late, and a deleted key's use is not written back. Returns how many were written.
    pub fn flush_last_used(&self) -> Result<usize, AwsError> {
        let dirty: Vec<(String, LastUsed)> = {
            let map = self.last_used.lock().unwrap_or_else(|p| p.into_inner());
            map.iter().filter(|(_, (_, d))| *d).map(|(k, (u, _))| (k.clone(), u.clone())).collect()
        };
        if dirty.is_empty() {
            return Ok(0);
        }
        let written = self.store.transact(|t| {
            let mut written = 0;
            for (key, used) in &dirty {
                if t.get(ACCESS_KEYS, key)?.is_none() {
                    continue;
                }
                if t.get_json::<LastUsed>(LAST_USED, key)?.is_none_or(|s| s.at <= used.at) {
                    t.put_json(LAST_USED, key, used)?;
                    written += 1;
                }
            }
            Ok(written)
        })?;
        // Clean only once stored, and only if no newer use came in meanwhile. Until then the entry
        // stays dirty: the next flush (or the one at shutdown) writes it, and memory trimming
        // keeps it.
        let mut map = self.last_used.lock().unwrap_or_else(|p| p.into_inner());
        for (key, used) in dirty {
            if let Some((_, d)) = map.get_mut(&key).filter(|(u, _)| *u == used) {
                *d = false;
            }
        }
        Ok(written)
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
            Some((u, _)) if now - u.at < 60 && u.service == service && u.region == region => {}
            Some(entry) => {
                *entry = (LastUsed { at: now, service: service.to_owned(), region: region.to_owned() }, true)
            }
            None => {
                if map.len() >= 100_000 {
                    // Bounded memory: what was flushed is in the store; keep only what was not.
                    map.retain(|_, (_, dirty)| *dirty);
                }
                map.insert(
                    access_key_id.to_owned(),
                    (LastUsed { at: now, service: service.to_owned(), region: region.to_owned() }, true),
                );
            }
        }
    }
}
