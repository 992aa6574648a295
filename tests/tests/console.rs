//! What the console relies on, through HTTP: lists answer 304 to `If-None-Match` while nothing
//! changed (the page polls them), a reply with a stale `If-Match` is refused with 412 before
//! anything goes out, the waiting queue comes in claim order, and `/console` without a build
//! says how to make one.

use serde_json::{Value, json};
use socialcare_domain::Role;
use socialcare_system_tests::{TestStack, config, created};
use std::time::Duration;

async fn get_if(t: &TestStack, path: &str, etag: Option<&str>) -> anyhow::Result<(u16, Option<String>)> {
    let mut req = reqwest::Client::new()
        .get(t.url(path))
        .bearer_auth(TestStack::token("sam", Role::Supervisor));
    if let Some(tag) = etag {
        req = req.header("if-none-match", tag);
    }
    let r = req.send().await?;
    let tag = r
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    Ok((r.status().as_u16(), tag))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_replies_and_the_console_route() -> anyhow::Result<()> {
    let t = TestStack::start(&config("http://127.0.0.1:9/replies", 3600)).await?;
    // Ben is away: English cases wait for a claim.
    let (status, _) = t
        .http_put(
            "/v1/agents/ben/presence",
            "ben",
            Role::Agent,
            json!({"presence": "away"}),
        )
        .await?;
    assert_eq!(status, 200);
    let (status, _) = t
        .webhook(
            "w1",
            &created("c1", "u1", "casey", "My Acme laptop stopped charging, please help me"),
        )
        .await?;
    assert_eq!(status, 200);
    t.wait_cases(Duration::from_secs(10), |c| c.len() == 1).await?;

    // Unchanged list: 304 and no body; a change: 200 and another tag.
    let (status, tag) = get_if(&t, "/v1/cases?waiting=true", None).await?;
    let tag = tag.unwrap_or_default();
    assert_eq!(status, 200);
    assert!(tag.starts_with("W/\""), "{tag}");
    assert_eq!(get_if(&t, "/v1/cases?waiting=true", Some(&tag)).await?.0, 304);
    let (status, _) = t
        .webhook(
            "w2",
            &created(
                "c2",
                "u2",
                "dana",
                "URGENT: I was charged twice for my order, refund me now",
            ),
        )
        .await?;
    assert_eq!(status, 200);
    t.wait_cases(Duration::from_secs(10), |c| c.len() == 2).await?;
    let (status, fresh) = get_if(&t, "/v1/cases?waiting=true", Some(&tag)).await?;
    assert_eq!(status, 200);
    assert_ne!(fresh.as_deref(), Some(tag.as_str()));
    let (status, alerts_tag) = get_if(&t, "/v1/alerts", None).await?;
    assert_eq!(status, 200);
    assert_eq!(get_if(&t, "/v1/alerts", alerts_tag.as_deref()).await?.0, 304);

    // The queue in claim order: priority, then the longest wait.
    let (_, waiting) = t.get("/v1/cases?waiting=true", "ben", Role::Agent).await?;
    let keys: Vec<(String, String)> = waiting["cases"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| (str_of(&c["priority"]), str_of(&c["created_at"])))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(keys.len(), 2);
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);

    // If-Match: a stale version is refused, the current one answers, garbage is a 400.
    let (status, case) = t.post("/v1/queue/claim", "ben", Role::Agent, None).await?;
    assert_eq!(status, 200);
    let id = str_of(&case["id"]);
    let version = case["version"].as_u64().unwrap_or_default();
    let reply = |if_match: String| {
        reqwest::Client::new()
            .post(t.url(&format!("/v1/cases/{id}/replies")))
            .bearer_auth(TestStack::token("ben", Role::Agent))
            .header("if-match", if_match)
            .header("idempotency-key", "k-1")
            .json(&json!({"text": "On it"}))
            .send()
    };
    let stale = reply(format!("\"{}\"", version.saturating_sub(1))).await?;
    assert_eq!(stale.status().as_u16(), 412);
    assert_eq!(
        stale.headers().get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    let (_, unchanged) = t.get(&format!("/v1/cases/{id}"), "ben", Role::Agent).await?;
    assert_eq!(unchanged["posts"].as_array().map(Vec::len), Some(1), "412 sent nothing");
    assert_eq!(reply("abc".into()).await?.status().as_u16(), 400);
    assert_eq!(reply(format!("W/\"{version}\"")).await?.status().as_u16(), 202);

    // No console build in this stack: a 404 problem that says what to do; no dev sign-in.
    let r = reqwest::get(t.url("/console/")).await?;
    assert_eq!(r.status().as_u16(), 404);
    assert!(r.text().await?.contains("make console"));
    assert_eq!(reqwest::get(t.url("/dev/sign-in")).await?.status().as_u16(), 404);
    Ok(())
}

fn str_of(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}
