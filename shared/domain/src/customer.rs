//! Customers (people) and the authors (handles) linked to them.

use crate::ids::{AuthorId, CustomerId, stable_hash};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Why an author belongs to a customer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Evidence {
    /// The first post of this platform user: the customer was created for it.
    SamePlatformUser,
    /// An identifier (email, order number...) the customer wrote that another author already had.
    SharedIdentifier { identifier: String },
    /// An agent or supervisor confirmed it.
    AgentConfirmed { actor: String },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    pub author_id: AuthorId,
    pub handle: String,
    pub evidence: Evidence,
    pub linked_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    pub id: CustomerId,
    pub display_name: String,
    pub identities: Vec<Identity>,
    pub created_at: Timestamp,
}

impl Customer {
    /// The customer id for an author seen for the first time: derived from the author id,
    /// so that two workers resolving the same new author create the same customer.
    pub fn id_for_first_author(author: &AuthorId) -> CustomerId {
        CustomerId::parse(format!("cus-{}", stable_hash(&[author.as_str()])))
            .unwrap_or_else(|_| unreachable!("a hash-derived id is always valid"))
    }
}
