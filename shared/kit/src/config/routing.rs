//! The `[routing]` section: skills that exist, rules that derive a case's requirements,
//! stickiness, relaxation steps, the offline grace, transfer queues. A rule or an agent
//! naming a skill that is not in `routing.skills` is an error naming it.

use super::{Collector, RawAgent};
use serde::Deserialize;
use serde_spanned::Spanned;
use socialcare_domain::Language;
use socialcare_domain::post::Intent;
use socialcare_domain::routing::{ProductRule, Relax, RelaxStep, RoutingPolicy, SkillNeed};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRouting {
    #[serde(default)]
    skills: Vec<String>,
    sticky_days: Option<u32>,
    offline_grace_secs: Option<Spanned<i64>>,
    #[serde(default)]
    queues: Vec<String>,
    match_channel: Option<bool>,
    explain_limit: Option<usize>,
    regions: Option<RawRegions>,
    #[serde(default)]
    intents: Vec<Spanned<RawIntent>>,
    #[serde(default)]
    products: Vec<Spanned<RawProduct>>,
    #[serde(default)]
    relax: Vec<Spanned<RawRelax>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegions {
    #[serde(default)]
    accounts: BTreeMap<String, String>,
    #[serde(default)]
    languages: BTreeMap<Language, String>,
    /// Country → region: `{ BR = "latam", DE = "emea" }`.
    #[serde(default)]
    countries: BTreeMap<String, String>,
    /// Calling code → country: `{ "+55" = "BR", "+49" = "DE" }` (a phone number the customer
    /// wrote tells their country).
    #[serde(default)]
    calling_codes: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIntent {
    intent: Intent,
    skill: String,
    #[serde(default = "one")]
    level: u8,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProduct {
    name: String,
    #[serde(default)]
    aliases: Vec<String>,
    skill: String,
    #[serde(default = "one")]
    level: u8,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRelax {
    after_secs: i64,
    allow: Relax,
}

fn one() -> u8 {
    1
}

pub(super) fn policy(
    c: &mut Collector<'_>,
    raw: Option<&Spanned<RawRouting>>,
    agents: &[Spanned<RawAgent>],
    languages: &[Language],
    default_queue: &str,
) -> RoutingPolicy {
    let mut policy = RoutingPolicy {
        default_queue: default_queue.to_string(),
        ..RoutingPolicy::default()
    };
    let Some(raw) = raw else {
        return policy;
    };
    let span = raw.span();
    let r = raw.get_ref();
    policy.skills = r.skills.iter().cloned().collect::<BTreeSet<_>>();
    let known = |c: &mut Collector<'_>, span: std::ops::Range<usize>, key: String, skill: &str| {
        if !r.skills.iter().any(|s| s == skill) {
            c.push(
                Some(span),
                key,
                format!("unknown skill `{skill}` (not in routing.skills)"),
            );
        }
    };
    for (i, rule) in r.intents.iter().enumerate() {
        let x = rule.get_ref();
        known(c, rule.span(), format!("routing.intents[{i}].skill"), &x.skill);
        policy.intent_skills.push((
            x.intent,
            SkillNeed {
                skill: x.skill.clone(),
                level: x.level.max(1),
            },
        ));
    }
    for (i, rule) in r.products.iter().enumerate() {
        let x = rule.get_ref();
        known(c, rule.span(), format!("routing.products[{i}].skill"), &x.skill);
        let mut aliases: Vec<String> = std::iter::once(&x.name)
            .chain(&x.aliases)
            .map(|a| a.trim().to_lowercase())
            .filter(|a| !a.is_empty())
            .collect();
        aliases.dedup();
        policy.products.push(ProductRule {
            name: x.name.clone(),
            aliases,
            need: SkillNeed {
                skill: x.skill.clone(),
                level: x.level.max(1),
            },
        });
    }
    for (i, a) in agents.iter().enumerate() {
        for skill in a.get_ref().skills.keys() {
            known(c, a.span(), format!("agents[{i}].skills.{skill}"), skill);
        }
    }
    if let Some(regions) = &r.regions {
        policy.region_by_account = regions.accounts.clone();
        for (l, region) in &regions.languages {
            if !languages.contains(l) {
                c.push(
                    Some(span.clone()),
                    format!("routing.regions.languages.{l}"),
                    "is not in service.languages",
                );
            }
            policy.region_by_language.insert(l.clone(), region.clone());
        }
        for (code, country) in &regions.calling_codes {
            let digits = code.strip_prefix('+').unwrap_or("");
            if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                c.push(
                    Some(span.clone()),
                    format!("routing.regions.calling_codes.{code}"),
                    "must be + and 1 to 4 digits, e.g. \"+55\"",
                );
            } else if !regions.countries.contains_key(country) {
                c.push(
                    Some(span.clone()),
                    format!("routing.regions.calling_codes.{code}"),
                    format!("country `{country}` has no region in routing.regions.countries"),
                );
            }
        }
        policy.region_by_country = regions.countries.clone();
        policy.country_by_calling_code = regions.calling_codes.clone();
    }
    policy.sticky_days = r.sticky_days.unwrap_or(0);
    if let Some(grace) = &r.offline_grace_secs {
        if *grace.get_ref() < 0 {
            c.push(
                Some(grace.span()),
                "routing.offline_grace_secs",
                "must be 0 or more seconds",
            );
        }
        policy.offline_grace_secs = *grace.get_ref();
    }
    policy.queues = r.queues.iter().cloned().collect();
    policy.match_channel = r.match_channel.unwrap_or(true);
    policy.explain_limit = r.explain_limit.unwrap_or(policy.explain_limit).max(1);
    let mut last = -1;
    for (i, step) in r.relax.iter().enumerate() {
        let x = step.get_ref();
        if x.after_secs < 0 || x.after_secs < last {
            c.push(
                Some(step.span()),
                format!("routing.relax[{i}].after_secs"),
                "must be 0 or more and not below the step before",
            );
        }
        last = x.after_secs;
        policy.relax.push(RelaxStep {
            after_secs: x.after_secs,
            relax: x.allow,
        });
    }
    policy
}

#[cfg(test)]
mod tests {
    use super::super::parse;

    const BASE: &str = r#"
[[agents]]
id = "ana"
languages = ["pt", "en"]
secondary_languages = ["es"]
skills = { billing = 2 }
regions = ["latam"]
channels = ["x", "facebook"]
capacity = 2

[sla.first_response]
P1 = 60
P2 = 120
P3 = 600
P4 = 3600

[routing]
skills = ["billing", "hardware"]
sticky_days = 14
offline_grace_secs = 120
queues = ["vip"]

[routing.regions]
accounts = { brand = "amer" }
languages = { pt = "latam" }
countries = { BR = "latam", DE = "emea" }
calling_codes = { "+55" = "BR", "+49" = "DE" }

[[routing.intents]]
intent = "complaint"
skill = "billing"
level = 2

[[routing.products]]
name = "Laptop"
aliases = ["Pavilion"]
skill = "hardware"

[[routing.relax]]
after_secs = 600
allow = "secondary_language"

[[routing.relax]]
after_secs = 1200
allow = "any_region"
"#;

    #[test]
    fn routing_section_parses() {
        let s = parse("care.toml", BASE).unwrap_or_else(|e| panic!("{e}"));
        let a = &s.agents[0];
        assert_eq!(a.skills.get("billing"), Some(&2));
        assert_eq!(a.secondary_languages.len(), 1);
        assert_eq!(a.regions, vec!["latam".to_string()]);
        let p = &s.routing;
        assert_eq!((p.sticky_days, p.offline_grace_secs, p.relax.len()), (14, 120, 2));
        assert_eq!(
            p.products[0].aliases,
            vec!["laptop".to_string(), "pavilion".to_string()]
        );
        assert!(p.knows_queue("vip") && p.knows_queue("general") && !p.knows_queue("nope"));
        assert_eq!(p.country_by_calling_code.get("+55").map(String::as_str), Some("BR"));
        assert_eq!(p.region_by_country.get("DE").map(String::as_str), Some("emea"));
    }

    #[test]
    fn errors_name_the_unknown_skill_and_line() {
        // (mutation, expected error fragment)
        let table = [
            (
                BASE.replace("skill = \"billing\"\nlevel = 2", "skill = \"bling\""),
                "care.toml:29: routing.intents[0].skill: unknown skill `bling`",
            ),
            (
                BASE.replace("skill = \"hardware\"", "skill = \"hw\""),
                "routing.products[0].skill: unknown skill `hw`",
            ),
            (
                BASE.replace("skills = { billing = 2 }", "skills = [\"juggling\"]"),
                "care.toml:2: agents[0].skills.juggling: unknown skill `juggling`",
            ),
            (
                BASE.replace("after_secs = 1200", "after_secs = 10"),
                "routing.relax[1].after_secs",
            ),
            (
                BASE.replace("allow = \"any_region\"", "allow = \"anything\""),
                "care.toml:45: routing.relax[1].allow: unknown value `anything` (one of: secondary_language,",
            ),
            (
                BASE.replace("offline_grace_secs = 120", "offline_grace_secs = -1"),
                "routing.offline_grace_secs",
            ),
            (
                BASE.replace("\"+49\" = \"DE\"", "\"49\" = \"DE\""),
                "routing.regions.calling_codes.49: must be + and 1 to 4 digits",
            ),
            (
                BASE.replace("\"+49\" = \"DE\"", "\"+33\" = \"FR\""),
                "routing.regions.calling_codes.+33: country `FR` has no region",
            ),
        ];
        for (text, want) in table {
            let got = parse("care.toml", &text)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(got.contains(want), "expected `{want}` in {got}");
        }
    }
}
