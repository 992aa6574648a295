//! `AgentStore`: seed keeps what exists; presence; last assignment only moves forward.

use crate::sample::{agent, agent_id, at, tag};
use anyhow::ensure;
use socialcare_domain::ports::AgentStore;
use socialcare_domain::{PortError, Presence};
use std::sync::Arc;

pub async fn agent_store_contract(store: Arc<dyn AgentStore>) -> anyhow::Result<()> {
    let t = tag();
    let ana = agent(&format!("ana-{t}"), 3)?;
    let bob = agent(&format!("bob-{t}"), 5)?;
    store.seed(&ana).await?;
    store.seed(&bob).await?;
    ensure!(
        store.get(&ana.id).await?.as_ref() == Some(&ana),
        "seed stores the agent"
    );
    let mut reseed = ana.clone();
    reseed.capacity = 99;
    reseed.load = 7;
    store.seed(&reseed).await?;
    ensure!(
        store.get(&ana.id).await?.as_ref() == Some(&ana),
        "seed keeps an existing agent"
    );
    ensure!(store.get(&agent_id(&format!("nobody-{t}"))?).await?.is_none());

    // A profile update replaces the profile and keeps the live state; a new id is created.
    let mut profile = ana.clone();
    profile.name = "Ana Lima".into();
    profile.capacity = 4;
    profile.regions = vec!["latam".into()];
    profile.load = 3;
    profile.presence = Presence::Offline;
    ensure!(!store.save_profile(&profile).await?, "an existing agent is updated");
    let got = store.get(&ana.id).await?;
    let got = got.ok_or_else(|| anyhow::anyhow!("agent gone"))?;
    ensure!(
        (got.name.as_str(), got.capacity, got.regions.clone()) == ("Ana Lima", 4, vec!["latam".to_string()]),
        "profile replaced: {got:?}"
    );
    ensure!(
        (got.load, got.presence) == (ana.load, ana.presence),
        "live state kept: {got:?}"
    );
    let cara = agent(&format!("cara-{t}"), 2)?;
    ensure!(store.save_profile(&cara).await?, "a new agent is created");
    ensure!(store.get(&cara.id).await?.map(|a| a.capacity) == Some(2));
    let ana = got;

    let listed: Vec<_> = store
        .list()
        .await?
        .into_iter()
        .filter(|a| a.id == ana.id || a.id == bob.id)
        .collect();
    ensure!(listed == vec![ana.clone(), bob.clone()], "list holds both, by id");

    store.set_presence(&ana.id, Presence::Away).await?;
    ensure!(store.get(&ana.id).await?.map(|a| a.presence) == Some(Presence::Away));
    let missing = store
        .set_presence(&agent_id(&format!("nobody-{t}"))?, Presence::Online)
        .await;
    ensure!(
        matches!(missing, Err(PortError::NotFound(_))),
        "presence of an unknown agent is NotFound, got {missing:?}"
    );

    store.touch_assigned(&bob.id, at(100)).await?;
    ensure!(store.get(&bob.id).await?.and_then(|a| a.last_assigned_at) == Some(at(100)));
    store.touch_assigned(&bob.id, at(50)).await?;
    ensure!(
        store.get(&bob.id).await?.and_then(|a| a.last_assigned_at) == Some(at(100)),
        "last assignment never moves back"
    );
    store.touch_assigned(&bob.id, at(200)).await?;
    ensure!(store.get(&bob.id).await?.and_then(|a| a.last_assigned_at) == Some(at(200)));
    store.touch_assigned(&agent_id(&format!("nobody-{t}"))?, at(1)).await?;
    ensure!(
        store.get(&bob.id).await?.map(|a| (a.capacity, a.load, a.presence)) == Some((5, 0, Presence::Online)),
        "touch changes nothing else"
    );

    // Ending sessions: only moves forward, survives a profile update, unknown agent NotFound.
    ensure!(store.get(&bob.id).await?.and_then(|a| a.tokens_valid_after).is_none());
    store.revoke_sessions(&bob.id, at(300)).await?;
    store.revoke_sessions(&bob.id, at(250)).await?;
    ensure!(
        store.get(&bob.id).await?.and_then(|a| a.tokens_valid_after) == Some(at(300)),
        "sessions ended at the latest time asked"
    );
    let mut profile = store.get(&bob.id).await?.ok_or_else(|| anyhow::anyhow!("bob gone"))?;
    profile.tokens_valid_after = None;
    profile.capacity = 6;
    store.save_profile(&profile).await?;
    ensure!(
        store.get(&bob.id).await?.and_then(|a| a.tokens_valid_after) == Some(at(300)),
        "a profile update keeps the end of sessions"
    );
    let missing = store.revoke_sessions(&agent_id(&format!("nobody-{t}"))?, at(1)).await;
    ensure!(
        matches!(missing, Err(PortError::NotFound(_))),
        "ending an unknown agent's sessions is NotFound, got {missing:?}"
    );
    Ok(())
}
