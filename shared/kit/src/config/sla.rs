//! The `[sla]` section: policies, calendars, warning threshold, escalation ladder, and the
//! channel and queue overrides, validated into a domain [`SlaPolicy`]. Every problem names its
//! key and line; an iCalendar file a calendar names is read here, relative to the config file.

use super::Collector;
use jiff::SignedDuration;
use jiff::tz::TimeZone;
use serde::Deserialize;
use serde_spanned::Spanned;
use socialcare_domain::calendar::{Calendar, CalendarConfig};
use socialcare_domain::sla::{Escalation, Policy, SlaPolicy, Target, UTC_24X7};
use socialcare_domain::{Channel, Priority};
use std::collections::BTreeMap;
use std::path::Path;

/// The name of the policy the top-level `[sla.first_response]` (etc.) tables define.
pub const DEFAULT_POLICY: &str = "default";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSla {
    /// The policy for cases no override matches (default: the top-level targets' policy).
    default_policy: Option<Spanned<String>>,
    // The default policy's own fields (serde's `flatten` would lose the spans).
    calendar: Option<Spanned<String>>,
    first_response: Option<Spanned<BTreeMap<Priority, Spanned<RawDuration>>>>,
    next_response: Option<Spanned<BTreeMap<Priority, Spanned<RawDuration>>>>,
    resolution: Option<Spanned<BTreeMap<Priority, Spanned<RawDuration>>>>,
    warning_percent: Option<Spanned<i64>>,
    escalation: Option<Spanned<RawEscalation>>,
    #[serde(default)]
    calendars: BTreeMap<String, Spanned<CalendarConfig>>,
    #[serde(default)]
    policies: BTreeMap<String, Spanned<RawPolicy>>,
    #[serde(default)]
    channels: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    queues: BTreeMap<String, Spanned<String>>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    calendar: Option<Spanned<String>>,
    first_response: Option<Spanned<BTreeMap<Priority, Spanned<RawDuration>>>>,
    next_response: Option<Spanned<BTreeMap<Priority, Spanned<RawDuration>>>>,
    resolution: Option<Spanned<BTreeMap<Priority, Spanned<RawDuration>>>>,
    warning_percent: Option<Spanned<i64>>,
    escalation: Option<Spanned<RawEscalation>>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
struct RawEscalation {
    level2_after: Option<Spanned<RawDuration>>,
    level3_after: Option<Spanned<RawDuration>>,
}

/// Seconds (`900`) or a duration (`"15m"`, `"4h 30m"`, `"PT2H"`).
#[derive(Deserialize, Clone)]
#[serde(untagged)]
enum RawDuration {
    Secs(i64),
    Text(String),
}

impl RawDuration {
    fn parse(&self) -> Result<SignedDuration, String> {
        let d = match self {
            RawDuration::Secs(s) => SignedDuration::from_secs(*s),
            RawDuration::Text(t) => t
                .trim()
                .parse::<SignedDuration>()
                .map_err(|_| format!("`{t}` is not a duration (seconds, or e.g. \"15m\", \"4h 30m\")"))?,
        };
        if d.is_positive() {
            Ok(d)
        } else {
            Err("must be a positive duration".into())
        }
    }
}

fn positive(c: &mut Collector<'_>, key: &str, raw: &Spanned<RawDuration>) -> Option<SignedDuration> {
    match raw.get_ref().parse() {
        Ok(d) => Some(d),
        Err(message) => {
            c.push(Some(raw.span()), key, message);
            None
        }
    }
}

/// The targets of one policy, per target and priority; every priority must be given.
fn targets(
    c: &mut Collector<'_>,
    prefix: &str,
    raw: &RawPolicy,
) -> BTreeMap<Target, BTreeMap<Priority, SignedDuration>> {
    let mut out = BTreeMap::new();
    for (target, table) in [
        (Target::FirstResponse, &raw.first_response),
        (Target::NextResponse, &raw.next_response),
        (Target::Resolution, &raw.resolution),
    ] {
        let Some(table) = table else { continue };
        let mut by_priority = BTreeMap::new();
        for p in Priority::ALL {
            let key = format!("{prefix}{target}.{p}");
            match table.get_ref().get(&p) {
                None => c.push(Some(table.span()), key, "is missing"),
                Some(raw) => {
                    if let Some(d) = positive(c, &key, raw) {
                        by_priority.insert(p, d);
                    }
                }
            }
        }
        out.insert(target, by_priority);
    }
    out
}

fn calendars(c: &mut Collector<'_>, raw: &RawSla) -> BTreeMap<String, Calendar> {
    let base = Path::new(c.file).parent().map(Path::to_path_buf).unwrap_or_default();
    let mut out = BTreeMap::from([(UTC_24X7.to_string(), Calendar::always_open(TimeZone::UTC))]);
    for (name, spanned) in &raw.calendars {
        let prefix = format!("sla.calendars.{name}");
        let mut config = spanned.get_ref().clone();
        if let Some(path) = &config.ical {
            match std::fs::read_to_string(base.join(path)) {
                Ok(text) => config.ical = Some(text),
                Err(e) => {
                    c.push(
                        Some(spanned.span()),
                        format!("{prefix}.ical"),
                        format!("cannot read `{path}`: {e}"),
                    );
                    continue;
                }
            }
        }
        match Calendar::from_config(&config) {
            Ok(calendar) => {
                out.insert(name.clone(), calendar);
            }
            Err(e) => c.push(Some(spanned.span()), format!("{prefix}.{}", e.key), e.kind.to_string()),
        }
    }
    out
}

fn policy(
    c: &mut Collector<'_>,
    name: &str,
    prefix: &str,
    raw: &RawPolicy,
    inherit: &RawPolicy,
    calendars: &BTreeMap<String, Calendar>,
    defined: &BTreeMap<String, Spanned<CalendarConfig>>,
) -> Option<Policy> {
    let targets = targets(c, prefix, raw);
    let (calendar_name, calendar) = match &raw.calendar {
        None => (UTC_24X7.to_string(), calendars.get(UTC_24X7).cloned()),
        Some(n) => {
            let found = calendars.get(n.get_ref().as_str()).cloned();
            // A defined calendar that failed has its own error already.
            if found.is_none() && !defined.contains_key(n.get_ref()) {
                c.push(
                    Some(n.span()),
                    format!("{prefix}calendar"),
                    format!(
                        "unknown calendar `{}` (define [sla.calendars.{}] or use \"{UTC_24X7}\")",
                        n.get_ref(),
                        n.get_ref()
                    ),
                );
            }
            (n.get_ref().clone(), found)
        }
    };
    // An inherited value is reported under the key it is written at.
    let (warning, warning_prefix) = match (&raw.warning_percent, &inherit.warning_percent) {
        (Some(w), _) => (Some(w), prefix),
        (None, w) => (w.as_ref(), "sla."),
    };
    let warning_percent = match warning {
        None => None,
        Some(w) => match u8::try_from(*w.get_ref()).ok().filter(|p| (1..=99).contains(p)) {
            Some(p) => Some(p),
            None => {
                c.push(
                    Some(w.span()),
                    format!("{warning_prefix}warning_percent"),
                    "must be 1 to 99 (percent of the target)",
                );
                None
            }
        },
    };
    let mut escalation = Escalation::default();
    let (ladder, prefix_ladder) = match (&raw.escalation, &inherit.escalation) {
        (Some(e), _) => (Some(e), prefix),
        (None, e) => (e.as_ref(), "sla."),
    };
    if let Some(e) = ladder {
        let prefix = prefix_ladder;
        let r = e.get_ref();
        escalation.level2_after = r
            .level2_after
            .as_ref()
            .and_then(|d| positive(c, &format!("{prefix}escalation.level2_after"), d));
        escalation.level3_after = r
            .level3_after
            .as_ref()
            .and_then(|d| positive(c, &format!("{prefix}escalation.level3_after"), d));
        if let (Some(l2), Some(l3)) = (escalation.level2_after, escalation.level3_after)
            && l3 <= l2
        {
            c.push(
                Some(e.span()),
                format!("{prefix}escalation.level3_after"),
                "must be later than level2_after",
            );
        }
    }
    if targets.is_empty() {
        c.push(
            None,
            format!("{prefix}first_response"),
            "a policy needs at least one target (first_response, next_response or resolution)",
        );
    }
    Some(Policy {
        name: name.to_string(),
        calendar_name,
        calendar: calendar?,
        targets,
        warning_percent,
        escalation,
    })
}

/// Validates `[sla]` into the policies. `None` only when there were errors (already collected).
pub(super) fn sla_policy(c: &mut Collector<'_>, raw: Option<&Spanned<RawSla>>) -> Option<SlaPolicy> {
    let Some(spanned) = raw else {
        c.push(
            None,
            "sla.first_response",
            "is required: seconds allowed per priority P1..P4",
        );
        return None;
    };
    let raw = spanned.get_ref();
    let top = RawPolicy {
        calendar: raw.calendar.clone(),
        first_response: raw.first_response.clone(),
        next_response: raw.next_response.clone(),
        resolution: raw.resolution.clone(),
        warning_percent: raw.warning_percent.clone(),
        escalation: raw.escalation.clone(),
    };
    let calendars = calendars(c, raw);
    let mut policies = BTreeMap::new();
    let top_defined = top.first_response.is_some() || top.next_response.is_some() || top.resolution.is_some();
    if top_defined || raw.default_policy.is_none() {
        if top.first_response.is_none() && raw.default_policy.is_none() {
            c.push(
                Some(spanned.span()),
                "sla.first_response",
                "is required: seconds allowed per priority P1..P4",
            );
        }
        let empty = RawPolicy::default();
        if let Some(p) = policy(c, DEFAULT_POLICY, "sla.", &top, &empty, &calendars, &raw.calendars) {
            policies.insert(DEFAULT_POLICY.to_string(), p);
        }
    }
    for (name, p) in &raw.policies {
        let prefix = format!("sla.policies.{name}.");
        if name == DEFAULT_POLICY && top_defined {
            c.push(
                Some(p.span()),
                format!("sla.policies.{name}"),
                "`default` is the top-level targets' policy: pick another name",
            );
        }
        if let Some(p) = policy(c, name, &prefix, p.get_ref(), &top, &calendars, &raw.calendars) {
            policies.insert(name.clone(), p);
        }
    }
    let known = |c: &mut Collector<'_>, key: String, name: &Spanned<String>| {
        if !policies.contains_key(name.get_ref())
            && !raw.policies.contains_key(name.get_ref())
            && name.get_ref() != DEFAULT_POLICY
        {
            c.push(Some(name.span()), key, format!("unknown policy `{}`", name.get_ref()));
        }
        name.get_ref().clone()
    };
    let default_policy = match &raw.default_policy {
        Some(name) => known(c, "sla.default_policy".into(), name),
        None => DEFAULT_POLICY.to_string(),
    };
    let mut by_channel = BTreeMap::new();
    for (channel, name) in &raw.channels {
        if !Channel::ALL.iter().any(|ch| ch.as_str() == channel) {
            c.push(
                Some(name.span()),
                format!("sla.channels.{channel}"),
                "unknown channel (x, facebook, instagram, messenger, generic)",
            );
        }
        by_channel.insert(channel.clone(), known(c, format!("sla.channels.{channel}"), name));
    }
    let mut by_queue = BTreeMap::new();
    for (queue, name) in &raw.queues {
        by_queue.insert(queue.clone(), known(c, format!("sla.queues.{queue}"), name));
    }
    // Inherited values are checked once per policy that inherits them: report each problem once.
    let mut seen = Vec::new();
    c.errors.retain(|e| {
        let first = !seen.contains(e);
        if first {
            seen.push(e.clone());
        }
        first
    });
    Some(SlaPolicy {
        default_policy,
        policies,
        by_channel,
        by_queue,
    })
}

