//! What every IAM operation shares: AWS's errors, name and path rules, ids, tags, pagination and
//! the XML shapes of entities.

use crate::model::Tag;
use rampart_core::AwsError;
use rampart_core::ids::prefixed_id;
use rampart_wire::query::QueryParams;
use rampart_wire::xml::XmlWriter;

/// `NoSuchEntity` (404).
pub fn no_such_entity(what: &str, name: &str) -> AwsError {
    AwsError::new("NoSuchEntity", 404, format!("The {what} with name {name} cannot be found."))
}

/// `EntityAlreadyExists` (409).
pub fn already_exists(what: &str, name: &str) -> AwsError {
    AwsError::new("EntityAlreadyExists", 409, format!("{what} with name {name} already exists."))
}

/// `DeleteConflict` (409).
pub fn delete_conflict(message: impl Into<String>) -> AwsError {
    AwsError::new("DeleteConflict", 409, message)
}

/// `LimitExceeded` (409).
pub fn limit_exceeded(message: impl Into<String>) -> AwsError {
    AwsError::new("LimitExceeded", 409, message)
}

/// `InvalidInput` (400).
pub fn invalid_input(message: impl Into<String>) -> AwsError {
    AwsError::new("InvalidInput", 400, message)
}

/// `MalformedPolicyDocument` (400).
pub fn malformed_policy(message: impl Into<String>) -> AwsError {
    AwsError::new("MalformedPolicyDocument", 400, message)
}

/// AWS's `ValidationError` for `value` of `param` breaking `rule`.
pub(crate) fn constraint(param: &str, value: &str, rule: &str) -> AwsError {
    AwsError::validation(format!(
        "1 validation error detected: Value '{value}' at '{}' failed to satisfy constraint: {rule}",
        rampart_wire::query::lower_first(param)
    ))
}

/// Checks a user, role or group name (`[\w+=,.@-]+`, `max` characters at most).
pub fn check_name(param: &str, value: &str, max: usize) -> Result<(), AwsError> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c);
    if value.is_empty() || value.chars().count() > max {
        return Err(constraint(param, value, &format!("Member must have length less than or equal to {max}")));
    }
    if !value.chars().all(ok_char) {
        return Err(constraint(param, value, "Member must satisfy regular expression pattern: [\\w+=,.@-]+"));
    }
    Ok(())
}

/// IAM's `pathType` pattern: `/` alone, or `/.../` of printable ASCII.
const PATH_PATTERN: &str = "(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)";
/// IAM's `policyPathType` pattern (`CreatePolicy`, `ListPolicies`, `ListAttached*Policies`).
const POLICY_PATH_PATTERN: &str = "((/[A-Za-z0-9\\.,\\+@=_-]+)*)/";
/// Every IAM path and path prefix is 1 to 512 characters.
const MAX_PATH: usize = 512;

/// Checks a path against IAM's `pathType`: `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`, 1 to
/// 512 characters (`/` and `/a/` are paths, `//` is not).
pub fn check_path(param: &str, value: &str) -> Result<(), AwsError> {
    let ok = value == "/"
        || (value.len() >= 3
            && value.starts_with('/')
            && value.ends_with('/')
            && value.bytes().all(|b| (0x21..=0x7e).contains(&b)));
    check_path_shape(param, value, ok, PATH_PATTERN)
}

/// Checks a managed policy's path (or path prefix) against IAM's `policyPathType`:
/// `((/[A-Za-z0-9\.,\+@=_-]+)*)/`, 1 to 512 characters.
pub fn check_policy_path(param: &str, value: &str) -> Result<(), AwsError> {
    let segment_ok = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b".,+@=_-".contains(&b));
    let ok = value == "/"
        || value
            .strip_prefix('/')
            .and_then(|v| v.strip_suffix('/'))
            .is_some_and(|inner| inner.split('/').all(segment_ok));
    check_path_shape(param, value, ok, POLICY_PATH_PATTERN)
}

/// The length rule every path shares, then the pattern's verdict `matches`.
fn check_path_shape(param: &str, value: &str, matches: bool, pattern: &str) -> Result<(), AwsError> {
    if value.is_empty() {
        return Err(constraint(param, value, "Member must have length greater than or equal to 1"));
    }
    if value.chars().count() > MAX_PATH {
        return Err(constraint(param, value, &format!("Member must have length less than or equal to {MAX_PATH}")));
    }
    if !matches {
        return Err(constraint(param, value, &format!("Member must satisfy regular expression pattern: {pattern}")));
    }
    Ok(())
}

