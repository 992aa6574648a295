//! The policy model: named policies with targets per priority, each on a business calendar,
//! with a warning threshold and an escalation ladder; a default policy, overridden per channel
//! and per queue. Built and validated by the configuration loader.

use super::Target;
use crate::calendar::Calendar;
use crate::case::Case;
use crate::channel::Priority;
use jiff::SignedDuration;
use jiff::tz::TimeZone;
use std::collections::BTreeMap;

/// The calendar name that needs no definition: open around the clock, in UTC.
pub const UTC_24X7: &str = "24x7";

/// Level 2 and level 3 of the ladder, in business time after the breach (level 1).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Escalation {
    /// Raise the priority one step and return the case to its queue.
    pub level2_after: Option<SignedDuration>,
    /// Alert the head of support.
    pub level3_after: Option<SignedDuration>,
}

/// One policy: the business time allowed per target and priority, and when to warn and escalate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub name: String,
    pub calendar_name: String,
    pub calendar: Calendar,
    /// Business time allowed per target and priority; a target not listed is not kept.
    pub targets: BTreeMap<Target, BTreeMap<Priority, SignedDuration>>,
    /// Warn when this share of the target (1..=99 percent) has elapsed; None: no warning.
    pub warning_percent: Option<u8>,
    pub escalation: Escalation,
}

impl Policy {
    /// A policy on the 24×7 UTC calendar with only first-response targets, no warning and no
    /// escalation: the `[sla.first_response] P1 = 10` form of the configuration.
    pub fn first_response_only(name: &str, seconds: &BTreeMap<Priority, u64>) -> Policy {
        let by_priority = seconds
            .iter()
            .map(|(p, s)| (*p, SignedDuration::from_secs(i64::try_from(*s).unwrap_or(i64::MAX))))
            .collect();
        Policy {
            name: name.to_string(),
            calendar_name: UTC_24X7.to_string(),
            calendar: Calendar::always_open(TimeZone::UTC),
            targets: BTreeMap::from([(Target::FirstResponse, by_priority)]),
            warning_percent: None,
            escalation: Escalation::default(),
        }
    }

    /// The business time allowed for `target` at `priority`, if this policy keeps that target.
    pub fn target(&self, target: Target, priority: Priority) -> Option<SignedDuration> {
        self.targets.get(&target)?.get(&priority).copied()
    }

    pub fn keeps(&self, target: Target) -> bool {
        self.targets.contains_key(&target)
    }
}

/// Every SLA policy and how a case finds its own: the queue's override, else the channel's,
/// else the default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlaPolicy {
    pub default_policy: String,
    pub policies: BTreeMap<String, Policy>,
    /// Channel (`x`, `facebook`, `generic`, …) → policy name.
    pub by_channel: BTreeMap<String, String>,
    /// Queue → policy name.
    pub by_queue: BTreeMap<String, String>,
}

impl SlaPolicy {
    /// One default policy, 24×7 UTC, first-response targets in seconds per priority.
    pub fn first_response_only(seconds: BTreeMap<Priority, u64>) -> SlaPolicy {
        SlaPolicy::single(Policy::first_response_only("default", &seconds))
    }

    /// Just this policy, for every case.
    pub fn single(policy: Policy) -> SlaPolicy {
        SlaPolicy {
            default_policy: policy.name.clone(),
            policies: BTreeMap::from([(policy.name.clone(), policy)]),
            by_channel: BTreeMap::new(),
            by_queue: BTreeMap::new(),
        }
    }

    pub fn policy(&self, name: &str) -> Option<&Policy> {
        self.policies.get(name)
    }

    /// The policy that governs `case`: its queue's, else its channel's, else the default.
    pub fn policy_for(&self, case: &Case) -> Option<&Policy> {
        let name = self
            .by_queue
            .get(&case.queue)
            .or_else(|| self.by_channel.get(&case.channel.to_string()))
            .unwrap_or(&self.default_policy);
        self.policy(name)
    }

    /// The first-response deadline for a case of this priority opened at `start`, under the
    /// default policy.
    pub fn first_response_due(&self, priority: Priority, start: jiff::Timestamp) -> Option<jiff::Timestamp> {
        let policy = self.policy(&self.default_policy)?;
        let budget = policy.target(Target::FirstResponse, priority)?;
        Some(policy.calendar.add_business(start, budget))
    }
}
