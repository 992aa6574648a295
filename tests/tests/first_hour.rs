//! What a newcomer meets first, through the front door: `GET /`, errors as problem JSON even
//! where axum rejects the request before a handler (query strings, JSON bodies, unknown routes),
//! bad tokens explained in words, case lists an agent can pick from, and a waiting case that
//! says why it waits.

use serde_json::Value;
use socialcare_domain::Role;
use socialcare_system_tests::{TestStack, config, created};
use std::time::Duration;

async fn raw(req: reqwest::RequestBuilder) -> anyhow::Result<(u16, String, Value)> {
    let r = req.send().await?;
    let status = r.status().as_u16();
    let kind = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    Ok((status, kind, r.json().await.unwrap_or(Value::Null)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_hour_through_the_front_door() -> anyhow::Result<()> {
    let t = TestStack::start(&config("http://127.0.0.1:9/replies", 600)).await?;
    let sam = TestStack::token("sam", Role::Supervisor);

    let (status, _, index) = raw(t.http.get(t.url("/"))).await?;
    assert_eq!(status, 200);
    assert_eq!(index["links"]["openapi"], "/v1/openapi.json");
    assert_eq!(raw(t.http.get(t.url("/health"))).await?.0, 200);

    // Rejections axum makes before any handler runs are problem JSON too.
    for (req, want) in [
        (t.http.get(t.url("/v1/cases?limit=abc")).bearer_auth(&sam), 400),
        (t.http.get(t.url("/v1/alerts?limit=-1")).bearer_auth(&sam), 400),
        (t.http.get(t.url("/v1/no-such-route")).bearer_auth(&sam), 404),
        (t.http.delete(t.url("/v1/cases")).bearer_auth(&sam), 405),
        (t.http.post(t.url("/webhooks/generic")).body("{}"), 401),
    ] {
        let (status, kind, body) = raw(req).await?;
        assert_eq!(status, want, "{body}");
        assert_eq!(kind, "application/problem+json", "{status}: {body}");
        assert_eq!(body["status"], want);
    }
    let (_, _, body) = raw(t.http.get(t.url("/v1/cases?limit=abc")).bearer_auth(&sam)).await?;
    assert!(body["detail"].as_str().is_some_and(|d| d.contains("limit")), "{body}");

    // A bad token is explained in words.
    let (status, _, body) = raw(t.http.get(t.url("/v1/me")).bearer_auth("not-a-token")).await?;
    assert_eq!(status, 401);
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("not a JWT") && !detail.contains("InvalidToken"),
        "{detail}"
    );
    let (_, _, body) = raw(t.http.get(t.url("/v1/me"))).await?;
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("Authorization: Bearer")),
        "{body}"
    );

    // An English case goes to ben; a German one waits (nobody speaks German) and says why.
    let en = created(
        "p-en",
        "u-en",
        "tara",
        "My laptop died and nobody answers, can you please help me repair it?",
    );
    let de = created(
        "p-de",
        "u-de",
        "klaus",
        "Mein Laptop ist kaputt und niemand antwortet, können Sie mir bitte bei der Reparatur helfen?",
    );
    assert_eq!(t.webhook("m-en", &en).await?.0, 200);
    assert_eq!(t.webhook("m-de", &de).await?.0, 200);
    let cases = t
        .wait_cases(Duration::from_secs(15), |cs| {
            cs.len() == 2
                && cs.iter().any(|c| c["assignee"] == "ben")
                && cs.iter().all(|c| !c["sla"].as_array().is_none_or(Vec::is_empty))
        })
        .await?;
    let assigned = cases
        .iter()
        .find(|c| c["assignee"] == "ben")
        .cloned()
        .unwrap_or_default();
    assert_eq!(assigned["customer_handle"], "tara");
    assert!(
        assigned["snippet"]
            .as_str()
            .is_some_and(|s| s.starts_with("My laptop died"))
    );
    assert_eq!(assigned["channel"], "generic");
    assert_eq!(assigned["sla_next"]["target"], "first_response");
    assert!(
        assigned["sla_next"]["left_secs"]
            .as_i64()
            .is_some_and(|s| s > 500 && s <= 600),
        "{assigned}"
    );

    let waiting = cases
        .iter()
        .find(|c| c["assignee"].is_null())
        .cloned()
        .unwrap_or_default();
    let id = waiting["id"].as_str().unwrap_or_default();
    let (status, routing) = t
        .get(&format!("/v1/cases/{id}/routing"), "sam", Role::Supervisor)
        .await?;
    assert_eq!(status, 200, "{routing}");
    assert!(routing["waiting_since"].is_string(), "{routing}");
    assert!(!routing["decisions"].as_array().is_none_or(Vec::is_empty), "{routing}");
    let why = routing["why_waiting"].as_str().unwrap_or_default();
    assert!(why.contains("ben does not speak de"), "{why}");
    t.stack.stop();
    Ok(())
}
