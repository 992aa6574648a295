//! The threading decision for one post with the state in memory (`ThreadService::apply` on the
//! memory backend): a known customer's post joining their active case, a stranger's chatter kept
//! for analytics, a first request opening a case. 1,000 customers with an active case each.
//! And the suggestions for a case's customer (an order number's one-typo variants and the
//! display name's keys looked up) among those customers, each with an order number and a name.

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::Timestamp;
use socialcare_domain::ports::SystemClock;
use socialcare_domain::services::suggest::SuggestionService;
use socialcare_domain::services::thread::ThreadService;
use socialcare_domain::*;
use socialcare_memory::{MemoryBus, MemoryQueue, MemoryStore, QueueConfig};
use socialcare_testkit::sample;
use std::hint::black_box;
use std::sync::Arc;

const CUSTOMERS: u64 = 1_000;

fn post(n: u64, author: u64, actionable: bool) -> Post {
    let mut post = sample::post(
        &format!("generic:forum:p{n}"),
        &format!("generic:forum:u{author}"),
        Timestamp::now(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    post.classification = Some(sample::classification(actionable));
    post.text = format!("order #{} please", 10_000_000 + author);
    post.author.name = Some(format!("Customer Number{author}"));
    post
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let store = Arc::new(MemoryStore::new());
    let cases = Arc::new(MemoryQueue::new(QueueConfig::new("cases", false)));
    let bus = Arc::new(MemoryBus::new().with(Stream::Cases, cases));
    let thread = ThreadService::new(
        store.clone(),
        store.clone(),
        store.clone(),
        bus,
        Arc::new(SystemClock),
        "general".into(),
    );
    let apply = |p: Post| rt.block_on(thread.apply(PostChange::Created { post: Box::new(p) }));
    for customer in 0..CUSTOMERS {
        apply(post(customer, customer, true)).unwrap_or_else(|e| panic!("{e}"));
    }
    let mut n = CUSTOMERS;
    c.bench_function("thread: a known customer's post joins their active case", |b| {
        b.iter(|| {
            n += 1;
            black_box(apply(post(n, n % CUSTOMERS, true)))
        })
    });
    c.bench_function("thread: a stranger's chatter is kept for analytics", |b| {
        b.iter(|| {
            n += 1;
            black_box(apply(post(n, 1_000_000 + n, false)))
        })
    });
    let suggest = SuggestionService::new(store.clone());
    let someone = rt
        .block_on(socialcare_domain::ports::CustomerStore::customer_of(
            store.as_ref(),
            &post(0, 7, true).author.id,
        ))
        .ok()
        .flatten()
        .and_then(|id| {
            rt.block_on(socialcare_domain::ports::CustomerStore::get(store.as_ref(), &id))
                .ok()
                .flatten()
        })
        .unwrap_or_else(|| panic!("customer 7"));
    assert!(
        !someone.identifiers.is_empty(),
        "the bench customer wrote an order number"
    );
    c.bench_function("suggest: a customer's typo variants and name keys looked up", |b| {
        b.iter(|| black_box(rt.block_on(suggest.for_customer(&someone, Timestamp::now()))))
    });
    c.bench_function("thread: a first request opens a case", |b| {
        b.iter(|| {
            n += 1;
            black_box(apply(post(n, 2_000_000 + n, true)))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
