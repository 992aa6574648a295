//! Erasing a customer (a data-subject request): the record kept of it, which names no person.
//!
//! The record lives on the customer's own item (`Customer::erasure`): written as `Erasing`
//! before anything is removed and as `Erased` after the last step, so an erasure interrupted by
//! a crash is finished by asking again (see `services::erase`). It keeps who asked, when, the
//! customer ids (pseudonymous hashes) and counts of what was removed: nothing a person wrote.

use crate::ids::{AgentId, CustomerId, stable_hash};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Where an erasure stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErasureState {
    /// Started: some steps may be done. Asking again finishes it.
    Erasing,
    /// Every step is done; the customer is a tombstone.
    Erased,
}

/// How much of each kind an erasure found and removed (or scrubbed in place).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasedCounts {
    /// Customer records made tombstones (the one asked for and those merged into it).
    pub customers: u32,
    /// Handles (platform authors) unlinked from the identity index.
    pub authors: u32,
    /// Identifiers (emails, phones, order and serial numbers) taken out of the index.
    pub identifiers: u32,
    /// Display-name keys of the similar-name suggestions the customer was taken out of.
    pub name_keys: u32,
    /// The customer's posts whose text, author and media were erased.
    pub posts: u32,
    /// Replies (our posts on the customer's cases) whose text was erased.
    pub replies: u32,
    /// Cases whose free text (pause reasons, delivery errors) was erased; the cases stay.
    pub cases: u32,
    /// Merge records whose copies of the customer were erased.
    pub merges: u32,
    /// Parked messages that named the customer, removed.
    pub parked: u32,
    /// Trend alerts whose example posts or authors named the customer.
    pub trend_alerts: u32,
}

/// The audit record of an erasure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Erasure {
    /// `era-<hash of the customer id>`: the same for every request to erase this customer.
    pub id: String,
    pub state: ErasureState,
    /// The supervisor (or operator, for `care erase`) who asked.
    pub requested_by: AgentId,
    pub requested_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<Timestamp>,
    /// The customer erased: the one that stayed when others were merged into it.
    pub customer: CustomerId,
    /// The customers merged into it, erased with it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged: Vec<CustomerId>,
    #[serde(default)]
    pub counts: ErasedCounts,
}

impl Erasure {
    pub fn id_for(customer: &CustomerId) -> String {
        format!("era-{}", stable_hash(&["erasure", customer.as_str()]))
    }

    /// A new erasure of `customer`, started now.
    pub fn start(customer: &CustomerId, by: &AgentId, at: Timestamp) -> Self {
        Self {
            id: Self::id_for(customer),
            state: ErasureState::Erasing,
            requested_by: by.clone(),
            requested_at: at,
            completed_at: None,
            customer: customer.clone(),
            merged: vec![],
            counts: ErasedCounts::default(),
        }
    }

    pub fn is_done(&self) -> bool {
        self.state == ErasureState::Erased
    }
}

/// What replaces an erased text (post texts, edits, reasons) everywhere it was kept.
pub const ERASED: &str = "[erased]";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_depends_on_the_customer_only() {
        let c = CustomerId::parse("cus-1").unwrap_or_else(|_| unreachable!());
        let d = CustomerId::parse("cus-2").unwrap_or_else(|_| unreachable!());
        let (a, b) = (
            AgentId::parse("sam").unwrap_or_else(|_| unreachable!()),
            AgentId::parse("ops").unwrap_or_else(|_| unreachable!()),
        );
        let first = Erasure::start(&c, &a, Timestamp::UNIX_EPOCH);
        assert_eq!(first.id, Erasure::start(&c, &b, Timestamp::MAX).id);
        assert_ne!(first.id, Erasure::start(&d, &a, Timestamp::UNIX_EPOCH).id);
        assert!(!first.is_done());
    }
}
