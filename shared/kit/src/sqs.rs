//! The SQS batch runner, the same on Lambda and in `care serve`'s pollers.
//!
//! Per record: its own span, its own deserialization, its own panic guard. A record that can
//! never succeed is parked with its reason (and acknowledged); a passing failure is reported in
//! `batchItemFailures` so SQS redelivers only it (and, after `maxReceiveCount`, dead-letters it).
//! A record that fails on its last allowed receive ([`MAX_RECEIVES`], SQS's `maxReceiveCount`)
//! is parked too, with the error it met, instead of going to the dead-letter queue without one;
//! the DLQ then holds only what the function never finished with (a crash, a timeout).
//! FIFO: after a record of a group fails, the group's later records are reported failed
//! unprocessed, so order within a group is kept. An item identifier is never empty: a record
//! without a message id fails the whole batch instead (SQS then redelivers all of it).
//! With an outbox ([`crate::outbox::Deferred`]), the events the handlers publish go out together
//! at the end of the batch, and a record whose events did not go out is reported failed.

use crate::outbox::{Deferred, collecting};
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

/// Receives after which SQS dead-letters a message (`maxReceiveCount` in the template and in
/// `care serve`'s queues): a record that fails on this receive is parked with its error.
pub const MAX_RECEIVES: u32 = 5;

/// What the runner did with a batch, for logs and tests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BatchReport {
    pub ok: usize,
    pub parked: usize,
    pub failed: usize,
    /// FIFO records not tried because an earlier record of their group failed.
    pub held: usize,
    /// Records handled, then reported failed because their events did not all go out (or, FIFO,
    /// an earlier record of their group's did not): counted in `failed` too.
    pub unpublished: usize,
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
    run_batch_deferred(source, event, fifo, parking, clock, None, handler).await
}

/// What became of one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Ok,
    Parked,
    Failed,
    Held,
}

/// Runs `handler` on every record of `event`; with an `outbox`, the events the handlers publish
/// through it are sent together at the end (see [`crate::outbox`]) and a record whose events
/// did not all go out is reported failed, as are (FIFO) the later records of its group.
pub async fn run_batch_deferred<F, Fut>(
    source: &str,
    event: SqsEvent,
    fifo: bool,
    parking: &dyn ParkingLot,
    clock: &dyn Clock,
    outbox: Option<&Deferred>,
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
    let mut report = BatchReport::default();
    let mut failed_groups: HashSet<String> = HashSet::new();
    // Per record: id, FIFO group, what became of it, the events it published (deferred).
    let mut done: Vec<(String, Option<String>, Status, Vec<Envelope>)> = Vec::new();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let group = record.attributes.get("MessageGroupId").cloned();
        if fifo
            && let Some(g) = &group
            && failed_groups.contains(g)
        {
            report.held += 1;
            done.push((id, group, Status::Held, Vec::new()));
            continue;
        }
        let span = tracing::info_span!("message", source, message_id = %id);
        let work = handle_one(&record, &handler).instrument(span.clone());
        let (outcome, events) = match outbox {
            Some(_) => collecting(work).await,
            None => (work.await, Vec::new()),
        };
        let receives: u32 = record
            .attributes
            .get("ApproximateReceiveCount")
            .and_then(|c| c.parse().ok())
            .unwrap_or(1);
        let outcome = match outcome {
            Err((Disposition::Retry | Disposition::Fatal, error)) if receives >= MAX_RECEIVES => Err((
                Disposition::Drop(format!(
                    "failed on each of its {receives} receives; the last error: {error}"
                )),
                error,
            )),
            other => other,
        };
        let status = match outcome {
            Ok(()) => Status::Ok,
            Err((Disposition::Drop(reason), _)) => {
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
                        Status::Parked
                    }
                    Err(e) => {
                        span.in_scope(
                            || tracing::error!(error = %e, %reason, "could not park a message; it will be retried"),
                        );
                        Status::Failed
                    }
                }
            }
            Err((Disposition::Retry | Disposition::Fatal, _)) => Status::Failed,
        };
        if status == Status::Failed
            && let Some(g) = &group
        {
            failed_groups.insert(g.clone());
        }
        done.push((id, group, status, events));
    }
    if let Some(outbox) = outbox {
        flush(source, outbox, fifo, &mut done, &mut report).await;
    }
    let mut failures = Vec::new();
    for (id, _, status, _) in done {
        match status {
            Status::Ok => report.ok += 1,
            Status::Parked => report.parked += 1,
            Status::Failed => {
                report.failed += 1;
                failures.push(item_failure(id));
            }
            Status::Held => failures.push(item_failure(id)),
        }
    }
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failures;
    Ok((response, report))
}

