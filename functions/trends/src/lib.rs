//! The `trends` function: a batch of the posts table's stream records in, each newly stored post
//! (chatter included) counted by the trend service; then the buckets that ended are closed,
//! their counts written and their spikes published (`trend.alert.v1` to the alerts topic and
//! the outgoing webhooks). Never on the webhook's path: the stream is read after the post is
//! stored, and costs no read units.
//!
//! One instance per stream shard (the event source mapping's parallelization factor is 1), so
//! the detector sees a shard's posts in order; its state is saved in the alerts table when a
//! bucket closes and read back on a cold start (the open bucket's counts of a recycled instance
//! are lost: at most one bucket, `bucket_secs`).

use aws_lambda_events::event::dynamodb::Event;
use jiff::Timestamp;
use socialcare_domain::PortResult;
use socialcare_trends::service::TrendService;

/// What one batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Posts counted.
    pub posts: usize,
    /// Records that were not a new post (edits, deletes, platform-id refs).
    pub skipped: usize,
    /// Images that did not decode (logged with their event id; the batch goes on).
    pub unreadable: usize,
    pub buckets: usize,
    pub alerts: usize,
}

/// Counts the batch's new posts, then closes what ended by `now`.
pub async fn handle(service: &TrendService, event: Event, now: Timestamp) -> PortResult<Report> {
    let mut report = Report::default();
    for record in event.records {
        if record.event_name != "INSERT" {
            report.skipped += 1;
            continue;
        }
        match socialcare_aws::stream::post_from_image(record.change.new_image) {
            Some(Ok(post)) => {
                service.observe(&post);
                report.posts += 1;
            }
            Some(Err(e)) => {
                tracing::warn!(event_id = %record.event_id, error = %e, "stream image is not a readable post; skipped");
                report.unreadable += 1;
            }
            None => report.skipped += 1,
        }
    }
    let flushed = service.flush(now, false).await?;
    report.buckets = flushed.buckets;
    report.alerts = flushed.alerts;
    Ok(report)
}
