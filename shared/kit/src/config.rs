//! The configuration file (TOML): parsed, validated, and turned into domain [`Settings`].
//!
//! Errors name the key and the line (`care.toml:14: agents[1].languages[0]: ...`). Sections
//! owned by other crates (`[classify]`, `[channels]`) are read by those crates from the same text
//! with [`section`], so their errors carry lines too. Secrets never live in the file: it names the
//! environment variables that hold them.

mod shape;
mod sla;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_spanned::Spanned;
use socialcare_domain::retention::RetentionPolicy;
use socialcare_domain::{
    Agent, AgentId, AlertWebhook, GenericSource, Identifier, IdentifierKind, IdentifierRules, Language, Presence, Role,
    Settings,
};
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::Path;

mod routing;

/// One problem with the configuration, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    pub line: Option<usize>,
    pub key: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}: {}", self.file, self.key, self.message),
            None => write!(f, "{}: {}: {}", self.file, self.key, self.message),
        }
    }
}

/// All the problems found (validation does not stop at the first).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invalid configuration ({} problem(s)):", self.0.len())?;
        for e in &self.0 {
            writeln!(f, "  {e}")?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    service: Option<RawService>,
    #[serde(default)]
    sources: Vec<Spanned<RawSource>>,
    #[serde(default)]
    agents: Vec<Spanned<RawAgent>>,
    sla: Option<Spanned<sla::RawSla>>,
    alerts: Option<RawAlerts>,
    routing: Option<Spanned<routing::RawRouting>>,
    identity: Option<RawIdentity>,
    retention: Option<RawRetention>,
    // Owned by other crates, read with `section`.
    #[allow(dead_code)]
    classify: Option<toml::Value>,
    #[allow(dead_code)]
    channels: Option<toml::Value>,
    #[allow(dead_code)]
    trends: Option<toml::Value>,
    #[allow(dead_code)]
    channel_health: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    languages: Option<Spanned<Vec<Language>>>,
    default_language: Option<Spanned<Language>>,
    default_queue: Option<String>,
    dedupe_ttl_days: Option<Spanned<u32>>,
    reopen_days: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIdentity {
    order_pattern: Option<Spanned<String>>,
    serial_pattern: Option<Spanned<String>>,
    max_customers_per_identifier: Option<Spanned<usize>>,
    /// Identifiers never indexed (`kind:value`): our own support address, a demo serial.
    #[serde(default)]
    ignore: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetention {
    chatter_days: Option<Spanned<u32>>,
    case_posts_days: Option<Spanned<u32>>,
    resolved_cases_days: Option<Spanned<u32>>,
    corrections_days: Option<Spanned<u32>>,
    audit_days: Option<Spanned<u32>>,
}

/// The longest retention a key takes (100 years): beyond it is a typo, not a policy.
const MAX_RETENTION_DAYS: u32 = 36_500;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    name: String,
    secret_env: String,
    reply_url: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgent {
    id: AgentId,
    name: Option<String>,
    languages: Spanned<Vec<Language>>,
    #[serde(default, deserialize_with = "socialcare_domain::routing::profile::skills_de")]
    skills: BTreeMap<String, u8>,
    #[serde(default)]
    secondary_languages: Vec<Language>,
    #[serde(default)]
    regions: Vec<String>,
    #[serde(default)]
    channels: Vec<socialcare_domain::Channel>,
    capacity: Spanned<u32>,
    /// Limits per channel within `capacity`: `{ x = 3, messenger = 5 }`.
    #[serde(default)]
    channel_capacity: Option<Spanned<BTreeMap<socialcare_domain::Channel, u32>>>,
    #[serde(default)]
    role: Role,
    #[serde(default)]
    presence: Presence,
    /// Opted in to triage (`GET /v1/triage`).
    #[serde(default)]
    triage: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAlerts {
    #[serde(default)]
    webhooks: Vec<Spanned<RawWebhook>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebhook {
    name: String,
    url_env: String,
    #[serde(default)]
    levels: Vec<socialcare_domain::Level>,
}

/// Line (1-based) of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes().iter().take(offset).filter(|b| **b == b'\n').count() + 1
}

struct Collector<'a> {
    file: &'a str,
    text: &'a str,
    errors: Vec<ConfigError>,
}

impl Collector<'_> {
    fn push(&mut self, span: Option<std::ops::Range<usize>>, key: impl Into<String>, message: impl Into<String>) {
        self.errors.push(ConfigError {
            file: self.file.to_string(),
            line: span.map(|s| line_of(self.text, s.start)),
            key: key.into(),
            message: message.into(),
        });
    }
}

fn toml_error(file: &str, text: &str, e: &toml::de::Error) -> ConfigError {
    // The toml message is multi-line with a snippet; keep its first sentence.
    let message = e.message().lines().next().unwrap_or("invalid TOML").to_string();
    ConfigError {
        file: file.to_string(),
        line: e.span().map(|s| line_of(text, s.start)),
        key: "(syntax)".into(),
        message,
    }
}

/// Reads and validates the file.
pub fn load(path: &Path) -> Result<Settings, ConfigErrors> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigErrors(vec![ConfigError {
            file: file.clone(),
            line: None,
            key: "(file)".into(),
            message: e.to_string(),
        }])
    })?;
    parse(&file, &text)
}

