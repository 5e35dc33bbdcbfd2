//! ID tokens (JWTs): read unverified only to find their issuer and signing key, verified with
//! the issuer's key, then their claims checked as STS checks them.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

/// Longest token accepted (`WebIdentityToken` is at most 20,000 characters).
pub(crate) const MAX_TOKEN: usize = 20_000;
/// Clock skew tolerated for `nbf` and `iat` in the future, in seconds.
pub(crate) const SKEW: i64 = 60;
/// Signature algorithms accepted: public-key ones only (never `none`, never HMAC, whose "key"
/// would be public).
pub(crate) const ALGORITHMS: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];
/// The claim a token may carry to set the session's `SourceIdentity`.
pub(crate) const SOURCE_IDENTITY_CLAIM: &str = "https://aws.amazon.com/source_identity";

/// Why a token is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenError {
    /// Not a JWS in compact form with a JSON header and claims.
    Malformed,
    /// Signed with an algorithm Rampart does not accept.
    Algorithm,
    /// The signature does not verify with the issuer's key.
    Signature,
    /// `exp` is at or before now.
    Expired {
        /// Now, unix seconds.
        now: i64,
        /// The token's `exp`.
        exp: i64,
    },
    /// A required claim is missing or has the wrong type.
    MissingClaim(&'static str),
    /// `nbf` is in the future.
    NotYetValid,
    /// `iat` is in the future.
    IssuedInFuture,
    /// `iss` is not the provider's URL.
    Issuer,
    /// No `aud` value is among the provider's client ids.
    Audience,
}

/// What is read from a token before its signature is checked: where to find its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unverified {
    /// The signature algorithm (one of [`ALGORITHMS`]).
    pub(crate) alg: Algorithm,
    /// The key id, when the header names one.
    pub(crate) kid: Option<String>,
    /// The `iss` claim, unverified: used only to find the provider and its keys.
    pub(crate) iss: String,
}

/// Reads a token's header and issuer without trusting either.
pub(crate) fn peek(token: &str) -> Result<Unverified, TokenError> {
    if token.len() > MAX_TOKEN {
        return Err(TokenError::Malformed);
    }
    let parts: Vec<&str> = token.split('.').collect();
    let well_formed = parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    if !well_formed {
        return Err(TokenError::Malformed);
    }
    let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
    if !ALGORITHMS.contains(&header.alg) {
        return Err(TokenError::Algorithm);
    }
    let payload = URL_SAFE_NO_PAD.decode(parts[1]).map_err(|_| TokenError::Malformed)?;
    let claims: Map<String, Value> = serde_json::from_slice(&payload).map_err(|_| TokenError::Malformed)?;
    let iss = claims.get("iss").and_then(Value::as_str).ok_or(TokenError::MissingClaim("iss"))?;
    Ok(Unverified { alg: header.alg, kid: header.kid, iss: iss.to_owned() })
}

/// Verifies `token`'s signature with `key` for `alg` and returns its claims. Only the signature
/// is checked here; [`check_claims`] checks the claims against Rampart's clock.
pub(crate) fn verify(token: &str, key: &DecodingKey, alg: Algorithm) -> Result<Map<String, Value>, TokenError> {
    if !ALGORITHMS.contains(&alg) {
        return Err(TokenError::Algorithm);
    }
    let mut validation = Validation::new(alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.leeway = 0;
    jsonwebtoken::decode::<Map<String, Value>>(token, key, &validation)
        .map(|d| d.claims)
        .map_err(|_| TokenError::Signature)
}

/// The claims of a verified, valid token that the session keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Claims {
    /// `sub`.
    pub(crate) sub: String,
    /// The `aud` value that is one of the provider's client ids.
    pub(crate) aud: String,
    /// `amr` (authentication methods), when present.
    pub(crate) amr: Vec<String>,
    /// The `https://aws.amazon.com/source_identity` claim, when present.
    pub(crate) source_identity: Option<String>,
    /// `exp`, unix seconds.
    pub(crate) exp: i64,
}

fn seconds(v: &Value) -> Option<i64> {
    // NumericDate: JSON numbers, possibly with a fraction.
    v.as_i64().or_else(|| v.as_f64().filter(|f| f.is_finite() && f.abs() < 1e15).map(|f| f.floor() as i64))
}

