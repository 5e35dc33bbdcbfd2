//! `AssumeRoleWithWebIdentity`: an OpenID Connect ID token exchanged for role credentials.
//!
//! The call is unsigned: the token is the credential. It is verified for real: its issuer must
//! be an OIDC provider registered in the role's account, its signature must verify with a key
//! the issuer publishes (discovery document → `jwks_uri`), it must not be expired, and its
//! audience must be one of the provider's client ids. Then the role's trust policy decides,
//! with the token's claims as condition keys (`HOST/PATH:sub`, `HOST/PATH:aud`,
//! `HOST/PATH:amr`, `aws:FederatedProvider`).

use crate::accounts::iso_now;
use crate::model::{Kind, OidcProviderRecord, RoleRecord, SessionKind, SessionRecord, WebIdentityClaims};
use crate::oidc::issuer::IssuerUrl;
use crate::oidc::keys::{KeyCache, KeyError};
use crate::oidc::token::{self, Claims, TokenError};
use crate::shapes::sts as sts_shapes;
use crate::state::Iam;
use crate::sts::{
    check_role_duration, credentials, issue, packed_percent, parse_role_arn, session_policies, validation,
};
use rampart_core::AwsError;
use rampart_core::authz::RequestContext;
use rampart_core::ids::AccountId;
use rampart_policy::{AuthzContext, ConditionContext, Decision, PolicyKind, PolicySet, PrincipalInfo, ResourcePolicy};
use rampart_wire::model::SecretString;
use rampart_wire::{Access, Call, Operation};
use std::sync::Arc;

/// The IAM action this operation is authorized as, in the role's trust policy.
const ACTION: &str = "sts:AssumeRoleWithWebIdentity";

/// `AssumeRoleWithWebIdentity`, for the STS service; its issuers' keys are cached per service.
pub(crate) fn operations(iam: &Arc<Iam>) -> Vec<Operation> {
    let iam = Arc::clone(iam);
    let keys = Arc::new(KeyCache::new());
    vec![
        Operation::modeled::<sts_shapes::AssumeRoleWithWebIdentity, _, _>(ACTION, move |call, input| {
            let iam = Arc::clone(&iam);
            let keys = Arc::clone(&keys);
            async move { assume_role_with_web_identity(iam, &keys, call, input).await }
        })
        // Unsigned: the pipeline has no principal to authorize. The handler verifies the token
        // and then authorizes against the role's trust policy: see `authorize_web_identity`.
        .access(Access::Anonymous),
    ]
}

fn invalid_token(message: impl Into<String>) -> AwsError {
    AwsError::new("InvalidIdentityToken", 400, message)
}

fn not_authorized() -> AwsError {
    AwsError::access_denied(format!("Not authorized to perform {ACTION}"))
}

fn token_error(e: TokenError) -> AwsError {
    match e {
        TokenError::Malformed => invalid_token(
            "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)",
        ),
        TokenError::Algorithm => invalid_token(format!(
            "The ID Token is signed with an unsupported algorithm; supported: {}",
            token::ALGORITHMS.iter().map(|a| format!("{a:?}")).collect::<Vec<_>>().join(", ")
        )),
        TokenError::Signature => {
            invalid_token("The ID Token signature could not be verified with the identity provider's keys.")
        }
        TokenError::Expired { now, exp } => AwsError::new(
            "ExpiredTokenException",
            400,
            // AWS's message, including its missing space.
            format!("Token expired: current date/time {now} must be before the expiration date/time{exp}"),
        ),
        TokenError::MissingClaim(claim) => {
            invalid_token(format!("The ID Token's {claim} claim is missing or not valid."))
        }
        TokenError::NotYetValid => invalid_token("The ID Token is not valid yet (its nbf is in the future)."),
        TokenError::IssuedInFuture => invalid_token("The ID Token was issued in the future (its iat is after now)."),
        TokenError::Issuer => invalid_token("The ID Token's issuer is not the OpenIDConnect provider's URL."),
        TokenError::Audience => invalid_token("Incorrect token audience"),
    }
}

