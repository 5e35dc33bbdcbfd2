//! Tags: `TagResource`, `UntagResource`, `ListResourceTags`.

use crate::Kms;
use crate::authz::Conditions;
use crate::error::limit_exceeded;
use crate::input::{index_marker, limit_or, opt_str_list};
use crate::shapes::kms::{
    ListResourceTagsRequest, ListResourceTagsResponse, Tag, TagResourceRequest, UntagResourceRequest,
};
use rampart_core::AwsError;
use rampart_wire::Call;
use rampart_wire::model::Empty;
use serde_json::Value;

const MAX_TAGS: usize = 50;

fn tag_error(msg: impl Into<String>) -> AwsError {
    AwsError::new("TagException", 400, msg)
}

/// A request's tags (the model checks each key's and value's length) as pairs, a repeated key
/// keeping its last value; refuses reserved keys and too many tags.
pub(crate) fn parse_tags(tags: Option<&[Tag]>) -> Result<Option<Vec<(String, String)>>, AwsError> {
    let Some(list) = tags else { return Ok(None) };
    let mut out: Vec<(String, String)> = Vec::with_capacity(list.len());
    for t in list {
        let (k, v) = (&t.tag_key, &t.tag_value);
        if k.to_ascii_lowercase().starts_with("aws:") {
            return Err(tag_error("Tags beginning with aws: are reserved."));
        }
        match out.iter_mut().find(|(ek, _)| ek == k) {
            Some(e) => e.1.clone_from(v),
            None => out.push((k.clone(), v.clone())),
        }
    }
    if out.len() > MAX_TAGS {
        return Err(limit_exceeded(format!("A key can have at most {MAX_TAGS} tags.")));
    }
    Ok(Some(out))
}

/// The tags of a request's checked value tree, for condition keys (before the handler runs).
fn tree_tags(input: &Value) -> Vec<(String, String)> {
    let tags: Option<Vec<Tag>> = input.get("Tags").and_then(|t| serde_json::from_value(t.clone()).ok());
    parse_tags(tags.as_deref()).ok().flatten().unwrap_or_default()
}

/// `aws:RequestTag/*` and `aws:TagKeys` of a request with `Tags`.
pub(crate) fn request_tag_conditions(input: &Value) -> Conditions {
    let tags = tree_tags(input);
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
pub(crate) fn tag_resource(kms: &Kms, call: &Call, input: TagResourceRequest) -> Result<Empty, AwsError> {
    let caller = call.caller()?;
    let key = kms.resolve(caller.account_id.as_str(), &input.key_id)?;
    let tags = parse_tags(Some(&input.tags))?.unwrap_or_default();
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
    Ok(Empty {})
}

/// `UntagResource`.
pub(crate) fn untag_resource(kms: &Kms, call: &Call, input: UntagResourceRequest) -> Result<Empty, AwsError> {
    let caller = call.caller()?;
    let key = kms.resolve(caller.account_id.as_str(), &input.key_id)?;
    kms.update_key(&key.key_id, |k| {
        kms.check_not_pending_deletion(k)?;
        k.tags.retain(|(tk, _)| !input.tag_keys.contains(tk));
        Ok(())
    })?;
    Ok(Empty {})
}

/// `ListResourceTags`.
pub(crate) fn list_resource_tags(
    kms: &Kms,
    call: &Call,
    input: ListResourceTagsRequest,
) -> Result<ListResourceTagsResponse, AwsError> {
    let caller = call.caller()?;
    let key = kms.resolve(caller.account_id.as_str(), &input.key_id)?;
    let limit = limit_or(input.limit, 50);
    let start = index_marker(input.marker.as_deref())?;
    let page: Vec<Tag> = key
        .tags
        .iter()
        .skip(start)
        .take(limit)
        .map(|(k, v)| Tag { tag_key: k.clone(), tag_value: v.clone() })
        .collect();
    let truncated = start + page.len() < key.tags.len();
    Ok(ListResourceTagsResponse {
        tags: Some(page),
        next_marker: truncated.then(|| (start + limit).to_string()),
        truncated: Some(truncated),
    })
}
