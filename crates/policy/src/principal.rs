//! The `Principal` and `NotPrincipal` elements of resource-based and trust policies.
//!
//! AWS "AWS JSON policy elements: Principal": `"*"` and `{"AWS": "*"}` mean everyone, including
//! anonymous callers. `{"AWS": "123456789012"}` and `{"AWS": "arn:aws:iam::123456789012:root"}`
//! name the *account*: the grant is delegated to that account, whose identity-based policies must
//! still allow the request. User, role, role-session and federated-user ARNs name one principal.
//! Wildcards other than a lone `*` are not allowed in principal values.

use crate::context::{PrincipalInfo, PrincipalKind};
use crate::error::PolicyError;
use crate::json::Json;

/// How strongly a resource-policy statement's principal names the caller; the order matters
/// (a stronger match wins when a statement names the caller several ways).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Grant {
    /// The caller's account is named: its identity side must allow too.
    Account,
    /// The role behind a role session (or the IAM user behind a federated-user session) is named:
    /// the grant replaces the identity-policy allow but permissions boundaries and session
    /// policies still limit it.
    Issuer,
    /// The caller itself (or everyone) is named: implicit denies elsewhere do not limit it.
    Direct,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum AwsPrincipal {
    Account(Box<str>),
    Arn(Box<str>),
}

/// A parsed `Principal`/`NotPrincipal` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PrincipalSet {
    any: bool,
    aws: Vec<AwsPrincipal>,
    service: Vec<Box<str>>,
    federated: Vec<Box<str>>,
    canonical: Vec<Box<str>>,
}

impl PrincipalSet {
    /// How many principals the set names (`*` counts one).
    pub(crate) fn weight(&self) -> usize {
        usize::from(self.any) + self.aws.len() + self.service.len() + self.federated.len() + self.canonical.len()
    }

    /// Parses a `Principal` element value.
    pub(crate) fn parse(value: &Json) -> Result<PrincipalSet, PolicyError> {
        let mut set = PrincipalSet { any: false, aws: vec![], service: vec![], federated: vec![], canonical: vec![] };
        let entries = match value {
            Json::String(s) if s == "*" => {
                set.any = true;
                return Ok(set);
            }
            Json::Object(entries) if !entries.is_empty() => entries,
            other => return Err(invalid("Principal", &render(other))),
        };
        for (kind, values) in entries {
            let list: Vec<&str> = match values {
                Json::String(s) => vec![s.as_str()],
                Json::Array(items) if !items.is_empty() => items
                    .iter()
                    .map(|i| if let Json::String(s) = i { Ok(s.as_str()) } else { Err(invalid(kind, &render(i))) })
                    .collect::<Result<_, _>>()?,
                other => return Err(invalid(kind, &render(other))),
            };
            for v in list {
                match kind.as_str() {
                    // AWS "Principal": `"Principal": "*"` and `{"AWS": "*"}` are equivalent.
                    "AWS" if v == "*" => set.any = true,
                    "AWS" => set.aws.push(parse_aws(v)?),
                    "Service" if valid_name(v) => set.service.push(v.into()),
                    "Federated" if valid_name(v) => set.federated.push(v.into()),
                    "CanonicalUser" if valid_name(v) => set.canonical.push(v.into()),
                    _ => return Err(invalid(kind, v)),
                }
            }
        }
        Ok(set)
    }

    /// The strongest way this set names `p`, if any.
    pub(crate) fn grant_for(&self, p: &PrincipalInfo) -> Option<Grant> {
        if self.any {
            return Some(Grant::Direct);
        }
        match p.kind {
            PrincipalKind::Service => self.service.iter().any(|s| **s == p.arn).then_some(Grant::Direct),
            PrincipalKind::WebIdentity => self.federated.iter().any(|s| **s == p.arn).then_some(Grant::Direct),
            PrincipalKind::Anonymous => None,
            _ => {
                let canonical =
                    p.canonical_user_id.as_deref().is_some_and(|c| self.canonical.iter().any(|s| **s == *c));
                let issuer = p.issuer();
                let mut best = canonical.then_some(Grant::Direct);
                for a in &self.aws {
                    let g = match a {
                        AwsPrincipal::Arn(arn) if **arn == p.arn => Some(Grant::Direct),
                        AwsPrincipal::Arn(arn) if issuer.as_deref() == Some(&**arn) => Some(Grant::Issuer),
                        AwsPrincipal::Account(acct) if p.account.as_deref() == Some(&**acct) => Some(Grant::Account),
                        _ => None,
                    };
                    best = best.max(g);
                }
                best
            }
        }
    }

