//! SigV4 verification cost: one STS `GetCallerIdentity` as the AWS CLI sends it, verified with a
//! signing key already derived (as the pipeline caches it per scope), and the key derivation
//! itself.
//!
//! `cargo bench -p rampart-wire --bench sigv4 -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use http::header::{HeaderMap, HeaderName, HeaderValue};
use rampart_wire::sigv4::{self, SignedParts, UriMode};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const BODY: &[u8] = b"Action=GetCallerIdentity&Version=2011-06-15";
const SIGNED_HEADERS: &str = "content-type;host;x-amz-date";

fn headers(authorization: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (name, value) in [
        ("host", "sts.us-east-1.amazonaws.com"),
        ("content-type", "application/x-www-form-urlencoded; charset=utf-8"),
        ("x-amz-date", "20260518T093012Z"),
        (
            "user-agent",
            "aws-cli/2.27.3 md/awscrt#0.25.4 ua/2.1 os/linux#6.8.0 md/arch#x86_64 lang/python#3.13.3 cfg/retry-mode#standard md/command#sts.get-caller-identity",
        ),
        ("authorization", authorization),
    ] {
        h.append(HeaderName::from_static(name), HeaderValue::from_str(value).expect("header value"));
    }
    h
}

fn authorization(signature: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260518/us-east-1/sts/aws4_request, \
         SignedHeaders={SIGNED_HEADERS}, Signature={signature}"
    )
}

/// The request signed with the module's own functions.
fn signed_request(key: &[u8; 32]) -> HeaderMap {
    let unsigned = headers(&authorization(&"0".repeat(64)));
    let parts = SignedParts { method: "POST", raw_path: "/", raw_query: "", headers: &unsigned, authority: None };
    let sig = sigv4::parse(&parts).expect("parse").expect("signed");
    let creq = sigv4::canonical_request(&parts, &sig, &sigv4::payload_hash(BODY), UriMode::NormalizedDoubleEncoded);
    let signature = sigv4::sign(key, &sigv4::string_to_sign(&sig, &creq));
    headers(&authorization(&hex::encode(signature)))
}

fn verify_request(parts: &SignedParts<'_>, key: &[u8; 32]) -> bool {
    let Ok(Some(sig)) = sigv4::parse(parts) else { return false };
    let body_hash = sigv4::payload_hash(black_box(BODY));
    sigv4::verify(parts, &sig, &body_hash, UriMode::NormalizedDoubleEncoded, key)
}

fn bench(c: &mut Criterion) {
    let key = sigv4::derive_signing_key(SECRET, "20260518", "us-east-1", "sts");
    let headers = signed_request(&key);
    let parts = SignedParts { method: "POST", raw_path: "/", raw_query: "", headers: &headers, authority: None };
    assert!(verify_request(&parts, &key), "the benchmark request must verify");

    c.bench_function("verify_sts_get_caller_identity", |b| {
        b.iter(|| assert!(verify_request(black_box(&parts), black_box(&key))));
    });
    c.bench_function("derive_signing_key", |b| {
        b.iter(|| sigv4::derive_signing_key(black_box(SECRET), black_box("20260518"), "us-east-1", "sts"));
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
