//! X and Messenger through the whole local stack, HTTP only: signed platform webhooks become
//! cases routed by language; an agent's X reply reaches a fake X API as the documented request
//! and its echo is recognised (not a second message); the page answering in Messenger's own
//! inbox joins the case as the brand's answer and stops the first-response clock.

use serde_json::{Value, json};
use socialcare_channels::platforms::Endpoints;
use socialcare_domain::Role;
use socialcare_system_tests::{TestStack, config};
use std::time::Duration;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use socialcare_system_tests::platform_webhooks::{META_SECRET, X_SECRET, deliver, fixture};

const CHANNELS: &str = r#"
[[channels.x]]
name = "brand"
user_id = "1580000000000000001"
handle = "AcmeCare"
consumer_secret_env = "X_SECRET"
access_token_env = "X_TOKEN"

[[channels.facebook]]
name = "acme"
page_id = "104000000000001"
app_secret_env = "META_SECRET"
verify_token_env = "META_VERIFY"
access_token_env = "PAGE_TOKEN"
"#;

fn on_channel<'a>(cases: &'a [Value], channel: &str) -> Option<&'a Value> {
    cases.iter().find(|c| c["channel"] == channel)
}

async fn case(t: &TestStack, id: &str, agent: &str) -> anyhow::Result<Value> {
    let (status, case) = t.get(&format!("/v1/cases/{id}"), agent, Role::Agent).await?;
    anyhow::ensure!(status == 200, "{status} {case}");
    Ok(case)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x_and_messenger_in_and_out() -> anyhow::Result<()> {
    let api = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .and(header("authorization", "Bearer x-brand-token"))
        .and(body_partial_json(
            json!({"reply": {"in_reply_to_tweet_id": "2070000000000000101"}}),
        ))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"data": {"id": "2070000000000000120", "text": "…"}})),
        )
        .expect(1)
        .mount(&api)
        .await;
    let text = format!("{}{CHANNELS}", config("http://127.0.0.1:9/replies", 600));
    let t = TestStack::start_full(
        &text,
        "http://127.0.0.1:9/alerts",
        Endpoints {
            x_api: api.uri(),
            graph_api: format!("{}/v21.0", api.uri()),
        },
        &[
            ("X_SECRET", X_SECRET),
            ("X_TOKEN", "x-brand-token"),
            ("META_SECRET", META_SECRET),
            ("META_VERIFY", "system-test-verify"),
            ("PAGE_TOKEN", "page-token"),
        ],
    )
    .await?;

    // An English mention on X and a Spanish Messenger message.
    assert_eq!(
        deliver(&t, "x", fixture("x", "aaa-tweet-mention.json")?).await?["accepted"],
        1
    );
    assert_eq!(
        deliver(&t, "meta", fixture("meta", "messenger-message.json")?).await?["accepted"],
        1
    );
    let cases = t
        .wait_cases(Duration::from_secs(10), |cs| {
            cs.len() == 2 && cs.iter().all(|c| !c["assignee"].is_null())
        })
        .await?;
    let on_x = on_channel(&cases, "x").cloned().unwrap_or_default();
    let on_messenger = on_channel(&cases, "messenger").cloned().unwrap_or_default();
    assert_eq!(
        (on_x["language"].as_str(), on_x["assignee"].as_str()),
        (Some("en"), Some("ben")),
        "{on_x:#}"
    );
    assert_eq!(
        (on_messenger["language"].as_str(), on_messenger["assignee"].as_str()),
        (Some("es"), Some("ana")),
        "{on_messenger:#}"
    );
    let x_id = on_x["id"].as_str().unwrap_or_default().to_string();
    let m_id = on_messenger["id"].as_str().unwrap_or_default().to_string();
    let thread = case(&t, &x_id, "ben").await?;
    assert_eq!(thread["posts"][0]["author"]["handle"], "marta_ferreira");

    // Ben answers on X: the fake X API gets the reply to the customer's tweet.
    let (status, _) = t
        .post(
            &format!("/v1/cases/{x_id}/replies"),
            "ben",
            Role::Agent,
            Some(json!({"text": "Sorry about that! Please DM us your order number."})),
        )
        .await?;
    assert_eq!(status, 202);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let c = case(&t, &x_id, "ben").await?;
        let sent = c["posts"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["delivery"]["state"] == "sent");
        if let Some(sent) = sent {
            assert_eq!(sent["delivery"]["platform_id"], "2070000000000000120", "{sent:#}");
            break;
        }
        anyhow::ensure!(tokio::time::Instant::now() < deadline, "X reply not sent: {c:#}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // X echoes our tweet back through the webhook: recognised, not a second message.
    assert_eq!(
        deliver(&t, "x", fixture("x", "aaa-tweet-echo.json")?).await?["accepted"],
        1
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(case(&t, &x_id, "ben").await?["posts"].as_array().map(Vec::len), Some(2));

    // The page answers in Messenger's own inbox: the echo joins Ana's case and meets the target.
    assert_eq!(
        deliver(&t, "meta", fixture("meta", "messenger-echo.json")?).await?["accepted"],
        1
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let c = case(&t, &m_id, "ana").await?;
        if c["posts"].as_array().map(Vec::len) == Some(2) {
            assert_eq!(c["posts"][1]["text"], "Lo sentimos mucho. Te enviamos uno nuevo hoy.");
            assert!(!c["first_response_at"].is_null(), "{c:#}");
            assert_eq!(c["sla"][0]["state"], "met", "{c:#}");
            break;
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "brand message not on the case: {c:#}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}
