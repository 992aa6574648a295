//! The thread Lambda function.
