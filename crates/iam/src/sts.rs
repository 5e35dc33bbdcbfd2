//! AWS Security Token Service (query protocol, `sts`): caller identity and temporary credentials.

use crate::accounts::{iso_now, seal_secret};
use crate::model::{Kind, RoleRecord, SESSIONS, SessionKind, SessionRecord, WebIdentityClaims};
use crate::shapes::sts as sts_shapes;
use crate::state::Iam;
use crate::util::{invalid_input, limit_exceeded, malformed_policy};
use aws_lc_rs::digest;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use rampart_core::authz::{ResourcePolicyRef, Target};
use rampart_core::ids::{AccountId, fill_random, new_secret_access_key, prefixed_id};
use rampart_core::{AwsError, Principal, PrincipalKind};
use rampart_policy::{Policy, PolicyKind, limits};
use rampart_store::{StoreExt, TxnExt};
use rampart_wire::model::{Model, SecretString, Timestamp};
use rampart_wire::{Access, Call, Operation, Service};
use std::sync::{Arc, LazyLock};
use zeroize::Zeroizing;

/// The STS XML namespace.
pub const NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// STS's model (botocore's, trimmed by `scripts/models`), read once.
pub fn model() -> Arc<Model> {
    static MODEL: LazyLock<Arc<Model>> =
        LazyLock::new(|| Arc::new(Model::from_json(sts_shapes::MODEL).expect("the committed STS model reads")));
    Arc::clone(&MODEL)
}

/// The STS service definition.
pub fn service(iam: &Arc<Iam>) -> Service {
    let assume = Arc::clone(iam);
    let assume_target = Arc::clone(iam);
    let session = Arc::clone(iam);
    let info = Arc::clone(iam);
    let mut svc = Service::from_model("sts", model())
        .global_endpoint()
        // CloudTrail does not record MFA codes.
        .omitted_from_audit(&["TokenCode"]);
    for op in crate::web_identity::operations(iam) {
        svc = svc.operation(op);
    }
    svc
        // AWS: "No permissions are required to perform this operation"; even an explicit deny
        // does not stop it.
        .operation(
            Operation::modeled::<sts_shapes::GetCallerIdentity, _, _>("sts:GetCallerIdentity", get_caller_identity)
                .access(Access::AnyAuthenticated)
                .read_only(),
        )
        .operation(
            Operation::modeled::<sts_shapes::AssumeRole, _, _>("sts:AssumeRole", move |call, input| {
                let iam = Arc::clone(&assume);
                async move { blocking(move || assume_role(&iam, &call, input)).await }
            })
            .target(move |call| assume_role_target(&assume_target, call)),
        )
        // AWS: GetSessionToken needs no permission: it authenticates the caller (with MFA).
        .operation(
            Operation::modeled::<sts_shapes::GetSessionToken, _, _>("sts:GetSessionToken", move |call, input| {
                let iam = Arc::clone(&session);
                async move { blocking(move || get_session_token(&iam, &call, input)).await }
            })
            .access(Access::AnyAuthenticated),
        )
        .operation({
            let decode = Arc::clone(iam);
            Operation::modeled::<sts_shapes::DecodeAuthorizationMessage, _, _>(
                "sts:DecodeAuthorizationMessage",
                move |_call, input| {
                    let iam = Arc::clone(&decode);
                    async move {
                        let decoded = crate::authz_message::decode(&iam, &input.encoded_message)?;
                        Ok(sts_shapes::DecodeAuthorizationMessageResponse { decoded_message: Some(decoded) })
                    }
                },
            )
            .read_only()
        })
        .operation(
            Operation::modeled::<sts_shapes::GetAccessKeyInfo, _, _>("sts:GetAccessKeyInfo", move |_call, input| {
                let iam = Arc::clone(&info);
                async move { get_access_key_info(&iam, &input.access_key_id) }
            })
            .read_only(),
        )
}

/// Runs `f` off the request threads (it reads and writes the store).
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, AwsError> + Send + 'static) -> Result<T, AwsError> {
    tokio::task::spawn_blocking(f).await.map_err(|_| AwsError::internal())?
}

