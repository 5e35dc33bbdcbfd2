//! Accounts and their access keys as stored, and first-start bootstrap of the root account.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use rampart_core::AwsError;
use rampart_core::ids::{AccountId, new_access_key_id, new_secret_access_key};
use rampart_crypto::Keystore;
use rampart_store::{Store, StoreExt, Txn, TxnExt};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use zeroize::Zeroizing;

/// Table of accounts, keyed by account id.
pub const ACCOUNTS: &str = "accounts";
/// Table of access keys, keyed by access key id.
pub const ACCESS_KEYS: &str = "access_keys";
/// Table of singletons (`root_account`).
pub const META: &str = "meta";

/// An account as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountRecord {
    /// The 12-digit id.
    pub account_id: AccountId,
    /// When it was created (RFC 3339).
    pub created: String,
}

/// Whether a key may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyStatus {
    /// Usable.
    Active,
    /// Refused, but kept.
    Inactive,
}

/// An access key as stored: the secret only ever sealed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessKeyRecord {
    /// The key id.
    pub access_key_id: String,
    /// The owning account.
    pub account_id: AccountId,
    /// The owning IAM user; `None` for the root user.
    pub user_name: Option<String>,
    /// Active or inactive.
    pub status: KeyStatus,
    /// When it was created (RFC 3339).
    pub create_date: String,
    /// The secret, sealed by the keystore for purpose [`secret_purpose`] (base64).
    pub sealed_secret: String,
}

/// The keystore purpose an access key's secret is sealed for: binds the sealed blob to its key id.
pub fn secret_purpose(access_key_id: &str) -> Vec<u8> {
    format!("rampart/iam/access-key/{access_key_id}").into_bytes()
}

/// Seals `secret` for `access_key_id`.
pub fn seal_secret(keystore: &dyn Keystore, access_key_id: &str, secret: &str) -> Result<String, AwsError> {
    let sealed = keystore.seal(&secret_purpose(access_key_id), secret.as_bytes()).map_err(|e| {
        tracing::error!(error = %e, "cannot seal secret");
        AwsError::internal()
    })?;
    Ok(B64.encode(sealed))
}

/// Opens the secret of `access_key_id`, sealed (base64) by [`seal_secret`].
pub fn open_secret(
    keystore: &dyn Keystore,
    access_key_id: &str,
    sealed_secret: &str,
) -> Result<Zeroizing<String>, AwsError> {
    let fail = |what: &str| {
        tracing::error!(access_key_id = %access_key_id, "{what}");
        AwsError::internal()
    };
    let sealed = B64.decode(sealed_secret).map_err(|_| fail("sealed secret is not base64"))?;
    let plain = keystore
        .open(&secret_purpose(access_key_id), &sealed)
        .map_err(|_| fail("sealed secret failed authentication"))?;
    String::from_utf8(plain.to_vec()).map(Zeroizing::new).map_err(|_| fail("secret is not UTF-8"))
}

