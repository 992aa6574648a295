//! The agent API (`/v1`): bearer-token authenticated on every data route, authorized per object
//! by the desk service. Errors are problem JSON; internal causes stay in the logs.

mod channels;
pub mod console;
mod dead_letters;
pub mod live;
mod privacy;
mod reports;
mod routing;
mod trends;
mod triage;
mod views;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{FromRef, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use socialcare_domain::ports::{AlertQuery, CaseCursor, CaseQuery, Clock};
use socialcare_domain::services::desk::{Desk, Principal};
use socialcare_domain::services::sla_desk::SlaDesk;
use socialcare_domain::{CaseId, CaseStatus, Level};
use socialcare_kit::problem::Problem;
use std::sync::Arc;
pub use views::{CaseSummary, CaseView};

/// Request bodies above this are refused with 413.
pub const MAX_BODY: usize = 1024 * 1024;

pub const OPENAPI: &str = include_str!("../openapi.json");

/// How callers are authenticated.
#[derive(Clone)]
pub enum Auth {
    /// Locally: HS256 tokens minted by `care token`, checked here.
    Hs256(Arc<Vec<u8>>),
    /// On AWS: the HTTP API's JWT authorizer has checked the Cognito token; the function reads
    /// its claims (`username`, `iat`, and `cognito:groups` naming `supervisors` exactly).
    GatewayClaims,
}

#[derive(Clone)]
pub struct Api {
    pub desk: Arc<Desk>,
    /// Pending (the SLA clocks pause) and alert acknowledgement.
    pub sla: Arc<SlaDesk>,
    pub clock: Arc<dyn Clock>,
    pub auth: Auth,
    /// The triage list and people's labels of posts.
    pub triage: Arc<socialcare_domain::services::triage::TriageService>,
    /// Parked messages and each queue's dead-letter queue (supervisors).
    pub dead_letters: Arc<socialcare_domain::services::dead_letters::DeadLetterDesk>,
    /// Hot topics and spike alerts (`/v1/trends`); None: trend detection is off.
    pub trends: Option<Arc<socialcare_trends::service::TrendService>>,
    /// Case reports and the live board (`/v1/reports`, supervisors).
    pub reports: Arc<socialcare_domain::services::reports::Reports>,
    /// Data-subject requests: a customer's export and erasure (supervisors).
    pub privacy: Arc<socialcare_domain::services::privacy::PrivacyService>,
    /// Channel health and re-enabling revoked accounts (`/v1/channels`, supervisors).
    pub channels: Arc<socialcare_domain::services::channels::ChannelHealthService>,
}

pub fn router(api: Api) -> Router {
    Router::new()
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/me", get(me))
        .route("/v1/cases", get(list_cases))
        .route("/v1/cases/{id}", get(get_case))
        .route("/v1/cases/{id}/replies", post(reply))
        .route("/v1/cases/{id}/resolve", post(resolve))
        .route("/v1/queue/claim", post(claim))
        .route("/v1/alerts", get(alerts))
        .route("/v1/alerts/{id}/ack", post(ack_alert))
        .route("/v1/cases/{id}/pending", post(pending))
        .route("/v1/agents", get(agents))
        .route("/v1/agents/{id}", axum::routing::put(save_agent))
        .route("/v1/agents/{id}/presence", axum::routing::put(presence))
        .route("/v1/agents/{id}/sessions/revoke", post(revoke_sessions))
        .route("/v1/queues", get(queues))
        .route("/v1/customers/{id}", get(customer))
        .route("/v1/customers/{id}/detach", post(detach_author))
        .route("/v1/merges", post(merge_customers))
        .route("/v1/merges/{id}", get(merge_record))
        .route("/v1/merges/{id}/split", post(split_merge))
        .route("/v1/metrics/sla", get(sla_metrics))
        .merge(routing::routes())
        .merge(triage::routes())
        .merge(dead_letters::routes())
        .merge(trends::routes())
        .merge(reports::routes())
        .merge(privacy::routes())
        .merge(channels::routes())
        .fallback(|| async { Problem::not_found("no such route") })
        .with_state(api)
        .layer(axum::middleware::map_response(socialcare_kit::problem::as_problem))
}

/// The caller, from `Authorization: Bearer <jwt>`; 401 problem otherwise.
pub struct Caller(pub Principal);

impl<S> FromRequestParts<S> for Caller
where
    Api: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let api = Api::from_ref(state);
        let unauthorized = |detail: String| {
            let mut response = Problem::unauthorized(detail).into_response();
            response
                .headers_mut()
                .insert("www-authenticate", axum::http::HeaderValue::from_static("Bearer"));
            response
        };
        let verified = match &api.auth {
            Auth::Hs256(secret) => {
                let header = parts.headers.get("authorization").and_then(|v| v.to_str().ok());
                socialcare_kit::auth::verify(secret, header)
            }
            Auth::GatewayClaims => gateway_principal(parts),
        }
        .map_err(|e| unauthorized(e.to_string()))?;
        // The token says who; the deployment's agent store says what they may do.
        match api.desk.authenticate(&verified.principal, verified.issued_at).await {
            Ok(Ok(principal)) => Ok(Caller(principal)),
            Ok(Err(reason)) => Err(unauthorized(reason.to_string())),
            Err(e) => Err(Problem::from(e).into_response()),
        }
    }
}

