//! `AgentStore` on the agents table. `load` is a top-level number, changed only in the case
//! transactions (conditional on `load < capacity`); presence and last assignment likewise
//! live in their own attributes, so the JSON `doc` holds only what the seed sets.

use super::{AwsStore, corrupt};
use crate::codec::{DOC, Item, PK, from_doc, get_n, get_s, n, opt_s, s, time_key, to_doc};
use crate::tables::schema::{
    CAPACITY, CHANNEL_CAPACITY_PREFIX, CHANNEL_LOAD_PREFIX, LAST_ASSIGNED, LAST_ASSIGNED_KEY, LOAD, PRESENCE,
    TOKENS_VALID_AFTER,
};
use async_trait::async_trait;
use jiff::Timestamp;
use socialcare_domain::ports::AgentStore;
use socialcare_domain::{Agent, AgentId, Channel, PortError, PortResult, Presence};
use std::collections::HashMap;

fn presence_str(p: Presence) -> &'static str {
    match p {
        Presence::Online => "online",
        Presence::Away => "away",
        Presence::Offline => "offline",
    }
}

fn parse_presence(s: &str) -> PortResult<Presence> {
    match s {
        "online" => Ok(Presence::Online),
        "away" => Ok(Presence::Away),
        "offline" => Ok(Presence::Offline),
        other => Err(PortError::Invalid(format!("unknown presence {other}"))),
    }
}

fn channel_load(channel: Channel) -> String {
    format!("{CHANNEL_LOAD_PREFIX}{}", channel.as_str())
}

fn channel_capacity(channel: Channel) -> String {
    format!("{CHANNEL_CAPACITY_PREFIX}{}", channel.as_str())
}

impl AwsStore {
    fn decode_agent(&self, item: &Item) -> PortResult<Agent> {
        let pk = get_s(item, PK).unwrap_or("?");
        let decode = || -> PortResult<Agent> {
            let mut agent: Agent = from_doc(item)?;
            agent.load = get_n(item, LOAD)?;
            agent.capacity = get_n(item, CAPACITY)?;
            // The per-channel loads live beside `load` (the doc's copy is the seed's).
            agent.channel_load.clear();
            for channel in Channel::ALL {
                if item.contains_key(&channel_load(channel)) {
                    let load: u32 = get_n(item, &channel_load(channel))?;
                    if load > 0 {
                        agent.channel_load.insert(channel, load);
                    }
                }
            }
            if let Some(p) = opt_s(item, PRESENCE) {
                agent.presence = parse_presence(p)?;
            }
            agent.last_assigned_at = opt_s(item, LAST_ASSIGNED)
                .map(|t| {
                    t.parse::<Timestamp>()
                        .map_err(|e| PortError::Invalid(format!("last_assigned_at: {e}")))
                })
                .transpose()?;
            // Only the attribute counts (the doc's copy is whatever the profile carried).
            agent.tokens_valid_after = if item.contains_key(TOKENS_VALID_AFTER) {
                let secs: i64 = get_n(item, TOKENS_VALID_AFTER)?;
                Some(Timestamp::from_second(secs).map_err(|e| PortError::Invalid(format!("tokens_valid_after: {e}")))?)
            } else {
                None
            };
            Ok(agent)
        };
        decode().map_err(|e| corrupt(&self.tables.agents, pk, e))
    }
}

#[async_trait]
impl AgentStore for AwsStore {
    async fn get(&self, id: &AgentId) -> PortResult<Option<Agent>> {
        self.get_item(&self.tables.agents, id.as_str())
            .await?
            .map(|i| self.decode_agent(&i))
            .transpose()
    }

    async fn list(&self) -> PortResult<Vec<Agent>> {
        let mut agents = self
            .scan_all(&self.tables.agents)
            .await?
            .iter()
            .map(|i| self.decode_agent(i))
            .collect::<PortResult<Vec<_>>>()?;
        agents.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(agents)
    }

    async fn seed(&self, agent: &Agent) -> PortResult<()> {
        let mut item = HashMap::from([
            (PK.to_string(), s(agent.id.as_str())),
            (DOC.to_string(), to_doc(agent)?),
            (LOAD.to_string(), n(agent.load)),
            (CAPACITY.to_string(), n(agent.capacity)),
            (PRESENCE.to_string(), s(presence_str(agent.presence))),
        ]);
        for channel in Channel::ALL {
            item.insert(channel_load(channel), n(agent.load_of(channel)));
            if let Some(cap) = agent.channel_capacity.get(&channel) {
                item.insert(channel_capacity(channel), n(*cap));
            }
        }
        if let Some(at) = agent.last_assigned_at {
            item.insert(LAST_ASSIGNED.to_string(), s(at.to_string()));
            item.insert(LAST_ASSIGNED_KEY.to_string(), s(time_key(at)));
        }
        // An existing agent (and its live load) is kept.
        self.put_if(
            &self.tables.agents,
            item,
            "attribute_not_exists(#pk)",
            &[("#pk", PK)],
            vec![],
        )
        .await?;
        Ok(())
    }

