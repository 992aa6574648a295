//! A failed reply sent again: the agent holding the case or a supervisor asks, the reply goes
//! back on the outbound queue with its delivery pending and the retry in the case's history.

use super::{Desk, Principal};
use crate::error::{PortError, ServiceError};
use crate::events::{Envelope, Event, ReplyRequested};
use crate::ids::{CaseId, PostId};
use crate::ports::LoadChange;
use crate::post::{Delivery, Direction, Post};
use crate::services::MAX_CONFLICT_RETRIES;

impl Desk {
    /// Queues the delivery of a failed reply again. 404 for a reply not on the case, 403 for a
    /// case that is neither the caller's nor a supervisor's to act on, 409 for a reply that has
    /// not failed (sent, or still on its way).
    pub async fn retry_reply(&self, who: &Principal, case_id: &CaseId, post_id: &PostId) -> Result<Post, ServiceError> {
        for _ in 0..MAX_CONFLICT_RETRIES {
            let mut case = self.own_case(who, case_id).await?;
            let mut post = match self.posts.get(post_id).await? {
                Some(p) if case.posts.contains(post_id) && p.direction == Direction::Outbound => p,
                _ => return Err(ServiceError::NotFound(format!("reply {post_id} on case {case_id}"))),
            };
            match &post.delivery {
                Some(Delivery::Failed { .. }) => {}
                Some(Delivery::Sent { .. }) => {
                    return Err(ServiceError::Conflict(format!("reply {post_id} was delivered already")));
                }
                _ => {
                    return Err(ServiceError::Conflict(format!(
                        "reply {post_id} is still on its way: only a failed reply can be retried"
                    )));
                }
            }
            let now = self.clock.now();
            let expected = case.version;
            case.note_delivery_retry(post_id, &who.agent_id, now);
            case.version += 1;
            match self.cases.save(&case, expected, LoadChange::None).await {
                Ok(()) => {}
                Err(PortError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
            post.delivery = Some(Delivery::Pending);
            self.posts.put(&post).await?;
            let request = ReplyRequested {
                case_id: case.id.clone(),
                post_id: post_id.clone(),
                agent_id: who.agent_id.clone(),
                in_reply_to: None,
            };
            self.publisher
                .publish(&Envelope::new(Event::ReplyRequested(request), now))
                .await?;
            tracing::info!(case_id = %case.id, %post_id, agent_id = %who.agent_id, "reply delivery retried");
            return Ok(post);
        }
        Err(ServiceError::Conflict(format!("case {case_id} kept changing")))
    }
}
