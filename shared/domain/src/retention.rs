//! Retention: how long each kind of record is kept (`[retention]` in the configuration), as
//! pure rules from a record to the time it expires. DynamoDB's TTL deletes what these rules
//! date on AWS (the adapters write them as `expires_at`); `care serve` sweeps its memory store
//! with the same rules.
//!
//! What is *not* dated: the report rows and trend counts (no personal data: counts, times,
//! SLA outcomes), so metrics over a window older than the posts still answer; customers and
//! their identities (they are removed by erasure, not by age).

use crate::case::Case;
use crate::post::{Direction, Post};
use jiff::{SignedDuration, Timestamp};

/// Days each kind of record is kept. Every value is at least 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Posts that joined no case: chatter kept for analytics (non-actionable, no case).
    pub chatter_days: u32,
    /// Posts that needed care (customer posts classified actionable, and our replies).
    pub case_posts_days: u32,
    /// Resolved and closed cases, from their resolution (an active case never expires; one
    /// that reopens loses its expiry).
    pub resolved_cases_days: u32,
    /// People's corrections of the classifier (labels, triage decisions).
    pub corrections_days: u32,
    /// Audit records: platform deletion requests, merge records.
    pub audit_days: u32,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        Self {
            chatter_days: 90,
            case_posts_days: 730,
            resolved_cases_days: 730,
            corrections_days: 1095,
            audit_days: 2190,
        }
    }
}

fn after(at: Timestamp, days: u32) -> Timestamp {
    at.saturating_add(SignedDuration::from_hours(24 * i64::from(days)))
        .unwrap_or(Timestamp::MAX)
}

impl RetentionPolicy {
    /// Whether a post is chatter: a customer's post the classifier found not actionable (or
    /// never classified). Our own posts and actionable posts are case posts.
    pub fn is_chatter(post: &Post) -> bool {
        post.direction == Direction::Inbound && !post.classification.as_ref().is_some_and(|c| c.actionable)
    }

    /// When a post expires: from when it was received, by its kind.
    pub fn post_expiry(&self, post: &Post) -> Timestamp {
        let days = if Self::is_chatter(post) {
            self.chatter_days
        } else {
            self.case_posts_days
        };
        after(post.received_at.max(post.created_at), days)
    }

    /// When a case expires: `resolved_cases_days` after its resolution while it is resolved or
    /// closed; never while it is active (a reopened case loses its expiry).
    pub fn case_expiry(&self, case: &Case) -> Option<Timestamp> {
        if case.status.is_active() {
            return None;
        }
        Some(after(
            case.resolved_at.unwrap_or(case.updated_at),
            self.resolved_cases_days,
        ))
    }

    /// When a correction given at `at` expires.
    pub fn correction_expiry(&self, at: Timestamp) -> Timestamp {
        after(at, self.corrections_days)
    }

    /// When an audit record written at `at` expires.
    pub fn audit_expiry(&self, at: Timestamp) -> Timestamp {
        after(at, self.audit_days)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::CaseStatus;

    fn day(n: i64) -> Timestamp {
        Timestamp::UNIX_EPOCH + SignedDuration::from_hours(24 * n)
    }

    #[test]
    fn chatter_and_case_posts_expire_on_their_own_clocks() {
        let p = RetentionPolicy::default();
        let mut post = crate::post::tests::post("hello");
        post.created_at = day(10);
        post.received_at = day(10);
        post.classification = None;
        assert_eq!(p.post_expiry(&post), day(100), "unclassified: chatter");
        let mut c = crate::post::tests::classification();
        c.actionable = false;
        post.classification = Some(c.clone());
        assert_eq!(p.post_expiry(&post), day(100), "not actionable: chatter");
        c.actionable = true;
        post.classification = Some(c);
        assert_eq!(p.post_expiry(&post), day(740), "actionable: a case post");
        post.classification = None;
        post.direction = Direction::Outbound;
        assert_eq!(p.post_expiry(&post), day(740), "our reply: a case post");
    }

    #[test]
    fn a_case_expires_after_its_resolution_and_a_reopened_one_never() {
        let p = RetentionPolicy {
            resolved_cases_days: 30,
            ..RetentionPolicy::default()
        };
        let mut case = crate::case::tests::case();
        assert_eq!(p.case_expiry(&case), None, "active: kept");
        case.status = CaseStatus::Resolved;
        case.resolved_at = Some(day(5));
        assert_eq!(p.case_expiry(&case), Some(day(35)));
        case.status = CaseStatus::Closed;
        assert_eq!(
            p.case_expiry(&case),
            Some(day(35)),
            "closing keeps the resolution's clock"
        );
        case.status = CaseStatus::Open;
        case.resolved_at = None;
        assert_eq!(p.case_expiry(&case), None, "reopened: the expiry is gone");
    }

    #[test]
    fn corrections_and_audit_records_are_kept_longer() {
        let p = RetentionPolicy::default();
        assert_eq!(p.correction_expiry(day(0)), day(1095));
        assert_eq!(p.audit_expiry(day(0)), day(2190));
        assert_eq!(
            RetentionPolicy {
                audit_days: u32::MAX,
                ..p
            }
            .audit_expiry(day(0)),
            Timestamp::MAX,
            "far beyond the calendar: never, not a panic"
        );
    }
}
