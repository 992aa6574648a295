//! Channel health routes (supervisors only): each account's state (`GET /v1/channels`) with its
//! last webhook and delivery, failures by kind, open incidents and the recent `channel.alert.v1`;
//! a revoked account enabled again (`POST /v1/channels/{platform}/{account}/enable`, audited).

use crate::{Api, ApiResult, Caller};
use axum::Router;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde_json::json;
use socialcare_domain::health::ChannelHealth;
use socialcare_domain::services::desk::Principal;
use socialcare_kit::problem::Problem;

/// Recent channel alerts shown beside the accounts.
const RECENT_ALERTS: usize = 20;

pub(crate) fn routes() -> Router<Api> {
    Router::new()
        .route("/v1/channels", get(list))
        .route("/v1/channels/{platform}/{account}/enable", post(enable))
}

fn supervisor(who: &Principal) -> Result<(), Problem> {
    if who.is_supervisor() {
        Ok(())
    } else {
        Err(Problem::forbidden("channel health is for supervisors"))
    }
}

fn view(h: &ChannelHealth) -> serde_json::Value {
    json!({
        "platform": h.platform,
        "account": h.account,
        "state": h.state(),
        "last_webhook_at": h.last_webhook_at,
        "typical_gap_secs": h.typical_gap_secs,
        "last_delivery_at": h.last_delivery_at,
        "failures": h.failures,
        "consecutive_failures": h.consecutive_failures,
        "revoked_at": h.revoked_at,
        "incidents": h.incidents,
        "audit": h.audit,
    })
}

async fn list(State(api): State<Api>, Caller(who): Caller) -> ApiResult {
    supervisor(&who)?;
    let channels = api.channels.list().await?;
    let alerts = api.channels.alerts(RECENT_ALERTS).await?;
    let body = json!({
        "channels": channels.iter().map(view).collect::<Vec<_>>(),
        "alerts": alerts,
    });
    Ok(axum::Json(body).into_response())
}

async fn enable(
    State(api): State<Api>,
    Caller(who): Caller,
    Path((platform, account)): Path<(String, String)>,
) -> ApiResult {
    supervisor(&who)?;
    if !matches!(platform.as_str(), "x" | "facebook" | "instagram" | "generic") {
        return Err(Problem::bad_request(format!(
            "platform `{platform}` is not one of x, facebook, instagram, generic"
        )));
    }
    if account.is_empty() || account.len() > 200 {
        return Err(Problem::bad_request("an account id is 1 to 200 characters"));
    }
    let record = api.channels.enable(&platform, &account, who.agent_id.as_str()).await?;
    tracing::info!(%platform, %account, by = %who.agent_id, "channel enabled by a supervisor");
    Ok(axum::Json(view(&record)).into_response())
}
