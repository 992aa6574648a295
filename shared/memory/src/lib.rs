//! Thread-safe in-memory implementations of every domain port (local mode, tests).