fn strings(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) => items.iter().map(|i| i.as_str().map(str::to_owned)).collect(),
        _ => None,
    }
}

/// Checks a verified token's claims: `iss` is the provider's URL, `exp` is after `now`, `nbf` and
/// `iat` are not in the future (beyond [`SKEW`]), an `aud` value is one of `client_ids`, and
/// `sub` is present.
pub(crate) fn check_claims(
    claims: &Map<String, Value>,
    issuer: &str,
    client_ids: &[String],
    now: i64,
) -> Result<Claims, TokenError> {
    let iss = claims.get("iss").and_then(Value::as_str).ok_or(TokenError::MissingClaim("iss"))?;
    if iss.trim_end_matches('/') != issuer.trim_end_matches('/') {
        return Err(TokenError::Issuer);
    }
    let exp = claims.get("exp").and_then(seconds).ok_or(TokenError::MissingClaim("exp"))?;
    if now >= exp {
        return Err(TokenError::Expired { now, exp });
    }
    if let Some(v) = claims.get("nbf") {
        let nbf = seconds(v).ok_or(TokenError::MissingClaim("nbf"))?;
        if nbf > now + SKEW {
            return Err(TokenError::NotYetValid);
        }
    }
    if let Some(v) = claims.get("iat") {
        let iat = seconds(v).ok_or(TokenError::MissingClaim("iat"))?;
        if iat > now + SKEW {
            return Err(TokenError::IssuedInFuture);
        }
    }
    let auds = claims.get("aud").and_then(strings).ok_or(TokenError::Audience)?;
    let aud = auds.into_iter().find(|a| client_ids.iter().any(|c| c == a)).ok_or(TokenError::Audience)?;
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or(TokenError::MissingClaim("sub"))?
        .to_owned();
    let amr = match claims.get("amr") {
        None => Vec::new(),
        Some(v) => strings(v).ok_or(TokenError::MissingClaim("amr"))?,
    };
    let source_identity = match claims.get(SOURCE_IDENTITY_CLAIM) {
        None => None,
        Some(v) => Some(v.as_str().ok_or(TokenError::MissingClaim(SOURCE_IDENTITY_CLAIM))?.to_owned()),
    };
    Ok(Claims { sub, aud, amr, source_identity, exp })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
    use serde_json::json;

    const NOW: i64 = 1_700_000_000;

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn good() -> Value {
        json!({
            "iss": "https://idp.example.com", "sub": "user-1", "aud": "app",
            "exp": NOW + 300, "iat": NOW - 5, "nbf": NOW - 5
        })
    }

    fn ids() -> Vec<String> {
        vec!["app".into(), "other".into()]
    }

    #[test]
    fn valid_claims_pass() {
        let c = check_claims(&claims(good()), "https://idp.example.com", &ids(), NOW).unwrap();
        assert_eq!((c.sub.as_str(), c.aud.as_str(), c.exp), ("user-1", "app", NOW + 300));
        let mut v = good();
        v["aud"] = json!(["nope", "other"]);
        v["amr"] = json!(["pwd", "mfa"]);
        v[SOURCE_IDENTITY_CLAIM] = json!("alice");
        v["exp"] = json!(NOW as f64 + 10.5);
        let c = check_claims(&claims(v), "https://idp.example.com/", &ids(), NOW).unwrap();
        assert_eq!(c.aud, "other");
        assert_eq!(c.amr, ["pwd", "mfa"]);
        assert_eq!(c.source_identity.as_deref(), Some("alice"));
    }

    #[test]
    fn bad_claims_are_refused() {
        let check = |edit: &dyn Fn(&mut Value)| {
            let mut v = good();
            edit(&mut v);
            check_claims(&claims(v), "https://idp.example.com", &ids(), NOW).unwrap_err()
        };
        assert_eq!(check(&|v| v["exp"] = json!(NOW)), TokenError::Expired { now: NOW, exp: NOW });
        assert_eq!(check(&|v| v["exp"] = json!(NOW - 1000)), TokenError::Expired { now: NOW, exp: NOW - 1000 });
        assert_eq!(check(&|v| v["exp"] = json!("soon")), TokenError::MissingClaim("exp"));
        assert_eq!(check(&|v| drop(v.as_object_mut().unwrap().remove("exp"))), TokenError::MissingClaim("exp"));
        assert_eq!(check(&|v| v["nbf"] = json!(NOW + SKEW + 1)), TokenError::NotYetValid);
        assert_eq!(check(&|v| v["iat"] = json!(NOW + SKEW + 1)), TokenError::IssuedInFuture);
        assert_eq!(check(&|v| v["aud"] = json!("stranger")), TokenError::Audience);
        assert_eq!(check(&|v| v["aud"] = json!(["a", "b"])), TokenError::Audience);
        assert_eq!(check(&|v| v["aud"] = json!(7)), TokenError::Audience);
        assert_eq!(check(&|v| v["iss"] = json!("https://evil.example.com")), TokenError::Issuer);
        assert_eq!(check(&|v| v["sub"] = json!("")), TokenError::MissingClaim("sub"));
        assert_eq!(check(&|v| v["amr"] = json!(3)), TokenError::MissingClaim("amr"));
        // Within the skew, a slightly fast issuer clock is tolerated.
        let mut v = good();
        v["iat"] = json!(NOW + SKEW);
        assert!(check_claims(&claims(v), "https://idp.example.com", &ids(), NOW).is_ok());
    }

    fn b64(v: &Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
    }

    /// A real ES256 token signed with a fresh key, and that key for verification.
    fn es256_token(payload: &Value) -> (String, DecodingKey) {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
        let input = format!("{}.{}", b64(&json!({"alg": "ES256", "typ": "JWT", "kid": "k1"})), b64(payload));
        let sig = pair.sign(&rng, input.as_bytes()).unwrap();
        let token = format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()));
        (token, DecodingKey::from_ec_der(pair.public_key().as_ref()))
    }

    #[test]
    fn signatures_are_verified() {
        let (token, key) = es256_token(&good());
        let peeked = peek(&token).unwrap();
        assert_eq!(
            peeked,
            Unverified { alg: Algorithm::ES256, kid: Some("k1".into()), iss: "https://idp.example.com".into() }
        );
        let verified = verify(&token, &key, peeked.alg).unwrap();
        assert_eq!(verified["sub"], "user-1");
        // Another key, an altered payload, or an algorithm switch do not verify.
        let (_, other_key) = es256_token(&good());
        assert_eq!(verify(&token, &other_key, Algorithm::ES256), Err(TokenError::Signature));
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut forged = good();
        forged["sub"] = json!("admin");
        parts[1] = b64(&forged);
        assert_eq!(verify(&parts.join("."), &key, Algorithm::ES256), Err(TokenError::Signature));
        assert_eq!(verify(&token, &key, Algorithm::RS256), Err(TokenError::Signature));
        assert_eq!(verify(&token, &key, Algorithm::HS256), Err(TokenError::Algorithm));
    }

    #[test]
    fn malformed_tokens_and_weak_algorithms_are_refused() {
        for bad in ["", "a.b", "a.b.c.d", "a..c", "a.b.c!", "not a token"] {
            assert_eq!(peek(bad), Err(TokenError::Malformed), "{bad:?}");
        }
        let none = format!("{}.{}.c2ln", b64(&json!({"alg": "none"})), b64(&good()));
        assert_eq!(peek(&none), Err(TokenError::Malformed));
        let hs = format!("{}.{}.c2ln", b64(&json!({"alg": "HS256"})), b64(&good()));
        assert_eq!(peek(&hs), Err(TokenError::Algorithm));
        let no_iss = format!("{}.{}.c2ln", b64(&json!({"alg": "RS256"})), b64(&json!({"sub": "x"})));
        assert_eq!(peek(&no_iss), Err(TokenError::MissingClaim("iss")));
        let not_json = format!("{}.{}.c2ln", b64(&json!({"alg": "RS256"})), URL_SAFE_NO_PAD.encode("nope"));
        assert_eq!(peek(&not_json), Err(TokenError::Malformed));
        assert_eq!(peek(&"a".repeat(MAX_TOKEN + 1)), Err(TokenError::Malformed));
    }
}
