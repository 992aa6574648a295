//! Thread: store the post, find its customer, join the customer's active case or open one.

use super::MAX_CONFLICT_RETRIES;
use super::identity::IdentityService;
use crate::case::{Actor, Case, CaseEvent, CaseEventKind, CaseStatus};
use crate::channel::Priority;
use crate::customer::IdentifierRules;
use crate::error::{PortError, ServiceError};
use crate::events::{Envelope, PostChange};
use crate::ids::{AuthorId, CaseId, CustomerId, PostId};
use crate::ports::{
    CaseQuery, CaseStore, Clock, CustomerStore, DeletionStore, LoadChange, PostStore, Publisher, TriageStore,
};
use crate::post::{Direction, Post};
use std::sync::Arc;

/// What threading did with a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Threaded {
    /// The author is this customer's, by the brand's own id the platform passed (or the link
    /// named nobody: None).
    Linked(Option<CustomerId>),
    Opened(CaseId),
    Joined(CaseId),
    /// Not actionable and no active case: kept for analytics only.
    StoredOnly,
    /// Our own account's post that answers no open case: kept, not a customer post.
    Outbound,
    /// The platform echoed a reply we sent: it is on its case already, nothing stored twice.
    Echo(PostId),
    /// Our account answered on the platform itself: the message joined the customer's case.
    BrandMessage(CaseId),
    /// The customer asked again within the reopen window: the resolved case opened again.
    Reopened(CaseId),
    /// A post needing nothing, within the reopen window: kept on the resolved case's thread.
    AddedToResolved(CaseId),
    Edited,
    Redacted,
    /// The case's thread holds `Case::MAX_POSTS` posts: the post is stored, not threaded.
    CaseFull(CaseId),
    /// An edit or delete of a post we never stored (written before the subscription, or by an
    /// account not ours): nothing to change, and nothing to retry.
    Unknown,
}

impl Threaded {
    /// The post is on no active case: nobody would look at it unless it is listed.
    pub fn unattended(&self) -> bool {
        matches!(
            self,
            Threaded::StoredOnly | Threaded::AddedToResolved(_) | Threaded::CaseFull(_)
        )
    }
}

/// An actionable post more urgent than its case raises the case's priority (see
/// [`Case::raise_priority`]); chatter never does.
fn raise_to_post(case: &mut Case, post: &Post, at: jiff::Timestamp) -> bool {
    match &post.classification {
        Some(c) if c.actionable => case.raise_priority(c.priority, &post.id, at),
        _ => false,
    }
}

/// The customer's classified post joins the case's facts (intent, first and latest sentiment)
/// that reports read.
fn note_facts(case: &mut Case, post: &Post) {
    if let Some(c) = &post.classification {
        case.facts.note_customer_post(c.intent, c.sentiment);
    }
}

pub struct ThreadService {
    posts: Arc<dyn PostStore>,
    customers: Arc<dyn CustomerStore>,
    identity: IdentityService,
    cases: Arc<dyn CaseStore>,
    publisher: Arc<dyn Publisher>,
    clock: Arc<dyn Clock>,
    default_queue: String,
    reopen_window: jiff::SignedDuration,
    triage: Option<Arc<dyn TriageStore>>,
    deletions: Option<Arc<dyn DeletionStore>>,
}

