//! Lambda entry point of `route`: wiring only.

fn main() {}
