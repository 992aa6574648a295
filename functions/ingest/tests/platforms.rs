//! The X and Meta routes fed with the project's fixtures (`events/x`, `events/meta`), signed
//! the way each platform signs: handshakes, signatures over the raw bytes, every post change
//! enqueued once, redeliveries deduped, revocations honoured, forgeries refused.

use axum::body::{Body, to_bytes};
use http::Request;
use socialcare_channels::accounts::{Accounts, WebhookSecrets};
use socialcare_channels::{meta, x};
use socialcare_domain::ports::{QueueReceiver, SystemClock};
use socialcare_domain::services::channels::ChannelHealthService;
use socialcare_domain::services::ingest::IngestService;
use socialcare_domain::{Envelope, Event, PostChange, Stream};
use socialcare_memory::{MemoryBus, MemoryQueue, MemoryStore, QueueConfig};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

const X_SECRET: &str = "x-consumer-secret-for-ingest-tests";
const META_SECRET: &str = "meta-app-secret-for-ingest-tests";
const VERIFY_TOKEN: &str = "meta-verify-token-for-ingest-tests";
const REFERRAL_KEY: &str = "referral-key-for-ingest-tests-32-bytes-or-more";

fn accounts() -> anyhow::Result<Accounts> {
    Ok(serde_json::from_value(serde_json::json!({
        "x": [
            {"name": "brand", "user_id": "1580000000000000001", "handle": "AcmeCare", "consumer_secret_env": "X"},
            {"name": "help", "user_id": "1580000000000000002", "handle": "AcmeHelp", "consumer_secret_env": "X"}
        ],
        "facebook": [{"name": "acme", "page_id": "104000000000001", "app_secret_env": "M", "verify_token_env": "V"}],
        "instagram": [{"name": "acme-ig", "account_id": "17841400000000777", "app_secret_env": "M", "verify_token_env": "V"}]
    }))?)
}

fn app() -> anyhow::Result<(axum::Router, Arc<MemoryQueue>)> {
    app_over(Arc::new(MemoryStore::new()))
}

/// A fresh ingest instance (its own caches, as after a Lambda restart) over `store`.
/// The accounts' health records in `store` (revocations live there).
fn health_over(store: &Arc<MemoryStore>) -> anyhow::Result<Arc<ChannelHealthService>> {
    Ok(Arc::new(
        ChannelHealthService::new(store.clone(), Arc::new(SystemClock), Default::default())
            .with_accounts(accounts()?.health_accounts()),
    ))
}

fn app_over(store: Arc<MemoryStore>) -> anyhow::Result<(axum::Router, Arc<MemoryQueue>)> {
    let queue = Arc::new(MemoryQueue::new(QueueConfig::new("received", false)));
    let bus = Arc::new(MemoryBus::new().with(Stream::Received, queue.clone()));
    let clock = Arc::new(SystemClock);
    let health = health_over(&store)?;
    let secrets = WebhookSecrets {
        x_consumer: vec![X_SECRET.into()],
        meta_app: vec![META_SECRET.into()],
        meta_verify: vec![VERIFY_TOKEN.into()],
        referral: vec![REFERRAL_KEY.into()],
    };
    let ingest = fn_ingest::Ingest {
        service: IngestService::new(store, bus, clock.clone(), 14),
        sources: vec![],
        platforms: fn_ingest::Platforms::new(accounts()?, secrets, health),
        clock,
    };
    Ok((fn_ingest::router(Arc::new(ingest)), queue))
}

fn fixtures(platform: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../events")
        .join(platform);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter_map(|p| Some((p.file_name()?.to_string_lossy().into_owned(), std::fs::read(&p).ok()?)))
        .collect();
    out.sort();
    out
}

fn signed(platform: &str, body: &[u8]) -> anyhow::Result<Request<Body>> {
    let (path, header, signature) = match platform {
        "x" => ("/webhooks/x", x::SIGNATURE_HEADER, x::sign(X_SECRET.as_bytes(), body)),
        _ => (
            "/webhooks/meta",
            meta::SIGNATURE_HEADER,
            meta::sign(META_SECRET.as_bytes(), body),
        ),
    };
    Ok(Request::post(path)
        .header("content-type", "application/json")
        .header(header, signature)
        .body(Body::from(body.to_vec()))?)
}

async fn json(response: axum::response::Response) -> anyhow::Result<serde_json::Value> {
    Ok(serde_json::from_slice(&to_bytes(response.into_body(), 1 << 20).await?)?)
}

