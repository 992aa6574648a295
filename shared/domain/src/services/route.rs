//! Route: start the case's SLA clocks, then give it to the best eligible agent, or let it wait.

use super::MAX_CONFLICT_RETRIES;
use crate::agent::Agent;
use crate::case::Case;
use crate::error::{PortError, ServiceError};
use crate::ids::{AgentId, CaseId};
use crate::ports::{AgentStore, CaseStore, Clock, LoadChange, PostStore, TimerStore};
use crate::routing::{Decision, RoutingPolicy};
use crate::sla::SlaPolicy;
use std::sync::Arc;

mod claim;

/// How long the process that serves claims keeps its pull index (see `route/claim.rs`): a case
/// that starts waiting is claimable from it within this long (at once when nothing else is).
pub const CLAIM_INDEX_TTL: std::time::Duration = std::time::Duration::from_secs(2);

mod ops;
pub use ops::Transfer;

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
    routing: Arc<RoutingPolicy>,
    /// Read for the requirements derived from posts (intent, product names); without it a
    /// case's requirements come from the case alone.
    posts: Option<Arc<dyn PostStore>>,
    /// The pull index, kept between claims for [`RouteService::with_claim_index_ttl`].
    claim_index: claim::ClaimIndex,
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
            routing: Arc::new(RoutingPolicy::default()),
            posts: None,
            claim_index: claim::ClaimIndex::new(jiff::SignedDuration::ZERO),
        }
    }

    /// Keeps the pull index between claims for up to `ttl` (zero, the default: rebuilt for every
    /// claim). For the process that serves claims (the agent API); see `route/claim.rs`.
    pub fn with_claim_index_ttl(mut self, ttl: std::time::Duration) -> Self {
        let ttl = jiff::SignedDuration::try_from(ttl).unwrap_or(jiff::SignedDuration::ZERO);
        self.claim_index = claim::ClaimIndex::new(ttl);
        self
    }

    /// Routes by `policy` (requirements, stickiness, relaxation), reading case posts from `posts`.
    pub fn with_routing(mut self, policy: RoutingPolicy, posts: Arc<dyn PostStore>) -> Self {
        self.routing = Arc::new(policy);
        self.posts = Some(posts);
        self
    }

    /// What the router would decide for `case` now, written nowhere: every candidate and why it
    /// is excluded or how it ranks. For the explanation of a waiting case (whose failed
    /// decisions are not stored).
    pub async fn decide_now(&self, case: &Case) -> Result<crate::routing::decide::Decision, ServiceError> {
        let agents = self.agents.list().await?;
        let sticky = self.sticky_for(case).await?;
        Ok(self
            .rank(case, &agents, sticky.as_ref(), crate::routing::Mode::Push, None)
            .decision)
    }

    pub fn routing_policy(&self) -> &RoutingPolicy {
        &self.routing
    }

    pub async fn on_case_updated(&self, case_id: &CaseId) -> Result<Routed, ServiceError> {
        let case = self.load(case_id).await?;
        let case = self.start_clocks(case).await?;
        if !case.is_waiting() {
            return Ok(Routed::Settled);
        }
        let case = self.refresh_requirements(case).await?;
        self.assign_best(case, None).await
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
    /// version and the agent's load, so two routers never both win. `skip` is left out of this
    /// decision only (the agent who just handed the case to a queue).
    async fn assign_best(&self, mut case: Case, skip: Option<&AgentId>) -> Result<Routed, ServiceError> {
        for _ in 0..MAX_CONFLICT_RETRIES {
            let agents = self.agents.list().await?;
            let agents: Vec<Agent> = agents.into_iter().filter(|a| Some(&a.id) != skip).collect();
            let sticky = self.sticky_for(&case).await?;
            let ranking = self.rank(&case, &agents, sticky.as_ref(), crate::routing::Mode::Push, None);
            if ranking.ranked.is_empty() {
                tracing::info!(case_id = %case.id, "case waits in queue {}", case.queue);
                return Ok(Routed::Waiting);
            }
            let ranked: Vec<AgentId> = ranking.ranked.iter().map(|a| a.id.clone()).collect();
            for agent in &ranked {
                let mut decision = ranking.decision.clone();
                decision.chosen = Some(agent.clone());
                match self.try_assign(&case, agent, Some(decision)).await? {
                    true => return Ok(Routed::Assigned(agent.clone())),
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

    /// One atomic assignment, with its explanation. False when the case moved or the agent
    /// filled up meanwhile.
    async fn try_assign(&self, case: &Case, agent: &AgentId, decision: Option<Decision>) -> Result<bool, ServiceError> {
        let now = self.clock.now();
        let mut next = case.clone();
        if next.assign(agent, now).is_err() {
            return Ok(false);
        }
        next.routing.owner_offline_since = None;
        if let Some(d) = decision {
            next.routing.record(d);
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
        self.claim_best(agent_id).await
    }
}
