//! What happens to keys with time: deletion when the waiting period ends (the material is
//! destroyed, then every record of the key), expiry of imported material, automatic rotation.
//! Runs whenever a key is looked up, and periodically over every key
//! ([`crate::Kms::spawn_maintenance`]).

use crate::Kms;
use crate::error::internal;
use crate::model::{KeyRecord, KeyState, TABLE, account_key, grant_key, import_key, key_key, retiring_key};
use rampart_core::AwsError;
use rampart_store::decode;

impl Kms {
    /// Applies what is due to `key`; `None` when it was deleted.
    pub(crate) fn maintain(&self, key: KeyRecord) -> Result<Option<KeyRecord>, AwsError> {
        if key.state == KeyState::PendingDeletion && key.deletion_date.is_some_and(|d| d <= self.now()) {
            return self.destroy_key(&key);
        }
        let key = self.expire_if_due(key)?;
        Ok(Some(self.rotate_if_due(key)?))
    }

    /// Destroys `key`'s material for good, then deletes the key, its aliases and its grants.
    /// The material goes first: should Rampart stop in between, the next sweep finds the key
    /// still pending deletion and finishes the job. Returns `Some` (unchanged) only when the
    /// material cannot be reached yet (a disconnected custom key store).
    pub(crate) fn destroy_key(&self, key: &KeyRecord) -> Result<Option<KeyRecord>, AwsError> {
        if let Some(cks) = &key.custom_key_store_id {
            let Some(token) = self.token(cks)? else {
                tracing::info!(key = %key.arn, "deletion waits for its custom key store to be connected");
                return Ok(Some(key.clone()));
            };
            for m in &key.materials {
                if let Some(obj) = &m.hsm_object {
                    token.destroy(obj).map_err(|e| internal(e.to_string()))?;
                }
            }
        }
        if let Some(kek) = key.kek {
            self.vault.destroy_container(kek).map_err(|e| internal(e.to_string()))?;
        }
        let aliases = self.aliases_of(key)?;
        let grants = self.grants_of(&key.key_id)?;
        self.write(|t| {
            t.delete(TABLE, &key_key(&key.key_id))?;
            t.delete(TABLE, &account_key(&key.account, &key.key_id))?;
            t.delete(TABLE, &import_key(&key.key_id))?;
            for a in &aliases {
                t.delete(TABLE, &crate::model::alias_key(&key.account, &a.name))?;
            }
            for g in &grants {
                t.delete(TABLE, &grant_key(&g.key_id, &g.grant_id))?;
                if let Some(r) = &g.retiring {
                    t.delete(TABLE, &retiring_key(r, &g.grant_id))?;
                }
            }
            Ok(())
        })?;
        tracing::info!(key = %key.arn, "deleted key; its material is destroyed");
        Ok(None)
    }

    /// Applies what is due to every key; returns how many changed.
    pub fn sweep(&self) -> Result<usize, AwsError> {
        let mut changed = 0;
        let mut after: Option<String> = None;
        loop {
            let page = self.store.scan(TABLE, "key/", after.as_deref(), 200)?;
            let done = page.len() < 200;
            for (k, v) in &page {
                let key: KeyRecord = decode(TABLE, k, v)?;
                let before = (key.state, key.materials.len());
                match self.maintain(key)? {
                    None => changed += 1,
                    Some(after) if (after.state, after.materials.len()) != before => changed += 1,
                    Some(_) => {}
                }
            }
            after = page.last().map(|(k, _)| k.clone());
            if done {
                return Ok(changed);
            }
        }
    }
}
