//! Throughput of the trend detector on one core: posts of the generated firehose mix (five
//! languages, products, problems, chatter) through `Detector::observe`, buckets closing as
//! time passes. `cargo bench -p socialcare-trends`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use socialcare_trends::Detector;
use socialcare_trends::eval::{config_for, scenarios};
use socialcare_trends::sim::{FIREHOSE_PER_SEC, SimPost, Stream};
use std::hint::black_box;

fn observe(c: &mut Criterion) {
    let posts: Vec<SimPost> = Stream::new(scenarios::firehose(7, 200_000)).take(100_000).collect();
    let mut group = c.benchmark_group("trends");
    group.throughput(Throughput::Elements(posts.len() as u64));
    group.sample_size(10);
    group.bench_function("observe 100k firehose posts", |b| {
        b.iter_batched(
            || Detector::new(config_for(FIREHOSE_PER_SEC)).unwrap_or_else(|e| panic!("{e:?}")),
            |mut d| {
                for p in &posts {
                    black_box(d.observe(&p.observation()));
                }
                d
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, observe);
criterion_main!(benches);
