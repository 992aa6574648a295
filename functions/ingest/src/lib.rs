//! The ingest function: `POST /webhooks/generic` (and the platforms' routes): read the raw body
//! (≤ 1 MiB), verify its signature over those bytes in constant time, parse, dedupe by the
//! platform event id, enqueue. Nothing else runs before the answer, so the platform's deadline
//! is met; a failure to enqueue answers 5xx so the platform resends (never 200 on loss).

mod deletion;
pub mod handshake;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use socialcare_channels::accounts::{Accounts, WebhookSecrets};
use socialcare_channels::generic::{self, Headers, SignatureError};
use socialcare_channels::parsed::{ParseError, Parsed};
use socialcare_channels::signature::SignatureError as PlatformSignatureError;
use socialcare_channels::{meta, x};
use socialcare_domain::health::platform_of;
use socialcare_domain::ports::{Clock, DeletionStore};
use socialcare_domain::services::channels::ChannelHealthService;
use socialcare_domain::services::ingest::{Inbound, IngestService, Outcome};
use socialcare_kit::problem::Problem;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// Bodies above this are refused with 413 before anything else.
pub const MAX_BODY: usize = 1024 * 1024;

/// A generic source with its signing secret's value.
#[derive(Clone)]
pub struct SourceSecret {
    pub name: String,
    pub secret: String,
}

/// Our X, Facebook and Instagram accounts with their webhook secrets' values.
pub struct Platforms {
    pub accounts: Accounts,
    pub secrets: WebhookSecrets,
    /// Each account's health record: revocations are kept there (every instance, and a
    /// restarted one, refuses a revoked account's posts until a supervisor enables it; read
    /// through a 30 s cache), and "last webhook received" is written at most once a minute.
    pub health: Arc<ChannelHealthService>,
    /// The unsigned handshake routes' rate (CRC and hub.challenge).
    pub handshakes: handshake::HandshakeLimit,
    /// Where platform deletion requests are kept (`POST /webhooks/meta/deletion`,
    /// `GET /deletion/{code}`); without it a verified callback answers 503.
    pub deletions: Option<Arc<dyn DeletionStore>>,
    /// The public deletion status page's rate (same bucket shape as the handshakes').
    pub status_pages: handshake::HandshakeLimit,
}

impl Platforms {
    pub fn new(accounts: Accounts, secrets: WebhookSecrets, health: Arc<ChannelHealthService>) -> Self {
        Self {
            accounts,
            secrets,
            health,
            handshakes: handshake::HandshakeLimit::default(),
            deletions: None,
            status_pages: handshake::HandshakeLimit::default(),
        }
    }

    /// No platform account (generic sources only), health kept in `health`'s store.
    pub fn generic_only(health: Arc<ChannelHealthService>) -> Self {
        Self::new(Accounts::default(), WebhookSecrets::default(), health)
    }

    /// Notes a webhook for the account; the record is a side record, so a failure to write it
    /// is logged and the webhook still answers.
    async fn seen(&self, platform: &str, account: &str) {
        if let Err(e) = self.health.webhook_seen(platform, account).await {
            tracing::warn!(platform, account, error = %e, "channel health not updated");
        }
    }

    /// Keeps platform deletion requests in `store`.
    pub fn with_deletions(mut self, store: Arc<dyn DeletionStore>) -> Self {
        self.deletions = Some(store);
        self
    }
}

pub struct Ingest {
    pub service: IngestService,
    pub sources: Vec<SourceSecret>,
    pub platforms: Platforms,
    pub clock: Arc<dyn Clock>,
}

pub fn router(ingest: Arc<Ingest>) -> Router {
    Router::new()
        .route("/webhooks/generic", post(generic_webhook))
        .route("/webhooks/x", get(x_crc).post(x_webhook))
        .route("/webhooks/meta", get(meta_challenge).post(meta_webhook))
        .route("/webhooks/meta/deletion", post(deletion::meta_deletion))
        .route("/deletion/{code}", get(deletion::status_page))
        .with_state(ingest)
        .layer(axum::middleware::map_response(socialcare_kit::problem::as_problem))
}

