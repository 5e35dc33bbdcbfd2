//! The request side of an authorization question: who is asking, and the condition-key context.

use crate::key::KeyName;
use crate::policy::Policy;
use crate::values::{Number, parse_bool, parse_date};
use crate::variables::Resolve;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::net::IpAddr;
use std::sync::OnceLock;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// What kind of principal is making the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    /// The account's root user: not subject to identity policies, full access to its own account.
    Root,
    /// An IAM user.
    User,
    /// A role session (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`).
    AssumedRole,
    /// A `GetFederationToken` session (`arn:aws:sts::ACCOUNT:federated-user/NAME`).
    FederatedUser,
    /// An external identity provider, as the caller of `AssumeRoleWithWebIdentity`/`WithSAML`.
    /// `arn` holds the provider (`cognito-identity.amazonaws.com`, a SAML provider ARN, ...).
    WebIdentity,
    /// An AWS service principal; `arn` holds its name (`ec2.amazonaws.com`).
    Service,
    /// An unauthenticated caller.
    Anonymous,
}

impl PrincipalKind {
    /// The value of `aws:PrincipalType` for this kind.
    pub fn principal_type(self) -> &'static str {
        match self {
            Self::Root => "Account",
            Self::User => "User",
            Self::AssumedRole => "AssumedRole",
            Self::FederatedUser => "FederatedUser",
            Self::WebIdentity => "WebIdentityUser",
            Self::Service => "Service",
            Self::Anonymous => "Anonymous",
        }
    }

    /// Whether this kind carries session policies (role and federated-user sessions).
    pub fn is_session(self) -> bool {
        matches!(self, Self::AssumedRole | Self::FederatedUser)
    }

    /// Whether this kind is an IAM principal of an account (root, user or session).
    pub fn is_iam(self) -> bool {
        matches!(self, Self::Root | Self::User | Self::AssumedRole | Self::FederatedUser)
    }
}

/// The principal making a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalInfo {
    /// What kind of principal this is.
    pub kind: PrincipalKind,
    /// The principal's ARN (root: `arn:aws:iam::ACCOUNT:root`; session: the `sts` session ARN;
    /// service: the service name; web identity: the provider; anonymous: `*`).
    pub arn: String,
    /// The account the principal belongs to (none for services, providers and anonymous callers).
    pub account: Option<String>,
    /// For a role session, the role's ARN (with its path); for a federated user, the ARN of the
    /// IAM user that called `GetFederationToken`.
    pub issuer_arn: Option<String>,
    /// The S3 canonical user id, matched by `{"CanonicalUser": ...}` principals.
    pub canonical_user_id: Option<String>,
}

impl PrincipalInfo {
    fn from_arn(kind: PrincipalKind, arn: &str, issuer: Option<&str>) -> Self {
        let account = arn.split(':').nth(4).filter(|a| !a.is_empty()).map(str::to_owned);
        Self { kind, arn: arn.into(), account, issuer_arn: issuer.map(Into::into), canonical_user_id: None }
    }

    /// The root user of `account`.
    pub fn root(account: &str) -> Self {
        Self::from_arn(PrincipalKind::Root, &format!("arn:aws:iam::{account}:root"), None)
    }

    /// An IAM user, by ARN (`arn:aws:iam::ACCOUNT:user/PATH/NAME`).
    pub fn user(arn: &str) -> Self {
        Self::from_arn(PrincipalKind::User, arn, None)
    }

    /// A role session, by session ARN and the ARN of its role.
    pub fn assumed_role(session_arn: &str, role_arn: &str) -> Self {
        Self::from_arn(PrincipalKind::AssumedRole, session_arn, Some(role_arn))
    }

    /// A `GetFederationToken` session, by its ARN and the ARN of the IAM user that created it.
    pub fn federated_user(arn: &str, iam_user_arn: &str) -> Self {
        Self::from_arn(PrincipalKind::FederatedUser, arn, Some(iam_user_arn))
    }

    /// An AWS service principal such as `ec2.amazonaws.com`.
    pub fn service(name: &str) -> Self {
        Self {
            kind: PrincipalKind::Service,
            arn: name.into(),
            account: None,
            issuer_arn: None,
            canonical_user_id: None,
        }
    }

