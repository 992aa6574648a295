//! Bad input at the front doors: each gets a clear 4xx with a problem body, nothing is stored,
//! and nothing panics.

use serde_json::Value;
use socialcare_domain::Role;
use socialcare_system_tests::{FORUM_SECRET, TestStack, config, created};
use std::time::Duration;

async fn problem(r: reqwest::Response) -> (u16, Option<String>, Value) {
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (status, ct, r.json().await.unwrap_or(Value::Null))
}

fn assert_problem(got: &(u16, Option<String>, Value), status: u16) {
    assert_eq!(got.0, status, "{got:?}");
    assert_eq!(got.1.as_deref(), Some("application/problem+json"), "{got:?}");
    assert_eq!(got.2["status"], status, "{got:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_refuse_what_is_not_signed_or_not_valid() -> anyhow::Result<()> {
    let t = TestStack::start(&config("http://127.0.0.1:9/replies", 3600)).await?;
    let body = created("p-1", "u-1", "someone", "My order never arrived, please help").to_string();
    let now = jiff::Timestamp::now().as_second();
    let sign = |id: &str, ts: i64, b: &str| {
        socialcare_channels::generic::sign(FORUM_SECRET, id, ts, b.as_bytes()).unwrap_or_default()
    };
    let send = |id: &str, ts: String, sig: Option<String>, b: String| {
        let mut req = t
            .http
            .post(t.url("/webhooks/generic"))
            .header("webhook-id", id)
            .header("webhook-timestamp", ts)
            .body(b);
        if let Some(s) = sig {
            req = req.header("webhook-signature", s);
        }
        req.send()
    };

    // Wrong signature, missing signature, a signature by another key, a stale timestamp.
    assert_problem(
        &problem(send("m1", now.to_string(), Some("v1,AAAA".into()), body.clone()).await?).await,
        401,
    );
    assert_problem(
        &problem(send("m1", now.to_string(), None, body.clone()).await?).await,
        401,
    );
    let other =
        socialcare_channels::generic::sign("whsec_b3RoZXIta2V5", "m1", now, body.as_bytes()).unwrap_or_default();
    assert_problem(
        &problem(send("m1", now.to_string(), Some(other), body.clone()).await?).await,
        401,
    );
    let stale = now - 600;
    assert_problem(
        &problem(send("m1", stale.to_string(), Some(sign("m1", stale, &body)), body.clone()).await?).await,
        401,
    );
    // Tampered body under a valid signature.
    let tampered = body.replace("never arrived", "arrived");
    assert_problem(
        &problem(send("m1", now.to_string(), Some(sign("m1", now, &body)), tampered).await?).await,
        401,
    );

    // Signed but malformed JSON, an unknown type, and a body over 1 MiB.
    let bad = "{\"type\": \"post.created\", ";
    assert_problem(
        &problem(send("m2", now.to_string(), Some(sign("m2", now, bad)), bad.into()).await?).await,
        400,
    );
    let unknown = body.replace("post.created", "post.liked");
    assert_problem(
        &problem(send("m3", now.to_string(), Some(sign("m3", now, &unknown)), unknown).await?).await,
        400,
    );
    let huge = format!("{{\"pad\":\"{}\"}}", "x".repeat(1024 * 1024 + 10));
    assert_problem(
        &problem(send("m4", now.to_string(), Some(sign("m4", now, &huge)), huge).await?).await,
        413,
    );

    // Same id, different body: refused, not applied.
    assert_eq!(
        send("m5", now.to_string(), Some(sign("m5", now, &body)), body.clone())
            .await?
            .status()
            .as_u16(),
        200
    );
    let other_body = created("p-2", "u-1", "someone", "something else").to_string();
    assert_problem(
        &problem(send("m5", now.to_string(), Some(sign("m5", now, &other_body)), other_body).await?).await,
        409,
    );

    // Only the one good post made it in.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let cases = t.wait_cases(Duration::from_secs(5), |cs| !cs.is_empty()).await?;
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0]["post_ids"], serde_json::json!(["generic:forum:p-1"]));
    t.stack.stop();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_authenticates_every_call_and_authorizes_per_case() -> anyhow::Result<()> {
    let t = TestStack::start(&config("http://127.0.0.1:9/replies", 3600)).await?;
    // No token, a garbage token, a token signed with another key.
    assert_problem(&problem(t.http.get(t.url("/v1/cases")).send().await?).await, 401);
    assert_problem(
        &problem(t.http.get(t.url("/v1/cases")).bearer_auth("nonsense").send().await?).await,
        401,
    );
    let forged = socialcare_kit::auth::mint(
        b"another-key",
        &socialcare_domain::AgentId::parse("sam")?,
        Role::Supervisor,
        jiff::Timestamp::now(),
        60,
    )
    .unwrap_or_default();
    assert_problem(
        &problem(t.http.get(t.url("/v1/alerts")).bearer_auth(forged).send().await?).await,
        401,
    );

    // An English case goes to ben; ana may not read it (404) or act on it (403).
    let (status, _) = t
        .webhook(
            "m1",
            &created(
                "p-1",
                "u-1",
                "tara",
                "My Acme laptop is broken and will not turn on, please help me",
            ),
        )
        .await?;
    assert_eq!(status, 200);
    let cases = t
        .wait_cases(Duration::from_secs(10), |cs| {
            cs.first().is_some_and(|c| c["assignee"] == "ben")
        })
        .await?;
    let id = cases[0]["id"].as_str().unwrap_or_default().to_string();
    assert_eq!(t.get(&format!("/v1/cases/{id}"), "ana", Role::Agent).await?.0, 404);
    assert_eq!(
        t.post(
            &format!("/v1/cases/{id}/replies"),
            "ana",
            Role::Agent,
            Some(serde_json::json!({"text": "hi"}))
        )
        .await?
        .0,
        403
    );
    assert_eq!(
        t.post(&format!("/v1/cases/{id}/resolve"), "ana", Role::Agent, None)
            .await?
            .0,
        403
    );
    assert_eq!(
        t.post(
            &format!("/v1/cases/{id}/pending"),
            "ana",
            Role::Agent,
            Some(serde_json::json!({"reason": "waiting"}))
        )
        .await?
        .0,
        403
    );
    assert_eq!(
        t.post("/v1/cases/case-nope/resolve", "ana", Role::Agent, None).await?.0,
        404,
        "a case that does not exist"
    );
    let (status, body) = t.get("/v1/cases", "ana", Role::Agent).await?;
    assert_eq!((status, body["cases"].as_array().map(Vec::len)), (200, Some(0)));
    assert_eq!(
        t.get("/v1/alerts", "ana", Role::Agent).await?.0,
        403,
        "alerts are for supervisors"
    );

    // Malformed bodies and ids get problems; an empty queue answers 204.
    let r = t
        .http
        .post(t.url(&format!("/v1/cases/{id}/replies")))
        .bearer_auth(TestStack::token("ben", Role::Agent))
        .body("{oops")
        .send()
        .await?;
    assert_problem(&problem(r).await, 400);
    assert_eq!(
        t.post(
            &format!("/v1/cases/{id}/replies"),
            "ben",
            Role::Agent,
            Some(serde_json::json!({"text": "   "}))
        )
        .await?
        .0,
        422
    );
    assert_eq!(t.get("/v1/cases?status=bogus", "ben", Role::Agent).await?.0, 400);
    assert_eq!(t.post("/v1/queue/claim", "ana", Role::Agent, None).await?.0, 204);
    assert_eq!(
        t.get("/v1/cases/case-does-not-exist", "sam", Role::Supervisor).await?.0,
        404
    );
    // The OpenAPI document is public and valid JSON.
    let doc: Value = t.http.get(t.url("/v1/openapi.json")).send().await?.json().await?;
    assert_eq!(doc["openapi"], "3.1.0");
    t.stack.stop();
    Ok(())
}