/// Parses and validates configuration text; `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<Settings, ConfigErrors> {
    let doc = document(file, text)?;
    let (raw, problems) = shape::deserialize::<RawFile>("", &doc);
    let mut c = Collector {
        file,
        text,
        errors: problems.into_iter().map(|p| located(file, text, p)).collect(),
    };
    // The semantic checks run on what could be read, so their errors join the shape's.
    let Some(raw) = raw else {
        return Err(ConfigErrors(c.errors));
    };

    let service = raw.service.unwrap_or(RawService {
        languages: None,
        default_language: None,
        default_queue: None,
        dedupe_ttl_days: None,
        reopen_days: None,
    });
    let languages: Vec<Language> = service
        .languages
        .as_ref()
        .map(|l| l.get_ref().clone())
        .unwrap_or_else(|| {
            ["en", "es", "pt", "fr", "de"]
                .iter()
                .filter_map(|l| Language::parse(l).ok())
                .collect()
        });
    if let Some(l) = &service.languages
        && l.get_ref().is_empty()
    {
        c.push(Some(l.span()), "service.languages", "must name at least one language");
    }
    let default_language = match &service.default_language {
        Some(d) => {
            if !languages.contains(d.get_ref()) {
                c.push(
                    Some(d.span()),
                    "service.default_language",
                    format!("`{}` is not in service.languages", d.get_ref()),
                );
            }
            d.get_ref().clone()
        }
        None => languages
            .first()
            .cloned()
            .unwrap_or_else(|| Language::parse("en").unwrap_or_else(|_| unreachable!())),
    };
    let dedupe_ttl_days = match &service.dedupe_ttl_days {
        Some(d) if *d.get_ref() == 0 => {
            c.push(Some(d.span()), "service.dedupe_ttl_days", "must be at least 1");
            14
        }
        Some(d) => *d.get_ref(),
        None => 14,
    };

    let mut source_names = HashSet::new();
    let mut sources = Vec::new();
    for (i, s) in raw.sources.iter().enumerate() {
        let span = Some(s.span());
        let r = s.get_ref();
        if r.name.is_empty()
            || !r
                .name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
        {
            c.push(
                span.clone(),
                format!("sources[{i}].name"),
                "use letters, digits, '-' or '_'",
            );
        }
        if !source_names.insert(r.name.clone()) {
            c.push(
                span.clone(),
                format!("sources[{i}].name"),
                format!("`{}` is listed twice", r.name),
            );
        }
        if r.secret_env.is_empty() || r.secret_env.starts_with("whsec_") {
            c.push(
                span.clone(),
                format!("sources[{i}].secret_env"),
                "must name an environment variable, not hold the secret",
            );
        }
        if let Some(url) = &r.reply_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            c.push(
                span.clone(),
                format!("sources[{i}].reply_url"),
                "must be an http(s) URL",
            );
        }
        sources.push(GenericSource {
            name: r.name.clone(),
            secret_env: r.secret_env.clone(),
            reply_url: r.reply_url.clone(),
        });
    }

    let mut agent_ids = HashSet::new();
    let mut agents = Vec::new();
    for (i, a) in raw.agents.iter().enumerate() {
        let span = Some(a.span());
        let r = a.get_ref();
        if !agent_ids.insert(r.id.clone()) {
            c.push(
                span.clone(),
                format!("agents[{i}].id"),
                format!("`{}` is listed twice", r.id),
            );
        }
        if *r.capacity.get_ref() == 0 && r.role == Role::Agent {
            c.push(
                Some(r.capacity.span()),
                format!("agents[{i}].capacity"),
                "must be at least 1",
            );
        }
        if r.languages.get_ref().is_empty() {
            c.push(
                Some(r.languages.span()),
                format!("agents[{i}].languages"),
                "must name at least one language",
            );
        }
        for (j, l) in r.languages.get_ref().iter().enumerate() {
            if !languages.contains(l) {
                c.push(
                    Some(r.languages.span()),
                    format!("agents[{i}].languages[{j}]"),
                    format!("`{l}` is not in service.languages"),
                );
            }
        }
        let channel_capacity = r
            .channel_capacity
            .as_ref()
            .map(|c| c.get_ref().clone())
            .unwrap_or_default();
        for (channel, cap) in &channel_capacity {
            if cap > r.capacity.get_ref() {
                c.push(
                    r.channel_capacity.as_ref().map(|c| c.span()),
                    format!("agents[{i}].channel_capacity.{}", channel.as_str()),
                    format!("{cap} is more than the agent's capacity ({})", r.capacity.get_ref()),
                );
            }
        }
        agents.push(Agent {
            id: r.id.clone(),
            name: r.name.clone().unwrap_or_else(|| r.id.to_string()),
            languages: r.languages.get_ref().clone(),
            skills: r.skills.clone(),
            capacity: *r.capacity.get_ref(),
            presence: r.presence,
            role: r.role,
            load: 0,
            last_assigned_at: None,
            tokens_valid_after: None,
            secondary_languages: r.secondary_languages.clone(),
            regions: r.regions.clone(),
            channels: r.channels.clone(),
            channel_capacity,
            channel_load: Default::default(),
            triage: r.triage,
        });
    }

    let sla = sla::sla_policy(&mut c, raw.sla.as_ref());

    let mut alert_webhooks = Vec::new();
    for (i, w) in raw.alerts.iter().flat_map(|a| a.webhooks.iter()).enumerate() {
        let r = w.get_ref();
        if r.url_env.is_empty() || r.url_env.contains("://") {
            c.push(
                Some(w.span()),
                format!("alerts.webhooks[{i}].url_env"),
                "must name an environment variable, not hold the URL",
            );
        }
        alert_webhooks.push(AlertWebhook {
            name: r.name.clone(),
            url_env: r.url_env.clone(),
            levels: r.levels.clone(),
        });
    }

    let default_queue = service.default_queue.clone().unwrap_or_else(|| "general".to_string());
    let routing = routing::policy(&mut c, raw.routing.as_ref(), &raw.agents, &languages, &default_queue);

    let identity = identity_rules(&mut c, raw.identity.as_ref());
    let retention = retention_policy(&mut c, raw.retention.as_ref());

    let Some(sla) = sla.filter(|_| c.errors.is_empty()) else {
        return Err(ConfigErrors(c.errors));
    };
    Ok(Settings {
        languages,
        default_language,
        default_queue,
        dedupe_ttl_days,
        reopen_days: service.reopen_days.unwrap_or(7),
        sources,
        agents,
        sla,
        alert_webhooks,
        routing,
        identity,
        retention,
    })
}