    /// An external identity provider (`Federated` principal) such as `accounts.google.com`.
    pub fn web_identity(provider: &str) -> Self {
        Self { kind: PrincipalKind::WebIdentity, ..Self::service(provider) }
    }

    /// An anonymous (unsigned) caller.
    pub fn anonymous() -> Self {
        Self { kind: PrincipalKind::Anonymous, ..Self::service("*") }
    }

    /// The ARN that stands for the role or user behind a session: `issuer_arn` when given, else
    /// the role ARN derived from an assumed-role session ARN (without the role's path).
    pub fn issuer(&self) -> Option<std::borrow::Cow<'_, str>> {
        if let Some(i) = &self.issuer_arn {
            return Some(i.as_str().into());
        }
        if self.kind != PrincipalKind::AssumedRole {
            return None;
        }
        let mut parts = self.arn.splitn(6, ':');
        let (_, partition, _, _, account, resource) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let role = resource.strip_prefix("assumed-role/")?.split('/').next()?;
        Some(format!("arn:{partition}:iam::{account}:role/{role}").into())
    }
}

/// One value of a condition key, with lazily cached typed readings.
#[derive(Debug, Clone, Default)]
pub struct ContextValue {
    text: String,
    number: OnceLock<Option<Number>>,
    date: OnceLock<Option<i128>>,
    ip: OnceLock<Option<IpAddr>>,
    boolean: OnceLock<Option<bool>>,
    arn: OnceLock<Option<[u32; 5]>>,
}

impl ContextValue {
    /// A value.
    pub fn new(text: impl Into<String>) -> Self {
        Self { text: text.into(), ..Self::default() }
    }

    /// The value as text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub(crate) fn number(&self) -> Option<Number> {
        *self.number.get_or_init(|| Number::parse(&self.text))
    }

    pub(crate) fn date(&self) -> Option<i128> {
        *self.date.get_or_init(|| parse_date(&self.text))
    }

    pub(crate) fn ip(&self) -> Option<IpAddr> {
        *self.ip.get_or_init(|| self.text.parse().ok())
    }

    pub(crate) fn bool(&self) -> Option<bool> {
        *self.boolean.get_or_init(|| parse_bool(&self.text))
    }

    /// The six colon-separated components of an ARN (the last keeps further colons).
    pub(crate) fn arn_components(&self) -> Option<[&str; 6]> {
        let cuts = self.arn.get_or_init(|| {
            let mut cuts = [0u32; 5];
            let mut found = self.text.match_indices(':').map(|(i, _)| u32::try_from(i).ok());
            for cut in &mut cuts {
                *cut = found.next()??;
            }
            Some(cuts)
        });
        let c = cuts.as_ref()?.map(|i| i as usize);
        let t = self.text.as_str();
        Some([
            &t[..c[0]],
            &t[c[0] + 1..c[1]],
            &t[c[1] + 1..c[2]],
            &t[c[2] + 1..c[3]],
            &t[c[3] + 1..c[4]],
            &t[c[4] + 1..],
        ])
    }
}

/// Hashes a [`KeyName`] hash: the identity, since it is already well mixed.
#[derive(Default)]
struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) ^ u64::from(*b) ^ (self.0 >> 56);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// The context keys some policies can read: the keys of their conditions and of the policy
/// variables in their actions, resources and condition values. Evaluating those policies looks
/// up no other key, so a context built for them ([`ConditionContext::reading`]) need hold no
/// other: the decision is the same, and keys nobody reads cost nothing.
#[derive(Debug, Clone, Default)]
pub struct KeysRead(Vec<KeyName>);

impl KeysRead {
    /// The keys any of `policies` can read.
    pub fn of<'p>(policies: impl IntoIterator<Item = &'p Policy>) -> Self {
        let mut keys: Vec<KeyName> = Vec::new();
        for key in policies.into_iter().flat_map(Policy::keys_read) {
            if !keys.contains(key) {
                keys.push(key.clone());
            }
        }
        Self(keys)
    }

    /// Whether `key` (any case) is one of them.
    pub fn contains(&self, key: &str) -> bool {
        !self.0.is_empty() && self.0.iter().any(|k| k.is(key))
    }

    /// Whether the policies read no key at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[derive(Debug, Clone)]
