//! Sizes at the edge (issue 14): the same oversized generic post gets the same 4xx on the memory
//! backend and on DynamoDB/SQS (moto), before anything is stored or enqueued. Before, DynamoDB
//! answered 200 and parked the post (item or index key too large), 500 for a long `webhook-id`,
//! while memory took all three: the backends disagreed.

use jiff::Timestamp;
use serde_json::Value;
use socialcare_domain::Role;
use socialcare_system_tests::{Backend, FORUM_SECRET, TestStack, config, created};
use std::time::Duration;

/// Signs and posts `body` under `webhook_id`; (status, content type, problem detail).
async fn send(t: &TestStack, webhook_id: &str, body: &Value) -> anyhow::Result<(u16, String, String)> {
    let raw = body.to_string();
    let ts = Timestamp::now().as_second();
    let sig = socialcare_channels::generic::sign(FORUM_SECRET, webhook_id, ts, raw.as_bytes())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let r = t
        .http
        .post(t.url("/webhooks/generic"))
        .header("webhook-id", webhook_id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", sig)
        .body(raw)
        .send()
        .await?;
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    Ok((status, ct, body["detail"].as_str().unwrap_or_default().to_string()))
}

/// Every oversized field and what the answer names; the answers of one backend.
async fn answers(backend: Backend) -> anyhow::Result<Vec<(u16, String, String)>> {
    let t = TestStack::start_on(
        backend,
        &config("http://127.0.0.1:9/replies", 3600),
        "http://127.0.0.1:9/alerts",
        Default::default(),
        &[],
    )
    .await?;
    let text = "My order never arrived, please help";
    let with = |path: &[&str], value: Value| {
        let mut body = created("b-1", "u-1", "someone", text);
        let mut at = &mut body;
        for key in &path[..path.len() - 1] {
            at = &mut at[*key];
        }
        at[path[path.len() - 1]] = value;
        body
    };
    let cases: Vec<(String, Value)> = vec![
        (
            "h".into(),
            with(&["data", "author", "handle"], Value::from("h".repeat(300_000))),
        ),
        (
            "n".into(),
            with(&["data", "author", "name"], Value::from("Tara ".repeat(720))),
        ),
        (
            "a".into(),
            with(&["data", "author", "id"], Value::from("u".repeat(3_000))),
        ),
        ("i".into(), with(&["data", "id"], Value::from("p".repeat(3_000)))),
        (
            "r".into(),
            with(&["data", "in_reply_to"], Value::from("p".repeat(3_000))),
        ),
        ("t".into(), with(&["data", "text"], Value::from("é".repeat(20_001)))),
        ("w".repeat(3_000), created("b-2", "u-2", "someone", text)),
    ];
    let mut out = vec![];
    for (id, body) in &cases {
        out.push(send(&t, id, body).await?);
    }
    // Nothing of them was stored: no case, after the pipeline had time to run.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, listed) = t.get("/v1/cases", "sam", Role::Supervisor).await?;
    anyhow::ensure!(status == 200, "{listed}");
    anyhow::ensure!(listed["cases"].as_array().is_some_and(Vec::is_empty), "{listed}");
    // A post within the bounds still goes through.
    let (status, ..) = send(&t, "ok-1", &created("b-3", "u-3", "someone", text)).await?;
    anyhow::ensure!(status == 200, "a normal post: {status}");
    t.stack.stop();
    Ok(out)
}

fn check(got: &[(u16, String, String)]) {
    let names = [
        "data.author.handle",
        "data.author.name",
        "data.author.id",
        "data.id",
        "data.in_reply_to",
        "data.text",
        "webhook-id",
    ];
    assert_eq!(got.len(), names.len());
    for ((status, ct, detail), name) in got.iter().zip(names) {
        assert_eq!(*status, 400, "{name}: {detail}");
        assert_eq!(ct, "application/problem+json", "{name}");
        assert!(detail.starts_with(name), "{name}: {detail}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_generic_fields_get_the_same_400_on_memory_and_on_dynamodb() -> anyhow::Result<()> {
    let memory = answers(Backend::Memory).await?;
    check(&memory);
    if let Some(moto) = Backend::moto()? {
        let aws = answers(moto).await?;
        assert_eq!(aws, memory, "the backends answer alike");
    }
    Ok(())
}
