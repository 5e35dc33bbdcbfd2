//! An issuer's signing keys: found through its discovery document
//! (`{issuer}/.well-known/openid-configuration` → `jwks_uri`), cached per issuer for a few
//! minutes, and fetched again when a token names a key the cache does not hold (key rotation).

use super::fetch::{FetchError, Fetcher};
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long fetched keys are used without asking the issuer again.
pub(crate) const TTL: Duration = Duration::from_secs(300);
/// A token naming an unknown key makes Rampart fetch again, at most this often per issuer, so
/// that tokens with made-up key ids cannot make it hammer the issuer.
pub(crate) const MIN_REFETCH: Duration = Duration::from_secs(10);
/// Most issuers whose keys are kept.
const MAX_ISSUERS: usize = 1000;
/// Most keys kept per issuer.
const MAX_KEYS: usize = 100;

/// Why no key could be found for a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyError {
    /// The issuer could not be reached (`IDPCommunicationError`).
    Unreachable(String),
    /// The issuer answered, but no key in its set verifies this token (`InvalidIdentityToken`).
    NoKey(String),
}

impl From<FetchError> for KeyError {
    fn from(e: FetchError) -> Self {
        match e {
            FetchError::Unreachable(m) => Self::Unreachable(m),
            FetchError::Invalid(m) => Self::NoKey(m),
        }
    }
}

struct Entry {
    keys: Vec<Jwk>,
    fetched: Instant,
}

/// Signing keys by issuer URL.
pub(crate) struct KeyCache {
    fetcher: Fetcher,
    entries: Mutex<HashMap<String, Arc<Entry>>>,
    ttl: Duration,
    min_refetch: Duration,
}

impl KeyCache {
    /// An empty cache keeping keys for [`TTL`], refetching at most every [`MIN_REFETCH`].
    pub(crate) fn new() -> Self {
        Self::with_timing(TTL, MIN_REFETCH)
    }

    fn with_timing(ttl: Duration, min_refetch: Duration) -> Self {
        Self { fetcher: Fetcher::default(), entries: Mutex::new(HashMap::new()), ttl, min_refetch }
    }

    fn cached(&self, issuer: &str) -> Option<Arc<Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).get(issuer).cloned()
    }

    /// The key of `issuer` that verifies tokens signed with `alg` under key id `kid`.
    pub(crate) async fn key(&self, issuer: &str, kid: Option<&str>, alg: Algorithm) -> Result<DecodingKey, KeyError> {
        let cached = self.cached(issuer);
        if let Some(entry) = cached.as_ref().filter(|e| e.fetched.elapsed() < self.ttl) {
            if let Some(jwk) = select(&entry.keys, kid, alg) {
                return decoding_key(jwk);
            }
            if entry.fetched.elapsed() < self.min_refetch {
                return Err(no_key(kid));
            }
        }
        let keys = self.fetch(issuer).await?;
        let entry = Arc::new(Entry { keys, fetched: Instant::now() });
        {
            let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            if entries.len() >= MAX_ISSUERS && !entries.contains_key(issuer) {
                entries.retain(|_, e| e.fetched.elapsed() < self.ttl);
                if entries.len() >= MAX_ISSUERS {
                    entries.clear();
                }
            }
            entries.insert(issuer.to_owned(), Arc::clone(&entry));
        }
        select(&entry.keys, kid, alg).map_or_else(|| Err(no_key(kid)), decoding_key)
    }

    async fn fetch(&self, issuer: &str) -> Result<Vec<Jwk>, KeyError> {
        let discovery_url = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
        let discovery = self.fetcher.get_json(&discovery_url).await?;
        let jwks_uri = jwks_uri(&discovery, issuer)?;
        let set = self.fetcher.get_json(&jwks_uri).await?;
        parse_key_set(&set)
    }
}

fn no_key(kid: Option<&str>) -> KeyError {
    KeyError::NoKey(match kid {
        Some(k) => format!("the issuer's key set has no usable key with id {k}"),
        None => "the token names no key id and the issuer's key set has no single usable key".into(),
    })
}

fn decoding_key(jwk: &Jwk) -> Result<DecodingKey, KeyError> {
    DecodingKey::from_jwk(jwk).map_err(|e| KeyError::NoKey(format!("the issuer's key is unusable: {e}")))
}

