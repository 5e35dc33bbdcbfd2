//! What each call acts on, for the pipeline's authorizer: the key ARN, the key policy as the
//! resource policy (which must grant access even within the account), the KMS condition keys,
//! and whether one of the key's grants allows the call.

use crate::Kms;
use crate::ciphertext;
use crate::error::{incorrect_key, invalid_ciphertext, missing, serialization};
use crate::input::{EncryptionContext, encryption_context, opt_str};
use crate::model::{AliasRecord, KeyRecord, TABLE};
use crate::operations::{Extra, Scope};
use crate::resolve::KeyName;
use rampart_core::authz::{Resolved, ResourcePolicyRef, Target};
use rampart_core::ids::AccountId;
use rampart_core::{AwsError, Principal};
use rampart_store::decode;
use rampart_wire::Call;
use std::borrow::Cow;
use std::sync::Arc;

/// What the target of a call on a key resolved, handed to its handler
/// ([`Target::resolved`]): the handler uses the very key that was authorized, and neither
/// decodes it nor the ciphertext a second time.
pub(crate) struct ResolvedKey {
    /// The request field that named the key (for `Decrypt` and `ReEncrypt`, the optional one
    /// checked against the ciphertext's key).
    field: &'static str,
    /// The key the call acts on (the source key of `ReEncrypt`).
    key: KeyRecord,
}

/// Condition keys as the authorizer takes them.
pub(crate) type Conditions = Vec<(String, Vec<String>)>;

fn one(k: &str, v: impl Into<String>) -> (String, Vec<String>) {
    (k.to_owned(), vec![v.into()])
}

/// `kms:EncryptionContext:*` and `kms:EncryptionContextKeys` for `context`.
pub(crate) fn context_conditions(context: &EncryptionContext, out: &mut Conditions) {
    for (k, v) in context {
        out.push(one(&format!("kms:EncryptionContext:{k}"), v.clone()));
    }
    if !context.is_empty() {
        out.push(("kms:EncryptionContextKeys".into(), context.keys().cloned().collect()));
    }
}

impl Kms {
    /// The aliases of `key`.
    pub(crate) fn aliases_of(&self, key: &KeyRecord) -> Result<Vec<AliasRecord>, AwsError> {
        let generation = self.cache.generation();
        if let Some(a) = self.cache.aliases(&key.key_id, generation) {
            return Ok(a);
        }
        let out = self.read_aliases_of(key)?;
        self.cache.put_aliases(&key.key_id, generation, out.clone());
        Ok(out)
    }

