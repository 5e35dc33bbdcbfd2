//! The policies and condition keys that belong to a principal, compiled once and cached per
//! access key until IAM changes.

use crate::model::{GroupRecord, Kind, Permissions, RoleRecord, SESSIONS, SessionRecord, UserRecord};
use crate::state::Iam;
use rampart_core::principal::PrincipalKind as CoreKind;
use rampart_core::{AwsError, Principal};
use rampart_policy::{Policy, PolicyKind, PrincipalInfo};
use rampart_store::StoreExt;
use std::sync::Arc;

/// Everything about a principal that authorization needs besides the request.
#[derive(Debug)]
pub struct IdentityPolicies {
    /// The IAM generation this was built at.
    pub generation: u64,
    /// The principal, as the engine sees it.
    pub info: PrincipalInfo,
    /// Identity-based policies (user, its groups; or the role).
    pub identity: Vec<Arc<Policy>>,
    /// The permissions boundary.
    pub boundary: Option<Arc<Policy>>,
    /// Session policies of a role session.
    pub session: Vec<Arc<Policy>>,
    /// Principal condition keys: `aws:PrincipalTag/*`, `aws:userid`, `aws:username`,
    /// `aws:SourceIdentity`, web identity claims.
    pub keys: Vec<(String, Vec<String>)>,
    /// Whether the credentials are temporary.
    pub temporary: bool,
    /// When MFA was checked for these (temporary) credentials, unix seconds.
    pub mfa_unix: Option<i64>,
    /// A stored policy of this principal no longer parses, or its entity is gone: every call is
    /// denied (fail closed) until it is fixed.
    pub broken: Option<String>,
}

impl Iam {
    /// The compiled policies of `principal`, from cache when IAM has not changed since.
    pub fn identity_for(&self, principal: &Principal) -> Result<Arc<IdentityPolicies>, AwsError> {
        let generation = self.generation();
        let cached = self.identities.read().unwrap_or_else(|p| p.into_inner()).get(&principal.access_key_id).cloned();
        if let Some(hit) = cached.filter(|h| h.generation == generation) {
            return Ok(hit);
        }
        let built = Arc::new(self.build_identity(principal, generation)?);
        let mut cache = self.identities.write().unwrap_or_else(|p| p.into_inner());
        if cache.len() > 100_000 {
            cache.clear();
        }
        cache.insert(principal.access_key_id.clone(), Arc::clone(&built));
        Ok(built)
    }

