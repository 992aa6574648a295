//! SDK configuration: standard retry mode, bounded timeouts, endpoint from `AWS_ENDPOINT_URL`.

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use std::time::Duration;

/// Attempts per call in the SDK's standard retry mode (the first one included).
pub const MAX_ATTEMPTS: u32 = 3;

fn retry() -> RetryConfig {
    RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS)
}

/// Bounded so that a hung endpoint becomes `Unavailable` within a Lambda's timeout, not after it.
fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .operation_attempt_timeout(Duration::from_secs(5))
        .operation_timeout(Duration::from_secs(15))
        .build()
}

/// The configuration of the environment (Lambda role, profile, env), with standard retries.
/// `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_DYNAMODB` / `_SQS` / `_SNS`) points it at an emulator.
pub async fn load_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .retry_config(retry())
        .timeout_config(timeouts())
        .load()
        .await
}

/// A configuration for a local emulator (moto) at `endpoint`: dummy credentials, us-east-1.
///
/// Longer attempt timeouts than on AWS: moto serves DynamoDB one request at a time, and an
/// attempt that times out after it landed would be retried and fail its own condition.
pub async fn emulator_config(endpoint: &str) -> SdkConfig {
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(Duration::from_secs(60))
        .operation_timeout(Duration::from_secs(120))
        .build();
    aws_config::defaults(BehaviorVersion::latest())
        .retry_config(retry())
        .timeout_config(timeouts)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "socialcare-emulator",
        ))
        .endpoint_url(endpoint)
        .load()
        .await
}

/// The three clients, built once per process (Lambda init) and cloned freely.
#[derive(Clone, Debug)]
pub struct Clients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub sns: aws_sdk_sns::Client,
}

impl Clients {
    pub fn new(config: &SdkConfig) -> Self {
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(config),
            sqs: aws_sdk_sqs::Client::new(config),
            sns: aws_sdk_sns::Client::new(config),
        }
    }

    /// Clients for the environment: [`load_config`].
    pub async fn from_env() -> Self {
        Self::new(&load_config().await)
    }
}
