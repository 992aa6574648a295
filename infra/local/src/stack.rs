//! The whole pipeline in one process: HTTP (webhooks + `/v1`), pollers per queue, the ticker.

use anyhow::Context;
use socialcare_channels::accounts::Accounts;
use socialcare_channels::alerts::{FanoutAlertSink, FanoutChannelSink, WebhookAlertSink};
use socialcare_channels::platforms::{Endpoints, PlatformSenders};
use socialcare_channels::send::HttpSender;
use socialcare_domain::ports::{
    AgentStore, AlertSink, AlertStore, CaseStore, ChannelAlertSink, ChannelStore, Classifier, Clock, CustomerStore,
    DeadLetterQueue, Dedupe, DeletionStore, IdentityIndex, LabelStore, ParkingLot, PostStore, Publisher, QueueReceiver,
    ReplySender, TimerStore, TriageStore,
};
use socialcare_domain::services::channels::ChannelHealthService;
use socialcare_domain::services::classify::ClassifyService;
use socialcare_domain::services::dead_letters::DeadLetterDesk;
use socialcare_domain::services::desk::Desk;
use socialcare_domain::services::ingest::IngestService;
use socialcare_domain::services::outbound::OutboundService;
use socialcare_domain::services::reports::{ReportSource, ReportingCases, Reports};
use socialcare_domain::services::route::{CLAIM_INDEX_TTL, RouteService};
use socialcare_domain::services::sla::SlaService;
use socialcare_domain::services::sla_desk::SlaDesk;
use socialcare_domain::services::thread::ThreadService;
use socialcare_domain::services::triage::TriageService;
use socialcare_domain::{Settings, Stream};
use socialcare_kit::outbox::Deferred;
use socialcare_memory::{MemoryBus, MemoryQueue, MemoryStore, QueueConfig, RecordingAlertSink};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

