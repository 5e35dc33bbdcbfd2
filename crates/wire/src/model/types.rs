//! The Rust types generated shapes use for the model's scalar kinds that Rust lacks: blobs,
//! secrets, timestamps, and the empty structure.
//!
//! In the value tree a request is parsed into (a `serde_json::Value`), a blob is its base64 text
//! and a timestamp is a number of seconds since the epoch; these types convert from and to that.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use zeroize::{Zeroize, Zeroizing};

/// A blob member: bytes, base64 in JSON and XML.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Blob(pub Vec<u8>);

impl fmt::Debug for Blob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Blob({} bytes)", self.0.len())
    }
}

impl From<Vec<u8>> for Blob {
    fn from(v: Vec<u8>) -> Self {
        Self(v)
    }
}

impl std::ops::Deref for Blob {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

/// A blob the model marks `sensitive` (plaintexts, key material): zeroized when dropped, never
/// printed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretBlob(pub Zeroizing<Vec<u8>>);

impl fmt::Debug for SecretBlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBlob(..)")
    }
}

impl From<Vec<u8>> for SecretBlob {
    fn from(v: Vec<u8>) -> Self {
        Self(Zeroizing::new(v))
    }
}

impl std::ops::Deref for SecretBlob {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

/// A string the model marks `sensitive` (passwords, tokens): zeroized when dropped, never
/// printed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretString(pub Zeroizing<String>);

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(..)")
    }
}

impl From<String> for SecretString {
    fn from(v: String) -> Self {
        Self(Zeroizing::new(v))
    }
}

impl std::ops::Deref for SecretString {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

/// The name under which serde_json writes a value verbatim: its `RawValue` protocol (the
/// workspace enables serde_json's `raw_value` feature). `serde_json::to_vec` copies such a value
/// into the output as it is; `serde_json::to_value` parses it.
const RAW_JSON: &str = "$serde_json::private::RawValue";

fn serialize_base64<S: Serializer>(bytes: &[u8], secret: bool, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::{Error as _, SerializeStruct as _};
    // Base64 needs no JSON escaping, so the quoted text is handed to serde_json as raw JSON:
    // written as a plain string, every byte of it would go through serde_json's escape scan,
    // which costs more than encoding it (and than the cryptography of a KMS call). Encoded
    // straight into one buffer, sized exactly so that it never moves; the buffer of a sensitive
    // blob is zeroized after use.
    let len = base64::encoded_len(bytes.len(), true).ok_or_else(|| S::Error::custom("blob too large"))?;
    let mut text = vec![b'"'; len + 2];
    B64.encode_slice(bytes, &mut text[1..=len]).map_err(|_| S::Error::custom("blob too large"))?;
    let written = std::str::from_utf8(&text).map_err(S::Error::custom).and_then(|quoted| {
        let mut raw = s.serialize_struct(RAW_JSON, 1)?;
        raw.serialize_field(RAW_JSON, quoted)?;
        raw.end()
    });
    if secret {
        text.zeroize();
    }
    written
}

struct Base64Visitor;

impl Visitor<'_> for Base64Visitor {
    type Value = Vec<u8>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a base64-encoded blob")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<u8>, E> {
        B64.decode(v).map_err(|_| E::custom("is not valid base64"))
    }
}

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_base64(&self.0, false, s)
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(Base64Visitor).map(Blob)
    }
}

impl Serialize for SecretBlob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_base64(&self.0, true, s)
    }
}

impl<'de> Deserialize<'de> for SecretBlob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(Base64Visitor).map(SecretBlob::from)
    }
}

impl Serialize for SecretString {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SecretString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(SecretString::from)
    }
}

/// A timestamp member: an instant with millisecond precision.
///
/// In the value tree and in JSON it is a number of seconds since the epoch (fractional when it
/// has milliseconds, as AWS's JSON protocols write it); the XML protocols write ISO 8601.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    millis: i64,
}

impl Timestamp {
    /// The instant `millis` milliseconds after the epoch.
    pub fn from_millis(millis: i64) -> Self {
        Self { millis }
    }

    /// The instant `secs` seconds after the epoch.
    pub fn from_secs(secs: i64) -> Self {
        Self { millis: secs.saturating_mul(1000) }
    }

    /// Milliseconds since the epoch.
    pub fn millis(self) -> i64 {
        self.millis
    }

    /// Seconds since the epoch, with the milliseconds as a fraction.
    pub fn secs_f64(self) -> f64 {
        self.millis as f64 / 1000.0
    }

    /// The instant as `time` knows it.
    pub fn to_datetime(self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.millis) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// From `time`'s instant (sub-millisecond precision dropped).
    pub fn from_datetime(t: OffsetDateTime) -> Self {
        Self { millis: (t.unix_timestamp_nanos() / 1_000_000) as i64 }
    }

    /// Reads ISO 8601 / RFC 3339 text (`2026-12-03T13:00:00Z`, with or without fraction).
    pub fn parse_iso8601(text: &str) -> Option<Self> {
        OffsetDateTime::parse(text, &Rfc3339).ok().map(Self::from_datetime)
    }

