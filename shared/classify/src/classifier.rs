//! [`RuleClassifier`]: the `Classifier` port implemented by rules, a lexicon and `lingua`.
//! Deterministic (same post, context and configuration → same classification), no I/O,
//! no panics on any text.

use crate::config::{ClassifyConfig, ConfigError};
use crate::language::{Detected, Detector, FallbackReason, Method};
use crate::lexicon::{Category, FastMap, TermIndex, builtin};
use crate::model::features::{self, RuleSignals};
use crate::model::train::TrainConfig;
use crate::model::{Features, Model, ModelError};
use crate::rules::{Evidence, Urgency, gather};
use crate::text::{Analyzed, analyze, fold};
use jiff::Timestamp;
use socialcare_domain::ports::Classifier;
use socialcare_domain::{Classification, Intent, Language, Post, PostContext, Priority, Sentiment};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

/// Version of the rules and built-in lexicons; bumped whenever either changes. A
/// configuration other than the default adds `+cfg.<hash>` to a classification's
/// `model_version`, so every result can be traced to its rules.
pub const RULES_VERSION: &str = "rules-2026.11-1";

/// Sentiment scores at or beyond these are negative / positive.
const NEGATIVE_BELOW: f32 = -0.2;
const POSITIVE_ABOVE: f32 = 0.2;
/// A post this negative about us is a complaint even without a service word in it.
const STRONGLY_NEGATIVE: f32 = -0.5;

/// Why a classifier could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClassifyError {
    /// The configuration is invalid; every mistake is listed.
    Invalid(Vec<ConfigError>),
    /// The shipped model could not be read (a build defect: retrain with `care train`).
    Model(ModelError),
}

impl fmt::Display for ClassifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClassifyError::Invalid(errors) => {
                f.write_str("invalid configuration: ")?;
                for (i, e) in errors.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{e}")?;
                }
                Ok(())
            }
            ClassifyError::Model(e) => write!(f, "the shipped model cannot be read: {e}"),
        }
    }
}

impl std::error::Error for ClassifyError {}

/// What the caller knows beyond the post. Everything is optional; `Default` knows nothing.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The language of the author's previous post: the first fallback when detection abstains.
    pub previous_language: Option<Language>,
    /// Distinct authors seen with the same text, this one included
    /// (from [`crate::DuplicateTextTracker::observe`]).
    pub duplicate_authors: usize,
    /// When the classification happens, for the waiting-time points (default: `received_at`).
    pub now: Option<Timestamp>,
    /// The author is a known customer (has an account, an order, a previous case).
    pub existing_customer: bool,
    /// Posts the customer already sent about the open case: 2 or more is repeated contact.
    pub previous_contacts: u32,
    /// Accounts the author follows, where the channel says.
    pub author_following: Option<u64>,
    /// When the author's account was created, where the channel says.
    pub author_created_at: Option<Timestamp>,
}

/// A product name or alias: the words after the first, and the skill.
struct Product {
    rest: Vec<String>,
    skill: usize,
}

/// The rule-based classifier. Build it once (it loads the language models) and share it.
pub struct RuleClassifier {
    config: ClassifyConfig,
    index: TermIndex,
    detector: Detector,
    /// Product names and aliases by their first word.
    products: FastMap<String, Vec<Product>>,
    skills: Vec<String>,
    competitors: Vec<Vec<String>>,
    our_handles: HashSet<String>,
    brand: HashSet<String>,
    vip_ids: HashSet<String>,
    vip_handles: HashSet<String>,
    account_languages: HashMap<String, usize>,
    default_language: usize,
    /// The learned model beside the rules (`[classify.model] enabled`).
    model: Option<Arc<Model>>,
    rules_version: String,
    model_version: String,
}

/// What the rules found, before the decisions.
struct RulePart {
    a: Analyzed,
    e: Evidence,
    language: Option<Language>,
    confidence: f32,
    reasons: Vec<String>,
    spam_score: f32,
    spam_reasons: Vec<String>,
    skills: Vec<usize>,
    signals: RuleSignals,
}

