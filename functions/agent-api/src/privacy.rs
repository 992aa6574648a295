//! Data-subject requests (supervisors only): a customer's data as one JSON document, and the
//! erasure of their personal data (`socialcare_domain::services::privacy`).

use crate::{Api, ApiResult, Caller};
use axum::Router;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use socialcare_kit::problem::Problem;

pub(crate) fn routes() -> Router<Api> {
    Router::new()
        .route("/v1/customers/{id}/export", get(export))
        .route("/v1/customers/{id}/erase", post(erase))
}

fn customer_id(raw: String) -> Result<socialcare_domain::CustomerId, Problem> {
    socialcare_domain::CustomerId::parse(raw).map_err(|e| Problem::bad_request(format!("customer id: {e}")))
}

async fn export(State(api): State<Api>, Caller(who): Caller, Path(id): Path<String>) -> ApiResult {
    let export = api.privacy.export(&who, &customer_id(id)?).await?;
    Ok(axum::Json(export).into_response())
}

/// 200 with the erasure record, whether this call did the work, finished an interrupted
/// erasure, or found it done (the same record, the same id).
async fn erase(State(api): State<Api>, Caller(who): Caller, Path(id): Path<String>) -> ApiResult {
    let erasure = api.privacy.erase(&who, &customer_id(id)?).await?;
    Ok(axum::Json(erasure).into_response())
}
