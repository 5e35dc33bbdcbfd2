//! Policy size limits (AWS "IAM and AWS STS quotas"). IAM counts characters excluding whitespace;
//! the caller enforces the limit that applies with [`policy_size`].

/// Customer managed policy document.
pub const MANAGED_POLICY: usize = 6_144;
/// All inline policies of one user, together.
pub const USER_INLINE: usize = 2_048;
/// All inline policies of one group, together.
pub const GROUP_INLINE: usize = 5_120;
/// All inline policies of one role, together.
pub const ROLE_INLINE: usize = 10_240;
/// Role trust policy (the default quota).
pub const TRUST_POLICY: usize = 2_048;
/// Session policy passed inline to `AssumeRole*`/`GetFederationToken` (plain text, before packing).
pub const SESSION_POLICY: usize = 2_048;

/// The size IAM charges against the limits above: the number of characters that are not JSON
/// whitespace.
pub fn policy_size(json: &str) -> usize {
    json.chars().filter(|c| !matches!(c, ' ' | '\t' | '\n' | '\r')).count()
}

#[cfg(test)]
mod tests {
    #[test]
    fn size_ignores_whitespace() {
        assert_eq!(super::policy_size("{ \"a\" :\n\t1 }"), 7);
    }
}
