//! Report routes (supervisors only): the case report per group, the live board, and the
//! export of one row per case as CSV (`Accept: text/csv`) or JSON Lines
//! (`Accept: application/x-ndjson`).

use crate::{Api, ApiResult, Caller};
use axum::Router;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::routing::get;
use jiff::Timestamp;
use serde::Deserialize;
use socialcare_domain::reports::{ExportRow, ReportBy, ReportRow};
use socialcare_domain::services::reports::check_range;
use socialcare_kit::problem::Problem;
use std::sync::Arc;

pub(crate) fn routes() -> Router<Api> {
    Router::new()
        .route("/v1/reports/cases", get(cases))
        .route("/v1/reports/cases/rows", get(rows))
        .route("/v1/reports/live", get(live))
}

/// 403 before anything else for anyone but a supervisor.
fn supervisor(who: &socialcare_domain::services::desk::Principal) -> Result<(), Problem> {
    if who.is_supervisor() {
        Ok(())
    } else {
        Err(Problem::forbidden("reports are for supervisors"))
    }
}

/// Days a report covers when `from` is not given.
const DEFAULT_DAYS: i64 = 7;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RangeParams {
    from: Option<String>,
    to: Option<String>,
    by: Option<String>,
}

/// An instant (`2026-12-04T10:00:00Z`) or a UTC day (`2026-12-04`, its midnight).
fn instant(name: &str, raw: &str) -> Result<Timestamp, Problem> {
    if let Ok(t) = raw.parse::<Timestamp>() {
        return Ok(t);
    }
    raw.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| {
            Problem::bad_request(format!(
                "{name}: `{raw}` is neither an RFC 3339 instant (2026-12-04T10:00:00Z) nor a day (2026-12-04)"
            ))
        })
}

/// `[from, to)`: `to` defaults to now, `from` to [`DEFAULT_DAYS`] before `to`.
fn range(api: &Api, p: &RangeParams) -> Result<(Timestamp, Timestamp), Problem> {
    let to = match &p.to {
        Some(raw) => instant("to", raw)?,
        None => api.clock.now() + jiff::SignedDuration::from_secs(1),
    };
    let from = match &p.from {
        Some(raw) => instant("from", raw)?,
        None => to - jiff::SignedDuration::from_hours(24 * DEFAULT_DAYS),
    };
    check_range(from, to).map_err(|e| Problem::bad_request(e.to_string()))?;
    Ok((from, to))
}

/// How the rows are wanted: by `Accept`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    JsonLines,
    Json,
}

fn format(headers: &HeaderMap, default: Format) -> Format {
    let accept = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if accept.contains("text/csv") {
        Format::Csv
    } else if accept.contains("application/x-ndjson") || accept.contains("application/jsonl") {
        Format::JsonLines
    } else if accept.contains("application/json") {
        Format::Json
    } else {
        default
    }
}

fn export(rows: &[Arc<ReportRow>], format: Format) -> ApiResult {
    let flat: Vec<ExportRow> = rows.iter().map(|r| ExportRow::from(r.as_ref())).collect();
    match format {
        Format::Csv => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            for row in &flat {
                writer.serialize(row).map_err(|e| {
                    tracing::error!(error = %e, "CSV export failed");
                    Problem::internal()
                })?;
            }
            let body = writer.into_inner().map_err(|e| {
                tracing::error!(error = %e, "CSV export failed");
                Problem::internal()
            })?;
            Ok(([("content-type", "text/csv; charset=utf-8")], body).into_response())
        }
        Format::JsonLines => {
            let mut body = Vec::new();
            for row in &flat {
                serde_json::to_writer(&mut body, row).map_err(|e| {
                    tracing::error!(error = %e, "JSON Lines export failed");
                    Problem::internal()
                })?;
                body.push(b'\n');
            }
            Ok(([("content-type", "application/x-ndjson")], body).into_response())
        }
        Format::Json => Ok(axum::Json(flat).into_response()),
    }
}

async fn cases(
    State(api): State<Api>,
    Caller(who): Caller,
    headers: HeaderMap,
    Query(p): Query<RangeParams>,
) -> ApiResult {
    supervisor(&who)?;
    let (from, to) = range(&api, &p)?;
    let wanted = format(&headers, Format::Json);
    if wanted != Format::Json {
        // The same route exports the rows when CSV or JSON Lines is asked for.
        let rows = api.reports.rows(&who, from, to).await?;
        return export(&rows, wanted);
    }
    let by_name = p.by.as_deref().unwrap_or("queue");
    let by: ReportBy = by_name
        .parse()
        .map_err(|e: String| Problem::bad_request(format!("by: {e}")))?;
    let report = api.reports.cases(&who, from, to, by).await?;
    Ok(axum::Json(serde_json::json!({
        "from": from,
        "to": to,
        "by": by_name,
        "groups": report.groups,
        "total": report.total,
    }))
    .into_response())
}

async fn rows(
    State(api): State<Api>,
    Caller(who): Caller,
    headers: HeaderMap,
    Query(p): Query<RangeParams>,
) -> ApiResult {
    supervisor(&who)?;
    if p.by.is_some() {
        return Err(Problem::bad_request("by: rows are not grouped (use /v1/reports/cases)"));
    }
    let (from, to) = range(&api, &p)?;
    let rows = api.reports.rows(&who, from, to).await?;
    export(&rows, format(&headers, Format::JsonLines))
}

async fn live(State(api): State<Api>, Caller(who): Caller) -> ApiResult {
    supervisor(&who)?;
    let board = api.reports.live(&who).await?;
    Ok(axum::Json(serde_json::json!({ "at": api.clock.now(), "channels": board })).into_response())
}
