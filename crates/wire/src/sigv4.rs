//! AWS Signature Version 4, server side: parse what the client sent, rebuild the canonical
//! request, and check the signature in constant time.
//!
//! Pure: no clock, no I/O. The pipeline decides the time window and where secrets come from;
//! this module answers "is this exactly what someone holding that secret signed?".

use aws_lc_rs::{constant_time, digest, hmac};
use http::HeaderMap;
use std::borrow::Cow;
use std::fmt::Write as _;
use time::{OffsetDateTime, PrimitiveDateTime, format_description::FormatItem, macros::format_description};

/// The only algorithm Rampart accepts.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The payload hash that means "the body is not covered by the signature".
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// Longest validity of a presigned URL, as AWS allows (7 days).
pub const MAX_PRESIGNED_EXPIRES: u64 = 604_800;

const AMZ_DATE: &[FormatItem<'static>] = format_description!("[year][month][day]T[hour][minute][second]Z");

/// The parts of an HTTP request that SigV4 covers.
#[derive(Debug, Clone, Copy)]
pub struct SignedParts<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// The path exactly as it appeared in the request line (still percent-encoded).
    pub raw_path: &'a str,
    /// The query string as it appeared, without the `?`.
    pub raw_query: &'a str,
    /// The request headers.
    pub headers: &'a HeaderMap,
    /// The `:authority` of an HTTP/2 request, used as `host` when there is no `Host` header.
    pub authority: Option<&'a str>,
}

/// How the canonical URI is formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UriMode {
    /// Every service but S3: normalize the path (drop `.`/`..` and empty segments) and encode
    /// the path as sent once more, as the SDKs do.
    NormalizedDoubleEncoded,
    /// S3: no normalization; the decoded path encoded exactly once.
    S3,
}

/// Where the signature was carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthLocation {
    /// The `Authorization` header.
    Header,
    /// Presigned URL query parameters.
    Query,
}

/// A SigV4 signature as the client presented it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureV4 {
    /// Header or presigned query.
    pub location: AuthLocation,
    /// The access key id from the credential scope.
    pub access_key_id: String,
    /// The scope date, `YYYYMMDD`.
    pub scope_date: String,
    /// The scope region.
    pub region: String,
    /// The scope service (the signing name, e.g. `sts`, `kms`, `s3`).
    pub service: String,
    /// The signed header names as sent: lower-case, sorted, each once (`parse` refuses any other
    /// spelling of the list).
    pub signed_headers: Vec<String>,
    /// The 32-byte signature.
    pub signature: [u8; 32],
    /// The request time (`X-Amz-Date`, else `Date`), exactly as sent.
    pub amz_date: String,
    /// The request time, parsed.
    pub timestamp: OffsetDateTime,
    /// `X-Amz-Expires` of a presigned URL, in seconds.
    pub expires: Option<u64>,
    /// `X-Amz-Security-Token`, for temporary credentials.
    pub security_token: Option<String>,
}

impl SignatureV4 {
    /// `date/region/service`, the cache key of a derived signing key.
    pub fn scope_key(&self) -> String {
        format!("{}/{}/{}", self.scope_date, self.region, self.service)
    }
}

/// Why a request's signature could not even be checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigV4Error {
    /// A required part of the signature is missing or malformed (`IncompleteSignature`).
    #[error("{0}")]
    Incomplete(String),
    /// The signature is well-formed but cannot match (`SignatureDoesNotMatch`).
    #[error("{0}")]
    Mismatch(String),
    /// A presigned URL with an invalid `X-Amz-Expires`.
    #[error("{0}")]
    InvalidExpires(String),
}

/// Headers of which a signed request may carry at most one: each is one value of the signature
/// (or, for `x-amz-content-sha256`, the payload hash the body is checked against). Two copies
/// would let the value acted on differ from the one a reader of the request sees.
const SINGLE_VALUED: [&str; 3] = ["x-amz-date", "x-amz-security-token", "x-amz-content-sha256"];

/// Whether `name` appears more than once in `headers`.
fn repeated<K: http::header::AsHeaderName>(headers: &HeaderMap, name: K) -> bool {
    headers.get_all(name).iter().nth(1).is_some()
}

fn refuse_repeated(headers: &HeaderMap) -> Result<(), SigV4Error> {
    match SINGLE_VALUED.iter().find(|name| repeated(headers, **name)) {
        Some(name) => Err(SigV4Error::Incomplete(format!(
            "The request has more than one '{name}' header; a signed request may carry it only once."
        ))),
        None => Ok(()),
    }
}