/// The caller as the API Gateway JWT authorizer saw it.
fn gateway_principal(parts: &Parts) -> Result<socialcare_kit::auth::Verified, socialcare_kit::auth::AuthError> {
    use lambda_http::request::RequestContext;
    use socialcare_kit::auth::AuthError;
    let Some(RequestContext::ApiGatewayV2(ctx)) = parts.extensions.get::<RequestContext>() else {
        return Err(AuthError::Missing);
    };
    let claims = ctx
        .authorizer
        .as_ref()
        .and_then(|a| a.jwt.as_ref())
        .map(|j| &j.claims)
        .ok_or(AuthError::Missing)?;
    let user = claims
        .get("username")
        .or_else(|| claims.get("cognito:username"))
        .ok_or_else(|| AuthError::Invalid("the token has no username".into()))?;
    let agent_id = socialcare_domain::AgentId::parse(user.as_str()).map_err(|e| AuthError::Invalid(e.to_string()))?;
    let supervisor = claims
        .get("cognito:groups")
        .is_some_and(|g| socialcare_kit::auth::in_group(g, "supervisors"));
    let role = if supervisor {
        socialcare_domain::Role::Supervisor
    } else {
        socialcare_domain::Role::Agent
    };
    // The authorizer checked `exp`; `iat` is what ending an agent's sessions compares with.
    let issued_at = claims
        .get("iat")
        .and_then(|t| t.parse::<i64>().ok())
        .and_then(|t| jiff::Timestamp::from_second(t).ok())
        .ok_or_else(|| AuthError::Invalid("the token has no iat".into()))?;
    let expires = claims
        .get("exp")
        .and_then(|t| t.parse::<i64>().ok())
        .unwrap_or(i64::MAX);
    if expires.saturating_sub(issued_at.as_second()) > socialcare_kit::auth::MAX_TTL_SECS {
        return Err(AuthError::Invalid(
            "the token lives longer than the deployment allows".into(),
        ));
    }
    Ok(socialcare_kit::auth::Verified {
        principal: Principal { agent_id, role },
        issued_at,
    })
}

/// A JSON body, with 400/413 problems instead of axum's plain-text rejections.
async fn json_body<T: DeserializeOwned>(body: Body) -> Result<T, Problem> {
    let bytes = to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| Problem::too_large(MAX_BODY))?;
    serde_json::from_slice(&bytes).map_err(|e| Problem::bad_request(format!("invalid JSON body: {e}")))
}

fn case_id(raw: &str) -> Result<CaseId, Problem> {
    CaseId::parse(raw).map_err(|e| Problem::bad_request(format!("case id: {e}")))
}

type ApiResult = Result<Response, Problem>;

