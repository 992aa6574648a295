//! Routing under contention: `RouteService` over one store, half the tasks pulling
//! (`claim_for`, an agent taking the next case) and half pushing (`on_case_updated`, the
//! router picking the best agent), all at once. Every case ends assigned exactly once and
//! every agent's load equals its cases, within capacity. The pullers keep their pull index
//! between claims (never expiring here), so stale picks are exercised too.

use super::concurrently;
use crate::clock::FixedClock;
use crate::sample::{agent, at, case, tag};
use anyhow::{bail, ensure};
use socialcare_domain::case::CaseEventKind;
use socialcare_domain::ports::{AgentStore, CaseStore, TimerStore};
use socialcare_domain::services::route::RouteService;
use socialcare_domain::{CaseId, Priority, ServiceError, SlaPolicy};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoutingScale {
    /// Concurrent tasks, one agent each.
    pub claimers: usize,
    pub cases: usize,
}

impl Default for RoutingScale {
    fn default() -> Self {
        Self {
            claimers: 8,
            cases: 500,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingReport {
    pub cases: usize,
    /// Assigned while the tasks raced (the rest by the final sweep).
    pub assigned_in_race: usize,
    pub elapsed: Duration,
}

fn service<S>(store: &Arc<S>, clock: &Arc<FixedClock>) -> RouteService
where
    S: CaseStore + AgentStore + TimerStore + 'static,
{
    RouteService::new(
        store.clone(),
        store.clone(),
        store.clone(),
        clock.clone(),
        SlaPolicy::first_response_only(Priority::ALL.into_iter().map(|p| (p, 3_600)).collect()),
    )
}

pub async fn routing_contract<S>(store: Arc<S>, scale: RoutingScale) -> anyhow::Result<RoutingReport>
where
    S: CaseStore + AgentStore + TimerStore + 'static,
{
    let started = Instant::now();
    let t = tag();
    let clock = Arc::new(FixedClock::new(at(1_000)));
    // Total capacity a little above the case count: agents fill up near the end.
    let capacity = u32::try_from(scale.cases / scale.claimers + scale.cases / (scale.claimers * 8) + 1)?;
    let mut agents = Vec::new();
    for i in 0..scale.claimers {
        let a = agent(&format!("agent-{t}-{i}"), capacity)?;
        store.seed(&a).await?;
        agents.push(a.id);
    }
    let mut ids: Vec<CaseId> = Vec::new();
    for i in 0..scale.cases {
        let c = case(
            &format!("case-{t}-{i:04}"),
            &format!("cus-{t}-{i:04}"),
            at(i64::try_from(i)?),
        )?;
        store.create(&c).await?;
        ids.push(c.id);
    }
    let ids = Arc::new(ids);
    let agents = Arc::new(agents);

    let results = concurrently(scale.claimers, |task| {
        // Pullers keep their pull index (as the agent API does) and the clock stands still, so it
        // never expires: every case the pushers take meanwhile is a stale entry that must lose.
        let route = match task % 2 {
            0 => service(&store, &clock).with_claim_index_ttl(Duration::from_secs(3_600)),
            _ => service(&store, &clock),
        };
        let ids = ids.clone();
        let agents = agents.clone();
        async move {
            let mut won = 0usize;
            if task % 2 == 0 {
                // Pull: this agent takes the next case until it is full or nothing is left.
                loop {
                    match route.claim_for(&agents[task]).await {
                        Ok(Some(_)) => won += 1,
                        Ok(None) | Err(ServiceError::Conflict(_)) => return anyhow::Ok(won),
                        Err(e) => bail!("claim failed: {e}"),
                    }
                }
            }
            // Push: route every case, starting at a different place per task.
            let n = ids.len();
            for k in 0..n {
                let id = &ids[(k + task * n / agents.len()) % n];
                match route.on_case_updated(id).await {
                    Ok(socialcare_domain::services::route::Routed::Assigned(_)) => won += 1,
                    Ok(_) | Err(ServiceError::Conflict(_)) => {}
                    Err(e) => bail!("route failed: {e}"),
                }
            }
            anyhow::Ok(won)
        }
    })
    .await?;
    let mut assigned_in_race = 0;
    for r in results {
        assigned_in_race += r?;
    }

    // Whatever the race left waiting (a task that gave up on a conflict), route once more.
    let route = service(&store, &clock);
    for id in ids.iter() {
        route.on_case_updated(id).await?;
    }

    let mut per_agent: HashMap<String, u32> = HashMap::new();
    for id in ids.iter() {
        let Some(c) = CaseStore::get(&*store, id).await? else {
            bail!("case {id} vanished");
        };
        let Some(assignee) = &c.assignee else {
            bail!("case {id} was never assigned");
        };
        let assignments = c
            .history
            .iter()
            .filter(|e| matches!(e.kind, CaseEventKind::Assigned { .. }))
            .count();
        ensure!(assignments == 1, "case {id} assigned {assignments} times");
        *per_agent.entry(assignee.to_string()).or_default() += 1;
    }
    for id in agents.iter() {
        let Some(a) = AgentStore::get(&*store, id).await? else {
            bail!("agent {id} vanished");
        };
        let cases = per_agent.get(id.as_str()).copied().unwrap_or(0);
        ensure!(a.load == cases, "agent {id}: load {} but {cases} cases", a.load);
        ensure!(
            a.load <= a.capacity,
            "agent {id}: load {} over capacity {}",
            a.load,
            a.capacity
        );
    }
    ensure!(
        per_agent.values().sum::<u32>() as usize == scale.cases,
        "every case counted once"
    );
    Ok(RoutingReport {
        cases: scale.cases,
        assigned_in_race,
        elapsed: started.elapsed(),
    })
}
