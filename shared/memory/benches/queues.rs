//! The supervisors' queue view on the memory backend (`GET /v1/queues`): 20,000 cases waiting
//! (the backlog of the load runs) among 40,000. `waiting_cases` counts them under the store's
//! lock without copying a case; `list(waiting)` is what the view read before (every waiting
//! case cloned, history and all, under the same lock, while every consumer waits for it).

use criterion::{Criterion, criterion_group, criterion_main};
use socialcare_domain::ports::{CaseQuery, CaseStore};
use socialcare_domain::{AgentId, CaseEvent, CaseEventKind};
use socialcare_memory::MemoryStore;
use socialcare_testkit::sample;
use std::hint::black_box;

const CASES: u64 = 40_000;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let store = MemoryStore::new();
    for n in 0..CASES {
        let mut case = sample::case(&format!("case-q{n}"), &format!("cus-q{n}"), sample::at(n as i64))
            .unwrap_or_else(|e| panic!("{e}"));
        case.queue = ["default", "billing", "devices"][(n % 3) as usize].into();
        // Half of them taken by an agent: not waiting.
        if n % 2 == 1 {
            case.assignee = Some(AgentId::parse("agent-q").unwrap_or_else(|e| panic!("{e}")));
        }
        // A case carries its history: a few events each, as in the pipeline.
        for i in 0..4 {
            case.history.push(CaseEvent {
                at: case.created_at,
                kind: CaseEventKind::PostAdded {
                    post_id: sample::post_id(&format!("generic:forum:q{n}-{i}")).unwrap_or_else(|e| panic!("{e}")),
                },
                actor: socialcare_domain::Actor::Customer,
            });
        }
        rt.block_on(store.create(&case)).unwrap_or_else(|e| panic!("{e}"));
    }
    let mut g = c.benchmark_group("queues_20k_waiting");
    g.bench_function("waiting_cases", |b| {
        b.iter(|| black_box(rt.block_on(store.waiting_cases()).map(|w| w.len())))
    });
    g.bench_function("list_waiting_before", |b| {
        b.iter(|| black_box(rt.block_on(store.list(&CaseQuery::waiting())).map(|w| w.len())))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
