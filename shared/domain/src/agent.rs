//! Agents and supervisors: who can take which case, and how much they carry.

use crate::channel::{Channel, Language};
use crate::ids::AgentId;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Presence {
    #[default]
    Online,
    Away,
    Offline,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    #[default]
    Agent,
    Supervisor,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Agent {
    pub id: AgentId,
    pub name: String,
    pub languages: Vec<Language>,
    /// Skill → level (1 = can handle, higher = more expert). Read from a list of names (level 1)
    /// or a table of levels, so older stored agents still load.
    #[serde(default, deserialize_with = "crate::routing::profile::skills_de")]
    pub skills: BTreeMap<String, u8>,
    pub capacity: u32,
    pub presence: Presence,
    pub role: Role,
    /// Open cases assigned to this agent. Changed only together with the case (one transaction).
    pub load: u32,
    /// When the agent last got a case: the round-robin tie-break among equally loaded agents.
    #[serde(default)]
    pub last_assigned_at: Option<Timestamp>,
    /// Languages the agent can serve, less well: offered only after a relaxation step allows it.
    #[serde(default)]
    pub secondary_languages: Vec<Language>,
    /// Regions the agent serves; empty = every region.
    #[serde(default)]
    pub regions: Vec<String>,
    /// Channels the agent works; empty = every channel.
    #[serde(default)]
    pub channels: Vec<Channel>,
    /// At most this many open cases of a channel (e.g. X 3 of a total of 6: the agent also
    /// answers Messenger). Channels not named are limited by `capacity` alone.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub channel_capacity: BTreeMap<Channel, u32>,
    /// Open cases per channel. Changed only together with the case, like `load`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub channel_load: BTreeMap<Channel, u32>,
    /// The agent opted in to triage: sees the posts the classifier was unsure about
    /// (`GET /v1/triage`), turns them into cases or dismisses them. Supervisors always may.
    #[serde(default)]
    pub triage: bool,
    /// Tokens issued at or before this second are refused: a supervisor ended the agent's
    /// sessions (`POST /v1/agents/{id}/sessions/revoke`). Live state, kept by a profile update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_valid_after: Option<Timestamp>,
}

impl Agent {
    pub fn speaks(&self, language: Option<&Language>) -> bool {
        match language {
            // A case whose language is unknown can go to anyone.
            None => true,
            Some(l) => self.languages.contains(l),
        }
    }
    pub fn has_room(&self) -> bool {
        self.load < self.capacity
    }

    /// Open cases of `channel` the agent carries.
    pub fn load_of(&self, channel: Channel) -> u32 {
        self.channel_load.get(&channel).copied().unwrap_or(0)
    }

    /// Room within the channel's own limit, if it has one (the total is [`Agent::has_room`]).
    pub fn has_channel_room(&self, channel: Channel) -> bool {
        self.channel_capacity
            .get(&channel)
            .is_none_or(|cap| self.load_of(channel) < *cap)
    }

    /// Room for one more case of `channel`: within the total and the channel's limit.
    pub fn has_room_for(&self, channel: Channel) -> bool {
        self.has_room() && self.has_channel_room(channel)
    }

    /// Counts one more case of `channel` (the caller checked the room).
    pub fn take_load(&mut self, channel: Channel) {
        self.load += 1;
        *self.channel_load.entry(channel).or_default() += 1;
    }

    /// Counts one case of `channel` less (never below zero; a channel at zero is not listed).
    pub fn release_load(&mut self, channel: Channel) {
        self.load = self.load.saturating_sub(1);
        if let Some(l) = self.channel_load.get_mut(&channel) {
            *l = l.saturating_sub(1);
            if *l == 0 {
                self.channel_load.remove(&channel);
            }
        }
    }
}
