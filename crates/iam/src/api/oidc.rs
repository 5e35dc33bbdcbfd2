//! OpenID Connect identity providers: the issuers whose ID tokens `AssumeRoleWithWebIdentity`
//! accepts, each with the audiences (client ids) it may issue tokens for.
//!
//! A provider is named by its URL without the scheme (`arn:aws:iam::ACCOUNT:oidc-provider/
//! HOST/PATH`). As in AWS the URL must be `https://`; unlike AWS, `http://` is also accepted
//! when the host is a loopback address (`127.0.0.0/8`, `::1`, `localhost`), so that a local test
//! issuer can be registered (see [`IssuerUrl`]).
//!
//! Thumbprints are stored and returned as AWS does; Rampart verifies issuers' TLS certificates
//! against the system's trusted CAs and does not use thumbprints to trust other certificates.

use super::{On, account, op};
use crate::accounts::iso_now;
use crate::api::users::scan_kind;
use crate::model::{IAM, Kind, OidcProviderRecord};
use crate::oidc::issuer::{IssuerUrl, MAX_URL, provider_id_of_arn};
use crate::state::Iam;
use crate::util::*;
use rampart_core::AwsError;
use rampart_core::ids::AccountId;
use rampart_store::{Txn, TxnExt};
use rampart_wire::query::QueryParams;
use rampart_wire::xml::XmlWriter;
use rampart_wire::{Call, Operation};
use std::sync::Arc;

/// Most client ids per provider (AWS quota `ClientIdsPerOpenIdConnectProvider`).
const MAX_CLIENT_IDS: usize = 100;
/// Most thumbprints per provider.
const MAX_THUMBPRINTS: usize = 5;
/// The ARN parameter of every operation but create and list.
const ARN: &str = "OpenIDConnectProviderArn";

/// The OpenID Connect provider operations of the IAM service.
pub(super) fn operations(iam: &Arc<Iam>) -> Vec<Operation> {
    vec![
        op(iam, "CreateOpenIDConnectProvider", On::NewOidc, false, create),
        op(iam, "GetOpenIDConnectProvider", On::OidcArn(ARN), true, get),
        op(iam, "ListOpenIDConnectProviders", On::Nothing, true, list),
        op(iam, "DeleteOpenIDConnectProvider", On::OidcArn(ARN), false, delete),
        op(iam, "AddClientIDToOpenIDConnectProvider", On::OidcArn(ARN), false, add_client_id),
        op(iam, "RemoveClientIDFromOpenIDConnectProvider", On::OidcArn(ARN), false, remove_client_id),
        op(iam, "UpdateOpenIDConnectProviderThumbprint", On::OidcArn(ARN), false, update_thumbprints),
        op(iam, "TagOpenIDConnectProvider", On::OidcArn(ARN), false, tag),
        op(iam, "UntagOpenIDConnectProvider", On::OidcArn(ARN), false, untag_provider),
        op(iam, "ListOpenIDConnectProviderTags", On::OidcArn(ARN), true, list_tags),
    ]
}

/// The ARN `CreateOpenIDConnectProvider` with `url` would create, for authorization (`*` when
/// the URL is invalid: the handler then refuses it).
pub(crate) fn new_provider_arn(acct: &AccountId, url: &str) -> String {
    IssuerUrl::parse(url).map_or_else(|_| "*".to_owned(), |u| u.arn(acct))
}

fn constraint(param: &str, value: &str, rule: &str) -> AwsError {
    AwsError::validation(format!(
        "1 validation error detected: Value '{value}' at '{}' failed to satisfy constraint: {rule}",
        rampart_wire::query::lower_first(param)
    ))
}

fn not_found(arn: &str) -> AwsError {
    AwsError::new("NoSuchEntity", 404, format!("OpenIDConnect Provider not found for arn {arn}"))
}

/// The provider id (`host[:port]/path`) of provider `arn`, which must be in `acct`.
fn provider_id<'a>(acct: &AccountId, arn: &'a str) -> Result<&'a str, AwsError> {
    if !(20..=2048).contains(&arn.len()) {
        return Err(constraint(ARN, arn, "Member must have length between 20 and 2048"));
    }
    if !arn.starts_with("arn:aws:iam::") || !arn.contains(":oidc-provider/") {
        return Err(invalid_input(format!("{arn} is not a valid OpenIDConnect provider ARN.")));
    }
    provider_id_of_arn(arn, acct).ok_or_else(|| not_found(arn))
}

/// The provider `arn` inside a transaction, with its key.
fn load(t: &mut dyn Txn, acct: &AccountId, arn: &str) -> Result<(String, OidcProviderRecord), AwsError> {
    let key = Kind::Oidc.key(acct, provider_id(acct, arn)?);
    let rec = t.get_json::<OidcProviderRecord>(IAM, &key)?.filter(|p| p.arn == arn).ok_or_else(|| not_found(arn))?;
    Ok((key, rec))
}

