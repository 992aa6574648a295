//! `CaseStore` (with `AgentStore`, whose load the case writes change): conditional create with
//! the active-case pointer, versioned saves, load within capacity, never below zero.

use super::concurrently;
use crate::sample::{agent, at, case, customer_id, post_id, tag};
use anyhow::{bail, ensure};
use socialcare_domain::ports::{AgentStore, CaseCursor, CaseQuery, CaseStore, LoadChange};
use socialcare_domain::{AgentId, Case, CaseStatus, Channel, PortError, PortResult};
use std::sync::Arc;

/// How hard the concurrent part pushes: `tasks` writers × `per_task` cases each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseScale {
    pub tasks: usize,
    pub per_task: usize,
}

impl Default for CaseScale {
    fn default() -> Self {
        Self { tasks: 8, per_task: 50 }
    }
}

async fn load_of<S: AgentStore + ?Sized>(store: &S, id: &AgentId) -> anyhow::Result<u32> {
    match AgentStore::get(store, id).await? {
        Some(a) => Ok(a.load),
        None => bail!("agent {id} vanished"),
    }
}

async fn stored<S: CaseStore + ?Sized>(store: &S, case: &Case) -> anyhow::Result<Case> {
    match CaseStore::get(store, &case.id).await? {
        Some(c) => Ok(c),
        None => bail!("case {} vanished", case.id),
    }
}

/// The next version of `case`, changed by `f`.
fn next(case: &Case, f: impl FnOnce(&mut Case)) -> Case {
    let mut c = case.clone();
    f(&mut c);
    c.version += 1;
    c
}

