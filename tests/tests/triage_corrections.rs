//! Triage and corrections through HTTP, on the memory backend and on DynamoDB/SQS (moto): posts
//! the classifier was unsure about and that opened no case are listed (newest first, paged),
//! one is turned into a case (threaded, routed and SLA-timed like any), one dismissed; people
//! label posts and the labels come back as the eval set's JSON Lines, through the API and
//! `care labels export`.
//!
//! The unsure decision is the learned model's (shared/classify); here the configuration's
//! classifier is wrapped so that a post containing `#unsure` is not actionable but marked for
//! review with a confidence of 0.45, which is what the model gives a post near the line.

use serde_json::{Value, json};
use socialcare_domain::ports::Classifier;
use socialcare_domain::{Classification, Post, PostContext, Role};
use socialcare_system_tests::{Backend, TestStack, config, created};
use std::sync::Arc;
use std::time::Duration;

struct Unsure(Arc<dyn Classifier>);

impl Classifier for Unsure {
    fn classify_in(&self, post: &Post, context: &PostContext) -> Classification {
        let mut c = self.0.classify_in(post, context);
        if post.text.contains("#unsure") {
            c.actionable = false;
            c.review = true;
            c.actionable_confidence = Some(0.45);
            c.reasons.push("model: actionable 0.45".into());
        }
        c
    }
}

async fn start(backend: Backend) -> anyhow::Result<TestStack> {
    let text = config("http://127.0.0.1:9/replies", 3600);
    let rules = socialcare_local::stack::classifier("test.toml", &text)?;
    TestStack::start_classifying(backend, &text, Arc::new(Unsure(rules))).await
}

fn enc(id: &str) -> String {
    id.replace(':', "%3A")
}

