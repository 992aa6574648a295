//! The `care` commands: arguments and what each does.

use crate::aws_backend::{AwsBackend, AwsOptions};
use crate::replay;
use crate::stack::{MemoryBackend, Stack, StackOptions};
use anyhow::Context;
use clap::Args;
use socialcare_domain::ports::{Clock, SystemClock};
use socialcare_domain::{AgentId, Role};
use socialcare_kit::env;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The environment variable holding the HS256 key for agent tokens.
pub const JWT_SECRET_ENV: &str = "CARE_JWT_SECRET";

#[derive(Args)]
#[command(after_help = "\
Runs in the foreground until Ctrl-C: use a second terminal for `care replay`, `care token` and curl.

Environment:
  CARE_JWT_SECRET            HS256 key of agent tokens (required; `care token` signs with the same)
  the `secret_env` of each [[sources]] entry
                             its signing key: whsec_ + base64 of at least 16 random bytes (required)
  the `*_env` of each [[channels.*]] account
                             X consumer secret, Meta app secret and verify token, access tokens
  the `url_env` of each [[alerts.webhooks]] entry
                             where that alert webhook posts
  CARE_X_API_URL, CARE_GRAPH_API_URL
                             X API / Graph API base URLs (default: the real ones)
  CARE_CONFIG, CARE_PORT     instead of --config, --port
  AWS_ENDPOINT_URL           instead of --aws-endpoint
  RUST_LOG                   log filter (default info)
`care keygen` prints fresh values for every secret the configuration names.")]
pub struct ServeArgs {
    /// The configuration file (validated at start: every problem is reported with its line).
    #[arg(long, default_value = "care.toml", env = "CARE_CONFIG")]
    pub config: PathBuf,
    /// The port of webhooks, `/v1` and `GET /`.
    #[arg(long, default_value_t = 8080, env = "CARE_PORT")]
    pub port: u16,
    /// The address to listen on (127.0.0.1: this machine only).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// How often the SLA ticker runs, in milliseconds.
    #[arg(long, default_value_t = 500)]
    pub tick_ms: u64,
    /// Where state and queues live: in this process, or DynamoDB/SQS/SNS.
    #[arg(long, value_enum, default_value_t = Backend::Memory)]
    pub backend: Backend,
    /// With `--backend aws`: an emulator's URL (moto); unset, the AWS configuration of the
    /// environment (profile, region, credentials) is used.
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    pub aws_endpoint: Option<String>,
    /// With `--backend aws`: the prefix of every table, queue and topic name (created if missing).
    #[arg(long, default_value = "care-local-")]
    pub prefix: String,
    /// The built web console served at `/console` (`make console` builds it).
    #[arg(long, default_value = "console/dist")]
    pub console_dir: PathBuf,
    /// Development only: `POST /dev/sign-in` hands out a token for any known agent, and the
    /// console offers it. Never on a shared machine.
    #[arg(long)]
    pub dev_sign_in: bool,
    /// The console offers this OAuth 2.0 authorization server's sign-in (Cognito's hosted UI:
    /// `https://<prefix>.auth.<region>.amazoncognito.com`), authorization code with PKCE.
    #[arg(long, env = "CARE_COGNITO_DOMAIN", requires = "cognito_client_id")]
    pub cognito_domain: Option<String>,
    /// The app client id for `--cognito-domain`.
    #[arg(long, env = "CARE_COGNITO_CLIENT_ID", requires = "cognito_domain")]
    pub cognito_client_id: Option<String>,
    /// Memory backend: queued messages (over all in-process queues) at which the webhooks
    /// answer 503 with Retry-After instead of accepting more (default: about ten seconds of
    /// the X firehose average).
    #[arg(long, default_value_t = crate::backlog::DEFAULT_MAX_BACKLOG)]
    pub max_backlog: usize,
    /// Worker threads of the consumers' runtime (classify, thread, route, outbound, SLA);
    /// the webhooks and /v1 have their own (default: half the machine's cores); classify runs
    /// one poller per thread.
    #[arg(long)]
    pub consumer_threads: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    Memory,
    Aws,
}

