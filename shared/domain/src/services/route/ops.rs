//! Routing operations beyond the first assignment: requirements kept on the case, stickiness,
//! the pull decision over an index, decline, transfer, force-assign and the offline grace.
//!
//! Every change of assignee is one conditional write over the case's version and one agent's
//! load. Moving a case between two agents is two such writes (release, then take): if the
//! second loses (the target filled up meanwhile), the case waits in its queue and is routed
//! again. Load counters stay exact either way.

use super::{MAX_CONFLICT_RETRIES, RouteService, Routed};
use crate::agent::{Agent, Role};
use crate::case::CaseStatus;
use crate::case::{Actor, Case};
use crate::error::{PortError, ServiceError};
use crate::ids::{AgentId, CaseId};
use crate::ports::{CaseQuery, LoadChange};
use crate::routing::record::{sticky_agent, unassign, waited_secs};
use crate::routing::requirements::{basic_requirements, requirements};
use crate::routing::{Mode, Ranking, Requirements, Situation, rank};

/// Where a case is handed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transfer {
    Agent(AgentId),
    Queue(String),
}

/// Posts read per case to derive requirements (the newest).
const POSTS_FOR_REQUIREMENTS: usize = 20;

impl RouteService {
    /// The case's requirements as stored, or derived from the case alone.
    pub(super) fn requirements_of(&self, case: &Case) -> Requirements {
        case.routing
            .requirements
            .clone()
            .unwrap_or_else(|| basic_requirements(case, &self.routing))
    }

