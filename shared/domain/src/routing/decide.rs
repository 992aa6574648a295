//! The routing decision for one case: every agent checked against the case's requirements
//! (with the relaxations its wait has earned), the eligible ones ranked, and an explanation
//! of both that is stored with the assignment. Pure.

use super::policy::{Relax, RoutingPolicy};
use super::requirements::Requirements;
use crate::agent::{Agent, Presence};
use crate::channel::{Channel, Language};
use crate::ids::AgentId;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// Why an agent may not take a case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Exclusion {
    Presence {
        presence: Presence,
    },
    /// Full: in total, or (`channel` named) for the case's channel.
    Capacity {
        load: u32,
        capacity: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        channel: Option<Channel>,
    },
    /// `secondary`: the agent speaks it as a secondary language, and no relaxation step allows that yet.
    Language {
        needed: Language,
        secondary: bool,
    },
    Skill {
        skill: String,
        needed: u8,
        has: u8,
    },
    Region {
        needed: String,
    },
    Channel {
        needed: Channel,
    },
    /// The agent declined this case once; it is never offered to them again.
    Declined,
}

impl Exclusion {
    pub const KEYS: [&'static str; 7] = [
        "presence", "capacity", "language", "skill", "region", "channel", "declined",
    ];

    pub fn key(&self) -> &'static str {
        match self {
            Exclusion::Presence { .. } => "presence",
            Exclusion::Capacity { .. } => "capacity",
            Exclusion::Language { .. } => "language",
            Exclusion::Skill { .. } => "skill",
            Exclusion::Region { .. } => "region",
            Exclusion::Channel { .. } => "channel",
            Exclusion::Declined => "declined",
        }
    }
}

/// How the agent's languages meet the case's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LanguageFit {
    /// The case's language is unknown: anyone fits.
    Any,
    Primary,
    Secondary,
    None,
}

pub fn language_fit(agent: &Agent, language: Option<&Language>) -> LanguageFit {
    match language {
        None => LanguageFit::Any,
        Some(l) if agent.languages.contains(l) => LanguageFit::Primary,
        Some(l) if agent.secondary_languages.contains(l) => LanguageFit::Secondary,
        Some(_) => LanguageFit::None,
    }
}

/// What a case asks, with what its wait has relaxed.
#[derive(Clone, Copy, Debug)]
pub struct Ask<'a> {
    pub requirements: &'a Requirements,
    pub relaxed: &'a BTreeSet<Relax>,
    pub declined: &'a [AgentId],
    pub match_channel: bool,
}

/// Everything that keeps `agent` from taking the case now (empty: eligible). Presence and
/// capacity first, then the case's requirements in the order an explanation reads best.
pub fn exclusions(agent: &Agent, ask: &Ask<'_>) -> Vec<Exclusion> {
    let mut out = Vec::new();
    if ask.declined.contains(&agent.id) {
        out.push(Exclusion::Declined);
    }
    if agent.presence != Presence::Online {
        out.push(Exclusion::Presence {
            presence: agent.presence,
        });
    }
    let channel = ask.requirements.channel;
    if !agent.has_room() {
        out.push(Exclusion::Capacity {
            load: agent.load,
            capacity: agent.capacity,
            channel: None,
        });
    } else if !agent.has_channel_room(channel) {
        out.push(Exclusion::Capacity {
            load: agent.load_of(channel),
            capacity: agent.channel_capacity.get(&channel).copied().unwrap_or(0),
            channel: Some(channel),
        });
    }
    out.extend(requirement_misses(agent, ask));
    out
}

/// Whether `agent` meets the case's requirements (no presence, capacity or decline), without
/// allocating: the hot path of both decisions. Agrees with [`requirement_misses`] being empty.
pub fn meets(agent: &Agent, ask: &Ask<'_>) -> bool {
    requirement_mask(agent, ask) == 0
}

/// One bit per [`Exclusion::KEYS`] entry that applies; 0 = eligible. Allocates nothing.
pub fn exclusion_mask(agent: &Agent, ask: &Ask<'_>) -> u8 {
    let mut mask = requirement_mask(agent, ask);
    if agent.presence != Presence::Online {
        mask |= 1;
    }
    if !agent.has_room_for(ask.requirements.channel) {
        mask |= 1 << 1;
    }
    if ask.declined.contains(&agent.id) {
        mask |= 1 << 6;
    }
    mask
}