async fn wait_triage(t: &TestStack, n: usize) -> anyhow::Result<Vec<Value>> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = t.get("/v1/triage", "sam", Role::Supervisor).await?;
        let items = body["items"].as_array().cloned().unwrap_or_default();
        if status == 200 && items.len() == n {
            return Ok(items);
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "triage never held {n}: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_case(t: &TestStack, id: &str, ready: impl Fn(&Value) -> bool) -> anyhow::Result<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (status, view) = t.get(&format!("/v1/cases/{id}"), "sam", Role::Supervisor).await?;
        if status == 200 && ready(&view) {
            return Ok(view);
        }
        anyhow::ensure!(tokio::time::Instant::now() < deadline, "case {id}: {view}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn scenario(t: TestStack) -> anyhow::Result<()> {
    // Three unsure posts of strangers, one sure thank-you, one sure request.
    let unsure = [
        ("p1", "u1", "lena", "hmm my order still says processing #unsure"),
        ("p2", "u2", "omar", "nice weather for a walk today #unsure"),
        (
            "p3",
            "u3",
            "kim",
            "the laptop got really hot on my lap yesterday #unsure",
        ),
    ];
    for (i, (id, author, handle, text)) in unsure.iter().enumerate() {
        let (status, _) = t.webhook(&format!("m{i}"), &created(id, author, handle, text)).await?;
        assert_eq!(status, 200);
        // Distinct received times, so the order is the sending order.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    t.webhook("m8", &created("p8", "u8", "ivy", "Thanks, love it!")).await?;
    let items = wait_triage(&t, 3).await?;
    let ids: Vec<&str> = items.iter().filter_map(|i| i["post"]["id"].as_str()).collect();
    assert_eq!(
        ids,
        ["generic:forum:p3", "generic:forum:p2", "generic:forum:p1"],
        "newest first, the sure chatter not listed"
    );
    let first = &items[0];
    assert_eq!(first["post"]["text"], unsure[2].3);
    assert_eq!(first["post"]["author"]["handle"], "kim");
    assert_eq!(first["post"]["channel"], "generic");
    assert_eq!(first["post"]["classification"]["actionable"], false);
    assert_eq!(first["post"]["classification"]["review"], true);
    assert!(
        (first["actionable_confidence"].as_f64().unwrap_or(0.0) - 0.45).abs() < 1e-6,
        "{first}"
    );
    assert!(
        first["reasons"]
            .as_array()
            .is_some_and(|r| r.iter().any(|x| x == "model: actionable 0.45")),
        "{first}"
    );
    assert!(first["received_at"].is_string() && first["post"]["created_at"].is_string());

    // Pages: two, then one, then none.
    let (_, page) = t.get("/v1/triage?limit=2", "sam", Role::Supervisor).await?;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(2));
    let cursor = page["next_cursor"].as_str().unwrap_or_default().to_string();
    let (_, rest) = t
        .get(
            &format!("/v1/triage?limit=2&cursor={}", enc(&cursor)),
            "sam",
            Role::Supervisor,
        )
        .await?;
    assert_eq!(rest["items"][0]["post"]["id"], "generic:forum:p1", "{rest}");
    assert!(rest["next_cursor"].is_null(), "{rest}");
    for bad in [
        "/v1/triage?limit=0",
        "/v1/triage?limit=201",
        "/v1/triage?cursor=nope",
        "/v1/triage?x=1",
    ] {
        let (status, body) = t.get(bad, "sam", Role::Supervisor).await?;
        assert_eq!(status, 400, "{bad}: {body}");
    }

    // Who may: supervisors, agents who opted in; nobody without a token.
    assert_eq!(t.get("/v1/triage", "ana", Role::Agent).await?.0, 403);
    let r = t.http.get(t.url("/v1/triage")).send().await?;
    assert_eq!(r.status().as_u16(), 401);
    let (status, ana) = t
        .http_put(
            "/v1/agents/ana",
            "sam",
            Role::Supervisor,
            json!({"languages": ["pt", "es"], "capacity": 2, "triage": true}),
        )
        .await?;
    assert_eq!((status, &ana["triage"]), (200, &json!(true)), "{ana}");
    assert_eq!(t.get("/v1/triage", "ana", Role::Agent).await?.0, 200);
    assert_eq!(
        t.post("/v1/posts/generic%3Aforum%3Ap3/case", "ben", Role::Agent, None)
            .await?
            .0,
        403
    );

    // Ana turns the hot laptop into a case: threaded, routed (to ben, English) and SLA-timed.
    let (status, made) = t
        .post("/v1/posts/generic%3Aforum%3Ap3/case", "ana", Role::Agent, None)
        .await?;
    assert_eq!(status, 201, "{made}");
    let case_id = made["case"]["id"].as_str().unwrap_or_default().to_string();
    assert_eq!(made["decided"]["outcome"], "case");
    assert_eq!(made["decided"]["by"], "ana");
    let (status, again) = t
        .post("/v1/posts/generic%3Aforum%3Ap3/case", "sam", Role::Supervisor, None)
        .await?;
    assert_eq!(
        (status, again["case"]["id"].as_str()),
        (200, Some(case_id.as_str())),
        "{again}"
    );
    let view = wait_case(&t, &case_id, |v| {
        v["assignee"] == "ben" && !v["sla"].as_array().is_none_or(Vec::is_empty)
    })
    .await?;
    let post = &view["posts"][0];
    assert_eq!(post["classification"]["actionable"], true);
    assert!(
        post["classification"]["reasons"]
            .as_array()
            .is_some_and(|r| r.iter().any(|x| x == "triaged by ana")),
        "{post}"
    );

    // Sam dismisses the weather: twice is the same answer; it cannot become a case after.
    let (status, dismissed) = t
        .post("/v1/posts/generic%3Aforum%3Ap2/dismiss", "sam", Role::Supervisor, None)
        .await?;
    assert_eq!(
        (status, &dismissed["decided"]["outcome"]),
        (200, &json!("dismissed")),
        "{dismissed}"
    );
    let (status, twice) = t
        .post("/v1/posts/generic%3Aforum%3Ap2/dismiss", "ana", Role::Agent, None)
        .await?;
    assert_eq!((status, &twice["decided"]["by"]), (200, &json!("sam")));
    assert_eq!(
        t.post("/v1/posts/generic%3Aforum%3Ap2/case", "sam", Role::Supervisor, None)
            .await?
            .0,
        409
    );
    assert_eq!(
        t.post("/v1/posts/generic%3Aforum%3Ap3/dismiss", "sam", Role::Supervisor, None)
            .await?
            .0,
        409
    );
    assert_eq!(
        t.post("/v1/posts/generic%3Aforum%3Ap8/dismiss", "sam", Role::Supervisor, None)
            .await?
            .0,
        404,
        "never listed"
    );
    let left = wait_triage(&t, 1).await?;
    assert_eq!(left[0]["post"]["id"], "generic:forum:p1");

    // Labels: ben labels the post of the case he holds, not a stranger's; sam labels anything.
    let label = |id: &str| format!("/v1/posts/{}/labels", enc(id));
    let (status, body) = t
        .post(
            &label("generic:forum:p3"),
            "ben",
            Role::Agent,
            Some(json!({"urgent": true})),
        )
        .await?;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        t.post(
            &label("generic:forum:p1"),
            "ben",
            Role::Agent,
            Some(json!({"spam": true}))
        )
        .await?
        .0,
        403
    );
    let (status, body) = t
        .post(
            &label("generic:forum:p1"),
            "ana",
            Role::Agent,
            Some(json!({"sentiment": "neutral"})),
        )
        .await?;
    assert_eq!(status, 201, "an opted-in agent labels triage posts: {body}");
    let (status, body) = t
        .post(
            &label("generic:forum:p1"),
            "sam",
            Role::Supervisor,
            Some(json!({"spam": false, "sentiment": "negative", "language": "en"})),
        )
        .await?;
    assert_eq!((status, &body["by"]), (201, &json!("sam")), "{body}");
    assert_eq!(
        t.post(&label("generic:forum:p1"), "sam", Role::Supervisor, Some(json!({})))
            .await?
            .0,
        422
    );
    assert_eq!(
        t.post(
            &label("generic:forum:p1"),
            "sam",
            Role::Supervisor,
            Some(json!({"mood": 1}))
        )
        .await?
        .0,
        400
    );
    assert_eq!(
        t.post(
            &label("generic:forum:p1"),
            "sam",
            Role::Supervisor,
            Some(json!({"sentiment": "meh"}))
        )
        .await?
        .0,
        400
    );
    assert_eq!(
        t.post(
            &label("generic:forum:nope"),
            "sam",
            Role::Supervisor,
            Some(json!({"spam": true}))
        )
        .await?
        .0,
        404
    );

    // The export: one line per labelled post, the latest label per field, only labelled fields.
    let r = t
        .http
        .get(t.url("/v1/labels?format=jsonl"))
        .bearer_auth(TestStack::token("sam", Role::Supervisor))
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.headers().get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/x-ndjson")
    );
    let body = r.text().await?;
    let lines: Vec<Value> = body.lines().map(serde_json::from_str).collect::<Result<_, _>>()?;
    let line = |id: &str| {
        lines
            .iter()
            .find(|l| l["post_id"] == id)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(lines.len(), 3, "{body}");
    let p3 = line("generic:forum:p3");
    assert_eq!(
        (&p3["actionable"], &p3["urgent"], &p3["labelled_by"]),
        (&json!(true), &json!(true), &json!("ben")),
        "{p3}"
    );
    assert_eq!(p3["text"], unsure[2].3);
    assert!(p3.get("spam").is_none() && p3.get("sentiment").is_none(), "{p3}");
    let p2 = line("generic:forum:p2");
    assert_eq!(
        (&p2["actionable"], &p2["labelled_by"]),
        (&json!(false), &json!("sam")),
        "{p2}"
    );
    let p1 = line("generic:forum:p1");
    assert_eq!(
        (&p1["sentiment"], &p1["spam"], &p1["language"], &p1["id"]),
        (
            &json!("negative"),
            &json!(false),
            &json!("en"),
            &json!("generic:forum:p1")
        ),
        "{p1}"
    );
    assert!(p1.get("actionable").is_none() && p1["labelled_at"].is_string(), "{p1}");
    assert_eq!(t.get("/v1/labels", "ben", Role::Agent).await?.0, 403);
    assert_eq!(t.get("/v1/labels?format=csv", "sam", Role::Supervisor).await?.0, 400);
    assert_eq!(
        t.get("/v1/labels?since=yesterday", "sam", Role::Supervisor).await?.0,
        400
    );
    let r = t
        .http
        .get(t.url("/v1/labels?since=2999-01-01T00:00:00Z"))
        .bearer_auth(TestStack::token("sam", Role::Supervisor))
        .send()
        .await?;
    assert_eq!(r.text().await?, "", "nothing since then");

    // `care labels export` writes the same file.
    let file = std::env::temp_dir().join(format!(
        "care-labels-{}-{}.jsonl",
        std::process::id(),
        jiff::Timestamp::now().as_nanosecond()
    ));
    let written = socialcare_local::commands::labels_export(socialcare_local::commands::LabelsExportArgs {
        to: file.clone(),
        url: t.stack.url(),
        since: None,
        token: Some(TestStack::token("sam", Role::Supervisor)),
        as_agent: "care-cli".into(),
    })
    .await?;
    assert_eq!((written, std::fs::read_to_string(&file)?), (3, body));
    std::fs::remove_file(&file)?;
    let refused = socialcare_local::commands::labels_export(socialcare_local::commands::LabelsExportArgs {
        to: std::env::temp_dir().join("never-written.jsonl"),
        url: t.stack.url(),
        since: None,
        token: Some(TestStack::token("ben", Role::Agent)),
        as_agent: "care-cli".into(),
    })
    .await;
    assert!(refused.is_err_and(|e| e.to_string().contains("403")));
    t.stack.stop();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn triage_and_corrections_on_memory() -> anyhow::Result<()> {
    scenario(start(Backend::Memory).await?).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn triage_and_corrections_on_dynamodb() -> anyhow::Result<()> {
    let Some(backend) = Backend::moto()? else {
        return Ok(());
    };
    scenario(start(backend).await?).await
}
