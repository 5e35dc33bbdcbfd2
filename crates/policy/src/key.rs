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
        let lower: Box<str> = if name.bytes().any(|b| b.is_ascii_uppercase()) || !name.is_ascii() {
            name.to_lowercase().into()
        } else {
            name.into()
        };
        KeyName { hash: fnv1a(lower.as_bytes()), lower }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_insensitive() {
        assert_eq!(KeyName::new("aws:SourceIp"), KeyName::new("AWS:sourceip"));
        assert_eq!(KeyName::new("aws:PrincipalTag/Équipe").as_str(), "aws:principaltag/équipe");
        assert_ne!(KeyName::new("a").hash(), KeyName::new("b").hash());
    }
}
