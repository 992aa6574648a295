//! Channel health: per account (platform + our account id), when a webhook last arrived and a
//! reply was last delivered, the outbound failures by kind, whether the platform revoked our
//! access, and the open incidents (token failing, deliveries failing, silent far longer than
//! usual) that each raise one `channel.alert.v1`.
//!
//! Pure rules over a record that the store keeps (`ports::ChannelStore`); time is an input.

use crate::channel::Channel;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The audit entries kept on a record (the latest ones).
pub const MAX_AUDIT: usize = 20;

/// Why an outbound request failed, as the channel's health counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The access token expired or was revoked (Graph API code 190, X 401).
    Token,
    /// The token lacks a permission the request needs (Graph API 10, 200–299; X oauth1-permissions).
    Permission,
    /// The platform throttled us (429, Graph API 4/17/32/613).
    RateLimited,
    Other,
}

impl FailureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Token => "token",
            FailureKind::Permission => "permission",
            FailureKind::RateLimited => "rate_limited",
            FailureKind::Other => "other",
        }
    }
}

/// How often one kind of failure happened, and the last time with its reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureStat {
    pub count: u64,
    pub last_at: Timestamp,
    pub last_reason: String,
}

/// What an open incident is about; each kind alerts once per incident.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentKind {
    /// The token stopped working (expired, revoked, or a permission is missing).
    Token,
    /// Deliveries failed `failure_threshold` times in a row.
    Deliveries,
    /// No webhook for far longer than the account's typical gap.
    Silent,
}

impl IncidentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentKind::Token => "token",
            IncidentKind::Deliveries => "deliveries",
            IncidentKind::Silent => "silent",
        }
    }
}

/// An open incident: since when, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    pub started_at: Timestamp,
    pub reason: String,
    /// Its alert was recorded and delivered: the ticker looks no further (no write per minute).
    #[serde(default)]
    pub alerted: bool,
}

/// The account's state as a supervisor reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelState {
    Active,
    /// The platform revoked our access: ingest is off until a supervisor enables it.
    Revoked,
    TokenFailing,
    Silent,
}

/// Who did what to the account, and when (revocations and re-enables).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: Timestamp,
    /// `platform` for a revocation the platform sent; the agent id of a supervisor.
    pub by: String,
    pub action: String,
}

/// The `[channel_health]` section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HealthConfig {
    /// Consecutive failed deliveries that open a `deliveries` incident.
    pub failure_threshold: u32,
    /// Silent means: no webhook for `silence_factor` × the typical gap ...
    pub silence_factor: u32,
    /// ... and at least this many minutes.
    pub min_silence_minutes: u32,
    /// Gaps learnt before silence can alert (a new account knows nothing of its rhythm).
    pub min_samples: u32,
}

impl Default for HealthConfig {
    fn default() -> Self {
        Self {
            failure_threshold: 3,
            silence_factor: 8,
            min_silence_minutes: 120,
            min_samples: 20,
        }
    }
}

impl HealthConfig {
    /// The key and the problem of the first bad value.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if self.failure_threshold == 0 {
            return Err(("failure_threshold", "must be at least 1".into()));
        }
        if self.silence_factor == 0 {
            return Err(("silence_factor", "must be at least 1".into()));
        }
        Ok(())
    }
}

/// The health platform of a channel: Messenger is its Facebook page's (one page, one token).
pub fn platform_of(channel: Channel) -> &'static str {
    match channel {
        Channel::Messenger => Channel::Facebook.as_str(),
        other => other.as_str(),
    }
}

/// One account's health record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelHealth {
    pub platform: String,
    pub account: String,
    #[serde(default)]
    pub last_webhook_at: Option<Timestamp>,
    /// The learnt typical gap between webhooks, seconds (an exponentially weighted mean, 1/8 weight).
    #[serde(default)]
    pub typical_gap_secs: Option<i64>,
    #[serde(default)]
    pub gap_samples: u32,
    #[serde(default)]
    pub last_delivery_at: Option<Timestamp>,
    #[serde(default)]
    pub failures: BTreeMap<FailureKind, FailureStat>,
    #[serde(default)]
    pub consecutive_failures: u32,
    /// Set while the platform's revocation stands (until a supervisor enables the account).
    #[serde(default)]
    pub revoked_at: Option<Timestamp>,
    #[serde(default)]
    pub incidents: BTreeMap<IncidentKind, Incident>,
    #[serde(default)]
    pub audit: Vec<AuditEntry>,
    /// The stored version (0: never stored).
    #[serde(default)]
    pub version: u64,
}

impl ChannelHealth {
    pub fn new(platform: &str, account: &str) -> Self {
        Self {
            platform: platform.to_string(),
            account: account.to_string(),
            last_webhook_at: None,
            typical_gap_secs: None,
            gap_samples: 0,
            last_delivery_at: None,
            failures: BTreeMap::new(),
            consecutive_failures: 0,
            revoked_at: None,
            incidents: BTreeMap::new(),
            audit: Vec::new(),
            version: 0,
        }
    }

