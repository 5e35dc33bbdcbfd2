//! The ciphertext blob of symmetric keys: self-describing, so `Decrypt` needs no key id and a
//! rotated key still finds the material an old ciphertext was made with.
//!
//! ```text
//! "RKC" 0x01 | len(key id) u8 | key id | material id (32 bytes) | nonce (12) | ciphertext | tag (16)
//! ```
//!
//! AES-256-GCM authenticates everything before the ciphertext (so the header cannot be
//! re-pointed at another key or version) followed by the canonical encoding of the encryption
//! context: a wrong, missing or extra context pair fails authentication.

use crate::error::invalid_ciphertext;
use crate::input::EncryptionContext;
use rampart_core::AwsError;

const MAGIC: &[u8; 4] = b"RKC\x01";
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// A parsed ciphertext blob.
#[derive(Debug)]
pub struct Blob<'a> {
    /// The key id it was made with.
    pub key_id: &'a str,
    /// The material id (hex) it was made with.
    pub material_id: String,
    /// The nonce.
    pub nonce: [u8; NONCE_LEN],
    /// The authenticated header.
    pub header: &'a [u8],
    /// Ciphertext followed by the tag.
    pub sealed: &'a [u8],
}

/// The header of a new blob for `key_id` and `material_id` (hex), with `nonce`.
pub fn header(key_id: &str, material_id: &str, nonce: &[u8; NONCE_LEN]) -> Result<Vec<u8>, AwsError> {
    let mut material = [0u8; 32];
    hex::decode_to_slice(material_id, &mut material).map_err(crate::error::internal)?;
    let id = key_id.as_bytes();
    let id_len = u8::try_from(id.len()).map_err(crate::error::internal)?;
    let mut out = Vec::with_capacity(MAGIC.len() + 1 + id.len() + material.len() + NONCE_LEN);
    out.extend_from_slice(MAGIC);
    out.push(id_len);
    out.extend_from_slice(id);
    out.extend_from_slice(&material);
    out.extend_from_slice(nonce);
    Ok(out)
}

/// Parses a blob; any malformation is `InvalidCiphertextException`.
pub fn parse(blob: &[u8]) -> Result<Blob<'_>, AwsError> {
    if blob.len() < MAGIC.len() + 1 || &blob[..MAGIC.len()] != MAGIC {
        return Err(invalid_ciphertext());
    }
    let id_len = usize::from(blob[MAGIC.len()]);
    let id_start = MAGIC.len() + 1;
    let header_len = id_start + id_len + 32 + NONCE_LEN;
    if blob.len() < header_len + TAG_LEN {
        return Err(invalid_ciphertext());
    }
    let key_id = std::str::from_utf8(&blob[id_start..id_start + id_len]).map_err(|_| invalid_ciphertext())?;
    let mut material_hex = [0u8; 64];
    hex::encode_to_slice(&blob[id_start + id_len..id_start + id_len + 32], &mut material_hex)
        .expect("twice the length");
    let material_id = String::from_utf8(material_hex.to_vec()).expect("hex digits are ASCII");
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(&blob[header_len - NONCE_LEN..header_len]);
    Ok(Blob { key_id, material_id, nonce, header: &blob[..header_len], sealed: &blob[header_len..] })
}

/// Blobs (as base64 text) at most this long are read whole by [`key_id_in_base64`].
const SHORT_TEXT: usize = 512;