const SENTIMENTS: [Sentiment; 3] = [Sentiment::Negative, Sentiment::Neutral, Sentiment::Positive];

fn argmax(p: &[f32; 3]) -> usize {
    let mut best = 0;
    for i in 1..3 {
        if p[i] > p[best] {
            best = i;
        }
    }
    best
}

/// Words that say a fault reaches beyond one person ("the whole office", "nobody can"):
/// with an outage, the post is P1.
const MANY: &[&str] = &[
    "everyone",
    "everybody",
    "nobody",
    "entire",
    "whole",
    "customers",
    "users",
    "colleagues",
    "todos",
    "todas",
    "nadie",
    "ninguem",
    "ninguno",
    "toda",
    "clientes",
    "usuarios",
    "colegas",
    "tout",
    "toute",
    "tous",
    "personne",
    "collegues",
    "utilisateurs",
    "alle",
    "niemand",
    "ganze",
    "ganzen",
    "gesamte",
    "gesamten",
    "kunden",
    "kollegen",
];

fn many_affected(a: &Analyzed) -> bool {
    a.tokens.iter().any(|t| MANY.contains(&t.text.as_str()))
}

impl fmt::Debug for RuleClassifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuleClassifier")
            .field("model_version", &self.model_version)
            .field("languages", &self.config.languages)
            .finish_non_exhaustive()
    }
}

fn tokens_of(text: &str) -> Vec<String> {
    analyze(text).tokens.into_iter().map(|t| t.text).collect()
}

fn handle_key(h: &str) -> String {
    h.trim().trim_start_matches('@').to_lowercase()
}

/// FNV-1a: a stable hash (the standard hasher may change between Rust releases).
fn fnv1a(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(*b)).wrapping_mul(0x0100_0193))
}

impl RuleClassifier {
    /// Validates `config` and builds the classifier (lexicon index and language detector).
    pub fn new(config: ClassifyConfig) -> Result<Self, ClassifyError> {
        config.validate().map_err(ClassifyError::Invalid)?;
        let index = build_index(&config);
        let detector = Detector::new(&config.languages, &config.detection);
        let mut skills: Vec<String> = Vec::new();
        let mut products: FastMap<String, Vec<Product>> = FastMap::default();
        let mut add = |tokens: Vec<String>, skill: usize| {
            let mut it = tokens.into_iter();
            if let Some(first) = it.next() {
                products.entry(first).or_default().push(Product {
                    rest: it.collect(),
                    skill,
                });
            }
        };
        for p in &config.products {
            let skill = match skills.iter().position(|s| *s == p.skill) {
                Some(i) => i,
                None => {
                    skills.push(p.skill.clone());
                    skills.len() - 1
                }
            };
            for name in std::iter::once(&p.name).chain(&p.aliases) {
                add(tokens_of(name), skill);
                // `Acme Book` is also written `AcmeBook` and mentioned as `@AcmeBook`.
                let joined: String = fold(name).chars().filter(|c| c.is_alphanumeric()).collect();
                if !joined.is_empty() {
                    add(vec![joined], skill);
                }
            }
        }
        let index_of = |l: &Language| config.languages.iter().position(|x| x == l);
        let account_languages = config
            .accounts
            .iter()
            .filter_map(|(a, l)| index_of(l).map(|i| (handle_key(a), i)))
            .collect();
        let default_language = index_of(&config.default_language).unwrap_or(0);
        let rules_version = if config == ClassifyConfig::default() {
            RULES_VERSION.to_string()
        } else {
            let bytes = serde_json::to_vec(&config).unwrap_or_default();
            format!("{RULES_VERSION}+cfg.{:08x}", fnv1a(&bytes))
        };
        let model = if config.model.enabled {
            Some(Arc::new(Model::shipped().map_err(ClassifyError::Model)?))
        } else {
            None
        };
        let model_version = match &model {
            Some(m) => format!("{rules_version}+{}", m.version()),
            None => rules_version.clone(),
        };
        let vip_ids = config
            .vip_authors
            .iter()
            .filter(|v| !v.starts_with('@'))
            .cloned()
            .collect();
        let vip_handles = config
            .vip_authors
            .iter()
            .filter(|v| v.starts_with('@'))
            .map(|v| handle_key(v))
            .collect();
        Ok(Self {
            index,
            detector,
            products,
            skills,
            competitors: config
                .competitors
                .iter()
                .map(|c| tokens_of(c))
                .filter(|t| !t.is_empty())
                .collect(),
            our_handles: config.our_handles.iter().map(|h| handle_key(h)).collect(),
            brand: config.brand_names.iter().map(|b| fold(b.trim())).collect(),
            vip_ids,
            vip_handles,
            account_languages,
            default_language,
            model,
            rules_version,
            model_version,
            config,
        })
    }