#[derive(Args)]
pub struct ReplayArgs {
    /// A payload file, or a folder of them (walked recursively; non-webhook files are skipped).
    pub input: PathBuf,
    /// The stack's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub to: String,
    /// The configuration file (for the sources' secret names).
    #[arg(long, default_value = "care.toml", env = "CARE_CONFIG")]
    pub config: PathBuf,
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Set each payload's `timestamp` and `created_at` to now (the fixtures' own times are past,
    /// so their SLA targets would be breached on arrival).
    #[arg(long)]
    pub retime: bool,
}

#[derive(Args)]
pub struct LabelsExportArgs {
    /// The file to write (JSON Lines, the eval set's format; see `GET /v1/labels`).
    #[arg(long)]
    pub to: PathBuf,
    /// The running deployment's base URL (its agent API).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// Only labels given at or after this time (RFC 3339).
    #[arg(long)]
    pub since: Option<String>,
    /// A supervisor's bearer token (on AWS, a Cognito token); without it one is minted with
    /// CARE_JWT_SECRET for `--as`.
    #[arg(long, env = "CARE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// The supervisor a minted token names.
    #[arg(long = "as", default_value = "care-cli")]
    pub as_agent: String,
}

#[derive(Args)]
#[command(after_help = "\
Through a running deployment's API (default; `care serve` on any backend, or the deployed agent API):
  care erase --customer cus-... --url http://127.0.0.1:8080        (mints a supervisor token with CARE_JWT_SECRET)
Straight to the DynamoDB tables (no stack running; the tables `care serve --backend aws` uses):
  care erase --customer cus-... --backend aws --prefix care-local- [--aws-endpoint URL]