/// Sends the events of the records that succeeded or were parked (a failed record's events are
/// published again when it is retried) and fails the records whose events did not all go out.
async fn flush(
    source: &str,
    outbox: &Deferred,
    fifo: bool,
    done: &mut [(String, Option<String>, Status, Vec<Envelope>)],
    report: &mut BatchReport,
) {
    let mut owners = Vec::new();
    let mut events = Vec::new();
    for (n, (_, _, status, published)) in done.iter_mut().enumerate() {
        if matches!(status, Status::Ok | Status::Parked) {
            for e in published.drain(..) {
                owners.push(n);
                events.push(e);
            }
        }
    }
    if events.is_empty() {
        return;
    }
    let results = outbox.sink().publish_all(&events).await;
    let mut unsent: HashSet<usize> = HashSet::new();
    for (n, result) in owners.iter().zip(results) {
        if let Err(e) = result
            && unsent.insert(*n)
        {
            tracing::warn!(source, message_id = %done[*n].0, error = %e, "events not published; the message will be retried");
        }
    }
    let mut failed_groups: HashSet<String> = HashSet::new();
    for (n, (_, group, status, _)) in done.iter_mut().enumerate() {
        let held_back = fifo && group.as_ref().is_some_and(|g| failed_groups.contains(g));
        if unsent.contains(&n) || (held_back && matches!(status, Status::Ok | Status::Parked)) {
            *status = Status::Failed;
            report.unpublished += 1;
        }
        if *status == Status::Failed
            && let Some(g) = group
        {
            failed_groups.insert(g.clone());
        }
    }
}

fn item_failure(id: String) -> BatchItemFailure {
    let mut f = BatchItemFailure::default();
    f.item_identifier = id;
    f
}

/// What became of a record that did not succeed: the disposition and the error, in words.
type Failure = (Disposition, String);