fn requirement_mask(agent: &Agent, ask: &Ask<'_>) -> u8 {
    let r = ask.requirements;
    let mut mask = 0;
    let language_ok = match language_fit(agent, r.language.as_ref()) {
        LanguageFit::Any | LanguageFit::Primary => true,
        LanguageFit::Secondary => ask.relaxed.contains(&Relax::SecondaryLanguage),
        LanguageFit::None => false,
    };
    if !language_ok {
        mask |= 1 << 2;
    }
    if !r.skills.is_empty() && !ask.relaxed.contains(&Relax::AnySkill) {
        let any_level = ask.relaxed.contains(&Relax::AnySkillLevel);
        let skills_ok = r.skills.iter().all(|(skill, needed)| {
            let has = agent.skills.get(skill).copied().unwrap_or(0);
            if any_level { has >= 1 } else { has >= *needed }
        });
        if !skills_ok {
            mask |= 1 << 3;
        }
    }
    if let Some(region) = &r.region
        && !agent.regions.is_empty()
        && !agent.regions.contains(region)
        && !ask.relaxed.contains(&Relax::AnyRegion)
    {
        mask |= 1 << 4;
    }
    if ask.match_channel
        && !agent.channels.is_empty()
        && !agent.channels.contains(&r.channel)
        && !ask.relaxed.contains(&Relax::AnyChannel)
    {
        mask |= 1 << 5;
    }
    mask
}

/// The requirement checks alone (no presence, capacity or decline).
pub fn requirement_misses(agent: &Agent, ask: &Ask<'_>) -> Vec<Exclusion> {
    let mut out = Vec::new();
    let r = ask.requirements;
    match (language_fit(agent, r.language.as_ref()), &r.language) {
        (LanguageFit::None, Some(l)) => out.push(Exclusion::Language {
            needed: l.clone(),
            secondary: false,
        }),
        (LanguageFit::Secondary, Some(l)) if !ask.relaxed.contains(&Relax::SecondaryLanguage) => {
            out.push(Exclusion::Language {
                needed: l.clone(),
                secondary: true,
            })
        }
        _ => {}
    }
    if !ask.relaxed.contains(&Relax::AnySkill) {
        for (skill, needed) in &r.skills {
            let has = agent.skills.get(skill).copied().unwrap_or(0);
            let enough = if ask.relaxed.contains(&Relax::AnySkillLevel) {
                has >= 1
            } else {
                has >= *needed
            };
            if !enough {
                out.push(Exclusion::Skill {
                    skill: skill.clone(),
                    needed: *needed,
                    has,
                });
            }
        }
    }
    if let Some(region) = &r.region
        && !ask.relaxed.contains(&Relax::AnyRegion)
        && !agent.regions.is_empty()
        && !agent.regions.contains(region)
    {
        out.push(Exclusion::Region { needed: region.clone() });
    }
    if ask.match_channel
        && !ask.relaxed.contains(&Relax::AnyChannel)
        && !agent.channels.is_empty()
        && !agent.channels.contains(&r.channel)
    {
        out.push(Exclusion::Channel { needed: r.channel });
    }
    out
}

/// One agent in an explanation: excluded (with every reason) or ranked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub agent_id: AgentId,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded: Vec<Exclusion>,
    /// 1 = offered first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<u32>,
    pub load: u32,
    pub capacity: u32,
    pub language: LanguageFit,
    #[serde(default)]
    pub sticky: bool,
}

/// How an assignment came about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// The router gave the case to the best agent.
    Push,
    /// An agent claimed the case from the queue.
    Claim,
    /// A supervisor assigned it, requirements notwithstanding.
    Force,
    /// An agent or supervisor handed it to a named agent.
    Transfer,
}

/// One routing decision, stored with the case (the newest last).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub at: Timestamp,
    pub mode: Mode,
    /// Who asked (claimer, supervisor, transferring agent); none for the router.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<AgentId>,
    pub requirements: Requirements,
    pub waited_secs: i64,
    /// Relaxation steps in force, from the configured ladder.
    #[serde(default)]
    pub relaxed: Vec<Relax>,
    /// The agent who last served this customer within the sticky window, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sticky_agent: Option<AgentId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chosen: Option<AgentId>,
    /// Every agent considered (the list below may be cut to the policy's `explain_limit`).
    pub candidates_total: usize,
    pub eligible_total: usize,
    /// Agents excluded, per reason (one agent may count under several).
    #[serde(default)]
    pub excluded_by: BTreeMap<String, usize>,
    /// Ranked agents first, best first, then excluded ones.
    pub candidates: Vec<Candidate>,
}