/// Reads a secret by the name of the environment variable that holds it.
pub type SecretSource = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Builds the classifier the `classify` function runs (rules + the instance's duplicate-text
/// tracker) from the `[classify]` section of the configuration text.
pub fn classifier(config_name: &str, config_text: &str) -> anyhow::Result<Arc<dyn Classifier>> {
    Ok(Arc::new(socialcare_classify::TrackingClassifier::new(
        rule_classifier(config_name, config_text)?,
        socialcare_classify::TRACKED_TEXTS,
    )))
}

/// The rule classifier itself (for `care eval`).
pub fn rule_classifier(config_name: &str, config_text: &str) -> anyhow::Result<socialcare_classify::RuleClassifier> {
    let config: socialcare_classify::ClassifyConfig =
        socialcare_kit::config::section(config_name, config_text, "classify").map_err(|e| anyhow::anyhow!("{e}"))?;
    socialcare_classify::RuleClassifier::new(config).map_err(|e| anyhow::anyhow!("[classify]: {e}"))
}

/// Settings read from the whole file, every section's problems reported together (the core
/// settings, `[channels]`, `[classify]` and `[trends]` are read by different crates; an operator
/// sees one list, in the order of the file).
pub fn settings(config_name: &str, config_text: &str) -> anyhow::Result<Settings> {
    use socialcare_kit::config::{ConfigErrors, parse, section};
    let mut errors = Vec::new();
    let settings = parse(config_name, config_text).map_err(|e| errors.extend(e.0)).ok();
    let sections = [
        section::<Accounts>(config_name, config_text, "channels").err(),
        section::<socialcare_classify::ClassifyConfig>(config_name, config_text, "classify").err(),
        section::<socialcare_trends::TrendsConfig>(config_name, config_text, "trends").err(),
        socialcare_kit::config::channel_health(config_name, config_text).err(),
    ];
    for e in sections.into_iter().flatten() {
        errors.extend(e.0);
    }
    errors.dedup();
    errors.sort_by_key(|e| e.line);
    match settings {
        Some(s) if errors.is_empty() => Ok(s),
        _ => Err(anyhow::anyhow!("{}", ConfigErrors(errors))),
    }
}

/// Reads the `[channels]` section (our platform accounts) of the configuration text.
pub fn accounts(config_name: &str, config_text: &str) -> anyhow::Result<Accounts> {
    let accounts: Accounts =
        socialcare_kit::config::section(config_name, config_text, "channels").map_err(|e| anyhow::anyhow!("{e}"))?;
    accounts.validate().map_err(|e| anyhow::anyhow!("{config_name}: {e}"))?;
    Ok(accounts)
}

/// A channel health service over the backend's store, for one function's instance (each has its
/// own caches, as each Lambda does); `sink` for the ticker's, which raises the alerts.
fn health_of(
    ports: &Ports,
    opts: &StackOptions,
    settings: &Settings,
    clock: Arc<dyn Clock>,
    sink: Option<Arc<dyn ChannelAlertSink>>,
) -> Arc<ChannelHealthService> {
    let mut accounts = opts.accounts.health_accounts();
    accounts.extend(settings.sources.iter().map(|s| ("generic".to_string(), s.name.clone())));
    let mut service =
        ChannelHealthService::new(ports.channels.clone(), clock, opts.channel_health.clone()).with_accounts(accounts);
    if let Some(sink) = sink {
        service = service.with_sink(sink);
    }
    Arc::new(service)
}

pub struct StackOptions {
    pub settings: Settings,
    pub secrets: SecretSource,
    pub jwt_secret: Vec<u8>,
    pub bind: SocketAddr,
    /// How often the SLA ticker looks for due timers.
    pub tick_every: Duration,
    pub clock: Arc<dyn Clock>,
    pub classifier: Arc<dyn Classifier>,
    /// Our X, Facebook and Instagram accounts (`[channels]`).
    pub accounts: Accounts,
    /// Where the X and Graph APIs are (a local fake in tests).
    pub platform_endpoints: Endpoints,
    /// First wait between delivery attempts of a reply.
    pub send_backoff: Duration,
    /// How long a received message stays invisible before it is redelivered.
    pub visibility: Duration,
    /// The `[channel_health]` section.
    pub channel_health: socialcare_domain::health::HealthConfig,
    /// The `[trends]` section (see `crate::trends::trends_config`).
    pub trends: socialcare_trends::TrendsConfig,
    /// The web console at `/console` and the development sign-in.
    pub console: ConsoleOptions,
    /// How the pipeline's consumers share the machine with the webhooks.
    pub pipeline: PipelineOptions,
}

/// The consumers (classify, thread, route, outbound, trends, the SLA ticker) run on a runtime
/// of their own, so a webhook's answer waits only for its own work (verify, parse, dedupe,
/// enqueue), never behind a consumer's backlog; and the webhooks refuse new posts (503 with
/// `Retry-After`) while the pipeline's backlog is at `max_backlog` (see [`crate::backlog`]).
#[derive(Clone, Debug)]
pub struct PipelineOptions {
    /// Worker threads of the consumers' runtime.
    pub consumer_threads: usize,
    /// Queued messages (all in-process queues) at which the webhooks answer 503.
    pub max_backlog: usize,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        Self {
            // Half the cores: measured on 2 cores, one consumer thread kept the webhook's p99
            // at a third of what two gave, at the same throughput (README, Load).
            consumer_threads: std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1)),
            max_backlog: crate::backlog::DEFAULT_MAX_BACKLOG,
        }
    }
}

/// The console `care serve` serves: its built files, and whether `/dev/sign-in` is on.
#[derive(Clone, Debug, Default)]
pub struct ConsoleOptions {
    /// A folder with the built console (`console/dist`); `None` answers a 404 problem.
    pub dir: Option<std::path::PathBuf>,
    /// `--dev-sign-in`: tokens for any known agent from `POST /dev/sign-in` (local only).
    pub dev_sign_in: bool,
    /// A Cognito hosted sign-in the console offers (its tokens must be ones `/v1` accepts:
    /// locally, HS256 with `CARE_JWT_SECRET`, as a stand-in in the browser test mints them).
    pub cognito: Option<fn_agent_api::console::Cognito>,
}

