//! `GET /v1/cases?limit=N` on DynamoDB (moto) reads O(N) items, not the table: the limit and the
//! cursor go into the store's index queries (issue 14). Prints the requests and read units of a
//! `?limit=1` list next to a list of every case, and fails if the small page's cost grows with the
//! number of cases; walks the pages with `next` and checks they are the full list, newest first.
//! Skipped without moto (`SOCIALCARE_MOTO_URL`).

use socialcare_domain::Role;
use socialcare_system_tests::{Backend, TestStack, config, created};
use std::time::Duration;

const CASES: usize = 40;

/// DynamoDB (requests, read units) of one GET of `path` as `who`, and its body.
async fn cost(t: &TestStack, who: &str, role: Role, path: &str) -> anyhow::Result<(u64, f64, serde_json::Value)> {
    let before = t.settled_counts().await?;
    let (status, body) = t.get(path, who, role).await?;
    anyhow::ensure!(status == 200, "{path}: {status} {body}");
    let (requests, rru) = t.reads_since(&before)?;
    Ok((requests, rru, body))
}

fn ids(body: &serde_json::Value) -> Vec<String> {
    body["cases"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["id"].as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

async fn add_cases(t: &TestStack, range: std::ops::Range<usize>) -> anyhow::Result<()> {
    let want = range.end;
    for i in range {
        let body = created(
            &format!("p{i}"),
            &format!("u{i}"),
            &format!("cust{i}"),
            "My Acme laptop stopped charging, please help me fix it",
        );
        let (status, _) = t.webhook(&format!("w{i}"), &body).await?;
        anyhow::ensure!(status == 200, "webhook {status}");
    }
    t.wait_cases(Duration::from_secs(60), |c| c.len() == want).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limited_list_reads_its_page_not_the_table() -> anyhow::Result<()> {
    let Some(backend) = Backend::moto()? else { return Ok(()) };
    let text = config("http://127.0.0.1:9/replies", 3600);
    let t = TestStack::start_ticking(
        backend,
        &text,
        "http://127.0.0.1:9/a",
        Default::default(),
        &[],
        Duration::from_secs(3600),
    )
    .await?;
    let (one_small_req, one_small_rru) = {
        add_cases(&t, 0..CASES / 2).await?;
        let (req, rru, _) = cost(&t, "sam", Role::Supervisor, "/v1/cases?limit=1").await?;
        (req, rru)
    };
    add_cases(&t, CASES / 2..CASES).await?;
    t.wait_cases(Duration::from_secs(60), |c| c.len() == CASES).await?;

    let (one_req, one_rru, one) = cost(&t, "sam", Role::Supervisor, "/v1/cases?limit=1").await?;
    let (all_req, all_rru, all) = cost(&t, "sam", Role::Supervisor, "/v1/cases?limit=500").await?;
    let (st_req, st_rru, _) = cost(&t, "sam", Role::Supervisor, "/v1/cases?status=new&limit=1").await?;
    println!("DynamoDB per GET /v1/cases as a supervisor, {CASES} cases:");
    println!(
        "  ?limit=1             {one_req:>3} requests {one_rru:>6.1} RRU (with {} cases: {one_small_req} requests {one_small_rru:.1} RRU)",
        CASES / 2
    );
    println!("  ?status=new&limit=1  {st_req:>3} requests {st_rru:>6.1} RRU");
    println!("  ?limit=500 (all)     {all_req:>3} requests {all_rru:>6.1} RRU");
    anyhow::ensure!(
        ids(&all).len() == CASES,
        "the whole list has every case: {}",
        ids(&all).len()
    );
    anyhow::ensure!(ids(&one) == ids(&all)[..1], "limit=1 is the first of the whole list");
    // Agent item 1 + per status (5) one index query of one key, one case read, + the listed
    // case's latest customer post: a few RRU whatever the number of cases (a scan of the table,
    // as before issue 14, grows with it); the whole list reads every case and its post.
    anyhow::ensure!(one_rru <= 12.0, "?limit=1 reads {one_rru} RRU");
    anyhow::ensure!(
        one_rru <= one_small_rru + 1.0,
        "?limit=1 grows with the table: {one_small_rru} RRU with {} cases, {one_rru} with {CASES}",
        CASES / 2
    );
    anyhow::ensure!(st_rru <= 5.0, "?status=new&limit=1 reads {st_rru} RRU");
    anyhow::ensure!(all_rru >= 2.0 * CASES as f64, "the whole list reads {all_rru} RRU");

    // Pages of 7 through `next` walk the whole list, newest case first, once each.
    let mut walked = Vec::new();
    let mut path = "/v1/cases?limit=7".to_string();
    loop {
        let (status, page) = t.get(&path, "sam", Role::Supervisor).await?;
        anyhow::ensure!(status == 200, "{path}: {status}");
        walked.extend(ids(&page));
        match page["next"].as_str() {
            Some(next) => path = format!("/v1/cases?limit=7&cursor={next}"),
            None => break,
        }
        anyhow::ensure!(walked.len() <= CASES, "pages repeat cases");
    }
    anyhow::ensure!(walked == ids(&all), "pages: {walked:?}\nwhole: {:?}", ids(&all));
    let (status, _) = t.get("/v1/cases?cursor=nonsense", "sam", Role::Supervisor).await?;
    anyhow::ensure!(status == 400, "a cursor the API did not give: {status}");
    t.stack.stop();
    Ok(())
}
