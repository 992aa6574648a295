//! The SQS batch runner, the same on Lambda and in `care serve`'s pollers.
//!
//! Per record: its own span, its own deserialization, its own panic guard. A record that can
//! never succeed is parked with its reason (and acknowledged); a passing failure is reported in
//! `batchItemFailures` so SQS redelivers only it (and, after `maxReceiveCount`, dead-letters it).
//! FIFO: after a record of a group fails, the group's later records are reported failed
//! unprocessed, so order within a group is kept. An item identifier is never empty: a record
//! without a message id fails the whole batch instead (SQS then redelivers all of it).

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use futures::FutureExt;
use socialcare_domain::ports::{Clock, Parked, ParkingLot, QueueReceiver, Received};
use socialcare_domain::{Disposition, Envelope, ServiceError};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

/// What the runner did with a batch, for logs and tests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BatchReport {
    pub ok: usize,
    pub parked: usize,
    pub failed: usize,
    /// FIFO records not tried because an earlier record of their group failed.
    pub held: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("an SQS record has no message id: the whole batch must be retried")]
    MissingMessageId,
}

/// Runs `handler` on every record of `event`.
pub async fn run_batch<F, Fut>(
    source: &str,
    event: SqsEvent,
    fifo: bool,
    parking: &dyn ParkingLot,
    clock: &dyn Clock,
    handler: F,
) -> Result<(SqsBatchResponse, BatchReport), BatchError>
where
    F: Fn(Envelope) -> Fut,
    Fut: Future<Output = Result<(), ServiceError>>,
{
    if event
        .records
        .iter()
        .any(|r| r.message_id.as_deref().is_none_or(str::is_empty))
    {
        return Err(BatchError::MissingMessageId);
    }
    let mut failures = Vec::new();
    let mut report = BatchReport::default();
    let mut failed_groups: HashSet<String> = HashSet::new();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let group = record.attributes.get("MessageGroupId").cloned();
        if fifo
            && let Some(g) = &group
            && failed_groups.contains(g)
        {
            report.held += 1;
            failures.push(item_failure(id));
            continue;
        }
        let span = tracing::info_span!("message", source, message_id = %id);
        let outcome = handle_one(&record, &handler).instrument(span.clone()).await;
        let failed = match outcome {
            Ok(()) => {
                report.ok += 1;
                false
            }
            Err(Disposition::Drop(reason)) => {
                let parked = Parked {
                    source: source.to_string(),
                    message_id: id.clone(),
                    body: record.body.clone().unwrap_or_default(),
                    reason: reason.clone(),
                    at: clock.now(),
                };
                match parking.park(&parked).await {
                    Ok(()) => {
                        span.in_scope(|| tracing::error!(%reason, "message parked: it can never succeed"));
                        report.parked += 1;
                        false
                    }
                    Err(e) => {
                        span.in_scope(
                            || tracing::error!(error = %e, %reason, "could not park a message; it will be retried"),
                        );
                        true
                    }
                }
            }
            Err(Disposition::Retry) => true,
            Err(Disposition::Fatal) => true,
        };
        if failed {
            report.failed += 1;
            if let Some(g) = group {
                failed_groups.insert(g);
            }
            failures.push(item_failure(id));
        }
    }
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failures;
    Ok((response, report))
}

fn item_failure(id: String) -> BatchItemFailure {
    let mut f = BatchItemFailure::default();
    f.item_identifier = id;
    f
}

async fn handle_one<F, Fut>(record: &SqsMessage, handler: &F) -> Result<(), Disposition>
where
    F: Fn(Envelope) -> Fut,
    Fut: Future<Output = Result<(), ServiceError>>,
{
    let Some(body) = record.body.as_deref() else {
        return Err(Disposition::Drop("the message has no body".into()));
    };
    let envelope: Envelope =
        serde_json::from_str(body).map_err(|e| Disposition::Drop(format!("not a known event: {e}")))?;
    tracing::debug!(event = envelope.event.type_name(), event_id = %envelope.id, "handling");
    match AssertUnwindSafe(handler(envelope)).catch_unwind().await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => {
            let d = e.disposition();
            match &d {
                Disposition::Retry => tracing::warn!(error = %e, "will retry"),
                Disposition::Fatal => tracing::error!(error = %e, "failed"),
                Disposition::Drop(_) => {}
            }
            Err(d)
        }
        Err(_) => {
            tracing::error!("handler panicked; the message will be retried and dead-lettered if it keeps failing");
            Err(Disposition::Retry)
        }
    }
}

/// Turns messages from a [`QueueReceiver`] into the SQS event Lambda would have delivered.
pub fn to_event(messages: &[Received]) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = messages
        .iter()
        .map(|m| {
            let mut record = SqsMessage::default();
            record.message_id = Some(m.message_id.clone());
            record.receipt_handle = Some(m.receipt.clone());
            record.body = Some(m.body.clone());
            let mut attributes = HashMap::new();
            attributes.insert("ApproximateReceiveCount".to_string(), m.receive_count.to_string());
            if let Some(g) = &m.group {
                attributes.insert("MessageGroupId".to_string(), g.clone());
            }
            record.attributes = attributes;
            record
        })
        .collect();
    event
}

