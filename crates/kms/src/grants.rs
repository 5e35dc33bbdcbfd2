//! Grants: `CreateGrant`, `ListGrants`, `ListRetirableGrants`, `RetireGrant`, `RevokeGrant`,
//! grant tokens, and deciding whether a grant allows a call.

use crate::Kms;
use crate::authz::Conditions;
use crate::error::{limit_exceeded, not_found, validation};
use crate::input::{EncryptionContext, index_marker, limit_or, opt_str, opt_str_list, timestamp};
use crate::model::{Constraints, GrantRecord, KeyRecord, KeyState, TABLE, grant_key, retiring_key};
use crate::shapes::kms::{
    CreateGrantRequest, CreateGrantResponse, GrantConstraints, GrantListEntry, ListGrantsRequest, ListGrantsResponse,
    ListRetirableGrantsRequest, RetireGrantRequest, RevokeGrantRequest,
};
use crate::symmetric::check_dry_run;
use base64::Engine;
use rampart_core::{AwsError, Principal, PrincipalKind};
use rampart_store::{StoreExt, TxnExt, decode};
use rampart_wire::Call;
use rampart_wire::model::Empty;
use serde_json::Value;
use std::collections::BTreeMap;

/// Grant operations that take an encryption context (the only ones constraints may govern).
const CONTEXT_OPERATIONS: &[&str] = &[
    "Decrypt",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "ReEncryptFrom",
    "ReEncryptTo",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "CreateGrant",
    "RetireGrant",
];

/// The most grants one key may have.
const MAX_GRANTS: usize = 50_000;

const TOKEN_MAGIC: &[u8; 4] = b"RGT1";

fn invalid_token() -> AwsError {
    AwsError::new("InvalidGrantTokenException", 400, "The grant token is not valid.")
}

fn invalid_grant_id(id: &str) -> AwsError {
    AwsError::new("InvalidGrantIdException", 400, format!("Invalid grant ID {id}"))
}

/// A grant token for `grant_id` on `key_id`.
fn make_token(key_id: &str, grant_id: &str) -> String {
    let mut b = Vec::with_capacity(4 + 1 + key_id.len() + 32 + 16);
    b.extend_from_slice(TOKEN_MAGIC);
    b.push(key_id.len() as u8);
    b.extend_from_slice(key_id.as_bytes());
    b.extend_from_slice(&hex::decode(grant_id).unwrap_or_default());
    let mut nonce = [0u8; 16];
    rampart_core::ids::fill_random(&mut nonce);
    b.extend_from_slice(&nonce);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// Parses a grant token into its key id and grant id.
pub(crate) fn parse_token(token: &str) -> Result<(String, String), AwsError> {
    let b = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid_token())?;
    if b.len() < 5 || &b[..4] != TOKEN_MAGIC {
        return Err(invalid_token());
    }
    let n = usize::from(b[4]);
    if b.len() != 5 + n + 32 + 16 {
        return Err(invalid_token());
    }
    let key_id = std::str::from_utf8(&b[5..5 + n]).map_err(|_| invalid_token())?.to_owned();
    Ok((key_id, hex::encode(&b[5 + n..5 + n + 32])))
}

/// Checks a request's `GrantTokens` (the model bounds how many): each must be a token this
/// service issued.
pub(crate) fn check_tokens(tokens: Option<&[String]>) -> Result<(), AwsError> {
    tokens.unwrap_or_default().iter().try_for_each(|t| parse_token(t).map(drop))
}

/// Whether `grantee` (as written in a grant) names `caller`: the same ARN, or the role of an
/// assumed-role session.
pub(crate) fn principal_matches(grantee: &str, caller: &Principal) -> bool {
    if grantee == caller.arn {
        return true;
    }
    if caller.kind == PrincipalKind::AssumedRole {
        if let Some(issuer) = caller.session.as_ref().and_then(|s| s.issuer_arn.as_deref()) {
            return grantee == issuer;
        }
        // arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION against arn:aws:iam::ACCOUNT:role/PATH/ROLE
        let mut parts = caller.arn.splitn(6, ':');
        let account = parts.nth(4).unwrap_or_default();
        let role = parts.next().and_then(|r| r.split('/').nth(1)).unwrap_or_default();
        return grantee.starts_with(&format!("arn:aws:iam::{account}:role/"))
            && grantee.rsplit('/').next() == Some(role)
            && !role.is_empty();
    }
    false
}