/// `[retention]`: days per kind of record, each 1..=36500, the defaults where absent.
fn retention_policy(c: &mut Collector<'_>, raw: Option<&RawRetention>) -> RetentionPolicy {
    let mut policy = RetentionPolicy::default();
    let Some(raw) = raw else {
        return policy;
    };
    for (key, value, slot) in [
        ("chatter_days", &raw.chatter_days, &mut policy.chatter_days),
        ("case_posts_days", &raw.case_posts_days, &mut policy.case_posts_days),
        (
            "resolved_cases_days",
            &raw.resolved_cases_days,
            &mut policy.resolved_cases_days,
        ),
        ("corrections_days", &raw.corrections_days, &mut policy.corrections_days),
        ("audit_days", &raw.audit_days, &mut policy.audit_days),
    ] {
        let Some(v) = value else {
            continue;
        };
        if (1..=MAX_RETENTION_DAYS).contains(v.get_ref()) {
            *slot = *v.get_ref();
        } else {
            c.push(
                Some(v.span()),
                format!("retention.{key}"),
                format!("must be 1 to {MAX_RETENTION_DAYS} days"),
            );
        }
    }
    policy
}

/// `[identity]`: the order and serial patterns (compiled here, so a bad one stops the start with
/// its key and line), the ignore list and the share cap.
fn identity_rules(c: &mut Collector<'_>, raw: Option<&RawIdentity>) -> IdentifierRules {
    use socialcare_domain::customer::identifiers::{
        DEFAULT_MAX_CUSTOMERS_PER_IDENTIFIER, DEFAULT_ORDER_PATTERN, DEFAULT_SERIAL_PATTERN,
    };
    let Some(raw) = raw else {
        return IdentifierRules::default();
    };
    let mut patterns = Vec::new();
    let mut spans = Vec::new();
    for (kind, key, value, default) in [
        (
            IdentifierKind::Order,
            "identity.order_pattern",
            &raw.order_pattern,
            DEFAULT_ORDER_PATTERN,
        ),
        (
            IdentifierKind::Serial,
            "identity.serial_pattern",
            &raw.serial_pattern,
            DEFAULT_SERIAL_PATTERN,
        ),
    ] {
        match value {
            // An empty pattern turns the kind off.
            Some(v) if v.get_ref().trim().is_empty() => {}
            Some(v) => {
                patterns.push((kind, v.get_ref().clone()));
                spans.push((key, Some(v.span())));
            }
            None => {
                patterns.push((kind, default.to_string()));
                spans.push((key, None));
            }
        }
    }
    let cap = match &raw.max_customers_per_identifier {
        Some(v) if *v.get_ref() == 0 => {
            c.push(
                Some(v.span()),
                "identity.max_customers_per_identifier",
                "must be at least 1",
            );
            DEFAULT_MAX_CUSTOMERS_PER_IDENTIFIER
        }
        Some(v) => *v.get_ref(),
        None => DEFAULT_MAX_CUSTOMERS_PER_IDENTIFIER,
    };
    let mut ignore = Vec::new();
    for (i, v) in raw.ignore.iter().enumerate() {
        match Identifier::parse_key(v.get_ref()) {
            Some(id) => ignore.push(id),
            None => c.push(
                Some(v.span()),
                format!("identity.ignore[{i}]"),
                "must be `kind:value` with kind email, phone, order or serial and a valid value",
            ),
        }
    }
    match IdentifierRules::new(&patterns, &ignore, cap) {
        Ok(rules) => rules,
        Err((i, message)) => {
            let (key, span) = spans.get(i).cloned().unwrap_or(("identity", None));
            c.push(span, key, format!("not a valid regular expression: {message}"));
            IdentifierRules::default()
        }
    }
}