/// Reads the SigV4 signature from the `Authorization` header or the presigned query.
///
/// `Ok(None)` means the request carries no signature at all (anonymous). A request whose
/// signature could be read more than one way (a second `Authorization`, `X-Amz-Date`,
/// `X-Amz-Security-Token` or `X-Amz-Content-Sha256` header, a repeated presign parameter or
/// `Authorization` component, a `SignedHeaders` list that is not lower-case, sorted and
/// without repeats) is `Incomplete`.
pub fn parse(parts: &SignedParts<'_>) -> Result<Option<SignatureV4>, SigV4Error> {
    let mut authorization = parts.headers.get_all(http::header::AUTHORIZATION).iter();
    if let Some(value) = authorization.next() {
        if authorization.next().is_some() {
            return Err(SigV4Error::Incomplete(
                "The request has more than one Authorization header; a request carries exactly one signature.".into(),
            ));
        }
        refuse_repeated(parts.headers)?;
        let value =
            value.to_str().map_err(|_| SigV4Error::Incomplete("Authorization header is not valid ASCII.".into()))?;
        return parse_header(value, parts.headers).map(Some);
    }
    if query_has(parts.raw_query, "X-Amz-Signature") || query_has(parts.raw_query, "X-Amz-Credential") {
        refuse_repeated(parts.headers)?;
        return parse_query(parts.raw_query).map(Some);
    }
    Ok(None)
}

fn query_has(raw_query: &str, name: &str) -> bool {
    raw_query.split('&').any(|p| p.split('=').next() == Some(name))
}

fn parse_header(value: &str, headers: &HeaderMap) -> Result<SignatureV4, SigV4Error> {
    let (algorithm, rest) = value.split_once(' ').unwrap_or((value, ""));
    if algorithm != ALGORITHM {
        return Err(SigV4Error::Incomplete(format!(
            "Unsupported AWS 'algorithm': `{algorithm}`; Rampart accepts only AWS4-HMAC-SHA256 (Signature Version 4)."
        )));
    }
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for component in rest.split(',') {
        // Space around a component is the separator's; the value is taken exactly as sent.
        let component = component.trim();
        if component.is_empty() {
            continue;
        }
        let Some((k, v)) = component.split_once('=') else {
            return Err(SigV4Error::Incomplete(format!(
                "Authorization header requires each component to be of the form key=value; got `{component}`."
            )));
        };
        let (name, slot) = match k.trim() {
            "Credential" => ("Credential", &mut credential),
            "SignedHeaders" => ("SignedHeaders", &mut signed_headers),
            "Signature" => ("Signature", &mut signature),
            _ => continue,
        };
        if slot.replace(v).is_some() {
            return Err(SigV4Error::Incomplete(format!(
                "Authorization header has more than one '{name}' component; each must appear exactly once."
            )));
        }
        // AWS splits the header at spaces too, so `Credential= AKID/...` is malformed there.
        // (SignedHeaders has its own, more precise, message.)
        if name != "SignedHeaders" && v.bytes().any(|b| b.is_ascii_whitespace()) {
            return Err(SigV4Error::Incomplete(format!(
                "Authorization header component '{name}' must not contain spaces."
            )));
        }
    }
    let mut missing = String::new();
    for (name, v) in [("Credential", credential), ("Signature", signature), ("SignedHeaders", signed_headers)] {
        if v.is_none() {
            let _ = write!(missing, "Authorization header requires '{name}' parameter. ");
        }
    }
    if !headers.contains_key("x-amz-date") && !headers.contains_key(http::header::DATE) {
        missing.push_str("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ");
    }
    if !missing.is_empty() {
        return Err(SigV4Error::Incomplete(format!("{}Authorization={}", missing, redact_signature(value))));
    }
    let (amz_date, timestamp) = request_time(headers)?;
    let security_token = headers
        .get("x-amz-security-token")
        .map(|v| {
            v.to_str()
                .map(str::to_owned)
                .map_err(|_| SigV4Error::Incomplete("X-Amz-Security-Token is not valid ASCII.".into()))
        })
        .transpose()?;
    build(
        AuthLocation::Header,
        credential.unwrap_or_default(),
        signed_headers.unwrap_or_default(),
        signature.unwrap_or_default(),
        amz_date,
        timestamp,
        None,
        security_token,
    )
}

fn redact_signature(value: &str) -> String {
    // The signature is not a secret, but echoing it helps no one; keep the rest for debugging.
    match value.find("Signature=") {
        Some(i) => format!("{}Signature=…", &value[..i]),
        None => value.to_owned(),
    }
}

