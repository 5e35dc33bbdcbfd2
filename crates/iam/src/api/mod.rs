//! The IAM API (query protocol, `iam`): one file per entity family, one registration table.

mod access_keys;
mod entity;
mod groups;
mod instance_profiles;
mod mfa;
mod oidc;
mod policies;
mod roles;
mod simulate;
mod users;

use crate::model::{GroupRecord, Kind, RoleRecord, UserRecord};
use crate::state::Iam;
use crate::util::entity_arn;
use rampart_core::authz::Target;
use rampart_core::ids::AccountId;
use rampart_core::{AwsError, Principal};
use rampart_wire::model::{Model, Shaped};
use rampart_wire::{Call, Input, Operation, Service};
use std::sync::{Arc, LazyLock};

/// What an IAM operation acts on, for its resource ARN.
#[derive(Debug, Clone, Copy)]
pub(crate) enum On {
    /// No particular resource (`*`).
    Nothing,
    /// The user named by this parameter; the caller's own user when absent.
    User(&'static str),
    /// The group named by this parameter.
    Group(&'static str),
    /// The role named by this parameter.
    Role(&'static str),
    /// The managed policy whose ARN is this parameter.
    PolicyArn(&'static str),
    /// The managed policy about to be created (`PolicyName` + `Path`).
    NewPolicy,
    /// The instance profile named by this parameter.
    InstanceProfile(&'static str),
    /// The MFA device whose serial number (ARN) is this parameter.
    MfaSerial(&'static str),
    /// The virtual MFA device about to be created (`VirtualMFADeviceName` + `Path`).
    NewMfa,
    /// The OIDC provider whose ARN is this parameter.
    OidcArn(&'static str),
    /// The OIDC provider about to be created (its ARN follows from `Url`).
    NewOidc,
}

/// A synchronous IAM handler on the model layer: typed input in, typed output out.
pub(crate) type Typed<S> = fn(&Iam, &Call, <S as Shaped>::Input) -> Result<<S as Shaped>::Output, AwsError>;

/// Declares one modeled IAM operation `S` (a marker of `crate::shapes::iam`): its input is parsed
/// and validated from IAM's model before authorization, `handler` gets it typed.
pub(crate) fn mop<S: Shaped>(iam: &Arc<Iam>, on: On, read_only: bool, handler: Typed<S>) -> Operation
where
    S::Output: Sync,
{
    let name = S::NAME;
    let action: &'static str = Box::leak(format!("iam:{name}").into_boxed_str());
    let run = Arc::clone(iam);
    let mut o = Operation::modeled::<S, _, _>(action, move |call: Call, input: S::Input| {
        let iam = Arc::clone(&run);
        async move {
            if read_only {
                handler(&iam, &call, input)
            } else {
                // Writes wait for a durable commit: keep them off the request threads.
                tokio::task::spawn_blocking(move || handler(&iam, &call, input))
                    .await
                    .map_err(|_| AwsError::internal())?
            }
        }
    });
    let lookup = Arc::clone(iam);
    o = o.target(move |call| target(&lookup, call, name, on));
    if read_only { o.read_only() } else { o }
}

/// IAM's model (botocore's, trimmed by `scripts/models`), read once.
pub fn model() -> Arc<Model> {
    static MODEL: LazyLock<Arc<Model>> =
        LazyLock::new(|| Arc::new(Model::from_json(crate::shapes::iam::MODEL).expect("the committed IAM model reads")));
    Arc::clone(&MODEL)
}

/// The caller's account.
pub(crate) fn account(call: &Call) -> Result<&AccountId, AwsError> {
    Ok(&call.caller()?.account_id)
}

/// The caller's own IAM user name, for operations whose `UserName` defaults to the caller.
pub(crate) fn caller_user_name(p: &Principal) -> Result<&str, AwsError> {
    match (p.kind, &p.name) {
        (rampart_core::PrincipalKind::IamUser, Some(n)) => Ok(n),
        _ => Err(crate::util::invalid_input("Must specify userName when calling with non-User credentials".to_owned())),
    }
}

fn existing_path<T>(iam: &Iam, kind: Kind, acct: &AccountId, name: &str, path: impl Fn(&T) -> String) -> String
where
    T: serde::de::DeserializeOwned,
{
    iam.get::<T>(kind, acct, name).ok().flatten().map_or_else(|| "/".to_owned(), |r| path(&r))
}

fn target(iam: &Iam, call: &Call, op_name: &str, on: On) -> Result<Target, AwsError> {
    let caller = call.caller()?;
    let acct = &caller.account_id;
    // A new entity's path is part of the ARN being authorized; the model layer has already
    // refused (before authorization) a path outside IAM's patterns, so no ARN that can never exist
    // is authorized.
    let new_path = |p: &str| -> Result<String, AwsError> { Ok(p.to_owned()) };
    let arn = match on {
        On::Nothing => "*".to_owned(),
        On::User(param) => match call.member(param) {
            Some(n) => {
                let path = match call.member("Path").filter(|_| op_name == "CreateUser") {
                    Some(p) => new_path(p)?,
                    None => existing_path(iam, Kind::User, acct, n, |u: &UserRecord| u.path.clone()),
                };
                entity_arn(acct, "user", &path, n)
            }
            None => match caller.kind {
                rampart_core::PrincipalKind::IamUser => caller.arn.clone(),
                _ => "*".to_owned(),
            },
        },
        On::Group(param) => {
            let n = call.member(param).unwrap_or_default();
            let path = match call.member("Path").filter(|_| op_name == "CreateGroup") {
                Some(p) => new_path(p)?,
                None => existing_path(iam, Kind::Group, acct, n, |g: &GroupRecord| g.path.clone()),
            };
            entity_arn(acct, "group", &path, n)
        }
        On::Role(param) => {
            let n = call.member(param).unwrap_or_default();
            let path = match call.member("Path").filter(|_| op_name == "CreateRole") {
                Some(p) => new_path(p)?,
                None => existing_path(iam, Kind::Role, acct, n, |r: &RoleRecord| r.path.clone()),
            };
            entity_arn(acct, "role", &path, n)
        }
        On::PolicyArn(param) => call.member(param).unwrap_or("*").to_owned(),
        On::NewPolicy => {
            let path = call.member("Path").unwrap_or("/");
            entity_arn(acct, "policy", path, call.member("PolicyName").unwrap_or_default())
        }
        On::InstanceProfile(param) => {
            let n = call.member(param).unwrap_or_default();
            let path = match call.member("Path").filter(|_| op_name == "CreateInstanceProfile") {
                Some(p) => new_path(p)?,
                None => {
                    existing_path(iam, Kind::InstanceProfile, acct, n, |r: &crate::model::InstanceProfileRecord| {
                        r.path.clone()
                    })
                }
            };
            entity_arn(acct, "instance-profile", &path, n)
        }
        On::MfaSerial(param) => call.member(param).unwrap_or("*").to_owned(),
        On::NewMfa => {
            let path = call.member("Path").unwrap_or("/");
            entity_arn(acct, "mfa", path, call.member("VirtualMFADeviceName").unwrap_or_default())
        }
        On::OidcArn(param) => call.member(param).unwrap_or("*").to_owned(),
        On::NewOidc => oidc::new_provider_arn(acct, call.member("Url").unwrap_or_default()),
    };
    Ok(Target { resources: vec![arn], condition_keys: condition_keys(call)?, ..Target::default() })
}

/// IAM's own condition keys: `aws:RequestTag/*`, `aws:TagKeys`, `iam:PolicyARN`,
/// `iam:PermissionsBoundary`.
///
/// Reads `Tags` and `TagKeys` from the input the model layer already read strictly and checked
/// (malformed members, or a tag without its `Key` or `Value`, were refused), so that what is
/// authorized is exactly what the handler will apply.
fn condition_keys(call: &Call) -> Result<Vec<(String, Vec<String>)>, AwsError> {
    let mut keys = Vec::new();
    let mut tag_keys = Vec::new();
    // Every IAM operation is modeled: other input carries no tags.
    if let Input::Model(tree) = &call.input {
        for tag in tree.get("Tags").and_then(|t| t.as_array()).map(Vec::as_slice).unwrap_or_default() {
            let (Some(k), Some(v)) = (tag["Key"].as_str(), tag["Value"].as_str()) else { continue };
            keys.push((format!("aws:RequestTag/{k}"), vec![v.to_owned()]));
            tag_keys.push(k.to_owned());
        }
        let listed = tree.get("TagKeys").and_then(|t| t.as_array()).map(Vec::as_slice).unwrap_or_default();
        tag_keys.extend(listed.iter().filter_map(|k| k.as_str().map(str::to_owned)));
    }
    if !tag_keys.is_empty() {
        keys.push(("aws:TagKeys".to_owned(), tag_keys));
    }
    if let Some(arn) = call.member("PolicyArn") {
        keys.push(("iam:PolicyARN".to_owned(), vec![arn.to_owned()]));
    }
    if let Some(arn) = call.member("PermissionsBoundary") {
        keys.push(("iam:PermissionsBoundary".to_owned(), vec![arn.to_owned()]));
    }
    Ok(keys)
}

/// Records a root access key in the per-owner key index (bootstrap).
pub(crate) fn index_root_key(t: &mut dyn rampart_store::Txn, acct: &AccountId, key_id: &str) -> Result<(), AwsError> {
    access_keys::index_key(t, acct, None, key_id)
}

/// The IAM service definition.
pub fn service(iam: &Arc<Iam>) -> Service {
    let mut svc = Service::from_model("iam", model())
        .global_endpoint()
        // CloudTrail does not record MFA codes.
        .omitted_from_audit(&["AuthenticationCode1", "AuthenticationCode2"]);
    for o in users::operations(iam)
        .into_iter()
        .chain(access_keys::operations(iam))
        .chain(groups::operations(iam))
        .chain(roles::operations(iam))
        .chain(policies::operations(iam))
        .chain(instance_profiles::operations(iam))
        .chain(simulate::operations(iam))
        .chain(mfa::operations(iam))
        .chain(oidc::operations(iam))
    {
        svc = svc.operation(o);
    }
    svc
}
