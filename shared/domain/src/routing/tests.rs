//! Table-driven tests of the routing rules: requirements, every exclusion, ranking, stickiness,
//! every relaxation step, and the pull index.

use super::decide::{Ask, Exclusion, LanguageFit, Mode, Situation, exclusions, rank};
use super::index::WaitingIndex;
use super::policy::{ProductRule, Relax, RelaxStep, RoutingPolicy, SkillNeed};
use super::record::sticky_agent;
use super::requirements::{contains_word, requirements};
use crate::agent::{Agent, Presence, Role};
use crate::case::tests::case;
use crate::channel::{Channel, Language, Priority};
use crate::ids::{AgentId, CaseId};
use crate::post::{Intent, Post};
use jiff::Timestamp;
use std::collections::BTreeSet;

fn lang(l: &str) -> Language {
    Language::parse(l).unwrap_or_else(|_| unreachable!())
}
fn aid(s: &str) -> AgentId {
    AgentId::parse(s).unwrap_or_else(|_| unreachable!())
}
fn ts(s: i64) -> Timestamp {
    Timestamp::from_second(s).unwrap_or_else(|_| unreachable!())
}

fn agent(id: &str, langs: &[&str]) -> Agent {
    Agent {
        id: aid(id),
        name: id.into(),
        languages: langs.iter().map(|l| lang(l)).collect(),
        skills: Default::default(),
        capacity: 4,
        presence: Presence::Online,
        role: Role::Agent,
        load: 0,
        last_assigned_at: None,
        tokens_valid_after: None,
        secondary_languages: vec![],
        regions: vec![],
        channels: vec![],
        channel_capacity: Default::default(),
        channel_load: Default::default(),
        triage: false,
    }
}

fn reqs(language: Option<&str>, skills: &[(&str, u8)], region: Option<&str>) -> super::Requirements {
    super::Requirements {
        language: language.map(lang),
        skills: skills.iter().map(|(s, l)| (s.to_string(), *l)).collect(),
        region: region.map(str::to_string),
        channel: Channel::X,
        priority: Priority::P3,
        because: vec![],
        products: vec![],
    }
}

fn policy() -> RoutingPolicy {
    RoutingPolicy {
        skills: ["billing", "hardware"].iter().map(|s| s.to_string()).collect(),
        intent_skills: vec![(
            Intent::Complaint,
            SkillNeed {
                skill: "billing".into(),
                level: 2,
            },
        )],
        products: vec![ProductRule {
            name: "laptop".into(),
            aliases: vec!["laptop".into(), "pavilion".into()],
            need: SkillNeed {
                skill: "hardware".into(),
                level: 1,
            },
        }],
        region_by_account: [("brand-de".to_string(), "emea".to_string())].into_iter().collect(),
        region_by_language: [(lang("pt"), "latam".to_string())].into_iter().collect(),
        sticky_days: 7,
        relax: vec![
            RelaxStep {
                after_secs: 600,
                relax: Relax::SecondaryLanguage,
            },
            RelaxStep {
                after_secs: 1200,
                relax: Relax::AnyRegion,
            },
        ],
        ..RoutingPolicy::default()
    }
}

#[test]
fn phone_numbers_are_found_in_any_usual_writing() {
    use super::requirements::phone_numbers;
    let table: [(&str, &[&str]); 7] = [
        ("call me on +55 (11) 91234-5678 please", &["+5511912345678"]),
        ("+49 30 1234567.", &["+49301234567"]),
        (
            "+1-800-555-0100 or +44 20 7946 0958",
            &["+18005550100", "+442079460958"],
        ),
        ("up +50% this year, score +3", &[]),
        ("a+5511912345678 is glued to a word", &[]),
        ("+ 55 11 91234 5678 (space after the plus)", &[]),
        ("+1234567890123456789 is too long", &[]),
    ];
    for (text, want) in table {
        assert_eq!(phone_numbers(text), want, "{text}");
    }
}

