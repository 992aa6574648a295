//! Lambda entry point of `sla`: wiring only.

fn main() {}
