//! Case reports through `care serve`'s HTTP front door (issue 19, item 4): cases created,
//! answered, resolved and reopened, then the report per group, the live board and the rows
//! export (CSV and JSON Lines), supervisors only, with 400s naming the bad parameter. On the
//! memory backend (rows kept as cases are saved), and on moto (rows derived from the cases
//! created in the range, through the cases table's `by_day` index) when it is running.

use serde_json::Value;
use socialcare_channels::platforms::Endpoints;
use socialcare_domain::Role;
use socialcare_system_tests::{Backend, TestStack, case_with_post, config, created};
use std::time::Duration;

async fn fetch(t: &TestStack, path: &str, accept: &str) -> anyhow::Result<(u16, String, String)> {
    let r = t
        .http
        .get(t.url(path))
        .bearer_auth(TestStack::token("sam", Role::Supervisor))
        .header("accept", accept)
        .send()
        .await?;
    let status = r.status().as_u16();
    let kind = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    Ok((status, kind, r.text().await?))
}

async fn walk(backend: Backend) -> anyhow::Result<()> {
    let t = TestStack::start_on(
        backend,
        &config("http://127.0.0.1:9/replies", 3600),
        "http://127.0.0.1:9/alerts",
        Endpoints::default(),
        &[],
    )
    .await?;
    for (id, author, text) in [
        (
            "p0",
            "u0",
            "My Acme router keeps dropping the connection every hour, please help",
        ),
        (
            "p1",
            "u1",
            "I was charged twice for my order, can you refund me please?",
        ),
    ] {
        assert_eq!(
            t.webhook(&format!("m-{id}"), &created(id, author, "someone", text))
                .await?
                .0,
            200
        );
    }
    let cases = t
        .wait_cases(Duration::from_secs(10), |cs| {
            cs.len() == 2 && cs.iter().all(|c| c["assignee"] == "ben")
        })
        .await?;
    let first = case_with_post(&cases, "p0");
    let id = first["id"].as_str().unwrap_or_default().to_string();
    // Ben answers the first case (the first response, in time) and resolves it.
    let (status, _) = t
        .post(
            &format!("/v1/cases/{id}/replies"),
            "ben",
            Role::Agent,
            Some(serde_json::json!({"text": "Sorry about that: a new firmware is out, does it help?"})),
        )
        .await?;
    assert_eq!(status, 202, "the reply is accepted for delivery");
    assert_eq!(
        t.post(&format!("/v1/cases/{id}/resolve"), "ben", Role::Agent, None)
            .await?
            .0,
        200
    );
    // The customer writes again within the reopen window: the case opens again.
    t.webhook(
        "m-p2",
        &created(
            "p2",
            "u0",
            "someone",
            "The router is dropping again since this morning, please help",
        ),
    )
    .await?;
    t.wait_cases(Duration::from_secs(10), |cs| {
        let c = case_with_post(cs, "p2");
        c["id"] == id.as_str() && c["status"] != "resolved"
    })
    .await?;

    // The report per agent: both cases are ben's (the reopened one by its last assignee).
    let (status, report) = t.get("/v1/reports/cases?by=agent", "sam", Role::Supervisor).await?;
    assert_eq!(status, 200, "{report}");
    let total = &report["total"];
    assert_eq!(total["volume"], 2, "{report:#}");
    assert_eq!(total["first_response"]["count"], 1, "one case answered: {report:#}");
    assert!(
        total["first_response"]["median_wall_ms"]
            .as_i64()
            .is_some_and(|ms| ms >= 0)
    );
    assert_eq!(
        total["first_response"]["median_business_ms"], total["first_response"]["median_wall_ms"],
        "a 24×7 policy: business time is wall time"
    );
    assert_eq!(
        (total["sla_met"].as_u64(), total["sla_missed"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(total["sla_attainment_pct"], 100.0);
    assert_eq!(
        (total["resolved"].as_u64(), total["reopened"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(total["reopen_rate_pct"], 100.0);
    assert_eq!(
        (total["agents"].as_u64(), total["cases_per_agent"].as_f64()),
        (Some(1), Some(2.0))
    );
    let sentiment = &total["sentiment"];
    let counted: u64 = [
        "detractor_to_promoter",
        "promoter_to_detractor",
        "unchanged",
        "other",
        "unknown",
    ]
    .iter()
    .filter_map(|k| sentiment[k].as_u64())
    .sum();
    assert_eq!(counted, 2, "every case has a sentiment change class: {sentiment}");
    assert_eq!(report["groups"][0]["group"], "ben");
    let (_, by_channel) = t.get("/v1/reports/cases?by=channel", "sam", Role::Supervisor).await?;
    assert_eq!(by_channel["groups"][0]["group"], "generic");
    assert_eq!(by_channel["groups"][0]["volume"], 2);

    // The board.
    let (status, board) = t.get("/v1/reports/live", "sam", Role::Supervisor).await?;
    assert_eq!(status, 200);
    let generic = &board["channels"]["generic"];
    assert_eq!(
        (generic["volume_today"].as_u64(), generic["open"].as_u64()),
        (Some(2), Some(2)),
        "{board}"
    );
    assert_eq!(generic["breached"], 0);

    // The export: one row per case, CSV and JSON Lines alike.
    let (status, kind, csv) = fetch(&t, "/v1/reports/cases/rows", "text/csv").await?;
    assert_eq!((status, kind.starts_with("text/csv")), (200, true), "{csv}");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "a header and two rows: {csv}");
    assert!(
        lines[0].starts_with("case_id,version,created_at,day,status,channel"),
        "{}",
        lines[0]
    );
    assert!(csv.contains(&id), "{csv}");
    let (_, kind, jsonl) = fetch(&t, "/v1/reports/cases/rows", "application/x-ndjson").await?;
    assert!(kind.starts_with("application/x-ndjson"));
    let rows: Vec<Value> = jsonl.lines().map(serde_json::from_str).collect::<Result<_, _>>()?;
    assert_eq!(rows.len(), 2);
    let reopened = rows
        .iter()
        .find(|r| r["case_id"] == id.as_str())
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (reopened["reopens"].as_u64(), reopened["resolved"].as_bool()),
        (Some(1), Some(true))
    );
    assert_eq!(reopened["agent"], "ben");
    // The report route itself exports when CSV is asked for.
    let (status, _, same) = fetch(&t, "/v1/reports/cases?by=queue", "text/csv").await?;
    assert_eq!((status, same.lines().count()), (200, 3));

    // Bad parameters: 400 problems naming them.
    for (path, param) in [
        ("/v1/reports/cases?by=weather", "by"),
        ("/v1/reports/cases?from=yesterday", "from"),
        ("/v1/reports/cases/rows?to=2026-13-40", "to"),
        ("/v1/reports/cases?from=2026-12-02&to=2026-12-01", "to"),
        ("/v1/reports/cases?from=2020-01-01&to=2026-01-01", "from"),
    ] {
        let (status, problem) = t.get(path, "sam", Role::Supervisor).await?;
        assert_eq!(status, 400, "{path}: {problem}");
        let detail = problem["detail"].as_str().unwrap_or_default();
        assert!(detail.starts_with(&format!("{param}:")), "{path}: {detail}");
    }
    // Supervisors only.
    for path in ["/v1/reports/cases", "/v1/reports/cases/rows", "/v1/reports/live"] {
        assert_eq!(t.get(path, "ben", Role::Agent).await?.0, 403, "{path}");
    }
    t.stack.stop();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_on_memory() -> anyhow::Result<()> {
    walk(Backend::Memory).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_on_moto() -> anyhow::Result<()> {
    match Backend::moto()? {
        Some(backend) => walk(backend).await,
        None => Ok(()),
    }
}