async fn drain(queue: &MemoryQueue) -> anyhow::Result<Vec<PostChange>> {
    let mut out = Vec::new();
    loop {
        let batch = queue.receive(10, Duration::ZERO).await?;
        if batch.is_empty() {
            return Ok(out);
        }
        for m in batch {
            match serde_json::from_str::<Envelope>(&m.body)?.event {
                Event::PostReceived(change) => out.push(change),
                other => anyhow::bail!("unexpected event {other:?}"),
            }
        }
    }
}

#[tokio::test]
async fn every_fixture_is_acknowledged_and_each_post_change_enqueued_once() -> anyhow::Result<()> {
    for platform in ["x", "meta"] {
        let (app, queue) = app()?;
        // Revocations disable the account for what follows: tested on their own below.
        let files: Vec<_> = fixtures(platform)
            .into_iter()
            .filter(|(n, _)| !n.contains("revoke"))
            .collect();
        assert!(files.len() > 20, "{platform} fixtures missing");
        let mut accepted = 0;
        for (name, body) in &files {
            let response = app.clone().oneshot(signed(platform, body)?).await?;
            assert_eq!(response.status(), 200, "{platform}/{name}");
            let answer = json(response).await?;
            accepted += answer["accepted"].as_u64().unwrap_or_default();
            // The platform redelivers: acknowledged, nothing enqueued twice.
            let again = json(app.clone().oneshot(signed(platform, body)?).await?).await?;
            assert_eq!(again["accepted"], 0, "{platform}/{name}: {again}");
        }
        let changes = drain(&queue).await?;
        assert_eq!(changes.len() as u64, accepted, "{platform}");
        assert!(accepted >= 16, "{platform}: {accepted} post changes");
        let mut ids: Vec<String> = changes.iter().map(|c| format!("{c:?}")).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), changes.len(), "{platform}: no change twice");
    }
    Ok(())
}

#[tokio::test]
async fn x_crc_answers_with_the_hmac_of_the_token() -> anyhow::Result<()> {
    let (app, _) = app()?;
    let ok = app
        .clone()
        .oneshot(Request::get("/webhooks/x?crc_token=challenge-123").body(Body::empty())?)
        .await?;
    assert_eq!(ok.status(), 200);
    let answer = json(ok).await?;
    let expected: serde_json::Value = serde_json::from_str(&x::crc_response(X_SECRET.as_bytes(), "challenge-123"))?;
    assert_eq!(answer, expected);
    assert!(
        answer["response_token"]
            .as_str()
            .is_some_and(|t| t.starts_with("sha256="))
    );
    let missing = app.oneshot(Request::get("/webhooks/x").body(Body::empty())?).await?;
    assert_eq!(missing.status(), 400);
    Ok(())
}

#[tokio::test]
async fn meta_challenge_echoes_only_for_our_verify_token() -> anyhow::Result<()> {
    let (app, _) = app()?;
    let url =
        |token: &str| format!("/webhooks/meta?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1158201444");
    let ok = app
        .clone()
        .oneshot(Request::get(url(VERIFY_TOKEN)).body(Body::empty())?)
        .await?;
    assert_eq!(ok.status(), 200);
    assert_eq!(&to_bytes(ok.into_body(), 1024).await?[..], b"1158201444");
    let wrong = app.oneshot(Request::get(url("guess")).body(Body::empty())?).await?;
    assert_eq!(wrong.status(), 403);
    Ok(())
}

