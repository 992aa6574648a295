//! Routing routes: a case's routing explanation, decline, transfer, supervisor force-assign.

use crate::{Api, ApiResult, Caller, CaseSummary, case_id, json_body};
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde::Deserialize;
use socialcare_domain::services::route::{Routed, Transfer};
use socialcare_domain::{AgentId, Case};
use socialcare_kit::problem::Problem;

pub(crate) fn routes() -> Router<Api> {
    Router::new()
        .route("/v1/cases/{id}/routing", get(explain))
        .route("/v1/cases/{id}/decline", post(decline))
        .route("/v1/cases/{id}/transfer", post(transfer))
        .route("/v1/cases/{id}/assign", post(assign))
}

fn outcome(api: &Api, case: &Case, routed: &Routed) -> ApiResult {
    let routed = match routed {
        Routed::Assigned(a) => serde_json::json!({"outcome": "assigned", "agent_id": a}),
        Routed::Waiting => serde_json::json!({"outcome": "waiting"}),
        Routed::Settled => serde_json::json!({"outcome": "settled"}),
    };
    Ok(axum::Json(serde_json::json!({
        "case": CaseSummary::new(case, api.clock.now()),
        "routed": routed,
    }))
    .into_response())
}

async fn explain(State(api): State<Api>, Caller(who): Caller, Path(id): Path<String>) -> ApiResult {
    let (case, routing) = api.desk.routing(&who, &case_id(&id)?).await?;
    Ok(axum::Json(serde_json::json!({
        "case_id": case.id,
        "assignee": case.assignee,
        "queue": case.queue,
        "requirements": routing.requirements,
        "declined": routing.declined,
        "waiting_since": routing.waiting_since,
        // For a waiting case: why, in words, from the decision made now (the last one listed).
        "why_waiting": case
            .is_waiting()
            .then(|| routing.decisions.last().map(socialcare_domain::routing::why::why_waiting))
            .flatten(),
        "owner_offline_since": routing.owner_offline_since,
        "decisions": routing.decisions,
    }))
    .into_response())
}

async fn decline(State(api): State<Api>, Caller(who): Caller, Path(id): Path<String>) -> ApiResult {
    let (case, routed) = api.desk.decline(&who, &case_id(&id)?).await?;
    outcome(&api, &case, &routed)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TransferBody {
    agent_id: Option<String>,
    queue: Option<String>,
}

async fn transfer(State(api): State<Api>, Caller(who): Caller, Path(id): Path<String>, body: Body) -> ApiResult {
    let id = case_id(&id)?;
    let body: TransferBody = json_body(body).await?;
    let to = match (body.agent_id, body.queue) {
        (Some(a), None) => Transfer::Agent(agent_id(&a)?),
        (None, Some(q)) => Transfer::Queue(q),
        _ => return Err(Problem::bad_request("give exactly one of `agent_id` or `queue`")),
    };
    let (case, routed) = api.desk.transfer(&who, &id, &to).await?;
    outcome(&api, &case, &routed)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignBody {
    agent_id: String,
}

async fn assign(State(api): State<Api>, Caller(who): Caller, Path(id): Path<String>, body: Body) -> ApiResult {
    let id = case_id(&id)?;
    let body: AssignBody = json_body(body).await?;
    let (case, routed) = api.desk.force_assign(&who, &id, &agent_id(&body.agent_id)?).await?;
    outcome(&api, &case, &routed)
}

fn agent_id(raw: &str) -> Result<AgentId, Problem> {
    AgentId::parse(raw).map_err(|e| Problem::bad_request(format!("agent id: {e}")))
}
