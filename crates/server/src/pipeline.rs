//! The pipeline: one function every request goes through.

use crate::authenticate::{precheck, verify};
use bytes::Bytes;
use http::{Request, Response, header};
use http_body_util::BodyExt;
use rampart_core::audit::{AuditRecord, AuditSink, CallerIdentity};
use rampart_core::authz::{Authorizer, AuthzRequest, RequestContext};
use rampart_core::clock::Clock;
use rampart_core::credentials::CredentialProvider;
use rampart_core::ids::new_request_id;
use rampart_core::{AwsError, Principal};
use rampart_wire::protocol::{
    ResponseBody, access_denied, body_timeout, body_too_large, echo, malformed_body, unknown_operation, unknown_service,
};
use rampart_wire::query::QueryParams;
use rampart_wire::service::Access;
use rampart_wire::sigv4::{self, SignedParts, UriMode};
use rampart_wire::{AuthFailure, Call, Input, Output, Protocol, Service, model, redact};
use serde_json::Value;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Settings of the pipeline.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// The region reported for requests that name none.
    pub default_region: String,
    /// The largest buffered (query or JSON) request body, in bytes.
    pub max_body_bytes: usize,
    /// The most memory all buffered request bodies may hold together, in bytes.
    pub max_buffered_body_bytes: usize,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self { default_region: "us-east-1".into(), max_body_bytes: 1 << 20, max_buffered_body_bytes: 64 << 20 }
    }
}

/// A request body is cut off when nothing of it arrives for this long...
const BODY_IDLE_TIMEOUT: Duration = Duration::from_secs(10);
/// ...or when, after [`BODY_RATE_GRACE`], it has arrived at less than this many bytes a second
/// on average.
const BODY_MIN_RATE: u64 = 8 * 1024;
/// The time a body is given before its average rate is checked.
const BODY_RATE_GRACE: Duration = Duration::from_secs(5);
/// How long a body waits for room under `max_buffered_body_bytes` before the call is refused.
const BODY_BUDGET_WAIT: Duration = Duration::from_secs(5);
/// What is read and dropped of a body refused before it was all read, so that an HTTP/1.1 client
/// that writes its whole body before reading (most do) sees the answer rather than a reset
/// connection: at most this many times `max_body_bytes`...
const LINGER_FACTOR: u64 = 4;
/// ...for at most this long, in the background, after the answer has been sent.
const LINGER_TIME: Duration = Duration::from_secs(5);

/// Routes, authenticates, authorizes, dispatches and audits requests.
pub struct Pipeline {
    services: HashMap<&'static str, Arc<Service>>,
    by_target_prefix: HashMap<&'static str, Arc<Service>>,
    /// Query operations callable unsigned, by action name (AWS: `AssumeRoleWithWebIdentity`).
    anonymous_query: HashMap<&'static str, Arc<Service>>,
    credentials: Arc<dyn CredentialProvider>,
    authorizer: Arc<dyn Authorizer>,
    audit: Arc<dyn AuditSink>,
    clock: Arc<dyn Clock>,
    config: PipelineConfig,
    body_budget: Arc<Semaphore>,
    budget_warned: std::sync::Mutex<Option<Instant>>,
}

/// Where a request came from.
#[derive(Debug, Clone, Copy)]
pub struct Peer {
    /// The client's address.
    pub addr: SocketAddr,
    /// Whether the connection is TLS.
    pub secure: bool,
}

/// What the audit record learns as the request goes through the pipeline.
struct Draft {
    event_source: &'static str,
    event_name: &'static str,
    region: String,
    caller: CallerIdentity,
    request_parameters: Value,
    read_only: bool,
}

