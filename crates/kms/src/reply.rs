//! Responses written straight to JSON text, for the operations on the hot path (`Encrypt`,
//! `Decrypt`, `GenerateDataKey`): building a `serde_json::Value` only to serialize it, and
//! scanning every character of a base64 blob for escapes, cost more than their cryptography.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// A JSON object, written field by field.
pub(crate) struct JsonObject(Vec<u8>);

impl JsonObject {
    /// An empty object with room for about `capacity` bytes.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        let mut out = Vec::with_capacity(capacity);
        out.push(b'{');
        Self(out)
    }

    fn name(&mut self, name: &str) {
        if self.0.len() > 1 {
            self.0.push(b',');
        }
        self.escaped(name);
        self.0.push(b':');
    }

    fn escaped(&mut self, text: &str) {
        // Writing a string to a Vec cannot fail.
        serde_json::to_writer(&mut self.0, text).expect("a string serializes into a Vec");
    }

    /// Adds a string field.
    pub(crate) fn str(mut self, name: &str, value: &str) -> Self {
        self.name(name);
        self.escaped(value);
        self
    }

    /// Adds a string field when `value` is given.
    pub(crate) fn opt_str(self, name: &str, value: Option<&str>) -> Self {
        match value {
            Some(v) => self.str(name, v),
            None => self,
        }
    }

    /// Adds a blob field: `bytes` in base64, whose alphabet needs no escaping.
    pub(crate) fn blob(mut self, name: &str, bytes: &[u8]) -> Self {
        self.name(name);
        self.0.push(b'"');
        let start = self.0.len();
        self.0.resize(start + base64::encoded_len(bytes.len(), true).expect("a blob of a sane size"), 0);
        let written = STANDARD.encode_slice(bytes, &mut self.0[start..]).expect("sized for the encoding");
        self.0.truncate(start + written);
        self.0.push(b'"');
        self
    }

    /// The serialized object.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.0.push(b'}');
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn writes_what_serde_json_would() {
        let blob: Vec<u8> = (0..=255).collect();
        let text = JsonObject::with_capacity(16)
            .blob("CiphertextBlob", &blob)
            .str("KeyId", "arn:aws:kms:us-east-1:111122223333:key/1234")
            .str("Odd \"name\"", "quote \" backslash \\ newline \n tab \t nul \u{0} é 🔑")
            .opt_str("Absent", None)
            .opt_str("Present", Some("yes"))
            .blob("Empty", b"")
            .finish();
        let parsed: Value = serde_json::from_slice(&text).unwrap();
        assert_eq!(
            parsed,
            json!({
                "CiphertextBlob": STANDARD.encode(&blob),
                "KeyId": "arn:aws:kms:us-east-1:111122223333:key/1234",
                "Odd \"name\"": "quote \" backslash \\ newline \n tab \t nul \u{0} é 🔑",
                "Present": "yes",
                "Empty": "",
            })
        );
        assert_eq!(JsonObject::with_capacity(0).finish(), b"{}");
    }
}
