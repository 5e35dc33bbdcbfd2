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

/// Checks time window, credential, session token and signature, in AWS's order.
pub(crate) fn authenticate(
    credentials: &dyn CredentialProvider,
    clock: &dyn Clock,
    parts: &SignedParts<'_>,
    sig: &SignatureV4,
    payload_hash: &str,
    mode: UriMode,
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

    let key = credential.signing_key(&sig.scope_date, &sig.region, &sig.service, || {
        sigv4::derive_signing_key(credential.secret(), &sig.scope_date, &sig.region, &sig.service)
    });
    if !sigv4::verify_with_key(parts, sig, payload_hash, mode, &key) {
        tracing::debug!(
            canonical_request = %sigv4::canonical_request(parts, sig, payload_hash, mode),
            "signature mismatch"
        );
        return Ok(Err(AuthFailure::Mismatch(
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.".into(),
        )));
    }
    Ok(Ok(credential))
}