pub async fn case_store_contract<S>(store: Arc<S>, scale: CaseScale) -> anyhow::Result<()>
where
    S: CaseStore + AgentStore + 'static,
{
    let t = tag();
    let s = &*store;

    // Create: the case and the customer's active pointer, once.
    let x = format!("cus-{t}-x");
    let c1 = case(&format!("case-{t}-1"), &x, at(10))?;
    s.create(&c1).await?;
    ensure!(CaseStore::get(s, &c1.id).await?.as_ref() == Some(&c1));
    ensure!(s.active_case_of(&c1.customer_id).await? == Some(c1.id.clone()));
    ensure!(
        matches!(s.create(&c1).await, Err(PortError::Conflict(_))),
        "create twice conflicts"
    );
    let c2 = case(&format!("case-{t}-2"), &x, at(11))?;
    ensure!(
        matches!(s.create(&c2).await, Err(PortError::Conflict(_))),
        "a second active case of one customer conflicts"
    );
    ensure!(
        CaseStore::get(s, &c2.id).await?.is_none(),
        "the losing case is not stored"
    );
    ensure!(
        s.active_case_of(&customer_id(&format!("cus-{t}-none"))?)
            .await?
            .is_none()
    );

    // Two posts of one customer processed at once never open two cases.
    let y = format!("cus-{t}-y");
    let results = concurrently(8, |i| {
        let store = store.clone();
        let y = y.clone();
        async move {
            let c = case(&format!("case-{}-y{i}", tag()), &y, at(20))?;
            let r = store.create(&c).await;
            anyhow::Ok((c, r))
        }
    })
    .await?;
    let mut winners = Vec::new();
    for r in results {
        match r? {
            (c, Ok(())) => winners.push(c),
            (_, Err(PortError::Conflict(_))) => {}
            (_, Err(e)) => bail!("concurrent create failed: {e}"),
        }
    }
    ensure!(
        winners.len() == 1,
        "exactly one concurrent create wins, got {}",
        winners.len()
    );
    ensure!(s.active_case_of(&winners[0].customer_id).await? == Some(winners[0].id.clone()));

    // Versioned saves.
    let later = post_id(&format!("generic:forum:{t}-later"))?;
    let c1v2 = next(&c1, |c| {
        c.add_customer_post(&later, at(12));
    });
    s.save(&c1v2, 1, LoadChange::None).await?;
    ensure!(stored(s, &c1).await? == c1v2, "save writes the case");
    let rival = next(&c1, |c| c.priority = socialcare_domain::Priority::P1);
    let lost = s.save(&rival, 1, LoadChange::None).await;
    ensure!(
        matches!(lost, Err(PortError::Conflict(_))),
        "a stale version conflicts, got {lost:?}"
    );
    ensure!(stored(s, &c1).await? == c1v2, "the losing save changed nothing");
    let skip = Case {
        version: 5,
        ..c1v2.clone()
    };
    ensure!(
        matches!(s.save(&skip, 2, LoadChange::None).await, Err(PortError::Invalid(_))),
        "a save must be at expected + 1"
    );
    let ghost = next(&case(&format!("case-{t}-ghost"), &format!("cus-{t}-g"), at(0))?, |_| {});
    ensure!(
        matches!(s.save(&ghost, 1, LoadChange::None).await, Err(PortError::NotFound(_))),
        "saving an unknown case is NotFound"
    );

    // Take: the case and the agent's load in one write.
    let ana = agent(&format!("ana-{t}"), 2)?;
    s.seed(&ana).await?;
    let c1v3 = next(&c1v2, |c| {
        let _ = c.assign(&ana.id, at(13));
    });
    s.save(&c1v3, 2, LoadChange::Take(ana.id.clone())).await?;
    ensure!(load_of(s, &ana.id).await? == 1, "take adds one");
    ensure!(stored(s, &c1).await?.assignee == Some(ana.id.clone()));
    let nobody = AgentId::parse(format!("nobody-{t}"))?;
    let orphan = case(&format!("case-{t}-o"), &format!("cus-{t}-o"), at(14))?;
    s.create(&orphan).await?;
    let r = s
        .save(&next(&orphan, |_| {}), 1, LoadChange::Take(nobody.clone()))
        .await;
    ensure!(
        matches!(r, Err(PortError::NotFound(_))),
        "take on an unknown agent is NotFound, got {r:?}"
    );
    ensure!(stored(s, &orphan).await? == orphan, "and the case is unchanged");

    // Capacity: the write that would overfill the agent fails as a whole.
    let bob = agent(&format!("bob-{t}"), 1)?;
    s.seed(&bob).await?;
    let d1 = case(&format!("case-{t}-d1"), &format!("cus-{t}-d1"), at(15))?;
    let d2 = case(&format!("case-{t}-d2"), &format!("cus-{t}-d2"), at(16))?;
    s.create(&d1).await?;
    s.create(&d2).await?;
    s.save(
        &next(&d1, |c| drop(c.assign(&bob.id, at(17)))),
        1,
        LoadChange::Take(bob.id.clone()),
    )
    .await?;
    let full = s
        .save(
            &next(&d2, |c| drop(c.assign(&bob.id, at(17)))),
            1,
            LoadChange::Take(bob.id.clone()),
        )
        .await;
    ensure!(
        matches!(full, Err(PortError::Conflict(_))),
        "take beyond capacity conflicts, got {full:?}"
    );
    ensure!(stored(s, &d2).await? == d2, "the refused case write did not happen");
    ensure!(load_of(s, &bob.id).await? == 1);

    // Resolve: release the load, clear the pointer; the customer can open a new case.
    let c1v4 = next(&c1v3, |c| drop(c.resolve(&ana.id, at(18))));
    s.save(&c1v4, 3, LoadChange::Release(ana.id.clone())).await?;
    ensure!(load_of(s, &ana.id).await? == 0, "release takes one off");
    ensure!(
        s.active_case_of(&c1.customer_id).await?.is_none(),
        "resolving clears the pointer"
    );
    let c3 = case(&format!("case-{t}-3"), &x, at(19))?;
    s.create(&c3).await?;
    ensure!(s.active_case_of(&c1.customer_id).await? == Some(c3.id.clone()));

    // Reopening while the customer has another active case conflicts; once it has none, works.
    let reopened = next(&c1v4, |c| c.status = CaseStatus::Open);
    let r = s.save(&reopened, 4, LoadChange::None).await;
    ensure!(
        matches!(r, Err(PortError::Conflict(_))),
        "reopen beside an active case conflicts, got {r:?}"
    );
    let c3v2 = next(&c3, |c| c.status = CaseStatus::Closed);
    s.save(&c3v2, 1, LoadChange::None).await?;
    ensure!(s.active_case_of(&c1.customer_id).await?.is_none());
    s.save(&reopened, 4, LoadChange::None).await?;
    ensure!(
        s.active_case_of(&c1.customer_id).await? == Some(c1.id.clone()),
        "reopen sets the pointer"
    );

    // Release never goes below zero (and does not block the case write).
    let e1 = case(&format!("case-{t}-e1"), &format!("cus-{t}-e1"), at(21))?;
    s.create(&e1).await?;
    s.save(
        &next(&e1, |c| c.status = CaseStatus::Closed),
        1,
        LoadChange::Release(ana.id.clone()),
    )
    .await?;
    ensure!(load_of(s, &ana.id).await? == 0, "release at zero stays at zero");

    // Listing.
    let all = CaseStore::list(
        s,
        &CaseQuery {
            customer: Some(c1.customer_id.clone()),
            ..CaseQuery::default()
        },
    )
    .await?;
    let ids: Vec<_> = all.iter().map(|c| c.id.clone()).collect();
    ensure!(
        ids == vec![c1.id.clone(), c3.id.clone()],
        "by customer, oldest first: {ids:?}"
    );
    let bobs = CaseStore::list(
        s,
        &CaseQuery {
            assignee: Some(bob.id.clone()),
            ..CaseQuery::default()
        },
    )
    .await?;
    ensure!(bobs.iter().map(|c| &c.id).collect::<Vec<_>>() == vec![&d1.id]);
    let waiting: Vec<_> = CaseStore::list(
        s,
        &CaseQuery {
            waiting: true,
            ..CaseQuery::default()
        },
    )
    .await?
    .into_iter()
    .map(|c| c.id)
    .collect();
    ensure!(
        waiting.contains(&d2.id) && waiting.contains(&orphan.id),
        "waiting holds unassigned cases"
    );
    ensure!(
        !waiting.contains(&d1.id) && !waiting.contains(&c3.id),
        "and nothing else"
    );
    let closed = CaseStore::list(
        s,
        &CaseQuery {
            statuses: vec![CaseStatus::Closed, CaseStatus::Resolved],
            ..CaseQuery::default()
        },
    )
    .await?;
    let closed: Vec<_> = closed.into_iter().map(|c| c.id).collect();
    ensure!(
        closed == vec![c3.id.clone(), e1.id.clone()],
        "by statuses, oldest first: {closed:?}"
    );
    let limited = CaseStore::list(
        s,
        &CaseQuery {
            waiting: true,
            limit: Some(1),
            ..CaseQuery::default()
        },
    )
    .await?;
    ensure!(
        limited.len() == 1 && limited[0].id == waiting[0],
        "limit keeps the oldest"
    );
    let everything = CaseStore::list(s, &CaseQuery::default()).await?;
    ensure!(
        everything
            .windows(2)
            .all(|w| (w[0].created_at, &w[0].id) <= (w[1].created_at, &w[1].id)),
        "an unfiltered list is ordered by creation"
    );
    pages(s, &c1.customer_id, &[c3.id.clone(), c1.id.clone()]).await?;

    channel_limits(s).await?;
    concurrent_take(store.clone(), scale).await?;
    concurrent_release(store, scale).await
}

