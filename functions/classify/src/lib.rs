//! The classify Lambda function.
