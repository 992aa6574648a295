//! The `TrendStore` contract: counters add up per row (however many keys), rows come back by
//! range in order with their labels, an alert is recorded once and listed newest first, and the
//! detector state is saved only over the version it was read at (and big states survive).

use anyhow::{Context, ensure};
use socialcare_trends::store::{CounterUpdate, Period, TrendStore};
use socialcare_trends::{KeyCount, KeyKind, TrendAlert};
use std::sync::Arc;

fn count(key: &str, posts: u32) -> KeyCount {
    KeyCount {
        key: key.to_string(),
        label: format!("label of {key}"),
        kind: if key.starts_with("phrase:") {
            KeyKind::Phrase
        } else {
            KeyKind::Topic
        },
        language: key.split('@').nth(1).map(str::to_string),
        posts,
        negative: posts / 2,
        positive: 1,
        sentiment_milli: -250 * i64::from(posts),
    }
}

pub async fn trend_store_contract(store: Arc<dyn TrendStore>) -> anyhow::Result<()> {
    let hour = 1_767_225_600;
    // Two flushes into one row, 60 keys (more than one request's worth on DynamoDB).
    let mut keys: Vec<KeyCount> = (0..60).map(|i| count(&format!("phrase:en:word{i}"), 2)).collect();
    keys.push(count("topic:printer@de", 3));
    for _ in 0..2 {
        store
            .add_counts(&[
                CounterUpdate {
                    period: Period::Hour,
                    start: hour,
                    total: 100,
                    keys: keys.clone(),
                },
                CounterUpdate {
                    period: Period::Hour,
                    start: hour + 3600,
                    total: 7,
                    keys: vec![count("topic:printer@de", 1)],
                },
            ])
            .await?;
    }
    let rows = store.rows(Period::Hour, hour - 3600, hour + 7200).await?;
    ensure!(rows.len() == 2, "two rows expected, got {}", rows.len());
    ensure!(rows[0].start == hour && rows[1].start == hour + 3600, "rows in order");
    ensure!(rows[0].total == 200, "totals add up: {}", rows[0].total);
    ensure!(rows[0].keys.len() == 61, "every key kept: {}", rows[0].keys.len());
    let p = rows[0].keys.get("topic:printer@de").context("the topic's counters")?;
    ensure!(
        p.posts == 6 && p.negative == 2 && p.positive == 2 && p.sentiment_milli == -1500,
        "counters add up: {p:?}"
    );
    ensure!(
        p.label == "label of topic:printer@de" && p.kind == Some(KeyKind::Topic),
        "label: {p:?}"
    );
    ensure!(p.language.as_deref() == Some("de"), "language: {p:?}");
    let w = rows[0].keys.get("phrase:en:word59").context("the last phrase")?;
    ensure!(w.posts == 4, "a later request's key adds up too: {w:?}");
    ensure!(
        store.rows(Period::Day, hour, hour + 86_400).await?.is_empty(),
        "another period is apart"
    );
    ensure!(
        store.rows(Period::Hour, hour + 3600, hour + 7200).await?.len() == 1,
        "the range's end is open"
    );

    // Alerts: once, newest first, delivered remembered.
    ensure!(
        store
            .record_alert(&crate::sample::trend_alert("trend#topic:printer#1", hour))
            .await?,
        "first record"
    );
    ensure!(
        !store
            .record_alert(&crate::sample::trend_alert("trend#topic:printer#1", hour))
            .await?,
        "recorded once"
    );
    ensure!(
        store
            .record_alert(&crate::sample::trend_alert("trend#topic:ink#2", hour + 600))
            .await?,
        "second alert"
    );
    store.mark_alert_delivered("trend#topic:printer#1").await?;
    let listed = store.alerts(hour - 1, 10).await?;
    ensure!(listed.len() == 2, "both listed: {}", listed.len());
    ensure!(listed[0].id == "trend#topic:ink#2", "newest first");
    ensure!(
        listed[1].delivered
            && listed[1]
                == TrendAlert {
                    delivered: true,
                    ..crate::sample::trend_alert("trend#topic:printer#1", hour)
                },
        "kept whole"
    );
    ensure!(store.alerts(hour + 1, 10).await?.len() == 1, "since filters");
    ensure!(store.alerts(0, 1).await?.len() == 1, "limit");

    // State: saved over the version read, never over another writer's.
    ensure!(store.load_state().await?.is_none(), "no state at first");
    ensure!(store.save_state(None, b"one").await?, "first save");
    ensure!(!store.save_state(None, b"other").await?, "a second first save loses");
    let big: Vec<u8> = (0..900_000u32).map(|i| (i % 251) as u8).collect();
    ensure!(store.save_state(Some(1), &big).await?, "save over version 1");
    ensure!(!store.save_state(Some(1), b"stale").await?, "a stale version loses");
    let s = store.load_state().await?.context("the state")?;
    ensure!(
        s.version == 2 && s.bytes == big,
        "the big state comes back whole (version {})",
        s.version
    );
    ensure!(store.save_state(Some(2), b"small").await?, "save over version 2");
    let s = store.load_state().await?.context("the state")?;
    ensure!(
        s.version == 3 && s.bytes == b"small",
        "a smaller state replaces a big one"
    );
    Ok(())
}
