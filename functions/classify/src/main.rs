//! Lambda entry point of `classify`: wiring only.

fn main() {}