fn key_error(issuer: &str, e: KeyError) -> AwsError {
    match e {
        KeyError::Unreachable(why) => {
            tracing::warn!(issuer, why, "cannot reach the identity provider for its keys");
            AwsError::new(
                "IDPCommunicationError",
                400,
                "The request could not be fulfilled because the identity provider (IDP) that was asked to verify \
                 the incoming identity token could not be reached. This is often a transient error caused by \
                 network conditions. Retry the request a limited number of times and then fail the operation.",
            )
        }
        KeyError::NoKey(why) => {
            tracing::info!(issuer, why, "no verification key for a web identity token");
            invalid_token(
                "Couldn't retrieve verification key from your identity provider,  please reference \
                 AssumeRoleWithWebIdentity documentation for requirements",
            )
        }
    }
}

/// The call's parameters, validated: the model checked lengths, characters and ranges; what it
/// cannot express is checked here.
struct Params {
    role_arn: String,
    account: AccountId,
    role_name: String,
    session_name: String,
    /// The token is a credential: zeroized when dropped, never echoed.
    token: SecretString,
    duration: i64,
    policy: Option<String>,
    policy_arns: Option<Vec<sts_shapes::PolicyDescriptorType>>,
}

impl Params {
    fn parse(input: sts_shapes::AssumeRoleWithWebIdentityRequest) -> Result<Self, AwsError> {
        let role_arn = input.role_arn;
        let (account, role_name) = parse_role_arn(&role_arn).ok_or_else(|| {
            validation("RoleArn", &role_arn, "Member must be the ARN of an IAM role (arn:aws:iam::ACCOUNT:role/NAME)")
        })?;
        let role_name = role_name.to_owned();
        if input.provider_id.is_some() {
            return Err(AwsError::invalid_parameter_value(
                "ProviderId is only for OAuth 2.0 access tokens of www.amazon.com and graph.facebook.com; \
                 OpenID Connect ID tokens, the only kind Rampart accepts, take no ProviderId.",
            ));
        }
        Ok(Self {
            role_arn,
            account,
            role_name,
            session_name: input.role_session_name,
            token: input.web_identity_token,
            duration: input.duration_seconds.map_or(3600, i64::from),
            policy: input.policy,
            policy_arns: input.policy_arns,
        })
    }
}

/// The registered provider of issuer `iss` in `account`.
fn find_provider(iam: &Iam, account: &AccountId, iss: &str) -> Result<(OidcProviderRecord, IssuerUrl), AwsError> {
    let none = || invalid_token(format!("No OpenIDConnect provider found in your account for {iss}"));
    let url = IssuerUrl::parse(iss).map_err(|_| none())?;
    let provider: OidcProviderRecord = iam.get(Kind::Oidc, account, &url.provider_id())?.ok_or_else(none)?;
    let registered = IssuerUrl::parse(&provider.url).map_err(|_| none())?;
    if registered != url || provider.arn != url.arn(account) {
        return Err(none());
    }
    Ok((provider, url))
}

async fn assume_role_with_web_identity(
    iam: Arc<Iam>,
    keys: &KeyCache,
    call: Call,
    input: sts_shapes::AssumeRoleWithWebIdentityRequest,
) -> Result<sts_shapes::AssumeRoleWithWebIdentityResponse, AwsError> {
    let params = Params::parse(input)?;
    let peeked = token::peek(&params.token).map_err(token_error)?;
    let (provider, url) = find_provider(&iam, &params.account, &peeked.iss)?;
    let key =
        keys.key(&provider.url, peeked.kid.as_deref(), peeked.alg).await.map_err(|e| key_error(&provider.url, e))?;
    let verified = token::verify(&params.token, &key, peeked.alg).map_err(token_error)?;
    let now = iam.clock.now().unix_timestamp();
    let claims = token::check_claims(&verified, &peeked.iss, &provider.client_ids, now).map_err(token_error)?;
    // Authorization and issuing read and write the store: off the request threads.
    tokio::task::spawn_blocking(move || {
        let verified = VerifiedToken { provider: &provider, provider_id: url.provider_id(), claims: &claims };
        issue_session(&iam, &call, &params, &verified)
    })
    .await
    .map_err(|_| AwsError::internal())?
}

/// A token whose signature and claims have been verified, and the provider that vouches for it.
struct VerifiedToken<'a> {
    provider: &'a OidcProviderRecord,
    /// `host[:port]/path`, the prefix of the provider's condition keys.
    provider_id: String,
    claims: &'a Claims,
}