    /// The version string every classification carries.
    pub fn model_version(&self) -> &str {
        &self.model_version
    }

    pub fn config(&self) -> &ClassifyConfig {
        &self.config
    }

    /// Routing skills of the products `text` mentions (names, aliases, `@handles`,
    /// `#hashtags`), in the order of the configured products, without repeats.
    pub fn skills_for(&self, text: &str) -> Vec<String> {
        let a = analyze(text);
        self.skills_in(&a).into_iter().map(|i| self.skills[i].clone()).collect()
    }

    fn skills_in(&self, a: &Analyzed) -> Vec<usize> {
        let mut found = BTreeSet::new();
        for (i, t) in a.tokens.iter().enumerate() {
            for p in self.products.get(&t.text).into_iter().flatten() {
                let fits = a.tokens.len() > i + p.rest.len()
                    && p.rest.iter().zip(&a.tokens[i + 1..]).all(|(r, t)| *r == t.text);
                if fits {
                    found.insert(p.skill);
                }
            }
        }
        for m in &a.mentions {
            for p in self.products.get(&fold(m)).into_iter().flatten() {
                if p.rest.is_empty() {
                    found.insert(p.skill);
                }
            }
        }
        found.into_iter().collect()
    }

    /// The learned model in use, if any.
    pub fn model(&self) -> Option<&Model> {
        self.model.as_deref()
    }

    /// The same rules with another model (a candidate being compared, or none).
    pub fn with_model(mut self, model: Option<Model>) -> Self {
        self.model = model.map(Arc::new);
        self.model_version = match &self.model {
            Some(m) => format!("{}+{}", self.rules_version, m.version()),
            None => self.rules_version.clone(),
        };
        self
    }

    /// What the model sees of `post`: for training (`care train`).
    pub fn features(&self, post: &Post, ctx: &Context) -> Features {
        let r = self.rules_part(post, ctx);
        features::extract(
            &r.a,
            &r.e,
            &r.signals,
            self.model.as_ref().map_or(TrainConfig::default().bits, |m| m.bits),
        )
    }

    fn rules_part(&self, post: &Post, ctx: &Context) -> RulePart {
        let a = analyze(&post.text);
        let hits = self.index.find(&a.tokens);
        let detected = self.detector.detect(&a, &hits);
        let (language, confidence, reasons) = self.language_of(post, ctx, &a, detected);
        let primary = detected.index.and_then(|i| u8::try_from(i).ok());
        let mut e = gather(&a, &hits, primary);
        let competitor = self.mentions_competitor(&a);
        if let Some(c) = competitor.as_ref().filter(|_| e.sentiment <= NEGATIVE_BELOW) {
            e.urgency.push((Urgency::Cancellation, format!("competitor {c}")));
        }
        if ctx.previous_contacts >= 2 {
            e.urgency
                .push((Urgency::Repeat, format!("{} earlier posts", ctx.previous_contacts)));
        }
        let (spam_score, spam_reasons) = self.spam_score(post, ctx, &a, &e);
        let skills = self.skills_in(&a);
        let addressed = !skills.is_empty() || self.addressed(&a);
        let signals = RuleSignals {
            language: detected
                .index
                .and_then(|i| self.detector.language(i))
                .map(|l| l.as_str().to_string()),
            spam_score,
            foreign_link: a.hosts.iter().any(|h| !self.is_brand_host(h)),
            addressed,
            products: !skills.is_empty(),
            competitor: competitor.is_some(),
            followers: post.author.followers,
        };
        RulePart {
            a,
            e,
            language,
            confidence,
            reasons,
            spam_score,
            spam_reasons,
            skills,
            signals,
        }
    }

