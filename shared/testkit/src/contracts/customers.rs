//! `CustomerStore`: conditional create with the authors' index; an author keeps its first link.

use super::concurrently;
use crate::sample::{author_id, customer, customer_id, tag};
use anyhow::ensure;
use socialcare_domain::ports::CustomerStore;
use std::sync::Arc;

pub async fn customer_store_contract(store: Arc<dyn CustomerStore>) -> anyhow::Result<()> {
    let t = tag();
    let (a1, a2, a3) = (
        format!("x:{t}-a1"),
        format!("facebook:{t}-a2"),
        format!("generic:forum:{t}-a3"),
    );
    let c1 = customer(&format!("cus-{t}-1"), &[&a1, &a2])?;
    ensure!(store.create(&c1).await?, "create stores a new customer");
    ensure!(!store.create(&c1).await?, "create of an existing customer is false");
    ensure!(store.get(&c1.id).await?.as_ref() == Some(&c1));
    ensure!(store.customer_of(&author_id(&a1)?).await? == Some(c1.id.clone()));
    ensure!(store.customer_of(&author_id(&a2)?).await? == Some(c1.id.clone()));
    ensure!(store.customer_of(&author_id(&a3)?).await?.is_none());
    ensure!(store.get(&customer_id(&format!("cus-{t}-none"))?).await?.is_none());

    // A second customer naming a linked author: created, but the author keeps its first link.
    let c2 = customer(&format!("cus-{t}-2"), &[&a2, &a3])?;
    ensure!(store.create(&c2).await?);
    ensure!(
        store.customer_of(&author_id(&a2)?).await? == Some(c1.id.clone()),
        "first link kept"
    );
    ensure!(store.customer_of(&author_id(&a3)?).await? == Some(c2.id.clone()));

    // Two workers resolving the same new author create the same customer once.
    let a4 = format!("x:{t}-a4");
    let c4 = customer(&format!("cus-{t}-4"), &[&a4])?;
    let results = concurrently(8, |_| {
        let store = store.clone();
        let c4 = c4.clone();
        async move { store.create(&c4).await }
    })
    .await?;
    let mut created = 0;
    for r in results {
        created += usize::from(r?);
    }
    ensure!(created == 1, "exactly one concurrent create is true, got {created}");
    ensure!(store.customer_of(&author_id(&a4)?).await? == Some(c4.id.clone()));
    Ok(())
}