Asking again finishes an interrupted erasure; a finished one answers its record unchanged. docs/PRIVACY.md")]
pub struct EraseArgs {
    /// The customer whose personal data is erased (a customer merged into another: that one).
    #[arg(long)]
    pub customer: String,
    /// Where the data is: a running deployment's API, or the AWS tables themselves.
    #[arg(long, value_enum, default_value_t = EraseVia::Api)]
    pub backend: EraseVia,
    /// `--backend api`: the deployment's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// `--backend api`: a supervisor's bearer token; without it one is minted with
    /// CARE_JWT_SECRET for `--as`.
    #[arg(long, env = "CARE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Who asks: the supervisor a minted token names, and the erasure record's `requested_by`.
    #[arg(long = "as", default_value = "operator")]
    pub as_agent: String,
    /// `--backend aws`: an emulator's URL (moto); unset, the environment's AWS configuration.
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    pub aws_endpoint: Option<String>,
    /// `--backend aws`: the prefix of the tables.
    #[arg(long, default_value = "care-local-")]
    pub prefix: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EraseVia {
    Api,
    Aws,
}

/// `care erase`: erases a customer's personal data, through the API (as a supervisor) or
/// straight on the AWS tables. Answers the erasure record (JSON).
pub async fn erase(args: EraseArgs) -> anyhow::Result<serde_json::Value> {
    let customer =
        socialcare_domain::CustomerId::parse(args.customer.as_str()).map_err(|e| anyhow::anyhow!("--customer: {e}"))?;
    let agent = AgentId::parse(args.as_agent.as_str()).map_err(|e| anyhow::anyhow!("--as: {e}"))?;
    match args.backend {
        EraseVia::Api => {
            let token = match args.token {
                Some(t) => t,
                None => {
                    let secret = env::required(JWT_SECRET_ENV)?;
                    socialcare_kit::auth::mint(secret.as_bytes(), &agent, Role::Supervisor, SystemClock.now(), 300)
                        .map_err(|e| anyhow::anyhow!("{e}"))?
                }
            };
            let url = format!("{}/v1/customers/{customer}/erase", args.url.trim_end_matches('/'));
            let response = reqwest::Client::new()
                .post(&url)
                .bearer_auth(token)
                .send()
                .await
                .with_context(|| format!("POST {url}"))?;
            let status = response.status();
            let body = response.text().await.with_context(|| format!("reading {url}"))?;
            if !status.is_success() {
                anyhow::bail!("POST {url}: {status}: {body}");
            }
            Ok(serde_json::from_str(&body).with_context(|| format!("POST {url}: not JSON"))?)
        }
        EraseVia::Aws => {
            let aws = AwsOptions {
                endpoint: args.aws_endpoint.clone(),
                prefix: args.prefix.clone(),
                visibility: Duration::from_secs(60),
            };
            let ports = AwsBackend::connect(&aws).await?.ports();
            let service = crate::stack::privacy(&ports, ports.trend_store.clone(), Arc::new(SystemClock));
            let who = socialcare_domain::services::desk::Principal {
                agent_id: agent,
                role: Role::Supervisor,
            };
            let erasure = service
                .erase(&who, &customer)
                .await
                .map_err(|e| anyhow::anyhow!("erasing {customer}: {e}"))?;
            Ok(serde_json::to_value(erasure)?)
        }
    }
}

#[derive(Args)]
pub struct KeygenArgs {
    /// The configuration whose secrets get a value (its sources and channel accounts).
    #[arg(long, default_value = "care.toml", env = "CARE_CONFIG")]
    pub config: PathBuf,
}

#[derive(Args)]
pub struct TokenArgs {
    #[arg(long)]
    pub agent: String,
    #[arg(long)]
    pub supervisor: bool,
    /// Lifetime in hours (at most 12: the API refuses longer-lived tokens).
    #[arg(long, default_value_t = 8)]
    pub ttl_hours: i64,
}

#[derive(Args)]
pub struct RefArgs {
    /// The brand's id of the customer (its CRM or account id).
    #[arg(long)]
    pub customer: String,
    /// Days the ref stays valid (at most 365).
    #[arg(long, default_value_t = 30)]
    pub ttl_days: i64,
}

fn secret_from_env(name: &str) -> Option<String> {
    env::optional(name)
}

pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.config).with_context(|| format!("reading {}", args.config.display()))?;
    let name = args.config.display().to_string();
    let settings = crate::stack::settings(&name, &text)?;
    let jwt = env::required(JWT_SECRET_ENV)?;
    let visibility = Duration::from_secs(30);
    let trends = crate::trends::trends_config(&name, &text, &settings)?;
    let opts = StackOptions {
        trends,
        channel_health: socialcare_kit::config::channel_health(&name, &text).map_err(|e| anyhow::anyhow!("{e}"))?,
        settings,
        classifier: crate::stack::classifier(&name, &text)?,
        accounts: crate::stack::accounts(&name, &text)?,
        platform_endpoints: socialcare_channels::platforms::Endpoints {
            x_api: env::optional("CARE_X_API_URL")
                .unwrap_or_else(|| socialcare_channels::platforms::Endpoints::default().x_api),
            graph_api: env::optional("CARE_GRAPH_API_URL")
                .unwrap_or_else(|| socialcare_channels::platforms::Endpoints::default().graph_api),
        },
        secrets: Arc::new(secret_from_env),
        jwt_secret: jwt.into_bytes(),
        bind: SocketAddr::new(args.host, args.port),
        tick_every: Duration::from_millis(args.tick_ms.max(50)),
        clock: Arc::new(SystemClock),
        send_backoff: Duration::from_millis(200),
        visibility,
        console: crate::stack::ConsoleOptions {
            dir: Some(args.console_dir.clone()),
            dev_sign_in: args.dev_sign_in,
            cognito: args
                .cognito_domain
                .clone()
                .zip(args.cognito_client_id.clone())
                .map(|(domain, client_id)| fn_agent_api::console::Cognito { domain, client_id }),
        },
        pipeline: crate::stack::PipelineOptions {
            max_backlog: args.max_backlog,
            consumer_threads: args
                .consumer_threads
                .unwrap_or_else(|| crate::stack::PipelineOptions::default().consumer_threads),
        },
    };
    let ports = match args.backend {
        Backend::Memory => MemoryBackend::new(visibility).ports(),
        Backend::Aws => {
            let aws = AwsOptions {
                endpoint: args.aws_endpoint.clone(),
                prefix: args.prefix.clone(),
                visibility,
            };
            AwsBackend::connect(&aws).await?.ports()
        }
    };
    let stack = Stack::start(opts, ports).await?;
    println!("care: listening on {} ({:?} backend)", stack.url(), args.backend);
    if args.console_dir.join("index.html").is_file() {
        println!("care: console at {}/console/", stack.url());
    } else {
        println!(
            "care: console not built ({} has no index.html): run `make console`; /console answers 404 until then",
            args.console_dir.display()
        );
    }
    if args.dev_sign_in {
        println!("care: --dev-sign-in: anyone reaching this port may sign in as any agent (development only)");
    }
    tokio::signal::ctrl_c().await?;
    stack.stop();
    Ok(())
}

