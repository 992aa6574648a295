//! The Lambda edge kit, shared by every function and by `care`: tracing setup, the typed
//! configuration file and environment, the SQS batch runner (also driving local pollers),
//! problem-JSON HTTP errors and agent tokens.
//!
//! Edge only: business rules live in `socialcare-domain`; this crate must not depend on AWS SDKs.

pub mod auth;
pub mod config;
pub mod env;
pub mod lambda;
pub mod outbox;
pub mod problem;
pub mod sqs;
pub mod telemetry;
pub mod trends;
