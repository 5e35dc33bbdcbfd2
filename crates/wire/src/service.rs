//! How a service declares its operations to the pipeline.
//!
//! An [`Operation`] can only be built with its IAM action; the pipeline authorizes every call
//! from these declarations before a handler runs, so no handler can forget to.

use crate::model::{Model, ModeledOutput, Shaped};
use crate::protocol::{Protocol, RequestBody, ResponseBody, malformed_body};
use crate::query::QueryParams;
use rampart_core::authz::{RequestContext, Resolved, Target};
use rampart_core::{AwsError, Principal};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// What a handler receives.
pub struct Call {
    /// The authenticated caller; `None` only for operations declared [`Access::Anonymous`]
    /// that were called without a signature.
    pub principal: Option<Arc<Principal>>,
    /// How the request arrived.
    pub context: Arc<RequestContext>,
    /// The protocol the request spoke (errors are spelled in it).
    pub protocol: Protocol,
    /// The operation's input.
    pub input: Input,
    /// What the operation's target function resolved while the call was authorized
    /// ([`Target::resolved`]); empty until then.
    pub resolved: Resolved,
}

impl Call {
    /// The caller, for operations that are never anonymous.
    pub fn caller(&self) -> Result<&Arc<Principal>, AwsError> {
        self.principal.as_ref().ok_or_else(|| AwsError::access_denied("This operation requires a signed request."))
    }

    /// The query parameters, for query-protocol operations.
    pub fn query(&self) -> &QueryParams {
        match &self.input {
            Input::Query(q) => q,
            _ => {
                static EMPTY: std::sync::OnceLock<QueryParams> = std::sync::OnceLock::new();
                EMPTY.get_or_init(QueryParams::default)
            }
        }
    }

    /// The JSON body, for JSON 1.1 operations.
    pub fn json(&self) -> &serde_json::Value {
        match &self.input {
            Input::Json(v) | Input::Model(v) => v,
            _ => &serde_json::Value::Null,
        }
    }

    /// A top-level string member of a modeled operation's checked input (`None` when absent), for
    /// the functions that declare what a call acts on before the handler runs.
    pub fn member(&self, name: &str) -> Option<&str> {
        match &self.input {
            Input::Model(v) => v.get(name).and_then(serde_json::Value::as_str),
            Input::Query(q) => q.get(name),
            Input::Json(v) => v.get(name).and_then(serde_json::Value::as_str),
            Input::Rest(..) => None,
        }
    }
}

/// An operation's input, by protocol.
pub enum Input {
    /// Query protocol: the form parameters.
    Query(QueryParams),
    /// JSON 1.1: the parsed body.
    Json(serde_json::Value),
    /// REST: the request head and its body, still streaming.
    Rest(Box<http::request::Parts>, RequestBody),
    /// A modeled operation's input: the value tree the model layer parsed and checked
    /// ([`crate::model::parse_input`]); the handler receives it typed.
    Model(serde_json::Value),
}

/// What a handler returns.
pub enum Output {
    /// Query protocol: the inner XML of `<{Op}Result>` (may be empty).
    Query(String),
    /// JSON 1.1: the response object.
    Json(serde_json::Value),
    /// JSON 1.1: the response object, already serialized (by a handler on a hot path that writes
    /// its response directly rather than through a `serde_json::Value`). Must be a JSON object.
    JsonText(Vec<u8>),
    /// REST: a complete response (headers, status, streamed body).
    Http(http::Response<ResponseBody>),
    /// A modeled operation's typed output, serialized by the pipeline from the model in the
    /// request's protocol.
    Modeled(Box<dyn ModeledOutput>),
}

/// A handler's future.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<Output, AwsError>> + Send>>;
/// A handler.
pub type Handler = Arc<dyn Fn(Call) -> HandlerFuture + Send + Sync>;
/// Computes the resource ARNs an operation acts on from its input.
pub type ResourceFn = fn(&Call) -> Result<Vec<String>, AwsError>;
/// Computes operation-specific condition keys from the input.
pub type ConditionFn = fn(&Call) -> Vec<(String, Vec<String>)>;
/// Computes everything authorization needs to know about what a call acts on; may consult the
/// service's state (a KMS key's policy and grants, a bucket's policy).
pub type TargetFn = Arc<dyn Fn(&Call) -> Result<Target, AwsError> + Send + Sync>;

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// A signed request whose principal the policy engine allows (the default).
    Authorized,
    /// Any authenticated principal, whatever its policies say (AWS: `GetCallerIdentity`).
    AnyAuthenticated,
    /// Unsigned requests too (AWS: `AssumeRoleWithWebIdentity`); signed ones are still verified.
    Anonymous,
}

/// One operation of a service.
pub struct Operation {
    name: &'static str,
    action: &'static str,
    access: Access,
    read_only: bool,
    resources: Option<ResourceFn>,
    conditions: Option<ConditionFn>,
    target: Option<TargetFn>,
    handler: Handler,
    modeled: bool,
}

