//! What `care serve` answers besides the functions' routes: `GET /` (where things are),
//! `GET /health` (with the in-process queues' backlog), and a local reply sink (`POST /sink/replies`) that answers a generic source's
//! reply webhooks like a forum would, so replies show as delivered on one machine.

use axum::Router;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// Replies the sink remembers (ids and cases only, never texts), newest last.
const SINK_KEEP: usize = 1_000;

/// `depth`: the in-process queues' depth, reported by `/health` (see [`crate::backlog`]).
pub fn router(depth: Option<crate::backlog::DepthProbe>) -> Router {
    let sink: Arc<Mutex<VecDeque<serde_json::Value>>> = Arc::new(Mutex::new(VecDeque::new()));
    let seen = sink.clone();
    Router::new()
        .route("/", get(index))
        .route(
            "/health",
            get(move || {
                let depth = depth.clone();
                async move { axum::Json(crate::backlog::health(depth.as_ref())) }
            }),
        )
        .route(
            "/sink/replies",
            axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
                let sink = sink.clone();
                async move { receive(&sink, &headers, &body) }
            })
            .get(move || {
                let seen = seen.clone();
                async move {
                    let replies: Vec<serde_json::Value> =
                        seen.lock().map(|s| s.iter().cloned().collect()).unwrap_or_default();
                    axum::Json(serde_json::json!({ "replies": replies }))
                }
            }),
        )
}

async fn index() -> Response {
    axum::Json(serde_json::json!({
        "service": "socialcare",
        "version": env!("CARGO_PKG_VERSION"),
        "links": {
            "api": "/v1 (bearer token: `care token --agent ID [--supervisor]`)",
            "openapi": "/v1/openapi.json",
            "health": "/health",
            "cases": "/v1/cases",
            "webhooks": ["/webhooks/generic", "/webhooks/x", "/webhooks/meta"],
            "reply_sink": "/sink/replies (a local stand-in for a forum's reply URL)",
        },
    }))
    .into_response()
}

/// Takes a reply webhook as a source's endpoint would, and answers its id.
fn receive(sink: &Mutex<VecDeque<serde_json::Value>>, headers: &HeaderMap, body: &[u8]) -> Response {
    let json: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let webhook_id = headers
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let entry = serde_json::json!({
        "webhook_id": webhook_id,
        "case_id": json["data"]["case_id"],
        "in_reply_to": json["data"]["in_reply_to"],
        "received_at": jiff::Timestamp::now(),
    });
    if let Ok(mut s) = sink.lock() {
        s.push_back(entry);
        while s.len() > SINK_KEEP {
            s.pop_front();
        }
    }
    tracing::info!(%webhook_id, "reply received by the local sink");
    axum::Json(serde_json::json!({ "id": format!("sink-{webhook_id}") })).into_response()
}