/// A limit per channel within the total, held by the same write as the total.
async fn channel_limits<S>(s: &S) -> anyhow::Result<()>
where
    S: CaseStore + AgentStore,
{
    let t = tag();
    // Per channel: an X limit of 1 within a total of 3. The second X case conflicts as a whole;
    // a generic case still fits; releasing the X case frees the X slot.
    let mut cam = agent(&format!("cam-{t}"), 3)?;
    cam.channel_capacity.insert(Channel::X, 1);
    s.seed(&cam).await?;
    let on_x = |suffix: &str, minute: i64| -> anyhow::Result<Case> {
        let mut c = case(&format!("case-{t}-{suffix}"), &format!("cus-{t}-{suffix}"), at(minute))?;
        c.channel = Channel::X;
        Ok(c)
    };
    let (x1, x2, g1) = (
        on_x("x1", 20)?,
        on_x("x2", 21)?,
        case(&format!("case-{t}-g1"), &format!("cus-{t}-g1"), at(22))?,
    );
    for c in [&x1, &x2, &g1] {
        s.create(c).await?;
    }
    let x1v2 = next(&x1, |c| drop(c.assign(&cam.id, at(23))));
    s.save(&x1v2, 1, LoadChange::Take(cam.id.clone())).await?;
    let r = s
        .save(
            &next(&x2, |c| drop(c.assign(&cam.id, at(23)))),
            1,
            LoadChange::Take(cam.id.clone()),
        )
        .await;
    ensure!(
        matches!(r, Err(PortError::Conflict(_))),
        "take beyond the channel's limit conflicts, got {r:?}"
    );
    ensure!(stored(s, &x2).await? == x2, "the refused case write did not happen");
    s.save(
        &next(&g1, |c| drop(c.assign(&cam.id, at(24)))),
        1,
        LoadChange::Take(cam.id.clone()),
    )
    .await?;
    let got = AgentStore::get(s, &cam.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("cam"))?;
    ensure!(
        (got.load, got.load_of(Channel::X), got.load_of(Channel::Generic)) == (2, 1, 1),
        "loads per channel: {:?} of {}",
        got.channel_load,
        got.load
    );
    ensure!(got.channel_capacity.get(&Channel::X) == Some(&1), "the limit is kept");
    s.save(
        &next(&x1v2, |c| drop(c.resolve(&cam.id, at(25)))),
        2,
        LoadChange::Release(cam.id.clone()),
    )
    .await?;
    s.save(
        &next(&x2, |c| drop(c.assign(&cam.id, at(26)))),
        1,
        LoadChange::Take(cam.id.clone()),
    )
    .await?;
    ensure!(
        load_of(s, &cam.id).await? == 2,
        "the freed X slot took the waiting X case"
    );

    cases_move_between_customers(s, &t).await
}