#[test]
fn region_comes_from_the_customers_country_first() {
    let mut p = policy();
    p.region_by_country = [
        ("BR".to_string(), "latam".to_string()),
        ("DE".to_string(), "emea".to_string()),
    ]
    .into();
    p.country_by_calling_code = [
        ("+55".to_string(), "BR".to_string()),
        ("+49".to_string(), "DE".to_string()),
    ]
    .into();
    let mut c = case();
    c.account = "brand-de".into();
    let with_text = |text: &str, at: i64| {
        let mut post = crate::post::tests::post(text);
        post.created_at = ts(at);
        post
    };
    // (posts, expected region, expected reason fragment)
    let table: Vec<(Vec<Post>, Option<&str>, &str)> = vec![
        (
            vec![with_text("my router is broken", 1)],
            Some("emea"),
            "account brand-de",
        ),
        (
            vec![with_text("my router is broken, call +55 11 91234 5678", 1)],
            Some("latam"),
            "phone +55… → country BR → region latam",
        ),
        (
            // The newest number wins: she moved.
            vec![
                with_text("call +55 11 91234 5678", 1),
                with_text("new number: +49 30 1234567", 2),
            ],
            Some("emea"),
            "country DE",
        ),
        (
            // A country with no region falls back to the account.
            vec![with_text("call +33 1 23 45 67 89", 1)],
            Some("emea"),
            "account brand-de",
        ),
    ];
    for (posts, region, why) in table {
        let r = requirements(&c, &posts, &p);
        assert_eq!(r.region.as_deref(), region, "{:?}", r.because);
        assert!(r.because.iter().any(|b| b.contains(why)), "{:?}", r.because);
    }
}

#[test]
fn a_full_channel_names_itself_in_the_explanation() {
    let mut a = agent("a", &["en"]);
    a.channel_capacity.insert(Channel::X, 1);
    a.take_load(Channel::X);
    let none: BTreeSet<Relax> = BTreeSet::new();
    let r = reqs(Some("en"), &[], None);
    let ask = Ask {
        requirements: &r,
        relaxed: &none,
        declined: &[],
        match_channel: true,
    };
    assert_eq!(
        exclusions(&a, &ask),
        vec![Exclusion::Capacity {
            load: 1,
            capacity: 1,
            channel: Some(Channel::X)
        }]
    );
    a.release_load(Channel::X);
    assert!(exclusions(&a, &ask).is_empty(), "released: room again");
    assert!(a.channel_load.is_empty(), "a channel at zero is not listed");
}

