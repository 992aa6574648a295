//! Running an SQS-triggered function on Lambda: the runtime hands each batch to the batch
//! runner and reports `batchItemFailures` (the event source mapping has `ReportBatchItemFailures`).

use crate::outbox::Deferred;
use crate::sqs::run_batch_deferred;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{LambdaEvent, service_fn};
use socialcare_domain::ports::{Clock, ParkingLot};
use socialcare_domain::{Envelope, ServiceError};
use std::future::Future;
use std::sync::Arc;

/// Serves SQS batches until the runtime stops.
pub async fn run_sqs<F, Fut>(
    source: &'static str,
    fifo: bool,
    parking: Arc<dyn ParkingLot>,
    clock: Arc<dyn Clock>,
    handler: F,
) -> Result<(), lambda_runtime::Error>
where
    F: Fn(Envelope) -> Fut + Send + Sync + Clone + 'static,
    Fut: Future<Output = Result<(), ServiceError>> + Send,
{
    run_sqs_deferred(source, fifo, parking, clock, None, handler).await
}

/// Serves SQS batches until the runtime stops; with `outbox`, the events the handlers publish
/// through it go out together at the end of each batch (see [`crate::outbox`]).
pub async fn run_sqs_deferred<F, Fut>(
    source: &'static str,
    fifo: bool,
    parking: Arc<dyn ParkingLot>,
    clock: Arc<dyn Clock>,
    outbox: Option<Arc<Deferred>>,
    handler: F,
) -> Result<(), lambda_runtime::Error>
where
    F: Fn(Envelope) -> Fut + Send + Sync + Clone + 'static,
    Fut: Future<Output = Result<(), ServiceError>> + Send,
{
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let (parking, clock, handler, outbox) = (parking.clone(), clock.clone(), handler.clone(), outbox.clone());
        async move {
            let (response, report): (SqsBatchResponse, _) = run_batch_deferred(
                source,
                event.payload,
                fifo,
                parking.as_ref(),
                clock.as_ref(),
                outbox.as_deref(),
                handler,
            )
            .await?;
            // A clean batch is a debug line: its posts have their info line already (logs are
            // billed per byte); a batch with failures or parked messages says so at warn.
            if report.failed + report.parked + report.held > 0 {
                tracing::warn!(
                    ok = report.ok,
                    parked = report.parked,
                    failed = report.failed,
                    held = report.held,
                    unpublished = report.unpublished,
                    "batch done with failures"
                );
            } else {
                tracing::debug!(ok = report.ok, "batch done");
            }
            Ok::<_, lambda_runtime::Error>(response)
        }
    }))
    .await
}
