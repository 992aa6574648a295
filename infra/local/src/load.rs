//! `care load`: a seeded, realistic stream of generic-webhook posts (one in five a request for
//! help, the rest chatter; many authors), generated and signed before the clock starts, then
//! sent open-loop at a fixed rate: each post leaves at its scheduled time whether or not the
//! earlier ones were answered, and its latency counts from that time (a slow server cannot hide
//! its queueing by slowing the client). Prints answer latency percentiles, accepted / refused /
//! errored counts, and how long the stack took to drain its backlog after the last post (it
//! polls `GET /health`, whose `backlog` is the in-process queues' depth).
//!
//! Only loopback targets are accepted: this is a tool for one's own machine.

use crate::replay::generic_headers;
use anyhow::Context;
use clap::Args;
use hdrhistogram::Histogram;
use jiff::Timestamp;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use socialcare_trends::sim::Rng;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::Instant;

#[derive(Args, Debug, Clone)]
pub struct LoadArgs {
    /// The running stack's base URL (loopback only).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// The configuration file (for the source's secret name).
    #[arg(long, default_value = "care.toml", env = "CARE_CONFIG")]
    pub config: PathBuf,
    /// Offered posts per second.
    #[arg(long, default_value_t = 1_000)]
    pub rate: u32,
    /// How long to offer them.
    #[arg(long, default_value_t = 10)]
    pub seconds: u32,
    /// The generator's seed (the same seed, rate and seconds give the same posts).
    #[arg(long, default_value_t = 21)]
    pub seed: u64,
    /// Distinct authors to draw from (0: four for every five posts, as a firehose has).
    #[arg(long, default_value_t = 0)]
    pub authors: u64,
    /// Requests in flight at most (the client's connection pool); a post whose time has come
    /// waits for a free one, and that wait counts in its latency.
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// The generic source the posts come from (its secret is read from the environment).
    #[arg(long, default_value = "forum")]
    pub source: String,
    /// Seconds to wait for the backlog to drain after the last post.
    #[arg(long, default_value_t = 120)]
    pub drain_timeout: u64,
}

/// A post ready to send: its body and signed headers.
#[derive(Debug, Clone)]
pub struct Signed {
    pub body: Vec<u8>,
    pub headers: HeaderMap,
}

const PRODUCTS: [&str; 6] = ["laptop", "phone", "headphones", "router", "tablet", "smartwatch"];

/// Requests for help, by language (`{p}` a product, `{d}` a number of days).
const REQUESTS: [&str; 8] = [
    "My Acme {p} stopped working after {d} days and support hasn't answered. Can someone please help me get it repaired?",
    "I was charged twice for my Acme {p} order {d} days ago, please refund the second payment",
    "Still waiting for my Acme {p}, ordered {d} days ago and tracking shows nothing. Where is it?",
    "How do I reset my Acme {p}? It is stuck on the logo for {d} hours, help please",
    "Mi {p} de Acme no enciende desde hace {d} días, ¿pueden ayudarme por favor?",
    "Meu pedido do {p} Acme não chegou, já faz {d} dias. Podem ajudar?",
    "Mon {p} Acme ne marche plus depuis {d} jours, pouvez-vous m'aider s'il vous plaît ?",
    "Mein Acme {p} funktioniert seit {d} Tagen nicht mehr, bitte helfen Sie mir",
];

/// Chatter: praise, opinions, news (stored, no case).
const CHATTER: [&str; 8] = [
    "Love the new Acme {p}, the battery lasts {d} hours!",
    "Just unboxed my Acme {p}, looks great so far",
    "Anyone else watching the Acme keynote today? {d} new products apparently",
    "My Acme {p} is {d} years old and still going strong",
    "Me encanta mi {p} de Acme, lo uso todos los días",
    "Adoro o meu {p} Acme, melhor compra do ano",
    "J'adore mon {p} Acme, {d} étoiles",
    "Der neue Acme {p} sieht richtig gut aus",
];

