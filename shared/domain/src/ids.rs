//! Identifier newtypes: parsed once at the edge, trusted everywhere after.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("identifier is empty")]
    Empty,
    #[error("identifier is longer than {max} bytes")]
    TooLong { max: usize },
    #[error("identifier contains a control character")]
    Control,
}

/// Longest identifier accepted: platform ids are far shorter; a longer one is an attack or a bug.
pub const MAX_ID_LEN: usize = 512;

fn check(s: &str) -> Result<(), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty);
    }
    if s.len() > MAX_ID_LEN {
        return Err(IdError::TooLong { max: MAX_ID_LEN });
    }
    if s.chars().any(char::is_control) {
        return Err(IdError::Control);
    }
    Ok(())
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses an identifier: non-empty, bounded, no control characters.
            pub fn parse(s: impl Into<String>) -> Result<Self, IdError> {
                let s = s.into();
                check(&s)?;
                Ok(Self(s))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }
        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// A post, scoped by channel and account: `generic:forum:123`, `x:brand:1712...`.
    PostId
);
id_type!(
    /// A case (a ticket): `case-` followed by a hash of the post that opened it.
    CaseId
);
id_type!(
    /// A customer (a person), who may own several authors (handles).
    CustomerId
);
id_type!(
    /// An author: one handle on one platform, `x:2244994945`, `generic:forum:u-17`.
    AuthorId
);
id_type!(
    /// An agent or supervisor of the brand.
    AgentId
);

/// A stable digest for deterministic ids: the first 128 bits of SHA-256 over the parts (each
/// followed by 0xff, which no UTF-8 text holds), as 32 hex digits.
///
/// Ids derived from business keys make replays land on the same record (invariant 1). Many are
/// derived from ids an outside source chooses (a generic source's author and post ids), so the
/// hash must be one nobody can aim: with 64-bit FNV (before December 2026) an outsider could
/// compute two author ids with the same customer id, or a post id colliding with another
/// customer's case. 128 bits of SHA-256 make a collision a 2^64 search.
pub fn stable_hash(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in parts {
        h.update(part.as_bytes());
        h.update([0xff]);
    }
    let digest = h.finalize();
    digest.iter().take(16).fold(String::with_capacity(32), |mut out, b| {
        use std::fmt::Write;
        let _ = write!(out, "{b:02x}");
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_ids() {
        assert_eq!(PostId::parse(""), Err(IdError::Empty));
        assert_eq!(PostId::parse("a\nb"), Err(IdError::Control));
        assert!(matches!(PostId::parse("x".repeat(600)), Err(IdError::TooLong { .. })));
        assert_eq!(
            PostId::parse("generic:forum:1").map(|p| p.to_string()).ok(),
            Some("generic:forum:1".into())
        );
    }

    #[test]
    fn serde_rejects_empty() {
        assert!(serde_json::from_str::<CaseId>("\"\"").is_err());
        assert!(serde_json::from_str::<CaseId>("\"case-1\"").is_ok());
    }

    #[test]
    fn stable_hash_separates_parts() {
        assert_ne!(stable_hash(&["ab", "c"]), stable_hash(&["a", "bc"]));
        assert_eq!(stable_hash(&["a"]), stable_hash(&["a"]));
        assert_ne!(stable_hash(&["a", ""]), stable_hash(&["a"]));
    }

    #[test]
    fn stable_hash_is_128_bits_of_sha256() {
        // SHA-256("abc" 0xff) starts with these 16 bytes (computed with `printf 'abc\xff' | sha256sum`).
        assert_eq!(stable_hash(&["abc"]), "8e3b08dc1236880bf0c55873db58b12d");
    }
}