/// Whether `constraints` hold for a request with `context`.
fn constraints_hold(constraints: &Constraints, context: Option<&EncryptionContext>) -> bool {
    if constraints.subset.is_none() && constraints.equals.is_none() {
        return true;
    }
    let Some(ctx) = context else { return false };
    if let Some(eq) = &constraints.equals
        && eq != ctx
    {
        return false;
    }
    if let Some(sub) = &constraints.subset
        && !sub.iter().all(|(k, v)| ctx.get(k) == Some(v))
    {
        return false;
    }
    true
}

/// Whether a child grant with `child` constraints is at least as narrow as `parent` allows.
fn narrows(parent: &Constraints, child: &Constraints) -> bool {
    if let Some(eq) = &parent.equals {
        return child.equals.as_ref() == Some(eq);
    }
    if let Some(sub) = &parent.subset {
        let within = |m: &BTreeMap<String, String>| sub.iter().all(|(k, v)| m.get(k) == Some(v));
        return child.equals.as_ref().is_some_and(within) || child.subset.as_ref().is_some_and(within);
    }
    true
}

fn parse_constraints(input: &Value) -> Result<Constraints, AwsError> {
    let Some(c) = input.get("Constraints").filter(|v| !v.is_null()) else { return Ok(Constraints::default()) };
    Ok(Constraints {
        subset: c
            .get("EncryptionContextSubset")
            .filter(|v| !v.is_null())
            .map(|_| crate::input::encryption_context(c, "EncryptionContextSubset"))
            .transpose()?,
        equals: c
            .get("EncryptionContextEquals")
            .filter(|v| !v.is_null())
            .map(|_| crate::input::encryption_context(c, "EncryptionContextEquals"))
            .transpose()?,
    })
}

/// Checks an alleged principal string (pattern `^[\w+=,.@:/-]+$`).
/// `kms:GrantOperations` and friends of `CreateGrant`.
pub(crate) fn create_conditions(input: &Value) -> Conditions {
    let mut c: Conditions = Vec::new();
    if let Some(ops) = opt_str_list(input, "Operations").ok().flatten() {
        c.push(("kms:GrantOperations".into(), ops));
    }
    if let Some(g) = opt_str(input, "GranteePrincipal").ok().flatten() {
        c.push(("kms:GranteePrincipal".into(), vec![g.to_owned()]));
    }
    if let Some(r) = opt_str(input, "RetiringPrincipal").ok().flatten() {
        c.push(("kms:RetiringPrincipal".into(), vec![r.to_owned()]));
    }
    c.push(("kms:GrantIsForAWSResource".into(), vec!["false".into()]));
    if let Ok(cons) = parse_constraints(input) {
        let mut types = Vec::new();
        if cons.subset.is_some() {
            types.push("EncryptionContextSubset".to_owned());
        }
        if cons.equals.is_some() {
            types.push("EncryptionContextEquals".to_owned());
        }
        if !types.is_empty() {
            c.push(("kms:GrantConstraintType".into(), types));
        }
    }
    c
}

/// Whether a grant may be retired by `caller`: its retiring principal, or its grantee when it
/// allows `RetireGrant`.
pub(crate) fn may_retire(caller: &Principal, g: &GrantRecord) -> bool {
    g.retiring.as_deref().is_some_and(|r| principal_matches(r, caller))
        || (principal_matches(&g.grantee, caller) && g.operations.iter().any(|o| o == "RetireGrant"))
}

impl Kms {
    /// Every grant of `key_id`.
    pub(crate) fn grants_of(&self, key_id: &str) -> Result<Vec<GrantRecord>, AwsError> {
        let generation = self.cache.generation();
        if let Some(g) = self.cache.grants(key_id, generation) {
            return Ok(g);
        }
        let out = self.read_grants_of(key_id)?;
        self.cache.put_grants(key_id, generation, out.clone());
        Ok(out)
    }

