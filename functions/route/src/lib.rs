//! The route Lambda function.