    fn is_brand_host(&self, host: &str) -> bool {
        self.config
            .brand_domains
            .iter()
            .any(|d| host == d || host.ends_with(&format!(".{d}")))
    }

    /// Classifies `post` with what the caller knows beyond it.
    pub fn classify_with(&self, post: &Post, ctx: &Context) -> Classification {
        let r = self.rules_part(post, ctx);
        let RulePart {
            a,
            e,
            language,
            confidence,
            mut reasons,
            spam_score,
            spam_reasons,
            skills,
            signals,
        } = r;
        // Nothing to read (no words, no emoji): the rules' "nothing here" stands.
        let readable = !a.tokens.is_empty() || a.emoji_count > 0;
        let scores = self
            .model
            .as_ref()
            .filter(|_| readable)
            .map(|m| m.scores(&features::extract(&a, &e, &signals, m.bits)));
        let rule_sentiment = if e.sentiment <= NEGATIVE_BELOW {
            Sentiment::Negative
        } else if e.sentiment >= POSITIVE_ABOVE {
            Sentiment::Positive
        } else {
            Sentiment::Neutral
        };
        // A reported fault is negative even when written politely (the labelling rule); the
        // model, learned mostly from reviews and tweets, may call it neutral.
        let fault = !e.problems.is_empty() && !e.resolved;
        let sentiment = match &scores {
            Some(s) => match SENTIMENTS[argmax(&s.sentiment)] {
                Sentiment::Neutral if fault => Sentiment::Negative,
                other => other,
            },
            None => rule_sentiment,
        };
        let rule_spam = spam_score >= self.config.spam.threshold;
        let safety = e.urgency.iter().any(|(k, _)| *k == Urgency::Safety);
        let m = &self.config.model;
        let spam = !safety && (rule_spam || scores.is_some_and(|s| s.spam >= m.spam));
        let question = (a.questions > 0 || e.question_start) && !e.social;
        let settled = e.resolved && sentiment != Sentiment::Negative;
        let problem = !e.problems.is_empty() && !settled;
        let escalation = e.urgency.iter().any(|(k, _)| *k != Urgency::Deadline);
        let complaint = escalation
            || (sentiment == Sentiment::Negative
                && (!e.complaints.is_empty()
                    || !e.urgency.is_empty()
                    || (signals.addressed && e.sentiment <= STRONGLY_NEGATIVE)
                    || (a.sarcasm_emoji > 0 && e.raw_sentiment < -2.0)));
        let rule_intent = if spam {
            Intent::Spam
        } else if problem {
            Intent::Problem
        } else if complaint {
            Intent::Complaint
        } else if !e.purchases.is_empty() && sentiment != Sentiment::Negative {
            Intent::Purchase
        } else if question {
            Intent::Question
        } else if sentiment == Sentiment::Positive {
            Intent::Praise
        } else {
            Intent::Other
        };
        let rule_actionable = matches!(
            rule_intent,
            Intent::Problem | Intent::Complaint | Intent::Purchase | Intent::Question
        );
        // Safety and a service that is down always reach a person, whatever the model says.
        let must = e
            .urgency
            .iter()
            .any(|(k, _)| matches!(k, Urgency::Safety | Urgency::Outage | Urgency::Legal));
        let actionable = !spam
            && match &scores {
                Some(s) => must || s.actionable >= m.actionable,
                None => rule_actionable,
            };
        let intent = match (spam, actionable, rule_actionable) {
            (true, _, _) => Intent::Spam,
            (false, true, true) | (false, false, false) => rule_intent,
            (false, true, false) if sentiment == Sentiment::Negative => Intent::Complaint,
            (false, true, false) => Intent::Question,
            (false, false, true) if sentiment == Sentiment::Positive => Intent::Praise,
            (false, false, true) => Intent::Other,
        };
        let review = !actionable && !spam && scores.is_some_and(|s| s.actionable >= m.review_from);
        let mut kinds: Vec<(Urgency, String)> = if actionable { e.urgency.clone() } else { Vec::new() };
        if let Some(s) = scores.filter(|s| actionable && kinds.is_empty() && s.urgent >= m.urgent) {
            kinds.push((Urgency::Model, format!("model {:.2}", s.urgent)));
        }
        kinds.sort_by_key(|k| k.0);
        kinds.dedup_by(|a, b| a.0 == b.0);
        let urgent = !kinds.is_empty();

        reasons.push(format!(
            "sentiment {} ({:+.2}){}",
            sentiment_str(sentiment),
            e.sentiment,
            terms_note(&e)
        ));
        reasons.push(intent_reason(intent, &e, spam_score, &spam_reasons));
        if let Some(s) = &scores {
            let top = argmax(&s.sentiment);
            reasons.push(format!(
                "model: actionable {:.2} spam {:.2} urgent {:.2} {} {:.2}{}",
                s.actionable,
                s.spam,
                s.urgent,
                &sentiment_str(SENTIMENTS[top])[..3],
                s.sentiment[top],
                if review { " (triage)" } else { "" }
            ));
        }
        if urgent {
            let list: Vec<String> = kinds.iter().map(|(k, t)| format!("{} '{t}'", k.label())).collect();
            reasons.push(format!("urgent: {}", list.join(", ")));
        }
        if !skills.is_empty() {
            let names: Vec<&str> = skills.iter().map(|i| self.skills[*i].as_str()).collect();
            reasons.push(format!("skills: {}", names.join(", ")));
        }
        if a.truncated {
            reasons.push(format!(
                "text cut at {} characters for analysis",
                crate::text::MAX_ANALYZED_CHARS
            ));
        }
        let many = many_affected(&a);
        let priority = self.priority(
            post,
            ctx,
            actionable,
            sentiment,
            e.sentiment,
            &kinds,
            many,
            &mut reasons,
        );
        Classification {
            language,
            language_confidence: confidence,
            sentiment,
            sentiment_score: e.sentiment,
            intent,
            actionable,
            spam,
            urgent,
            priority,
            reasons,
            model_version: self.model_version.clone(),
            actionable_confidence: scores.map(|s| (s.actionable * 100.0).round() / 100.0),
            review,
        }
    }

