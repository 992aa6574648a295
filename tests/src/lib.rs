//! Helpers for the system tests: start the local stack on port 0 with test secrets and a
//! fake reply endpoint, sign webhooks, mint tokens, poll the API until something is true.

use jiff::Timestamp;
use serde_json::Value;
use socialcare_aws::Counters;
use socialcare_channels::platforms::Endpoints;
use socialcare_domain::ports::SystemClock;
use socialcare_domain::{AgentId, Role};
use socialcare_local::aws_backend::{AwsBackend, AwsOptions};
use socialcare_local::stack::{MemoryBackend, Stack, StackOptions};
use socialcare_memory::RecordingAlertSink;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

pub const FORUM_SECRET: &str = "whsec_c29jaWFsY2FyZS10ZXN0LWZvcnVtLXNlY3JldA==";
pub const JWT_SECRET: &[u8] = b"system-test-jwt-secret-of-at-least-32-bytes";

/// A configuration with two agents (pt/es and en), a supervisor, and `target_secs` targets.
pub fn config(reply_url: &str, target_secs: u64) -> String {
    format!(
        r#"
[[alerts.webhooks]]
name = "slack"
url_env = "ALERT_HOOK_URL"

[service]
languages = ["en", "es", "pt", "fr", "de"]
default_language = "en"

[[sources]]
name = "forum"
secret_env = "FORUM_SECRET"
reply_url = "{reply_url}"

[[agents]]
id = "ana"
languages = ["pt", "es"]
capacity = 2

[[agents]]
id = "ben"
languages = ["en"]
capacity = 2

[[agents]]
id = "sam"
languages = ["en"]
capacity = 0
role = "supervisor"

[sla.first_response]
P1 = {target_secs}
P2 = {target_secs}
P3 = {target_secs}
P4 = {target_secs}
"#
    )
}

/// Where the stack keeps its state and queues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    Memory,
    /// DynamoDB, SQS and SNS at this endpoint (moto), under a name prefix of the test's own.
    Aws(String),
    /// The tables, queues and topic a deployed stack created (moto's CloudFormation), named by
    /// the variables its functions get (`TABLE_*`, `QUEUE_<STREAM>_URL`, `CARE_ALERTS_TOPIC_ARN`).
    Stack {
        endpoint: String,
        env: HashMap<String, String>,
    },
}

impl Backend {
    /// The stack `scripts/check-infra.sh` deployed into moto, from the outputs file it wrote
    /// (`SOCIALCARE_INFRA_OUTPUTS`); `None` when that variable is not set (check-infra sets it).
    pub fn deployed_stack() -> anyhow::Result<Option<Self>> {
        let Ok(path) = std::env::var("SOCIALCARE_INFRA_OUTPUTS") else {
            eprintln!(
                "SOCIALCARE_INFRA_OUTPUTS is not set: the run on the deployed stack is made by scripts/check-infra.sh"
            );
            return Ok(None);
        };
        let outputs: Value = serde_json::from_slice(&std::fs::read(&path)?)?;
        let endpoint = outputs["endpoint"].as_str().unwrap_or_default().to_string();
        let env: HashMap<String, String> = serde_json::from_value(outputs["env"].clone())?;
        anyhow::ensure!(!endpoint.is_empty() && !env.is_empty(), "{path}: no endpoint or env");
        Ok(Some(Self::Stack { endpoint, env }))
    }

    /// The AWS backend on moto (`SOCIALCARE_MOTO_URL`, set by the test command), or `None` when
    /// the caller chose to skip moto tests (`SOCIALCARE_SKIP_MOTO=1`). Unset otherwise: an error.
    pub fn moto() -> anyhow::Result<Option<Self>> {
        match std::env::var("SOCIALCARE_MOTO_URL") {
            Ok(url) if !url.is_empty() => Ok(Some(Self::Aws(url))),
            _ if std::env::var("SOCIALCARE_SKIP_MOTO").as_deref() == Ok("1") => {
                eprintln!("SOCIALCARE_SKIP_MOTO=1: skipping the AWS-backend system test");
                Ok(None)
            }
            _ => anyhow::bail!(
                "SOCIALCARE_MOTO_URL is not set: start moto with `scripts/moto.sh start` and set it to \
                 `$(scripts/moto.sh url)`, or set SOCIALCARE_SKIP_MOTO=1 (scripts/test.sh does all this)"
            ),
        }
    }
}