    /// Reads a timestamp written as text: ISO 8601, else a number of seconds since the epoch.
    pub fn parse_text(text: &str) -> Option<Self> {
        Self::parse_iso8601(text).or_else(|| Self::parse_epoch_text(text))
    }

    /// Reads a number of seconds since the epoch written as text.
    pub fn parse_epoch_text(text: &str) -> Option<Self> {
        text.parse::<f64>().ok().and_then(Self::from_epoch_f64)
    }

    /// The seconds since the epoch when the instant has no milliseconds: AWS's JSON and CBOR
    /// write such an instant as an integer, any other as a fraction.
    pub fn whole_secs(self) -> Option<i64> {
        (self.millis % 1000 == 0).then_some(self.millis / 1000)
    }

    /// Reads a number of seconds since the epoch (as a JSON number or its text).
    pub fn from_epoch_f64(secs: f64) -> Option<Self> {
        (secs.is_finite() && secs.abs() < 1e14).then(|| Self { millis: (secs * 1000.0).round() as i64 })
    }

    /// ISO 8601 as AWS's XML protocols write it: `2026-12-03T13:00:00Z`, with `.123` only when
    /// there are milliseconds.
    pub fn to_iso8601(self) -> String {
        let t = self.to_datetime();
        let ms = self.millis.rem_euclid(1000);
        let base = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        );
        if ms == 0 { format!("{base}Z") } else { format!("{base}.{ms:03}Z") }
    }

    /// RFC 7231 HTTP date (`Thu, 03 Dec 2026 13:00:00 GMT`), as REST headers carry timestamps.
    pub fn to_http_date(self) -> String {
        let t = self.to_datetime();
        const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        format!(
            "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
            DAYS[t.weekday().number_days_from_monday() as usize],
            t.day(),
            MONTHS[u8::from(t.month()) as usize - 1],
            t.year(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }

    /// Reads an RFC 7231 HTTP date.
    pub fn parse_http_date(text: &str) -> Option<Self> {
        let fmt = time::macros::format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        );
        time::PrimitiveDateTime::parse(text, &fmt).ok().map(|t| Self::from_datetime(t.assume_utc()))
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.to_iso8601())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.whole_secs() {
            Some(secs) => s.serialize_i64(secs),
            None => s.serialize_f64(self.secs_f64()),
        }
    }
}

struct TimestampVisitor;

impl Visitor<'_> for TimestampVisitor {
    type Value = Timestamp;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a timestamp")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Timestamp, E> {
        Ok(Timestamp::from_secs(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Timestamp, E> {
        Ok(Timestamp::from_secs(i64::try_from(v).map_err(|_| E::custom("is out of range"))?))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Timestamp, E> {
        Timestamp::from_epoch_f64(v).ok_or_else(|| E::custom("is out of range"))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Timestamp, E> {
        Timestamp::parse_text(v).ok_or_else(|| E::custom("is not a timestamp"))
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TimestampVisitor)
    }
}

/// The input or output of an operation the model gives none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_every_form() {
        let t = Timestamp::parse_iso8601("2026-12-03T13:00:00Z").unwrap();
        assert_eq!(t.to_iso8601(), "2026-12-03T13:00:00Z");
        assert_eq!(t.to_http_date(), "Thu, 03 Dec 2026 13:00:00 GMT");
        assert_eq!(Timestamp::parse_http_date(&t.to_http_date()), Some(t));
        assert_eq!(serde_json::to_string(&t).unwrap(), t.millis().div_euclid(1000).to_string());
        let precise = Timestamp::from_millis(t.millis() + 250);
        assert_eq!(precise.to_iso8601(), "2026-12-03T13:00:00.250Z");
        let json = serde_json::to_value(precise).unwrap();
        assert_eq!(serde_json::from_value::<Timestamp>(json).unwrap(), precise);
        assert_eq!(serde_json::from_str::<Timestamp>("\"2026-12-03T13:00:00.250Z\"").unwrap(), precise);
    }

    #[test]
    fn blobs_are_base64_and_secrets_do_not_print() {
        let b = Blob(b"hi".to_vec());
        assert_eq!(serde_json::to_string(&b).unwrap(), "\"aGk=\"");
        assert_eq!(serde_json::to_value(&b).unwrap(), serde_json::json!("aGk="));
        let all: Vec<u8> = (0..=255).collect();
        let nested = serde_json::json!({"B": B64.encode(&all), "S": "x"});
        #[derive(Serialize)]
        struct Out {
            #[serde(rename = "B")]
            b: SecretBlob,
            #[serde(rename = "S")]
            s: &'static str,
        }
        let out = Out { b: SecretBlob::from(all), s: "x" };
        assert_eq!(serde_json::from_slice::<serde_json::Value>(&serde_json::to_vec(&out).unwrap()).unwrap(), nested);
        assert_eq!(serde_json::to_value(&out).unwrap(), nested);
        assert_eq!(serde_json::to_string(&Blob::default()).unwrap(), "\"\"");
        assert_eq!(serde_json::from_str::<SecretBlob>("\"aGk=\"").unwrap().0.as_slice(), b"hi");
        assert!(serde_json::from_str::<Blob>("\"not base64!\"").is_err());
        assert_eq!(format!("{:?}", SecretString::from("hunter2".to_owned())), "SecretString(..)");
    }
}
