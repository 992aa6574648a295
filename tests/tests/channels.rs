//! Channel health through the whole local stack, HTTP only: an X reply refused with 401 (the
//! token stopped working) becomes one `channel.alert.v1` on the alert webhook and the alert log
//! (the ticker checks every tick here, every minute on AWS: within the 5-minute bar), and
//! `GET /v1/channels` shows the account as token failing to supervisors only; a supervisor can
//! enable an account again (audited).

use serde_json::{Value, json};
use socialcare_channels::platforms::Endpoints;
use socialcare_domain::Role;
use socialcare_system_tests::{TestStack, config};
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use socialcare_system_tests::platform_webhooks::{X_SECRET, deliver, fixture};
const ACCOUNT: &str = "1580000000000000001";

const CHANNELS: &str = r#"
[[channels.x]]
name = "brand"
user_id = "1580000000000000001"
handle = "AcmeCare"
consumer_secret_env = "X_SECRET"
access_token_env = "X_TOKEN"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_alerts_once_and_shows_on_the_channels_page() -> anyhow::Result<()> {
    let api = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}),
        ))
        .mount(&api)
        .await;
    let hook = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&hook)
        .await;
    let text = format!("{}{CHANNELS}", config("http://127.0.0.1:9/replies", 600));
    let t = TestStack::start_full(
        &text,
        &format!("{}/alerts", hook.uri()),
        Endpoints {
            x_api: api.uri(),
            graph_api: format!("{}/v21.0", api.uri()),
        },
        &[("X_SECRET", X_SECRET), ("X_TOKEN", "x-brand-token")],
    )
    .await?;

    // Before anything: the configured account is listed, active; agents may not look.
    let (status, _) = t.get("/v1/channels", "ben", Role::Agent).await?;
    assert_eq!(status, 403);
    let (status, page) = t.get("/v1/channels", "sam", Role::Supervisor).await?;
    assert_eq!(status, 200, "{page}");
    let x_of = |page: &Value| {
        page["channels"]
            .as_array()
            .and_then(|cs| {
                cs.iter()
                    .find(|c| c["platform"] == "x" && c["account"] == ACCOUNT)
                    .cloned()
            })
            .unwrap_or_default()
    };
    assert_eq!(x_of(&page)["state"], "active", "{page}");

    deliver(&t, "x", fixture("x", "aaa-tweet-mention.json")?).await?;
    let cases = t
        .wait_cases(Duration::from_secs(10), |cs| {
            cs.len() == 1 && !cs[0]["assignee"].is_null()
        })
        .await?;
    let case_id = cases[0]["id"].as_str().unwrap_or_default().to_string();
    let agent = cases[0]["assignee"].as_str().unwrap_or_default().to_string();
    for _ in 0..2 {
        let (status, _) = t
            .post(
                &format!("/v1/cases/{case_id}/replies"),
                &agent,
                Role::Agent,
                Some(json!({"text": "Sorry! Please DM us your order number."})),
            )
            .await?;
        assert_eq!(status, 202);
    }

    // One alert for the incident, however many replies fail and ticks pass.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while t.alerts_seen.channel_alerts().is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let alerts = t.alerts_seen.channel_alerts();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(
        (alerts[0].platform.as_str(), alerts[0].account.as_str()),
        ("x", ACCOUNT)
    );
    let posted = hook.received_requests().await.unwrap_or_default();
    let bodies: Vec<Value> = posted
        .iter()
        .filter_map(|r| serde_json::from_slice::<Value>(&r.body).ok())
        .filter(|b| b["alert"]["type"] == "channel.alert.v1")
        .collect();
    assert_eq!(bodies.len(), 1, "the alert webhook got it once");
    assert!(bodies[0]["text"].as_str().unwrap_or_default().contains("access token"));

    let (_, page) = t.get("/v1/channels", "sam", Role::Supervisor).await?;
    let x = x_of(&page);
    assert_eq!(x["state"], "token_failing", "{page}");
    assert_eq!(x["failures"]["token"]["count"], 2, "{x}");
    assert!(x["last_webhook_at"].is_string(), "{x}");
    assert!(x["incidents"]["token"]["started_at"].is_string(), "{x}");
    assert_eq!(page["alerts"].as_array().map(Vec::len), Some(1));

    // Enabling: supervisors only, known accounts only, audited.
    let enable = format!("/v1/channels/x/{ACCOUNT}/enable");
    let (status, _) = t.post(&enable, "ben", Role::Agent, None).await?;
    assert_eq!(status, 403);
    let (status, _) = t
        .post("/v1/channels/x/999/enable", "sam", Role::Supervisor, None)
        .await?;
    assert_eq!(status, 404);
    let (status, _) = t
        .post("/v1/channels/myspace/1/enable", "sam", Role::Supervisor, None)
        .await?;
    assert_eq!(status, 400);
    let (status, record) = t.post(&enable, "sam", Role::Supervisor, None).await?;
    assert_eq!(status, 200, "{record}");
    assert_eq!(record["audit"][0]["by"], "sam");
    assert_eq!(record["audit"][0]["action"], "enabled");
    t.stack.stop();
    Ok(())
}
