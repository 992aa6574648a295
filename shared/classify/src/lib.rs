//! Classification of posts: language, sentiment, intent, actionable/spam, urgency and
//! priority with reasons — the rules behind the `classify` function.
//!
//! Pure and synchronous: no I/O, no clock, no AWS. Depends on `socialcare-domain` (the
//! `Classifier` port and its types) and `lingua` (language models compiled in); only the
//! `classify` function and the local stack link it.
//!
//! ```
//! use socialcare_classify::{ClassifyConfig, RuleClassifier};
//! let classifier = RuleClassifier::new(ClassifyConfig::default()).map_err(|e| e.to_string())?;
//! assert_eq!(classifier.skills_for("my Acme Book won't turn on"), ["laptops"]);
//! # Ok::<(), String>(())
//! ```
//!
//! The `[classify]` section of the configuration file deserializes into [`ClassifyConfig`]:
//!
//! ```toml
//! [classify]
//! languages = ["en", "es", "pt", "fr", "de"]
//! default_language = "en"
//! accounts = { AcmeES = "es", AcmeBR = "pt" }     # our account → fallback language
//! our_handles = ["Acme", "AcmeHelp"]
//! brand_domains = ["acme.com"]
//! competitors = ["Globex", "Initech"]
//! vip_authors = ["x:12345", "@bigcustomer"]
//!
//! [[classify.products]]
//! name = "Acme Book"
//! aliases = ["acmebook", "book pro"]
//! skill = "laptops"
//!
//! [classify.keywords.en]                           # added to the built-in lists
//! problem = ["bluescreen", "stuck on logo"]
//! negative = ["shambles:3"]
//!
//! [classify.detection]
//! min_confidence = 0.3
//!
//! [classify.spam]
//! threshold = 4.0
//! patterns = ["free followers:3"]
//!
//! [classify.priority]
//! vip = 40
//! followers = [{ min = 1000, points = 10 }, { min = 10000, points = 25 }]
//! p1 = 70
//! p2 = 45
//! p3 = 20
//! ```

mod classifier;
mod config;
mod duplicate;
mod eval;
mod language;
mod lexicon;
pub mod model;
mod rules;
mod text;

pub use classifier::{ClassifyError, Context, RULES_VERSION, RuleClassifier};
pub use config::{
    ClassifyConfig, ConfigError, DetectionConfig, FollowerTier, KeywordLists, ModelConfig, PriorityWeights,
    ProductRule, SUPPORTED_LANGUAGES, SpamConfig,
};
pub use duplicate::{DuplicateTextTracker, TRACKED_TEXTS, TrackingClassifier};
pub use eval::{Binary, EvalError, EvalReport, GroupStats, Labelled, Miss, evaluate, load_eval_set, parse_eval_set};
pub use lexicon::TermError;
pub use text::{MAX_ANALYZED_CHARS, sanitize, word_count};
