//! What every IAM operation shares: AWS's errors, name and path rules, ids, tags, pagination and
//! the XML shapes of entities.

use crate::model::Tag;
use rampart_core::AwsError;
use rampart_core::ids::prefixed_id;

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

/// A new unique id with an IAM prefix (`AIDA`, `AROA`, `AGPA`, `ANPA`, `AIPA`): 21 characters.
pub fn new_unique_id(prefix: &str) -> String {
    prefixed_id(prefix, 21)
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

/// Removes the tags whose keys are in `keys`.
pub fn untag(tags: &mut Vec<Tag>, keys: &[String]) {
    tags.retain(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)));
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

    /// The model's patterns read paths as the hand-written checks they replaced did.
    #[test]
    fn path_patterns_of_the_model() {
        let model = crate::api::model();
        let matches = |shape: &str, value: &str| model.shape_named(shape).unwrap().regex().unwrap().is_match(value);
        for ok in ["/", "/a/", "/a.b,c+d@e=f_g-h/i/"] {
            assert!(matches("policyPathType", ok), "{ok}");
        }
        for bad in ["", "//", "/a", "a/", "/a//b/", "/a b/", "/a:b/", "///"] {
            assert!(!matches("policyPathType", bad), "{bad}");
        }
        for ok in ["/", "/division/team/", "///", "/a/"] {
            assert!(matches("pathType", ok), "{ok}");
        }
        for bad in ["division/", "/a b/", "//", ""] {
            assert!(!matches("pathType", bad), "{bad}");
        }
    }

    #[test]
    fn documents_are_url_encoded() {
        assert_eq!(encode_document("{\"a\": 1}"), "%7B%22a%22%3A%201%7D");
    }
}
