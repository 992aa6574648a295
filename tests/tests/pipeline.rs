//! The whole pipeline through HTTP only: webhooks in, cases assigned by language, a follow-up
//! joining its case, a reply delivered to the source and stopping the clock, and exactly one
//! breach alert for the case nobody answered.

use serde_json::Value;
use socialcare_domain::Role;
use socialcare_system_tests::{Backend, TestStack, config, created};
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn case_of<'a>(cases: &'a [Value], post: &str) -> Option<&'a Value> {
    cases
        .iter()
        .find(|c| c["post_ids"].as_array().is_some_and(|p| p.iter().any(|id| id == post)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_becomes_a_case_an_agent_answers_and_an_unanswered_one_alerts() -> anyhow::Result<()> {
    foundation(Backend::Memory).await
}

/// The same story on DynamoDB, SQS and SNS (moto), through the same HTTP front doors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_on_the_aws_backend() -> anyhow::Result<()> {
    match Backend::moto()? {
        Some(backend) => foundation(backend).await,
        None => Ok(()),
    }
}

/// And on the tables and queues that the SAM template created in moto's CloudFormation
/// (`scripts/check-infra.sh` deploys it, then runs this test with the stack's outputs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_on_the_deployed_stack() -> anyhow::Result<()> {
    match Backend::deployed_stack()? {
        Some(backend) => foundation(backend).await,
        None => Ok(()),
    }
}

