//! The desk's SLA actions: set a case pending on the customer (its clocks pause, with who and
//! why), and acknowledge an alert (supervisors). Kept apart from the desk so the SLA rules stay
//! in one place; authorization is per object, as on the desk.

use super::MAX_CONFLICT_RETRIES;
use super::desk::Principal;
use crate::case::{Case, CaseRuleError};
use crate::error::{PortError, ServiceError};
use crate::ids::CaseId;
use crate::ports::{AlertStore, CaseStore, Clock, LoadChange, TimerStore};
use crate::sla::{Alert, PENDING_REASON, SlaPolicy};
use std::sync::Arc;

/// The longest pending reason accepted.
pub const MAX_REASON_CHARS: usize = 500;

pub struct SlaDesk {
    cases: Arc<dyn CaseStore>,
    timers: Arc<dyn TimerStore>,
    alerts: Arc<dyn AlertStore>,
    clock: Arc<dyn Clock>,
    policy: SlaPolicy,
}

impl SlaDesk {
    /// The SLA policies (for attainment in business time).
    pub fn policy(&self) -> &SlaPolicy {
        &self.policy
    }

    pub fn new(
        cases: Arc<dyn CaseStore>,
        timers: Arc<dyn TimerStore>,
        alerts: Arc<dyn AlertStore>,
        clock: Arc<dyn Clock>,
        policy: SlaPolicy,
    ) -> Self {
        Self {
            cases,
            timers,
            alerts,
            clock,
            policy,
        }
    }

    /// The assignee sets the case pending on the customer: every running clock pauses (a pause
    /// with the agent and the reason) and its timers go stale (epoch bump). The customer's next
    /// post opens the case again and the clocks resume with their deadlines moved by the pause.
    pub async fn set_pending(
        &self,
        who: &Principal,
        case_id: &CaseId,
        reason: Option<&str>,
    ) -> Result<Case, ServiceError> {
        let reason = reason
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .unwrap_or(PENDING_REASON);
        if reason.chars().count() > MAX_REASON_CHARS {
            return Err(ServiceError::Invalid(format!(
                "reason is longer than {MAX_REASON_CHARS} characters"
            )));
        }
        for _ in 0..MAX_CONFLICT_RETRIES {
            let mut case = self
                .cases
                .get(case_id)
                .await?
                .ok_or_else(|| ServiceError::NotFound(format!("case {case_id}")))?;
            if !who.is_supervisor() && case.assignee.as_ref() != Some(&who.agent_id) {
                return Err(ServiceError::Forbidden(format!(
                    "case {case_id} is not yours to act on"
                )));
            }
            let now = self.clock.now();
            let expected = case.version;
            case.set_pending(&who.agent_id, reason, now).map_err(|e| match e {
                CaseRuleError::NotAssignee => ServiceError::Forbidden(e.to_string()),
                other => ServiceError::Conflict(other.to_string()),
            })?;
            self.policy.reconcile(&mut case, now);
            case.version += 1;
            match self.cases.save(&case, expected, LoadChange::None).await {
                Ok(()) => {
                    tracing::info!(case_id = %case.id, agent_id = %who.agent_id, "case pending on the customer: SLA clocks paused");
                    return Ok(case);
                }
                Err(PortError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Conflict(format!("case {case_id} kept changing")))
    }

    /// Re-arms the timers of a case (after a change made elsewhere); arming is idempotent.
    pub async fn arm(&self, case: &Case) -> Result<(), ServiceError> {
        for timer in self.policy.timers(case) {
            self.timers.arm(&timer).await?;
        }
        Ok(())
    }

    /// A supervisor acknowledges an alert; acknowledging it again keeps the first acknowledgement.
    pub async fn acknowledge(&self, who: &Principal, id: &str) -> Result<Alert, ServiceError> {
        if !who.is_supervisor() {
            return Err(ServiceError::Forbidden("alerts are acknowledged by supervisors".into()));
        }
        self.alerts
            .acknowledge(id, &who.agent_id, self.clock.now())
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("alert {id}")))
    }
}