/// The ranked agents and the explanation of one decision.
pub struct Ranking<'a> {
    pub ranked: Vec<&'a Agent>,
    pub decision: Decision,
}

/// Compares load shares a.load/a.capacity and b.load/b.capacity without floats.
pub fn compare_load(a: &Agent, b: &Agent) -> Ordering {
    (u64::from(a.load) * u64::from(b.capacity.max(1))).cmp(&(u64::from(b.load) * u64::from(a.capacity.max(1))))
}

/// Inputs of a decision besides the agents.
pub struct Situation<'a> {
    pub requirements: &'a Requirements,
    pub declined: &'a [AgentId],
    pub sticky: Option<&'a AgentId>,
    pub waited_secs: i64,
    pub now: Timestamp,
    pub mode: Mode,
    pub by: Option<&'a AgentId>,
}

/// Ranks the eligible agents: the sticky agent first (if eligible), then primary-language
/// speakers before secondary ones, then least loaded by share of capacity, then the one whose
/// last assignment is oldest (round robin), then by id so the order is total.
pub fn rank<'a>(agents: &'a [Agent], s: &Situation<'_>, policy: &RoutingPolicy) -> Ranking<'a> {
    let relaxed = policy.relaxed_after(s.waited_secs);
    let ask = Ask {
        requirements: s.requirements,
        relaxed: &relaxed,
        declined: s.declined,
        match_channel: policy.match_channel,
    };
    let mut excluded_by: BTreeMap<String, usize> = BTreeMap::new();
    let mut eligible: Vec<&Agent> = Vec::new();
    let mut excluded: Vec<Candidate> = Vec::new();
    let mut counts = [0usize; 7];
    for agent in agents {
        let mask = exclusion_mask(agent, &ask);
        if mask == 0 {
            eligible.push(agent);
            continue;
        }
        for (i, n) in counts.iter_mut().enumerate() {
            if mask & (1 << i) != 0 {
                *n += 1;
            }
        }
        // The full reasons (allocating) only for the agents the explanation lists.
        if excluded.len() < policy.explain_limit {
            excluded.push(candidate(agent, s, exclusions(agent, &ask)));
        }
    }
    for (i, n) in counts.iter().enumerate() {
        if *n > 0 {
            excluded_by.insert(Exclusion::KEYS[i].to_string(), *n);
        }
    }
    let language = s.requirements.language.as_ref();
    eligible.sort_by(|a, b| {
        let sticky = |x: &Agent| Some(&x.id) != s.sticky;
        sticky(a)
            .cmp(&sticky(b))
            .then_with(|| language_fit(a, language).cmp(&language_fit(b, language)))
            .then_with(|| compare_load(a, b))
            .then_with(|| a.last_assigned_at.cmp(&b.last_assigned_at))
            .then_with(|| a.id.cmp(&b.id))
    });
    let mut candidates: Vec<Candidate> = eligible
        .iter()
        .take(policy.explain_limit)
        .enumerate()
        .map(|(i, a)| Candidate {
            rank: u32::try_from(i + 1).ok(),
            ..candidate(a, s, vec![])
        })
        .collect();
    let room = policy.explain_limit.saturating_sub(candidates.len());
    candidates.extend(excluded.into_iter().take(room));
    let decision = Decision {
        at: s.now,
        mode: s.mode,
        by: s.by.cloned(),
        requirements: s.requirements.clone(),
        waited_secs: s.waited_secs,
        relaxed: relaxed.into_iter().collect(),
        sticky_agent: s.sticky.cloned(),
        chosen: None,
        candidates_total: agents.len(),
        eligible_total: eligible.len(),
        excluded_by,
        candidates,
    };
    Ranking {
        ranked: eligible,
        decision,
    }
}

fn candidate(agent: &Agent, s: &Situation<'_>, excluded: Vec<Exclusion>) -> Candidate {
    Candidate {
        agent_id: agent.id.clone(),
        excluded,
        rank: None,
        load: agent.load,
        capacity: agent.capacity,
        language: language_fit(agent, s.requirements.language.as_ref()),
        sticky: Some(&agent.id) == s.sticky,
    }
}
