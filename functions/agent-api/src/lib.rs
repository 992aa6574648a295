//! The agent-api Lambda function.
