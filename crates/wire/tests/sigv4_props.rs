//! Property tests of `rampart_wire::sigv4`:
//! - `parse` (and, when it accepts, `canonical_request` and `verify`) never panics, whatever the
//!   `Authorization` header, date headers or query string hold;
//! - a request signed with the module's own functions verifies, in header and presigned form, and
//!   stops verifying when one byte of the body (hash), of a signed header value, of the query or of
//!   the secret changes; changing a header that is not signed does not matter; an ordinary signed
//!   header sent twice verifies (its values are signed joined);
//! - a signature that could be read two ways is refused as `Incomplete` before any secret is
//!   involved: a `SignedHeaders` list with an upper-case letter, a space around a name, an empty
//!   name, names out of order or repeated; a second `Authorization`, `X-Amz-Date`,
//!   `X-Amz-Security-Token` or `X-Amz-Content-Sha256` header; a repeated presign parameter.

use http::header::{HeaderMap, HeaderName, HeaderValue};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::FileFailurePersistence;
use rampart_wire::sigv4::{
    self, AuthLocation, SignatureV4, SignedParts, UriMode, canonical_request, derive_signing_key, payload_hash,
    string_to_sign, verify,
};

/// `cases` cases (unless `PROPTEST_CASES` says otherwise); a failing case is saved next to this
/// file, in `sigv4_props.regressions`.
fn config(cases: u32) -> ProptestConfig {
    let default = ProptestConfig::default();
    let cases = if std::env::var_os("PROPTEST_CASES").is_some() { default.cases } else { cases };
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..default
    }
}

// ---------------------------------------------------------------------------------------------
// (a) parse never panics
// ---------------------------------------------------------------------------------------------

/// Bytes as an `http::HeaderValue` can hold them: any but control characters (tab allowed).
fn header_value_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        any::<u8>().prop_map(|b| if (b < 0x20 && b != b'\t') || b == 0x7f { b'?' } else { b }),
        0..max,
    )
}

/// Pieces SigV4 headers and queries are made of, so that generated input gets past the first checks.
fn sigv4_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        select(vec![
            "AWS4-HMAC-SHA256",
            "AWS4-HMAC-SHA256 ",
            "AWS4-ECDSA-P256-SHA256 ",
            "Credential=",
            "SignedHeaders=",
            "Signature=",
            "X-Amz-Algorithm=",
            "X-Amz-Credential=",
            "X-Amz-Date=",
            "X-Amz-Expires=",
            "X-Amz-SignedHeaders=",
            "X-Amz-Signature=",
            "X-Amz-Security-Token=",
            "AKIDEXAMPLE",
            "/",
            "%2F",
            "20150830",
            "20150830T123600Z",
            "2015083",
            "us-east-1",
            "sts",
            "aws4_request",
            "host",
            "host;x-amz-date",
            ";",
            ",",
            ", ",
            "=",
            "&",
            " ",
            "%",
            "%E1%88%B4",
            "%ZZ",
            "+",
            "604800",
            "604801",
            "18446744073709551616",
            "-1",
            "é",
            "ሴ",
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        ])
        .prop_map(str::to_owned),
        "[0-9a-fA-F]{0,66}",
        ".{0,8}",
    ]
}

fn sigv4_text() -> impl Strategy<Value = String> {
    prop::collection::vec(sigv4_piece(), 0..16).prop_map(|p| p.concat())
}

/// Mostly the right value, sometimes SigV4-ish text, sometimes anything.
fn usually(valid: impl Strategy<Value = String> + 'static) -> impl Strategy<Value = String> {
    prop_oneof![40 => valid, 1 => sigv4_text(), 1 => ".{0,12}"]
}

fn some_amz_date() -> impl Strategy<Value = String> {
    usually(prop_oneof![4 => Just("20150830T123600Z".to_owned()), 1 => amz_date(), 1 => "[0-9]{8}T[0-9]{6}Z"])
}

/// `Credential=` values, mostly well formed.
fn credential() -> impl Strategy<Value = String> {
    (
        usually(Just("AKIDEXAMPLE".to_owned())),
        usually(prop_oneof![4 => Just("20150830".to_owned()), 1 => "[0-9]{8}"]),
        usually(Just("us-east-1".to_owned())),
        usually(prop_oneof![Just("sts".to_owned()), Just("s3".to_owned()), "[a-z]{0,6}"]),
        usually(Just("aws4_request".to_owned())),
        prop::option::weighted(0.1, ".{0,6}"),
    )
        .prop_map(|(akid, date, region, service, term, extra)| {
            let mut c = format!("{akid}/{date}/{region}/{service}/{term}");
            if let Some(extra) = extra {
                c.push('/');
                c.push_str(&extra);
            }
            c
        })
}

