//! Identifiers AWS clients expect: account ids, access key ids, unique ids, request ids.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use std::fmt;

/// A 12-digit AWS account id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccountId(String);

impl AccountId {
    /// Parses a 12-digit account id.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!("`{s}` is not a 12-digit AWS account id"))
        }
    }

    /// A fresh random account id (never starting with 0, as AWS ids in practice do not).
    pub fn generate() -> Self {
        let mut bytes = [0u8; 12];
        fill_random(&mut bytes);
        let digits: String = bytes
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let d = if i == 0 { 1 + b % 9 } else { b % 10 };
                char::from(b'0' + d)
            })
            .collect();
        Self(digits)
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for AccountId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl From<AccountId> for String {
    fn from(a: AccountId) -> String {
        a.0
    }
}

/// Fills `buf` from the operating system's CSPRNG.
///
/// # Panics
/// If the operating system cannot supply randomness, which leaves nothing safe to do.
pub fn fill_random(buf: &mut [u8]) {
    SystemRandom::new().fill(buf).expect("the system random number generator failed");
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// `prefix` followed by random base-32 characters up to `len` characters in all: the shape of
/// AWS access key ids (`AKIA...`, `ASIA...`) and unique ids (`AIDA...`, `AROA...`).
pub fn prefixed_id(prefix: &str, len: usize) -> String {
    let mut bytes = vec![0u8; len.saturating_sub(prefix.len())];
    fill_random(&mut bytes);
    let mut out = String::with_capacity(len);
    out.push_str(prefix);
    out.extend(bytes.iter().map(|b| char::from(BASE32[usize::from(b % 32)])));
    out
}

/// A new long-term access key id (`AKIA` + 16 characters).
pub fn new_access_key_id() -> String {
    prefixed_id("AKIA", 20)
}

/// A new secret access key: 40 characters of the base-64 alphabet AWS uses.
pub fn new_secret_access_key() -> zeroize::Zeroizing<String> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bytes = zeroize::Zeroizing::new([0u8; 40]);
    fill_random(bytes.as_mut());
    zeroize::Zeroizing::new(bytes.iter().map(|b| char::from(ALPHABET[usize::from(b % 64)])).collect())
}

/// A request id in the UUID form AWS uses (`x-amzn-RequestId`); also used for event ids.
///
/// Ids must be unique and unpredictable, not secret. Drawing 16 bytes from the system CSPRNG
/// for every id was the largest single cost of a request, so an id is built from a per-process
/// counter: the high half is a keyed PRF of it (SipHash-1-3, the standard library's hasher,
/// keyed from OS randomness once per process), the low half the counter masked by a random
/// per-process value, which keeps ids of one process distinct by construction.
pub fn new_request_id() -> String {
    use std::collections::hash_map::RandomState;
    use std::hash::BuildHasher;
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static KEY: OnceLock<(RandomState, u64)> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let (prf, mask) = KEY.get_or_init(|| {
        let mut m = [0u8; 8];
        fill_random(&mut m);
        (RandomState::new(), u64::from_le_bytes(m))
    });
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&prf.hash_one(n).to_be_bytes());
    b[8..].copy_from_slice(&(n ^ mask).to_be_bytes());
    // UUID version 4 and variant bits; the variant overwrites the low half's top two bits,
    // which stay distinct for the first 2^62 ids.
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let mut out = String::with_capacity(36);
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 15)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_are_twelve_digits() {
        for _ in 0..100 {
            let a = AccountId::generate();
            assert!(AccountId::parse(a.as_str()).is_ok());
            assert!(!a.as_str().starts_with('0'));
        }
        assert!(AccountId::parse("12345678901").is_err());
        assert!(AccountId::parse("12345678901a").is_err());
    }

    #[test]
    fn access_key_shape() {
        let k = new_access_key_id();
        assert_eq!(k.len(), 20);
        assert!(k.starts_with("AKIA"));
        assert!(k.bytes().all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)));
        assert_eq!(new_secret_access_key().len(), 40);
    }

    #[test]
    fn request_id_is_uuid_v4_and_unique() {
        let r = new_request_id();
        assert_eq!(r.len(), 36);
        assert_eq!(&r[14..15], "4");
        assert!(matches!(&r[19..20], "8" | "9" | "a" | "b"));
        let ids: std::collections::HashSet<String> = (0..100_000).map(|_| new_request_id()).collect();
        assert_eq!(ids.len(), 100_000);
    }
}
