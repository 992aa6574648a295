//! Request counters per AWS operation, so that requests (and so cost) per post can be reported.
//!
//! Each adapter call that reaches the SDK counts one request here. Retries made by the SDK's
//! own retry layer are not counted separately (they are rare; the SDK's metrics show them).
//! DynamoDB calls also count the write and read units they are estimated to consume (the
//! arithmetic is in `units.rs`): what DynamoDB bills on demand, including the writes that
//! global secondary indexes replicate and the doubling inside transactions.

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
    write_units: [AtomicU64; N_OPS],
    index_write_units: [AtomicU64; N_OPS],
    read_half_units: [AtomicU64; N_OPS],
}

impl Counters {
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn add(&self, op: Op) {
        self.counts[op as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Estimated write units of a request of `op`: on the table and on its indexes.
    pub(crate) fn add_writes(&self, op: Op, cost: crate::units::WriteCost) {
        self.write_units[op as usize].fetch_add(cost.table, Ordering::Relaxed);
        self.index_write_units[op as usize].fetch_add(cost.indexes, Ordering::Relaxed);
    }

    /// Estimated read units of a request of `op`, in halves (eventually consistent reads).
    pub(crate) fn add_read_halves(&self, op: Op, halves: u64) {
        self.read_half_units[op as usize].fetch_add(halves, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> RequestCounts {
        let load = |from: &[AtomicU64; N_OPS]| {
            let mut out = [0; N_OPS];
            for (slot, counter) in out.iter_mut().zip(from) {
                *slot = counter.load(Ordering::Relaxed);
            }
            out
        };
        RequestCounts {
            counts: load(&self.counts),
            write_units: load(&self.write_units),
            index_write_units: load(&self.index_write_units),
            read_half_units: load(&self.read_half_units),
        }
    }
}

/// A point-in-time copy of [`Counters`]; subtract two with [`RequestCounts::since`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RequestCounts {
    counts: [u64; N_OPS],
    write_units: [u64; N_OPS],
    index_write_units: [u64; N_OPS],
    read_half_units: [u64; N_OPS],
}

impl RequestCounts {
    pub fn get(&self, op: Op) -> u64 {
        self.counts[op as usize]
    }

    /// Estimated DynamoDB write units of `op` on the tables themselves.
    pub fn table_write_units(&self, op: Op) -> u64 {
        self.write_units[op as usize]
    }

    /// Estimated DynamoDB write units of `op` on global secondary indexes.
    pub fn index_write_units(&self, op: Op) -> u64 {
        self.index_write_units[op as usize]
    }

    /// Estimated DynamoDB write units of `op`, tables and indexes.
    pub fn write_units(&self, op: Op) -> u64 {
        self.table_write_units(op) + self.index_write_units(op)
    }

    /// Estimated DynamoDB read units of `op` (halves: eventually consistent reads cost half).
    pub fn read_units(&self, op: Op) -> f64 {
        self.read_half_units[op as usize] as f64 / 2.0
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
        let minus = |a: &[u64; N_OPS], b: &[u64; N_OPS]| {
            let mut out = [0; N_OPS];
            for (i, slot) in out.iter_mut().enumerate() {
                *slot = a[i].saturating_sub(b[i]);
            }
            out
        };
        RequestCounts {
            counts: minus(&self.counts, &earlier.counts),
            write_units: minus(&self.write_units, &earlier.write_units),
            index_write_units: minus(&self.index_write_units, &earlier.index_write_units),
            read_half_units: minus(&self.read_half_units, &earlier.read_half_units),
        }
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
        c.add_writes(Op::PutItem, crate::units::WriteCost { table: 2, indexes: 3 });
        c.add_read_halves(Op::Query, 3);
        let delta = c.snapshot().since(&before);
        assert_eq!(delta.get(Op::TransactWriteItems), 1);
        assert_eq!(delta.write_units(Op::PutItem), 5);
        assert_eq!(delta.index_write_units(Op::PutItem), 3);
        assert!((delta.read_units(Op::Query) - 1.5).abs() < f64::EPSILON);
        let delta = after.since(&before);
        assert_eq!(delta.to_string(), "DynamoDB.TransactWriteItems=1, SQS.SendMessage=1");
    }
}