impl Operation {
    /// Declares operation `name`, authorized as IAM `action` (`service:Operation`).
    ///
    /// # Panics
    /// If `action` is not of the form `service:Operation`: a programming error caught at start-up.
    pub fn new<F, Fut>(name: &'static str, action: &'static str, handler: F) -> Self
    where
        F: Fn(Call) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Output, AwsError>> + Send + 'static,
    {
        let valid = action.split_once(':').is_some_and(|(svc, op)| {
            !svc.is_empty()
                && !op.is_empty()
                && svc.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && op.bytes().all(|b| b.is_ascii_alphanumeric())
        });
        assert!(valid, "operation {name} declares an invalid IAM action `{action}`");
        Self {
            name,
            action,
            access: Access::Authorized,
            read_only: false,
            resources: None,
            conditions: None,
            target: None,
            handler: Arc::new(move |call| Box::pin(handler(call))),
            modeled: false,
        }
    }

    /// Declares the modeled operation `S` (a marker type generated by `scripts/models`),
    /// authorized as IAM `action`. The pipeline parses and validates its input from the service's
    /// model before authorization; `handler` receives it typed and returns typed output, which the
    /// pipeline serializes in the request's protocol. The service must be built with
    /// [`Service::from_model`].
    ///
    /// # Panics
    /// As [`Operation::new`].
    pub fn modeled<S, F, Fut>(action: &'static str, handler: F) -> Self
    where
        S: Shaped,
        F: Fn(Call, S::Input) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<S::Output, AwsError>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        let mut op = Self::new(S::NAME, action, move |mut call: Call| {
            let handler = Arc::clone(&handler);
            let tree = match std::mem::replace(&mut call.input, Input::Model(serde_json::Value::Null)) {
                Input::Model(v) => Ok(v),
                _ => Err(()),
            };
            async move {
                let tree = tree.map_err(|()| AwsError::internal())?;
                let input: S::Input = serde_json::from_value(tree)
                    .map_err(|e| malformed_body(call.protocol, &format!("The request is not valid: {e}.")))?;
                let output = handler(call, input).await?;
                Ok(Output::Modeled(Box::new(output)))
            }
        });
        op.modeled = true;
        op
    }

    /// Whether the operation is declared from the model ([`Operation::modeled`]).
    pub fn is_modeled(&self) -> bool {
        self.modeled
    }

    /// Sets who may call it.
    pub fn access(mut self, access: Access) -> Self {
        self.access = access;
        self
    }

    /// Marks it read-only (CloudTrail `readOnly`).
    pub fn read_only(mut self) -> Self {
        self.read_only = true;
        self
    }

    /// Declares the resource ARNs it acts on; without this the resource is `*`.
    pub fn resources(mut self, f: ResourceFn) -> Self {
        self.resources = Some(f);
        self
    }

    /// Declares service-specific condition keys.
    pub fn conditions(mut self, f: ConditionFn) -> Self {
        self.conditions = Some(f);
        self
    }

    /// Declares how to find what a call acts on (resources, resource policy, condition keys,
    /// grants) when that needs the service's state. Overrides `resources` and `conditions`.
    pub fn target(mut self, f: impl Fn(&Call) -> Result<Target, AwsError> + Send + Sync + 'static) -> Self {
        self.target = Some(Arc::new(f));
        self
    }

    /// What `call` acts on, for authorization.
    pub fn target_for(&self, call: &Call) -> Result<Target, AwsError> {
        if let Some(f) = &self.target {
            return f(call);
        }
        Ok(Target {
            resources: self.resources_for(call)?,
            condition_keys: self.conditions_for(call),
            ..Target::default()
        })
    }

    /// The operation name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The IAM action.
    pub fn action(&self) -> &'static str {
        self.action
    }

    /// Who may call it.
    pub fn access_rule(&self) -> Access {
        self.access
    }

    /// Whether it only reads.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// The resource ARNs for `call`.
    pub fn resources_for(&self, call: &Call) -> Result<Vec<String>, AwsError> {
        match self.resources {
            Some(f) => f(call),
            None => Ok(vec!["*".to_owned()]),
        }
    }

    /// The operation-specific condition keys for `call`.
    pub fn conditions_for(&self, call: &Call) -> Vec<(String, Vec<String>)> {
        self.conditions.map(|f| f(call)).unwrap_or_default()
    }

    /// Runs the handler. Only the pipeline calls this, after authorization.
    pub fn invoke(&self, call: Call) -> HandlerFuture {
        (self.handler)(call)
    }
}

/// A service: its signing name, protocol and operations.
pub struct Service {
    signing_name: &'static str,
    event_source: &'static str,
    protocol: Protocol,
    xml_namespace: &'static str,
    json_target_prefix: &'static str,
    global: bool,
    operations: HashMap<&'static str, Operation>,
    model: Option<Arc<Model>>,
    omitted: &'static [&'static str],
}

/// The signing region of AWS's global endpoints (IAM, and STS's global endpoint).
pub const GLOBAL_SIGNING_REGION: &str = "us-east-1";