    pub fn state(&self) -> ChannelState {
        if self.revoked_at.is_some() {
            ChannelState::Revoked
        } else if self.incidents.contains_key(&IncidentKind::Token) {
            ChannelState::TokenFailing
        } else if self.incidents.contains_key(&IncidentKind::Silent) {
            ChannelState::Silent
        } else {
            ChannelState::Active
        }
    }

    fn open(&mut self, kind: IncidentKind, reason: String, now: Timestamp) {
        self.incidents.entry(kind).or_insert(Incident {
            started_at: now,
            reason,
            alerted: false,
        });
    }

    fn note(&mut self, by: &str, action: &str, now: Timestamp) {
        self.audit.push(AuditEntry {
            at: now,
            by: by.to_string(),
            action: action.to_string(),
        });
        let extra = self.audit.len().saturating_sub(MAX_AUDIT);
        self.audit.drain(..extra);
    }

    /// A webhook for the account arrived: learn the gap, end a silence.
    pub fn on_webhook(&mut self, now: Timestamp) {
        if let Some(last) = self.last_webhook_at {
            let gap = now.as_second() - last.as_second();
            if gap <= 0 {
                return;
            }
            self.typical_gap_secs = Some(match self.typical_gap_secs {
                None => gap,
                Some(t) => (t * 7 + gap + 4) / 8,
            });
            self.gap_samples = self.gap_samples.saturating_add(1);
        }
        self.last_webhook_at = Some(now);
        self.incidents.remove(&IncidentKind::Silent);
    }

    /// A reply was delivered: the token works and deliveries go through again.
    pub fn on_delivered(&mut self, now: Timestamp) {
        self.last_delivery_at = Some(now);
        self.consecutive_failures = 0;
        self.incidents.remove(&IncidentKind::Token);
        self.incidents.remove(&IncidentKind::Deliveries);
    }

    /// A delivery failed: counted by kind; a token or permission failure opens a `token`
    /// incident at once, `failure_threshold` failures in a row a `deliveries` one.
    pub fn on_failure(&mut self, kind: FailureKind, reason: &str, now: Timestamp, config: &HealthConfig) {
        let reason: String = reason.chars().take(300).collect();
        let stat = self.failures.entry(kind).or_insert(FailureStat {
            count: 0,
            last_at: now,
            last_reason: String::new(),
        });
        stat.count += 1;
        stat.last_at = now;
        stat.last_reason = reason.clone();
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        if matches!(kind, FailureKind::Token | FailureKind::Permission) {
            self.open(IncidentKind::Token, format!("{}: {reason}", kind.as_str()), now);
        }
        if self.consecutive_failures >= config.failure_threshold {
            let why = format!(
                "{} deliveries failed in a row; last: {reason}",
                self.consecutive_failures
            );
            self.open(IncidentKind::Deliveries, why, now);
        }
    }

    /// How long without a webhook counts as silent for this account (None: not learnt yet).
    pub fn silence_limit_secs(&self, config: &HealthConfig) -> Option<i64> {
        let typical = self.typical_gap_secs?;
        if self.gap_samples < config.min_samples {
            return None;
        }
        Some((typical * i64::from(config.silence_factor)).max(i64::from(config.min_silence_minutes) * 60))
    }

    /// Opens a `silent` incident when the account has been quiet past its limit (true: opened now).
    pub fn check_silence(&mut self, now: Timestamp, config: &HealthConfig) -> bool {
        if self.revoked_at.is_some() || self.incidents.contains_key(&IncidentKind::Silent) {
            return false;
        }
        let (Some(limit), Some(last)) = (self.silence_limit_secs(config), self.last_webhook_at) else {
            return false;
        };
        let quiet = now.as_second() - last.as_second();
        if quiet <= limit {
            return false;
        }
        let why = format!(
            "no webhook for {} min (typical gap {} s)",
            quiet / 60,
            self.typical_gap_secs.unwrap_or(0)
        );
        self.open(IncidentKind::Silent, why, now);
        true
    }

    /// Marks the incident that started at `started_at` as alerted (a newer one of the kind stays
    /// as it is).
    pub fn mark_alerted(&mut self, kind: IncidentKind, started_at: Timestamp) {
        if let Some(i) = self.incidents.get_mut(&kind)
            && i.started_at == started_at
        {
            i.alerted = true;
        }
    }

    /// The platform revoked our access (true: it was not revoked before).
    pub fn revoke(&mut self, now: Timestamp) -> bool {
        if self.revoked_at.is_some() {
            return false;
        }
        self.revoked_at = Some(now);
        self.note("platform", "revoked", now);
        true
    }

    /// A supervisor turns ingest back on.
    pub fn enable(&mut self, by: &str, now: Timestamp) {
        self.revoked_at = None;
        self.note(by, "enabled", now);
    }
}

/// `channel.alert.v1`: an incident on one account, raised once per incident.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelAlert {
    /// `channel#<platform>#<account>#<kind>#<incident start, epoch s>`: one per incident.
    pub id: String,
    pub platform: String,
    pub account: String,
    pub kind: IncidentKind,
    pub reason: String,
    pub started_at: Timestamp,
    pub fired_at: Timestamp,
    #[serde(default)]
    pub delivered: bool,
}

