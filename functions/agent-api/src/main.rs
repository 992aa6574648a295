//! Lambda entry point of `agent-api`: wiring only. The HTTP API's JWT authorizer (Cognito)
//! authenticates; the function authorizes per object.

use fn_agent_api::{Api, Auth, router};
use socialcare_aws::LambdaEnv;
use socialcare_domain::Stream;
use socialcare_domain::ports::{AgentStore, Clock, SystemClock};
use socialcare_domain::services::desk::Desk;
use socialcare_domain::services::route::{CLAIM_INDEX_TTL, RouteService};
use socialcare_domain::services::sla_desk::SlaDesk;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    socialcare_kit::telemetry::init();
    let env = LambdaEnv::load().await?;
    let (name, text) = env.config_text().await?;
    let settings = socialcare_kit::config::parse(&name, &text)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let s = env.store.clone();
    for agent in &settings.agents {
        s.seed(agent).await?;
    }
    let router_service = Arc::new(
        RouteService::new(s.clone(), s.clone(), s.clone(), clock.clone(), settings.sla.clone())
            .with_routing(settings.routing.clone(), s.clone())
            .with_claim_index_ttl(CLAIM_INDEX_TTL),
    );
    let sla = SlaDesk::new(s.clone(), s.clone(), s.clone(), clock.clone(), settings.sla);
    // Replies go out; merges and splits of customers announce the cases they changed.
    let publisher = env.publisher(&[Stream::Replies, Stream::Cases])?;
    let desk = Desk::new(
        s.clone(),
        s.clone(),
        s.clone(),
        s.clone(),
        s,
        publisher,
        router_service,
        clock.clone(),
    );
    lambda_http::run(router(Api {
        desk: Arc::new(desk),
        sla: Arc::new(sla),
        clock,
        auth: Auth::GatewayClaims,
        // The trends Lambda is not deployed yet: the routes answer 404 on AWS.
        trends: None,
    }))
    .await
}