#[cfg(test)]
mod tests {
    use crate::config::parse;
    use jiff::{SignedDuration, Timestamp};
    use socialcare_domain::sla::Target;
    use socialcare_domain::{Level, Priority};

    const BASE: &str = r#"
[[agents]]
id = "ana"
languages = ["en"]
capacity = 2
"#;

    const FULL: &str = r#"
[sla]
warning_percent = 75
default_policy = "standard"

[sla.escalation]
level2_after = "10m"
level3_after = "30m"

[sla.calendars.emea]
time_zone = "Europe/Berlin"
holidays = ["2026-12-25"]
hours = { mon = ["09:00-12:30", "13:30-18:00"], tue = ["09:00-18:00"], wed = ["09:00-18:00"], thu = ["09:00-18:00"], fri = ["09:00-15:00"] }

[sla.policies.standard]
calendar = "emea"
first_response = { P1 = "15m", P2 = "1h", P3 = "4h", P4 = "8h" }
next_response = { P1 = "30m", P2 = "2h", P3 = "4h", P4 = "8h" }
resolution = { P1 = "8h", P2 = "16h", P3 = "40h", P4 = "80h" }

[sla.policies.social]
calendar = "24x7"
warning_percent = 50
first_response = { P1 = 300, P2 = 900, P3 = 3600, P4 = 7200 }

[sla.channels]
x = "social"

[sla.queues]
vip = "standard"
"#;

