//! Lambda entry point of `agent-api`: wiring only. The HTTP API's JWT authorizer (Cognito)
//! authenticates; the function authorizes per object.

use fn_agent_api::{Api, Auth, router};
use socialcare_aws::LambdaEnv;
use socialcare_domain::Stream;
use socialcare_domain::ports::{AgentStore, Clock, Eraser, SystemClock};
use socialcare_domain::services::channels::ChannelHealthService;
use socialcare_domain::services::dead_letters::DeadLetterDesk;
use socialcare_domain::services::desk::Desk;
use socialcare_domain::services::privacy::{PrivacyPorts, PrivacyService};
use socialcare_domain::services::reports::Reports;
use socialcare_domain::services::route::{CLAIM_INDEX_TTL, RouteService};
use socialcare_domain::services::sla_desk::SlaDesk;
use socialcare_domain::services::thread::ThreadService;
use socialcare_domain::services::triage::TriageService;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    socialcare_kit::telemetry::init();
    let env = LambdaEnv::load().await?;
    let (name, text) = env.config_text().await?;
    let settings = socialcare_kit::config::parse(&name, &text)?;
    let env = env.with_retention(settings.retention);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let s = env.store.clone();
    for agent in &settings.agents {
        s.seed(agent).await?;
    }
    let cases = env.cases();
    let router_service = Arc::new(
        RouteService::new(cases.clone(), s.clone(), s.clone(), clock.clone(), settings.sla.clone())
            .with_routing(settings.routing.clone(), s.clone())
            .with_claim_index_ttl(CLAIM_INDEX_TTL),
    );
    // Triage turns a post into a case through thread's own rules (the case is announced to route).
    let publisher = env.publisher(&[Stream::Replies, Stream::Cases])?;
    let thread = ThreadService::new(
        s.clone(),
        s.clone(),
        cases.clone(),
        publisher.clone(),
        clock.clone(),
        settings.default_queue.clone(),
    )
    .with_reopen_days(settings.reopen_days)
    .with_identity(settings.identity.clone());
    let triage = TriageService::new(
        s.clone(),
        s.clone(),
        s.clone(),
        cases.clone(),
        s.clone(),
        Arc::new(thread),
        clock.clone(),
    );
    let reports = Reports::new(env.report_source(), cases.clone(), clock.clone(), settings.sla.clone());
    let sla = SlaDesk::new(cases.clone(), s.clone(), s.clone(), clock.clone(), settings.sla.clone());
    // Replies go out; merges and splits of customers announce the cases they changed.
    // Parked messages (with their reasons) are listed and sent back from here; the SQS
    // dead-letter queues are listed by `care serve` (memory and `--backend aws`), not yet here
    // (this function has no DLQ URLs or SQS receive rights in the template).
    // Parked messages, and each queue's dead-letter queue the template names (DLQ_<STREAM>_URL).
    let dead_letters = DeadLetterDesk::new(s.clone(), env.dead_letter_queues(), publisher.clone());
    let privacy_cases = cases.clone();
    let desk = Desk::new(
        cases,
        s.clone(),
        s.clone(),
        s.clone(),
        s,
        publisher,
        router_service,
        clock.clone(),
    );
    // /v1/trends reads what the trends function writes (the detector here is never fed).
    let trends_config = socialcare_kit::trends::trends_config(&name, &text, &settings)?;
    let trends = if trends_config.enabled {
        let none = Arc::new(socialcare_trends::store::FanoutTrendSink(vec![]));
        Some(Arc::new(socialcare_kit::trends::service(
            trends_config,
            &settings,
            env.store.clone(),
            none,
        )?))
    } else {
        None
    };
    // Data-subject requests: export and erasure, over every store (and the trend alerts).
    let erasers: Vec<Arc<dyn Eraser>> = trends
        .iter()
        .map(|t| Arc::new(socialcare_trends::store::TrendEraser(t.store())) as Arc<dyn Eraser>)
        .collect();
    let privacy = PrivacyService::new(PrivacyPorts {
        customers: env.store.clone(),
        index: env.store.clone(),
        posts: env.store.clone(),
        cases: privacy_cases,
        alerts: env.store.clone(),
        triage: env.store.clone(),
        labels: env.store.clone(),
        parking: env.store.clone(),
        erasers,
        clock: clock.clone(),
    });
    // /v1/channels lists the configured accounts (and generic sources) with their records.
    let accounts: socialcare_channels::accounts::Accounts = socialcare_kit::config::section(&name, &text, "channels")?;
    let mut configured = accounts.health_accounts();
    configured.extend(settings.sources.iter().map(|s| ("generic".to_string(), s.name.clone())));
    let channels = ChannelHealthService::new(
        env.store.clone(),
        clock.clone(),
        socialcare_kit::config::channel_health(&name, &text)?,
    )
    .with_accounts(configured);
    // The console's files under /console, next to /v1 (same origin: no CORS).
    let (assets, console) = fn_agent_api::console::from_lambda_env(|k| std::env::var(k).ok());
    let app = router(Api {
        desk: Arc::new(desk),
        sla: Arc::new(sla),
        clock,
        auth: Auth::GatewayClaims,
        triage: Arc::new(triage),
        dead_letters: Arc::new(dead_letters),
        trends,
        reports: Arc::new(reports),
        privacy: Arc::new(privacy),
        channels: Arc::new(channels),
    })
    .merge(fn_agent_api::console::router(assets, console));
    lambda_http::run(app).await
}
