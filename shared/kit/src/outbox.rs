//! Deferred publishing for batch consumers: the events a handler publishes while the batch
//! runner works on an SQS record are kept with that record and sent together when the batch is
//! done (SQS: SendMessageBatch, 10 events per request instead of one request per event).
//!
//! Nothing is lost: a record whose events did not all go out is reported as a batch item
//! failure, so SQS delivers it again and its handler (idempotent, keyed writes) publishes again.
//! Outside a batch (an HTTP call, a test calling a service directly) a [`Deferred`] publisher
//! sends at once.

use async_trait::async_trait;
use socialcare_domain::ports::Publisher;
use socialcare_domain::{Envelope, PortResult};
use std::future::Future;
use std::sync::{Arc, Mutex};

tokio::task_local! {
    /// The events published by the record being handled, when the runner collects them.
    static OUTBOX: Arc<Mutex<Vec<Envelope>>>;
}

/// A publisher whose sends wait for the end of the batch when called from a record's handler.
pub struct Deferred {
    sink: Arc<dyn Publisher>,
}

impl Deferred {
    pub fn new(sink: Arc<dyn Publisher>) -> Self {
        Self { sink }
    }

    /// Where the batch's events go when it is flushed.
    pub fn sink(&self) -> &dyn Publisher {
        self.sink.as_ref()
    }
}

#[async_trait]
impl Publisher for Deferred {
    async fn publish(&self, envelope: &Envelope) -> PortResult<()> {
        let kept = OUTBOX.try_with(|outbox| {
            outbox
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(envelope.clone());
        });
        match kept {
            Ok(()) => Ok(()),
            Err(_) => self.sink.publish(envelope).await,
        }
    }

    async fn publish_all(&self, envelopes: &[Envelope]) -> Vec<PortResult<()>> {
        let kept = OUTBOX.try_with(|outbox| {
            outbox
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend_from_slice(envelopes);
        });
        match kept {
            Ok(()) => envelopes.iter().map(|_| Ok(())).collect(),
            Err(_) => self.sink.publish_all(envelopes).await,
        }
    }
}

/// Runs `work` collecting what [`Deferred`] publishers publish during it.
pub(crate) async fn collecting<T>(work: impl Future<Output = T>) -> (T, Vec<Envelope>) {
    let outbox = Arc::new(Mutex::new(Vec::new()));
    let out = OUTBOX.scope(outbox.clone(), work).await;
    let events = std::mem::take(&mut *outbox.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    (out, events)
}
