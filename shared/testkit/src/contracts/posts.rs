//! `PostStore`: insert-if-absent, overwrite, reads in the order asked.

use super::concurrently;
use crate::sample::{at, post, post_id, tag};
use anyhow::ensure;
use socialcare_domain::ports::PostStore;
use socialcare_domain::{Channel, Direction};
use std::sync::Arc;

pub async fn post_store_contract(store: Arc<dyn PostStore>) -> anyhow::Result<()> {
    let t = tag();
    let p1 = post(&format!("generic:forum:{t}-1"), "generic:forum:u1", at(0))?;
    let p2 = post(&format!("generic:forum:{t}-2"), "generic:forum:u2", at(1))?;
    ensure!(store.insert(&p1).await?, "first insert stores");
    let mut replay = p1.clone();
    replay.text = "a replay with other text".into();
    ensure!(!store.insert(&replay).await?, "second insert is a replay");
    ensure!(store.get(&p1.id).await?.as_ref() == Some(&p1), "replay changed nothing");

    let mut edited = p1.clone();
    edited.apply_edit("edited", at(5));
    store.put(&edited).await?;
    ensure!(store.get(&p1.id).await?.as_ref() == Some(&edited), "put overwrites");

    ensure!(store.insert(&p2).await?);
    let missing = post_id(&format!("generic:forum:{t}-missing"))?;
    ensure!(store.get(&missing).await?.is_none());
    let many = store
        .get_many(&[p2.id.clone(), missing.clone(), p1.id.clone(), p2.id.clone()])
        .await?;
    ensure!(
        many == vec![p2.clone(), edited.clone(), p2.clone()],
        "get_many: existing posts in the order of the ids"
    );
    ensure!(store.get_many(&[]).await?.is_empty());

    // More ids than one batch read takes (100 on DynamoDB).
    let mut ids = Vec::new();
    for i in 0..130 {
        let p = post(&format!("generic:forum:{t}-bulk-{i}"), "generic:forum:u3", at(i))?;
        store.insert(&p).await?;
        ids.push(p.id);
    }
    ids.reverse();
    let got: Vec<_> = store.get_many(&ids).await?.into_iter().map(|p| p.id).collect();
    ensure!(got == ids, "get_many over 130 ids keeps their order");

    // An author's posts, oldest first, each once however often it was written; nobody else's.
    let mut by_u3 = ids.clone();
    by_u3.reverse();
    let author = |a: &str| socialcare_domain::AuthorId::parse(a);
    ensure!(
        store.posts_by_author(&author("generic:forum:u3")?).await? == by_u3,
        "posts_by_author: every post of the author, oldest first"
    );
    ensure!(
        store.posts_by_author(&author("generic:forum:u1")?).await? == vec![p1.id.clone()],
        "posts_by_author: an overwritten post is listed once"
    );
    ensure!(
        store
            .posts_by_author(&author(&format!("generic:forum:{t}-nobody"))?)
            .await?
            .is_empty()
    );

    // Racing inserts of one post: exactly one stores it.
    let raced = post(&format!("generic:forum:{t}-raced"), "generic:forum:u4", at(0))?;
    let results = concurrently(8, |_| {
        let store = store.clone();
        let raced = raced.clone();
        async move { store.insert(&raced).await }
    })
    .await?;
    let mut stored = 0;
    for r in results {
        stored += usize::from(r?);
    }
    ensure!(stored == 1, "exactly one concurrent insert stores, got {stored}");

    // Platform ids: a remembered post is found by (channel, account, platform id); the first
    // post to claim one keeps it; storing a post alone does not remember it.
    ensure!(
        store
            .find_by_platform_id(Channel::Generic, "forum", &p1.platform_id)
            .await?
            .is_none(),
        "not remembered until asked"
    );
    store.remember_platform_id(&p1).await?;
    store.remember_platform_id(&p1).await?;
    let found = store
        .find_by_platform_id(Channel::Generic, "forum", &p1.platform_id)
        .await?;
    ensure!(found.as_ref() == Some(&p1.id), "found by platform id: {found:?}");
    ensure!(
        store
            .find_by_platform_id(Channel::X, "forum", &p1.platform_id)
            .await?
            .is_none(),
        "another channel is another namespace"
    );
    ensure!(
        store
            .find_by_platform_id(Channel::Generic, "appstore", &p1.platform_id)
            .await?
            .is_none(),
        "another account is another namespace"
    );
    let mut reply = post(&format!("generic:forum:{t}-reply"), "agent:ana", at(9))?;
    reply.direction = Direction::Outbound;
    store.insert(&reply).await?;
    reply.platform_id = format!("{t}-sent-901");
    store.put(&reply).await?;
    store.remember_platform_id(&reply).await?;
    let found = store
        .find_by_platform_id(Channel::Generic, "forum", &reply.platform_id)
        .await?;
    ensure!(
        found.as_ref() == Some(&reply.id),
        "a delivered reply is found by its new id"
    );
    let mut echo = post(&format!("generic:forum:{t}-sent-901"), "agent:ana", at(10))?;
    echo.platform_id = reply.platform_id.clone();
    store.insert(&echo).await?;
    store.remember_platform_id(&echo).await?;
    let found = store
        .find_by_platform_id(Channel::Generic, "forum", &reply.platform_id)
        .await?;
    ensure!(
        found.as_ref() == Some(&reply.id),
        "the first claim keeps the platform id"
    );

    // Posts that come before their parent wait for it; the parent's claim takes them, once.
    let parent = post(&format!("generic:forum:{t}-parent"), "u1", at(11))?;
    let mut early = post(&format!("generic:forum:{t}-early"), "u1", at(12))?;
    early.parent_id = Some(parent.platform_id.clone());
    let mut second = post(&format!("generic:forum:{t}-early2"), "u2", at(13))?;
    second.parent_id = Some(parent.platform_id.clone());
    ensure!(store.await_parent(&early).await?, "recorded as waiting");
    ensure!(store.await_parent(&early).await?, "again: still one entry");
    ensure!(store.await_parent(&second).await?);
    ensure!(
        store
            .find_by_platform_id(Channel::Generic, "forum", &parent.platform_id)
            .await?
            .is_none(),
        "waiting children do not make the parent known"
    );
    let mut taken = store.remember_platform_id(&parent).await?;
    taken.sort();
    let mut want = vec![early.id.clone(), second.id.clone()];
    want.sort();
    ensure!(taken == want, "the parent takes its children: {taken:?}");
    ensure!(store.remember_platform_id(&parent).await?.is_empty(), "once");
    let mut late = post(&format!("generic:forum:{t}-late"), "u3", at(14))?;
    late.parent_id = Some(parent.platform_id.clone());
    ensure!(
        !store.await_parent(&late).await?,
        "the parent is known: nothing to wait for"
    );
    ensure!(store.remember_platform_id(&parent).await?.is_empty());
    Ok(())
}
