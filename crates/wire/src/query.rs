//! The AWS query protocol's request side: form parameters (`Action=...&Version=...`).
//!
//! Parsing is strict: a request whose parameters cannot be read exactly as sent is refused, never
//! read approximately. Names and values must be UTF-8 once percent-decoded. Lists and structures
//! are read by the model ([`crate::model::query`]), which refuses malformed members (`Name.member.N`
//! indexes that are not decimal numbers from 1 without sign or leading zeros, gaps, repeats, empty
//! segments) with the helpers here.
//!
//! AWS documents none of the error responses for these cases, so Rampart answers each with the
//! query protocol's `ValidationError` (400), worded the way AWS words its other constraint
//! failures ("1 validation error detected: Value ... at '...' failed to satisfy constraint: ...").
//! A missing required field of a list member is answered exactly as AWS answers it:
//! "Value null at 'tags.1.member.key' failed to satisfy constraint: Member must not be null".

use rampart_core::AwsError;
use std::borrow::Cow;

/// Parameters of a query-protocol request, from the URL query and the form body together.
#[derive(Debug, Clone, Default)]
pub struct QueryParams {
    pairs: Vec<(String, String)>,
}

impl QueryParams {
    /// Parses the URL query and the `application/x-www-form-urlencoded` body.
    ///
    /// Refuses (`ValidationError`) a name or value that is not UTF-8 once percent-decoded:
    /// replacing the bytes with U+FFFD would store something the caller never sent.
    pub fn parse(raw_query: &str, body: &[u8]) -> Result<Self, AwsError> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for source in [raw_query.as_bytes(), body] {
            for piece in source.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
                let (raw_name, raw_value) = match piece.iter().position(|&b| b == b'=') {
                    Some(i) => (&piece[..i], &piece[i + 1..]),
                    None => (piece, &[][..]),
                };
                let name = form_decode(raw_name).ok_or_else(|| {
                    AwsError::validation(
                        "1 validation error detected: a parameter name is not valid UTF-8 once percent-decoded",
                    )
                })?;
                let value = form_decode(raw_value).ok_or_else(|| {
                    AwsError::validation(format!(
                        "1 validation error detected: Value at '{}' failed to satisfy constraint: Member must be valid UTF-8 once percent-decoded",
                        member_path(&name)
                    ))
                })?;
                if name.starts_with("X-Amz-") {
                    continue; // presigned-URL signature parameters are not operation input
                }
                pairs.push((name, value));
            }
        }
        Ok(Self { pairs })
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The value of a required parameter, or AWS's `MissingParameter`-style validation error.
    pub fn require(&self, name: &str) -> Result<&str, AwsError> {
        self.get(name).ok_or_else(|| must_not_be_null(name))
    }

    /// `Action`.
    pub fn action(&self) -> Option<&str> {
        self.get("Action")
    }

    /// All parameters in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }
}

/// A list index as AWS's SDKs write it: `1`, `2`, ... in plain decimal (no sign, no leading
/// zeros, no overflow).
pub(crate) fn parse_index(text: &str) -> Option<usize> {
    if text.is_empty() || text.starts_with('0') || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Percent-decodes one `application/x-www-form-urlencoded` name or value (`+` is a space);
/// `None` when the decoded bytes are not UTF-8.
fn form_decode(raw: &[u8]) -> Option<String> {
    let spaced: Cow<'_, [u8]> = if raw.contains(&b'+') {
        Cow::Owned(raw.iter().map(|&b| if b == b'+' { b' ' } else { b }).collect())
    } else {
        Cow::Borrowed(raw)
    };
    let decoded: Cow<'_, [u8]> = percent_encoding::percent_decode(&spaced).into();
    String::from_utf8(decoded.into_owned()).ok()
}

/// AWS's "Value null at '...' failed to satisfy constraint: Member must not be null".
pub(crate) fn must_not_be_null(param: &str) -> AwsError {
    AwsError::validation(format!(
        "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
        member_path(param)
    ))
}

/// A malformed member name of the list `list`, refused as a constraint on the list.
pub(crate) fn malformed_member(key: &str, list: &str, constraint: &str) -> AwsError {
    AwsError::validation(format!(
        "1 validation error detected: Value '{key}' at '{}' failed to satisfy constraint: {constraint}",
        member_path(list)
    ))
}

