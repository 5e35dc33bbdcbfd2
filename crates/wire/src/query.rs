//! The AWS query protocol's request side: form parameters (`Action=...&Version=...`).
//!
//! Parsing is strict: a request whose parameters cannot be read exactly as sent is refused, never
//! read approximately. Names and values must be UTF-8 once percent-decoded, and every parameter
//! that looks like a member of a list the operation reads (`Name.member.N`, `Name.member.N.Field`)
//! must be well formed: indexes are decimal numbers without sign or leading zeros, run from 1
//! without gaps, and names have no empty segments.
//!
//! AWS documents none of the error responses for these cases, so Rampart answers each with the
//! query protocol's `ValidationError` (400), worded the way AWS words its other constraint
//! failures ("1 validation error detected: Value ... at '...' failed to satisfy constraint: ...").
//! A missing required field of a list member is answered exactly as AWS answers it:
//! "Value null at 'tags.1.member.key' failed to satisfy constraint: Member must not be null".

use rampart_core::AwsError;
use std::borrow::Cow;
use std::collections::BTreeMap;

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

    /// The members of a list of strings `Name.member.N`, in index order (empty when absent).
    ///
    /// Refuses the request if any parameter under `Name.member` is malformed: an index that is
    /// not `1..=N` in plain decimal, a gap, a member given twice, or a name with more after the
    /// index (`Name.member.1.Key` belongs to a list of structures).
    pub fn list(&self, name: &str) -> Result<Vec<&str>, AwsError> {
        let members = group_members(name, self.entries_of(name), MemberShape::Scalar)?;
        Ok(members.into_iter().filter_map(|fields| fields.first().map(|e| e.value)).collect())
    }

    /// The members of a list of structures `Name.member.N.Field`, in index order (empty when
    /// absent).
    ///
    /// Refuses the request on the same malformed names as [`QueryParams::list`], and on a member
    /// name with nothing, or an empty segment, after its index (`Name.member.1`,
    /// `Name.member.1..Key`). Whether a field is required is the caller's to say, through
    /// [`Member::require`].
    pub fn structures(&self, name: &str) -> Result<Vec<Member<'_>>, AwsError> {
        let members = group_members(name, self.entries_of(name), MemberShape::Structure)?;
        Ok(members
            .into_iter()
            .enumerate()
            .map(|(i, fields)| Member { prefix: format!("{name}.member.{}", i + 1), fields })
            .collect())
    }

    /// The parameters under the list `name`, with what follows `name.member` in each.
    fn entries_of<'q>(&'q self, name: &str) -> impl Iterator<Item = Entry<'q>> + 'q {
        let head = format!("{name}.member");
        self.pairs.iter().filter_map(move |(k, v)| {
            list_rest(k, &head).map(|rest| Entry { key: k.as_str(), rest, value: v.as_str() })
        })
    }
}

/// One member of a list of structures: its fields `Name.member.N.Field`.
#[derive(Debug, Clone)]
pub struct Member<'q> {
    /// `Name.member.N`, the name every field of this member starts with.
    prefix: String,
    /// The member's parameters; `rest` is what follows `Name.member.N.`.
    fields: Vec<Entry<'q>>,
}

impl<'q> Member<'q> {
    /// The value of `field` (`Key` for `Tags.member.N.Key`).
    pub fn get(&self, field: &str) -> Option<&'q str> {
        self.fields.iter().find(|e| e.rest == field).map(|e| e.value)
    }

    /// The value of a required field, or AWS's "Value null at 'tags.1.member.key' failed to
    /// satisfy constraint: Member must not be null".
    pub fn require(&self, field: &str) -> Result<&'q str, AwsError> {
        self.get(field).ok_or_else(|| must_not_be_null(&format!("{}.{field}", self.prefix)))
    }

    /// The members of a list of strings inside this member (`Name.member.N.Field.member.M`),
    /// checked as [`QueryParams::list`] checks a list.
    pub fn list(&self, field: &str) -> Result<Vec<&'q str>, AwsError> {
        let name = format!("{}.{field}", self.prefix);
        let head = format!("{field}.member");
        let entries = self
            .fields
            .iter()
            .filter_map(|e| list_rest(e.rest, &head).map(|rest| Entry { key: e.key, rest, value: e.value }));
        let members = group_members(&name, entries, MemberShape::Scalar)?;
        Ok(members.into_iter().filter_map(|fields| fields.first().map(|e| e.value)).collect())
    }
}

/// One parameter seen from a list: its whole name, what follows the list's prefix, its value.
#[derive(Debug, Clone, Copy)]
struct Entry<'q> {
    key: &'q str,
    rest: &'q str,
    value: &'q str,
}

/// Whether a list's members are strings (`Name.member.N`) or structures (`Name.member.N.Field`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MemberShape {
    Scalar,
    Structure,
}