/// The `n` post bodies of a seeded stream (generic `post.created`, written at `now`): one in
/// five a request, the rest chatter, authors drawn from `authors` ids.
pub fn generate(seed: u64, n: usize, authors: u64, source: &str, now: Timestamp) -> Vec<Vec<u8>> {
    let mut rng = Rng::new(seed);
    let at = now.to_string();
    (0..n)
        .map(|i| {
            let request = i % 5 == 0;
            let templates: &[&str] = if request { &REQUESTS } else { &CHATTER };
            let template = *rng.pick(templates);
            let product = *rng.pick(&PRODUCTS);
            let text = template
                .replace("{p}", product)
                .replace("{d}", &(2 + rng.below(40)).to_string());
            let author = rng.below(usize::try_from(authors).unwrap_or(usize::MAX).max(1));
            serde_json::json!({
                "type": "post.created",
                "timestamp": at,
                "data": {
                    "source": source,
                    "id": format!("load-{seed}-{i}"),
                    "text": text,
                    "created_at": at,
                    "in_reply_to": null,
                    "private": false,
                    "author": {
                        "id": format!("load-u{author}"),
                        "handle": format!("user{author}"),
                        "name": null,
                        "followers": rng.below(5_000),
                        "verified": false,
                    }
                }
            })
            .to_string()
            .into_bytes()
        })
        .collect()
}

/// Signs each body with the source's secret (Standard Webhooks, as `care replay` does).
pub fn sign_all(bodies: Vec<Vec<u8>>, secret: &str, now: Timestamp) -> anyhow::Result<Vec<Signed>> {
    bodies
        .into_iter()
        .map(|body| {
            let mut headers = HeaderMap::new();
            for (k, v) in generic_headers(secret, &body, now)? {
                headers.insert(HeaderName::try_from(k)?, HeaderValue::try_from(v)?);
            }
            Ok(Signed { body, headers })
        })
        .collect()
}

/// What one post got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Accepted,
    /// 503 or 429: the stack said "later" (backpressure).
    Refused,
    /// Any other answer outside 2xx.
    Rejected,
    /// No answer (connection refused, reset, timed out).
    Errored,
}

/// The figures of one run.
#[derive(Debug)]
pub struct Report {
    pub offered: usize,
    pub rate: u32,
    pub sent_in: Duration,
    pub latency_us: Histogram<u64>,
    pub accepted: u64,
    pub refused: u64,
    pub rejected: u64,
    pub errored: u64,
    /// How late the client itself got a post out, at worst (a busy client shows here).
    pub client_lag_max: Duration,
    /// From the last post's scheduled time until the backlog was empty (None: not reported
    /// by the server, or not drained within the timeout).
    pub drained_after: Option<Duration>,
    pub peak_backlog: u64,
}

impl Report {
    pub fn lines(&self) -> Vec<String> {
        let ms = |q: f64| self.latency_us.value_at_quantile(q) as f64 / 1000.0;
        vec![
            format!(
                "offered {} posts at {}/s over {:.1} s (client lag at worst {:.1} ms)",
                self.offered,
                self.rate,
                self.sent_in.as_secs_f64(),
                self.client_lag_max.as_secs_f64() * 1000.0
            ),
            format!(
                "answer latency from scheduled time: p50 {:.2} ms · p90 {:.2} ms · p99 {:.2} ms · max {:.2} ms",
                ms(0.50),
                ms(0.90),
                ms(0.99),
                self.latency_us.max() as f64 / 1000.0
            ),
            format!(
                "accepted {} · refused (503/429) {} · rejected {} · errored {}",
                self.accepted, self.refused, self.rejected, self.errored
            ),
            match self.drained_after {
                Some(d) => format!(
                    "backlog peak {} · drained {:.1} s after the last post",
                    self.peak_backlog,
                    d.as_secs_f64()
                ),
                None => format!(
                    "backlog peak {} · not drained (or no backlog reported by /health)",
                    self.peak_backlog
                ),
            },
        ]
    }
}

