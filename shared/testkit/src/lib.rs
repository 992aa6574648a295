//! Test kit: port contract suites, a fixed clock, fixture loading.