/// The text parsed with every key's and value's span (a syntax error stops here, with its line).
fn document<'t>(file: &str, text: &'t str) -> Result<Spanned<toml::de::DeValue<'t>>, ConfigErrors> {
    let doc = toml::de::DeTable::parse(text).map_err(|e| ConfigErrors(vec![toml_error(file, text, &e)]))?;
    let span = doc.span();
    Ok(Spanned::new(span, toml::de::DeValue::Table(doc.into_inner())))
}

fn located(file: &str, text: &str, p: shape::Problem) -> ConfigError {
    ConfigError {
        file: file.to_string(),
        line: p.offset.map(|o| line_of(text, o)),
        key: p.path,
        message: p.message,
    }
}

/// The `[channel_health]` section, validated (defaults when absent).
pub fn channel_health(file: &str, text: &str) -> Result<socialcare_domain::health::HealthConfig, ConfigErrors> {
    let config: socialcare_domain::health::HealthConfig = section(file, text, "channel_health")?;
    config.validate().map_err(|(key, message)| {
        // The key's line inside the section (the values were read already: it is there).
        let start = text.lines().position(|l| l.trim() == "[channel_health]").unwrap_or(0);
        let line = text
            .lines()
            .enumerate()
            .skip(start)
            .find(|(_, l)| l.trim_start().starts_with(key))
            .map(|(i, _)| i + 1);
        ConfigErrors(vec![ConfigError {
            file: file.to_string(),
            line,
            key: format!("channel_health.{key}"),
            message,
        }])
    })?;
    Ok(config)
}

