//! Customers (people) and the authors (handles) linked to them: the identity graph.
//!
//! An author belongs to one customer. Links are made automatically only on deterministic
//! evidence (the same platform user, an identifier the customer wrote that exactly one
//! existing customer already has) and by people (a merge); each records its evidence, time and
//! actor. A merge keeps what undoing it needs ([`merge::MergeRecord`]).

use crate::ids::{AuthorId, CustomerId, stable_hash};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

pub mod erasure;
pub mod identifiers;
pub mod merge;
pub mod similar;

pub use erasure::{ERASED, ErasedCounts, Erasure, ErasureState};
pub use identifiers::{Identifier, IdentifierKind, IdentifierRules};
pub use merge::{MergeRecord, MergeState};

/// Why an author belongs to a customer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Evidence {
    /// The first post of this platform user: the customer was created for it.
    SamePlatformUser,
    /// An identifier (email, order number...) the customer wrote that another author already had.
    SharedIdentifier { identifier: String },
    /// The platform passed the brand's own id of the customer (Messenger account linking, or a
    /// referral naming the customer) and another author of that customer had it.
    LinkedAccount { identifier: String, via: String },
    /// A person detached this author from customer `from` (a wrong automatic link): it is a
    /// customer of its own since (merging it back undoes that).
    Detached { from: CustomerId },
    /// Came with the customer `from`, merged into this one by merge `merge_id` (splitting that
    /// merge gives it back).
    Merged { merge_id: String, from: CustomerId },
}

/// Who made a link: the pipeline, or a person.
pub const SYSTEM_ACTOR: &str = "system";

pub(crate) fn system_actor() -> String {
    SYSTEM_ACTOR.to_string()
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    pub author_id: AuthorId,
    pub handle: String,
    pub evidence: Evidence,
    pub linked_at: Timestamp,
    /// Who made the link: [`SYSTEM_ACTOR`] for automatic links, the agent for a merge.
    #[serde(default = "system_actor")]
    pub actor: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    pub id: CustomerId,
    pub display_name: String,
    pub identities: Vec<Identity>,
    pub created_at: Timestamp,
    /// Bumped on every write of the customer; a rewrite is conditional on the version read
    /// (0: written before versions were kept).
    #[serde(default)]
    pub version: u64,
    /// Set when this customer was merged into another one (a tombstone: its authors, cases and
    /// identifiers are the other's now, until the merge is split).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<CustomerId>,
    /// The identifiers (email, phone, order and serial numbers) the customer has written,
    /// sorted; kept by the store beside the customer (see `CustomerStore::link_identifier`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifiers: Vec<Identifier>,
    /// Set when the customer's personal data is being, or was, erased (a data-subject request):
    /// the audit record, without personal data. An erased customer is a tombstone: no name,
    /// identities or identifiers; its cases stay, for the metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub erasure: Option<Erasure>,
}

impl Customer {
    /// The customer id for an author seen for the first time: derived from the author id,
    /// so that two workers resolving the same new author create the same customer.
    pub fn id_for_first_author(author: &AuthorId) -> CustomerId {
        CustomerId::parse(format!("cus-{}", stable_hash(&[author.as_str()])))
            .unwrap_or_else(|_| unreachable!("a hash-derived id is always valid"))
    }

    /// The customer id for an author whose customer `erased` was erased: a new person to us,
    /// under an id of its own (derived, so that two workers agree on it).
    pub fn id_after_erasure(author: &AuthorId, erased: &CustomerId) -> CustomerId {
        CustomerId::parse(format!("cus-{}", stable_hash(&[author.as_str(), erased.as_str()])))
            .unwrap_or_else(|_| unreachable!("a hash-derived id is always valid"))
    }

    /// A new customer for an author's first post.
    pub fn first_for(author: &crate::post::Author, at: Timestamp) -> Customer {
        Customer {
            id: Self::id_for_first_author(&author.id),
            display_name: author.name.clone().unwrap_or_else(|| author.handle.clone()),
            identities: vec![Identity {
                author_id: author.id.clone(),
                handle: author.handle.clone(),
                evidence: Evidence::SamePlatformUser,
                linked_at: at,
                actor: system_actor(),
            }],
            created_at: at,
            version: 1,
            merged_into: None,
            identifiers: vec![],
            erasure: None,
        }
    }

    /// An erased customer's record with no personal data left: no name, identities or
    /// identifiers (the id, creation time, version, merge pointer and erasure record stay).
    pub fn scrubbed(&self) -> Customer {
        Customer {
            id: self.id.clone(),
            display_name: String::new(),
            identities: vec![],
            created_at: self.created_at,
            version: self.version,
            merged_into: self.merged_into.clone(),
            identifiers: vec![],
            erasure: self.erasure.clone(),
        }
    }

    pub fn is_erased(&self) -> bool {
        self.erasure.is_some()
    }

    pub fn has_author(&self, author: &AuthorId) -> bool {
        self.identities.iter().any(|i| &i.author_id == author)
    }
}
