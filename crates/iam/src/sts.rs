//! AWS Security Token Service (query protocol, `sts`).

use rampart_core::AwsError;
use rampart_wire::xml::XmlWriter;
use rampart_wire::{Access, Call, Operation, Output, Protocol, Service};

/// The STS XML namespace.
pub const NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// The STS service definition.
pub fn service() -> Service {
    Service::new("sts", Protocol::Query).xml_namespace(NAMESPACE).operation(
        // AWS: "No permissions are required to perform this operation"; even an explicit deny
        // does not stop it.
        Operation::new("GetCallerIdentity", "sts:GetCallerIdentity", get_caller_identity)
            .access(Access::AnyAuthenticated)
            .read_only(),
    )
}

async fn get_caller_identity(call: Call) -> Result<Output, AwsError> {
    let p = call.caller()?;
    let mut w = XmlWriter::new();
    w.element("Arn", &p.arn).element("UserId", &p.user_id).element("Account", p.account_id.as_str());
    Ok(Output::Query(w.finish()))
}