    fn build_identity(&self, p: &Principal, generation: u64) -> Result<IdentityPolicies, AwsError> {
        let account = &p.account_id;
        let session: Option<SessionRecord> =
            if p.session.is_some() { self.store.get_json(SESSIONS, &p.access_key_id)? } else { None };
        let mut out = IdentityPolicies {
            generation,
            info: PrincipalInfo::root(account.as_str()),
            identity: Vec::new(),
            boundary: None,
            session: Vec::new(),
            keys: vec![("aws:userid".into(), vec![p.user_id.clone()])],
            temporary: session.is_some(),
            mfa_unix: session.as_ref().and_then(|s| s.mfa_unix),
            broken: None,
        };
        let mut tags: Vec<(String, String)> = Vec::new();
        match p.kind {
            CoreKind::Root => {}
            CoreKind::IamUser => {
                let name = p.name.as_deref().unwrap_or_default();
                out.info = PrincipalInfo::user(&p.arn);
                out.keys.push(("aws:username".into(), vec![name.to_owned()]));
                let Some(user) = self.get::<UserRecord>(Kind::User, account, name)? else {
                    out.broken = Some(format!("user {name} no longer exists"));
                    return Ok(out);
                };
                self.user_policies(&user, account, &mut out)?;
                tags.extend(user.tags.iter().map(|t| (t.key.clone(), t.value.clone())));
            }
            CoreKind::AssumedRole | CoreKind::FederatedUser => {
                let Some(session) = &session else {
                    out.broken = Some("session no longer exists".into());
                    return Ok(out);
                };
                let role_arn = session.role_arn.clone().unwrap_or_default();
                out.info = PrincipalInfo::assumed_role(&p.arn, &role_arn);
                let role_name = session.subject_name.clone().unwrap_or_default();
                let Some(role) = self.get::<RoleRecord>(Kind::Role, account, &role_name)? else {
                    out.broken = Some(format!("role {role_name} no longer exists"));
                    return Ok(out);
                };
                // Sessions belong to the role's unique id: a role deleted and re-created under the
                // same name (same ARN) does not inherit the old role's sessions.
                if session.user_id.split(':').next() != Some(role.role_id.as_str()) {
                    out.broken = Some(format!("role {role_name} was deleted and re-created"));
                    return Ok(out);
                }
                self.role_policies(&role, &mut out);
                for (i, doc) in session.session_policies.iter().enumerate() {
                    match Policy::parse_as(doc, PolicyKind::Session) {
                        Ok(pol) => out.session.push(Arc::new(pol.with_name(format!("session-policy-{}", i + 1)))),
                        Err(e) => out.broken = Some(format!("session policy no longer parses: {e}")),
                    }
                }
                tags.extend(role.tags.iter().map(|t| (t.key.clone(), t.value.clone())));
                for t in &session.tags {
                    tags.retain(|(k, _)| !k.eq_ignore_ascii_case(&t.key));
                    tags.push((t.key.clone(), t.value.clone()));
                }
                if let Some(si) = &session.source_identity {
                    out.keys.push(("aws:SourceIdentity".into(), vec![si.clone()]));
                }
                if let Some(w) = &session.web_identity {
                    out.keys.push((format!("{}:sub", w.provider), vec![w.sub.clone()]));
                    out.keys.push((format!("{}:aud", w.provider), vec![w.aud.clone()]));
                    out.keys.push(("aws:FederatedProvider".into(), vec![w.provider_arn.clone()]));
                }
            }
        }
        principal_tags(tags, &mut out);
        Ok(out)
    }

    /// The identity policies of `user` (its own and its groups') and its boundary: the same for
    /// enforcement and simulation.
    fn user_policies(
        &self,
        user: &UserRecord,
        account: &rampart_core::ids::AccountId,
        out: &mut IdentityPolicies,
    ) -> Result<(), AwsError> {
        self.collect(&user.permissions, &format!("user/{}", user.name), out);
        for g in &user.groups {
            if let Some(group) = self.get::<GroupRecord>(Kind::Group, account, g)? {
                self.collect(&group.permissions, &format!("group/{}", group.name), out);
            }
        }
        out.boundary = self.boundary(user.boundary.as_deref(), out);
        Ok(())
    }

    /// The identity policies of `role` and its boundary: the same for enforcement and simulation.
    fn role_policies(&self, role: &RoleRecord, out: &mut IdentityPolicies) {
        self.collect(&role.permissions, &format!("role/{}", role.name), out);
        out.boundary = self.boundary(role.boundary.as_deref(), out);
    }