#[test]
fn every_exclusion() {
    let none: BTreeSet<Relax> = BTreeSet::new();
    let all: BTreeSet<Relax> = Relax::ALL.into_iter().collect();
    let base = agent("a", &["en"]);
    let with = |f: &dyn Fn(&mut Agent)| {
        let mut a = base.clone();
        f(&mut a);
        a
    };
    let r_en = reqs(Some("en"), &[], None);
    let r_es = reqs(Some("es"), &[], None);
    let r_skill = reqs(Some("en"), &[("billing", 2)], None);
    let r_region = reqs(Some("en"), &[], Some("emea"));
    // (agent, requirements, relaxations, declined, expected reasons)
    let declined = [aid("a")];
    let r_none = reqs(None, &[], None);
    let level: BTreeSet<Relax> = [Relax::AnySkillLevel].into();
    let skill: BTreeSet<Relax> = [Relax::AnySkill].into();
    let region: BTreeSet<Relax> = [Relax::AnyRegion].into();
    let channel: BTreeSet<Relax> = [Relax::AnyChannel].into();
    type Row<'a> = (
        Agent,
        &'a super::Requirements,
        &'a BTreeSet<Relax>,
        &'a [AgentId],
        Vec<&'a str>,
    );
    let table: Vec<Row<'_>> = vec![
        (base.clone(), &r_en, &none, &[], vec![]),
        (
            with(&|a| a.presence = Presence::Away),
            &r_en,
            &none,
            &[],
            vec!["presence"],
        ),
        (
            with(&|a| a.presence = Presence::Offline),
            &r_en,
            &none,
            &[],
            vec!["presence"],
        ),
        (with(&|a| a.load = 4), &r_en, &none, &[], vec!["capacity"]),
        // The case is on X: a full X limit excludes, a full limit of another channel does not.
        (
            with(&|a| {
                a.channel_capacity.insert(Channel::X, 1);
                a.take_load(Channel::X);
            }),
            &r_en,
            &all,
            &[],
            vec!["capacity"],
        ),
        (
            with(&|a| {
                a.channel_capacity.insert(Channel::Messenger, 1);
                a.take_load(Channel::Messenger);
            }),
            &r_en,
            &none,
            &[],
            vec![],
        ),
        (base.clone(), &r_es, &none, &[], vec!["language"]),
        (base.clone(), &r_es, &all, &[], vec!["language"]),
        (
            with(&|a| a.secondary_languages = vec![lang("es")]),
            &r_es,
            &none,
            &[],
            vec!["language"],
        ),
        (
            with(&|a| a.secondary_languages = vec![lang("es")]),
            &r_es,
            &all,
            &[],
            vec![],
        ),
        (base.clone(), &r_none, &none, &[], vec![]),
        (base.clone(), &r_skill, &none, &[], vec!["skill"]),
        (
            with(&|a| {
                a.skills.insert("billing".into(), 1);
            }),
            &r_skill,
            &none,
            &[],
            vec!["skill"],
        ),
        (
            with(&|a| {
                a.skills.insert("billing".into(), 2);
            }),
            &r_skill,
            &none,
            &[],
            vec![],
        ),
        (
            with(&|a| {
                a.skills.insert("billing".into(), 1);
            }),
            &r_skill,
            &level,
            &[],
            vec![],
        ),
        (base.clone(), &r_skill, &level, &[], vec!["skill"]),
        (base.clone(), &r_skill, &skill, &[], vec![]),
        (base.clone(), &r_region, &none, &[], vec![]),
        (
            with(&|a| a.regions = vec!["amer".into()]),
            &r_region,
            &none,
            &[],
            vec!["region"],
        ),
        (
            with(&|a| a.regions = vec!["emea".into()]),
            &r_region,
            &none,
            &[],
            vec![],
        ),
        (
            with(&|a| a.regions = vec!["amer".into()]),
            &r_region,
            &region,
            &[],
            vec![],
        ),
        (
            with(&|a| a.channels = vec![Channel::Facebook]),
            &r_en,
            &none,
            &[],
            vec!["channel"],
        ),
        (with(&|a| a.channels = vec![Channel::X]), &r_en, &none, &[], vec![]),
        (
            with(&|a| a.channels = vec![Channel::Facebook]),
            &r_en,
            &channel,
            &[],
            vec![],
        ),
        (base.clone(), &r_en, &all, &declined, vec!["declined"]),
    ];
    for (i, (a, r, relaxed, declined, want)) in table.into_iter().enumerate() {
        let ask = Ask {
            requirements: r,
            relaxed,
            declined,
            match_channel: true,
        };
        let got: Vec<&str> = exclusions(&a, &ask).iter().map(Exclusion::key).collect();
        assert_eq!(got, want, "row {i}");
    }
}

