//! `IdentityIndex` contract: what an erasure takes out of the identity indexes, and only that.

use crate::sample;
use socialcare_domain::customer::{Identifier, IdentifierKind};
use socialcare_domain::ports::{CustomerStore, IdentityIndex};
use std::sync::Arc;

pub async fn identity_index_contract<S>(store: Arc<S>) -> anyhow::Result<()>
where
    S: CustomerStore + IdentityIndex + 'static,
{
    let tag = sample::tag();
    let a = sample::customer(&format!("cus-a-{tag}"), &[&format!("x:a-{tag}")])?;
    let b = sample::customer(&format!("cus-b-{tag}"), &[&format!("x:b-{tag}")])?;
    for c in [&a, &b] {
        anyhow::ensure!(store.create(c).await?);
    }
    let (author_a, author_b) = (a.identities[0].author_id.clone(), b.identities[0].author_id.clone());

    // A handle's link goes only when it points at the customer named.
    anyhow::ensure!(
        !store.unlink_author(&author_a, &b.id).await?,
        "a link to someone else stays"
    );
    anyhow::ensure!(store.customer_of(&author_a).await? == Some(a.id.clone()));
    anyhow::ensure!(store.unlink_author(&author_a, &a.id).await?);
    anyhow::ensure!(store.customer_of(&author_a).await?.is_none(), "the link is gone");
    anyhow::ensure!(!store.unlink_author(&author_a, &a.id).await?, "twice: nothing to do");
    anyhow::ensure!(
        store.customer_of(&author_b).await? == Some(b.id.clone()),
        "b's link stays"
    );

    // An identifier both wrote: a's part goes, b keeps it; the last holder takes the entry along.
    let shared =
        Identifier::normalise(IdentifierKind::Order, "74410093").ok_or_else(|| anyhow::anyhow!("order number"))?;
    let own = Identifier::normalise(IdentifierKind::Email, &format!("a-{tag}@example.net"))
        .ok_or_else(|| anyhow::anyhow!("email"))?;
    let at = sample::base();
    store.link_identifier(&shared, &a.id, &author_a, at, 5).await?;
    store.link_identifier(&shared, &b.id, &author_b, at, 5).await?;
    store.link_identifier(&own, &a.id, &author_a, at, 5).await?;
    anyhow::ensure!(store.unlink_identifier(&shared, &a.id).await?);
    anyhow::ensure!(
        store.customers_with(&shared).await? == vec![b.id.clone()],
        "b still holds it"
    );
    anyhow::ensure!(!store.unlink_identifier(&shared, &a.id).await?, "twice: nothing to do");
    anyhow::ensure!(store.unlink_identifier(&own, &a.id).await?);
    anyhow::ensure!(store.customers_with(&own).await?.is_empty());
    anyhow::ensure!(
        store.customers_with_any(std::slice::from_ref(&own)).await?.is_empty(),
        "no entry left"
    );
    anyhow::ensure!(!store.unlink_identifier(&own, &b.id).await?, "b never held it");

    // Name keys: the same.
    let key = format!("tara willis {tag}");
    store.index_name(&key, &a.id).await?;
    store.index_name(&key, &b.id).await?;
    anyhow::ensure!(store.unindex_name(&key, &a.id).await?);
    anyhow::ensure!(store.customers_named(&key).await? == vec![b.id.clone()]);
    anyhow::ensure!(!store.unindex_name(&key, &a.id).await?);
    anyhow::ensure!(store.unindex_name(&key, &b.id).await?);
    anyhow::ensure!(store.customers_named(&key).await?.is_empty());
    anyhow::ensure!(!store.unindex_name(&format!("nobody {tag}"), &b.id).await?);
    Ok(())
}
