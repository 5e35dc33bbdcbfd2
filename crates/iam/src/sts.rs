//! AWS Security Token Service (query protocol, `sts`): caller identity and temporary credentials.

use crate::accounts::{iso_now, seal_secret};
use crate::model::{Kind, RoleRecord, SESSIONS, SessionKind, SessionRecord, WebIdentityClaims};
use crate::shapes::sts as sts_shapes;
use crate::state::Iam;
use crate::util::{check_name, invalid_input, limit_exceeded, malformed_policy};
use aws_lc_rs::digest;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use rampart_core::authz::{ResourcePolicyRef, Target};
use rampart_core::ids::{AccountId, fill_random, new_secret_access_key, prefixed_id};
use rampart_core::{AwsError, Principal, PrincipalKind};
use rampart_policy::{Policy, PolicyKind, limits};
use rampart_store::{StoreExt, TxnExt};
use rampart_wire::model::Model;
use rampart_wire::query::QueryParams;
use rampart_wire::xml::XmlWriter;
use rampart_wire::{Access, Call, Operation, Output, Service};
use std::sync::{Arc, LazyLock};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
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
            Operation::new("AssumeRole", "sts:AssumeRole", move |call| {
                let iam = Arc::clone(&assume);
                async move { blocking(move || assume_role(&iam, &call)).await }
            })
            .target(move |call| assume_role_target(&assume_target, call)),
        )
        // AWS: GetSessionToken needs no permission: it authenticates the caller (with MFA).
        .operation(
            Operation::new("GetSessionToken", "sts:GetSessionToken", move |call| {
                let iam = Arc::clone(&session);
                async move { blocking(move || get_session_token(&iam, &call)).await }
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

async fn blocking(f: impl FnOnce() -> Result<String, AwsError> + Send + 'static) -> Result<Output, AwsError> {
    tokio::task::spawn_blocking(f).await.map_err(|_| AwsError::internal())?.map(Output::Query)
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

pub(crate) fn fmt_time(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0).unwrap_or(t).format(&Rfc3339).unwrap_or_default()
}

pub(crate) fn validation(param: &str, value: &str, rule: &str) -> AwsError {
    AwsError::validation(format!(
        "1 validation error detected: Value '{value}' at '{}' failed to satisfy constraint: {rule}",
        rampart_wire::query::lower_first(param)
    ))
}

pub(crate) fn duration(q: &QueryParams, default: i64, min: i64, max: i64) -> Result<i64, AwsError> {
    match q.get("DurationSeconds") {
        None => Ok(default.min(max)),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n < min => {
                Err(validation("DurationSeconds", v, &format!("Member must have value greater than or equal to {min}")))
            }
            Ok(n) if n <= max => Ok(n),
            Ok(_) => {
                Err(validation("DurationSeconds", v, &format!("Member must have value less than or equal to {max}")))
            }
            Err(_) => Err(validation("DurationSeconds", v, "Member must be a number")),
        },
    }
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
    let q = call.query();
    let role_arn = q.require("RoleArn")?;
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
    for (key, param) in [
        ("sts:ExternalId", "ExternalId"),
        ("sts:RoleSessionName", "RoleSessionName"),
        ("sts:SourceIdentity", "SourceIdentity"),
    ] {
        if let Some(v) = q.get(param) {
            keys.push((key.to_owned(), vec![v.to_owned()]));
        }
    }
    let tags = crate::util::tags_param(q, "Tags")?;
    if !tags.is_empty() {
        for t in &tags {
            keys.push((format!("aws:RequestTag/{}", t.key), vec![t.value.clone()]));
        }
        keys.push(("aws:TagKeys".into(), tags.iter().map(|t| t.key.clone()).collect()));
    }
    let transitive = q.list("TransitiveTagKeys")?;
    if !transitive.is_empty() {
        keys.push(("sts:TransitiveTagKeys".into(), transitive.iter().map(|s| (*s).to_owned()).collect()));
    }
    // MFA given with the call counts for this call's conditions (trust policies that demand
    // aws:MultiFactorAuthPresent), once the code is proven.
    if let (Some(serial), Some(code)) = (q.get("SerialNumber"), q.get("TokenCode")) {
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
    if q.get("SourceIdentity").is_some() {
        target.also.push(("sts:SetSourceIdentity", Target { also: Vec::new(), ..target.clone() }));
    }
    Ok(target)
}

/// New temporary credentials stored for `record` (its key id, secret and token hash are filled).
pub(crate) struct Issued {
    pub(crate) access_key_id: String,
    pub(crate) secret: Zeroizing<String>,
    pub(crate) token: String,
    pub(crate) expiration: String,
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
    let expiration =
        OffsetDateTime::from_unix_timestamp(record.expires_unix).map(fmt_time).map_err(|_| AwsError::internal())?;
    iam.store.transact(|t| {
        if !t.insert_json(SESSIONS, &access_key_id, &record)? {
            return Err(AwsError::internal());
        }
        Ok(())
    })?;
    Ok(Issued { access_key_id, secret, token, expiration })
}

pub(crate) fn write_credentials(w: &mut XmlWriter, c: &Issued) {
    w.open("Credentials")
        .element("AccessKeyId", &c.access_key_id)
        .element("SecretAccessKey", &c.secret)
        .element("SessionToken", &c.token)
        .element("Expiration", &c.expiration)
        .close("Credentials");
}

/// The caller's own session, when it calls with temporary credentials.
fn caller_session(iam: &Iam, caller: &Principal) -> Result<Option<SessionRecord>, AwsError> {
    if caller.session.is_none() {
        return Ok(None);
    }
    Ok(iam.store.get_json(SESSIONS, &caller.access_key_id)?)
}

/// Session policies from `Policy` and `PolicyArns.member.N.arn`, validated.
pub(crate) fn session_policies(iam: &Iam, q: &QueryParams) -> Result<(Vec<String>, usize), AwsError> {
    let mut docs = Vec::new();
    let mut packed = 0;
    if let Some(p) = q.get("Policy") {
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
    let arns = q
        .structures("PolicyArns")?
        .iter()
        .map(|m| m.require("arn").map(str::to_owned))
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

fn assume_role(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let caller = call.caller()?;
    let q = call.query();
    let role_arn = q.require("RoleArn")?;
    let session_name = q.require("RoleSessionName")?;
    if session_name.len() < 2 {
        return Err(validation("RoleSessionName", session_name, "Member must have length greater than or equal to 2"));
    }
    check_name("RoleSessionName", session_name, 64)?;
    if let Some(e) = q.get("ExternalId").filter(|e| !(2..=1224).contains(&e.len())) {
        return Err(validation("ExternalId", e, "Member must have length between 2 and 1224"));
    }
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
    let requested = duration(q, 3600, 900, 43200)?;
    if requested > max {
        return Err(validation(
            "DurationSeconds",
            &requested.to_string(),
            &format!("The requested DurationSeconds exceeds the MaxSessionDuration set for this role ({max})."),
        ));
    }
    let (policies, mut packed) = session_policies(iam, q)?;
    let mut tags = crate::util::tags_param(q, "Tags")?;
    let transitive: Vec<String> = q.list("TransitiveTagKeys")?.into_iter().map(str::to_owned).collect();
    for k in &transitive {
        if !tags.iter().any(|t| t.key.eq_ignore_ascii_case(k)) {
            return Err(invalid_input(format!("The transitive tag key {k} is not among the session tags.")));
        }
    }
    let mut transitive_keys = transitive.clone();
    let mut source_identity = q.get("SourceIdentity").map(str::to_owned);
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
    if let Some(si) = source_identity.as_ref().filter(|si| !(2..=64).contains(&si.len())) {
        return Err(validation("SourceIdentity", si, "Member must have length between 2 and 64"));
    }
    if tags.len() > 50 {
        return Err(limit_exceeded("Session tags are limited to 50."));
    }
    packed += tags.iter().map(|t| t.key.len() + t.value.len()).sum::<usize>();
    let mfa_unix = match (q.get("SerialNumber"), q.get("TokenCode")) {
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
    let mut w = XmlWriter::new();
    w.optional("SourceIdentity", source_identity.as_deref());
    w.open("AssumedRoleUser").element("Arn", &session_arn).element("AssumedRoleId", &user_id).close("AssumedRoleUser");
    write_credentials(&mut w, &issued);
    let pct = (packed * 100 / (limits::SESSION_POLICY * 2)).min(100);
    w.element("PackedPolicySize", &pct.to_string());
    Ok(w.finish())
}

fn get_session_token(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let caller = call.caller()?;
    let q = call.query();
    if caller.session.is_some() {
        return Err(AwsError::access_denied("Cannot call GetSessionToken with session credentials"));
    }
    let max = if caller.is_root() { 3600 } else { 129_600 };
    let requested = duration(q, 43_200, 900, max)?;
    let mfa_unix = match (q.get("SerialNumber"), q.get("TokenCode")) {
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
    let mut w = XmlWriter::new();
    write_credentials(&mut w, &issued);
    Ok(w.finish())
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
