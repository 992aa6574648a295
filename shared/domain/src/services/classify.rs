//! Classify: attach a classification to each new (or edited) post and pass it on.

use crate::error::ServiceError;
use crate::events::{Envelope, Event, PostChange};
use crate::ports::{Classifier, Clock, Publisher};
use std::sync::Arc;

pub struct ClassifyService {
    classifier: Arc<dyn Classifier>,
    publisher: Arc<dyn Publisher>,
    clock: Arc<dyn Clock>,
}

impl ClassifyService {
    pub fn new(classifier: Arc<dyn Classifier>, publisher: Arc<dyn Publisher>, clock: Arc<dyn Clock>) -> Self {
        Self {
            classifier,
            publisher,
            clock,
        }
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
                PostChange::Created { post }
            }
            other => other,
        };
        let envelope = Envelope::new(Event::PostClassified(change), self.clock.now());
        self.publisher.publish(&envelope).await?;
        Ok(())
    }
}