/// The key id of a blob carried as base64 `text` (as in a request), or `None` when it is not a
/// blob of this format (an RSA ciphertext, garbage): what [`parse`] would find, read from only
/// as much of the text as the header needs. Authorization learns which key a `Decrypt` is for
/// without decoding the whole ciphertext, which the handler gets decoded with its typed input.
/// `Err(())` when the text read is not base64.
#[allow(clippy::result_unit_err)]
pub fn key_id_in_base64(text: &str) -> Result<Option<String>, ()> {
    use base64::Engine;
    let b64 = &base64::engine::general_purpose::STANDARD;
    if text.len() <= SHORT_TEXT {
        let blob = b64.decode(text).map_err(drop)?;
        return Ok(parse(&blob).ok().map(|p| p.key_id.to_owned()));
    }
    // Longer than SHORT_TEXT, so the prefixes read below hold whole groups of four characters
    // and no padding.
    let head = b64.decode(&text[..8]).map_err(drop)?;
    if &head[..MAGIC.len()] != MAGIC {
        return Ok(None);
    }
    let id_len = usize::from(head[MAGIC.len()]);
    let id_start = MAGIC.len() + 1;
    let padding = text.bytes().rev().take_while(|&b| b == b'=').count().min(2);
    let blob_len = (text.len() / 4 * 3).saturating_sub(padding);
    if blob_len < id_start + id_len + 32 + NONCE_LEN + TAG_LEN {
        return Ok(None);
    }
    let prefix = (id_start + id_len).div_ceil(3) * 4;
    let bytes = b64.decode(&text[..prefix]).map_err(drop)?;
    Ok(std::str::from_utf8(&bytes[id_start..id_start + id_len]).ok().map(str::to_owned))
}

/// The associated data: the header, then the encryption context as length-prefixed UTF-8
/// pairs in key order (unambiguous: no two contexts encode alike).
pub fn aad(header: &[u8], context: &EncryptionContext) -> Vec<u8> {
    let mut out =
        Vec::with_capacity(header.len() + 4 + context.iter().map(|(k, v)| 8 + k.len() + v.len()).sum::<usize>());
    out.extend_from_slice(header);
    out.extend_from_slice(&(context.len() as u32).to_be_bytes());
    for (k, v) in context {
        out.extend_from_slice(&(k.len() as u32).to_be_bytes());
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(&(v.len() as u32).to_be_bytes());
        out.extend_from_slice(v.as_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips_and_garbage_is_invalid() {
        let mid = "ab".repeat(32);
        let h = header("1234abcd-12ab-34cd-56ef-1234567890ab", &mid, &[7; 12]).unwrap();
        let mut blob = h.clone();
        blob.extend_from_slice(&[0u8; 20]);
        let p = parse(&blob).unwrap();
        assert_eq!(p.key_id, "1234abcd-12ab-34cd-56ef-1234567890ab");
        assert_eq!(p.material_id, mid);
        assert_eq!(p.nonce, [7; 12]);
        assert_eq!(p.header, &h[..]);
        assert_eq!(p.sealed.len(), 20);
        for bad in [&b""[..], b"RKC", b"RKC\x01\xff", &blob[..h.len() + 3]] {
            assert_eq!(parse(bad).unwrap_err().code(), "InvalidCiphertextException");
        }
    }

    #[test]
    fn the_key_id_is_read_from_the_base64_header_alone() {
        use base64::Engine;
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        let mid = "ab".repeat(32);
        let id = "1234abcd-12ab-34cd-56ef-1234567890ab";
        let h = header(id, &mid, &[7; 12]).unwrap();
        for body in [20, 400, 1024, 1025, 1026, 4096] {
            let mut blob = h.clone();
            blob.extend((0..body).map(|i| i as u8));
            let text = b64(&blob);
            assert_eq!(key_id_in_base64(&text), Ok(Some(id.to_owned())), "{body}");
            assert_eq!(key_id_in_base64(&text), Ok(parse(&blob).ok().map(|p| p.key_id.to_owned())));
            let mut bad = text.clone();
            bad.replace_range(2..3, "!");
            assert_eq!(key_id_in_base64(&bad), Err(()));
        }
        let rsa = b64(&[0x5a; 512]);
        assert_eq!(key_id_in_base64(&rsa), Ok(None));
        let mut truncated = h.clone();
        truncated[4] = 200;
        truncated.extend([0; 600]);
        assert_eq!(key_id_in_base64(&b64(&truncated)), Ok(None));
    }

    #[test]
    fn context_encoding_is_unambiguous() {
        let a: EncryptionContext = [("ab".to_string(), "c".to_string())].into();
        let b: EncryptionContext = [("a".to_string(), "bc".to_string())].into();
        assert_ne!(aad(b"h", &a), aad(b"h", &b));
        assert_ne!(aad(b"h", &EncryptionContext::new()), aad(b"h", &a));
    }
}
