//! `care eval` and `care train`: triage measured on every suite apart (the team's set, the
//! team's hold-out, and the external corpora's measure-only splits), and the model trained
//! from the corpus manifest, reproducibly, refused when it is worse than the shipped one.

use anyhow::Context as _;
use clap::Args;
use socialcare_classify::model::corpus::{Comparison, Corpus, train_on};
use socialcare_classify::model::train::TrainConfig;
use socialcare_classify::{ClassifyConfig, EvalReport, Labelled, RuleClassifier, evaluate, load_eval_set};
use std::path::{Path, PathBuf};

/// Where `scripts/corpora.sh` leaves the external corpora.
pub const CORPORA_DIR: &str = "target/corpora";
/// The corpus manifest and the shipped model.
pub const CORPUS_MANIFEST: &str = "shared/classify/model/corpus.toml";
pub const SHIPPED_MODEL: &str = "shared/classify/model/triage.scm";
/// HP's volume, the reference for the size of the review band.
const POSTS_PER_MONTH: f64 = 25_000.0;

#[derive(Args)]
pub struct EvalArgs {
    /// A labelled set, one JSON object a line (`shared/classify/eval/README.md`). Without it,
    /// every suite: the team's set, its hold-out, and each external measure-only split found
    /// under target/corpora (fetched by `scripts/corpora.sh`).
    pub file: Option<PathBuf>,
    /// The configuration whose `[classify]` rules are evaluated.
    #[arg(long, default_value = "care.toml", env = "CARE_CONFIG")]
    pub config: PathBuf,
    /// Also list every wrong answer (id, field, expected, got, text) — of named files only:
    /// the measure-only splits are never listed.
    #[arg(long)]
    pub misses: bool,
    /// Print the reports as JSON instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Rules alone, without the learned model (to see what the model adds).
    #[arg(long)]
    pub rules_only: bool,
}

#[derive(Args)]
pub struct TrainArgs {
    /// The corpus manifest.
    #[arg(long, default_value = CORPUS_MANIFEST)]
    pub corpus: PathBuf,
    /// Corrections exported from a deployment (`GET /v1/labels?format=jsonl`), learned from
    /// beside the corpus, each counting three times.
    #[arg(long)]
    pub with_corrections: Option<PathBuf>,
    /// Where the model is written.
    #[arg(long, default_value = SHIPPED_MODEL)]
    pub out: PathBuf,
    /// Write the model even when it scores worse than the current one.
    #[arg(long)]
    pub force: bool,
    /// Only check that training reproduces the file at --out byte for byte.
    #[arg(long)]
    pub check: bool,
    /// Tune instead of train: learn from four fifths of each input and print the figures on
    /// the fifth left out (a development split of the training data: the measure-only suites
    /// are not touched). Writes nothing.
    #[arg(long)]
    pub dev: bool,
    /// Training settings (defaults: the ones the shipped model was trained with).
    #[arg(long)]
    pub epochs: Option<usize>,
    #[arg(long)]
    pub rule_dropout: Option<f32>,
    #[arg(long)]
    pub learning_rate: Option<f32>,
    #[arg(long)]
    pub bits: Option<u32>,
}

/// The suites `care eval` reports, in order: (name, path, measure-only).
pub fn suites(root: &Path) -> Vec<(String, PathBuf, bool)> {
    let mut out = vec![
        ("team".to_string(), root.join("shared/classify/eval/posts.jsonl"), false),
        (
            "team-holdout".to_string(),
            root.join("shared/classify/eval/holdout.jsonl"),
            true,
        ),
    ];
    let mut external: Vec<PathBuf> = std::fs::read_dir(root.join(CORPORA_DIR))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".measure.jsonl"))
        .collect();
    external.sort();
    for p in external {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().trim_end_matches(".measure.jsonl").to_string())
            .unwrap_or_default();
        out.push((name, p, true));
    }
    out
}

fn load(path: &Path) -> anyhow::Result<Vec<Labelled>> {
    load_eval_set(path).map_err(|e| anyhow::anyhow!("{e}"))
}

/// One line per suite: the figures it can measure.
pub fn summary_line(name: &str, r: &EvalReport) -> String {
    let g = &r.all;
    let pct = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{:.1}%", v * 100.0));
    let two = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.2}"));
    format!(
        "{name:<16} {:>5} {:>8} {:>9} {:>5}/{:<5} {:>5}/{:<5} {:>6} {:>7}",
        g.posts,
        pct(g.language_accuracy()),
        pct(g.sentiment_accuracy()),
        two(g.actionable.precision()),
        two(g.actionable.recall()),
        two(g.spam.precision()),
        two(g.spam.recall()),
        two(g.urgent.recall()),
        r.review,
    )
}