/// Every port the services need, filled by one backend.
#[derive(Clone)]
pub struct Ports {
    pub dedupe: Arc<dyn Dedupe>,
    pub posts: Arc<dyn PostStore>,
    pub customers: Arc<dyn CustomerStore>,
    /// The identity indexes an erasure takes a customer out of.
    pub index: Arc<dyn IdentityIndex>,
    pub cases: Arc<dyn CaseStore>,
    pub agents: Arc<dyn AgentStore>,
    pub timers: Arc<dyn TimerStore>,
    pub alerts: Arc<dyn AlertStore>,
    pub parking: Arc<dyn ParkingLot>,
    pub triage: Arc<dyn TriageStore>,
    pub labels: Arc<dyn LabelStore>,
    /// Where the reports' rows come from: kept as cases are saved (memory), or derived from
    /// the cases when read (DynamoDB).
    pub reports: ReportSource,
    /// Platform deletion requests (Meta's callback and its status page).
    pub deletions: Arc<dyn DeletionStore>,
    pub publisher: Arc<dyn Publisher>,
    pub receivers: BTreeMap<Stream, Arc<dyn QueueReceiver>>,
    /// Each stream's dead-letter queue, for the supervisors' view and redrive.
    pub dead_letters: BTreeMap<Stream, Arc<dyn DeadLetterQueue>>,
    pub alert_sink: Arc<dyn AlertSink>,
    /// Channel health records and their alerts.
    pub channels: Arc<dyn ChannelStore>,
    /// Where `channel.alert.v1` goes besides the outgoing webhooks (the backend's topic / log).
    pub channel_sink: Option<Arc<dyn ChannelAlertSink>>,
    /// Where trend counts, alerts and state live (None: in memory).
    pub trend_store: Option<Arc<dyn socialcare_trends::store::TrendStore>>,
    /// The in-process queues' depth (None on SQS, which does not fill up): `GET /health`
    /// reports it and the webhooks' gate reads it.
    pub depth: Option<crate::backlog::DepthProbe>,
    /// The memory store, swept by `[retention]` (None on DynamoDB, whose TTL does it).
    pub sweep: Option<Arc<MemoryStore>>,
}

/// A store that implements every store port (both backends have one).
pub trait WholeStore:
    Dedupe
    + PostStore
    + CustomerStore
    + IdentityIndex
    + CaseStore
    + AgentStore
    + TimerStore
    + AlertStore
    + ParkingLot
    + TriageStore
    + LabelStore
    + ChannelStore
    + DeletionStore
    + 'static
{
}

impl<T> WholeStore for T where
    T: Dedupe
        + PostStore
        + CustomerStore
        + IdentityIndex
        + CaseStore
        + AgentStore
        + TimerStore
        + AlertStore
        + ParkingLot
        + TriageStore
        + LabelStore
        + ChannelStore
        + DeletionStore
        + 'static
{
}

impl Ports {
    /// Every store port from one store, with the queues and the alert sink.
    pub fn over<S: WholeStore>(
        store: Arc<S>,
        publisher: Arc<dyn Publisher>,
        receivers: BTreeMap<Stream, Arc<dyn QueueReceiver>>,
        dead_letters: BTreeMap<Stream, Arc<dyn DeadLetterQueue>>,
        alert_sink: Arc<dyn AlertSink>,
        reports: ReportSource,
    ) -> Self {
        Ports {
            dedupe: store.clone(),
            posts: store.clone(),
            customers: store.clone(),
            index: store.clone(),
            cases: store.clone(),
            agents: store.clone(),
            timers: store.clone(),
            alerts: store.clone(),
            parking: store.clone(),
            triage: store.clone(),
            labels: store.clone(),
            channels: store.clone(),
            deletions: store.clone(),
            reports,
            publisher,
            receivers,
            dead_letters,
            alert_sink,
            channel_sink: None,
            trend_store: None,
            depth: None,
            sweep: None,
        }
    }
}

