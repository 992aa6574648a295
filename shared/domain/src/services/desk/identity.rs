//! The desk's identity actions, authorized per object: merge two customers, split a merge, read
//! a merge record, detach an author linked by mistake. Supervisors may do all. A merge joins two
//! people's stories, so an agent needs a right to **both** sides: it holds both customers'
//! active cases, or it holds one and the other is a suggestion on that case (the evidence the
//! agent is looking at). Holding one side alone would let an agent pull any customer's posts
//! into its own case. A split undoes a merge (it never joins): its actor, or the agent holding
//! the merged customer's case.

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

    /// The active case of `customer`, when `who` holds it.
    async fn held_case_of(
        &self,
        who: &Principal,
        customer: &CustomerId,
    ) -> Result<Option<crate::case::Case>, ServiceError> {
        let Some(id) = self.cases.active_case_of(customer).await? else {
            return Ok(None);
        };
        Ok(self
            .cases
            .get(&id)
            .await?
            .filter(|c| c.assignee.as_ref() == Some(&who.agent_id)))
    }

    /// Whether `who` holds the active case of `customer`.
    async fn holds_case_of(&self, who: &Principal, customer: &CustomerId) -> Result<bool, ServiceError> {
        Ok(self.held_case_of(who, customer).await?.is_some())
    }

    /// Whether `other` is among the suggestions shown on `who`'s case of `held` (as
    /// `GET /v1/cases/{id}` lists them).
    async fn suggested_on_case_of(
        &self,
        who: &Principal,
        held: &CustomerId,
        other: &CustomerId,
    ) -> Result<bool, ServiceError> {
        let Some(case) = self.held_case_of(who, held).await? else {
            return Ok(false);
        };
        let Some(customer) = self.customers.get(held).await? else {
            return Ok(false);
        };
        let suggestions = crate::services::suggest::SuggestionService::new(self.customers.clone())
            .for_customer(&customer, case.created_at)
            .await?;
        Ok(suggestions.iter().any(|s| &s.customer_id == other))
    }

    /// An agent's right to merge `source` and `target` (see the module doc).
    async fn may_merge(&self, who: &Principal, source: &CustomerId, target: &CustomerId) -> Result<bool, ServiceError> {
        if who.is_supervisor() {
            return Ok(true);
        }
        let (holds_source, holds_target) = (
            self.holds_case_of(who, source).await?,
            self.holds_case_of(who, target).await?,
        );
        Ok(match (holds_source, holds_target) {
            (true, true) => true,
            (true, false) => self.suggested_on_case_of(who, source, target).await?,
            (false, true) => self.suggested_on_case_of(who, target, source).await?,
            (false, false) => false,
        })
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
        if !self.may_merge(who, source, target).await? {
            // Checked before existence: the same answer for a customer that does not exist.
            return Err(ServiceError::Forbidden(
                "no pair of customers you may merge (an agent merges the customers of its own cases, \
                 or its customer with one suggested on that case)"
                    .into(),
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

    /// A merge record: for supervisors, its actor, and the agent holding the case of the
    /// customer that stayed (after the merge it holds both stories). The record holds both
    /// customers as they were, so holding the source's case alone (after a split: a case of its
    /// own) does not show it.
    pub async fn merge_record(&self, who: &Principal, id: &str) -> Result<MergeRecord, ServiceError> {
        let not_found = || ServiceError::NotFound(format!("merge {id}"));
        let record = self.merges().get(id).await?.ok_or_else(not_found)?;
        let allowed =
            who.is_supervisor() || record.actor == who.agent_id || self.holds_case_of(who, &record.target).await?;
        if !allowed {
            return Err(not_found());
        }
        Ok(record)
    }
}
