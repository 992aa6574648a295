//! DynamoDB, SQS and SNS implementations of the domain ports.
//!
//! - [`AwsStore`]: every table port (`Dedupe`, `PostStore`, `CustomerStore`, `CaseStore`,
//!   `AgentStore`, `TimerStore`, `AlertStore`, `ParkingLot`) on DynamoDB; the table design is
//!   in `TABLES.md`, invariants are conditional writes and transactions.
//! - [`SqsPublisher`] / [`SqsReceiver`]: the queues between the functions; [`SnsAlertSink`].
//! - [`provision`]: creates missing tables, queues and the topic (local endpoints, tests).
//! - [`Counters`]: requests per operation, for the requests-per-post report.
//!
//! SDK types and errors stay in here: callers see domain types and [`PortError`]s
//! (`Unavailable` = retry, `Conflict` = a lost conditional write, `Invalid` = never).
//! Depends on the domain and the AWS SDK; never on Lambda or on other adapters.
//!
//! [`PortError`]: socialcare_domain::PortError

pub mod batch;
mod codec;
pub mod config;
pub mod counts;
pub mod dead_letters;
pub mod error;
pub mod lambda_env;
pub mod provision;
pub mod sns;
pub mod sqs;
mod store;
pub mod stream;
pub mod tables;
mod units;

pub use config::{Clients, emulator_config, load_config};
pub use counts::{Counters, Op, RequestCounts};
pub use dead_letters::SqsDeadLetters;
pub use lambda_env::LambdaEnv;
pub use provision::{ProvisionedQueues, QueueSettings, ensure_queues, ensure_tables, ensure_topic};
pub use sns::SnsAlertSink;
pub use sqs::{SqsPublisher, SqsReceiver, StreamQueues};
pub use store::AwsStore;
pub use tables::TableNames;
