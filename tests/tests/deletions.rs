//! Platform deletions through the whole local stack, HTTP only: Meta's data deletion request
//! callback (forged, unsigned and wrong-algorithm requests change nothing; a signed one redacts
//! the person's posts, withdraws their case and its status page says completed) and X's user
//! events (a protected account's posts are redacted the same way).

use serde_json::{Value, json};
use socialcare_channels::meta_deletion;
use socialcare_channels::platforms::Endpoints;
use socialcare_domain::Role;
use socialcare_domain::post::REDACTED;
use socialcare_system_tests::{Backend, TestStack, config};
use std::time::Duration;

use socialcare_system_tests::platform_webhooks::{META_SECRET, X_SECRET, deliver, fixture};

const CHANNELS: &str = r#"
[[channels.x]]
name = "brand"
user_id = "1580000000000000001"
handle = "AcmeCare"
consumer_secret_env = "X_SECRET"

[[channels.facebook]]
name = "acme"
page_id = "104000000000001"
app_secret_env = "META_SECRET"
verify_token_env = "META_VERIFY"
"#;

/// The Messenger sender of `events/meta/messenger-message.json` and the X author of
/// `events/x/aaa-tweet-mention.json`.
const MESSENGER_USER: &str = "6100000000000001";
const X_USER: &str = "2950000000000000011";

