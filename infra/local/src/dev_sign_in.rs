//! `care serve --dev-sign-in`: a development sign-in for the console on one machine. It mints the
//! same HS256 token as `care token` for an agent the store knows, with the role the store gives
//! it. Never part of the Lambda and off unless the flag is given: anyone who can reach the port
//! can be anyone.

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use socialcare_domain::ports::{AgentStore, Clock};
use socialcare_domain::{AgentId, Role};
use socialcare_kit::problem::Problem;
use std::sync::Arc;

/// Lifetime of a development token.
const TTL_SECS: i64 = 12 * 3600;

#[derive(Clone)]
struct DevSignIn {
    agents: Arc<dyn AgentStore>,
    secret: Arc<Vec<u8>>,
    clock: Arc<dyn Clock>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignInBody {
    agent_id: String,
}

/// `GET /dev/sign-in` lists the agents one may be; `POST /dev/sign-in {"agent_id"}` answers a token.
pub fn router(agents: Arc<dyn AgentStore>, secret: Vec<u8>, clock: Arc<dyn Clock>) -> Router {
    Router::new()
        .route("/dev/sign-in", get(list).post(sign_in))
        .with_state(DevSignIn {
            agents,
            secret: Arc::new(secret),
            clock,
        })
}

async fn list(State(s): State<DevSignIn>) -> Response {
    match s.agents.list().await {
        Ok(agents) => {
            let agents: Vec<_> = agents
                .iter()
                .map(|a| serde_json::json!({"id": a.id, "name": a.name, "supervisor": a.role == Role::Supervisor}))
                .collect();
            axum::Json(serde_json::json!({ "agents": agents })).into_response()
        }
        Err(e) => Problem::from(e).into_response(),
    }
}

async fn sign_in(State(s): State<DevSignIn>, body: axum::body::Bytes) -> Response {
    let body: SignInBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return Problem::bad_request(format!("invalid JSON body: {e}")).into_response(),
    };
    let Ok(id) = AgentId::parse(body.agent_id) else {
        return Problem::bad_request("agent_id is not an agent id").into_response();
    };
    let agent = match s.agents.get(&id).await {
        Ok(Some(a)) => a,
        Ok(None) => return Problem::not_found(format!("agent {id}")).into_response(),
        Err(e) => return Problem::from(e).into_response(),
    };
    match socialcare_kit::auth::mint(&s.secret, &agent.id, agent.role, s.clock.now(), TTL_SECS) {
        Ok(token) => axum::Json(serde_json::json!({
            "token": token,
            "agent_id": agent.id,
            "supervisor": agent.role == Role::Supervisor,
        }))
        .into_response(),
        Err(_) => Problem::internal().into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, to_bytes};
    use axum::http::Request;
    use socialcare_domain::ports::SystemClock;
    use socialcare_memory::MemoryStore;
    use tower::ServiceExt;

    async fn call(app: &Router, req: Request<Body>) -> (u16, serde_json::Value) {
        let r = app.clone().oneshot(req).await.unwrap_or_else(|e| match e {});
        let status = r.status().as_u16();
        let body = to_bytes(r.into_body(), 1 << 20).await.unwrap_or_default();
        (status, serde_json::from_slice(&body).unwrap_or_default())
    }

    fn sign_in(agent: &str) -> Request<Body> {
        Request::post("/dev/sign-in")
            .header("content-type", "application/json")
            .body(Body::from(format!("{{\"agent_id\":\"{agent}\"}}")))
            .unwrap_or_default()
    }

    #[tokio::test]
    async fn mints_a_token_with_the_stored_role_for_known_agents_only() -> anyhow::Result<()> {
        let store = Arc::new(MemoryStore::new());
        let sam: socialcare_domain::Agent = serde_json::from_value(serde_json::json!({
            "id": "sam", "name": "Sam", "languages": ["en"], "capacity": 0, "role": "supervisor",
            "presence": "online", "load": 0
        }))?;
        store.seed(&sam).await?;
        let app = router(store, b"k".to_vec(), Arc::new(SystemClock));
        let (status, body) = call(&app, sign_in("sam")).await;
        assert_eq!(status, 200);
        let who =
            socialcare_kit::auth::verify(b"k", Some(&format!("Bearer {}", body["token"].as_str().unwrap_or(""))))?;
        assert!(who.principal.is_supervisor());
        assert_eq!(call(&app, sign_in("nobody")).await.0, 404);
        let bad = Request::post("/dev/sign-in").body(Body::from("{")).unwrap_or_default();
        assert_eq!(call(&app, bad).await.0, 400);
        let (status, list) = call(
            &app,
            Request::get("/dev/sign-in").body(Body::empty()).unwrap_or_default(),
        )
        .await;
        assert_eq!((status, list["agents"][0]["id"].as_str()), (200, Some("sam")));
        Ok(())
    }
}
