//! `Dedupe`: first body wins while live; an expired record counts as absent and is replaced.

use super::concurrently;
use crate::sample::{at, tag};
use anyhow::ensure;
use jiff::Timestamp;
use socialcare_domain::ports::{Dedupe, Seen};
use std::sync::Arc;

fn year(y: i16) -> anyhow::Result<Timestamp> {
    Ok(jiff::civil::date(y, 1, 1)
        .to_zoned(jiff::tz::TimeZone::UTC)?
        .timestamp())
}

pub async fn dedupe_contract(store: Arc<dyn Dedupe>) -> anyhow::Result<()> {
    let now = at(0);
    // Far in the future, so that "live" holds whatever clock the store judges expiry by.
    let far = year(2100)?;

    let key = format!("x:{}", tag());
    ensure!(store.check(&key, "fp1", now).await? == Seen::New, "unknown key is new");
    store.remember(&key, "fp1", far).await?;
    ensure!(
        store.check(&key, "fp1", now).await? == Seen::Duplicate,
        "same body is a duplicate"
    );
    ensure!(
        store.check(&key, "fp2", now).await? == Seen::Conflict,
        "other body is a conflict"
    );
    store.remember(&key, "fp2", far).await?;
    ensure!(
        store.check(&key, "fp1", now).await? == Seen::Duplicate,
        "remember keeps a live record (first body wins)"
    );
    let just_before = far.checked_sub(jiff::SignedDuration::from_nanos(1))?;
    ensure!(
        store.check(&key, "fp1", just_before).await? == Seen::Duplicate,
        "live until expires_at"
    );
    ensure!(
        store.check(&key, "fp1", far).await? == Seen::New,
        "expired at expires_at: absent"
    );

    // An expired record is replaced by the next remember.
    let old = format!("x:{}", tag());
    store.remember(&old, "fp1", year(2001)?).await?;
    ensure!(store.check(&old, "fp1", year(2000)?).await? == Seen::Duplicate);
    ensure!(
        store.check(&old, "fp1", now).await? == Seen::New,
        "expired counts as absent"
    );
    store.remember(&old, "fp2", far).await?;
    ensure!(
        store.check(&old, "fp2", now).await? == Seen::Duplicate,
        "expired record replaced"
    );
    ensure!(store.check(&old, "fp1", now).await? == Seen::Conflict);

    // Racing writers: exactly one body wins.
    let raced = format!("x:{}", tag());
    let results = concurrently(8, |i| {
        let store = store.clone();
        let raced = raced.clone();
        async move { store.remember(&raced, &format!("fp{i}"), far).await }
    })
    .await?;
    for r in results {
        r?;
    }
    let mut winners = 0;
    for i in 0..8 {
        if store.check(&raced, &format!("fp{i}"), now).await? == Seen::Duplicate {
            winners += 1;
        }
    }
    ensure!(winners == 1, "exactly one concurrent remember wins, got {winners}");
    Ok(())
}