/// RFC 3339 time, second precision, as IAM reports dates.
pub fn iso_now() -> String {
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap_or_else(|_| OffsetDateTime::now_utc());
    now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// What start-up may impose on the root account.
#[derive(Debug, Default)]
pub struct BootstrapOptions {
    /// The account id to create (`RAMPART_ACCOUNT_ID`); ignored if an account exists and equal.
    pub account_id: Option<AccountId>,
    /// A root access key to install (`RAMPART_ROOT_ACCESS_KEY_ID` / `..._SECRET_ACCESS_KEY`).
    pub root_key: Option<(String, Zeroizing<String>)>,
}

/// The root account after bootstrap.
#[derive(Debug)]
pub struct RootAccount {
    /// Its id.
    pub account_id: AccountId,
    /// Its access key id.
    pub access_key_id: String,
    /// Its secret, when bootstrap created or installed it (to write the credentials file).
    pub new_secret: Option<Zeroizing<String>>,
}

/// Creates the root account and its access key on first start; on later starts, finds them.
pub fn bootstrap(store: &dyn Store, keystore: &dyn Keystore, opts: BootstrapOptions) -> Result<RootAccount, AwsError> {
    if let Some((id, secret)) = &opts.root_key {
        if !(16..=128).contains(&id.len()) || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(AwsError::validation(format!(
                "RAMPART_ROOT_ACCESS_KEY_ID `{id}` must be 16 to 128 letters and digits"
            )));
        }
        if secret.len() < 16 {
            return Err(AwsError::validation("RAMPART_ROOT_SECRET_ACCESS_KEY must be at least 16 characters"));
        }
    }
    // Decided inside one transaction, so nodes starting at once on an empty shared store agree
    // on one account and one root key (the losers of the race re-run and find them).
    let key_given = opts.root_key.is_some();
    let candidate_account = opts.account_id.clone().unwrap_or_else(AccountId::generate);
    let (candidate_key, secret) = match opts.root_key {
        Some((id, secret)) => (id, secret),
        None => (new_access_key_id(), new_secret_access_key()),
    };
    let sealed = seal_secret(keystore, &candidate_key, &secret)?;

    let (account_id, access_key_id, fresh) = store.transact(|t| {
        let existing: Option<AccountId> = t.get_json(META, "root_account")?;
        let account_id = match (existing, &opts.account_id) {
            (Some(have), Some(want)) if &have != want => {
                return Err(AwsError::validation(format!(
                    "this store belongs to account {have}; RAMPART_ACCOUNT_ID={want} cannot change it"
                )));
            }
            (Some(have), _) => have,
            (None, _) => {
                t.insert_json(
                    ACCOUNTS,
                    candidate_account.as_str(),
                    &AccountRecord { account_id: candidate_account.clone(), created: iso_now() },
                )?;
                t.put_json(META, "root_account", &candidate_account)?;
                candidate_account.clone()
            }
        };
        let current: Option<String> = t.get_json(META, "root_access_key")?;
        let (access_key_id, fresh) = match current {
            Some(id) if !key_given => (id, false),
            _ => (candidate_key.clone(), true),
        };
        if fresh {
            let existing = t.get_json::<AccessKeyRecord>(ACCESS_KEYS, &access_key_id)?;
            if existing.is_some_and(|other| other.user_name.is_some() || other.account_id != account_id) {
                return Err(AwsError::validation(format!(
                    "access key id `{access_key_id}` already belongs to another principal"
                )));
            }
            put_root_key(t, &account_id, &access_key_id, &sealed)?;
            t.put_json(META, "root_access_key", &access_key_id)?;
        }
        Ok((account_id, access_key_id, fresh))
    })?;
    Ok(RootAccount { account_id, access_key_id, new_secret: fresh.then_some(secret) })
}

/// Stores an active root access key of `account_id` (secret already sealed) and indexes it.
fn put_root_key(t: &mut dyn Txn, account_id: &AccountId, access_key_id: &str, sealed: &str) -> Result<(), AwsError> {
    let record = AccessKeyRecord {
        access_key_id: access_key_id.to_owned(),
        account_id: account_id.clone(),
        user_name: None,
        status: KeyStatus::Active,
        create_date: iso_now(),
        sealed_secret: sealed.to_owned(),
    };
    t.put_json(ACCESS_KEYS, access_key_id, &record)?;
    crate::api::index_root_key(t, account_id, access_key_id)
}

/// Creates another account with its own root access key (`rampart account create`); the root
/// account of the data directory is unchanged.
pub fn create_account(
    store: &dyn Store,
    keystore: &dyn Keystore,
    account_id: Option<AccountId>,
) -> Result<RootAccount, AwsError> {
    let account_id = account_id.unwrap_or_else(AccountId::generate);
    let access_key_id = new_access_key_id();
    let secret = new_secret_access_key();
    let sealed = seal_secret(keystore, &access_key_id, &secret)?;
    store.transact(|t| {
        if !t.insert_json(
            ACCOUNTS,
            account_id.as_str(),
            &AccountRecord { account_id: account_id.clone(), created: iso_now() },
        )? {
            return Err(AwsError::new("EntityAlreadyExists", 409, format!("account {account_id} already exists")));
        }
        put_root_key(t, &account_id, &access_key_id, &sealed)?;
        Ok(())
    })?;
    Ok(RootAccount { account_id, access_key_id, new_secret: Some(secret) })
}