async fn callback(t: &TestStack, form: String) -> anyhow::Result<(u16, Value)> {
    let r = t
        .http
        .post(t.url("/webhooks/meta/deletion"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await?;
    let status = r.status().as_u16();
    Ok((status, r.json().await.unwrap_or(Value::Null)))
}

/// The case as a supervisor reads it, without the fields that move with the clock.
async fn case(t: &TestStack, id: &str) -> anyhow::Result<Value> {
    let (status, mut case) = t.get(&format!("/v1/cases/{id}"), "sam", Role::Supervisor).await?;
    anyhow::ensure!(status == 200, "{status} {case}");
    if let Some(c) = case.as_object_mut() {
        c.remove("sla");
        c.remove("sla_next");
    }
    Ok(case)
}

/// Polls the case until `pred` holds (the redaction runs through the queues).
async fn wait_case(t: &TestStack, id: &str, pred: impl Fn(&Value) -> bool) -> anyhow::Result<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let c = case(t, id).await?;
        if pred(&c) {
            return Ok(c);
        }
        anyhow::ensure!(tokio::time::Instant::now() < deadline, "case never got there: {c:#}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn withdrawn_reason(case: &Value) -> Option<String> {
    case["history"]
        .as_array()?
        .iter()
        .find(|e| e["type"] == "post_withdrawn")
        .and_then(|e| e["reason"].as_str().map(str::to_string))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletion_callback_and_x_user_events_redact_and_forgeries_change_nothing() -> anyhow::Result<()> {
    scenario(Backend::Memory).await
}

/// The same on DynamoDB (moto): the author index, the deletion items, the case writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_dynamodb_too() -> anyhow::Result<()> {
    match Backend::moto()? {
        Some(backend) => scenario(backend).await,
        None => Ok(()),
    }
}

async fn scenario(backend: Backend) -> anyhow::Result<()> {
    let text = format!("{}{CHANNELS}", config("http://127.0.0.1:9/replies", 600));
    let t = TestStack::start_on(
        backend,
        &text,
        "http://127.0.0.1:9/alerts",
        Endpoints::default(),
        &[
            ("X_SECRET", X_SECRET),
            ("META_SECRET", META_SECRET),
            ("META_VERIFY", "system-test-verify"),
        ],
    )
    .await?;
    deliver(&t, "meta", fixture("meta", "messenger-message.json")?).await?;
    deliver(&t, "x", fixture("x", "aaa-tweet-mention.json")?).await?;
    let cases = t.wait_cases(Duration::from_secs(10), |cs| cs.len() == 2).await?;
    let id_on = |channel: &str| {
        cases
            .iter()
            .find(|c| c["channel"] == channel)
            .and_then(|c| c["id"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    let (messenger_case, x_case) = (id_on("messenger"), id_on("x"));
    let before = case(&t, &messenger_case).await?;
    assert!(
        before["posts"][0]["text"]
            .as_str()
            .is_some_and(|s| s.contains("A-99120"))
    );

    // Forged, unsigned, tampered and wrong-algorithm callbacks: 401, and nothing changes.
    let payload =
        json!({"algorithm": "HMAC-SHA256", "issued_at": 1_767_225_600, "user_id": MESSENGER_USER}).to_string();
    let forged = meta_deletion::sign_request(b"not-the-app-secret", &payload);
    let md5 = meta_deletion::sign_request(
        META_SECRET.as_bytes(),
        &json!({"algorithm": "HMAC-MD5", "user_id": MESSENGER_USER}).to_string(),
    );
    let good = meta_deletion::sign_request(META_SECRET.as_bytes(), &payload);
    let (sig, _) = good.split_once('.').unwrap_or_default();
    let tampered = format!(
        "{sig}.{}",
        meta_deletion::sign_request(b"x", &payload.replace(MESSENGER_USER, "6100000000000002"))
            .split_once('.')
            .map(|(_, p)| p)
            .unwrap_or_default()
    );
    for (what, form) in [
        ("forged", format!("signed_request={forged}")),
        ("unsigned", format!("user_id={MESSENGER_USER}")),
        ("tampered", format!("signed_request={tampered}")),
        ("wrong algorithm", format!("signed_request={md5}")),
    ] {
        let (status, body) = callback(&t, form).await?;
        assert_eq!(status, 401, "{what}: {body}");
        assert!(body["detail"].is_string(), "{what}: a problem body: {body}");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        case(&t, &messenger_case).await?,
        before,
        "a refused callback changed the case"
    );
    let post_id = before["posts"][0]["id"].as_str().unwrap_or_default();
    let stored = t
        .ports
        .posts
        .get(&socialcare_domain::PostId::parse(post_id)?)
        .await?
        .ok_or_else(|| anyhow::anyhow!("post {post_id} not stored"))?;
    assert!(
        !stored.deleted && stored.text.contains("A-99120"),
        "a refused callback redacted the post"
    );

    // The signed callback: {url, confirmation_code}, the post redacted, the case withdrawn.
    let (status, answer) = callback(&t, format!("signed_request={good}")).await?;
    assert_eq!(status, 200, "{answer}");
    let code = answer["confirmation_code"].as_str().unwrap_or_default().to_string();
    assert_eq!(code.len(), 32, "{answer}");
    let url = answer["url"].as_str().unwrap_or_default().to_string();
    assert_eq!(url, t.url(&format!("/deletion/{code}")));
    let after = wait_case(&t, &messenger_case, |c| {
        c["posts"][0]["deleted"] == true && c["status"] == "resolved"
    })
    .await?;
    assert_eq!(after["posts"][0]["text"], REDACTED);
    assert_eq!(
        withdrawn_reason(&after).as_deref(),
        Some("meta.data_deletion"),
        "{after:#}"
    );
    assert!(
        !after.to_string().contains("A-99120"),
        "the text is gone from the case view"
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let page = loop {
        let page: Value = t.http.get(&url).send().await?.json().await?;
        if page["status"] == "completed" || tokio::time::Instant::now() > deadline {
            break page;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(page["status"], "completed", "{page}");
    assert_eq!(page["posts_redacted"], 1, "{page}");
    assert!(
        !page.to_string().contains(MESSENGER_USER),
        "no personal data on the status page"
    );
    let unknown = t
        .http
        .get(t.url(&format!("/deletion/{}", "0".repeat(32))))
        .send()
        .await?;
    assert_eq!(unknown.status().as_u16(), 404);

    // The X case is untouched by Meta's request; the author going protected redacts it.
    let x_before = case(&t, &x_case).await?;
    assert_eq!(x_before["posts"][0]["deleted"], false);
    let protect =
        json!({"user_event": {"user_protect": {"user": {"id_str": X_USER}, "date_time": "2026-12-05T00:00:00+00:00"}}});
    let answer = deliver(&t, "x", serde_json::to_vec(&protect)?).await?;
    assert_eq!(answer["accepted"], 1, "{answer}");
    let x_after = wait_case(&t, &x_case, |c| {
        c["posts"][0]["deleted"] == true && withdrawn_reason(c).is_some()
    })
    .await?;
    assert_eq!(x_after["posts"][0]["text"], REDACTED);
    assert_eq!(
        withdrawn_reason(&x_after).as_deref(),
        Some("x.user_protect"),
        "{x_after:#}"
    );
    t.stack.stop();
    Ok(())
}