fn post_with(intent: Intent, text: &str) -> Post {
    let json = serde_json::json!({
        "id": "p1", "channel": "x", "account": "brand", "platform_id": "1",
        "author": {"id": "x:1", "handle": "h", "name": null, "followers": null, "verified": null},
        "text": text, "created_at": "2026-01-01T00:00:00Z", "received_at": "2026-01-01T00:00:00Z",
        "private": false, "direction": "inbound", "edits": [], "deleted": false,
        "classification": {"language": "en", "language_confidence": 1.0, "sentiment": "negative",
            "sentiment_score": -0.5, "intent": intent, "actionable": true, "spam": false,
            "urgent": false, "priority": "P3", "reasons": [], "model_version": "t"},
        "delivery": null, "recipient": null
    });
    serde_json::from_value(json).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn requirements_from_rules() {
    let p = policy();
    // (case language, account, post intent and text, expected skills, expected region)
    let table = [
        (Some("en"), "brand", Intent::Question, "hello", vec![], None),
        (
            Some("en"),
            "brand",
            Intent::Complaint,
            "you charged me twice",
            vec![("billing", 2)],
            None,
        ),
        (
            Some("en"),
            "brand",
            Intent::Question,
            "my Pavilion is dead",
            vec![("hardware", 1)],
            None,
        ),
        (
            Some("en"),
            "brand",
            Intent::Question,
            "laptops, plural, do not match",
            vec![],
            None,
        ),
        (
            Some("en"),
            "brand",
            Intent::Complaint,
            "laptop overcharged",
            vec![("billing", 2), ("hardware", 1)],
            None,
        ),
        (Some("pt"), "brand", Intent::Question, "olá", vec![], Some("latam")),
        (Some("pt"), "brand-de", Intent::Question, "olá", vec![], Some("emea")),
        (None, "brand", Intent::Question, "?", vec![], None),
    ];
    for (i, (language, account, intent, text, skills, region)) in table.into_iter().enumerate() {
        let mut c = case();
        c.language = language.map(lang);
        c.account = account.into();
        c.channel = Channel::X;
        let r = requirements(&c, &[post_with(intent, text)], &p);
        let want: std::collections::BTreeMap<String, u8> =
            skills.into_iter().map(|(s, l)| (s.to_string(), l)).collect();
        assert_eq!(r.skills, want, "row {i}");
        assert_eq!(r.region.as_deref(), region, "row {i}");
        assert_eq!(r.language, c.language, "row {i}");
        assert_eq!((r.channel, r.priority), (Channel::X, c.priority), "row {i}");
    }
    assert!(contains_word("Mein Laptop!", "laptop"));
    assert!(!contains_word("laptopbag", "laptop"));
}

fn ranked_ids(
    agents: &[Agent],
    r: &super::Requirements,
    waited: i64,
    sticky: Option<&AgentId>,
    declined: &[AgentId],
) -> Vec<String> {
    let s = Situation {
        requirements: r,
        declined,
        sticky,
        waited_secs: waited,
        now: ts(10_000),
        mode: Mode::Push,
        by: None,
    };
    rank(agents, &s, &policy())
        .ranked
        .iter()
        .map(|a| a.id.to_string())
        .collect()
}

#[test]
fn ranking_table() {
    let mk = |id: &str, load: u32, cap: u32, last: Option<i64>| {
        let mut a = agent(id, &["es"]);
        a.load = load;
        a.capacity = cap;
        a.last_assigned_at = last.map(ts);
        a
    };
    let agents = vec![
        mk("busy", 3, 3, None),
        mk("half", 2, 4, None),
        mk("light", 1, 4, Some(50)),
        mk("light-older", 1, 4, Some(10)),
    ];
    let r = reqs(Some("es"), &[], None);
    // least loaded share, then round robin (oldest last assignment), then id
    assert_eq!(ranked_ids(&agents, &r, 0, None, &[]), ["light-older", "light", "half"]);
    // stickiness puts an eligible sticky agent first
    assert_eq!(
        ranked_ids(&agents, &r, 0, Some(&aid("half")), &[]),
        ["half", "light-older", "light"]
    );
    // ...but not one without room
    assert_eq!(
        ranked_ids(&agents, &r, 0, Some(&aid("busy")), &[]),
        ["light-older", "light", "half"]
    );
    // a decline removes the agent for good
    assert_eq!(
        ranked_ids(&agents, &r, 0, None, &[aid("light-older")]),
        ["light", "half"]
    );
}

#[test]
fn relaxation_steps_table() {
    let mut primary_amer = agent("primary-amer", &["pt"]);
    primary_amer.regions = vec!["amer".into()];
    primary_amer.load = 3;
    let mut secondary_latam = agent("secondary-latam", &["en"]);
    secondary_latam.secondary_languages = vec![lang("pt")];
    secondary_latam.regions = vec!["latam".into()];
    let mut secondary_amer = agent("secondary-amer", &["en"]);
    secondary_amer.secondary_languages = vec![lang("pt")];
    secondary_amer.regions = vec!["amer".into()];
    let agents = vec![primary_amer, secondary_latam, secondary_amer];
    let r = reqs(Some("pt"), &[], Some("latam"));
    // (waited seconds, expected ranking): 10 min → secondary language; 20 min → any region,
    // with primary speakers still ahead of secondary ones.
    let table: [(i64, Vec<&str>); 4] = [
        (0, vec![]),
        (599, vec![]),
        (600, vec!["secondary-latam"]),
        (1200, vec!["primary-amer", "secondary-amer", "secondary-latam"]),
    ];
    for (waited, want) in table {
        assert_eq!(ranked_ids(&agents, &r, waited, None, &[]), want, "after {waited}s");
    }
}

#[test]
fn explanation_lists_ranked_then_excluded_with_reasons() {
    let mut away = agent("away", &["en"]);
    away.presence = Presence::Away;
    let agents = vec![agent("en", &["en"]), away, agent("de", &["de"])];
    let r = reqs(Some("en"), &[], None);
    let s = Situation {
        requirements: &r,
        declined: &[],
        sticky: None,
        waited_secs: 0,
        now: ts(1),
        mode: Mode::Push,
        by: None,
    };
    let d = rank(&agents, &s, &policy()).decision;
    assert_eq!(d.candidates_total, 3);
    assert_eq!(d.eligible_total, 1);
    assert_eq!(d.candidates[0].rank, Some(1));
    assert_eq!(d.candidates[0].language, LanguageFit::Primary);
    assert_eq!(d.excluded_by.get("presence"), Some(&1));
    assert_eq!(d.excluded_by.get("language"), Some(&1));
    let json = serde_json::to_value(&d).unwrap_or_default();
    assert_eq!(json["candidates"][1]["excluded"][0]["reason"], "presence");
    assert_eq!(json["candidates"][2]["excluded"][0]["reason"], "language");
}

#[test]
fn stickiness_window() {
    let mut prev = case();
    prev.id = CaseId::parse("case-prev").unwrap_or_else(|_| unreachable!());
    prev.assignee = Some(aid("ana"));
    prev.resolved_at = Some(ts(0));
    let this = case();
    let day = 86_400;
    // (now, window in days, expected sticky agent)
    for (now, days, want) in [(day, 7, Some("ana")), (8 * day, 7, None), (day, 0, None)] {
        assert_eq!(
            sticky_agent(&[prev.clone(), this.clone()], &this.id, ts(now), days).map(|a| a.to_string()),
            want.map(str::to_string),
            "now {now}, window {days}"
        );
    }
}

#[test]
fn index_gives_priority_then_age_within_what_the_agent_may_take() {
    let p = policy();
    let mut idx = WaitingIndex::new();
    let id = |s: &str| CaseId::parse(s).unwrap_or_else(|_| unreachable!());
    let with_prio = |mut r: super::Requirements, pr| {
        r.priority = pr;
        r
    };
    idx.insert(id("old-p3"), reqs(Some("en"), &[], None), ts(1), ts(1), vec![]);
    idx.insert(
        id("new-p1"),
        with_prio(reqs(Some("en"), &[], None), Priority::P1),
        ts(9),
        ts(9),
        vec![],
    );
    idx.insert(
        id("p1-billing"),
        with_prio(reqs(Some("en"), &[("billing", 1)], None), Priority::P1),
        ts(0),
        ts(0),
        vec![],
    );
    idx.insert(
        id("p1-de"),
        with_prio(reqs(Some("de"), &[], None), Priority::P1),
        ts(0),
        ts(0),
        vec![],
    );
    let en = agent("en", &["en"]);
    assert_eq!(idx.best_for(&en, &p, ts(10)).map(CaseId::as_str), Some("new-p1"));
    idx.insert(
        id("new-p1"),
        with_prio(reqs(Some("en"), &[], None), Priority::P1),
        ts(9),
        ts(9),
        vec![aid("en")],
    );
    assert_eq!(
        idx.best_for(&en, &p, ts(10)).map(CaseId::as_str),
        Some("old-p3"),
        "declined is skipped"
    );
    idx.remove(&id("old-p3"));
    idx.remove(&id("new-p1"));
    assert_eq!(idx.best_for(&en, &p, ts(10)), None);
    let mut de2 = agent("de2", &["fr"]);
    de2.secondary_languages = vec![lang("de")];
    assert_eq!(
        idx.best_for(&de2, &p, ts(10)),
        None,
        "secondary language before its step"
    );
    assert_eq!(idx.best_for(&de2, &p, ts(700)).map(CaseId::as_str), Some("p1-de"));
    assert_eq!(idx.len(), 2);
}
