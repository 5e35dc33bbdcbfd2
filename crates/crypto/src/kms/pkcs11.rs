//! The HSM keystore: KMS keys generated inside a PKCS#11 token as sensitive, non-extractable
//! objects, and every operation on them run by the token.
//!
//! A token is reached through a module (shared library) and chosen by its label; Rampart logs in
//! as the token's user with its PIN. Each KMS key's material is one AES-256 secret-key object
//! whose `CKA_LABEL` and `CKA_ID` are the object name Rampart stores; the key bytes never leave
//! the token (`CKA_SENSITIVE`, `CKA_EXTRACTABLE = false`), so nothing Rampart writes holds them.

use super::gcm::{NONCE_LEN, TAG_LEN};
use super::{VaultError, random_bytes};
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::object::{Attribute, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use zeroize::Zeroizing;

/// Why connecting to a token failed, in the terms of AWS's `ConnectionErrorCode`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    /// No PKCS#11 module is configured, or it cannot be loaded (`NETWORK_ERRORS`).
    #[error("the PKCS#11 module cannot be used: {0}")]
    Module(String),
    /// No token has that label (`CLUSTER_NOT_FOUND`).
    #[error("no token labelled `{0}`")]
    TokenNotFound(String),
    /// The PIN is wrong (`INVALID_CREDENTIALS`).
    #[error("the token rejected the PIN")]
    InvalidCredentials,
    /// The PIN is locked (`USER_LOCKED_OUT`).
    #[error("the token's user PIN is locked")]
    Locked,
    /// Anything else (`INTERNAL_ERROR`).
    #[error("token error: {0}")]
    Other(String),
}

impl ConnectError {
    /// AWS's `ConnectionErrorCode` for this failure.
    pub fn aws_code(&self) -> &'static str {
        match self {
            Self::Module(_) => "NETWORK_ERRORS",
            Self::TokenNotFound(_) => "CLUSTER_NOT_FOUND",
            Self::InvalidCredentials => "INVALID_CREDENTIALS",
            Self::Locked => "USER_LOCKED_OUT",
            Self::Other(_) => "INTERNAL_ERROR",
        }
    }
}

/// Loaded modules, one context per module for the life of the process (`C_Initialize` may be
/// called only once per module).
fn module(path: &Path) -> Result<Pkcs11, ConnectError> {
    static MODULES: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    let mut modules = MODULES.get_or_init(Mutex::default).lock().unwrap_or_else(|p| p.into_inner());
    if let Some(m) = modules.get(path) {
        return Ok(m.clone());
    }
    let ctx = Pkcs11::new(path).map_err(|e| ConnectError::Module(format!("{}: {e}", path.display())))?;
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => return Err(ConnectError::Module(format!("{}: {e}", path.display()))),
    }
    modules.insert(path.to_owned(), ctx.clone());
    Ok(ctx)
}

fn find_slot(ctx: &Pkcs11, label: &str) -> Result<Slot, ConnectError> {
    let slots = ctx.get_slots_with_initialized_token().map_err(|e| ConnectError::Other(e.to_string()))?;
    for slot in slots {
        if let Ok(info) = ctx.get_token_info(slot)
            && info.label().trim_end() == label
        {
            return Ok(slot);
        }
    }
    Err(ConnectError::TokenNotFound(label.to_owned()))
}

/// Checks that `module` has an initialized token labelled `label`, without logging in.
pub fn token_exists(module_path: &Path, label: &str) -> Result<(), ConnectError> {
    find_slot(&module(module_path)?, label).map(drop)
}

fn token_error(e: CkError) -> VaultError {
    VaultError::Unavailable(format!("HSM: {e}"))
}

/// A logged-in connection to one token.
pub struct Pkcs11Token {
    ctx: Pkcs11,
    slot: Slot,
    /// Idle sessions (a session may be used by one thread at a time).
    sessions: Mutex<Vec<Session>>,
    /// Object handles by object name, found once.
    handles: Mutex<HashMap<String, ObjectHandle>>,
}

