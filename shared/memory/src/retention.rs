//! The local side of `[retention]`: `care serve` has no DynamoDB TTL, so it sweeps the memory
//! store with the same rules the AWS adapters write as `expires_at`
//! (`socialcare_domain::retention`): expired posts (and their place in the author index),
//! resolved cases past their time, old labels and deletion requests go. Report rows and trend
//! counts stay (no personal data), as on AWS.

use crate::store::MemoryStore;
use jiff::Timestamp;
use socialcare_domain::PortResult;
use socialcare_domain::retention::RetentionPolicy;

/// What one sweep removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    pub posts: usize,
    pub cases: usize,
    pub labels: usize,
    pub deletion_requests: usize,
}

impl Swept {
    pub fn total(&self) -> usize {
        self.posts + self.cases + self.labels + self.deletion_requests
    }
}

impl MemoryStore {
    /// Removes every record whose expiry under `policy` is at or before `now` (as DynamoDB's
    /// TTL would, eventually). One pass over the posts and cases: run it hourly, not per post.
    pub fn sweep(&self, policy: &RetentionPolicy, now: Timestamp) -> PortResult<Swept> {
        let mut swept = self.sweep_pipeline(policy, now)?;
        swept.labels = self.sweep_labels(policy, now)?;
        let mut deletions = self.deletions_lock()?;
        let before = deletions.requests.len();
        deletions
            .requests
            .retain(|_, r| policy.audit_expiry(r.received_at) > now);
        swept.deletion_requests = before - deletions.requests.len();
        Ok(swept)
    }
}