/// The `Path` parameter, `/` when absent.
pub fn path_param(q: &QueryParams, name: &str) -> Result<String, AwsError> {
    let path = q.get(name).unwrap_or("/");
    check_path(name, path)?;
    Ok(path.to_owned())
}

/// The `PathPrefix` parameter of the managed-policy listings, `/` when absent.
pub fn policy_path_prefix_param(q: &QueryParams) -> Result<&str, AwsError> {
    let prefix = q.get("PathPrefix").unwrap_or("/");
    check_policy_path("PathPrefix", prefix)?;
    Ok(prefix)
}

/// A required name parameter, checked.
pub fn name_param<'q>(q: &'q QueryParams, param: &str, max: usize) -> Result<&'q str, AwsError> {
    let v = q.require(param)?;
    check_name(param, v, max)?;
    Ok(v)
}

/// A new unique id with an IAM prefix (`AIDA`, `AROA`, `AGPA`, `ANPA`, `AIPA`): 21 characters.
pub fn new_unique_id(prefix: &str) -> String {
    prefixed_id(prefix, 21)
}

/// `Tags.member.N.Key/Value` parameters, validated as AWS does (at most 50, keys unique).
///
/// `Key` and `Value` are both required members of IAM's and STS's `Tag` (an empty value is
/// `Value=`), so a member without either is refused, as AWS refuses it.
pub fn tags_param(q: &QueryParams, name: &str) -> Result<Vec<Tag>, AwsError> {
    let mut tags: Vec<Tag> = Vec::new();
    for member in q.structures(name)? {
        let key = member.require("Key")?;
        let value = member.require("Value")?;
        if key.is_empty() || key.chars().count() > 128 {
            return Err(invalid_input(format!("tag key `{key}` must be 1 to 128 characters")));
        }
        if value.chars().count() > 256 {
            return Err(invalid_input(format!("tag value of `{key}` must be at most 256 characters")));
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(invalid_input("tag keys beginning with `aws:` are reserved for AWS use"));
        }
        if tags.iter().any(|t| t.key.eq_ignore_ascii_case(key)) {
            return Err(invalid_input(format!("duplicate tag key `{key}`: tag keys must be unique")));
        }
        tags.push(Tag { key: key.to_owned(), value: value.to_owned() });
    }
    if tags.len() > 50 {
        return Err(limit_exceeded("The number of tags has reached the maximum limit of 50."));
    }
    Ok(tags)
}

/// Merges `new` tags into `tags` (same key replaces), keeping the 50-tag limit.
pub fn merge_tags(tags: &mut Vec<Tag>, new: Vec<Tag>) -> Result<(), AwsError> {
    for t in new {
        match tags.iter_mut().find(|x| x.key.eq_ignore_ascii_case(&t.key)) {
            Some(existing) => *existing = t,
            None => tags.push(t),
        }
    }
    if tags.len() > 50 {
        return Err(limit_exceeded("The number of tags has reached the maximum limit of 50."));
    }
    Ok(())
}

/// The `TagKeys.member.N` parameter of the `Untag*` operations.
pub fn tag_keys_param(q: &QueryParams) -> Result<Vec<String>, AwsError> {
    Ok(q.list("TagKeys")?.into_iter().map(str::to_owned).collect())
}

/// Removes the tags whose keys are in `keys`.
pub fn untag(tags: &mut Vec<Tag>, keys: &[String]) {
    tags.retain(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)));
}

/// Writes `<Tags><member><Key/><Value/></member>...</Tags>` (nothing when empty and `skip_empty`).
pub fn write_tags(w: &mut XmlWriter, tags: &[Tag], skip_empty: bool) {
    if tags.is_empty() && skip_empty {
        return;
    }
    w.open("Tags");
    for t in tags {
        w.open("member").element("Key", &t.key).element("Value", &t.value).close("member");
    }
    w.close("Tags");
}

/// Tags as IAM's API shapes them.
pub fn tag_shapes(tags: &[Tag]) -> Vec<crate::shapes::iam::Tag> {
    tags.iter().map(|t| crate::shapes::iam::Tag { key: t.key.clone(), value: t.value.clone() }).collect()
}

/// Tags from a modeled request. The model layer checked their count, lengths, characters and
/// presence; what it cannot express is checked here as `tags_param` does: keys beginning with
/// `aws:` are reserved, and keys are unique (case-insensitively).
pub fn tags_from(tags: Option<Vec<crate::shapes::iam::Tag>>) -> Result<Vec<Tag>, AwsError> {
    checked_tags(tags.unwrap_or_default().into_iter().map(|t| (t.key, t.value)))
}