    fn language_of(
        &self,
        post: &Post,
        ctx: &Context,
        a: &Analyzed,
        d: Detected,
    ) -> (Option<Language>, f32, Vec<String>) {
        if let Some(l) = d.index.and_then(|i| self.detector.language(i)) {
            let how = match d.method {
                Method::FunctionWords => "function words",
                _ => "lingua",
            };
            return (
                Some(l.clone()),
                d.confidence,
                vec![format!("language {l} ({:.2}, {how})", d.confidence)],
            );
        }
        let why = match d.method {
            Method::Fallback(r) => r,
            _ => FallbackReason::Unsure,
        };
        let configured = |l: &Language| self.config.languages.contains(l);
        let account = self
            .account_languages
            .get(&handle_key(&post.account))
            .or_else(|| a.mentions.iter().find_map(|m| self.account_languages.get(m)))
            .and_then(|i| self.detector.language(*i));
        let (lang, conf, source) = if let Some(l) = ctx.previous_language.as_ref().filter(|l| configured(l)) {
            (l.clone(), 0.3, "author's previous language")
        } else if let Some(l) = account {
            (l.clone(), 0.25, "account language")
        } else {
            let l = self
                .detector
                .language(self.default_language)
                .cloned()
                .unwrap_or_else(|| self.config.default_language.clone());
            (l, 0.1, "default language")
        };
        let reason = format!("language {lang} ({conf:.2}, {source}: {})", why.as_str());
        (Some(lang), conf, vec![reason])
    }