    /// The identity policies, boundary and principal of a user, group or role, for simulation
    /// (`SimulatePrincipalPolicy`), exactly as the authorizer would assemble them.
    pub(crate) fn entity_policies(&self, source_arn: &str) -> Result<IdentityPolicies, AwsError> {
        let bad = || AwsError::invalid_parameter_value(format!("Invalid ARN: {source_arn}"));
        let rest = source_arn.strip_prefix("arn:aws:iam::").ok_or_else(bad)?;
        let (acct, resource) = rest.split_once(':').ok_or_else(bad)?;
        let account = rampart_core::ids::AccountId::parse(acct).map_err(|_| bad())?;
        let (kind, name) = resource.split_once('/').ok_or_else(bad)?;
        let name = name.rsplit('/').next().unwrap_or(name);
        let mut out = IdentityPolicies {
            generation: self.generation(),
            info: PrincipalInfo::root(account.as_str()),
            identity: Vec::new(),
            boundary: None,
            session: Vec::new(),
            keys: Vec::new(),
            temporary: false,
            mfa_unix: None,
            broken: None,
        };
        let missing = |what: &str| crate::util::no_such_entity(what, name);
        match kind {
            "user" => {
                let user: UserRecord = self.get(Kind::User, &account, name)?.ok_or_else(|| missing("user"))?;
                out.info = PrincipalInfo::user(&user.arn);
                self.user_policies(&user, &account, &mut out)?;
                out.keys.push(("aws:username".into(), vec![user.name.clone()]));
                out.keys.push(("aws:userid".into(), vec![user.user_id.clone()]));
                principal_tags(user.tags.iter().map(|t| (t.key.clone(), t.value.clone())).collect(), &mut out);
            }
            "group" => {
                let group: GroupRecord = self.get(Kind::Group, &account, name)?.ok_or_else(|| missing("group"))?;
                self.collect(&group.permissions, &format!("group/{}", group.name), &mut out);
            }
            "role" => {
                let role: RoleRecord = self.get(Kind::Role, &account, name)?.ok_or_else(|| missing("role"))?;
                out.info = PrincipalInfo::user(&role.arn);
                self.role_policies(&role, &mut out);
                principal_tags(role.tags.iter().map(|t| (t.key.clone(), t.value.clone())).collect(), &mut out);
            }
            _ => return Err(bad()),
        }
        if let Some(why) = &out.broken {
            return Err(AwsError::invalid_parameter_value(format!(
                "a policy of {source_arn} cannot be evaluated: {why}"
            )));
        }
        Ok(out)
    }

    fn collect(&self, perms: &Permissions, owner: &str, out: &mut IdentityPolicies) {
        for (name, doc) in &perms.inline {
            match Policy::parse(doc) {
                Ok(p) => out.identity.push(Arc::new(p.with_name(format!("{owner}/{name}")))),
                Err(e) => out.broken = Some(format!("inline policy {owner}/{name} no longer parses: {e}")),
            }
        }
        for arn in &perms.attached {
            match self.parsed_managed(arn) {
                Ok(Some(p)) => out.identity.push(p),
                Ok(None) => {} // detached by deletion; nothing to grant or deny
                Err(e) => out.broken = Some(e),
            }
        }
    }

    fn boundary(&self, arn: Option<&str>, out: &mut IdentityPolicies) -> Option<Arc<Policy>> {
        let arn = arn?;
        match self.parsed_managed(arn) {
            Ok(Some(p)) => Some(p),
            // A boundary that no longer exists allows nothing: fail closed.
            Ok(None) => Some(Arc::new(
                Policy::parse(
                    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#,
                )
                .expect("static policy")
                .with_name(format!("missing boundary {arn}")),
            )),
            Err(e) => {
                out.broken = Some(e);
                None
            }
        }
    }

    /// The parsed default version of managed policy `arn`.
    pub(crate) fn parsed_managed(&self, arn: &str) -> Result<Option<Arc<Policy>>, String> {
        if let Some(m) = self.managed.get(arn) {
            return Ok(Some(Arc::clone(&m.parsed)));
        }
        let rec = self.customer_policy(arn).map_err(|e| e.message().to_owned())?;
        let Some(rec) = rec else { return Ok(None) };
        let key = format!("managed:{}#{}#{}", rec.arn, rec.policy_id, rec.default_version);
        self.parse_cached(&key, rec.default_document(), PolicyKind::Identity, &rec.name).map(Some)
    }
}

/// `aws:PrincipalTag/*` and `aws:PrincipalTagKeys` of `tags`.
fn principal_tags(tags: Vec<(String, String)>, out: &mut IdentityPolicies) {
    if tags.is_empty() {
        return;
    }
    let keys: Vec<String> = tags.iter().map(|(k, _)| k.clone()).collect();
    for (k, v) in tags {
        out.keys.push((format!("aws:PrincipalTag/{k}"), vec![v]));
    }
    out.keys.push(("aws:PrincipalTagKeys".into(), keys));
}
