//! Triage and corrections routes: the list of posts the classifier was unsure about, turning
//! one into a case or dismissing it, labelling posts, and the labels' export (JSON Lines).

use crate::views::PostView;
use crate::{Api, ApiResult, Caller, CaseSummary, json_body};
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use socialcare_domain::PostId;
use socialcare_domain::services::triage::{MAX_TRIAGE_PAGE, TriageItem};
use socialcare_domain::triage::{LabelFields, TriageCursor, to_jsonl};
use socialcare_kit::problem::Problem;

pub(crate) fn routes() -> Router<Api> {
    Router::new()
        .route("/v1/triage", get(list))
        .route("/v1/posts/{id}/case", post(to_case))
        .route("/v1/posts/{id}/dismiss", post(dismiss))
        .route("/v1/posts/{id}/labels", post(label))
        .route("/v1/labels", get(export))
}

fn post_id(raw: &str) -> Result<PostId, Problem> {
    PostId::parse(raw).map_err(|e| Problem::bad_request(format!("post id: {e}")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    limit: Option<usize>,
    cursor: Option<String>,
}

#[derive(Serialize)]
struct ItemView {
    post: PostView,
    received_at: jiff::Timestamp,
    listed_at: jiff::Timestamp,
    reasons: Vec<String>,
    actionable_confidence: Option<f32>,
    cursor: String,
}

impl From<&TriageItem> for ItemView {
    fn from(i: &TriageItem) -> Self {
        let c = i.post.classification.as_ref();
        Self {
            post: PostView::from(&i.post),
            received_at: i.entry.received_at,
            listed_at: i.entry.listed_at,
            reasons: c.map(|c| c.reasons.clone()).unwrap_or_default(),
            actionable_confidence: c.and_then(|c| c.actionable_confidence),
            cursor: i.entry.cursor().encode(),
        }
    }
}

async fn list(State(api): State<Api>, Caller(who): Caller, Query(p): Query<ListParams>) -> ApiResult {
    let limit = p.limit.unwrap_or(50);
    if limit == 0 || limit > MAX_TRIAGE_PAGE {
        return Err(Problem::bad_request(format!("limit: 1 to {MAX_TRIAGE_PAGE}")));
    }
    let before = p
        .cursor
        .as_deref()
        .map(TriageCursor::decode)
        .transpose()
        .map_err(Problem::bad_request)?;
    let page = api.triage.list(&who, before, limit).await?;
    let items: Vec<ItemView> = page.items.iter().map(ItemView::from).collect();
    Ok(axum::Json(serde_json::json!({
        "items": items,
        "next_cursor": page.next.map(|c| c.encode()),
    }))
    .into_response())
}

async fn to_case(State(api): State<Api>, Caller(who): Caller, Path(id): Path<String>) -> ApiResult {
    let promoted = api.triage.to_case(&who, &post_id(&id)?).await?;
    let status = if promoted.now {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        axum::Json(serde_json::json!({
            "post_id": promoted.entry.post_id,
            "decided": promoted.entry.decided,
            "case": CaseSummary::new(&promoted.case, api.clock.now()),
        })),
    )
        .into_response())
}

async fn dismiss(State(api): State<Api>, Caller(who): Caller, Path(id): Path<String>) -> ApiResult {
    let entry = api.triage.dismiss(&who, &post_id(&id)?).await?;
    Ok(axum::Json(entry).into_response())
}

async fn label(State(api): State<Api>, Caller(who): Caller, Path(id): Path<String>, body: Body) -> ApiResult {
    let id = post_id(&id)?;
    let fields: LabelFields = json_body(body).await?;
    let label = api.triage.label(&who, &id, fields).await?;
    Ok((StatusCode::CREATED, axum::Json(label)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportParams {
    since: Option<String>,
    format: Option<String>,
}

async fn export(State(api): State<Api>, Caller(who): Caller, Query(p): Query<ExportParams>) -> ApiResult {
    if p.format.as_deref().is_some_and(|f| f != "jsonl") {
        return Err(Problem::bad_request("format: only `jsonl` is offered"));
    }
    let since = p
        .since
        .as_deref()
        .map(|s| {
            s.parse::<jiff::Timestamp>()
                .map_err(|e| Problem::bad_request(format!("since: {e}")))
        })
        .transpose()?;
    let corrections = api.triage.corrections(&who, since).await?;
    Ok(([("content-type", "application/x-ndjson")], to_jsonl(&corrections)).into_response())
}