    /// The post names us: one of our handles or the brand (products are checked apart).
    fn addressed(&self, a: &Analyzed) -> bool {
        a.mentions.iter().any(|m| self.our_handles.contains(m)) || a.tokens.iter().any(|t| self.brand.contains(&t.text))
    }

    fn mentions_competitor(&self, a: &Analyzed) -> Option<String> {
        for c in &self.competitors {
            let in_text = a
                .tokens
                .windows(c.len())
                .any(|w| w.iter().zip(c).all(|(t, s)| t.text == *s));
            let in_mentions = c.len() == 1 && a.mentions.iter().any(|m| fold(m) == c[0]);
            if in_text || in_mentions {
                return Some(c.join(" "));
            }
        }
        None
    }

    fn spam_score(&self, post: &Post, ctx: &Context, a: &Analyzed, e: &Evidence) -> (f32, Vec<String>) {
        let cfg = &self.config.spam;
        let mut score = 0.0f32;
        let mut why: Vec<String> = Vec::new();
        let terms: f32 = e.spam_terms.iter().map(|(_, w)| *w).sum::<f32>().min(8.0);
        if terms > 0.0 {
            score += terms;
            let list: Vec<&str> = e.spam_terms.iter().take(3).map(|(t, _)| t.as_str()).collect();
            why.push(format!("promo terms '{}'", list.join("', '")));
        }
        let mut foreign_link = false;
        let mut shady_link = false;
        for host in &a.hosts {
            let ours = self
                .config
                .brand_domains
                .iter()
                .any(|d| host == d || host.ends_with(&format!(".{d}")));
            if ours {
                continue;
            }
            foreign_link = true;
            let shortener = cfg
                .link_hosts
                .iter()
                .any(|d| host == d || host.ends_with(&format!(".{d}")));
            let tld = host.rsplit('.').next().unwrap_or("");
            if shortener || cfg.suspicious_tlds.iter().any(|t| t == tld) {
                shady_link = true;
            }
        }
        if shady_link {
            score += 2.0;
            why.push("shortened or suspicious link".into());
        } else if foreign_link {
            score += 1.0;
            why.push("outside link".into());
        }
        if foreign_link && (a.promo_emoji > 0 || a.max_exclamation_run >= 2) {
            score += 1.0;
        }
        if a.money > 0 {
            score += 1.0;
        }
        if a.phones > 0 {
            score += 1.5;
            why.push("phone number".into());
        }
        let others = a.mentions.iter().filter(|m| !self.our_handles.contains(*m)).count();
        if others >= 2 || (others >= 1 && a.mentions.len() >= 2 && foreign_link) {
            score += 1.0;
            why.push("mass mentions".into());
        }
        if a.hashtags >= 3 {
            score += if a.hashtags >= 5 { 2.0 } else { 1.0 };
            why.push(format!("{} hashtags", a.hashtags));
        }
        if score > 0.0 {
            if let Some(f) = post.author.followers.filter(|f| *f < cfg.min_followers) {
                score += 1.0;
                why.push(format!("{f} followers"));
            }
            let ratio_bot = match (ctx.author_following, post.author.followers) {
                (Some(following), Some(followers)) => following >= 500 && following > followers.saturating_mul(20),
                _ => false,
            };
            if ratio_bot {
                score += 1.5;
                why.push("follows far more than follow back".into());
            }
            let now = ctx.now.unwrap_or(post.received_at);
            let young = ctx
                .author_created_at
                .is_some_and(|c| now.duration_since(c).as_secs() < 7 * 24 * 3600);
            if young {
                score += 1.0;
                why.push("account under a week old".into());
            }
        }
        // Many customers writing alike about one problem is a signal of an incident, not
        // spam: the same text counts for a fault report or a question only beside other spam
        // evidence (links, promotions, bot-like authors).
        let genuine = !e.problems.is_empty() || a.questions > 0 || e.question_start;
        if ctx.duplicate_authors >= cfg.duplicate_authors && (score > 0.0 || !genuine) {
            score += 4.0;
            why.push(format!("same text from {} authors", ctx.duplicate_authors));
        }
        // A customer describing a fault is not advertising.
        if !e.problems.is_empty() {
            score -= 2.0;
        }
        (score, why)
    }