    fn read_grants_of(&self, key_id: &str) -> Result<Vec<GrantRecord>, AwsError> {
        let prefix = format!("grant/{key_id}/");
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self.store.scan(TABLE, &prefix, after.as_deref(), 1000)?;
            let done = page.len() < 1000;
            for (k, v) in &page {
                out.push(decode::<GrantRecord>(TABLE, k, v)?);
            }
            after = page.last().map(|(k, _)| k.clone());
            if done {
                return Ok(out);
            }
        }
    }

    /// Whether one of `key`'s grants lets `caller` perform `op` with `context`.
    pub(crate) fn grant_allows(
        &self,
        caller: &Principal,
        key: &KeyRecord,
        op: &str,
        context: Option<&EncryptionContext>,
    ) -> Result<bool, AwsError> {
        Ok(self.grants_of(&key.key_id)?.iter().any(|g| {
            principal_matches(&g.grantee, caller)
                && g.operations.iter().any(|o| o == op)
                && constraints_hold(&g.constraints, context)
        }))
    }

    /// Whether one of `key`'s grants lets `caller` create the grant `input` asks for: it allows
    /// `CreateGrant`, every requested operation, and the new constraints are at least as narrow.
    pub(crate) fn grant_allows_create_grant(
        &self,
        caller: &Principal,
        key: &KeyRecord,
        input: &Value,
    ) -> Result<bool, AwsError> {
        let ops = opt_str_list(input, "Operations")?.unwrap_or_default();
        let child = parse_constraints(input)?;
        Ok(self.grants_of(&key.key_id)?.iter().any(|g| {
            principal_matches(&g.grantee, caller)
                && g.operations.iter().any(|o| o == "CreateGrant")
                && ops.iter().all(|o| g.operations.contains(o))
                && narrows(&g.constraints, &child)
        }))
    }

    /// The grant a `RetireGrant` request names, with its key.
    pub(crate) fn grant_to_retire(
        &self,
        caller: &Principal,
        token: Option<&str>,
        key_id: Option<&str>,
        grant_id: Option<&str>,
    ) -> Result<(KeyRecord, GrantRecord), AwsError> {
        let (key, grant_id) = match (token, key_id, grant_id) {
            (Some(t), _, _) => {
                let (key_id, grant_id) = parse_token(t)?;
                let key = self.load_key(&key_id)?.ok_or_else(invalid_token)?;
                (key, grant_id)
            }
            (None, Some(k), Some(g)) => (self.resolve(caller.account_id.as_str(), k)?, g.to_owned()),
            _ => return Err(validation("Either GrantToken, or both KeyId and GrantId, must be specified.")),
        };
        let grant = self.load_grant(&key, &grant_id)?;
        Ok((key, grant))
    }

    fn load_grant(&self, key: &KeyRecord, grant_id: &str) -> Result<GrantRecord, AwsError> {
        if grant_id.len() != 64 || !grant_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid_grant_id(grant_id));
        }
        self.store
            .get_json(TABLE, &grant_key(&key.key_id, grant_id))?
            .ok_or_else(|| not_found(format!("Grant ID {grant_id} not found")))
    }

    fn delete_grant(&self, g: &GrantRecord) -> Result<(), AwsError> {
        self.write(|t| {
            t.delete(TABLE, &grant_key(&g.key_id, &g.grant_id))?;
            if let Some(r) = &g.retiring {
                t.delete(TABLE, &retiring_key(r, &g.grant_id))?;
            }
            Ok(())
        })
    }
}

/// A grant as `ListGrants` describes it.
fn grant_entry(g: &GrantRecord) -> GrantListEntry {
    let constraints = (g.constraints.subset.is_some() || g.constraints.equals.is_some()).then(|| GrantConstraints {
        encryption_context_subset: g.constraints.subset.clone(),
        encryption_context_equals: g.constraints.equals.clone(),
    });
    GrantListEntry {
        key_id: Some(g.key_arn.clone()),
        grant_id: Some(g.grant_id.clone()),
        name: g.name.clone(),
        creation_date: Some(timestamp(g.created)),
        grantee_principal: Some(g.grantee.clone()),
        retiring_principal: g.retiring.clone(),
        issuing_account: Some(g.issuing_account.clone()),
        operations: Some(g.operations.clone()),
        constraints,
    }
}

