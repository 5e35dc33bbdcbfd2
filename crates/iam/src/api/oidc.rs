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

use super::{On, account, mop};
use crate::accounts::iso_now;
use crate::api::policies::checked_tags;
use crate::api::users::scan_kind;
use crate::model::{IAM, Kind, OidcProviderRecord};
use crate::oidc::issuer::{IssuerUrl, provider_id_of_arn};
use crate::shapes::iam as shapes;
use crate::state::Iam;
use crate::util::*;
use rampart_core::AwsError;
use rampart_core::ids::AccountId;
use rampart_store::{Txn, TxnExt};
use rampart_wire::model::{Empty, Timestamp};
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
        mop::<shapes::CreateOpenIDConnectProvider>(iam, On::NewOidc, false, create),
        mop::<shapes::GetOpenIDConnectProvider>(iam, On::OidcArn(ARN), true, get),
        mop::<shapes::ListOpenIDConnectProviders>(iam, On::Nothing, true, list),
        mop::<shapes::DeleteOpenIDConnectProvider>(iam, On::OidcArn(ARN), false, delete),
        mop::<shapes::AddClientIDToOpenIDConnectProvider>(iam, On::OidcArn(ARN), false, add_client_id),
        mop::<shapes::RemoveClientIDFromOpenIDConnectProvider>(iam, On::OidcArn(ARN), false, remove_client_id),
        mop::<shapes::UpdateOpenIDConnectProviderThumbprint>(iam, On::OidcArn(ARN), false, update_thumbprints),
        mop::<shapes::TagOpenIDConnectProvider>(iam, On::OidcArn(ARN), false, tag),
        mop::<shapes::UntagOpenIDConnectProvider>(iam, On::OidcArn(ARN), false, untag_provider),
        mop::<shapes::ListOpenIDConnectProviderTags>(iam, On::OidcArn(ARN), true, list_tags),
    ]
}

/// The ARN `CreateOpenIDConnectProvider` with `url` would create, for authorization (`*` when
/// the URL is invalid: the handler then refuses it).
pub(crate) fn new_provider_arn(acct: &AccountId, url: &str) -> String {
    IssuerUrl::parse(url).map_or_else(|_| "*".to_owned(), |u| u.arn(acct))
}

fn not_found(arn: &str) -> AwsError {
    AwsError::new("NoSuchEntity", 404, format!("OpenIDConnect Provider not found for arn {arn}"))
}

/// The provider id (`host[:port]/path`) of provider `arn`, which must be in `acct` (its length
/// was checked by the model layer).
fn provider_id<'a>(acct: &AccountId, arn: &'a str) -> Result<&'a str, AwsError> {
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

/// `ClientIDList`, without duplicates, at most [`MAX_CLIENT_IDS`] (the model layer checked each
/// one's length).
fn client_ids(list: Option<Vec<String>>) -> Result<Vec<String>, AwsError> {
    let mut out: Vec<String> = Vec::new();
    for id in list.unwrap_or_default() {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    if out.len() > MAX_CLIENT_IDS {
        return Err(limit_exceeded(format!(
            "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}"
        )));
    }
    Ok(out)
}

/// `ThumbprintList`: 40 hex digits each (SHA-1; the model layer checked the length), at most
/// five, without duplicates.
fn thumbprints(list: Vec<String>) -> Result<Vec<String>, AwsError> {
    let mut out: Vec<String> = Vec::new();
    for t in list {
        if !t.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid_input(format!("Thumbprint {t} must be 40 hexadecimal digits.")));
        }
        if !out.iter().any(|x| x.eq_ignore_ascii_case(&t)) {
            out.push(t);
        }
    }
    if out.len() > MAX_THUMBPRINTS {
        return Err(invalid_input(format!("Thumbprint list must contain fewer than {MAX_THUMBPRINTS} entries.")));
    }
    Ok(out)
}

