//! The sla Lambda function.