async fn get_caller_identity(
    call: Call,
    _: sts_shapes::GetCallerIdentityRequest,
) -> Result<sts_shapes::GetCallerIdentityResponse, AwsError> {
    let p = call.caller()?;
    Ok(sts_shapes::GetCallerIdentityResponse {
        user_id: Some(p.user_id.clone()),
        account: Some(p.account_id.as_str().to_owned()),
        arn: Some(p.arn.clone()),
    })
}

pub(crate) fn validation(param: &str, value: &str, rule: &str) -> AwsError {
    AwsError::validation(format!(
        "1 validation error detected: Value '{value}' at '{}' failed to satisfy constraint: {rule}",
        rampart_wire::query::lower_first(param)
    ))
}

/// `arn:aws:iam::ACCOUNT:role/PATH/NAME` -> (account, name).
pub(crate) fn parse_role_arn(arn: &str) -> Option<(AccountId, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let name = resource.strip_prefix("role/")?.rsplit('/').next()?;
    Some((AccountId::parse(account).ok()?, name))
}

fn assume_role_target(iam: &Iam, call: &Call) -> Result<Target, AwsError> {
    let caller = call.caller()?;
    // The model layer parsed and checked the input before authorization.
    let input: sts_shapes::AssumeRoleRequest =
        serde_json::from_value(call.json().clone()).map_err(|_| AwsError::internal())?;
    let role_arn = input.role_arn.as_str();
    let denied = || {
        AwsError::access_denied(format!(
            "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
            caller.arn
        ))
    };
    let (acct, name) = parse_role_arn(role_arn).ok_or_else(|| {
        validation("RoleArn", role_arn, "Member must be the ARN of an IAM role (arn:aws:iam::ACCOUNT:role/NAME)")
    })?;
    // A role that does not exist is indistinguishable from one that does not trust the caller.
    let role = iam.get::<RoleRecord>(Kind::Role, &acct, name)?.filter(|r| r.arn == role_arn).ok_or_else(denied)?;
    let mut keys: Vec<(String, Vec<String>)> = Vec::new();
    for (key, value) in [
        ("sts:ExternalId", input.external_id.as_deref()),
        ("sts:RoleSessionName", Some(input.role_session_name.as_str())),
        ("sts:SourceIdentity", input.source_identity.as_deref()),
    ] {
        if let Some(v) = value {
            keys.push((key.to_owned(), vec![v.to_owned()]));
        }
    }
    let tags = session_tags(input.tags)?;
    if !tags.is_empty() {
        for t in &tags {
            keys.push((format!("aws:RequestTag/{}", t.key), vec![t.value.clone()]));
        }
        keys.push(("aws:TagKeys".into(), tags.iter().map(|t| t.key.clone()).collect()));
    }
    let transitive = input.transitive_tag_keys.unwrap_or_default();
    if !transitive.is_empty() {
        keys.push(("sts:TransitiveTagKeys".into(), transitive));
    }
    // MFA given with the call counts for this call's conditions (trust policies that demand
    // aws:MultiFactorAuthPresent), once the code is proven.
    if let (Some(serial), Some(code)) = (&input.serial_number, &input.token_code) {
        crate::mfa::verify_code(iam, caller, serial, code)?;
        keys.push(("aws:MultiFactorAuthPresent".into(), vec!["true".into()]));
        keys.push(("aws:MultiFactorAuthAge".into(), vec!["0".into()]));
    }
    let mut target = Target {
        resources: vec![role.arn.clone()],
        resource_policy: Some(ResourcePolicyRef {
            cache_key: format!("trust:{}#{}#{}", role.arn, role.role_id, role.trust_version),
            owner_account: acct,
            document: Arc::from(role.trust_policy.as_str()),
            grant_required: true,
        }),
        condition_keys: keys,
        granted: false,
        also: Vec::new(),
        resolved: Default::default(),
    };
    // AWS: passing session tags needs sts:TagSession, and setting a source identity needs
    // sts:SetSourceIdentity, from the same policies (the trust policy included).
    if !tags.is_empty() {
        target.also.push(("sts:TagSession", target.clone()));
    }
    if input.source_identity.is_some() {
        target.also.push(("sts:SetSourceIdentity", Target { also: Vec::new(), ..target.clone() }));
    }
    Ok(target)
}

