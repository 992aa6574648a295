//! Outbound: deliver an agent's reply to the customer's channel; park what the channel refuses.

use super::MAX_CONFLICT_RETRIES;
use crate::error::{PortError, ServiceError};
use crate::events::ReplyRequested;
use crate::ports::{CaseStore, Clock, LoadChange, OutboundReply, PostStore, ReplySender, SendError};
use crate::post::{Delivery, Direction, MAX_DELIVERY_ATTEMPTS};
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivered {
    Sent(Option<String>),
    /// Sent before (a redelivery of the request): nothing done.
    AlreadySent,
    /// Refused for good; the reason is on the post and in the case history.
    Parked(String),
}

pub struct OutboundService {
    posts: Arc<dyn PostStore>,
    cases: Arc<dyn CaseStore>,
    sender: Arc<dyn ReplySender>,
    clock: Arc<dyn Clock>,
    /// Each delivery and failure is told to the account's health record.
    health: Option<Arc<super::channels::ChannelHealthService>>,
}

impl OutboundService {
    pub fn new(
        posts: Arc<dyn PostStore>,
        cases: Arc<dyn CaseStore>,
        sender: Arc<dyn ReplySender>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            posts,
            cases,
            sender,
            clock,
            health: None,
        }
    }

    /// Tells each delivery and failure to the channel health records.
    pub fn with_health(mut self, health: Arc<super::channels::ChannelHealthService>) -> Self {
        self.health = Some(health);
        self
    }

    /// Health is a side record: a failure to write it is logged, never fails the delivery.
    async fn tell_health(&self, reply: &OutboundReply, outcome: Result<(), &SendError>) {
        let Some(health) = &self.health else { return };
        let platform = crate::health::platform_of(reply.channel);
        let result = match outcome {
            Ok(()) => health.delivered(platform, &reply.account).await,
            Err(e) => health.failed(platform, &reply.account, e.kind(), e.reason()).await,
        };
        if let Err(e) = result {
            tracing::warn!(platform, account = %reply.account, error = %e, "channel health not updated");
        }
    }

    pub async fn deliver(&self, request: &ReplyRequested) -> Result<Delivered, ServiceError> {
        let mut post = self
            .posts
            .get(&request.post_id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("reply post {}", request.post_id)))?;
        if matches!(
            post.delivery,
            Some(Delivery::Sent { .. }) | Some(Delivery::Failed { .. })
        ) {
            return Ok(Delivered::AlreadySent);
        }
        let case = self
            .cases
            .get(&request.case_id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("case {}", request.case_id)))?;
        // The reply goes to the customer's latest post in the case.
        let thread = self.posts.get_many(&case.posts).await?;
        let recipient_post = thread
            .iter()
            .rev()
            .find(|p| p.direction == Direction::Inbound)
            .ok_or_else(|| ServiceError::Invalid(format!("case {} has no customer post to answer", case.id)))?;
        // The customer's data was erased (see `services::privacy`): nothing goes out to them.
        if recipient_post.author.id.as_str().starts_with("erased:") || post.text == crate::customer::ERASED {
            return self
                .park(post, &request.case_id, "the customer's data was erased".to_string())
                .await;
        }
        let reply = OutboundReply {
            case_id: case.id.clone(),
            post_id: post.id.clone(),
            channel: recipient_post.channel,
            account: recipient_post.account.clone(),
            text: post.text.clone(),
            in_reply_to: request
                .in_reply_to
                .clone()
                .or_else(|| Some(recipient_post.platform_id.clone())),
            recipient: recipient_post.author.clone(),
        };
        let sent = self.sender.send(&reply).await;
        self.tell_health(&reply, sent.as_ref().map(|_| ())).await;
        match sent {
            Ok(platform_id) => {
                post.delivery = Some(Delivery::Sent {
                    platform_id: platform_id.clone(),
                    at: self.clock.now(),
                });
                if let Some(id) = &platform_id {
                    post.platform_id = id.clone();
                }
                self.posts.put(&post).await?;
                // Its echo, and the customer's answer to it, are recognised by this id.
                if platform_id.is_some() {
                    self.posts.remember_platform_id(&post).await?;
                }
                tracing::info!(case_id = %case.id, post_id = %post.id, channel = %reply.channel, "reply delivered");
                Ok(Delivered::Sent(platform_id))
            }
            Err(SendError::Retry { reason, .. }) | Err(SendError::RateLimited { reason, .. }) => {
                let attempts = match &post.delivery {
                    Some(Delivery::Retrying { attempts, .. }) => attempts + 1,
                    _ => 1,
                };
                if attempts >= MAX_DELIVERY_ATTEMPTS {
                    let reason = format!("not delivered after {attempts} attempts: {reason}");
                    return self.park(post, &request.case_id, reason).await;
                }
                tracing::warn!(case_id = %case.id, post_id = %post.id, attempts, %reason, "reply not delivered yet; the queue will redeliver it");
                post.delivery = Some(Delivery::Retrying {
                    attempts,
                    reason: reason.clone(),
                    at: self.clock.now(),
                });
                self.posts.put(&post).await?;
                Err(ServiceError::Port(PortError::Unavailable(reason)))
            }
            Err(SendError::Permanent(reason)) => self.park(post, &request.case_id, reason).await,
            Err(e @ SendError::Access { .. }) => self.park(post, &request.case_id, e.to_string()).await,
        }
    }

    /// The reply failed for good: its post says so, with the reason, and so does its case's history.
    async fn park(
        &self,
        mut post: crate::post::Post,
        case_id: &crate::ids::CaseId,
        reason: String,
    ) -> Result<Delivered, ServiceError> {
        post.delivery = Some(Delivery::Failed {
            reason: reason.clone(),
            at: self.clock.now(),
        });
        self.posts.put(&post).await?;
        self.note_failure(case_id, &post.id, &reason).await?;
        tracing::warn!(%case_id, post_id = %post.id, %reason, "reply failed: shown on its case, an agent may retry it");
        Ok(Delivered::Parked(reason))
    }

    async fn note_failure(
        &self,
        case_id: &crate::ids::CaseId,
        post_id: &crate::ids::PostId,
        reason: &str,
    ) -> Result<(), ServiceError> {
        for _ in 0..MAX_CONFLICT_RETRIES {
            let Some(mut case) = self.cases.get(case_id).await? else {
                return Ok(());
            };
            let expected = case.version;
            case.note_delivery_failure(post_id, reason, self.clock.now());
            case.version += 1;
            match self.cases.save(&case, expected, LoadChange::None).await {
                Ok(()) => return Ok(()),
                Err(PortError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Conflict(format!("case {case_id} kept changing")))
    }
}