fn request_time(headers: &HeaderMap) -> Result<(String, OffsetDateTime), SigV4Error> {
    if let Some(v) = headers.get("x-amz-date") {
        let s = v.to_str().map_err(|_| SigV4Error::Incomplete("X-Amz-Date is not valid ASCII.".into()))?;
        let t = parse_amz_date(s).ok_or_else(|| {
            SigV4Error::Incomplete(format!(
                "Date must be in ISO-8601 'basic format'. Got '{s}'. See http://en.wikipedia.org/wiki/ISO_8601"
            ))
        })?;
        return Ok((s.to_owned(), t));
    }
    let v = headers.get(http::header::DATE).ok_or_else(|| {
        SigV4Error::Incomplete(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.".into(),
        )
    })?;
    if repeated(headers, http::header::DATE) {
        return Err(SigV4Error::Incomplete(
            "The request has more than one 'Date' header; the request time must be sent once.".into(),
        ));
    }
    let s = v.to_str().map_err(|_| SigV4Error::Incomplete("Date is not valid ASCII.".into()))?;
    let t = OffsetDateTime::parse(s, &time::format_description::well_known::Rfc2822)
        .map_err(|_| SigV4Error::Incomplete(format!("Date header `{s}` is not an RFC 1123 date.")))?;
    // The string to sign carries the time in ISO-8601 basic form whichever header sent it.
    Ok((format_amz_date(t), t))
}

/// Parses `YYYYMMDD'T'HHMMSS'Z'` (hand-written: it runs on every request).
pub fn parse_amz_date(s: &str) -> Option<OffsetDateTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0')))
    };
    let year = i32::try_from(num(0..4)?).ok()?;
    let month = time::Month::try_from(u8::try_from(num(4..6)?).ok()?).ok()?;
    let date = time::Date::from_calendar_date(year, month, u8::try_from(num(6..8)?).ok()?).ok()?;
    let t = time::Time::from_hms(
        u8::try_from(num(9..11)?).ok()?,
        u8::try_from(num(11..13)?).ok()?,
        u8::try_from(num(13..15)?).ok()?,
    )
    .ok()?;
    Some(PrimitiveDateTime::new(date, t).assume_utc())
}

/// Formats a time as `YYYYMMDD'T'HHMMSS'Z'`.
pub fn format_amz_date(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC).format(AMZ_DATE).unwrap_or_default()
}

fn parse_query(raw_query: &str) -> Result<SignatureV4, SigV4Error> {
    let (mut algorithm, mut credential, mut date, mut expires, mut signed_headers, mut signature, mut token) =
        (None, None, None, None, None, None, None);
    for part in raw_query.split('&') {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        // The name as the canonical query reads it: `X%2DAmz-Signature` is `X-Amz-Signature` there.
        let k = if k.contains('%') {
            Cow::Owned(String::from_utf8_lossy(&uri_decode(k)).into_owned())
        } else {
            Cow::Borrowed(k)
        };
        let slot = match k.as_ref() {
            "X-Amz-Algorithm" => &mut algorithm,
            "X-Amz-Credential" => &mut credential,
            "X-Amz-Date" => &mut date,
            "X-Amz-Expires" => &mut expires,
            "X-Amz-SignedHeaders" => &mut signed_headers,
            "X-Amz-Signature" => &mut signature,
            "X-Amz-Security-Token" => &mut token,
            _ => continue,
        };
        if slot.is_some() {
            return Err(SigV4Error::Incomplete(format!(
                "The query string has more than one '{k}' parameter; each presign parameter must appear exactly once."
            )));
        }
        // Decoded exactly as the canonical query decodes it (`+` is a literal plus), so the value
        // acted on is the value that was signed.
        *slot = Some(String::from_utf8_lossy(&uri_decode(v)).into_owned());
    }
    let mut missing = Vec::new();
    for (name, v) in [
        ("X-Amz-Algorithm", &algorithm),
        ("X-Amz-Credential", &credential),
        ("X-Amz-Signature", &signature),
        ("X-Amz-SignedHeaders", &signed_headers),
        ("X-Amz-Date", &date),
    ] {
        if v.is_none() {
            missing.push(name);
        }
    }
    if !missing.is_empty() {
        return Err(SigV4Error::Incomplete(format!(
            "AWS query-string parameters must include {}. Re-examine the query-string parameters.",
            missing.iter().map(|m| format!("'{m}'")).collect::<Vec<_>>().join(", ")
        )));
    }
    let algorithm = algorithm.unwrap_or_default();
    if algorithm != ALGORITHM {
        return Err(SigV4Error::Incomplete(format!(
            "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"; got `{algorithm}`."
        )));
    }
    let amz_date = date.unwrap_or_default();
    let timestamp = parse_amz_date(&amz_date).ok_or_else(|| {
        SigV4Error::Incomplete(format!(
            "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"; got `{amz_date}`."
        ))
    })?;
    let expires = match expires {
        None => None,
        Some(e) => {
            let n: u64 = e
                .parse()
                .map_err(|_| SigV4Error::InvalidExpires(format!("X-Amz-Expires should be a number; got `{e}`.")))?;
            if n > MAX_PRESIGNED_EXPIRES {
                return Err(SigV4Error::InvalidExpires(
                    "X-Amz-Expires must be less than a week (in seconds) that is 604800".into(),
                ));
            }
            Some(n)
        }
    };
    build(
        AuthLocation::Query,
        &credential.unwrap_or_default(),
        &signed_headers.unwrap_or_default(),
        &signature.unwrap_or_default(),
        amz_date,
        timestamp,
        expires,
        token,
    )
}