impl Pipeline {
    /// A pipeline over `services`.
    ///
    /// # Panics
    /// If two services share a signing name or JSON target prefix (a wiring error at start-up).
    pub fn new(
        services: Vec<Service>,
        credentials: Arc<dyn CredentialProvider>,
        authorizer: Arc<dyn Authorizer>,
        audit: Arc<dyn AuditSink>,
        clock: Arc<dyn Clock>,
        config: PipelineConfig,
    ) -> Self {
        let mut by_name = HashMap::new();
        let mut by_target_prefix = HashMap::new();
        let mut anonymous_query = HashMap::new();
        for svc in services {
            let svc = Arc::new(svc);
            assert!(
                by_name.insert(svc.signing_name(), Arc::clone(&svc)).is_none(),
                "service {} twice",
                svc.signing_name()
            );
            if matches!(svc.protocol(), Protocol::Json10 | Protocol::Json11) {
                assert!(by_target_prefix.insert(svc.target_prefix(), Arc::clone(&svc)).is_none());
            }
            if svc.protocol() == Protocol::Query {
                for op in svc.operations().filter(|o| o.access_rule() == Access::Anonymous) {
                    anonymous_query.insert(op.name(), Arc::clone(&svc));
                }
            }
        }
        let body_budget = Arc::new(Semaphore::new(config.max_buffered_body_bytes.min(Semaphore::MAX_PERMITS)));
        Self {
            services: by_name,
            by_target_prefix,
            anonymous_query,
            credentials,
            authorizer,
            audit,
            clock,
            config,
            body_budget,
            budget_warned: std::sync::Mutex::new(None),
        }
    }

    /// Serves one request. Never panics on input and never answers without an audit record.
    pub async fn handle<B>(&self, req: Request<B>, peer: Peer) -> Response<ResponseBody>
    where
        B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let received_at = self.clock.now();
        let request_id = new_request_id();
        let (parts, body) = req.into_parts();
        let user_agent = parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let mut draft = Draft {
            event_source: "unknown",
            event_name: "Unknown",
            region: self.config.default_region.clone(),
            caller: CallerIdentity::Unknown { access_key_id: None },
            request_parameters: Value::Null,
            read_only: false,
        };
        let mut protocol = Protocol::sniff(&parts.headers, &parts.method, parts.uri.query().unwrap_or(""));
        let mut xmlns = "";
        let context = RequestContext {
            request_id: request_id.clone(),
            source_ip: peer.addr.ip(),
            user_agent: user_agent.clone(),
            secure_transport: peer.secure,
            region: self.config.default_region.clone(),
            received_at,
        };

        let http1 = parts.version < http::Version::HTTP_2;
        let expects_continue = parts
            .headers
            .get(header::EXPECT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
        let mut body = Some(body);
        let result = self.process(parts, &mut body, context, &mut draft, &mut protocol, &mut xmlns).await;
        // A body refused before it was all read. An HTTP/1.1 client that did not wait for
        // `100 Continue` may still be sending it: read (and drop) a bounded amount in the
        // background while the answer goes out, so that it reads the answer rather than a reset
        // connection, and close the connection after the answer. A client that asked for
        // `100 Continue` never got it and sends nothing; HTTP/2 resets just the stream.
        let unread = result.is_err() && http1 && body.is_some();
        if let (true, false, Some(rest)) = (unread, expects_continue, body.take()) {
            tokio::spawn(linger(rest, self.config.max_body_bytes as u64 * LINGER_FACTOR));
        }

        let mut record = AuditRecord {
            event_id: new_request_id(),
            event_time: received_at,
            event_source: draft.event_source.into(),
            event_name: draft.event_name.into(),
            aws_region: draft.region,
            source_ip: peer.addr.ip().to_string(),
            user_agent,
            caller: draft.caller,
            request_parameters: draft.request_parameters,
            error_code: None,
            error_message: None,
            request_id: request_id.clone(),
            read_only: draft.read_only,
        };
        if let Err(e) = &result {
            record.set_error(e);
        }
        // INVARIANT: the response leaves only after its audit record is durable.
        let durable = match self.audit.append(&record).await {
            Ok(Ok(_seq)) => true,
            Ok(Err(e)) => {
                tracing::error!(error = %e, request_id, "audit record not durable; refusing to answer");
                false
            }
            Err(_) => {
                tracing::error!(request_id, "audit writer dropped the record; refusing to answer");
                false
            }
        };
        let response = match (durable, result) {
            (true, Ok(resp)) => resp,
            (true, Err(e)) => {
                if e.status() >= 500 {
                    tracing::warn!(code = e.code(), request_id, "request failed");
                }
                protocol.error_response(&e, &request_id, xmlns)
            }
            (false, _) => protocol.error_response(
                &AwsError::unavailable("The audit log cannot record this call; it was not acknowledged. Retry later."),
                &request_id,
                xmlns,
            ),
        };
        let mut response = response;
        if unread {
            response.headers_mut().insert(header::CONNECTION, http::HeaderValue::from_static("close"));
        }
        tracing::debug!(request_id, status = response.status().as_u16(), event = %record.event_name, "request served");
        response
    }