pub struct TestStack {
    pub stack: Stack,
    /// Every alert the stack raised, as its alert sink saw them.
    pub alerts_seen: Arc<RecordingAlertSink>,
    /// On the AWS backend: every request the adapters made, by operation.
    pub counters: Option<Arc<Counters>>,
    /// The ports the stack runs on (to put a message on a queue the way a function would).
    pub ports: socialcare_local::stack::Ports,
    pub http: reqwest::Client,
    /// Every record of every table the stack keeps, as text (the memory store's debug dump, or
    /// a scan of every DynamoDB table): what the erasure tests search.
    dump: Option<StoreDump>,
}

/// The store behind a test stack, for [`TestStack::dump_stores`].
#[derive(Clone)]
enum StoreDump {
    Memory(Arc<socialcare_memory::MemoryStore>),
    Aws(Arc<socialcare_aws::AwsStore>),
}

impl TestStack {
    pub async fn start(config_text: &str) -> anyhow::Result<Self> {
        Self::start_with(config_text, "http://127.0.0.1:9/alerts").await
    }

    /// Starts the stack with the `slack` alert webhook pointing at `alert_url`.
    pub async fn start_with(config_text: &str, alert_url: &str) -> anyhow::Result<Self> {
        Self::start_full(config_text, alert_url, Endpoints::default(), &[]).await
    }

    /// Starts the stack with the X and Graph APIs at `platforms` (a fake) and more secrets.
    pub async fn start_full(
        config_text: &str,
        alert_url: &str,
        platforms: Endpoints,
        more_secrets: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        Self::start_on(Backend::Memory, config_text, alert_url, platforms, more_secrets).await
    }

    /// How often the SLA ticker looks for due timers (100 ms unless changed before start).
    pub const TICK: Duration = Duration::from_millis(100);

    /// Starts the stack on `backend`.
    pub async fn start_on(
        backend: Backend,
        config_text: &str,
        alert_url: &str,
        platforms: Endpoints,
        more_secrets: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        Self::start_ticking(backend, config_text, alert_url, platforms, more_secrets, Self::TICK).await
    }

    /// Starts the stack on `backend` with the SLA ticker running every `tick_every`.
    pub async fn start_ticking(
        backend: Backend,
        config_text: &str,
        alert_url: &str,
        platforms: Endpoints,
        more_secrets: &[(&str, &str)],
        tick_every: Duration,
    ) -> anyhow::Result<Self> {
        let classifier = socialcare_local::stack::classifier("test.toml", config_text)?;
        Self::launch(
            backend,
            config_text,
            alert_url,
            platforms,
            more_secrets,
            tick_every,
            classifier,
        )
        .await
    }

    /// Starts the stack on `backend` with `classifier` in place of the configuration's (e.g. the
    /// configuration's, wrapped to decide what a test needs).
    pub async fn start_classifying(
        backend: Backend,
        config_text: &str,
        classifier: Arc<dyn socialcare_domain::ports::Classifier>,
    ) -> anyhow::Result<Self> {
        let alert_url = "http://127.0.0.1:9/alerts";
        Self::launch(
            backend,
            config_text,
            alert_url,
            Endpoints::default(),
            &[],
            Self::TICK,
            classifier,
        )
        .await
    }