fn create(
    iam: &Iam,
    call: &Call,
    input: shapes::CreateOpenIDConnectProviderRequest,
) -> Result<shapes::CreateOpenIDConnectProviderResponse, AwsError> {
    let acct = account(call)?;
    let raw = &input.url;
    let url =
        IssuerUrl::parse(raw).map_err(|why| invalid_input(format!("Invalid Open ID Connect Provider URL: {why}.")))?;
    let record = OidcProviderRecord {
        arn: url.arn(acct),
        url: url.url(),
        client_ids: client_ids(input.client_id_list)?,
        thumbprints: thumbprints(input.thumbprint_list.unwrap_or_default())?,
        create_date: iso_now(),
        tags: checked_tags(input.tags)?,
    };
    iam.write(|t| {
        if !t.insert_json(IAM, &Kind::Oidc.key(acct, &url.provider_id()), &record)? {
            return Err(AwsError::new("EntityAlreadyExists", 409, format!("Provider with url {raw} already exists.")));
        }
        Ok(())
    })?;
    Ok(shapes::CreateOpenIDConnectProviderResponse {
        tags: (!record.tags.is_empty()).then(|| tag_shapes(&record.tags)),
        open_id_connect_provider_arn: Some(record.arn),
    })
}

fn get(
    iam: &Iam,
    call: &Call,
    input: shapes::GetOpenIDConnectProviderRequest,
) -> Result<shapes::GetOpenIDConnectProviderResponse, AwsError> {
    let acct = account(call)?;
    let rec = read(iam, acct, &input.open_id_connect_provider_arn)?;
    // As AWS: the URL without its scheme.
    let id = IssuerUrl::parse(&rec.url).map(|u| u.provider_id()).unwrap_or_else(|_| rec.url.clone());
    Ok(shapes::GetOpenIDConnectProviderResponse {
        url: Some(id),
        client_id_list: Some(rec.client_ids),
        thumbprint_list: Some(rec.thumbprints),
        create_date: Some(Timestamp::parse_iso8601(&rec.create_date).unwrap_or_default()),
        tags: Some(tag_shapes(&rec.tags)),
    })
}

fn list(
    iam: &Iam,
    call: &Call,
    _input: shapes::ListOpenIDConnectProvidersRequest,
) -> Result<shapes::ListOpenIDConnectProvidersResponse, AwsError> {
    let acct = account(call)?;
    let items = scan_kind::<OidcProviderRecord>(iam, Kind::Oidc, acct, None, |_| true, usize::MAX - 1)?;
    Ok(shapes::ListOpenIDConnectProvidersResponse {
        open_id_connect_provider_list: Some(
            items.into_iter().map(|(_, p)| shapes::OpenIDConnectProviderListEntry { arn: Some(p.arn) }).collect(),
        ),
    })
}

/// Loads provider `arn`, lets `change` edit it, and stores it.
fn update(
    iam: &Iam,
    call: &Call,
    arn: &str,
    mut change: impl FnMut(&mut OidcProviderRecord) -> Result<(), AwsError>,
) -> Result<Empty, AwsError> {
    let acct = account(call)?;
    iam.write(|t| {
        let (key, mut rec) = load(t, acct, arn)?;
        change(&mut rec)?;
        t.put_json(IAM, &key, &rec)?;
        Ok(())
    })?;
    Ok(Empty::default())
}

fn delete(iam: &Iam, call: &Call, input: shapes::DeleteOpenIDConnectProviderRequest) -> Result<Empty, AwsError> {
    let acct = account(call)?;
    let arn = &input.open_id_connect_provider_arn;
    iam.write(|t| {
        let (key, _) = load(t, acct, arn)?;
        t.delete(IAM, &key)?;
        Ok(())
    })?;
    Ok(Empty::default())
}

