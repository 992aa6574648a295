//! Supervisors through HTTP: queues, presence (coming online pulls waiting cases), customer
//! history with previous cases, SLA attainment, agents managed through the API.

use serde_json::json;
use socialcare_domain::Role;
use socialcare_system_tests::{TestStack, case_with_post, config, created};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queues_presence_history_and_attainment() -> anyhow::Result<()> {
    // No reopen window here: the customer's next request after the resolve opens a second case,
    // so the history spans two (the window itself is tested in shared/memory/tests/services.rs).
    let text = config("http://127.0.0.1:9/replies", 3600).replace("[service]\n", "[service]\nreopen_days = 0\n");
    let t = TestStack::start(&text).await?;
    // Ben goes offline: English cases wait in the queue.
    let (status, ben) = t
        .http_put(
            "/v1/agents/ben/presence",
            "ben",
            Role::Agent,
            json!({"presence": "offline"}),
        )
        .await?;
    assert_eq!((status, ben["presence"].as_str()), (200, Some("offline")));
    assert_eq!(
        t.http_put(
            "/v1/agents/ben/presence",
            "ana",
            Role::Agent,
            json!({"presence": "online"})
        )
        .await?
        .0,
        403,
        "only yourself"
    );
    assert_eq!(
        t.http_put(
            "/v1/agents/ben/presence",
            "ben",
            Role::Agent,
            json!({"presence": "asleep"})
        )
        .await?
        .0,
        400
    );

    for (i, text) in [
        "My Acme router keeps dropping the connection every hour, please help",
        "I was charged twice for my order, can you refund me please?",
    ]
    .iter()
    .enumerate()
    {
        let (status, _) = t
            .webhook(
                &format!("m{i}"),
                &created(&format!("p{i}"), &format!("u{i}"), "someone", text),
            )
            .await?;
        assert_eq!(status, 200);
    }
    t.wait_cases(Duration::from_secs(10), |cs| {
        cs.len() == 2 && cs.iter().all(|c| !c["sla"].as_array().is_none_or(Vec::is_empty))
    })
    .await?;
    let (status, q) = t.get("/v1/queues", "sam", Role::Supervisor).await?;
    assert_eq!(status, 200);
    assert_eq!(q["queues"][0]["queue"], "general");
    assert_eq!(q["queues"][0]["waiting"], 2);
    assert_eq!(t.get("/v1/queues", "ben", Role::Agent).await?.0, 403);

    // Ben comes back (capacity 2): both waiting cases flow to him.
    let (status, ben) = t
        .http_put(
            "/v1/agents/ben/presence",
            "ben",
            Role::Agent,
            json!({"presence": "online"}),
        )
        .await?;
    assert_eq!((status, ben["load"].as_u64()), (200, Some(2)));
    let (_, q) = t.get("/v1/queues", "sam", Role::Supervisor).await?;
    assert_eq!(q["queues"].as_array().map(Vec::len), Some(0));

    // The customer's history, visible to the agent holding their case; previous cases on a new case.
    let cases = t
        .wait_cases(Duration::from_secs(5), |cs| cs.iter().all(|c| c["assignee"] == "ben"))
        .await?;
    let first = cases
        .iter()
        .find(|c| c["post_ids"][0] == "generic:forum:p0")
        .cloned()
        .unwrap_or_default();
    let id = first["id"].as_str().unwrap_or_default().to_string();
    let customer = first["customer_id"].as_str().unwrap_or_default().to_string();
    let (status, _) = t
        .post(&format!("/v1/cases/{id}/resolve"), "ben", Role::Agent, None)
        .await?;
    assert_eq!(status, 200);
    t.webhook(
        "m9",
        &created(
            "p9",
            "u0",
            "someone",
            "The router is dropping again since this morning, please help",
        ),
    )
    .await?;
    let cases = t.wait_cases(Duration::from_secs(10), |cs| cs.len() == 3).await?;
    let newer = cases
        .iter()
        .find(|c| c["post_ids"][0] == "generic:forum:p9")
        .cloned()
        .unwrap_or_default();
    let (status, view) = t
        .get(
            &format!("/v1/cases/{}", newer["id"].as_str().unwrap_or_default()),
            "sam",
            Role::Supervisor,
        )
        .await?;
    assert_eq!(status, 200);
    assert_eq!(view["previous_cases"][0]["id"], id.as_str());
    let (status, history) = t
        .get(&format!("/v1/customers/{customer}"), "sam", Role::Supervisor)
        .await?;
    assert_eq!(status, 200);
    assert_eq!(history["cases"].as_array().map(Vec::len), Some(2));
    assert_eq!(history["posts"].as_array().map(Vec::len), Some(2));
    assert_eq!(history["sentiment"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        t.get(&format!("/v1/customers/{customer}"), "ana", Role::Agent).await?.0,
        404,
        "not ana's customer"
    );

    // Attainment: three first-response targets, none decided yet (no reply, no breach).
    let (status, m) = t.get("/v1/metrics/sla?by=agent", "sam", Role::Supervisor).await?;
    assert_eq!(status, 200, "{m}");
    let running: u64 = m["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| r["running"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(running, 3);
    assert_eq!(t.get("/v1/metrics/sla?by=mood", "sam", Role::Supervisor).await?.0, 400);
    t.stack.stop();
    Ok(())
}

/// Supervisors manage agents through the API: a new agent, a profile change that keeps the
/// live load, and the refusals.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervisors_create_and_update_agents() -> anyhow::Result<()> {
    let t = TestStack::start(&config("http://127.0.0.1:9/replies", 3600)).await?;
    let dan = serde_json::json!({"name": "Dan", "languages": ["fr"], "capacity": 3});
    let (status, made) = t
        .http_put("/v1/agents/dan", "sam", Role::Supervisor, dan.clone())
        .await?;
    assert_eq!(status, 201, "{made}");
    assert_eq!(
        (made["presence"].as_str(), made["capacity"].as_u64()),
        (Some("offline"), Some(3))
    );
    let (status, _) = t.http_put("/v1/agents/dan", "ben", Role::Agent, dan.clone()).await?;
    assert_eq!(status, 403, "agents do not manage agents");
    let unknown_skill = serde_json::json!({"languages": ["fr"], "capacity": 3, "skills": ["juggling"]});
    let (status, problem) = t
        .http_put("/v1/agents/dan", "sam", Role::Supervisor, unknown_skill)
        .await?;
    assert_eq!(status, 422, "{problem}");
    assert!(
        problem["detail"].as_str().is_some_and(|d| d.contains("juggling")),
        "{problem}"
    );
    let (status, _) = t
        .http_put(
            "/v1/agents/dan",
            "sam",
            Role::Supervisor,
            serde_json::json!({"languages": [], "capacity": 3}),
        )
        .await?;
    assert_eq!(status, 422, "an agent speaks at least one language");

    // Ben takes a case; a new profile for him keeps his load.
    t.webhook(
        "m1",
        &created(
            "p1",
            "u1",
            "tara",
            "My laptop died after the update, please help me fix it",
        ),
    )
    .await?;
    t.wait_cases(Duration::from_secs(10), |cs| cs.iter().any(|c| c["assignee"] == "ben"))
        .await?;
    let (status, ben) = t
        .http_put(
            "/v1/agents/ben",
            "sam",
            Role::Supervisor,
            serde_json::json!({"name": "Ben Ross", "languages": ["en", "fr"], "capacity": 5}),
        )
        .await?;
    assert_eq!(status, 200, "{ben}");
    assert_eq!(
        (ben["name"].as_str(), ben["capacity"].as_u64(), ben["load"].as_u64()),
        (Some("Ben Ross"), Some(5), Some(1))
    );
    let (_, agents) = t.get("/v1/agents", "sam", Role::Supervisor).await?;
    assert!(
        agents["agents"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x["id"] == "dan"))
    );
    t.stack.stop();
    Ok(())
}

