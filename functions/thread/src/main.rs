//! Lambda entry point of `thread` (SQS FIFO): wiring only.

use socialcare_aws::LambdaEnv;
use socialcare_domain::Stream;
use socialcare_domain::ports::{Clock, SystemClock};
use socialcare_domain::services::thread::ThreadService;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    socialcare_kit::telemetry::init();
    let env = LambdaEnv::load().await?;
    let (name, text) = env.config_text().await?;
    let settings = socialcare_kit::config::parse(&name, &text)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let s = env.store.clone();
    let publisher = env.publisher(&[Stream::Cases])?;
    let service = Arc::new(
        ThreadService::new(
            s.clone(),
            s.clone(),
            s.clone(),
            publisher,
            clock.clone(),
            settings.default_queue,
        )
        .with_reopen_days(settings.reopen_days),
    );
    socialcare_kit::lambda::run_sqs("thread", true, s, clock, move |e| {
        let service = service.clone();
        async move { fn_thread::handle(&service, e).await }
    })
    .await
}
