//! Classification with context, through the front doors: the classify function looks up the
//! author, so a known customer's short follow-up takes the language of their case, and writing
//! again and again about one case is a repeated contact that raises the case's priority (and
//! with it the SLA targets and the queue order).

use serde_json::Value;
use socialcare_domain::Role;
use socialcare_system_tests::{TestStack, config, created};
use std::time::Duration;

fn post_of<'a>(view: &'a Value, id: &str) -> &'a Value {
    view["posts"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["id"] == id))
        .unwrap_or(&Value::Null)
}

fn reasons(post: &Value) -> String {
    post["classification"]["reasons"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" | "))
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_customer_is_classified_with_their_case() -> anyhow::Result<()> {
    let t = TestStack::start(&config("http://127.0.0.1:9/replies", 3600)).await?;
    let opening = "Mi router Acme no funciona desde ayer y nadie me ayuda, necesito una solución";
    t.webhook("m1", &created("p1", "u1", "carla", opening)).await?;
    let cases = t.wait_cases(Duration::from_secs(10), |cs| cs.len() == 1).await?;
    let case_id = cases[0]["id"].as_str().unwrap_or_default().to_string();
    let (_, view) = t.get(&format!("/v1/cases/{case_id}"), "sam", Role::Supervisor).await?;
    assert_eq!(view["language"], "es", "{view}");
    let opened_at = view["priority"].as_str().unwrap_or_default().to_string();

    // Too short to detect: where a stranger's "ok??" would fall back to the account's default
    // (en), the customer's falls back to the language of her case.
    t.webhook("m2", &created("p2", "u1", "carla", "ok??")).await?;
    let view = wait_case(&t, &case_id, |v| !post_of(v, "generic:forum:p2").is_null()).await?;
    let follow_up = post_of(&view, "generic:forum:p2");
    assert_eq!(follow_up["classification"]["language"], "es", "{follow_up}");
    assert!(reasons(follow_up).contains("previous"), "{}", reasons(follow_up));

    // A third and a fourth post about the same case: repeated contact, the case's priority rises.
    t.webhook(
        "m4",
        &created(
            "p4",
            "u1",
            "carla",
            "Sigo sin internet, ¿alguien me puede ayudar con el router?",
        ),
    )
    .await?;
    let view = wait_case(&t, &case_id, |v| !post_of(v, "generic:forum:p4").is_null()).await?;
    let repeat = post_of(&view, "generic:forum:p4");
    assert!(reasons(repeat).contains("earlier posts"), "{}", reasons(repeat));
    let raised = view["priority"].as_str().unwrap_or_default();
    assert!(
        raised < opened_at.as_str(),
        "P{raised} should be more urgent than {opened_at}"
    );
    assert!(
        view["history"]
            .as_array()
            .is_some_and(|h| h.iter().any(|e| e["type"] == "priority_raised")),
        "{}",
        view["history"]
    );
    Ok(())
}

async fn wait_case(t: &TestStack, id: &str, ready: impl Fn(&Value) -> bool) -> anyhow::Result<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (status, view) = t.get(&format!("/v1/cases/{id}"), "sam", Role::Supervisor).await?;
        if status == 200 && ready(&view) {
            return Ok(view);
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "case {id} never got there: {view}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
