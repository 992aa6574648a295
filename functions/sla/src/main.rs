//! Lambda entry point of `sla`: invoked every minute by a schedule, ticks each second of it.

use aws_lambda_events::event::cloudwatch_events::CloudWatchEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use socialcare_aws::{LambdaEnv, SnsAlertSink};
use socialcare_channels::alerts::{FanoutAlertSink, FanoutChannelSink, WebhookAlertSink};
use socialcare_domain::ports::{AlertSink, ChannelAlertSink, Clock, SystemClock};
use socialcare_domain::services::channels::ChannelHealthService;
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
    let sns = Arc::new(SnsAlertSink::new(env.clients.sns.clone(), topic));
    let mut sinks: Vec<Arc<dyn AlertSink>> = vec![sns.clone()];
    let mut channel_sinks: Vec<Arc<dyn ChannelAlertSink>> = vec![sns];
    for w in &settings.alert_webhooks {
        let url = env.secret(&w.url_env).await?;
        let sink = Arc::new(WebhookAlertSink::new(reqwest::Client::new(), &w.name, &url).with_levels(&w.levels));
        sinks.push(sink.clone());
        channel_sinks.push(sink);
    }
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let channels = Arc::new(
        ChannelHealthService::new(
            env.store.clone(),
            clock.clone(),
            socialcare_kit::config::channel_health(&name, &text)?,
        )
        .with_sink(Arc::new(FanoutChannelSink::new(channel_sinks))),
    );
    let s = env.store.clone();
    let cases = env.cases();
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
        let (service, route, channels) = (service.clone(), route.clone(), channels.clone());
        async move {
            let (window, every) = (Duration::from_secs(58), Duration::from_secs(1));
            let report = fn_sla::run_minute(&service, &route, Some(&channels), window, every).await;
            report.map_err(lambda_runtime::Error::from)
        }
    }))
    .await
}
