//! The layer's two entry points for the pipeline: a buffered request's input into a checked value
//! tree, and a handler's typed output into the response of the protocol the service speaks.

use super::query::{Dialect, write_xml};
use super::xml_ser::{XmlSerError, write_members};
use super::{Model, OperationModel, ShapeId, json, validate};
use crate::protocol::{Protocol, ResponseBody, full_body, malformed_body, set_request_id};
use crate::service::Input;
use http::{HeaderValue, Response};
use rampart_core::AwsError;
use serde_json::Value;

/// A handler's typed output, serialized by the pipeline in the request's protocol.
pub trait ModeledOutput: Send {
    /// The output as the protocol's JSON body (the typed output's serde form).
    fn to_json(&self) -> Vec<u8>;
    /// The output as a value tree, for the protocols serialized from the model.
    fn to_value(&self) -> Value;
    /// The output's members as query-protocol XML, written straight from the typed value.
    fn to_query_xml(&self, model: &Model, shape: ShapeId, out: &mut String) -> Result<(), XmlSerError>;
}

impl<T: serde::Serialize + Send> ModeledOutput for T {
    fn to_json(&self) -> Vec<u8> {
        // Room for a typical response up front (a KMS ciphertext of a 4 KiB plaintext is under
        // 8 KiB of base64): growing by doubling from serde_json's default would copy it several
        // times.
        let mut out = Vec::with_capacity(8192);
        match serde_json::to_writer(&mut out, self) {
            Ok(()) => out,
            Err(_) => b"{}".to_vec(),
        }
    }
    fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
    fn to_query_xml(&self, model: &Model, shape: ShapeId, out: &mut String) -> Result<(), XmlSerError> {
        write_members(model, shape, self, Dialect::Query, out)
    }
}

/// Turns the protocol-parsed `input` of operation `op` into its value tree: read by the model
/// (query, EC2, RPC v2 CBOR from [`Input::Cbor`]), type-checked (JSON), then validated against the
/// model's constraints.
pub fn parse_input(model: &Model, op: &OperationModel, input: Input) -> Result<Value, AwsError> {
    let protocol = model.metadata.protocol;
    let Some(shape) = op.input else { return Ok(Value::Object(Default::default())) };
    if matches!(input, Input::Query(_)) && model.members(shape).is_empty() {
        // A form for an input without members (GetCallerIdentity): the query protocols ignore
        // parameters the model does not know, so there is nothing to read or check.
        return Ok(Value::Object(Default::default()));
    }
    let tree = match input {
        Input::Query(q) => {
            let dialect = if protocol == Protocol::Ec2 { Dialect::Ec2 } else { Dialect::Query };
            super::query::parse(model, shape, &q, dialect)?
        }
        Input::Json(v) => {
            json::check_types(model, shape, &v)?;
            v
        }
        // Already parsed and checked (REST: by `rest::parse`, which needs the request head).
        Input::Model(v) => return Ok(v),
        Input::Cbor(body) if protocol == Protocol::RpcV2Cbor => super::cbor::parse(model, shape, &body)?,
        Input::Rest(..) | Input::Cbor(_) => {
            return Err(malformed_body(protocol, "This operation's request cannot be read by the model layer."));
        }
    };
    validate::check(model, shape, &tree, protocol)?;
    Ok(tree)
}

/// The success response of `op` carrying `output`, in the model's protocol.
pub fn respond(
    model: &Model,
    op: &OperationModel,
    output: &dyn ModeledOutput,
    request_id: &str,
) -> Response<ResponseBody> {
    let protocol = model.metadata.protocol;
    match protocol {
        Protocol::Query => {
            Protocol::query_response_with(&op.name, &model.metadata.xml_namespace, request_id, 512, |out| {
                let Some(shape) = op.output else { return };
                let start = out.len();
                if output.to_query_xml(model, shape, out).is_err() {
                    // A generated type that does not fit its own model: a defect, written through
                    // the value tree instead (slower, never wrong).
                    out.truncate(start);
                    write_xml(model, shape, &output.to_value(), Dialect::Query, out);
                }
            })
        }
        Protocol::RestJson | Protocol::RestXml => super::rest::respond(model, op, &output.to_value(), request_id),
        Protocol::Ec2 => {
            let value = op.output.map(|_| output.to_value());
            super::ec2::response(model, op, value.as_ref(), request_id)
        }
        Protocol::RpcV2Cbor => {
            // An operation without output has an empty body (and so no Content-Type).
            let body = op.output.map(|shape| super::cbor::to_cbor(model, shape, &output.to_value()));
            let has_body = body.is_some();
            let mut resp = Response::new(full_body(body.unwrap_or_default()));
            let h = resp.headers_mut();
            h.insert("smithy-protocol", HeaderValue::from_static(super::cbor::SMITHY_PROTOCOL));
            if has_body {
                h.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(super::cbor::CONTENT_TYPE));
            }
            set_request_id(&mut resp, request_id, protocol);
            resp
        }
        _ => {
            let mut resp = Protocol::json_text_response(output.to_json(), request_id);
            if let Ok(v) = http::HeaderValue::from_str(protocol.json_content_type()) {
                resp.headers_mut().insert(http::header::CONTENT_TYPE, v);
            }
            resp
        }
    }
}