/// What follows `head` (`Name.member`) in `key`: `""` for `key == head`, else what follows
/// `head.`; `None` when the key is not under `head`.
fn list_rest<'k>(key: &'k str, head: &str) -> Option<&'k str> {
    let after = key.strip_prefix(head)?;
    if after.is_empty() { Some(after) } else { after.strip_prefix('.') }
}

/// Groups the parameters of the list `name` by member index, in index order, refusing any
/// malformed name. For `Structure` lists each entry's `rest` becomes the field after the index.
fn group_members<'q>(
    name: &str,
    entries: impl Iterator<Item = Entry<'q>>,
    shape: MemberShape,
) -> Result<Vec<Vec<Entry<'q>>>, AwsError> {
    let mut by_index: BTreeMap<usize, Vec<Entry<'q>>> = BTreeMap::new();
    for entry in entries {
        let (index_text, field) = match entry.rest.split_once('.') {
            Some((index, field)) => (index, Some(field)),
            None => (entry.rest, None),
        };
        let index = parse_index(index_text).ok_or_else(|| {
            malformed_member(
                entry.key,
                name,
                "Member index must be a decimal number from 1, without sign or leading zeros",
            )
        })?;
        let field = match (shape, field) {
            (MemberShape::Scalar, None) => "",
            (MemberShape::Structure, Some(f)) if f.split('.').all(|segment| !segment.is_empty()) => f,
            (MemberShape::Scalar, Some(_)) => {
                return Err(malformed_member(
                    entry.key,
                    name,
                    "Member must be named Name.member.N, with nothing after N",
                ));
            }
            (MemberShape::Structure, _) => {
                return Err(malformed_member(
                    entry.key,
                    name,
                    "Member must be named Name.member.N.Field, with no empty segments",
                ));
            }
        };
        let fields = by_index.entry(index).or_default();
        if fields.iter().any(|e| e.rest == field) {
            return Err(malformed_member(entry.key, name, "Member must not be given more than once"));
        }
        fields.push(Entry { key: entry.key, rest: field, value: entry.value });
    }
    let mut members = Vec::with_capacity(by_index.len());
    for (expected, (index, fields)) in (1..).zip(by_index) {
        if index != expected {
            let key = fields.first().map_or(name, |e| e.key);
            return Err(malformed_member(
                key,
                name,
                &format!("Member indexes must run from 1 without gaps ({name}.member.{expected} is missing)"),
            ));
        }
        members.push(fields);
    }
    Ok(members)
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
        assert_eq!(p.list("Tags").unwrap(), vec!["a", "b c"]);
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
    fn lists_in_index_order() {
        let p = parse("L.member.3=c&L.member.1=a&L.member.2=b&Other.member.1=x&L=");
        assert_eq!(p.list("L").unwrap(), ["a", "b", "c"]);
        assert!(p.list("Absent").unwrap().is_empty());
        let p = parse(
            "L.member.10=j&L.member.1=a&L.member.2=b&L.member.3=c&L.member.4=d&L.member.5=e&L.member.6=f&L.member.7=g&L.member.8=h&L.member.9=i",
        );
        assert_eq!(p.list("L").unwrap().concat(), "abcdefghij");
    }

    #[test]
    fn refuses_malformed_list_members() {
        for query in [
            "L.member.0=a",
            "L.member.-1=a",
            "L.member.+1=a",
            "L.member.01=a",
            "L.member.1a=a",
            "L.member. 1=a",
            "L.member.18446744073709551616=a",
            "L.member.99999999999999999999999=a",
            "L.member.=a",
            "L.member=a",
            "L.member.1=a&L.member.3=c",
            "L.member.2=b",
            "L.member.1=a&L.member.1=b",
            "L.member.1.Key=a",
            "L.member.1.=a",
        ] {
            let e = parse(query).list("L").unwrap_err();
            assert_eq!((e.code(), e.status()), ("ValidationError", 400), "{query}");
            assert!(message(&e).starts_with("1 validation error detected: Value 'L.member"), "{}", message(&e));
        }
        let e = parse("L.member.1=a&L.member.3=c").list("L").unwrap_err();
        assert_eq!(
            message(&e),
            "1 validation error detected: Value 'L.member.3' at 'l' failed to satisfy constraint: Member indexes must run from 1 without gaps (L.member.2 is missing)"
        );
    }

    #[test]
    fn structures_by_member() {
        let p = parse("Tags.member.2.Key=k2&Tags.member.1.Value=v1&Tags.member.1.Key=k1&Tags.member.2.Value=");
        let tags = p.structures("Tags").unwrap();
        assert_eq!(tags.len(), 2);
        assert_eq!((tags[0].require("Key").unwrap(), tags[0].get("Value")), ("k1", Some("v1")));
        assert_eq!((tags[1].require("Key").unwrap(), tags[1].get("Value")), ("k2", Some("")));
        assert_eq!(tags[1].get("Other"), None);
    }

    #[test]
    fn structure_member_missing_a_required_field() {
        let p = parse("Tags.member.1.Key=k&Tags.member.1.Value=v&Tags.member.2.Value=v");
        let tags = p.structures("Tags").unwrap();
        let e = tags[1].require("Key").unwrap_err();
        assert_eq!(e.code(), "ValidationError");
        assert_eq!(
            message(&e),
            "1 validation error detected: Value null at 'tags.2.member.key' failed to satisfy constraint: Member must not be null"
        );
    }

    #[test]
    fn refuses_malformed_structure_members() {
        for query in [
            "Tags.member.0.Key=a",
            "Tags.member.-1.Key=a",
            "Tags.member.18446744073709551616.Key=a",
            "Tags.member..Key=a",
            "Tags.member.1=a",
            "Tags.member.1.=a",
            "Tags.member.1.Key.=a",
            "Tags.member.1..Key=a",
            "Tags.member=a",
            "Tags.member.1.Key=a&Tags.member.3.Key=c",
            "Tags.member.1.Key=a&Tags.member.1.Key=b",
        ] {
            let e = parse(query).structures("Tags").unwrap_err();
            assert_eq!((e.code(), e.status()), ("ValidationError", 400), "{query}");
        }
    }

    #[test]
    fn nested_lists() {
        let p = parse(
            "C.member.1.Name=a&C.member.1.Values.member.2=y&C.member.1.Values.member.1=x&C.member.2.Name=b&C.member.2.Values.member.1=z",
        );
        let entries = p.structures("C").unwrap();
        assert_eq!(entries[0].list("Values").unwrap(), ["x", "y"]);
        assert_eq!(entries[1].list("Values").unwrap(), ["z"]);
        let p = parse("C.member.1.Name=a&C.member.1.Values.member.2=y");
        let e = p.structures("C").unwrap()[0].list("Values").unwrap_err();
        assert!(message(&e).contains("at 'c.1.member.values'"), "{}", message(&e));
        let p = parse("C.member.1.Name=a&C.member.1.Values.member.01=y");
        assert!(p.structures("C").unwrap()[0].list("Values").is_err());
    }

    #[test]
    fn member_paths_as_aws_spells_them() {
        assert_eq!(member_path("UserName"), "userName");
        assert_eq!(member_path("Tags.member.1.Key"), "tags.1.member.key");
        assert_eq!(member_path("ContextEntries.member.2.ContextKeyValues"), "contextEntries.2.member.contextKeyValues");
        assert_eq!(member_path("Tags.member.0"), "tags.member.0");
    }

    /// An index that is not `1..` in plain decimal.
    fn malformed_index() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            "0[0-9]{0,5}",
            "[-+][0-9]{1,5}",
            "[0-9]{0,3}[^0-9.&=%+][0-9]{0,3}",
            "[1-9][0-9]{20,30}",
        ]
    }

    proptest! {
        #[test]
        fn any_order_of_a_well_formed_list_reads_back(values in prop::collection::vec("[a-z0-9]{0,8}", 0..30), seed in any::<u64>()) {
            let mut pairs: Vec<String> = values.iter().enumerate().map(|(i, v)| format!("L.member.{}={v}", i + 1)).collect();
            // A deterministic shuffle from the seed.
            let mut state = seed;
            for i in (1..pairs.len()).rev() {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let j = usize::try_from(state >> 33).unwrap_or(0) % (i + 1);
                pairs.swap(i, j);
            }
            let p = parse(&pairs.join("&"));
            prop_assert_eq!(p.list("L").unwrap(), values.iter().map(String::as_str).collect::<Vec<_>>());
        }

        #[test]
        fn any_malformed_index_is_refused(index in malformed_index(), valid in 0usize..4, structure in any::<bool>()) {
            let mut pairs: Vec<String> = (1..=valid).map(|i| if structure { format!("L.member.{i}.Key=v") } else { format!("L.member.{i}=v") }).collect();
            pairs.push(if structure { format!("L.member.{index}.Key=x") } else { format!("L.member.{index}=x") });
            let p = QueryParams::parse(&pairs.join("&"), b"");
            // A query the index made undecodable is refused too, just earlier.
            if let Ok(p) = p {
                let refused = if structure { p.structures("L").err() } else { p.list("L").err() };
                prop_assert_eq!(refused.map(|e| e.code().to_owned()), Some("ValidationError".to_owned()));
            }
        }

        #[test]
        fn any_gap_is_refused(len in 2usize..20, missing in 1usize..19) {
            prop_assume!(missing < len);
            let pairs: Vec<String> = (1..=len).filter(|i| *i != missing).map(|i| format!("L.member.{i}=v")).collect();
            prop_assert!(parse(&pairs.join("&")).list("L").is_err());
        }

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
