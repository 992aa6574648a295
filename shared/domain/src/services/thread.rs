//! Thread: store the post, find its customer, join the customer's active case or open one.

use super::MAX_CONFLICT_RETRIES;
use crate::case::{Actor, Case, CaseEvent, CaseEventKind, CaseStatus};
use crate::channel::Priority;
use crate::customer::{Customer, Evidence, Identity};
use crate::error::{PortError, ServiceError};
use crate::events::{CaseUpdated, Envelope, Event, PostChange};
use crate::ids::{CaseId, CustomerId};
use crate::ports::{CaseStore, Clock, CustomerStore, LoadChange, PostStore, Publisher};
use crate::post::{Direction, Post};
use std::sync::Arc;

/// What threading did with a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Threaded {
    Opened(CaseId),
    Joined(CaseId),
    /// Not actionable and no active case: kept for analytics only.
    StoredOnly,
    /// Our own account's post: kept, not a customer post.
    Outbound,
    Edited,
    Redacted,
}

pub struct ThreadService {
    posts: Arc<dyn PostStore>,
    customers: Arc<dyn CustomerStore>,
    cases: Arc<dyn CaseStore>,
    publisher: Arc<dyn Publisher>,
    clock: Arc<dyn Clock>,
    default_queue: String,
}

impl ThreadService {
    pub fn new(
        posts: Arc<dyn PostStore>,
        customers: Arc<dyn CustomerStore>,
        cases: Arc<dyn CaseStore>,
        publisher: Arc<dyn Publisher>,
        clock: Arc<dyn Clock>,
        default_queue: String,
    ) -> Self {
        Self {
            posts,
            customers,
            cases,
            publisher,
            clock,
            default_queue,
        }
    }

    pub async fn apply(&self, change: PostChange) -> Result<Threaded, ServiceError> {
        match change {
            PostChange::Created { post } => self.created(*post).await,
            PostChange::Edited { post_id, text, at, .. } => {
                let mut post = self
                    .posts
                    .get(&post_id)
                    .await?
                    .ok_or_else(|| ServiceError::NotFound(format!("post {post_id} to edit")))?;
                if post.apply_edit(&text, at) {
                    self.posts.put(&post).await?;
                }
                Ok(Threaded::Edited)
            }
            PostChange::Deleted { post_id, .. } => {
                let mut post = self
                    .posts
                    .get(&post_id)
                    .await?
                    .ok_or_else(|| ServiceError::NotFound(format!("post {post_id} to delete")))?;
                if post.redact() {
                    self.posts.put(&post).await?;
                }
                Ok(Threaded::Redacted)
            }
        }
    }

    async fn created(&self, post: Post) -> Result<Threaded, ServiceError> {
        // A replay finds the post stored already and carries on: the case write below is keyed too.
        self.posts.insert(&post).await?;
        if post.direction == Direction::Outbound {
            return Ok(Threaded::Outbound);
        }
        let customer = self.customer_for(&post).await?;
        let actionable = post.classification.as_ref().is_some_and(|c| c.actionable);
        for _ in 0..MAX_CONFLICT_RETRIES {
            if let Some(case_id) = self.cases.active_case_of(&customer).await? {
                let Some(mut case) = self.cases.get(&case_id).await? else {
                    continue;
                };
                if case.contains(&post.id) {
                    self.announce(&case, "post_added").await?;
                    return Ok(Threaded::Joined(case.id));
                }
                let expected = case.version;
                case.add_customer_post(&post.id, self.clock.now());
                case.version += 1;
                match self.cases.save(&case, expected, LoadChange::None).await {
                    Ok(()) => {
                        tracing::info!(case_id = %case.id, post_id = %post.id, "post joined case");
                        self.announce(&case, "post_added").await?;
                        return Ok(Threaded::Joined(case.id));
                    }
                    Err(PortError::Conflict(_)) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            if !actionable {
                return Ok(Threaded::StoredOnly);
            }
            let case = self.new_case(&post, customer.clone());
            match self.cases.create(&case).await {
                Ok(()) => {
                    tracing::info!(case_id = %case.id, post_id = %post.id, customer_id = %customer, priority = %case.priority, "case opened");
                    self.announce(&case, "opened").await?;
                    return Ok(Threaded::Opened(case.id));
                }
                Err(PortError::Conflict(_)) => {
                    // Either this post opened the case before a crash (announce again), or another
                    // post of the customer opened one a moment ago (join it on the next turn).
                    if let Some(existing) = self.cases.get(&case.id).await? {
                        self.announce(&existing, "opened").await?;
                        return Ok(Threaded::Opened(existing.id));
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Conflict(format!(
            "post {} kept losing races for its case",
            post.id
        )))
    }

    async fn customer_for(&self, post: &Post) -> Result<CustomerId, ServiceError> {
        if let Some(id) = self.customers.customer_of(&post.author.id).await? {
            return Ok(id);
        }
        let id = Customer::id_for_first_author(&post.author.id);
        let customer = Customer {
            id: id.clone(),
            display_name: post.author.name.clone().unwrap_or_else(|| post.author.handle.clone()),
            identities: vec![Identity {
                author_id: post.author.id.clone(),
                handle: post.author.handle.clone(),
                evidence: Evidence::SamePlatformUser,
                linked_at: post.received_at,
            }],
            created_at: post.received_at,
        };
        // False means another worker created the same (deterministic) customer first: fine.
        self.customers.create(&customer).await?;
        Ok(id)
    }

    fn new_case(&self, post: &Post, customer_id: CustomerId) -> Case {
        let now = self.clock.now();
        let classification = post.classification.as_ref();
        Case {
            id: Case::id_for_opening_post(&post.id),
            customer_id,
            status: CaseStatus::New,
            priority: classification.map_or(Priority::P3, |c| c.priority),
            language: classification.and_then(|c| c.language.clone()),
            channel: post.channel,
            account: post.account.clone(),
            queue: self.default_queue.clone(),
            posts: vec![post.id.clone()],
            assignee: None,
            version: 1,
            // The SLA clock starts when the customer wrote, not when we got round to it.
            created_at: post.created_at.min(now),
            updated_at: now,
            first_response_at: None,
            resolved_at: None,
            sla: vec![],
            history: vec![CaseEvent {
                at: now,
                actor: Actor::Customer,
                kind: CaseEventKind::Opened {
                    post_id: post.id.clone(),
                },
            }],
        }
    }

    async fn announce(&self, case: &Case, reason: &str) -> Result<(), ServiceError> {
        let event = Event::CaseUpdated(CaseUpdated {
            case_id: case.id.clone(),
            version: case.version,
            reason: reason.into(),
        });
        self.publisher.publish(&Envelope::new(event, self.clock.now())).await?;
        Ok(())
    }
}