    fn read_aliases_of(&self, key: &KeyRecord) -> Result<Vec<AliasRecord>, AwsError> {
        let prefix = format!("alias/{}/", key.account);
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self.store.scan(TABLE, &prefix, after.as_deref(), 500)?;
            let done = page.len() < 500;
            for (k, v) in &page {
                let a: AliasRecord = decode(TABLE, k, v)?;
                if a.target_key_id == key.key_id {
                    out.push(a);
                }
            }
            after = page.last().map(|(k, _)| k.clone());
            if done || after.is_none() {
                return Ok(out);
            }
        }
    }

    /// The condition keys every call on `key` carries, with room for `more` of the call's own.
    fn key_conditions(
        &self,
        caller: &Principal,
        key: &KeyRecord,
        request_alias: Option<&str>,
        more: usize,
    ) -> Result<Conditions, AwsError> {
        let mut c = Vec::with_capacity(10 + key.tags.len() + more);
        c.extend([
            one("kms:CallerAccount", caller.account_id.as_str()),
            one("kms:KeySpec", key.key_spec.clone()),
            one("kms:CustomerMasterKeySpec", key.key_spec.clone()),
            one("kms:KeyUsage", key.key_usage.clone()),
            one("kms:CustomerMasterKeyUsage", key.key_usage.clone()),
            one("kms:KeyOrigin", key.origin.clone()),
            one("kms:MultiRegion", "false"),
        ]);
        for (k, v) in &key.tags {
            c.push(one(&format!("aws:ResourceTag/{k}"), v.clone()));
        }
        let aliases = self.aliases_of(key)?;
        if !aliases.is_empty() {
            c.push(("kms:ResourceAliases".into(), aliases.into_iter().map(|a| a.name).collect()));
        }
        if let Some(a) = request_alias {
            c.push(one("kms:RequestAlias", a));
        }
        Ok(c)
    }

    /// The key policy of `key` as the resource policy of the call.
    fn key_policy_ref(key: &KeyRecord) -> Result<ResourcePolicyRef, AwsError> {
        Ok(ResourcePolicyRef {
            cache_key: format!("{}#{}", key.arn, key.policy_version),
            owner_account: AccountId::parse(&key.account).map_err(crate::error::internal)?,
            document: Arc::from(key.policy.as_str()),
            grant_required: true,
        })
    }

    fn key_target(
        &self,
        caller: &Principal,
        key: &KeyRecord,
        extra_resources: Vec<String>,
        request_alias: Option<&str>,
        mut conditions: Conditions,
        granted: bool,
    ) -> Result<Target, AwsError> {
        let mut c = self.key_conditions(caller, key, request_alias, conditions.len())?;
        c.append(&mut conditions);
        let mut resources = extra_resources;
        resources.push(key.arn.clone());
        Ok(Target {
            resources,
            resource_policy: Some(Self::key_policy_ref(key)?),
            condition_keys: c,
            granted,
            ..Target::default()
        })
    }

    /// The key named `name` by request field `field` of `call`: the one resolved when the call
    /// was authorized, or (for a call that was not) resolved now.
    pub(crate) fn key_for<'c>(&self, call: &'c Call, field: &str, name: &str) -> Result<Cow<'c, KeyRecord>, AwsError> {
        if let Some(resolved) = call.resolved.get::<ResolvedKey>().filter(|r| r.field == field) {
            return Ok(Cow::Borrowed(&resolved.key));
        }
        Ok(Cow::Owned(self.resolve(call.caller()?.account_id.as_str(), name)?))
    }

    /// The key of a `Decrypt`-style call (from the ciphertext `blob`, checked against the
    /// optional key field `key_field`, which said `key_param`): as resolved when the call was
    /// authorized, or (for a call that was not) resolved now.
    pub(crate) fn ciphertext_key<'c>(
        &self,
        call: &'c Call,
        key_field: &str,
        blob: &[u8],
        key_param: Option<&str>,
    ) -> Result<Cow<'c, KeyRecord>, AwsError> {
        if let Some(resolved) = call.resolved.get::<ResolvedKey>().filter(|r| r.field == key_field) {
            return Ok(Cow::Borrowed(&resolved.key));
        }
        let blob_key_id = ciphertext::parse(blob).ok().map(|p| p.key_id);
        Ok(Cow::Owned(self.decrypt_key(call.caller()?, blob_key_id, key_param)?))
    }

    /// Resolves the key of a `Decrypt`-style request: the one its ciphertext names
    /// (`blob_key_id`, `None` when the ciphertext is not of the self-describing format), checked
    /// against the optional key id parameter.
    pub(crate) fn decrypt_key(
        &self,
        caller: &Principal,
        blob_key_id: Option<&str>,
        key_param: Option<&str>,
    ) -> Result<KeyRecord, AwsError> {
        match (blob_key_id, key_param) {
            (Some(id), param) => {
                let key = self.load_key(id)?.ok_or_else(invalid_ciphertext)?;
                if let Some(param) = param {
                    let named = self.resolve(caller.account_id.as_str(), param)?;
                    if named.key_id != key.key_id {
                        return Err(incorrect_key());
                    }
                }
                Ok(key)
            }
            (None, Some(param)) => self.resolve(caller.account_id.as_str(), param),
            (None, None) => Err(invalid_ciphertext()),
        }
    }

    /// The authorization target of `call` for an operation of `scope`.
    pub(crate) fn target(&self, call: &Call, scope: Scope, extra: Option<Extra>) -> Result<Target, AwsError> {
        let caller = call.caller()?;
        let input = call.json();
        let mut conditions = extra.map(|f| f(input)).unwrap_or_default();
        match scope {
            Scope::Account => {
                conditions.push(one("kms:CallerAccount", caller.account_id.as_str()));
                Ok(Target { resources: vec!["*".into()], condition_keys: conditions, ..Target::default() })
            }
            Scope::Key { param, grant, context } => {
                let name = opt_str(input, param)?.ok_or_else(|| missing(param))?;
                let key = self.resolve(caller.account_id.as_str(), name)?;
                let ec = match context {
                    Some(f) => Some(encryption_context(input, f)?),
                    None => None,
                };
                if let Some(ec) = &ec {
                    context_conditions(ec, &mut conditions);
                }
                let granted = match grant {
                    Some(op) => self.grant_allows(caller, &key, op, ec.as_ref())?,
                    None => false,
                };
                let alias = KeyName::parse(name).ok().and_then(|n| n.alias().map(str::to_owned));
                let mut target = self.key_target(caller, &key, vec![], alias.as_deref(), conditions, granted)?;
                target.resolved = Resolved::new(ResolvedKey { field: param, key });
                Ok(target)
            }
            Scope::Decrypt | Scope::ReEncrypt => {
                let (blob_field, key_field, ec_field, op) = if matches!(scope, Scope::Decrypt) {
                    ("CiphertextBlob", "KeyId", "EncryptionContext", "Decrypt")
                } else {
                    ("CiphertextBlob", "SourceKeyId", "SourceEncryptionContext", "ReEncryptFrom")
                };
                // Only the ciphertext's header is decoded here; the handler gets it whole.
                let text = opt_str(input, blob_field)?.ok_or_else(|| missing(blob_field))?;
                let blob_key_id = ciphertext::key_id_in_base64(text)
                    .map_err(|()| serialization(format!("Field {blob_field} is not valid base64.")))?;
                let key_param = opt_str(input, key_field)?;
                let key = self.decrypt_key(caller, blob_key_id.as_deref(), key_param)?;
                let ec = encryption_context(input, ec_field)?;
                context_conditions(&ec, &mut conditions);
                // ReEncrypt also needs kms:ReEncryptTo on the destination key, decided under that
                // key's own policy and grants.
                let mut destination = None;
                if let Scope::ReEncrypt = scope
                    && let Some(dest) = opt_str(input, "DestinationKeyId")?
                {
                    let d = self.resolve(caller.account_id.as_str(), dest)?;
                    let same = if d.key_id == key.key_id { "true" } else { "false" };
                    conditions.push(one("kms:ReEncryptOnSameKey", same));
                    let dest_ec = encryption_context(input, "DestinationEncryptionContext")?;
                    let mut dest_conditions = vec![one("kms:ReEncryptOnSameKey", same)];
                    context_conditions(&dest_ec, &mut dest_conditions);
                    let dest_granted = self.grant_allows(caller, &d, "ReEncryptTo", Some(&dest_ec))?;
                    let dest_alias = KeyName::parse(dest).ok().and_then(|n| n.alias().map(str::to_owned));
                    destination = Some(self.key_target(
                        caller,
                        &d,
                        vec![],
                        dest_alias.as_deref(),
                        dest_conditions,
                        dest_granted,
                    )?);
                }
                let granted = self.grant_allows(caller, &key, op, Some(&ec))?;
                let alias = key_param.and_then(|p| KeyName::parse(p).ok()).and_then(|n| n.alias().map(str::to_owned));
                let mut target = self.key_target(caller, &key, vec![], alias.as_deref(), conditions, granted)?;
                if let Some(d) = destination {
                    target.also.push(("kms:ReEncryptTo", d));
                }
                target.resolved = Resolved::new(ResolvedKey { field: key_field, key });
                Ok(target)
            }
            Scope::CreateGrant => {
                let name = opt_str(input, "KeyId")?.ok_or_else(|| missing("KeyId"))?;
                let key = self.resolve(caller.account_id.as_str(), name)?;
                let granted = self.grant_allows_create_grant(caller, &key, input)?;
                self.key_target(caller, &key, vec![], None, conditions, granted)
            }
            Scope::RetireGrant => {
                let (key, grant) = self.grant_to_retire(
                    caller,
                    opt_str(input, "GrantToken")?,
                    opt_str(input, "KeyId")?,
                    opt_str(input, "GrantId")?,
                )?;
                let granted = crate::grants::may_retire(caller, &grant);
                self.key_target(caller, &key, vec![], None, conditions, granted)
            }
            Scope::Alias { key_param, update } => {
                let alias_name = opt_str(input, "AliasName")?.ok_or_else(|| missing("AliasName"))?;
                crate::aliases::validate_alias_name(alias_name)?;
                let account = caller.account_id.as_str();
                let key = match key_param {
                    Some(p) => {
                        let target = opt_str(input, p)?.ok_or_else(|| missing(p))?;
                        crate::aliases::check_target_is_key(target)?;
                        self.resolve(account, target)?
                    }
                    None => {
                        let alias = self.load_alias(account, alias_name)?.ok_or_else(|| {
                            crate::error::not_found(format!(
                                "Alias {} is not found.",
                                self.alias_arn(account, alias_name)
                            ))
                        })?;
                        let arn = self.key_arn(account, &alias.target_key_id);
                        self.load_key(&alias.target_key_id)?.ok_or_else(|| crate::error::key_not_found(&arn))?
                    }
                };
                let alias_arn = self.alias_arn(account, alias_name);
                // UpdateAlias moves the alias away from its current key: the caller needs the
                // permission on that key as well, under its policy.
                let previous = match (update, self.load_alias(account, alias_name)?) {
                    (true, Some(a)) if a.target_key_id != key.key_id => self.load_key(&a.target_key_id)?,
                    _ => None,
                };
                let mut target =
                    self.key_target(caller, &key, vec![alias_arn.clone()], None, conditions.clone(), false)?;
                if let Some(old) = previous {
                    let old_target = self.key_target(caller, &old, vec![alias_arn], None, conditions, false)?;
                    target.also.push(("kms:UpdateAlias", old_target));
                }
                Ok(target)
            }
        }
    }
}
