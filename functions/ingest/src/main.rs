//! Lambda entry point of `ingest`: wiring only.

fn main() {
    // Wired in the AWS adapter step: see the README's "Not built yet" section.
}