/// Session tags from a modeled request (the model checked their count, lengths and characters):
/// no reserved (`aws:`) or duplicate keys.
fn session_tags(tags: Option<Vec<sts_shapes::Tag>>) -> Result<Vec<crate::model::Tag>, AwsError> {
    crate::util::checked_tags(tags.unwrap_or_default().into_iter().map(|t| (t.key, t.value)))
}

/// New temporary credentials stored for `record` (its key id, secret and token hash are filled).
pub(crate) struct Issued {
    pub(crate) access_key_id: String,
    pub(crate) secret: Zeroizing<String>,
    pub(crate) token: String,
    pub(crate) expiration: Timestamp,
}

pub(crate) fn issue(iam: &Iam, mut record: SessionRecord) -> Result<Issued, AwsError> {
    let access_key_id = prefixed_id("ASIA", 20);
    let secret = new_secret_access_key();
    let mut raw = [0u8; 96];
    fill_random(&mut raw);
    let token = B64.encode(raw);
    record.access_key_id.clone_from(&access_key_id);
    record.sealed_secret = seal_secret(iam.keystore.as_ref(), &access_key_id, &secret)?;
    record.token_sha256 = hex::encode(digest::digest(&digest::SHA256, token.as_bytes()).as_ref());
    let expiration = Timestamp::from_secs(record.expires_unix);
    iam.store.transact(|t| {
        if !t.insert_json(SESSIONS, &access_key_id, &record)? {
            return Err(AwsError::internal());
        }
        Ok(())
    })?;
    Ok(Issued { access_key_id, secret, token, expiration })
}

/// The credentials as STS's API shows them; the secret stays zeroized.
pub(crate) fn credentials(c: Issued) -> sts_shapes::Credentials {
    sts_shapes::Credentials {
        access_key_id: c.access_key_id,
        secret_access_key: SecretString(c.secret),
        session_token: c.token,
        expiration: c.expiration,
    }
}

/// `PackedPolicySize`: the session's policies and tags as a percentage of what fits.
pub(crate) fn packed_percent(packed: usize) -> Option<i32> {
    i32::try_from((packed * 100 / (limits::SESSION_POLICY * 2)).min(100)).ok()
}

/// The caller's own session, when it calls with temporary credentials.
fn caller_session(iam: &Iam, caller: &Principal) -> Result<Option<SessionRecord>, AwsError> {
    if caller.session.is_none() {
        return Ok(None);
    }
    Ok(iam.store.get_json(SESSIONS, &caller.access_key_id)?)
}

