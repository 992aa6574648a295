//! `CustomerStore`: conditional create with the authors' index; an author keeps its first link,
//! also when it is added to an existing customer; the identifier index records each customer
//! once and holds no more than it is told to.

use super::concurrently;
use crate::sample::{author_id, base, customer, customer_id, tag};
use anyhow::ensure;
use socialcare_domain::customer::SYSTEM_ACTOR;
use socialcare_domain::ports::CustomerStore;
use socialcare_domain::{Evidence, Identifier, IdentifierKind, Identity, PortError};
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

    identities_are_added_once(store.clone(), &t).await?;
    identifiers_are_indexed_up_to_the_cap(store, &t).await
}

async fn identities_are_added_once(store: Arc<dyn CustomerStore>, t: &str) -> anyhow::Result<()> {
    let c = customer(&format!("cus-{t}-id"), &[&format!("x:{t}-id1")])?;
    ensure!(store.create(&c).await?);
    let a = author_id(&format!("facebook:{t}-id2"))?;
    let identity = Identity {
        author_id: a.clone(),
        handle: "id2".into(),
        evidence: Evidence::SharedIdentifier {
            identifier: format!("order:{t}"),
        },
        linked_at: base(),
        actor: SYSTEM_ACTOR.into(),
    };
    ensure!(store.add_identity(&c.id, &identity).await?, "a new author is added");
    ensure!(store.customer_of(&a).await? == Some(c.id.clone()), "and indexed");
    let stored = store.get(&c.id).await?;
    ensure!(
        stored
            .as_ref()
            .is_some_and(|s| s.identities.len() == 2 && s.identities[1] == identity),
        "the identity is on the customer with its evidence: {stored:?}"
    );
    ensure!(!store.add_identity(&c.id, &identity).await?, "adding it again is false");
    // An author linked to someone keeps that link.
    let other = customer(&format!("cus-{t}-id-other"), &[&format!("x:{t}-id3")])?;
    ensure!(store.create(&other).await?);
    ensure!(
        !store.add_identity(&other.id, &identity).await?,
        "an author keeps its first link"
    );
    ensure!(store.customer_of(&a).await? == Some(c.id.clone()));
    ensure!(store.get(&other.id).await?.is_some_and(|o| o.identities.len() == 1));
    let missing = store
        .add_identity(
            &customer_id(&format!("cus-{t}-id-none"))?,
            &Identity {
                author_id: author_id(&format!("x:{t}-id4"))?,
                ..identity.clone()
            },
        )
        .await;
    ensure!(
        matches!(missing, Err(PortError::NotFound(_))),
        "no such customer: {missing:?}"
    );
    Ok(())
}

async fn identifiers_are_indexed_up_to_the_cap(store: Arc<dyn CustomerStore>, t: &str) -> anyhow::Result<()> {
    let email = Identifier::normalise(IdentifierKind::Email, &format!("{t}@Example.com"))
        .ok_or_else(|| anyhow::anyhow!("test email"))?;
    let author = author_id(&format!("x:{t}-idn"))?;
    let (c1, c2, c3) = (
        customer_id(&format!("cus-{t}-idn1"))?,
        customer_id(&format!("cus-{t}-idn2"))?,
        customer_id(&format!("cus-{t}-idn3"))?,
    );
    ensure!(store.customers_with(&email).await?.is_empty(), "nobody wrote it yet");
    ensure!(
        store.link_identifier(&email, &c2, &author, base(), 2).await?,
        "first link writes"
    );
    ensure!(
        !store.link_identifier(&email, &c2, &author, base(), 2).await?,
        "a repeat writes nothing"
    );
    ensure!(store.link_identifier(&email, &c1, &author, base(), 2).await?);
    ensure!(
        !store.link_identifier(&email, &c3, &author, base(), 2).await?,
        "a full identifier takes no more customers"
    );
    let held = store.customers_with(&email).await?;
    ensure!(held == vec![c1.clone(), c2.clone()], "sorted holders: {held:?}");
    // Another kind with the same value is another identifier.
    let order =
        Identifier::normalise(IdentifierKind::Order, &format!("{t}x")).ok_or_else(|| anyhow::anyhow!("test order"))?;
    ensure!(store.customers_with(&order).await?.is_empty());

    // Concurrent links of many customers keep to the cap.
    let serial = Identifier::normalise(IdentifierKind::Serial, &format!("{t}sn"))
        .ok_or_else(|| anyhow::anyhow!("test serial"))?;
    let results = concurrently(8, |i| {
        let (store, serial, author) = (store.clone(), serial.clone(), author.clone());
        let t = t.to_string();
        async move {
            let c = customer_id(&format!("cus-{t}-sn{i}"))?;
            Ok::<bool, anyhow::Error>(store.link_identifier(&serial, &c, &author, base(), 3).await?)
        }
    })
    .await?;
    let mut written = 0;
    for r in results {
        written += usize::from(r?);
    }
    ensure!(written == 3, "exactly the cap of concurrent links write, got {written}");
    ensure!(store.customers_with(&serial).await?.len() == 3);
    Ok(())
}
