//! Finding the key a request names: key id, key ARN, alias name or alias ARN.

use crate::Kms;
use crate::error::{key_not_found, not_found};
use crate::model::{AliasRecord, KeyRecord, KeyState, TABLE, alias_key, key_key};
use rampart_core::AwsError;
use rampart_store::{StoreExt, decode};
use std::borrow::Cow;

/// What a `KeyId` parameter said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyName {
    /// A bare key id: a key of the caller's account.
    Id(String),
    /// A key ARN.
    KeyArn { account: String, id: String },
    /// An alias of the caller's account.
    Alias(String),
    /// An alias ARN.
    AliasArn { account: String, name: String },
}

impl KeyName {
    /// Parses a `KeyId`-style parameter.
    pub(crate) fn parse(s: &str) -> Result<Self, AwsError> {
        if let Some(rest) = s.strip_prefix("arn:") {
            let parts: Vec<&str> = rest.splitn(5, ':').collect();
            if parts.len() == 5 && parts[1] == "kms" {
                let account = parts[3].to_owned();
                if let Some(id) = parts[4].strip_prefix("key/") {
                    return Ok(Self::KeyArn { account, id: id.to_owned() });
                }
                if parts[4].starts_with("alias/") {
                    return Ok(Self::AliasArn { account, name: parts[4].to_owned() });
                }
            }
            return Err(not_found(format!("Invalid arn {s}")));
        }
        if s.starts_with("alias/") {
            return Ok(Self::Alias(s.to_owned()));
        }
        Ok(Self::Id(s.to_owned()))
    }

    /// The alias named, if any.
    pub(crate) fn alias(&self) -> Option<&str> {
        match self {
            Self::Alias(n) | Self::AliasArn { name: n, .. } => Some(n),
            _ => None,
        }
    }
}

/// Whether `s` has the shape of a key id (a UUID).
pub(crate) fn is_key_id(s: &str) -> bool {
    s.len() == 36
        && s.bytes()
            .enumerate()
            .all(|(i, b)| if matches!(i, 8 | 13 | 18 | 23) { b == b'-' } else { b.is_ascii_hexdigit() })
}

impl Kms {
    /// The ARN of key `id` in `account`.
    pub(crate) fn key_arn(&self, account: &str, id: &str) -> String {
        format!("arn:aws:kms:{}:{account}:key/{id}", self.config.region)
    }

    /// The ARN of alias `name` in `account`.
    pub(crate) fn alias_arn(&self, account: &str, name: &str) -> String {
        format!("arn:aws:kms:{}:{account}:{name}", self.config.region)
    }

    /// The key with id `key_id`, after applying anything due (deletion, expiry, rotation).
    pub(crate) fn load_key(&self, key_id: &str) -> Result<Option<KeyRecord>, AwsError> {
        let generation = self.cache.generation();
        if let Some(key) = self.cache.key(key_id, generation) {
            // Due deletions, expiries and rotations are still applied on every access.
            return self.maintain(key);
        }
        let Some(bytes) = self.store.get(TABLE, &key_key(key_id))? else { return Ok(None) };
        let key: KeyRecord = decode(TABLE, &key_key(key_id), &bytes)?;
        self.cache.put_key(key_id, generation, key.clone());
        self.maintain(key)
    }

    /// The alias `name` of `account`.
    pub(crate) fn load_alias(&self, account: &str, name: &str) -> Result<Option<AliasRecord>, AwsError> {
        Ok(self.store.get_json(TABLE, &alias_key(account, name))?)
    }

    /// Resolves a `KeyId` parameter from a caller in `caller_account`.
    pub(crate) fn resolve(&self, caller_account: &str, param: &str) -> Result<KeyRecord, AwsError> {
        let name = KeyName::parse(param)?;
        let (account, id): (&str, Cow<'_, str>) = match &name {
            KeyName::Id(id) => {
                if !is_key_id(id) {
                    return Err(not_found(format!("Invalid keyId '{id}'")));
                }
                (caller_account, Cow::Borrowed(id))
            }
            KeyName::KeyArn { account, id } => (account, Cow::Borrowed(id)),
            KeyName::Alias(n) | KeyName::AliasArn { name: n, .. } => {
                let account = match &name {
                    KeyName::AliasArn { account, .. } => account.as_str(),
                    _ => caller_account,
                };
                let alias = self
                    .load_alias(account, n)?
                    .ok_or_else(|| not_found(format!("Alias {} is not found.", self.alias_arn(account, n))))?;
                (account, Cow::Owned(alias.target_key_id))
            }
        };
        // A key ARN must name the key exactly (its region too); the other forms name it by id.
        let named = |k: &KeyRecord| !matches!(name, KeyName::KeyArn { .. }) || k.arn == self.key_arn(account, &id);
        match self.load_key(&id)? {
            Some(k) if k.account == account && named(&k) => Ok(k),
            _ => Err(key_not_found(&self.key_arn(account, &id))),
        }
    }

    /// Fails unless `key` may be used for cryptography now.
    pub(crate) fn check_usable(&self, key: &KeyRecord) -> Result<(), AwsError> {
        match key.state {
            KeyState::Enabled => {}
            KeyState::Disabled => return Err(crate::error::disabled(&key.arn)),
            KeyState::PendingDeletion => {
                return Err(crate::error::invalid_state(format!("{} is pending deletion.", key.arn)));
            }
            KeyState::PendingImport => {
                return Err(crate::error::invalid_state(format!("{} is pending import.", key.arn)));
            }
        }
        if let Some(cks) = &key.custom_key_store_id
            && !self.is_connected(cks)?
        {
            return Err(crate::error::invalid_state(format!(
                "{} is unavailable. You cannot perform this operation on an unavailable KMS key.",
                key.arn
            )));
        }
        Ok(())
    }

    /// Fails when `key` is pending deletion (for management operations AWS refuses then).
    pub(crate) fn check_not_pending_deletion(&self, key: &KeyRecord) -> Result<(), AwsError> {
        if key.state == KeyState::PendingDeletion {
            return Err(crate::error::invalid_state(format!("{} is pending deletion.", key.arn)));
        }
        Ok(())
    }

    /// Fails unless `key` has `usage`, naming the operation as AWS does.
    pub(crate) fn check_usage(&self, key: &KeyRecord, usage: &str, operation: &str) -> Result<(), AwsError> {
        if key.key_usage != usage {
            return Err(crate::error::invalid_key_usage(format!(
                "{} key usage is {} which is not valid for {operation}.",
                key.arn, key.key_usage
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        assert_eq!(KeyName::parse("alias/x").unwrap(), KeyName::Alias("alias/x".into()));
        assert_eq!(
            KeyName::parse("arn:aws:kms:us-east-1:111122223333:alias/x").unwrap(),
            KeyName::AliasArn { account: "111122223333".into(), name: "alias/x".into() }
        );
        assert_eq!(
            KeyName::parse("arn:aws:kms:us-east-1:111122223333:key/abc").unwrap(),
            KeyName::KeyArn { account: "111122223333".into(), id: "abc".into() }
        );
        assert!(KeyName::parse("arn:aws:s3:::bucket").is_err());
        assert!(is_key_id("1234abcd-12ab-34cd-56ef-1234567890ab"));
        assert!(!is_key_id("1234abcd-12ab-34cd-56ef-1234567890aZ"));
    }
}
