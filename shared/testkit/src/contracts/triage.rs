//! `TriageStore`: one entry per post, ever; open entries newest first (received time, then post
//! id), paged by cursor without gaps or repeats; the first decision wins, even among racers,
//! and takes the entry off the list. `LabelStore`: append-only, oldest first, `since` inclusive.
//! Both expect a fresh store.

use super::concurrently;
use crate::sample::{agent_id, at, case_id, post_id, tag};
use anyhow::ensure;
use socialcare_domain::ports::{LabelStore, TriageQuery, TriageStore};
use socialcare_domain::triage::{Decided, Decision, Label, LabelFields, LabelOrigin, TriageEntry};
use socialcare_domain::{Language, PostId, Sentiment};
use std::sync::Arc;

fn entry(id: &PostId, received: i64) -> TriageEntry {
    TriageEntry {
        post_id: id.clone(),
        received_at: at(received),
        listed_at: at(received + 1),
        decided: None,
    }
}

fn ids(entries: &[TriageEntry]) -> Vec<String> {
    entries.iter().map(|e| e.post_id.to_string()).collect()
}

pub async fn triage_store_contract(store: Arc<dyn TriageStore>) -> anyhow::Result<()> {
    let t = tag();
    // Received at 10, 20, 30, 30 (a tie: post id decides), 40.
    let posts: Vec<PostId> = ["a", "b", "c1", "c2", "d"]
        .iter()
        .map(|n| post_id(&format!("generic:forum:{t}-{n}")))
        .collect::<anyhow::Result<_>>()?;
    let times = [10, 20, 30, 30, 40];
    for (p, s) in posts.iter().zip(times) {
        ensure!(store.list_for_triage(&entry(p, s)).await?, "first listing stores");
    }
    ensure!(
        !store.list_for_triage(&entry(&posts[0], 99)).await?,
        "a post is listed once, ever"
    );
    ensure!(
        store.triage_entry(&posts[0]).await? == Some(entry(&posts[0], 10)),
        "the first listing stands"
    );
    ensure!(
        store
            .triage_entry(&post_id(&format!("generic:forum:{t}-none"))?)
            .await?
            .is_none()
    );

    let expected: Vec<String> = [4, 3, 2, 1, 0].iter().map(|i| posts[*i].to_string()).collect();
    let all = store
        .open_triage(&TriageQuery {
            before: None,
            limit: 100,
        })
        .await?;
    ensure!(
        ids(&all) == expected,
        "newest first, ties by post id descending: {:?}",
        ids(&all)
    );
    // Pages of two, each after the last one's cursor: every entry once, in order.
    let mut paged = Vec::new();
    let mut before = None;
    loop {
        let page = store
            .open_triage(&TriageQuery {
                before: before.clone(),
                limit: 2,
            })
            .await?;
        ensure!(page.len() <= 2, "a page holds at most its limit");
        let Some(last) = page.last() else { break };
        before = Some(last.cursor());
        paged.extend(ids(&page));
    }
    ensure!(paged == expected, "paging: {paged:?}");

    // The first decision wins; it leaves the list; a replayed listing does not bring it back.
    let dismissed = Decided {
        decision: Decision::Dismissed,
        by: agent_id("sam")?,
        at: at(50),
    };
    let stored = store.decide_triage(&posts[2], &dismissed).await?;
    ensure!(
        stored.as_ref().and_then(|e| e.decided.as_ref()) == Some(&dismissed),
        "decided: {stored:?}"
    );
    let late = Decided {
        decision: Decision::Case {
            case_id: case_id("case-x")?,
        },
        by: agent_id("ana")?,
        at: at(60),
    };
    let again = store.decide_triage(&posts[2], &late).await?;
    ensure!(
        again.as_ref().and_then(|e| e.decided.as_ref()) == Some(&dismissed),
        "the first decision stands: {again:?}"
    );
    ensure!(!store.list_for_triage(&entry(&posts[2], 30)).await?);
    let open = ids(&store
        .open_triage(&TriageQuery {
            before: None,
            limit: 100,
        })
        .await?);
    ensure!(
        !open.contains(&posts[2].to_string()) && open.len() == 4,
        "off the list: {open:?}"
    );
    ensure!(
        store
            .decide_triage(&post_id(&format!("generic:forum:{t}-none"))?, &dismissed)
            .await?
            .is_none(),
        "deciding a post never listed answers None"
    );

    // Eight people decide one entry at once: one decision, and everyone is told the same one.
    let target = posts[4].clone();
    let racers = concurrently(8, |i| {
        let store = store.clone();
        let target = target.clone();
        async move {
            let decided = Decided {
                decision: Decision::Case {
                    case_id: case_id(&format!("case-{i}"))?,
                },
                by: agent_id(&format!("agent-{i}"))?,
                at: at(70),
            };
            anyhow::Ok(store.decide_triage(&target, &decided).await?)
        }
    })
    .await?;
    let winners: std::collections::BTreeSet<String> = racers
        .into_iter()
        .map(|r| r.map(|e| format!("{:?}", e.and_then(|e| e.decided))))
        .collect::<anyhow::Result<_>>()?;
    ensure!(winners.len() == 1, "one decision among racers: {winners:?}");
    ensure!(
        store.triage_entry(&target).await?.is_some_and(|e| !e.is_open()),
        "decided"
    );
    Ok(())
}

