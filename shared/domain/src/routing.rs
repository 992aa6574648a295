//! Routing: what a case needs ([`requirements`]), which agents may take it and in what order
//! ([`decide`]), what is remembered on the case ([`record`]), the configured policy ([`policy`])
//! the index of waiting cases for the pull decision ([`index`]) and how evenly the work is
//! spread ([`fairness`]). Pure.

pub mod decide;
pub mod fairness;
pub mod index;
pub mod policy;
pub mod profile;
pub mod record;
pub mod requirements;
#[cfg(test)]
mod tests;
pub mod why;

pub use decide::{Candidate, Decision, Exclusion, LanguageFit, Mode, Ranking, Situation, rank};
pub use policy::{ProductRule, Relax, RelaxStep, RoutingPolicy, SkillNeed};
pub use record::CaseRouting;
pub use requirements::Requirements;

use crate::case::Case;
use std::cmp::Ordering;

/// The order in which waiting cases are offered: priority, then age.
pub fn queue_order(a: &Case, b: &Case) -> Ordering {
    a.priority
        .cmp(&b.priority)
        .then_with(|| a.created_at.cmp(&b.created_at))
        .then_with(|| a.id.cmp(&b.id))
}