/// The provider `arn`, read outside a transaction.
fn read(iam: &Iam, acct: &AccountId, arn: &str) -> Result<OidcProviderRecord, AwsError> {
    let id = provider_id(acct, arn)?;
    iam.get::<OidcProviderRecord>(Kind::Oidc, acct, id)?.filter(|p| p.arn == arn).ok_or_else(|| not_found(arn))
}

/// `ClientIDList.member.N`, checked and without duplicates.
fn client_ids(q: &QueryParams) -> Result<Vec<String>, AwsError> {
    let mut out: Vec<String> = Vec::new();
    for id in q.list("ClientIDList")? {
        check_client_id("ClientIDList", id)?;
        if !out.iter().any(|x| x == id) {
            out.push(id.to_owned());
        }
    }
    if out.len() > MAX_CLIENT_IDS {
        return Err(limit_exceeded(format!(
            "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}"
        )));
    }
    Ok(out)
}

fn check_client_id(param: &str, id: &str) -> Result<(), AwsError> {
    if id.is_empty() || id.chars().count() > 255 {
        return Err(constraint(param, id, "Member must have length between 1 and 255"));
    }
    Ok(())
}

/// `ThumbprintList.member.N`: 40 hex digits each (SHA-1), at most five.
fn thumbprints(q: &QueryParams) -> Result<Vec<String>, AwsError> {
    let mut out: Vec<String> = Vec::new();
    for t in q.list("ThumbprintList")? {
        if t.len() != 40 {
            return Err(constraint("ThumbprintList", t, "Member must have length equal to 40"));
        }
        if !t.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid_input(format!("Thumbprint {t} must be 40 hexadecimal digits.")));
        }
        if !out.iter().any(|x| x.eq_ignore_ascii_case(t)) {
            out.push(t.to_owned());
        }
    }
    if out.len() > MAX_THUMBPRINTS {
        return Err(invalid_input(format!("Thumbprint list must contain fewer than {MAX_THUMBPRINTS} entries.")));
    }
    Ok(out)
}

fn write_list(w: &mut XmlWriter, name: &str, items: &[String]) {
    w.open(name);
    for i in items {
        w.element("member", i);
    }
    w.close(name);
}

fn create(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let raw = q.require("Url")?;
    if raw.is_empty() || raw.chars().count() > MAX_URL {
        return Err(constraint("Url", raw, &format!("Member must have length between 1 and {MAX_URL}")));
    }
    let url =
        IssuerUrl::parse(raw).map_err(|why| invalid_input(format!("Invalid Open ID Connect Provider URL: {why}.")))?;
    let record = OidcProviderRecord {
        arn: url.arn(acct),
        url: url.url(),
        client_ids: client_ids(q)?,
        thumbprints: thumbprints(q)?,
        create_date: iso_now(),
        tags: tags_param(q, "Tags")?,
    };
    iam.write(|t| {
        if !t.insert_json(IAM, &Kind::Oidc.key(acct, &url.provider_id()), &record)? {
            return Err(AwsError::new("EntityAlreadyExists", 409, format!("Provider with url {raw} already exists.")));
        }
        Ok(())
    })?;
    let mut w = XmlWriter::new();
    w.element("OpenIDConnectProviderArn", &record.arn);
    write_tags(&mut w, &record.tags, true);
    Ok(w.finish())
}

fn get(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let acct = account(call)?;
    let arn = call.query().require(ARN)?;
    let rec = read(iam, acct, arn)?;
    let id = IssuerUrl::parse(&rec.url).map(|u| u.provider_id()).unwrap_or_else(|_| rec.url.clone());
    let mut w = XmlWriter::new();
    // As AWS: the URL without its scheme.
    w.element("Url", &id);
    write_list(&mut w, "ClientIDList", &rec.client_ids);
    write_list(&mut w, "ThumbprintList", &rec.thumbprints);
    w.element("CreateDate", &rec.create_date);
    write_tags(&mut w, &rec.tags, false);
    Ok(w.finish())
}

fn list(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let acct = account(call)?;
    let items = scan_kind::<OidcProviderRecord>(iam, Kind::Oidc, acct, None, |_| true, usize::MAX - 1)?;
    let mut w = XmlWriter::new();
    w.open("OpenIDConnectProviderList");
    for (_, p) in &items {
        w.open("member").element("Arn", &p.arn).close("member");
    }
    w.close("OpenIDConnectProviderList");
    Ok(w.finish())
}

