//! Lambda entry point of `ingest`: wiring only.

use fn_ingest::{Ingest, SourceSecret, router};
use socialcare_aws::LambdaEnv;
use socialcare_domain::Stream;
use socialcare_domain::ports::{Clock, SystemClock};
use socialcare_domain::services::ingest::IngestService;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    socialcare_kit::telemetry::init();
    let env = LambdaEnv::load().await?;
    let (name, text) = env.config_text().await?;
    let settings = socialcare_kit::config::parse(&name, &text)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut sources = Vec::new();
    for s in &settings.sources {
        sources.push(SourceSecret {
            name: s.name.clone(),
            secret: env.secret(&s.secret_env).await?,
        });
    }
    let publisher = env.publisher(&[Stream::Received])?;
    let service = IngestService::new(env.store.clone(), publisher, clock.clone(), settings.dedupe_ttl_days);
    lambda_http::run(router(Arc::new(Ingest {
        service,
        sources,
        clock,
    })))
    .await
}
