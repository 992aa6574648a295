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
pub struct ServeArgs {
    /// The configuration file.
    #[arg(long, default_value = "care.toml", env = "CARE_CONFIG")]
    pub config: PathBuf,
    #[arg(long, default_value_t = 8080, env = "CARE_PORT")]
    pub port: u16,
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
pub struct EvalArgs {
    /// A labelled set, one JSON object a line (the format of `shared/classify/eval/README.md`).
    #[arg(default_value = "shared/classify/eval/posts.jsonl")]
    pub file: PathBuf,
    /// The configuration whose `[classify]` rules are evaluated.
    #[arg(long, default_value = "care.toml", env = "CARE_CONFIG")]
    pub config: PathBuf,
    /// Also list every wrong answer (id, field, expected, got, text).
    #[arg(long)]
    pub misses: bool,
    /// Print the report as JSON instead of tables.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct TokenArgs {
    #[arg(long)]
    pub agent: String,
    #[arg(long)]
    pub supervisor: bool,
    /// Lifetime in hours.
    #[arg(long, default_value_t = 12)]
    pub ttl_hours: i64,
}

fn secret_from_env(name: &str) -> Option<String> {
    env::optional(name)
}

pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.config).with_context(|| format!("reading {}", args.config.display()))?;
    let name = args.config.display().to_string();
    let settings = socialcare_kit::config::parse(&name, &text).map_err(|e| anyhow::anyhow!("{e}"))?;
    let jwt = env::required(JWT_SECRET_ENV)?;
    let visibility = Duration::from_secs(30);
    let trends = crate::trends::trends_config(&name, &text, &settings)?;
    let opts = StackOptions {
        trends,
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
    println!(
        "sent {} · accepted {} · duplicates {} · rejected {} · failed {} · skipped {} (not webhooks) · {:.0} posts/s",
        summary.sent, summary.accepted, summary.duplicates, summary.rejected, summary.failed, summary.skipped, rate
    );
    if summary.rejected + summary.failed > 0 {
        anyhow::bail!("{} payload(s) were not accepted", summary.rejected + summary.failed);
    }
    Ok(())
}

pub fn eval(args: EvalArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.config).with_context(|| format!("reading {}", args.config.display()))?;
    let classifier = crate::stack::rule_classifier(&args.config.display().to_string(), &text)?;
    let set = socialcare_classify::load_eval_set(&args.file).map_err(|e| anyhow::anyhow!("{e}"))?;
    let report = socialcare_classify::evaluate(&classifier, &set);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!("{report}");
    if args.misses {
        println!("wrong answers ({}):", report.misses.len());
        for m in &report.misses {
            let text = set.iter().find(|s| s.id == m.id).map_or("", |s| s.text.as_str());
            println!(
                "  {:<8} {:<10} expected {:<8} got {:<8} {text}",
                m.id, m.field, m.expected, m.got
            );
        }
    }
    Ok(())
}

pub fn token(args: TokenArgs) -> anyhow::Result<()> {
    let secret = env::required(JWT_SECRET_ENV)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    #[test]
    fn eval_reads_the_repo_set_with_the_repo_config_and_names_a_bad_file() {
        let args = |file: PathBuf| EvalArgs {
            file,
            config: root().join("care.toml"),
            misses: true,
            json: true,
        };
        assert!(eval(args(root().join("shared/classify/eval/holdout.jsonl"))).is_ok());
        let missing = eval(args(root().join("no-such-set.jsonl")));
        assert!(missing.is_err_and(|e| e.to_string().contains("no-such-set.jsonl")));
    }
}
