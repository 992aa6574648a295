//! Ingest: remember the platform event id, enqueue the post changes. Nothing else on this path.

use crate::error::ServiceError;
use crate::events::{Envelope, Event, PostChange};
use crate::ports::{Clock, Dedupe, Publisher, Seen};
use jiff::SignedDuration;
use std::sync::Arc;

/// A verified, parsed webhook delivery.
#[derive(Debug, Clone)]
pub struct Inbound {
    /// Platform + event id: `generic:forum:msg_2Kx...`.
    pub key: String,
    /// A digest of the raw body: the same id with another body is a conflict.
    pub fingerprint: String,
    pub changes: Vec<PostChange>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Enqueued(usize),
    Duplicate,
    /// The same event id came with a different body: rejected, nothing applied.
    Conflict,
}

pub struct IngestService {
    dedupe: Arc<dyn Dedupe>,
    publisher: Arc<dyn Publisher>,
    clock: Arc<dyn Clock>,
    ttl: SignedDuration,
}

impl IngestService {
    pub fn new(dedupe: Arc<dyn Dedupe>, publisher: Arc<dyn Publisher>, clock: Arc<dyn Clock>, ttl_days: u32) -> Self {
        Self {
            dedupe,
            publisher,
            clock,
            ttl: SignedDuration::from_hours(24 * i64::from(ttl_days)),
        }
    }

    /// Enqueues first, remembers after: a crash in between makes the platform resend,
    /// and the resend is enqueued again (downstream writes are keyed, so it changes nothing).
    /// Remembering first would lose the post on such a crash.
    pub async fn accept(&self, inbound: Inbound) -> Result<Outcome, ServiceError> {
        let now = self.clock.now();
        match self.dedupe.check(&inbound.key, &inbound.fingerprint, now).await? {
            Seen::Duplicate => return Ok(Outcome::Duplicate),
            Seen::Conflict => {
                tracing::warn!(key = %inbound.key, "event id seen before with a different body; not applied");
                return Ok(Outcome::Conflict);
            }
            Seen::New => {}
        }
        // A delivery of several posts (X batches them) goes out in batched sends.
        let envelopes: Vec<Envelope> = inbound
            .changes
            .iter()
            .map(|change| Envelope::new(Event::PostReceived(change.clone()), now))
            .collect();
        for result in self.publisher.publish_all(&envelopes).await {
            result?;
        }
        let expires = now
            .checked_add(self.ttl)
            .map_err(|e| ServiceError::Invalid(e.to_string()))?;
        self.dedupe
            .remember(&inbound.key, &inbound.fingerprint, expires)
            .await?;
        Ok(Outcome::Enqueued(inbound.changes.len()))
    }
}