struct Entry {
    key: KeyName,
    values: Vec<ContextValue>,
    /// Next entry whose key has the same hash (`usize::MAX` for none).
    next: usize,
}

/// The condition-key context of a request: a multi-valued map whose keys are case-insensitive.
///
/// The caller fills it (the engine only reads keys). Well-known keys include `aws:SourceIp`,
/// `aws:CurrentTime`, `aws:EpochTime`, `aws:SecureTransport`, `aws:MultiFactorAuthPresent`,
/// `aws:MultiFactorAuthAge`, `aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:PrincipalType`,
/// `aws:userid`, `aws:username`, `aws:PrincipalTag/*`, `aws:RequestTag/*`, `aws:TagKeys`,
/// `aws:RequestedRegion`, `aws:UserAgent` and `aws:ViaAWSService`; helpers set the common ones.
/// A key present with no values counts as absent (an empty data set).
#[derive(Debug, Clone, Default)]
pub struct ConditionContext {
    entries: Vec<Entry>,
    /// Key hash -> index of the first entry with that hash.
    index: HashMap<u64, usize, BuildHasherDefault<IdentityHasher>>,
    /// When set, the only keys kept: setting any other is a no-op.
    only: Option<KeysRead>,
}

impl ConditionContext {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty context that keeps only `keys`: setting, adding to or removing any other key
    /// does nothing. Evaluating the policies `keys` came from against it decides exactly as
    /// against a context holding every key.
    pub fn reading(keys: KeysRead) -> Self {
        Self { only: Some(keys), ..Self::default() }
    }

    /// Whether a value set for `key` would be kept: callers can skip computing values that
    /// nothing reads.
    pub fn wants(&self, key: &str) -> bool {
        self.only.as_ref().is_none_or(|only| only.contains(key))
    }

    fn find(&self, key: &KeyName) -> Option<usize> {
        let mut i = *self.index.get(&key.hash())?;
        while let Some(e) = self.entries.get(i) {
            if e.key.as_str() == key.as_str() {
                return Some(i);
            }
            i = e.next;
        }
        None
    }

    fn set(&mut self, key: &str, values: Vec<ContextValue>) {
        let key = KeyName::new(key);
        if let Some(i) = self.find(&key) {
            self.entries[i].values = values;
            return;
        }
        let at = self.entries.len();
        let next = self.index.insert(key.hash(), at).unwrap_or(usize::MAX);
        self.entries.push(Entry { key, values, next });
    }