async fn openapi() -> Response {
    ([("content-type", "application/json")], OPENAPI).into_response()
}

async fn me(Caller(who): Caller) -> ApiResult {
    Ok(axum::Json(serde_json::json!({"agent_id": who.agent_id, "supervisor": who.is_supervisor()})).into_response())
}

#[derive(Deserialize)]
struct CaseParams {
    status: Option<String>,
    assignee: Option<String>,
    waiting: Option<bool>,
    limit: Option<usize>,
    /// The `next` of the previous page.
    cursor: Option<String>,
}

/// Most cases on one page of `GET /v1/cases` (the default is 100).
const MAX_CASES_PAGE: usize = 500;

/// `next` of a page: the last case's creation time (ns) and id, opaque to clients.
fn encode_cursor(c: &CaseCursor) -> String {
    format!("{}.{}", c.created_at.as_nanosecond(), c.id)
}

fn decode_cursor(s: &str) -> Result<CaseCursor, Problem> {
    let bad = || Problem::bad_request("cursor: pass the `next` of the previous page unchanged");
    let (ns, id) = s.split_once('.').ok_or_else(bad)?;
    let created_at = ns
        .parse::<i128>()
        .ok()
        .and_then(|ns| jiff::Timestamp::from_nanosecond(ns).ok())
        .ok_or_else(bad)?;
    let id = socialcare_domain::CaseId::parse(id).map_err(|_| bad())?;
    Ok(CaseCursor { created_at, id })
}

fn parse_status(s: &str) -> Result<CaseStatus, Problem> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).map_err(|_| {
        Problem::bad_request(format!(
            "status `{s}` is not one of new, open, pending, resolved, closed"
        ))
    })
}

async fn list_cases(
    State(api): State<Api>,
    Caller(who): Caller,
    Query(p): Query<CaseParams>,
    headers: HeaderMap,
) -> ApiResult {
    let statuses = match &p.status {
        Some(s) => s.split(',').map(parse_status).collect::<Result<Vec<_>, _>>()?,
        None => vec![],
    };
    let assignee = match p.assignee.as_deref() {
        Some("me") => Some(who.agent_id.clone()),
        Some(other) => Some(socialcare_domain::AgentId::parse(other).map_err(|e| Problem::bad_request(e.to_string()))?),
        None => None,
    };
    let query = CaseQuery {
        statuses,
        assignee,
        waiting: p.waiting.unwrap_or(false),
        customer: None,
        limit: Some(p.limit.unwrap_or(100).clamp(1, MAX_CASES_PAGE)),
        newest_first: true,
        after: p.cursor.as_deref().map(decode_cursor).transpose()?,
    };
    let page = api.desk.list_cases(&who, query).await?;
    let next = page.next.as_ref().map(encode_cursor);
    let cases = page.cases;
    let latest = api.desk.latest_customer_posts(&cases).await?;
    let now = api.clock.now();
    let etag = live::tag(cases.iter().map(|c| (c.id.as_str(), c.version.to_string())));
    Ok(live::respond(&headers, &etag, || {
        let items: Vec<CaseSummary> = cases
            .iter()
            .map(|c| CaseSummary::new(c, now).with_latest(latest.get(&c.id)))
            .collect();
        axum::Json(serde_json::json!({ "cases": items, "next": next })).into_response()
    }))
}

async fn get_case(State(api): State<Api>, Caller(who): Caller, Path(id): Path<String>) -> ApiResult {
    let view = api.desk.get_case(&who, &case_id(&id)?).await?;
    Ok(axum::Json(CaseView::new(view, api.clock.now())).into_response())
}

