//! Lambda entry point of `ingest`: wiring only.

use fn_ingest::{Ingest, Platforms, SourceSecret, router};
use socialcare_aws::LambdaEnv;
use socialcare_channels::accounts::Accounts;
use socialcare_domain::Stream;
use socialcare_domain::ports::{Clock, SystemClock};
use socialcare_domain::services::channels::ChannelHealthService;
use socialcare_domain::services::ingest::IngestService;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    socialcare_kit::telemetry::init();
    let env = LambdaEnv::load().await?;
    let (name, text) = env.config_text().await?;
    let settings = socialcare_kit::config::parse(&name, &text)?;
    let env = env.with_retention(settings.retention);
    let accounts: Accounts = socialcare_kit::config::section(&name, &text, "channels")?;
    accounts.validate()?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut sources = Vec::new();
    for s in &settings.sources {
        sources.push(SourceSecret {
            name: s.name.clone(),
            secret: env.secret(&s.secret_env).await?,
        });
    }
    let mut values = env.secrets(accounts.secret_envs()).await?;
    // Optional: without the referral key, no referral links anyone.
    let referral_key = socialcare_channels::referral::KEY_ENV;
    if let Ok(key) = env.secret(referral_key).await {
        values.insert(referral_key.to_string(), key);
    }
    let secrets = accounts.webhook_secrets(|n| values.get(n).cloned())?;
    let publisher = env.publisher(&[Stream::Received])?;
    let service = IngestService::new(env.store.clone(), publisher, clock.clone(), settings.dedupe_ttl_days);
    let health_config = socialcare_kit::config::channel_health(&name, &text)?;
    let health = Arc::new(
        ChannelHealthService::new(env.store.clone(), clock.clone(), health_config)
            .with_accounts(accounts.health_accounts()),
    );
    lambda_http::run(router(Arc::new(Ingest {
        service,
        sources,
        platforms: Platforms::new(accounts, secrets, health).with_deletions(env.store.clone()),
        clock,
    })))
    .await
}
