//! Typed readings of condition values: numbers, dates, booleans, base64, IP addresses.
//!
//! The same parsers read the values written in a policy (once, at parse time) and the values in a
//! request context (once per value, cached in [`crate::ContextValue`]).

use std::cmp::Ordering;
use time::{Date, Month};

/// A number as the Numeric operators compare it: integers exactly, anything else as `f64`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Number {
    Int(i64),
    Float(f64),
}

impl Number {
    /// Parses an integer or decimal (optionally with an exponent). Rejects `inf`, `NaN`, hex, ...
    pub(crate) fn parse(s: &str) -> Option<Number> {
        if let Ok(i) = s.parse::<i64>() {
            return Some(Number::Int(i));
        }
        let body = s.strip_prefix(['+', '-']).unwrap_or(s);
        if body.is_empty() || !body.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
            return None;
        }
        if !body.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-')) {
            return None;
        }
        s.parse::<f64>().ok().filter(|f| f.is_finite()).map(Number::Float)
    }

    /// Compares two numbers.
    pub(crate) fn compare(self, other: Number) -> Option<Ordering> {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => Some(a.cmp(&b)),
            (a, b) => a.as_f64().partial_cmp(&b.as_f64()),
        }
    }

    fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }
}

/// Parses `true`/`false` (case-insensitive, as AWS does for `Bool`).
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Parses a date into nanoseconds since the Unix epoch.
///
/// Accepts epoch seconds (`1700000000`) and the W3C profiles of ISO 8601 that the AWS condition
/// operator docs point to: `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, `YYYY-MM-DDThh:mm[:ss[.fff]]TZD` where
/// TZD is `Z` or `±hh:mm` (a missing TZD means UTC), plus the compact `YYYYMMDDThhmmssZ` form.
pub(crate) fn parse_date(s: &str) -> Option<i128> {
    const NANOS: i128 = 1_000_000_000;
    let digits = s.strip_prefix('-').unwrap_or(s);
    if !digits.is_empty() && digits.len() != 4 && digits.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<i64>().ok().map(|secs| i128::from(secs) * NANOS);
    }
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<u32> {
        let part = b.get(from..from + len)?;
        part.iter().all(u8::is_ascii_digit).then(|| part.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')))
    };
    // Compact form used by SigV4 (`20130930T231548Z`).
    if b.len() == 16 && b[8] == b'T' && b[15] == b'Z' {
        let (y, mo, d) = (num(0, 4)?, num(4, 2)?, num(6, 2)?);
        let (h, mi, sec) = (num(9, 2)?, num(11, 2)?, num(13, 2)?);
        return to_nanos(y, mo, d, h, mi, sec, 0);
    }
    let year = num(0, 4)?;
    if b.len() == 4 {
        return to_nanos(year, 1, 1, 0, 0, 0, 0);
    }
    if b.get(4) != Some(&b'-') {
        return None;
    }
    let month = num(5, 2)?;
    if b.len() == 7 {
        return to_nanos(year, month, 1, 0, 0, 0, 0);
    }
    if b.get(7) != Some(&b'-') {
        return None;
    }
    let day = num(8, 2)?;
    if b.len() == 10 {
        return to_nanos(year, month, day, 0, 0, 0, 0);
    }
    if !matches!(b.get(10), Some(b'T' | b't')) || b.get(13) != Some(&b':') {
        return None;
    }
    let (hour, minute) = (num(11, 2)?, num(14, 2)?);
    let mut i = 16;
    let mut second = 0;
    let mut nanos = 0u32;
    if b.get(i) == Some(&b':') {
        second = num(i + 1, 2)?;
        i += 3;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                if i - start < 9 {
                    nanos = nanos * 10 + u32::from(b[i] - b'0');
                }
                i += 1;
            }
            if i == start {
                return None;
            }
            for _ in (i - start)..9 {
                nanos *= 10;
            }
        }
    }
    let offset_secs: i64 = match &b[i..] {
        [] | [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), ..] if b.len() == i + 6 && b[i + 3] == b':' => {
            let (oh, om) = (num(i + 1, 2)?, num(i + 4, 2)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let off = i64::from(oh * 3600 + om * 60);
            if *sign == b'+' { off } else { -off }
        }
        _ => return None,
    };
    let local = to_nanos(year, month, day, hour, minute, second, nanos)?;
    Some(local - i128::from(offset_secs) * 1_000_000_000)
}

fn to_nanos(y: u32, mo: u32, d: u32, h: u32, mi: u32, s: u32, nanos: u32) -> Option<i128> {
    if h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let month = Month::try_from(u8::try_from(mo).ok()?).ok()?;
    let date = Date::from_calendar_date(i32::try_from(y).ok()?, month, u8::try_from(d).ok()?).ok()?;
    let days = i128::from(date.to_julian_day() - 2_440_588);
    let secs = days * 86_400 + i128::from(h * 3600 + mi * 60 + s);
    Some(secs * 1_000_000_000 + i128::from(nanos))
}

/// Decodes standard base64 (padding optional). `None` on any invalid character or length.
pub(crate) fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let body = s.trim_end_matches('=');
    if s.len() - body.len() > 2 || body.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in body.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i128 = 86_400 * 1_000_000_000;

    #[test]
    fn numbers() {
        assert_eq!(Number::parse("10"), Some(Number::Int(10)));
        assert_eq!(Number::parse("-3"), Some(Number::Int(-3)));
        assert_eq!(Number::parse("2.5"), Some(Number::Float(2.5)));
        assert_eq!(Number::parse("1e3"), Some(Number::Float(1000.0)));
        for bad in ["", "inf", "NaN", "0x10", "1,0", " 1", "abc", "-"] {
            assert_eq!(Number::parse(bad), None, "{bad}");
        }
        assert_eq!(Number::Int(2).compare(Number::Float(2.0)), Some(Ordering::Equal));
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-02"), Some(DAY));
        assert_eq!(parse_date("86400"), Some(DAY));
        assert_eq!(parse_date("1970-01-02T00:00:00Z"), Some(DAY));
        assert_eq!(parse_date("1970-01-02T01:00:00+01:00"), Some(DAY));
        assert_eq!(parse_date("1970-01-01T23:00-01:00"), Some(DAY));
        assert_eq!(parse_date("1970-01-02T00:00:00.5Z"), Some(DAY + 500_000_000));
        assert_eq!(parse_date("19700102T000000Z"), Some(DAY));
        assert_eq!(parse_date("1970"), Some(0));
        assert_eq!(parse_date("1970-02"), Some(31 * DAY));
        for bad in ["", "1970-13-01", "1970-02-30", "1970-01-01T25:00Z", "1970-01-01T00:00:00Q", "yesterday"] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn base64() {
        assert_eq!(decode_base64("QmluYXJ5VmFsdWVJbkJhc2U2NA==").unwrap(), b"BinaryValueInBase64");
        assert_eq!(decode_base64("YQ").unwrap(), b"a");
        assert_eq!(decode_base64("").unwrap(), b"");
        assert!(decode_base64("a").is_none());
        assert!(decode_base64("a!bc").is_none());
    }

    #[test]
    fn bools() {
        assert_eq!(parse_bool("TRUE"), Some(true));
        assert_eq!(parse_bool("false"), Some(false));
        assert_eq!(parse_bool("yes"), None);
    }
}