#[tokio::test]
async fn forged_or_unsigned_deliveries_enqueue_nothing() -> anyhow::Result<()> {
    let (app, queue) = app()?;
    for platform in ["x", "meta"] {
        let (_, body) = fixtures(platform)
            .into_iter()
            .find(|(n, _)| n.contains("message") || n.contains("mention"))
            .ok_or_else(|| anyhow::anyhow!("no fixture"))?;
        // Signed, then one byte changed: the signature covers the raw bytes.
        let mut tampered = signed(platform, &body)?;
        let mut forged = body.clone();
        forged[10] ^= 0x01;
        *tampered.body_mut() = Body::from(forged);
        let unsigned = Request::post(format!("/webhooks/{platform}")).body(Body::from(body.clone()))?;
        let wrong_key = {
            let mut r = signed(platform, &body)?;
            let header = if platform == "x" {
                x::SIGNATURE_HEADER
            } else {
                meta::SIGNATURE_HEADER
            };
            let value = if platform == "x" {
                x::sign(b"not-our-secret", &body)
            } else {
                meta::sign(b"not-our-secret", &body)
            };
            r.headers_mut().insert(header, value.parse()?);
            r
        };
        for request in [tampered, unsigned, wrong_key] {
            let response = app.clone().oneshot(request).await?;
            assert_eq!(response.status(), 401, "{platform}");
            assert_eq!(
                response.headers().get("content-type").and_then(|v| v.to_str().ok()),
                Some("application/problem+json")
            );
        }
        // Signed but not JSON: a clear 400.
        let response = app.clone().oneshot(signed(platform, b"{not json")?).await?;
        assert_eq!(response.status(), 400, "{platform}");
    }
    assert!(queue.receive(10, Duration::ZERO).await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn a_revoked_account_stops_being_ingested() -> anyhow::Result<()> {
    let (app, queue) = app()?;
    let files = fixtures("x");
    let body = |name: &str| {
        files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.clone())
            .unwrap_or_default()
    };
    let revoke = app.clone().oneshot(signed("x", &body("aaa-revoke.json"))?).await?;
    assert_eq!(revoke.status(), 200);
    // The revoke names @AcmeHelp: its posts stop; @AcmeCare's go on.
    let help = json(app.clone().oneshot(signed("x", &body("aaa-batch.json"))?).await?).await?;
    assert_eq!(help["accepted"], 0, "{help}");
    assert_eq!(help["disabled"], 2, "{help}");
    let brand = json(
        app.clone()
            .oneshot(signed("x", &body("aaa-tweet-mention.json"))?)
            .await?,
    )
    .await?;
    assert_eq!(brand["accepted"], 1, "{brand}");
    assert_eq!(queue.receive(10, Duration::ZERO).await?.len(), 1);
    Ok(())
}

/// The revocation is kept in the store: a fresh instance (a Lambda restart) still refuses the
/// account's posts, until a supervisor enables it again (audited on the record).
#[tokio::test]
async fn a_restarted_instance_still_refuses_a_revoked_account_until_enabled() -> anyhow::Result<()> {
    let store = Arc::new(MemoryStore::new());
    let files = fixtures("x");
    let body = |name: &str| {
        files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.clone())
            .unwrap_or_default()
    };
    let (first, _) = app_over(store.clone())?;
    let revoke = first.oneshot(signed("x", &body("aaa-revoke.json"))?).await?;
    assert_eq!(revoke.status(), 200);

    let (restarted, queue) = app_over(store.clone())?;
    let help = json(restarted.oneshot(signed("x", &body("aaa-batch.json"))?).await?).await?;
    assert_eq!(help["accepted"], 0, "{help}");
    assert_eq!(help["disabled"], 2, "{help}");
    assert!(queue.receive(10, Duration::ZERO).await?.is_empty());

    let supervisor = ChannelHealthService::new(store.clone(), Arc::new(SystemClock), Default::default())
        .with_accounts(accounts()?.health_accounts());
    let record = supervisor.enable("x", "1580000000000000002", "sam").await?;
    assert_eq!(
        record.audit.last().map(|a| (a.by.as_str(), a.action.as_str())),
        Some(("sam", "enabled"))
    );
    assert!(record.audit.iter().any(|a| a.by == "platform" && a.action == "revoked"));

    let (again, queue) = app_over(store.clone())?;
    let help = json(again.oneshot(signed("x", &body("aaa-batch.json"))?).await?).await?;
    assert_eq!(help["accepted"], 2, "{help}");
    assert_eq!(queue.receive(10, Duration::ZERO).await?.len(), 2);
    // The webhook was noted on the account's record.
    let seen = socialcare_domain::ports::ChannelStore::channel(store.as_ref(), "x", "1580000000000000002").await?;
    assert!(seen.and_then(|h| h.last_webhook_at).is_some());
    Ok(())
}