/// The memory backend: one store, one in-process queue per stream.
pub struct MemoryBackend {
    pub store: Arc<MemoryStore>,
    pub queues: BTreeMap<Stream, Arc<MemoryQueue>>,
    pub alerts_seen: Arc<RecordingAlertSink>,
}

impl MemoryBackend {
    pub fn new(visibility: Duration) -> Self {
        let queues = Stream::ALL
            .iter()
            .filter(|s| **s != Stream::Alerts)
            .map(|s| {
                let mut cfg = QueueConfig::new(s.as_str(), s.is_fifo());
                cfg.visibility = visibility;
                (*s, Arc::new(MemoryQueue::new(cfg)))
            })
            .collect();
        Self {
            store: Arc::new(MemoryStore::new()),
            queues,
            alerts_seen: Arc::new(RecordingAlertSink::new()),
        }
    }

    pub fn ports(&self) -> Ports {
        let bus = self
            .queues
            .iter()
            .fold(MemoryBus::new(), |bus, (s, q)| bus.with(*s, q.clone()));
        let receivers = self
            .queues
            .iter()
            .map(|(s, q)| (*s, q.clone() as Arc<dyn QueueReceiver>))
            .collect();
        let dead_letters = self
            .queues
            .iter()
            .map(|(s, q)| (*s, q.clone() as Arc<dyn DeadLetterQueue>))
            .collect();
        let mut ports = Ports::over(
            self.store.clone(),
            Arc::new(bus),
            receivers,
            dead_letters,
            self.alerts_seen.clone(),
            ReportSource::Kept(self.store.clone()),
        );
        ports.depth = Some(crate::backlog::probe(self.queues.values().cloned().collect()));
        ports.channel_sink = Some(self.alerts_seen.clone());
        ports.sweep = Some(self.store.clone());
        ports
    }
}

/// A running stack. Dropping it stops only the consumers' runtime; call [`Stack::stop`].
pub struct Stack {
    pub addr: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
    _consumers: ConsumerRuntime,
}

/// The consumers' runtime; shut down without waiting when the stack goes (dropping a runtime
/// inside another one would panic).
struct ConsumerRuntime(Option<tokio::runtime::Runtime>);

impl Drop for ConsumerRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

impl Stack {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn stop(self) {
        for t in self.tasks {
            t.abort();
        }
    }

