//! Erasure of a customer's personal data, as a resumable sequence of idempotent steps:
//!
//! 1. **mark**: the customer that stayed gets its erasure record (`Erasing`), before anything
//!    is removed; its record (identities, identifiers, name) is the plan of what to find, and
//!    is cleared last.
//! 2. **indexes**: each handle's link to the customer, the identifiers' index entries and the
//!    display-name keys of the similar-name suggestions (first, so that a post arriving during
//!    the erasure makes a new customer instead of joining this one).
//! 3. **posts**: every post on the customer's cases and of their handles (the author index):
//!    text, earlier texts, media, author
//!    (handle, name, platform id), conversation id; our replies' text and recipient.
//! 4. **cases**: free text inside case documents (pause reasons, delivery errors).
//! 5. **merges**: the copies of the customers and their cases kept for a split, and the reason.
//! 6. **parked** messages naming the customer's handles or identifiers.
//! 7. **others**: trend alerts' example posts and authors ([`crate::ports::Eraser`]).
//! 8. **tombstones**: the merged customers, then the customer that stayed, keep only their ids,
//!    creation time, merge pointer and the erasure record, now `Erased` with its counts.
//!
//! A crash between steps leaves the record `Erasing`: asking again runs every step again, each
//! a no-op where it was done. An erased customer asked again answers its record unchanged.
//! Kept for the metrics: cases (status, times, SLA clocks and outcomes, priority, queue,
//! channel, language, assignee), post classification labels and times, alerts, report rows.

use super::{PrivacyService, Scope};
use crate::case::{Case, CaseEventKind};
use crate::customer::similar::name_keys;
use crate::customer::{Customer, ERASED, ErasedCounts, Erasure, ErasureState, Identifier, MergeRecord};
use crate::error::{PortError, ServiceError};
use crate::ids::{AuthorId, CustomerId, PostId};
use crate::ports::LoadChange;
use crate::post::{Author, Delivery, Direction, Post};
use crate::services::MAX_CONFLICT_RETRIES;
use crate::services::desk::Principal;
use std::collections::BTreeSet;

/// The most parked messages an erasure looks through (the parking lot is a short list of
/// poison messages; a longer one is a problem of its own).
pub const MAX_PARKED_SCANNED: usize = 10_000;

/// The pseudonymous author that replaces an erased post's author: the customer's id, which the
/// metrics keep anyway.
pub fn erased_author(customer: &CustomerId) -> AuthorId {
    AuthorId::parse(format!("erased:{customer}")).unwrap_or_else(|_| unreachable!("a customer id is a valid id"))
}

/// Erases the personal data of a customer's post in place. True when it changed.
pub fn scrub_post(post: &mut Post, customer: &CustomerId) -> bool {
    let before = post.clone();
    post.text = ERASED.to_string();
    post.edits.clear();
    post.attachments.clear();
    post.conversation_id = None;
    match post.direction {
        Direction::Inbound => {
            post.author = Author {
                id: erased_author(customer),
                handle: ERASED.to_string(),
                name: None,
                followers: None,
                verified: None,
                following: None,
                joined_at: None,
            };
        }
        Direction::Outbound => {
            post.recipient = None;
            match &mut post.delivery {
                // Not sent yet: it never will be (outbound skips a failed reply); the person asked
                // to be forgotten, and the text is gone.
                Some(Delivery::Pending) | None => {
                    post.delivery = Some(Delivery::Failed {
                        reason: ERASED.to_string(),
                        at: post.created_at,
                    });
                }
                Some(Delivery::Retrying { at, .. }) => {
                    let at = *at;
                    post.delivery = Some(Delivery::Failed {
                        reason: ERASED.to_string(),
                        at,
                    });
                }
                Some(Delivery::Failed { reason, .. }) => *reason = ERASED.to_string(),
                Some(Delivery::Sent { .. }) => {}
            }
        }
    }
    *post != before
}

