//! Authentication: from a parsed SigV4 signature to a verified credential.

use rampart_core::clock::Clock;
use rampart_core::credentials::{Credential, CredentialProvider};
use rampart_wire::AuthFailure;
use rampart_wire::sigv4::{self, AuthLocation, SignatureV4, SignedParts, UriMode};
use std::sync::Arc;
use time::Duration;

/// How far a request's time may be from ours, as AWS allows.
pub const MAX_SKEW: Duration = Duration::minutes(15);

/// Why authentication failed: the failure to report, and the credential's key id if known.
pub(crate) type AuthResult = Result<Arc<Credential>, AuthFailure>;

/// Checks everything that needs no body, in AWS's order: time window, credential, session token,
/// expiry. The pipeline runs it before reading the body, so a request that cannot succeed costs
/// no body bytes (and `Expect: 100-continue` gets its final answer at once).
pub(crate) fn precheck(
    credentials: &dyn CredentialProvider,
    clock: &dyn Clock,
    sig: &SignatureV4,
) -> Result<AuthResult, rampart_core::AwsError> {
    let now = clock.now();
    let fmt = sigv4::format_amz_date;
    match sig.location {
        AuthLocation::Header => {
            if sig.timestamp < now - MAX_SKEW {
                return Ok(Err(AuthFailure::Skewed(format!(
                    "Signature expired: {} is now earlier than {} ({} - 15 min.)",
                    fmt(sig.timestamp),
                    fmt(now - MAX_SKEW),
                    fmt(now)
                ))));
            }
            if sig.timestamp > now + MAX_SKEW {
                return Ok(Err(AuthFailure::Skewed(format!(
                    "Signature not yet current: {} is still later than {} ({} + 15 min.)",
                    fmt(sig.timestamp),
                    fmt(now + MAX_SKEW),
                    fmt(now)
                ))));
            }
        }
        AuthLocation::Query => {
            let expires = Duration::seconds(i64::try_from(sig.expires.unwrap_or(900)).unwrap_or(i64::MAX));
            if sig.timestamp + expires < now {
                return Ok(Err(AuthFailure::PresignedExpired(format!(
                    "Signature expired: {} is now earlier than {} ({} - {} sec.)",
                    fmt(sig.timestamp + expires),
                    fmt(now),
                    fmt(sig.timestamp),
                    expires.whole_seconds()
                ))));
            }
            if sig.timestamp > now + MAX_SKEW {
                return Ok(Err(AuthFailure::Skewed(format!(
                    "Signature not yet current: {} is still later than {} ({} + 15 min.)",
                    fmt(sig.timestamp),
                    fmt(now + MAX_SKEW),
                    fmt(now)
                ))));
            }
        }
    }

    let Some(credential) = credentials.lookup(&sig.access_key_id)? else {
        return Ok(Err(AuthFailure::UnknownAccessKey));
    };
    if !credential.session_token_matches(sig.security_token.as_deref()) {
        return Ok(Err(AuthFailure::InvalidToken));
    }
    if credential.expires_at().is_some_and(|exp| exp <= now) {
        return Ok(Err(AuthFailure::TokenExpired));
    }
    Ok(Ok(credential))
}

/// Checks the signature of a request whose credential [`precheck`] accepted, once the payload
/// hash is known.
pub(crate) fn verify(
    credential: &Credential,
    parts: &SignedParts<'_>,
    sig: &SignatureV4,
    payload_hash: &str,
    mode: UriMode,
) -> Result<(), AuthFailure> {
    let key = credential.signing_key(&sig.scope_date, &sig.region, &sig.service, || {
        sigv4::derive_signing_key(credential.secret(), &sig.scope_date, &sig.region, &sig.service)
    });
    if !sigv4::verify_with_key(parts, sig, payload_hash, mode, &key) {
        if tracing::enabled!(tracing::Level::DEBUG) {
            let creq = sigv4::canonical_request(parts, sig, payload_hash, mode);
            tracing::debug!(canonical_request = %redact_token(&creq), "signature mismatch");
        }
        return Err(AuthFailure::Mismatch(
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.".into(),
        ));
    }
    Ok(())
}

