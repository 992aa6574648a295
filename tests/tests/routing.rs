//! Routing through HTTP: the explanation (who may read it), decline once, transfer to an
//! unknown agent or queue, transfer to a queue, supervisor force-assign, and the offline grace
//! returning an unanswered case to the queue; stickiness to the agent who served the customer.

use serde_json::{Value, json};
use socialcare_domain::Role;
use socialcare_system_tests::{TestStack, config, created};
use std::time::Duration;

const ROUTING: &str = "\n[routing]\nqueues = [\"vip\"]\noffline_grace_secs = 1\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_decline_transfer_force_and_offline_grace() -> anyhow::Result<()> {
    let text = format!("{}{ROUTING}", config("http://127.0.0.1:9/replies", 3600));
    let t = TestStack::start(&text).await?;
    let en = created(
        "p-route-1",
        "u-route",
        "router",
        "My Acme laptop does not start after the update, can you please help me with a repair?",
    );
    assert_eq!(t.webhook("route-1", &en).await?.0, 200);
    let cases = t
        .wait_cases(Duration::from_secs(10), |cs| cs.iter().any(|c| c["assignee"] == "ben"))
        .await?;
    let id = cases[0]["id"].as_str().unwrap_or_default().to_string();
    let path = |p: &str| format!("/v1/cases/{id}{p}");

    // The explanation: the assignee and supervisors read it; another agent gets 404.
    let (status, why) = t.get(&path("/routing"), "ben", Role::Agent).await?;
    assert_eq!(status, 200, "{why}");
    let decision = &why["decisions"][0];
    assert_eq!(
        (decision["mode"].as_str(), decision["chosen"].as_str()),
        (Some("push"), Some("ben"))
    );
    assert_eq!(decision["requirements"]["language"], "en");
    let ana = decision["candidates"]
        .as_array()
        .and_then(|c| c.iter().find(|x| x["agent_id"] == "ana"))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(ana["excluded"][0]["reason"], "language", "{decision}");
    assert_eq!(t.get(&path("/routing"), "ana", Role::Agent).await?.0, 404);
    assert_eq!(t.get(&path("/routing"), "sam", Role::Supervisor).await?.0, 200);

    // Another agent may not decline or transfer it.
    assert_eq!(t.post(&path("/decline"), "ana", Role::Agent, None).await?.0, 403);
    // Ben declines: nobody else speaks English, so it waits, and it is never offered to him again.
    let (status, out) = t.post(&path("/decline"), "ben", Role::Agent, None).await?;
    assert_eq!(
        (status, out["routed"]["outcome"].as_str()),
        (200, Some("waiting")),
        "{out}"
    );
    assert_eq!(t.post("/v1/queue/claim", "ben", Role::Agent, None).await?.0, 204);
    let (_, why) = t.get(&path("/routing"), "sam", Role::Supervisor).await?;
    assert_eq!(why["declined"], json!(["ben"]));
    assert_eq!(
        t.post(&path("/decline"), "ben", Role::Agent, None).await?.0,
        403,
        "once"
    );

    // Force-assign is for supervisors; unknown agents are 404.
    let to = |a: &str| Some(json!({"agent_id": a}));
    assert_eq!(t.post(&path("/assign"), "ben", Role::Agent, to("ana")).await?.0, 403);
    assert_eq!(
        t.post(&path("/assign"), "sam", Role::Supervisor, to("nobody")).await?.0,
        404
    );
    let (status, out) = t.post(&path("/assign"), "sam", Role::Supervisor, to("ana")).await?;
    assert_eq!((status, out["case"]["assignee"].as_str()), (200, Some("ana")), "{out}");
    let (_, why) = t.get(&path("/routing"), "ana", Role::Agent).await?;
    let last = why["decisions"]
        .as_array()
        .and_then(|d| d.last())
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(
        (last["mode"].as_str(), last["by"].as_str()),
        (Some("force"), Some("sam"))
    );

    // Transfers: unknown agent 404, unknown queue 422, both or neither 400.
    assert_eq!(
        t.post(&path("/transfer"), "ana", Role::Agent, to("nobody")).await?.0,
        404
    );
    let q = |q: &str| Some(json!({"queue": q}));
    assert_eq!(
        t.post(&path("/transfer"), "ana", Role::Agent, q("nowhere")).await?.0,
        422
    );
    assert_eq!(
        t.post(&path("/transfer"), "ana", Role::Agent, Some(json!({}))).await?.0,
        400
    );
    let (status, out) = t.post(&path("/transfer"), "ana", Role::Agent, q("vip")).await?;
    assert_eq!((status, out["case"]["queue"].as_str()), (200, Some("vip")), "{out}");
    assert_eq!(out["routed"]["outcome"], "waiting", "ben declined, ana handed it on");

    // Offline grace: ana has it unanswered and goes offline; after the grace it returns.
    let (status, _) = t.post(&path("/assign"), "sam", Role::Supervisor, to("ana")).await?;
    assert_eq!(status, 200);
    let (status, _) = t
        .http_put(
            "/v1/agents/ana/presence",
            "ana",
            Role::Agent,
            json!({"presence": "offline"}),
        )
        .await?;
    assert_eq!(status, 200);
    t.wait_cases(Duration::from_secs(10), |cs| {
        cs.iter().any(|c| c["id"] == id.as_str() && c["assignee"].is_null())
    })
    .await?;
    let (_, agents) = t.get("/v1/agents", "sam", Role::Supervisor).await?;
    let loads: Vec<(String, u64)> = agents["agents"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| {
                    (
                        x["id"].as_str().unwrap_or("").to_string(),
                        x["load"].as_u64().unwrap_or(99),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert!(
        loads.iter().all(|(_, l)| *l == 0),
        "loads exact after every move: {loads:?}"
    );
    Ok(())
}

/// Stickiness through HTTP: a customer who comes back within `sticky_days` goes to the agent who
/// served them, even when another eligible agent carries less; the explanation says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_returning_customer_goes_back_to_their_agent() -> anyhow::Result<()> {
    let text = format!(
        "{}\n[[agents]]\nid = \"eve\"\nlanguages = [\"en\"]\ncapacity = 2\n\n[routing]\nsticky_days = 14\n",
        config("http://127.0.0.1:9/replies", 3600).replace("[service]\n", "[service]\nreopen_days = 0\n")
    );
    let t = TestStack::start(&text).await?;
    let ask = "My Acme laptop does not start after the update, can you please help me with a repair?";
    let assignee_of = |post: &'static str| {
        let t = &t;
        async move {
            let cases = t
                .wait_cases(Duration::from_secs(10), |cs| {
                    cs.iter().any(|c| c["post_ids"][0] == post && c["assignee"].is_string())
                })
                .await?;
            let case = cases
                .iter()
                .find(|c| c["post_ids"][0] == post)
                .cloned()
                .unwrap_or_default();
            anyhow::Ok((
                case["id"].as_str().unwrap_or_default().to_string(),
                case["assignee"].as_str().unwrap_or_default().to_string(),
            ))
        }
    };
    // Tara's first case goes to one of the two English agents (A); Ole's to the other (B).
    t.webhook("s1", &created("s-p1", "u-tara", "tara", ask)).await?;
    let (first, a) = assignee_of("generic:forum:s-p1").await?;
    t.webhook("s2", &created("s-p2", "u-ole", "ole", ask)).await?;
    let (ole_case, b) = assignee_of("generic:forum:s-p2").await?;
    assert_ne!(a, b, "least loaded: the second case goes to the other agent");
    // A resolves Tara's case; a third customer's case goes to A (now less loaded); B resolves Ole's.
    let resolve = |id: String, who: String| {
        let t = &t;
        async move {
            t.post(&format!("/v1/cases/{id}/resolve"), &who, Role::Agent, None)
                .await
        }
    };
    assert_eq!(resolve(first, a.clone()).await?.0, 200);
    t.webhook("s3", &created("s-p3", "u-kim", "kim", ask)).await?;
    assert_eq!(assignee_of("generic:forum:s-p3").await?.1, a);
    assert_eq!(resolve(ole_case, b.clone()).await?.0, 200);

    // Tara comes back: A carries one case, B none, and A gets it for having served her.
    t.webhook("s4", &created("s-p4", "u-tara", "tara", ask)).await?;
    let (again, who) = assignee_of("generic:forum:s-p4").await?;
    assert_eq!(who, a, "sticky to the agent who served her");
    let (status, why) = t
        .get(&format!("/v1/cases/{again}/routing"), "sam", Role::Supervisor)
        .await?;
    assert_eq!(status, 200, "{why}");
    let decision = &why["decisions"][0];
    assert_eq!(decision["sticky_agent"], a.as_str(), "{decision}");
    let other = decision["candidates"]
        .as_array()
        .and_then(|c| c.iter().find(|x| x["agent_id"] == b.as_str()))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(other["load"], 0, "{decision}");

    // The supervisors' load view: A carries both open cases, so the work is not evenly spread.
    let (status, agents) = t.get("/v1/agents", "sam", Role::Supervisor).await?;
    assert_eq!(status, 200);
    let load = &agents["load"];
    assert_eq!(
        (load["online"].as_u64(), load["online_load"].as_u64()),
        (Some(3), Some(2)),
        "{load}"
    );
    assert!(load["fairness"].as_f64().is_some_and(|f| f < 0.5), "{load}");
    assert_eq!(t.get("/v1/agents", &a, Role::Agent).await?.0, 403);
    Ok(())
}
