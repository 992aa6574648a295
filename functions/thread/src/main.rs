//! Lambda entry point of `thread` (SQS FIFO): wiring only.

use socialcare_aws::LambdaEnv;
use socialcare_domain::Stream;
use socialcare_domain::ports::{Clock, SystemClock};
use socialcare_domain::services::thread::ThreadService;
use socialcare_kit::outbox::Deferred;
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
    let outbox = Arc::new(Deferred::new(env.publisher(&[Stream::Cases])?));
    let service = Arc::new(
        ThreadService::new(
            s.clone(),
            s.clone(),
            cases,
            outbox.clone(),
            clock.clone(),
            settings.default_queue,
        )
        .with_reopen_days(settings.reopen_days)
        .with_identity(settings.identity)
        .with_triage(s.clone())
        .with_deletions(s.clone()),
    );
    socialcare_kit::lambda::run_sqs_deferred("thread", true, s, clock, Some(outbox), move |e| {
        let service = service.clone();
        async move { fn_thread::handle(&service, e).await }
    })
    .await
}
