//! The outbound Lambda function.
