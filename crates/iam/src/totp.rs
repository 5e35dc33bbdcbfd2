//! Time-based one-time passwords (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits), as virtual MFA
//! apps produce them.

use aws_lc_rs::hmac;

/// Seconds per step.
pub const STEP: i64 = 30;

/// The 6-digit code for time step `step` under `seed`.
pub fn code_at(seed: &[u8], step: u64) -> u32 {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, seed);
    let tag = hmac::sign(&key, &step.to_be_bytes());
    let h = tag.as_ref();
    let offset = usize::from(h[h.len() - 1] & 0x0f);
    let bin = (u32::from(h[offset]) & 0x7f) << 24
        | u32::from(h[offset + 1]) << 16
        | u32::from(h[offset + 2]) << 8
        | u32::from(h[offset + 3]);
    bin % 1_000_000
}

/// The time step of unix time `unix`.
pub fn step_of(unix: i64) -> u64 {
    u64::try_from(unix.div_euclid(STEP)).unwrap_or(0)
}

/// The step within one step of `now_step` whose code is `code`, never one at or before
/// `last_step` (a code is accepted once). Compares in constant time.
pub fn matching_step(seed: &[u8], code: &str, now_step: u64, last_step: u64) -> Option<u64> {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut found = None;
    for step in [now_step.saturating_sub(1), now_step, now_step + 1] {
        let expected = format!("{:06}", code_at(seed, step));
        let equal = aws_lc_rs::constant_time::verify_slices_are_equal(expected.as_bytes(), code.as_bytes()).is_ok();
        if equal && step > last_step && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// RFC 4648 base-32 (no padding), the form authenticator apps take seeds in.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            out.push(char::from(ALPHABET[((buffer >> (bits - 5)) & 31) as usize]));
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 appendix B, SHA-1 rows (8-digit codes there; the last 6 digits are ours).
    #[test]
    fn rfc6238_vectors() {
        let seed = b"12345678901234567890";
        for (t, code) in [
            (59, 94_287_082u32),
            (1_111_111_109, 7_081_804),
            (1_111_111_111, 14_050_471),
            (1_234_567_890, 89_005_924),
            (2_000_000_000, 69_279_037),
        ] {
            assert_eq!(code_at(seed, step_of(t)), code % 1_000_000, "t={t}");
        }
    }

    #[test]
    fn codes_are_single_use_and_windowed() {
        let seed = b"12345678901234567890";
        let now = step_of(1_234_567_890);
        let code = format!("{:06}", code_at(seed, now));
        assert_eq!(matching_step(seed, &code, now, 0), Some(now));
        assert_eq!(matching_step(seed, &code, now, now), None, "replay refused");
        assert_eq!(matching_step(seed, &code, now + 5, 0), None, "too old");
        assert_eq!(matching_step(seed, "12345", now, 0), None);
    }

    #[test]
    fn base32_rfc4648() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"f"), "MY");
    }
}
