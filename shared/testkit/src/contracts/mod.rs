//! One contract suite per port. Each is an async function generic over the port (or taking it
//! as `Arc<dyn ...>`), returns `Err` naming the first broken promise, and leaves no task behind.
//!
//! Call each from a `#[tokio::test(flavor = "multi_thread")]` with a fresh store or queue.

mod agents;
mod alerts;
mod cases;
mod channels;
mod customers;
mod dead_letters;
mod dedupe;
mod deletions;
mod erasure;
mod identity_index;
mod parking;
mod posts;
mod queues;
mod reports;
mod routing;
mod timers;
mod trends;
mod triage;

pub use agents::agent_store_contract;
pub use alerts::alert_store_contract;
pub use cases::{CaseScale, case_store_contract};
pub use channels::channel_store_contract;
pub use customers::customer_store_contract;
pub use dead_letters::dead_letter_contract;
pub use dedupe::dedupe_contract;
pub use deletions::deletion_store_contract;
pub use erasure::{Dump, ErasureWorld, erasure_finishes_after_a_crash, erasure_leaves_no_trace};
pub use identity_index::identity_index_contract;
pub use parking::parking_lot_contract;
pub use posts::post_store_contract;
pub use queues::{QueueSetup, queue_contract};
pub use reports::{cases_created_contract, report_store_contract};
pub use routing::{RoutingReport, RoutingScale, routing_contract};
pub use timers::timer_store_contract;
pub use trends::trend_store_contract;
pub use triage::{label_store_contract, triage_store_contract};

/// Runs `n` copies of `f` at once (each on its own task) and returns their results in order.
pub(crate) async fn concurrently<T, F, Fut>(n: usize, f: F) -> anyhow::Result<Vec<T>>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(n));
    let mut handles = Vec::with_capacity(n);
    for i in 0..n {
        let fut = f(i);
        let barrier = barrier.clone();
        handles.push(tokio::spawn(async move {
            barrier.wait().await;
            fut.await
        }));
    }
    let mut out = Vec::with_capacity(n);
    for h in handles {
        out.push(h.await.map_err(|e| anyhow::anyhow!("task failed: {e}"))?);
    }
    Ok(out)
}