async fn claim(State(api): State<Api>, Caller(who): Caller) -> ApiResult {
    match api.desk.claim(&who).await? {
        None => Ok(StatusCode::NO_CONTENT.into_response()),
        Some(case) => {
            let view = api.desk.get_case(&who, &case.id).await?;
            Ok(axum::Json(CaseView::new(view, api.clock.now())).into_response())
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplyBody {
    text: String,
}

async fn reply(
    State(api): State<Api>,
    Caller(who): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult {
    let id = case_id(&id)?;
    let body: ReplyBody = json_body(body).await?;
    if let Some(expected) = live::if_match_version(&headers).map_err(Problem::bad_request)? {
        let current = api.desk.case_version(&who, &id).await?;
        if current != expected {
            return Err(Problem::new(
                StatusCode::PRECONDITION_FAILED,
                format!("case {id} changed since version {expected} (now {current}): read it again before answering"),
            ));
        }
    }
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    let post = api.desk.reply(&who, &id, &body.text, key).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(views::PostView::from(&post))).into_response())
}

async fn resolve(State(api): State<Api>, Caller(who): Caller, Path(id): Path<String>) -> ApiResult {
    let case = api.desk.resolve(&who, &case_id(&id)?).await?;
    Ok(axum::Json(CaseSummary::new(&case, api.clock.now())).into_response())
}

#[derive(Deserialize)]
struct AlertParams {
    level: Option<String>,
    queue: Option<String>,
    since: Option<String>,
    limit: Option<usize>,
}

async fn alerts(
    State(api): State<Api>,
    Caller(who): Caller,
    Query(p): Query<AlertParams>,
    headers: HeaderMap,
) -> ApiResult {
    let level = match p.level.as_deref() {
        None => None,
        Some(l) => Some(
            serde_json::from_value::<Level>(serde_json::Value::String(l.to_string()))
                .map_err(|_| Problem::bad_request(format!("level `{l}` is unknown")))?,
        ),
    };
    let since = match p.since.as_deref() {
        None => None,
        Some(s) => Some(
            s.parse::<jiff::Timestamp>()
                .map_err(|e| Problem::bad_request(format!("since: {e}")))?,
        ),
    };
    let query = AlertQuery {
        level,
        queue: p.queue,
        since,
        limit: Some(p.limit.unwrap_or(100).min(1000)),
    };
    let alerts = api.desk.alerts(&who, &query).await?;
    let etag = live::tag(alerts.iter().map(|a| {
        let acknowledged = a.acknowledged_at.map(|t| t.to_string()).unwrap_or_default();
        (a.id.as_str(), acknowledged)
    }));
    Ok(live::respond(&headers, &etag, || {
        axum::Json(serde_json::json!({ "alerts": alerts })).into_response()
    }))
}

async fn ack_alert(State(api): State<Api>, Caller(who): Caller, Path(id): Path<String>) -> ApiResult {
    let alert = api.sla.acknowledge(&who, &id).await?;
    Ok(axum::Json(alert).into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PendingBody {
    reason: Option<String>,
}

async fn pending(State(api): State<Api>, Caller(who): Caller, Path(id): Path<String>, body: Body) -> ApiResult {
    let id = case_id(&id)?;
    let bytes = to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| Problem::too_large(MAX_BODY))?;
    let body: PendingBody = if bytes.iter().all(u8::is_ascii_whitespace) {
        PendingBody::default()
    } else {
        serde_json::from_slice(&bytes).map_err(|e| Problem::bad_request(format!("invalid JSON body: {e}")))?
    };
    let case = api.sla.set_pending(&who, &id, body.reason.as_deref()).await?;
    Ok(axum::Json(CaseSummary::new(&case, api.clock.now())).into_response())
}

/// A skill list (`["billing"]`, level 1 each) or a table of levels (`{"billing": 2}`).
#[derive(Deserialize)]
#[serde(untagged)]
enum SkillsBody {
    Levels(std::collections::BTreeMap<String, u8>),
    List(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgentBody {
    name: Option<String>,
    languages: Vec<socialcare_domain::Language>,
    #[serde(default)]
    secondary_languages: Vec<socialcare_domain::Language>,
    skills: Option<SkillsBody>,
    #[serde(default)]
    regions: Vec<String>,
    #[serde(default)]
    channels: Vec<socialcare_domain::Channel>,
    capacity: u32,
    /// Limits per channel within `capacity`.
    #[serde(default)]
    channel_capacity: std::collections::BTreeMap<socialcare_domain::Channel, u32>,
    #[serde(default)]
    role: Option<socialcare_domain::Role>,
    /// Opted in to triage (`GET /v1/triage`).
    #[serde(default)]
    triage: bool,
}

async fn save_agent(State(api): State<Api>, Caller(who): Caller, Path(id): Path<String>, body: Body) -> ApiResult {
    let id = socialcare_domain::AgentId::parse(id).map_err(|e| Problem::bad_request(format!("agent id: {e}")))?;
    let b: AgentBody = json_body(body).await?;
    let skills = match b.skills {
        None => Default::default(),
        Some(SkillsBody::Levels(levels)) => levels,
        Some(SkillsBody::List(names)) => names.into_iter().map(|n| (n, 1)).collect(),
    };
    let agent = socialcare_domain::Agent {
        name: b.name.unwrap_or_else(|| id.to_string()),
        id,
        languages: b.languages,
        secondary_languages: b.secondary_languages,
        skills,
        regions: b.regions,
        channels: b.channels,
        capacity: b.capacity,
        channel_capacity: b.channel_capacity,
        channel_load: Default::default(),
        triage: b.triage,
        presence: socialcare_domain::Presence::Offline,
        role: b.role.unwrap_or(socialcare_domain::Role::Agent),
        load: 0,
        last_assigned_at: None,
        tokens_valid_after: None,
    };
    let (agent, created) = api.desk.save_agent(&who, agent).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, axum::Json(agent)).into_response())
}

async fn agents(State(api): State<Api>, Caller(who): Caller) -> ApiResult {
    let agents = api.desk.agents(&who).await?;
    let summary = socialcare_domain::routing::fairness::LoadSummary::of(&agents);
    Ok(axum::Json(serde_json::json!({ "agents": agents, "load": summary })).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI).unwrap_or_default();
        for path in [
            "/v1/me",
            "/v1/cases",
            "/v1/cases/{id}",
            "/v1/cases/{id}/replies",
            "/v1/cases/{id}/resolve",
            "/v1/queue/claim",
            "/v1/alerts",
            "/v1/alerts/{id}/ack",
            "/v1/cases/{id}/pending",
            "/v1/agents",
            "/v1/agents/{id}",
            "/v1/agents/{id}/sessions/revoke",
            "/v1/cases/{id}/routing",
            "/v1/cases/{id}/decline",
            "/v1/cases/{id}/transfer",
            "/v1/cases/{id}/assign",
            "/v1/customers/{id}",
            "/v1/customers/{id}/detach",
            "/v1/customers/{id}/export",
            "/v1/customers/{id}/erase",
            "/v1/merges",
            "/v1/merges/{id}",
            "/v1/merges/{id}/split",
            "/v1/triage",
            "/v1/posts/{id}/case",
            "/v1/posts/{id}/dismiss",
            "/v1/posts/{id}/labels",
            "/v1/labels",
            "/v1/cases/{id}/replies/{reply_id}/retry",
            "/v1/dead-letters",
            "/v1/dead-letters/{id}/redrive",
        ] {
            assert!(doc["paths"][path].is_object(), "{path} is missing from openapi.json");
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PresenceBody {
    presence: socialcare_domain::Presence,
}

async fn presence(State(api): State<Api>, Caller(who): Caller, Path(id): Path<String>, body: Body) -> ApiResult {
    let agent = socialcare_domain::AgentId::parse(id).map_err(|e| Problem::bad_request(format!("agent id: {e}")))?;
    let body: PresenceBody = json_body(body).await?;
    let agent = api.desk.set_presence(&who, &agent, body.presence).await?;
    Ok(axum::Json(agent).into_response())
}

async fn revoke_sessions(State(api): State<Api>, Caller(who): Caller, Path(id): Path<String>) -> ApiResult {
    let agent = socialcare_domain::AgentId::parse(id).map_err(|e| Problem::bad_request(format!("agent id: {e}")))?;
    let agent = api.desk.revoke_sessions(&who, &agent).await?;
    Ok(axum::Json(agent).into_response())
}

async fn queues(State(api): State<Api>, Caller(who): Caller) -> ApiResult {
    let queues = api.desk.queues(&who).await?;
    Ok(axum::Json(serde_json::json!({ "queues": queues })).into_response())
}

async fn customer(State(api): State<Api>, Caller(who): Caller, Path(id): Path<String>) -> ApiResult {
    let id = socialcare_domain::CustomerId::parse(id).map_err(|e| Problem::bad_request(format!("customer id: {e}")))?;
    let history = api.desk.customer(&who, &id).await?;
    Ok(axum::Json(views::CustomerHistoryView::new(history, api.clock.now())).into_response())
}

#[derive(Deserialize)]
struct MetricsParams {
    from: Option<String>,
    to: Option<String>,
    by: Option<String>,
}

async fn sla_metrics(State(api): State<Api>, Caller(who): Caller, Query(p): Query<MetricsParams>) -> ApiResult {
    let now = api.clock.now();
    let parse = |name: &str, v: Option<&str>, default: jiff::Timestamp| match v {
        None => Ok(default),
        Some(s) => s
            .parse::<jiff::Timestamp>()
            .map_err(|e| Problem::bad_request(format!("{name}: {e}"))),
    };
    let from = parse("from", p.from.as_deref(), now - jiff::SignedDuration::from_hours(24))?;
    let to = parse("to", p.to.as_deref(), now + jiff::SignedDuration::from_secs(1))?;
    if from >= to {
        return Err(Problem::bad_request("`from` must be before `to`"));
    }
    let by: socialcare_domain::metrics::GroupBy =
        p.by.as_deref()
            .unwrap_or("queue")
            .parse()
            .map_err(|e: String| Problem::bad_request(format!("by: {e}")))?;
    let cases = api.desk.cases_created_between(&who, from, to).await?;
    let rows = socialcare_domain::metrics::attainment(&cases, by, api.sla.policy());
    Ok(axum::Json(serde_json::json!({ "from": from, "to": to, "rows": rows })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MergeBody {
    /// The customer merged away.
    source: String,
    /// The customer that stays.
    target: String,
    #[serde(default)]
    reason: Option<String>,
}

fn customer_id(field: &str, raw: &str) -> Result<socialcare_domain::CustomerId, Problem> {
    socialcare_domain::CustomerId::parse(raw).map_err(|e| Problem::bad_request(format!("{field}: {e}")))
}

async fn merge_customers(State(api): State<Api>, Caller(who): Caller, body: Body) -> ApiResult {
    let b: MergeBody = json_body(body).await?;
    let (source, target) = (customer_id("source", &b.source)?, customer_id("target", &b.target)?);
    let record = api
        .desk
        .merge_customers(&who, &source, &target, b.reason.as_deref())
        .await?;
    Ok((StatusCode::CREATED, axum::Json(views::MergeView::from(&record))).into_response())
}

async fn merge_record(State(api): State<Api>, Caller(who): Caller, Path(id): Path<String>) -> ApiResult {
    let record = api.desk.merge_record(&who, &id).await?;
    Ok(axum::Json(views::MergeView::from(&record)).into_response())
}

async fn split_merge(State(api): State<Api>, Caller(who): Caller, Path(id): Path<String>) -> ApiResult {
    let record = api.desk.split_merge(&who, &id).await?;
    Ok(axum::Json(views::MergeView::from(&record)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DetachBody {
    author_id: String,
}

async fn detach_author(State(api): State<Api>, Caller(who): Caller, Path(id): Path<String>, body: Body) -> ApiResult {
    let customer = customer_id("customer id", &id)?;
    let b: DetachBody = json_body(body).await?;
    let author =
        socialcare_domain::AuthorId::parse(b.author_id).map_err(|e| Problem::bad_request(format!("author_id: {e}")))?;
    let detached = api.desk.detach_author(&who, &customer, &author).await?;
    Ok((StatusCode::CREATED, axum::Json(views::CustomerView::from(detached))).into_response())
}