fn signed_headers() -> impl Strategy<Value = String> {
    usually(prop_oneof![
        4 => Just("host;x-amz-date".to_owned()),
        1 => Just("Host;X-Amz-Date;my-header".to_owned()),
        1 => "(host|x-amz-date|date|my-header|x-amz-security-token|content-type|[a-z\\- ]{0,6})(;(host|x-amz-date|date|my-header|[a-z\\- ]{0,6})){0,4}",
    ])
}

fn hex_signature() -> impl Strategy<Value = String> {
    usually(prop_oneof!["[0-9a-f]{64}", "[0-9a-fA-F]{62,66}"])
}

/// An `Authorization` header value, mostly well formed, with the usual and unusual separators.
fn authorization() -> impl Strategy<Value = String> {
    (
        usually(Just("AWS4-HMAC-SHA256".to_owned())),
        prop_oneof![8 => Just(" "), 1 => Just("  "), 1 => Just("\t"), 1 => Just("")],
        credential(),
        signed_headers(),
        hex_signature(),
        prop_oneof![6 => Just(", "), 1 => Just(","), 1 => Just(" , "), 1 => Just(",,"), 1 => Just(", Extra=1, ")],
        any::<bool>(),
    )
        .prop_map(|(algorithm, space, credential, signed, signature, comma, reorder)| {
            let mut parts = [
                format!("Credential={credential}"),
                format!("SignedHeaders={signed}"),
                format!("Signature={signature}"),
            ];
            if reorder {
                parts.rotate_left(1);
            }
            format!("{algorithm}{space}{}", parts.join(comma))
        })
}

/// A presigned query, mostly well formed: the required parameters (each usually valid), maybe
/// `X-Amz-Expires` and a token, other parameters, in any order.
fn presigned_query() -> impl Strategy<Value = String> {
    let enc = |s: String| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    (
        usually(Just("AWS4-HMAC-SHA256".to_owned())).prop_map(|v| format!("X-Amz-Algorithm={v}")),
        credential().prop_map(move |v| format!("X-Amz-Credential={}", enc(v))),
        some_amz_date().prop_map(|v| format!("X-Amz-Date={v}")),
        signed_headers().prop_map(|v| format!("X-Amz-SignedHeaders={}", v.replace(';', "%3B"))),
        hex_signature().prop_map(|v| format!("X-Amz-Signature={v}")),
        prop::option::of(
            usually(prop_oneof![Just("3600".to_owned()), Just("604800".to_owned()), "[0-9]{1,21}"])
                .prop_map(|v| format!("X-Amz-Expires={v}")),
        ),
        prop::option::of(".{0,12}".prop_map(|v| format!("X-Amz-Security-Token={v}"))),
        prop::collection::vec("[A-Za-z0-9%=+ ._~-]{0,12}", 0..3),
    )
        .prop_flat_map(|(algorithm, credential, date, signed, signature, expires, token, others)| {
            let mut params = vec![algorithm, credential, date, signed, signature];
            params.extend(expires);
            params.extend(token);
            params.extend(others);
            Just(params).prop_shuffle()
        })
        .prop_map(|params| params.join("&"))
}

