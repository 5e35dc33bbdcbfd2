//! Custom key stores backed by PKCS#11 tokens (AWS: CloudHSM key stores):
//! `CreateCustomKeyStore`, `ConnectCustomKeyStore`, `DisconnectCustomKeyStore`,
//! `DescribeCustomKeyStores`, `UpdateCustomKeyStore`, `DeleteCustomKeyStore`.
//!
//! The store's `CloudHsmClusterId` is the label of the token, and its `KeyStorePassword` the
//! token user's PIN (sealed by the keystore); the module comes from `--pkcs11-module`.

use crate::Kms;
use crate::backend::pin_purpose;
use crate::error::{internal, missing, unsupported};
use crate::input::{b64, index_marker, limit_or, timestamp};
use crate::model::{CustomKeyStoreRecord, KeyRecord, TABLE, cks_key};
use crate::shapes::kms::{
    ConnectCustomKeyStoreRequest, ConnectCustomKeyStoreResponse, CreateCustomKeyStoreRequest,
    CreateCustomKeyStoreResponse, CustomKeyStoresListEntry, DeleteCustomKeyStoreRequest, DeleteCustomKeyStoreResponse,
    DescribeCustomKeyStoresRequest, DescribeCustomKeyStoresResponse, DisconnectCustomKeyStoreRequest,
    DisconnectCustomKeyStoreResponse, UpdateCustomKeyStoreRequest, UpdateCustomKeyStoreResponse,
};
use rampart_core::AwsError;
use rampart_crypto::kms::pkcs11::{ConnectError, token_exists};
use rampart_store::{TxnExt, decode};
use rampart_wire::Call;
use std::sync::Arc;

fn not_found(id: &str) -> AwsError {
    AwsError::new("CustomKeyStoreNotFoundException", 400, format!("Custom key store {id} does not exist."))
}

fn invalid_state(msg: impl Into<String>) -> AwsError {
    AwsError::new("CustomKeyStoreInvalidStateException", 400, msg)
}

fn cluster_not_found(msg: impl Into<String>) -> AwsError {
    AwsError::new("CloudHsmClusterNotFoundException", 400, msg)
}

impl Kms {
    fn all_stores(&self) -> Result<Vec<CustomKeyStoreRecord>, AwsError> {
        self.store.scan(TABLE, "cks/", None, 10_000)?.iter().map(|(k, v)| Ok(decode(TABLE, k, v)?)).collect()
    }

    fn account_store(&self, call: &Call, id: &str) -> Result<CustomKeyStoreRecord, AwsError> {
        let caller = call.caller()?;
        self.load_cks(id)?.filter(|c| c.account == caller.account_id.as_str()).ok_or_else(|| not_found(id))
    }

    fn check_token(&self, label: &str) -> Result<(), AwsError> {
        let module = self.config.pkcs11_module.as_ref().ok_or_else(|| {
            cluster_not_found("No PKCS#11 module is configured (start Rampart with --pkcs11-module).")
        })?;
        token_exists(module, label).map_err(|e| match e {
            ConnectError::TokenNotFound(l) => cluster_not_found(format!("No HSM token is labelled {l}.")),
            other => cluster_not_found(other.to_string()),
        })
    }

    fn keys_in_store(&self, id: &str) -> Result<usize, AwsError> {
        let mut n = 0;
        for (k, v) in self.store.scan(TABLE, "key/", None, 1_000_000)? {
            let key: KeyRecord = decode(TABLE, &k, &v)?;
            if key.custom_key_store_id.as_deref() == Some(id) {
                n += 1;
            }
        }
        Ok(n)
    }
}

/// A custom key store as `DescribeCustomKeyStores` describes it.
fn describe(c: &CustomKeyStoreRecord) -> CustomKeyStoresListEntry {
    CustomKeyStoresListEntry {
        custom_key_store_id: Some(c.id.clone()),
        custom_key_store_name: Some(c.name.clone()),
        cloud_hsm_cluster_id: Some(c.cluster_id.clone()),
        trust_anchor_certificate: Some(c.trust_anchor.clone()),
        connection_state: Some(c.state.clone()),
        connection_error_code: c.error_code.clone(),
        creation_date: Some(timestamp(c.created)),
        custom_key_store_type: Some("AWS_CLOUDHSM".to_owned()),
        xks_proxy_configuration: None,
    }
}