/// Two handles writing the same order number are one customer: the second joins the first's
/// case, and the customer's history shows both identities with the evidence that linked them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_writing_a_customers_order_number_gets_their_own_case_and_a_suggestion() -> anyhow::Result<()> {
    let t = TestStack::start(&config("http://127.0.0.1:9/replies", 3600)).await?;
    let (status, _) = t
        .webhook(
            "i1",
            &created(
                "i1",
                "u-first",
                "first",
                "My order #55501234 never arrived, please help",
            ),
        )
        .await?;
    assert_eq!(status, 200);
    t.wait_cases(Duration::from_secs(10), |cs| cs.len() == 1).await?;
    let (status, _) = t
        .webhook(
            "i2",
            &created(
                "i2",
                "u-second",
                "second",
                "Still no sign of order 5550-1234, can you help?",
            ),
        )
        .await?;
    assert_eq!(status, 200);
    // Issue 14: their own customer and case; the first customer is a suggestion on it.
    let cases = t.wait_cases(Duration::from_secs(10), |cs| cs.len() == 2).await?;
    let of = |post: &str| case_with_post(&cases, post);
    let (first, second) = (of("i1"), of("i2"));
    assert_ne!(first["customer_id"], second["customer_id"], "{cases:#?}");
    assert_eq!(
        first["post_ids"].as_array().map(Vec::len),
        Some(1),
        "nothing joined the first case"
    );
    let first_customer = first["customer_id"].as_str().unwrap_or_default().to_string();
    let (status, history) = t
        .get(&format!("/v1/customers/{first_customer}"), "sam", Role::Supervisor)
        .await?;
    assert_eq!(status, 200, "{history}");
    assert_eq!(history["identities"].as_array().map(Vec::len), Some(1), "{history}");
    // The agent holding the stranger's case sees the suggestion on its view.
    let assignee = second["assignee"].as_str().unwrap_or("sam").to_string();
    let role = if assignee == "sam" {
        Role::Supervisor
    } else {
        Role::Agent
    };
    let id = second["id"].as_str().unwrap_or_default();
    let (status, view) = t.get(&format!("/v1/cases/{id}"), &assignee, role).await?;
    assert_eq!(status, 200, "{view}");
    let suggestions = view["suggestions"].as_array().cloned().unwrap_or_default();
    assert!(
        suggestions.iter().any(|s| s["customer_id"] == first_customer.as_str()
            && s["kind"] == "same_identifier"
            && s["detail"] == "order:55501234"),
        "{view}"
    );
    t.stack.stop();
    Ok(())
}
