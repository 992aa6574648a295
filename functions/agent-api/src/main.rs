//! Lambda entry point of `agent-api`: wiring only.

fn main() {}