/// Session policies from `Policy` and `PolicyArns.member.N.arn` (the model checked their
/// lengths and characters), validated as policies.
pub(crate) fn session_policies(
    iam: &Iam,
    policy: Option<&str>,
    arns: Option<&[sts_shapes::PolicyDescriptorType]>,
) -> Result<(Vec<String>, usize), AwsError> {
    let mut docs = Vec::new();
    let mut packed = 0;
    if let Some(p) = policy {
        if limits::policy_size(p) > limits::SESSION_POLICY {
            return Err(AwsError::new(
                "PackedPolicyTooLarge",
                400,
                "Packed size of the session policy exceeds the limit; reduce the Policy parameter.",
            ));
        }
        Policy::parse_as(p, PolicyKind::Session).map_err(|e| malformed_policy(e.aws_message()))?;
        packed += limits::policy_size(p);
        docs.push(p.to_owned());
    }
    // `arn` is not a required member of STS's `PolicyDescriptorType`, but a descriptor without
    // one names no policy: refused ("Value null at 'policyArns.N.member.arn'") rather than
    // silently dropped, since the caller meant to narrow the session with it.
    let arns = arns
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, d)| {
            d.arn.clone().ok_or_else(|| {
                AwsError::validation(format!(
                    "1 validation error detected: Value null at 'policyArns.{}.member.arn' failed to satisfy \
                     constraint: Member must not be null",
                    i + 1
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if arns.len() > 10 {
        return Err(validation(
            "PolicyArns",
            &arns.len().to_string(),
            "Member must have length less than or equal to 10",
        ));
    }
    for arn in arns {
        let doc = iam
            .managed_policy_document(&arn)?
            .ok_or_else(|| invalid_input(format!("Policy {arn} does not exist or is not attachable.")))?;
        packed += arn.len();
        docs.push(doc);
    }
    Ok((docs, packed))
}

/// The role's maximum session duration refuses a longer session (AWS's message).
pub(crate) fn check_role_duration(requested: i64, max: i64) -> Result<(), AwsError> {
    if requested > max {
        return Err(validation(
            "DurationSeconds",
            &requested.to_string(),
            &format!("The requested DurationSeconds exceeds the MaxSessionDuration set for this role ({max})."),
        ));
    }
    Ok(())
}

fn assume_role(
    iam: &Iam,
    call: &Call,
    input: sts_shapes::AssumeRoleRequest,
) -> Result<sts_shapes::AssumeRoleResponse, AwsError> {
    let caller = call.caller()?;
    let role_arn = input.role_arn.as_str();
    let session_name = input.role_session_name.as_str();
    // The target function parsed the ARN before authorization.
    let (acct, name) = parse_role_arn(role_arn).ok_or_else(AwsError::internal)?;
    let role: RoleRecord = iam.get(Kind::Role, &acct, name)?.ok_or_else(|| {
        AwsError::access_denied(format!(
            "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
            caller.arn
        ))
    })?;
    let parent = caller_session(iam, caller)?;
    let chained = caller.kind == PrincipalKind::AssumedRole;
    // Role chaining is limited to one hour, as in AWS.
    let max = if chained { 3600 } else { i64::from(role.max_session_duration) };
    // The model checked the range (900 to 43200).
    let requested = input.duration_seconds.map_or(3600, i64::from);
    check_role_duration(requested, max)?;
    let (policies, mut packed) = session_policies(iam, input.policy.as_deref(), input.policy_arns.as_deref())?;
    let mut tags = session_tags(input.tags)?;
    let transitive: Vec<String> = input.transitive_tag_keys.unwrap_or_default();
    for k in &transitive {
        if !tags.iter().any(|t| t.key.eq_ignore_ascii_case(k)) {
            return Err(invalid_input(format!("The transitive tag key {k} is not among the session tags.")));
        }
    }
    let mut transitive_keys = transitive.clone();
    let mut source_identity = input.source_identity;
    if let Some(p) = &parent {
        // Transitive tags of the calling session carry over and cannot be overridden.
        for k in &p.transitive_tag_keys {
            if let Some(t) = p.tags.iter().find(|t| t.key.eq_ignore_ascii_case(k)) {
                if tags.iter().any(|x| x.key.eq_ignore_ascii_case(k)) {
                    return Err(invalid_input(format!("The session tag {k} is transitive and cannot be changed.")));
                }
                tags.push(t.clone());
                transitive_keys.push(t.key.clone());
            }
        }
        if let Some(si) = &p.source_identity {
            if source_identity.as_ref().is_some_and(|s| s != si) {
                return Err(AwsError::access_denied(
                    "SourceIdentity cannot be changed once set in a role session chain.",
                ));
            }
            source_identity = Some(si.clone());
        }
    }
    if tags.len() > 50 {
        return Err(limit_exceeded("Session tags are limited to 50."));
    }
    packed += tags.iter().map(|t| t.key.len() + t.value.len()).sum::<usize>();
    let mfa_unix = match (&input.serial_number, &input.token_code) {
        // Verified (and consumed) while authorizing; it stands for this session.
        (Some(_), Some(_)) => Some(call.context.received_at.unix_timestamp()),
        (None, None) => parent.as_ref().and_then(|p| p.mfa_unix),
        _ => return Err(invalid_input("SerialNumber and TokenCode must be given together.")),
    };
    let now = iam.clock.now();
    let session_arn = format!("arn:aws:sts::{acct}:assumed-role/{}/{session_name}", role.name);
    let user_id = format!("{}:{session_name}", role.role_id);
    let record = SessionRecord {
        access_key_id: String::new(),
        sealed_secret: String::new(),
        token_sha256: String::new(),
        kind: SessionKind::AssumedRole,
        account_id: acct.clone(),
        arn: session_arn.clone(),
        user_id: user_id.clone(),
        role_arn: Some(role.arn.clone()),
        subject_name: Some(role.name.clone()),
        session_name: Some(session_name.to_owned()),
        creation: iso_now(),
        expires_unix: now.unix_timestamp() + requested,
        mfa_unix,
        source_identity: source_identity.clone(),
        tags,
        transitive_tag_keys: transitive_keys,
        session_policies: policies,
        web_identity: None::<WebIdentityClaims>,
    };
    let issued = issue(iam, record)?;
    Ok(sts_shapes::AssumeRoleResponse {
        credentials: Some(credentials(issued)),
        assumed_role_user: Some(sts_shapes::AssumedRoleUser { assumed_role_id: user_id, arn: session_arn }),
        packed_policy_size: packed_percent(packed),
        source_identity,
    })
}

fn get_session_token(
    iam: &Iam,
    call: &Call,
    input: sts_shapes::GetSessionTokenRequest,
) -> Result<sts_shapes::GetSessionTokenResponse, AwsError> {
    let caller = call.caller()?;
    if caller.session.is_some() {
        return Err(AwsError::access_denied("Cannot call GetSessionToken with session credentials"));
    }
    // The model checked the range (900 to 129600); the root user's sessions last an hour at most.
    let requested = match (input.duration_seconds.map(i64::from), caller.is_root()) {
        (None, true) => 3600,
        (None, false) => 43_200,
        (Some(n), true) if n > 3600 => {
            return Err(validation(
                "DurationSeconds",
                &n.to_string(),
                "Member must have value less than or equal to 3600",
            ));
        }
        (Some(n), _) => n,
    };
    let mfa_unix = match (&input.serial_number, &input.token_code) {
        (Some(serial), Some(code)) => Some(crate::mfa::verify_code(iam, caller, serial, code)?),
        (None, None) => None,
        _ => return Err(invalid_input("SerialNumber and TokenCode must be given together.")),
    };
    let now = iam.clock.now();
    let record = SessionRecord {
        access_key_id: String::new(),
        sealed_secret: String::new(),
        token_sha256: String::new(),
        kind: SessionKind::UserSession,
        account_id: caller.account_id.clone(),
        arn: caller.arn.clone(),
        user_id: caller.user_id.clone(),
        role_arn: None,
        subject_name: if caller.is_root() { None } else { caller.name.clone() },
        session_name: None,
        creation: iso_now(),
        expires_unix: now.unix_timestamp() + requested,
        mfa_unix,
        source_identity: None,
        tags: Vec::new(),
        transitive_tag_keys: Vec::new(),
        session_policies: Vec::new(),
        web_identity: None,
    };
    let issued = issue(iam, record)?;
    Ok(sts_shapes::GetSessionTokenResponse { credentials: Some(credentials(issued)) })
}

fn get_access_key_info(iam: &Iam, key: &str) -> Result<sts_shapes::GetAccessKeyInfoResponse, AwsError> {
    let account =
        if let Some(r) = iam.store.get_json::<crate::accounts::AccessKeyRecord>(crate::accounts::ACCESS_KEYS, key)? {
            r.account_id
        } else if let Some(s) = iam.store.get_json::<SessionRecord>(SESSIONS, key)? {
            s.account_id
        } else {
            return Err(AwsError::invalid_parameter_value(format!("The access key ID `{key}` is not valid.")));
        };
    Ok(sts_shapes::GetAccessKeyInfoResponse { account: Some(account.as_str().to_owned()) })
}
