//! DynamoDB, SQS and SNS implementations of the domain ports.