/// A local poller: receive a batch, run it, delete what succeeded (or was parked), forever.
/// Failed records stay and come back after their visibility timeout, as on SQS.
pub async fn poll<F, Fut>(
    source: String,
    queue: Arc<dyn QueueReceiver>,
    fifo: bool,
    parking: Arc<dyn ParkingLot>,
    clock: Arc<dyn Clock>,
    batch_size: usize,
    handler: F,
) where
    F: Fn(Envelope) -> Fut,
    Fut: Future<Output = Result<(), ServiceError>>,
{
    loop {
        let messages = match queue.receive(batch_size, Duration::from_millis(500)).await {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(source, error = %e, "receive failed; backing off");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if messages.is_empty() {
            continue;
        }
        let receipts: HashMap<String, String> = messages
            .iter()
            .map(|m| (m.message_id.clone(), m.receipt.clone()))
            .collect();
        match run_batch(
            &source,
            to_event(&messages),
            fifo,
            parking.as_ref(),
            clock.as_ref(),
            &handler,
        )
        .await
        {
            Ok((response, _)) => {
                let failed: HashSet<&str> = response
                    .batch_item_failures
                    .iter()
                    .map(|f| f.item_identifier.as_str())
                    .collect();
                let done: Vec<String> = receipts
                    .iter()
                    .filter(|(id, _)| !failed.contains(id.as_str()))
                    .map(|(_, r)| r.clone())
                    .collect();
                if let Err(e) = queue.delete(&done).await {
                    tracing::warn!(source, error = %e, "delete failed; those messages will be redelivered (handlers are idempotent)");
                }
            }
            Err(e) => tracing::error!(source, error = %e, "batch rejected"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use socialcare_domain::ports::SystemClock;
    use socialcare_domain::{CaseId, CaseUpdated, Event, PortError};
    use socialcare_memory::MemoryStore;

    fn msg(id: &str, body: &str, group: Option<&str>) -> Received {
        Received {
            message_id: id.into(),
            receipt: format!("r-{id}"),
            body: body.into(),
            group: group.map(Into::into),
            receive_count: 1,
        }
    }

    fn case_event(case: &str) -> String {
        let e = Envelope::new(
            Event::CaseUpdated(CaseUpdated {
                case_id: CaseId::parse(case).unwrap_or_else(|_| unreachable!()),
                version: 1,
                reason: "t".into(),
            }),
            jiff::Timestamp::UNIX_EPOCH,
        );
        serde_json::to_string(&e).unwrap_or_default()
    }

    async fn handler(e: Envelope) -> Result<(), ServiceError> {
        let Event::CaseUpdated(c) = e.event else { return Ok(()) };
        match c.case_id.as_str() {
            "retry" => Err(ServiceError::Port(PortError::Unavailable("throttled".into()))),
            "gone" => Err(ServiceError::NotFound("case gone".into())),
            "boom" => panic!("bug"),
            _ => Ok(()),
        }
    }

    fn failed_ids(r: &SqsBatchResponse) -> Vec<&str> {
        r.batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect()
    }

    #[tokio::test]
    async fn each_record_on_its_own() {
        let store = MemoryStore::new();
        let event = to_event(&[
            msg("1", &case_event("ok"), None),
            msg("2", "{not json", None),
            msg("3", &case_event("retry"), None),
            msg("4", &case_event("boom"), None),
            msg("5", &case_event("gone"), None),
            msg("6", &case_event("ok"), None),
        ]);
        let (resp, report) = run_batch("t", event, false, &store, &SystemClock, handler)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(failed_ids(&resp), vec!["3", "4"]);
        assert_eq!(
            report,
            BatchReport {
                ok: 2,
                parked: 2,
                failed: 2,
                held: 0
            }
        );
        let parked = store.list(10).await.unwrap_or_default();
        assert_eq!(parked.len(), 2);
        assert!(
            parked
                .iter()
                .any(|p| p.message_id == "2" && p.reason.contains("not a known event"))
        );
        assert!(
            parked
                .iter()
                .any(|p| p.message_id == "5" && p.reason.contains("case gone"))
        );
    }

    #[tokio::test]
    async fn fifo_holds_the_rest_of_a_failed_group() {
        let store = MemoryStore::new();
        let event = to_event(&[
            msg("a1", &case_event("retry"), Some("a")),
            msg("b1", &case_event("ok"), Some("b")),
            msg("a2", &case_event("ok"), Some("a")),
        ]);
        let (resp, report) = run_batch("t", event.clone(), true, &store, &SystemClock, handler)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(failed_ids(&resp), vec!["a1", "a2"]);
        assert_eq!(report.held, 1);
        let (resp, _) = run_batch("t", event, false, &store, &SystemClock, handler)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(failed_ids(&resp), vec!["a1"], "a standard queue does not hold groups");
    }

    #[tokio::test]
    async fn a_record_without_id_fails_the_batch_never_an_empty_identifier() {
        let store = MemoryStore::new();
        let mut event = to_event(&[msg("1", &case_event("ok"), None)]);
        event.records[0].message_id = Some(String::new());
        assert!(
            run_batch("t", event, false, &store, &SystemClock, handler)
                .await
                .is_err()
        );
    }
}