    async fn process<B>(
        &self,
        parts: http::request::Parts,
        body: &mut Option<B>,
        mut context: RequestContext,
        draft: &mut Draft,
        protocol: &mut Protocol,
        xmlns: &mut &'static str,
    ) -> Result<Response<ResponseBody>, AwsError>
    where
        B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let raw_path = parts.uri.path().to_owned();
        let raw_query = parts.uri.query().unwrap_or("").to_owned();
        let authority = parts.uri.authority().map(|a| a.as_str().to_owned());
        let signed = SignedParts {
            method: parts.method.as_str(),
            raw_path: &raw_path,
            raw_query: &raw_query,
            headers: &parts.headers,
            authority: authority.as_deref(),
        };

        // 1. Signature, as sent (no secret needed yet).
        let sig = sigv4::parse(&signed).map_err(|e| {
            let failure = match e {
                sigv4::SigV4Error::Incomplete(m) | sigv4::SigV4Error::InvalidExpires(m) => AuthFailure::Incomplete(m),
                sigv4::SigV4Error::Mismatch(m) => AuthFailure::Mismatch(m),
            };
            failure.to_error(*protocol)
        })?;
        if let Some(s) = &sig {
            draft.caller = CallerIdentity::Unknown { access_key_id: Some(s.access_key_id.clone()) };
        }

        // 2. Service: from the credential scope, or for unsigned calls from the request shape.
        let service = match &sig {
            Some(s) => {
                self.services.get(s.service.as_str()).cloned().ok_or_else(|| unknown_service(*protocol, &s.service))?
            }
            None => self
                .unsigned_service(&parts.headers, &raw_query, *protocol)
                .ok_or_else(|| AuthFailure::Missing.to_error(*protocol))?,
        };
        *protocol = service.protocol();
        *xmlns = service.namespace();
        draft.event_source = service.event_source();

        // 3. What needs no body: the credential scope's region, the declared length, and the
        // credential itself. A request refused here costs no body bytes.
        if let Some(s) = &sig {
            if !service.accepts_signing_region(&s.region, &self.config.default_region) {
                return Err(AuthFailure::Mismatch(format!(
                    "Credential should be scoped to a valid region, not '{}'. This endpoint serves {}.",
                    echo(&s.region),
                    self.config.default_region
                ))
                .to_error(*protocol));
            }
            draft.region = s.region.clone();
            context.region = s.region.clone();
        }
        let buffered =
            matches!(service.protocol(), Protocol::Query | Protocol::Ec2 | Protocol::Json10 | Protocol::Json11);
        let declared = declared_length(&parts.headers);
        if buffered && declared.is_some_and(|n| n > self.config.max_body_bytes as u64) {
            return Err(body_too_large(self.config.max_body_bytes));
        }
        let credential = match &sig {
            None => None,
            Some(s) => match precheck(self.credentials.as_ref(), self.clock.as_ref(), s)? {
                Ok(cred) => Some(cred),
                Err(failure) => return Err(failure.to_error(*protocol)),
            },
        };