async fn foundation(backend: Backend) -> anyhow::Result<()> {
    let replies = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/replies"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": "forum-reply-1"})))
        .expect(1)
        .mount(&replies)
        .await;
    let hooks = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/alerts"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&hooks)
        .await;
    let target_secs = 4;
    let t = TestStack::start_on(
        backend,
        &config(&format!("{}/replies", replies.uri()), target_secs),
        &format!("{}/alerts", hooks.uri()),
        Default::default(),
        &[],
    )
    .await?;

    // Two customers, two languages.
    let en = created(
        "p-en-1",
        "u-tara",
        "MagicPuppy123",
        "My Acme laptop died the night before my exam and nobody answers. Can you please help me repair it?",
    );
    let pt = created(
        "p-pt-1",
        "u-joao",
        "joao.lima",
        "Olá, meu pedido ainda não chegou e já se passaram duas semanas. Vocês podem verificar, por favor?",
    );
    assert_eq!(t.webhook("msg-1", &en).await?.0, 200);
    assert_eq!(t.webhook("msg-2", &pt).await?.0, 200);

    let cases = t
        .wait_cases(Duration::from_secs(10), |cs| {
            cs.len() == 2 && cs.iter().all(|c| !c["assignee"].is_null())
        })
        .await?;
    let en_case = case_of(&cases, "generic:forum:p-en-1").cloned().unwrap_or_default();
    let pt_case = case_of(&cases, "generic:forum:p-pt-1").cloned().unwrap_or_default();
    assert_eq!(en_case["language"], "en");
    assert_eq!(pt_case["language"], "pt");
    assert_eq!(
        en_case["assignee"], "ben",
        "the English case goes to the English speaker"
    );
    assert_eq!(
        pt_case["assignee"], "ana",
        "the Portuguese case goes to the Portuguese speaker"
    );
    assert_eq!(en_case["status"], "open");
    assert_eq!(en_case["sla"][0]["state"], "running");

    // A resend of the same webhook changes nothing; a second post of the same customer joins the case.
    assert_eq!(t.webhook("msg-1", &en).await?.1["status"], "duplicate");
    let follow_up = created(
        "p-en-2",
        "u-tara",
        "MagicPuppy123",
        "Still waiting, the charger light is off too.",
    );
    assert_eq!(t.webhook("msg-3", &follow_up).await?.0, 200);
    let en_id = en_case["id"].as_str().unwrap_or_default().to_string();
    let cases = t
        .wait_cases(Duration::from_secs(10), |cs| {
            case_of(cs, "generic:forum:p-en-2").is_some_and(|c| c["id"] == en_id.as_str())
        })
        .await?;
    assert_eq!(cases.len(), 2, "no new case for the follow-up");

    // Ben reads the thread and answers: delivered to the forum's reply URL, clock stopped.
    let (status, case) = t.get(&format!("/v1/cases/{en_id}"), "ben", Role::Agent).await?;
    assert_eq!(status, 200);
    assert_eq!(case["posts"].as_array().map(Vec::len), Some(2));
    assert_eq!(case["posts"][0]["author"]["handle"], "MagicPuppy123");
    assert_eq!(case["posts"][0]["channel"], "generic");
    let (status, reply) = t
        .post(
            &format!("/v1/cases/{en_id}/replies"),
            "ben",
            Role::Agent,
            Some(serde_json::json!({"text": "Sorry to hear that! Could you send us the serial number?"})),
        )
        .await?;
    assert_eq!(status, 202, "{reply}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, case) = t.get(&format!("/v1/cases/{en_id}"), "ben", Role::Agent).await?;
        let delivered = case["posts"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| p["delivery"]["state"] == "sent");
        if delivered {
            assert_eq!(case["sla"][0]["state"], "met");
            assert!(!case["first_response_at"].is_null());
            break;
        }
        anyhow::ensure!(tokio::time::Instant::now() < deadline, "reply not delivered: {case:#}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let received = replies.received_requests().await.unwrap_or_default();
    let body: Value = serde_json::from_slice(&received[0].body)?;
    assert_eq!(
        body["data"]["in_reply_to"], "p-en-2",
        "the reply answers the customer's latest post"
    );

    // Ben waits on the customer's serial number: pending (only he may set it).
    let pending = format!("/v1/cases/{en_id}/pending");
    assert_eq!(t.post(&pending, "ana", Role::Agent, None).await?.0, 403);
    let reason = serde_json::json!({"reason": "asked for the serial number"});
    let (status, case) = t.post(&pending, "ben", Role::Agent, Some(reason)).await?;
    assert_eq!(status, 200, "{case}");
    assert_eq!(case["status"], "pending");

    // Nobody answers the Portuguese case: exactly one breach alert after its target, none for the other.
    let pt_id = pt_case["id"].as_str().unwrap_or_default().to_string();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(target_secs + 10);
    let alerts = loop {
        let (status, body) = t.get("/v1/alerts", "sam", Role::Supervisor).await?;
        assert_eq!(status, 200);
        let alerts = body["alerts"].as_array().cloned().unwrap_or_default();
        if !alerts.is_empty() {
            break alerts;
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "no alert within the target plus 10 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0]["case_id"], pt_id.as_str());
    assert_eq!(alerts[0]["level"], "breach");
    assert_eq!(alerts[0]["target"], "first_response");
    assert!(
        alerts[0]["late_by_ms"].as_i64().unwrap_or(i64::MAX) < 3_000,
        "alert within seconds of the deadline"
    );
    // More ticks change nothing.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let (_, body) = t.get("/v1/alerts", "sam", Role::Supervisor).await?;
    assert_eq!(body["alerts"].as_array().map(Vec::len), Some(1));
    assert_eq!(t.alerts_seen.alerts().len(), 1, "the sink got it once");
    // The outgoing webhook got it too, in Slack-compatible JSON, within seconds of the deadline.
    let hooked = hooks.received_requests().await.unwrap_or_default();
    assert_eq!(hooked.len(), 1);
    let hook: Value = serde_json::from_slice(&hooked[0].body)?;
    assert!(hook["text"].as_str().is_some_and(|t| t.contains(pt_id.as_str())));
    let due: jiff::Timestamp = hook["alert"]["due_at"].as_str().unwrap_or_default().parse()?;
    let arrived = jiff::Timestamp::now();
    assert!(
        arrived.duration_since(due).as_secs() < 5,
        "webhook {} s after the deadline",
        arrived.duration_since(due).as_secs()
    );

    // Filters, and acknowledgement by a supervisor only (the id's `#` is `%23` in the path).
    let (_, warnings) = t.get("/v1/alerts?level=warning", "sam", Role::Supervisor).await?;
    assert_eq!(warnings["alerts"].as_array().map(Vec::len), Some(0));
    let ack = format!(
        "/v1/alerts/{}/ack",
        alerts[0]["id"].as_str().unwrap_or_default().replace('#', "%23")
    );
    assert_eq!(t.post(&ack, "ben", Role::Agent, None).await?.0, 403);
    let (status, acked) = t.post(&ack, "sam", Role::Supervisor, None).await?;
    assert_eq!(status, 200, "{acked}");
    assert_eq!(acked["acknowledged_by"], "sam");
    assert_eq!(
        t.post("/v1/alerts/nope/ack", "sam", Role::Supervisor, None).await?.0,
        404
    );

    // Ben resolves his case: his slot is free again.
    let (status, resolved) = t
        .post(&format!("/v1/cases/{en_id}/resolve"), "ben", Role::Agent, None)
        .await?;
    assert_eq!(status, 200, "{resolved}");
    assert_eq!(resolved["status"], "resolved");
    let (_, agents) = t.get("/v1/agents", "sam", Role::Supervisor).await?;
    let ben = agents["agents"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["id"] == "ben")
        .cloned()
        .unwrap_or_default();
    assert_eq!(ben["load"], 0);
    t.stack.stop();
    Ok(())
}
