//! Validated settings the services run with (the configuration file, after parsing and checks).

use crate::agent::Agent;
use crate::channel::Language;
use crate::sla::SlaPolicy;

/// A generic webhook source: a forum, an app store bridge, an email bridge.
#[derive(Debug, Clone, PartialEq)]
pub struct GenericSource {
    pub name: String,
    /// The environment variable that holds the `whsec_...` signing secret (never the secret).
    pub secret_env: String,
    /// Where agents' replies to this source's posts are POSTed.
    pub reply_url: Option<String>,
}

/// An outgoing webhook that receives SLA alerts (Slack-compatible JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct AlertWebhook {
    pub name: String,
    /// The environment variable holding the URL (webhook URLs carry tokens).
    pub url_env: String,
    /// The levels it receives; empty: every level. A head of support's channel takes
    /// `escalation_3` only, a team channel `warning` and `breach`.
    pub levels: Vec<crate::sla::Level>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub languages: Vec<Language>,
    pub default_language: Language,
    pub default_queue: String,
    /// How long a platform event id is remembered for dedupe.
    pub dedupe_ttl_days: u32,
    /// A customer's request within this many days of a case's resolution reopens it (0: never).
    pub reopen_days: u32,
    pub sources: Vec<GenericSource>,
    pub agents: Vec<Agent>,
    pub sla: SlaPolicy,
    pub alert_webhooks: Vec<AlertWebhook>,
    pub routing: crate::routing::RoutingPolicy,
    /// How identifiers in posts are found and how far they link authors (`[identity]`).
    pub identity: crate::customer::IdentifierRules,
    /// How long each kind of record is kept (`[retention]`).
    pub retention: crate::retention::RetentionPolicy,
}

impl Settings {
    pub fn source(&self, name: &str) -> Option<&GenericSource> {
        self.sources.iter().find(|s| s.name == name)
    }
}
