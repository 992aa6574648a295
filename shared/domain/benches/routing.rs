//! One routing decision at scale: 1,000 agents and 10,000 waiting cases. Push = rank every
//! agent for one case (with its explanation); pull = the best waiting case for one agent from
//! the waiting index. Goal: well under a millisecond each.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::Timestamp;
use socialcare_domain::routing::index::WaitingIndex;
use socialcare_domain::routing::{Mode, Relax, RelaxStep, Requirements, RoutingPolicy, Situation, rank};
use socialcare_domain::{Agent, AgentId, CaseId, Channel, Language, Presence, Priority, Role};
use std::hint::black_box;

const LANGS: [&str; 5] = ["en", "es", "pt", "fr", "de"];
const SKILLS: [&str; 4] = ["billing", "hardware", "software", "shipping"];
const REGIONS: [&str; 3] = ["amer", "emea", "latam"];

fn ts(s: i64) -> Timestamp {
    Timestamp::from_second(1_767_225_600 + s).unwrap()
}

fn agents(n: usize) -> Vec<Agent> {
    (0..n)
        .map(|i| Agent {
            id: AgentId::parse(format!("agent-{i:04}")).unwrap(),
            name: format!("Agent {i}"),
            languages: vec![Language::parse(LANGS[i % 5]).unwrap()],
            skills: [(SKILLS[i % 4].to_string(), u8::try_from(1 + i % 3).unwrap())]
                .into_iter()
                .collect(),
            capacity: 5,
            presence: if i % 10 == 0 { Presence::Away } else { Presence::Online },
            role: Role::Agent,
            load: u32::try_from(i % 6).unwrap(),
            last_assigned_at: Some(ts(i64::try_from(i).unwrap())),
            tokens_valid_after: None,
            secondary_languages: vec![Language::parse(LANGS[(i + 1) % 5]).unwrap()],
            regions: vec![REGIONS[i % 3].to_string()],
            channels: vec![],
            channel_capacity: Default::default(),
            channel_load: Default::default(),
            triage: false,
        })
        .collect()
}

fn requirements(i: usize) -> Requirements {
    Requirements {
        language: Some(Language::parse(LANGS[i % 5]).unwrap()),
        skills: [(SKILLS[i % 4].to_string(), u8::try_from(1 + i % 2).unwrap())]
            .into_iter()
            .collect(),
        region: Some(REGIONS[i % 3].to_string()),
        channel: Channel::X,
        priority: Priority::ALL[i % 4],
        because: vec![],
        products: vec![],
    }
}

fn policy() -> RoutingPolicy {
    RoutingPolicy {
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

fn bench(c: &mut Criterion) {
    let policy = policy();
    let agents = agents(1_000);
    let mut index = WaitingIndex::new();
    for i in 0..10_000 {
        let at = ts(i64::try_from(i).unwrap());
        index.insert(
            CaseId::parse(format!("case-{i:05}")).unwrap(),
            requirements(i),
            at,
            at,
            vec![],
        );
    }
    let reqs = requirements(7);
    let now = ts(20_000);
    c.bench_function("push: rank 1,000 agents for one case, with explanation", |b| {
        b.iter(|| {
            let s = Situation {
                requirements: &reqs,
                declined: &[],
                sticky: None,
                waited_secs: 900,
                now,
                mode: Mode::Push,
                by: None,
            };
            black_box(rank(black_box(&agents), &s, &policy).ranked.len())
        });
    });
    let mut i = 0;
    c.bench_function("pull: best of 10,000 waiting cases for one agent", |b| {
        b.iter(|| {
            i = (i + 1) % agents.len();
            black_box(index.best_for(black_box(&agents[i]), &policy, now))
        });
    });
    c.bench_function("pull: build the index of 10,000 waiting cases", |b| {
        b.iter(|| {
            let mut idx = WaitingIndex::new();
            for i in 0..10_000 {
                let at = ts(i64::try_from(i).unwrap());
                idx.insert(
                    CaseId::parse(format!("case-{i:05}")).unwrap(),
                    requirements(i),
                    at,
                    at,
                    vec![],
                );
            }
            black_box(idx.len())
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