impl std::fmt::Debug for Pkcs11Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11Token").field("slot", &self.slot).finish_non_exhaustive()
    }
}

impl Pkcs11Token {
    /// Connects to the token labelled `label` through `module_path` and logs in with `pin`.
    pub fn connect(module_path: &Path, label: &str, pin: &str) -> Result<Self, ConnectError> {
        let ctx = module(module_path)?;
        let slot = find_slot(&ctx, label)?;
        let session = ctx.open_rw_session(slot).map_err(|e| ConnectError::Other(e.to_string()))?;
        match session.login(UserType::User, Some(&AuthPin::from(pin.to_owned()))) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
            Err(CkError::Pkcs11(RvError::PinIncorrect | RvError::PinInvalid | RvError::PinLenRange, _)) => {
                return Err(ConnectError::InvalidCredentials);
            }
            Err(CkError::Pkcs11(RvError::PinLocked, _)) => return Err(ConnectError::Locked),
            Err(e) => return Err(ConnectError::Other(e.to_string())),
        }
        Ok(Self { ctx, slot, sessions: Mutex::new(vec![session]), handles: Mutex::default() })
    }

    /// Logs out and closes every session.
    pub fn disconnect(&self) {
        let sessions = std::mem::take(&mut *self.sessions.lock().unwrap_or_else(|p| p.into_inner()));
        if let Some(s) = sessions.first() {
            let _ = s.logout();
        }
        self.handles.lock().unwrap_or_else(|p| p.into_inner()).clear();
        drop(sessions);
    }

    fn with_session<T>(&self, f: impl FnOnce(&Session) -> Result<T, VaultError>) -> Result<T, VaultError> {
        let session = self.sessions.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let session = match session {
            Some(s) => s,
            None => self.ctx.open_rw_session(self.slot).map_err(token_error)?,
        };
        let out = f(&session);
        self.sessions.lock().unwrap_or_else(|p| p.into_inner()).push(session);
        out
    }

    fn handle(&self, session: &Session, name: &str) -> Result<ObjectHandle, VaultError> {
        if let Some(h) = self.handles.lock().unwrap_or_else(|p| p.into_inner()).get(name) {
            return Ok(*h);
        }
        let found = session
            .find_objects(&[Attribute::Class(ObjectClass::SECRET_KEY), Attribute::Label(name.as_bytes().to_vec())])
            .map_err(token_error)?;
        let h = *found.first().ok_or(VaultError::Destroyed)?;
        self.handles.lock().unwrap_or_else(|p| p.into_inner()).insert(name.to_owned(), h);
        Ok(h)
    }

    /// Runs `op` on the object `name`, looking its handle up again once if the cached one went
    /// stale (the object was destroyed or the token re-enumerated).
    fn on_object<T>(
        &self,
        name: &str,
        op: impl Fn(&Session, ObjectHandle) -> Result<T, CkError>,
    ) -> Result<T, VaultError> {
        self.with_session(|s| {
            let h = self.handle(s, name)?;
            match op(s, h) {
                Ok(v) => Ok(v),
                Err(CkError::Pkcs11(RvError::ObjectHandleInvalid | RvError::KeyHandleInvalid, _)) => {
                    self.handles.lock().unwrap_or_else(|p| p.into_inner()).remove(name);
                    let h = self.handle(s, name)?;
                    op(s, h).map_err(map_op_error)
                }
                Err(e) => Err(map_op_error(e)),
            }
        })
    }

    /// Generates an AES-256 key named `name` inside the token: a token object, private,
    /// sensitive and never extractable, usable only to encrypt and decrypt.
    pub fn generate_aes_key(&self, name: &str) -> Result<(), VaultError> {
        let template = [
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::ValueLen(32.into()),
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Encrypt(true),
            Attribute::Decrypt(true),
            Attribute::Wrap(false),
            Attribute::Unwrap(false),
            Attribute::Derive(false),
            Attribute::Label(name.as_bytes().to_vec()),
            Attribute::Id(name.as_bytes().to_vec()),
        ];
        let h = self.with_session(|s| s.generate_key(&Mechanism::AesKeyGen, &template).map_err(token_error))?;
        self.handles.lock().unwrap_or_else(|p| p.into_inner()).insert(name.to_owned(), h);
        Ok(())
    }

    /// AES-256-GCM encryption by the token under a fresh random nonce; returns the nonce and
    /// the ciphertext followed by its tag.
    pub fn encrypt(&self, name: &str, aad: &[u8], plaintext: &[u8]) -> Result<([u8; NONCE_LEN], Vec<u8>), VaultError> {
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&random_bytes(NONCE_LEN)?);
        Ok((nonce, self.encrypt_with_nonce(name, &nonce, aad, plaintext)?))
    }

    /// AES-256-GCM encryption by the token under `nonce`, which the caller must draw fresh from
    /// a CSPRNG for every call.
    pub fn encrypt_with_nonce(
        &self,
        name: &str,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, VaultError> {
        self.on_object(name, |s, h| {
            let mut iv = *nonce;
            let params = GcmParams::new(&mut iv, aad, (TAG_LEN as u64 * 8).into())?;
            s.encrypt(&Mechanism::AesGcm(params), h, plaintext)
        })
    }

    /// AES-256-GCM decryption by the token. Fails with [`VaultError::Unauthentic`] when the
    /// ciphertext, nonce or associated data differ.
    pub fn decrypt(
        &self,
        name: &str,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        if ciphertext.len() < TAG_LEN {
            return Err(VaultError::Unauthentic);
        }
        let out = self.on_object(name, |s, h| {
            let mut iv = *nonce;
            let params = GcmParams::new(&mut iv, aad, (TAG_LEN as u64 * 8).into())?;
            match s.decrypt(&Mechanism::AesGcm(params), h, ciphertext) {
                // SoftHSM reports a GCM tag mismatch as CKR_GENERAL_ERROR or
                // CKR_FUNCTION_FAILED rather than CKR_ENCRYPTED_DATA_INVALID.
                Err(CkError::Pkcs11(RvError::GeneralError | RvError::FunctionFailed, f)) => {
                    Err(CkError::Pkcs11(RvError::EncryptedDataInvalid, f))
                }
                other => other,
            }
        });
        out.map(Zeroizing::new)
    }

    /// Random bytes from the token's generator.
    pub fn random(&self, n: usize) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let mut out = Zeroizing::new(vec![0u8; n]);
        self.with_session(|s| s.generate_random_slice(&mut out).map_err(token_error))?;
        Ok(out)
    }

    /// Whether the token holds an object named `name`.
    pub fn has_object(&self, name: &str) -> Result<bool, VaultError> {
        self.with_session(|s| match self.handle(s, name) {
            Ok(_) => Ok(true),
            Err(VaultError::Destroyed) => Ok(false),
            Err(e) => Err(e),
        })
    }

    /// Destroys the object `name` in the token. Idempotent.
    pub fn destroy(&self, name: &str) -> Result<(), VaultError> {
        self.with_session(|s| {
            self.handles.lock().unwrap_or_else(|p| p.into_inner()).remove(name);
            let found = s.find_objects(&[Attribute::Label(name.as_bytes().to_vec())]).map_err(token_error)?;
            for h in found {
                s.destroy_object(h).map_err(token_error)?;
            }
            Ok(())
        })
    }
}

fn map_op_error(e: CkError) -> VaultError {
    match e {
        CkError::Pkcs11(RvError::EncryptedDataInvalid | RvError::EncryptedDataLenRange, _) => VaultError::Unauthentic,
        CkError::Pkcs11(RvError::ObjectHandleInvalid | RvError::KeyHandleInvalid, _) => VaultError::Destroyed,
        CkError::Pkcs11(RvError::UserNotLoggedIn | RvError::SessionHandleInvalid | RvError::TokenNotPresent, _) => {
            VaultError::Unavailable("the HSM session is no longer logged in".into())
        }
        other => token_error(other),
    }
}

impl Drop for Pkcs11Token {
    fn drop(&mut self) {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}