pub async fn replay(args: ReplayArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.config).with_context(|| format!("reading {}", args.config.display()))?;
    let settings =
        socialcare_kit::config::parse(&args.config.display().to_string(), &text).map_err(|e| anyhow::anyhow!("{e}"))?;
    let accounts = crate::stack::accounts(&args.config.display().to_string(), &text)?;
    let now = SystemClock.now();
    let mut items = Vec::new();
    let mut skipped = 0;
    for file in replay::collect(&args.input)? {
        match replay::prepare(&file, &settings, &accounts, &secret_from_env, now, args.retime)? {
            Some(p) => items.push(p),
            None => skipped += 1,
        }
    }
    let n = items.len();
    let (mut summary, elapsed) = replay::send_all(
        &args.to,
        items,
        args.concurrency,
        std::io::IsTerminal::is_terminal(&std::io::stderr()),
    )
    .await;
    summary.skipped = skipped;
    let rate = n as f64 / elapsed.as_secs_f64().max(1e-9);
    println!("{} · {rate:.0} posts/s", summary.line());
    for r in &summary.refused {
        let status = r.status.map_or_else(|| "no answer".to_string(), |s| s.to_string());
        println!("  refused {} ({status}): {}", r.file.display(), r.detail);
    }
    if !summary.refused.is_empty() {
        anyhow::bail!(
            "{} payload(s) were not applied (listed above); a conflict is a payload replayed with another body under an id the stack has seen",
            summary.refused.len()
        );
    }
    Ok(())
}

/// `care labels export`: the deployment's corrections through its API (`GET /v1/labels`, as a
/// supervisor), written to `--to` as they come. Through the API, so it works the same on every
/// backend and with the API's authorization. Returns the number of lines written.
pub async fn labels_export(args: LabelsExportArgs) -> anyhow::Result<usize> {
    let token = match args.token {
        Some(t) => t,
        None => {
            let secret = env::required(JWT_SECRET_ENV)?;
            let agent = AgentId::parse(args.as_agent).map_err(|e| anyhow::anyhow!("--as: {e}"))?;
            socialcare_kit::auth::mint(secret.as_bytes(), &agent, Role::Supervisor, SystemClock.now(), 300)
                .map_err(|e| anyhow::anyhow!("{e}"))?
        }
    };
    let mut url = format!("{}/v1/labels?format=jsonl", args.url.trim_end_matches('/'));
    if let Some(since) = args.since {
        // Parsed here, and given back in UTC (`Z`): nothing in it needs escaping in a query.
        let since: jiff::Timestamp = since.parse().map_err(|e| anyhow::anyhow!("--since: {e}"))?;
        url.push_str(&format!("&since={since}"));
    }
    let response = reqwest::Client::new()
        .get(&url)
        .bearer_auth(token)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    let status = response.status();
    let body = response.text().await.with_context(|| format!("reading {url}"))?;
    if !status.is_success() {
        anyhow::bail!("GET {url}: {status}: {body}");
    }
    std::fs::write(&args.to, &body).with_context(|| format!("writing {}", args.to.display()))?;
    Ok(body.lines().count())
}

/// Prints `export NAME=value` for CARE_JWT_SECRET and every secret the configuration names,
/// each fresh from the system's random source: a source's signing key as `whsec_<base64>`,
/// the others as 64 hex characters. For local use: save it and source it in each terminal.
pub fn keygen(args: KeygenArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.config).with_context(|| format!("reading {}", args.config.display()))?;
    let name = args.config.display().to_string();
    let settings = socialcare_kit::config::parse(&name, &text).map_err(|e| anyhow::anyhow!("{e}"))?;
    let accounts = crate::stack::accounts(&name, &text)?;
    let mut lines: Vec<(String, String)> = vec![(JWT_SECRET_ENV.to_string(), hex(&random_bytes()?))];
    for s in &settings.sources {
        lines.push((
            s.secret_env.clone(),
            socialcare_channels::generic::secret_from(&random_bytes()?),
        ));
    }
    for env in accounts.secret_envs() {
        lines.push((env.to_string(), hex(&random_bytes()?)));
    }
    let mut seen = std::collections::BTreeSet::new();
    println!("# fresh local secrets for {name} (care keygen); keep them out of version control");
    for (k, v) in lines {
        if seen.insert(k.clone()) {
            println!("export {k}={v}");
        }
    }
    Ok(())
}

