//! A reply that cannot be delivered is never lost in silence: after its attempts it shows
//! `failed` with the reason on the case and in its history, and its agent (or a supervisor) can
//! send it again. Messages the pipeline gave up on are listed for supervisors with their reason
//! and can be sent back. On the memory backend and on DynamoDB/SQS (moto).

use serde_json::Value;
use socialcare_domain::{CaseId, CaseUpdated, Envelope, Event, Role};
use socialcare_system_tests::{Backend, TestStack, config, created};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undeliverable_reply_fails_visibly_and_can_be_retried() -> anyhow::Result<()> {
    undeliverable(Backend::Memory).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_on_the_aws_backend() -> anyhow::Result<()> {
    match Backend::moto()? {
        Some(b) => undeliverable(b).await,
        None => Ok(()),
    }
}

/// A port on 127.0.0.1 where nothing listens (bound, then released).
fn closed_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

fn reply_of<'a>(case: &'a Value, id: &str) -> Option<&'a Value> {
    case["posts"].as_array()?.iter().find(|p| p["id"] == id)
}

async fn wait_case(t: &TestStack, id: &str, within: Duration, pred: impl Fn(&Value) -> bool) -> anyhow::Result<Value> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let (_, case) = t.get(&format!("/v1/cases/{id}"), "sam", Role::Supervisor).await?;
        if pred(&case) {
            return Ok(case);
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "not within {within:?}: {case:#}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn undeliverable(backend: Backend) -> anyhow::Result<()> {
    let reply_url = format!("http://127.0.0.1:{}/replies", closed_port()?);
    let t = TestStack::start_on(
        backend,
        &config(&reply_url, 600),
        "http://127.0.0.1:9/alerts",
        Default::default(),
        &[],
    )
    .await?;
    let post = created(
        "p-1",
        "u-1",
        "tara",
        "My laptop died and nobody answers, please help me repair it",
    );
    assert_eq!(t.webhook("msg-1", &post).await?.0, 200);
    let cases = t
        .wait_cases(Duration::from_secs(15), |cs| {
            cs.len() == 1 && cs[0]["assignee"] == "ben"
        })
        .await?;
    let case_id = cases[0]["id"].as_str().unwrap_or_default().to_string();
    let (status, reply) = t
        .post(
            &format!("/v1/cases/{case_id}/replies"),
            "ben",
            Role::Agent,
            Some(serde_json::json!({"text": "Sorry! Could you send us the serial number?"})),
        )
        .await?;
    assert_eq!(status, 202, "{reply}");
    let reply_id = reply["id"].as_str().unwrap_or_default().to_string();

    // Four deliveries (the queue redelivers after its 2 s visibility timeout), then failed: on
    // the reply, then (the next write) in the case's history.
    let case = wait_case(&t, &case_id, Duration::from_secs(40), |c| {
        reply_of(c, &reply_id).is_some_and(|r| r["delivery"]["state"] == "failed")
            && c["history"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|e| e["type"] == "delivery_failed")
    })
    .await?;
    let delivery = &reply_of(&case, &reply_id).cloned().unwrap_or_default()["delivery"];
    let reason = delivery["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("after 4 attempts") && reason.contains(&reply_url),
        "the reason names the attempts and the URL: {reason}"
    );
    let failed_in_history = case["history"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|e| e["type"] == "delivery_failed" && e["post_id"] == reply_id.as_str());
    assert!(
        failed_in_history,
        "the failure is in the history: {:#}",
        case["history"]
    );

    // Only the case's agent or a supervisor may retry; a retry queues it again.
    let retry = format!("/v1/cases/{case_id}/replies/{reply_id}/retry");
    assert_eq!(t.post(&retry, "ana", Role::Agent, None).await?.0, 403);
    let (status, again) = t.post(&retry, "ben", Role::Agent, None).await?;
    assert_eq!(status, 202, "{again}");
    assert_eq!(again["delivery"]["state"], "pending");
    let (status, problem) = t.post(&retry, "sam", Role::Supervisor, None).await?;
    assert_eq!(status, 409, "a reply on its way is not retried twice: {problem}");
    let (status, _) = t
        .post(
            &format!("/v1/cases/{case_id}/replies/reply:nope/retry"),
            "sam",
            Role::Supervisor,
            None,
        )
        .await?;
    assert_eq!(status, 404);
    let case = wait_case(&t, &case_id, Duration::from_secs(5), |c| {
        c["history"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|e| e["type"] == "delivery_retried")
    })
    .await?;
    assert_ne!(
        reply_of(&case, &reply_id).cloned().unwrap_or_default()["delivery"]["state"],
        "sent"
    );

    // A message about a case that does not exist can never succeed: parked, listed with its
    // reason for supervisors only, and sent back on request.
    let poison = Envelope::new(
        Event::CaseUpdated(CaseUpdated {
            case_id: CaseId::parse("case-that-never-was")?,
            version: 1,
            reason: "test".into(),
        }),
        jiff::Timestamp::now(),
    );
    t.ports.publisher.publish(&poison).await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let letter = loop {
        let (status, body) = t.get("/v1/dead-letters", "sam", Role::Supervisor).await?;
        assert_eq!(status, 200, "{body}");
        let found = body["dead_letters"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|d| d["case_id"] == "case-that-never-was")
            .cloned();
        if let Some(d) = found {
            break d;
        }
        anyhow::ensure!(tokio::time::Instant::now() < deadline, "never listed: {body:#}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(letter["queue"], "cases");
    assert_eq!(letter["kind"], "parked");
    assert_eq!(letter["event_type"], "case.updated.v1");
    assert!(
        letter["reason"]
            .as_str()
            .is_some_and(|r| r.contains("case-that-never-was")),
        "{letter}"
    );
    assert!(letter["first_seen"].is_string());
    assert_eq!(t.get("/v1/dead-letters", "ben", Role::Agent).await?.0, 403);
    let id = letter["id"].as_str().unwrap_or_default().to_string();
    let redrive = format!("/v1/dead-letters/{}/redrive", id.replace('#', "%23"));
    assert_eq!(t.post(&redrive, "ben", Role::Agent, None).await?.0, 403);
    let (status, body) = t.post(&redrive, "sam", Role::Supervisor, None).await?;
    assert_eq!(status, 202, "{body}");
    assert_eq!(
        t.post(
            "/v1/dead-letters/parked:cases:nothing/redrive",
            "sam",
            Role::Supervisor,
            None
        )
        .await?
        .0,
        404
    );
    t.stack.stop();
    Ok(())
}