/// The `jwks_uri` of a discovery document, which must be the document of `issuer`.
pub(crate) fn jwks_uri(discovery: &serde_json::Value, issuer: &str) -> Result<String, KeyError> {
    let named = discovery.get("issuer").and_then(|v| v.as_str()).unwrap_or_default();
    if named.trim_end_matches('/') != issuer.trim_end_matches('/') {
        return Err(KeyError::NoKey(format!("the discovery document of {issuer} names another issuer ({named})")));
    }
    discovery
        .get("jwks_uri")
        .and_then(|v| v.as_str())
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| KeyError::NoKey(format!("the discovery document of {issuer} has no jwks_uri")))
}

/// The usable public keys of a JWK set; keys of kinds Rampart does not verify with (symmetric,
/// encryption-only, unknown) are skipped rather than failing the whole set.
pub(crate) fn parse_key_set(set: &serde_json::Value) -> Result<Vec<Jwk>, KeyError> {
    let keys = set
        .get("keys")
        .and_then(|k| k.as_array())
        .ok_or_else(|| KeyError::NoKey("the issuer's key set has no keys array".into()))?;
    let mut out = Vec::new();
    for k in keys.iter().take(MAX_KEYS) {
        let Ok(jwk) = serde_json::from_value::<Jwk>(k.clone()) else { continue };
        let public = matches!(
            jwk.algorithm,
            AlgorithmParameters::RSA(_) | AlgorithmParameters::EllipticCurve(_) | AlgorithmParameters::OctetKeyPair(_)
        );
        let signing = matches!(jwk.common.public_key_use, None | Some(PublicKeyUse::Signature));
        if public && signing {
            out.push(jwk);
        }
    }
    Ok(out)
}

fn family_of(jwk: &Jwk) -> Option<AlgorithmFamily> {
    match jwk.algorithm {
        AlgorithmParameters::RSA(_) => Some(AlgorithmFamily::Rsa),
        AlgorithmParameters::EllipticCurve(_) => Some(AlgorithmFamily::Ec),
        AlgorithmParameters::OctetKeyPair(_) => Some(AlgorithmFamily::Ed),
        _ => None,
    }
}