    #[allow(clippy::too_many_arguments)]
    fn priority(
        &self,
        post: &Post,
        ctx: &Context,
        actionable: bool,
        sentiment: Sentiment,
        score: f32,
        kinds: &[(Urgency, String)],
        many: bool,
        reasons: &mut Vec<String>,
    ) -> Priority {
        if !actionable {
            reasons.push("not actionable → P4".into());
            return Priority::P4;
        }
        let w = &self.config.priority;
        let mut points = w.actionable;
        let mut parts: Vec<String> = Vec::new();
        if sentiment == Sentiment::Negative {
            points += w.negative;
            if score <= -0.6 {
                points += w.very_negative;
                parts.push("very negative".into());
            } else {
                parts.push("negative".into());
            }
        }
        for (kind, _) in kinds {
            points += match kind {
                Urgency::Safety => w.safety,
                Urgency::Outage => w.outage,
                Urgency::Legal => w.legal,
                Urgency::Cancellation => w.cancellation,
                Urgency::Repeat => w.repeat_contact,
                Urgency::Deadline | Urgency::Model => w.deadline,
            };
            parts.push(format!("{} term", kind.label()));
        }
        let tier = post
            .author
            .followers
            .and_then(|f| w.followers.iter().rev().find(|t| f >= t.min).map(|t| (f, t.points)));
        if let Some((f, tier_points)) = tier {
            points += tier_points;
            parts.push(format!("{} followers", short_count(f)));
        }
        if post.author.verified == Some(true) {
            points += w.verified;
            parts.push("verified".into());
        }
        let vip = self.vip_ids.contains(post.author.id.as_str())
            || self.vip_handles.contains(&handle_key(&post.author.handle));
        if vip {
            points += w.vip;
            parts.push("VIP".into());
        }
        if ctx.existing_customer {
            points += w.existing_customer;
            parts.push("customer".into());
        }
        let now = ctx.now.unwrap_or(post.received_at);
        let waited_hours = (now.as_second() - post.created_at.as_second()).max(0) / 3600;
        if waited_hours > 0 && w.per_hour_waiting > 0 {
            let hours = i32::try_from(waited_hours).unwrap_or(i32::MAX);
            points += hours.saturating_mul(w.per_hour_waiting).min(w.max_waiting);
            parts.push(format!("waited {waited_hours}h"));
        }
        // Safety, and an outage that stops many people, come first whatever the tone.
        let forced = kinds
            .iter()
            .find(|(k, _)| *k == Urgency::Safety || (*k == Urgency::Outage && many));
        if let Some((k, _)) = forced {
            parts.push(if *k == Urgency::Safety {
                "safety first".into()
            } else {
                "outage for many".into()
            });
        }
        let priority = if forced.is_some() || points >= w.p1 {
            Priority::P1
        } else if points >= w.p2 {
            Priority::P2
        } else if points >= w.p3 {
            Priority::P3
        } else {
            Priority::P4
        };
        let head = if parts.is_empty() {
            "actionable".to_string()
        } else {
            parts.join(" + ")
        };
        reasons.push(format!("{head} → {priority} ({points} points)"));
        priority
    }
}

impl Context {
    /// The classifier's context from what the classify service looked up and what the channel
    /// said of the author (following, account age: the bot signals).
    pub fn of(post: &Post, known: &PostContext) -> Self {
        Self {
            previous_language: known.previous_language.clone(),
            existing_customer: known.existing_customer,
            previous_contacts: known.previous_contacts,
            now: known.now,
            author_following: post.author.following,
            author_created_at: post.author.joined_at,
            ..Self::default()
        }
    }
}

impl Classifier for RuleClassifier {
    fn classify_in(&self, post: &Post, context: &PostContext) -> Classification {
        self.classify_with(post, &Context::of(post, context))
    }
}

