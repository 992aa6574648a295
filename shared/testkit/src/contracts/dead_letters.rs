//! `DeadLetterQueue`: a look leaves the dead letters where they are; redrive sends one back to
//! its source queue (receivable there, counted from one again) and takes it off the DLQ.

use anyhow::ensure;
use socialcare_domain::ports::{DeadLetterQueue, QueueReceiver};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `dlq` holds exactly one dead letter with `body`; `source` is the queue it came from.
pub async fn dead_letter_contract(
    dlq: Arc<dyn DeadLetterQueue>,
    source: Arc<dyn QueueReceiver>,
    body: &str,
) -> anyhow::Result<()> {
    let seen = dlq.peek(10).await?;
    ensure!(seen.len() == 1, "one dead letter, got {seen:?}");
    ensure!(seen[0].body == body, "its body");
    ensure!(!seen[0].message_id.is_empty(), "an id to redrive it by");
    ensure!(
        seen[0].receive_count >= 1,
        "the receives it had: {}",
        seen[0].receive_count
    );
    ensure!(seen[0].first_seen.is_some(), "when it was first sent");
    ensure!(dlq.peek(10).await?.len() == 1, "a look takes nothing");
    ensure!(!dlq.redrive("no-such-message").await?, "an unknown id redrives nothing");
    ensure!(dlq.redrive(&seen[0].message_id).await?, "redriven");
    ensure!(dlq.peek(10).await?.is_empty(), "off the dead-letter queue");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = source.receive(10, Duration::from_secs(1)).await?;
        if let Some(m) = got.first() {
            ensure!(m.body == body, "the same body back on its queue");
            ensure!(m.receive_count == 1, "counted afresh: {}", m.receive_count);
            source.delete(std::slice::from_ref(&m.receipt)).await?;
            return Ok(());
        }
        ensure!(
            Instant::now() < deadline,
            "the redriven message never reached its queue"
        );
    }
}
