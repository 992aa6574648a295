//! `AlertStore`: at most one alert per id, ever; delivery mark; acknowledgement (the first
//! stands); newest first with filters.

use super::concurrently;
use crate::sample::{alert, at, tag};
use anyhow::ensure;
use socialcare_domain::ports::{AlertQuery, AlertStore};
use socialcare_domain::{Level, PortError};
use std::sync::Arc;

pub async fn alert_store_contract(store: Arc<dyn AlertStore>) -> anyhow::Result<()> {
    let t = tag();
    let a1 = alert(&format!("case-{t}-1"), "billing", at(10))?;
    let a2 = alert(&format!("case-{t}-2"), "default", at(20))?;
    let a3 = alert(&format!("case-{t}-3"), "billing", at(30))?;
    ensure!(store.record(&a1).await?, "first record stores");
    let mut again = a1.clone();
    again.late_by_ms = 999;
    ensure!(!store.record(&again).await?, "an alert is recorded once, ever");
    ensure!(
        store.get(&a1.id).await?.as_ref() == Some(&a1),
        "the first record stands"
    );
    ensure!(store.get("no-such-alert").await?.is_none());

    store.mark_delivered(&a1.id).await?;
    ensure!(store.get(&a1.id).await?.is_some_and(|a| a.delivered), "delivered");
    let missing = store.mark_delivered(&format!("{t}-none")).await;
    ensure!(matches!(missing, Err(PortError::NotFound(_))), "got {missing:?}");

    store.record(&a3).await?;
    store.record(&a2).await?;
    let ids = |v: Vec<socialcare_domain::Alert>| v.into_iter().map(|a| a.id).collect::<Vec<_>>();
    let all = ids(store.list(&AlertQuery::default()).await?);
    ensure!(
        all == vec![a3.id.clone(), a2.id.clone(), a1.id.clone()],
        "newest first: {all:?}"
    );
    let billing = ids(store
        .list(&AlertQuery {
            queue: Some("billing".into()),
            ..AlertQuery::default()
        })
        .await?);
    ensure!(billing == vec![a3.id.clone(), a1.id.clone()], "by queue: {billing:?}");
    let since = ids(store
        .list(&AlertQuery {
            since: Some(at(20)),
            ..AlertQuery::default()
        })
        .await?);
    ensure!(
        since == vec![a3.id.clone(), a2.id.clone()],
        "since is inclusive: {since:?}"
    );
    let limited = ids(store
        .list(&AlertQuery {
            level: Some(Level::Breach),
            limit: Some(2),
            ..AlertQuery::default()
        })
        .await?);
    ensure!(limited == vec![a3.id.clone(), a2.id.clone()], "limit: {limited:?}");

    // Acknowledgement: the first one is kept; an unknown alert is None.
    let sam = crate::sample::agent_id("sam")?;
    let lee = crate::sample::agent_id("lee")?;
    let acked = store.acknowledge(&a2.id, &sam, at(50)).await?;
    ensure!(
        acked
            .as_ref()
            .is_some_and(|a| a.acknowledged_by.as_ref() == Some(&sam) && a.acknowledged_at == Some(at(50))),
        "acknowledged: {acked:?}"
    );
    let again = store.acknowledge(&a2.id, &lee, at(60)).await?;
    ensure!(
        again.is_some_and(|a| a.acknowledged_by.as_ref() == Some(&sam) && a.acknowledged_at == Some(at(50))),
        "the first acknowledgement stands"
    );
    ensure!(
        store
            .get(&a2.id)
            .await?
            .is_some_and(|a| a.acknowledged_by.as_ref() == Some(&sam))
    );
    ensure!(store.acknowledge(&format!("{t}-none"), &sam, at(60)).await?.is_none());

    // Racing tickers recording the same breach: exactly one records it.
    let raced = alert(&format!("case-{t}-raced"), "default", at(40))?;
    let results = concurrently(8, |i| {
        let store = store.clone();
        let mut mine = raced.clone();
        mine.late_by_ms = i as i64;
        async move { store.record(&mine).await }
    })
    .await?;
    let mut recorded = 0;
    for r in results {
        recorded += usize::from(r?);
    }
    ensure!(recorded == 1, "exactly one concurrent record wins, got {recorded}");
    Ok(())
}
