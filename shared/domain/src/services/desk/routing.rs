//! The desk's routing actions, authorized per object: read a case's routing explanation,
//! decline, transfer, force-assign.

use super::{Desk, Principal};
use crate::case::Case;
use crate::error::ServiceError;
use crate::ids::{AgentId, CaseId};
use crate::routing::CaseRouting;
use crate::services::route::{Routed, Transfer};

impl Desk {
    /// A case's requirements, declines and routing decisions: for its assignee and supervisors.
    /// Anyone else gets 404, as for a case that does not exist.
    pub async fn routing(&self, who: &Principal, id: &CaseId) -> Result<(Case, CaseRouting), ServiceError> {
        let case = self
            .cases
            .get(id)
            .await?
            .filter(|c| who.is_supervisor() || c.assignee.as_ref() == Some(&who.agent_id))
            .ok_or_else(|| ServiceError::NotFound(format!("case {id}")))?;
        let mut routing = case.routing.clone();
        if routing.requirements.is_none() {
            routing.requirements = Some(crate::routing::requirements::basic_requirements(
                &case,
                self.router.routing_policy(),
            ));
        }
        // A waiting case's failed decisions are not stored (a write per look would cost on
        // every routing): the explanation decides again, now, and says so with its time.
        if case.is_waiting() {
            routing.waiting_since = Some(routing.waiting_since.unwrap_or(case.created_at));
            routing.record(self.router.decide_now(&case).await?);
        }
        Ok((case, routing))
    }

    /// The case the caller acts on: its assignee or a supervisor (another agent's case: 403).
    pub(super) async fn own_case(&self, who: &Principal, id: &CaseId) -> Result<Case, ServiceError> {
        let case = self
            .cases
            .get(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("case {id}")))?;
        if who.is_supervisor() || case.assignee.as_ref() == Some(&who.agent_id) {
            return Ok(case);
        }
        Err(ServiceError::Forbidden(format!("case {id} is not yours")))
    }

    /// The assignee declines the case once: it goes to the next best agent (never back to them).
    pub async fn decline(&self, who: &Principal, id: &CaseId) -> Result<(Case, Routed), ServiceError> {
        self.agent(who).await?;
        let case = self.own_case(who, id).await?;
        if case.assignee.as_ref() != Some(&who.agent_id) {
            return Err(ServiceError::Forbidden("only the assignee declines a case".into()));
        }
        self.router.decline(id, &who.agent_id).await
    }

    /// Hands the case to an agent or a queue: its assignee, or a supervisor.
    pub async fn transfer(&self, who: &Principal, id: &CaseId, to: &Transfer) -> Result<(Case, Routed), ServiceError> {
        self.own_case(who, id).await?;
        self.router.transfer(id, to, &who.agent_id).await
    }

    /// A supervisor assigns the case to `agent`, whatever the rules say (within capacity).
    pub async fn force_assign(
        &self,
        who: &Principal,
        id: &CaseId,
        agent: &AgentId,
    ) -> Result<(Case, Routed), ServiceError> {
        if !who.is_supervisor() {
            return Err(ServiceError::Forbidden("force-assign is for supervisors".into()));
        }
        self.router.force_assign(id, agent, &who.agent_id).await
    }
}