/// Whatever `parse` says, it says it without panicking; when it accepts, so do the rest.
fn exercise(method: &str, path: &str, query: &str, headers: &HeaderMap, authority: Option<&str>) {
    let parts = SignedParts { method, raw_path: path, raw_query: query, headers, authority };
    if let Ok(Some(sig)) = sigv4::parse(&parts) {
        let _ = sig.scope_key();
        let key = derive_signing_key("secret", &sig.scope_date, &sig.region, &sig.service);
        for mode in [UriMode::NormalizedDoubleEncoded, UriMode::S3] {
            let creq = canonical_request(&parts, &sig, sigv4::UNSIGNED_PAYLOAD, mode);
            let _ = string_to_sign(&sig, &creq);
            let _ = verify(&parts, &sig, &payload_hash(b""), mode, &key);
        }
    }
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn parse_never_panics_on_authorization_bytes(
        authorization in header_value_bytes(300),
        amz_date in prop::option::of(header_value_bytes(24)),
        date in prop::option::of(header_value_bytes(40)),
        token in prop::option::of(header_value_bytes(40)),
        query in ".{0,64}",
    ) {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::AUTHORIZATION, HeaderValue::from_bytes(&authorization).unwrap());
        for (name, value) in [("x-amz-date", amz_date), ("date", date), ("x-amz-security-token", token)] {
            if let Some(v) = value {
                headers.insert(HeaderName::from_static(name), HeaderValue::from_bytes(&v).unwrap());
            }
        }
        exercise("GET", "/", &query, &headers, None);
    }

    #[test]
    fn parse_never_panics_on_sigv4_like_authorization(
        authorization in prop_oneof![6 => authorization(), 1 => sigv4_text()],
        amz_date in prop::option::weighted(0.9, some_amz_date()),
        date in prop::option::of(select(vec![
            "Sun, 30 Aug 2015 12:36:00 GMT", "Sun, 30 Aug 2015 12:36:00 +0000", "Mon, 09 Sep 2011 23:36:00 GMT",
            "30 Aug 2015", "",
        ])),
        signed in prop::collection::vec((select(vec!["host", "x-amz-date", "my-header", "x-amz-meta-ሴ"]), ".{0,12}"), 0..4),
        path in ".{0,24}",
        query in sigv4_text(),
        authority in prop::option::of(".{0,16}"),
    ) {
        let mut headers = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(&authorization) {
            headers.insert(http::header::AUTHORIZATION, v);
        }
        if let Some(v) = amz_date.and_then(|d| HeaderValue::from_str(&d).ok()) {
            headers.insert(HeaderName::from_static("x-amz-date"), v);
        }
        if let Some(d) = date {
            headers.insert(http::header::DATE, HeaderValue::from_static(d));
        }
        for (name, value) in signed {
            if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(&value)) {
                headers.append(n, v);
            }
        }
        exercise("POST", &path, &query, &headers, authority.as_deref());
    }

    #[test]
    fn parse_never_panics_on_query_strings(
        query in prop_oneof![".{0,200}", sigv4_text()],
        path in ".{0,24}",
    ) {
        exercise("GET", &path, &query, &HeaderMap::new(), Some("example.com"));
    }

    #[test]
    fn parse_never_panics_on_presign_like_queries(
        query in presigned_query(),
        host in prop::option::of(".{0,16}"),
    ) {
        let mut headers = HeaderMap::new();
        if let Some(v) = host.and_then(|h| HeaderValue::from_str(&h).ok()) {
            headers.insert(http::header::HOST, v);
        }
        exercise("GET", "/", &query, &headers, Some("example.com"));
    }
}

// ---------------------------------------------------------------------------------------------
// (b) sign, then verify
// ---------------------------------------------------------------------------------------------

/// A request to sign: everything but the signature.
#[derive(Debug, Clone)]
struct Request {
    method: String,
    path: String,
    query: String,
    /// Lower-case names, sorted, no duplicates; each signed. Values hold no whitespace, so that a
    /// one-byte change cannot be a mere change of whitespace (which SigV4 canonicalizes away).
    signed: Vec<(String, String)>,
    /// Headers sent but not signed.
    unsigned: Vec<(String, String)>,
    body: Vec<u8>,
    mode: UriMode,
    secret: String,
    amz_date: String,
    region: String,
    service: String,
    host: String,
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![select(vec!["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"]).prop_map(str::to_owned), "[A-Z]{1,10}"]
}

/// A raw path: segments of unreserved and sub-delim characters, percent escapes, UTF-8, dots.
fn path() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        "[A-Za-z0-9._~!$'()*+,;=:@-]{0,8}",
        "(%[0-9A-F]{2}){1,3}",
        select(vec!["", ".", "..", "ሴ", "a b", "%2F", "%2f", "%25"]).prop_map(str::to_owned),
    ];
    prop::collection::vec(segment, 0..6).prop_map(|s| format!("/{}", s.join("/")))
}

/// A raw query of ASCII characters in which every percent escape has decimal-digit hex digits, of
/// parameters with or without `=value`.
fn query() -> impl Strategy<Value = String> {
    let part = "([A-Za-z0-9._~!$'()*+,;:@/?-]|%[0-9][0-9]){0,8}";
    query_of(part, prop::option::of(part), 0..5)
}

/// A non-empty query whose every parameter is `key=value`, both non-empty, escapes as above. Then
/// every one-byte change changes the canonical query. Otherwise some do not, as SigV4 intends:
/// `%2f` and `%2F` are the same byte, `k` is `k=`, and an empty parameter is none (`k=&` ≡ `k&&`).
fn strict_query() -> impl Strategy<Value = String> {
    let part = "([A-Za-z0-9._~!$'()*+,;:@/?-]|%[0-9][0-9]){1,8}";
    query_of(part, part.prop_map(Some), 1..5)
}

