//! Running an SQS-triggered function on Lambda: the runtime hands each batch to the batch
//! runner and reports `batchItemFailures` (the event source mapping has `ReportBatchItemFailures`).

use crate::sqs::run_batch;
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
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let (parking, clock, handler) = (parking.clone(), clock.clone(), handler.clone());
        async move {
            let (response, report): (SqsBatchResponse, _) =
                run_batch(source, event.payload, fifo, parking.as_ref(), clock.as_ref(), handler).await?;
            tracing::info!(
                ok = report.ok,
                parked = report.parked,
                failed = report.failed,
                held = report.held,
                "batch done"
            );
            Ok::<_, lambda_runtime::Error>(response)
        }
    }))
    .await
}