/// `CreateGrant`.
pub(crate) fn create_grant(kms: &Kms, call: &Call, input: CreateGrantRequest) -> Result<CreateGrantResponse, AwsError> {
    let caller = call.caller()?;
    check_tokens(input.grant_tokens.as_deref())?;
    let key = kms.resolve(caller.account_id.as_str(), &input.key_id)?;
    let grantee = input.grantee_principal;
    let retiring = input.retiring_principal;
    let operations = input.operations;
    if operations.is_empty() {
        return Err(validation(
            "1 validation error detected: Value '[]' at 'operations' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ));
    }
    for op in &operations {
        let fits = match op.as_str() {
            "Encrypt" | "Decrypt" | "ReEncryptFrom" | "ReEncryptTo" => key.key_usage == "ENCRYPT_DECRYPT",
            "GenerateDataKey"
            | "GenerateDataKeyWithoutPlaintext"
            | "GenerateDataKeyPair"
            | "GenerateDataKeyPairWithoutPlaintext" => key.key_spec == "SYMMETRIC_DEFAULT",
            "Sign" | "Verify" => key.key_usage == "SIGN_VERIFY",
            "GetPublicKey" => key.key_spec.starts_with("RSA") || key.key_spec.starts_with("ECC"),
            "GenerateMac" | "VerifyMac" => key.key_usage == "GENERATE_VERIFY_MAC",
            "DeriveSharedSecret" => false,
            _ => true,
        };
        if !fits {
            return Err(validation(format!(
                "Grant operation {op} is not valid for {} ({} {}).",
                key.arn, key.key_spec, key.key_usage
            )));
        }
    }
    let constraints = input
        .constraints
        .map(|c| Constraints { subset: c.encryption_context_subset, equals: c.encryption_context_equals })
        .unwrap_or_default();
    if (constraints.subset.is_some() || constraints.equals.is_some())
        && operations.iter().any(|o| !CONTEXT_OPERATIONS.contains(&o.as_str()))
    {
        return Err(validation(
            "Grant constraints are allowed only on grants for operations that take an encryption context.",
        ));
    }
    let name = input.name;
    match key.state {
        KeyState::PendingDeletion => {
            return Err(crate::error::invalid_state(format!("{} is pending deletion.", key.arn)));
        }
        KeyState::Disabled => return Err(crate::error::disabled(&key.arn)),
        _ => {}
    }
    check_dry_run(input.dry_run)?;
    let existing = kms.grants_of(&key.key_id)?;
    if let Some(n) = &name
        && let Some(g) = existing.iter().find(|g| {
            g.name.as_ref() == Some(n)
                && g.grantee == grantee
                && g.retiring == retiring
                && g.operations == operations
                && g.constraints == constraints
        })
    {
        return Ok(CreateGrantResponse {
            grant_token: Some(make_token(&key.key_id, &g.grant_id)),
            grant_id: Some(g.grant_id.clone()),
        });
    }
    if existing.len() >= MAX_GRANTS {
        return Err(limit_exceeded(format!("The key {} has the maximum number of grants.", key.arn)));
    }
    let mut id = [0u8; 32];
    rampart_core::ids::fill_random(&mut id);
    let grant = GrantRecord {
        grant_id: hex::encode(id),
        key_id: key.key_id.clone(),
        key_arn: key.arn.clone(),
        name,
        created: kms.now(),
        grantee,
        retiring,
        issuing_account: format!("arn:aws:iam::{}:root", caller.account_id),
        operations,
        constraints,
    };
    kms.write(|t| {
        t.put_json(TABLE, &grant_key(&grant.key_id, &grant.grant_id), &grant)?;
        if let Some(r) = &grant.retiring {
            t.put(TABLE, &retiring_key(r, &grant.grant_id), grant.key_id.as_bytes())?;
        }
        Ok(())
    })?;
    Ok(CreateGrantResponse {
        grant_token: Some(make_token(&key.key_id, &grant.grant_id)),
        grant_id: Some(grant.grant_id),
    })
}

/// One page of `grants` (in order) from `marker`: the grants, the next marker, whether there is more.
fn page_of(
    grants: &[GrantRecord],
    limit: Option<i32>,
    marker: Option<&str>,
) -> Result<(Vec<GrantListEntry>, Option<String>, bool), AwsError> {
    let limit = limit_or(limit, 50);
    let start = index_marker(marker)?;
    let page: Vec<GrantListEntry> = grants.iter().skip(start).take(limit).map(grant_entry).collect();
    let truncated = start + page.len() < grants.len();
    Ok((page, truncated.then(|| (start + limit).to_string()), truncated))
}

/// `ListGrants`.
pub(crate) fn list_grants(kms: &Kms, call: &Call, input: ListGrantsRequest) -> Result<ListGrantsResponse, AwsError> {
    let caller = call.caller()?;
    let key = kms.resolve(caller.account_id.as_str(), &input.key_id)?;
    let grant_id = input.grant_id.as_deref();
    let grantee = input.grantee_principal.as_deref();
    let mut grants = kms.grants_of(&key.key_id)?;
    grants.retain(|g| grant_id.is_none_or(|i| g.grant_id == i) && grantee.is_none_or(|p| g.grantee == p));
    grants.sort_by(|a, b| a.created.total_cmp(&b.created).then(a.grant_id.cmp(&b.grant_id)));
    let (page, next_marker, truncated) = page_of(&grants, input.limit, input.marker.as_deref())?;
    Ok(ListGrantsResponse { grants: Some(page), next_marker, truncated: Some(truncated) })
}

/// `ListRetirableGrants`.
pub(crate) fn list_retirable_grants(
    kms: &Kms,
    _call: &Call,
    input: ListRetirableGrantsRequest,
) -> Result<ListGrantsResponse, AwsError> {
    let prefix = format!("retiring/{}/", input.retiring_principal);
    let mut grants = Vec::new();
    for (k, v) in kms.store.scan(TABLE, &prefix, None, 100_000)? {
        let key_id = String::from_utf8_lossy(&v).into_owned();
        if let Some(g) = kms.store.get_json::<GrantRecord>(TABLE, &grant_key(&key_id, &k[prefix.len()..]))? {
            grants.push(g);
        }
    }
    let (page, next_marker, truncated) = page_of(&grants, input.limit, input.marker.as_deref())?;
    Ok(ListGrantsResponse { grants: Some(page), next_marker, truncated: Some(truncated) })
}

/// `RetireGrant`.
pub(crate) fn retire_grant(kms: &Kms, call: &Call, input: RetireGrantRequest) -> Result<Empty, AwsError> {
    let caller = call.caller()?;
    let (_, grant) =
        kms.grant_to_retire(caller, input.grant_token.as_deref(), input.key_id.as_deref(), input.grant_id.as_deref())?;
    check_dry_run(input.dry_run)?;
    kms.delete_grant(&grant)?;
    Ok(Empty {})
}

/// `RevokeGrant`.
pub(crate) fn revoke_grant(kms: &Kms, call: &Call, input: RevokeGrantRequest) -> Result<Empty, AwsError> {
    let caller = call.caller()?;
    let key = kms.resolve(caller.account_id.as_str(), &input.key_id)?;
    let grant = kms.load_grant(&key, &input.grant_id)?;
    check_dry_run(input.dry_run)?;
    kms.delete_grant(&grant)?;
    Ok(Empty {})
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_garbage() {
        let gid = "ab".repeat(32);
        let t = make_token("1234abcd-12ab-34cd-56ef-1234567890ab", &gid);
        assert_eq!(parse_token(&t).unwrap(), ("1234abcd-12ab-34cd-56ef-1234567890ab".to_owned(), gid));
        assert_eq!(parse_token("nope").unwrap_err().code(), "InvalidGrantTokenException");
    }

    #[test]
    fn constraints() {
        let ctx: EncryptionContext = [("a".to_owned(), "1".to_owned()), ("b".to_owned(), "2".to_owned())].into();
        let sub = Constraints { subset: Some([("a".to_owned(), "1".to_owned())].into()), equals: None };
        assert!(constraints_hold(&sub, Some(&ctx)));
        assert!(!constraints_hold(&sub, None));
        let eq = Constraints { subset: None, equals: Some([("a".to_owned(), "1".to_owned())].into()) };
        assert!(!constraints_hold(&eq, Some(&ctx)));
        assert!(narrows(&sub, &eq));
        assert!(!narrows(&eq, &sub));
        assert!(constraints_hold(&Constraints::default(), None));
    }
}