fn percent_encode(raw: &[u8]) -> String {
    raw.iter()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (*b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The attack of issue 14: ask the CRC route to "answer" a whole event, then post the event
/// with that answer as its signature. The CRC answer is X's signature scheme with X's key, so
/// only tokens of X's shape may be signed.
#[tokio::test]
async fn an_event_signed_through_the_crc_route_is_refused_and_changes_nothing() -> anyhow::Result<()> {
    let (app, queue) = app()?;
    for name in ["aaa-tweet-delete.json", "aaa-revoke.json", "aaa-tweet-mention.json"] {
        let (_, body) = fixtures("x")
            .into_iter()
            .find(|(n, _)| n == name)
            .ok_or_else(|| anyhow::anyhow!("no fixture {name}"))?;
        let crc = app
            .clone()
            .oneshot(Request::get(format!("/webhooks/x?crc_token={}", percent_encode(&body))).body(Body::empty())?)
            .await?;
        let status = crc.status();
        let token = json(crc).await?["response_token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert_eq!(status, 400, "{name}: the CRC route signed a JSON body");
        let forged = Request::post("/webhooks/x")
            .header(x::SIGNATURE_HEADER, token)
            .body(Body::from(body))?;
        let response = app.clone().oneshot(forged).await?;
        assert_eq!(response.status(), 401, "{name}");
    }
    // A 200-character token is not X's either, whatever its alphabet.
    let long = app
        .clone()
        .oneshot(Request::get(format!("/webhooks/x?crc_token={}", "a".repeat(200))).body(Body::empty())?)
        .await?;
    assert_eq!(long.status(), 400);
    assert!(queue.receive(10, Duration::ZERO).await?.is_empty(), "nothing enqueued");
    // A genuine mention still goes through afterwards: no revoke was applied.
    let (_, mention) = fixtures("x")
        .into_iter()
        .find(|(n, _)| n == "aaa-tweet-mention.json")
        .ok_or_else(|| anyhow::anyhow!("no mention fixture"))?;
    let answer = json(app.clone().oneshot(signed("x", &mention)?).await?).await?;
    assert_eq!(answer["accepted"], 1, "{answer}");
    Ok(())
}

#[tokio::test]
async fn meta_challenge_echoes_only_a_short_safe_token_as_plain_text() -> anyhow::Result<()> {
    let (app, _) = app()?;
    let url = |challenge: &str| {
        format!(
            "/webhooks/meta?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge={}",
            percent_encode(challenge.as_bytes())
        )
    };
    let ok = app
        .clone()
        .oneshot(Request::get(url("1158201444")).body(Body::empty())?)
        .await?;
    assert_eq!(ok.status(), 200);
    assert_eq!(
        ok.headers().get("x-content-type-options").and_then(|v| v.to_str().ok()),
        Some("nosniff")
    );
    assert_eq!(
        ok.headers().get("content-type").and_then(|v| v.to_str().ok()),
        Some("text/plain; charset=utf-8")
    );
    for echo in ["<script>alert(1)</script>", "{\"a\":1}", &"9".repeat(129)] {
        let response = app
            .clone()
            .oneshot(Request::get(url(echo)).body(Body::empty())?)
            .await?;
        assert_eq!(response.status(), 400, "{echo}");
    }
    Ok(())
}

#[tokio::test]
async fn handshakes_faster_than_a_platform_calls_them_answer_429() -> anyhow::Result<()> {
    let (app, _) = app()?;
    let mut statuses = vec![];
    for _ in 0..(fn_ingest::handshake::BURST as usize + 5) {
        let r = app
            .clone()
            .oneshot(Request::get("/webhooks/x?crc_token=abc").body(Body::empty())?)
            .await?;
        statuses.push(r.status().as_u16());
    }
    assert!(
        statuses
            .iter()
            .take(fn_ingest::handshake::BURST as usize)
            .all(|s| *s == 200),
        "{statuses:?}"
    );
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    Ok(())
}

/// Issue 14: an m.me link is anyone's to craft, so `ref=customer:<id>` links only when the brand
/// signed it (`care ref`); an unsigned, forged or expired ref is acknowledged and links nobody.
#[tokio::test]
async fn only_referrals_the_brand_signed_name_its_customer() -> anyhow::Result<()> {
    let (app, queue) = app()?;
    let (_, fixture) = fixtures("meta")
        .into_iter()
        .find(|(n, _)| n == "messenger-referral-customer.json")
        .ok_or_else(|| anyhow::anyhow!("no referral fixture"))?;
    let fixture = String::from_utf8(fixture)?;
    let now = jiff::Timestamp::now();
    let day = jiff::SignedDuration::from_hours(24);
    let good = socialcare_channels::referral::sign(REFERRAL_KEY.as_bytes(), "CRM-88120", now + day);
    let cases = [
        ("customer:CRM-88120".to_string(), 0),
        (good.replace("CRM-88120", "CRM-88121"), 0),
        (
            socialcare_channels::referral::sign(REFERRAL_KEY.as_bytes(), "CRM-88120", now - day),
            0,
        ),
        (
            socialcare_channels::referral::sign(b"not-the-brands-key-but-32-bytes-long", "CRM-88120", now + day),
            0,
        ),
        (good, 1),
    ];
    for (i, (reference, linked)) in cases.iter().enumerate() {
        // Each delivery its own event (the dedupe key covers the ref).
        let body = fixture
            .replace("customer:CRM-88120", reference)
            .replace("1795431085000", &(1795431085000u64 + i as u64).to_string());
        let answer = json(app.clone().oneshot(signed("meta", body.as_bytes())?).await?).await?;
        assert_eq!(answer["accepted"], *linked, "{reference}: {answer}");
        assert_eq!(answer["ignored"], 1 - *linked, "{reference}: {answer}");
    }
    let changes = drain(&queue).await?;
    assert_eq!(changes.len(), 1);
    assert!(
        matches!(&changes[0], PostChange::Linked { reference, via, .. } if reference == "customer:CRM-88120" && via == "referral"),
        "{changes:?}"
    );
    Ok(())
}

async fn deletion_callback(
    app: &axum::Router,
    host: Option<&str>,
    form: String,
) -> anyhow::Result<(u16, serde_json::Value)> {
    let mut req = Request::post("/webhooks/meta/deletion").header("content-type", "application/x-www-form-urlencoded");
    if let Some(h) = host {
        req = req.header("host", h);
    }
    let res = app.clone().oneshot(req.body(Body::from(form))?).await?;
    let status = res.status().as_u16();
    let body = to_bytes(res.into_body(), 1 << 20).await?;
    Ok((status, serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null)))
}

#[tokio::test]
async fn the_deletion_callback_records_enqueues_and_answers_meta() -> anyhow::Result<()> {
    use socialcare_channels::meta_deletion::sign_request;
    use socialcare_domain::ports::DeletionStore;
    let queue = Arc::new(MemoryQueue::new(QueueConfig::new("received", false)));
    let bus = Arc::new(MemoryBus::new().with(Stream::Received, queue.clone()));
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(SystemClock);
    let secrets = WebhookSecrets {
        meta_app: vec![META_SECRET.into()],
        ..WebhookSecrets::default()
    };
    let with_store = Arc::new(fn_ingest::Ingest {
        service: IngestService::new(store.clone(), bus.clone(), clock.clone(), 14),
        sources: vec![],
        platforms: fn_ingest::Platforms::new(accounts()?, secrets.clone(), health_over(&store)?)
            .with_deletions(store.clone()),
        clock: clock.clone(),
    });
    let app = fn_ingest::router(with_store);
    let signed = sign_request(
        META_SECRET.as_bytes(),
        r#"{"algorithm":"HMAC-SHA256","issued_at":1767225600,"user_id":"6100000000000001"}"#,
    );
    let form = format!("signed_request={signed}");

    // No Host to build the status link from: 400, nothing recorded or enqueued.
    let (status, _) = deletion_callback(&app, None, form.clone()).await?;
    assert_eq!(status, 400);
    assert!(queue.receive(10, Duration::ZERO).await?.is_empty());

    let (status, body) = deletion_callback(&app, Some("abc.lambda-url.eu-west-1.on.aws"), form.clone()).await?;
    assert_eq!(status, 200, "{body}");
    let code = body["confirmation_code"].as_str().unwrap_or_default().to_string();
    assert_eq!(
        body["url"],
        format!("https://abc.lambda-url.eu-west-1.on.aws/deletion/{code}")
    );
    assert!(store.deletion(&code).await?.is_some(), "recorded before the answer");
    let got = queue.receive(10, Duration::ZERO).await?;
    assert_eq!(got.len(), 1);
    let envelope: Envelope = serde_json::from_str(&got[0].body)?;
    let Event::PostReceived(PostChange::AuthorGone { authors, request, .. }) = envelope.event else {
        anyhow::bail!("not an AuthorGone: {:?}", envelope.event)
    };
    let authors: Vec<String> = authors.iter().map(ToString::to_string).collect();
    assert_eq!(
        authors,
        [
            "facebook:6100000000000001",
            "messenger:6100000000000001",
            "instagram:6100000000000001"
        ]
    );
    assert_eq!(request.as_deref(), Some(code.as_str()));

    // An instance that keeps no deletion requests cannot honour one: 503, not a silent 200.
    let without = Arc::new(fn_ingest::Ingest {
        service: IngestService::new(store.clone(), bus, clock.clone(), 14),
        sources: vec![],
        platforms: fn_ingest::Platforms::new(accounts()?, secrets, health_over(&store)?),
        clock,
    });
    let (status, _) = deletion_callback(&fn_ingest::router(without), Some("h.example"), form).await?;
    assert_eq!(status, 503);
    Ok(())
}
