//! The AWS query protocol's request side: form parameters (`Action=...&Version=...`).

/// Parameters of a query-protocol request, from the URL query and the form body together.
#[derive(Debug, Clone, Default)]
pub struct QueryParams {
    pairs: Vec<(String, String)>,
}

impl QueryParams {
    /// Parses the URL query and the `application/x-www-form-urlencoded` body.
    pub fn parse(raw_query: &str, body: &[u8]) -> Self {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for source in [raw_query.as_bytes(), body] {
            for (k, v) in form_urlencoded::parse(source) {
                if k.starts_with("X-Amz-") {
                    continue; // presigned-URL signature parameters are not operation input
                }
                pairs.push((k.into_owned(), v.into_owned()));
            }
        }
        Self { pairs }
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The value of a required parameter, or AWS's `MissingParameter`-style validation error.
    pub fn require(&self, name: &str) -> Result<&str, rampart_core::AwsError> {
        self.get(name).ok_or_else(|| {
            rampart_core::AwsError::validation(format!(
                "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
                lower_first(name)
            ))
        })
    }

    /// `Action`.
    pub fn action(&self) -> Option<&str> {
        self.get("Action")
    }

    /// All parameters in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The members of a list parameter `Name.member.N`, in index order (stops at the first gap).
    pub fn list(&self, name: &str) -> Vec<&str> {
        let mut out = Vec::new();
        for i in 1.. {
            let key = format!("{name}.member.{i}");
            match self.get(&key) {
                Some(v) => out.push(v),
                None => break,
            }
        }
        out
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

    #[test]
    fn parses_query_and_body() {
        let p = QueryParams::parse(
            "Action=ListUsers&X-Amz-Signature=abc",
            b"Version=2010-05-08&Tags.member.1=a&Tags.member.2=b+c",
        );
        assert_eq!(p.action(), Some("ListUsers"));
        assert_eq!(p.get("Version"), Some("2010-05-08"));
        assert_eq!(p.get("X-Amz-Signature"), None);
        assert_eq!(p.list("Tags"), vec!["a", "b c"]);
    }
}
