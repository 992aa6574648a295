//! `ParkingLot`: a poison message is kept once with its reason; newest first.

use crate::sample::{at, parked, tag};
use anyhow::ensure;
use socialcare_domain::ports::ParkingLot;
use std::sync::Arc;

pub async fn parking_lot_contract(store: Arc<dyn ParkingLot>) -> anyhow::Result<()> {
    let t = tag();
    ensure!(store.list(10).await?.is_empty(), "starts empty");
    let p1 = parked("thread", &format!("{t}-1"), at(10));
    let p2 = parked("thread", &format!("{t}-2"), at(20));
    let p3 = parked("route", &format!("{t}-1"), at(30));
    for p in [&p1, &p2, &p3] {
        store.park(p).await?;
    }
    let mut redelivered = p1.clone();
    redelivered.reason = "seen again".into();
    redelivered.at = at(40);
    store.park(&redelivered).await?;
    let all = store.list(10).await?;
    ensure!(
        all == vec![p3.clone(), p2.clone(), p1.clone()],
        "kept once, newest first: {all:?}"
    );
    ensure!(store.list(2).await? == vec![p3.clone(), p2], "limit");
    ensure!(store.list(0).await?.is_empty());
    ensure!(store.remove("thread", &format!("{t}-2")).await?, "removed");
    ensure!(!store.remove("thread", &format!("{t}-2")).await?, "gone already");
    ensure!(!store.remove("route", &format!("{t}-2")).await?, "another source's id");
    ensure!(
        store.list(10).await? == vec![p3, p1],
        "the others stay: {:?}",
        store.list(10).await?
    );
    Ok(())
}