        // 4. Body: buffered (bounded) for query and JSON; REST bodies stream to the handler.
        let _body_permit;
        let (input, payload_hash) = if buffered {
            let (bytes, permit) = self.read_body(declared, body.as_mut().expect("body read once"), *protocol).await?;
            *body = None;
            _body_permit = permit;
            let hash = sigv4::payload_hash(&bytes);
            let input = if service.protocol().is_query_family() {
                if !bytes.is_empty() && std::str::from_utf8(&bytes).is_err() {
                    return Err(malformed_body(Protocol::Query, "The request body is not valid UTF-8 form data."));
                }
                Input::Query(QueryParams::parse(&raw_query, &bytes)?)
            } else {
                let value: Value = if bytes.is_empty() {
                    Value::Object(Default::default())
                } else {
                    serde_json::from_slice(&bytes)
                        .map_err(|e| malformed_body(Protocol::Json11, &format!("Malformed JSON body: {e}")))?
                };
                if !value.is_object() {
                    return Err(malformed_body(Protocol::Json11, "The request body must be a JSON object."));
                }
                Input::Json(value)
            };
            (input, hash)
        } else {
            let declared = parts
                .headers
                .get("x-amz-content-sha256")
                .and_then(|v| v.to_str().ok())
                .unwrap_or(sigv4::UNSIGNED_PAYLOAD)
                .to_owned();
            let body = body.take().expect("body read once").map_err(Into::into).boxed_unsync();
            (Input::Rest(Box::new(parts.clone()), body), declared)
        };

        // 5. The signature, over the canonical request and the payload hash.
        let principal: Option<Arc<Principal>> = match (&sig, credential) {
            (Some(s), Some(cred)) => {
                let mode = if service.signing_name() == "s3" { UriMode::S3 } else { UriMode::NormalizedDoubleEncoded };
                verify(&cred, &signed, s, &payload_hash, mode).map_err(|f| f.to_error(*protocol))?;
                self.credentials.record_use(&s.access_key_id, service.signing_name(), &s.region);
                let p = Arc::clone(cred.principal());
                draft.caller = CallerIdentity::Principal(Arc::clone(&p));
                Some(p)
            }
            _ => None,
        };

        // 6. Operation.
        let op_name = match (&input, service.protocol()) {
            (Input::Query(q), _) => {
                q.action().map(str::to_owned).ok_or_else(|| AwsError::new("MissingAction", 400, "Missing Action"))?
            }
            (_, Protocol::Json10 | Protocol::Json11) => {
                let target = parts.headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or("");
                match target.split_once('.') {
                    Some((prefix, op)) if prefix == service.target_prefix() => op.to_owned(),
                    _ => return Err(unknown_operation(Protocol::Json11, target, None)),
                }
            }
            _ => return Err(unknown_operation(Protocol::RestXml, parts.uri.path(), None)),
        };
        let version = match &input {
            Input::Query(q) => q.get("Version").map(str::to_owned),
            _ => None,
        };
        let Some(op) = service.get(&op_name) else {
            return Err(unknown_operation(*protocol, &op_name, version.as_deref()));
        };
        draft.event_name = op.name();
        draft.read_only = op.is_read_only();
        // A modeled operation's input is parsed and checked from the model before authorization
        // (AWS validates before it authorizes); its audit parameters come from the checked tree,
        // secrets hidden by the model's `sensitive` trait.
        let (input, op_model) = match (op.is_modeled(), service.model()) {
            (true, Some(model)) => {
                let op_model = model.operation(op.name()).expect("checked when the operation was registered");
                let tree = rampart_wire::model::parse_input(model, op_model, input)?;
                draft.request_parameters = match op_model.input {
                    Some(shape) => model::audit::request_parameters(model, shape, &tree, service.omitted()),
                    None => Value::Null,
                };
                (Input::Model(tree), Some((model, op_model)))
            }
            _ => {
                draft.request_parameters = match &input {
                    Input::Query(q) => redact::query_params(q.pairs()),
                    Input::Json(v) | Input::Model(v) => redact::json_params(v),
                    Input::Rest(..) => Value::Null,
                };
                (input, None)
            }
        };

