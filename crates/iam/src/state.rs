//! The IAM service's state: the store, the keystore, the caches that keep authorization fast,
//! and the AWS-managed policies.

use crate::credentials::IamCredentials;
use crate::managed::ManagedPolicies;
use crate::model::{AUTHZ_TABLES, IAM, Kind, ManagedPolicyRecord};
use rampart_core::AwsError;
use rampart_core::clock::Clock;
use rampart_core::ids::AccountId;
use rampart_crypto::Keystore;
use rampart_policy::{Policy, PolicyKind};
use rampart_store::{Store, StoreExt, Txn};
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Most parsed resource policies kept in memory; the cache is cleared when it grows past this.
const RESOURCE_POLICY_CACHE: usize = 10_000;

/// How often a node writes the access-key uses it saw to the store.
pub const LAST_USED_FLUSH: std::time::Duration = std::time::Duration::from_secs(10);

/// IAM's state, shared by the IAM and STS handlers, the credential provider and the authorizer.
pub struct Iam {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) keystore: Arc<dyn Keystore>,
    pub(crate) credentials: Arc<IamCredentials>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) managed: ManagedPolicies,
    resource_policies: RwLock<HashMap<String, Arc<Policy>>>,
    pub(crate) identities: RwLock<HashMap<String, Arc<crate::identity::IdentityPolicies>>>,
}

impl Iam {
    /// IAM over `store`, sealing secrets with `keystore`.
    pub fn new(store: Arc<dyn Store>, keystore: Arc<dyn Keystore>, clock: Arc<dyn Clock>) -> Arc<Self> {
        let credentials = Arc::new(IamCredentials::new(Arc::clone(&store), Arc::clone(&keystore), Arc::clone(&clock)));
        Arc::new(Self {
            store,
            keystore,
            credentials,
            clock,
            managed: ManagedPolicies::load(),
            resource_policies: RwLock::new(HashMap::new()),
            identities: RwLock::new(HashMap::new()),
        })
    }

    /// Spawns IAM's background work on the current Tokio runtime: every
    /// [`LAST_USED_FLUSH`] it writes the access-key uses this node saw to the store, where every
    /// node's `GetAccessKeyLastUsed` reads them.
    pub fn spawn_maintenance(self: &Arc<Self>) {
        let iam = Arc::clone(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(LAST_USED_FLUSH);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                iam.flush_last_used().await;
            }
        });
    }

    /// Writes the access-key uses this node saw since the last flush to the store (off the
    /// request threads); a failure is logged and the uses stay for the next flush. The server
    /// calls it once more at shutdown.
    pub async fn flush_last_used(&self) {
        let credentials = Arc::clone(&self.credentials);
        match tokio::task::spawn_blocking(move || credentials.flush_last_used()).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "cannot record access keys' last use; they are kept for the next try")
            }
            Err(e) => tracing::error!(error = %e, "access-key last-use flush panicked"),
        }
    }

    /// The credential provider the pipeline uses.
    pub fn credentials(&self) -> Arc<IamCredentials> {
        Arc::clone(&self.credentials)
    }

    /// The current generation of IAM state: it moves whenever a commit (on this node or, with a
    /// shared store, any other) changes what authorization is decided from. Cached identity
    /// policies carry the generation they were built at and are rebuilt when it moved. Read it
    /// before reading the store.
    pub(crate) fn generation(&self) -> u64 {
        self.store.changes().version(AUTHZ_TABLES)
    }

    /// Runs `f` in a store transaction. On commit the store moves the change counters, so every
    /// cached authorization input is stale and the change is enforced from the next call on.
    pub(crate) fn write<T>(&self, f: impl FnMut(&mut dyn Txn) -> Result<T, AwsError>) -> Result<T, AwsError> {
        self.store.transact(f)
    }

    /// The record of entity `name` of `kind`, for reads outside transactions. IAM is eventually
    /// consistent across nodes, as in AWS: this may come from the node's cache, within the
    /// store's propagation bound (see [`rampart_store::Store::get_cached`]).
    pub(crate) fn get<T: DeserializeOwned>(
        &self,
        kind: Kind,
        account: &AccountId,
        name: &str,
    ) -> Result<Option<T>, AwsError> {
        Ok(self.store.get_json_cached(IAM, &kind.key(account, name))?)
    }

    /// The default-version document of the managed policy `arn` (AWS-managed or the account's).
    pub(crate) fn managed_policy_document(&self, arn: &str) -> Result<Option<String>, AwsError> {
        if let Some(p) = self.managed.get(arn) {
            return Ok(Some(p.document.clone()));
        }
        Ok(self.customer_policy(arn)?.map(|p| p.default_document().to_owned()))
    }

    /// The customer-managed policy `arn`, if it exists.
    pub(crate) fn customer_policy(&self, arn: &str) -> Result<Option<ManagedPolicyRecord>, AwsError> {
        let Some((account, name)) = parse_policy_arn(arn) else { return Ok(None) };
        let Some(rec) = self.get::<ManagedPolicyRecord>(Kind::Policy, &account, name)? else { return Ok(None) };
        Ok((rec.arn == arn).then_some(rec))
    }

    /// A policy parsed once per `cache_key` (which must change whenever the document does).
    pub(crate) fn parse_cached(
        &self,
        cache_key: &str,
        document: &str,
        kind: PolicyKind,
        name: &str,
    ) -> Result<Arc<Policy>, String> {
        if let Some(p) = self.resource_policies.read().unwrap_or_else(|p| p.into_inner()).get(cache_key) {
            return Ok(Arc::clone(p));
        }
        let parsed = Arc::new(Policy::parse_as(document, kind).map_err(|e| e.to_string())?.with_name(name));
        let mut cache = self.resource_policies.write().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= RESOURCE_POLICY_CACHE {
            cache.clear();
        }
        cache.insert(cache_key.to_owned(), Arc::clone(&parsed));
        Ok(parsed)
    }
}

/// Splits `arn:aws:iam::ACCOUNT:policy/PATH/NAME` into the account and name.
pub(crate) fn parse_policy_arn(arn: &str) -> Option<(AccountId, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let path_and_name = resource.strip_prefix("policy")?;
    let name = path_and_name.rsplit('/').next()?;
    Some((AccountId::parse(account).ok()?, name))
}
