//! The credential interface: how the pipeline turns an access key id into a secret and a
//! principal without knowing where IAM keeps them.

use crate::AwsError;
use crate::principal::Principal;
use aws_lc_rs::hmac;
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;
use zeroize::Zeroizing;

/// A usable credential: the secret to check signatures with and the principal it stands for.
///
/// The secret never leaves this struct except as a borrowed slice for key derivation; it is
/// zeroized when the last reference drops.
pub struct Credential {
    principal: Arc<Principal>,
    secret: Zeroizing<String>,
    session_token_sha256: Option<[u8; 32]>,
    expires_at: Option<OffsetDateTime>,
    signing_key: Mutex<Option<CachedSigningKey>>,
}

/// A SigV4 signing key derived for one credential scope (`date/region/service`), kept as a
/// ready HMAC key so that a request costs no key setup.
struct CachedSigningKey {
    date: String,
    region: String,
    service: String,
    key: Arc<hmac::Key>,
}

impl Credential {
    /// A credential for `principal`. Temporary credentials carry the SHA-256 of their session
    /// token (the token itself is never kept) and their expiry.
    pub fn new(
        principal: Arc<Principal>,
        secret: Zeroizing<String>,
        session_token_sha256: Option<[u8; 32]>,
        expires_at: Option<OffsetDateTime>,
    ) -> Self {
        Self { principal, secret, session_token_sha256, expires_at, signing_key: Mutex::new(None) }
    }

    /// The principal the credential authenticates as.
    pub fn principal(&self) -> &Arc<Principal> {
        &self.principal
    }

    /// The secret access key.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// Whether `given` is the right session token: none for long-term keys, the issued one
    /// (compared by hash, in constant time) for temporary credentials.
    pub fn session_token_matches(&self, given: Option<&str>) -> bool {
        match (&self.session_token_sha256, given) {
            (None, None) => true,
            (Some(expected), Some(token)) => {
                let h = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
                aws_lc_rs::constant_time::verify_slices_are_equal(h.as_ref(), expected).is_ok()
            }
            _ => false,
        }
    }

    /// Whether these are temporary credentials.
    pub fn is_temporary(&self) -> bool {
        self.session_token_sha256.is_some()
    }

    /// When temporary credentials stop working.
    pub fn expires_at(&self) -> Option<OffsetDateTime> {
        self.expires_at
    }

    /// The HMAC key that signs requests for the scope `date/region/service`, derived by
    /// `derive` on a cache miss. One slot per credential: clients sign with one scope at a time,
    /// and a new day re-derives once.
    pub fn signing_key(
        &self,
        date: &str,
        region: &str,
        service: &str,
        derive: impl FnOnce() -> [u8; 32],
    ) -> Arc<hmac::Key> {
        let mut slot = self.signing_key.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = slot.as_ref().filter(|c| c.date == date && c.region == region && c.service == service) {
            return Arc::clone(&c.key);
        }
        let raw = Zeroizing::new(derive());
        let key = Arc::new(hmac::Key::new(hmac::HMAC_SHA256, raw.as_ref()));
        *slot = Some(CachedSigningKey {
            date: date.to_owned(),
            region: region.to_owned(),
            service: service.to_owned(),
            key: Arc::clone(&key),
        });
        key
    }
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("principal", &self.principal.arn)
            .field("secret", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Looks up access keys. Implemented by IAM; consulted by the pipeline on every signed call.
pub trait CredentialProvider: Send + Sync + 'static {
    /// The active credential for `access_key_id`, or `None` when no active key has that id
    /// (unknown, inactive and deleted keys are all `None`: AWS answers them alike).
    fn lookup(&self, access_key_id: &str) -> Result<Option<Arc<Credential>>, AwsError>;

    /// Notes that `access_key_id` just authenticated a call to `service` in `region`
    /// (`GetAccessKeyLastUsed`). Called on every authenticated call: keep it cheap.
    fn record_use(&self, _access_key_id: &str, _service: &str, _region: &str) {}
}
