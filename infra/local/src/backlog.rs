//! The in-process queues' backlog: reported on `GET /health`, and the webhooks' admission gate.
//!
//! On AWS the ingest function's queue is SQS, which does not fill up; in one process every
//! accepted post waits in memory until classify, thread and route have taken it. So while the
//! pipeline's backlog (messages ready or in flight, summed over the queues) is above a bound,
//! the webhooks answer `503` with `Retry-After` (problem JSON) before reading the body: the
//! platform sends again later, nothing accepted is dropped, and memory stays bounded. The
//! check is a few short locks, so it costs the ack path next to nothing.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use socialcare_kit::problem::Problem;
use socialcare_memory::MemoryQueue;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The webhooks refuse new posts above this many queued messages (ready or in flight, over
/// every in-process queue) unless `care serve --max-backlog` says otherwise: about ten seconds
/// of the X firehose average (5,700 posts/s), which is what the stack may take to drain after
/// a burst, and about 50 MB of queued bodies (each message about a kilobyte).
pub const DEFAULT_MAX_BACKLOG: usize = 60_000;

/// Seconds a refused sender is asked to wait.
pub const RETRY_AFTER_SECS: u64 = 2;

/// Each queue's depth (ready + in flight), by name.
pub type DepthProbe = Arc<dyn Fn() -> BTreeMap<String, usize> + Send + Sync>;

/// A probe over the memory backend's queues.
pub fn probe(queues: Vec<Arc<MemoryQueue>>) -> DepthProbe {
    Arc::new(move || {
        queues
            .iter()
            .map(|q| {
                let s = q.stats();
                (q.name().to_string(), s.ready + s.in_flight)
            })
            .collect()
    })
}

/// The webhooks' gate: the probe and the bound.
#[derive(Clone)]
pub struct Gate {
    pub probe: DepthProbe,
    pub max_backlog: usize,
}

impl Gate {
    pub fn backlog(&self) -> usize {
        (self.probe)().values().sum()
    }
}

/// Middleware: refuses with 503 + `Retry-After` while the backlog is at or above the bound.
/// Verification handshakes (GET) always pass.
pub async fn admit(State(gate): State<Gate>, request: Request, next: Next) -> Response {
    if request.method() == axum::http::Method::POST {
        let backlog = gate.backlog();
        if backlog >= gate.max_backlog {
            tracing::warn!(
                backlog,
                max = gate.max_backlog,
                "webhook refused: the pipeline's backlog is full"
            );
            let mut response = Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "the pipeline has {backlog} posts waiting (at most {}): send again in {RETRY_AFTER_SECS} s",
                    gate.max_backlog
                ),
            )
            .into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
            return response;
        }
    }
    next.run(request).await
}

/// `GET /health`: ok, and with a probe, the backlog in total and by queue.
pub fn health(probe: Option<&DepthProbe>) -> serde_json::Value {
    match probe {
        Some(p) => {
            let queues = p();
            let backlog: usize = queues.values().sum();
            serde_json::json!({"status": "ok", "backlog": backlog, "queues": queues})
        }
        None => serde_json::json!({"status": "ok"}),
    }
}
