//! Lambda entry point of `classify`: wiring only. The language models load once, at init.

use socialcare_aws::LambdaEnv;
use socialcare_channels::accounts::Accounts;
use socialcare_channels::fetch_meta::MentionFetcher;
use socialcare_channels::platforms::Endpoints;
use socialcare_classify::{ClassifyConfig, RuleClassifier, TRACKED_TEXTS, TrackingClassifier};
use socialcare_domain::Stream;
use socialcare_domain::ports::{Clock, SystemClock};
use socialcare_domain::services::classify::ClassifyService;
use socialcare_kit::outbox::Deferred;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    socialcare_kit::telemetry::init();
    let env = LambdaEnv::load().await?;
    let (name, text) = env.config_text().await?;
    let config: ClassifyConfig = socialcare_kit::config::section(&name, &text, "classify")?;
    // Chatter is stored here: dated by `[retention]`.
    let env = env.with_retention(socialcare_kit::config::parse(&name, &text)?.retention);
    let classifier = Arc::new(TrackingClassifier::new(RuleClassifier::new(config)?, TRACKED_TEXTS));
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let outbox = Arc::new(Deferred::new(env.publisher(&[Stream::Classified])?));
    // Instagram mentions come as ids only: their text is read from the Graph API here, with
    // the account's token (`CARE_GRAPH_API_URL` overrides the endpoint, as for outbound).
    let accounts: Accounts = socialcare_kit::config::section(&name, &text, "channels")?;
    let tokens = env.secrets(accounts.instagram_token_envs()).await?;
    let graph_api =
        socialcare_kit::env::optional("CARE_GRAPH_API_URL").unwrap_or_else(|| Endpoints::default().graph_api);
    let fetcher = MentionFetcher::new(reqwest::Client::new(), &graph_api, &accounts, |n| {
        tokens.get(n).cloned()
    })?;
    let service = Arc::new(
        ClassifyService::new(classifier, outbox.clone(), clock.clone())
            .with_history(env.store.clone(), env.store.clone())
            .with_store_only_chatter(env.store.clone())
            .with_triage(env.store.clone())
            .with_fetcher(Arc::new(fetcher)),
    );
    socialcare_kit::lambda::run_sqs_deferred("classify", false, env.store.clone(), clock, Some(outbox), move |e| {
        let service = service.clone();
        async move { fn_classify::handle(&service, e).await }
    })
    .await
}
