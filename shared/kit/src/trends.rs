//! The `[trends]` section read for a deployment, the same in the `trends` function and under
//! `care serve`: the `[routing]` products become topics, the regions come from `[routing]`.

use socialcare_domain::Settings;
use socialcare_trends::service::Regions;
use socialcare_trends::{TopicRule, TrendsConfig};

/// The `[trends]` section, with the `[routing]` products as topics; every problem named.
pub fn trends_config(name: &str, text: &str, settings: &Settings) -> anyhow::Result<TrendsConfig> {
    let config: TrendsConfig = crate::config::section(name, text, "trends").map_err(|e| anyhow::anyhow!("{e}"))?;
    let config = config.with_products(settings.routing.products.iter().map(|p| TopicRule {
        name: p.name.clone(),
        aliases: p.aliases.clone(),
    }));
    let problems = config.problems();
    if !problems.is_empty() {
        let all: Vec<String> = problems.iter().map(|p| format!("{name}: {p}")).collect();
        anyhow::bail!("{}", all.join("\n"));
    }
    Ok(config)
}

/// The regions of the `[routing]` section, by account and language.
pub fn regions(settings: &Settings) -> Regions {
    Regions {
        by_account: settings.routing.region_by_account.clone(),
        by_language: settings
            .routing
            .region_by_language
            .iter()
            .map(|(l, r)| (l.as_str().to_string(), r.clone()))
            .collect(),
    }
}

/// The trend service over one store that keeps the counts, the customers and the cases (the
/// DynamoDB store in the `trends` and `agent-api` functions).
pub fn service<S>(
    config: TrendsConfig,
    settings: &Settings,
    store: std::sync::Arc<S>,
    sink: std::sync::Arc<dyn socialcare_trends::store::TrendSink>,
) -> anyhow::Result<socialcare_trends::service::TrendService>
where
    S: socialcare_trends::store::TrendStore
        + socialcare_domain::ports::CustomerStore
        + socialcare_domain::ports::CaseStore
        + 'static,
{
    let detector = socialcare_trends::Detector::new(config)
        .map_err(|p| anyhow::anyhow!("{}", p.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")))?;
    Ok(socialcare_trends::service::TrendService::new(
        detector,
        store.clone(),
        sink,
        store.clone(),
        store,
        regions(settings),
    ))
}