/// Days after a resolve in which the customer's next request reopens the case, unless configured.
pub const DEFAULT_REOPEN_DAYS: u32 = 7;

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
            identity: IdentityService::new(customers.clone(), IdentifierRules::default()),
            customers,
            cases,
            publisher,
            clock,
            default_queue,
            reopen_window: jiff::SignedDuration::from_hours(24 * i64::from(DEFAULT_REOPEN_DAYS)),
            triage: None,
            deletions: None,
        }
    }

    /// How identifiers in posts are found and how many customers may share one (the defaults
    /// unless configured: see [`IdentifierRules::default`]).
    pub fn with_identity(mut self, rules: IdentifierRules) -> Self {
        self.identity = IdentityService::new(self.customers.clone(), rules);
        self
    }

    /// A request within `days` of a resolve reopens that case (0: a new case is always opened).
    pub fn with_reopen_days(mut self, days: u32) -> Self {
        self.reopen_window = jiff::SignedDuration::from_hours(24 * i64::from(days));
        self
    }

    /// Lists the posts the classifier was unsure about (`review`) that join no active case
    /// (kept without a case, added to a resolved case's thread, or not threaded at all) for a
    /// person to decide: nothing unsure is dropped silently.
    pub fn with_triage(mut self, triage: Arc<dyn TriageStore>) -> Self {
        self.triage = Some(triage);
        self
    }

    /// Completes platform deletion requests (their status pages) once the posts are redacted.
    pub fn with_deletions(mut self, deletions: Arc<dyn DeletionStore>) -> Self {
        self.deletions = Some(deletions);
        self
    }

    /// Redacts every post the authors wrote, as a deleted post is, and notes it on their active
    /// case; then marks the deletion request completed with the number of their posts that are
    /// redacted now. Idempotent: a redelivery redacts nothing twice and counts the same.
    async fn author_gone(
        &self,
        authors: &[AuthorId],
        reason: &str,
        request: Option<&str>,
    ) -> Result<Threaded, ServiceError> {
        let mut redacted = 0u64;
        for author in authors {
            let ids = self.posts.posts_by_author(author).await?;
            let mut inbound = Vec::new();
            for mut post in self.posts.get_many(&ids).await? {
                // The index proposes; the post itself decides (an index may lag).
                if post.author.id != *author {
                    continue;
                }
                if post.redact() {
                    self.posts.put(&post).await?;
                }
                if post.direction == Direction::Inbound {
                    inbound.push(post.id);
                }
                redacted += 1;
            }
            // One case write for all of them (not one per post).
            self.withdraw_if_nothing_left(author, &inbound, reason).await?;
        }
        tracing::info!(reason, authors = authors.len(), redacted, "an author's posts withdrawn");
        if let (Some(code), Some(deletions)) = (request, &self.deletions) {
            match deletions.deletion(code).await? {
                Some(mut r) => {
                    r.complete(redacted, self.clock.now());
                    deletions.save_deletion(&r).await?;
                }
                None => tracing::warn!("a deletion request's work arrived without its record: nothing to complete"),
            }
        }
        Ok(Threaded::Redacted)
    }

    /// The resolved case a post without an active case goes back to, from one list of the
    /// customer's resolved cases: first the case that holds the post this one replies to (our
    /// answer, or their own earlier post), however long ago it was resolved — a customer who
    /// answers our last reply after three weeks is back on that case with its history; only the
    /// customer's own cases count, so someone else replying in the thread is their own customer —
    /// else the case resolved most recently within the reopen window of `at`.
    async fn earlier_case(
        &self,
        customer: &CustomerId,
        parent: Option<&PostId>,
        at: jiff::Timestamp,
    ) -> Result<Option<Case>, ServiceError> {
        if parent.is_none() && self.reopen_window.is_zero() {
            return Ok(None);
        }
        let query = CaseQuery {
            statuses: vec![CaseStatus::Resolved],
            customer: Some(customer.clone()),
            ..CaseQuery::default()
        };
        let resolved = self.cases.list(&query).await?;
        let answered = parent.and_then(|parent| {
            resolved
                .iter()
                .filter(|c| c.contains(parent))
                .max_by_key(|c| c.resolved_at)
                .cloned()
        });
        Ok(answered.or_else(|| {
            resolved
                .into_iter()
                .filter(|c| {
                    !self.reopen_window.is_zero()
                        && c.resolved_at
                            .is_some_and(|r| at.duration_since(r) <= self.reopen_window)
                })
                .max_by_key(|c| c.resolved_at)
        }))
    }

    pub async fn apply(&self, change: PostChange) -> Result<Threaded, ServiceError> {
        match change {
            PostChange::Created { post } => {
                let entry = self
                    .triage
                    .as_ref()
                    .and_then(|_| crate::triage::TriageEntry::of(&post, self.clock.now()));
                let threaded = self.created(*post).await?;
                if let (Some(triage), Some(entry)) = (&self.triage, entry)
                    && threaded.unattended()
                    && triage.list_for_triage(&entry).await?
                {
                    tracing::info!(post_id = %entry.post_id, "unsure post without a case listed for triage");
                }
                Ok(threaded)
            }
            PostChange::Edited { post_id, text, at, .. } => {
                let Some(mut post) = self.posts.get(&post_id).await? else {
                    tracing::info!(%post_id, "edit of a post never stored: nothing to change");
                    return Ok(Threaded::Unknown);
                };
                if post.apply_edit(&text, at) {
                    self.posts.put(&post).await?;
                }
                Ok(Threaded::Edited)
            }
            PostChange::Linked {
                author_id,
                channel,
                reference,
                via,
                at,
                ..
            } => {
                let identifier = match via.as_str() {
                    "referral" => IdentifierRules::account_in_ref(&reference),
                    _ => crate::customer::Identifier::normalise(crate::customer::IdentifierKind::Account, &reference),
                };
                let Some(identifier) = identifier else {
                    tracing::info!(%author_id, via, "a link that names no customer of the brand: nothing to do");
                    return Ok(Threaded::Linked(None));
                };
                let customer = self
                    .identity
                    .link_account(&author_id, channel, &identifier, &via, at)
                    .await?;
                Ok(Threaded::Linked(Some(customer)))
            }
            PostChange::Deleted { post_id, .. } => {
                let Some(mut post) = self.posts.get(&post_id).await? else {
                    tracing::info!(%post_id, "delete of a post never stored: nothing to redact");
                    return Ok(Threaded::Unknown);
                };
                if post.redact() {
                    self.posts.put(&post).await?;
                }
                if post.direction == Direction::Inbound {
                    self.withdraw_if_nothing_left(&post.author.id, std::slice::from_ref(&post.id), "deleted")
                        .await?;
                }
                Ok(Threaded::Redacted)
            }
            PostChange::AuthorGone {
                authors,
                reason,
                request,
                ..
            } => self.author_gone(&authors, &reason, request.as_deref()).await,
        }
    }

    /// Posts of `author` were withdrawn (one deleted by them, or all of theirs for a platform
    /// deletion): their customer's active case records each it holds (`PostWithdrawn`, with the
    /// reason), in one write, and when none of the customer's posts is left there the case
    /// resolves itself as withdrawn (clocks stopped, the agent's slot freed). A replay changes
    /// nothing.
    async fn withdraw_if_nothing_left(
        &self,
        author: &AuthorId,
        deleted: &[PostId],
        reason: &str,
    ) -> Result<(), ServiceError> {
        let Some(last) = deleted.last() else {
            return Ok(());
        };
        let Some(customer) = self.customers.customer_of(author).await? else {
            return Ok(());
        };
        let gone: std::collections::HashSet<&PostId> = deleted.iter().collect();
        for _ in 0..MAX_CONFLICT_RETRIES {
            let Some(case_id) = self.cases.active_case_of(&customer).await? else {
                return Ok(());
            };
            let Some(mut case) = self.cases.get(&case_id).await? else {
                return Ok(());
            };
            let on_case: Vec<&PostId> = deleted.iter().filter(|id| case.contains(id)).collect();
            let Some(last_on_case) = on_case.last().copied() else {
                return Ok(());
            };
            let thread = self.posts.get_many(&case.posts).await?;
            let left = thread
                .iter()
                .filter(|p| p.direction == Direction::Inbound && !gone.contains(&p.id))
                .any(|p| !p.deleted);
            let expected = case.version;
            let now = self.clock.now();
            let mut noted = false;
            for id in &on_case {
                noted |= case.note_withdrawn_post(id, reason, now);
            }
            let withdrawn = !left && case.withdraw(last_on_case, now);
            if !noted && !withdrawn {
                return Ok(());
            }
            case.version += 1;
            let load = match (&case.assignee, withdrawn) {
                (Some(agent), true) => LoadChange::Release(agent.clone()),
                _ => LoadChange::None,
            };
            match self.cases.save(&case, expected, load).await {
                Ok(()) if withdrawn => {
                    tracing::info!(case_id = %case.id, post_id = %last_on_case, reason, "case withdrawn: the customer's every post of it is withdrawn");
                    self.announce(&case, "withdrawn").await?;
                    return Ok(());
                }
                Ok(()) => return Ok(()),
                Err(PortError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Conflict(format!("the case of post {last} kept changing")))
    }

    async fn created(&self, post: Post) -> Result<Threaded, ServiceError> {
        if post.direction == Direction::Outbound {
            return self.ours(post).await;
        }
        // A replay finds the post stored already and carries on: the case write below is keyed too.
        self.posts.insert(&post).await?;
        let parent = keep_if_orphan(self.posts.as_ref(), &post).await?;
        let actionable = post.classification.as_ref().is_some_and(|c| c.actionable);
        // A customer exists once someone needed care: chatter of an unknown author is stored
        // (with its author id, so it joins their history if they ever ask for help) without one.
        // Identity: the known customer, one linked by an identifier it wrote, or a new one.
        let customer = match self.identity.resolve(&post, actionable).await? {
            Some(decision) => decision.customer,
            None => return Ok(Threaded::StoredOnly),
        };
        for _ in 0..MAX_CONFLICT_RETRIES {
            if let Some(case_id) = self.cases.active_case_of(&customer).await? {
                let Some(mut case) = self.cases.get(&case_id).await? else {
                    continue;
                };
                if case.contains(&post.id) {
                    let waiting = self.posts.remember_platform_id(&post).await?;
                    self.adopt(&post, &case.id, waiting).await?;
                    self.announce(&case, "post_added").await?;
                    return Ok(Threaded::Joined(case.id));
                }
                if case.is_full() {
                    tracing::warn!(case_id = %case.id, post_id = %post.id, "the case's thread is full: post stored, not threaded");
                    return Ok(Threaded::CaseFull(case.id));
                }
                let expected = case.version;
                case.add_customer_post(&post.id, self.clock.now());
                raise_to_post(&mut case, &post, self.clock.now());
                note_facts(&mut case, &post);
                case.version += 1;
                match self.cases.save(&case, expected, LoadChange::None).await {
                    Ok(()) => {
                        let waiting = self.posts.remember_platform_id(&post).await?;
                        tracing::info!(case_id = %case.id, post_id = %post.id, "post joined case");
                        self.adopt(&post, &case.id, waiting).await?;
                        self.announce(&case, "post_added").await?;
                        return Ok(Threaded::Joined(case.id));
                    }
                    Err(PortError::Conflict(_)) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            let at = post.created_at.min(self.clock.now());
            if let Some(mut case) = self.earlier_case(&customer, parent.as_ref(), at).await? {
                if case.is_full() {
                    tracing::warn!(case_id = %case.id, post_id = %post.id, "the case's thread is full: post stored, not threaded");
                    return Ok(Threaded::CaseFull(case.id));
                }
                let expected = case.version;
                let changed = if actionable {
                    let reopened = case.reopen(&post.id, self.clock.now());
                    if reopened {
                        note_facts(&mut case, &post);
                    }
                    reopened | raise_to_post(&mut case, &post, self.clock.now())
                } else {
                    let added = case.add_to_history(&post.id, self.clock.now());
                    if added {
                        note_facts(&mut case, &post);
                    }
                    added
                };
                if !changed {
                    return Ok(Threaded::AddedToResolved(case.id));
                }
                case.version += 1;
                match self.cases.save(&case, expected, LoadChange::None).await {
                    Ok(()) if actionable => {
                        let waiting = self.posts.remember_platform_id(&post).await?;
                        tracing::info!(case_id = %case.id, post_id = %post.id, "case reopened");
                        self.adopt(&post, &case.id, waiting).await?;
                        self.announce(&case, "reopened").await?;
                        return Ok(Threaded::Reopened(case.id));
                    }
                    Ok(()) => {
                        let waiting = self.posts.remember_platform_id(&post).await?;
                        self.adopt(&post, &case.id, waiting).await?;
                        return Ok(Threaded::AddedToResolved(case.id));
                    }
                    Err(PortError::Conflict(_)) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            if !actionable {
                return Ok(Threaded::StoredOnly);
            }
            let case = self.new_case(&post, customer.clone());
            let waiting = self.posts.remember_platform_id(&post).await?;
            match self.cases.create(&case).await {
                Ok(()) => {
                    tracing::info!(case_id = %case.id, post_id = %post.id, customer_id = %customer, priority = %case.priority, "case opened");
                    self.adopt(&post, &case.id, waiting).await?;
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

    /// A post by one of our accounts. The echo of a reply sent from the desk is recognised by
    /// its platform id and dropped (the reply is on its case). Anything else our account wrote
    /// is kept and, when it addresses a customer with an active case (a DM's other party, the
    /// author of the post it answers), joins that case as the brand's answer.
    async fn ours(&self, post: Post) -> Result<Threaded, ServiceError> {
        if let Some(sent) = self
            .posts
            .find_by_platform_id(post.channel, &post.account, &post.platform_id)
            .await?
            && sent != post.id
        {
            return Ok(Threaded::Echo(sent));
        }
        self.posts.insert(&post).await?;
        let waiting = self.posts.remember_platform_id(&post).await?;
        let Some(customer) = self.addressee(&post).await? else {
            return Ok(Threaded::Outbound);
        };
        for _ in 0..MAX_CONFLICT_RETRIES {
            let Some(case_id) = self.cases.active_case_of(&customer).await? else {
                return Ok(Threaded::Outbound);
            };
            let Some(mut case) = self.cases.get(&case_id).await? else {
                continue;
            };
            let expected = case.version;
            if case.is_full() {
                tracing::warn!(case_id = %case.id, post_id = %post.id, "the case's thread is full: brand message stored, not threaded");
                return Ok(Threaded::CaseFull(case.id));
            }
            if !case.add_brand_message(&post.account, &post.id, post.created_at.min(self.clock.now())) {
                return Ok(Threaded::BrandMessage(case.id));
            }
            case.version += 1;
            match self.cases.save(&case, expected, LoadChange::None).await {
                Ok(()) => {
                    tracing::info!(case_id = %case.id, post_id = %post.id, "brand message joined case");
                    self.adopt(&post, &case.id, waiting).await?;
                    self.announce(&case, "brand_message").await?;
                    return Ok(Threaded::BrandMessage(case.id));
                }
                Err(PortError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Conflict(format!(
            "post {} kept losing races for its case",
            post.id
        )))
    }

    /// The customer a post of ours addresses: its recipient, or the author of the post it answers.
    async fn addressee(&self, post: &Post) -> Result<Option<CustomerId>, ServiceError> {
        let mut author: Option<AuthorId> = post.recipient.clone();
        if author.is_none()
            && let Some(parent) = &post.parent_id
            && let Some(parent_id) = self
                .posts
                .find_by_platform_id(post.channel, &post.account, parent)
                .await?
            && let Some(parent) = self.posts.get(&parent_id).await?
            && parent.direction == Direction::Inbound
        {
            author = Some(parent.author.id);
        }
        match author {
            Some(a) => Ok(self.customers.customer_of(&a).await?),
            None => Ok(None),
        }
    }

    /// Posts that came before `parent` and waited for it (see [`keep_if_orphan`]) join the
    /// parent's case when they are the same customer's: a reply that reached us before the post
    /// it answers. Someone else's replies stay theirs.
    async fn adopt(&self, parent: &Post, case_id: &CaseId, waiting: Vec<PostId>) -> Result<(), ServiceError> {
        if waiting.is_empty() {
            return Ok(());
        }
        for child in self.posts.get_many(&waiting).await? {
            if child.direction != Direction::Inbound || child.id == parent.id {
                continue;
            }
            for _ in 0..MAX_CONFLICT_RETRIES {
                let Some(mut case) = self.cases.get(case_id).await? else {
                    return Ok(());
                };
                if case.contains(&child.id) || case.is_full() {
                    break;
                }
                let theirs = child.author.id == parent.author.id
                    || self.customers.customer_of(&child.author.id).await?.as_ref() == Some(&case.customer_id);
                if !theirs {
                    break;
                }
                let expected = case.version;
                let now = self.clock.now();
                let added = if case.status.is_active() {
                    case.add_customer_post(&child.id, now)
                } else {
                    case.add_to_history(&child.id, now)
                };
                if !added {
                    break;
                }
                case.version += 1;
                match self.cases.save(&case, expected, LoadChange::None).await {
                    Ok(()) => {
                        tracing::info!(case_id = %case.id, post_id = %child.id, "a reply that came before its parent joined the parent's case");
                        self.announce(&case, "post_added").await?;
                        break;
                    }
                    Err(PortError::Conflict(_)) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Ok(())
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
            routing: Default::default(),
            facts: {
                let mut facts = crate::case::CaseFacts::default();
                if let Some(c) = classification {
                    facts.note_customer_post(c.intent, c.sentiment);
                }
                facts
            },
        }
    }

    async fn announce(&self, case: &Case, reason: &str) -> Result<(), ServiceError> {
        let envelope = Envelope::case_updated(case, reason, self.clock.now());
        self.publisher.publish(&envelope).await?;
        Ok(())
    }
}

/// The post `post` replies to, if we have it: stored under its id (an inbound post's id is
/// `channel:account:platform id`) or remembered under its platform id (our replies). When we do
/// not, `post` is recorded as waiting for it: the parent, when it comes and joins a case, takes
/// it along ([`ThreadService::adopt`]). A post replying to itself has no parent.
pub(crate) async fn keep_if_orphan(posts: &dyn PostStore, post: &Post) -> Result<Option<PostId>, ServiceError> {
    let Some(parent) = post.parent_id.as_deref().filter(|p| *p != post.platform_id) else {
        return Ok(None);
    };
    if let Ok(id) = Post::id_on(post.channel, &post.account, parent)
        && posts.get(&id).await?.is_some()
    {
        return Ok(Some(id));
    }
    if let Some(id) = posts.find_by_platform_id(post.channel, &post.account, parent).await? {
        return Ok(Some(id));
    }
    if posts.await_parent(post).await? {
        tracing::debug!(post_id = %post.id, "its parent has not come yet: waiting for it");
    }
    Ok(None)
}