    /// Builds every service over `ports`, seeds the agents, binds HTTP, starts pollers and ticker.
    pub async fn start(opts: StackOptions, ports: Ports) -> anyhow::Result<Stack> {
        let settings = &opts.settings;
        let clock = opts.clock.clone();
        socialcare_kit::auth::check_secret(crate::commands::JWT_SECRET_ENV, &opts.jwt_secret)
            .map_err(|e| anyhow::anyhow!(e))?;
        // Every stored post goes to the trends task too (never on the webhook's path).
        let (trend_tx, trend_rx) = tokio::sync::mpsc::unbounded_channel();
        let mut ports = ports;
        if opts.trends.enabled {
            ports.posts = Arc::new(crate::trends::TappedPosts {
                inner: ports.posts.clone(),
                tx: trend_tx,
            });
        }
        // Where rows are kept, every case write, by any stage, keeps the case's report row.
        if let Some(rows) = ports.reports.kept() {
            ports.cases = Arc::new(ReportingCases::new(
                ports.cases.clone(),
                rows.clone(),
                settings.sla.clone(),
            ));
        }
        for agent in &settings.agents {
            ports
                .agents
                .seed(agent)
                .await
                .with_context(|| format!("seeding agent {}", agent.id))?;
        }

        let mut sources = Vec::new();
        for s in &settings.sources {
            let secret = (opts.secrets)(&s.secret_env).with_context(|| {
                format!(
                    "source `{}`: environment variable {} is not set (`care keygen` prints a key for it)",
                    s.name, s.secret_env
                )
            })?;
            socialcare_channels::generic::check_secret(&secret).map_err(|why| {
                anyhow::anyhow!(
                    "source `{}`: {} is not a signing key: {why}. Expected `whsec_` and the base64 of at least {} random bytes (`care keygen` prints one)",
                    s.name,
                    s.secret_env,
                    socialcare_channels::generic::MIN_KEY_BYTES
                )
            })?;
            sources.push(fn_ingest::SourceSecret {
                name: s.name.clone(),
                secret,
            });
        }
        let ingest = Arc::new(fn_ingest::Ingest {
            service: IngestService::new(
                ports.dedupe.clone(),
                ports.publisher.clone(),
                clock.clone(),
                settings.dedupe_ttl_days,
            ),
            sources,
            platforms: fn_ingest::Platforms::new(
                opts.accounts.clone(),
                opts.accounts
                    .webhook_secrets(|name| (opts.secrets)(name))
                    .map_err(|e| anyhow::anyhow!("[channels]: {e}"))?,
                health_of(&ports, &opts, settings, clock.clone(), None),
            )
            .with_deletions(ports.deletions.clone()),
            clock: clock.clone(),
        });
        // The queue consumers publish a batch's events together (SendMessageBatch on SQS).
        // Classify, the heaviest step, runs one poller per consumer thread (as Lambda runs
        // concurrent invocations on the standard queue), each with its own batch outbox.
        // Instagram mentions come as ids only: classify reads their text from the Graph API.
        let fetcher: Arc<dyn socialcare_domain::ports::PostFetcher> = Arc::new(
            socialcare_channels::fetch_meta::MentionFetcher::new(
                reqwest::Client::new(),
                &opts.platform_endpoints.graph_api,
                &opts.accounts,
                |name| (opts.secrets)(name),
            )
            .map_err(|e| anyhow::anyhow!("[channels]: {e}"))?,
        );
        let classifiers: Vec<(Arc<Deferred>, Arc<ClassifyService>)> = (0..opts.pipeline.consumer_threads.max(1))
            .map(|_| {
                let outbox = Arc::new(Deferred::new(ports.publisher.clone()));
                let service = ClassifyService::new(opts.classifier.clone(), outbox.clone(), clock.clone())
                    .with_history(ports.customers.clone(), ports.cases.clone())
                    .with_store_only_chatter(ports.posts.clone())
                    .with_triage(ports.triage.clone())
                    .with_fetcher(fetcher.clone());
                (outbox, Arc::new(service))
            })
            .collect();
        let thread_outbox = Arc::new(Deferred::new(ports.publisher.clone()));
        let thread = Arc::new(
            ThreadService::new(
                ports.posts.clone(),
                ports.customers.clone(),
                ports.cases.clone(),
                thread_outbox.clone(),
                clock.clone(),
                settings.default_queue.clone(),
            )
            .with_reopen_days(settings.reopen_days)
            .with_identity(settings.identity.clone())
            .with_triage(ports.triage.clone())
            .with_deletions(ports.deletions.clone()),
        );
        let route = Arc::new(
            RouteService::new(
                ports.cases.clone(),
                ports.agents.clone(),
                ports.timers.clone(),
                clock.clone(),
                settings.sla.clone(),
            )
            .with_routing(settings.routing.clone(), ports.posts.clone())
            .with_claim_index_ttl(CLAIM_INDEX_TTL),
        );
        let endpoints = HttpSender::endpoints(&settings.sources, |name| (opts.secrets)(name));
        let platform_senders = PlatformSenders::new(
            reqwest::Client::new(),
            &opts.platform_endpoints,
            &opts.accounts,
            |name| (opts.secrets)(name),
        )
        .map_err(|e| anyhow::anyhow!("[channels]: {e}"))?;
        let sender: Arc<dyn ReplySender> = Arc::new(
            HttpSender::new(reqwest::Client::new(), endpoints)
                .with_backoff(opts.send_backoff)
                .with_platforms(Arc::new(platform_senders)),
        );
        let outbound = Arc::new(
            OutboundService::new(ports.posts.clone(), ports.cases.clone(), sender, clock.clone())
                .with_health(health_of(&ports, &opts, settings, clock.clone(), None)),
        );
        let mut sinks = vec![ports.alert_sink.clone()];
        for w in &settings.alert_webhooks {
            let url = (opts.secrets)(&w.url_env).with_context(|| {
                format!(
                    "alert webhook `{}`: environment variable {} is not set",
                    w.name, w.url_env
                )
            })?;
            let sink = WebhookAlertSink::new(reqwest::Client::new(), &w.name, &url).with_levels(&w.levels);
            sinks.push(Arc::new(sink) as Arc<dyn AlertSink>);
        }
        let mut channel_sinks: Vec<Arc<dyn ChannelAlertSink>> = ports.channel_sink.iter().cloned().collect();
        for w in &settings.alert_webhooks {
            let url = (opts.secrets)(&w.url_env).unwrap_or_default();
            let sink = WebhookAlertSink::new(reqwest::Client::new(), &w.name, &url).with_levels(&w.levels);
            channel_sinks.push(Arc::new(sink));
        }
        // The ticker's instance raises the channel alerts; the API's reads and enables.
        let channel_ticker = health_of(
            &ports,
            &opts,
            settings,
            clock.clone(),
            Some(Arc::new(FanoutChannelSink::new(channel_sinks))),
        );
        let sla = Arc::new(SlaService::new(
            ports.timers.clone(),
            ports.cases.clone(),
            ports.alerts.clone(),
            Arc::new(FanoutAlertSink::new(sinks)),
            clock.clone(),
            settings.sla.clone(),
        ));
        let desk = Arc::new(Desk::new(
            ports.cases.clone(),
            ports.posts.clone(),
            ports.customers.clone(),
            ports.agents.clone(),
            ports.alerts.clone(),
            ports.publisher.clone(),
            route.clone(),
            clock.clone(),
        ));
        let sla_desk = Arc::new(SlaDesk::new(
            ports.cases.clone(),
            ports.timers.clone(),
            ports.alerts.clone(),
            clock.clone(),
            settings.sla.clone(),
        ));
        let triage = Arc::new(TriageService::new(
            ports.triage.clone(),
            ports.labels.clone(),
            ports.posts.clone(),
            ports.cases.clone(),
            ports.agents.clone(),
            thread.clone(),
            clock.clone(),
        ));
        let trends = crate::trends::service(&opts, &ports)?;
        let api = fn_agent_api::Api {
            desk,
            sla: sla_desk,
            clock: clock.clone(),
            auth: fn_agent_api::Auth::Hs256(Arc::new(opts.jwt_secret.clone())),
            triage,
            dead_letters: Arc::new(DeadLetterDesk::new(
                ports.parking.clone(),
                ports
                    .dead_letters
                    .iter()
                    .map(|(s, q)| (s.as_str().to_string(), q.clone()))
                    .collect(),
                ports.publisher.clone(),
            )),
            trends: trends.clone(),
            reports: Arc::new(Reports::new(
                ports.reports.clone(),
                ports.cases.clone(),
                clock.clone(),
                settings.sla.clone(),
            )),
            privacy: Arc::new(privacy(&ports, trends.as_ref().map(|t| t.store()), clock.clone())),
            channels: health_of(&ports, &opts, settings, clock.clone(), None),
        };

        let console = fn_agent_api::console::router(
            opts.console.dir.clone().map(fn_agent_api::console::Assets::Dir),
            fn_agent_api::console::ConsoleConfig {
                dev_sign_in: opts.console.dev_sign_in,
                cognito: opts.console.cognito.clone(),
            },
        );
        let mut webhooks = fn_ingest::router(ingest);
        if let Some(probe) = &ports.depth {
            webhooks = webhooks.layer(axum::middleware::from_fn_with_state(
                crate::backlog::Gate {
                    probe: probe.clone(),
                    max_backlog: opts.pipeline.max_backlog,
                },
                crate::backlog::admit,
            ));
        }
        let mut app = webhooks
            .merge(fn_agent_api::router(api))
            .merge(console)
            .merge(crate::index::router(ports.depth.clone()));
        if opts.console.dev_sign_in {
            app = app.merge(crate::dev_sign_in::router(
                ports.agents.clone(),
                opts.jwt_secret.clone(),
                clock.clone(),
            ));
        }
        let app = app
            .layer(axum::middleware::map_response(socialcare_kit::problem::as_problem))
            .layer(tower_http::trace::TraceLayer::new_for_http());
        let listener = tokio::net::TcpListener::bind(opts.bind)
            .await
            .with_context(|| format!("binding {}", opts.bind))?;
        let addr = listener.local_addr()?;
        let mut tasks = vec![tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "HTTP server stopped");
            }
        })];

        let consumers = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(opts.pipeline.consumer_threads.max(1))
            .thread_name("care-consumer")
            .enable_all()
            .build()
            .context("starting the consumers' runtime")?;
        let on = consumers.handle().clone();
        let receiver = |s: Stream| {
            ports
                .receivers
                .get(&s)
                .cloned()
                .with_context(|| format!("no queue for {}", s.as_str()))
        };
        let spawn_poller = |stream: Stream,
                            queue: Arc<dyn QueueReceiver>,
                            outbox: Option<Arc<Deferred>>,
                            handler: Arc<
            dyn Fn(
                    socialcare_domain::Envelope,
                ) -> futures::future::BoxFuture<'static, Result<(), socialcare_domain::ServiceError>>
                + Send
                + Sync,
        >| {
            let parking = ports.parking.clone();
            let clock = clock.clone();
            on.spawn(socialcare_kit::sqs::poll(
                stream.as_str().to_string(),
                queue,
                stream.is_fifo(),
                parking,
                clock,
                10,
                outbox,
                move |e| handler(e),
            ))
        };
        for (outbox, classify) in classifiers {
            tasks.push(spawn_poller(
                Stream::Received,
                receiver(Stream::Received)?,
                Some(outbox),
                Arc::new(move |e| {
                    let s = classify.clone();
                    Box::pin(async move { fn_classify::handle(&s, e).await })
                }),
            ));
        }
        tasks.push(spawn_poller(
            Stream::Classified,
            receiver(Stream::Classified)?,
            Some(thread_outbox),
            Arc::new(move |e| {
                let s = thread.clone();
                Box::pin(async move { fn_thread::handle(&s, e).await })
            }),
        ));
        let grace_route = route.clone();
        tasks.push(spawn_poller(
            Stream::Cases,
            receiver(Stream::Cases)?,
            None,
            Arc::new(move |e| {
                let s = route.clone();
                Box::pin(async move { fn_route::handle(&s, e).await })
            }),
        ));
        tasks.push(spawn_poller(
            Stream::Replies,
            receiver(Stream::Replies)?,
            None,
            Arc::new(move |e| {
                let s = outbound.clone();
                Box::pin(async move { fn_outbound::handle(&s, e).await })
            }),
        ));
        if let Some(t) = trends {
            tasks.push(crate::trends::spawn(&on, t, trend_rx, clock.clone(), opts.tick_every));
        }
        let every = opts.tick_every;
        tasks.push(on.spawn(async move {
            loop {
                if let Err(e) = sla.tick().await {
                    tracing::warn!(error = %e, "SLA tick failed; next tick retries");
                }
                if let Err(e) = grace_route.return_after_grace().await {
                    tracing::warn!(error = %e, "offline grace sweep failed; next tick retries");
                }
                if let Err(e) = channel_ticker.check().await {
                    tracing::warn!(error = %e, "channel health check failed; next tick retries");
                }
                tokio::time::sleep(every).await;
            }
        }));
        if let Some(store) = ports.sweep.clone() {
            tasks.push(on.spawn(sweep_retention(store, settings.retention, clock.clone())));
        }
        tracing::info!(%addr, "socialcare is up: webhooks at /webhooks/generic, agent API at /v1");
        Ok(Stack {
            addr,
            tasks,
            _consumers: ConsumerRuntime(Some(consumers)),
        })
    }
}

