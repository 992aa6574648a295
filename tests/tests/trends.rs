//! Trends through HTTP: every stored post (a customer's request and chatter alike) is counted
//! by the in-process trends function; supervisors read hot topics, a key's series and the
//! alerts; agents are refused; bad windows are 400.

use socialcare_domain::Role;
use socialcare_system_tests::{TestStack, config, created};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervisors_see_hot_topics_of_every_stored_post() -> anyhow::Result<()> {
    // Ten-second buckets, so the test's posts are counted within seconds.
    let text = format!(
        "{}\n[trends]\nbucket_secs = 10\nwindow_buckets = 1\nlong_window_buckets = 1\nhalf_life_secs = 60\n\
         topics = [{{ name = \"printer\", aliases = [\"deskjet\"] }}]\n",
        config("http://127.0.0.1:9/replies", 3600)
    );
    let t = TestStack::start(&text).await?;
    for (i, body) in [
        "My Acme printer is jammed again and I need it for work, please help",
        "Loving the deskjet printer colours, great job team",
        "The printer app crashes when I scan, can you fix it?",
    ]
    .iter()
    .enumerate()
    {
        let (status, _) = t
            .webhook(
                &format!("t{i}"),
                &created(&format!("tp{i}"), &format!("tu{i}"), "someone", body),
            )
            .await?;
        assert_eq!(status, 200);
    }
    // The bucket closes within ten seconds; its counts are written on the next tick.
    let mut printer = None;
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (status, hot) = t.get("/v1/trends?window=1h", "sam", Role::Supervisor).await?;
        assert_eq!(status, 200, "{hot}");
        printer = hot["topics"]
            .as_array()
            .and_then(|ts| ts.iter().find(|x| x["key"] == "topic:printer").cloned());
        if printer.as_ref().is_some_and(|p| p["posts"] == 3) {
            break;
        }
    }
    let printer = printer.ok_or_else(|| anyhow::anyhow!("topic:printer never counted"))?;
    assert_eq!(printer["posts"], 3, "{printer}");
    assert_eq!(printer["label"], "printer");

    let (status, series) = t
        .get("/v1/trends/topic:printer?window=24h", "sam", Role::Supervisor)
        .await?;
    assert_eq!(status, 200, "{series}");
    assert_eq!(series["points"].as_array().map(Vec::len), Some(24));
    let total: u64 = series["points"]
        .as_array()
        .map(|ps| ps.iter().filter_map(|p| p["posts"].as_u64()).sum())
        .unwrap_or(0);
    assert_eq!(total, 3, "{series}");

    let (status, alerts) = t.get("/v1/trends/alerts", "sam", Role::Supervisor).await?;
    assert_eq!(status, 200, "{alerts}");
    assert!(alerts["alerts"].is_array());

    assert_eq!(
        t.get("/v1/trends?window=1h", "ben", Role::Agent).await?.0,
        403,
        "agents are refused"
    );
    assert_eq!(t.get("/v1/trends/alerts", "ben", Role::Agent).await?.0, 403);
    let (status, problem) = t.get("/v1/trends?window=2h", "sam", Role::Supervisor).await?;
    assert_eq!((status, problem["status"].as_u64()), (400, Some(400)), "{problem}");
    assert_eq!(t.get("/v1/trends?language=xyz", "sam", Role::Supervisor).await?.0, 400);
    Ok(())
}