fn random_bytes() -> anyhow::Result<[u8; 32]> {
    use std::io::Read;
    let mut buf = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .context("reading /dev/urandom")?;
    Ok(buf)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn token(args: TokenArgs) -> anyhow::Result<()> {
    let secret = env::required(JWT_SECRET_ENV)?;
    socialcare_kit::auth::check_secret(JWT_SECRET_ENV, secret.as_bytes()).map_err(|e| anyhow::anyhow!(e))?;
    let max_hours = socialcare_kit::auth::MAX_TTL_SECS / 3600;
    if !(1..=max_hours).contains(&args.ttl_hours) {
        anyhow::bail!("--ttl-hours: between 1 and {max_hours}");
    }
    let agent = AgentId::parse(args.agent).map_err(|e| anyhow::anyhow!("--agent: {e}"))?;
    let role = if args.supervisor { Role::Supervisor } else { Role::Agent };
    let token = socialcare_kit::auth::mint(
        secret.as_bytes(),
        &agent,
        role,
        SystemClock.now(),
        args.ttl_hours * 3600,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("{token}");
    Ok(())
}

/// Prints `customer:<id>.<exp>.<sig>` for an m.me link (`https://m.me/<page>?ref=…`) or an ad.
pub fn referral(args: RefArgs) -> anyhow::Result<()> {
    use socialcare_channels::referral;
    let key = env::required(referral::KEY_ENV)?;
    if key.len() < referral::MIN_KEY_BYTES {
        anyhow::bail!("{}: at least {} bytes", referral::KEY_ENV, referral::MIN_KEY_BYTES);
    }
    println!("{}", signed_ref(key.as_bytes(), &args, SystemClock.now())?);
    Ok(())
}

fn signed_ref(key: &[u8], args: &RefArgs, now: jiff::Timestamp) -> anyhow::Result<String> {
    use socialcare_channels::referral;
    if !(1..=referral::MAX_TTL_DAYS).contains(&args.ttl_days) {
        anyhow::bail!("--ttl-days: between 1 and {}", referral::MAX_TTL_DAYS);
    }
    let reference = format!("customer:{}", args.customer);
    // What thread turns into the identifier must be what the brand meant.
    if socialcare_domain::IdentifierRules::account_in_ref(&reference).is_none() || args.customer.contains('.') {
        anyhow::bail!("--customer: letters, digits and _-:@ only, at most 64 characters");
    }
    if args.customer.len() > 64 {
        anyhow::bail!("--customer: letters, digits and _-:@ only, at most 64 characters");
    }
    let expires = now + jiff::SignedDuration::from_hours(24 * args.ttl_days);
    Ok(referral::sign(key, &args.customer, expires))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minted_ref_is_one_ingest_accepts_until_it_expires() {
        let key = b"referral-key-of-thirty-two-bytes-at-least";
        let now = jiff::Timestamp::from_second(1_800_000_000).unwrap_or_else(|_| unreachable!());
        let args = |customer: &str, ttl_days| RefArgs {
            customer: customer.into(),
            ttl_days,
        };
        let minted = signed_ref(key, &args("crm-4417", 30), now).unwrap_or_default();
        let verify = |at| socialcare_channels::referral::verify(&[key], &minted, at);
        assert_eq!(verify(now), Ok("customer:crm-4417".into()));
        assert!(verify(now + jiff::SignedDuration::from_hours(24 * 31)).is_err());
        assert!(signed_ref(key, &args("crm-4417", 400), now).is_err());
        assert!(signed_ref(key, &args("a b", 30), now).is_err());
        assert!(signed_ref(key, &args("a.b", 30), now).is_err());
    }
}
