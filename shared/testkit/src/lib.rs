//! Test kit: one contract suite per port, a fixed clock, fixture loading, sample records.
//!
//! The suites are generic async functions over the port traits, run against the in-memory
//! backend (`socialcare-memory`) and the DynamoDB/SQS one (`socialcare-aws` on moto) alike:
//! both must pass the same checks (the model is demo-rust-lambda's `test_templates`).
//! Each suite expects a store (or queues) of its own, empty at the start.
//!
//! Depends on the domain only: it must not depend on an adapter (adapters dev-depend on it).

pub mod clock;
pub mod contracts;
pub mod fixtures;
pub mod sample;

pub use clock::FixedClock;
pub use fixtures::{events_dir, fixture, fixture_json, fixture_path};
