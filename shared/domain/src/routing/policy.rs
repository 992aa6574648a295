//! The routing policy, as configured (`[routing]`): which skills exist, which rules derive a
//! case's requirements, stickiness, relaxation steps over waiting time, the offline grace.

use crate::channel::Language;
use crate::post::Intent;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A requirement that a relaxation step drops or loosens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relax {
    /// Agents who speak the language as a secondary language qualify.
    SecondaryLanguage,
    /// The region requirement is dropped.
    AnyRegion,
    /// A required skill at any level qualifies.
    AnySkillLevel,
    /// Skill requirements are dropped.
    AnySkill,
    /// The channel requirement is dropped.
    AnyChannel,
}

impl Relax {
    pub const ALL: [Relax; 5] = [
        Relax::SecondaryLanguage,
        Relax::AnyRegion,
        Relax::AnySkillLevel,
        Relax::AnySkill,
        Relax::AnyChannel,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Relax::SecondaryLanguage => "secondary_language",
            Relax::AnyRegion => "any_region",
            Relax::AnySkillLevel => "any_skill_level",
            Relax::AnySkill => "any_skill",
            Relax::AnyChannel => "any_channel",
        }
    }
}

/// After a case has waited `after_secs`, `relax` applies (steps are cumulative).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelaxStep {
    pub after_secs: i64,
    pub relax: Relax,
}

/// A skill needed at a minimum level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkillNeed {
    pub skill: String,
    pub level: u8,
}

/// A product: any of its names in a customer's post requires `need`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductRule {
    pub name: String,
    /// Lower-case names and aliases, matched as whole words.
    pub aliases: Vec<String>,
    pub need: SkillNeed,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoutingPolicy {
    /// The skills that exist; rules and agents may name only these.
    pub skills: BTreeSet<String>,
    pub intent_skills: Vec<(Intent, SkillNeed)>,
    pub products: Vec<ProductRule>,
    /// Region by our account (the handle, page or source that received the post): checked first.
    pub region_by_account: BTreeMap<String, String>,
    pub region_by_language: BTreeMap<Language, String>,
    /// Country (as configured, e.g. `BR`) → region: the customer's country comes first.
    pub region_by_country: BTreeMap<String, String>,
    /// International calling code (`+55`) → country: how a phone number the customer wrote
    /// tells their country.
    pub country_by_calling_code: BTreeMap<String, String>,
    /// Whether agents' `channels` restrict what they get.
    pub match_channel: bool,
    /// Stickiness to the agent who last served the customer within this many days; 0 = off.
    pub sticky_days: u32,
    /// Sorted by `after_secs`.
    pub relax: Vec<RelaxStep>,
    /// How long an agent may be offline before their unanswered cases return to the queue.
    pub offline_grace_secs: i64,
    /// Queues a case may be transferred to (the default queue is always one).
    pub queues: BTreeSet<String>,
    /// The queue new cases wait in (`service.default_queue`): always a valid transfer target.
    pub default_queue: String,
    /// How many candidates an explanation lists one by one (the rest are counted by reason).
    pub explain_limit: usize,
}

impl Default for RoutingPolicy {
    /// Language, presence and room only: the behaviour before `[routing]` existed.
    fn default() -> Self {
        Self {
            skills: BTreeSet::new(),
            intent_skills: Vec::new(),
            products: Vec::new(),
            region_by_account: BTreeMap::new(),
            region_by_language: BTreeMap::new(),
            region_by_country: BTreeMap::new(),
            country_by_calling_code: BTreeMap::new(),
            match_channel: true,
            sticky_days: 0,
            relax: Vec::new(),
            offline_grace_secs: 300,
            queues: BTreeSet::new(),
            default_queue: "general".to_string(),
            explain_limit: 25,
        }
    }
}

impl RoutingPolicy {
    /// The relaxations in force after waiting `waited_secs`.
    pub fn relaxed_after(&self, waited_secs: i64) -> BTreeSet<Relax> {
        self.relax
            .iter()
            .filter(|s| waited_secs >= s.after_secs)
            .map(|s| s.relax)
            .collect()
    }

    pub fn knows_queue(&self, queue: &str) -> bool {
        queue == self.default_queue || self.queues.contains(queue)
    }
}
