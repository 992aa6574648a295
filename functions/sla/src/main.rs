//! Lambda entry point of `sla`: invoked every minute by a schedule, ticks each second of it.

use aws_lambda_events::event::cloudwatch_events::CloudWatchEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use socialcare_aws::{LambdaEnv, SnsAlertSink};
use socialcare_channels::alerts::{FanoutAlertSink, WebhookAlertSink};
use socialcare_domain::ports::{AlertSink, Clock, SystemClock};
use socialcare_domain::services::route::RouteService;
use socialcare_domain::services::sla::SlaService;
use std::sync::Arc;
use std::time::Duration;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    socialcare_kit::telemetry::init();
    let env = LambdaEnv::load().await?;
    let (name, text) = env.config_text().await?;
    let settings = socialcare_kit::config::parse(&name, &text)?;
    let env = env.with_retention(settings.retention);
    let topic = socialcare_kit::env::required("CARE_ALERTS_TOPIC_ARN")?;
    let mut sinks: Vec<Arc<dyn AlertSink>> = vec![Arc::new(SnsAlertSink::new(env.clients.sns.clone(), topic))];
    for w in &settings.alert_webhooks {
        let url = env.secret(&w.url_env).await?;
        let sink = WebhookAlertSink::new(reqwest::Client::new(), &w.name, &url).with_levels(&w.levels);
        sinks.push(Arc::new(sink));
    }
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let s = env.store.clone();
    let cases = env.reporting_cases(settings.sla.clone());
    let route = Arc::new(
        RouteService::new(cases.clone(), s.clone(), s.clone(), clock.clone(), settings.sla.clone())
            .with_routing(settings.routing, s.clone()),
    );
    let service = Arc::new(SlaService::new(
        s.clone(),
        cases,
        s,
        Arc::new(FanoutAlertSink::new(sinks)),
        clock,
        settings.sla,
    ));
    lambda_runtime::run(service_fn(move |_: LambdaEvent<CloudWatchEvent>| {
        let (service, route) = (service.clone(), route.clone());
        async move {
            let report = fn_sla::run_minute(&service, &route, Duration::from_secs(58), Duration::from_secs(1)).await;
            report.map_err(lambda_runtime::Error::from)
        }
    }))
    .await
}
