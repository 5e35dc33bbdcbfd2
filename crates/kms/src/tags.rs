//! Tags: `TagResource`, `UntagResource`, `ListResourceTags`.

use crate::Kms;
use crate::authz::Conditions;
use crate::error::{limit_exceeded, missing, serialization};
use crate::input::{opt_str_list, paging, req_str};
use rampart_core::AwsError;
use rampart_wire::Call;
use serde_json::{Value, json};

const MAX_TAGS: usize = 50;

fn tag_error(msg: impl Into<String>) -> AwsError {
    AwsError::new("TagException", 400, msg)
}

/// Parses a `Tags` list (`[{TagKey, TagValue}]`).
pub(crate) fn parse_tags(input: &Value, field: &str) -> Result<Option<Vec<(String, String)>>, AwsError> {
    let Some(v) = input.get(field).filter(|v| !v.is_null()) else { return Ok(None) };
    let list = v.as_array().ok_or_else(|| serialization(format!("Field {field} must be a list.")))?;
    let mut out: Vec<(String, String)> = Vec::with_capacity(list.len());
    for t in list {
        let k = t.get("TagKey").and_then(Value::as_str).ok_or_else(|| missing("TagKey"))?;
        let v = t.get("TagValue").and_then(Value::as_str).ok_or_else(|| missing("TagValue"))?;
        if k.is_empty() || k.chars().count() > 128 {
            return Err(tag_error(format!("Tag key '{k}' must be 1 to 128 characters.")));
        }
        if v.chars().count() > 256 {
            return Err(tag_error(format!("Tag value of '{k}' must be at most 256 characters.")));
        }
        if k.to_ascii_lowercase().starts_with("aws:") {
            return Err(tag_error("Tags beginning with aws: are reserved."));
        }
        match out.iter_mut().find(|(ek, _)| ek == k) {
            Some(e) => e.1 = v.to_owned(),
            None => out.push((k.to_owned(), v.to_owned())),
        }
    }
    if out.len() > MAX_TAGS {
        return Err(limit_exceeded(format!("A key can have at most {MAX_TAGS} tags.")));
    }
    Ok(Some(out))
}

/// `aws:RequestTag/*` and `aws:TagKeys` of a request with `Tags`.
pub(crate) fn request_tag_conditions(input: &Value) -> Conditions {
    let tags = parse_tags(input, "Tags").ok().flatten().unwrap_or_default();
    let mut c: Conditions = tags.iter().map(|(k, v)| (format!("aws:RequestTag/{k}"), vec![v.clone()])).collect();
    if !tags.is_empty() {
        c.push(("aws:TagKeys".into(), tags.into_iter().map(|(k, _)| k).collect()));
    }
    c
}

/// `aws:TagKeys` of `UntagResource`.
pub(crate) fn tag_keys_conditions(input: &Value) -> Conditions {
    match opt_str_list(input, "TagKeys").ok().flatten() {
        Some(keys) if !keys.is_empty() => vec![("aws:TagKeys".into(), keys)],
        _ => vec![],
    }
}

/// `TagResource`.
pub(crate) fn tag_resource(kms: &Kms, call: &Call) -> Result<Value, AwsError> {
    let caller = call.caller()?;
    let input = call.json();
    let key = kms.resolve(caller.account_id.as_str(), req_str(input, "KeyId", 2048)?)?;
    let tags = parse_tags(input, "Tags")?.ok_or_else(|| missing("Tags"))?;
    kms.update_key(&key.key_id, |k| {
        kms.check_not_pending_deletion(k)?;
        for (tk, tv) in &tags {
            match k.tags.iter_mut().find(|(ek, _)| ek == tk) {
                Some(e) => e.1 = tv.clone(),
                None => k.tags.push((tk.clone(), tv.clone())),
            }
        }
        if k.tags.len() > MAX_TAGS {
            return Err(limit_exceeded(format!("A key can have at most {MAX_TAGS} tags.")));
        }
        Ok(())
    })?;
    Ok(json!({}))
}

/// `UntagResource`.
pub(crate) fn untag_resource(kms: &Kms, call: &Call) -> Result<Value, AwsError> {
    let caller = call.caller()?;
    let input = call.json();
    let key = kms.resolve(caller.account_id.as_str(), req_str(input, "KeyId", 2048)?)?;
    let keys = opt_str_list(input, "TagKeys")?.ok_or_else(|| missing("TagKeys"))?;
    kms.update_key(&key.key_id, |k| {
        kms.check_not_pending_deletion(k)?;
        k.tags.retain(|(tk, _)| !keys.contains(tk));
        Ok(())
    })?;
    Ok(json!({}))
}

/// `ListResourceTags`.
pub(crate) fn list_resource_tags(kms: &Kms, call: &Call) -> Result<Value, AwsError> {
    let caller = call.caller()?;
    let input = call.json();
    let key = kms.resolve(caller.account_id.as_str(), req_str(input, "KeyId", 2048)?)?;
    let (limit, marker) = paging(input, 50)?;
    let start = match marker {
        Some(m) => m.parse::<usize>().map_err(|_| crate::error::invalid_marker())?,
        None => 0,
    };
    let page: Vec<Value> =
        key.tags.iter().skip(start).take(limit).map(|(k, v)| json!({ "TagKey": k, "TagValue": v })).collect();
    let truncated = start + page.len() < key.tags.len();
    let mut out = json!({ "Tags": page, "Truncated": truncated });
    if truncated {
        out["NextMarker"] = json!((start + limit).to_string());
    }
    Ok(out)
}