/// Authorizes an `AssumeRoleWithWebIdentity` call: the role's trust policy must allow
/// `sts:AssumeRoleWithWebIdentity` to the identity provider (`{"Federated": PROVIDER_ARN}`),
/// under the token's claims as condition keys.
///
/// This is the one place in Rampart where a handler, not the pipeline, authorizes a call. The
/// call is anonymous: its principal (the identity provider, vouching for the token's subject)
/// is known only once the token has been verified, which the pipeline cannot do. The decision
/// is the policy engine's, exactly as for `AssumeRole`, with the trust policy as the resource
/// policy and no identity policies.
fn authorize_web_identity(
    iam: &Iam,
    role: &RoleRecord,
    token: &VerifiedToken<'_>,
    session_name: &str,
    request: &RequestContext,
) -> Result<(), AwsError> {
    let cache_key = format!("trust:{}#{}#{}", role.arn, role.role_id, role.trust_version);
    let trust = iam.parse_cached(&cache_key, &role.trust_policy, PolicyKind::Trust, "trust-policy").map_err(|e| {
        tracing::error!(role = %role.arn, error = %e, "stored trust policy does not parse; denying");
        not_authorized()
    })?;
    let principal = PrincipalInfo::web_identity(&token.provider.arn);
    let mut context = ConditionContext::new();
    context.set_current_time(request.received_at);
    context.set_source_ip(request.source_ip);
    context.set_secure_transport(request.secure_transport);
    context.insert("aws:UserAgent", request.user_agent.clone());
    context.insert("aws:RequestedRegion", request.region.clone());
    context.insert("aws:ViaAWSService", "false");
    context.insert("aws:PrincipalIsAWSService", "false");
    context.set_principal(&principal);
    context.insert("aws:FederatedProvider", token.provider.arn.clone());
    let id = &token.provider_id;
    context.insert(&format!("{id}:sub"), token.claims.sub.clone());
    context.insert(&format!("{id}:aud"), token.claims.aud.clone());
    if !token.claims.amr.is_empty() {
        context.insert_multi(&format!("{id}:amr"), token.claims.amr.iter().cloned());
    }
    context.insert("sts:RoleSessionName", session_name);
    if let Some(si) = &token.claims.source_identity {
        context.insert("sts:SourceIdentity", si.clone());
    }
    let owner = role.arn.split(':').nth(4).unwrap_or_default();
    let result = AuthzContext {
        principal: &principal,
        action: ACTION,
        resource: &role.arn,
        context: &context,
        policies: PolicySet {
            resource: Some(ResourcePolicy { policy: trust.as_ref(), owner_account: owner, grant_required: true }),
            ..PolicySet::default()
        },
    }
    .evaluate();
    if result.decision == Decision::Allow {
        Ok(())
    } else {
        tracing::info!(role = %role.arn, provider = %token.provider.arn, decision = ?result.decision,
            "trust policy refuses the web identity");
        Err(not_authorized())
    }
}