#[allow(clippy::too_many_arguments)]
fn build(
    location: AuthLocation,
    credential: &str,
    signed_headers: &str,
    signature: &str,
    amz_date: String,
    timestamp: OffsetDateTime,
    expires: Option<u64>,
    security_token: Option<String>,
) -> Result<SignatureV4, SigV4Error> {
    let mut scope = credential.split('/');
    let (Some(akid), Some(date), Some(region), Some(service), Some(terminator), None) =
        (scope.next(), scope.next(), scope.next(), scope.next(), scope.next(), scope.next())
    else {
        return Err(SigV4Error::Incomplete(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term; got `{credential}`."
        )));
    };
    if akid.is_empty() || region.is_empty() || service.is_empty() {
        return Err(SigV4Error::Incomplete(format!("Credential `{credential}` has an empty element.")));
    }
    if terminator != "aws4_request" {
        return Err(SigV4Error::Mismatch(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
        )));
    }
    // The scope date must be the request's own (UTC) date.
    let iso_date = match amz_date.as_bytes().get(8) {
        Some(b'T') => amz_date[..8].to_owned(),
        _ => format_amz_date(timestamp)[..8].to_owned(),
    };
    let iso = &iso_date;
    if date != &iso[..8] {
        return Err(SigV4Error::Mismatch(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{date}' != '{}', from '{amz_date}'.",
            &iso[..8]
        )));
    }
    let mut sig_bytes = [0u8; 32];
    hex::decode_to_slice(signature, &mut sig_bytes)
        .map_err(|_| SigV4Error::Mismatch("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.".into()))?;
    let signed = signed_header_names(signed_headers, location)?;
    if !signed.iter().any(|h| h == "host") {
        return Err(SigV4Error::Incomplete(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".into(),
        ));
    }
    Ok(SignatureV4 {
        location,
        access_key_id: akid.to_owned(),
        scope_date: date.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
        signed_headers: signed,
        signature: sig_bytes,
        amz_date,
        timestamp,
        expires,
        security_token,
    })
}

/// A byte of a lower-case HTTP field name: an RFC 9110 `tchar` other than an upper-case letter.
fn is_lower_tchar(b: u8) -> bool {
    b.is_ascii_lowercase()
        || b.is_ascii_digit()
        || matches!(
            b,
            b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
        )
}

/// The names of a `SignedHeaders` list, which must be exactly as SigV4 defines it: lower-case
/// names, sorted, each once, separated by single `;` (no spaces, no empty names). Anything else
/// is refused rather than normalized, so that one signature has one spelling.
fn signed_header_names(list: &str, location: AuthLocation) -> Result<Vec<String>, SigV4Error> {
    let field = match location {
        AuthLocation::Header => "SignedHeaders",
        AuthLocation::Query => "X-Amz-SignedHeaders",
    };
    let mut names = Vec::with_capacity(list.bytes().filter(|&b| b == b';').count() + 1);
    let mut previous: Option<&str> = None;
    for name in list.split(';') {
        if name.is_empty() || !name.bytes().all(is_lower_tchar) {
            return Err(SigV4Error::Incomplete(format!(
                "{field} must be lower-case header names separated by ';', with no spaces or empty names; got `{list}`."
            )));
        }
        if previous.is_some_and(|p| p >= name) {
            return Err(SigV4Error::Incomplete(format!(
                "{field} must list each header name once, in alphabetical order; got `{list}`."
            )));
        }
        previous = Some(name);
        names.push(name.to_owned());
    }
    Ok(names)
}

/// Characters SigV4 leaves unencoded: RFC 3986 unreserved.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// Appends `bytes` percent-encoded as SigV4 requires; `/` is kept when `keep_slash`.
fn uri_encode_into(out: &mut String, bytes: &[u8], keep_slash: bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in bytes {
        if is_unreserved(b) || (keep_slash && b == b'/') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
}

/// Percent-decodes (`+` stays `+`, as SigV4 treats it).
fn uri_decode(s: &str) -> Vec<u8> {
    percent_encoding::percent_decode_str(s).collect()
}

fn normalize_path(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut out = String::with_capacity(path.len() + 1);
    out.push('/');
    out.push_str(&segments.join("/"));
    if path.ends_with('/') && !segments.is_empty() {
        out.push('/');
    }
    out
}

fn canonical_uri(out: &mut String, raw_path: &str, mode: UriMode) {
    let path = if raw_path.is_empty() { "/" } else { raw_path };
    match mode {
        UriMode::NormalizedDoubleEncoded => uri_encode_into(out, normalize_path(path).as_bytes(), true),
        UriMode::S3 => uri_encode_into(out, &uri_decode(path), true),
    }
}

fn canonical_query(out: &mut String, raw_query: &str, location: AuthLocation) {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for part in raw_query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        let mut ek = String::with_capacity(k.len());
        uri_encode_into(&mut ek, &uri_decode(k), false);
        if location == AuthLocation::Query && ek == "X-Amz-Signature" {
            continue;
        }
        let mut ev = String::with_capacity(v.len());
        uri_encode_into(&mut ev, &uri_decode(v), false);
        pairs.push((ek, ev));
    }
    pairs.sort_unstable();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
}