impl Service {
    /// A service signed as `signing_name` (`sts`, `iam`, `kms`, `s3`) speaking `protocol`.
    pub fn new(signing_name: &'static str, protocol: Protocol) -> Self {
        // One small string per service for the life of the process: every audit record borrows it.
        let event_source: &'static str = Box::leak(format!("{signing_name}.amazonaws.com").into_boxed_str());
        Self {
            signing_name,
            event_source,
            protocol,
            xml_namespace: "",
            json_target_prefix: "",
            global: false,
            operations: HashMap::new(),
            model: None,
            omitted: &[],
        }
    }

    /// A service served from its model: the protocol, XML namespace and JSON target prefix come
    /// from the model's metadata. Operations are declared with [`Operation::modeled`] (or, as an
    /// escape hatch, [`Operation::new`] with hand-parsed input).
    pub fn from_model(signing_name: &'static str, model: Arc<Model>) -> Self {
        let meta = &model.metadata;
        let leak = |s: &str| -> &'static str { Box::leak(s.to_owned().into_boxed_str()) };
        let mut svc = Self::new(signing_name, meta.protocol);
        svc.xml_namespace = leak(&meta.xml_namespace);
        svc.json_target_prefix = leak(&meta.target_prefix);
        svc.model = Some(model);
        svc
    }

    /// Top-level input members CloudTrail never records (data, not parameters: ciphertexts,
    /// messages to sign, signatures).
    pub fn omitted_from_audit(mut self, members: &'static [&'static str]) -> Self {
        self.omitted = members;
        self
    }

    /// The service's model, if it is served from one.
    pub fn model(&self) -> Option<&Arc<Model>> {
        self.model.as_ref()
    }

    /// Input members never recorded in audit records.
    pub fn omitted(&self) -> &'static [&'static str] {
        self.omitted
    }

    /// The XML namespace of query-protocol responses.
    pub fn xml_namespace(mut self, ns: &'static str) -> Self {
        self.xml_namespace = ns;
        self
    }

    /// The `X-Amz-Target` prefix of a JSON service (`TrentService` for KMS).
    pub fn json_target_prefix(mut self, prefix: &'static str) -> Self {
        self.json_target_prefix = prefix;
        self
    }

    /// Marks a service that AWS also serves from a global endpoint (IAM, STS): requests signed
    /// for `us-east-1`, that endpoint's signing region, are accepted besides the served region.
    pub fn global_endpoint(mut self) -> Self {
        self.global = true;
        self
    }

    /// Whether a request signed for `region` may be served by a Rampart serving `served`: AWS
    /// refuses a credential scope naming any other region ("Credential should be scoped to a
    /// valid region").
    pub fn accepts_signing_region(&self, region: &str, served: &str) -> bool {
        region == served || (self.global && region == GLOBAL_SIGNING_REGION)
    }

    /// Registers an operation.
    ///
    /// # Panics
    /// If an operation of that name is already registered.
    pub fn operation(mut self, op: Operation) -> Self {
        let name = op.name;
        if op.modeled {
            let model =
                self.model.as_ref().unwrap_or_else(|| panic!("modeled operation {name} on a service without a model"));
            assert!(model.operation(name).is_some(), "operation {name} is not in the service's model");
        }
        assert!(self.operations.insert(name, op).is_none(), "operation {name} registered twice");
        self
    }

    /// The SigV4 signing name.
    pub fn signing_name(&self) -> &'static str {
        self.signing_name
    }

    /// The protocol.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The query-protocol XML namespace.
    pub fn namespace(&self) -> &'static str {
        self.xml_namespace
    }

    /// The JSON target prefix.
    pub fn target_prefix(&self) -> &'static str {
        self.json_target_prefix
    }

    /// CloudTrail's `eventSource` for this service.
    pub fn event_source(&self) -> &'static str {
        self.event_source
    }

    /// The operation called `name`.
    pub fn get(&self, name: &str) -> Option<&Operation> {
        self.operations.get(name)
    }

    /// All operations.
    pub fn operations(&self) -> impl Iterator<Item = &Operation> {
        self.operations.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn nothing(_: Call) -> Result<Output, AwsError> {
        Ok(Output::Query(String::new()))
    }

    #[test]
    fn an_operation_declares_a_well_formed_action() {
        let op = Operation::new("GetCallerIdentity", "sts:GetCallerIdentity", nothing);
        assert_eq!(op.action(), "sts:GetCallerIdentity");
        assert_eq!(op.access_rule(), Access::Authorized, "authorization is the default");
    }

    #[test]
    #[should_panic(expected = "invalid IAM action")]
    fn an_empty_action_is_refused_at_start_up() {
        let _ = Operation::new("GetCallerIdentity", "", nothing);
    }

    #[test]
    #[should_panic(expected = "invalid IAM action")]
    fn an_action_without_service_is_refused_at_start_up() {
        let _ = Operation::new("GetCallerIdentity", "GetCallerIdentity", nothing);
    }

    #[test]
    #[should_panic(expected = "registered twice")]
    fn an_operation_is_registered_once() {
        let _ = Service::new("sts", Protocol::Query)
            .operation(Operation::new("A", "sts:A", nothing))
            .operation(Operation::new("A", "sts:A", nothing));
    }
}
