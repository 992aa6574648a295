//! Thread-safe in-memory implementations of every domain port: the backend of `care serve`
//! and of the fast tests. Depends on the domain only (and tokio's sync primitives for the queue).
//!
//! Conditional writes hold one lock for the whole check-and-write, which is what a DynamoDB
//! condition expression or transaction gives on AWS.

mod channels;
mod deletions;
mod queue;
mod reports;
mod retention;
mod sinks;
mod store;
mod triage;

pub use queue::{MemoryQueue, QueueConfig, QueueStats};
pub use retention::Swept;
pub use sinks::{MemoryBus, RecordingAlertSink};
pub use store::MemoryStore;