/// `(key, value)` pairs of a modeled request as tags: no reserved (`aws:`) or duplicate keys.
pub fn checked_tags(pairs: impl IntoIterator<Item = (String, String)>) -> Result<Vec<Tag>, AwsError> {
    let mut tags: Vec<Tag> = Vec::new();
    for (key, value) in pairs {
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(invalid_input("tag keys beginning with `aws:` are reserved for AWS use"));
        }
        if tags.iter().any(|t| t.key.eq_ignore_ascii_case(&key)) {
            return Err(invalid_input(format!("duplicate tag key `{key}`: tag keys must be unique")));
        }
        tags.push(Tag { key, value });
    }
    Ok(tags)
}

/// Pages `items` (already in key order, at most `max + 1`): the page, whether it is truncated,
/// and the marker of the next page.
pub fn page_of<T>(items: Vec<(String, T)>, max: usize) -> (Vec<T>, bool, Option<String>) {
    let truncated = items.len() > max;
    let mut out = Vec::with_capacity(max.min(items.len()));
    let mut last = None;
    for (key, item) in items.into_iter().take(max) {
        last = Some(key);
        out.push(item);
    }
    (out, truncated, if truncated { last } else { None })
}

/// `MaxItems` (1 to 1000, default 100) and `Marker`.
pub fn paging(q: &QueryParams) -> Result<(usize, Option<String>), AwsError> {
    let max = match q.get("MaxItems") {
        None => 100,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => return Err(constraint("MaxItems", v, "Member must have value between 1 and 1000")),
        },
    };
    Ok((max, q.get("Marker").map(str::to_owned)))
}

/// Pages `items` (already in key order) after `marker`, writing `IsTruncated` and `Marker`.
pub fn page<T>(items: Vec<(String, T)>, max: usize, w: &mut XmlWriter) -> Vec<T> {
    let truncated = items.len() > max;
    let mut out = Vec::with_capacity(max.min(items.len()));
    let mut last = None;
    for (key, item) in items.into_iter().take(max) {
        last = Some(key);
        out.push(item);
    }
    w.element("IsTruncated", if truncated { "true" } else { "false" });
    if let (true, Some(k)) = (truncated, last) {
        w.element("Marker", &k);
    }
    out
}

/// A policy document as IAM returns it: URL-encoded JSON (the SDKs decode it).
pub fn encode_document(doc: &str) -> String {
    percent_encoding::utf8_percent_encode(doc, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The ARN `arn:aws:iam::ACCOUNT:{kind}{path}{name}`.
pub fn entity_arn(account: &rampart_core::ids::AccountId, kind: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:{kind}{path}{name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_paths() {
        assert!(check_name("UserName", "alice+ops@example.com", 64).is_ok());
        assert!(check_name("UserName", "bad name", 64).is_err());
        assert!(check_name("UserName", &"a".repeat(65), 64).is_err());
        assert!(check_path("Path", "/").is_ok());
        assert!(check_path("Path", "/division/team/").is_ok());
        assert!(check_path("Path", "division/").is_err());
        assert!(check_path("Path", "/a b/").is_err());
        assert!(check_path("Path", "//").is_err());
        assert!(check_path("Path", "///").is_ok());
        assert!(check_path("Path", "/a/").is_ok());
        assert!(check_path("Path", "").is_err());
        assert!(check_path("Path", &format!("/{}/", "a".repeat(510))).is_ok());
        assert!(check_path("Path", &format!("/{}/", "a".repeat(511))).is_err());
        let e = check_path("Path", "//").unwrap_err();
        assert_eq!(e.code(), "ValidationError");
        assert_eq!(
            e.message(),
            "1 validation error detected: Value '//' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)"
        );
    }

    #[test]
    fn policy_paths() {
        for ok in ["/", "/a/", "/a.b,c+d@e=f_g-h/i/"] {
            assert!(check_policy_path("Path", ok).is_ok(), "{ok}");
        }
        for bad in ["", "//", "/a", "a/", "/a//b/", "/a b/", "/a:b/", "///"] {
            assert!(check_policy_path("Path", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn documents_are_url_encoded() {
        assert_eq!(encode_document("{\"a\": 1}"), "%7B%22a%22%3A%201%7D");
    }
}
