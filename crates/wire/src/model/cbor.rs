//! Smithy RPC v2 CBOR (`smithy-rpc-v2-cbor`): bodies are CBOR maps.

use ciborium::Value as Cbor;

/// The body of an RPC v2 CBOR error: a map of `__type` and `message`.
pub fn error_body(code: &str, message: &str) -> Vec<u8> {
    let map = Cbor::Map(vec![
        (Cbor::Text("__type".into()), Cbor::Text(code.into())),
        (Cbor::Text("message".into()), Cbor::Text(message.into())),
    ]);
    let mut out = Vec::with_capacity(32 + code.len() + message.len());
    // Writing into a Vec cannot fail.
    let _ = ciborium::into_writer(&map, &mut out);
    out
}
