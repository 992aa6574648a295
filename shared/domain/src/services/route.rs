//! Route: start the case's SLA clocks, then give it to the best eligible agent, or let it wait.

use super::MAX_CONFLICT_RETRIES;
use crate::agent::Agent;
use crate::case::Case;
use crate::error::{PortError, ServiceError};
use crate::ids::{AgentId, CaseId};
use crate::ports::{AgentStore, CaseQuery, CaseStore, Clock, LoadChange, TimerStore};
use crate::routing::{queue_order, rank_agents};
use crate::sla::SlaPolicy;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Routed {
    Assigned(AgentId),
    /// No eligible agent with room: the case waits in its queue.
    Waiting,
    /// Not active or already assigned: nothing to do.
    Settled,
}

pub struct RouteService {
    cases: Arc<dyn CaseStore>,
    agents: Arc<dyn AgentStore>,
    timers: Arc<dyn TimerStore>,
    clock: Arc<dyn Clock>,
    policy: SlaPolicy,
}

impl RouteService {
    pub fn new(
        cases: Arc<dyn CaseStore>,
        agents: Arc<dyn AgentStore>,
        timers: Arc<dyn TimerStore>,
        clock: Arc<dyn Clock>,
        policy: SlaPolicy,
    ) -> Self {
        Self {
            cases,
            agents,
            timers,
            clock,
            policy,
        }
    }

    pub async fn on_case_updated(&self, case_id: &CaseId) -> Result<Routed, ServiceError> {
        let case = self.load(case_id).await?;
        let case = self.start_clocks(case).await?;
        if !case.is_waiting() {
            return Ok(Routed::Settled);
        }
        self.assign_best(case).await
    }

    async fn load(&self, id: &CaseId) -> Result<Case, ServiceError> {
        self.cases
            .get(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("case {id}")))
    }

    /// Brings the case's SLA clocks up to date (start, pause, resume, recompute: see
    /// [`SlaPolicy::reconcile`]) and arms their timers. Arming is idempotent, so a crash between
    /// the case write and the arm is repaired by the redelivery.
    async fn start_clocks(&self, mut case: Case) -> Result<Case, ServiceError> {
        for _ in 0..MAX_CONFLICT_RETRIES {
            let expected = case.version;
            if self.policy.reconcile(&mut case, self.clock.now()) {
                case.version += 1;
                match self.cases.save(&case, expected, LoadChange::None).await {
                    Ok(()) => {}
                    Err(PortError::Conflict(_)) => {
                        case = self.load(&case.id).await?;
                        continue;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            for timer in self.policy.timers(&case) {
                self.timers.arm(&timer).await?;
            }
            return Ok(case);
        }
        Err(ServiceError::Conflict(format!("case {} kept changing", case.id)))
    }

    /// Tries the ranked agents in turn; each try is one conditional write over the case's
    /// version and the agent's load, so two routers never both win.
    async fn assign_best(&self, mut case: Case) -> Result<Routed, ServiceError> {
        for _ in 0..MAX_CONFLICT_RETRIES {
            let agents = self.agents.list().await?;
            let ranked: Vec<Agent> = rank_agents(&case, &agents).into_iter().cloned().collect();
            if ranked.is_empty() {
                tracing::info!(case_id = %case.id, "case waits in queue {}", case.queue);
                return Ok(Routed::Waiting);
            }
            for agent in &ranked {
                match self.try_assign(&case, &agent.id).await? {
                    true => return Ok(Routed::Assigned(agent.id.clone())),
                    false => {
                        case = self.load(&case.id).await?;
                        if !case.is_waiting() {
                            return Ok(Routed::Settled);
                        }
                    }
                }
            }
        }
        Ok(Routed::Waiting)
    }

    /// One atomic assignment. False when the case moved or the agent filled up meanwhile.
    async fn try_assign(&self, case: &Case, agent: &AgentId) -> Result<bool, ServiceError> {
        let now = self.clock.now();
        let mut next = case.clone();
        if next.assign(agent, now).is_err() {
            return Ok(false);
        }
        next.version += 1;
        match self
            .cases
            .save(&next, case.version, LoadChange::Take(agent.clone()))
            .await
        {
            Ok(()) => {
                self.agents.touch_assigned(agent, now).await?;
                tracing::info!(case_id = %case.id, agent_id = %agent, "case assigned");
                Ok(true)
            }
            Err(PortError::Conflict(_)) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Pull: the best waiting case that `agent` may take, taken atomically. None when there is none.
    pub async fn claim_for(&self, agent_id: &AgentId) -> Result<Option<Case>, ServiceError> {
        for _ in 0..MAX_CONFLICT_RETRIES {
            let agent = self
                .agents
                .get(agent_id)
                .await?
                .ok_or_else(|| ServiceError::NotFound(format!("agent {agent_id}")))?;
            if !agent.has_room() {
                return Err(ServiceError::Conflict(format!(
                    "agent {agent_id} is at capacity ({})",
                    agent.capacity
                )));
            }
            let mut waiting = self
                .cases
                .list(&CaseQuery {
                    waiting: true,
                    ..CaseQuery::default()
                })
                .await?;
            waiting.retain(|c| agent.speaks(c.language.as_ref()));
            waiting.sort_by(queue_order);
            let mut lost_any = false;
            for case in waiting {
                if self.try_assign(&case, agent_id).await? {
                    return Ok(self.cases.get(&case.id).await?);
                }
                lost_any = true;
            }
            if !lost_any {
                return Ok(None);
            }
        }
        Ok(None)
    }
}
