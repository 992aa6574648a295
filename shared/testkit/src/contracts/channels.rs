//! `ChannelStore`: a health record per (platform, account), saved on its version (a lost race is
//! a `Conflict`, never a silent overwrite); every record listed; a channel alert recorded once
//! per id, marked delivered, listed newest first.

use super::concurrently;
use crate::sample::{at, tag};
use anyhow::ensure;
use socialcare_domain::PortError;
use socialcare_domain::health::{ChannelAlert, ChannelHealth, FailureKind, HealthConfig, IncidentKind};
use socialcare_domain::ports::ChannelStore;
use std::sync::Arc;

pub async fn channel_store_contract(store: Arc<dyn ChannelStore>) -> anyhow::Result<()> {
    let t = tag();
    let account = format!("acct-{t}");
    ensure!(store.channel("x", &account).await?.is_none());

    let mut h = ChannelHealth::new("x", &account);
    h.on_webhook(at(0));
    h.on_failure(
        FailureKind::Token,
        "X 401: Unauthorized",
        at(5),
        &HealthConfig::default(),
    );
    h.revoke(at(6));
    h.version = 1;
    store.save_channel(&h, 0).await?;
    ensure!(
        store.channel("x", &account).await?.as_ref() == Some(&h),
        "read back as saved"
    );
    let again = store.save_channel(&h, 0).await;
    ensure!(
        matches!(again, Err(PortError::Conflict(_))),
        "a second first save: {again:?}"
    );

    // Two writers on version 1: one wins, the other is told.
    let results = concurrently(4, |i| {
        let store = store.clone();
        let mut next = h.clone();
        async move {
            next.on_webhook(at(100 + i as i64));
            next.version = 2;
            store.save_channel(&next, 1).await
        }
    })
    .await?;
    let won = results.iter().filter(|r| r.is_ok()).count();
    ensure!(won == 1, "exactly one save on version 1 wins, got {won}");
    ensure!(
        results
            .iter()
            .all(|r| r.is_ok() || matches!(r, Err(PortError::Conflict(_)))),
        "{results:?}"
    );
    ensure!(store.channel("x", &account).await?.map(|h| h.version) == Some(2));

    let other = ChannelHealth {
        version: 1,
        ..ChannelHealth::new("instagram", &account)
    };
    store.save_channel(&other, 0).await?;
    let mine: Vec<(String, String)> = store
        .channels()
        .await?
        .into_iter()
        .filter(|c| c.account == account)
        .map(|c| (c.platform, c.account))
        .collect();
    ensure!(
        mine == vec![
            ("instagram".to_string(), account.clone()),
            ("x".to_string(), account.clone())
        ],
        "every record, by platform: {mine:?}"
    );

    let stored = store.channel("x", &account).await?.unwrap_or_else(|| h.clone());
    let incident = stored
        .incidents
        .get(&IncidentKind::Token)
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("no token incident"))?;
    let first = ChannelAlert::of(&stored, IncidentKind::Token, &incident, at(60));
    ensure!(store.record_channel_alert(&first).await?, "first record stores");
    let mut later = first.clone();
    later.fired_at = at(120);
    ensure!(!store.record_channel_alert(&later).await?, "once per incident");
    ensure!(
        store
            .channel_alert(&first.id)
            .await?
            .is_some_and(|a| !a.delivered && a.fired_at == at(60))
    );
    store.mark_channel_alert_delivered(&first.id).await?;
    ensure!(store.channel_alert(&first.id).await?.is_some_and(|a| a.delivered));
    let missing = store.mark_channel_alert_delivered(&format!("{t}-none")).await;
    ensure!(matches!(missing, Err(PortError::NotFound(_))), "{missing:?}");

    let mut second = ChannelAlert::of(&stored, IncidentKind::Silent, &incident, at(300));
    second.kind = IncidentKind::Silent;
    store.record_channel_alert(&second).await?;
    let listed: Vec<String> = store
        .channel_alerts(100)
        .await?
        .into_iter()
        .filter(|a| a.account == account)
        .map(|a| a.id)
        .collect();
    ensure!(
        listed == vec![second.id.clone(), first.id.clone()],
        "newest first: {listed:?}"
    );
    Ok(())
}