pub fn eval(args: EvalArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.config).with_context(|| format!("reading {}", args.config.display()))?;
    let mut classifier = crate::stack::rule_classifier(&args.config.display().to_string(), &text)?;
    if args.rules_only {
        classifier = classifier.with_model(None);
    }
    if let Some(file) = &args.file {
        let set = load(file)?;
        let report = evaluate(&classifier, &set);
        if args.json {
            println!("{}", serde_json::to_string_pretty(&report)?);
            return Ok(());
        }
        println!("{report}");
        if args.misses {
            println!("wrong answers ({}):", report.misses.len());
            for m in &report.misses {
                let text = set.iter().find(|s| s.id == m.id).map_or("", |s| s.text.as_str());
                println!(
                    "  {:<8} {:<10} expected {:<8} got {:<8} {text}",
                    m.id, m.field, m.expected, m.got
                );
            }
        }
        return Ok(());
    }
    let all = suites(Path::new("."));
    if all.len() <= 2 {
        eprintln!("note: no external corpora under {CORPORA_DIR}; fetch them with `bash scripts/corpora.sh`");
    }
    let mut reports = Vec::new();
    for (name, path, measure) in &all {
        let report = evaluate(&classifier, &load(path)?);
        reports.push((name.clone(), *measure, report));
    }
    if args.json {
        let obj: serde_json::Map<String, serde_json::Value> = reports
            .iter()
            .map(|(n, _, r)| Ok((n.clone(), serde_json::to_value(r)?)))
            .collect::<anyhow::Result<_>>()?;
        println!("{}", serde_json::to_string_pretty(&obj)?);
        return Ok(());
    }
    println!("model {}", classifier.model_version());
    println!(
        "{:<16} {:>5} {:>8} {:>9} {:>11} {:>11} {:>6} {:>7}",
        "suite", "posts", "lang≥3w", "sentiment", "act P/R", "spam P/R", "urg R", "review"
    );
    let (mut posts, mut review) = (0usize, 0usize);
    for (name, measure, r) in &reports {
        let tag = if *measure {
            name.clone()
        } else {
            format!("{name} (tuned)")
        };
        println!("{}", summary_line(&tag, r));
        posts += r.all.posts;
        review += r.review;
    }
    let share = if posts == 0 { 0.0 } else { review as f64 / posts as f64 };
    println!(
        "\nreview band: {review} of {posts} posts ({:.1}%) opened no case and were listed for triage; \
         at {POSTS_PER_MONTH:.0} posts a month that is about {:.0} posts a day for a person",
        share * 100.0,
        share * POSTS_PER_MONTH / 30.0
    );
    Ok(())
}

/// Trains on four fifths of every input and prints the figures on the fifth left out.
fn dev(
    rules: &RuleClassifier,
    corpus: &Corpus,
    sets: Vec<(Vec<Labelled>, f32)>,
    cfg: &TrainConfig,
) -> anyhow::Result<()> {
    let held = |l: &Labelled| {
        l.id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        }) % 5
            == 0
    };
    let mut learn = Vec::new();
    let mut check = Vec::new();
    for (set, w) in sets {
        let (d, t): (Vec<Labelled>, Vec<Labelled>) = set.into_iter().partition(held);
        learn.push((t, w));
        check.push(d);
    }
    let model = train_on(rules, &learn, cfg);
    let classifier = rules_only()?.with_model(Some(model));
    println!("dev split (a fifth of each training input), {cfg:?}");
    let names = corpus
        .inputs
        .iter()
        .map(|i| i.path.rsplit('/').next().unwrap_or("").to_string());
    for (name, set) in names.chain(std::iter::once("corrections".into())).zip(&check) {
        println!("{}", summary_line(&name, &evaluate(&classifier, set)));
    }
    Ok(())
}

/// The rules the model is trained against: the built-in rules, without a model.
fn rules_only() -> anyhow::Result<RuleClassifier> {
    let mut config = ClassifyConfig::default();
    config.model.enabled = false;
    RuleClassifier::new(config).map_err(|e| anyhow::anyhow!("{e}"))
}

