//! `care sla explain`: every deadline of a policy for a start time (and pauses), and why: the
//! business hours that counted, the closed hours, holidays and pauses that did not (the
//! calendar's own explanation), then the warning and escalation times. Reads only the config.

use anyhow::Context;
use clap::Args;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use socialcare_domain::Priority;
use socialcare_domain::calendar::Calendar;
use socialcare_domain::sla::{Policy, Target};
use std::fmt::Write as _;
use std::path::PathBuf;

#[derive(Args)]
pub struct ExplainArgs {
    /// The policy, as named in the config (`default` is the top-level `[sla.first_response]`…).
    #[arg(long)]
    pub policy: String,
    /// When the clock starts: RFC 3339 (`2026-12-24T16:30:00Z`), or a local date-time in the
    /// policy's time zone (`2026-12-24T17:30`).
    #[arg(long)]
    pub start: String,
    /// A stretch the clock stood still, `FROM..TO` (same formats as --start); repeatable.
    #[arg(long = "pause")]
    pub pauses: Vec<String>,
    /// Only this priority (default: every priority).
    #[arg(long)]
    pub priority: Option<Priority>,
    /// Only this target: first_response, next_response or resolution (default: every target).
    #[arg(long)]
    pub target: Option<String>,
    /// The configuration file.
    #[arg(long, default_value = "care.toml", env = "CARE_CONFIG")]
    pub config: PathBuf,
}

/// A time in RFC 3339, or a civil date-time in `tz`.
pub fn parse_time(text: &str, tz: &TimeZone) -> anyhow::Result<Timestamp> {
    let text = text.trim();
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    let civil: DateTime = text
        .parse()
        .with_context(|| format!("`{text}` is neither RFC 3339 nor a local date-time (2026-12-24T17:30)"))?;
    Ok(civil.to_zoned(tz.clone())?.timestamp())
}

fn human(d: SignedDuration) -> String {
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    match (h, m, s) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (h, 0, 0) => format!("{h}h"),
        (h, m, 0) => format!("{h}h {m}m"),
        (h, m, s) => format!("{h}h {m}m {s}s"),
    }
}

fn stamp(calendar: &Calendar, t: Timestamp) -> String {
    t.to_zoned(calendar.time_zone().clone())
        .strftime("%a %Y-%m-%d %H:%M:%S %Z")
        .to_string()
}

/// The explanation of every selected deadline of `policy`.
pub fn render(
    policy: &Policy,
    start: Timestamp,
    pauses: &[(Timestamp, Timestamp)],
    priority: Option<Priority>,
    target: Option<Target>,
) -> String {
    let calendar = &policy.calendar;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "policy {} · calendar {} ({})",
        policy.name,
        policy.calendar_name,
        calendar.time_zone_name()
    );
    for (t, by_priority) in &policy.targets {
        if target.is_some_and(|only| only != *t) {
            continue;
        }
        for (p, budget) in by_priority {
            if priority.is_some_and(|only| only != *p) {
                continue;
            }
            let _ = writeln!(out, "\n== {t} {p}: {} of business time", human(*budget));
            let explanation = calendar.explain(start, *budget, pauses);
            let _ = writeln!(out, "{explanation}");
            let due = explanation.deadline.timestamp();
            if let Some(pct) = policy.warning_percent {
                let warn = SignedDuration::from_millis(budget.as_millis() as i64 / 100 * i64::from(pct));
                let at = calendar.add_business_with_pauses(start, warn, pauses);
                let _ = writeln!(out, "warning   {} ({pct} % of the target)", stamp(calendar, at));
            }
            let _ = writeln!(out, "breach    {} (level 1: supervisors)", stamp(calendar, due));
            if let Some(after) = policy.escalation.level2_after {
                let at = calendar.add_business_with_pauses(due, after, pauses);
                let _ = writeln!(
                    out,
                    "level 2   {} ({} after the breach: priority up, back to the queue)",
                    stamp(calendar, at),
                    human(after)
                );
            }
            if let Some(after) = policy.escalation.level3_after {
                let at = calendar.add_business_with_pauses(due, after, pauses);
                let _ = writeln!(
                    out,
                    "level 3   {} ({} after the breach: head of support)",
                    stamp(calendar, at),
                    human(after)
                );
            }
        }
    }
    out
}