        // 7. Authorize, from the operation's declaration.
        let mut call = Call {
            principal: principal.clone(),
            context: Arc::new(context),
            protocol: *protocol,
            input,
            resolved: Default::default(),
        };
        match (&principal, op.access_rule()) {
            (None, Access::Anonymous) => {}
            (None, _) => return Err(AuthFailure::Missing.to_error(*protocol)),
            (Some(_), Access::AnyAuthenticated | Access::Anonymous) => {}
            (Some(p), Access::Authorized) => {
                let mut target = op.target_for(&call)?;
                // Handed to the handler only once every check below has passed.
                let resolved = std::mem::take(&mut target.resolved);
                let request = AuthzRequest {
                    principal: p,
                    action: op.action(),
                    resources: &target.resources,
                    context: &call.context,
                    condition_keys: &target.condition_keys,
                    resource_policy: target.resource_policy.as_ref(),
                    granted: target.granted,
                };
                if let Err(denial) = self.authorizer.authorize(&request) {
                    return Err(access_denied(*protocol, denial.message));
                }
                for (action, more) in &target.also {
                    let request = AuthzRequest {
                        principal: p,
                        action,
                        resources: &more.resources,
                        context: &call.context,
                        condition_keys: &more.condition_keys,
                        resource_policy: more.resource_policy.as_ref(),
                        granted: more.granted,
                    };
                    if let Err(denial) = self.authorizer.authorize(&request) {
                        return Err(access_denied(*protocol, denial.message));
                    }
                }
                call.resolved = resolved;
            }
        }