/// The canonical request with the session token removed: it is a credential and is never logged.
fn redact_token(creq: &str) -> String {
    let mut out = String::with_capacity(creq.len());
    for (i, line) in creq.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if line.starts_with("x-amz-security-token:") {
            out.push_str("x-amz-security-token:<redacted>");
        } else if i == 2 {
            // The canonical query string: presigned URLs carry the token as a parameter.
            let parts: Vec<String> = line
                .split('&')
                .map(|p| {
                    if p.starts_with("X-Amz-Security-Token=") {
                        "X-Amz-Security-Token=<redacted>".to_owned()
                    } else {
                        p.to_owned()
                    }
                })
                .collect();
            out.push_str(&parts.join("&"));
        } else {
            out.push_str(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_core::clock::FixedClock;
    use rampart_core::ids::AccountId;
    use rampart_core::{AwsError, Principal};
    use std::collections::HashMap;
    use time::OffsetDateTime;
    use zeroize::Zeroizing;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const TOKEN: &str = "session-token";

    struct Keys(HashMap<String, Arc<Credential>>);

    impl CredentialProvider for Keys {
        fn lookup(&self, id: &str) -> Result<Option<Arc<Credential>>, AwsError> {
            Ok(self.0.get(id).cloned())
        }
    }

    fn session(expires: i64) -> Keys {
        let principal = Arc::new(Principal::root(AccountId::parse("123456789012").unwrap(), "ASIAEXAMPLE"));
        let hash: [u8; 32] =
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, TOKEN.as_bytes()).as_ref().try_into().unwrap();
        let cred = Credential::new(
            principal,
            Zeroizing::new(SECRET.to_owned()),
            Some(hash),
            Some(OffsetDateTime::from_unix_timestamp(expires).unwrap()),
        );
        Keys(HashMap::from([("ASIAEXAMPLE".to_owned(), Arc::new(cred))]))
    }

    /// A request signed at `at` with the session's key, carrying `token`.
    fn check(keys: &Keys, now: i64, at: i64, token: &str) -> Result<(), AuthFailure> {
        let t = OffsetDateTime::from_unix_timestamp(at).unwrap();
        let amz = sigv4::format_amz_date(t);
        let mut headers = http::HeaderMap::new();
        headers.insert("host", "localhost".parse().unwrap());
        headers.insert("x-amz-date", amz.parse().unwrap());
        headers.insert("x-amz-security-token", token.parse().unwrap());
        let provisional = format!(
            "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/{}/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature={}",
            &amz[..8],
            "0".repeat(64)
        );
        headers.insert("authorization", provisional.parse().unwrap());
        let hash = sigv4::payload_hash(b"");
        let signature = {
            let parts = SignedParts {
                method: "GET",
                raw_path: "/",
                raw_query: "Action=GetCallerIdentity",
                headers: &headers,
                authority: None,
            };
            let sig = sigv4::parse(&parts).unwrap().unwrap();
            let key = sigv4::derive_signing_key(SECRET, &amz[..8], "us-east-1", "sts");
            let creq = sigv4::canonical_request(&parts, &sig, &hash, UriMode::NormalizedDoubleEncoded);
            hex::encode(sigv4::sign(&key, &sigv4::string_to_sign(&sig, &creq)))
        };
        headers.insert("authorization", provisional.replace(&"0".repeat(64), &signature).parse().unwrap());
        let parts = SignedParts {
            method: "GET",
            raw_path: "/",
            raw_query: "Action=GetCallerIdentity",
            headers: &headers,
            authority: None,
        };
        let sig = sigv4::parse(&parts).unwrap().unwrap();
        let clock = FixedClock::at(now);
        let cred = precheck(keys, &clock, &sig).unwrap()?;
        verify(&cred, &parts, &sig, &hash, UriMode::NormalizedDoubleEncoded)
    }

    #[test]
    fn logged_canonical_requests_carry_no_session_token() {
        let creq = "GET\n/\nAction=X&X-Amz-Security-Token=SECRET1&a=b\nhost:h\nx-amz-security-token:SECRET2\n\nhost;x-amz-security-token\nUNSIGNED-PAYLOAD";
        let red = redact_token(creq);
        assert!(!red.contains("SECRET1") && !red.contains("SECRET2"), "{red}");
        assert!(red.contains("Action=X") && red.contains("host:h"));
    }

    #[test]
    fn temporary_credentials_expire_when_they_say() {
        let keys = session(1_700_000_900);
        assert_eq!(check(&keys, 1_700_000_000, 1_700_000_000, TOKEN), Ok(()));
        assert_eq!(check(&keys, 1_700_000_899, 1_700_000_899, TOKEN), Ok(()));
        assert_eq!(check(&keys, 1_700_000_900, 1_700_000_900, TOKEN), Err(AuthFailure::TokenExpired));
        assert_eq!(check(&keys, 1_700_005_000, 1_700_005_000, TOKEN), Err(AuthFailure::TokenExpired));
    }

    #[test]
    fn wrong_session_token_is_invalid_even_when_expired() {
        let keys = session(1_700_000_900);
        assert_eq!(check(&keys, 1_700_000_000, 1_700_000_000, "other-token"), Err(AuthFailure::InvalidToken));
    }

    #[test]
    fn clock_window_is_fifteen_minutes_each_way() {
        let keys = session(1_800_000_000);
        let now = 1_700_000_000;
        assert_eq!(check(&keys, now, now - 899, TOKEN), Ok(()));
        assert!(
            matches!(check(&keys, now, now - 901, TOKEN), Err(AuthFailure::Skewed(m)) if m.starts_with("Signature expired"))
        );
        assert!(
            matches!(check(&keys, now, now + 901, TOKEN), Err(AuthFailure::Skewed(m)) if m.starts_with("Signature not yet current"))
        );
    }
}