fn parse_target(text: &str) -> anyhow::Result<Target> {
    Target::ALL
        .into_iter()
        .find(|t| t.as_str() == text)
        .ok_or_else(|| anyhow::anyhow!("--target `{text}` is not first_response, next_response or resolution"))
}

pub fn explain(args: ExplainArgs) -> anyhow::Result<()> {
    let settings = socialcare_kit::config::load(&args.config).map_err(|e| anyhow::anyhow!("{e}"))?;
    let policy = settings.sla.policy(&args.policy).ok_or_else(|| {
        let known: Vec<&str> = settings.sla.policies.keys().map(String::as_str).collect();
        anyhow::anyhow!(
            "--policy `{}` is not in {} (known: {})",
            args.policy,
            args.config.display(),
            known.join(", ")
        )
    })?;
    let tz = policy.calendar.time_zone();
    let start = parse_time(&args.start, tz).context("--start")?;
    let mut pauses = Vec::new();
    for p in &args.pauses {
        let (from, to) = p
            .split_once("..")
            .ok_or_else(|| anyhow::anyhow!("--pause `{p}`: expected FROM..TO"))?;
        let (from, to) = (parse_time(from, tz)?, parse_time(to, tz)?);
        anyhow::ensure!(from < to, "--pause `{p}`: FROM must be before TO");
        pauses.push((from, to));
    }
    let target = args.target.as_deref().map(parse_target).transpose()?;
    print!("{}", render(policy, start, &pauses, args.priority, target));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use socialcare_domain::calendar::{CalendarConfig, HoursConfig};
    use socialcare_domain::sla::Escalation;
    use std::collections::BTreeMap;

    fn policy() -> Policy {
        let day = vec!["09:00-12:30".to_string(), "13:30-18:00".to_string()];
        let hours = ["mon", "tue", "wed", "thu", "fri"]
            .iter()
            .map(|d| (d.to_string(), day.clone()))
            .collect();
        let calendar = Calendar::from_config(&CalendarConfig {
            time_zone: "Europe/Berlin".into(),
            hours: HoursConfig::Weekly(hours),
            holidays: vec!["2026-12-25".into()],
            ical: None,
        })
        .unwrap_or_else(|e| panic!("{e}"));
        let mut p = Policy::first_response_only("standard", &BTreeMap::new());
        p.calendar = calendar;
        p.calendar_name = "emea".into();
        p.targets = BTreeMap::from([(
            Target::FirstResponse,
            BTreeMap::from([(Priority::P2, SignedDuration::from_hours(2))]),
        )]);
        p.warning_percent = Some(75);
        p.escalation = Escalation {
            level2_after: Some(SignedDuration::from_mins(30)),
            level3_after: None,
        };
        p
    }

    #[test]
    fn explains_holidays_shifts_pauses_and_the_ladder() {
        let p = policy();
        let tz = p.calendar.time_zone().clone();
        let start = parse_time("2026-12-24T17:30", &tz).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            start,
            parse_time("2026-12-24T16:30:00Z", &tz).unwrap_or_else(|e| panic!("{e}"))
        );
        let pause = (
            parse_time("2026-12-28T09:00", &tz).unwrap_or_else(|e| panic!("{e}")),
            parse_time("2026-12-28T09:30", &tz).unwrap_or_else(|e| panic!("{e}")),
        );
        let text = render(&p, start, &[pause], None, None);
        for expected in [
            "policy standard · calendar emea (Europe/Berlin)",
            "== first_response P2: 2h of business time",
            "holiday Fri 2026-12-25",
            "paused",
            "deadline  Mon 2026-12-28 11:00:00 CET",
            "warning   Mon 2026-12-28 10:30:00 CET (75 % of the target)",
            "breach    Mon 2026-12-28 11:00:00 CET (level 1: supervisors)",
            "level 2   Mon 2026-12-28 11:30:00 CET (30m after the breach",
        ] {
            assert!(text.contains(expected), "missing `{expected}` in\n{text}");
        }
        assert!(render(&p, start, &[], Some(Priority::P1), None).lines().count() == 1);
        assert!(parse_target("resolution").is_ok());
        assert!(parse_target("speed").is_err());
        assert!(parse_time("yesterday", &tz).is_err());
    }
}
