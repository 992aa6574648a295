//! Lambda entry point of `thread`: wiring only.

fn main() {}
