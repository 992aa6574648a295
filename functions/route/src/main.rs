//! Lambda entry point of `route`: wiring only.

use socialcare_aws::LambdaEnv;
use socialcare_domain::ports::{Clock, SystemClock};
use socialcare_domain::services::route::RouteService;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    socialcare_kit::telemetry::init();
    let env = LambdaEnv::load().await?;
    let (name, text) = env.config_text().await?;
    let settings = socialcare_kit::config::parse(&name, &text)?;
    let env = env.with_retention(settings.retention);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let s = env.store.clone();
    let cases = env.cases();
    let service = Arc::new(
        RouteService::new(cases, s.clone(), s.clone(), clock.clone(), settings.sla)
            .with_routing(settings.routing, s.clone()),
    );
    socialcare_kit::lambda::run_sqs("route", false, s, clock, move |e| {
        let service = service.clone();
        async move { fn_route::handle(&service, e).await }
    })
    .await
}