impl ChannelAlert {
    pub fn of(health: &ChannelHealth, kind: IncidentKind, incident: &Incident, now: Timestamp) -> Self {
        Self {
            id: format!(
                "channel#{}#{}#{}#{}",
                health.platform,
                health.account,
                kind.as_str(),
                incident.started_at.as_second()
            ),
            platform: health.platform.clone(),
            account: health.account.clone(),
            kind,
            reason: incident.reason.clone(),
            started_at: incident.started_at,
            fired_at: now,
            delivered: false,
        }
    }

    /// The line a person reads in a chat channel.
    pub fn text(&self) -> String {
        let what = match self.kind {
            IncidentKind::Token => "its access token stopped working",
            IncidentKind::Deliveries => "replies keep failing",
            IncidentKind::Silent => "it has been silent far longer than usual",
        };
        format!(
            "Channel {} account {}: {what} (since {}): {}",
            self.platform, self.account, self.started_at, self.reason
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(1_767_225_600 + s).unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn a_token_failure_opens_one_incident_until_a_delivery_closes_it() {
        let cfg = HealthConfig::default();
        let mut h = ChannelHealth::new("x", "111");
        h.on_failure(FailureKind::Token, "X 401: Unauthorized", at(0), &cfg);
        h.on_failure(FailureKind::Token, "X 401: Unauthorized", at(60), &cfg);
        assert_eq!(h.state(), ChannelState::TokenFailing);
        assert_eq!(h.incidents[&IncidentKind::Token].started_at, at(0), "the start stays");
        assert_eq!(h.failures[&FailureKind::Token].count, 2);
        assert_eq!(h.failures[&FailureKind::Token].last_at, at(60));
        h.on_delivered(at(120));
        assert_eq!(h.state(), ChannelState::Active);
        assert_eq!(h.consecutive_failures, 0);
        h.on_failure(FailureKind::Permission, "Graph API 403 (code 200)", at(180), &cfg);
        assert_eq!(h.incidents[&IncidentKind::Token].started_at, at(180), "a new incident");
    }

    #[test]
    fn repeated_failures_open_a_deliveries_incident_at_the_threshold() {
        let cfg = HealthConfig {
            failure_threshold: 3,
            ..HealthConfig::default()
        };
        let mut h = ChannelHealth::new("facebook", "p1");
        h.on_failure(FailureKind::RateLimited, "429", at(0), &cfg);
        h.on_failure(FailureKind::Other, "500", at(1), &cfg);
        assert!(h.incidents.is_empty());
        h.on_failure(FailureKind::Other, "500", at(2), &cfg);
        assert_eq!(h.incidents[&IncidentKind::Deliveries].started_at, at(2));
        assert_eq!(
            h.state(),
            ChannelState::Active,
            "deliveries failing is an incident, not a token problem"
        );
    }

    #[test]
    fn silence_is_judged_against_the_learnt_gap() {
        let cfg = HealthConfig {
            silence_factor: 4,
            min_silence_minutes: 10,
            min_samples: 5,
            ..HealthConfig::default()
        };
        let mut h = ChannelHealth::new("x", "111");
        for i in 0..5 {
            h.on_webhook(at(i * 300));
            assert!(!h.check_silence(at(i * 300 + 100_000), &cfg), "not learnt yet");
        }
        h.on_webhook(at(1500));
        assert_eq!(h.typical_gap_secs, Some(300));
        assert_eq!(h.silence_limit_secs(&cfg), Some(1200));
        assert!(!h.check_silence(at(1500 + 1200), &cfg));
        assert!(h.check_silence(at(1500 + 1201), &cfg));
        assert!(!h.check_silence(at(1500 + 5000), &cfg), "once per incident");
        assert_eq!(h.state(), ChannelState::Silent);
        h.on_webhook(at(9000));
        assert_eq!(h.state(), ChannelState::Active);
        assert!(h.typical_gap_secs.unwrap_or(0) > 300, "a long gap raises the mean");
    }

    #[test]
    fn revocation_is_kept_until_enabled_and_audited() {
        let mut h = ChannelHealth::new("x", "111");
        assert!(h.revoke(at(0)));
        assert!(!h.revoke(at(5)));
        assert_eq!(h.state(), ChannelState::Revoked);
        h.enable("sam", at(10));
        assert_eq!(h.state(), ChannelState::Active);
        let last = h.audit.last().cloned();
        assert_eq!(
            last.map(|a| (a.by, a.action, a.at)),
            Some(("sam".into(), "enabled".into(), at(10)))
        );
    }

    #[test]
    fn alert_ids_name_the_incident() {
        let mut h = ChannelHealth::new("x", "111");
        h.on_failure(FailureKind::Token, "401", at(0), &HealthConfig::default());
        let i = &h.incidents[&IncidentKind::Token];
        let a = ChannelAlert::of(&h, IncidentKind::Token, i, at(30));
        assert_eq!(a.id, format!("channel#x#111#token#{}", at(0).as_second()));
        assert!(a.text().contains("access token"));
        assert_eq!(platform_of(Channel::Messenger), "facebook");
    }
}
