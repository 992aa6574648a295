//! Lambda entry point of `trends`: wiring only (the posts table's stream in).

use aws_lambda_events::event::dynamodb::Event;
use lambda_runtime::{LambdaEvent, service_fn};
use socialcare_aws::{LambdaEnv, SnsAlertSink};
use socialcare_channels::alerts::WebhookTrendSink;
use socialcare_trends::store::{FanoutTrendSink, TrendSink};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    socialcare_kit::telemetry::init();
    let env = LambdaEnv::load().await?;
    let (name, text) = env.config_text().await?;
    let settings = socialcare_kit::config::parse(&name, &text)?;
    let config = socialcare_kit::trends::trends_config(&name, &text, &settings)?;
    let topic = socialcare_kit::env::required("CARE_ALERTS_TOPIC_ARN")?;
    let mut sinks: Vec<Arc<dyn TrendSink>> = vec![Arc::new(SnsAlertSink::new(env.clients.sns.clone(), topic))];
    for w in &settings.alert_webhooks {
        sinks.push(Arc::new(WebhookTrendSink {
            client: reqwest::Client::new(),
            name: w.name.clone(),
            url: env.secret(&w.url_env).await?,
        }));
    }
    let sink = Arc::new(FanoutTrendSink(sinks));
    let service = Arc::new(socialcare_kit::trends::service(
        config,
        &settings,
        env.store.clone(),
        sink,
    )?);
    service.restore().await?;
    lambda_runtime::run(service_fn(move |e: LambdaEvent<Event>| {
        let service = service.clone();
        async move {
            let report = fn_trends::handle(&service, e.payload, jiff::Timestamp::now()).await?;
            tracing::info!(
                posts = report.posts,
                skipped = report.skipped,
                unreadable = report.unreadable,
                buckets = report.buckets,
                alerts = report.alerts,
                "trends batch"
            );
            Ok::<(), lambda_runtime::Error>(())
        }
    }))
    .await
}
