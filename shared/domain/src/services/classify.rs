//! Classify: attach a classification to each new (or edited) post and pass it on.
//!
//! With the customer and case stores ([`ClassifyService::with_history`]) the classifier also
//! knows the author: a known customer, the language of their case (the fallback for a short
//! post), and how many times they already wrote about the active case (repeated contact).
//! A stranger's post costs one read (the author index); a known customer's two or three more.
//!
//! With the post store as well ([`ClassifyService::with_store_only_chatter`]) the chatter of
//! authors who are not customers is stored here instead of passing through `thread`; with the
//! triage list ([`ClassifyService::with_triage`]) such a post the classifier was unsure about
//! (`review`) is listed for a person, never dropped silently.

use crate::error::ServiceError;
use crate::events::{Envelope, Event, PostChange};
use crate::ports::{
    CaseQuery, CaseStore, Classifier, Clock, CustomerStore, PostFetcher, PostStore, Publisher, TriageStore,
};
use crate::post::{Direction, Post, PostContext};
use std::sync::Arc;

/// Where the context of a post is looked up.
struct History {
    customers: Arc<dyn CustomerStore>,
    cases: Arc<dyn CaseStore>,
}

pub struct ClassifyService {
    classifier: Arc<dyn Classifier>,
    publisher: Arc<dyn Publisher>,
    clock: Arc<dyn Clock>,
    history: Option<History>,
    chatter: Option<Arc<dyn PostStore>>,
    triage: Option<Arc<dyn TriageStore>>,
    fetcher: Option<Arc<dyn PostFetcher>>,
}

impl ClassifyService {
    pub fn new(classifier: Arc<dyn Classifier>, publisher: Arc<dyn Publisher>, clock: Arc<dyn Clock>) -> Self {
        Self {
            classifier,
            publisher,
            clock,
            history: None,
            chatter: None,
            triage: None,
            fetcher: None,
        }
    }

    /// Looks up the author's customer and case for every inbound post (see the module doc).
    pub fn with_history(mut self, customers: Arc<dyn CustomerStore>, cases: Arc<dyn CaseStore>) -> Self {
        self.history = Some(History { customers, cases });
        self
    }

    /// Keeps the chatter of unknown authors here instead of passing it to `thread`, which would
    /// only store it (a non-actionable post of someone who is not a customer opens nothing and
    /// joins nothing): the same post write, and the customer read is the one the context needs
    /// anyway; one queue hop less (an SQS send, receive and delete and a `thread` invocation per
    /// post). The trade: such a post is not ordered behind its author's earlier posts still on
    /// their way through `thread`, so chatter written seconds after a first request may be stored
    /// without joining its case. Needs [`ClassifyService::with_history`] (who is a customer).
    pub fn with_store_only_chatter(mut self, posts: Arc<dyn PostStore>) -> Self {
        self.chatter = Some(posts);
        self
    }

    /// Lists the chatter stored here that the classifier marked for review (`thread` lists the
    /// posts it keeps without a case).
    pub fn with_triage(mut self, triage: Arc<dyn TriageStore>) -> Self {
        self.triage = Some(triage);
        self
    }

    /// Fetches the text and author of posts that came as ids only (Instagram mentions) before
    /// they are classified; without a fetcher such a post is parked, never stored as a placeholder.
    pub fn with_fetcher(mut self, fetcher: Arc<dyn PostFetcher>) -> Self {
        self.fetcher = Some(fetcher);
        self
    }