fn issue_session(
    iam: &Iam,
    call: &Call,
    params: &Params,
    token: &VerifiedToken<'_>,
) -> Result<sts_shapes::AssumeRoleWithWebIdentityResponse, AwsError> {
    // A role that does not exist is indistinguishable from one that does not trust the token.
    let role: RoleRecord = iam
        .get::<RoleRecord>(Kind::Role, &params.account, &params.role_name)?
        .filter(|r| r.arn == params.role_arn)
        .ok_or_else(not_authorized)?;
    authorize_web_identity(iam, &role, token, &params.session_name, &call.context)?;
    check_role_duration(params.duration, i64::from(role.max_session_duration))?;
    let claims = token.claims;
    if let Some(si) = claims.source_identity.as_deref() {
        let ok = (2..=64).contains(&si.len())
            && si.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
            && !si.to_ascii_lowercase().starts_with("aws:");
        if !ok {
            return Err(invalid_token(format!(
                "The ID Token's {} claim must be 2 to 64 characters of [\\w+=,.@-], not starting with aws:",
                token::SOURCE_IDENTITY_CLAIM
            )));
        }
    }
    let (policies, packed) = session_policies(iam, params.policy.as_deref(), params.policy_arns.as_deref())?;
    let now = iam.clock.now();
    let session_arn = format!("arn:aws:sts::{}:assumed-role/{}/{}", params.account, role.name, params.session_name);
    let user_id = format!("{}:{}", role.role_id, params.session_name);
    let record = SessionRecord {
        access_key_id: String::new(),
        sealed_secret: String::new(),
        token_sha256: String::new(),
        kind: SessionKind::AssumedRole,
        account_id: params.account.clone(),
        arn: session_arn.clone(),
        user_id: user_id.clone(),
        role_arn: Some(role.arn.clone()),
        subject_name: Some(role.name.clone()),
        session_name: Some(params.session_name.clone()),
        creation: iso_now(),
        expires_unix: now.unix_timestamp() + params.duration,
        mfa_unix: None,
        source_identity: claims.source_identity.clone(),
        tags: Vec::new(),
        transitive_tag_keys: Vec::new(),
        session_policies: policies,
        web_identity: Some(WebIdentityClaims {
            provider_arn: token.provider.arn.clone(),
            provider: token.provider_id.clone(),
            sub: claims.sub.clone(),
            aud: claims.aud.clone(),
        }),
    };
    let issued = issue(iam, record)?;
    tracing::info!(role = %role.arn, provider = %token.provider.arn, sub = %claims.sub, "web identity session issued");
    Ok(sts_shapes::AssumeRoleWithWebIdentityResponse {
        credentials: Some(credentials(issued)),
        subject_from_web_identity_token: Some(claims.sub.clone()),
        assumed_role_user: Some(sts_shapes::AssumedRoleUser { assumed_role_id: user_id, arn: session_arn }),
        packed_policy_size: packed_percent(packed),
        provider: Some(token.provider.arn.clone()),
        audience: Some(claims.aud.clone()),
        source_identity: claims.source_identity.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_errors_use_aws_codes_and_statuses() {
        let e = token_error(TokenError::Expired { now: 1_624_482_533, exp: 1_624_482_335 });
        assert_eq!((e.code(), e.status()), ("ExpiredTokenException", 400));
        assert_eq!(
            e.message(),
            "Token expired: current date/time 1624482533 must be before the expiration date/time1624482335"
        );
        let e = token_error(TokenError::Audience);
        assert_eq!((e.code(), e.status(), e.message()), ("InvalidIdentityToken", 400, "Incorrect token audience"));
        for t in [TokenError::Malformed, TokenError::Signature, TokenError::Algorithm, TokenError::NotYetValid] {
            assert_eq!(token_error(t).code(), "InvalidIdentityToken");
        }
        let e = key_error("https://idp.example.com", KeyError::Unreachable("timeout".into()));
        assert_eq!((e.code(), e.status()), ("IDPCommunicationError", 400));
        let e = key_error("https://idp.example.com", KeyError::NoKey("no kid".into()));
        assert_eq!(e.code(), "InvalidIdentityToken");
        assert!(e.message().starts_with("Couldn't retrieve verification key"));
        assert_eq!((not_authorized().code(), not_authorized().status()), ("AccessDenied", 403));
    }

    #[test]
    fn params_keep_what_the_model_cannot_check() {
        let input = |arn: &str, provider: Option<&str>| sts_shapes::AssumeRoleWithWebIdentityRequest {
            role_arn: arn.to_owned(),
            role_session_name: "run-1".to_owned(),
            web_identity_token: SecretString::from("a.b.c.d".to_owned()),
            provider_id: provider.map(str::to_owned),
            duration_seconds: Some(900),
            ..Default::default()
        };
        let ok = Params::parse(input("arn:aws:iam::111122223333:role/ci/deploy", None))
            .map_err(|e| e.message().to_owned())
            .unwrap();
        assert_eq!((ok.role_name.as_str(), ok.account.as_str(), ok.duration), ("deploy", "111122223333", 900));
        assert_eq!(&*ok.token, "a.b.c.d");
        let err = |i| Params::parse(i).err().map(|e| e.code().to_owned()).unwrap();
        assert_eq!(
            err(input("arn:aws:iam::111122223333:role/deploy", Some("graph.facebook.com"))),
            "InvalidParameterValue"
        );
        assert_eq!(err(input("arn:aws:iam::111122223333:user/bob", None)), "ValidationError");
    }
}