fn query_of(
    key: impl Strategy<Value = String>,
    value: impl Strategy<Value = Option<String>>,
    pairs: std::ops::Range<usize>,
) -> impl Strategy<Value = String> {
    prop::collection::vec((key, value), pairs).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(k, v)| match v {
                Some(v) => format!("{k}={v}"),
                None => k,
            })
            .collect::<Vec<_>>()
            .join("&")
    })
}

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        select(vec!["content-type", "content-md5", "x-amz-target", "x-amz-content-sha256", "range", "if-match"])
            .prop_map(str::to_owned),
        "x-amz-meta-[a-z0-9-]{1,12}",
    ]
}

/// Visible ASCII, no whitespace.
fn header_value() -> impl Strategy<Value = String> {
    "[!-~]{1,24}"
}

fn amz_date() -> impl Strategy<Value = String> {
    (0i64..4_102_444_800)
        .prop_map(|secs| sigv4::format_amz_date(time::OffsetDateTime::from_unix_timestamp(secs).expect("in range")))
}

fn request() -> impl Strategy<Value = Request> {
    (
        (method(), path(), query(), prop::collection::btree_map(header_name(), header_value(), 0..4)),
        prop::collection::vec(("x-unsigned-[a-z]{1,6}", "[ -~]{0,16}"), 0..3),
        prop::collection::vec(any::<u8>(), 0..256),
        prop_oneof![Just(UriMode::NormalizedDoubleEncoded), Just(UriMode::S3)],
        "[!-~]{1,48}",
        (amz_date(), "[a-z]{2}-[a-z]{4,9}-[1-9]", "[a-z0-9]{2,12}", "[a-z0-9.-]{1,30}(:[0-9]{1,5})?"),
    )
        .prop_map(
            |((method, path, query, signed), unsigned, body, mode, secret, (amz_date, region, service, host))| {
                Request {
                    method,
                    path,
                    query,
                    signed: signed.into_iter().collect(),
                    unsigned,
                    body,
                    mode,
                    secret,
                    amz_date,
                    region,
                    service,
                    host,
                }
            },
        )
}

impl Request {
    fn scope(&self) -> String {
        format!("{}/{}/{}/aws4_request", &self.amz_date[..8], self.region, self.service)
    }

    fn signed_header_names(&self) -> String {
        let mut names: Vec<&str> = vec!["host", "x-amz-date"];
        names.extend(self.signed.iter().map(|(n, _)| n.as_str()));
        names.sort_unstable();
        names.dedup();
        names.join(";")
    }

    fn key(&self) -> [u8; 32] {
        key_for(self, &self.secret)
    }

    /// The headers, with `Authorization` carrying `signature` in header form.
    fn headers(&self, signature: Option<&str>) -> HeaderMap {
        self.headers_with(signature, &self.signed_header_names())
    }

    /// [`Request::headers`] with `signed_headers` as the `SignedHeaders` list.
    fn headers_with(&self, signature: Option<&str>, signed_headers: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        let mut put = |n: &str, v: &str| {
            h.append(HeaderName::from_bytes(n.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
        };
        put("host", &self.host);
        put("x-amz-date", &self.amz_date);
        for (n, v) in self.signed.iter().chain(&self.unsigned) {
            put(n, v);
        }
        if let Some(signature) = signature {
            let authorization = format!(
                "AWS4-HMAC-SHA256 Credential=AKIDPROP/{}, SignedHeaders={signed_headers}, Signature={signature}",
                self.scope(),
            );
            put("authorization", &authorization);
        }
        h
    }

    /// The query of the presigned form, with `signature`.
    fn presigned_query(&self, signature: &str) -> String {
        self.presigned_query_with(signature, &self.signed_header_names())
    }

    /// [`Request::presigned_query`] with `signed_headers` as `X-Amz-SignedHeaders` (every byte
    /// but letters and digits percent-encoded, so that a space is a space, not a `+`).
    fn presigned_query_with(&self, signature: &str, signed_headers: &str) -> String {
        let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let mut q = self.query.clone();
        if !q.is_empty() {
            q.push('&');
        }
        q.push_str(&format!(
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={}&X-Amz-Date={}&X-Amz-Expires=900\
             &X-Amz-SignedHeaders={}&X-Amz-Signature={signature}",
            enc(&format!("AKIDPROP/{}", self.scope())),
            self.amz_date,
            percent_encoding::utf8_percent_encode(signed_headers, percent_encoding::NON_ALPHANUMERIC),
        ));
        q
    }

    fn parts<'a>(&'a self, query: &'a str, headers: &'a HeaderMap) -> SignedParts<'a> {
        SignedParts { method: &self.method, raw_path: &self.path, raw_query: query, headers, authority: None }
    }
}

