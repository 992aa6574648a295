//! Classify: attach a classification to each new (or edited) post and pass it on, or (when
//! given the post and customer stores) keep the chatter of unknown authors itself.

use crate::error::ServiceError;
use crate::events::{Envelope, Event, PostChange};
use crate::ports::{Classifier, Clock, CustomerStore, PostStore, Publisher};
use crate::post::Direction;
use std::sync::Arc;

pub struct ClassifyService {
    classifier: Arc<dyn Classifier>,
    publisher: Arc<dyn Publisher>,
    clock: Arc<dyn Clock>,
    chatter: Option<(Arc<dyn PostStore>, Arc<dyn CustomerStore>)>,
}

impl ClassifyService {
    pub fn new(classifier: Arc<dyn Classifier>, publisher: Arc<dyn Publisher>, clock: Arc<dyn Clock>) -> Self {
        Self {
            classifier,
            publisher,
            clock,
            chatter: None,
        }
    }

    /// Keeps the chatter of unknown authors here instead of passing it to `thread`, which would
    /// only store it (a non-actionable post of someone who is not a customer opens nothing and
    /// joins nothing): the same post write and the same customer read, one queue hop less (an
    /// SQS send, receive and delete and a `thread` invocation per post). The trade: such a post
    /// is not ordered behind its author's earlier posts still on their way through `thread`, so
    /// chatter written seconds after a first request may be stored without joining its case.
    pub fn with_store_only_chatter(mut self, posts: Arc<dyn PostStore>, customers: Arc<dyn CustomerStore>) -> Self {
        self.chatter = Some((posts, customers));
        self
    }

    /// True when the post was stored here as chatter of an unknown author (nothing to pass on).
    async fn kept_as_chatter(&self, post: &crate::post::Post) -> Result<bool, ServiceError> {
        let Some((posts, customers)) = &self.chatter else {
            return Ok(false);
        };
        let actionable = post.classification.as_ref().is_none_or(|c| c.actionable);
        if actionable || post.direction != Direction::Inbound {
            return Ok(false);
        }
        if customers.customer_of(&post.author.id).await?.is_some() {
            return Ok(false);
        }
        // A replay finds the post stored already: nothing changes.
        posts.insert(post).await?;
        Ok(true)
    }

    /// Every change goes on to `thread`, in order: non-actionable posts are kept there for
    /// analytics (and join a case the customer already has) but never open one.
    pub async fn handle(&self, change: PostChange) -> Result<(), ServiceError> {
        let change = match change {
            PostChange::Created { mut post } => {
                let c = self.classifier.classify(&post);
                tracing::info!(
                    post_id = %post.id,
                    language = c.language.as_ref().map(|l| l.as_str()).unwrap_or("?"),
                    actionable = c.actionable,
                    spam = c.spam,
                    priority = %c.priority,
                    "post classified"
                );
                post.classification = Some(c);
                if self.kept_as_chatter(&post).await? {
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
}