/// A parameter name as AWS spells it in validation messages: `Tags.member.1.Key` ->
/// `tags.1.member.key`, `UserName` -> `userName`.
pub fn member_path(param: &str) -> String {
    let segments: Vec<&str> = param.split('.').collect();
    let mut out: Vec<String> = Vec::with_capacity(segments.len());
    let mut i = 0;
    while i < segments.len() {
        match (segments[i], segments.get(i + 1)) {
            ("member", Some(index)) if parse_index(index).is_some() => {
                out.push((*index).to_owned());
                out.push("member".to_owned());
                i += 2;
            }
            (segment, _) => {
                out.push(lower_first(segment));
                i += 1;
            }
        }
    }
    out.join(".")
}

/// `groupId` -> `GroupId`, as EC2 spells a member's `locationName` in requests.
pub fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// `UserName` -> `userName`, as AWS spells members in messages and CloudTrail parameters.
pub fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(query: &str) -> QueryParams {
        QueryParams::parse(query, b"").expect("well-formed query")
    }

    fn message(e: &AwsError) -> String {
        e.message().to_owned()
    }

    #[test]
    fn parses_query_and_body() {
        let p = QueryParams::parse(
            "Action=ListUsers&X-Amz-Signature=abc",
            b"Version=2010-05-08&Tags.member.1=a&Tags.member.2=b+c",
        )
        .unwrap();
        assert_eq!(p.action(), Some("ListUsers"));
        assert_eq!(p.get("Version"), Some("2010-05-08"));
        assert_eq!(p.get("X-Amz-Signature"), None);
        assert_eq!(p.get("Tags.member.2"), Some("b c"));
    }

    #[test]
    fn decodes_like_form_urlencoded() {
        let p = parse("A=%2B+%20%C3%A9&B&C=&%44=x&&E=%zz&F=a=b");
        assert_eq!(p.get("A"), Some("+  é"));
        assert_eq!(p.get("B"), Some(""));
        assert_eq!(p.get("C"), Some(""));
        assert_eq!(p.get("D"), Some("x"));
        assert_eq!(p.get("E"), Some("%zz"));
        assert_eq!(p.get("F"), Some("a=b"));
    }

    #[test]
    fn refuses_values_and_names_that_are_not_utf8() {
        for (query, body) in [
            ("UserName=%FF", &b""[..]),
            ("", &b"UserName=%C3"[..]),
            ("", &b"Tags.member.1.Key=%ED%A0%80"[..]), // an encoded surrogate
            ("%FF=x", &b""[..]),
            ("", &b"X-Amz-Foo=%FF"[..]),
        ] {
            let e = QueryParams::parse(query, body).unwrap_err();
            assert_eq!((e.code(), e.status()), ("ValidationError", 400), "{query} {body:?}");
        }
        let e = QueryParams::parse("UserName=%FF", b"").unwrap_err();
        assert!(message(&e).contains("at 'userName'"), "{}", message(&e));
        let e = QueryParams::parse("Tags.member.1.Key=%FF", b"").unwrap_err();
        assert!(message(&e).contains("at 'tags.1.member.key'"), "{}", message(&e));
    }

    #[test]
    fn member_paths_as_aws_spells_them() {
        assert_eq!(member_path("UserName"), "userName");
        assert_eq!(member_path("Tags.member.1.Key"), "tags.1.member.key");
        assert_eq!(member_path("ContextEntries.member.2.ContextKeyValues"), "contextEntries.2.member.contextKeyValues");
        assert_eq!(member_path("Tags.member.0"), "tags.member.0");
    }

    proptest! {



        #[test]
        fn values_parse_exactly_when_they_decode_to_utf8(bytes in prop::collection::vec(any::<u8>(), 0..12)) {
            let encoded: String = bytes.iter().map(|b| format!("%{b:02X}")).collect();
            let parsed = QueryParams::parse(&format!("V={encoded}"), b"");
            match std::str::from_utf8(&bytes) {
                Ok(text) => prop_assert_eq!(parsed.unwrap().get("V").map(str::to_owned), Some(text.to_owned())),
                Err(_) => prop_assert_eq!(parsed.unwrap_err().code().to_owned(), "ValidationError"),
            }
        }
    }
}
