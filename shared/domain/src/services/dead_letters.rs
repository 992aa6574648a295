//! Dead letters for supervisors: every message the pipeline gave up on, with why, and the way
//! back. Two kinds, listed together:
//! - **parked**: the batch runner decided the message can never succeed (bad body, unknown
//!   case), or it failed on its last allowed receive; the reason is the error it met;
//! - **dead-lettered**: the queue itself moved it to its dead-letter queue after
//!   `maxReceiveCount` receives, i.e. the function never finished with it (a crash or timeout).
//!
//! Redrive sends the message back to the queue it came from; handlers are idempotent, so a
//! message that was half done before does no harm.

use super::desk::Principal;
use crate::error::ServiceError;
use crate::events::Envelope;
use crate::ports::{DeadLetterQueue, ParkingLot, Publisher};
use jiff::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One dead letter as a supervisor sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeadLetterView {
    /// `parked:<queue>:<message id>` or `dlq:<queue>:<message id>`: what redrive takes.
    pub id: String,
    pub queue: String,
    /// `parked` or `dead_lettered`.
    pub kind: &'static str,
    pub message_id: String,
    pub reason: String,
    /// Parked: when it was parked; dead-lettered: when it was first sent to its queue.
    pub first_seen: Option<Timestamp>,
    /// Dead-lettered: the receives it had before the queue gave up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receive_count: Option<u32>,
    /// The event type and the case or post it is about, when the body is an event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_id: Option<String>,
    /// The message as it was sent (JSON when it is JSON).
    pub body: serde_json::Value,
}

pub struct DeadLetterDesk {
    parking: Arc<dyn ParkingLot>,
    queues: BTreeMap<String, Arc<dyn DeadLetterQueue>>,
    publisher: Arc<dyn Publisher>,
}

/// The most dead letters one look lists (per kind and queue).
pub const MAX_DEAD_LETTERS: usize = 500;

impl DeadLetterDesk {
    /// `queues`: each stream's dead-letter queue by the stream's name (`received`, `replies`, ...).
    pub fn new(
        parking: Arc<dyn ParkingLot>,
        queues: BTreeMap<String, Arc<dyn DeadLetterQueue>>,
        publisher: Arc<dyn Publisher>,
    ) -> Self {
        Self {
            parking,
            queues,
            publisher,
        }
    }

    fn supervisor(who: &Principal) -> Result<(), ServiceError> {
        if who.is_supervisor() {
            Ok(())
        } else {
            Err(ServiceError::Forbidden("dead letters are for supervisors".into()))
        }
    }

    /// Every dead letter, newest first within each kind: parked ones, then each queue's.
    pub async fn list(&self, who: &Principal, limit: usize) -> Result<Vec<DeadLetterView>, ServiceError> {
        Self::supervisor(who)?;
        let limit = limit.min(MAX_DEAD_LETTERS);
        let mut out: Vec<DeadLetterView> = self
            .parking
            .list(limit)
            .await?
            .into_iter()
            .map(|p| {
                view(
                    format!("parked:{}:{}", p.source, p.message_id),
                    &p.source,
                    "parked",
                    p.message_id,
                    p.reason,
                    Some(p.at),
                    None,
                    &p.body,
                )
            })
            .collect();
        for (queue, dlq) in &self.queues {
            for d in dlq.peek(limit).await? {
                let reason = format!(
                    "the queue gave up after {} receives: the function never finished with it (crash or timeout; its logs have message_id={})",
                    d.receive_count, d.message_id
                );
                out.push(view(
                    format!("dlq:{queue}:{}", d.message_id),
                    queue,
                    "dead_lettered",
                    d.message_id,
                    reason,
                    d.first_seen,
                    Some(d.receive_count),
                    &d.body,
                ));
            }
        }
        out.truncate(limit);
        Ok(out)
    }

    /// Sends one dead letter back to its queue. 404 when it is not (or no longer) there, 422 for
    /// a parked body that is no event (it can never be processed).
    pub async fn redrive(&self, who: &Principal, id: &str) -> Result<(), ServiceError> {
        Self::supervisor(who)?;
        let not_found = || ServiceError::NotFound(format!("dead letter {id}"));
        let mut parts = id.splitn(3, ':');
        let (Some(kind), Some(queue), Some(message_id)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(not_found());
        };
        match kind {
            "dlq" => {
                let dlq = self.queues.get(queue).ok_or_else(not_found)?;
                if !dlq.redrive(message_id).await? {
                    return Err(not_found());
                }
            }
            "parked" => {
                let parked = self
                    .parking
                    .list(MAX_DEAD_LETTERS)
                    .await?
                    .into_iter()
                    .find(|p| p.source == queue && p.message_id == message_id)
                    .ok_or_else(not_found)?;
                let envelope: Envelope = serde_json::from_str(&parked.body).map_err(|e| {
                    ServiceError::Invalid(format!(
                        "the parked message is no event and can never be processed: {e}"
                    ))
                })?;
                self.publisher.publish(&envelope).await?;
                // Sent first, forgotten second: a crash in between only repeats an idempotent message.
                self.parking.remove(queue, message_id).await?;
            }
            _ => return Err(not_found()),
        }
        tracing::info!(dead_letter = id, by = %who.agent_id, "dead letter sent back to its queue");
        Ok(())
    }
}

#[expect(clippy::too_many_arguments, reason = "one row of the listing, built in two places")]
fn view(
    id: String,
    queue: &str,
    kind: &'static str,
    message_id: String,
    reason: String,
    first_seen: Option<Timestamp>,
    receive_count: Option<u32>,
    body: &str,
) -> DeadLetterView {
    let json: serde_json::Value =
        serde_json::from_str(body).unwrap_or_else(|_| serde_json::Value::String(body.to_string()));
    let data = &json["data"];
    let text = |v: &serde_json::Value| v.as_str().map(str::to_string);
    let post_id = text(&data["post_id"]).or_else(|| text(&data["post"]["id"]));
    DeadLetterView {
        id,
        queue: queue.to_string(),
        kind,
        message_id,
        reason,
        first_seen,
        receive_count,
        event_type: text(&json["type"]),
        case_id: text(&data["case_id"]),
        post_id,
        body: json,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_view_names_the_event_and_its_case() {
        let body = r#"{"id":"e1","occurred_at":"2026-01-01T00:00:00Z","type":"reply.requested.v1","data":{"case_id":"case-1","post_id":"reply:case-1:x","agent_id":"ben"}}"#;
        let v = view(
            "dlq:replies:m1".into(),
            "replies",
            "dead_lettered",
            "m1".into(),
            "r".into(),
            None,
            Some(5),
            body,
        );
        assert_eq!(v.event_type.as_deref(), Some("reply.requested.v1"));
        assert_eq!(v.case_id.as_deref(), Some("case-1"));
        assert_eq!(v.post_id.as_deref(), Some("reply:case-1:x"));
        let raw = view(
            "parked:x:m".into(),
            "x",
            "parked",
            "m".into(),
            "r".into(),
            None,
            None,
            "not json",
        );
        assert_eq!(raw.body, serde_json::Value::String("not json".into()));
        assert_eq!(raw.event_type, None);
    }
}