    /// Derives the case's requirements from its posts and stores them when they changed, so
    /// claims and explanations see them.
    pub(super) async fn refresh_requirements(&self, mut case: Case) -> Result<Case, ServiceError> {
        let Some(posts) = &self.posts else {
            return Ok(case);
        };
        for _ in 0..MAX_CONFLICT_RETRIES {
            let ids: Vec<_> = case.posts.iter().rev().take(POSTS_FOR_REQUIREMENTS).cloned().collect();
            let read = posts.get_many(&ids).await?;
            let wanted = requirements(&case, &read, &self.routing);
            if case.routing.requirements.as_ref() == Some(&wanted) {
                return Ok(case);
            }
            let expected = case.version;
            case.routing.requirements = Some(wanted);
            case.version += 1;
            match self.cases.save(&case, expected, LoadChange::None).await {
                Ok(()) => return Ok(case),
                Err(PortError::Conflict(_)) => case = self.load(&case.id).await?,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Conflict(format!("case {} kept changing", case.id)))
    }

    /// The agent who last served this case's customer within the sticky window.
    pub(super) async fn sticky_for(&self, case: &Case) -> Result<Option<AgentId>, ServiceError> {
        if self.routing.sticky_days == 0 {
            return Ok(None);
        }
        let cases = self
            .cases
            .list(&CaseQuery {
                customer: Some(case.customer_id.clone()),
                ..CaseQuery::default()
            })
            .await?;
        Ok(sticky_agent(
            &cases,
            &case.id,
            self.clock.now(),
            self.routing.sticky_days,
        ))
    }

    pub(super) fn rank<'a>(
        &self,
        case: &Case,
        agents: &'a [Agent],
        sticky: Option<&AgentId>,
        mode: Mode,
        by: Option<&AgentId>,
    ) -> Ranking<'a> {
        let now = self.clock.now();
        let requirements = self.requirements_of(case);
        rank(
            agents,
            &Situation {
                requirements: &requirements,
                declined: &case.routing.declined,
                sticky,
                waited_secs: waited_secs(case, now),
                now,
                mode,
                by,
            },
            &self.routing,
        )
    }

    /// Pull: the best waiting case `agent_id` may take (priority, then age, within what its
    /// requirements and declines allow), taken atomically.
    pub(super) async fn claim_best(&self, agent_id: &AgentId) -> Result<Option<Case>, ServiceError> {
        for attempt in 0..MAX_CONFLICT_RETRIES {
            let agents = self.agents.list().await?;
            let agent = agents
                .iter()
                .find(|a| &a.id == agent_id)
                .cloned()
                .ok_or_else(|| ServiceError::NotFound(format!("agent {agent_id}")))?;
            if !agent.has_room() {
                return Err(ServiceError::Conflict(format!(
                    "agent {agent_id} is at capacity ({})",
                    agent.capacity
                )));
            }
            let now = self.clock.now();
            // The kept index serves the first attempt while it is live; a retry always rebuilds.
            let fresh = attempt > 0 || !self.claim_index.is_live(now);
            if fresh {
                let waiting = self.cases.list(&CaseQuery::waiting()).await?;
                self.claim_index.rebuild(waiting, |c| self.requirements_of(c), now);
            }
            let mut lost_any = false;
            while let Some(case) = self.claim_index.take_best(&agent, &self.routing, now) {
                let mut decision = self.rank(&case, &agents, None, Mode::Claim, Some(agent_id)).decision;
                decision.chosen = Some(agent_id.clone());
                if self.try_assign(&case, agent_id, Some(decision)).await? {
                    return Ok(self.cases.get(&case.id).await?);
                }
                lost_any = true;
            }
            if fresh && !lost_any {
                return Ok(None);
            }
        }
        Ok(None)
    }

    /// Takes the case from its assignee back to the queue (one write with the load release).
    /// `declined` adds the assignee to the agents never offered the case again.
    async fn release(
        &self,
        case_id: &CaseId,
        actor: Actor,
        reason: &str,
        declined: bool,
    ) -> Result<(Case, AgentId), ServiceError> {
        for _ in 0..MAX_CONFLICT_RETRIES {
            let mut case = self.load(case_id).await?;
            if !case.status.is_active() {
                return Err(ServiceError::Conflict(format!(
                    "case {case_id} is {}",
                    case.status.as_str()
                )));
            }
            let expected = case.version;
            let Some(agent) = unassign(&mut case, actor.clone(), reason, self.clock.now()) else {
                return Err(ServiceError::Conflict(format!("case {case_id} has no assignee")));
            };
            if declined && !case.routing.declined.contains(&agent) {
                case.routing.declined.push(agent.clone());
            }
            case.version += 1;
            match self
                .cases
                .save(&case, expected, LoadChange::Release(agent.clone()))
                .await
            {
                Ok(()) => {
                    tracing::info!(case_id = %case_id, agent_id = %agent, reason, "case returned to its queue");
                    return Ok((case, agent));
                }
                Err(PortError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Conflict(format!("case {case_id} kept changing")))
    }

    /// The assignee declines the case: back to the queue, never offered to them again, and
    /// routed to the next best agent.
    pub async fn decline(&self, case_id: &CaseId, agent: &AgentId) -> Result<(Case, Routed), ServiceError> {
        let case = self.load(case_id).await?;
        if case.assignee.as_ref() != Some(agent) {
            return Err(ServiceError::Forbidden(format!(
                "case {case_id} is not assigned to {agent}"
            )));
        }
        let (case, _) = self
            .release(case_id, Actor::Agent(agent.clone()), "declined", true)
            .await?;
        let routed = self.assign_best(case, None).await?;
        Ok((self.load(case_id).await?, routed))
    }

    /// Hands an assigned case to a named agent or a queue. `by` is the assignee or a supervisor
    /// (the desk checks which). The target agent must exist, be an agent and have room; a queue
    /// must be configured (or be the default queue).
    pub async fn transfer(
        &self,
        case_id: &CaseId,
        to: &Transfer,
        by: &AgentId,
    ) -> Result<(Case, Routed), ServiceError> {
        match to {
            Transfer::Agent(target) => {
                let target_agent = self.target(target).await?;
                let case = self.load(case_id).await?;
                if case.assignee.as_ref() == Some(target) {
                    return Err(ServiceError::Conflict(format!(
                        "case {case_id} is already with {target}"
                    )));
                }
                if !target_agent.has_room() {
                    return Err(ServiceError::Conflict(format!("agent {target} is at capacity")));
                }
                if case.assignee.is_some() {
                    self.release(case_id, Actor::Agent(by.clone()), "transferred", false)
                        .await?;
                }
                self.give(case_id, target, Mode::Transfer, by).await
            }
            Transfer::Queue(queue) => {
                if !self.routing.knows_queue(queue) {
                    return Err(ServiceError::Invalid(format!("queue `{queue}` is not configured")));
                }
                let mut previous = None;
                for _ in 0..MAX_CONFLICT_RETRIES {
                    let mut case = self.load(case_id).await?;
                    if !case.status.is_active() {
                        return Err(ServiceError::Conflict(format!(
                            "case {case_id} is {}",
                            case.status.as_str()
                        )));
                    }
                    let expected = case.version;
                    case.queue = queue.clone();
                    let load = match unassign(&mut case, Actor::Agent(by.clone()), "transferred", self.clock.now()) {
                        Some(agent) => {
                            previous = Some(agent.clone());
                            LoadChange::Release(agent)
                        }
                        None => LoadChange::None,
                    };
                    case.version += 1;
                    match self.cases.save(&case, expected, load).await {
                        Ok(()) => {
                            let routed = self.assign_best(case, previous.as_ref()).await?;
                            return Ok((self.load(case_id).await?, routed));
                        }
                        Err(PortError::Conflict(_)) => continue,
                        Err(e) => return Err(e.into()),
                    }
                }
                Err(ServiceError::Conflict(format!("case {case_id} kept changing")))
            }
        }
    }

    /// A supervisor gives the case to `target`, whatever its requirements say (room is still
    /// required: load never exceeds capacity). The explanation records what the router would
    /// have said.
    pub async fn force_assign(
        &self,
        case_id: &CaseId,
        target: &AgentId,
        by: &AgentId,
    ) -> Result<(Case, Routed), ServiceError> {
        let target_agent = self.target(target).await?;
        let case = self.load(case_id).await?;
        if case.assignee.as_ref() == Some(target) {
            return Ok((case, Routed::Settled));
        }
        if !target_agent.has_room() {
            return Err(ServiceError::Conflict(format!("agent {target} is at capacity")));
        }
        if case.assignee.is_some() {
            self.release(case_id, Actor::Agent(by.clone()), "reassigned", false)
                .await?;
        }
        self.give(case_id, target, Mode::Force, by).await
    }

    async fn target(&self, target: &AgentId) -> Result<Agent, ServiceError> {
        let agent = self
            .agents
            .get(target)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("agent {target}")))?;
        if agent.role != Role::Agent {
            return Err(ServiceError::Invalid(format!("{target} is not an agent")));
        }
        Ok(agent)
    }

    /// Assigns a waiting case to `target`; if that loses, the case is routed as usual.
    async fn give(
        &self,
        case_id: &CaseId,
        target: &AgentId,
        mode: Mode,
        by: &AgentId,
    ) -> Result<(Case, Routed), ServiceError> {
        let case = self.load(case_id).await?;
        let agents = self.agents.list().await?;
        let mut decision = self.rank(&case, &agents, None, mode, Some(by)).decision;
        decision.chosen = Some(target.clone());
        if self.try_assign(&case, target, Some(decision)).await? {
            return Ok((self.load(case_id).await?, Routed::Assigned(target.clone())));
        }
        let case = self.load(case_id).await?;
        let routed = if case.is_waiting() {
            self.assign_best(case, None).await?
        } else {
            Routed::Settled
        };
        Ok((self.load(case_id).await?, routed))
    }

    /// Marks `agent`'s unanswered cases with the moment it went offline; after the grace period
    /// [`RouteService::return_after_grace`] hands them back to the queue.
    pub async fn mark_owner_offline(&self, agent: &AgentId) -> Result<usize, ServiceError> {
        let now = self.clock.now();
        let cases = self
            .cases
            .list(&CaseQuery {
                assignee: Some(agent.clone()),
                ..CaseQuery::default()
            })
            .await?;
        let mut marked = 0;
        for mut case in cases {
            if !case.status.is_active() || case.first_response_at.is_some() {
                continue;
            }
            let expected = case.version;
            case.routing.owner_offline_since = Some(now);
            case.version += 1;
            match self.cases.save(&case, expected, LoadChange::None).await {
                Ok(()) => marked += 1,
                // It changed meanwhile (a reply, a transfer): the next offline marks it again.
                Err(PortError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(marked)
    }

    /// Returns to the queue the unanswered cases of agents offline for longer than the grace
    /// period, and routes them again. Run by the ticker. Returns how many went back.
    pub async fn return_after_grace(&self) -> Result<usize, ServiceError> {
        let now = self.clock.now();
        let grace = self.routing.offline_grace_secs;
        let cases = self
            .cases
            .list(&CaseQuery {
                statuses: vec![CaseStatus::New, CaseStatus::Open, CaseStatus::Pending],
                ..CaseQuery::default()
            })
            .await?;
        let mut returned = 0;
        for case in cases {
            let (Some(since), Some(owner)) = (case.routing.owner_offline_since, case.assignee.clone()) else {
                continue;
            };
            if case.first_response_at.is_some() || now.duration_since(since).as_secs() < grace {
                continue;
            }
            let still_offline = self
                .agents
                .get(&owner)
                .await?
                .is_none_or(|a| a.presence == crate::agent::Presence::Offline);
            if !still_offline {
                continue;
            }
            match self.release(&case.id, Actor::System, "offline", false).await {
                Ok((case, _)) => {
                    returned += 1;
                    self.assign_best(case, Some(&owner)).await?;
                }
                Err(ServiceError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(returned)
    }
}
