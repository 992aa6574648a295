//! A merge of two customers, as recorded: who, when, why, and the state before it, so that a
//! split gives both customers back exactly. The records are the audit trail of the identity
//! graph's manual changes (kept after a split, marked undone).

use crate::case::Case;
use crate::ids::{AgentId, CaseId, CustomerId, stable_hash};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::Customer;

/// Where a merge stands. A merge is written first as `Started` and carried out step by step;
/// every step is idempotent, so a merge interrupted by a crash is finished by asking again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MergeState {
    Started,
    Done,
    /// Split: both customers are back as they were.
    Undone,
}

/// When two open cases met: the newer one is folded into the older one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fold {
    /// The older case: it takes the other's posts and history and keeps the earlier deadlines.
    pub kept: CaseId,
    /// The newer case: closed, pointing at the kept one.
    pub folded: CaseId,
    /// The kept case's version right after the merge: a split restores it exactly when nothing
    /// happened to it since.
    #[serde(default)]
    pub kept_version_after: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MergeRecord {
    /// `mrg-<hash>` of the two customers and the absorbed one's version: asking for the same
    /// merge again finds this record.
    pub id: String,
    /// The customer merged away (its authors, cases and identifiers move to `target`).
    pub source: CustomerId,
    /// The customer that stays.
    pub target: CustomerId,
    /// The agent or supervisor who merged.
    pub actor: AgentId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub at: Timestamp,
    pub state: MergeState,
    /// Both customers as they were before the merge.
    pub source_before: Customer,
    pub target_before: Customer,
    /// The source's cases (each moves to the target) and the target's active case, as they
    /// were before the merge.
    pub cases_before: Vec<Case>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fold: Option<Fold>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undone_by: Option<AgentId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undone_at: Option<Timestamp>,
}

impl MergeRecord {
    pub fn id_for(source: &Customer, target: &Customer) -> String {
        format!(
            "mrg-{}",
            stable_hash(&[source.id.as_str(), target.id.as_str(), &source.version.to_string()])
        )
    }

    /// The state of case `id` before the merge.
    pub fn case_before(&self, id: &CaseId) -> Option<&Case> {
        self.cases_before.iter().find(|c| &c.id == id)
    }

    /// Whether the merge brought `customer` into this record (as either side).
    pub fn involves(&self, customer: &CustomerId) -> bool {
        &self.source == customer || &self.target == customer
    }
}
