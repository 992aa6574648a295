//! Lambda entry point of `outbound`: wiring only.

fn main() {}