        // 8. Handler.
        let request_id = call.context.request_id.clone();
        let output = op.invoke(call).await?;
        Ok(match output {
            Output::Query(xml) => Protocol::query_response(op.name(), service.namespace(), &xml, &request_id),
            Output::Json(v) => Protocol::json_response(&v, &request_id),
            Output::JsonText(body) => Protocol::json_text_response(body, &request_id),
            Output::Modeled(out) => match op_model {
                Some((model, op_model)) => model::respond(model, op_model, out.as_ref(), &request_id),
                None => return Err(AwsError::internal()),
            },
            Output::Http(mut resp) => {
                rampart_wire::protocol::set_request_id(&mut resp, &request_id, Protocol::RestXml);
                resp
            }
        })
    }

    fn unsigned_service(&self, headers: &http::HeaderMap, raw_query: &str, protocol: Protocol) -> Option<Arc<Service>> {
        match protocol {
            Protocol::Json11 | Protocol::Json10 => {
                let target = headers.get("x-amz-target")?.to_str().ok()?;
                self.by_target_prefix.get(target.split_once('.')?.0).cloned()
            }
            Protocol::Query => {
                // The action may be in the URL or the body; the body is not read yet, so only
                // URL actions and a form body are considered: read the action lazily below.
                let action = form_urlencoded::parse(raw_query.as_bytes())
                    .find(|(k, _)| k == "Action")
                    .map(|(_, v)| v.into_owned());
                match action {
                    Some(a) => self.anonymous_query.get(a.as_str()).cloned(),
                    // Unsigned form POST: the only unsigned query operations are STS's.
                    None => self.services.get("sts").cloned().filter(|_| !self.anonymous_query.is_empty()),
                }
            }
            Protocol::RestXml => self.services.get("s3").cloned(),
            // No unsigned operation exists on these yet.
            Protocol::Ec2 | Protocol::RestJson | Protocol::RpcV2Cbor => None,
        }
    }

    /// Reads a query or JSON body whole: at most `max_body_bytes`, within the shared
    /// `max_buffered_body_bytes` (the returned permit holds its share until the call ends), and
    /// no slower than the minimum rate. On failure the body is left where it was, partly read.
    async fn read_body<B>(
        &self,
        declared: Option<u64>,
        body: &mut B,
        protocol: Protocol,
    ) -> Result<(Bytes, Option<OwnedSemaphorePermit>), AwsError>
    where
        B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let limit = self.config.max_body_bytes as u64;
        let mut body = std::pin::Pin::new(body);
        let mut buf = bytes::BytesMut::with_capacity(declared.map_or(1024, |n| n.min(64 * 1024) as usize));
        let mut permit: Option<OwnedSemaphorePermit> = None;
        let started = tokio::time::Instant::now();
        let mut seen: u64 = 0;
        loop {
            // The next bytes must come within the idle timeout, and soon enough to keep the
            // average rate once the grace period is over.
            let rate_deadline =
                started + BODY_RATE_GRACE + Duration::from_millis(seen.saturating_mul(1000) / BODY_MIN_RATE);
            let deadline = rate_deadline.min(tokio::time::Instant::now() + BODY_IDLE_TIMEOUT);
            let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
                Err(_) => {
                    tracing::debug!(
                        seen,
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "request body too slow; cut off"
                    );
                    return Err(body_timeout());
                }
                Ok(None) => break,
                Ok(Some(frame)) => frame.map_err(|e| {
                    AwsError::new("IncompleteBody", 400, format!("The request body could not be read: {}", e.into()))
                })?,
            };
            let Ok(data) = frame.into_data() else { continue };
            seen += data.len() as u64;
            if seen > limit {
                return Err(body_too_large(self.config.max_body_bytes));
            }
            if data.is_empty() {
                continue;
            }
            let more = self.reserve(data.len(), protocol).await?;
            match permit.as_mut() {
                Some(p) => p.merge(more),
                None => permit = Some(more),
            }
            buf.extend_from_slice(&data);
        }
        Ok((buf.freeze(), permit))
    }

    /// Room for `n` more buffered body bytes under `max_buffered_body_bytes`, waiting a little
    /// when the server is full.
    async fn reserve(&self, n: usize, protocol: Protocol) -> Result<OwnedSemaphorePermit, AwsError> {
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        if let Ok(p) = Arc::clone(&self.body_budget).try_acquire_many_owned(n) {
            return Ok(p);
        }
        {
            let mut warned = self.budget_warned.lock().unwrap_or_else(|e| e.into_inner());
            if warned.is_none_or(|t| t.elapsed() > Duration::from_secs(60)) {
                tracing::warn!(
                    max_buffered_body_bytes = self.config.max_buffered_body_bytes,
                    "buffered request bodies reached their memory cap: new bodies wait, then are refused (--max-buffered-body-bytes)"
                );
                *warned = Some(Instant::now());
            }
        }
        match tokio::time::timeout(BODY_BUDGET_WAIT, Arc::clone(&self.body_budget).acquire_many_owned(n)).await {
            Ok(Ok(p)) => Ok(p),
            _ => {
                let code = if protocol == Protocol::Json11 { "ThrottlingException" } else { "Throttling" };
                Err(AwsError::new(
                    code,
                    400,
                    "Rampart is holding as many request bodies as it may; retry with backoff.",
                ))
            }
        }
    }
}

/// The `Content-Length` the client declared, if any.
fn declared_length(headers: &http::HeaderMap) -> Option<u64> {
    headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok())
}

/// Reads and drops what remains of a refused body, bounded in bytes and time.
async fn linger<B: http_body::Body<Data = Bytes> + Unpin>(mut body: B, max_bytes: u64) {
    let deadline = tokio::time::Instant::now() + LINGER_TIME;
    let mut body = std::pin::Pin::new(&mut body);
    let mut seen = 0u64;
    while seen <= max_bytes {
        match tokio::time::timeout_at(deadline, body.frame()).await {
            Ok(Some(Ok(frame))) => seen += frame.data_ref().map_or(0, |d| d.len() as u64),
            _ => break,
        }
    }
}