/// Loads provider `ARN`, lets `change` edit it, and stores it.
fn update(
    iam: &Iam,
    call: &Call,
    mut change: impl FnMut(&mut OidcProviderRecord) -> Result<(), AwsError>,
) -> Result<String, AwsError> {
    let acct = account(call)?;
    let arn = call.query().require(ARN)?;
    iam.write(|t| {
        let (key, mut rec) = load(t, acct, arn)?;
        change(&mut rec)?;
        t.put_json(IAM, &key, &rec)?;
        Ok(())
    })?;
    Ok(String::new())
}

fn delete(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let acct = account(call)?;
    let arn = call.query().require(ARN)?;
    iam.write(|t| {
        let (key, _) = load(t, acct, arn)?;
        t.delete(IAM, &key)?;
        Ok(())
    })?;
    Ok(String::new())
}

fn add_client_id(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let id = call.query().require("ClientID")?.to_owned();
    check_client_id("ClientID", &id)?;
    update(iam, call, |rec| {
        if !rec.client_ids.contains(&id) {
            if rec.client_ids.len() >= MAX_CLIENT_IDS {
                return Err(limit_exceeded(format!(
                    "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}"
                )));
            }
            rec.client_ids.push(id.clone());
        }
        Ok(())
    })
}

fn remove_client_id(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let id = call.query().require("ClientID")?.to_owned();
    check_client_id("ClientID", &id)?;
    // Removing a client id that is not registered succeeds, as in AWS.
    update(iam, call, |rec| {
        rec.client_ids.retain(|c| *c != id);
        Ok(())
    })
}

fn update_thumbprints(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    if q.get("ThumbprintList").is_none() && q.get("ThumbprintList.member.1").is_none() {
        q.require("ThumbprintList")?;
    }
    let new = thumbprints(q)?;
    update(iam, call, |rec| {
        rec.thumbprints.clone_from(&new);
        Ok(())
    })
}

fn tag(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let tags = tags_param(call.query(), "Tags")?;
    update(iam, call, |rec| merge_tags(&mut rec.tags, tags.clone()))
}

fn untag_provider(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let keys = tag_keys_param(call.query())?;
    update(iam, call, |rec| {
        untag(&mut rec.tags, &keys);
        Ok(())
    })
}

fn list_tags(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let acct = account(call)?;
    let arn = call.query().require(ARN)?;
    let rec = read(iam, acct, arn)?;
    let mut w = XmlWriter::new();
    write_tags(&mut w, &rec.tags, false);
    w.element("IsTruncated", "false");
    Ok(w.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_and_thumbprints_are_checked() {
        let q = |s: &str| QueryParams::parse(s, b"").unwrap();
        assert_eq!(
            client_ids(&q("ClientIDList.member.1=a&ClientIDList.member.2=a&ClientIDList.member.3=b")).unwrap(),
            ["a", "b"]
        );
        assert!(client_ids(&q(&format!("ClientIDList.member.1={}", "x".repeat(256)))).is_err());
        let many: Vec<String> = (1..=101).map(|i| format!("ClientIDList.member.{i}=c{i}")).collect();
        assert_eq!(client_ids(&q(&many.join("&"))).unwrap_err().code(), "LimitExceeded");
        let tp = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280";
        assert_eq!(thumbprints(&q(&format!("ThumbprintList.member.1={tp}"))).unwrap(), [tp]);
        assert_eq!(thumbprints(&q("ThumbprintList.member.1=abc")).unwrap_err().code(), "ValidationError");
        assert_eq!(
            thumbprints(&q(&format!("ThumbprintList.member.1={}", "z".repeat(40)))).unwrap_err().code(),
            "InvalidInput"
        );
        let six: Vec<String> = (1..=6).map(|i| format!("ThumbprintList.member.{i}={i}{}", &tp[1..])).collect();
        assert_eq!(thumbprints(&q(&six.join("&"))).unwrap_err().code(), "InvalidInput");
    }

    #[test]
    fn provider_arns_resolve_to_keys_in_the_callers_account() {
        let acct = AccountId::parse("111122223333").unwrap();
        assert_eq!(
            new_provider_arn(&acct, "https://IdP.example.com/a/"),
            "arn:aws:iam::111122223333:oidc-provider/idp.example.com/a"
        );
        assert_eq!(new_provider_arn(&acct, "http://idp.example.com"), "*");
        assert_eq!(
            provider_id(&acct, "arn:aws:iam::111122223333:oidc-provider/idp.example.com/a").unwrap(),
            "idp.example.com/a"
        );
        assert_eq!(
            provider_id(&acct, "arn:aws:iam::444455556666:oidc-provider/idp.example.com").unwrap_err().code(),
            "NoSuchEntity"
        );
        assert_eq!(provider_id(&acct, "arn:aws:iam::111122223333:role/abcdefghij").unwrap_err().code(), "InvalidInput");
        assert_eq!(provider_id(&acct, "short").unwrap_err().code(), "ValidationError");
    }
}