/// Erases the free text inside a case (pause reasons, delivery errors) in place; everything the
/// metrics read stays. True when it changed.
pub fn scrub_case(case: &mut Case) -> bool {
    let mut changed = false;
    let mut erase = |text: &mut String| {
        if text != ERASED && !text.is_empty() {
            *text = ERASED.to_string();
            changed = true;
        }
    };
    for clock in &mut case.sla {
        for pause in &mut clock.pauses {
            erase(&mut pause.reason);
        }
    }
    for event in &mut case.history {
        if let CaseEventKind::DeliveryFailed { reason, .. } = &mut event.kind {
            erase(reason);
        }
    }
    changed
}

/// A customer's copy with nothing personal (see [`Customer::scrubbed`]), marked erased.
fn tombstone(customer: &Customer, erasure: &Erasure) -> Customer {
    let mut c = customer.scrubbed();
    c.erasure = Some(erasure.clone());
    c
}

/// Erases the copies of the erased customers and their cases that a merge record keeps.
fn scrub_merge(record: &mut MergeRecord, customers: &BTreeSet<CustomerId>, erasure: &Erasure) -> bool {
    let before = record.clone();
    for side in [&mut record.source_before, &mut record.target_before] {
        if customers.contains(&side.id) {
            *side = tombstone(side, erasure);
        }
    }
    for case in &mut record.cases_before {
        if customers.contains(&case.customer_id) {
            scrub_case(case);
        }
    }
    if record.reason.is_some() {
        record.reason = Some(ERASED.to_string());
    }
    *record != before
}

/// Strings that name the customer, for finding them in opaque records (parked bodies): the
/// platform user ids, handles, names and identifiers, when long enough not to match by chance.
fn needles(scope: &Scope, authors: &[AuthorId], identifiers: &[Identifier]) -> Vec<String> {
    let mut out: BTreeSet<String> = BTreeSet::new();
    for a in authors {
        out.insert(a.as_str().to_string());
        if let Some(platform_id) = a.as_str().rsplit(':').next() {
            out.insert(platform_id.to_string());
        }
    }
    for c in scope.customers() {
        out.insert(c.display_name.clone());
        for i in &c.identities {
            out.insert(i.handle.clone());
        }
    }
    for i in identifiers {
        out.insert(i.value.clone());
    }
    out.into_iter().filter(|s| s.chars().count() >= 4).collect()
}

