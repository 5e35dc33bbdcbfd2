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

/// Checks a path: `/` or `/.../` of printable ASCII, at most 512 characters.
pub fn check_path(param: &str, value: &str) -> Result<(), AwsError> {
    let ok = value == "/"
        || (value.len() >= 2
            && value.len() <= 512
            && value.starts_with('/')
            && value.ends_with('/')
            && value.bytes().all(|b| (0x21..=0x7e).contains(&b)));
    if ok {
        Ok(())
    } else {
        Err(constraint(
            param,
            value,
            "Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)",
        ))
    }
}

/// The `Path` parameter, `/` when absent.
pub fn path_param(q: &QueryParams, name: &str) -> Result<String, AwsError> {
    let path = q.get(name).unwrap_or("/");
    check_path(name, path)?;
    Ok(path.to_owned())
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
pub fn tags_param(q: &QueryParams, name: &str) -> Result<Vec<Tag>, AwsError> {
    let mut tags: Vec<Tag> = Vec::new();
    for i in 1.. {
        let Some(key) = q.get(&format!("{name}.member.{i}.Key")) else { break };
        let value = q.get(&format!("{name}.member.{i}.Value")).unwrap_or("");
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

/// Removes the tags whose keys are listed in `TagKeys.member.N`.
pub fn untag(tags: &mut Vec<Tag>, q: &QueryParams) {
    let keys = q.list("TagKeys");
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
    }

    #[test]
    fn documents_are_url_encoded() {
        assert_eq!(encode_document("{\"a\": 1}"), "%7B%22a%22%3A%201%7D");
    }
}