fn push_trimmed_value(out: &mut String, s: &str) {
    let mut first = true;
    for word in s.split_ascii_whitespace() {
        if !first {
            out.push(' ');
        }
        out.push_str(word);
        first = false;
    }
}

/// Builds the canonical request for `sig` over `parts`, with `payload_hash` as its last line
/// (a signed header value that is not UTF-8 appears with replacement characters: for logging).
pub fn canonical_request(parts: &SignedParts<'_>, sig: &SignatureV4, payload_hash: &str, mode: UriMode) -> String {
    write_canonical_request(parts, sig, payload_hash, mode, true).unwrap_or_default()
}

/// The canonical request; `None` when a signed header value is not UTF-8 and not `lossy`.
fn write_canonical_request(
    parts: &SignedParts<'_>,
    sig: &SignatureV4,
    payload_hash: &str,
    mode: UriMode,
    lossy: bool,
) -> Option<String> {
    let mut out = String::with_capacity(256 + parts.raw_path.len() + parts.raw_query.len());
    out.push_str(parts.method);
    out.push('\n');
    canonical_uri(&mut out, parts.raw_path, mode);
    out.push('\n');
    canonical_query(&mut out, parts.raw_query, sig.location);
    out.push('\n');
    for name in &sig.signed_headers {
        out.push_str(name);
        out.push(':');
        let mut values = parts.headers.get_all(name.as_str()).iter().peekable();
        if let (None, "host", Some(authority)) = (values.peek(), name.as_str(), parts.authority) {
            out.push_str(authority);
        }
        let mut first = true;
        for v in values {
            if !first {
                out.push(',');
            }
            match std::str::from_utf8(v.as_bytes()) {
                Ok(text) => push_trimmed_value(&mut out, text),
                Err(_) if lossy => push_trimmed_value(&mut out, &String::from_utf8_lossy(v.as_bytes())),
                Err(_) => return None,
            }
            first = false;
        }
        out.push('\n');
    }
    out.push('\n');
    for (i, name) in sig.signed_headers.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        out.push_str(name);
    }
    out.push('\n');
    out.push_str(payload_hash);
    Some(out)
}

/// Lower-case hex of `bytes` (a digest).
fn hex_lower(bytes: &[u8]) -> String {
    let mut out = vec![0; bytes.len() * 2];
    hex::encode_to_slice(bytes, &mut out).expect("twice the length");
    String::from_utf8(out).expect("hex digits are ASCII")
}

/// The string to sign for `canonical_request`.
pub fn string_to_sign(sig: &SignatureV4, canonical_request: &str) -> String {
    let hash = digest::digest(&digest::SHA256, canonical_request.as_bytes());
    let mut out = String::with_capacity(160);
    out.push_str(ALGORITHM);
    out.push('\n');
    out.push_str(&sig.amz_date);
    out.push('\n');
    let _ = writeln!(out, "{}/{}/{}/aws4_request", sig.scope_date, sig.region, sig.service);
    out.push_str(&hex_lower(hash.as_ref()));
    out
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data);
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

/// Derives the signing key `HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request")`.
pub fn derive_signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let mut k_secret = zeroize::Zeroizing::new(Vec::with_capacity(4 + secret.len()));
    k_secret.extend_from_slice(b"AWS4");
    k_secret.extend_from_slice(secret.as_bytes());
    let k_date = zeroize::Zeroizing::new(hmac_sha256(&k_secret, date.as_bytes()));
    let k_region = zeroize::Zeroizing::new(hmac_sha256(k_date.as_ref(), region.as_bytes()));
    let k_service = zeroize::Zeroizing::new(hmac_sha256(k_region.as_ref(), service.as_bytes()));
    hmac_sha256(k_service.as_ref(), b"aws4_request")
}

/// The signature for `string_to_sign` under `signing_key`.
pub fn sign(signing_key: &[u8; 32], string_to_sign: &str) -> [u8; 32] {
    hmac_sha256(signing_key, string_to_sign.as_bytes())
}

/// Whether `sig` is the signature of `parts` under `signing_key`, compared in constant time.
pub fn verify(
    parts: &SignedParts<'_>,
    sig: &SignatureV4,
    payload_hash: &str,
    mode: UriMode,
    signing_key: &[u8; 32],
) -> bool {
    verify_with_key(parts, sig, payload_hash, mode, &hmac::Key::new(hmac::HMAC_SHA256, signing_key))
}