    fn errors_of(text: &str) -> Vec<String> {
        match parse("care.toml", text) {
            Ok(_) => vec![],
            Err(e) => e.0.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn full_policies_parse() {
        let s = parse("care.toml", &format!("{BASE}{FULL}")).unwrap_or_else(|e| panic!("{e}"));
        let sla = &s.sla;
        assert_eq!(sla.default_policy, "standard");
        assert_eq!(sla.by_channel.get("x").map(String::as_str), Some("social"));
        let standard = sla.policy("standard").unwrap_or_else(|| panic!("no standard"));
        assert_eq!(standard.calendar_name, "emea");
        assert_eq!(standard.warning_percent, Some(75), "inherited from [sla]");
        assert_eq!(standard.escalation.level2_after, Some(SignedDuration::from_mins(10)));
        assert_eq!(
            standard.target(Target::NextResponse, Priority::P1),
            Some(SignedDuration::from_mins(30))
        );
        let social = sla.policy("social").unwrap_or_else(|| panic!("no social"));
        assert_eq!(social.warning_percent, Some(50));
        assert!(!social.keeps(Target::Resolution));
        // Monday 2026-11-23 08:00 Berlin (07:00Z): P1 first response opens at 09:00, due 09:15.
        let start: Timestamp = "2026-11-23T07:00:00Z".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            sla.first_response_due(Priority::P1, start),
            "2026-11-23T08:15:00Z".parse().ok()
        );
        assert!(Level::ALL.contains(&Level::Escalation3));
    }

    #[test]
    fn simple_form_still_parses() {
        let text = format!("{BASE}\n[sla.first_response]\nP1 = 10\nP2 = 15\nP3 = 20\nP4 = 30\n");
        let s = parse("care.toml", &text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.sla.default_policy, "default");
        let p = s.sla.policy("default").unwrap_or_else(|| panic!("no default"));
        assert_eq!(p.calendar_name, "24x7");
        assert_eq!(p.warning_percent, None);
        assert_eq!(
            p.target(Target::FirstResponse, Priority::P4),
            Some(SignedDuration::from_secs(30))
        );
    }

    #[test]
    fn bad_policies_fail_naming_the_key() {
        let full = format!("{BASE}{FULL}");
        // (mutation, expected fragment)
        let table = [
            (
                full.replace("hours = { mon", "hours = { xmon"),
                "sla.calendars.emea.hours.xmon: unknown weekday",
            ),
            (
                full.replace(
                    r#"hours = { mon = ["09:00-12:30", "13:30-18:00"], tue = ["09:00-18:00"], wed = ["09:00-18:00"], thu = ["09:00-18:00"], fri = ["09:00-15:00"] }"#,
                    "hours = {}",
                ),
                "sla.calendars.emea.hours: no working hours in the week",
            ),
            (
                full.replace("Europe/Berlin", "Mars/Olympus"),
                "sla.calendars.emea.time_zone: unknown time zone",
            ),
            (
                full.replace("P1 = 300", "P1 = 0"),
                "sla.policies.social.first_response.P1: must be a positive duration",
            ),
            (
                full.replace("P1 = 300", "P1 = -5"),
                "sla.policies.social.first_response.P1: must be a positive duration",
            ),
            (
                full.replace("P2 = \"1h\"", "P2 = \"soon\""),
                "sla.policies.standard.first_response.P2: `soon` is not a duration",
            ),
            (
                full.replace("calendar = \"emea\"", "calendar = \"apac\""),
                "sla.policies.standard.calendar: unknown calendar `apac`",
            ),
            (full.replace("x = \"social\"", "x = \"vip\""), "sla.channels.x: unknown policy `vip`"),
            (full.replace("x = \"social\"", "fax = \"social\""), "sla.channels.fax: unknown channel"),
            (full.replace("warning_percent = 75", "warning_percent = 100"), "sla.warning_percent: must be 1 to 99"),
            (
                full.replace("level3_after = \"30m\"", "level3_after = \"5m\""),
                "sla.escalation.level3_after: must be later than level2_after",
            ),
            (full.replace("P4 = 7200 }", "}"), "sla.policies.social.first_response.P4: is missing"),
            (BASE.to_string(), "sla.first_response: is required"),
        ];
        for (text, expected) in table {
            let errors = errors_of(&text);
            assert!(
                errors.iter().any(|e| e.contains(expected)),
                "expected `{expected}` in {errors:?}"
            );
        }
        // Lines are named too.
        let errors = errors_of(&full.replace("Europe/Berlin", "Mars/Olympus"));
        assert!(errors.iter().any(|e| e.starts_with("care.toml:15:")), "{errors:?}");
    }
}