/// The data-subject requests' service over the stack's ports (and its trend store, if trends
/// are on): `/v1/customers/{id}/export|erase` and `care erase`.
pub fn privacy(
    ports: &Ports,
    trends: Option<Arc<dyn socialcare_trends::store::TrendStore>>,
    clock: Arc<dyn Clock>,
) -> socialcare_domain::services::privacy::PrivacyService {
    let erasers: Vec<Arc<dyn socialcare_domain::ports::Eraser>> = trends
        .map(|t| Arc::new(socialcare_trends::store::TrendEraser(t)) as Arc<dyn socialcare_domain::ports::Eraser>)
        .into_iter()
        .collect();
    socialcare_domain::services::privacy::PrivacyService::new(socialcare_domain::services::privacy::PrivacyPorts {
        customers: ports.customers.clone(),
        index: ports.index.clone(),
        posts: ports.posts.clone(),
        cases: ports.cases.clone(),
        alerts: ports.alerts.clone(),
        triage: ports.triage.clone(),
        labels: ports.labels.clone(),
        parking: ports.parking.clone(),
        erasers,
        clock,
    })
}

/// How often `care serve` sweeps its memory store by `[retention]` (the smallest period is a
/// day: an hour late is within it).
pub const SWEEP_EVERY: Duration = Duration::from_secs(3600);

