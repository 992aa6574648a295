//! `TimerStore`: arm once, due earliest first, settle once (also under racing tickers).

use super::concurrently;
use crate::sample::{at, tag, timer};
use anyhow::{bail, ensure};
use socialcare_domain::ports::TimerStore;
use std::collections::HashMap;
use std::sync::Arc;

pub async fn timer_store_contract(store: Arc<dyn TimerStore>) -> anyhow::Result<()> {
    let t = tag();
    let late = timer(&format!("case-{t}-late"), 0, at(300))?;
    let early = timer(&format!("case-{t}-early"), 0, at(100))?;
    let mid = timer(&format!("case-{t}-mid"), 0, at(200))?;
    let mid_next_epoch = timer(&format!("case-{t}-mid"), 1, at(200))?;
    let future = timer(&format!("case-{t}-future"), 0, at(10_000))?;
    for tm in [&late, &early, &mid, &mid_next_epoch, &future] {
        store.arm(tm).await?;
    }
    // Arming again (a redelivery, even with another due time) changes nothing.
    let mut moved = early.clone();
    moved.due_at = at(5_000);
    store.arm(&moved).await?;

    ensure!(store.due(at(50), 10).await?.is_empty(), "nothing due yet");
    let due = store.due(at(300), 10).await?;
    let keys: Vec<String> = due.iter().map(|t| t.key()).collect();
    let mut mids = [mid.key(), mid_next_epoch.key()];
    mids.sort();
    let expected = vec![early.key(), mids[0].clone(), mids[1].clone(), late.key()];
    ensure!(
        keys == expected,
        "due at or before `until`, earliest first (ties by key): {keys:?}"
    );
    ensure!(due[0] == early, "the first arm's due time stands");
    ensure!(store.due(at(300), 2).await?.len() == 2, "limit");
    ensure!(store.due(at(200), 10).await?.len() == 3, "`until` is inclusive");

    ensure!(store.settle(&early.key()).await?, "settle armed → settled");
    ensure!(!store.settle(&early.key()).await?, "settling twice is false");
    ensure!(
        !store.settle(&format!("case-{t}-none#x#y#0")).await?,
        "unknown timer: false"
    );
    let keys: Vec<String> = store.due(at(300), 10).await?.iter().map(|t| t.key()).collect();
    ensure!(!keys.contains(&early.key()), "settled timers are not due");
    store.arm(&early).await?;
    ensure!(
        !store.due(at(300), 10).await?.iter().any(|x| x.key() == early.key()),
        "re-arming a settled timer does not revive it"
    );

    // Racing settles of one timer: exactly one wins.
    let results = concurrently(8, |_| {
        let store = store.clone();
        let key = mid.key();
        async move { store.settle(&key).await }
    })
    .await?;
    let mut won = 0;
    for r in results {
        won += usize::from(r?);
    }
    ensure!(won == 1, "exactly one concurrent settle wins, got {won}");

    // Racing tickers over many timers: each timer fires exactly once.
    let mut armed = Vec::new();
    for i in 0..40 {
        let tm = timer(&format!("case-{t}-many-{i:02}"), 0, at(400 + i))?;
        store.arm(&tm).await?;
        armed.push(tm.key());
    }
    let fired = concurrently(4, |_| {
        let store = store.clone();
        async move {
            let mut fired = Vec::new();
            loop {
                let due = store.due(at(1_000), 7).await?;
                if due.is_empty() {
                    return anyhow::Ok(fired);
                }
                for tm in due {
                    if store.settle(&tm.key()).await? {
                        fired.push(tm.key());
                    }
                }
            }
        }
    })
    .await?;
    let mut count: HashMap<String, usize> = HashMap::new();
    for f in fired {
        for key in f? {
            *count.entry(key).or_default() += 1;
        }
    }
    for key in &armed {
        match count.get(key) {
            Some(1) => {}
            other => bail!("timer {key} fired {other:?} times"),
        }
    }
    Ok(())
}