fn key_for(req: &Request, secret: &str) -> [u8; 32] {
    derive_signing_key(secret, &req.amz_date[..8], &req.region, &req.service)
}

const PLACEHOLDER: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Signs `req` with the module's own functions, as a client would: parse what is to be sent (with
/// a placeholder signature), build the canonical request and string to sign, sign.
fn signature_of(req: &Request, location: AuthLocation) -> String {
    let (query, headers) = match location {
        AuthLocation::Header => (req.query.clone(), req.headers(Some(PLACEHOLDER))),
        AuthLocation::Query => (req.presigned_query(PLACEHOLDER), req.headers(None)),
    };
    let parts = req.parts(&query, &headers);
    let sig = sigv4::parse(&parts).expect("parse").expect("signed");
    assert_eq!(sig.location, location);
    let creq = canonical_request(&parts, &sig, &payload_hash(&req.body), req.mode);
    hex::encode(sigv4::sign(&req.key(), &string_to_sign(&sig, &creq)))
}

/// The request in header form, parsed; `verify` with `key` and the hash of `body`.
fn verifies_header(req: &Request, signature: &str, body: &[u8], key: &[u8; 32]) -> bool {
    let headers = req.headers(Some(signature));
    let parts = req.parts(&req.query, &headers);
    let sig = parsed(&parts);
    verify(&parts, &sig, &payload_hash(body), req.mode, key)
}

fn parsed(parts: &SignedParts<'_>) -> SignatureV4 {
    sigv4::parse(parts).expect("parse").expect("signed")
}