    async fn launch(
        backend: Backend,
        config_text: &str,
        alert_url: &str,
        platforms: Endpoints,
        more_secrets: &[(&str, &str)],
        tick_every: Duration,
        classifier: Arc<dyn socialcare_domain::ports::Classifier>,
    ) -> anyhow::Result<Self> {
        let settings = socialcare_kit::config::parse("test.toml", config_text).map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut secrets: HashMap<String, String> = [
            ("FORUM_SECRET".to_string(), FORUM_SECRET.to_string()),
            ("ALERT_HOOK_URL".to_string(), alert_url.to_string()),
        ]
        .into();
        secrets.extend(more_secrets.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let visibility = Duration::from_secs(2);
        let mut dump = None;
        let (ports, alerts_seen, counters) = match backend {
            Backend::Memory => {
                let memory = MemoryBackend::new(visibility);
                dump = Some(StoreDump::Memory(memory.store.clone()));
                (memory.ports(), memory.alerts_seen.clone(), None)
            }
            Backend::Aws(url) => {
                let unique = jiff::Timestamp::now().as_nanosecond() % 1_000_000_000_000;
                let aws = AwsBackend::connect(&AwsOptions {
                    endpoint: Some(url),
                    prefix: format!("st-{unique}-"),
                    visibility,
                })
                .await?;
                dump = Some(StoreDump::Aws(aws.store.clone()));
                (aws.ports(), aws.alerts_seen.clone(), Some(aws.counters.clone()))
            }
            Backend::Stack { endpoint, env } => {
                let aws = AwsBackend::existing(Some(&endpoint), |k| env.get(k).cloned()).await?;
                (aws.ports(), aws.alerts_seen.clone(), Some(aws.counters.clone()))
            }
        };
        let opts = StackOptions {
            trends: socialcare_local::trends::trends_config("test.toml", config_text, &settings)?,
            channel_health: socialcare_kit::config::channel_health("test.toml", config_text)
                .map_err(|e| anyhow::anyhow!("{e}"))?,
            settings,
            classifier,
            accounts: socialcare_local::stack::accounts("test.toml", config_text)?,
            platform_endpoints: platforms,
            secrets: Arc::new(move |k| secrets.get(k).cloned()),
            jwt_secret: JWT_SECRET.to_vec(),
            bind: "127.0.0.1:0".parse()?,
            tick_every,
            clock: Arc::new(SystemClock),
            send_backoff: Duration::from_millis(10),
            visibility,
            console: Default::default(),
            pipeline: Default::default(),
        };
        let stack = Stack::start(opts, ports.clone()).await?;
        Ok(Self {
            stack,
            alerts_seen,
            counters,
            ports,
            http: reqwest::Client::new(),
            dump,
        })
    }

    /// Every record of every table of this stack's store, as text (None for a deployed stack).
    pub async fn dump_stores(&self) -> anyhow::Result<Option<String>> {
        Ok(match &self.dump {
            Some(StoreDump::Memory(m)) => Some(m.debug_dump()?),
            Some(StoreDump::Aws(a)) => Some(a.debug_dump().await?),
            None => None,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.stack.url())
    }

    pub fn token(agent: &str, role: Role) -> String {
        let id = AgentId::parse(agent).unwrap_or_else(|_| unreachable!());
        socialcare_kit::auth::mint(JWT_SECRET, &id, role, Timestamp::now(), 3600).unwrap_or_default()
    }

    /// Posts a raw body to `path` with extra headers; returns (status, body as JSON or null).
    pub async fn post_raw(
        &self,
        path: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> anyhow::Result<(u16, Value)> {
        let mut req = self
            .http
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let r = req.send().await?;
        let status = r.status().as_u16();
        Ok((status, r.json().await.unwrap_or(Value::Null)))
    }

    /// Posts a generic webhook body signed with the forum secret; returns (status, body).
    pub async fn webhook(&self, id: &str, body: &Value) -> anyhow::Result<(u16, Value)> {
        let raw = body.to_string();
        let ts = Timestamp::now().as_second();
        let sig = socialcare_channels::generic::sign(FORUM_SECRET, id, ts, raw.as_bytes())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let r = self
            .http
            .post(self.url("/webhooks/generic"))
            .header("content-type", "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", ts.to_string())
            .header("webhook-signature", sig)
            .body(raw)
            .send()
            .await?;
        let status = r.status().as_u16();
        Ok((status, r.json().await.unwrap_or(Value::Null)))
    }

    pub async fn get(&self, path: &str, agent: &str, role: Role) -> anyhow::Result<(u16, Value)> {
        let r = self
            .http
            .get(self.url(path))
            .bearer_auth(Self::token(agent, role))
            .send()
            .await?;
        let status = r.status().as_u16();
        Ok((status, r.json().await.unwrap_or(Value::Null)))
    }

    pub async fn post(&self, path: &str, agent: &str, role: Role, body: Option<Value>) -> anyhow::Result<(u16, Value)> {
        let mut req = self.http.post(self.url(path)).bearer_auth(Self::token(agent, role));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await?;
        let status = r.status().as_u16();
        Ok((status, r.json().await.unwrap_or(Value::Null)))
    }

    pub async fn http_put(&self, path: &str, agent: &str, role: Role, body: Value) -> anyhow::Result<(u16, Value)> {
        let r = self
            .http
            .put(self.url(path))
            .bearer_auth(Self::token(agent, role))
            .json(&body)
            .send()
            .await?;
        let status = r.status().as_u16();
        Ok((status, r.json().await.unwrap_or(Value::Null)))
    }

    /// The AWS request counts once the stack is quiet (no DynamoDB, SNS or send request for
    /// 1.5 s); an error on the memory backend.
    pub async fn settled_counts(&self) -> anyhow::Result<socialcare_aws::RequestCounts> {
        use socialcare_aws::{Op, RequestCounts};
        let counters = self
            .counters
            .clone()
            .ok_or_else(|| anyhow::anyhow!("not the AWS backend"))?;
        let busy = |c: &RequestCounts| c.dynamodb() + c.sns() + c.get(Op::SendMessageBatch) + c.get(Op::SendMessage);
        let mut last = counters.snapshot();
        loop {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            let now = counters.snapshot();
            if busy(&now) == busy(&last) {
                return Ok(now);
            }
            last = now;
        }
    }

    /// DynamoDB requests and read units since `before` (a `settled_counts`).
    pub fn reads_since(&self, before: &socialcare_aws::RequestCounts) -> anyhow::Result<(u64, f64)> {
        let after = self
            .counters
            .as_ref()
            .map(|c| c.snapshot())
            .ok_or_else(|| anyhow::anyhow!("not the AWS backend"))?;
        let d = after.since(before);
        let rru: f64 = socialcare_aws::Op::ALL.iter().map(|op| d.read_units(*op)).sum();
        Ok((d.dynamodb(), rru))
    }

    /// Polls the supervisor's case list until `pred` holds (or fails after `within`).
    pub async fn wait_cases(&self, within: Duration, pred: impl Fn(&[Value]) -> bool) -> anyhow::Result<Vec<Value>> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let (_, body) = self.get("/v1/cases", "sam", Role::Supervisor).await?;
            let cases = body["cases"].as_array().cloned().unwrap_or_default();
            if pred(&cases) {
                return Ok(cases);
            }
            if tokio::time::Instant::now() > deadline {
                anyhow::bail!("condition not met within {within:?}; cases: {cases:#?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The case among `cases` (as `GET /v1/cases` lists them) holding a post whose id ends with
/// `post` (Null when none does).
pub fn case_with_post(cases: &[Value], post: &str) -> Value {
    cases
        .iter()
        .find(|c| {
            c["post_ids"]
                .as_array()
                .is_some_and(|p| p.iter().any(|x| x.as_str().is_some_and(|x| x.ends_with(post))))
        })
        .cloned()
        .unwrap_or_default()
}

/// A generic `post.created` body.
pub fn created(id: &str, author: &str, handle: &str, text: &str) -> Value {
    serde_json::json!({
        "type": "post.created",
        "timestamp": Timestamp::now(),
        "data": {
            "source": "forum", "id": id, "text": text, "created_at": Timestamp::now(),
            "in_reply_to": null, "private": false,
            "author": {"id": author, "handle": handle, "name": null, "followers": 10, "verified": false}
        }
    })
}

/// Platform webhooks as X and Meta send them: the repository's `events/` fixtures, signed with
/// the system tests' secrets.
pub mod platform_webhooks {
    use super::TestStack;
    use serde_json::Value;
    use socialcare_channels::{meta, x};

    /// The X consumer secret and the Meta app secret the platform system tests configure.
    pub const X_SECRET: &str = "system-test-x-consumer-secret";
    pub const META_SECRET: &str = "system-test-meta-app-secret";

    /// A fixture with its times moved to now (the SLA clock starts when the customer wrote).
    pub fn fixture(platform: &str, name: &str) -> anyhow::Result<Vec<u8>> {
        let path = format!("{}/../events/{platform}/{name}", env!("CARGO_MANIFEST_DIR"));
        let mut json: Value = serde_json::from_slice(&std::fs::read(path)?)?;
        socialcare_local::replay::retime(&mut json, jiff::Timestamp::now());
        Ok(serde_json::to_vec(&json)?)
    }

    /// Posts `body` to `/webhooks/{platform}` signed as the platform signs; 200 or an error.
    pub async fn deliver(t: &TestStack, platform: &str, body: Vec<u8>) -> anyhow::Result<Value> {
        let headers = match platform {
            "x" => [(x::SIGNATURE_HEADER, x::sign(X_SECRET.as_bytes(), &body))],
            _ => [(meta::SIGNATURE_HEADER, meta::sign(META_SECRET.as_bytes(), &body))],
        };
        let (status, answer) = t.post_raw(&format!("/webhooks/{platform}"), &headers, body).await?;
        anyhow::ensure!(status == 200, "{platform}: {status} {answer}");
        Ok(answer)
    }
}
