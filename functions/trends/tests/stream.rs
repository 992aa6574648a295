//! The trends function on a posts-table stream batch (`events/dynamodb/posts-stream.json`, the
//! images of stored posts put in where the fixture says): new posts counted, edits, refs and
//! unreadable images not; the counts readable once the bucket closed.

use socialcare_memory::MemoryStore;
use socialcare_testkit::sample;
use socialcare_trends::service::{Regions, TrendService, Window};
use socialcare_trends::store::{MemoryTrendStore, RecordingTrendSink};
use std::path::PathBuf;
use std::sync::Arc;

fn service() -> anyhow::Result<TrendService> {
    let detector = socialcare_trends::Detector::new(socialcare_trends::TrendsConfig::default())
        .map_err(|p| anyhow::anyhow!("{p:?}"))?;
    let store = Arc::new(MemoryStore::new());
    Ok(TrendService::new(
        detector,
        Arc::new(MemoryTrendStore::new()),
        Arc::new(RecordingTrendSink::new()),
        store.clone(),
        store,
        Regions::default(),
    ))
}

fn batch(posts: &[socialcare_domain::Post]) -> anyhow::Result<aws_lambda_events::event::dynamodb::Event> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events/dynamodb/posts-stream.json");
    let mut event: serde_json::Value = serde_json::from_slice(&std::fs::read(path)?)?;
    let image = |p: &socialcare_domain::Post| -> anyhow::Result<serde_json::Value> {
        Ok(serde_json::to_value(socialcare_aws::stream::post_image(p)?)?)
    };
    let records = event["Records"]
        .as_array_mut()
        .ok_or_else(|| anyhow::anyhow!("no Records"))?;
    records[0]["dynamodb"]["NewImage"] = image(&posts[0])?;
    records[0]["dynamodb"]["Keys"]["pk"]["S"] = posts[0].id.as_str().into();
    records[2]["dynamodb"]["NewImage"] = image(&posts[0])?;
    records[2]["dynamodb"]["Keys"]["pk"]["S"] = posts[0].id.as_str().into();
    let mut second = records[0].clone();
    second["dynamodb"]["NewImage"] = image(&posts[1])?;
    records.push(second);
    Ok(serde_json::from_value(event)?)
}

#[tokio::test]
async fn new_posts_are_counted_and_nothing_else() -> anyhow::Result<()> {
    let mut posts = Vec::new();
    for (i, text) in ["My Acme laptop will not charge", "Acme laptop battery dead again"]
        .iter()
        .enumerate()
    {
        let mut p = sample::post(&format!("p-{i}"), &format!("u-{i}"), sample::at(60 * i as i64))?;
        p.text = (*text).into();
        p.classification = Some(sample::classification(true));
        posts.push(p);
    }
    let service = service()?;
    let report = fn_trends::handle(&service, batch(&posts)?, sample::at(0)).await?;
    assert_eq!(
        (report.posts, report.skipped, report.unreadable),
        (2, 2, 1),
        "{report:?}"
    );
    // An hour later the bucket has closed and its counts are written.
    let later = sample::at(3600);
    let flushed = fn_trends::handle(&service, Default::default(), later).await?;
    assert!(flushed.buckets >= 1, "{flushed:?}");
    let window = Window::parse("24h").ok_or_else(|| anyhow::anyhow!("no 24h window"))?;
    let hot = service.hot(window, None, later, 10).await?;
    assert_eq!(hot.posts, 2);
    Ok(())
}
