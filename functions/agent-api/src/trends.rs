//! Trend routes (supervisors only): hot topics and phrases of a window against the window
//! before, one key's series, the spike alerts (`trend.alert.v1`).

use crate::{Api, ApiResult, Caller};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::routing::get;
use serde::Deserialize;
use socialcare_domain::services::desk::Principal;
use socialcare_kit::problem::Problem;
use socialcare_trends::service::{TrendService, Window};
use std::sync::Arc;

pub(crate) fn routes() -> Router<Api> {
    Router::new()
        .route("/v1/trends", get(hot))
        .route("/v1/trends/alerts", get(alerts))
        .route("/v1/trends/{key}", get(series))
}

/// The trend service, for a supervisor; 403 for anyone else, 404 when trends are off.
fn service<'a>(api: &'a Api, who: &Principal) -> Result<&'a Arc<TrendService>, Problem> {
    if !who.is_supervisor() {
        return Err(Problem::forbidden("trends are for supervisors"));
    }
    api.trends
        .as_ref()
        .ok_or_else(|| Problem::not_found("trend detection is off ([trends] enabled = false)"))
}

fn window(raw: Option<&str>) -> Result<Window, Problem> {
    let raw = raw.unwrap_or("24h");
    Window::parse(raw).ok_or_else(|| Problem::bad_request(format!("window `{raw}` is not one of 1h, 24h, 7d")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HotParams {
    window: Option<String>,
    language: Option<String>,
    limit: Option<usize>,
}

async fn hot(State(api): State<Api>, Caller(who): Caller, Query(p): Query<HotParams>) -> ApiResult {
    let trends = service(&api, &who)?;
    let w = window(p.window.as_deref())?;
    if let Some(l) = &p.language {
        socialcare_domain::Language::parse(l).map_err(|e| Problem::bad_request(e.to_string()))?;
    }
    let hot = trends
        .hot(
            w,
            p.language.as_deref(),
            api.clock.now(),
            p.limit.unwrap_or(20).clamp(1, 100),
        )
        .await?;
    Ok(axum::Json(hot).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeriesParams {
    window: Option<String>,
}

async fn series(
    State(api): State<Api>,
    Caller(who): Caller,
    Path(key): Path<String>,
    Query(p): Query<SeriesParams>,
) -> ApiResult {
    let trends = service(&api, &who)?;
    let w = window(p.window.as_deref())?;
    if key.is_empty() || key.len() > 200 {
        return Err(Problem::bad_request("a topic key is 1 to 200 characters"));
    }
    let series = trends.series(&key, w, api.clock.now()).await?;
    Ok(axum::Json(series).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertParams {
    since: Option<jiff::Timestamp>,
    limit: Option<usize>,
}

async fn alerts(State(api): State<Api>, Caller(who): Caller, Query(p): Query<AlertParams>) -> ApiResult {
    let trends = service(&api, &who)?;
    let since = p.since.map_or(0, |t| t.as_second());
    let alerts = trends.alerts(since, p.limit.unwrap_or(50).clamp(1, 500)).await?;
    Ok(axum::Json(serde_json::json!({ "alerts": alerts })).into_response())
}