/// `s` with the byte at `index` (modulo its length) XORed with `mask` (1..=0x7f), if the result is
/// still UTF-8.
fn flip(s: &str, index: usize, mask: u8) -> Option<String> {
    if s.is_empty() {
        return None;
    }
    let mut b = s.as_bytes().to_vec();
    let i = index % b.len();
    b[i] ^= mask;
    String::from_utf8(b).ok()
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn signed_request_verifies(req in request()) {
        let signature = signature_of(&req, AuthLocation::Header);
        prop_assert!(verifies_header(&req, &signature, &req.body, &req.key()));

        let query = req.presigned_query(&signature_of(&req, AuthLocation::Query));
        let headers = req.headers(None);
        let parts = req.parts(&query, &headers);
        let sig = parsed(&parts);
        prop_assert_eq!(sig.location, AuthLocation::Query);
        prop_assert!(verify(&parts, &sig, &payload_hash(&req.body), req.mode, &req.key()));
    }

    #[test]
    fn changed_body_or_body_hash_fails(req in request(), index in any::<usize>(), mask in 1u8..=0x7f) {
        let signature = signature_of(&req, AuthLocation::Header);
        let headers = req.headers(Some(&signature));
        let parts = req.parts(&req.query, &headers);
        let sig = parsed(&parts);

        let hash = payload_hash(&req.body);
        let flipped = flip(&hash, index, mask).expect("ASCII");
        prop_assert!(!verify(&parts, &sig, &flipped, req.mode, &req.key()));

        if !req.body.is_empty() {
            let mut body = req.body.clone();
            let i = index % body.len();
            body[i] ^= mask;
            prop_assert!(!verifies_header(&req, &signature, &body, &req.key()));
        }
    }

    #[test]
    fn changed_signed_header_value_fails(req in request(), which in any::<usize>(), index in any::<usize>(), mask in 1u8..=0x7f) {
        let signature = signature_of(&req, AuthLocation::Header);
        // `host` and `x-amz-date` are always signed; the others when generated.
        let mut candidates: Vec<(String, String)> =
            vec![("host".into(), req.host.clone()), ("x-amz-date".into(), req.amz_date.clone())];
        candidates.extend(req.signed.iter().cloned());
        let (name, value) = &candidates[which % candidates.len()];
        let Some(changed) = flip(value, index, mask) else { return Ok(()) };
        let Ok(changed_value) = HeaderValue::from_str(&changed) else { return Ok(()) };

        let mut headers = req.headers(Some(&signature));
        headers.insert(HeaderName::from_bytes(name.as_bytes()).unwrap(), changed_value);
        let parts = req.parts(&req.query, &headers);
        match sigv4::parse(&parts) {
            // A changed `x-amz-date` may no longer parse, or no longer match the scope.
            Err(_) => prop_assert_eq!(name.as_str(), "x-amz-date"),
            Ok(sig) => {
                let sig = sig.expect("signed");
                prop_assert!(!verify(&parts, &sig, &payload_hash(&req.body), req.mode, &req.key()), "{} = {:?}", name, changed);
            }
        }
    }

    #[test]
    fn changed_unsigned_header_still_verifies(req in request(), value in "[ -~]{0,16}") {
        let signature = signature_of(&req, AuthLocation::Header);
        let mut headers = req.headers(Some(&signature));
        headers.insert(HeaderName::from_static("user-agent"), HeaderValue::from_str(&value).unwrap());
        let parts = req.parts(&req.query, &headers);
        let sig = parsed(&parts);
        prop_assert!(verify(&parts, &sig, &payload_hash(&req.body), req.mode, &req.key()));
    }

    #[test]
    fn changed_query_fails(req in request(), query in strict_query(), index in any::<usize>(), mask in 1u8..=0x7f) {
        let req = Request { query, ..req };
        let signature = signature_of(&req, AuthLocation::Header);
        let headers = req.headers(Some(&signature));
        let changed = flip(&req.query, index, mask).expect("ASCII");
        let parts = req.parts(&changed, &headers);
        let sig = parsed(&parts);
        prop_assert!(!verify(&parts, &sig, &payload_hash(&req.body), req.mode, &req.key()), "query {:?}", changed);
    }

    #[test]
    fn changed_query_fails_presigned(req in request(), query in strict_query(), index in any::<usize>(), mask in 1u8..=0x7f) {
        let req = Request { query, ..req };
        let query = req.presigned_query(&signature_of(&req, AuthLocation::Query));
        // Change the request's own parameters, not the X-Amz-* ones after them.
        let own = &req.query;
        let changed = flip(own, index, mask).expect("ASCII");
        let changed_query = format!("{changed}{}", &query[own.len()..]);
        let headers = req.headers(None);
        let parts = req.parts(&changed_query, &headers);
        // The change may have made a parameter the parser reads, e.g. a second X-Amz-Signature.
        if let Ok(Some(sig)) = sigv4::parse(&parts) {
            prop_assert!(!verify(&parts, &sig, &payload_hash(&req.body), req.mode, &req.key()), "query {:?}", changed_query);
        }
    }

    #[test]
    fn changed_secret_fails(req in request(), index in any::<usize>(), mask in 1u8..=0x7f) {
        let signature = signature_of(&req, AuthLocation::Header);
        let secret = flip(&req.secret, index, mask).expect("ASCII");
        prop_assert!(!verifies_header(&req, &signature, &req.body, &key_for(&req, &secret)));
    }

    #[test]
    fn changed_signature_fails(req in request(), bit in 0usize..256) {
        let signature = signature_of(&req, AuthLocation::Header);
        let mut bytes = hex::decode(&signature).unwrap();
        bytes[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(!verifies_header(&req, &hex::encode(bytes), &req.body, &req.key()));
    }
}

/// A signed header value that is not UTF-8 (`HeaderValue` allows obs-text, 0x80-0xFF) never
/// verifies: the canonical request is text, so such bytes cannot be bound exactly, and two
/// different values must not verify under one signature. Rampart fails closed.
#[test]
fn non_utf8_signed_header_values_never_verify() {
    let req = Request {
        method: "PUT".into(),
        path: "/bucket/key".into(),
        query: String::new(),
        signed: vec![("x-amz-meta-note".into(), "a".into())],
        unsigned: Vec::new(),
        body: Vec::new(),
        mode: UriMode::S3,
        secret: "secret".into(),
        amz_date: "20150830T123600Z".into(),
        region: "us-east-1".into(),
        service: "s3".into(),
        host: "example.com".into(),
    };
    let with_meta = |signature: &str, meta: &[u8]| {
        let mut h = req.headers(Some(signature));
        h.insert(HeaderName::from_static("x-amz-meta-note"), HeaderValue::from_bytes(meta).unwrap());
        h
    };
    // Sign with the value b"a\x80" ...
    let headers = with_meta(PLACEHOLDER, b"a\x80");
    let parts = req.parts("", &headers);
    let sig = parsed(&parts);
    let creq = canonical_request(&parts, &sig, &payload_hash(b""), req.mode);
    let signature = hex::encode(sigv4::sign(&req.key(), &string_to_sign(&sig, &creq)));
    let headers = with_meta(&signature, b"a\x80");
    let parts = req.parts("", &headers);
    assert!(!verify(&parts, &parsed(&parts), &payload_hash(b""), req.mode, &req.key()));
    // ... nor b"a\xfe", which a lossy decoding would have made equal to it.
    let headers = with_meta(&signature, b"a\xfe");
    let parts = req.parts("", &headers);
    assert!(!verify(&parts, &parsed(&parts), &payload_hash(b""), req.mode, &req.key()));
}

// ---------------------------------------------------------------------------------------------
// (c) one signature, one reading
// ---------------------------------------------------------------------------------------------

/// A way to spell a `SignedHeaders` list other than the canonical one.
#[derive(Debug, Clone)]
enum Respelling {
    /// One letter of one name in upper case.
    Upper { name: usize, letter: usize },
    /// A space or tab before (`true`) or after one name.
    Space { name: usize, before: bool, tab: bool },
    /// Two neighbouring names swapped.
    Swap { name: usize },
    /// One name twice.
    Repeat { name: usize },
    /// An empty name inserted.
    Empty { at: usize },
}

fn respelling() -> impl Strategy<Value = Respelling> {
    prop_oneof![
        (any::<usize>(), any::<usize>()).prop_map(|(name, letter)| Respelling::Upper { name, letter }),
        (any::<usize>(), any::<bool>(), any::<bool>()).prop_map(|(name, before, tab)| Respelling::Space {
            name,
            before,
            tab
        }),
        any::<usize>().prop_map(|name| Respelling::Swap { name }),
        any::<usize>().prop_map(|name| Respelling::Repeat { name }),
        any::<usize>().prop_map(|at| Respelling::Empty { at }),
    ]
}

/// `canonical` (sorted, lower-case, at least `host` and `x-amz-date`) respelled. In header form a
/// space after the last name is not a respelling: it is the space before the next component's
/// comma, so `last_space` says whether it may be used.
fn respell(canonical: &str, how: &Respelling, last_space: bool) -> String {
    let mut names: Vec<String> = canonical.split(';').map(str::to_owned).collect();
    let n = names.len();
    match *how {
        Respelling::Upper { name, letter } => {
            let name = &mut names[name % n];
            let letters: Vec<usize> =
                name.char_indices().filter(|(_, c)| c.is_ascii_lowercase()).map(|(i, _)| i).collect();
            let i = letters[letter % letters.len()];
            name.replace_range(i..=i, &name[i..=i].to_ascii_uppercase());
        }
        Respelling::Space { name, before, tab } => {
            let ws = if tab { "\t" } else { " " };
            let i = name % n;
            let before = before || (i == n - 1 && !last_space);
            names[i] = if before { format!("{ws}{}", names[i]) } else { format!("{}{ws}", names[i]) };
        }
        Respelling::Swap { name } => {
            let i = name % (n - 1);
            names.swap(i, i + 1);
        }
        Respelling::Repeat { name } => {
            let i = name % n;
            names.insert(i, names[i].clone());
        }
        Respelling::Empty { at } => names.insert(at % (n + 1), String::new()),
    }
    names.join(";")
}

fn is_incomplete(parts: &SignedParts<'_>) -> bool {
    matches!(sigv4::parse(parts), Err(sigv4::SigV4Error::Incomplete(_)))
}

/// The request in header form, `headers` as given plus an `Authorization` header that signs them
/// with the module's own functions.
fn signed_as_sent(req: &Request, headers: &HeaderMap) -> HeaderMap {
    let authorization = |signature: &str| {
        HeaderValue::from_str(&format!(
            "AWS4-HMAC-SHA256 Credential=AKIDPROP/{}, SignedHeaders={}, Signature={signature}",
            req.scope(),
            req.signed_header_names()
        ))
        .unwrap()
    };
    let mut h = headers.clone();
    h.insert(http::header::AUTHORIZATION, authorization(PLACEHOLDER));
    let parts = req.parts(&req.query, &h);
    let sig = parsed(&parts);
    let creq = canonical_request(&parts, &sig, &payload_hash(&req.body), req.mode);
    let signature = hex::encode(sigv4::sign(&req.key(), &string_to_sign(&sig, &creq)));
    h.insert(http::header::AUTHORIZATION, authorization(&signature));
    h
}

/// The headers that carry the signature, of which a request may send one.
const SINGLE_VALUED: [&str; 4] = ["authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"];

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn respelled_signed_headers_are_refused(req in request(), how in respelling()) {
        let canonical = req.signed_header_names();
        let header_form = respell(&canonical, &how, false);
        prop_assert_ne!(&header_form, &canonical);
        let headers = req.headers_with(Some(PLACEHOLDER), &header_form);
        prop_assert!(is_incomplete(&req.parts(&req.query, &headers)), "SignedHeaders={:?}", header_form);

        let query_form = respell(&canonical, &how, true);
        let query = req.presigned_query_with(PLACEHOLDER, &query_form);
        let headers = req.headers(None);
        prop_assert!(is_incomplete(&req.parts(&query, &headers)), "X-Amz-SignedHeaders={:?}", query_form);
    }

    #[test]
    fn canonical_signed_headers_are_read_as_sent(req in request()) {
        let headers = req.headers(Some(PLACEHOLDER));
        let sig = parsed(&req.parts(&req.query, &headers));
        prop_assert_eq!(sig.signed_headers.join(";"), req.signed_header_names());
    }

    #[test]
    fn a_second_single_valued_header_is_refused(
        req in request(),
        which in select(SINGLE_VALUED.to_vec()),
        same in any::<bool>(),
        presigned in any::<bool>(),
    ) {
        if presigned && which == "authorization" {
            // A presigned request with an Authorization header is read as header form.
            return Ok(());
        }
        let signature = signature_of(&req, if presigned { AuthLocation::Query } else { AuthLocation::Header });
        let (query, mut headers) = if presigned {
            (req.presigned_query(&signature), req.headers(None))
        } else {
            (req.query.clone(), req.headers(Some(&signature)))
        };
        let name = HeaderName::from_static(which);
        let first = headers.get(&name).cloned().unwrap_or_else(|| HeaderValue::from_static("first"));
        headers.insert(name.clone(), first.clone());
        // Once, it parses (whatever it then verifies to).
        prop_assert!(sigv4::parse(&req.parts(&query, &headers)).is_ok());
        headers.append(name, if same { first } else { HeaderValue::from_static("second") });
        prop_assert!(is_incomplete(&req.parts(&query, &headers)), "{} twice", which);
    }

    #[test]
    fn a_repeated_presign_parameter_is_refused(
        req in request(),
        which in select(vec![
            "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
            "X-Amz-Signature", "X-Amz-Security-Token",
        ]),
        value in "[A-Za-z0-9]{0,8}",
        front in any::<bool>(),
        escaped in any::<bool>(),
    ) {
        let query = req.presigned_query(&signature_of(&req, AuthLocation::Query));
        let query = if which == "X-Amz-Security-Token" { format!("{query}&X-Amz-Security-Token=t") } else { query };
        let headers = req.headers(None);
        prop_assert!(sigv4::parse(&req.parts(&query, &headers)).is_ok());
        let name = if escaped { which.replacen('-', "%2D", 1) } else { which.to_owned() };
        let query = if front { format!("{name}={value}&{query}") } else { format!("{query}&{name}={value}") };
        prop_assert!(is_incomplete(&req.parts(&query, &headers)), "{}", query);
    }

    #[test]
    fn an_ordinary_signed_header_sent_twice_verifies(req in request(), which in any::<usize>(), second in header_value()) {
        let ordinary: Vec<&(String, String)> =
            req.signed.iter().filter(|(n, _)| !SINGLE_VALUED.contains(&n.as_str())).collect();
        if ordinary.is_empty() {
            return Ok(());
        }
        let (name, _) = ordinary[which % ordinary.len()];
        let mut headers = req.headers(None);
        headers.append(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(&second).unwrap());
        let headers = signed_as_sent(&req, &headers);
        let parts = req.parts(&req.query, &headers);
        let sig = parsed(&parts);
        prop_assert!(verify(&parts, &sig, &payload_hash(&req.body), req.mode, &req.key()));

        // Without its second value it is another request.
        let mut fewer = headers.clone();
        let first = fewer.get(name.as_str()).cloned().unwrap();
        fewer.insert(HeaderName::from_bytes(name.as_bytes()).unwrap(), first);
        let parts = req.parts(&req.query, &fewer);
        prop_assert!(!verify(&parts, &sig, &payload_hash(&req.body), req.mode, &req.key()));
    }
}