fn build_index(config: &ClassifyConfig) -> TermIndex {
    let mut ix = TermIndex::default();
    // Function words shared by several languages are weaker evidence for each.
    let mut stop_langs: HashMap<String, usize> = HashMap::new();
    let mut lists: Vec<(u8, Category, String)> = Vec::new();
    for (i, l) in config.languages.iter().enumerate() {
        let lang = u8::try_from(i).unwrap_or(u8::MAX);
        if config.builtin_keywords {
            for (cat, terms) in builtin(l.as_str()) {
                lists.extend(terms.iter().map(|t| (lang, *cat, (*t).to_string())));
            }
        }
        if let Some(extra) = config.keywords.get(l.as_str()) {
            for (cat, terms) in extra.lists() {
                lists.extend(terms.iter().map(|t| (lang, cat, t.clone())));
            }
        }
    }
    let mut seen: HashSet<(u8, String)> = HashSet::new();
    for (lang, cat, t) in &lists {
        if *cat == Category::Stopword && seen.insert((*lang, fold(t))) {
            *stop_langs.entry(fold(t)).or_default() += 1;
        }
    }
    for (lang, cat, t) in &lists {
        if *cat == Category::Stopword {
            let k = stop_langs.get(&fold(t)).copied().unwrap_or(1).max(1);
            ix.add_weighted(t, *cat, *lang, Some(1.0 / k as f32));
        } else {
            ix.add(t, *cat, *lang);
        }
    }
    for p in &config.spam.patterns {
        for lang in 0..config.languages.len() {
            ix.add(p, Category::Spam, u8::try_from(lang).unwrap_or(u8::MAX));
        }
    }
    ix.finish();
    ix
}

fn sentiment_str(s: Sentiment) -> &'static str {
    match s {
        Sentiment::Negative => "negative",
        Sentiment::Neutral => "neutral",
        Sentiment::Positive => "positive",
    }
}

fn terms_note(e: &Evidence) -> String {
    let mut terms: Vec<&str> = e
        .negative
        .iter()
        .chain(&e.positive)
        .map(String::as_str)
        .take(3)
        .collect();
    terms.dedup();
    if terms.is_empty() {
        String::new()
    } else {
        format!(": '{}'", terms.join("', '"))
    }
}

fn intent_reason(intent: Intent, e: &Evidence, spam_score: f32, spam: &[String]) -> String {
    let first = |v: &[String]| v.first().map(|t| format!(" '{t}'")).unwrap_or_default();
    match intent {
        Intent::Spam => format!("spam (score {spam_score:.1}): {}", spam.join(", ")),
        Intent::Problem => format!("intent problem:{}", first(&e.problems)),
        Intent::Complaint => format!("intent complaint:{}", first(&e.complaints)),
        Intent::Purchase => format!("intent purchase:{}", first(&e.purchases)),
        Intent::Question => "intent question".into(),
        Intent::Praise => "intent praise".into(),
        Intent::Other => "intent other".into(),
    }
}

/// `12000` → `12k`, `1500` → `1.5k`, `2300000` → `2.3M`.
fn short_count(n: u64) -> String {
    fn one(x: u64, unit: u64, suffix: &str) -> String {
        let tenths = x / (unit / 10);
        if tenths.is_multiple_of(10) || tenths >= 100 {
            format!("{}{suffix}", tenths / 10)
        } else {
            format!("{}.{}{suffix}", tenths / 10, tenths % 10)
        }
    }
    if n >= 1_000_000_000 {
        one(n, 1_000_000_000, "G")
    } else if n >= 1_000_000 {
        one(n, 1_000_000, "M")
    } else if n >= 1_000 {
        one(n, 1_000, "k")
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_like_people_write_them() {
        assert_eq!(short_count(950), "950");
        assert_eq!(short_count(1500), "1.5k");
        assert_eq!(short_count(12_000), "12k");
        assert_eq!(short_count(2_300_000), "2.3M");
        assert_eq!(short_count(u64::MAX), "18446744073G");
    }

    #[test]
    fn fnv_is_stable() {
        assert_eq!(fnv1a(b""), 0x811c_9dc5);
        assert_eq!(fnv1a(b"a"), 0xe40c_292c);
    }
}
