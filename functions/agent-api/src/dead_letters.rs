//! Failed deliveries and dead letters: an agent or supervisor retries a failed reply; supervisors
//! list every queue's dead letters with their reasons and send them back.

use crate::{Api, ApiResult, Caller, case_id};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde::Deserialize;
use socialcare_domain::PostId;
use socialcare_kit::problem::Problem;

pub(crate) fn routes() -> Router<Api> {
    Router::new()
        .route("/v1/cases/{id}/replies/{reply_id}/retry", post(retry_reply))
        .route("/v1/dead-letters", get(list))
        .route("/v1/dead-letters/{id}/redrive", post(redrive))
}

async fn retry_reply(
    State(api): State<Api>,
    Caller(who): Caller,
    Path((id, reply_id)): Path<(String, String)>,
) -> ApiResult {
    let case = case_id(&id)?;
    let reply = PostId::parse(reply_id).map_err(|e| Problem::bad_request(format!("reply id: {e}")))?;
    let post = api.desk.retry_reply(&who, &case, &reply).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(crate::views::PostView::from(&post))).into_response())
}

#[derive(Deserialize)]
struct ListParams {
    limit: Option<usize>,
}

async fn list(
    State(api): State<Api>,
    Caller(who): Caller,
    query: Result<Query<ListParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let Query(p) = query.map_err(|e| Problem::bad_request(e.body_text()))?;
    let letters = api.dead_letters.list(&who, p.limit.unwrap_or(100)).await?;
    Ok(axum::Json(serde_json::json!({ "dead_letters": letters })).into_response())
}

async fn redrive(State(api): State<Api>, Caller(who): Caller, Path(id): Path<String>) -> ApiResult {
    api.dead_letters.redrive(&who, &id).await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(serde_json::json!({ "id": id, "status": "redriven" })),
    )
        .into_response())
}