    async fn save_profile(&self, agent: &Agent) -> PortResult<bool> {
        // The profile lives in `doc` and `capacity`; load, presence and the last assignment are
        // their own attributes (decode_agent reads them over the doc), so they are kept.
        // Channel limits are set or removed with the profile; a channel's load starts at zero.
        let mut set = vec!["#doc = :doc".to_string(), "#cap = :cap".to_string()];
        let mut remove = vec![];
        let mut names: Vec<(String, String)> = vec![
            ("#doc".into(), DOC.into()),
            ("#cap".into(), CAPACITY.into()),
            ("#pk".into(), PK.into()),
        ];
        let mut values = vec![
            (":doc".to_string(), to_doc(agent)?),
            (":cap".to_string(), n(agent.capacity)),
            (":zero".to_string(), n(0)),
        ];
        for (i, channel) in Channel::ALL.into_iter().enumerate() {
            names.push((format!("#cc{i}"), channel_capacity(channel)));
            names.push((format!("#cl{i}"), channel_load(channel)));
            set.push(format!("#cl{i} = if_not_exists(#cl{i}, :zero)"));
            match agent.channel_capacity.get(&channel) {
                Some(cap) => {
                    set.push(format!("#cc{i} = :cc{i}"));
                    values.push((format!(":cc{i}"), n(*cap)));
                }
                None => remove.push(format!("#cc{i}")),
            }
        }
        let mut update = format!("SET {}", set.join(", "));
        if !remove.is_empty() {
            update.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        let names: Vec<(&str, &str)> = names.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let values: Vec<(&str, aws_sdk_dynamodb::types::AttributeValue)> =
            values.iter().map(|(k, v)| (k.as_ref(), v.clone())).collect();
        let updated = self
            .update_if(
                &self.tables.agents,
                agent.id.as_str(),
                &update,
                "attribute_exists(#pk)",
                &names,
                values,
            )
            .await?;
        if updated {
            return Ok(false);
        }
        let mut fresh = agent.clone();
        fresh.load = 0;
        fresh.last_assigned_at = None;
        self.seed(&fresh).await?;
        Ok(true)
    }

    async fn set_presence(&self, id: &AgentId, presence: Presence) -> PortResult<()> {
        let updated = self
            .update_if(
                &self.tables.agents,
                id.as_str(),
                "SET #p = :p",
                "attribute_exists(#pk)",
                &[("#p", PRESENCE), ("#pk", PK)],
                vec![(":p", s(presence_str(presence)))],
            )
            .await?;
        if updated {
            Ok(())
        } else {
            Err(PortError::NotFound(format!("agent {id}")))
        }
    }

    async fn revoke_sessions(&self, id: &AgentId, at: Timestamp) -> PortResult<()> {
        let secs = at.as_second();
        let updated = self
            .update_if(
                &self.tables.agents,
                id.as_str(),
                "SET #v = :v",
                "attribute_exists(#pk) AND (attribute_not_exists(#v) OR #v < :v)",
                &[("#v", TOKENS_VALID_AFTER), ("#pk", PK)],
                vec![(":v", n(secs))],
            )
            .await?;
        if updated {
            return Ok(());
        }
        // Not updated: unknown agent, or ended later already (only moves forward).
        match self.get(id).await? {
            Some(_) => Ok(()),
            None => Err(PortError::NotFound(format!("agent {id}"))),
        }
    }

    async fn touch_assigned(&self, id: &AgentId, at: Timestamp) -> PortResult<()> {
        // Only ever moves forward; a missing agent is ignored (as the in-memory store does).
        self.update_if(
            &self.tables.agents,
            id.as_str(),
            "SET #at = :at, #k = :k",
            "attribute_exists(#pk) AND (attribute_not_exists(#k) OR #k < :k)",
            &[("#at", LAST_ASSIGNED), ("#k", LAST_ASSIGNED_KEY), ("#pk", PK)],
            vec![(":at", s(at.to_string())), (":k", s(time_key(at)))],
        )
        .await?;
        Ok(())
    }
}
