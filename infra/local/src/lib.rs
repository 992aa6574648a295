//! `care`: socialcare on one machine. `serve` runs every function in-process (the same services
//! and handlers as the Lambdas) over the memory backend, with in-process queues that keep SQS's
//! batch semantics and an SLA ticker; `replay` signs and posts webhook payloads; `load` offers a seeded stream open-loop and measures the answers; `token` mints
//! agent tokens; `eval` scores the classifier; `trends eval` scores the trend detector; `sla explain` shows how a policy's deadlines fall. `serve --backend aws` runs the same stack on
//! DynamoDB, SQS and SNS (moto or a real account). The stack is a library so the system tests
//! start it on port 0, on either backend.

pub mod aws_backend;
pub mod backlog;
pub mod commands;
pub mod dev_sign_in;
pub mod explain;
pub mod index;
pub mod load;
pub mod replay;
pub mod stack;
pub mod trends;
pub mod trends_eval;
pub mod triage;
