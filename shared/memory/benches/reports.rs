//! Report reads on the memory backend over a year of HP-sized traffic: 10,000 cases a month
//! (from 25,000 posts a month), 120,000 rows, each case answered, most resolved, some reopened,
//! on five channels, four queues and forty agents. Measured: the year's report grouped by
//! agent (the rows read by day and summarized: medians and p90s of three measures in two
//! clocks), the same by channel, a month, and the rows of the year for the export.

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::{SignedDuration, Timestamp};
use socialcare_domain::case::{Actor, CaseEvent, CaseEventKind};
use socialcare_domain::ports::ReportStore;
use socialcare_domain::reports::{ReportBy, ReportRow, summarize};
use socialcare_domain::*;
use socialcare_memory::MemoryStore;
use socialcare_testkit::sample;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;

const CASES_PER_MONTH: u64 = 10_000;
const MONTHS: u64 = 12;

fn at(s: &str) -> Timestamp {
    s.parse().unwrap_or_else(|e| panic!("{e}"))
}

/// The `n`th case of the year: spread evenly over it, answered after a few minutes, resolved
/// (nine in ten) after hours, reopened (one in twenty).
fn case(n: u64, start: Timestamp, every: SignedDuration) -> Case {
    let created = start + every * i32::try_from(n).unwrap_or(i32::MAX);
    let mut c = sample::case(&format!("case-{n}"), &format!("cus-{n}"), created).unwrap_or_else(|e| panic!("{e}"));
    c.channel = Channel::ALL[(n % 5) as usize];
    c.queue = ["general", "billing", "hardware", "vip"][(n % 4) as usize].into();
    c.priority = Priority::ALL[(n % 4) as usize];
    let agent = sample::agent_id(&format!("agent-{}", n % 40)).unwrap_or_else(|e| panic!("{e}"));
    let minutes = |m: u64| created + SignedDuration::from_mins(i64::try_from(m).unwrap_or(0));
    c.history.push(CaseEvent {
        at: minutes(1),
        actor: Actor::System,
        kind: CaseEventKind::Assigned {
            agent_id: agent.clone(),
        },
    });
    c.assignee = Some(agent);
    let mut first = SlaClock::new(Target::FirstResponse, created, minutes(60));
    first.met_at = Some(minutes(5 + n % 90));
    c.first_response_at = first.met_at;
    let mut next = SlaClock::new(Target::NextResponse, minutes(120), minutes(180));
    next.cycle = 1;
    next.met_at = Some(minutes(130 + n % 30));
    c.sla = vec![first, next];
    if !n.is_multiple_of(10) {
        let mut resolution = SlaClock::new(Target::Resolution, created, minutes(24 * 60));
        resolution.met_at = Some(minutes(240 + n % 600));
        c.resolved_at = resolution.met_at;
        c.sla.push(resolution);
        c.status = CaseStatus::Resolved;
        c.history.push(CaseEvent {
            at: minutes(240),
            actor: Actor::System,
            kind: CaseEventKind::StatusChanged {
                from: CaseStatus::Open,
                to: CaseStatus::Resolved,
            },
        });
    }
    if n % 20 == 1 {
        c.history.push(CaseEvent {
            at: minutes(2000),
            actor: Actor::Customer,
            kind: CaseEventKind::StatusChanged {
                from: CaseStatus::Resolved,
                to: CaseStatus::Open,
            },
        });
    }
    let sentiments = [Sentiment::Negative, Sentiment::Neutral, Sentiment::Positive];
    c.facts
        .note_customer_post(Intent::Problem, sentiments[(n % 3) as usize]);
    c.facts
        .note_customer_post(Intent::Problem, sentiments[(n / 3 % 3) as usize]);
    c
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let store = Arc::new(MemoryStore::new());
    let policy = SlaPolicy::first_response_only(BTreeMap::new());
    let start = at("2025-01-01T00:00:00Z");
    let end = at("2026-01-01T00:00:00Z");
    let total = CASES_PER_MONTH * MONTHS;
    let every = SignedDuration::from_secs(365 * 24 * 3600 / i64::try_from(total).unwrap_or(1));
    for n in 0..total {
        let row = ReportRow::of(&case(n, start, every), &policy);
        rt.block_on(store.put_report_row(&row))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let year = |by: ReportBy| {
        let rows = rt
            .block_on(store.report_rows(start, end))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rows.len() as u64, total);
        summarize(&rows, by)
    };
    c.bench_function("reports: a year (120,000 cases) by agent", |b| {
        b.iter(|| black_box(year(ReportBy::Agent)))
    });
    c.bench_function("reports: a year (120,000 cases) by channel", |b| {
        b.iter(|| black_box(year(ReportBy::Channel)))
    });
    let june = (at("2025-06-01T00:00:00Z"), at("2025-07-01T00:00:00Z"));
    c.bench_function("reports: a month (10,000 cases) by queue", |b| {
        b.iter(|| {
            let rows = rt
                .block_on(store.report_rows(june.0, june.1))
                .unwrap_or_else(|e| panic!("{e}"));
            black_box(summarize(&rows, ReportBy::Queue))
        })
    });
    c.bench_function("reports: the rows of a year (120,000), for the export", |b| {
        b.iter(|| black_box(rt.block_on(store.report_rows(start, end))))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