impl PrivacyService {
    /// Erases the customer's personal data (see the module doc), for a supervisor (or the
    /// operator's `care erase`). Asking again finishes an interrupted erasure, and answers a
    /// finished one's record unchanged.
    pub async fn erase(&self, who: &Principal, id: &CustomerId) -> Result<Erasure, ServiceError> {
        Self::supervisors_only(who, "erasing a customer")?;
        let scope = self.scope(id).await?;
        if let Some(done) = scope.survivor.erasure.as_ref().filter(|e| e.is_done()) {
            return Ok(done.clone());
        }
        let mut erasure = match &scope.survivor.erasure {
            Some(started) => started.clone(),
            None => Erasure::start(&scope.survivor.id, &who.agent_id, self.ports.clock.now()),
        };
        erasure.merged = scope.merged.iter().map(|c| c.id.clone()).collect();
        self.rewrite_customer(&scope.survivor.id, |c| {
            (c.erasure.is_none()).then(|| {
                let mut next = c.clone();
                next.erasure = Some(erasure.clone());
                next
            })
        })
        .await?;
        tracing::info!(customer_id = %scope.survivor.id, erasure_id = %erasure.id, by = %erasure.requested_by, "erasure started");

        let customers = scope.customer_ids();
        let posts = self.ports.posts.get_many(&scope.post_ids).await?;
        let mut authors: BTreeSet<AuthorId> = scope
            .customers()
            .flat_map(|c| c.identities.iter().map(|i| i.author_id.clone()))
            .collect();
        authors.extend(
            posts
                .iter()
                .filter(|p| p.direction == Direction::Inbound && !p.author.id.as_str().starts_with("erased:"))
                .map(|p| p.author.id.clone()),
        );
        let authors: Vec<AuthorId> = authors.into_iter().collect();
        let identifiers: Vec<Identifier> = scope
            .customers()
            .flat_map(|c| c.identifiers.iter().cloned())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut counts = ErasedCounts {
            customers: u32::try_from(customers.len()).unwrap_or(u32::MAX),
            authors: count(authors.len()),
            identifiers: count(identifiers.len()),
            ..ErasedCounts::default()
        };

        // 2. indexes
        for author in &authors {
            for customer in &customers {
                if self.ports.index.unlink_author(author, customer).await? {
                    break;
                }
            }
        }
        for identifier in &identifiers {
            for customer in &customers {
                self.ports.index.unlink_identifier(identifier, customer).await?;
            }
        }
        let mut keys = 0;
        for c in scope.customers() {
            for key in name_keys(&c.display_name) {
                self.ports.index.unindex_name(&key, &c.id).await?;
                keys += 1;
            }
        }
        counts.name_keys = keys;

        // 3. posts
        for mut post in posts {
            match post.direction {
                Direction::Inbound => counts.posts += 1,
                Direction::Outbound => counts.replies += 1,
            }
            if scrub_post(&mut post, &scope.survivor.id) {
                self.ports.posts.put(&post).await?;
            }
        }

        // 4. cases
        for case in &scope.cases {
            if self.scrub_case(&case.id).await? {
                counts.cases += 1;
            }
        }

        // 5. merges
        let mut merges = BTreeSet::new();
        for customer in &customers {
            for mut record in self.ports.customers.merges_of(customer).await? {
                if !merges.insert(record.id.clone()) {
                    continue;
                }
                if scrub_merge(&mut record, &customers, &erasure) {
                    self.ports.customers.save_merge(&record).await?;
                }
            }
        }
        counts.merges = count(merges.len());

        // 6. parked messages
        let needles = needles(&scope, &authors, &identifiers);
        for parked in self.ports.parking.list(MAX_PARKED_SCANNED).await? {
            if needles.iter().any(|n| parked.body.contains(n.as_str()))
                && self.ports.parking.remove(&parked.source, &parked.message_id).await?
            {
                counts.parked += 1;
            }
        }

        // 7. other stores (trend alerts)
        let post_ids: Vec<PostId> = scope.post_ids.clone();
        for eraser in &self.ports.erasers {
            let changed = eraser.erase(&authors, &post_ids).await?;
            tracing::debug!(eraser = eraser.name(), changed, "erasure: references removed");
            counts.trend_alerts += changed;
        }

        // 8. tombstones: the merged customers first, the one that stayed (the plan) last.
        erasure.state = ErasureState::Erased;
        erasure.completed_at = Some(self.ports.clock.now());
        erasure.counts = counts;
        for merged in &scope.merged {
            self.rewrite_customer(&merged.id, |c| Some(tombstone(c, &erasure)))
                .await?;
        }
        self.rewrite_customer(&scope.survivor.id, |c| Some(tombstone(c, &erasure)))
            .await?;
        tracing::info!(
            customer_id = %scope.survivor.id,
            erasure_id = %erasure.id,
            posts = erasure.counts.posts,
            cases = erasure.counts.cases,
            "erasure done"
        );
        Ok(erasure)
    }

    /// Rewrites a customer with `change` (None: leave it), on its version, re-reading when it
    /// moved meanwhile.
    async fn rewrite_customer(
        &self,
        id: &CustomerId,
        mut change: impl FnMut(&Customer) -> Option<Customer>,
    ) -> Result<(), ServiceError> {
        for _ in 0..MAX_CONFLICT_RETRIES {
            let current = self
                .ports
                .customers
                .get(id)
                .await?
                .ok_or_else(|| ServiceError::NotFound(format!("customer {id}")))?;
            let Some(mut next) = change(&current) else {
                return Ok(());
            };
            if next == current {
                return Ok(());
            }
            next.version = current.version + 1;
            if self.ports.customers.replace(&next, current.version).await? {
                return Ok(());
            }
        }
        Err(ServiceError::Conflict(format!(
            "customer {id} kept changing during the erasure; ask again"
        )))
    }