/// `CreateCustomKeyStore`: an HSM key store (the model bounds the cluster id and password
/// lengths; KMS requires them for HSM key stores).
pub(crate) fn create_custom_key_store(
    kms: &Kms,
    call: &Call,
    input: CreateCustomKeyStoreRequest,
) -> Result<CreateCustomKeyStoreResponse, AwsError> {
    let caller = call.caller()?;
    let account = caller.account_id.as_str();
    let name = input.custom_key_store_name;
    if input.custom_key_store_type.as_deref() == Some("EXTERNAL_KEY_STORE") {
        return Err(unsupported("External key stores are not supported; use an HSM (AWS_CLOUDHSM) key store."));
    }
    let cluster = input.cloud_hsm_cluster_id.ok_or_else(|| missing("CloudHsmClusterId"))?;
    let trust_anchor = input.trust_anchor_certificate.ok_or_else(|| missing("TrustAnchorCertificate"))?;
    let password = input.key_store_password.ok_or_else(|| missing("KeyStorePassword"))?;
    let stores = kms.all_stores()?;
    if stores.iter().any(|c| c.account == account && c.name == name) {
        return Err(AwsError::new(
            "CustomKeyStoreNameInUseException",
            400,
            format!("A custom key store named {name} already exists."),
        ));
    }
    if stores.iter().any(|c| c.cluster_id == cluster) {
        return Err(AwsError::new(
            "CloudHsmClusterInUseException",
            400,
            format!("The HSM {cluster} is already used by a custom key store."),
        ));
    }
    kms.check_token(&cluster)?;
    let mut raw = [0u8; 9];
    rampart_core::ids::fill_random(&mut raw);
    let id = format!("cks-{}", &hex::encode(raw)[..17]);
    let pin_sealed =
        kms.keystore.seal(pin_purpose(&id).as_bytes(), password.as_bytes()).map_err(|e| internal(e.to_string()))?;
    let record = CustomKeyStoreRecord {
        id: id.clone(),
        account: account.to_owned(),
        name,
        cluster_id: cluster,
        trust_anchor,
        pin_sealed: b64(&pin_sealed),
        state: "DISCONNECTED".into(),
        error_code: None,
        created: kms.now(),
    };
    kms.write(|t| Ok(t.put_json(TABLE, &cks_key(&id), &record)?))?;
    Ok(CreateCustomKeyStoreResponse { custom_key_store_id: Some(id) })
}

/// `ConnectCustomKeyStore`: a failure to open the token leaves the store `FAILED`, as in AWS.
pub(crate) fn connect_custom_key_store(
    kms: &Kms,
    call: &Call,
    input: ConnectCustomKeyStoreRequest,
) -> Result<ConnectCustomKeyStoreResponse, AwsError> {
    let mut cks = kms.account_store(call, &input.custom_key_store_id)?;
    match cks.state.as_str() {
        "CONNECTED" if kms.tokens.lock().unwrap_or_else(|p| p.into_inner()).contains_key(&cks.id) => {
            return Ok(ConnectCustomKeyStoreResponse {});
        }
        "FAILED" => {
            return Err(invalid_state(format!(
                "Custom key store {} is in the FAILED state; disconnect it before connecting again.",
                cks.id
            )));
        }
        _ => {}
    }
    match kms.open_token(&cks) {
        Ok(token) => {
            kms.tokens.lock().unwrap_or_else(|p| p.into_inner()).insert(cks.id.clone(), (0, Arc::new(token)));
            cks.state = "CONNECTED".into();
            cks.error_code = None;
        }
        Err(e) => {
            tracing::warn!(custom_key_store = %cks.id, error = %e, "cannot connect custom key store");
            cks.state = "FAILED".into();
            cks.error_code = Some(e.aws_code().into());
        }
    }
    kms.write(|t| Ok(t.put_json(TABLE, &cks_key(&cks.id), &cks)?))?;
    Ok(ConnectCustomKeyStoreResponse {})
}

/// `DisconnectCustomKeyStore`.
pub(crate) fn disconnect_custom_key_store(
    kms: &Kms,
    call: &Call,
    input: DisconnectCustomKeyStoreRequest,
) -> Result<DisconnectCustomKeyStoreResponse, AwsError> {
    let mut cks = kms.account_store(call, &input.custom_key_store_id)?;
    if let Some((_, t)) = kms.tokens.lock().unwrap_or_else(|p| p.into_inner()).remove(&cks.id) {
        t.disconnect();
    }
    cks.state = "DISCONNECTED".into();
    cks.error_code = None;
    kms.write(|t| Ok(t.put_json(TABLE, &cks_key(&cks.id), &cks)?))?;
    Ok(DisconnectCustomKeyStoreResponse {})
}