/// Reads the whole body, refusing more than `MAX_BODY` bytes.
pub async fn read_body(body: Body) -> Result<bytes::Bytes, Problem> {
    to_bytes(body, MAX_BODY).await.map_err(|_| Problem::too_large(MAX_BODY))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn generic_webhook(State(ingest): State<Arc<Ingest>>, headers: HeaderMap, body: Body) -> Response {
    match handle_generic(&ingest, &headers, body).await {
        Ok(r) => r,
        Err(p) => p.into_response(),
    }
}

async fn handle_generic(ingest: &Ingest, headers: &HeaderMap, body: Body) -> Result<Response, Problem> {
    let raw = read_body(body).await?;
    let now = ingest.clock.now();
    generic::check_webhook_id(header(headers, "webhook-id")).map_err(|e| Problem::bad_request(e.to_string()))?;
    let signed = Headers {
        id: header(headers, "webhook-id"),
        timestamp: header(headers, "webhook-timestamp"),
        signature: header(headers, "webhook-signature"),
    };
    // The signing secret identifies the source: try each configured source's secret. Two sources
    // may share a secret, so a verified body that names another source moves on to the next.
    let mut worst = SignatureError::Mismatch;
    let mut wrong_source = None;
    let mut found = None;
    for source in &ingest.sources {
        match generic::verify(&source.secret, signed, &raw, now) {
            Ok(id) => match generic::parse(&source.name, &raw, now) {
                Ok(change) => {
                    found = Some((source, id, change));
                    break;
                }
                Err(e @ generic::ParseError::WrongSource { .. }) => wrong_source = Some(e),
                Err(e) => return Err(Problem::bad_request(e.to_string())),
            },
            Err(SignatureError::Mismatch) | Err(SignatureError::BadSecret) => {}
            Err(other) => {
                worst = other;
                break;
            }
        }
    }
    let Some((source, webhook_id, change)) = found else {
        if let Some(e) = wrong_source {
            return Err(Problem::bad_request(e.to_string()));
        }
        tracing::warn!(reason = %worst, "generic webhook refused");
        return Err(Problem::unauthorized(format!("signature check failed: {worst}")));
    };
    let post_id = change.post_id().to_string();
    let inbound = Inbound {
        key: format!("generic:{}:{webhook_id}", source.name),
        fingerprint: generic::fingerprint(&raw),
        changes: vec![change],
    };
    let outcome = ingest.service.accept(inbound).await.map_err(Problem::from)?;
    match outcome {
        Outcome::Enqueued(n) => {
            // Debug, not info: classify logs every post at info (with its classification), and a
            // second info line per post would be a third of the per-post log bill.
            tracing::debug!(source = %source.name, %post_id, "post received");
            ingest.platforms.seen("generic", &source.name).await;
            Ok((StatusCode::OK, axum::Json(json!({"status": "accepted", "changes": n}))).into_response())
        }
        Outcome::Duplicate => Ok((StatusCode::OK, axum::Json(json!({"status": "duplicate"}))).into_response()),
        Outcome::Conflict => Err(Problem::new(
            StatusCode::CONFLICT,
            "this webhook-id was received before with a different body; not applied",
        )),
    }
}

/// The 429 answer when the handshake routes are called faster than any platform calls them.
fn handshake_rate(ingest: &Ingest) -> Option<Response> {
    if ingest.platforms.handshakes.take(std::time::Instant::now()) {
        return None;
    }
    tracing::warn!("webhook handshake refused: over the rate");
    let mut response = Problem::new(StatusCode::TOO_MANY_REQUESTS, "too many handshakes").into_response();
    response
        .headers_mut()
        .insert("retry-after", axum::http::HeaderValue::from_static("1"));
    Some(response)
}

async fn x_crc(State(ingest): State<Arc<Ingest>>, Query(q): Query<HashMap<String, String>>) -> Response {
    let Some(secret) = ingest.platforms.secrets.x_consumer.first() else {
        return Problem::not_found("no X account is configured").into_response();
    };
    if let Some(limited) = handshake_rate(&ingest) {
        return limited;
    }
    // Only a token of X's shape is signed: the answer is the signature X puts on a body.
    match x::crc_token(q.get("crc_token").map(String::as_str)) {
        Err(e) => Problem::bad_request(e.to_string()).into_response(),
        Ok(token) => (
            [("content-type", "application/json")],
            x::crc_response(secret.as_bytes(), token),
        )
            .into_response(),
    }
}

/// Checks a signature header over the raw body against any of the secrets.
type Verify = fn(&[String], Option<&str>, &[u8]) -> Result<(), PlatformSignatureError>;
/// Parses a verified body into post changes.
type Parse = fn(&[u8], &Accounts, jiff::Timestamp) -> Result<Parsed, ParseError>;

/// How one platform signs and shapes its deliveries.
struct Platform {
    name: &'static str,
    signature_header: &'static str,
    verify: Verify,
    parse: Parse,
}

const X: Platform = Platform {
    name: "x",
    signature_header: x::SIGNATURE_HEADER,
    verify: x::verify_any::<String>,
    parse: x::parse,
};

const META: Platform = Platform {
    name: "meta",
    signature_header: meta::SIGNATURE_HEADER,
    verify: meta::verify_any::<String>,
    parse: meta::parse,
};

async fn x_webhook(State(ingest): State<Arc<Ingest>>, headers: HeaderMap, body: Body) -> Response {
    let secrets = &ingest.platforms.secrets.x_consumer;
    platform_webhook(&X, &ingest, secrets, &headers, body).await
}

async fn meta_webhook(State(ingest): State<Arc<Ingest>>, headers: HeaderMap, body: Body) -> Response {
    let secrets = &ingest.platforms.secrets.meta_app;
    platform_webhook(&META, &ingest, secrets, &headers, body).await
}

/// Verifies the signature over the raw bytes (every configured secret, constant time), then
/// parses and enqueues.
async fn platform_webhook(
    platform: &Platform,
    ingest: &Ingest,
    secrets: &[String],
    headers: &HeaderMap,
    body: Body,
) -> Response {
    let result = async {
        let raw = read_body(body).await?;
        (platform.verify)(secrets, header(headers, platform.signature_header), &raw)
            .map_err(|e| Problem::unauthorized(format!("signature check failed: {e}")))?;
        let parsed = (platform.parse)(&raw, &ingest.platforms.accounts, ingest.clock.now())
            .map_err(|e| Problem::bad_request(e.to_string()))?;
        accept_parsed(ingest, platform.name, parsed).await
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

async fn meta_challenge(State(ingest): State<Arc<Ingest>>, Query(q): Query<HashMap<String, String>>) -> Response {
    if let Some(limited) = handshake_rate(&ingest) {
        return limited;
    }
    match meta::verify_challenge(&q, &ingest.platforms.secrets.meta_verify) {
        Ok(challenge) => (
            [
                ("content-type", "text/plain; charset=utf-8"),
                ("x-content-type-options", "nosniff"),
            ],
            challenge,
        )
            .into_response(),
        Err(e) => {
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
            Problem::new(status, e.to_string()).into_response()
        }
    }
}

/// Enqueues every post change of a verified delivery, each deduped on its own key. A failure to
/// enqueue answers 503 (the platform resends the whole delivery; what was enqueued is deduped).
async fn accept_parsed(ingest: &Ingest, platform: &str, parsed: Parsed) -> Result<Response, Problem> {
    let health = &ingest.platforms.health;
    // Posts carry our account's platform id (the X user id), as revocations do. Kept in the
    // store before the answer: a failure answers 503 and X resends the revocation.
    for account in &parsed.revoked_accounts {
        health.revoked("x", account).await.map_err(Problem::from)?;
        tracing::warn!(platform, account = %account, "the account revoked our access: its ingest is disabled");
    }
    for change in &parsed.handle_changes {
        tracing::info!(platform, ?change, "handle changed; the author keeps its identity");
    }
    let mut seen: BTreeSet<(&'static str, String)> = BTreeSet::new();
    let (mut accepted, mut duplicates, mut conflicts, mut disabled) = (0, 0, 0, 0);
    let mut ignored = parsed.ignored.len();
    let now = ingest.clock.now();
    for mut event in parsed.events {
        // A referral names the brand's customer only when the brand signed it: m.me links are
        // anyone's to craft. The signed form goes no further than here.
        if let socialcare_domain::PostChange::Linked { via, reference, .. } = &mut event.change
            && via == "referral"
        {
            match socialcare_channels::referral::verify(&ingest.platforms.secrets.referral, reference, now) {
                Ok(bare) => *reference = bare,
                Err(e) => {
                    tracing::info!(platform, reason = %e, "referral ref names nobody: not linked");
                    ignored += 1;
                    continue;
                }
            }
        }
        if let socialcare_domain::PostChange::Created { post } = &event.change {
            let key = (platform_of(post.channel), post.account.clone());
            if !health.accepting(key.0, &key.1).await.map_err(Problem::from)? {
                disabled += 1;
                continue;
            }
            seen.insert(key);
        }
        let post_id = event.change.post_id().to_string();
        let inbound = Inbound {
            key: event.key,
            fingerprint: event.fingerprint,
            changes: vec![event.change],
        };
        match ingest.service.accept(inbound).await.map_err(Problem::from)? {
            Outcome::Enqueued(_) => {
                accepted += 1;
                // Debug: classify logs every post at info (see the generic route above).
                tracing::debug!(platform, %post_id, "post received");
            }
            Outcome::Duplicate => duplicates += 1,
            Outcome::Conflict => conflicts += 1,
        }
    }
    for (p, account) in &seen {
        ingest.platforms.seen(p, account).await;
    }
    let body = json!({
        "status": "accepted", "accepted": accepted, "duplicates": duplicates, "conflicts": conflicts,
        "ignored": ignored, "disabled": disabled,
    });
    Ok((StatusCode::OK, axum::Json(body)).into_response())
}
