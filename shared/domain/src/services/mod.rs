//! Use cases, one per stage. Each holds its ports and a clock; none knows about AWS or HTTP.

pub mod channels;
pub mod classify;
pub mod dead_letters;
pub mod desk;
pub mod identity;
pub mod ingest;
pub mod merge;
pub mod outbound;
pub mod privacy;
pub mod reports;
pub mod route;
pub mod sla;
pub mod sla_desk;
pub mod suggest;
pub mod thread;
pub mod triage;

/// How many times a service re-reads and retries after losing a conditional write.
pub(crate) const MAX_CONFLICT_RETRIES: usize = 8;