/// Reads one top-level section (`[classify]`, `[channels]`) owned by another crate, with the
/// section's own type; a missing section gives `T::default()`. Every unknown key and wrong type
/// of the section is reported, each with its line and key path.
pub fn section<T: DeserializeOwned + Default>(file: &str, text: &str, name: &str) -> Result<T, ConfigErrors> {
    let doc = document(file, text)?;
    let Some(value) = doc.get_ref().as_table().and_then(|t| t.get(name)) else {
        return Ok(T::default());
    };
    match shape::deserialize::<T>(name, value) {
        (Some(t), problems) if problems.is_empty() => Ok(t),
        (_, problems) => Err(ConfigErrors(
            problems.into_iter().map(|p| located(file, text, p)).collect(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[service]
languages = ["en", "es"]
default_language = "en"

[[sources]]
name = "forum"
secret_env = "CARE_SECRET_FORUM"
reply_url = "http://127.0.0.1:1/replies"

[[agents]]
id = "ana"
languages = ["es", "en"]
capacity = 2

[sla.first_response]
P1 = 60
P2 = 120
P3 = 600
P4 = 3600
"#;

    #[test]
    fn retention_has_documented_defaults_and_checks_each_key_with_its_line() {
        let s = parse("care.toml", GOOD).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.retention, RetentionPolicy::default());
        let text = format!("{GOOD}\n[retention]\nchatter_days = 30\naudit_days = 3650\n");
        let s = parse("care.toml", &text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (
                s.retention.chatter_days,
                s.retention.audit_days,
                s.retention.case_posts_days
            ),
            (30, 3650, RetentionPolicy::default().case_posts_days)
        );
        let bad = format!("{GOOD}\n[retention]\nchatter_days = 0\ncase_post_days = 10\n");
        let lines = GOOD.lines().count();
        let errors = parse("care.toml", &bad).map(|_| ()).unwrap_err_text();
        assert!(
            errors.contains(&format!(
                "care.toml:{}: retention.chatter_days: must be 1 to 36500 days",
                lines + 3
            )),
            "{errors}"
        );
        assert!(
            errors.contains(&format!(
                "care.toml:{}: retention.case_post_days: unknown key",
                lines + 4
            )),
            "{errors}"
        );
    }

    trait ErrText {
        fn unwrap_err_text(self) -> String;
    }

    impl ErrText for Result<(), ConfigErrors> {
        fn unwrap_err_text(self) -> String {
            match self {
                Ok(()) => panic!("accepted"),
                Err(e) => e.to_string(),
            }
        }
    }

    #[test]
    fn good_file_parses() {
        let s = parse("care.toml", GOOD).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.agents.len(), 1);
        let due = s
            .sla
            .first_response_due(socialcare_domain::Priority::P1, jiff::Timestamp::UNIX_EPOCH);
        assert_eq!(due, jiff::Timestamp::from_second(60).ok());
        assert_eq!(
            s.source("forum").and_then(|s| s.reply_url.clone()).as_deref(),
            Some("http://127.0.0.1:1/replies")
        );
    }

    #[test]
    fn identity_rules_come_from_their_section() {
        let s = parse("care.toml", GOOD).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.identity, IdentifierRules::default(), "defaults without a section");
        let text = format!(
            "{GOOD}\n[identity]\norder_pattern = '\\bPO-([0-9]{{5}})\\b'\nserial_pattern = ''\nmax_customers_per_identifier = 2\nignore = [\"email:Help@Acme.example\"]\n"
        );
        let s = parse("care.toml", &text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.identity.max_customers_per_identifier, 2);
        let found: Vec<String> = s
            .identity
            .extract("PO-12345 and SN: ABCDEFGH12, mail help@acme.example or me@x.io")
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            found,
            ["order:12345", "email:me@x.io"],
            "serials off, our address ignored"
        );
    }

    #[test]
    fn the_shipped_file_keeps_the_default_identity_patterns() {
        let text = include_str!("../../../care.toml");
        let s = parse("care.toml", text).unwrap_or_else(|e| panic!("{e}"));
        let support = Identifier::parse_key("email:support@acme.example")
            .into_iter()
            .collect::<Vec<_>>();
        let defaults = IdentifierRules::default();
        let want = IdentifierRules::new(
            &[
                (
                    IdentifierKind::Order,
                    socialcare_domain::customer::identifiers::DEFAULT_ORDER_PATTERN.into(),
                ),
                (
                    IdentifierKind::Serial,
                    socialcare_domain::customer::identifiers::DEFAULT_SERIAL_PATTERN.into(),
                ),
            ],
            &support,
            defaults.max_customers_per_identifier,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(s.identity, want);
    }

    #[test]
    fn a_bad_identity_pattern_is_named_with_its_line() {
        let text = format!("{GOOD}\n[identity]\nmax_customers_per_identifier = 0\nserial_pattern = 'SN([0-9]'\n");
        let errs = parse("care.toml", &text).err().unwrap_or_else(|| panic!("must fail")).0;
        let keys: Vec<&str> = errs.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(
            keys,
            ["identity.max_customers_per_identifier", "identity.serial_pattern"]
        );
        let line = text
            .lines()
            .position(|l| l.starts_with("serial_pattern"))
            .map(|i| i + 1);
        assert_eq!(errs[1].line, line, "{}", errs[1]);
    }

    #[test]
    fn agents_take_limits_per_channel() {
        let text = GOOD.replace(
            "capacity = 2",
            "capacity = 2\nchannel_capacity = { x = 1, messenger = 2 }",
        );
        let s = parse("care.toml", &text).unwrap_or_else(|e| panic!("{e}"));
        let caps: Vec<(socialcare_domain::Channel, u32)> =
            s.agents[0].channel_capacity.iter().map(|(c, n)| (*c, *n)).collect();
        assert_eq!(
            caps,
            [
                (socialcare_domain::Channel::X, 1),
                (socialcare_domain::Channel::Messenger, 2)
            ]
        );
    }

    #[test]
    fn alert_webhooks_take_the_levels_they_ask_for() {
        let text = format!(
            "{GOOD}\n[[alerts.webhooks]]\nname = \"team\"\nurl_env = \"TEAM_HOOK\"\n\n\
             [[alerts.webhooks]]\nname = \"head\"\nurl_env = \"HEAD_HOOK\"\nlevels = [\"escalation_3\"]\n"
        );
        let s = parse("care.toml", &text).unwrap_or_else(|e| panic!("{e}"));
        let levels: Vec<Vec<socialcare_domain::Level>> = s.alert_webhooks.iter().map(|w| w.levels.clone()).collect();
        assert_eq!(levels, vec![vec![], vec![socialcare_domain::Level::Escalation3]]);
        let bad = text.replace("\"escalation_3\"", "\"level_9\"");
        assert!(parse("care.toml", &bad).is_err_and(|e| e.to_string().contains("level_9")));
    }

    fn errors_of(text: &str) -> Vec<String> {
        match parse("care.toml", text) {
            Ok(_) => vec![],
            Err(e) => e.0.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn errors_name_key_and_line() {
        // (mutation of GOOD, expected fragment of an error)
        let table = [
            (
                GOOD.replace("capacity = 2", "capacity = 0"),
                "care.toml:14: agents[0].capacity: must be at least 1",
            ),
            (
                GOOD.replace("languages = [\"es\", \"en\"]", "languages = [\"es\", \"fr\"]"),
                "care.toml:13: agents[0].languages[1]: `fr` is not in service.languages",
            ),
            (
                GOOD.replace("P2 = 120", "P2 = 0"),
                "care.toml:18: sla.first_response.P2: must be a positive",
            ),
            (GOOD.replace("P4 = 3600\n", ""), "sla.first_response.P4: is missing"),
            (
                GOOD.replace("default_language = \"en\"", "default_language = \"de\""),
                "care.toml:4: service.default_language",
            ),
            (
                GOOD.replace("secret_env = \"CARE_SECRET_FORUM\"", "secret_env = \"whsec_abc\""),
                "sources[0].secret_env",
            ),
            (
                GOOD.replace("capacity = 2", "capacity = 2\nchannel_capacity = { x = 3 }"),
                "care.toml:15: agents[0].channel_capacity.x: 3 is more than the agent's capacity (2)",
            ),
            (
                GOOD.replace("capacity = 2", "capacity = 2\nchannel_capacity = { fax = 1 }"),
                "care.toml:15: agents[0].channel_capacity.fax: unknown value `fax`",
            ),
            (
                GOOD.replace("capacity = 2", "capacity = 2\nmood = \"happy\""),
                "care.toml:15: agents[0].mood: unknown key (known: id, name, languages,",
            ),
            (
                GOOD.replace("languages = [\"en\", \"es\"]", "languages = [\"english\"]"),
                "care.toml:3: service.languages: `english` is not a two-letter",
            ),
        ];
        for (text, expected) in table {
            let errors = errors_of(&text);
            assert!(
                errors.iter().any(|e| e.contains(expected)),
                "expected `{expected}` in {errors:?}"
            );
        }
    }

    #[test]
    fn every_shape_error_is_reported_at_once_with_its_line() {
        let text = GOOD
            .replace("default_language = \"en\"", "default_langauge = \"en\"")
            .replace("capacity = 2", "capacity = \"two\"")
            .replace("P3 = 600", "P3 = 600\nP9 = 1");
        let errors = errors_of(&text);
        assert_eq!(
            errors,
            [
                "care.toml:4: service.default_langauge: unknown key (did you mean default_language?)",
                "care.toml:14: agents[0].capacity: wrong type: expected u32, found string \"two\" (in agent \"ana\")",
                "care.toml:20: sla.first_response.P9: unknown value `P9` (did you mean P1?)",
            ],
            "three problems, in the order of the file, none hiding another"
        );
    }

    #[test]
    fn shape_and_value_errors_come_together() {
        let text = GOOD
            .replace("capacity = 2", "capacity = 0\nskils = { billing = 1 }")
            .replace("P2 = 120", "P2 = 0");
        let errors = errors_of(&text);
        for want in [
            "care.toml:14: agents[0].capacity: must be at least 1",
            "care.toml:15: agents[0].skils: unknown key (did you mean skills?) (in agent \"ana\")",
            "care.toml:19: sla.first_response.P2: must be a positive",
        ] {
            assert!(errors.iter().any(|e| e.starts_with(want)), "`{want}` not in {errors:?}");
        }
        assert_eq!(errors.len(), 3, "{errors:?}");
    }

    #[derive(Deserialize, Default, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Accounts {
        #[serde(default)]
        x: Vec<XAccount>,
    }

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct XAccount {
        name: String,
        account_id: String,
        handle: Option<String>,
    }

    #[test]
    fn a_typo_inside_an_array_of_tables_names_its_line_index_and_account() {
        let text = format!(
            "{GOOD}\n[[channels.x]]\nname = \"brand\"\naccount_id = \"1\"\n\n\
             [[channels.x]]\nname = \"help\"\nacount_id = \"2\"\nhandle = 3\n"
        );
        let line = |prefix: &str| {
            text.lines()
                .position(|l| l.starts_with(prefix))
                .map(|i| i + 1)
                .unwrap_or(0)
        };
        let errors: Vec<String> = section::<Accounts>("care.toml", &text, "channels")
            .err()
            .map(|e| e.0.iter().map(ToString::to_string).collect())
            .unwrap_or_default();
        assert_eq!(
            errors,
            [
                format!(
                    "care.toml:{}: channels.x[1].acount_id: unknown key (did you mean account_id?) (in account \"help\")",
                    line("acount_id")
                ),
                format!(
                    "care.toml:{}: channels.x[1].handle: wrong type: expected a string, found integer `3` (in account \"help\")",
                    line("handle = 3")
                ),
            ],
            "the missing account_id that follows the typo is not reported twice"
        );
    }

    #[test]
    fn missing_file_is_named() {
        let e = load(Path::new("/nonexistent/care.toml"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("/nonexistent/care.toml"), "{e}");
    }

    #[derive(Deserialize, Default, Debug, PartialEq)]
    struct Other {
        threshold: u32,
    }

    #[test]
    fn sections_are_read_by_their_owner() {
        let text = format!("{GOOD}\n[classify]\nthreshold = 3\n");
        assert_eq!(
            section::<Other>("care.toml", &text, "classify").ok(),
            Some(Other { threshold: 3 })
        );
        assert_eq!(
            section::<Other>("care.toml", GOOD, "classify").ok(),
            Some(Other::default())
        );
        let bad = format!("{GOOD}\n[classify]\nthreshold = \"x\"\n");
        let e = section::<Other>("care.toml", &bad, "classify")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("care.toml:23: classify.threshold: wrong type: expected u32"),
            "{e}"
        );
    }

    #[test]
    fn channel_health_is_read_with_defaults_and_its_problems_located() {
        assert_eq!(
            channel_health("care.toml", GOOD).ok(),
            Some(socialcare_domain::health::HealthConfig::default())
        );
        let text = format!("{GOOD}\n[channel_health]\nfailure_threshold = 5\nsilence_factor = 4\n");
        let c = channel_health("care.toml", &text).ok().unwrap_or_default();
        assert_eq!((c.failure_threshold, c.silence_factor, c.min_samples), (5, 4, 20));
        let zero = format!("{GOOD}\n[channel_health]\nfailure_threshold = 0\n");
        let line = zero.lines().count();
        let e = channel_health("care.toml", &zero)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains(&format!(
                "care.toml:{line}: channel_health.failure_threshold: must be at least 1"
            )),
            "{e}"
        );
        let typo = format!("{GOOD}\n[channel_health]\nsilence_factr = 4\n");
        let e = channel_health("care.toml", &typo)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("channel_health.silence_factr: unknown key"), "{e}");
        assert!(
            parse("care.toml", &typo).is_ok(),
            "the core settings leave the section to its reader"
        );
    }
}