/// [`verify`] with the signing key already set up as an HMAC key (the pipeline caches it).
pub fn verify_with_key(
    parts: &SignedParts<'_>,
    sig: &SignatureV4,
    payload_hash: &str,
    mode: UriMode,
    signing_key: &hmac::Key,
) -> bool {
    // The canonical request is text; a signed header whose value is not UTF-8 cannot be bound
    // to its exact bytes in it, so it never verifies (fail closed).
    let Some(creq) = write_canonical_request(parts, sig, payload_hash, mode, false) else { return false };
    let sts = string_to_sign(sig, &creq);
    let tag = hmac::sign(signing_key, sts.as_bytes());
    constant_time::verify_slices_are_equal(tag.as_ref(), &sig.signature).is_ok()
}

/// Hex SHA-256 of `data`, the payload hash of a buffered body.
pub fn payload_hash(data: &[u8]) -> String {
    hex_lower(digest::digest(&digest::SHA256, data).as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(http::HeaderName::from_bytes(k.as_bytes()).unwrap(), http::HeaderValue::from_str(v).unwrap());
        }
        h
    }

    // The IAM ListUsers example from AWS's SigV4 documentation.
    #[test]
    fn aws_documentation_example() {
        let h = doc_headers(DOC_AUTHORIZATION, &[]);
        let parts = doc_parts(&h);
        let sig = parse(&parts).unwrap().unwrap();
        assert_eq!(sig.access_key_id, "AKIDEXAMPLE");
        assert_eq!(sig.service, "iam");
        let key = derive_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "iam");
        assert!(verify(&parts, &sig, &payload_hash(b""), UriMode::NormalizedDoubleEncoded, &key));
        let wrong = derive_signing_key("wrong", "20150830", "us-east-1", "iam");
        assert!(!verify(&parts, &sig, &payload_hash(b""), UriMode::NormalizedDoubleEncoded, &wrong));
    }

    #[test]
    fn missing_components_are_incomplete() {
        let h = headers(&[
            ("authorization", "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request"),
            ("x-amz-date", "20150830T123600Z"),
        ]);
        let parts = SignedParts { method: "GET", raw_path: "/", raw_query: "", headers: &h, authority: None };
        match parse(&parts) {
            Err(SigV4Error::Incomplete(m)) => {
                assert!(m.contains("'Signature'"), "{m}");
                assert!(m.contains("'SignedHeaders'"), "{m}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn presigned_parameters_decode_like_the_canonical_query() {
        // `+` is a literal plus in SigV4 canonicalization, so it must be one in the token too.
        let h = HeaderMap::new();
        let q = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Fsts%2Faws4_request\
                 &X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Security-Token=ab+cd%2Bef\
                 &X-Amz-Signature=0000000000000000000000000000000000000000000000000000000000000000";
        let parts = SignedParts { method: "GET", raw_path: "/", raw_query: q, headers: &h, authority: None };
        let sig = parse(&parts).unwrap().unwrap();
        assert_eq!(sig.security_token.as_deref(), Some("ab+cd+ef"));
        assert_eq!(sig.access_key_id, "AKID");
    }

    const DOC_AUTHORIZATION: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";

    /// The documentation example's headers, with `authorization` as its Authorization header and
    /// `extra` appended.
    /// The documentation example's request line over `headers`.
    fn doc_parts(headers: &HeaderMap) -> SignedParts<'_> {
        SignedParts {
            method: "GET",
            raw_path: "/",
            raw_query: "Action=ListUsers&Version=2010-05-08",
            headers,
            authority: None,
        }
    }

    fn doc_headers(authorization: &str, extra: &[(&str, &str)]) -> HeaderMap {
        let mut h = headers(&[
            ("host", "iam.amazonaws.com"),
            ("content-type", "application/x-www-form-urlencoded; charset=utf-8"),
            ("x-amz-date", "20150830T123600Z"),
            ("authorization", authorization),
        ]);
        for (k, v) in extra {
            h.append(http::HeaderName::from_bytes(k.as_bytes()).unwrap(), http::HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn doc_parse(h: &HeaderMap) -> Result<Option<SignatureV4>, SigV4Error> {
        let q = "Action=ListUsers&Version=2010-05-08";
        parse(&SignedParts { method: "GET", raw_path: "/", raw_query: q, headers: h, authority: None })
    }

    fn incomplete(r: Result<Option<SignatureV4>, SigV4Error>, needle: &str) {
        match r {
            Err(SigV4Error::Incomplete(m)) => assert!(m.contains(needle), "{needle:?} not in {m:?}"),
            other => panic!("expected Incomplete({needle:?}), got {other:?}"),
        }
    }

    #[test]
    fn a_second_authorization_header_is_refused() {
        assert!(doc_parse(&doc_headers(DOC_AUTHORIZATION, &[])).unwrap().is_some());
        // The first is the valid one; the second is anything, even the same again.
        for second in [DOC_AUTHORIZATION, "AWS4-HMAC-SHA256 Credential=X/20150830/us-east-1/iam/aws4_request", "junk"] {
            incomplete(
                doc_parse(&doc_headers(DOC_AUTHORIZATION, &[("authorization", second)])),
                "more than one Authorization",
            );
        }
    }

    #[test]
    fn a_second_copy_of_a_single_valued_header_is_refused() {
        for (name, first, second) in [
            ("x-amz-date", None, "20150830T123600Z"),
            ("x-amz-date", None, "20150830T123700Z"),
            ("x-amz-security-token", Some("token"), "token"),
            ("x-amz-security-token", Some("token"), "other"),
            ("x-amz-content-sha256", Some(UNSIGNED_PAYLOAD), UNSIGNED_PAYLOAD),
        ] {
            let mut extra = vec![(name, second)];
            if let Some(first) = first {
                extra.insert(0, (name, first));
                // Once is fine.
                assert!(doc_parse(&doc_headers(DOC_AUTHORIZATION, &extra[..1])).unwrap().is_some());
            }
            incomplete(doc_parse(&doc_headers(DOC_AUTHORIZATION, &extra)), name);
        }
        // Presigned: the headers are checked too.
        let h = headers(&[("x-amz-content-sha256", UNSIGNED_PAYLOAD), ("x-amz-content-sha256", "0")]);
        incomplete(
            parse(&SignedParts { method: "GET", raw_path: "/", raw_query: PRESIGNED, headers: &h, authority: None }),
            "x-amz-content-sha256",
        );
    }

    #[test]
    fn a_second_date_header_is_refused_when_it_is_the_request_time() {
        let auth = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20110909/us-east-1/host/aws4_request, SignedHeaders=date;host, Signature=b27ccfbfa7df52a200ff74193ca6e32d4b48b8856fab7ebf1c595d0670a7e470";
        let mut h =
            headers(&[("date", "Mon, 09 Sep 2011 23:36:00 GMT"), ("host", "host.foo.com"), ("authorization", auth)]);
        assert!(doc_parse(&h).unwrap().is_some());
        h.append(http::header::DATE, http::HeaderValue::from_static("Mon, 09 Sep 2011 23:36:00 GMT"));
        incomplete(doc_parse(&h), "'Date'");
    }

    #[test]
    fn repeated_authorization_components_are_refused() {
        for (component, name) in [
            ("Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request", "'Credential'"),
            ("SignedHeaders=host", "'SignedHeaders'"),
            ("Signature=0000000000000000000000000000000000000000000000000000000000000000", "'Signature'"),
        ] {
            incomplete(doc_parse(&doc_headers(&format!("{DOC_AUTHORIZATION}, {component}"), &[])), name);
        }
    }

    #[test]
    fn component_values_are_taken_exactly() {
        for (from, to, name) in [
            ("Credential=AKIDEXAMPLE", "Credential= AKIDEXAMPLE", "'Credential'"),
            ("AKIDEXAMPLE/", "AKIDEXAMPLE /", "'Credential'"),
            ("Signature=5d67", "Signature=\t5d67", "'Signature'"),
            ("SignedHeaders=content-type", "SignedHeaders= content-type", "SignedHeaders must"),
        ] {
            incomplete(doc_parse(&doc_headers(&DOC_AUTHORIZATION.replace(from, to), &[])), name);
        }
        // Space around a whole component is the separators'.
        let spaced = DOC_AUTHORIZATION.replace(", ", " ,  ");
        assert!(doc_parse(&doc_headers(&spaced, &[])).unwrap().is_some());
    }

    #[test]
    fn signed_headers_must_be_canonical() {
        let with = |list: &str| DOC_AUTHORIZATION.replace("content-type;host;x-amz-date", list);
        for list in [
            "Content-Type;Host;X-Amz-Date",
            "content-type;Host;x-amz-date",
            "content-type;host;x-amz-datE",
            "content-type ; host ; x-amz-date",
            "content-type;host ;x-amz-date",
            "content-type;\thost;x-amz-date",
            " content-type;host;x-amz-date",
            "content-type;host;x-amz-date ;",
            "content-type;;host;x-amz-date",
            "content-type;host;x-amz-date;",
            ";content-type;host;x-amz-date",
            "content-type;host:x;x-amz-date",
        ] {
            let h = doc_headers(&with(list), &[]);
            incomplete(doc_parse(&h), "lower-case header names");
        }
        for list in
            ["host;content-type;x-amz-date", "content-type;x-amz-date;host", "content-type;host;host;x-amz-date"]
        {
            incomplete(doc_parse(&doc_headers(&with(list), &[])), "once, in alphabetical order");
        }
        // A name and a longer name it is the start of: the shorter sorts first.
        let sig = doc_parse(&doc_headers(&with("content-type;host;x-amz-date;x-amz-date-x"), &[])).unwrap().unwrap();
        assert_eq!(sig.signed_headers, ["content-type", "host", "x-amz-date", "x-amz-date-x"]);
        incomplete(doc_parse(&doc_headers(&with("content-type;host;x-amz-date-x;x-amz-date"), &[])), "alphabetical");
        // Presigned, the same rules.
        let q = PRESIGNED.replace("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=Host");
        let h = HeaderMap::new();
        incomplete(
            parse(&SignedParts { method: "GET", raw_path: "/", raw_query: &q, headers: &h, authority: None }),
            "X-Amz-SignedHeaders must be lower-case",
        );
    }

    /// A valid presigned query (the signature is not checked by `parse`).
    const PRESIGNED: &str = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Fsts%2Faws4_request\
        &X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Security-Token=tok\
        &X-Amz-Signature=0000000000000000000000000000000000000000000000000000000000000000";

    #[test]
    fn repeated_presign_parameters_are_refused() {
        let h = HeaderMap::new();
        let run =
            |q: &str| parse(&SignedParts { method: "GET", raw_path: "/", raw_query: q, headers: &h, authority: None });
        assert!(run(PRESIGNED).unwrap().is_some());
        for (param, value) in [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Credential", "OTHER%2F20150830%2Fus-east-1%2Fsts%2Faws4_request"),
            ("X-Amz-Date", "20150830T123600Z"),
            ("X-Amz-Expires", "60"),
            ("X-Amz-SignedHeaders", "host"),
            ("X-Amz-Signature", "1111111111111111111111111111111111111111111111111111111111111111"),
            ("X-Amz-Security-Token", "tok"),
        ] {
            incomplete(run(&format!("{PRESIGNED}&{param}={value}")), param);
            incomplete(run(&format!("{param}={value}&{PRESIGNED}")), param);
            // Spelled with an escape, it is still that parameter (the canonical query decodes names).
            let escaped = param.replacen('-', "%2D", 1);
            incomplete(run(&format!("{PRESIGNED}&{escaped}={value}")), param);
        }
        // Other parameters may repeat: they are the request's own.
        assert!(run(&format!("{PRESIGNED}&a=1&a=2")).unwrap().is_some());
    }

    /// A header repeated with the same name is signed as its values joined with commas (SigV4);
    /// only the headers that carry the signature itself must be single.
    #[test]
    fn ordinary_signed_headers_may_repeat() {
        let auth =
            DOC_AUTHORIZATION.replace("content-type;host;x-amz-date", "content-type;host;x-amz-date;x-amz-meta-a");
        let h = doc_headers(&auth, &[("x-amz-meta-a", "one"), ("x-amz-meta-a", "two")]);
        let parts = doc_parts(&h);
        let sig = parse(&parts).unwrap().unwrap();
        let creq = canonical_request(&parts, &sig, &payload_hash(b""), UriMode::NormalizedDoubleEncoded);
        assert!(creq.contains("\nx-amz-meta-a:one,two\n"), "{creq}");
        let key = derive_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "iam");
        let signature = hex::encode(sign(&key, &string_to_sign(&sig, &creq)));
        let auth = auth.replace("5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7", &signature);
        let h = doc_headers(&auth, &[("x-amz-meta-a", "one"), ("x-amz-meta-a", "two")]);
        let parts = SignedParts { headers: &h, ..parts };
        let sig = parse(&parts).unwrap().unwrap();
        assert!(verify(&parts, &sig, &payload_hash(b""), UriMode::NormalizedDoubleEncoded, &key));
    }

    /// A signed header the request does not carry is signed with an empty value, as AWS does
    /// (clients that list e.g. `content-length` without sending it work against AWS).
    #[test]
    fn a_signed_header_not_sent_is_signed_empty() {
        let auth =
            DOC_AUTHORIZATION.replace("content-type;host;x-amz-date", "content-type;host;x-amz-date;x-amz-meta-a");
        let h = doc_headers(&auth, &[]);
        let parts = SignedParts { method: "GET", raw_path: "/", raw_query: "", headers: &h, authority: None };
        let sig = parse(&parts).unwrap().unwrap();
        let creq = canonical_request(&parts, &sig, &payload_hash(b""), UriMode::NormalizedDoubleEncoded);
        assert!(creq.contains("\nx-amz-meta-a:\n\ncontent-type;host;x-amz-date;x-amz-meta-a\n"), "{creq}");
    }

    #[test]
    fn path_normalization() {
        assert_eq!(normalize_path("/"), "/");
        assert_eq!(normalize_path("//"), "/");
        assert_eq!(normalize_path("/example/.."), "/");
        assert_eq!(normalize_path("/./example"), "/example");
        assert_eq!(normalize_path("//example//"), "/example/");
        assert_eq!(normalize_path("/example1/example2/../.."), "/");
    }
}
