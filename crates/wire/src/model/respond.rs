//! The layer's two entry points for the pipeline: a buffered request's input into a checked value
//! tree, and a handler's typed output into the response of the protocol the service speaks.

use super::query::{Dialect, write_xml};
use super::{Model, OperationModel, json, validate};
use crate::protocol::{Protocol, ResponseBody, malformed_body};
use crate::service::Input;
use http::Response;
use rampart_core::AwsError;
use serde_json::Value;

/// A handler's typed output, serialized by the pipeline in the request's protocol.
pub trait ModeledOutput: Send {
    /// The output as the protocol's JSON body (the typed output's serde form).
    fn to_json(&self) -> Vec<u8>;
    /// The output as a value tree, for the protocols serialized from the model.
    fn to_value(&self) -> Value;
}

impl<T: serde::Serialize + Send> ModeledOutput for T {
    fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_else(|_| b"{}".to_vec())
    }
    fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// Turns the protocol-parsed `input` of operation `op` into its value tree: read by the model
/// (query), type-checked (JSON), then validated against the model's constraints.
pub fn parse_input(model: &Model, op: &OperationModel, input: Input) -> Result<Value, AwsError> {
    let protocol = model.metadata.protocol;
    let Some(shape) = op.input else { return Ok(Value::Object(Default::default())) };
    let tree = match input {
        Input::Query(q) => {
            let dialect = if protocol == Protocol::Ec2 { Dialect::Ec2 } else { Dialect::Query };
            super::query::parse(model, shape, &q, dialect)?
        }
        Input::Json(v) => {
            json::check_types(model, shape, &v)?;
            v
        }
        Input::Model(v) => v,
        Input::Rest(..) => {
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
        Protocol::Query | Protocol::Ec2 => {
            let mut xml = String::new();
            if let Some(shape) = op.output {
                let dialect = if protocol == Protocol::Ec2 { Dialect::Ec2 } else { Dialect::Query };
                write_xml(model, shape, &output.to_value(), dialect, &mut xml);
            }
            Protocol::query_response(&op.name, &model.metadata.xml_namespace, &xml, request_id)
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
