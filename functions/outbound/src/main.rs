//! Lambda entry point of `outbound`: wiring only.

use socialcare_aws::LambdaEnv;
use socialcare_channels::accounts::Accounts;
use socialcare_channels::platforms::{Endpoints, PlatformSenders};
use socialcare_channels::send::{HttpSender, ReplyEndpoint};
use socialcare_domain::ports::{Clock, SystemClock};
use socialcare_domain::services::channels::ChannelHealthService;
use socialcare_domain::services::outbound::OutboundService;
use std::collections::HashMap;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    socialcare_kit::telemetry::init();
    let env = LambdaEnv::load().await?;
    let (name, text) = env.config_text().await?;
    let settings = socialcare_kit::config::parse(&name, &text)?;
    let env = env.with_retention(settings.retention);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut endpoints = HashMap::new();
    for s in settings.sources.iter().filter(|s| s.reply_url.is_some()) {
        let url = s.reply_url.clone().unwrap_or_default();
        endpoints.insert(
            s.name.clone(),
            ReplyEndpoint {
                url,
                secret: env.secret(&s.secret_env).await?,
            },
        );
    }
    let accounts: Accounts = socialcare_kit::config::section(&name, &text, "channels")?;
    accounts.validate()?;
    let values = env.secrets(accounts.secret_envs()).await?;
    let client = reqwest::Client::new();
    let platforms = PlatformSenders::new(client.clone(), &Endpoints::default(), &accounts, |n| {
        values.get(n).cloned()
    })?;
    let sender = Arc::new(HttpSender::new(client, endpoints).with_platforms(Arc::new(platforms)));
    let s = env.store.clone();
    let cases = env.cases();
    let health = ChannelHealthService::new(
        s.clone(),
        clock.clone(),
        socialcare_kit::config::channel_health(&name, &text)?,
    );
    let service = Arc::new(OutboundService::new(s.clone(), cases, sender, clock.clone()).with_health(Arc::new(health)));
    socialcare_kit::lambda::run_sqs("outbound", false, s, clock, move |e| {
        let service = service.clone();
        async move { fn_outbound::handle(&service, e).await }
    })
    .await
}