/// A merge moves cases from one customer to another: an active case takes its pointer along,
/// and never gives the new customer a second active case.
async fn cases_move_between_customers<S: CaseStore + ?Sized>(s: &S, t: &str) -> anyhow::Result<()> {
    let (x, y, z) = (
        customer_id(&format!("cus-{t}-mx"))?,
        customer_id(&format!("cus-{t}-my"))?,
        customer_id(&format!("cus-{t}-mz"))?,
    );
    let m1 = case(&format!("case-{t}-m1"), x.as_str(), at(40))?;
    s.create(&m1).await?;
    let moved = next(&m1, |c| c.customer_id = y.clone());
    let stale = s.move_case(&next(&moved, |_| {}), 2, &x).await;
    ensure!(matches!(stale, Err(PortError::Conflict(_))), "stale version: {stale:?}");
    let wrong = s.move_case(&moved, 1, &z).await;
    ensure!(matches!(wrong, Err(PortError::Conflict(_))), "not z's case: {wrong:?}");
    s.move_case(&moved, 1, &x).await?;
    ensure!(stored(s, &m1).await? == moved);
    ensure!(s.active_case_of(&x).await?.is_none(), "the old customer's pointer went");
    ensure!(
        s.active_case_of(&y).await? == Some(m1.id.clone()),
        "the new one's points at it"
    );
    let listed = s
        .list(&CaseQuery {
            customer: Some(y.clone()),
            ..CaseQuery::default()
        })
        .await?;
    ensure!(listed.iter().any(|c| c.id == m1.id), "listed under the new customer");

    // y has an active case: another active case cannot join it.
    let m2 = case(&format!("case-{t}-m2"), z.as_str(), at(41))?;
    s.create(&m2).await?;
    let refused = s.move_case(&next(&m2, |c| c.customer_id = y.clone()), 1, &z).await;
    ensure!(
        matches!(refused, Err(PortError::Conflict(_))),
        "second active case: {refused:?}"
    );
    ensure!(stored(s, &m2).await? == m2, "nothing written");
    ensure!(s.active_case_of(&z).await? == Some(m2.id.clone()));

    // An inactive case moves without touching pointers.
    let closed = next(&m2, |c| c.status = CaseStatus::Closed);
    s.save(&closed, 1, LoadChange::None).await?;
    s.move_case(&next(&closed, |c| c.customer_id = y.clone()), 2, &z)
        .await?;
    ensure!(s.active_case_of(&y).await? == Some(m1.id.clone()));
    ensure!(s.active_case_of(&z).await?.is_none());
    let activeness = s.move_case(&next(&m1, |c| c.status = CaseStatus::Closed), 2, &y).await;
    ensure!(
        matches!(activeness, Err(PortError::Invalid(_)) | Err(PortError::Conflict(_))),
        "a move does not change activeness: {activeness:?}"
    );
    Ok(())
}