async fn handle_one<F, Fut>(record: &SqsMessage, handler: &F) -> Result<(), Failure>
where
    F: Fn(Envelope) -> Fut,
    Fut: Future<Output = Result<(), ServiceError>>,
{
    let drop = |reason: String| (Disposition::Drop(reason.clone()), reason);
    let Some(body) = record.body.as_deref() else {
        return Err(drop("the message has no body".into()));
    };
    let envelope: Envelope = serde_json::from_str(body).map_err(|e| drop(format!("not a known event: {e}")))?;
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
            Err((d, e.to_string()))
        }
        Err(_) => {
            tracing::error!("handler panicked; the message will be retried and parked if it keeps failing");
            Err((Disposition::Retry, "the handler panicked".into()))
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

/// A local poller: receive a batch, run it (with `outbox`: sending its events together at the
/// end), delete what succeeded (or was parked), forever.
/// Failed records stay and come back after their visibility timeout, as on SQS.
#[expect(clippy::too_many_arguments, reason = "the poller's wiring, called from one place")]
pub async fn poll<F, Fut>(
    source: String,
    queue: Arc<dyn QueueReceiver>,
    fifo: bool,
    parking: Arc<dyn ParkingLot>,
    clock: Arc<dyn Clock>,
    batch_size: usize,
    outbox: Option<Arc<Deferred>>,
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
        match run_batch_deferred(
            &source,
            to_event(&messages),
            fifo,
            parking.as_ref(),
            clock.as_ref(),
            outbox.as_deref(),
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
        // An in-memory queue with a backlog answers `receive` at once, so without this a
        // poller would hold its worker for the whole backlog and starve the other consumers.
        tokio::task::yield_now().await;
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
                held: 0,
                unpublished: 0
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
    async fn a_failure_on_the_last_receive_is_parked_with_its_error() {
        let store = MemoryStore::new();
        let mut last = msg("7", &case_event("retry"), None);
        last.receive_count = MAX_RECEIVES;
        let mut earlier = msg("8", &case_event("boom"), None);
        earlier.receive_count = MAX_RECEIVES - 1;
        let (resp, report) = run_batch(
            "replies",
            to_event(&[last, earlier]),
            false,
            &store,
            &SystemClock,
            handler,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(failed_ids(&resp), vec!["8"], "an earlier receive is retried");
        assert_eq!((report.parked, report.failed), (1, 1));
        let parked = store.list(10).await.unwrap_or_default();
        assert_eq!(parked.len(), 1);
        assert_eq!(
            (parked[0].source.as_str(), parked[0].message_id.as_str()),
            ("replies", "7")
        );
        assert!(
            parked[0].reason.contains("each of its 5 receives") && parked[0].reason.contains("throttled"),
            "{}",
            parked[0].reason
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

    /// Keeps what it is asked to publish; refuses the events of case `unsendable`.
    #[derive(Default)]
    struct Sink {
        sent: std::sync::Mutex<Vec<String>>,
        calls: std::sync::atomic::AtomicUsize,
    }

    #[async_trait::async_trait]
    impl socialcare_domain::ports::Publisher for Sink {
        async fn publish(&self, e: &Envelope) -> socialcare_domain::PortResult<()> {
            let Event::CaseUpdated(c) = &e.event else { return Ok(()) };
            if c.case_id.as_str() == "unsendable" {
                return Err(PortError::Unavailable("throttled".into()));
            }
            self.sent
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(c.case_id.to_string());
            Ok(())
        }

        async fn publish_all(&self, envelopes: &[Envelope]) -> Vec<socialcare_domain::PortResult<()>> {
            self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut out = Vec::new();
            for e in envelopes {
                out.push(self.publish(e).await);
            }
            out
        }
    }

    #[tokio::test]
    async fn deferred_events_go_out_once_per_batch_and_failures_return_to_their_records() {
        use crate::outbox::Deferred;
        use socialcare_domain::ports::Publisher;
        let store = MemoryStore::new();
        let sink = Arc::new(Sink::default());
        let outbox = Deferred::new(sink.clone());
        // The handler republishes what it reads (as classify and thread do), through the outbox.
        let republish = |e: Envelope| {
            let outbox = &outbox;
            async move {
                let Event::CaseUpdated(c) = &e.event else { return Ok(()) };
                if c.case_id.as_str() == "retry" {
                    return Err(ServiceError::Port(PortError::Unavailable("throttled".into())));
                }
                outbox.publish(&e).await?;
                Ok(())
            }
        };
        let event = to_event(&[
            msg("1", &case_event("a"), Some("g1")),
            msg("2", &case_event("unsendable"), Some("g2")),
            msg("3", &case_event("b"), Some("g2")),
            msg("4", &case_event("retry"), Some("g3")),
            msg("5", &case_event("c"), Some("g1")),
        ]);
        let (resp, report) =
            run_batch_deferred("t", event.clone(), true, &store, &SystemClock, Some(&outbox), republish)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        // 2's event did not go out: 2 is retried, and so is 3, after it in its group; 4 failed
        // in its handler; 1 and 5 are done. One flush for the whole batch.
        assert_eq!(failed_ids(&resp), vec!["2", "3", "4"]);
        assert_eq!(sink.calls.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(report.unpublished, 2);
        assert_eq!(report.ok, 2);
        assert_eq!(report.failed, 3);
        let sent = sink.sent.lock().unwrap_or_else(|p| p.into_inner()).clone();
        assert!(sent.contains(&"a".to_string()) && sent.contains(&"c".to_string()));
        // On a standard queue only the record whose event failed is retried.
        let (resp, _) = run_batch_deferred("t", event, false, &store, &SystemClock, Some(&outbox), republish)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(failed_ids(&resp), vec!["2", "4"]);
        // Outside a batch, the outbox publishes at once.
        outbox
            .publish(&serde_json::from_str(&case_event("now")).unwrap_or_else(|e| panic!("{e}")))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            sink.sent
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .contains(&"now".to_string())
        );
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
