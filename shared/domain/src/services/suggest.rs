//! Suggestions: customers who may be the same person as a case's customer, for an agent to
//! confirm with a merge. Never applied automatically.
//!
//! Exact evidence that linked nobody (another customer holds the same identifier: both had a
//! customer when they wrote it, or several do), and two kinds of fuzzy evidence: a similar display name on a customer created within
//! [`SUGGESTION_WINDOW_DAYS`] of the case (looked up under the name's keys: no scan), and an
//! identifier one typo away from one the customer wrote (every one-typo variant looked up at
//! once: a few batched reads).

use crate::customer::similar::{name_keys, similar_names};
use crate::customer::{Customer, Identifier};
use crate::error::ServiceError;
use crate::ids::CustomerId;
use crate::ports::CustomerStore;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// How far apart (in days) two customers' first appearances may be for a similar name to count.
pub const SUGGESTION_WINDOW_DAYS: i64 = 30;
/// The most one-typo variants looked up per identifier (an 8-digit order number has 169).
pub const MAX_TYPO_VARIANTS: usize = 400;
/// The most identifiers of the customer checked for typos.
pub const MAX_IDENTIFIERS_CHECKED: usize = 8;
/// The most suggestions shown.
pub const MAX_SUGGESTIONS: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionKind {
    /// Another customer holds the same identifier (both had a customer when they wrote it, or
    /// more than one customer holds it): listed first.
    SameIdentifier,
    /// The same identifier with one typo.
    IdentifierTypo,
    /// A similar display name, within the time window.
    SimilarName,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    pub customer_id: CustomerId,
    pub display_name: String,
    pub kind: SuggestionKind,
    /// What matched: the two names, or the identifier and the one it is a typo of.
    pub detail: String,
}

pub struct SuggestionService {
    customers: Arc<dyn CustomerStore>,
}

impl SuggestionService {
    pub fn new(customers: Arc<dyn CustomerStore>) -> Self {
        Self { customers }
    }

    /// Who else `customer` may be, strongest evidence first, at most [`MAX_SUGGESTIONS`].
    /// `around` is when the case began (the centre of the time window for names).
    pub async fn for_customer(&self, customer: &Customer, around: Timestamp) -> Result<Vec<Suggestion>, ServiceError> {
        let mut found: BTreeMap<CustomerId, (SuggestionKind, String)> = BTreeMap::new();
        // Each identifier looked up as written and in every one-typo variant: variant → written.
        let mut variants: BTreeMap<Identifier, Identifier> = BTreeMap::new();
        for identifier in customer.identifiers.iter().take(MAX_IDENTIFIERS_CHECKED) {
            for variant in identifier.one_typo_variants(MAX_TYPO_VARIANTS) {
                variants.entry(variant).or_insert_with(|| identifier.clone());
            }
        }
        for identifier in customer.identifiers.iter().take(MAX_IDENTIFIERS_CHECKED) {
            variants.insert(identifier.clone(), identifier.clone());
        }
        let lookups: Vec<Identifier> = variants.keys().cloned().collect();
        for (variant, holders) in self.customers.customers_with_any(&lookups).await? {
            let Some(written) = variants.get(&variant) else {
                continue;
            };
            let (kind, detail) = if variant == *written {
                (SuggestionKind::SameIdentifier, variant.to_string())
            } else {
                (SuggestionKind::IdentifierTypo, format!("{written} ~ {variant}"))
            };
            for holder in holders.into_iter().filter(|h| *h != customer.id) {
                let entry = found.entry(holder).or_insert((kind, detail.clone()));
                if kind < entry.0 {
                    *entry = (kind, detail.clone());
                }
            }
        }
        let window = SignedDuration::from_hours(24 * SUGGESTION_WINDOW_DAYS);
        let mut named = vec![];
        for key in name_keys(&customer.display_name) {
            for other in self.customers.customers_named(&key).await? {
                if other != customer.id && !found.contains_key(&other) && !named.contains(&other) {
                    named.push(other);
                }
            }
        }
        let mut out = vec![];
        for (id, (kind, detail)) in found {
            if let Some(other) = self.live(&id).await? {
                out.push(Suggestion {
                    customer_id: other.id,
                    display_name: other.display_name,
                    kind,
                    detail,
                });
            }
        }
        for id in named.into_iter().take(MAX_SUGGESTIONS * 2) {
            let Some(other) = self.live(&id).await? else {
                continue;
            };
            let close = around.duration_since(other.created_at).abs() <= window;
            if close && similar_names(&customer.display_name, &other.display_name) {
                out.push(Suggestion {
                    detail: format!("{} ~ {}", customer.display_name, other.display_name),
                    customer_id: other.id,
                    display_name: other.display_name,
                    kind: SuggestionKind::SimilarName,
                });
            }
        }
        out.sort_by_key(|s| s.kind);
        out.truncate(MAX_SUGGESTIONS);
        Ok(out)
    }

    /// The customer, unless it is gone or merged into another one.
    async fn live(&self, id: &CustomerId) -> Result<Option<Customer>, ServiceError> {
        Ok(self.customers.get(id).await?.filter(|c| c.merged_into.is_none()))
    }
}