/// `tasks` writers each try to give `per_task` fresh cases to one agent whose capacity is a
/// quarter of them: exactly `capacity` succeed, the load equals them, never more.
async fn concurrent_take<S>(store: Arc<S>, scale: CaseScale) -> anyhow::Result<()>
where
    S: CaseStore + AgentStore + 'static,
{
    let t = tag();
    let total = scale.tasks * scale.per_task;
    let capacity = u32::try_from((total / 4).max(1))?;
    let zed = agent(&format!("zed-{t}"), capacity)?;
    store.seed(&zed).await?;
    let zed_id = zed.id.clone();
    let results = concurrently(scale.tasks, |task| {
        let store = store.clone();
        let zed_id = zed_id.clone();
        let t = t.clone();
        async move {
            let mut won = Vec::new();
            for i in 0..scale.per_task {
                let c = case(
                    &format!("case-{t}-t{task}-{i}"),
                    &format!("cus-{t}-t{task}-{i}"),
                    at(100),
                )?;
                store.create(&c).await?;
                let assigned = next(&c, |c| drop(c.assign(&zed_id, at(101))));
                match store.save(&assigned, 1, LoadChange::Take(zed_id.clone())).await {
                    Ok(()) => won.push(c.id),
                    Err(PortError::Conflict(_)) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            anyhow::Ok(won)
        }
    })
    .await?;
    let mut won = Vec::new();
    for r in results {
        won.extend(r?);
    }
    let load = load_of(&*store, &zed.id).await?;
    ensure!(load <= capacity, "load {load} exceeds capacity {capacity}");
    ensure!(
        won.len() == capacity as usize,
        "{} takes won, capacity {capacity}",
        won.len()
    );
    ensure!(load as usize == won.len(), "load {load} != {} cases won", won.len());
    let assigned = CaseStore::list(
        &*store,
        &CaseQuery {
            assignee: Some(zed.id.clone()),
            ..CaseQuery::default()
        },
    )
    .await?;
    ensure!(assigned.len() == won.len(), "stored assignments match the load");
    Ok(())
}

/// Releases race each other (and extra releases race them): the load ends at zero, not below.
async fn concurrent_release<S>(store: Arc<S>, scale: CaseScale) -> anyhow::Result<()>
where
    S: CaseStore + AgentStore + 'static,
{
    let t = tag();
    let held = scale.tasks * 2;
    let mut amy = agent(&format!("amy-{t}"), u32::try_from(held)?)?;
    amy.load = 0;
    store.seed(&amy).await?;
    let mut cases = Vec::new();
    for i in 0..held {
        let c = case(&format!("case-{t}-r{i}"), &format!("cus-{t}-r{i}"), at(200))?;
        store.create(&c).await?;
        let taken = next(&c, |c| drop(c.assign(&amy.id, at(201))));
        store.save(&taken, 1, LoadChange::Take(amy.id.clone())).await?;
        cases.push(taken);
    }
    ensure!(load_of(&*store, &amy.id).await? as usize == held);
    let amy_id = amy.id.clone();
    let cases = Arc::new(cases);
    // Each case resolved by two racers: one wins, the other loses on the version.
    let results = concurrently(held * 2, |i| {
        let store = store.clone();
        let cases = cases.clone();
        let amy_id = amy_id.clone();
        async move {
            let c = &cases[i % cases.len()];
            let resolved = next(c, |c| drop(c.resolve(&amy_id, at(300 + i as i64))));
            let r: PortResult<()> = store
                .save(&resolved, c.version, LoadChange::Release(amy_id.clone()))
                .await;
            r
        }
    })
    .await?;
    let mut ok = 0;
    for r in results {
        match r {
            Ok(()) => ok += 1,
            Err(PortError::Conflict(_)) => {}
            Err(e) => bail!("release failed: {e}"),
        }
    }
    ensure!(ok == held, "each case released once: {ok} of {held}");
    ensure!(load_of(&*store, &amy.id).await? == 0, "load back to zero, never below");
    Ok(())
}

/// Newest-first pages (`limit` and the cursor `after`) walk the same list as one unlimited
/// read, reversed, with one index value (a customer) or several (statuses) or none.
async fn pages<S: CaseStore + ?Sized>(
    s: &S,
    customer: &socialcare_domain::CustomerId,
    newest_of_customer: &[socialcare_domain::CaseId],
) -> anyhow::Result<()> {
    let queries = [
        CaseQuery {
            customer: Some(customer.clone()),
            ..CaseQuery::default()
        },
        CaseQuery {
            statuses: vec![CaseStatus::Closed, CaseStatus::Resolved, CaseStatus::New],
            ..CaseQuery::default()
        },
        CaseQuery::default(),
    ];
    for (n, query) in queries.into_iter().enumerate() {
        let mut whole = CaseStore::list(s, &query).await?;
        whole.reverse();
        let whole: Vec<_> = whole.into_iter().map(|c| c.id).collect();
        for limit in [1, 2] {
            let mut walked = Vec::new();
            let mut after: Option<CaseCursor> = None;
            loop {
                let page = CaseStore::list(
                    s,
                    &CaseQuery {
                        limit: Some(limit),
                        newest_first: true,
                        after: after.clone(),
                        ..query.clone()
                    },
                )
                .await?;
                ensure!(page.len() <= limit, "query {n}: a page of {limit} held {}", page.len());
                let Some(last) = page.last() else { break };
                after = Some(CaseCursor::of(last));
                walked.extend(page.into_iter().map(|c| c.id));
                ensure!(walked.len() <= whole.len(), "query {n}: pages of {limit} repeat cases");
            }
            ensure!(
                walked == whole,
                "query {n}: pages of {limit} walk {walked:?}, one read gives {whole:?} newest first"
            );
        }
        if n == 0 {
            ensure!(whole == newest_of_customer, "by customer, newest first: {whole:?}");
        }
    }
    Ok(())
}