pub fn train(args: TrainArgs) -> anyhow::Result<()> {
    let manifest =
        std::fs::read_to_string(&args.corpus).with_context(|| format!("reading {}", args.corpus.display()))?;
    let corpus: Corpus = toml::from_str(&manifest).with_context(|| format!("{}", args.corpus.display()))?;
    let rules = rules_only()?;
    let mut sets = Vec::new();
    for input in &corpus.inputs {
        let path = PathBuf::from(&input.path);
        if !path.exists() {
            match &input.fetched_by {
                Some(script) => anyhow::bail!("{} is missing: run `bash {script}` first", input.path),
                None => anyhow::bail!("{} is missing", input.path),
            }
        }
        let mut set = load(&path)?;
        if let Some(n) = input.limit {
            set.truncate(n);
        }
        println!(
            "learning from {:<48} {:>6} examples × {}",
            input.path,
            set.len(),
            input.weight
        );
        sets.push((set, input.weight));
    }
    if let Some(file) = &args.with_corrections {
        let set = load(file)?;
        println!("learning from {:<48} {:>6} corrections × 3", file.display(), set.len());
        sets.push((set, 3.0));
    }
    let defaults = TrainConfig::default();
    let cfg = TrainConfig {
        epochs: args.epochs.unwrap_or(defaults.epochs),
        rule_dropout: args.rule_dropout.unwrap_or(defaults.rule_dropout),
        learning_rate: args.learning_rate.unwrap_or(defaults.learning_rate),
        bits: args.bits.unwrap_or(defaults.bits),
        ..defaults
    };
    if args.dev {
        return dev(&rules, &corpus, sets, &cfg);
    }
    let model = train_on(&rules, &sets, &cfg);
    let bytes = model.to_bytes();
    println!("trained {} ({} KiB)", model.version(), bytes.len() / 1024);
    let current_bytes = std::fs::read(&args.out).unwrap_or_default();
    if args.check {
        anyhow::ensure!(
            current_bytes == bytes,
            "training does not reproduce {} (run `care train` and commit the model)",
            args.out.display()
        );
        println!("{} is reproduced byte for byte", args.out.display());
        return Ok(());
    }
    if let Ok(current) = socialcare_classify::model::Model::from_bytes(&current_bytes) {
        let measure: Vec<(String, Vec<Labelled>)> = suites(Path::new("."))
            .into_iter()
            .filter(|(_, _, m)| *m)
            .map(|(n, p, _)| Ok((n, load(&p)?)))
            .collect::<anyhow::Result<_>>()?;
        let now = rules_only()?.with_model(Some(current.clone()));
        let next = rules_only()?.with_model(Some(model.clone()));
        let cmp = Comparison::of(&now, &next, &measure);
        println!(
            "\nmeasure-only suites: mean figure, current {} vs new {}",
            current.version(),
            model.version()
        );
        for (suite, (a, b)) in &cmp.suites {
            println!("  {suite:<16} {:>6.1}% → {:>6.1}%", a * 100.0, b * 100.0);
        }
        if !cmp.candidate_is_no_worse() && !args.force {
            anyhow::bail!("the new model scores worse than the current one: not written (--force to write it anyway)");
        }
    }
    std::fs::write(&args.out, &bytes).with_context(|| format!("writing {}", args.out.display()))?;
    println!("wrote {}", args.out.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    #[test]
    fn eval_reads_the_repo_set_with_the_repo_config_and_names_a_bad_file() {
        let args = |file: PathBuf| EvalArgs {
            file: Some(file),
            config: root().join("care.toml"),
            misses: true,
            json: true,
            rules_only: false,
        };
        assert!(eval(args(root().join("shared/classify/eval/holdout.jsonl"))).is_ok());
        let missing = eval(args(root().join("no-such-set.jsonl")));
        assert!(missing.is_err_and(|e| e.to_string().contains("no-such-set.jsonl")));
    }

    #[test]
    fn the_suites_are_the_team_sets_then_every_measure_split() {
        let dir = std::env::temp_dir().join(format!("care-suites-{}", std::process::id()));
        std::fs::create_dir_all(dir.join(CORPORA_DIR)).unwrap_or_else(|e| panic!("{e}"));
        for f in ["b.measure.jsonl", "a.measure.jsonl", "a.train.jsonl"] {
            std::fs::write(dir.join(CORPORA_DIR).join(f), "").unwrap_or_else(|e| panic!("{e}"));
        }
        let names: Vec<(String, bool)> = suites(&dir).into_iter().map(|(n, _, m)| (n, m)).collect();
        assert_eq!(
            names,
            [("team", false), ("team-holdout", true), ("a", true), ("b", true)].map(|(n, m)| (n.to_string(), m))
        );
        std::fs::remove_dir_all(dir).ok();
    }
}
