//! Data-subject requests through HTTP (issue 20 item 1), on the memory backend and on
//! DynamoDB/SQS (moto): a supervisor exports a customer (by a merged customer's id: the
//! survivor's story), erases them, and the metrics endpoints give the same figures; agents get
//! 403, an unknown customer 404, a second erasure the same record. The search of every record
//! of every store is the contract suite's (`shared/testkit/src/contracts/erasure.rs`).

use serde_json::{Value, json};
use socialcare_domain::Role;
use socialcare_system_tests::{Backend, TestStack, case_with_post, config, created};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_and_erase_through_the_api() -> anyhow::Result<()> {
    export_and_erase(Backend::Memory).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_and_erase_on_the_aws_backend() -> anyhow::Result<()> {
    match Backend::moto()? {
        Some(backend) => export_and_erase(backend).await,
        None => Ok(()),
    }
}

const SECRETS: &[&str] = &[
    "My Acme router QX-7731 keeps dropping",
    "Still broken, Priya here, order #88421953",
    "priya_on_the_forum",
    "priya_second_account",
    "u-priya-4417730001",
    "u-priya-5528840002",
    "88421953",
    "Hello Priya Raman, a courier is on the way",
];

/// What the metrics endpoints answer for a fixed range.
async fn figures(t: &TestStack, from: &str, to: &str) -> anyhow::Result<Value> {
    let (s1, sla) = t
        .get(
            &format!("/v1/metrics/sla?from={from}&to={to}&by=channel"),
            "sam",
            Role::Supervisor,
        )
        .await?;
    let (s2, reports) = t
        .get(
            &format!("/v1/reports/cases?from={from}&to={to}"),
            "sam",
            Role::Supervisor,
        )
        .await?;
    anyhow::ensure!(s1 == 200 && s2 == 200, "{s1} {sla} {s2} {reports}");
    Ok(json!({"sla": sla["rows"], "reports": reports}))
}

async fn export_and_erase(backend: Backend) -> anyhow::Result<()> {
    let text = config("http://127.0.0.1:9/replies", 3600);
    let t = TestStack::start_on(backend, &text, "http://127.0.0.1:9/alerts", Default::default(), &[]).await?;
    let start = jiff::Timestamp::now();
    let (from, to) = (
        (start - jiff::SignedDuration::from_hours(1)).to_string(),
        (start + jiff::SignedDuration::from_hours(1)).to_string(),
    );
    let posts = [
        ("p-1", "u-priya-4417730001", "priya_on_the_forum", SECRETS[0]),
        ("p-2", "u-priya-5528840002", "priya_second_account", SECRETS[1]),
    ];
    for (i, (id, author, handle, text)) in posts.iter().enumerate() {
        let (status, _) = t.webhook(&format!("w{i}"), &created(id, author, handle, text)).await?;
        anyhow::ensure!(status == 200);
        t.wait_cases(Duration::from_secs(15), |cs| cs.len() == i + 1).await?;
    }
    let cases = t
        .wait_cases(Duration::from_secs(15), |cs| {
            cs.len() == 2 && cs.iter().all(|c| !c["assignee"].is_null())
        })
        .await?;
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let (first, second) = (case_with_post(&cases, "p-1"), case_with_post(&cases, "p-2"));
    let (target, source) = (s(&first["customer_id"]), s(&second["customer_id"]));
    let assignee = s(&first["assignee"]);
    let (status, reply) = t
        .post(
            &format!("/v1/cases/{}/replies", s(&first["id"])),
            &assignee,
            Role::Agent,
            Some(json!({"text": SECRETS[7]})),
        )
        .await?;
    anyhow::ensure!(status == 202, "reply: {status} {reply}");
    let (status, merge) = t
        .post(
            "/v1/merges",
            "sam",
            Role::Supervisor,
            Some(json!({"source": source, "target": target, "reason": "Priya told us both are hers"})),
        )
        .await?;
    anyhow::ensure!(status == 201, "merge: {status} {merge}");
    // The folded case is closed by the merge: wait for the pipeline to be quiet.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = figures(&t, &from, &to).await?;
    let dump = t.dump_stores().await?.unwrap_or_default();
    for secret in SECRETS {
        anyhow::ensure!(
            dump.contains(secret),
            "the stores should hold `{secret}` before the erasure"
        );
    }

    // Who may ask, and what for an unknown customer.
    for (method, path) in [("get", "export"), ("post", "erase")] {
        let url = format!("/v1/customers/{target}/{path}");
        let status = if method == "get" {
            t.get(&url, &assignee, Role::Agent).await?.0
        } else {
            t.post(&url, &assignee, Role::Agent, None).await?.0
        };
        anyhow::ensure!(status == 403, "{method} {url} as an agent: {status}");
    }
    let unknown = "/v1/customers/cus-00000000000000000000000000000000/erase";
    anyhow::ensure!(t.post(unknown, "sam", Role::Supervisor, None).await?.0 == 404);

    // The export, asked by the merged customer's id: the survivor's whole story.
    let (status, export) = t
        .get(&format!("/v1/customers/{source}/export"), "sam", Role::Supervisor)
        .await?;
    anyhow::ensure!(status == 200, "export: {status} {export}");
    anyhow::ensure!(export["merged_into"] == target.as_str() && export["customer"]["id"] == target.as_str());
    anyhow::ensure!(export["posts"].as_array().map(Vec::len) == Some(2), "{export}");
    anyhow::ensure!(export["replies"].as_array().map(Vec::len) == Some(1), "{export}");
    anyhow::ensure!(export["merges"].as_array().map(Vec::len) == Some(1), "{export}");
    let raw = export.to_string();
    for secret in SECRETS {
        anyhow::ensure!(raw.contains(secret), "the export should hold `{secret}`");
    }

    // The erasure, then the same record again.
    let (status, erasure) = t
        .post(&format!("/v1/customers/{source}/erase"), "sam", Role::Supervisor, None)
        .await?;
    anyhow::ensure!(status == 200, "erase: {status} {erasure}");
    anyhow::ensure!(
        erasure["state"] == "erased" && erasure["customer"] == target.as_str(),
        "{erasure}"
    );
    anyhow::ensure!(
        erasure["counts"]["posts"] == 2 && erasure["counts"]["replies"] == 1,
        "{erasure}"
    );
    anyhow::ensure!(erasure["requested_by"] == "sam");
    let (status, again) = t
        .post(&format!("/v1/customers/{target}/erase"), "sam", Role::Supervisor, None)
        .await?;
    anyhow::ensure!(status == 200 && again == erasure, "a second erasure: {status} {again}");
    // The operator's command, through the API: the same record; an agent's token is refused.
    let cli = |token: String| socialcare_local::commands::EraseArgs {
        customer: target.clone(),
        backend: socialcare_local::commands::EraseVia::Api,
        url: t.url(""),
        token: Some(token),
        as_agent: "operator".into(),
        aws_endpoint: None,
        prefix: "unused-".into(),
    };
    let by_cli = socialcare_local::commands::erase(cli(TestStack::token("sam", Role::Supervisor))).await?;
    anyhow::ensure!(by_cli == erasure, "care erase answers the record: {by_cli}");
    let refused = socialcare_local::commands::erase(cli(TestStack::token(&assignee, Role::Agent))).await;
    anyhow::ensure!(
        refused.as_ref().is_err_and(|e| e.to_string().contains("403")),
        "care erase with an agent's token: {refused:?}"
    );

    // Nothing of hers through any read, and the same figures.
    let mut reads = vec![
        t.get(&format!("/v1/customers/{target}/export"), "sam", Role::Supervisor)
            .await?,
        t.get(&format!("/v1/customers/{target}"), "sam", Role::Supervisor)
            .await?,
        t.get(
            "/v1/cases?status=new,open,pending,resolved,closed",
            "sam",
            Role::Supervisor,
        )
        .await?,
    ];
    for c in &cases {
        reads.push(
            t.get(&format!("/v1/cases/{}", s(&c["id"])), "sam", Role::Supervisor)
                .await?,
        );
    }
    reads.push(
        t.get(&format!("/v1/merges/{}", s(&merge["id"])), "sam", Role::Supervisor)
            .await?,
    );
    for (status, body) in &reads {
        anyhow::ensure!(*status == 200, "{status} {body}");
        let raw = body.to_string();
        for secret in SECRETS {
            anyhow::ensure!(!raw.contains(secret), "`{secret}` survives in {raw}");
        }
    }
    let history = &reads[1].1;
    anyhow::ensure!(
        history["erasure"]["id"] == erasure["id"] && history["identities"] == json!([]),
        "the customer's page shows the tombstone and its record: {history}"
    );
    // Every record of every table the pipeline wrote to (posts, customers and their indexes,
    // cases, merges, dedupe records, timers, alerts, report rows, triage, labels, parked).
    let dump = t.dump_stores().await?.unwrap_or_default();
    anyhow::ensure!(dump.contains(&target), "the dump holds the stores' records");
    for secret in SECRETS {
        anyhow::ensure!(!dump.contains(secret), "`{secret}` survives in a store");
    }
    let after = figures(&t, &from, &to).await?;
    anyhow::ensure!(before == after, "the metrics moved:\nbefore {before}\nafter  {after}");
    t.stack.stop();
    Ok(())
}

/// `care erase --backend aws`: straight on the tables of `care serve --backend aws` (moto), no
/// stack running: the customer becomes a tombstone, its handle's link goes, asking again
/// answers the same record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn care_erase_straight_on_the_tables() -> anyhow::Result<()> {
    let Some(Backend::Aws(url)) = Backend::moto()? else {
        return Ok(());
    };
    let prefix = format!("er-{}-", jiff::Timestamp::now().as_nanosecond() % 1_000_000_000_000);
    let aws = socialcare_local::aws_backend::AwsBackend::connect(&socialcare_local::aws_backend::AwsOptions {
        endpoint: Some(url.clone()),
        prefix: prefix.clone(),
        visibility: Duration::from_secs(2),
    })
    .await?;
    let ports = aws.ports();
    let author = socialcare_domain::Author {
        id: socialcare_domain::AuthorId::parse("x:4417730001")?,
        handle: "priya_r_on_x".into(),
        name: Some("Priya Raman".into()),
        followers: None,
        verified: None,
        following: None,
        joined_at: None,
    };
    let customer = socialcare_domain::Customer::first_for(&author, jiff::Timestamp::now());
    anyhow::ensure!(ports.customers.create(&customer).await?);
    let args = || socialcare_local::commands::EraseArgs {
        customer: customer.id.to_string(),
        backend: socialcare_local::commands::EraseVia::Aws,
        url: String::new(),
        token: None,
        as_agent: "operator".into(),
        aws_endpoint: Some(url.clone()),
        prefix: prefix.clone(),
    };
    let record = socialcare_local::commands::erase(args()).await?;
    anyhow::ensure!(
        record["state"] == "erased" && record["requested_by"] == "operator" && record["counts"]["authors"] == 1,
        "{record}"
    );
    anyhow::ensure!(
        ports.customers.customer_of(&author.id).await?.is_none(),
        "the handle's link is gone"
    );
    let tombstone = ports.customers.get(&customer.id).await?;
    anyhow::ensure!(tombstone.is_some_and(|c| c.display_name.is_empty() && c.identities.is_empty()));
    anyhow::ensure!(
        socialcare_local::commands::erase(args()).await? == record,
        "asked again: the same record"
    );
    Ok(())
}
