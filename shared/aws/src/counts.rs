//! Request counters per AWS operation, so that requests (and so cost) per post can be reported.
//!
//! Each adapter call that reaches the SDK counts one request here. Retries made by the SDK's
//! own retry layer are not counted separately (they are rare; the SDK's metrics show them).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

macro_rules! ops {
    ($($variant:ident => $name:literal, $service:ident;)*) => {
        /// One AWS API operation the adapters call.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Op {
            $($variant,)*
        }

        impl Op {
            pub const ALL: &'static [Op] = &[$(Op::$variant,)*];

            /// The API name, as in AWS's pricing and CloudTrail (`DynamoDB.GetItem`).
            pub fn name(self) -> &'static str {
                match self {
                    $(Op::$variant => $name,)*
                }
            }

            pub fn service(self) -> Service {
                match self {
                    $(Op::$variant => Service::$service,)*
                }
            }
        }
    };
}

ops! {
    GetItem => "DynamoDB.GetItem", DynamoDb;
    PutItem => "DynamoDB.PutItem", DynamoDb;
    UpdateItem => "DynamoDB.UpdateItem", DynamoDb;
    DeleteItem => "DynamoDB.DeleteItem", DynamoDb;
    Query => "DynamoDB.Query", DynamoDb;
    Scan => "DynamoDB.Scan", DynamoDb;
    BatchGetItem => "DynamoDB.BatchGetItem", DynamoDb;
    BatchWriteItem => "DynamoDB.BatchWriteItem", DynamoDb;
    TransactWriteItems => "DynamoDB.TransactWriteItems", DynamoDb;
    SendMessage => "SQS.SendMessage", Sqs;
    SendMessageBatch => "SQS.SendMessageBatch", Sqs;
    ReceiveMessage => "SQS.ReceiveMessage", Sqs;
    DeleteMessageBatch => "SQS.DeleteMessageBatch", Sqs;
    Publish => "SNS.Publish", Sns;
}

const N_OPS: usize = Op::ALL.len();

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    DynamoDb,
    Sqs,
    Sns,
}

/// Live counters, shared (`Arc<Counters>`) by every adapter built from the same clients.
#[derive(Debug, Default)]
pub struct Counters {
    counts: [AtomicU64; N_OPS],
}

impl Counters {
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn add(&self, op: Op) {
        self.counts[op as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> RequestCounts {
        let mut counts = [0; N_OPS];
        for (slot, counter) in counts.iter_mut().zip(&self.counts) {
            *slot = counter.load(Ordering::Relaxed);
        }
        RequestCounts { counts }
    }
}

/// A point-in-time copy of [`Counters`]; subtract two with [`RequestCounts::since`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RequestCounts {
    counts: [u64; N_OPS],
}

impl RequestCounts {
    pub fn get(&self, op: Op) -> u64 {
        self.counts[op as usize]
    }

    /// Requests of every operation with a non-zero count, in [`Op::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (Op, u64)> + '_ {
        Op::ALL.iter().map(|op| (*op, self.get(*op))).filter(|(_, n)| *n > 0)
    }

    pub fn total(&self, service: Service) -> u64 {
        Op::ALL
            .iter()
            .filter(|op| op.service() == service)
            .map(|op| self.get(*op))
            .sum()
    }

    pub fn dynamodb(&self) -> u64 {
        self.total(Service::DynamoDb)
    }

    pub fn sqs(&self) -> u64 {
        self.total(Service::Sqs)
    }

    pub fn sns(&self) -> u64 {
        self.total(Service::Sns)
    }

    /// What happened between `earlier` and `self`.
    pub fn since(&self, earlier: &RequestCounts) -> RequestCounts {
        let mut counts = [0; N_OPS];
        for (i, slot) in counts.iter_mut().enumerate() {
            *slot = self.counts[i].saturating_sub(earlier.counts[i]);
        }
        RequestCounts { counts }
    }
}

impl fmt::Display for RequestCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (op, n) in self.iter() {
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            write!(f, "{}={n}", op.name())?;
        }
        if first {
            f.write_str("no requests")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_op_has_a_slot_and_counts_add_up() {
        assert_eq!(Op::ALL.len(), 14);
        let c = Counters::new();
        for op in Op::ALL {
            c.add(*op);
        }
        let before = c.snapshot();
        c.add(Op::TransactWriteItems);
        c.add(Op::SendMessage);
        let after = c.snapshot();
        assert_eq!(after.dynamodb(), 10);
        assert_eq!(after.sqs(), 5);
        assert_eq!(after.sns(), 1);
        let delta = after.since(&before);
        assert_eq!(delta.get(Op::TransactWriteItems), 1);
        assert_eq!(delta.to_string(), "DynamoDB.TransactWriteItems=1, SQS.SendMessage=1");
    }
}
