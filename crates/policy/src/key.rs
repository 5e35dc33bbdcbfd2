//! Condition-key names: lower-cased (keys are case-insensitive) and hashed once, when a policy is
//! compiled or a context key is set, so that a lookup during evaluation hashes nothing.

/// A lower-cased, pre-hashed condition-key name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyName {
    hash: u64,
    lower: Box<str>,
}

impl KeyName {
    /// The key `name`, in any case.
    pub(crate) fn new(name: &str) -> KeyName {
        let lower: Box<str> =
            if name.is_ascii() { name.to_ascii_lowercase().into() } else { name.to_lowercase().into() };
        KeyName { hash: fnv1a(lower.as_bytes()), lower }
    }

    /// Whether this is the key `name` (in any case), without allocating when `name` is ASCII.
    pub(crate) fn is(&self, name: &str) -> bool {
        if name.is_ascii() {
            // The lower-cased form of an ASCII name is its ASCII lower-casing.
            self.hash == fnv1a_ascii_lowercase(name.as_bytes()) && self.lower.eq_ignore_ascii_case(name)
        } else {
            *self == KeyName::new(name)
        }
    }

    /// The hash of the lower-cased name.
    pub(crate) fn hash(&self) -> u64 {
        self.hash
    }

    /// The lower-cased name.
    pub(crate) fn as_str(&self) -> &str {
        &self.lower
    }
}

/// FNV-1a, 64 bits: cheap for short keys, and well mixed enough to index a hash table directly.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
    }
    h ^ (h >> 32)
}

/// [`fnv1a`] of the ASCII lower-casing of `bytes`.
fn fnv1a_ascii_lowercase(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h = (h ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(0x0100_0000_01b3);
    }
    h ^ (h >> 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_insensitive() {
        assert_eq!(KeyName::new("aws:SourceIp"), KeyName::new("AWS:sourceip"));
        assert_eq!(KeyName::new("aws:PrincipalTag/Équipe").as_str(), "aws:principaltag/équipe");
        assert_ne!(KeyName::new("a").hash(), KeyName::new("b").hash());
        assert_eq!(KeyName::new("\u{212A}ms:X").as_str(), "kms:x", "the Kelvin sign lower-cases to ASCII k");
    }

    #[test]
    fn is_matches_any_case_without_allocating() {
        let k = KeyName::new("aws:PrincipalTag/Team");
        assert!(k.is("AWS:principaltag/team"));
        assert!(!k.is("aws:principaltag/tean"));
        let e = KeyName::new("aws:PrincipalTag/Équipe");
        assert!(e.is("aws:principaltag/ÉQUIPE"));
        assert!(!e.is("aws:principaltag/equipe"));
        assert!(KeyName::new("\u{212A}ms:X").is("KMS:x"));
    }
}