    /// Every key (lower-cased) with its values, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[ContextValue])> {
        self.entries.iter().map(|e| (e.key.as_str(), e.values.as_slice()))
    }

    /// Sets `key` to the single value `value`, replacing earlier values.
    pub fn insert(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        if self.wants(key) {
            self.set(key, vec![ContextValue::new(value)]);
        }
        self
    }

    /// Sets `key` to `values` (a multi-valued key such as `aws:TagKeys`), replacing earlier values.
    pub fn insert_multi<I, S>(&mut self, key: &str, values: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        if self.wants(key) {
            self.set(key, values.into_iter().map(ContextValue::new).collect());
        }
        self
    }

    /// Adds `value` to the values of `key`.
    pub fn push(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        if !self.wants(key) {
            return self;
        }
        match self.find(&KeyName::new(key)) {
            Some(i) => self.entries[i].values.push(ContextValue::new(value)),
            None => self.set(key, vec![ContextValue::new(value)]),
        }
        self
    }

    /// Builder form of [`ConditionContext::insert`].
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.insert(key, value);
        self
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &str) {
        if !self.wants(key) {
            return;
        }
        let Some(i) = self.find(&KeyName::new(key)) else { return };
        self.entries.remove(i);
        self.index.clear();
        for (at, e) in self.entries.iter_mut().enumerate() {
            e.next = self.index.insert(e.key.hash(), at).unwrap_or(usize::MAX);
        }
    }

    /// The values of `key` (any case); `None` when absent.
    pub fn get(&self, key: &str) -> Option<&[ContextValue]> {
        self.lookup(&KeyName::new(key))
    }

    /// Values of a pre-hashed key.
    pub(crate) fn lookup(&self, key: &KeyName) -> Option<&[ContextValue]> {
        self.find(key).map(|i| self.entries[i].values.as_slice())
    }

    /// Sets `aws:CurrentTime` (ISO 8601, UTC) and `aws:EpochTime` (seconds).
    pub fn set_current_time(&mut self, now: OffsetDateTime) -> &mut Self {
        if self.wants("aws:CurrentTime") {
            let utc = now.to_offset(time::UtcOffset::UTC).replace_nanosecond(0).unwrap_or(now);
            let text = utc.format(&Rfc3339).unwrap_or_default();
            self.insert("aws:CurrentTime", text);
        }
        if self.wants("aws:EpochTime") {
            self.insert("aws:EpochTime", now.unix_timestamp().to_string());
        }
        self
    }

    /// Sets `aws:SourceIp`.
    pub fn set_source_ip(&mut self, ip: IpAddr) -> &mut Self {
        if self.wants("aws:SourceIp") {
            self.insert("aws:SourceIp", ip.to_string());
        }
        self
    }

    /// Sets `aws:SecureTransport`.
    pub fn set_secure_transport(&mut self, tls: bool) -> &mut Self {
        self.insert("aws:SecureTransport", if tls { "true" } else { "false" })
    }

    /// Sets `aws:MultiFactorAuthPresent` and, when known, `aws:MultiFactorAuthAge` (seconds).
    pub fn set_mfa(&mut self, present: bool, age_secs: Option<u64>) -> &mut Self {
        self.insert("aws:MultiFactorAuthPresent", if present { "true" } else { "false" });
        match age_secs {
            Some(age) if self.wants("aws:MultiFactorAuthAge") => self.insert("aws:MultiFactorAuthAge", age.to_string()),
            Some(_) => self,
            None => {
                self.remove("aws:MultiFactorAuthAge");
                self
            }
        }
    }

    /// Sets `aws:PrincipalArn`, `aws:PrincipalAccount` and `aws:PrincipalType` from `principal`
    /// (`aws:PrincipalArn` is the role ARN for a role session, as AWS documents).
    pub fn set_principal(&mut self, principal: &PrincipalInfo) -> &mut Self {
        if self.wants("aws:PrincipalArn") {
            let arn = match principal.kind {
                PrincipalKind::AssumedRole => principal.issuer(),
                PrincipalKind::Service | PrincipalKind::WebIdentity | PrincipalKind::Anonymous => None,
                _ => Some(principal.arn.as_str().into()),
            };
            if let Some(arn) = arn {
                self.insert("aws:PrincipalArn", arn);
            }
        }
        if let Some(account) = &principal.account {
            self.insert("aws:PrincipalAccount", account.as_str());
        }
        self.insert("aws:PrincipalType", principal.kind.principal_type())
    }

    /// Sets one `aws:PrincipalTag/KEY` per tag.
    pub fn set_principal_tags<'t>(&mut self, tags: impl IntoIterator<Item = (&'t str, &'t str)>) -> &mut Self {
        for (k, v) in tags {
            self.insert(&format!("aws:PrincipalTag/{k}"), v);
        }
        self
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no key is set.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Resolve for ConditionContext {
    fn resolve(&self, key: &KeyName) -> Option<&str> {
        match self.lookup(key)? {
            [one] => Some(one.as_str()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive() {
        let mut c = ConditionContext::new();
        c.insert("aws:SourceIP", "1.2.3.4");
        assert_eq!(c.get("AWS:sourceip").unwrap()[0].as_str(), "1.2.3.4");
        c.push("aws:TagKeys", "a").push("AWS:TAGKEYS", "b");
        assert_eq!(c.get("aws:tagkeys").unwrap().len(), 2);
        c.remove("Aws:TagKeys");
        assert!(c.get("aws:TagKeys").is_none());
    }

    #[test]
    fn keys_read_are_condition_keys_and_variables() {
        let p = Policy::parse(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*",
                "Resource":"arn:aws:s3:::${aws:username}/*",
                "Condition":{"StringEquals":{"aws:PrincipalTag/Team":"${aws:PrincipalTag/Lead}"},
                             "ArnLike":{"aws:SourceArn":"arn:aws:sns:*:${aws:PrincipalAccount}:*"},
                             "Bool":{"aws:SecureTransport":"${test:Flag}"}}}]}"#,
        )
        .unwrap();
        let keys = KeysRead::of([&p]);
        for k in [
            "aws:username",
            "AWS:PrincipalTag/team",
            "aws:principaltag/lead",
            "aws:SourceArn",
            "aws:PrincipalAccount",
            "aws:securetransport",
            "test:flag",
        ] {
            assert!(keys.contains(k), "{k}");
        }
        assert!(!keys.contains("aws:SourceIp"));
        let plain = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
        assert!(KeysRead::of([&Policy::parse(plain).unwrap()]).is_empty());
        // Before 2012-10-17, `${...}` is literal text.
        let old = r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::a/${aws:username}"}}"#;
        assert!(KeysRead::of([&Policy::parse(old).unwrap()]).is_empty());
    }

    #[test]
    fn a_context_reading_some_keys_keeps_only_those() {
        let p = Policy::parse(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*",
                "Condition":{"StringEquals":{"aws:username":"alice","aws:TagKeys":"a"}}}}"#,
        )
        .unwrap();
        let mut c = ConditionContext::reading(KeysRead::of([&p]));
        assert!(c.wants("AWS:UserName") && !c.wants("aws:CurrentTime"));
        c.insert("aws:UserName", "alice").insert("aws:SourceIp", "10.0.0.1");
        c.push("aws:tagkeys", "a").push("aws:TagKeys", "b").push("aws:PrincipalTag/x", "y");
        c.set_current_time(time::macros::datetime!(2024-05-01 12:30:00 UTC));
        c.set_source_ip("10.0.0.1".parse().unwrap()).set_secure_transport(true).set_mfa(true, Some(3));
        c.set_principal(&PrincipalInfo::user("arn:aws:iam::111122223333:user/alice"));
        assert_eq!(c.get("aws:username").unwrap()[0].as_str(), "alice");
        assert_eq!(c.get("aws:TagKeys").unwrap().len(), 2);
        assert_eq!(c.len(), 2);
        c.remove("aws:SourceIp");
        c.remove("aws:USERNAME");
        assert_eq!(c.len(), 1);
        let mut none = ConditionContext::reading(KeysRead::default());
        none.insert("aws:username", "alice").set_current_time(time::OffsetDateTime::UNIX_EPOCH);
        assert!(none.is_empty());
    }

    #[test]
    fn many_keys_survive_inserts_and_removals() {
        let mut c = ConditionContext::new();
        for i in 0..200 {
            c.insert(&format!("test:Key{i}"), i.to_string());
        }
        for i in (0..200).step_by(3) {
            c.remove(&format!("TEST:key{i}"));
        }
        for i in 0..200 {
            let got = c.get(&format!("test:key{i}")).map(|v| v[0].as_str().to_owned());
            assert_eq!(got, (i % 3 != 0).then(|| i.to_string()), "key {i}");
        }
        c.insert("test:key1", "replaced");
        assert_eq!(c.get("test:KEY1").unwrap()[0].as_str(), "replaced");
        assert_eq!(c.len(), 133);
    }

    #[test]
    fn arn_components_are_cached_slices() {
        let v = ContextValue::new("arn:aws:logs:us-east-1:111122223333:log-group:a:b");
        assert_eq!(v.arn_components().unwrap(), ["arn", "aws", "logs", "us-east-1", "111122223333", "log-group:a:b"]);
        assert!(ContextValue::new("arn:aws:s3").arn_components().is_none());
    }

    #[test]
    fn time_helper() {
        let mut c = ConditionContext::new();
        c.set_current_time(time::macros::datetime!(2024-05-01 12:30:00.25 +02:00));
        assert_eq!(c.get("aws:CurrentTime").unwrap()[0].as_str(), "2024-05-01T10:30:00Z");
        assert_eq!(c.get("aws:EpochTime").unwrap()[0].as_str(), "1714559400");
    }

    #[test]
    fn issuer_is_derived_from_session_arn() {
        let mut p = PrincipalInfo::assumed_role("arn:aws:sts::111122223333:assumed-role/Dev/alice", "x");
        p.issuer_arn = None;
        assert_eq!(p.issuer().unwrap(), "arn:aws:iam::111122223333:role/Dev");
        assert_eq!(p.account.as_deref(), Some("111122223333"));
    }
}