    /// Fills in a post that came as ids only. The fetcher retries (bounded, with backoff) inside
    /// the call; what still fails is parked with its reason (`Invalid` → dead letter with reason).
    async fn complete(&self, post: &mut Post) -> Result<(), ServiceError> {
        if !post.needs_fetch() {
            return Ok(());
        }
        let Some(fetcher) = &self.fetcher else {
            return Err(ServiceError::Invalid(format!(
                "{}: the text of this mention cannot be fetched (no Graph API fetcher configured)",
                post.id
            )));
        };
        match fetcher.fetch(post).await {
            Ok(fetched) => {
                post.text = fetched.text;
                if let Some(author) = fetched.author {
                    post.author = author;
                }
                if let Some(at) = fetched.created_at {
                    post.created_at = at;
                }
                tracing::debug!(post_id = %post.id, "mention text fetched");
                Ok(())
            }
            Err(e) => Err(ServiceError::Invalid(format!(
                "{}: the mention's text could not be fetched: {e}",
                post.id
            ))),
        }
    }

    /// True when the post was stored here as chatter of an unknown author (nothing to pass on).
    async fn kept_as_chatter(&self, post: &Post, context: &PostContext) -> Result<bool, ServiceError> {
        let Some(posts) = &self.chatter else {
            return Ok(false);
        };
        let actionable = post.classification.as_ref().is_none_or(|c| c.actionable);
        if actionable || post.direction != Direction::Inbound || context.existing_customer || self.history.is_none() {
            return Ok(false);
        }
        // A replay finds the post stored already: nothing changes.
        posts.insert(post).await?;
        super::thread::keep_if_orphan(posts.as_ref(), post).await?;
        // After the post: a crash in between lists it on the redelivery (the insert is keyed).
        if let Some(triage) = &self.triage
            && let Some(entry) = crate::triage::TriageEntry::of(post, self.clock.now())
            && triage.list_for_triage(&entry).await?
        {
            tracing::info!(post_id = %post.id, "unsure chatter listed for triage");
        }
        Ok(true)
    }

    /// Every change goes on to `thread`, in order: non-actionable posts are kept there for
    /// analytics (and join a case the customer already has) but never open one.
    pub async fn handle(&self, change: PostChange) -> Result<(), ServiceError> {
        let change = match change {
            PostChange::Created { mut post } => {
                self.complete(&mut post).await?;
                let context = self.context_of(&post).await?;
                let c = self.classifier.classify_in(&post, &context);
                tracing::info!(
                    post_id = %post.id,
                    language = c.language.as_ref().map(|l| l.as_str()).unwrap_or("?"),
                    actionable = c.actionable,
                    spam = c.spam,
                    priority = %c.priority,
                    known_customer = context.existing_customer,
                    "post classified"
                );
                post.classification = Some(c);
                if self.kept_as_chatter(&post, &context).await? {
                    tracing::debug!(post_id = %post.id, "chatter of an unknown author stored");
                    return Ok(());
                }
                PostChange::Created { post }
            }
            other => other,
        };
        let envelope = Envelope::new(Event::PostClassified(change), self.clock.now());
        self.publisher.publish(&envelope).await?;
        Ok(())
    }

    /// What is known of the post's author: nothing for our own posts or without the stores.
    pub async fn context_of(&self, post: &Post) -> Result<PostContext, ServiceError> {
        let mut context = PostContext {
            now: Some(self.clock.now()),
            ..PostContext::default()
        };
        let Some(history) = &self.history else {
            return Ok(context);
        };
        if post.direction == Direction::Outbound {
            return Ok(context);
        }
        let Some(customer) = history.customers.customer_of(&post.author.id).await? else {
            return Ok(context);
        };
        context.existing_customer = true;
        if let Some(case_id) = history.cases.active_case_of(&customer).await?
            && let Some(case) = history.cases.get(&case_id).await?
        {
            context.previous_language = case.language.clone();
            context.previous_contacts = u32::try_from(case.customer_posts(&post.id)).unwrap_or(u32::MAX);
            return Ok(context);
        }
        // No active case: the language of the customer's latest case is still the best guess.
        let query = CaseQuery {
            customer: Some(customer),
            ..CaseQuery::default()
        };
        context.previous_language = history
            .cases
            .list(&query)
            .await?
            .into_iter()
            .max_by_key(|c| c.created_at)
            .and_then(|c| c.language);
        Ok(context)
    }
}