pub async fn label_store_contract(store: Arc<dyn LabelStore>) -> anyhow::Result<()> {
    let t = tag();
    let p1 = post_id(&format!("generic:forum:{t}-1"))?;
    let p2 = post_id(&format!("generic:forum:{t}-2"))?;
    let label = |post: &PostId, by: &str, s: i64, fields: LabelFields| -> anyhow::Result<Label> {
        Ok(Label {
            post_id: post.clone(),
            fields,
            by: agent_id(by)?,
            at: at(s),
            origin: LabelOrigin::Api,
        })
    };
    let full = label(
        &p1,
        "ana",
        20,
        LabelFields {
            actionable: Some(true),
            spam: Some(false),
            sentiment: Some(Sentiment::Negative),
            language: Some(Language::parse("pt").map_err(|e| anyhow::anyhow!("{e:?}"))?),
            urgent: Some(true),
        },
    )?;
    let early = Label {
        origin: LabelOrigin::TriageDismissed,
        ..label(
            &p2,
            "sam",
            10,
            LabelFields {
                actionable: Some(false),
                ..LabelFields::default()
            },
        )?
    };
    let late = label(
        &p1,
        "sam",
        30,
        LabelFields {
            spam: Some(true),
            ..LabelFields::default()
        },
    )?;
    for l in [&full, &late, &early] {
        ensure!(store.append_label(l).await?, "appended");
    }
    ensure!(
        !store.append_label(&full).await?,
        "the same label (post, labeller, time) is kept once"
    );
    let same_time_other_agent = label(
        &p1,
        "ben",
        20,
        LabelFields {
            urgent: Some(false),
            ..LabelFields::default()
        },
    )?;
    ensure!(
        store.append_label(&same_time_other_agent).await?,
        "another labeller at the same time is another label"
    );
    let all = store.labels_since(None, 100).await?;
    ensure!(
        all == vec![early.clone(), same_time_other_agent.clone(), full.clone(), late.clone()]
            || all == vec![early.clone(), full.clone(), same_time_other_agent.clone(), late.clone()],
        "oldest first, every field kept: {all:#?}"
    );
    let since = store.labels_since(Some(at(20)), 100).await?;
    ensure!(
        since.len() == 3 && since.last() == Some(&late),
        "since is inclusive: {since:#?}"
    );
    ensure!(store.labels_since(None, 1).await? == vec![early], "limit");
    ensure!(store.labels_since(Some(at(31)), 100).await?.is_empty());
    Ok(())
}
