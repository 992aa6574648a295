//! What the console's polling costs on AWS, counted: the stack on DynamoDB, SQS and SNS (moto),
//! an agent who has held three cases (one resolved) with six waiting in the queue, and a
//! supervisor. Prints the DynamoDB requests and read units of one poll of each screen (the
//! figures docs/CONSOLE.md prices per agent-hour) and fails if they grow past what the access
//! pattern explains: per list, the caller's agent item, one index query, one read per case named.
//! Skipped without moto (`SOCIALCARE_MOTO_URL`).

use socialcare_domain::Role;
use socialcare_system_tests::{Backend, TestStack, config, created};
use std::time::Duration;

const POLLS: u32 = 10;

/// DynamoDB (requests, read units) per poll of `paths` as `who`.
async fn per_poll(t: &TestStack, who: &str, role: Role, paths: &[&str]) -> anyhow::Result<(f64, f64)> {
    let before = t.settled_counts().await?;
    for _ in 0..POLLS {
        for p in paths {
            let (status, _) = t.get(p, who, role).await?;
            anyhow::ensure!(status == 200, "{p}: {status}");
        }
    }
    let (requests, rru) = t.reads_since(&before)?;
    Ok((requests as f64 / f64::from(POLLS), rru / f64::from(POLLS)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poll_reads_what_its_lists_name_and_no_more() -> anyhow::Result<()> {
    let Some(backend) = Backend::moto()? else { return Ok(()) };
    let text = config("http://127.0.0.1:9/replies", 3600).replace("capacity = 2", "capacity = 3");
    let t = TestStack::start_ticking(
        backend,
        &text,
        "http://127.0.0.1:9/a",
        Default::default(),
        &[],
        Duration::from_secs(3600),
    )
    .await?;
    let (status, _) = t
        .http_put(
            "/v1/agents/ben/presence",
            "ben",
            Role::Agent,
            serde_json::json!({"presence": "away"}),
        )
        .await?;
    anyhow::ensure!(status == 200);
    for i in 0..9 {
        let body = created(
            &format!("p{i}"),
            &format!("u{i}"),
            &format!("cust{i}"),
            "My Acme laptop stopped charging, please help me fix it",
        );
        let (status, _) = t.webhook(&format!("w{i}"), &body).await?;
        anyhow::ensure!(status == 200, "webhook {status}");
    }
    t.wait_cases(Duration::from_secs(30), |c| c.len() == 9).await?;
    let mut held = vec![];
    for _ in 0..3 {
        let (status, case) = t.post("/v1/queue/claim", "ben", Role::Agent, None).await?;
        anyhow::ensure!(status == 200, "claim {status}");
        held.push(case["id"].as_str().unwrap_or_default().to_string());
    }
    let (status, _) = t
        .post(&format!("/v1/cases/{}/resolve", held[0]), "ben", Role::Agent, None)
        .await?;
    anyhow::ensure!(status == 200, "resolve {status}");

    // a = 3 cases in Ben's assignee index (one resolved), w = 6 waiting.
    let desk = [
        "/v1/cases?assignee=me&status=new,open,pending",
        "/v1/cases?waiting=true",
    ];
    let (desk_req, desk_rru) = per_poll(&t, "ben", Role::Agent, &desk).await?;
    let case_path = format!("/v1/cases/{}", held[1]);
    let (case_req, case_rru) = per_poll(&t, "ben", Role::Agent, &[case_path.as_str()]).await?;
    let board = [
        "/v1/alerts?limit=50",
        "/v1/cases?status=new,open,pending&limit=200",
        "/v1/queues",
        "/v1/agents",
    ];
    let (board_req, board_rru) = per_poll(&t, "sam", Role::Supervisor, &board).await?;
    t.stack.stop();
    println!("DynamoDB per console poll (a = 3 cases held, w = 6 waiting, 8 active):");
    println!("  my work  {desk_req:>5.1} requests {desk_rru:>6.1} RRU");
    println!("  a case   {case_req:>5.1} requests {case_rru:>6.1} RRU");
    println!("  board    {board_req:>5.1} requests {board_rru:>6.1} RRU");
    // Per list: agent item 1 + index query ≤ 1 + the cases (a + w) + each case's latest customer
    // post for its snippet and handle (a + w), with a read unit of slack each.
    anyhow::ensure!(
        desk_rru <= 2.0 * 2.5 + 2.0 * (3.0 + 6.0),
        "my work reads {desk_rru} RRU per poll"
    );
    anyhow::ensure!(desk_req <= 10.0, "my work makes {desk_req} requests per poll");
    Ok(())
}
