//! What every function needs at Lambda init, built once: the SDK clients, the store, the
//! configuration text (an SSM parameter on AWS, a file locally) and secrets by name (SSM
//! SecureStrings under a path on AWS, environment variables locally).
//!
//! Environment: `CARE_CONFIG_PARAM` (SSM parameter holding the TOML) or `CARE_CONFIG` (a path);
//! `CARE_SECRETS_PATH` (SSM path; unset: secrets come from environment variables);
//! `TABLE_*`, `QUEUE_<STREAM>_URL`, `CARE_ALERTS_TOPIC_ARN` (see `TableNames`, `StreamQueues`).

use crate::config::{Clients, load_config};
use crate::counts::Counters;
use crate::dead_letters::SqsDeadLetters;
use crate::sqs::{SqsPublisher, StreamQueues, queue_env_var};
use crate::store::AwsStore;
use crate::tables::TableNames;
use socialcare_domain::ports::DeadLetterQueue;
use socialcare_domain::{PortError, PortResult, Stream};
use std::collections::BTreeMap;
use std::sync::Arc;

pub struct LambdaEnv {
    pub clients: Clients,
    pub store: Arc<AwsStore>,
    pub counters: Arc<Counters>,
    ssm: aws_sdk_ssm::Client,
    secrets_path: Option<String>,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl LambdaEnv {
    /// The same environment whose store dates what `policy` covers (`[retention]`): call right
    /// after reading the configuration, before anything takes the store.
    pub fn with_retention(mut self, policy: socialcare_domain::retention::RetentionPolicy) -> Self {
        self.store = Arc::new((*self.store).clone().with_retention(policy));
        self
    }

    /// Builds the clients and the store from the environment; fails naming the missing variable.
    pub async fn load() -> PortResult<Self> {
        let config = load_config().await;
        let clients = Clients::new(&config);
        let counters = Arc::new(Counters::default());
        let tables = TableNames::from_env().map_err(PortError::Invalid)?;
        let store = Arc::new(AwsStore::new(clients.dynamodb.clone(), tables).with_counters(counters.clone()));
        Ok(Self {
            ssm: aws_sdk_ssm::Client::new(&config),
            clients,
            store,
            counters,
            secrets_path: var("CARE_SECRETS_PATH").map(|p| p.trim_end_matches('/').to_string()),
        })
    }

    /// The case store every function that saves cases uses: the cases table. No report rows
    /// are kept beside it: a report derives them from the cases when read ([`Self::report_source`]).
    pub fn cases(&self) -> Arc<dyn socialcare_domain::ports::CaseStore> {
        self.store.clone()
    }

    /// Where the agent API's reports read their rows: derived from the cases created in the
    /// range (the cases table's `by_day` index), not rows written on every case change.
    pub fn report_source(&self) -> socialcare_domain::services::reports::ReportSource {
        socialcare_domain::services::reports::ReportSource::Derived(self.store.clone())
    }

    /// (name for error messages, TOML text) of the configuration.
    pub async fn config_text(&self) -> PortResult<(String, String)> {
        if let Some(param) = var("CARE_CONFIG_PARAM") {
            let text = self.parameter(&param).await?;
            return Ok((format!("ssm:{param}"), text));
        }
        let path = var("CARE_CONFIG")
            .ok_or_else(|| PortError::Invalid("set CARE_CONFIG_PARAM (SSM) or CARE_CONFIG (a file)".into()))?;
        let text = std::fs::read_to_string(&path).map_err(|e| PortError::Invalid(format!("{path}: {e}")))?;
        Ok((path, text))
    }

    /// A secret by the name the configuration gives it (`secret_env`).
    pub async fn secret(&self, name: &str) -> PortResult<String> {
        match &self.secrets_path {
            Some(path) => self.parameter(&format!("{path}/{name}")).await,
            None => var(name).ok_or_else(|| PortError::Invalid(format!("environment variable {name} is not set"))),
        }
    }

    /// Several secrets by name, read once at init, for code that looks them up synchronously.
    pub async fn secrets<'a>(
        &self,
        names: impl IntoIterator<Item = &'a str>,
    ) -> PortResult<std::collections::HashMap<String, String>> {
        let mut out = std::collections::HashMap::new();
        for name in names {
            out.insert(name.to_string(), self.secret(name).await?);
        }
        Ok(out)
    }

    async fn parameter(&self, name: &str) -> PortResult<String> {
        let out = self
            .ssm
            .get_parameter()
            .name(name)
            .with_decryption(true)
            .send()
            .await
            .map_err(|e| {
                PortError::Unavailable(format!(
                    "SSM parameter {name}: {}",
                    aws_sdk_ssm::error::DisplayErrorContext(&e)
                ))
            })?;
        out.parameter
            .and_then(|p| p.value)
            .ok_or_else(|| PortError::Invalid(format!("SSM parameter {name} has no value")))
    }

    /// The dead-letter queues this function was given, by stream name: `DLQ_<STREAM>_URL` with
    /// the stream's own `QUEUE_<STREAM>_URL` (where a redrive sends a message back). A stream
    /// without both is left out.
    pub fn dead_letter_queues(&self) -> BTreeMap<String, Arc<dyn DeadLetterQueue>> {
        Stream::ALL
            .iter()
            .filter_map(|stream| {
                let dlq = var(&dlq_env_var(*stream))?;
                let source = var(&queue_env_var(*stream))?;
                let queue =
                    SqsDeadLetters::new(self.clients.sqs.clone(), dlq, source).with_counters(self.counters.clone());
                Some((stream.as_str().to_string(), Arc::new(queue) as Arc<dyn DeadLetterQueue>))
            })
            .collect()
    }

    /// A publisher for the streams this function writes to (`QUEUE_<STREAM>_URL`).
    pub fn publisher(&self, streams: &[Stream]) -> PortResult<Arc<SqsPublisher>> {
        let queues = StreamQueues::from_env(streams).map_err(PortError::Invalid)?;
        Ok(Arc::new(
            SqsPublisher::new(self.clients.sqs.clone(), queues).with_counters(self.counters.clone()),
        ))
    }
}

/// The variable naming a stream's dead-letter queue (`DLQ_<STREAM>_URL`).
pub fn dlq_env_var(stream: Stream) -> String {
    format!("DLQ_{}_URL", stream.as_str().to_ascii_uppercase())
}
