//! The ingest Lambda function.
