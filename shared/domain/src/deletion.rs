//! Platform deletions: a person asked the platform to delete their data (Meta's data deletion
//! request callback), or their account went away on the platform (X: deleted, protected,
//! suspended). Their posts are redacted as a deleted post is ([`crate::Post::redact`]).
//!
//! A [`DeletionRequest`] is what the status page shows for a confirmation code: when it came,
//! whether the redaction is done, how many posts it redacted. It holds no personal data (no
//! user id, no text): the code is random, the platform's user id travels only in the
//! `post.received.v1` change that does the work.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Length of a confirmation code: 128 random bits, hex.
pub const CODE_LEN: usize = 32;

/// Where a deletion request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeletionStatus {
    /// Recorded; the redaction is queued.
    Received,
    /// Every post of the person that we hold is redacted.
    Completed,
}

/// One platform deletion request, as its status page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeletionRequest {
    pub code: String,
    /// `meta` (the data deletion callback).
    pub platform: String,
    pub status: DeletionStatus,
    pub received_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<Timestamp>,
    /// Posts of the person that are redacted now (those redacted before the request count too).
    #[serde(default)]
    pub posts_redacted: u64,
}

impl DeletionRequest {
    /// A request received at `at` under `code` (see [`code_from`]).
    pub fn received(code: String, platform: &str, at: Timestamp) -> Self {
        Self {
            code,
            platform: platform.to_string(),
            status: DeletionStatus::Received,
            received_at: at,
            completed_at: None,
            posts_redacted: 0,
        }
    }

    /// Marks the redaction done. The first completion keeps its time; a replay of the work
    /// (the queue redelivers) only refreshes the count.
    pub fn complete(&mut self, posts_redacted: u64, at: Timestamp) {
        self.status = DeletionStatus::Completed;
        self.completed_at.get_or_insert(at);
        self.posts_redacted = posts_redacted;
    }
}

/// The confirmation code for 16 random bytes (the caller draws them: the domain has no
/// randomness source).
pub fn code_from(random: [u8; 16]) -> String {
    random.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `s` has the shape of a confirmation code (anything else is answered 404 without a read).
pub fn is_code(s: &str) -> bool {
    s.len() == CODE_LEN && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Why an author's posts are withdrawn (the `reason` of [`crate::PostChange::AuthorGone`]).
pub mod reason {
    /// Meta's data deletion request callback.
    pub const META_DELETION: &str = "meta.data_deletion";
    /// X: the account was deleted.
    pub const X_DELETED: &str = "x.user_delete";
    /// X: the account's posts became protected.
    pub const X_PROTECTED: &str = "x.user_protect";
    /// X: the account was suspended.
    pub const X_SUSPENDED: &str = "x.user_suspend";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_128_bit_hex() {
        let code = code_from([0xab; 16]);
        assert_eq!(code.len(), CODE_LEN);
        assert!(is_code(&code));
        assert!(
            !is_code("ABABABABABABABABABABABABABABABAB"),
            "upper case is not a code we make"
        );
        assert!(!is_code("ab"));
        assert!(!is_code("../../../../../../../../../../../x"));
    }

    #[test]
    fn completion_keeps_its_first_time() {
        let t0 = Timestamp::UNIX_EPOCH;
        let t1 = t0 + jiff::SignedDuration::from_secs(60);
        let mut r = DeletionRequest::received(code_from([1; 16]), "meta", t0);
        assert_eq!(r.status, DeletionStatus::Received);
        r.complete(3, t0);
        r.complete(3, t1);
        assert_eq!(r.status, DeletionStatus::Completed);
        assert_eq!(r.completed_at, Some(t0));
        assert_eq!(r.posts_redacted, 3);
    }
}
