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
}