fn add_client_id(
    iam: &Iam,
    call: &Call,
    input: shapes::AddClientIDToOpenIDConnectProviderRequest,
) -> Result<Empty, AwsError> {
    let id = input.client_id;
    update(iam, call, &input.open_id_connect_provider_arn, |rec| {
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

fn remove_client_id(
    iam: &Iam,
    call: &Call,
    input: shapes::RemoveClientIDFromOpenIDConnectProviderRequest,
) -> Result<Empty, AwsError> {
    let id = input.client_id;
    // Removing a client id that is not registered succeeds, as in AWS.
    update(iam, call, &input.open_id_connect_provider_arn, |rec| {
        rec.client_ids.retain(|c| *c != id);
        Ok(())
    })
}

fn update_thumbprints(
    iam: &Iam,
    call: &Call,
    input: shapes::UpdateOpenIDConnectProviderThumbprintRequest,
) -> Result<Empty, AwsError> {
    let new = thumbprints(input.thumbprint_list)?;
    update(iam, call, &input.open_id_connect_provider_arn, |rec| {
        rec.thumbprints.clone_from(&new);
        Ok(())
    })
}

fn tag(iam: &Iam, call: &Call, input: shapes::TagOpenIDConnectProviderRequest) -> Result<Empty, AwsError> {
    let tags = checked_tags(Some(input.tags))?;
    update(iam, call, &input.open_id_connect_provider_arn, |rec| merge_tags(&mut rec.tags, tags.clone()))
}

fn untag_provider(iam: &Iam, call: &Call, input: shapes::UntagOpenIDConnectProviderRequest) -> Result<Empty, AwsError> {
    let keys = input.tag_keys;
    update(iam, call, &input.open_id_connect_provider_arn, |rec| {
        untag(&mut rec.tags, &keys);
        Ok(())
    })
}

fn list_tags(
    iam: &Iam,
    call: &Call,
    input: shapes::ListOpenIDConnectProviderTagsRequest,
) -> Result<shapes::ListOpenIDConnectProviderTagsResponse, AwsError> {
    let acct = account(call)?;
    let rec = read(iam, acct, &input.open_id_connect_provider_arn)?;
    Ok(shapes::ListOpenIDConnectProviderTagsResponse {
        tags: tag_shapes(&rec.tags),
        is_truncated: Some(false),
        marker: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `query` read and checked by the model layer as the pipeline reads a request of `op`.
    fn checked(op: &str, query: &str) -> Result<serde_json::Value, AwsError> {
        let model = crate::api::model();
        let q = rampart_wire::query::QueryParams::parse(query, b"").unwrap();
        rampart_wire::model::parse_input(&model, model.operation(op).unwrap(), rampart_wire::Input::Query(q))
    }

    #[test]
    fn client_ids_and_thumbprints_are_checked() {
        let owned = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(client_ids(Some(owned(&["a", "a", "b"]))).unwrap(), ["a", "b"]);
        let create = |q: &str| checked("CreateOpenIDConnectProvider", &format!("Url=https://idp.example.com&{q}"));
        assert_eq!(
            create(&format!("ClientIDList.member.1={}", "x".repeat(256))).unwrap_err().code(),
            "ValidationError"
        );
        let many: Vec<String> = (1..=101).map(|i| format!("c{i}")).collect();
        assert_eq!(client_ids(Some(many)).unwrap_err().code(), "LimitExceeded");
        let tp = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280";
        assert_eq!(thumbprints(owned(&[tp])).unwrap(), [tp]);
        assert_eq!(create("ThumbprintList.member.1=abc").unwrap_err().code(), "ValidationError");
        assert_eq!(thumbprints(vec!["z".repeat(40)]).unwrap_err().code(), "InvalidInput");
        let six: Vec<String> = (1..=6).map(|i| format!("{i}{}", &tp[1..])).collect();
        assert_eq!(thumbprints(six).unwrap_err().code(), "InvalidInput");
        let long_url = checked("CreateOpenIDConnectProvider", &format!("Url=https://{}", "x".repeat(248)));
        assert_eq!(long_url.unwrap_err().code(), "ValidationError");
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
        let get = |arn: &str| checked("GetOpenIDConnectProvider", &format!("OpenIDConnectProviderArn={arn}"));
        assert_eq!(get("short").unwrap_err().code(), "ValidationError");
    }
}