/// The key that verifies a token signed with `alg` under `kid`: the key with that id (whose
/// type, and declared algorithm if any, fit `alg`), or without a key id the only key that fits.
pub(crate) fn select<'k>(keys: &'k [Jwk], kid: Option<&str>, alg: Algorithm) -> Option<&'k Jwk> {
    let fits = |k: &&Jwk| family_of(k) == Some(alg.family()) && k.common.key_algorithm.is_none_or(|a| a == alg.into());
    match kid {
        Some(kid) => keys.iter().filter(fits).find(|k| k.common.key_id.as_deref() == Some(kid)),
        None => {
            let mut it = keys.iter().filter(fits);
            let first = it.next()?;
            it.next().is_none().then_some(first)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// An RSA modulus (base64url) for key-set tests; these tests verify no signature with it.
    const RSA_N: &str = concat!(
        "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRRO",
        "SBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJ",
        "Q4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrN",
        "hZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw",
    );

    fn rsa(kid: &str) -> serde_json::Value {
        json!({"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": RSA_N, "e": "AQAB"})
    }

    #[test]
    fn key_sets_keep_only_public_signing_keys() {
        let set = json!({"keys": [
            rsa("a"),
            {"kty": "oct", "kid": "secret", "k": "c2VjcmV0"},
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
            {"kty": "weird", "kid": "w"},
            {
                "kty": "EC", "kid": "e", "crv": "P-256",
                "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
            },
        ]});
        let keys = parse_key_set(&set).unwrap();
        let kids: Vec<_> = keys.iter().map(|k| k.common.key_id.clone().unwrap()).collect();
        assert_eq!(kids, ["a", "e"]);
        assert!(parse_key_set(&json!({"nokeys": []})).is_err());
    }

    #[test]
    fn keys_are_selected_by_id_type_and_algorithm() {
        let keys = parse_key_set(&json!({"keys": [rsa("a"), rsa("b")]})).unwrap();
        assert_eq!(select(&keys, Some("b"), Algorithm::RS256).unwrap().common.key_id.as_deref(), Some("b"));
        assert!(select(&keys, Some("c"), Algorithm::RS256).is_none());
        // A key declared for RS256 does not verify RS512 or ES256 tokens.
        assert!(select(&keys, Some("a"), Algorithm::RS512).is_none());
        assert!(select(&keys, Some("a"), Algorithm::ES256).is_none());
        // Without a key id, only an unambiguous key is used.
        assert!(select(&keys, None, Algorithm::RS256).is_none());
        assert!(select(&keys[..1], None, Algorithm::RS256).is_some());
    }

    /// A one-connection-at-a-time HTTP/1.1 server on loopback answering from `route(path)`
    /// (status, body), counting requests.
    async fn serve(
        route: impl Fn(&str, &str) -> (u16, String) + Send + Sync + 'static,
    ) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let hits = Arc::new(AtomicUsize::new(0));
        let (count, issuer) = (Arc::clone(&hits), base.clone());
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let mut buf = vec![0u8; 4096];
                let mut len = 0;
                while !buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf[len..]).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => len += n,
                    }
                }
                let request = String::from_utf8_lossy(&buf[..len]).into_owned();
                let path = request.split_whitespace().nth(1).unwrap_or("/").to_owned();
                count.fetch_add(1, Ordering::SeqCst);
                let (status, body) = route(&issuer, &path);
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                     connection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(reply.as_bytes()).await;
            }
        });
        (base, hits)
    }

    fn issuer_route(issuer: &str, path: &str) -> (u16, String) {
        match path {
            "/.well-known/openid-configuration" => {
                (200, json!({"issuer": issuer, "jwks_uri": format!("{issuer}/keys")}).to_string())
            }
            "/keys" => (200, json!({"keys": [rsa("k1")]}).to_string()),
            _ => (404, "{}".into()),
        }
    }

    #[tokio::test]
    async fn keys_are_fetched_cached_and_refetched_for_unknown_ids() {
        use std::sync::atomic::Ordering;
        let (issuer, hits) = serve(issuer_route).await;
        let cache = KeyCache::new();
        assert!(cache.key(&issuer, Some("k1"), Algorithm::RS256).await.is_ok());
        assert_eq!(hits.load(Ordering::SeqCst), 2, "discovery document, then keys");
        assert!(cache.key(&issuer, Some("k1"), Algorithm::RS256).await.is_ok());
        assert_eq!(hits.load(Ordering::SeqCst), 2, "served from the cache");
        // An unknown key id right after a fetch does not make Rampart ask again...
        assert!(matches!(cache.key(&issuer, Some("k9"), Algorithm::RS256).await, Err(KeyError::NoKey(_))));
        assert_eq!(hits.load(Ordering::SeqCst), 2);
        // ...but once the minimum interval has passed it does (the issuer may have rotated keys).
        let eager = KeyCache::with_timing(TTL, Duration::ZERO);
        assert!(eager.key(&issuer, Some("k1"), Algorithm::RS256).await.is_ok());
        assert!(matches!(eager.key(&issuer, Some("k9"), Algorithm::RS256).await, Err(KeyError::NoKey(_))));
        assert_eq!(hits.load(Ordering::SeqCst), 6);
    }

    #[tokio::test]
    async fn issuer_failures_are_told_apart() {
        // Not 200: unreachable (IDPCommunicationError).
        let (down, _) = serve(|_, _| (503, "{}".into())).await;
        assert!(matches!(KeyCache::new().key(&down, None, Algorithm::RS256).await, Err(KeyError::Unreachable(_))));
        // Nothing listening: unreachable.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let closed = format!("http://127.0.0.1:{port}");
        assert!(matches!(KeyCache::new().key(&closed, None, Algorithm::RS256).await, Err(KeyError::Unreachable(_))));
        // Answers that are not an issuer's documents: no key (InvalidIdentityToken).
        let (junk, _) = serve(|_, _| (200, "<html>".into())).await;
        assert!(matches!(KeyCache::new().key(&junk, None, Algorithm::RS256).await, Err(KeyError::NoKey(_))));
        let (liar, _) = serve(|_, path| issuer_route("https://someone-else.example.com", path)).await;
        assert!(matches!(KeyCache::new().key(&liar, None, Algorithm::RS256).await, Err(KeyError::NoKey(_))));
        // Plain HTTP is never used off loopback (no connection is attempted).
        let err = KeyCache::new().key("http://idp.example.com", None, Algorithm::RS256).await;
        assert!(matches!(err, Err(KeyError::NoKey(m)) if m.contains("must use https")));
    }

    #[test]
    fn discovery_must_name_the_issuer() {
        let doc = json!({"issuer": "https://idp.example.com", "jwks_uri": "https://idp.example.com/jwks"});
        assert_eq!(jwks_uri(&doc, "https://idp.example.com/").unwrap(), "https://idp.example.com/jwks");
        assert!(jwks_uri(&doc, "https://evil.example.com").is_err());
        assert!(jwks_uri(&json!({"issuer": "https://idp.example.com"}), "https://idp.example.com").is_err());
    }
}
