//! Issuer URLs: how `CreateOpenIDConnectProvider` validates them, and the `host/path` form that
//! names a provider in its ARN (`arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH`) and prefixes its
//! condition keys (`HOST/PATH:sub`, `HOST/PATH:aud`).

use rampart_core::ids::AccountId;
use std::net::IpAddr;

/// Longest provider URL IAM accepts.
pub(crate) const MAX_URL: usize = 255;

/// An OpenID Connect issuer URL, validated.
///
/// AWS accepts only `https://` issuers. Rampart also accepts `http://` when the host is a
/// loopback address (`127.0.0.0/8`, `::1`, `localhost`), so that a local test issuer can be
/// registered; any other plain-HTTP issuer is refused as AWS refuses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IssuerUrl {
    /// `https` (true) or loopback `http` (false).
    pub(crate) secure: bool,
    /// The host, lower-cased; an IPv6 address keeps its brackets.
    pub(crate) host: String,
    /// The port, when the URL names one.
    pub(crate) port: Option<u16>,
    /// The path without its trailing slashes (empty for none).
    pub(crate) path: String,
}

impl IssuerUrl {
    /// Parses and validates an issuer URL; the error is the reason, for a message.
    pub(crate) fn parse(url: &str) -> Result<Self, String> {
        if url.is_empty() || url.len() > MAX_URL {
            return Err(format!("the URL must be 1 to {MAX_URL} characters"));
        }
        let lower = url.get(..8).map(str::to_ascii_lowercase).unwrap_or_default();
        let (secure, rest) = if lower.starts_with("https://") {
            (true, &url[8..])
        } else if lower.starts_with("http://") {
            (false, &url[7..])
        } else {
            return Err("the URL must begin with https://".into());
        };
        if rest.contains(['?', '#']) {
            return Err("the URL must not have a query or fragment".into());
        }
        if !rest.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            return Err("the URL must be printable ASCII without spaces".into());
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err("the URL must not carry user information".into());
        }
        let (host, port) = split_host_port(authority)?;
        if !secure && !is_loopback(&host) {
            return Err("the URL must begin with https://".into());
        }
        let path = path.trim_end_matches('/');
        if path.contains("//") {
            return Err("the URL path must not have empty segments".into());
        }
        Ok(Self { secure, host, port, path: path.to_owned() })
    }

    /// `host[:port]/path`: the provider's name in its ARN and its condition keys' prefix.
    pub(crate) fn provider_id(&self) -> String {
        match self.port {
            Some(p) => format!("{}:{p}{}", self.host, self.path),
            None => format!("{}{}", self.host, self.path),
        }
    }

    /// The URL in canonical form (`https://host[:port]/path`).
    pub(crate) fn url(&self) -> String {
        format!("{}://{}", if self.secure { "https" } else { "http" }, self.provider_id())
    }

    /// The provider ARN in `account`.
    pub(crate) fn arn(&self, account: &AccountId) -> String {
        format!("arn:aws:iam::{account}:oidc-provider/{}", self.provider_id())
    }
}

fn split_host_port(authority: &str) -> Result<(String, Option<u16>), String> {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let end = v6.find(']').ok_or("the URL has an unterminated IPv6 address")?;
        let addr = &v6[..end];
        if addr.parse::<std::net::Ipv6Addr>().is_err() {
            return Err("the URL has an invalid IPv6 address".into());
        }
        let after = &v6[end + 1..];
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or("the URL has an invalid port")?),
        };
        (format!("[{}]", addr.to_ascii_lowercase()), port)
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h.to_ascii_lowercase(), Some(p)),
            None => (authority.to_ascii_lowercase(), None),
        }
    };
    if host.is_empty() {
        return Err("the URL has no host".into());
    }
    if !host.starts_with('[') && !host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.') {
        return Err("the URL has an invalid host".into());
    }
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => Some(n),
            _ => return Err("the URL has an invalid port".into()),
        },
    };
    Ok((host, port))
}

/// Whether `host` (as in a URL; IPv6 in brackets or not) is this machine's loopback.
pub(crate) fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.eq_ignore_ascii_case("localhost") {
        return true;
    }
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The provider id (`host[:port]/path`) named by `arn`, when it is an OIDC provider ARN of
/// `account`.
pub(crate) fn provider_id_of_arn<'a>(arn: &'a str, account: &AccountId) -> Option<&'a str> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (acct, resource) = rest.split_once(':')?;
    if acct != account.as_str() {
        return None;
    }
    resource.strip_prefix("oidc-provider/").filter(|id| !id.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_urls_name_providers_by_host_and_path() {
        let u = IssuerUrl::parse("https://Token.Actions.GitHubUserContent.com").unwrap();
        assert_eq!(u.provider_id(), "token.actions.githubusercontent.com");
        assert_eq!(u.url(), "https://token.actions.githubusercontent.com");
        let u = IssuerUrl::parse("https://oidc.eks.us-west-2.amazonaws.com/id/ABC123/").unwrap();
        assert_eq!(u.provider_id(), "oidc.eks.us-west-2.amazonaws.com/id/ABC123");
        let u = IssuerUrl::parse("https://idp.example.com:8443/realms/dev").unwrap();
        assert_eq!(u.provider_id(), "idp.example.com:8443/realms/dev");
        let acct = AccountId::parse("111122223333").unwrap();
        assert_eq!(u.arn(&acct), "arn:aws:iam::111122223333:oidc-provider/idp.example.com:8443/realms/dev");
    }

    #[test]
    fn plain_http_only_on_loopback() {
        for ok in ["http://127.0.0.1:9400", "http://127.8.9.10/x", "http://localhost:1", "http://[::1]:8080/a"] {
            let u = IssuerUrl::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert!(!u.secure);
        }
        assert_eq!(IssuerUrl::parse("http://[::1]:8080/a").unwrap().provider_id(), "[::1]:8080/a");
        for bad in ["http://example.com", "http://10.0.0.1", "http://127.0.0.1.example.com", "ftp://localhost"] {
            assert!(IssuerUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn malformed_urls_are_refused() {
        for bad in [
            "",
            "example.com",
            "https://",
            "https://a.example.com?x=1",
            "https://a.example.com/#f",
            "https://user@a.example.com",
            "https://a.example.com:0",
            "https://a.example.com:99999",
            "https://a.example.com:80x",
            "https://a b.example.com",
            "https://[::1",
            "https://[zz]:1",
            "https://a.example.com//x",
            "https://a_b.example.com",
        ] {
            assert!(IssuerUrl::parse(bad).is_err(), "{bad}");
        }
        assert!(IssuerUrl::parse(&format!("https://a.example.com/{}", "p".repeat(250))).is_err());
    }

    #[test]
    fn provider_arns() {
        let acct = AccountId::parse("111122223333").unwrap();
        let other = AccountId::parse("444455556666").unwrap();
        let arn = "arn:aws:iam::111122223333:oidc-provider/127.0.0.1:9400/x";
        assert_eq!(provider_id_of_arn(arn, &acct), Some("127.0.0.1:9400/x"));
        assert_eq!(provider_id_of_arn(arn, &other), None);
        assert_eq!(provider_id_of_arn("arn:aws:iam::111122223333:oidc-provider/", &acct), None);
        assert_eq!(provider_id_of_arn("arn:aws:iam::111122223333:role/x", &acct), None);
    }
}