    /// Erases the free text of one case, on its version. True when it changed.
    async fn scrub_case(&self, id: &crate::ids::CaseId) -> Result<bool, ServiceError> {
        for _ in 0..MAX_CONFLICT_RETRIES {
            let Some(mut case) = self.ports.cases.get(id).await? else {
                return Ok(false);
            };
            if !scrub_case(&mut case) {
                return Ok(false);
            }
            let expected = case.version;
            case.version += 1;
            match self.ports.cases.save(&case, expected, LoadChange::None).await {
                Ok(()) => return Ok(true),
                Err(PortError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Conflict(format!(
            "case {id} kept changing during the erasure; ask again"
        )))
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::post::tests::post;

    #[test]
    fn a_scrubbed_post_keeps_no_text_author_or_media() {
        let customer = CustomerId::parse("cus-1").unwrap_or_else(|_| unreachable!());
        let mut p = post("my email is ann@example.com");
        p.apply_edit("my email is ann@example.org", p.created_at);
        p.author.name = Some("Ann Example".into());
        p.attachments.push(crate::post::Attachment::new(
            "image",
            Some("https://cdn.example/ann.jpg"),
        ));
        p.conversation_id = Some("u1-brand".into());
        assert!(scrub_post(&mut p, &customer));
        let json = serde_json::to_string(&p).unwrap_or_default();
        for gone in ["ann@", "Ann Example", "ann.jpg", "u1", "generic:forum:u1"] {
            assert!(!json.contains(gone), "{gone} survived: {json}");
        }
        assert_eq!(p.author.id, erased_author(&customer));
        assert!(!scrub_post(&mut p, &customer), "scrubbing twice changes nothing");
    }

    #[test]
    fn a_reply_not_sent_yet_never_will_be() {
        let customer = CustomerId::parse("cus-1").unwrap_or_else(|_| unreachable!());
        let mut reply = post("Hello Ann Example");
        reply.direction = Direction::Outbound;
        reply.delivery = Some(Delivery::Pending);
        reply.recipient = Some(reply.author.id.clone());
        assert!(scrub_post(&mut reply, &customer));
        assert_eq!(reply.text, ERASED);
        assert!(reply.recipient.is_none());
        assert!(matches!(&reply.delivery, Some(Delivery::Failed { reason, .. }) if reason == ERASED));
        let mut sent = post("Hello Ann Example");
        sent.direction = Direction::Outbound;
        sent.delivery = Some(Delivery::Sent {
            platform_id: Some("t-9".into()),
            at: sent.created_at,
        });
        scrub_post(&mut sent, &customer);
        assert!(
            matches!(sent.delivery, Some(Delivery::Sent { .. })),
            "a sent reply stays sent"
        );
    }

    #[test]
    fn a_scrubbed_case_keeps_its_clocks_but_not_its_reasons() {
        let c = CustomerId::parse("cus-1").unwrap_or_else(|_| unreachable!());
        let opening = PostId::parse("generic:forum:1").unwrap_or_else(|_| unreachable!());
        let mut case = Case {
            id: Case::id_for_opening_post(&opening),
            customer_id: c,
            status: crate::case::CaseStatus::Open,
            priority: crate::channel::Priority::P3,
            language: None,
            channel: crate::channel::Channel::Generic,
            account: "forum".into(),
            queue: "general".into(),
            posts: vec![opening.clone()],
            assignee: None,
            version: 1,
            created_at: jiff::Timestamp::UNIX_EPOCH,
            updated_at: jiff::Timestamp::UNIX_EPOCH,
            first_response_at: None,
            resolved_at: None,
            sla: vec![],
            history: vec![],
            routing: Default::default(),
            facts: Default::default(),
        };
        case.note_delivery_failure(
            &opening,
            "user Ann Example blocked the page",
            jiff::Timestamp::UNIX_EPOCH,
        );
        let before = case.clone();
        assert!(scrub_case(&mut case));
        assert!(!format!("{case:?}").contains("Ann Example"));
        assert_eq!(case.history.len(), before.history.len());
        assert_eq!(case.status, before.status);
        assert!(!scrub_case(&mut case));
    }
}