/// `DescribeCustomKeyStores`, all of the account's or the one named.
pub(crate) fn describe_custom_key_stores(
    kms: &Kms,
    call: &Call,
    input: DescribeCustomKeyStoresRequest,
) -> Result<DescribeCustomKeyStoresResponse, AwsError> {
    let caller = call.caller()?;
    let account = caller.account_id.as_str();
    let id = input.custom_key_store_id.as_deref();
    let name = input.custom_key_store_name.as_deref();
    let limit = limit_or(input.limit, 100);
    let mut stores: Vec<CustomKeyStoreRecord> = kms
        .all_stores()?
        .into_iter()
        .filter(|c| c.account == account && id.is_none_or(|i| c.id == i) && name.is_none_or(|n| c.name == n))
        .collect();
    if stores.is_empty() && (id.is_some() || name.is_some()) {
        return Err(not_found(id.or(name).unwrap_or_default()));
    }
    stores.sort_by(|a, b| a.created.total_cmp(&b.created));
    let start = index_marker(input.marker.as_deref())?;
    let page: Vec<CustomKeyStoresListEntry> = stores.iter().skip(start).take(limit).map(describe).collect();
    let truncated = start + page.len() < stores.len();
    Ok(DescribeCustomKeyStoresResponse {
        custom_key_stores: Some(page),
        next_marker: truncated.then(|| (start + limit).to_string()),
        truncated: Some(truncated),
    })
}

/// `UpdateCustomKeyStore`: its name any time; its HSM or password only while disconnected.
pub(crate) fn update_custom_key_store(
    kms: &Kms,
    call: &Call,
    input: UpdateCustomKeyStoreRequest,
) -> Result<UpdateCustomKeyStoreResponse, AwsError> {
    let mut cks = kms.account_store(call, &input.custom_key_store_id)?;
    let new_name = input.new_custom_key_store_name.as_deref();
    let password = input.key_store_password.as_ref();
    let cluster = input.cloud_hsm_cluster_id.as_deref();
    if (password.is_some() || cluster.is_some()) && cks.state != "DISCONNECTED" {
        return Err(invalid_state(format!(
            "Custom key store {} must be disconnected to change its HSM or password.",
            cks.id
        )));
    }
    if let Some(n) = new_name {
        if kms.all_stores()?.iter().any(|c| c.account == cks.account && c.name == n && c.id != cks.id) {
            return Err(AwsError::new(
                "CustomKeyStoreNameInUseException",
                400,
                format!("A custom key store named {n} already exists."),
            ));
        }
        cks.name = n.to_owned();
    }
    if let Some(p) = password {
        let sealed =
            kms.keystore.seal(pin_purpose(&cks.id).as_bytes(), p.as_bytes()).map_err(|e| internal(e.to_string()))?;
        cks.pin_sealed = b64(&sealed);
    }
    if let Some(c) = cluster {
        kms.check_token(c)?;
        cks.cluster_id = c.to_owned();
    }
    kms.write(|t| Ok(t.put_json(TABLE, &cks_key(&cks.id), &cks)?))?;
    Ok(UpdateCustomKeyStoreResponse {})
}

/// `DeleteCustomKeyStore`: only a disconnected store that holds no keys.
pub(crate) fn delete_custom_key_store(
    kms: &Kms,
    call: &Call,
    input: DeleteCustomKeyStoreRequest,
) -> Result<DeleteCustomKeyStoreResponse, AwsError> {
    let cks = kms.account_store(call, &input.custom_key_store_id)?;
    if cks.state != "DISCONNECTED" {
        return Err(invalid_state(format!("Custom key store {} must be disconnected before it is deleted.", cks.id)));
    }
    if kms.keys_in_store(&cks.id)? > 0 {
        return Err(AwsError::new(
            "CustomKeyStoreHasCMKsException",
            400,
            format!("Custom key store {} still holds KMS keys; delete them first.", cks.id),
        ));
    }
    kms.write(|t| Ok(t.delete(TABLE, &cks_key(&cks.id))?))?;
    Ok(DeleteCustomKeyStoreResponse {})
}