    /// For `NotPrincipal`: whether `p` is excluded, i.e. every identity AWS checks for the caller
    /// is listed. AWS "NotPrincipal": "AWS might validate the account first and then the user";
    /// for an assumed role it checks the account, the role and the session, so each must be listed.
    pub(crate) fn excludes(&self, p: &PrincipalInfo) -> bool {
        if self.any {
            return true;
        }
        match p.kind {
            PrincipalKind::Service => self.service.iter().any(|s| **s == p.arn),
            PrincipalKind::WebIdentity => self.federated.iter().any(|s| **s == p.arn),
            PrincipalKind::Anonymous => false,
            _ => {
                let has_arn = |arn: &str| self.aws.iter().any(|a| matches!(a, AwsPrincipal::Arn(x) if **x == *arn));
                let account_listed = p
                    .account
                    .as_deref()
                    .is_some_and(|acct| self.aws.iter().any(|a| matches!(a, AwsPrincipal::Account(x) if **x == *acct)));
                let self_listed = p.kind == PrincipalKind::Root || has_arn(&p.arn);
                let issuer_listed = !p.kind.is_session() || p.issuer().is_some_and(|i| has_arn(&i));
                account_listed && self_listed && issuer_listed
            }
        }
    }
}

fn valid_name(v: &str) -> bool {
    !v.is_empty() && !v.chars().any(char::is_whitespace)
}

fn invalid(kind: &str, value: &str) -> PolicyError {
    PolicyError::InvalidPrincipal { kind: kind.into(), value: value.into() }
}

fn render(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Null => "null".into(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => n.to_string(),
        Json::Array(_) => "[...]".into(),
        Json::Object(_) => "{...}".into(),
    }
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// An account id, or an `iam`/`sts` principal ARN (account root, user, role, assumed-role
/// session, federated user). Unique ids (`AIDA...`, `AROA...`) that IAM shows for deleted
/// principals are accepted and match nothing.
fn parse_aws(v: &str) -> Result<AwsPrincipal, PolicyError> {
    if is_account_id(v) {
        return Ok(AwsPrincipal::Account(v.into()));
    }
    if v.len() > 4 && v.starts_with('A') && v.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
        return Ok(AwsPrincipal::Arn(v.into()));
    }
    let parts: Vec<&str> = v.splitn(6, ':').collect();
    let valid = parts.len() == 6
        && parts[0] == "arn"
        && !parts[1].is_empty()
        && parts[3].is_empty()
        && is_account_id(parts[4])
        && !v.contains(['*', '?']);
    if !valid {
        return Err(invalid("AWS", v));
    }
    let resource = parts[5];
    let named = |prefix: &str| resource.strip_prefix(prefix).is_some_and(|rest| !rest.is_empty());
    match parts[2] {
        "iam" if resource == "root" => Ok(AwsPrincipal::Account(parts[4].into())),
        "iam" if named("user/") || named("role/") => Ok(AwsPrincipal::Arn(v.into())),
        "sts" if named("assumed-role/") || named("federated-user/") => Ok(AwsPrincipal::Arn(v.into())),
        _ => Err(invalid("AWS", v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(json: &str) -> PrincipalSet {
        PrincipalSet::parse(&Json::parse(json).unwrap()).unwrap()
    }

    #[test]
    fn parses_forms() {
        assert!(set(r#""*""#).any);
        assert_eq!(set(r#"{"AWS":"111122223333"}"#).aws, vec![AwsPrincipal::Account("111122223333".into())]);
        assert_eq!(
            set(r#"{"AWS":"arn:aws:iam::111122223333:root"}"#).aws,
            vec![AwsPrincipal::Account("111122223333".into())]
        );
        for bad in [
            r#""x""#,
            r#"{}"#,
            r#"{"AWS":"bob"}"#,
            r#"{"AWS":"arn:aws:iam::111122223333:user/*"}"#,
            r#"{"AWS":"arn:aws:iam::12:user/x"}"#,
            r#"{"AWS":"arn:aws:s3:::bucket"}"#,
            r#"{"Foo":"x"}"#,
            r#"{"AWS":[]}"#,
            r#"{"AWS":1}"#,
        ] {
            assert!(PrincipalSet::parse(&Json::parse(bad).unwrap()).is_err(), "{bad}");
        }
    }

    #[test]
    fn grants() {
        let session = PrincipalInfo::assumed_role(
            "arn:aws:sts::111122223333:assumed-role/Dev/s1",
            "arn:aws:iam::111122223333:role/Dev",
        );
        let s = set(r#"{"AWS":["111122223333","arn:aws:iam::111122223333:role/Dev"]}"#);
        assert_eq!(s.grant_for(&session), Some(Grant::Issuer));
        let s = set(r#"{"AWS":"arn:aws:sts::111122223333:assumed-role/Dev/s1"}"#);
        assert_eq!(s.grant_for(&session), Some(Grant::Direct));
        assert_eq!(set(r#"{"AWS":"444455556666"}"#).grant_for(&session), None);
        assert_eq!(set(r#"{"Service":"ec2.amazonaws.com"}"#).grant_for(&session), None);
    }
}
