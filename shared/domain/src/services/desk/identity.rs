//! The desk's identity actions, authorized per object: merge two customers, split a merge, read
//! a merge record, detach an author linked by mistake. Supervisors may do all; an agent may merge or split customers whose active
//! case it holds (the person it is talking to), and split a merge it made.

use super::{Desk, Principal};
use crate::customer::MergeRecord;
use crate::error::ServiceError;
use crate::ids::CustomerId;
use crate::services::merge::MergeService;

/// The longest reason a merge keeps.
pub const MAX_REASON_CHARS: usize = 500;

impl Desk {
    fn merges(&self) -> MergeService {
        MergeService::new(
            self.customers.clone(),
            self.cases.clone(),
            self.publisher.clone(),
            self.clock.clone(),
        )
    }

    /// Whether `who` holds the active case of `customer`.
    async fn holds_case_of(&self, who: &Principal, customer: &CustomerId) -> Result<bool, ServiceError> {
        let Some(id) = self.cases.active_case_of(customer).await? else {
            return Ok(false);
        };
        Ok(self
            .cases
            .get(&id)
            .await?
            .is_some_and(|c| c.assignee.as_ref() == Some(&who.agent_id)))
    }

    /// Merges `source` into `target` (see [`crate::services::merge`] for the rule).
    pub async fn merge_customers(
        &self,
        who: &Principal,
        source: &CustomerId,
        target: &CustomerId,
        reason: Option<&str>,
    ) -> Result<MergeRecord, ServiceError> {
        if reason.is_some_and(|r| r.chars().count() > MAX_REASON_CHARS) {
            return Err(ServiceError::Invalid(format!(
                "reason: at most {MAX_REASON_CHARS} characters"
            )));
        }
        let allowed =
            who.is_supervisor() || self.holds_case_of(who, source).await? || self.holds_case_of(who, target).await?;
        if !allowed {
            return Err(ServiceError::Forbidden(
                "merging customers is for supervisors and the agent holding one of their cases".into(),
            ));
        }
        self.merges().merge(source, target, &who.agent_id, reason).await
    }

    /// Splits merge `id`: both customers as they were before it.
    pub async fn split_merge(&self, who: &Principal, id: &str) -> Result<MergeRecord, ServiceError> {
        let record = self.merge_record(who, id).await?;
        let allowed =
            who.is_supervisor() || record.actor == who.agent_id || self.holds_case_of(who, &record.target).await?;
        if !allowed {
            return Err(ServiceError::Forbidden(
                "splitting a merge is for supervisors, the agent who merged, and the agent holding the case".into(),
            ));
        }
        self.merges().split(id, &who.agent_id).await
    }

    /// Detaches `author` from `customer` into a customer of its own (a wrong automatic link):
    /// supervisors, and the agent holding the customer's active case.
    pub async fn detach_author(
        &self,
        who: &Principal,
        customer: &CustomerId,
        author: &crate::ids::AuthorId,
    ) -> Result<crate::customer::Customer, ServiceError> {
        if !who.is_supervisor() && !self.holds_case_of(who, customer).await? {
            return Err(ServiceError::Forbidden(
                "detaching an author is for supervisors and the agent holding the customer's case".into(),
            ));
        }
        self.merges().detach(customer, author, &who.agent_id).await
    }

    /// A merge record: for supervisors, its actor, and the agents holding either customer's case.
    pub async fn merge_record(&self, who: &Principal, id: &str) -> Result<MergeRecord, ServiceError> {
        let not_found = || ServiceError::NotFound(format!("merge {id}"));
        let record = self.merges().get(id).await?.ok_or_else(not_found)?;
        let allowed = who.is_supervisor()
            || record.actor == who.agent_id
            || self.holds_case_of(who, &record.target).await?
            || self.holds_case_of(who, &record.source).await?;
        if !allowed {
            return Err(not_found());
        }
        Ok(record)
    }
}