/// Refuses any target but this machine.
fn loopback_base(url: &str) -> anyhow::Result<String> {
    let parsed = reqwest::Url::parse(url).with_context(|| format!("--url {url} is not a URL"))?;
    let host = parsed.host_str().unwrap_or_default();
    let local = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    anyhow::ensure!(
        local,
        "--url {url}: `care load` only targets this machine (127.0.0.1, ::1, localhost)"
    );
    Ok(url.trim_end_matches('/').to_string())
}

/// The backlog `GET /health` reports (the in-process queues' messages), if it reports one.
async fn backlog(client: &reqwest::Client, base: &str) -> Option<u64> {
    let resp = client.get(format!("{base}/health")).send().await.ok()?;
    let json: serde_json::Value = resp.json().await.ok()?;
    json["backlog"].as_u64()
}

/// Generates, signs, sends and reports (see the module doc).
pub async fn run(args: LoadArgs) -> anyhow::Result<Report> {
    let base = loopback_base(&args.url)?;
    anyhow::ensure!(
        args.rate > 0 && args.seconds > 0,
        "--rate and --seconds must be above 0"
    );
    let text = std::fs::read_to_string(&args.config).with_context(|| format!("reading {}", args.config.display()))?;
    let settings =
        socialcare_kit::config::parse(&args.config.display().to_string(), &text).map_err(|e| anyhow::anyhow!("{e}"))?;
    let source = settings
        .source(&args.source)
        .with_context(|| format!("source `{}` is not in {}", args.source, args.config.display()))?;
    let secret = socialcare_kit::env::optional(&source.secret_env)
        .with_context(|| format!("environment variable {} is not set", source.secret_env))?;

    let n = args.rate as usize * args.seconds as usize;
    let authors = if args.authors == 0 {
        (n as u64 * 4 / 5).max(1)
    } else {
        args.authors
    };
    let now = Timestamp::now();
    let posts = sign_all(generate(args.seed, n, authors, &args.source, now), &secret, now)?;

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(30))
        .build()?;
    client
        .get(format!("{base}/health"))
        .send()
        .await
        .with_context(|| format!("nothing answers at {base}/health: is `care serve` running?"))?;
    let url = format!("{base}/webhooks/generic");
    let permits = Arc::new(tokio::sync::Semaphore::new(args.connections.max(1)));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Outcome, Duration)>();
    let step = Duration::from_secs(1).as_nanos() as f64 / f64::from(args.rate);
    let start = Instant::now() + Duration::from_millis(100);
    let mut client_lag_max = Duration::ZERO;
    // The backlog's peak, sampled while the posts go out.
    let peak = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (client, base, peak) = (client.clone(), base.clone(), peak.clone());
        tokio::spawn(async move {
            loop {
                if let Some(b) = backlog(&client, &base).await {
                    peak.fetch_max(b, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        })
    };
    for (i, post) in posts.into_iter().enumerate() {
        let at = start + Duration::from_nanos((i as f64 * step) as u64);
        let now = Instant::now();
        if at > now {
            tokio::time::sleep_until(at).await;
        } else {
            client_lag_max = client_lag_max.max(now - at);
        }
        let (client, url, permits, tx) = (client.clone(), url.clone(), permits.clone(), tx.clone());
        tokio::spawn(async move {
            let Ok(_permit) = permits.acquire_owned().await else {
                return;
            };
            let outcome = match client.post(&url).headers(post.headers).body(post.body).send().await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    // Read the answer whole so the connection goes back to the pool.
                    let _ = resp.bytes().await;
                    match status {
                        200..=299 => Outcome::Accepted,
                        429 | 503 => Outcome::Refused,
                        _ => Outcome::Rejected,
                    }
                }
                Err(_) => Outcome::Errored,
            };
            let _ = tx.send((outcome, at.elapsed()));
        });
    }
    drop(tx);
    let last_scheduled = start + Duration::from_nanos(((n.saturating_sub(1)) as f64 * step) as u64);
    let mut latency_us = Histogram::<u64>::new_with_bounds(1, 120_000_000, 3)?;
    let (mut accepted, mut refused, mut rejected, mut errored) = (0, 0, 0, 0);
    while let Some((outcome, took)) = rx.recv().await {
        latency_us.saturating_record((took.as_micros() as u64).max(1));
        match outcome {
            Outcome::Accepted => accepted += 1,
            Outcome::Refused => refused += 1,
            Outcome::Rejected => rejected += 1,
            Outcome::Errored => errored += 1,
        }
    }
    let sent_in = last_scheduled.saturating_duration_since(start);
    let give_up = Instant::now() + Duration::from_secs(args.drain_timeout);
    let mut drained_after = None;
    while Instant::now() < give_up {
        match backlog(&client, &base).await {
            Some(0) => {
                drained_after = Some(last_scheduled.elapsed());
                break;
            }
            Some(b) => {
                peak.fetch_max(b, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            None => break,
        }
    }
    sampler.abort();
    Ok(Report {
        offered: n,
        rate: args.rate,
        sent_in,
        latency_us,
        accepted,
        refused,
        rejected,
        errored,
        client_lag_max,
        drained_after,
        peak_backlog: peak.load(Ordering::Relaxed),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `text` is `template` with its `{p}` and `{d}` filled in.
    fn rendered_from(template: &str, text: &str) -> bool {
        let mut rest = text;
        for part in template.split(['{', '}']).filter(|p| *p != "p" && *p != "d") {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
        true
    }

    #[test]
    fn the_stream_is_seeded_and_one_in_five_asks_for_help() {
        let now: Timestamp = "2026-12-04T00:00:00Z".parse().unwrap_or_else(|_| unreachable!());
        let a = generate(7, 500, 400, "forum", now);
        assert_eq!(a, generate(7, 500, 400, "forum", now), "same seed, same posts");
        assert_ne!(a, generate(8, 500, 400, "forum", now));
        let json: Vec<serde_json::Value> = a
            .iter()
            .map(|b| serde_json::from_slice(b).unwrap_or_default())
            .collect();
        let requests = json
            .iter()
            .filter(|j| {
                let t = j["data"]["text"].as_str().unwrap_or_default();
                REQUESTS.iter().any(|r| rendered_from(r, t))
            })
            .count();
        assert_eq!(requests, 100);
        let authors: std::collections::HashSet<&str> =
            json.iter().filter_map(|j| j["data"]["author"]["id"].as_str()).collect();
        assert!(authors.len() > 250, "many authors: {}", authors.len());
    }

    #[test]
    fn signed_posts_verify_with_the_sources_secret() {
        let secret = "whsec_bG9hZC10ZXN0LWtleS0xMjM0NTY3OA==";
        let now = Timestamp::now();
        let posts = sign_all(generate(1, 3, 3, "forum", now), secret, now).unwrap_or_default();
        assert_eq!(posts.len(), 3);
        for p in &posts {
            let h = |k: &str| p.headers.get(k).and_then(|v| v.to_str().ok());
            let headers = socialcare_channels::generic::Headers {
                id: h("webhook-id"),
                timestamp: h("webhook-timestamp"),
                signature: h("webhook-signature"),
            };
            assert!(socialcare_channels::generic::verify(secret, headers, &p.body, now).is_ok());
        }
    }

    #[test]
    fn only_this_machine_is_a_target() {
        assert!(loopback_base("http://127.0.0.1:18080/").is_ok());
        assert!(loopback_base("http://localhost:8080").is_ok());
        assert!(loopback_base("http://[::1]:8080").is_ok());
        assert!(loopback_base("http://10.0.0.1:8080").is_err());
        assert!(loopback_base("https://example.com").is_err());
    }
}
