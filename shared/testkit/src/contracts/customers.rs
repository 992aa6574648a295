//! `CustomerStore`: conditional create with the authors' index; an author keeps its first link,
//! also when it is added to an existing customer; the identifier index records each customer
//! once and holds no more than it is told to; the merge steps (a rewrite conditional on the
//! version, an author or identifier moved from one customer to another, the merge log) are
//! conditional and idempotent.

use super::concurrently;
use crate::sample::{author_id, base, customer, customer_id, tag};
use anyhow::ensure;
use socialcare_domain::customer::SYSTEM_ACTOR;
use socialcare_domain::customer::{MergeRecord, MergeState};
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
    identifiers_are_indexed_up_to_the_cap(store.clone(), &t).await?;
    merge_steps_are_conditional(store, &t).await
}

async fn merge_steps_are_conditional(store: Arc<dyn CustomerStore>, t: &str) -> anyhow::Result<()> {
    let (a1, a2) = (format!("x:{t}-m1"), format!("facebook:{t}-m2"));
    let c = customer(&format!("cus-{t}-mc"), &[&a1])?;
    let d = customer(&format!("cus-{t}-md"), &[&a2])?;
    ensure!(store.create(&c).await? && store.create(&d).await?);
    let email = Identifier::normalise(IdentifierKind::Email, &format!("{t}m@example.com"))
        .ok_or_else(|| anyhow::anyhow!("test email"))?;
    let order =
        Identifier::normalise(IdentifierKind::Order, &format!("{t}77")).ok_or_else(|| anyhow::anyhow!("test order"))?;
    store
        .link_identifier(&email, &c.id, &author_id(&a1)?, base(), 3)
        .await?;
    let stored = store.get(&c.id).await?.ok_or_else(|| anyhow::anyhow!("customer c"))?;
    ensure!(
        stored.identifiers == vec![email.clone()],
        "the customer lists what it wrote: {stored:?}"
    );

    // A rewrite is conditional on the version read.
    let mut renamed = stored.clone();
    renamed.display_name = "Tara Jane Willis".into();
    renamed.version = stored.version + 1;
    ensure!(
        store.replace(&renamed, stored.version).await?,
        "rewrite at the version read"
    );
    ensure!(
        !store.replace(&renamed, stored.version).await?,
        "a stale rewrite is refused"
    );
    let again = store.get(&c.id).await?;
    ensure!(again.as_ref() == Some(&renamed), "rewritten whole: {again:?}");
    let skipped = store.replace(&renamed, renamed.version).await;
    ensure!(
        matches!(skipped, Err(PortError::Invalid(_))),
        "the next version only: {skipped:?}"
    );

    // An author moves only from the customer it is linked to.
    ensure!(store.relink_author(&author_id(&a1)?, &c.id, &d.id).await?);
    ensure!(store.customer_of(&author_id(&a1)?).await? == Some(d.id.clone()));
    ensure!(
        !store.relink_author(&author_id(&a1)?, &c.id, &d.id).await?,
        "moved already"
    );
    ensure!(
        !store
            .relink_author(&author_id(&format!("x:{t}-m-none"))?, &c.id, &d.id)
            .await?
    );

    // An identifier moves from one holder to another, or gains one.
    store.relink_identifier(&email, Some(&c.id), &d.id).await?;
    ensure!(store.customers_with(&email).await? == vec![d.id.clone()]);
    store.relink_identifier(&email, Some(&c.id), &d.id).await?;
    ensure!(store.customers_with(&email).await? == vec![d.id.clone()], "idempotent");
    store.relink_identifier(&email, None, &c.id).await?;
    let both = store.customers_with(&email).await?;
    ensure!(both == vec![c.id.clone(), d.id.clone()], "added beside: {both:?}");
    let any = store.customers_with_any(&[order.clone(), email.clone()]).await?;
    ensure!(any == vec![(email.clone(), both)], "only the held ones: {any:?}");

    // The display-name index keeps each customer once, up to its cap.
    let name = format!("tara willis {t}");
    ensure!(store.customers_named(&name).await?.is_empty());
    store.index_name(&name, &d.id).await?;
    store.index_name(&name, &c.id).await?;
    store.index_name(&name, &c.id).await?;
    ensure!(store.customers_named(&name).await? == vec![c.id.clone(), d.id.clone()]);
    let common = format!("john smith {t}");
    for i in 0..socialcare_domain::ports::MAX_CUSTOMERS_PER_NAME + 2 {
        store
            .index_name(&common, &customer_id(&format!("cus-{t}-js{i:02}"))?)
            .await?;
    }
    ensure!(store.customers_named(&common).await?.len() == socialcare_domain::ports::MAX_CUSTOMERS_PER_NAME);

    // The merge log: a conditional insert, then updates, found from either customer.
    let mut record = MergeRecord {
        id: MergeRecord::id_for(&c, &d),
        source: c.id.clone(),
        target: d.id.clone(),
        actor: crate::sample::agent_id("sup-1")?,
        reason: Some("same order number".into()),
        at: base(),
        state: MergeState::Started,
        source_before: c.clone(),
        target_before: d.clone(),
        cases_before: vec![],
        fold: None,
        undone_by: None,
        undone_at: None,
    };
    ensure!(store.record_merge(&record).await?, "first record");
    ensure!(!store.record_merge(&record).await?, "the same merge once");
    record.state = MergeState::Done;
    store.save_merge(&record).await?;
    ensure!(store.merge(&record.id).await?.as_ref() == Some(&record));
    ensure!(store.merges_of(&c.id).await? == vec![record.clone()]);
    ensure!(store.merges_of(&d.id).await? == vec![record.clone()]);
    ensure!(
        store
            .merges_of(&customer_id(&format!("cus-{t}-m-none"))?)
            .await?
            .is_empty()
    );
    ensure!(store.merge("mrg-none").await?.is_none());
    Ok(())
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
