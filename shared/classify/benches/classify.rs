//! Classification throughput (goal: ≥ 20,000 posts per second per core for a typical post)
//! and the cold-start cost of building the classifier (lingua's models load on first build).
//!
//! `cargo bench -p socialcare-classify` — the cold-start figures are printed first, measured
//! once in a fresh process before criterion starts (the models are process-wide, so only the
//! first build pays for them, as a Lambda cold start does).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use socialcare_classify::{ClassifyConfig, RuleClassifier, load_eval_set};
use socialcare_domain::Post;
use socialcare_domain::ports::Classifier;
use std::hint::black_box;
use std::sync::OnceLock;
use std::time::Instant;

#[path = "../tests/common/mod.rs"]
mod common;

fn post(text: &str) -> Post {
    common::post(text, Some(1_200))
}

/// Built once, timed: the first build in the process loads the language models.
fn classifier() -> &'static RuleClassifier {
    static C: OnceLock<RuleClassifier> = OnceLock::new();
    C.get_or_init(|| {
        let start = Instant::now();
        let c = RuleClassifier::new(ClassifyConfig::default()).unwrap_or_else(|e| panic!("{e}"));
        let built = start.elapsed();
        let start = Instant::now();
        let _ = c.classify(&post("first post after a cold start, is anything slow here?"));
        eprintln!("cold start: RuleClassifier::new (lexicons + lingua models, warmed up) {built:?}; first classification {:?}", start.elapsed());
        c
    })
}

const TYPICAL: &str =
    "@AcmeHelp my Acme Book won't turn on since this morning and I have an exam tomorrow, please help!";
const TYPICAL_ES: &str = "@AcmeES mi Acme P20 se reinicia cada pocos minutos desde la actualización, ¿qué hago?";
/// Too few function words for the fast path: lingua decides.
const AMBIGUOUS: &str = "Acme P20 camera amazing 📸";

fn bench(c: &mut Criterion) {
    let classifier = classifier();
    let start = Instant::now();
    let warm = RuleClassifier::new(ClassifyConfig::default()).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("warm rebuild (models already loaded): {:?}", start.elapsed());
    drop(warm);
    let start = Instant::now();
    let model = socialcare_classify::model::Model::shipped().unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "triage model load (inflate + interleave, the cold start's share): {:?}",
        start.elapsed()
    );
    drop(model);
    c.bench_function("model_load", |b| {
        b.iter(|| socialcare_classify::model::Model::shipped().unwrap_or_else(|e| panic!("{e}")))
    });
    let mut config = ClassifyConfig::default();
    config.model.enabled = false;
    let rules_only = RuleClassifier::new(config).unwrap_or_else(|e| panic!("{e}"));

    let mut g = c.benchmark_group("classify");
    g.throughput(Throughput::Elements(1));
    for (name, text) in [
        ("typical_en", TYPICAL),
        ("typical_es", TYPICAL_ES),
        ("lingua_path", AMBIGUOUS),
    ] {
        let p = post(text);
        g.bench_function(name, |b| b.iter(|| classifier.classify(black_box(&p))));
        g.bench_function(format!("{name}_rules_only"), |b| {
            b.iter(|| rules_only.classify(black_box(&p)))
        });
    }
    g.finish();

    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("eval/posts.jsonl");
    let posts: Vec<Post> = load_eval_set(dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .iter()
        .map(|l| l.to_post())
        .collect();
    let mut g = c.benchmark_group("eval_set");
    g.throughput(Throughput::Elements(posts.len() as u64));
    g.bench_function("all_posts", |b| {
        b.iter(|| {
            for p in &posts {
                black_box(classifier.classify(black_box(p)));
            }
        })
    });
    g.finish();

    c.bench_function("skills_for", |b| b.iter(|| classifier.skills_for(black_box(TYPICAL))));
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(4));
    targets = bench
}
criterion_main!(benches);