/// The memory backend's stand-in for DynamoDB's TTL: a sweep at start, then every
/// [`SWEEP_EVERY`], on the stack's clock.
async fn sweep_retention(
    store: Arc<MemoryStore>,
    policy: socialcare_domain::retention::RetentionPolicy,
    clock: Arc<dyn Clock>,
) {
    loop {
        match store.sweep(&policy, clock.now()) {
            Ok(swept) if swept.total() > 0 => tracing::info!(
                posts = swept.posts,
                cases = swept.cases,
                labels = swept.labels,
                deletion_requests = swept.deletion_requests,
                "retention sweep removed expired records"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "retention sweep failed; the next one retries"),
        }
        tokio::time::sleep(SWEEP_EVERY).await;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_section_of_the_file_reports_its_problems_together() {
        let text = include_str!("../../../care.toml")
            .replacen("default_queue", "default_qeue", 1)
            .replacen("account_id = ", "acount_id = ", 1);
        let line = |needle: &str| {
            text.lines()
                .position(|l| l.starts_with(needle))
                .map(|i| i + 1)
                .unwrap_or(0)
        };
        let e = super::settings("care.toml", &text)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        let service = format!(
            "care.toml:{}: service.default_qeue: unknown key (did you mean default_queue?)",
            line("default_qeue")
        );
        let channel = format!(
            "care.toml:{}: channels.instagram[0].acount_id: unknown key (did you mean account_id?) (in account \"acme-ig\")",
            line("acount_id")
        );
        assert!(e.contains(&service) && e.contains(&channel), "{e}");
        assert!(e.contains("(2 problem(s))"), "{e}");
    }
}
