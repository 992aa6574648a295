//! Early issue detection for socialcare: what customers talk about, counted per time bucket in
//! bounded memory (configured products and intents exactly, emerging key phrases in a count-min
//! sketch with space-saving heavy hitters), with SigniTrend-style baselines and spike alerts
//! (`trend.alert.v1`).
//!
//! Pure: no AWS, no tokio runtime, no I/O; time comes in with each post and with
//! [`Detector::advance`]. It depends on the domain only (for posts, channels and intents).
//! The stream generator of `care trends eval` lives here too ([`sim`]), so tests use it.

pub mod config;
pub mod detail;
pub mod detector;
pub mod eval;
pub mod model;
pub mod pack;
pub mod service;
pub mod sim;
pub mod sketch;
mod stopwords;
pub mod store;
pub mod text;
mod topics;

pub use config::{ConfigProblem, TopicRule, TrendsConfig};
pub use detector::{Closed, Detector, RestoreError, SUMMARY_PHRASES};
pub use model::{BucketSummary, KeyCount, KeyKind, Observation, TrendAlert};
